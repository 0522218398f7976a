"""rf-network-inference: a two-layer RF network trained offline in the units of the rf_mtj junction
(analysis.rf_network_device) is written into an rf-network bench (sim_backend.rf_network_bench:
72 synapse junctions on RF lines and series chains, 6 oscillator neurons whose own RF output
feeds the output chains through an amplifier) and evaluated through its instruments; the
bench's classes agree with the offline model's on >= 95 % of the test inputs. The one-layer
network of the same junctions cannot do the task (XOR of two bands)."""
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
        layer, zeta, act, volts = (reader.column(k) for k in ("layer", "zeta", "activation", "voltage"))
    assert agree["samples"] == SAMPLES
    assert agree["agreement"] >= 0.95, agree
    assert agree["bench_accuracy"] >= 0.9, agree
    # the neurons were driven where the offline model puts them: the chain voltages read by the
    # 2182As against the offline layer's, in its units (the tolerance is what the offline layer
    # leaves out: one V_A/V_S for all junctions where each junction's ratio follows the field
    # that places its resonance, 0.47..0.54 over the plan)
    net, units = trained["net"], trained["units"]
    with np.load(trained["npz"]) as f:
        inputs, vpu1 = f["inputs"], float(f["volts_per_unit_1"])
    v_off, z_off = net.hidden(inputs)
    v_bench = volts[layer == 1].reshape(SAMPLES, 6) / vpu1
    assert v_bench == pytest.approx(v_off, abs=0.05 * np.abs(v_off).max())
    z_bench = zeta[layer == 1].reshape(SAMPLES, 6)
    z_off = np.clip(z_off, units.zeta[0], units.zeta[-1])
    assert z_bench == pytest.approx(z_off, abs=0.05 * np.abs(v_off).max() * net.gain[0] + 1e-9)
    # and emitted what their tables say: the analyzer's slot power of each neuron, scaled by its
    # reference, against the table at the supercriticality applied (away from the jump, where
    # the table's 0.05 grid step cannot follow the line leaving its slot)
    h_law, _ = net.neuron(z_bench)
    act = act[layer == 1].reshape(SAMPLES, 6)
    jump = units.zeta[np.argmax(net.neurons.in_slot > 0, axis=1)]
    away = np.abs(z_bench - jump[None, :]) > 0.1
    assert away.sum() > SAMPLES * 3
    assert act[away] == pytest.approx(h_law[away], abs=0.05)
    # the output chains follow what the offline model computes
    b, o = np.ravel(agree["bench_outputs"]), np.ravel(agree["offline_outputs"])
    assert np.corrcoef(b, o)[0, 1] > 0.98, (np.corrcoef(b, o)[0, 1], agree["max_output_difference"])
    files = analyze(result.path, tmp_path / "fits")
    assert [p.name for p in files] == [f"{result.path.stem}_agreement.json", f"{result.path.stem}_outputs.png"]


def test_a_bench_without_the_network_roles_is_refused_before_anything_opens(trained, tmp_path):
    with pytest.raises(CheckError, match="rf_source_in_0"):
        run(RfNetworkInference, Bench.load("rf-mtj"), {"network": str(trained["npz"])}, out_dir=tmp_path,
            progress=False)


def test_the_built_in_rf_network_bench_holds_its_network_file(tmp_path):
    """The shipped rf-network bench and rf-network.npz (examples/rf_network_xor.py) agree; with no
    ``network`` given the run takes the .npz beside the bench file and records its path."""
    from spinbench.sim_backend.benches import builtin_dir

    npz = builtin_dir() / "rf-network.npz"
    result = run(RfNetworkInference, Bench.load("rf-network"), {"samples": 4},
                 out_dir=tmp_path, seed=1, progress=False)
    assert result.status == RunStatus.COMPLETE, result.error
    with RunReader(result.path) as reader:
        assert reader.params["network"] == str(npz)
        agree = bench_agreement(reader)
    assert agree["agreement"] == 1.0 and agree["bench_accuracy"] == 1.0, agree


def test_no_network_file_beside_a_bench_is_a_clear_error(trained, tmp_path):
    bench = tmp_path / "other.yaml"
    bench.write_text(trained["bench"].read_text())
    with pytest.raises(CheckError, match=r"network: give the file.*other\.npz"):
        run(RfNetworkInference, Bench.load(str(bench)), {}, out_dir=tmp_path, progress=False)


def test_the_output_layer_hears_the_neurons_not_a_script(trained, tmp_path):
    """No RF source drives the output chains' line: with every input off, biasing one neuron
    onto its slot moves the output chains, and by what the same tone from a real RF source at
    the neuron's frequency and (amplified) power gives on a twin bench."""
    import yaml

    with np.load(trained["npz"]) as f:
        i_th, slot, gain_db = float(f["i_th"][2]), float(f["f_hidden"][2]), float(f["hidden_gain_db"])
    spec = yaml.safe_load(trained["bench"].read_text())
    assert not any(r.startswith("rf_source_hidden") for r in spec["roles"])
    twin = dict(spec)
    twin["sim"] = dict(spec["sim"], lines={k: (dict(v, emitters=None) if k == "hidden_bus" else v)
                                           for k, v in spec["sim"]["lines"].items()})
    del twin["sim"]["lines"]["hidden_bus"]["emitters"]
    twin["instruments"] = dict(spec["instruments"], probe={
        "driver": "rohde_schwarz_sgs100a", "address": "TCPIP0::192.168.1.99::inst0::INSTR",
        "limits": {"max_rf_power_dbm": 0.0, "min_frequency": 1e6, "max_frequency": 12.75e9}})
    twin["roles"] = dict(spec["roles"], rf_source_probe="probe")
    twin["sim"]["instruments"] = dict(spec["sim"]["instruments"], **{"TCPIP0::192.168.1.99::inst0::INSTR": {
        "model": "rohde_schwarz_sgs100a", "options": "SGS-B112,SGS-B26", "connect": {"rf_out": "hidden_bus"}}})
    twin_path = tmp_path / "twin.yaml"
    twin_path.write_text(yaml.safe_dump(twin, sort_keys=False))

    with Bench.load(str(trained["bench"])).open(sim_clock="virtual") as lab:
        lab.role("field_x").set_field(0.05)
        chains = [lab.role(f"voltmeter_c2_{o}") for o in range(2)]
        dark = [c.read_voltage() for c in chains]
        neuron = lab.role("source_meter_n_2")
        neuron.source_current(1.5 * i_th)
        neuron.enable()
        lit = [c.read_voltage() for c in chains]
        analyzer = lab.role("spectrum_analyzer")
        analyzer.configure(slot, 100e6, 3e6, 1001, averages=16)
        f, p_dbm = analyzer.read_trace()
        neuron.source_current(0.0)
        _, floor_dbm = analyzer.read_trace()
    # the line's power: the trace less the noise floor, integrated over the noise bandwidth of
    # the Gaussian RBW (1.0645 RBW); its Lorentzian wings beyond +-50 MHz (~1 %) left out
    line_f = float(f[np.argmax(p_dbm)])
    excess = 10 ** (p_dbm / 10) - 10 ** (floor_dbm / 10)
    line_dbm = 10 * np.log10(np.sum(excess) * (f[1] - f[0]) / (1.0645 * 3e6))
    assert abs(line_f - slot) < 2e6                   # the neuron sits on its slot
    with Bench.load(str(twin_path)).open(sim_clock="virtual") as lab:
        lab.role("field_x").set_field(0.05)
        probe = lab.role("rf_source_probe")
        probe.set_frequency(line_f)
        probe.set_power_dbm(round(line_dbm + gain_db, 2))
        probe.enable()
        tone = [lab.role(f"voltmeter_c2_{o}").read_voltage() for o in range(2)]
    moved = np.subtract(lit, dark)
    assert np.abs(moved).max() > 20 * np.abs(dark).max() + 1e-6
    assert moved == pytest.approx(tone, rel=0.03, abs=0.01 * np.abs(moved).max())


def test_a_network_trained_on_its_measured_neurons(tmp_path):
    """The lab's path: each neuron of the rf-network bench measured through the instruments
    (emission-spectra on that device: its 2450, the analyzer on the neurons' combiner), the
    network trained on those measured power tables and line frequencies, the synapses written
    into a bench that keeps the measured neurons -- and its inference agrees with the offline
    model's, on the band XOR that two layers solve."""
    from spinbench.analysis.rf_network_device import neurons_from_runs
    from spinbench.protocols.emission_spectra import EmissionSpectra

    bench = Bench.load("rf-network")
    currents = tuple(np.round(np.arange(0.05e-3, 0.751e-3, 0.05e-3), 9))
    params = {"currents": currents, "loop_field": 0.0, "center": 5.75e9, "span": 2.5e9, "rbw": 3e6,
              "points": 1001, "averages": 4}
    runs = [run(EmissionSpectra, bench.for_device(f"n_{j}"), params, out_dir=tmp_path, seed=1, progress=False).path
            for j in range(6)]
    units = device_units(0.05)
    neurons = neurons_from_runs(runs, width=units.width)
    with np.load(builtin_dir_npz()) as f:
        placed = f["f_hidden"]
    assert neurons.slots == pytest.approx(placed, abs=3e6)      # each neuron found on its slot
    assert np.all(neurons.in_slot[:, 0] == 0) and np.all(neurons.in_slot[:, -1] > 0)
    x, y = xor_band_task(300, seed=0)
    xt, yt = xor_band_task(200, seed=1)
    net = device_network(units, 4, 6, 2, seed=0, neurons=neurons)
    train(net, x, y, epochs=100, batch=32, lr=0.05)
    assert accuracy(net, xt, yt) > 0.95
    npz = save_network(tmp_path / "measured.npz", net, units, xt[:SAMPLES], yt[:SAMPLES])
    with pytest.raises(ValueError, match="neurons_from"):
        write_bench(npz, tmp_path / "nowhere.yaml")
    measured_bench = write_bench(npz, tmp_path / "measured.yaml", neurons_from="rf-network")
    result = run(RfNetworkInference, Bench.load(str(measured_bench)), {"samples": SAMPLES, "monitor": False},
                 out_dir=tmp_path, seed=1, progress=False)
    assert result.status == RunStatus.COMPLETE, result.error
    with RunReader(result.path) as reader:
        agree = bench_agreement(reader)
    print(f"measured neurons: slots - placed {np.round((neurons.slots - placed) / 1e6, 2)} MHz, onsets "
          f"{np.round(neurons.i_th * 1e3, 3)} mA; two layers {accuracy(net, xt, yt):.3f}; bench vs offline "
          f"{agree['agreement']:.2f}, bench accuracy {agree['bench_accuracy']:.2f}")
    assert agree["agreement"] >= 0.95, agree


def builtin_dir_npz():
    from spinbench.sim_backend.benches import builtin_dir

    return builtin_dir() / "rf-network.npz"


def test_without_an_analyzer_the_monitor_is_refused_and_inference_runs_without_it(tmp_path):
    import yaml
    from spinbench.sim_backend.benches import builtin_dir

    spec = yaml.safe_load((builtin_dir() / "rf-network.yaml").read_text())
    del spec["roles"]["spectrum_analyzer"]
    path = tmp_path / "rf-network.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    (tmp_path / "rf-network.npz").write_bytes((builtin_dir() / "rf-network.npz").read_bytes())
    with pytest.raises(CheckError, match=r"spectrum_analyzer \(monitor = true; or monitor=false\)"):
        run(RfNetworkInference, Bench.load(str(path)), {}, out_dir=tmp_path, progress=False)
    result = run(RfNetworkInference, Bench.load(str(path)), {"samples": 2, "monitor": False}, out_dir=tmp_path,
                 seed=1, progress=False)
    assert result.status == RunStatus.COMPLETE, result.error
    with RunReader(result.path) as reader:
        assert bench_agreement(reader)["agreement"] == 1.0
