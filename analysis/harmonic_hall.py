"""Harmonic Hall analysis: damping-like and field-like SOT effective fields of a perpendicular
Hall bar from the first and second harmonic Hall voltages against an in-plane field.

An AC current ``I(t) = sqrt(2) I_rms sin(wt)`` tilts the moment through its effective fields,
linear in I: ``R_H(t) = R_0 + R_1 I(t)``, so ``V_H = I R_H`` has a first harmonic ``I_rms R_0``
(in phase) and a second one ``-I_rms^2 R_1 / sqrt(2)`` (quadrature; the lock-in's X + iY of
harmonic n is ``(b_n + i a_n)/sqrt(2)`` for ``V = sum b_n sin(n wt) + a_n cos(n wt)``):

    R_0 = X_1 / I_rms,        R_1 = -sqrt(2) Y_2 / I_rms^2 = dR_H / dI.

For a moment near +-z (``s`` = sign of m_z) with R_H = R_AHE m_z + R_PHE m_x m_y and in-plane
fields small against B_K,eff, the small-angle response gives (Hayashi et al., PRB 89, 144425
(2014), eqs. 9-10, in these conventions: their xi is R_PHE/R_AHE here, the factor -2 of their
V_2w convention is absorbed in R_1):

    X = (dR_1/dB_x) / (d^2 R_0 / dB_x^2) = b_L - s xi b_T      (field swept along x)
    Y = (dR_1/dB_y) / (d^2 R_0 / dB_y^2) = b_T - s xi b_L      (field swept along y)
    b_L = (X + s xi Y) / (1 - xi^2),   b_T = (Y + s xi X) / (1 - xi^2)

with b_L, b_T the longitudinal (x) and transverse (y) effective fields per ampere. The
damping-like field is longitudinal, ``B_L = -s B_DL`` (B_DL (m x sigma) along x for m = s z,
sigma = +y); the transverse one is field-like + Oersted: ``B_T = B_FL + B_Oe`` with
``B_Oe = -mu0 J t_HM / 2`` (current in the heavy metal below the magnet), subtracted here.
``xi`` comes from the data: ``R_PHE = 2 dR_0/d(B_x B_y)`` needs a diagonal sweep, so it is
taken from the curvatures instead (``d^2R_0/dB^2 = -s R_AHE / B_K^2`` for both directions) only
if not given: the protocol's ``r_phe_ratio`` parameter (0 = neglect). The derivatives at B = 0
come from polynomial fits over the sweep (R_0: even, through B^4; R_1: odd, through B^3),
which removes the leading large-angle corrections of the small-angle formulas.

Per current density J (peak, ``sqrt(2) I_rms / (w t_HM)``): ``B_DL/J``, ``B_FL/J`` and the
spin-Hall (damping-like) efficiency ``xi_DL = (2 e / hbar) Ms t_F B_DL / J``.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spinbench.analysis.registry import register
from spinbench.analysis.strict_json import write_summary

__all__ = ["HarmonicHallFit", "curvature_and_slope", "fit_harmonic_hall", "analyze_harmonic_hall"]

HBAR = 1.054571817e-34
E_CHARGE = 1.602176634e-19
MU0 = 4e-7 * math.pi


@dataclass
class HarmonicHallFit:
    """Effective fields of one magnetic state ``s`` (T per A and at the run's current)."""

    state: int
    #: X, Y ratios (T/A) of the x and y sweeps
    ratio_x: float
    ratio_y: float
    #: longitudinal / transverse effective fields per ampere (T/A)
    b_l_per_a: float
    b_t_per_a: float
    #: damping-like and field-like fields at the peak current (T), Oersted field removed
    b_dl: float
    b_fl: float
    b_oe: float
    #: per current density (T per A/m^2)
    b_dl_per_j: float
    b_fl_per_j: float
    #: peak current density (A/m^2) and the spin-Hall efficiency
    j_peak: float
    xi_dl: float
    xi_fl: float
    #: |R_0(B = 0)| of this state (ohm): R_AHE +- the cross's offset (average the two states)
    #: and the planar Hall ratio used
    r_ahe: float
    r_phe_ratio: float

    def as_dict(self) -> dict:
        return asdict(self)


def curvature_and_slope(field: np.ndarray, r0: np.ndarray, r1: np.ndarray) -> tuple[float, float, float]:
    """``(R_0(0), d^2R_0/dB^2, dR_1/dB)`` at B = 0: least squares of R_0 = a + c B^2 + d B^4
    and R_1 = e + b B + f B^3 (e: the field-independent part, e.g. thermoelectric)."""
    b = np.asarray(field, dtype=float)
    scale = float(np.max(np.abs(b))) or 1.0
    u = b / scale
    even = np.column_stack([np.ones_like(u), u**2, u**4])
    odd = np.column_stack([np.ones_like(u), u, u**3])
    a, c, _ = np.linalg.lstsq(even, np.asarray(r0, float), rcond=None)[0]
    _, slope, _ = np.linalg.lstsq(odd, np.asarray(r1, float), rcond=None)[0]
    return float(a), float(2.0 * c / scale**2), float(slope / scale)


def paired(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (state, direction, field) with the first harmonic's ``x1, y1`` and the
    second's ``x2, y2`` (a run stores one row per reading, column ``harmonic``)."""
    keys = ["state", "direction", "field"]
    first = df[df["harmonic"] == 1][keys + ["x", "y"]].rename(columns={"x": "x1", "y": "y1"})
    second = df[df["harmonic"] == 2][keys + ["x", "y"]].rename(columns={"x": "x2", "y": "y2"})
    return first.merge(second, on=keys, how="inner")


def fit_harmonic_hall(df: pd.DataFrame, *, current_rms: float, width: float, hm_thickness: float,
                      ms: float, thickness: float, r_phe_ratio: float = 0.0) -> list[HarmonicHallFit]:
    """Effective fields per magnetic state of a ``harmonic-hall`` run (columns ``direction``
    0 = x / 1 = y, ``state``, ``field``, ``harmonic``, ``x``, ``y``; see the module docstring)."""
    if "harmonic" in df:
        df = paired(df)
    out = []
    i_peak = math.sqrt(2.0) * current_rms
    j_peak = i_peak / (width * hm_thickness)
    for s in sorted(int(v) for v in df["state"].unique()):
        ratios, r_ahe = {}, []
        for direction in (0, 1):
            d = df[(df["state"] == s) & (df["direction"] == direction)]
            if len(d) < 5:
                raise ValueError(f"state {s:+d}: {len(d)} points along {'xy'[direction]}; need >= 5")
            r0 = d["x1"].to_numpy(float) / current_rms
            r1 = -math.sqrt(2.0) * d["y2"].to_numpy(float) / current_rms**2
            r00, curv, slope = curvature_and_slope(d["field"].to_numpy(float), r0, r1)
            ratios[direction] = slope / curv
            r_ahe.append(abs(r00))
        x, y, xi = ratios[0], ratios[1], r_phe_ratio
        b_l = (x + s * xi * y) / (1.0 - xi**2)
        b_t = (y + s * xi * x) / (1.0 - xi**2)
        b_dl = -s * b_l * i_peak
        b_oe = -MU0 * j_peak * hm_thickness / 2.0
        b_fl = b_t * i_peak - b_oe
        per = 2.0 * E_CHARGE * ms * thickness / HBAR
        out.append(HarmonicHallFit(state=s, ratio_x=x, ratio_y=y, b_l_per_a=b_l, b_t_per_a=b_t,
                                   b_dl=b_dl, b_fl=b_fl, b_oe=b_oe, b_dl_per_j=b_dl / j_peak,
                                   b_fl_per_j=b_fl / j_peak, j_peak=j_peak,
                                   xi_dl=per * b_dl / j_peak, xi_fl=per * b_fl / j_peak,
                                   r_ahe=float(np.mean(r_ahe)), r_phe_ratio=xi))
    return out


def plot_harmonic_hall(df: pd.DataFrame, fits: list[HarmonicHallFit], path: Path, *,
                       current_rms: float, title: str = "") -> Path:
    """First (R_0 = X_1/I) and second (R_1 = dR_H/dI) harmonic against the field, per
    direction and state, with the fitted B_DL, B_FL in the title."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if "harmonic" in df:
        df = paired(df)
    fig, axes = plt.subplots(2, 2, figsize=(9, 6), sharex="col", constrained_layout=True)
    for direction in (0, 1):
        for s, colour in ((1, "tab:red"), (-1, "tab:blue")):
            d = df[(df["state"] == s) & (df["direction"] == direction)]
            if not len(d):
                continue
            b = d["field"].to_numpy(float) * 1e3
            axes[0, direction].plot(b, d["x1"] / current_rms, "o", ms=3, color=colour, label=f"m_z = {s:+d}")
            axes[1, direction].plot(b, -math.sqrt(2) * d["y2"] / current_rms**2, "o", ms=3, color=colour)
        axes[1, direction].set_xlabel(f"B_{'xy'[direction]} (mT)")
    axes[0, 0].set_ylabel("R_0 = X_1 / I_rms (Ω)")
    axes[1, 0].set_ylabel("R_1 = -√2 Y_2 / I_rms² (Ω/A)")
    axes[0, 0].legend(fontsize=8)
    text = "; ".join(f"m_z {f.state:+d}: B_DL = {f.b_dl * 1e3:.3g} mT, B_FL = {f.b_fl * 1e3:.3g} mT, "
                     f"ξ_DL = {f.xi_dl:.3g}" for f in fits)
    fig.suptitle((title + "\n" if title else "") + text, fontsize=8)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


@register("harmonic-hall")
def analyze_harmonic_hall(reader, outdir: Path) -> list[Path]:
    """Fits and figure of a ``harmonic-hall`` run: ``<stem>.png``, ``<stem>_summary.json``."""
    df = reader.to_dataframe()
    params = reader.params
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    stem = Path(reader.path).stem
    fits = fit_harmonic_hall(df, current_rms=params["current_rms"], width=params["channel_width"],
                             hm_thickness=params["hm_thickness"], ms=params["ms"],
                             thickness=params["thickness"], r_phe_ratio=params["r_phe_ratio"])
    png = plot_harmonic_hall(df, fits, outdir / f"{stem}.png", current_rms=params["current_rms"],
                             title=f"harmonic Hall, I_rms = {params['current_rms'] * 1e3:.3g} mA, "
                                   f"{params['frequency']:.4g} Hz")
    mean = {k: float(np.mean([getattr(f, k) for f in fits]))
            for k in ("b_dl", "b_fl", "b_dl_per_j", "b_fl_per_j", "xi_dl", "xi_fl")}
    summary = write_summary(outdir / f"{stem}_summary.json",
                            {"protocol": reader.protocol, "params": params,
                             "states": [f.as_dict() for f in fits], "mean": mean,
                             "units": {"b_dl": "T", "b_fl": "T", "b_dl_per_j": "T/(A/m^2)",
                                       "b_fl_per_j": "T/(A/m^2)", "j_peak": "A/m^2"}})
    return [png, summary]
