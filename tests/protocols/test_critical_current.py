"""critical-current-vs-width: adaptive 50 % currents across the 6221's pulse paths, and the
spin-loss comparison (energy per switch falls as spin absorption grows)."""
import numpy as np
import pytest

from spinbench.analysis.switching_probability import fit_neel_brown, fit_width_i50
from spinbench.instruments.bench import Bench
from spinbench.instruments.roles import WriteReadSequencer
from spinbench.protocols.base import CheckError
from spinbench.protocols.critical_current import CriticalCurrentVsWidth, bisection_probes
from spinbench.protocols.runner import run
from spinbench.protocols.runstore import RunReader, RunStatus
from spinbench.protocols.spinloss_comparison import compare_spinloss
from spinbench.protocols.switching_probability import write_path
from spinbench.sim_backend.physics.presets import make_device

BX = 10e-3


def test_write_path_follows_the_instrument_ranges():
    bench = Bench.load("sot-hallbar")
    seq = bench.capabilities("current_source", WriteReadSequencer)     # the 6221 + 2182A
    gen = bench.capabilities("pulse_generator")                          # the 33522B
    # 6221 manual: list-sweep delay from 1 ms, pulse-delta widths 50 us .. 12 ms
    assert write_path(5e-3, seq, None) == "list"
    assert write_path(1e-3, seq, None) == "list"
    assert write_path(200e-6, seq, None) == "pulse_delta"
    assert write_path(50e-6, seq, None) == "pulse_delta"
    # 33500B guide: pulse widths from 16 ns
    assert write_path(10e-9 * 2, seq, gen) == "pulse_generator"
    with pytest.raises(CheckError, match="pulse_generator"):
        write_path(10e-6, seq, None)
    with pytest.raises(CheckError, match=r"1\.6e-08"):
        write_path(10e-9, seq, gen)


def test_bisection_moves_the_bracket_by_the_measured_fraction():
    assert bisection_probes(0.0, 8.0, [0.9, 0.1, 0.6]) == (2.0, 3.0)


def test_adaptive_i50_matches_the_model_at_each_width(tmp_path):
    bench = Bench.load("sot-hallbar")
    widths = (200e-6, 1e-3, 10e-3)                     # pulse delta, then list sweeps
    params = {"widths": widths, "repeats": 60, "field_x": BX}
    result = run(CriticalCurrentVsWidth, bench, params, out_dir=tmp_path, seed=3, progress=False)
    assert result.status == RunStatus.COMPLETE
    with RunReader(result.path) as reader:
        df = reader.to_dataframe()
    dev = make_device("sot_hallbar", {})               # the bench's device
    i50 = fit_width_i50(df).set_index("width")["i50"]
    for w in widths:
        assert i50[w] == pytest.approx(dev.switching_current_50(BX, w), rel=0.02)
    assert i50[200e-6] > i50[1e-3] > i50[10e-3]       # longer pulses need less current
    # probes converge: the refinement probes sit within 10 % of the true 50 % current
    refine = df[df["stage"] == 1].groupby("width")["amplitude"].median()
    for w in widths:
        assert refine[w] == pytest.approx(dev.switching_current_50(BX, w), rel=0.1)
    fit = fit_neel_brown(df)
    # barrier Delta (1 - B_x/B_K,eff)^2 (1 - I/Ic0(B_x)), n = 1 (physics.thermal.pma_escape_times)
    assert fit.ic0 == pytest.approx(dev.critical_current(BX), rel=0.10)
    assert fit.delta == pytest.approx(dev.p.delta_300 * (1 - BX / dev.p.b_k_eff) ** 2, rel=0.15)


def test_energy_per_switch_falls_as_spin_loss_grows(tmp_path, capsys):
    summary = compare_spinloss(("spinloss-low", "spinloss-high"), tmp_path,
                               {"widths": (1e-3,), "repeats": 40}, seed=5, out=None)
    rows = {r["bench"]: r for r in summary["rows"]}
    low, high = rows["spinloss-low"], rows["spinloss-high"]
    assert low["absorption"] == 0.0 and high["absorption"] == 1.0
    assert high["jc0_A_per_m2"] < low["jc0_A_per_m2"]
    assert high["energy50_J"] < low["energy50_J"] and high["energy99_J"] < low["energy99_J"]
    ratio = summary["ratio_50"][1e-3]
    print(f"spin-loss energy ratio (E50, absorption 0 / 1, 1 ms): {ratio:.2f}x")
    # the preset's law: Ic0 down by sqrt(3), so E = I^2 R t down by ~3 at equal widths
    assert ratio == pytest.approx(3.0, rel=0.15)
    assert summary["csv"].exists() and summary["figure"].exists()
    assert "spin-loss energy ratio" in capsys.readouterr().out


def test_an_interrupted_bisection_resumes_mid_way_and_matches_the_uninterrupted_run(
        tmp_path, monkeypatch):
    from spinbench.protocols.runner import RunInterrupted

    bench = Bench.load("sot-hallbar")
    params = {"widths": (1e-3, 3e-3), "repeats": 20, "bisections": 4,
              "refine": (-0.03, 0.0, 0.03), "field_x": BX}
    full = run(CriticalCurrentVsWidth, bench, params, out_dir=tmp_path / "full", seed=9,
               progress=False)
    original = CriticalCurrentVsWidth.measure
    taken = []

    def measure(self, roles, values, step):
        if len(taken) == 5:          # second width, second bisection probe
            raise KeyboardInterrupt
        taken.append(step)
        return original(self, roles, values, step)

    monkeypatch.setattr(CriticalCurrentVsWidth, "measure", measure)
    with pytest.raises(RunInterrupted) as caught:
        run(CriticalCurrentVsWidth, bench, params, out_dir=tmp_path / "cut", seed=9,
            progress=False)
    assert caught.value.result.steps_done == 5 and caught.value.result.status == RunStatus.ABORTED
    monkeypatch.setattr(CriticalCurrentVsWidth, "measure", original)
    resumed = run(CriticalCurrentVsWidth, bench, resume=caught.value.result.path, progress=False)
    assert resumed.status == RunStatus.COMPLETE and resumed.steps_done == 14
    keys = ["step", "probe", "stage", "width", "amplitude", "repeat", "state_before",
            "state_after", "valid_reset", "switched", "r_before", "r_after"]
    with RunReader(full.path) as a, RunReader(resumed.path) as b:
        da, db = a.to_dataframe()[keys], b.to_dataframe()[keys]
        assert b.resumes[0]["steps_done_before"] == 5
    assert len(da) == 14 * 20
    assert da.equals(db)                                  # every decision and outcome, bit for bit
    # the decisions depended on the outcomes: four distinct bisection amplitudes per width,
    # each the midpoint of the bracket the earlier fractions left (bisection_probes)
    for width, group in da[da["stage"] == 0].groupby("width"):
        amps = group.groupby("probe")["amplitude"].first().to_numpy()
        assert len(set(amps)) == 4
        fractions = [g.loc[g["valid_reset"], "switched"].mean() if g["valid_reset"].any() else 0.0
                     for _, g in group.groupby("probe")]
        low, high = bisection_probes(2e-3, 10e-3, fractions[:2])
        assert amps[2] == pytest.approx(0.5 * (low + high), rel=1e-12)


def test_i50_versus_width_is_sharrocks_law_of_the_presets_parameters(tmp_path):
    """Independent oracle (tests/protocols/switching_oracle.py, no Joule heating): the adaptive
    50 % currents at 200 us, 1 ms and 10 ms are Sharrock's I_c0 (1 - ln(t/(tau0 ln 2))/Delta)
    with I_c0, Delta and tau0 computed from the preset's parameters, and their slope against
    ln t is -I_c0/Delta."""
    from switching_oracle import barrier, bench_without_joule_heating, critical_current, sharrock_i50

    p = make_device("sot_hallbar", {}).p
    widths = (200e-6, 1e-3, 10e-3)
    params = {"widths": widths, "repeats": 60, "field_x": BX}
    result = run(CriticalCurrentVsWidth, bench_without_joule_heating(tmp_path), params,
                 out_dir=tmp_path, seed=4, progress=False)
    assert result.status == RunStatus.COMPLETE
    with RunReader(result.path) as reader:
        df = reader.to_dataframe()
    i50 = fit_width_i50(df).set_index("width")["i50"]
    for w in widths:
        print(f"I50({w:g} s) = {i50[w] * 1e3:.3f} mA, Sharrock {sharrock_i50(p, w, BX) * 1e3:.3f} mA")
        assert i50[w] == pytest.approx(sharrock_i50(p, w, BX), rel=0.015)
    slope = np.polyfit(np.log(widths), [i50[w] for w in widths], 1)[0]
    assert slope == pytest.approx(-critical_current(p, BX) / barrier(p, BX), rel=0.15)
