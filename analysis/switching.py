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

from spinbench.analysis.registry import register


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
    ax.legend(fontsize=8, loc="center")     # the middle of a square loop is empty
    ax.grid(alpha=0.3)
    path = Path(path)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def _scale(unit: str) -> tuple[float, str]:
    return {"A": (1e3, "mA"), "T": (1e3, "mT")}.get(unit, (1.0, unit))


# ---- several in-plane fields, reset pulses (P(I) scans) -------------------------------------

#: a field's loop switches deterministically when the state after the largest positive writes
#: and after the largest negative writes differ in at least this fraction of points
DETERMINISTIC_CONTRAST = 0.8
#: the two Hall levels must be apart by this many robust standard deviations of the noise
LEVEL_SEPARATION = 10.0


@dataclass
class FieldResult:
    """Switching at one in-plane field (currents in A, field in T)."""

    field_x: float
    #: whether the current sign decides the final state ("no switching" otherwise)
    switching: bool
    #: state written by positive current: +1 high / -1 low Hall resistance, 0 without switching
    polarity: int
    #: staircase loops: switching points of the up / down branches (NaN without switching)
    up: float
    down: float
    shift: float
    coercive: float
    #: P(I) scans (resets): 50 % switching currents of positive / negative writes (NaN if not reached)
    i50_pos: float
    i50_neg: float
    #: fraction of the largest-|I| points of each sign in the positively written state
    contrast: float
    points: int
    loops: int
    reset: bool
    verdict: str
    #: P(I) table with resets: current -> (switched, trials)
    p_table: list | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _isotonic(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Non-decreasing least-squares fit (pool adjacent violators)."""
    blocks = [[float(v), float(wt), 1] for v, wt in zip(y, w)]
    out: list[list[float]] = []
    for b in blocks:
        out.append(b)
        while len(out) > 1 and out[-2][0] > out[-1][0]:
            v2, w2, n2 = out.pop()
            v1, w1, n1 = out.pop()
            wt = w1 + w2
            out.append([(v1 * w1 + v2 * w2) / wt if wt else 0.5 * (v1 + v2), wt, n1 + n2])
    return np.concatenate([[v] * int(n) for v, _, n in out])


def p50(currents: np.ndarray, switched: np.ndarray, trials: np.ndarray) -> float:
    """Current of 50 % switching from a P(I) table (|I| increasing): isotonic fit, linear
    interpolation of the 0.5 crossing; NaN if the fit never reaches 0.5."""
    order = np.argsort(np.abs(currents))
    i, k, n = np.abs(currents[order]), switched[order].astype(float), trials[order].astype(float)
    fit = _isotonic(np.where(n > 0, k / np.maximum(n, 1), 0.0), n)
    above = np.nonzero(fit >= 0.5)[0]
    if above.size == 0:
        return float("nan")
    j = above[0]
    if j == 0 or fit[j] == fit[j - 1]:
        return float(i[j])
    return float(i[j - 1] + (0.5 - fit[j - 1]) * (i[j] - i[j - 1]) / (fit[j] - fit[j - 1]))


def analyze_field_loops(df: pd.DataFrame, x: str = "pulse_current", r: str = "hall_resistance",
                        top_fraction: float = 0.1) -> list[FieldResult]:
    """Switching per in-plane field of a ``switching-loop`` run (one or several ``field_x``).

    The two Hall levels are found on the whole run (all fields pooled: at B_x = 0 a loop may
    stay in one state).  A field *switches* when the state after the largest positive writes
    (``|I| >= (1 - top_fraction) I_max``) differs from the state after the largest negative
    ones in at least :data:`DETERMINISTIC_CONTRAST` of the points, and the two levels stand
    :data:`LEVEL_SEPARATION` noise deviations apart; otherwise its verdict is "no switching"
    and no current is reported.  Without resets the switching points are those of
    :func:`analyze_loop` (staircase); with resets (``reset_current != 0``) every point is a
    single-pulse trial and the 50 % points of P(I) per sign are reported (:func:`p50`).
    """
    lo, hi, thr = two_levels(df[r].to_numpy())
    vals = df[r].to_numpy(dtype=float)
    vals = vals[np.isfinite(vals)]
    dev = np.concatenate([vals[vals <= thr] - lo, vals[vals > thr] - hi])
    noise = 1.4826 * float(np.median(np.abs(dev))) if dev.size else 0.0
    separated = (hi - lo) > LEVEL_SEPARATION * max(noise, 1e-12)
    fields = df["field_x"].to_numpy() if "field_x" in df else np.zeros(len(df))
    out = []
    for field in np.unique(fields):
        d = df[fields == field]
        cur = d[x].to_numpy(dtype=float)
        state = np.where(d[r].to_numpy(dtype=float) > thr, 1, -1)
        imax = np.max(np.abs(cur)) if cur.size else 0.0
        pos = cur >= (1 - top_fraction) * imax
        neg = cur <= -(1 - top_fraction) * imax
        f_pos = float(np.mean(state[pos] == 1)) if pos.any() else float("nan")
        f_neg = float(np.mean(state[neg] == 1)) if neg.any() else float("nan")
        contrast = abs(f_pos - f_neg) if np.isfinite(f_pos) and np.isfinite(f_neg) else 0.0
        switching = bool(separated and contrast >= DETERMINISTIC_CONTRAST)
        polarity = int(np.sign(f_pos - f_neg)) if switching else 0
        reset = bool("reset_current" in d and np.any(d["reset_current"].to_numpy() != 0))
        loops = int(d["loop"].nunique()) if "loop" in d else 1
        nan = float("nan")
        up = down = i50p = i50n = nan
        table = None
        if switching and reset:
            table = []
            res = {}
            for sign in (1, -1):
                m = np.sign(cur) == sign
                target = polarity * sign          # the state a write of this sign aims at
                cs = np.unique(cur[m])
                k = np.array([np.sum(state[m][cur[m] == c] == target) for c in cs])
                n = np.array([np.sum(cur[m] == c) for c in cs])
                table += [[float(c), int(kk), int(nn)] for c, kk, nn in zip(cs, k, n)]
                res[sign] = p50(cs, k, n)
            i50p, i50n = res[1], -res[-1]
        elif switching:
            loop = analyze_loop(d.assign(**{r: d[r].where(~d[r].isna())}), x=x, r=r)
            # analyze_loop splits levels on this field's data; the loop has both states here
            up, down = loop.up, loop.down
        if not switching:
            verdict = "no switching"
        elif reset:
            verdict = f"P(I): I50 = {i50p * 1e3:+.3g} / {i50n * 1e3:+.3g} mA"
        else:
            verdict = f"switching at {up * 1e3:+.3g} / {down * 1e3:+.3g} mA"
        out.append(FieldResult(field_x=float(field), switching=switching, polarity=polarity, up=up,
                               down=down, shift=0.5 * (up + down), coercive=0.5 * (up - down),
                               i50_pos=i50p, i50_neg=i50n, contrast=contrast, points=len(d),
                               loops=loops, reset=reset, verdict=verdict, p_table=table))
    return out


def plot_field_loops(df: pd.DataFrame, results: list[FieldResult], path: Path, *,
                     x: str = "pulse_current", r: str = "hall_resistance", title: str = "") -> Path:
    """One panel per in-plane field: the loop (branches coloured) and the verdict."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = max(1, len(results))
    fig, axes = plt.subplots(1, n, figsize=(3.6 * n + 0.8, 3.8), sharey=True, squeeze=False,
                             constrained_layout=True)
    fields = df["field_x"].to_numpy() if "field_x" in df else np.zeros(len(df))
    for ax, res in zip(axes[0], results):
        d = df[fields == res.field_x]
        for sign, colour in ((1, "tab:red"), (-1, "tab:blue")):
            b = d[d["branch"] == sign] if "branch" in d else d
            ax.plot(b[x] * 1e3, b[r], ".", color=colour, ms=3, alpha=0.7,
                    label="increasing" if sign == 1 else "decreasing")
        for v in (res.up, res.down, res.i50_pos, res.i50_neg):
            if np.isfinite(v):
                ax.axvline(v * 1e3, color="k", ls="--", lw=0.8)
        ax.set_title(f"B_x = {res.field_x * 1e3:+.3g} mT\n{res.verdict}", fontsize=9)
        ax.set_xlabel(f"{x.replace('_', ' ')} (mA)")
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("Hall resistance (Ω)")
    axes[0, 0].legend(fontsize=7, loc="upper left")
    if title:
        fig.suptitle(title, fontsize=10)
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


@register("switching-loop")
def analyze_switching_run(reader, outdir: Path, protocol: str = "switching-loop") -> list[Path]:
    """Figures and summaries of a ``switching-loop`` run: the classic single-loop figure and
    ``result`` when the run has one field and no resets (otherwise ``<stem>_fields.png``, one
    panel per field), plus always the per-field table (``<stem>_fields.csv``, ``fields`` in
    ``<stem>_summary.json``)."""
    import json

    df = reader.to_dataframe()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    stem = Path(reader.path).stem if hasattr(reader, "path") else "run"
    params = reader.params
    results = analyze_field_loops(df)
    written = []
    summary: dict = {"protocol": protocol, "params": params, "unit": "A",
                     "fields": [res.as_dict() for res in results]}
    single = len(results) == 1 and not results[0].reset
    if single and results[0].switching:
        loop = analyze_loop(df)
        title = f"SOT switching loop, B_x = {results[0].field_x:.3g} T, {params['pulse_width']:.3g} s pulses"
        written.append(plot_loop(df, outdir / f"{stem}.png", title=title, result=loop))
        summary["result"] = loop.as_dict()
    if not (single and results[0].switching):   # one plain loop: the figure above says it all
        written.append(plot_field_loops(df, results, outdir / f"{stem}_fields.png",
                                        title=f"{params.get('mode', 'list')} mode, {params['pulse_width']:.3g} s pulses"
                                              + (", reset before each write" if results and results[0].reset else "")))
    table = pd.DataFrame([{k: v for k, v in res.as_dict().items() if k != "p_table"} for res in results])
    csv = outdir / f"{stem}_fields.csv"
    table.to_csv(csv, index=False)
    path = outdir / f"{stem}_summary.json"
    path.write_text(json.dumps(summary, indent=2, default=float))
    return [*written, csv, path]


@register("field-loop")
def analyze_field_loop(reader, outdir: Path) -> list[Path]:
    """Figure and summary of a ``field-loop`` run: the anomalous-Hall loop against the
    out-of-plane field set point, its coercive fields (``<stem>.png``, ``<stem>_summary.json``)."""
    import json

    df = reader.to_dataframe()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    stem = Path(reader.path).stem
    params = reader.params
    result = analyze_loop(df, x="field_set")
    png = plot_loop(df, outdir / f"{stem}.png", x="field_set", x_unit="T",
                    title=f"Anomalous Hall loop, B_x = {params['field_x']:.3g} T", result=result)
    summary = outdir / f"{stem}_summary.json"
    summary.write_text(json.dumps({"protocol": reader.protocol, "params": params,
                                   "result": result.as_dict(), "unit": "T"}, indent=2,
                                  default=float))
    return [png, summary]
