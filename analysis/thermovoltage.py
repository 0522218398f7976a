"""Fits and figures of laser-pulse thermovoltage runs (protocol ``thermovoltage-map``).

* Bias law per magnetic state: ``V_laser / dT = -S + b1 I + b2 I^2 + b3 I^3`` by linear least
  squares over every (power, bias) point of that state, ``dT = delta_t_per_watt * P`` (the run's
  thermal calibration).  ``b2`` is fitted and reported (the model has no even part; a nonzero
  ``b2`` flags an asymmetric junction or a drift).  TMS ratio ``(S_P - S_AP) / min(|S_P|, |S_AP|)``
  (Walter et al., Nat. Mater. 10, 742 (2011)).
* Rise and decay: the averaged transient of the largest |V_laser| point of each state, fitted by
  the two-time-constant response to a rectangular pulse (soft-L1 loss, so that spikes left in
  the average do not pull the fast time constant)
  (:func:`spinbench.sim_backend.physics.thermo_mtj.heating_response`, the one formula).
* Figures: transients per state, V_laser / dT against bias with the fitted cubic, lock-in X.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from spinbench.analysis.strict_json import write_summary
from scipy.optimize import curve_fit

from spinbench.sim_backend.physics.thermo_mtj import heating_response, tms_ratio

try:  # the per-protocol analysis registry (room `shape`), when present
    from spinbench.analysis.registry import register as _register
except ImportError:  # pragma: no cover - before the registry lands
    def _register(*names):
        return lambda func: func

__all__ = ["fit_bias_law", "fit_transient", "fit_map", "analyze_run", "STATE_NAMES"]

STATE_NAMES = {1.0: "P", -1.0: "AP"}


def fit_bias_law(bias: np.ndarray, v_per_kelvin: np.ndarray) -> dict[str, float]:
    """Least squares ``y = a0 + a1 I + a2 I^2 + a3 I^3``; returns ``seebeck = -a0``, ``b1``,
    ``b2``, ``b3`` and their standard errors (``*_err``) and the residual rms."""
    i = np.asarray(bias, dtype=float)
    y = np.asarray(v_per_kelvin, dtype=float)
    scale = max(np.abs(i).max(), 1e-12)
    x = i / scale                                          # conditioning
    design = np.stack([np.ones_like(x), x, x ** 2, x ** 3], axis=1)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    dof = max(len(y) - 4, 1)
    s2 = float(resid @ resid) / dof
    cov = s2 * np.linalg.pinv(design.T @ design)
    err = np.sqrt(np.clip(np.diag(cov), 0, None))
    factors = np.array([1.0, scale, scale ** 2, scale ** 3])
    a, da = coef / factors, err / factors
    return {"seebeck": float(-a[0]), "b1": float(a[1]), "b2": float(a[2]), "b3": float(a[3]),
            "seebeck_err": float(da[0]), "b1_err": float(da[1]), "b2_err": float(da[2]),
            "b3_err": float(da[3]), "rms": float(np.sqrt(np.mean(resid ** 2)))}


def fit_transient(t: np.ndarray, v: np.ndarray, width: float) -> dict[str, float]:
    """Two-time-constant fit of one averaged transient (``v`` dark-subtracted, t = 0 at the
    laser edge): amplitudes (V) and time constants (s) of the fast and slow components."""
    t = np.asarray(t, dtype=float)
    v = np.asarray(v, dtype=float)
    on = v[(t > 0.8 * width) & (t < width)]
    total = float(on.mean()) if len(on) else float(v.max())

    def model(tt, a_f, tau_f, a_s, tau_s):
        return heating_response(tt, 1.0, a_f, tau_f, a_s, tau_s, width)

    p0 = (0.6 * total, width / 100, 0.4 * total, width / 8)
    sign = np.sign(total) or 1.0
    lo = (min(0, 2 * total), width * 1e-4, min(0, 2 * total), width * 1e-3)
    hi = (max(0, 2 * total), width, max(0, 2 * total), 10 * width)
    # robust loss: averaged records still carry spikes (sparse, one-signed bursts)
    pre = v[t < 0]
    noise = float(np.std(pre)) if len(pre) > 3 else 0.01 * abs(total)
    popt, pcov = curve_fit(model, t, v, p0=p0, bounds=(lo, hi), maxfev=20000, method="trf",
                           loss="soft_l1", f_scale=max(2 * noise, 1e-3 * abs(total), 1e-12))
    a_f, tau_f, a_s, tau_s = popt
    err = np.sqrt(np.clip(np.diag(pcov), 0, None))
    if tau_f > tau_s:                                      # name them by speed
        a_f, tau_f, a_s, tau_s = a_s, tau_s, a_f, tau_f
        err = err[[2, 3, 0, 1]]
    return {"amp_fast": float(a_f), "tau_fast": float(tau_f), "amp_slow": float(a_s),
            "tau_slow": float(tau_s), "tau_fast_err": float(err[1]), "tau_slow_err": float(err[3]),
            "sign": float(sign)}


def fit_map(frame, delta_t_per_watt: float) -> dict[str, dict[str, float]]:
    """Bias law per state from a run's DataFrame (columns state, power, bias, v_laser)."""
    out: dict[str, dict[str, float]] = {}
    for sign, name in STATE_NAMES.items():
        sub = frame[(frame["state"] == sign) & (frame["power"] > 0)]
        if len(sub) < 4:
            continue
        dt = delta_t_per_watt * sub["power"].to_numpy()
        out[name] = fit_bias_law(sub["bias"].to_numpy(), sub["v_laser"].to_numpy() / dt)
    if "P" in out and "AP" in out:
        out["tms_ratio"] = {"value": float(tms_ratio(out["P"]["seebeck"], out["AP"]["seebeck"]))}
    return out


def _transient_fits(reader, frame, width: float) -> dict[str, dict[str, float]]:
    t, values = reader.trace("transient")
    fits = {}
    for sign, name in STATE_NAMES.items():
        idx = np.nonzero(frame["state"].to_numpy() == sign)[0]
        if not len(idx):
            continue
        k = idx[np.argmax(np.abs(frame["v_laser"].to_numpy()[idx]))]
        tt = t[k] if t.ndim == 2 else t
        try:
            fits[name] = fit_transient(tt, values[k], width) | {"row": int(k)}
        except (RuntimeError, ValueError) as exc:          # a failed fit is reported, not fatal
            fits[name] = {"error": str(exc), "row": int(k)}
    return fits


def _figures(reader, frame, fits, transients, dtpw: float, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t, values = reader.trace("transient")
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    colors = {"P": "tab:blue", "AP": "tab:red"}
    # transients: per state, the largest power, a few biases
    ax = axes[0]
    for sign, name in STATE_NAMES.items():
        sub = frame[frame["state"] == sign]
        if not len(sub):
            continue
        top = sub["power"].max()
        rows = sub[sub["power"] == top]
        pick = rows.iloc[np.linspace(0, len(rows) - 1, min(3, len(rows))).astype(int)]
        for j, (k, row) in enumerate(pick.iterrows()):
            tt = t[k] if t.ndim == 2 else t
            ax.plot(tt * 1e6, values[k] * 1e3, color=colors[name], alpha=0.4 + 0.3 * j,
                    label=f"{name}, {row['bias'] * 1e3:+.2f} mA")
    ax.set_xlabel("time from laser edge (us)")
    ax.set_ylabel("V - V_dark (mV)")
    ax.set_title("averaged transients (largest power)")
    ax.legend(fontsize=7)
    # bias law
    ax = axes[1]
    for sign, name in STATE_NAMES.items():
        sub = frame[frame["state"] == sign]
        if not len(sub) or name not in fits:
            continue
        y = sub["v_laser"] / (dtpw * sub["power"])
        ax.plot(sub["bias"] * 1e3, y * 1e6, "o", ms=3, color=colors[name], alpha=0.6, label=f"{name} data")
        i = np.linspace(sub["bias"].min(), sub["bias"].max(), 200)
        f = fits[name]
        ax.plot(i * 1e3, (-f["seebeck"] + f["b1"] * i + f["b2"] * i ** 2 + f["b3"] * i ** 3) * 1e6,
                color=colors[name], label=f"{name}: S = {f['seebeck'] * 1e6:.1f} uV/K, "
                                          f"b3 = {f['b3']:.3g} V/(A^3 K)")
    ax.set_xlabel("bias (mA)")
    ax.set_ylabel("V_laser / dT (uV/K)")
    ax.set_title("thermovoltage vs bias, fitted cubic")
    ax.legend(fontsize=7)
    # lock-in
    ax = axes[2]
    if np.isfinite(frame["lockin_x"]).any():
        for sign, name in STATE_NAMES.items():
            sub = frame[frame["state"] == sign]
            for p, grp in sub.groupby("power"):
                ax.plot(grp["bias"] * 1e3, grp["lockin_x"] * 1e3, ".-", color=colors[name],
                        alpha=0.3 + 0.7 * p / frame["power"].max(), ms=3)
        ax.set_title("lock-in X at the modulation frequency (darker: more power)")
    ax.set_xlabel("bias (mA)")
    ax.set_ylabel("X (mV)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


@_register("thermovoltage-map")
def analyze_run(reader, outdir: Path) -> list[Path]:
    """Fit the bias law per state and the transients; write ``<stem>_fit.json`` and the figure."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    frame = reader.to_dataframe()
    params = reader.params
    dtpw = float(params["delta_t_per_watt"])
    fits = fit_map(frame, dtpw)
    transients = _transient_fits(reader, frame, float(params["pulse_width"]))
    stem = Path(reader.path).stem
    summary: dict[str, Any] = {"protocol": reader.protocol, "status": reader.status,
                               "delta_t_per_watt": dtpw, "bias_law": fits, "transients": transients,
                               "units": {"seebeck": "V/K", "b1": "V/(A K)", "b2": "V/(A^2 K)",
                                         "b3": "V/(A^3 K)", "tau": "s"}}
    json_path = outdir / f"{stem}_fit.json"
    write_summary(json_path, summary)
    png = _figures(reader, frame, fits, transients, dtpw, outdir / f"{stem}.png")
    return [png, json_path]
