"""Switching loop and field loop end to end on the built-in simulated Hall bar."""
import math

import numpy as np
import pytest
import pyvisa

from spinbench.analysis.switching import analyze_loop
from spinbench.instruments.bench import Bench
from spinbench.protocols.base import CheckError, ParamError
from spinbench.protocols.runner import analyze, run
from spinbench.protocols.runstore import RunReader, RunStatus
from spinbench.protocols.switching import FieldLoop, SwitchingLoop
from spinbench.sim_backend.physics.presets import make_device


@pytest.fixture
def bench():
    return Bench.load("sot-hallbar")


def staircase_switching_point(dev, currents, width, b, state):
    """Mean and standard deviation of where a staircase of pulses first switches ``state``:
    P(first switch at step j) = S_(j-1) (1 - exp(-t_p / tau(I_j))), reported at the midpoint
    convention of :func:`analysis.switching.branch_switch` (half a step below I_j)."""
    hazard = np.array([width / dev.escape_time(state, i, b) for i in currents])
    survive = np.exp(-np.cumsum(hazard))
    p = np.concatenate(([1.0], survive[:-1])) * -np.expm1(-hazard)
    x = currents - 0.5 * (currents[1] - currents[0])
    mean = float(np.sum(p * x) / np.sum(p))
    return mean, float(np.sqrt(np.sum(p * (x - mean) ** 2) / np.sum(p)))


def test_switching_loop_has_the_coercive_currents_the_model_implies(bench, tmp_path):
    step, loops = 100e-6, 4
    params = {"current_max": 7e-3, "current_step": step, "pulse_width": 2e-3, "field_x": -10e-3,
              "loops": loops}
    result = run(SwitchingLoop, bench, params, out_dir=tmp_path, progress=False)
    assert result.status == RunStatus.COMPLETE
    df = RunReader(result.path).to_dataframe()
    assert len(df) == loops * 2 * (2 * 70 + 1)
    loop = analyze_loop(df)
    dev = make_device("sot_hallbar", {})                 # the bench's W/CoFeB Hall bar
    # with B_x < 0 on W (xi_DL < 0) positive current writes m_z = +1. A staircase gives every
    # step a chance (Neel-Brown hazard t_p / tau(I) summed over the steps), so it switches
    # below the one-pulse I50; compare with the staircase's own expected switching point
    currents = np.arange(0.0, 7e-3 + step / 2, step)
    mean, sd = staircase_switching_point(dev, currents, 2e-3, (-10e-3, 0.0, 0.0), -1.0)
    assert mean < dev.switching_current_50(-10e-3, 2e-3) - step
    tol = 3 * sd / math.sqrt(loops) + step / 2
    assert loop.up == pytest.approx(mean, abs=tol)
    assert loop.down == pytest.approx(-mean, abs=tol)
    assert abs(loop.shift) <= tol
    mz = math.sqrt(1 - (10e-3 / dev.p.b_k_eff) ** 2)
    assert loop.amplitude == pytest.approx(2 * dev.p.r_ahe * mz, rel=0.01)
    assert 0.5 * (loop.r_high + loop.r_low) == pytest.approx(dev.p.r_offset, abs=0.01)
    # the gaussmeter saw the assist field
    assert np.nanmean(df["field_measured"]) == pytest.approx(-10e-3, abs=0.2e-3)


def test_switching_reverses_with_the_in_plane_field(bench, tmp_path):
    params = {"current_max": 8e-3, "current_step": 400e-6, "field_x": 10e-3}
    df = RunReader(run(SwitchingLoop, bench, params, out_dir=tmp_path, progress=False).path).to_dataframe()
    up = df[(df.branch == 1) & (df.pulse_current > 7e-3)]
    assert len(up) and (up.hall_resistance < 0).all()   # with B_x > 0, positive current writes m = -1


def field_staircase_sd(dev, fields: np.ndarray, dwell: float) -> float:
    """Spread (T) of the field at which a staircase of out-of-plane field steps of ``dwell``
    each reverses the magnet: the Neel-Brown hazard ``dwell / tau(B)`` summed over the steps."""
    hazard = np.array([dwell / dev.escape_time(1.0, 0.0, (0.0, 0.0, -b)) for b in fields])
    survive = np.exp(-np.cumsum(hazard))
    p = np.concatenate(([1.0], survive[:-1])) * -np.expm1(-hazard)
    mean = float(np.sum(p * fields) / np.sum(p))
    return float(np.sqrt(np.sum(p * (fields - mean) ** 2) / np.sum(p)))


def test_field_loop_coercive_field_is_thermally_reduced(bench, tmp_path):
    params = {"field_max": 0.09, "field_step": 1e-3}
    result = run(FieldLoop, bench, params, out_dir=tmp_path, progress=False)
    df = RunReader(result.path).to_dataframe()
    loop = analyze_loop(df, x="field_set")
    dev = make_device("sot_hallbar", {})
    # the dwell per field step lies between 10 ms and 1 s; the coercive field of that dwell is
    # B_K,eff (1 - sqrt(ln(t / tau0 ln 2) / Delta)) (Stoner-Wohlfarth barrier, Neel-Brown)
    bc = [dev.switching_field_50(t) for t in (1.0, 10e-3)]
    assert bc[0] - 1e-3 <= loop.coercive <= bc[1] + 1e-3
    # the shift (up + down) / 2 of one loop: two independent switching fields, each spread by
    # the staircase's Neel-Brown hazard (sd ~2.5-2.8 mT for dwells of 10 ms .. 1 s)
    sd = max(field_staircase_sd(dev, np.arange(0.0, 0.09 + 0.5e-3, 1e-3), t) for t in (1.0, 10e-3))
    assert abs(loop.shift) <= 3 * sd / math.sqrt(2) + 0.5e-3 + 1e-12
    assert np.allclose(df["field"], df["field_set"], atol=0.4e-3)


def test_limits_refuse_before_any_command_reaches_an_instrument(bench, tmp_path):
    rm = pyvisa.ResourceManager(f"{bench.path}@spinbench")
    try:
        world = rm.visalib.world
        with pytest.raises(CheckError, match=r"current_max = 0\.05 A exceeds the bench limit"):
            run(SwitchingLoop, bench, {"current_max": 50e-3}, out_dir=tmp_path, progress=False)
        with pytest.raises(CheckError, match="field_x"):
            run(SwitchingLoop, bench, {"field_x": 0.5}, out_dir=tmp_path, progress=False)
        assert list(world.log) == []
        assert list(tmp_path.iterdir()) == []
    finally:
        rm.close()


def test_interrupted_loop_is_aborted_keeps_points_and_leaves_the_bench_safe(bench, tmp_path, monkeypatch):
    calls = {"n": 0}
    original = SwitchingLoop.measure

    def measure(self, roles, params, step):
        calls["n"] += 1
        if calls["n"] == 15:
            raise KeyboardInterrupt
        return original(self, roles, params, step)

    monkeypatch.setattr(SwitchingLoop, "measure", measure)
    rm = pyvisa.ResourceManager(f"{bench.path}@spinbench")
    try:
        world = rm.visalib.world
        with pytest.raises(KeyboardInterrupt):
            run(SwitchingLoop, bench, {"current_step": 1e-3}, out_dir=tmp_path, progress=False)
        reader = RunReader(next(tmp_path.glob("*.h5")))
        assert reader.status == RunStatus.ABORTED
        assert reader.n_points == 14
        # instruments safe: no current into the device (the SR830's sine output stays wired to
        # the channel, as on the real bench, at zero current), the magnets ramped to zero
        assert all(amps == 0.0 for _, amps in world.sources.values()), world.sources
        assert np.allclose(world.field, 0.0, atol=1e-6)
    finally:
        rm.close()
    monkeypatch.setattr(SwitchingLoop, "measure", original)
    done = run(SwitchingLoop, bench, resume=reader.path, progress=False)
    assert done.status == RunStatus.COMPLETE
    steps = RunReader(reader.path).to_dataframe()["step"].to_numpy()
    assert sorted(steps) == list(range(len(SwitchingLoop().steps(SwitchingLoop.validate_params({"current_step": 1e-3})))))


# ---- issue #4: in-plane field sweep, reset pulses (P(I)), pulse-delta loops -------------------

from spinbench.analysis.switching import analyze_field_loops  # noqa: E402


def single_pulse_probability(dev, current, width, b_x):
    """Device law of one pulse from the reset state: P = 1 - exp(-t / tau(I)); the reset before
    a write of sign s writes m_z = -sign(-s B_x) = s sign(B_x) (W: xi_DL < 0)."""
    start = math.copysign(1.0, current) * math.copysign(1.0, b_x)
    return -math.expm1(-width / dev.escape_time(start, current, (b_x, 0.0, 0.0)))


def test_polarity_reverses_with_hx_and_zero_field_reports_no_switching(bench, tmp_path):
    params = {"fields_x": "-10mT,0,10mT", "current_max": 8e-3, "current_step": 250e-6}
    df = RunReader(run(SwitchingLoop, bench, params, out_dir=tmp_path, progress=False).path).to_dataframe()
    assert sorted(np.unique(df["field_x"])) == pytest.approx([-10e-3, 0.0, 10e-3])
    res = {round(r.field_x * 1e3): r for r in analyze_field_loops(df)}
    dev = make_device("sot_hallbar", {})
    # m_z = -sign(I B_x): B_x < 0 -> positive current writes m_z = +1 (high R_H, r_ahe > 0)
    assert res[-10].switching and res[-10].polarity == 1
    assert res[10].switching and res[10].polarity == -1
    for r in (res[-10], res[10]):   # a staircase switches below the one-pulse I50, above 4 mA
        assert 4e-3 < r.up < dev.switching_current_50(10e-3, 1e-3) + 250e-6
        assert -dev.switching_current_50(10e-3, 1e-3) - 250e-6 < r.down < -4e-3
    assert not res[0].switching and res[0].verdict == "no switching"
    assert math.isnan(res[0].up) and math.isnan(res[0].down) and res[0].polarity == 0
    files = analyze(next(tmp_path.glob("*.h5")), tmp_path / "a")
    summary = next(p for p in files if p.name.endswith("_summary.json")).read_text()
    assert '"no switching"' in summary and any(p.name.endswith("_fields.png") for p in files)


def test_reset_pulses_turn_the_loop_into_the_single_pulse_p_of_i(bench, tmp_path):
    step, width, b_x, loops = 250e-6, 1e-3, 10e-3, 4
    params = {"current_max": 7e-3, "current_step": step, "pulse_width": width, "field_x": b_x,
              "loops": loops, "reset_current": 12e-3}
    df = RunReader(run(SwitchingLoop, bench, params, out_dir=tmp_path, progress=False).path).to_dataframe()
    assert (np.sign(df.reset_current) == -np.sign(df.pulse_current))[df.pulse_current != 0].all()
    (res,) = analyze_field_loops(df)
    dev = make_device("sot_hallbar", {})
    # every point is one independent trial: per |I| (both signs pooled, 2 branches x loops x 2
    # signs = 16 trials) the switched fraction lies within 3 binomial sigma (+ 1/n) of the law
    table = np.array(res.p_table)
    for a in np.unique(np.abs(table[:, 0])):
        rows = table[np.abs(table[:, 0]) == a]
        k, n = rows[:, 1].sum(), rows[:, 2].sum()
        p = single_pulse_probability(dev, a, width, b_x)
        assert abs(k / n - p) <= 3 * math.sqrt(p * (1 - p) / n) + 1 / n, (a, k, n, p)
    # and the 50 % points match the device's one-pulse I50 within a step + 0.15 mA (statistics)
    i50 = dev.switching_current_50(b_x, width)
    assert res.i50_pos == pytest.approx(i50, abs=step + 0.15e-3)
    assert res.i50_neg == pytest.approx(-i50, abs=step + 0.15e-3)


def test_pulse_delta_loop_agrees_with_the_device_and_the_list_mode(bench, tmp_path):
    dev = make_device("sot_hallbar", {})
    # (a) 200 us pulses with resets: P(I) 50 % point = the device's I50 at that width
    width, step = 200e-6, 250e-6
    params = {"mode": "pulse_delta", "pulse_width": width, "current_max": 7.5e-3, "current_step": step,
              "loops": 4, "reset_current": 12e-3}
    df = RunReader(run(SwitchingLoop, bench, params, out_dir=tmp_path / "a", progress=False).path).to_dataframe()
    (res,) = analyze_field_loops(df)
    i50 = dev.switching_current_50(10e-3, width)
    assert i50 > dev.switching_current_50(10e-3, 1e-3)          # shorter pulses need more current
    assert res.switching and res.polarity == -1
    assert res.i50_pos == pytest.approx(i50, abs=step + 0.15e-3)
    assert res.i50_neg == pytest.approx(-i50, abs=step + 0.15e-3)
    # (b) 1 ms staircase loop as one pulse-delta sweep per loop: the same switching points as
    # the list mode's (the staircase expectation the list-mode test checks), same levels
    step, loops = 100e-6, 4
    params = {"mode": "pulse_delta", "pulse_width": 1e-3, "current_max": 7e-3, "current_step": step,
              "field_x": -10e-3, "loops": loops}
    df = RunReader(run(SwitchingLoop, bench, params, out_dir=tmp_path / "b", progress=False).path).to_dataframe()
    assert len(df) == loops * 2 * 141 and np.isnan(df.v_plus).all()
    loop = analyze_loop(df)
    currents = np.arange(0.0, 7e-3 + step / 2, step)
    mean, sd = staircase_switching_point(dev, currents, 1e-3, (-10e-3, 0.0, 0.0), -1.0)
    tol = 3 * sd / math.sqrt(loops) + step / 2
    assert loop.up == pytest.approx(mean, abs=tol)
    assert loop.down == pytest.approx(-mean, abs=tol)
    mz = math.sqrt(1 - (10e-3 / dev.p.b_k_eff) ** 2)
    assert loop.amplitude == pytest.approx(2 * dev.p.r_ahe * mz, rel=0.01)
    assert 0.5 * (loop.r_high + loop.r_low) == pytest.approx(dev.p.r_offset, abs=0.01)


@pytest.mark.parametrize("params, match", [
    ({"mode": "pulse_delta", "pulse_width": 20e-6}, r"pulse_width = 2e-05 s is out of range \[5e-05, 10\] s"),
    ({"mode": "pulse_delta", "pulse_width": 20e-3}, r"pulse_width = 0\.02 s is outside the pulse_delta"),
    ({"pulse_width": 200e-6}, r"outside the list mode's range .*mode=pulse_delta"),
    ({"fields_x": "-10mT,0,150mT"}, r"fields_x = 0\.15 T exceeds the bench limit field_x\.max_field"),
    ({"fields_x": "10mT,abc"}, r"fields_x"),
    ({"reset_current": 30e-3}, r"reset_current = 0\.03 A exceeds the bench limit"),
])
def test_bad_widths_fields_and_resets_are_refused_before_any_command(bench, tmp_path, params, match):
    rm = pyvisa.ResourceManager(f"{bench.path}@spinbench")
    try:
        world = rm.visalib.world
        with pytest.raises((CheckError, ParamError), match=match):   # ParamError: the width's bounds
            run(SwitchingLoop, bench, params, out_dir=tmp_path, progress=False)
        assert list(world.log) == []
        assert list(tmp_path.iterdir()) == []
    finally:
        rm.close()


def test_field_loop_picks_the_gaussmeter_range_from_its_field_range(tmp_path):
    """A 425 whose probe sees the out-of-plane field starts on a range below the loop's 0.1 T:
    the run failed mid-way with "OL" before (sto-spectrum, issue 8); now the smallest range
    holding 0.1 T (0.35 T) is chosen up front, and a range given by the user that cannot hold
    the field is refused before any field is set."""
    import yaml

    from spinbench.sim_backend.benches import load_spec

    path, spec = load_spec("sot-hallbar")
    spec["sim"]["instruments"]["ASRL3::INSTR"]["connect"]["probe"] = "z"
    bench_file = tmp_path / "probe-z.yaml"
    bench_file.write_text(yaml.safe_dump(spec))
    bench = Bench.load(bench_file)
    result = run(FieldLoop, bench, {"field_step": 10e-3}, out_dir=tmp_path, progress=False)
    df = RunReader(result.path).to_dataframe()
    assert result.status == RunStatus.COMPLETE and len(df) == 2 * 21
    # the gaussmeter read the out-of-plane field all the way to +-0.1 T
    top = df[np.isclose(df.field_set, 0.1)]
    assert top.field_measured.to_numpy() == pytest.approx(0.1, abs=2e-3)
    with pytest.raises(CheckError, match=r"gaussmeter_range = 0.035 T .* largest field 0.1 T"):
        run(FieldLoop, bench, {"field_step": 10e-3, "gaussmeter_range": "35mT"},
            out_dir=tmp_path / "refused", progress=False)
    assert not (tmp_path / "refused").exists()


def test_staircase_loop_switches_where_the_presets_neel_brown_law_puts_it(tmp_path):
    """Independent oracle (tests/protocols/switching_oracle.py: Lee et al. I_c0, the
    Stoner-Wohlfarth barrier, Brown's attempt time; no Joule heating): a staircase of 2 ms
    pulses in 0.1 mA steps first switches at step j with probability
    S_(j-1) (1 - exp(-t_p / tau(I_j))), tau(I) = tau0 exp(Delta (1 - I/I_c0)); the loops'
    switching points agree with that distribution's mean."""
    from switching_oracle import bench_without_joule_heating, switching_probability

    step, loops, width, b_x = 100e-6, 4, 2e-3, -10e-3
    params = {"current_max": 7e-3, "current_step": step, "pulse_width": width, "field_x": b_x,
              "loops": loops}
    result = run(SwitchingLoop, bench_without_joule_heating(tmp_path), params, out_dir=tmp_path,
                 seed=6, progress=False)
    assert result.status == RunStatus.COMPLETE
    loop = analyze_loop(RunReader(result.path).to_dataframe())
    p = make_device("sot_hallbar", {}).p
    currents = np.arange(0.0, 7e-3 + step / 2, step)
    switch = np.array([switching_probability(p, i, width, b_x) for i in currents])
    first = np.concatenate(([1.0], np.cumprod(1 - switch)[:-1])) * switch
    x = currents - step / 2                      # analysis.switching.branch_switch: mid-step
    mean = float(np.sum(first * x) / np.sum(first))
    sd = float(np.sqrt(np.sum(first * (x - mean) ** 2) / np.sum(first)))
    tol = 3 * sd / math.sqrt(loops) + step / 2
    print(f"staircase switching at {loop.up * 1e3:.3f} / {loop.down * 1e3:.3f} mA, law "
          f"+-{mean * 1e3:.3f} mA (sd {sd * 1e3:.3f})")
    assert loop.up == pytest.approx(mean, abs=tol)
    assert loop.down == pytest.approx(-mean, abs=tol)
