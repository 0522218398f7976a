"""Synapse analysis against synthetic reads with known statistics (the generator is the oracle)."""
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from spinbench.analysis.synapse import (CTC_DEFINITIONS, ctc, device_to_device, distinguishable_states,
                                        ltp_ltd_metrics, measured_levels, separability, state_stats)


def _states(means, sigmas, cycles=4000, seed=0):
    rng = np.random.default_rng(seed)
    rows = [{"cycle": c, "state": k, "r_hall": m + s * rng.standard_normal()}
            for c in range(cycles) for k, (m, s) in enumerate(zip(means, sigmas, strict=True))]
    return pd.DataFrame(rows)


def test_the_three_ctc_definitions_recover_the_generated_spread_and_name_themselves():
    means = np.linspace(-2.0, 2.0, 11)          # window 4, steps 0.4
    sig = np.full(11, 0.08)                      # 2 % of the window
    df = _states(means, sig)
    w = ctc(df, "window")
    assert w["definition"] == "window" and w["mean"] == pytest.approx(0.02, rel=0.03)
    p = ctc(df, "per_state")
    assert p["definition"] == "per_state"
    assert p["per_state"][5] == pytest.approx(0.08 / 2.0, rel=0.05)   # sigma / |mu_5 - mu_0|
    s = ctc(df, "step")
    # independent states: the step spreads by sqrt(2) sigma
    assert s["definition"] == "step" and s["mean"] == pytest.approx(math.sqrt(2) * 0.08 / 0.4, rel=0.03)
    with pytest.raises(ValueError, match="per_state"):
        ctc(df, "relative")
    assert set(CTC_DEFINITIONS) == {"per_state", "window", "step"}


def test_separability_and_distinguishable_states_follow_the_gaussian_error_law():
    # 6 states 0.4 apart with sigma 0.1: neighbour error Q(0.4 / 0.2) = Q(2) = 2.3 %
    df = _states(np.arange(6) * 0.4, np.full(6, 0.1), cycles=20000, seed=1)
    sep = separability(df)
    assert sep["error_rate"].to_numpy() == pytest.approx(stats.norm.sf(2.0), rel=0.1)
    assert sep["empirical_error"].to_numpy() == pytest.approx(stats.norm.sf(2.0), rel=0.15)
    assert sep["d_prime"].to_numpy() == pytest.approx(4.0, rel=0.03)
    assert distinguishable_states(df, 0.05) == 6
    # at 1e-3 every other state: 0.8 apart, Q(4) = 3e-5
    assert distinguishable_states(df, 1e-3) == 3


def test_ltp_ltd_metrics_of_a_linear_and_of_an_exponential_device():
    n, cycles = 30, 5
    rows = []
    for c in range(cycles):
        rows.append({"cycle": c, "pulse": 0, "phase": 0, "r_hall": 0.0})
        for k in range(1, n + 1):
            rows.append({"cycle": c, "pulse": k, "phase": 1, "r_hall": k / n})
        for k in range(1, n + 1):
            rows.append({"cycle": c, "pulse": n + k, "phase": -1, "r_hall": 1 - k / n})
    lin = ltp_ltd_metrics(pd.DataFrame(rows))
    assert lin["nonlinearity_ltp"] < 1e-9 and lin["asymmetry"] < 1e-9 and lin["dynamic_range"] == pytest.approx(1.0)
    assert lin["a_ltp_pulses"] == math.inf and lin["a_ltd_pulses"] == math.inf      # a straight line: no constant
    a = 6.0
    g = lambda k: (1 - np.exp(-k / a)) / (1 - np.exp(-n / a))  # noqa: E731
    rows = []
    for c in range(cycles):
        rows.append({"cycle": c, "pulse": 0, "phase": 0, "r_hall": 0.0})
        rows += [{"cycle": c, "pulse": k, "phase": 1, "r_hall": g(k)} for k in range(1, n + 1)]
        rows += [{"cycle": c, "pulse": n + k, "phase": -1, "r_hall": 1 - g(k)} for k in range(1, n + 1)]
    ex = ltp_ltd_metrics(pd.DataFrame(rows))
    assert ex["a_ltp_pulses"] == pytest.approx(a, rel=0.02) and ex["a_ltd_pulses"] == pytest.approx(a, rel=0.02)
    k = np.arange(n + 1)
    assert ex["nonlinearity_ltp"] == pytest.approx(np.max(np.abs(g(k) - k / n)), rel=1e-6)
    # a depression mirroring the potentiation (fast first) is asymmetric: G_P(k) vs G_D(n-k)
    assert ex["asymmetry"] == pytest.approx(np.max(np.abs(g(k) - (1 - g(n - k)))), rel=1e-6)


def test_device_to_device_spread_of_state_means():
    base = np.linspace(0.0, 1.0, 5)
    rng = np.random.default_rng(3)
    runs = {f"d{i}": _states(base + 0.05 * rng.standard_normal(), np.full(5, 0.01), cycles=200, seed=i)
            for i in range(40)}
    d2d = device_to_device(runs)
    assert d2d["d2d_mean"] == pytest.approx(0.05, rel=0.25)       # the generated offset spread
    assert d2d["window_spread"] < 0.02


def test_measured_levels_are_the_normalised_state_means():
    df = _states([1.0, 1.5, 3.0], [0.01] * 3, cycles=500)
    assert measured_levels(df) == pytest.approx([0.0, 0.25, 1.0], abs=0.01)
    assert list(state_stats(df)["n"]) == [500] * 3
