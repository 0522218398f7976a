"""onn-inference: a network trained offline (on the preset's AP law) evaluated through the
simulated bench on one digit: the bench's series outputs agree with the offline model's."""
import json

import numpy as np

from spinbench.analysis import optical_nn as onn
from spinbench.instruments.bench import Bench
from spinbench.protocols.onn_inference import OnnInference
from spinbench.protocols.runner import analyze, run
from spinbench.sim_backend.physics.thermo_mtj import ThermoMtjParams


def test_bench_inference_on_a_sample_agrees_with_the_offline_model(tmp_path):
    p = ThermoMtjParams()
    law = onn.DeviceLaw(p.seebeck_ap, p.b1_ap, p.b3_ap, kelvin_per_watt=300.0, p_max=0.02, i_max=1e-3)
    data = onn.load_dataset()
    res = onn.compare(law, data, epochs=100)
    x = data["x_test"][:1]
    net = onn.save_network(tmp_path / "net.npz", law, res["currents"], x, data["y_test"][:1])
    out = run(OnnInference(), Bench.load("thermo-mtj"), {"network": str(net), "samples": 1},
              out_dir=tmp_path, progress=False)
    assert out.status == "complete"
    files = analyze(out.path, tmp_path)
    summary = json.loads(next(f for f in files if f.suffix == ".json").read_text())
    assert summary["class_agreement"] == 1.0
    assert summary["max_relative_error"] < 0.05           # of the spread of the 10 outputs
    offline = np.array(summary["offline_outputs"])
    assert np.ptp(offline) > 1e-3                           # mV-scale outputs: a real test


def test_the_built_in_bench_ships_its_network(tmp_path):
    """With no ``network`` the run takes thermo-mtj.npz beside the bench file (written by
    examples/optical_nn_digits.py), records its path, and its bench outputs agree with the
    offline model's."""
    from spinbench.protocols.runstore import RunReader
    from spinbench.sim_backend.benches import builtin_dir

    out = run(OnnInference(), Bench.load("thermo-mtj"), {"samples": 1}, out_dir=tmp_path, progress=False)
    assert out.status == "complete"
    with RunReader(out.path) as reader:
        assert reader.params["network"] == str(builtin_dir() / "thermo-mtj.npz")
    summary = json.loads(next(f for f in analyze(out.path, tmp_path) if f.suffix == ".json").read_text())
    assert summary["class_agreement"] == 1.0 and summary["max_relative_error"] < 0.05
