"""ctc-states and potentiation-depression on the simulated synapse benches: buffered trains,
every read a row, the configured CTC recovered, 11 separable states, refusals before any pulse."""
import numpy as np
import pytest
import yaml

from spinbench.analysis.synapse import ctc, distinguishable_states, ltp_ltd_metrics, separability, state_stats
from spinbench.instruments.bench import Bench
from spinbench.protocols.base import CheckError
from spinbench.protocols.runner import run
from spinbench.protocols.runstore import RunReader, RunStatus
from spinbench.protocols.synapse import CtcStates, PotentiationDepression


def _bench(tmp_path, name="tilted-synapse", **device_params):
    raw = yaml.safe_load(Bench.load(name).path.read_text())
    raw["sim"]["device"]["params"] = device_params
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return Bench.load(path)


def _frame(result):
    assert result.status == RunStatus.COMPLETE
    with RunReader(result.path) as reader:
        return reader.to_dataframe()


def test_ctc_states_recovers_the_configured_variation_and_separates_11_states(tmp_path):
    """Oracle: the configured ctc_sigma (2 % of the window) in quadrature with the thermal
    (binomial) part, measured on the same device with the configured source off."""
    cycles = 120
    parts = {}
    for cfg in (0.0, 0.02):
        res = run(CtcStates, _bench(tmp_path, ctc_sigma=cfg), {"cycles": cycles}, out_dir=tmp_path,
                  seed=11, progress=False)
        parts[cfg] = _frame(res)
    df = parts[0.02]
    assert len(df) == cycles * 10 * 2                   # (reset read, state read) x 10 per cycle
    assert sorted(df["state"].unique()) == list(range(11))
    assert (df.groupby("state")["cycle"].nunique() == cycles).all()
    thermal = ctc(parts[0.0], "window")["mean"]
    measured = ctc(df, "window")
    assert measured["definition"] == "window"
    expected = np.hypot(0.02, thermal)
    assert thermal < 0.01
    assert abs(measured["mean"] - expected) < 0.005
    assert abs(measured["mean"] - 0.02) < 0.005
    means = state_stats(df)["mean"].to_numpy()
    assert np.all(np.diff(means) > 0)                   # state k above state k-1
    # neighbours ~10 % of the window apart at ~2 % spread: d' ~ 5, a Gaussian error ~ 0.6 % per
    # boundary; 120 cycles estimate each sigma to ~ 6 %, so the count is asserted at 2 %
    assert distinguishable_states(df, 2e-2) == 11
    assert (separability(df)["d_prime"] > 3.5).all()


def test_ctc_states_count_coded_levels_rise_with_the_pulse_count(tmp_path):
    res = run(CtcStates, _bench(tmp_path), {"cycles": 20, "coding": "count", "n_states": 6,
                                            "count_amplitude": 6.7e-3, "width": 2e-3},
              out_dir=tmp_path, seed=2, progress=False)
    df = _frame(res)
    assert len(df) == 20 * 6
    assert (df["pulses"] == df["state"]).all()
    means = state_stats(df)["mean"].to_numpy()
    assert means[1] > means[0] + 0.5                    # the first pulse switches most grains
    assert np.all(np.diff(means) > -0.02)               # later pulses only add (thermal creep)


def test_potentiation_depression_reads_after_every_pulse(tmp_path):
    res = run(PotentiationDepression, _bench(tmp_path, ctc_sigma=0.0),
              {"cycles": 3, "n_pulses": 20, "amplitude_p": 5.8e-3, "amplitude_d": -5.8e-3},
              out_dir=tmp_path, seed=4, progress=False)
    df = _frame(res)
    assert len(df) == 3 * 41
    m = ltp_ltd_metrics(df)
    assert m["dynamic_range"] > 0.5                     # ohm: a real part of the 4 ohm window
    lt = np.asarray(m["mean_ltp"])
    assert lt[-1] == pytest.approx(1.0) and np.all(np.diff(lt) > -0.02)
    assert 0.0 <= m["nonlinearity_ltp"] <= 1.0 and 0.0 <= m["asymmetry"] <= 1.5


@pytest.mark.parametrize("protocol, params, match", [
    (CtcStates, {"write_max": 30e-3}, "max_current"),
    (CtcStates, {"write_min": -4e-3}, "one sign"),
    (PotentiationDepression, {"amplitude_d": 5e-3}, "opposite signs"),
    (PotentiationDepression, {"reset_current": 25e-3}, "max_current"),
])
def test_bad_plans_are_refused_before_any_instrument_opens(tmp_path, protocol, params, match):
    with pytest.raises(CheckError, match=match):
        run(protocol, Bench.load("tilted-synapse"), params, out_dir=tmp_path, progress=False)
    assert not list(tmp_path.glob("*.h5"))


def test_a_bench_without_a_pulse_sequencer_is_refused(tmp_path):
    raw = yaml.safe_load(Bench.load("tilted-synapse").path.read_text())
    raw["roles"] = {"current_source": "pulser", "voltmeter": "nanovoltmeter"}
    raw["instruments"]["pulser"] = {"driver": "keithley_2450", "address": "GPIB0::12::INSTR",
                                    "limits": {"max_current": 0.02, "compliance_voltage": 40.0}}
    path = tmp_path / "no-seq.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(CheckError, match="pulse/read sequencer"):
        run(CtcStates, Bench.load(path), {"cycles": 2}, out_dir=tmp_path, progress=False)


def test_synapse_array_measures_every_device_on_its_own_roles(tmp_path):
    """Two devices of the many-device bench, each through its own 6221 + 2182A: their state
    means differ (their own grains and threshold centres) while each keeps its ~2 % CTC."""
    from spinbench.protocols.synapse_array import array_devices, run_array

    raw = yaml.safe_load(Bench.load("synapse-array").path.read_text())
    for k in (1, 2, 3, 4):
        raw["sim"]["devices"][f"d{k}"]["params"].update({"n_grains": 400, "d2d_sigma": 0.08})
    path = tmp_path / "array.yaml"
    path.write_text(yaml.safe_dump(raw))
    bench = Bench.load(path)
    assert array_devices(bench) == ["d1", "d2", "d3", "d4"]
    summary = run_array(bench, {"cycles": 12, "n_states": 6, "write_min": 5.15e-3, "write_max": 8.85e-3},
                        out_dir=tmp_path, devices=["d1", "d2"], seed=1)
    assert summary["devices"] == ["d1", "d2"]
    assert (tmp_path / "synapse_array_summary.json").is_file()
    assert summary["d2d_mean"] > 0.02                    # the devices' levels differ
    for name in ("d1", "d2"):
        with RunReader(summary["runs"][name]) as reader:
            assert reader.to_dataframe()["cycle"].nunique() == 12
    with pytest.raises(Exception, match="no roles for device"):
        bench.for_device("d9")
