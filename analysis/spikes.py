"""Spike counting, rates and the Arrhenius fit of ``spike-statistics`` runs.

* Detection per record: baseline = median, noise = 1.4826 MAD (robust to the spikes themselves),
  a spike = an upward crossing of ``baseline + k_sigma noise`` (k_sigma = 6), re-armed only
  below half that height (hysteresis).  Two spikes closer
  than their decay above the threshold count once (dead time ~ tau ln(A / threshold)).
* Rate per (state, power, bias) = spikes / recorded time, Poisson error sqrt(N) / T.
* Arrhenius-like law (the thermally activated events of Oberbauer et al. 2025):
  ``r = f0 exp(-E_s (1 - |I|/I_s) / (k_B T_j))``, ``T_j = T_bath + (K/W) P`` from the run's
  thermal calibration; fitted by weighted least squares on ln r (:func:`fit_arrhenius`).
* Figure: spike raster (one row per capture), rate vs bias per power, ln r vs 1/T_j with the fit.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from spinbench.analysis.strict_json import write_summary
from scipy.optimize import curve_fit

from spinbench.sim_backend.physics.constants import E_CHARGE, KB

try:
    from spinbench.analysis.registry import register as _register
except ImportError:  # pragma: no cover
    def _register(*names):
        return lambda func: func

__all__ = ["detect_spikes", "spike_rates", "fit_arrhenius", "analyze_run"]

K_SIGMA = 6.0


def detect_spikes(t: np.ndarray, v: np.ndarray, k_sigma: float = K_SIGMA) -> np.ndarray:
    """Times of spikes: upward crossings of ``baseline + k_sigma noise``, with hysteresis (a new
    spike only after the signal fell below ``baseline + k_sigma noise / 2``: noise on a decaying
    tail does not count twice)."""
    v = np.asarray(v, dtype=float)
    base = float(np.median(v))
    noise = 1.4826 * float(np.median(np.abs(v - base)))
    levels = np.unique(v)
    lsb = float(np.min(np.diff(levels))) if len(levels) > 1 else 0.0
    hi = base + max(k_sigma * noise, 3 * lsb)
    lo = base + 0.5 * (hi - base)
    above = v > hi
    cross = np.nonzero(above[1:] & ~above[:-1])[0] + 1
    low = np.nonzero(v < lo)[0]
    kept, last = [], -1
    for c in cross:
        if last < 0:
            kept.append(c)
            last = c
            continue
        k = np.searchsorted(low, last, side="right")
        if k < len(low) and low[k] < c:
            kept.append(c)
            last = c
    return np.asarray(t)[np.asarray(kept, dtype=int)]


def spike_rates(frame, times_per_row: list[np.ndarray]) -> list[dict[str, float]]:
    """Counts and rates per (state, power, bias)."""
    frame = frame.assign(count=[len(x) for x in times_per_row])
    out = []
    for (state, power, bias), grp in frame.groupby(["state", "power", "bias"], sort=True):
        n, dur = int(grp["count"].sum()), float(grp["duration"].sum())
        out.append({"state": float(state), "power": float(power), "bias": float(bias), "count": n,
                    "time": dur, "rate": n / dur, "rate_err": max(np.sqrt(n), 1.0) / dur})
    return out


def fit_arrhenius(rates: list[dict[str, float]], t_bath: float, kelvin_per_watt: float) -> dict[str, float]:
    """Weighted least squares of ln r = ln f0 - E_s (1 - |I|/I_s) / (k_B T_j) over the points
    with at least 5 counts; returns E_s (J and eV), I_s (A), f0 (1/s) and their errors."""
    pts = [r for r in rates if r["count"] >= 5]
    if len(pts) < 3:
        raise ValueError(f"only {len(pts)} points with >= 5 spikes: too few to fit")
    i = np.array([abs(r["bias"]) for r in pts])
    tj = np.array([t_bath + kelvin_per_watt * r["power"] for r in pts])
    y = np.log([r["rate"] for r in pts])
    sigma = np.array([1.0 / np.sqrt(r["count"]) for r in pts])      # d ln r = dN / N

    def model(x, ln_f0, e_ev, i_s_ma):
        ii, tt = x
        return ln_f0 - e_ev * E_CHARGE * (1 - ii / (i_s_ma * 1e-3)) / (KB * tt)

    popt, pcov = curve_fit(model, (i, tj), y, p0=(np.log(1e9), 0.4, 5.0), sigma=sigma,
                           absolute_sigma=True, maxfev=20000)
    err = np.sqrt(np.clip(np.diag(pcov), 0, None))
    return {"f0": float(np.exp(popt[0])), "ln_f0_err": float(err[0]), "e_spike_eV": float(popt[1]),
            "e_spike_eV_err": float(err[1]), "e_spike": float(popt[1] * E_CHARGE),
            "i_spike": float(popt[2] * 1e-3), "i_spike_err": float(err[2] * 1e-3), "points": len(pts)}


def _figure(frame, times, rates, fit, t_bath, kpw, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    ax = axes[0]
    for row, ts in enumerate(times):
        ax.plot(ts * 1e3, np.full(len(ts), row), "|", color="k", ms=4)
    ax.set_xlabel("time in capture (ms)")
    ax.set_ylabel("capture (grouped by state, power, bias)")
    ax.set_title("spike raster")
    ax = axes[1]
    for power in sorted({r["power"] for r in rates}):
        sel = [r for r in rates if r["power"] == power]
        ax.errorbar([r["bias"] * 1e3 for r in sel], [r["rate"] for r in sel],
                    [r["rate_err"] for r in sel], fmt="o-", ms=3, label=f"{power * 1e3:.0f} mW")
    ax.set_yscale("log")
    ax.set_xlabel("bias (mA)")
    ax.set_ylabel("spike rate (1/s)")
    ax.set_title("rate vs bias and laser power")
    ax.legend(fontsize=7)
    ax = axes[2]
    for bias in sorted({r["bias"] for r in rates}):
        sel = [r for r in rates if r["bias"] == bias and r["count"] > 0]
        tj = np.array([t_bath + kpw * r["power"] for r in sel])
        ax.plot(1e3 / tj, np.log([r["rate"] for r in sel]), "o", ms=4, label=f"{bias * 1e3:.2f} mA")
        if fit and "e_spike" in fit and len(tj):
            tt = np.linspace(tj.min(), tj.max(), 20)
            ax.plot(1e3 / tt, np.log(fit["f0"]) - fit["e_spike"] * (1 - abs(bias) / fit["i_spike"]) / (KB * tt), "-")
    ax.set_xlabel("1000 / T_junction (1/K)")
    ax.set_ylabel("ln rate")
    if fit and "e_spike_eV" in fit:
        ax.set_title(f"Arrhenius: E_s = {fit['e_spike_eV']:.3f} eV, I_s = {fit['i_spike'] * 1e3:.2f} mA")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


@_register("spike-statistics")
def analyze_run(reader, outdir: Path) -> list[Path]:
    """Detect, count, fit; write ``<stem>_spikes.json`` and the figure."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    frame = reader.to_dataframe()
    params = reader.params
    t, values = reader.trace("record")
    times = [detect_spikes(t[k] if t.ndim == 2 else t, values[k]) for k in range(len(frame))]
    rates = spike_rates(frame, times)
    t_bath, kpw = float(params["bath_temperature"]), float(params["junction_kelvin_per_watt"])
    try:
        fit: dict[str, Any] = fit_arrhenius(rates, t_bath, kpw)
    except (ValueError, RuntimeError) as exc:
        fit = {"error": str(exc)}
    stem = Path(reader.path).stem
    js = outdir / f"{stem}_spikes.json"
    write_summary(js, {"protocol": reader.protocol, "status": reader.status, "rates": rates,
                       "arrhenius": fit, "k_sigma": K_SIGMA})
    png = _figure(frame, times, rates, fit, t_bath, kpw, outdir / f"{stem}.png")
    return [png, js]
