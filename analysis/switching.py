"""Switching loops: switching currents (or fields), loop shift and the loop figure.

A loop is a sequence of write pulses (or field steps) with the Hall resistance read after each.
The two states are the two clusters of Hall resistance; a branch switches where the state
changes from its starting level to the other one.  The switching point of a branch is taken
midway between the last point in the old state and the first point in the new state (the
resolution is the step of the sweep, reported with the result).
"""
from __future__ import annotations

from dataclasses import dataclass, asdict
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass
class LoopResult:
    """Switching points of one loop (units of the swept quantity, A or T; resistances in ohm)."""

    #: switching point on the increasing branch (to the state favoured by positive drive)
    up: float
    #: switching point on the decreasing branch
    down: float
    #: (up + down) / 2: loop shift (effective bias field / current offset)
    shift: float
    #: (up - down) / 2: half width (coercive current or field)
    coercive: float
    #: Hall resistance of the two states and their difference
    r_high: float
    r_low: float
    #: step of the sweep (resolution of up/down)
    resolution: float
    #: number of loops averaged
    loops: int

    @property
    def amplitude(self) -> float:
        return self.r_high - self.r_low

    def as_dict(self) -> dict:
        d = asdict(self)
        d["amplitude"] = self.amplitude
        return d


def two_levels(r: np.ndarray) -> tuple[float, float, float]:
    """Split resistances into two states: (low level, high level, threshold)."""
    r = np.asarray(r, dtype=float)
    r = r[np.isfinite(r)]
    if r.size < 2:
        raise ValueError("need at least two readings to find two states")
    threshold = 0.5 * (r.min() + r.max())
    for _ in range(20):  # 1-D two-means (Lloyd), robust to outliers from noise
        lo, hi = r[r <= threshold], r[r > threshold]
        if lo.size == 0 or hi.size == 0:
            break
        new = 0.5 * (np.median(lo) + np.median(hi))
        if new == threshold:
            break
        threshold = new
    lo, hi = r[r <= threshold], r[r > threshold]
    return float(np.median(lo)) if lo.size else threshold, float(np.median(hi)) if hi.size else threshold, threshold


def branch_switch(x: np.ndarray, state: np.ndarray) -> float:
    """Point where a monotonic branch leaves its starting state for good: midpoint of the step."""
    x = np.asarray(x, dtype=float)
    state = np.asarray(state, dtype=bool)
    if state.size == 0 or state.all() or not state.any():
        return float("nan")
    final = state[-1]
    # last index still in the old state, after which every point is in the final state
    changed = np.nonzero(state != final)[0]
    k = changed[-1]
    if k + 1 >= x.size:
        return float("nan")
    return 0.5 * (x[k] + x[k + 1])


def analyze_loop(df: pd.DataFrame, x: str = "pulse_current", r: str = "hall_resistance",
                 branch: str = "branch", loop: str = "loop") -> LoopResult:
    """Switching points of each loop's up (branch=+1) and down (branch=-1) branches, averaged.

    The up branch is the part swept towards positive values, the down branch towards negative.
    """
    lo, hi, thr = two_levels(df[r].to_numpy())
    ups, downs = [], []
    loops = df[loop].unique() if loop in df else [0]
    for k in loops:
        d = df[df[loop] == k] if loop in df else df
        for sign, store in ((1, ups), (-1, downs)):
            b = d[d[branch] == sign]
            if len(b) < 2:
                continue
            store.append(branch_switch(b[x].to_numpy(), b[r].to_numpy() > thr))
    up = float(np.nanmean(ups)) if ups and np.isfinite(ups).any() else float("nan")
    down = float(np.nanmean(downs)) if downs and np.isfinite(downs).any() else float("nan")
    xs = np.unique(np.round(df[x].to_numpy(), 15))
    step = float(np.median(np.diff(xs))) if xs.size > 1 else float("nan")
    return LoopResult(up=up, down=down, shift=0.5 * (up + down), coercive=0.5 * (up - down),
                      r_high=hi, r_low=lo, resolution=step, loops=len(loops))


def plot_loop(df: pd.DataFrame, path: Path, *, x: str = "pulse_current", r: str = "hall_resistance",
              x_unit: str = "A", title: str = "", result: LoopResult | None = None) -> Path:
    """Hall resistance against the swept quantity, branches coloured, switching points marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scale, label = _scale(x_unit)
    fig, ax = plt.subplots(figsize=(6.4, 4.4), constrained_layout=True)
    colours = {1: "tab:red", -1: "tab:blue"}
    names = {1: "increasing", -1: "decreasing"}
    if "branch" in df:
        for sign in (1, -1):
            d = df[df["branch"] == sign]
            if len(d):
                ax.plot(d[x] * scale, d[r], ".-", color=colours[sign], lw=0.8, ms=4, alpha=0.8,
                        label=names[sign])
    else:
        ax.plot(df[x] * scale, df[r], ".-")
    if result is not None:
        for value, sign in ((result.up, 1), (result.down, -1)):
            if np.isfinite(value):
                ax.axvline(value * scale, color=colours[sign], ls="--", lw=0.8)
        title = (title + "\n" if title else "") + (
            f"switching at {result.up * scale:+.3g} / {result.down * scale:+.3g} {label}, "
            f"shift {result.shift * scale:+.3g} {label}, ΔR = {result.amplitude:.3g} Ω")
    ax.set_xlabel(f"{x.replace('_', ' ')} ({label})")
    ax.set_ylabel("Hall resistance (Ω)")
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    path = Path(path)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def _scale(unit: str) -> tuple[float, str]:
    return {"A": (1e3, "mA"), "T": (1e3, "mT")}.get(unit, (1.0, unit))
