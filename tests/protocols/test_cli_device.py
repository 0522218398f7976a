"""``spinbench run ... --device NAME``: a one-device protocol on one device of a many-device bench
(its roles ``<role>_NAME`` stand in for ``<role>``), e.g. the emission of one neuron of the
rf-network bench; the run file records ``bench[NAME]`` and a resume on another device is refused."""
from __future__ import annotations

import numpy as np
import pytest

from spinbench.analysis.sto import fit_line
from spinbench.instruments.bench import Bench
from spinbench.protocols import cli, registry
from spinbench.protocols.runner import RunnerError, run
from spinbench.protocols.runstore import RunReader
from spinbench.sim_backend.benches import builtin_dir


def test_one_neuron_of_the_rf_network_through_the_cli(tmp_path, capsys):
    with np.load(builtin_dir() / "rf-network.npz") as f:
        slot, i_th = float(f["f_hidden"][2]), float(f["i_th"][2])
    argv = ["run", "emission-spectra", "--bench", "rf-network", "--device", "n_2", "--out", str(tmp_path),
            "--no-progress", "--param", f"currents={1.5 * i_th}", "--param", "loop_field=0",
            "--param", f"center={slot}", "--param", "span=200MHz", "--param", "averages=4"]
    assert cli.main(argv) == 0
    path = next(tmp_path.glob("*_emission-spectra.h5"))
    with RunReader(path) as reader:
        assert reader.attrs["bench_name"] == "rf-network[n_2]"
        c = {k: reader.column(k) for k in ("frequency", "power", "rbw")}
    line = fit_line(c["frequency"], c["power"], float(c["rbw"][0]))
    assert line.frequency == pytest.approx(slot, abs=3e6)     # the neuron on its hidden-layer slot
    capsys.readouterr()


def test_a_run_on_one_device_does_not_resume_on_another(tmp_path):
    bench = Bench.load("rf-network")
    params = {"currents": (0.2e-3, 0.3e-3), "loop_field": 0.0, "averages": 1, "points": 101}
    first = run(registry.get("emission-spectra")(), bench.for_device("n_0"), params, out_dir=tmp_path,
                seed=1, progress=False)
    with pytest.raises(RunnerError, match=r"rf-network\[n_0\]"):
        run(registry.get("emission-spectra")(), bench.for_device("n_1"), {}, resume=first.path, progress=False)
    assert cli._device_of("rf-network[n_0]") == "n_0" and cli._device_of("rf-mtj") is None
