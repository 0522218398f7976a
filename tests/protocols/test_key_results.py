"""A finished run prints its key results for every protocol (issue 13, "Progress and terminal
output"): the CLI reads the fit values of every summary the analysis wrote, nested ones included
(``ctc.std_over_range``, ``neel_brown.ic0``), not only top-level scalars."""
import math
import re
from pathlib import Path

import numpy as np
import pytest

from spinbench.protocols import cli, registry
from spinbench.protocols.runindex import key_results


def _onn_network(tmp_path):
    from spinbench.analysis import optical_nn as onn
    from spinbench.sim_backend.physics.thermo_mtj import ThermoMtjParams

    p = ThermoMtjParams()
    law = onn.DeviceLaw(p.seebeck_ap, p.b1_ap, p.b3_ap, kelvin_per_watt=300.0, p_max=0.02, i_max=1e-3)
    rng = np.random.default_rng(0)
    images = np.zeros((1, 64))
    images[0, rng.choice(64, 6, replace=False)] = 1.0          # six lit pixels: 60 points
    currents = rng.uniform(-1e-3, 1e-3, (10, 65))          # inputs + a bias column
    return str(onn.save_network(tmp_path / "net.npz", law, currents, images, np.array([3])))


def _rf_network(tmp_path):
    """An untrained two-layer network of rf_mtj junctions and its generated bench (one input)."""
    from spinbench.analysis.rf_network import xor_band_task
    from spinbench.analysis.rf_network_device import device_network, device_units, save_network
    from spinbench.sim_backend.rf_network_bench import write_bench

    units = device_units(0.05)
    x, y = xor_band_task(1, seed=1)
    npz = save_network(tmp_path / "rfnet.npz", device_network(units, 4, 6, 2, seed=0), units, x, y)
    return str(write_bench(npz, tmp_path / "rf-network.yaml")), str(npz)


#: protocol -> (built-in bench, small parameters whose analysis still fits)
RUNS = {
    "switching-loop": ("sot-hallbar", {"current_step": "0.5mA"}),
    "field-loop": ("sot-hallbar", {"field_step": "5mT"}),
    "switching-probability": ("sot-hallbar", {"amplitudes": "5mA,5.4mA,5.8mA,6.2mA",
                                              "widths": "1ms", "repeats": "10", "field_x": "10mT"}),
    "critical-current-vs-width": ("sot-hallbar", {"widths": "1ms", "repeats": "8",
                                                  "bisections": "4", "field_x": "10mT"}),
    "harmonic-hall": ("sot-hallbar", {"points": "5", "time_constant": "0.003",
                                      "states": "up", "current_rms": "1mA"}),
    "ctc-states": ("tilted-synapse", {"cycles": "4"}),
    "potentiation-depression": ("tilted-synapse", {"cycles": "2"}),
    "emission-spectra": ("sto-spectrum", {"averages": "2", "points": "401"}),
    "injection-locking": ("rf-mtj", {"powers_dbm": "-60,-48", "points": "401"}),
    "spin-diode-map": ("rf-mtj", {"fields": "0.05,0.1,0.15", "freq_points": "61"}),
    "thermovoltage-map": ("thermo-mtj", {"n_bias": "3", "powers": "0.02", "averages": "2",
                                         "points": "500"}),
    "spike-statistics": ("thermo-mtj", {"captures": "2", "biases": "0.6e-3,1.0e-3",
                                        "powers": "0,0.04"}),
    "onn-inference": ("thermo-mtj", {"samples": "1"}),
    "rf-network-inference": ("(generated)", {"samples": "1", "averages": "1", "points": "201"}),
}


def test_the_table_covers_every_protocol_spinbench_ships():
    shipped = {name for name, cls in registry.all_protocols().items()
               if cls.__module__.startswith("spinbench.protocols.")}   # not test-registered ones
    assert set(RUNS) == shipped


@pytest.mark.parametrize("protocol", sorted(RUNS))
def test_a_finished_run_prints_key_results(protocol, tmp_path, capsys):
    bench, params = RUNS[protocol]
    if protocol == "onn-inference":
        params = {**params, "network": _onn_network(tmp_path)}
    if protocol == "rf-network-inference":
        bench, network = _rf_network(tmp_path)
        params = {**params, "network": network}
    argv = ["run", protocol, "--bench", bench, "--out", str(tmp_path), "--no-progress", "--seed", "1"]
    for name, value in params.items():
        argv += ["--param", f"{name}={value}"]
    assert cli.main(argv) == 0
    captured = capsys.readouterr()
    lines = [ln for ln in captured.err.splitlines() if ln.startswith("key results")]
    assert lines, f"{protocol}: no key results printed; stderr:\n{captured.err}"
    values = [float(v) for ln in lines for v in re.findall(r" = ([-+0-9.eE]+|nan|inf)", ln)]
    assert values and all(math.isfinite(v) for v in values)
    # what is printed is what the summary files hold, and `spinbench ls` finds them next to the
    # run file (every summary is named after its run: two runs in a folder keep their own)
    written = [Path(p) for p in captured.out.split() if p.endswith(".json")]
    assert any(key_results(p) for p in written)
    run_file = next(Path(p) for p in captured.out.split() if p.endswith(".h5"))
    assert all(p.name.startswith(run_file.stem + "_") for p in written)
    assert cli.main(["ls", str(tmp_path)]) == 0
    row = next(ln for ln in capsys.readouterr().out.splitlines() if run_file.name in ln)
    assert re.search(r"\S+=[-+0-9.eE]+", row), row


def test_nested_fit_results_are_read_and_inputs_are_not(tmp_path):
    p = tmp_path / "run_summary.json"
    p.write_text('{"protocol": "ctc-states", "params": {"cycles": 4, "read_current": 5e-4},'
                 ' "states": [' + ",".join(['{"state": %d, "mean": 1.0}' % k for k in range(11)]) + '],'
                 ' "ctc": {"std_over_range": 0.012, "cv": 0.03},'
                 ' "distinguishable_states": {"0.01": 7},'
                 ' "fields": [{"up": 5e-3, "p_table": [[1, 2, 3]]}, {"up": NaN, "down": -4e-3}],'
                 ' "levels": [1.0, 2.0, 3.0]}')
    found = key_results(p)
    assert found == {"ctc.std_over_range": 0.012, "ctc.cv": 0.03,
                     "distinguishable_states.0.01": 7.0, "fields[0].up": 5e-3,
                     "fields[1].down": -4e-3}
    # fit sections first, rows of record tables after them (the printer shows the first 8)
    assert list(found)[-2:] == ["fields[0].up", "fields[1].down"]


def test_parameters_a_summary_echoes_are_not_results(tmp_path):
    p = tmp_path / "run_fit.json"
    p.write_text('{"delta_t_per_watt": 300, "bias_law": {"P": {"seebeck": -5e-5}}}')
    assert key_results(p, inputs=("delta_t_per_watt", "n_bias")) == {"bias_law.P.seebeck": -5e-5}
    assert "delta_t_per_watt" in key_results(p)
