"""switching-probability on the simulated Hall bar: every outcome kept, fits recover the device,
bad grids refused before any pulse, interrupted maps resume to the same outcomes."""
import numpy as np
import pytest
import pyvisa

from spinbench.analysis.switching_probability import fit_neel_brown, outcome_counts
from spinbench.instruments.bench import Bench
from spinbench.protocols.base import CheckError, ParamError
from spinbench.protocols.runner import RunInterrupted, run
from spinbench.protocols.runstore import RunReader, RunStatus
from spinbench.protocols.switching_probability import SwitchingProbability
from spinbench.sim_backend.physics.presets import make_device

BX = 10e-3
# around the 50 % currents of the sot-hallbar device at Bx = 10 mT: 5.51 mA (1 ms), 5.18 mA (10 ms)
GRID = {"amplitudes": (4.95e-3, 5.1e-3, 5.25e-3, 5.4e-3, 5.55e-3, 5.7e-3),
        "widths": (1e-3, 10e-3), "field_x": BX}


@pytest.fixture
def bench():
    return Bench.load("sot-hallbar")


def test_every_cycle_is_a_row_and_the_fit_recovers_ic0_and_delta(bench, tmp_path):
    params = {**GRID, "repeats": 150}
    result = run(SwitchingProbability, bench, params, out_dir=tmp_path, seed=7, progress=False)
    assert result.status == RunStatus.COMPLETE
    with RunReader(result.path) as reader:
        df = reader.to_dataframe()
        units = reader.units
    assert len(df) == 2 * 6 * 150                       # one row per write/read cycle
    assert units["amplitude"] == "A" and units["width"] == "s" and units["r_after"] == "ohm"
    assert sorted(df["repeat"].unique()) == list(range(150))
    assert df["valid_reset"].all()                      # every cycle started from the reset
    dev = make_device("sot_hallbar", {})               # the bench's device
    p = dev.p
    mz = np.sqrt(1 - (BX / p.b_k_eff) ** 2)
    # the two states are +-R_AHE m_z around the offset, and every row is one of them
    r = np.concatenate([df["r_before"], df["r_after"]])
    assert np.all(np.abs(np.abs(r - p.r_offset) - p.r_ahe * mz) < 0.01)
    assert df["channel_resistance"].iloc[0] == pytest.approx(p.r_xx, rel=1e-3)
    counts = outcome_counts(df)
    # switching is monotonic in amplitude and longer pulses switch at lower currents
    for _, g in counts.groupby("width"):
        assert np.all(np.diff(g.sort_values("amplitude")["fraction"]) >= -0.1)
    fit = fit_neel_brown(df)
    # the thermal law of the device: barrier Delta (1 - B_x/B_K,eff)^2 (1 - I/Ic0(B_x)), n = 1
    delta = p.delta_300 * (1 - BX / p.b_k_eff) ** 2
    assert fit.ic0 == pytest.approx(dev.critical_current(BX), rel=0.10)
    assert fit.delta == pytest.approx(delta, rel=0.15)
    assert fit.ic0_err < 0.03 * fit.ic0 and fit.delta_err < 0.1 * fit.delta
    assert abs(fit.ic0 - dev.critical_current(BX)) < 4 * fit.ic0_err + 0.01 * fit.ic0


@pytest.mark.parametrize("bad, error, match", [
    ({"widths": (1e-3, -1e-3)}, ParamError, "widths"),
    ({"amplitudes": (1e-3, 35e-3)}, CheckError, "max_current"),
    ({"repeats": 0}, ParamError, "repeats"),
    ({"widths": (10e-6,)}, None, None),                 # below pulse delta: needs a generator
])
def test_bad_grids_are_refused_before_any_pulse(bad, error, match, tmp_path):
    bench = Bench.load("spinloss-low")                  # no pulse_generator role
    rm = pyvisa.ResourceManager(f"{bench.path}@spinbench")
    try:
        world = rm.visalib.world
        before = len(world.log)
        with pytest.raises(error or CheckError, match=match or "pulse_generator"):
            run(SwitchingProbability, bench, {**GRID, "amplitudes": (4e-3,), **bad},
                out_dir=tmp_path, progress=False)
        assert len(world.log) == before                 # not one command reached the bench
        assert not any("LIST" in m or "SWE" in m for m in world.messages())
    finally:
        rm.close()
    assert not list(tmp_path.glob("*.h5"))               # and no run file


def test_interrupted_map_resumes_to_the_outcomes_of_an_uninterrupted_run(bench, tmp_path,
                                                                          monkeypatch):
    params = {"amplitudes": (5.2e-3, 5.4e-3, 5.6e-3), "widths": (1e-3, 3e-3), "repeats": 40,
              "field_x": BX}
    full = run(SwitchingProbability, bench, params, out_dir=tmp_path / "full", seed=11,
               progress=False)
    original = SwitchingProbability.measure
    calls = {"n": 0}

    def measure(self, roles, values, step):
        if calls["n"] == 4:
            raise KeyboardInterrupt
        calls["n"] += 1
        return original(self, roles, values, step)

    monkeypatch.setattr(SwitchingProbability, "measure", measure)
    with pytest.raises(RunInterrupted) as caught:
        run(SwitchingProbability, bench, params, out_dir=tmp_path / "cut", seed=11,
            progress=False)
    assert caught.value.result.status == RunStatus.ABORTED
    assert caught.value.result.steps_done == 4
    monkeypatch.setattr(SwitchingProbability, "measure", original)
    resumed = run(SwitchingProbability, bench, resume=caught.value.result.path, seed=11,
                  progress=False)
    assert resumed.status == RunStatus.COMPLETE
    keys = ["step", "repeat", "width", "amplitude", "state_before", "state_after", "switched",
            "r_before", "r_after"]
    with RunReader(full.path) as a, RunReader(resumed.path) as b:
        da = a.to_dataframe()[keys].sort_values(["step", "repeat"]).reset_index(drop=True)
        db = b.to_dataframe()[keys].sort_values(["step", "repeat"]).reset_index(drop=True)
    assert len(da) == len(db) == 6 * 40
    assert 0.05 < da["switched"].mean() < 0.95           # a map with outcomes to lose
    assert da.equals(db)                                 # every outcome and reading, bit for bit


def test_the_run_seed_selects_the_simulated_realisation(bench, tmp_path):
    params = {"amplitudes": (5.4e-3,), "widths": (1e-3,), "repeats": 40, "field_x": BX}
    outcomes = {}
    for label, seed in (("a", 3), ("b", 3), ("c", 4)):
        result = run(SwitchingProbability, bench, params, out_dir=tmp_path / label, seed=seed,
                     progress=False)
        with RunReader(result.path) as reader:
            outcomes[label] = reader.to_dataframe()["switched"].to_numpy()
    assert 0.1 < outcomes["a"].mean() < 0.9                   # near I50: a stochastic outcome
    assert np.array_equal(outcomes["a"], outcomes["b"])        # same seed, same realisation
    assert not np.array_equal(outcomes["a"], outcomes["c"])    # another seed, another one


def test_short_writes_come_from_the_pulse_generator_into_the_measured_two_terminal_load(bench, tmp_path):
    dev = make_device("sot_hallbar", {})
    i50 = dev.switching_current_50(BX, 20e-6)                  # 6.08 mA
    params = {"amplitudes": (0.94 * i50, 1.06 * i50), "widths": (20e-6,), "repeats": 40,
              "field_x": BX}
    result = run(SwitchingProbability, bench, params, out_dir=tmp_path, seed=2, progress=False)
    with RunReader(result.path) as reader:
        df = reader.to_dataframe()
    # the generator drives the channel and its leads (2-wire), not the 4-wire channel
    assert df["load_resistance"].iloc[0] == pytest.approx(dev.p.r_channel, rel=1e-3)
    p = df.groupby("amplitude")["switched"].mean().to_numpy()
    # P = 1 - exp(-t / tau(I)) of the device's thermal law at each amplitude, binomial 3 sigma
    for frac, amps in zip(p, sorted(params["amplitudes"])):
        expected = -np.expm1(-20e-6 / dev.escape_time(1.0, amps, (BX, 0, 0)))
        assert frac == pytest.approx(expected, abs=3 * np.sqrt(expected * (1 - expected) / 40) + 0.03)


def test_pulse_generator_writes_need_a_source_meter_for_the_load(tmp_path):
    import yaml

    raw = yaml.safe_load(Bench.load("sot-hallbar").path.read_text())
    del raw["instruments"]["smu"], raw["roles"]["source_meter"]
    path = tmp_path / "no-smu.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(CheckError, match="source_meter"):
        run(SwitchingProbability, Bench.load(path), {"widths": (20e-6,)}, out_dir=tmp_path,
            progress=False)


def test_writes_the_generator_cannot_drive_into_the_measured_load_are_refused_before_the_run_file(
        bench, tmp_path):
    # 33522B: at most 10 V open-circuit behind 50 ohm; the channel + leads measure 1500 ohm
    # (2-wire), so a 20 us write of 8 mA would need 8 mA x 1550 ohm = 12.4 V
    with pytest.raises(CheckError, match=r"drives at most 0\.006452 A"):
        run(SwitchingProbability, bench, {"amplitudes": (6e-3, 8e-3), "widths": (20e-6,),
                                          "field_x": BX}, out_dir=tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []               # refused before the run file exists


def test_switching_probability_follows_the_neel_brown_law_of_the_presets_parameters(tmp_path):
    """Independent oracle (tests/protocols/switching_oracle.py): the macrospin I_c0(B_x) and
    the barrier Delta_300 (1 - B_x/B_K)^2 from the preset's parameters, Brown's attempt time,
    Sharrock's I50(t); the Joule heating of the channel is off so the bath-temperature law
    holds.  The fit of the P(I) map recovers I_c0 and Delta, and each width's 50 % current is
    Sharrock's."""
    from switching_oracle import (barrier, bench_without_joule_heating, critical_current,
                                  sharrock_i50)
    from spinbench.analysis.switching_probability import fit_width_i50

    p = make_device("sot_hallbar", {}).p
    widths = (1e-3, 10e-3)
    i50 = {w: sharrock_i50(p, w, BX) for w in widths}
    amps = tuple(sorted({round(i50[w] * f, 7) for w in widths for f in (0.97, 0.99, 1.01, 1.03)}))
    params = {"amplitudes": amps, "widths": widths, "field_x": BX, "repeats": 80}
    result = run(SwitchingProbability, bench_without_joule_heating(tmp_path), params,
                 out_dir=tmp_path, seed=21, progress=False)
    assert result.status == RunStatus.COMPLETE
    with RunReader(result.path) as reader:
        df = reader.to_dataframe()
    fit = fit_neel_brown(df)
    ic0, delta = critical_current(p, BX), barrier(p, BX)
    print(f"fit I_c0 = {fit.ic0 * 1e3:.3f} +- {fit.ic0_err * 1e3:.3f} mA (law {ic0 * 1e3:.3f}), "
          f"Delta = {fit.delta:.1f} +- {fit.delta_err:.1f} (law {delta:.1f})")
    assert abs(fit.ic0 - ic0) < 4 * fit.ic0_err + 0.005 * ic0
    assert abs(fit.delta - delta) < 4 * fit.delta_err + 0.02 * delta
    measured = fit_width_i50(df).set_index("width")["i50"]
    for w in widths:
        assert measured[w] == pytest.approx(i50[w], rel=0.01)
