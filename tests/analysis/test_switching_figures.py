"""Switching-loop figures and verdicts (issue 8, bugs 3, 4 and the rough edges of item 8)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spinbench.analysis.switching import (analyze_field_loops, branch_lines, deterministic_window,
                                          plot_field_loops, plot_loop)


def _square_loops(loops: int, ic: float = 3e-3, imax: float = 6e-3, step: float = 1e-3) -> pd.DataFrame:
    up = np.round(np.arange(-imax, imax + step / 2, step), 9)
    rows = []
    for k in range(loops):
        for branch, sweep in ((1, up), (-1, up[::-1])):
            for i in sweep:
                high = i < ic if branch == 1 else i <= -ic      # negative writes -> high
                rows.append({"loop": k, "branch": branch, "pulse_current": i, "field_x": 0.01,
                             "hall_resistance": 2.0 if (high if branch == 1 else not (i <= -ic) is False and high) else -2.0,
                             "reset_current": 0.0})
    df = pd.DataFrame(rows)
    # a clean staircase: state flips to low at +ic on the way up and to high at -ic on the way down
    state = []
    s = 1
    for _, row in df.iterrows():
        if row.pulse_current >= ic:
            s = -1
        elif row.pulse_current <= -ic:
            s = 1
        state.append(2.0 * s)
    df["hall_resistance"] = state
    return df


def test_multi_loop_lines_break_between_loops(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = _square_loops(3)
    xs, ys = branch_lines(df, 1)
    per = len(df) // 6
    assert np.isnan(xs).sum() == 2 and xs.size == 3 * per + 2      # one break per boundary
    assert np.isnan(xs[per]) and np.isnan(ys[per])
    captured = {}
    real = plt.Figure.savefig

    def grab(fig, *args, **kwargs):
        captured["lines"] = [(l.get_xdata(), l.get_ydata()) for l in fig.axes[0].get_lines()]
        return real(fig, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plt.Figure, "savefig", grab)
        plot_loop(df, tmp_path / "loop.png")
    for x, y in captured["lines"][:2]:                # the two branch lines
        x = np.asarray(x, dtype=float)
        finite = np.isfinite(x)
        # no segment of the drawn line joins a branch's end (+-6 mA) to the next one's start:
        # every finite-to-finite step is one sweep step
        jumps = np.abs(np.diff(x))[finite[1:] & finite[:-1]]
        assert jumps.max() == pytest.approx(1.0)      # mA
        assert np.isnan(x).sum() == 2


def test_verdict_follows_the_loop_when_the_top_currents_are_random():
    df = _square_loops(1, ic=3e-3, imax=12e-3, step=0.5e-3)
    rng = np.random.default_rng(1)
    top = np.abs(df.pulse_current) > 9e-3                         # random states up there
    df.loc[top, "hall_resistance"] = rng.choice([-2.0, 2.0], top.sum())
    (res,) = analyze_field_loops(df)
    assert res.switching and res.polarity == -1
    assert res.up == pytest.approx(2.75e-3) and res.down == pytest.approx(-2.75e-3)
    assert res.deterministic_max <= 9e-3 and "random above" in res.verdict
    # and with no switching at all (one state throughout) there is no window
    flat = df.assign(hall_resistance=np.where(np.arange(len(df)) % 7 == 0, -2.0, 2.0))
    assert np.isnan(deterministic_window(flat.pulse_current.to_numpy(),
                                         np.sign(flat.hall_resistance.to_numpy()))[0])


def test_sot_hallbar_at_18_mA_switches_in_summary_as_in_the_figure(tmp_path):
    """The new user's run: current_max = 18 mA on sot-hallbar switches near +-5.4 mA (the
    device's staircase), random states above ~16 mA; the summary said "no switching"."""
    from spinbench.instruments.bench import Bench
    from spinbench.protocols.runner import run
    from spinbench.protocols.runstore import RunReader
    from spinbench.protocols.switching import SwitchingLoop

    result = run(SwitchingLoop, Bench.load("sot-hallbar"),
                 {"current_max": 18e-3, "current_step": 1e-3}, out_dir=tmp_path, progress=False)
    (res,) = analyze_field_loops(RunReader(result.path).to_dataframe())
    assert res.switching and res.verdict.startswith("switching at")
    assert 4.0e-3 < res.up < 6.5e-3 and -6.5e-3 < res.down < -4.0e-3


def test_reset_scan_figure_plots_probability_not_resistance(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cur = np.repeat(np.concatenate([np.arange(1, 11), -np.arange(1, 11)]) * 1e-3, 8)
    rng = np.random.default_rng(2)
    p = 1 / (1 + np.exp(-(np.abs(cur) - 3.5e-3) / 0.3e-3))
    switched = rng.random(cur.size) < p
    state = np.where(cur > 0, np.where(switched, -1, 1), np.where(switched, 1, -1))
    df = pd.DataFrame({"loop": 0, "branch": 1, "pulse_current": cur, "field_x": 0.01,
                       "hall_resistance": 2.0 * state, "reset_current": -np.sign(cur) * 12e-3})
    results = analyze_field_loops(df)
    assert results[0].reset and results[0].switching
    captured = {}
    real = plt.Figure.savefig

    def grab(fig, *args, **kwargs):
        ax = fig.axes[0]
        captured["ylabel"] = ax.get_ylabel()
        captured["y"] = np.concatenate([np.asarray(l.get_ydata(), float) for l in ax.get_lines()
                                        if len(l.get_ydata()) > 2])
        return real(fig, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plt.Figure, "savefig", grab)
        plot_field_loops(df, results, tmp_path / "p.png")
    assert captured["ylabel"] == "switching probability"
    assert captured["y"].min() >= 0 and captured["y"].max() <= 1 and captured["y"].max() > 0.9


def test_sun_law_is_not_fitted_through_two_widths(tmp_path):
    from spinbench.analysis import switching_probability as sp

    assert sp.SUN_MIN_WIDTHS == 3


def test_spinloss_figure_uses_the_table_unit():
    import inspect

    from spinbench.analysis import spinloss as sc

    source = inspect.getsource(sc._plot)
    assert "(nJ)" in source and "µJ" not in source and "* 1e9" in source
