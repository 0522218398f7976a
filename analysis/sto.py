"""Spin-torque-oscillator emission fits and the spectra waterfall.

Per trace (one field, one current): the analyzer's power in the RBW [dBm] becomes a density
``S = P_bin / (1.0645 RBW)`` (Gaussian RBW filter noise bandwidth), the floor (k_B T + the
analyzer's noise) is the 10th percentile, and a Lorentzian line
(:func:`sim_backend.physics.rf.lorentzian_psd`) is fitted: emitted power P, centre f and HWHM.

Across currents (at one field):

* threshold: below threshold the mode is thermally excited with a damping Gamma_G (1 - I/I_th)
  (Slavin & Tiberkevich 2009), so its normalized power grows as 1/(1 - I/I_th) and its linewidth
  falls as (1 - I/I_th); the emitted power is I^2 dR^2 (dR^2 ~ p) through the TMR, so I_th is
  where the straight lines I^2/P(I) and w(I) through the sub-threshold points reach zero (both
  estimates are reported; ``threshold`` is the linewidth one);
* tunability df/dI: slope of the centre frequency over the above-threshold currents;
* power and linewidth vs current (table);
* with the run's resistance loop and junction voltages: the normalized power p of each
  above-threshold line, the TMR, B_K, M_eff and the orbits' Q and s (:mod:`analysis.sto_power`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import curve_fit

from spinbench.analysis.registry import register
from spinbench.analysis.sto_power import fit_loop, infer_power
from spinbench.analysis.strict_json import write_summary
from spinbench.sim_backend.physics.rf import dbm_to_watts, lorentzian_psd

__all__ = ["LineFit", "OscillatorFit", "fit_line", "fit_oscillator", "spectrum_columns", "analyze_run"]

#: noise bandwidth / -3 dB bandwidth of a Gaussian RBW filter
NBW = float(np.sqrt(np.pi / (4 * np.log(2))))


@dataclass
class LineFit:
    field: float
    current: float
    power: float        #: W
    frequency: float    #: Hz
    hwhm: float         #: Hz
    floor: float        #: W/Hz


@dataclass
class OscillatorFit:
    field: float
    threshold: float                 #: A (linewidth extrapolation)
    threshold_inverse_power: float   #: A (I^2/P extrapolation)
    df_di: float                     #: Hz/A above threshold
    currents: list
    powers: list
    frequencies: list
    hwhm: list
    below: list                      #: sub-threshold flag per current


def fit_line(f, p_dbm, rbw: float, field: float = 0.0, current: float = 0.0) -> LineFit:
    """Lorentzian + floor fit of one trace."""
    f = np.asarray(f, dtype=float)
    s = dbm_to_watts(np.asarray(p_dbm, dtype=float)) / (NBW * rbw)
    floor = float(np.percentile(s, 10))
    k = int(np.argmax(s))
    excess = s - floor
    half = excess >= 0.5 * excess[k]
    w0 = max(float(np.ptp(f[half])) / 2, float(f[1] - f[0]))
    p0 = [float(np.trapezoid(np.clip(excess, 0, None), f)), float(f[k]), w0, floor]
    scale = max(floor, 1e-30)

    def model(x, pw, fc, w, fl):
        return (lorentzian_psd(x, pw, fc, abs(w)) + fl) / scale

    popt, _ = curve_fit(model, f, s / scale, p0=p0, maxfev=20000)
    return LineFit(field, current, float(popt[0]), float(popt[1]), abs(float(popt[2])), float(popt[3]))


def fit_oscillator(lines: list[LineFit]) -> OscillatorFit:
    """Threshold, df/dI and the per-current table from the line fits of one field.  The
    sub-threshold points are those before the largest jump of the centre frequency or, without a
    jump, those whose linewidth still falls with current."""
    lines = sorted(lines, key=lambda ln: ln.current)
    i = np.array([ln.current for ln in lines])
    pw = np.array([ln.power for ln in lines])
    fc = np.array([ln.frequency for ln in lines])
    w = np.array([ln.hwhm for ln in lines])
    # sub-threshold branch: linewidth falling, frequency near the FMR (the red-shifted
    # auto-oscillation starts where the frequency drops by more than 3 linewidths)
    below = np.ones(len(i), dtype=bool)
    for k in range(1, len(i)):
        if fc[k] < fc[0] - 3 * max(w[0], 1.0) or not below[k - 1]:
            below[k] = False
    sub = np.flatnonzero(below)
    th_w = th_p = float("nan")
    if len(sub) >= 2:
        a, b = np.polyfit(i[sub], w[sub], 1)
        th_w = float(-b / a)
        a, b = np.polyfit(i[sub], i[sub] ** 2 / pw[sub], 1)     # P = I^2 dR^2 .. with dR^2 ~ p
        th_p = float(-b / a)
    above = np.flatnonzero(~below)
    dfdi = float(np.polyfit(i[above], fc[above], 1)[0]) if len(above) >= 2 else float("nan")
    return OscillatorFit(lines[0].field, th_w, th_p, dfdi, i.tolist(), pw.tolist(), fc.tolist(), w.tolist(),
                         below.tolist())


def spectrum_columns(reader, names=("field", "current", "frequency", "power", "rbw")) -> dict:
    """Columns of an emission-spectra run restricted to its spectrum rows (the resistance-loop
    rows carry no trace: NaN frequency)."""
    c = {k: reader.column(k) for k in names}
    keep = np.isfinite(c["frequency"])
    return {k: v[keep] for k, v in c.items()}


@register("emission-spectra")
def analyze_run(reader, outdir: Path) -> list[Path]:
    """Line fits, oscillator fit per field (``<stem>_sto_fits.json``) and a waterfall per field."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    stem = Path(reader.path).stem
    c = spectrum_columns(reader, ("field", "current", "frequency", "power", "rbw", "voltage")
                         if "voltage" in reader.units else ("field", "current", "frequency", "power", "rbw"))
    params = reader.params
    loop = None
    if "stage" in reader.units and float(params.get("loop_field", 0.0)) > 0:
        stage = reader.column("stage")
        sel = stage == 1
        loop = fit_loop(reader.column("field")[sel], reader.column("voltage")[sel], float(params["probe_current"]))
    files = []
    summary = {}
    key = {}
    for b in np.unique(c["field"]):
        lines = []
        fig, ax = plt.subplots(figsize=(6, 5))
        currents = np.unique(c["current"][c["field"] == b])
        for n, i in enumerate(currents):
            sel = (c["field"] == b) & (c["current"] == i)
            f, p = c["frequency"][sel], c["power"][sel]
            ax.plot(f / 1e9, p + 10 * n, lw=0.8, label=f"{i * 1e3:.3g} mA")
            try:
                lines.append(fit_line(f, p, float(c["rbw"][sel][0]), float(b), float(i)))
            except RuntimeError:
                continue
        ax.set_xlabel("frequency (GHz)")
        ax.set_ylabel("power (dBm, +10 dB per current)")
        ax.set_title(f"emission spectra, B = {b * 1e3:g} mT")
        ax.legend(fontsize=6)
        path = outdir / f"{stem}_waterfall_{b * 1e3:g}mT.png"
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
        files.append(path)
        if len(lines) >= 3:
            osc = fit_oscillator(lines)
            summary[str(float(b))] = entry = asdict(osc)
            tag = f"{b * 1e3:g}mT"
            key[f"threshold_{tag}"] = [osc.threshold_inverse_power, "A"]
            key[f"df_di_{tag}"] = [osc.df_di, "Hz/A"]
            if loop is not None and "voltage" in c:
                at = c["field"] == b
                volts = {float(i): float(np.median(c["voltage"][at & (c["current"] == i)])) for i in currents}
                entry["normalized_power"] = pw = infer_power(float(b), loop, float(params["reference_angle_deg"]),
                                                             osc, volts)
                key["tmr"] = [pw["tmr"], ""]
                key["b_k"] = [pw["b_k"], "T"]
                key[f"q_{tag}"] = [pw["q"], ""]
                for row in pw["p_table"]:
                    key[f"p_{tag}_{row['current'] * 1e3:.3g}mA"] = [row["p"], ""]
    out = outdir / f"{stem}_sto_fits.json"
    write_summary(out, {"key_results": key, **summary})
    return [out, *files]
