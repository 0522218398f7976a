"""Multi-state synapse analysis: per-state statistics, cycle-to-cycle (CTC) variation under the
three definitions in use, separability, distinguishable states, LTP/LTD metrics and
device-to-device variation.

CTC definitions (the name travels with every number: ``{"definition": ..., ...}``)
------------------------------------------------------------------------------
``per_state``  sigma_k / |mu_k - mu_0|: the spread of state k relative to its programmed weight
               (the change from the reset state 0; for a conductance read-out with G_0 ~ 0 this
               is the customary sigma/mu). Undefined (NaN) for state 0.
``window``     sigma_k / (mu_max - mu_min): the spread relative to the full switching window.
``step``       std_c(Delta_k) / mean_c(Delta_k) of the step Delta_k = x_k - x_(k-1) between
               neighbouring states read in the same cycle (step-size variation).
The summary of each is the mean over the interior states (1 .. L-2 for ``window``; all defined
states for the others) and the maximum.

Separability and distinguishable states (Gaussian states)
---------------------------------------------------------
Two states a < b are told apart by the threshold placed where both error tails are equal,
``t = mu_a + (mu_b - mu_a) sigma_a / (sigma_a + sigma_b)``; the error rate on either side is
``Q(|mu_b - mu_a| / (sigma_a + sigma_b))`` (Q the normal tail). ``d' = |mu_b - mu_a| /
sqrt((sigma_a^2 + sigma_b^2)/2)`` is reported too, and the empirical misclassification at that
threshold. The number of distinguishable states at an error rate ``e`` is the largest chain of
states, taken greedily from the lowest mean, whose consecutive members are told apart with an
error rate <= e.

LTP / LTD
---------
Per cycle the weight after each potentiating pulse, ``G_P(n)``, and after each depressing
pulse, ``G_D(n)``, n = 1 .. N, are normalised to the cycle's range. Nonlinearity: the largest
deviation from the straight line between the train's end points (fraction of the range), and
the exponential constant A (pulses) of ``G(n) = G_0 + B (1 - exp(-n/A))`` fitted to the mean
train (NeuroSim's device model, Chen et al., IEEE TCAD 37, 3067 (2018)). Asymmetry:
``max_n |G_P(n) - G_D(N - n)|`` over the normalised mean curves (0 for a depression that
retraces the potentiation).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from spinbench.analysis.registry import register, register_comparison
from spinbench.analysis.strict_json import write_summary

__all__ = ["CTC_DEFINITIONS", "state_stats", "ctc", "separability", "distinguishable_states",
           "ltp_ltd_metrics", "device_to_device", "analyze_run", "analyze_ltp_ltd_run",
           "measured_levels"]

CTC_DEFINITIONS = ("per_state", "window", "step")


def state_stats(df: pd.DataFrame, value: str = "r_hall") -> pd.DataFrame:
    """Per state: number of reads, mean, standard deviation (ddof=1), min, max of ``value``.

    For amplitude-coded runs every read after a reset is a state-0 read."""
    g = df.groupby("state")[value]
    out = pd.DataFrame({"n": g.size(), "mean": g.mean(), "std": g.std(ddof=1),
                        "min": g.min(), "max": g.max()})
    out.index.name = "state"
    return out


def measured_levels(df: pd.DataFrame, value: str = "r_hall") -> np.ndarray:
    """The device's measured state means, normalised to [0, 1] over the window (for
    device-aware quantization, :mod:`analysis.quantization`), sorted ascending."""
    m = state_stats(df, value)["mean"].to_numpy()
    m = np.sort(m)
    return (m - m[0]) / (m[-1] - m[0])


def _steps_by_cycle(df: pd.DataFrame, value: str) -> pd.DataFrame:
    """Cycle x state table of one read per (cycle, state): the last read of each state in a
    cycle (amplitude coding stores one read of state 0 per written state)."""
    return df.groupby(["cycle", "state"])[value].last().unstack("state").sort_index(axis=1)


def ctc(df: pd.DataFrame, definition: str = "window", value: str = "r_hall") -> dict[str, Any]:
    """CTC variation under ``definition`` (one of :data:`CTC_DEFINITIONS`), as fractions.

    Returns ``{"definition", "per_state": [...], "mean", "max", "states"}``; ``states`` are the
    state indices the list runs over."""
    if definition not in CTC_DEFINITIONS:
        raise ValueError(f"CTC definition must be one of {CTC_DEFINITIONS}, got {definition!r}")
    st = state_stats(df, value)
    mu, sd = st["mean"].to_numpy(), st["std"].to_numpy()
    states = st.index.to_numpy()
    if definition == "per_state":
        base = mu[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            per = np.where(states == states[0], np.nan, sd / np.abs(mu - base))
        interior = per[1:]
    elif definition == "window":
        per = sd / (mu.max() - mu.min())
        interior = per[1:-1] if per.size > 2 else per
    else:
        table = _steps_by_cycle(df, value)
        steps = table.diff(axis=1).iloc[:, 1:]
        with np.errstate(divide="ignore", invalid="ignore"):
            per = (steps.std(ddof=1) / steps.mean().abs()).to_numpy()
        states = steps.columns.to_numpy()
        interior = per
    finite = interior[np.isfinite(interior)]
    return {"definition": definition, "states": [int(s) for s in states],
            "per_state": [float(v) for v in per],
            "mean": float(np.mean(finite)) if finite.size else math.nan,
            "max": float(np.max(finite)) if finite.size else math.nan}


def separability(df: pd.DataFrame, value: str = "r_hall") -> pd.DataFrame:
    """Neighbouring states (by mean): d', the Gaussian error rate at the equal-tail threshold
    and the empirical misclassification there. One row per neighbour pair."""
    st = state_stats(df, value).sort_values("mean")
    rows = []
    idx = st.index.to_numpy()
    for a, b in zip(idx[:-1], idx[1:], strict=True):
        ma, sa = st.loc[a, "mean"], st.loc[a, "std"]
        mb, sb = st.loc[b, "mean"], st.loc[b, "std"]
        gap = mb - ma
        t = ma + gap * sa / (sa + sb) if sa + sb > 0 else 0.5 * (ma + mb)
        err = float(stats.norm.sf(gap / (sa + sb))) if sa + sb > 0 else 0.0
        xa = df.loc[df["state"] == a, value].to_numpy()
        xb = df.loc[df["state"] == b, value].to_numpy()
        emp = 0.5 * (np.mean(xa > t) + np.mean(xb < t))
        rows.append({"state_a": int(a), "state_b": int(b), "gap": float(gap),
                     "d_prime": float(gap / math.sqrt(0.5 * (sa ** 2 + sb ** 2))) if sa + sb > 0 else math.inf,
                     "error_rate": err, "empirical_error": float(emp), "threshold": float(t)})
    return pd.DataFrame(rows)


def distinguishable_states(df: pd.DataFrame, error_rate: float = 1e-2, value: str = "r_hall") -> int:
    """The number of states told apart pairwise (greedy chain from the lowest mean) with a
    Gaussian error rate <= ``error_rate`` between consecutive members."""
    st = state_stats(df, value).sort_values("mean")
    mu, sd = st["mean"].to_numpy(), st["std"].fillna(0.0).to_numpy()
    chain = [0]
    for k in range(1, mu.size):
        a = chain[-1]
        s = sd[a] + sd[k]
        err = stats.norm.sf((mu[k] - mu[a]) / s) if s > 0 else (0.0 if mu[k] > mu[a] else 0.5)
        if err <= error_rate:
            chain.append(k)
    return len(chain)


# --------------------------------------------------------------------------- LTP / LTD
def _exp_constant(n: np.ndarray, g: np.ndarray) -> float:
    """A of ``g = g0 + B (1 - exp(-n / A))`` (least squares; inf for a straight line: A beyond
    20 trains, where the curve departs from a line by < 0.7 % of its range)."""
    def resid(p):
        g0, b, log_a = p
        return g0 + b * (1 - np.exp(-n / math.exp(log_a))) - g
    try:
        sol = optimize.least_squares(resid, x0=(g[0], g[-1] - g[0], math.log(max(n[-1] / 3, 1.0))),
                                     bounds=((-np.inf, -np.inf, math.log(0.05)), (np.inf, np.inf, math.log(1e4))))
    except ValueError:
        return math.nan
    a = float(math.exp(sol.x[2]))
    # over a train of n pulses a constant above 20 n bends the curve by < 0.7 % of its range:
    # no curvature the fit can tell from a straight line
    return math.inf if a > 20 * float(n[-1]) else a


def ltp_ltd_metrics(df: pd.DataFrame, value: str = "r_hall") -> dict[str, Any]:
    """Nonlinearity (largest deviation from linear, fraction of range; exponential constant A
    in pulses) of potentiation and depression, their asymmetry, the dynamic range and the
    cycle-to-cycle spread of the end points (fractions of the mean range)."""
    ltp = df[df["phase"] == 1].pivot_table(index="cycle", columns="pulse", values=value)
    ltd = df[df["phase"] == -1].pivot_table(index="cycle", columns="pulse", values=value)
    start = df[df["phase"] == 0].set_index("cycle")[value]
    n = ltp.shape[1]
    p_curves = np.column_stack([start.reindex(ltp.index).to_numpy(), ltp.to_numpy()])
    d_curves = np.column_stack([ltp.to_numpy()[:, -1], ltd.to_numpy()])
    g_min, g_max = float(np.mean(p_curves[:, 0])), float(np.mean(p_curves[:, -1]))
    span = g_max - g_min
    pulses = np.arange(n + 1, dtype=float)

    def nonlinearity(curve):
        c = (curve - curve[0]) / (curve[-1] - curve[0])
        return float(np.max(np.abs(c - pulses / n)))

    gp = (p_curves.mean(axis=0) - g_min) / span
    gd = (d_curves.mean(axis=0) - g_min) / span
    asym = float(np.max(np.abs(gp - gd[::-1])))
    return {"n_pulses": int(n), "cycles": int(ltp.shape[0]), "g_min": g_min, "g_max": g_max,
            "dynamic_range": span,
            "nonlinearity_ltp": nonlinearity(p_curves.mean(axis=0)),
            "nonlinearity_ltd": nonlinearity(-d_curves.mean(axis=0)),
            "a_ltp_pulses": _exp_constant(pulses, gp), "a_ltd_pulses": _exp_constant(pulses, 1 - gd),
            "asymmetry": asym,
            "ctc_gmax": float(np.std(p_curves[:, -1], ddof=1) / span) if p_curves.shape[0] > 1 else math.nan,
            "ctc_gmin": float(np.std(d_curves[:, -1], ddof=1) / span) if d_curves.shape[0] > 1 else math.nan,
            "mean_ltp": gp.tolist(), "mean_ltd": gd.tolist()}


# --------------------------------------------------------------------------- devices
def device_to_device(runs: Mapping[str, pd.DataFrame], value: str = "r_hall") -> dict[str, Any]:
    """Device-to-device variation over several devices' ctc-states runs: per state, the spread
    of the devices' means relative to the mean window (``d2d_per_state``), its mean over the
    interior states, the relative spread of the windows, and the per-device CTC (window)."""
    means = {name: state_stats(df, value)["mean"] for name, df in runs.items()}
    table = pd.DataFrame(means)                       # state x device
    windows = table.max() - table.min()
    per_state = table.std(axis=1, ddof=1) / windows.mean()
    interior = per_state.iloc[1:-1] if len(per_state) > 2 else per_state
    return {"devices": list(runs), "d2d_per_state": [float(v) for v in per_state],
            "d2d_mean": float(interior.mean()),
            "window_spread": float(windows.std(ddof=1) / windows.mean()),
            "ctc_window": {name: ctc(df, "window", value)["mean"] for name, df in runs.items()}}


# --------------------------------------------------------------------------- run files
def _plot_states(df: pd.DataFrame, st: pd.DataFrame, path: Path, title: str, distinct: int | None = None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    for k, g in df.groupby("state"):
        a1.plot(g["cycle"], g["r_hall"], ".", ms=1.5, label=str(k))
        a2.hist(g["r_hall"], bins=40, histtype="stepfilled", alpha=0.6)
    a1.set_xlabel("cycle")
    a1.set_ylabel("R_xy (ohm)")
    a2.set_xlabel("R_xy (ohm)")
    a2.set_ylabel("reads")
    a1.set_title(title)
    verdict = "" if distinct is None else (f": {distinct} distinguishable at 1 % error" if distinct > 1 else
                                           ": not distinguishable at 1 % error (no multi-state response)")
    a2.set_title(f"{len(st)} states written{verdict}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


@register("ctc-states")
def analyze_run(reader, outdir: Path, error_rates=(1e-2, 1e-3)) -> list[Path]:
    """A ctc-states run: ``<stem>_states.png`` and ``<stem>_summary.json`` (per-state stats,
    CTC under every definition, separability, distinguishable states per error rate)."""
    outdir = Path(outdir)
    df = reader.to_dataframe()
    stem = Path(reader.path).stem
    st = state_stats(df)
    summary = {"protocol": reader.protocol, "params": reader.params,
               "states": st.reset_index().to_dict("records"),
               "ctc": {d: ctc(df, d) for d in CTC_DEFINITIONS},
               "separability": separability(df).to_dict("records"),
               "distinguishable_states": {f"{e:g}": distinguishable_states(df, e) for e in error_rates},
               "levels": measured_levels(df).tolist()}
    path = outdir / f"{stem}_summary.json"
    outdir.mkdir(parents=True, exist_ok=True)
    write_summary(path, summary)
    distinct = summary["distinguishable_states"].get("0.01")
    return [_plot_states(df, st, outdir / f"{stem}_states.png", reader.protocol, distinct), path]


@register("potentiation-depression")
def analyze_ltp_ltd_run(reader, outdir: Path) -> list[Path]:
    """A potentiation-depression run: ``<stem>_ltp_ltd.png`` and ``<stem>_summary.json``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    df = reader.to_dataframe()
    stem = Path(reader.path).stem
    m = ltp_ltd_metrics(df)
    fig, ax = plt.subplots(figsize=(6, 4))
    for _, g in df.groupby("cycle"):
        ax.plot(g["pulse"], g["r_hall"], "-", lw=0.5, color="0.6")
    n = m["n_pulses"]
    ax.plot(np.arange(n + 1), m["g_min"] + m["dynamic_range"] * np.asarray(m["mean_ltp"]), "C0-", label="LTP (mean)")
    ax.plot(np.arange(n, 2 * n + 1), m["g_min"] + m["dynamic_range"] * np.asarray(m["mean_ltd"]), "C3-", label="LTD (mean)")
    ax.set_xlabel("pulse")
    ax.set_ylabel("R_xy (ohm)")
    ax.set_title(f"NL {m['nonlinearity_ltp']:.2f}/{m['nonlinearity_ltd']:.2f}, asym {m['asymmetry']:.2f}")
    ax.legend()
    fig.tight_layout()
    fig_path = outdir / f"{stem}_ltp_ltd.png"
    fig.savefig(fig_path, dpi=100)
    plt.close(fig)
    path = outdir / f"{stem}_summary.json"
    write_summary(path, {"protocol": reader.protocol, "params": reader.params, **m})
    return [fig_path, path]


@register_comparison("synapse-array")
def compare_array(runs, outdir: Path, names=None) -> dict[str, Any]:
    """Device-to-device variation over ctc-states runs (one per device):
    ``<outdir>/synapse_array_summary.json`` and ``synapse_array.png`` (state means per device)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from spinbench.protocols.runstore import RunReader

    frames = {}
    for i, path in enumerate(runs):
        with RunReader(path) as reader:
            frames[names[i] if names else Path(path).stem] = reader.to_dataframe()
    summary = device_to_device(frames)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name, df in frames.items():
        st = state_stats(df)
        ax.errorbar(st.index, st["mean"], yerr=st["std"], fmt="o-", ms=3, capsize=2, label=name)
    ax.set_xlabel("state")
    ax.set_ylabel("R_xy (ohm)")
    ax.set_title(f"D2D {100 * summary['d2d_mean']:.1f} % of window")
    ax.legend()
    fig.tight_layout()
    fig.savefig(outdir / "synapse_array.png", dpi=100)
    plt.close(fig)
    write_summary(outdir / "synapse_array_summary.json", summary)
    return summary
