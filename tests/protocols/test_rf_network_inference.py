"""rf-network-inference: a two-layer RF network trained offline in the units of the rf_mtj junction
(analysis.rf_network_device) is written into an rf-network bench (sim_backend.rf_network_bench:
78 junctions on RF lines and series chains, 6 oscillator neurons) and evaluated through its
instruments; the bench's classes agree with the offline model's on >= 95 % of the test inputs.
The one-layer network of the same junctions cannot do the task (XOR of two bands)."""
from __future__ import annotations

import numpy as np
import pytest

from spinbench.analysis.rf_network import accuracy, train, xor_band_task
from spinbench.analysis.rf_network_device import bench_agreement, device_network, device_units, save_network
from spinbench.instruments.bench import Bench
from spinbench.protocols.base import CheckError
from spinbench.protocols.rf_network_inference import RfNetworkInference
from spinbench.protocols.runner import RunStatus, analyze, run
from spinbench.protocols.runstore import RunReader
from spinbench.sim_backend.rf_network_bench import write_bench

SAMPLES = 20


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    units = device_units(0.05)
    x, y = xor_band_task(300, seed=0)
    xt, yt = xor_band_task(200, seed=1)
    one = device_network(units, 4, 0, 2, seed=0)
    train(one, x, y, epochs=40, batch=32, lr=0.05)
    two = device_network(units, 4, 6, 2, seed=0)
    train(two, x, y, epochs=100, batch=32, lr=0.05)
    folder = tmp_path_factory.mktemp("rfnet")
    npz = save_network(folder / "net.npz", two, units, xt[:SAMPLES], yt[:SAMPLES])
    return {"units": units, "one": accuracy(one, xt, yt), "two": accuracy(two, xt, yt), "npz": npz, "net": two,
            "bench": write_bench(npz, folder / "rf-network.yaml"), "folder": folder}


def test_two_layers_of_junctions_solve_the_band_xor_one_layer_cannot(trained):
    assert trained["one"] < 0.8
    assert trained["two"] > 0.95


def test_network_units_are_the_junction_laws(trained):
    u = trained["units"]
    from spinbench.sim_backend.physics.presets import make_device
    dev = make_device("rf_mtj", {})
    assert u.f_ref == pytest.approx(float(dev.kittel_frequency(0.05)), rel=1e-3)     # Kittel law
    assert u.width == pytest.approx(float(dev.linewidth(0.05)), rel=1e-3)            # alpha gamma (B1+B2)/4pi
    assert u.i_th == pytest.approx(dev.oscillator(np.array([0.05, 0, 0])).threshold, rel=1e-9)
    assert u.activation[u.zeta < 0.5].max() < 0.01 and u.activation.max() == 1.0     # a threshold neuron


def test_inference_through_the_bench_agrees_with_the_offline_model(trained, tmp_path):
    result = run(RfNetworkInference, Bench.load(str(trained["bench"])),
                 {"network": str(trained["npz"]), "samples": SAMPLES}, out_dir=tmp_path, seed=1, progress=False)
    assert result.status == RunStatus.COMPLETE, result.error
    with RunReader(result.path) as reader:
        agree = bench_agreement(reader)
        layer, zeta, act = (reader.column(k) for k in ("layer", "zeta", "activation"))
    assert agree["samples"] == SAMPLES
    assert agree["agreement"] >= 0.95, agree
    assert agree["bench_accuracy"] >= 0.9, agree
    # the neurons were driven where the offline model puts them (chain voltages read by the
    # 2182As) and emitted what its activation says (analyzer power of the oscillators); the
    # tolerance is what the offline layer leaves out: one V_A/V_S for all junctions where each
    # junction's ratio follows the field that places its resonance (0.47..0.54 over the plan)
    net, units = trained["net"], trained["units"]
    with np.load(trained["npz"]) as f:
        inputs = f["inputs"]
    _, z_off = net.hidden(inputs)
    z_off = np.clip(z_off, units.zeta[0], units.zeta[-1])
    z_bench = zeta[layer == 1].reshape(SAMPLES, 6)
    assert z_bench == pytest.approx(z_off, abs=0.1)
    h_law, _ = net.neuron(z_bench)               # the neuron law at the supercriticality applied
    assert act[layer == 1].reshape(SAMPLES, 6) == pytest.approx(h_law, abs=0.1)
    # the output chains follow what the offline model computes (the threshold neurons pass the
    # 0.1 zeta tolerance on as larger output differences near their step, hence a correlation)
    b, o = np.ravel(agree["bench_outputs"]), np.ravel(agree["offline_outputs"])
    assert np.corrcoef(b, o)[0, 1] > 0.95, (np.corrcoef(b, o)[0, 1], agree["max_output_difference"])
    files = analyze(result.path, tmp_path / "fits")
    assert [p.name for p in files] == [f"{result.path.stem}_agreement.json", f"{result.path.stem}_outputs.png"]


def test_a_bench_without_the_network_roles_is_refused_before_anything_opens(trained, tmp_path):
    with pytest.raises(CheckError, match="rf_source_in_0"):
        run(RfNetworkInference, Bench.load("rf-mtj"), {"network": str(trained["npz"])}, out_dir=tmp_path,
            progress=False)


def test_the_built_in_rf_network_bench_holds_its_network_file(tmp_path):
    """The shipped rf-network bench and rf-network.npz (examples/rf_network_xor.py) agree."""
    from spinbench.sim_backend.benches import builtin_dir

    npz = builtin_dir() / "rf-network.npz"
    result = run(RfNetworkInference, Bench.load("rf-network"), {"network": str(npz), "samples": 4},
                 out_dir=tmp_path, seed=1, progress=False)
    assert result.status == RunStatus.COMPLETE, result.error
    with RunReader(result.path) as reader:
        agree = bench_agreement(reader)
    assert agree["agreement"] == 1.0 and agree["bench_accuracy"] == 1.0, agree
