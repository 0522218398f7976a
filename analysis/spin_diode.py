"""Spin-diode (ST-FMR) map fits and figure: lineshape per field, Kittel law, damping.

* Per (bias, field): ``V(f) = V_S S(f) + V_A A(f) + offset`` (:func:`sim_backend.physics.rf.
  spin_diode_lineshape`: symmetric / antisymmetric Lorentzians of HWHM w at f0), least squares.
* Kittel: ``f0(B) = gamma/2pi sqrt((B + B_K)(B + B_K + mu0 M_eff))``
  (:func:`sim_backend.physics.rf.kittel_in_plane`) fitted for gamma, B_K, mu0 M_eff.
* Damping: the HWHM is ``w = alpha gamma/2pi (B1 + B2)/2 + w0`` (B1, B2 the stiffness fields of
  the fitted Kittel law, w0 an inhomogeneous broadening), a straight-line fit for alpha.

Figure: the map of X(f, B) with the fitted Kittel curve over it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import curve_fit

from spinbench.analysis.registry import register
from spinbench.analysis.strict_json import write_summary
from spinbench.sim_backend.physics.constants import GAMMA_E, TWO_PI
from spinbench.sim_backend.physics.rf import kittel_in_plane, spin_diode_lineshape, stiffness_fields

__all__ = ["LineFit", "KittelFit", "fit_lineshape", "fit_kittel", "fit_damping", "fit_map", "analyze_run"]


@dataclass
class LineFit:
    bias: float
    field: float
    v_s: float
    v_a: float
    f0: float
    width: float          #: HWHM [Hz]
    offset: float


@dataclass
class KittelFit:
    gamma: float          #: [rad/(s T)]
    b_k: float            #: [T]
    mu0_m_eff: float      #: [T]
    alpha: float | None = None
    inhomogeneous: float | None = None    #: [Hz]


def fit_lineshape(f: np.ndarray, v: np.ndarray, bias: float = 0.0, field: float = 0.0) -> LineFit:
    """Least-squares S + A Lorentzian fit; the guess takes the extremum of |V - median| as f0
    and the half-height crossing for the width."""
    f = np.asarray(f, dtype=float)
    v = np.asarray(v, dtype=float)
    base = float(np.median(v))
    dv = v - base
    k = int(np.argmax(np.abs(dv)))
    half = np.abs(dv) >= 0.5 * abs(dv[k])
    w0 = max(float(np.ptp(f[half])) / 2, float(f[1] - f[0]))
    p0 = [float(dv[k]), 0.0, float(f[k]), w0, base]

    def model(x, vs, va, f0, w, off):
        return spin_diode_lineshape(x, vs, va, f0, w, off)

    popt, _ = curve_fit(model, f, v, p0=p0, maxfev=20000)
    vs, va, f0, w, off = (float(x) for x in popt)
    if w < 0:                      # S(w) = S(-w), A(-w) = -A(w)
        w, va = -w, -va
    return LineFit(bias, field, vs, va, f0, w, off)


def fit_kittel(fields, f0) -> KittelFit:
    """gamma, B_K and mu0 M_eff from f0(B) [Hz] (field along the easy axis)."""
    b = np.asarray(fields, dtype=float)
    f = np.asarray(f0, dtype=float)

    def model(x, g, bk, meff):
        return kittel_in_plane(x, bk, meff, g * GAMMA_E)

    popt, _ = curve_fit(model, b, f, p0=[1.0, 0.02, 0.5], maxfev=20000)
    return KittelFit(gamma=float(popt[0]) * GAMMA_E, b_k=float(popt[1]), mu0_m_eff=float(popt[2]))


def fit_damping(fields, widths, kittel: KittelFit) -> KittelFit:
    """alpha (and the inhomogeneous width) from w(B) = alpha gamma/2pi (B1 + B2)/2 + w0."""
    b1, b2 = stiffness_fields(np.asarray(fields, dtype=float), kittel.b_k, kittel.mu0_m_eff)
    x = kittel.gamma / TWO_PI * 0.5 * (b1 + b2)
    slope, intercept = np.polyfit(x, np.asarray(widths, dtype=float), 1)
    kittel.alpha, kittel.inhomogeneous = float(slope), float(intercept)
    return kittel


def fit_map(bias, field, frequency, x) -> tuple[list[LineFit], dict[float, KittelFit]]:
    """Line fits for every (bias, field) and a Kittel + damping fit per bias (>= 3 fields)."""
    bias, field, frequency, x = (np.asarray(a, dtype=float) for a in (bias, field, frequency, x))
    lines = []
    for i in np.unique(bias):
        for b in np.unique(field[bias == i]):
            sel = (bias == i) & (field == b)
            order = np.argsort(frequency[sel])
            lines.append(fit_lineshape(frequency[sel][order], x[sel][order], float(i), float(b)))
    kittel = {}
    for i in np.unique(bias):
        fl = [ln for ln in lines if ln.bias == i]
        if len(fl) >= 3:
            k = fit_kittel([ln.field for ln in fl], [ln.f0 for ln in fl])
            kittel[float(i)] = fit_damping([ln.field for ln in fl], [ln.width for ln in fl], k)
    return lines, kittel


@register("spin-diode-map")
def analyze_run(reader, outdir: Path) -> list[Path]:
    """Fits to ``<stem>_spin_diode_fits.json`` and the map figure with the Kittel curve."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    cols = {c: reader.column(c) for c in ("bias", "field", "frequency", "x")}
    lines, kittel = fit_map(cols["bias"], cols["field"], cols["frequency"], cols["x"])
    stem = Path(reader.path).stem
    out = outdir / f"{stem}_spin_diode_fits.json"
    write_summary(out, {"lines": [asdict(ln) for ln in lines], "kittel": {str(k): asdict(v) for k, v in kittel.items()}})
    files = [out]
    for i in np.unique(cols["bias"]):
        sel = cols["bias"] == i
        fields = np.unique(cols["field"][sel])
        freqs = np.unique(cols["frequency"][sel])
        if len(fields) < 2 or len(freqs) < 2:
            continue
        grid = np.full((len(fields), len(freqs)), np.nan)
        fi = np.searchsorted(fields, cols["field"][sel])
        qi = np.searchsorted(freqs, cols["frequency"][sel])
        grid[fi, qi] = cols["x"][sel]
        fig, ax = plt.subplots(figsize=(6, 4))
        lim = np.nanmax(np.abs(grid))
        mesh = ax.pcolormesh(fields * 1e3, freqs / 1e9, grid.T * 1e6, shading="nearest", cmap="RdBu_r",
                             vmin=-lim * 1e6, vmax=lim * 1e6)
        fig.colorbar(mesh, ax=ax, label="lock-in X (uV)")
        k = kittel.get(float(i))
        if k is not None:
            bb = np.linspace(fields.min(), fields.max(), 200)
            ax.plot(bb * 1e3, kittel_in_plane(bb, k.b_k, k.mu0_m_eff, k.gamma) / 1e9, "k--", lw=1,
                    label=f"Kittel: B_K = {k.b_k * 1e3:.1f} mT, mu0 M_eff = {k.mu0_m_eff:.3f} T\n"
                          f"gamma/2pi = {k.gamma / TWO_PI / 1e9:.2f} GHz/T, alpha = {k.alpha:.4f}")
            ax.legend(fontsize=7, loc="upper left")
        ax.set_xlabel("field (mT)")
        ax.set_ylabel("frequency (GHz)")
        ax.set_title(f"spin-diode map, bias {i * 1e3:g} mA")
        path = outdir / f"{stem}_map_bias{i * 1e3:g}mA.png"
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
        files.append(path)
    return files
