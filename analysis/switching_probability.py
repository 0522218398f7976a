"""Switching-probability fits: Neel-Brown (all widths jointly, binomial maximum likelihood),
Sun's short-pulse law, energy per switch, and the P(I) / Ic(width) figures.

Laws
----
* Thermal activation (Neel-Brown, for pulses much longer than the precession time), imported
  from :mod:`sim_backend.physics.thermal` so the formula exists once::

      P(I, t) = 1 - exp(-(t / tau0) exp(-Delta (1 - I/Ic0)^n))

  For n = 1 only ``Delta/Ic0`` and ``Delta + ln tau0`` are identifiable from thermal data
  (``ln P``-space is linear in I and ln t), so tau0 is fixed (default 1 ns, the customary
  attempt time) and Ic0, Delta are fitted; with n != 1 and widths spanning decades, tau0 may be
  freed (``fit_tau0=True``).
* Precessional regime (Sun, PRB 62, 570 (2000)): the switching time
  ``t = tau_D ln(pi/(2 theta0)) / (I/Ic0 - 1)`` of
  :func:`sim_backend.physics.analytic.sun_switching_time`, inverted for the critical current
  at a pulse width t:  ``Ic(t) = Ic0 (1 + tau_p / t)``, ``tau_p = tau_D ln(pi/(2 theta0))``.
  The inverse is :func:`sun_critical_current` (here; the physics module gives the forward law).

Uncertainties are the square roots of the diagonal of the inverse observed Fisher information
(the Hessian of the negative log-likelihood at the optimum, by central differences in log
parameters, propagated to linear ones).

Energy per switch: ``E_p = I_p^2 R t`` at the current switching with probability p (50 %,
99 %) at each width, R the channel resistance the protocol measured (column
``channel_resistance``).
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import optimize

from spinbench.analysis.registry import register
from spinbench.sim_backend.physics.analytic import sun_switching_time
from spinbench.sim_backend.physics.thermal import thermal_switching_probability, thermal_switching_ratio

__all__ = ["NeelBrownFit", "SunFit", "outcome_counts", "fit_neel_brown", "fit_width_i50",
           "fit_sun", "sun_critical_current", "energy_per_switch", "plot_probability",
           "plot_ic_vs_width", "analyze_run", "sun_switching_time"]

_EPS = 1e-12


def sun_critical_current(width, ic0, tau_p):
    """Sun's law solved for the current: ``Ic(t) = Ic0 (1 + tau_p / t)`` (A).

    The inverse of :func:`sim_backend.physics.analytic.sun_switching_time` with
    ``tau_p = tau_D ln(pi / (2 theta0))``.
    """
    return np.asarray(ic0) * (1.0 + np.asarray(tau_p) / np.asarray(width, dtype=float))


def outcome_counts(df: pd.DataFrame) -> pd.DataFrame:
    """Binomial counts per (width, amplitude): ``n`` cycles that started in the reset state
    and ``k`` of them switched."""
    valid = df[df["valid_reset"].astype(bool)] if "valid_reset" in df else df
    grouped = valid.groupby(["width", "amplitude"])["switched"]
    out = grouped.agg(n="size", k="sum").reset_index()
    out["k"] = out["k"].astype(int)
    out["fraction"] = out["k"] / out["n"]
    return out


def _nll(p: np.ndarray, n: np.ndarray, k: np.ndarray) -> float:
    p = np.clip(p, _EPS, 1 - _EPS)
    return float(-(k * np.log(p) + (n - k) * np.log1p(-p)).sum())


def _hessian(f, x: np.ndarray, rel: float = 1e-4) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    h = rel * np.maximum(np.abs(x), 1.0)
    m = x.size
    hess = np.empty((m, m))
    f0 = f(x)
    for i in range(m):
        for j in range(i, m):
            if i == j:
                e = np.zeros(m)
                e[i] = h[i]
                hess[i, i] = (f(x + e) - 2 * f0 + f(x - e)) / h[i] ** 2
            else:
                ei, ej = np.zeros(m), np.zeros(m)
                ei[i], ej[j] = h[i], h[j]
                hess[i, j] = hess[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej)
                                           + f(x - ei - ej)) / (4 * h[i] * h[j])
    return hess


def _covariance(f, x: np.ndarray) -> np.ndarray:
    hess = _hessian(f, x)
    try:
        return np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return np.full(hess.shape, np.nan)


@dataclass
class NeelBrownFit:
    """Joint Neel-Brown fit; currents in A, times in s."""

    ic0: float
    ic0_err: float
    delta: float
    delta_err: float
    tau0: float
    tau0_err: float
    n: float
    n_cycles: int
    neg_log_likelihood: float
    tau0_fixed: bool = True

    def probability(self, current, width):
        """Fitted P(I, t)."""
        x = np.asarray(current, dtype=float) / self.ic0
        return thermal_switching_probability(width, x, self.delta, self.tau0, self.n)

    def current_at(self, probability: float, width) -> np.ndarray:
        """Current switching with ``probability`` in one pulse of ``width`` (A)."""
        x = thermal_switching_ratio(np.asarray(width, dtype=float), self.delta, self.tau0,
                                    self.n, probability)
        return self.ic0 * x

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def fit_neel_brown(data: pd.DataFrame, *, n: float = 1.0, tau0: float = 1e-9,
                   fit_tau0: bool = False) -> NeelBrownFit:
    """Maximum-likelihood Neel-Brown fit of all widths jointly.

    Parameters
    ----------
    data
        Per-cycle outcomes (columns ``width``, ``amplitude``, ``switched`` and optionally
        ``valid_reset``) or counts from :func:`outcome_counts` (``n``, ``k``).
    n
        Barrier exponent (1 for the domain-nucleation/SOT case).
    tau0
        Attempt time (s): fixed, or the start value when ``fit_tau0``.
    """
    counts = data if {"n", "k"} <= set(data.columns) else outcome_counts(data)
    t = counts["width"].to_numpy(float)
    amp = np.abs(counts["amplitude"].to_numpy(float))
    nn = counts["n"].to_numpy(float)
    kk = counts["k"].to_numpy(float)

    def nll(theta: np.ndarray) -> float:
        ic0, delta = math.exp(theta[0]), math.exp(theta[1])
        t0 = math.exp(theta[2]) if fit_tau0 else tau0
        p = thermal_switching_probability(t, amp / ic0, delta, t0, n)
        return _nll(p, nn, kk)

    # start: per-width 50 % currents on the line I50 = Ic0 (1 - (ln(t/(tau0 ln2))/Delta)^(1/n))
    i50 = fit_width_i50(counts)
    if len(i50) >= 2 and n == 1.0:
        slope, icpt = np.polyfit(np.log(i50["width"] / (tau0 * math.log(2))), i50["i50"], 1)
        ic_start = icpt if icpt > 0 else 1.5 * i50["i50"].max()
        d_start = -ic_start / slope if slope < 0 else 40.0
    else:
        ic_start, d_start = 1.3 * float(np.median(amp[kk > 0])) if (kk > 0).any() else amp.max(), 40.0
    d_start = float(np.clip(d_start, 5.0, 500.0))
    best = None
    for d0 in (d_start, 20.0, 60.0, 150.0):
        x0 = [math.log(ic_start), math.log(d0)] + ([math.log(tau0)] if fit_tau0 else [])
        res = optimize.minimize(nll, x0, method="Nelder-Mead",
                                options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000})
        if best is None or res.fun < best.fun:
            best = res
    theta = best.x
    cov = _covariance(nll, theta)
    err = np.sqrt(np.clip(np.diag(cov), 0, None)) * np.exp(theta)    # d exp(u) = exp(u) du
    ic0, delta = math.exp(theta[0]), math.exp(theta[1])
    t0 = math.exp(theta[2]) if fit_tau0 else tau0
    return NeelBrownFit(ic0=ic0, ic0_err=float(err[0]), delta=delta, delta_err=float(err[1]),
                        tau0=t0, tau0_err=float(err[2]) if fit_tau0 else 0.0, n=n,
                        n_cycles=int(nn.sum()), neg_log_likelihood=float(best.fun),
                        tau0_fixed=not fit_tau0)


def fit_width_i50(data: pd.DataFrame) -> pd.DataFrame:
    """Per-width 50 % current by maximum likelihood of the Gumbel form of Neel-Brown (n = 1)
    at fixed width, ``P = 1 - exp(-ln2 exp(a (I - I50)))``; columns width, i50, i50_err,
    slope (1/A)."""
    counts = data if {"n", "k"} <= set(data.columns) else outcome_counts(data)
    rows = []
    for width, g in counts.groupby("width"):
        amp = np.abs(g["amplitude"].to_numpy(float))
        nn, kk = g["n"].to_numpy(float), g["k"].to_numpy(float)
        frac = kk / nn
        if frac.max() < 0.5 or frac.min() > 0.5 or len(amp) < 2:
            continue
        scale = float(np.median(amp))

        def nll(theta: np.ndarray) -> float:
            i50, a = theta[0] * scale, math.exp(theta[1]) / scale
            p = -np.expm1(-math.log(2) * np.exp(np.clip(a * (amp - i50), -50, 50)))
            return _nll(p, nn, kk)

        i_guess = float(np.interp(0.5, *zip(*sorted(zip(frac, amp))))) if np.ptp(frac) else scale
        res = optimize.minimize(nll, [i_guess / scale, math.log(30.0)], method="Nelder-Mead",
                                options={"xatol": 1e-9, "fatol": 1e-10, "maxiter": 4000})
        cov = _covariance(nll, res.x)
        rows.append({"width": float(width), "i50": float(res.x[0] * scale),
                     "i50_err": float(math.sqrt(max(cov[0, 0], 0.0)) * scale),
                     "slope": float(math.exp(res.x[1]) / scale)})
    return pd.DataFrame(rows, columns=["width", "i50", "i50_err", "slope"])


@dataclass
class SunFit:
    """``Ic(t) = Ic0 (1 + tau_p / t)`` by weighted least squares."""

    ic0: float
    ic0_err: float
    tau_p: float
    tau_p_err: float

    def current(self, width):
        return sun_critical_current(width, self.ic0, self.tau_p)


def fit_sun(widths: Sequence[float], currents: Sequence[float],
            errors: Sequence[float] | None = None) -> SunFit:
    """Fit Sun's law ``Ic = Ic0 + (Ic0 tau_p) / t``: linear in 1/t (weights 1/err^2)."""
    t = np.asarray(widths, dtype=float)
    ic = np.asarray(currents, dtype=float)
    t_ref, i_ref = float(np.min(t)), float(np.max(np.abs(ic)))   # scaled: a well-posed system
    y = ic / i_ref
    sig = (np.ones_like(ic) if errors is None
           else np.maximum(np.asarray(errors, float), 1e-30)) / i_ref
    basis = np.column_stack([np.ones_like(t), t_ref / t])
    design = basis / sig[:, None]
    coef, *_ = np.linalg.lstsq(design, y / sig, rcond=None)
    cov = np.linalg.inv(design.T @ design)
    if errors is None and len(t) > 2:
        resid = y - basis @ coef
        cov = cov * float(resid @ resid) / (len(t) - 2)
    scale = np.array([i_ref, i_ref * t_ref])
    coef = coef * scale
    cov = cov * np.outer(scale, scale)
    ic0, b = coef
    tau_p = b / ic0
    ic0_err = math.sqrt(max(cov[0, 0], 0.0))
    tau_err = abs(tau_p) * math.sqrt(max(cov[1, 1], 0.0) / b**2 + cov[0, 0] / ic0**2
                                     - 2 * cov[0, 1] / (ic0 * b)) if b else math.nan
    return SunFit(float(ic0), ic0_err, float(tau_p), float(tau_err))


def energy_per_switch(fit: NeelBrownFit, widths: Sequence[float], resistance: float,
                      probabilities: Sequence[float] = (0.5, 0.99)) -> pd.DataFrame:
    """``E = I_p^2 R t`` per width at each switching probability p (J), with the currents."""
    t = np.asarray(widths, dtype=float)
    out = pd.DataFrame({"width": t})
    for p in probabilities:
        label = f"{round(100 * p):d}"
        i_p = fit.current_at(p, t)
        out[f"i{label}"] = i_p
        out[f"energy{label}"] = i_p**2 * resistance * t
    out["resistance"] = resistance
    return out


# ---------------------------------------------------------------------------------- figures
def plot_probability(df: pd.DataFrame, fit: NeelBrownFit | None, path: Path,
                     title: str = "") -> Path:
    """P(I) per width: measured fractions (binomial 1-sigma bars) and the joint fit."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = outcome_counts(df)
    fig, ax = plt.subplots(figsize=(6, 4))
    for (width, g), color in zip(counts.groupby("width"), plt.cm.viridis(np.linspace(0, 0.9, 8))):
        amp = np.abs(g["amplitude"].to_numpy())
        p, n = g["fraction"].to_numpy(), g["n"].to_numpy()
        err = np.sqrt(np.clip(p * (1 - p), 1e-4, None) / n)
        ax.errorbar(amp * 1e3, p, yerr=err, fmt="o", ms=3, color=color, label=f"{width:.3g} s")
        if fit is not None:
            grid = np.linspace(amp.min(), amp.max(), 200)
            ax.plot(grid * 1e3, fit.probability(grid, width), "-", color=color)
    ax.set_xlabel("write current |I| (mA)")
    ax.set_ylabel("switching probability")
    if fit is not None:
        title = (title + "\n" if title else "") + (
            f"Neel-Brown: Ic0 = {fit.ic0 * 1e3:.3f} ± {fit.ic0_err * 1e3:.3f} mA, "
            f"Δ = {fit.delta:.1f} ± {fit.delta_err:.1f}")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, title="width")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_ic_vs_width(i50: pd.DataFrame, fit: NeelBrownFit | None, path: Path,
                     sun: SunFit | None = None, title: str = "") -> Path:
    """50 % current against width (log axis) with the Neel-Brown (and Sun) curves."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.errorbar(i50["width"], i50["i50"] * 1e3, yerr=i50["i50_err"] * 1e3, fmt="o",
                label="measured I50")
    if len(i50):
        grid = np.geomspace(i50["width"].min() / 3, i50["width"].max() * 3, 200)
        if fit is not None:
            ax.plot(grid, fit.current_at(0.5, grid) * 1e3, "-", label="Neel-Brown fit")
        if sun is not None:
            ax.plot(grid, sun.current(grid) * 1e3, "--", label="Sun law")
    ax.set_xscale("log")
    ax.set_xlabel("write width (s)")
    ax.set_ylabel("I50 (mA)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


@register("switching-probability", "critical-current-vs-width")
def analyze_run(reader, outdir: Path) -> list[Path]:
    """Fits and figures of a switching-probability or critical-current run: P(I) figure,
    Ic-vs-width figure, ``<stem>_summary.json`` (fit, per-width I50 and energies)."""
    outdir = Path(outdir)
    df = reader.to_dataframe()
    stem = Path(reader.path).stem
    fit = fit_neel_brown(df)
    i50 = fit_width_i50(df)
    resistance = float(np.nanmedian(df["channel_resistance"]))
    energy = energy_per_switch(fit, sorted(df["width"].unique()), resistance)
    sun = fit_sun(i50["width"], i50["i50"], i50["i50_err"]) if len(i50) >= 2 else None
    paths = [plot_probability(df, fit, outdir / f"{stem}_probability.png", reader.protocol),
             plot_ic_vs_width(i50, fit, outdir / f"{stem}_ic_vs_width.png", sun, reader.protocol)]
    summary = outdir / f"{stem}_summary.json"
    summary.write_text(json.dumps({
        "protocol": reader.protocol, "params": reader.params, "neel_brown": fit.as_dict(),
        "sun": asdict(sun) if sun else None, "i50": i50.to_dict("records"),
        "energy": energy.to_dict("records"), "n_cycles": int(len(df))}, indent=2, default=float))
    return paths + [summary]
