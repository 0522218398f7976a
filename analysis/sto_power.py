"""The oscillator's normalized power p from what the emission-spectra bench measures.

Inputs, all measured on the bench except the reference layer's direction psi (the stack's
pinning direction, a run parameter):

* the resistance loop along the field axis (x) at a small probe current: the resistances R(+x),
  R(-x) of the two easy-axis states and the free layer's reversal fields;
* the emission lines (:mod:`analysis.sto`): integrated power P(I), centre f(I), and the
  sub-threshold lines' frequency, extrapolated to I = 0: the FMR frequency f0;
* the junction's DC voltage at each current: R(I) = V/I (the orbit-mean resistance above
  threshold, the junction's source impedance at the first harmonic).

Readout law (macrospin junction, conductance form, Slonczewski PRB 39, 6995 (1989)):
``G(m) = G0 + G1 m.u_ref`` with ``u_ref = (cos psi, sin psi, 0)``, so ``G(+x) = G0 + G1 cos psi``,
``G(-x) = G0 - G1 cos psi``: the loop gives G0 and G1, hence TMR = (G0 + G1)/(G0 - G1) - 1.

Free layer (in-plane macrospin, field B along the easy axis x): energy per unit moment
``e(m) = -B m_x - (B_K/2) m_x^2 + (M_eff/2) m_z^2`` [T].  The easy-axis reversal field of this
energy (Stoner-Wohlfarth, T = 0) is B_K, read from the loop; Kittel's
``omega0 = gamma sqrt((B + B_K)(B + B_K + M_eff))`` with the measured f0 then gives M_eff.

Orbits: the conservative LL equation ``dm/dt = -gamma m x B_eff`` (B_eff = -grad e), started on
the in-plane turning point ``phi_a``, integrated over one period (RK4).  The normalized power
is the orbit's energy in Slavin's normalization, ``p = gamma (e(phi_a) - e(0)) / (2 omega0)``
(for small orbits ``p = (phi_a^2/4) sqrt(B1/B2)``); on each orbit the resistance ``1/G(m(t))``
gives its mean and its first-harmonic amplitude dR_1.  The emitted power into Z0 (bias tee) is
``P = (I dR_1)^2/2 Z0/(R + Z0)^2``, so each line gives ``dR_1 = sqrt(2 P/Z0) (R + Z0)/I`` and
p is where the orbit's dR_1(p) meets it.  dR_1(p) is not monotonic (large in-plane orbits swing
towards -x, where the first harmonic shrinks again): of its roots, the one whose orbit frequency
lies nearest the measured line frequency is taken (``p_frequency``: p from the frequency alone,
``f(I) = f_lin(I) + (omega(p) - omega0)/2 pi``, the linear mode's frequency extrapolated from the
sub-threshold lines).  ``p_resistance`` is p from the orbit-mean resistance V/I.

Nonlinear damping: ``Gamma_+(p) ~ <|m x B_eff|^2>/p`` and the STT gain ``Gamma_-(p)/I ~
<(B_eff.m)(m.u_ref) - B_eff.u_ref>/p`` on the orbits (the damping and STT energy rates; their
prefactors alpha, eta, volume cancel in the ratios), so ``Q = Gamma_+'(0)/Gamma_+(0)`` and
``s = -Gamma_-'(0)/Gamma_-(0)`` follow from the measured B_K, M_eff and psi (Slavin &
Tiberkevich, IEEE Trans. Magn. 45, 1875 (2009)).  Slavin's ``p0 = (zeta - 1)/(zeta s + Q)``
holds only where ``zeta s + Q > 0``; with Q < -s (subcritical) the oscillator jumps to a large
orbit at threshold and p is only found from the readout.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from spinbench.sim_backend.physics.constants import GAMMA_E
from spinbench.sim_backend.physics.rf import Z0

__all__ = ["LoopFit", "Readout", "OrbitSet", "fit_loop", "orbits", "infer_power"]


@dataclass
class LoopFit:
    r_plus: float       #: resistance of the +x state [ohm]
    r_minus: float      #: resistance of the -x state [ohm]
    b_down: float       #: reversal field on the down branch [T] (negative)
    b_up: float         #: reversal field on the up branch [T]

    @property
    def b_k(self) -> float:
        """Easy-axis reversal field = anisotropy field B_K (T = 0 Stoner-Wohlfarth) [T]."""
        return 0.5 * (abs(self.b_down) + abs(self.b_up))


def fit_loop(fields, voltages, current: float) -> LoopFit | None:
    """Resistances of the two states and the reversal fields of a +B -> -B -> +B loop (fields in
    measurement order); ``None`` if the loop did not reverse the free layer on both branches."""
    b = np.asarray(fields, dtype=float)
    r = np.asarray(voltages, dtype=float) / current
    n = int(np.argmin(b))                        # the loop's negative extreme
    r_plus, r_minus = float(np.median(r[:3])), float(np.median(r[max(n - 1, 0):n + 2]))
    if not np.all(np.isfinite(r)) or abs(r_plus - r_minus) < 1e-3 * abs(r_plus):
        return None
    minus = np.abs(r - r_minus) < np.abs(r - r_plus)
    down = np.flatnonzero(minus[:n + 1])
    up = np.flatnonzero(~minus[n:])
    if len(down) == 0 or len(up) == 0 or down[0] == 0 or up[0] == 0:
        return None
    k, j = int(down[0]), n + int(up[0])
    return LoopFit(r_plus, r_minus, 0.5 * (b[k - 1] + b[k]), 0.5 * (b[j - 1] + b[j]))


@dataclass
class Readout:
    """Conductance-form junction readout ``G(m) = G0 + G1 m.u_ref``."""

    g0: float
    g1: float
    psi: float          #: reference direction in the plane from +x [rad]

    @classmethod
    def from_loop(cls, loop: LoopFit, psi_deg: float) -> Readout:
        psi = math.radians(psi_deg)
        gp, gm = 1.0 / loop.r_plus, 1.0 / loop.r_minus
        if abs(math.cos(psi)) < 0.1:
            raise ValueError(f"reference_angle_deg = {psi_deg:g}: the easy-axis loop cannot calibrate the "
                             "readout within 85..95 deg of the field axis (|cos psi| < 0.1)")
        return cls(0.5 * (gp + gm), 0.5 * (gp - gm) / math.cos(psi), psi)

    @property
    def tmr(self) -> float:
        """(R_AP - R_P)/R_P = G_P/G_AP - 1."""
        return (self.g0 + abs(self.g1)) / (self.g0 - abs(self.g1)) - 1.0

    def resistance(self, m) -> np.ndarray:
        return 1.0 / (self.g0 + self.g1 * (m[0] * math.cos(self.psi) + m[1] * math.sin(self.psi)))


@dataclass
class OrbitSet:
    """Conservative orbits of the free layer, sorted by p."""

    p: np.ndarray
    omega: np.ndarray       #: [rad/s]
    r_first: np.ndarray     #: first-harmonic amplitude of R [ohm]
    r_mean: np.ndarray      #: [ohm]
    damping: np.ndarray     #: Gamma_+(p)/Gamma_+(0)
    gain: np.ndarray        #: Gamma_-(p)/Gamma_-(0)
    omega0: float

    def slope(self, y: np.ndarray, p_max: float = 0.01) -> float:
        """Relative slope dy/dp at p -> 0 (a line through the small orbits)."""
        k = self.p <= max(p_max, self.p[2])
        return float(np.polyfit(self.p[k], y[k], 1)[0])

    @property
    def q(self) -> float:
        return self.slope(self.damping)

    @property
    def s(self) -> float:
        return -self.slope(self.gain)


def orbits(b: float, b_k: float, m_eff: float, readout: Readout, omega0: float,
           amplitudes=None, gamma: float = GAMMA_E, steps_per_period: int = 200) -> OrbitSet:
    """Conservative orbits of the in-plane macrospin at in-plane turning angles ``amplitudes``."""
    amps = np.asarray(amplitudes if amplitudes is not None else
                      np.concatenate([np.geomspace(0.01, 1.0, 30), np.linspace(1.04, 3.0, 50)]))
    m = np.array([np.cos(amps), np.sin(amps), np.zeros_like(amps)])
    u = np.array([math.cos(readout.psi), math.sin(readout.psi), 0.0])[:, None]

    def b_eff(mm):
        return np.array([b + b_k * mm[0], np.zeros_like(mm[0]), -m_eff * mm[2]])

    def rhs(mm):
        return -gamma * np.cross(mm, b_eff(mm), axis=0)

    dt = 2 * np.pi / omega0 / steps_per_period
    n_max = 40 * steps_per_period
    rec_r, rec_loss, rec_gain = [], [], []
    angle = np.zeros(len(amps))
    prev = np.arctan2(m[2], m[1])
    period = np.full(len(amps), np.nan)
    for n in range(n_max):
        be = b_eff(m)
        mxb = np.cross(m, be, axis=0)
        rec_r.append(readout.resistance(m))
        rec_loss.append((mxb * mxb).sum(axis=0))
        rec_gain.append((be * m).sum(axis=0) * (m * u).sum(axis=0) - (be * u).sum(axis=0))
        k1 = rhs(m)
        k2 = rhs(m + dt / 2 * k1)
        k3 = rhs(m + dt / 2 * k2)
        k4 = rhs(m + dt * k3)
        m = m + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        m /= np.linalg.norm(m, axis=0)
        ang = np.arctan2(m[2], m[1])
        step = np.abs(np.angle(np.exp(1j * (ang - prev))))
        new = angle + step
        done = np.isnan(period) & (new >= 2 * np.pi)
        period[done] = (n + (2 * np.pi - angle[done]) / step[done]) * dt
        angle, prev = new, ang
        if not np.isnan(period).any():
            break
    ok = np.isfinite(period)
    t = np.arange(len(rec_r)) * dt
    r_t, loss_t, gain_t = np.array(rec_r), np.array(rec_loss), np.array(rec_gain)
    out = {k: [] for k in ("r_first", "r_mean", "loss", "gain")}
    for k in np.flatnonzero(ok):
        grid = np.linspace(0.0, period[k], 257)
        r = np.interp(grid, t, r_t[:, k])
        ph = np.exp(2j * np.pi * grid / period[k])
        out["r_first"].append(abs(np.trapezoid(r * ph, grid)) * 2 / period[k])
        out["r_mean"].append(np.trapezoid(r, grid) / period[k])
        out["loss"].append(np.trapezoid(np.interp(grid, t, loss_t[:, k]), grid) / period[k])
        out["gain"].append(np.trapezoid(np.interp(grid, t, gain_t[:, k]), grid) / period[k])
    a = amps[ok]
    p = gamma * (b * (1 - np.cos(a)) + 0.5 * b_k * np.sin(a) ** 2) / (2 * omega0)
    damping, gain = np.array(out["loss"]) / p, np.array(out["gain"]) / p
    small = p <= max(0.01, p[2])
    d0 = np.polyval(np.polyfit(p[small], damping[small], 1), 0.0)
    g0 = np.polyval(np.polyfit(p[small], gain[small], 1), 0.0)
    return OrbitSet(p, 2 * np.pi / period[ok], np.array(out["r_first"]), np.array(out["r_mean"]),
                    damping / d0, gain / g0, omega0)


def _roots(x: np.ndarray, y: np.ndarray, target: float) -> list[float]:
    """All x where the piecewise-linear y(x) crosses ``target``."""
    d = y - target
    k = np.flatnonzero(np.sign(d[:-1]) * np.sign(d[1:]) <= 0)
    return [float(x[i] - d[i] * (x[i + 1] - x[i]) / (d[i + 1] - d[i])) if d[i + 1] != d[i] else float(x[i])
            for i in k]


def infer_power(field: float, loop: LoopFit, psi_deg: float, osc, voltages: dict,
                gamma: float = GAMMA_E) -> dict:
    """p from each above-threshold line of ``osc`` (:class:`analysis.sto.OscillatorFit`) with
    the loop's readout; ``voltages``: current -> junction DC voltage.  Returns the readout and
    free-layer parameters, Q and s of the macrospin orbits, and a per-current table."""
    readout = Readout.from_loop(loop, psi_deg)
    cur = np.asarray(osc.currents)
    fc = np.asarray(osc.frequencies)
    below = np.asarray(osc.below, dtype=bool)
    if below.sum() >= 2:
        slope, f0 = np.polyfit(cur[below], fc[below], 1)
    else:
        slope, f0 = 0.0, float(fc[0])
    omega0 = 2 * np.pi * float(f0)
    b1 = field + loop.b_k
    m_eff = (omega0 / gamma) ** 2 / b1 - b1
    orb = orbits(field, loop.b_k, m_eff, readout, omega0, gamma=gamma)
    rows = []
    for i, pw, f, is_below in zip(cur, osc.powers, fc, below):
        if is_below or not (i in voltages and i > 0):
            continue
        r_dc = voltages[i] / i
        dr1 = math.sqrt(2 * pw / Z0) * (r_dc + Z0) / i
        f_lin = f0 + slope * i
        freq = f_lin + (orb.omega - omega0) / (2 * np.pi)
        p_f = _roots(orb.p, freq, f)
        p_f = p_f[0] if p_f else float("nan")
        cands = _roots(orb.p, orb.r_first, dr1)
        p_pw = min(cands, key=lambda x: abs(x - p_f)) if cands and np.isfinite(p_f) else \
            (cands[0] if cands else float("nan"))
        p_r = _roots(orb.p, orb.r_mean, r_dc)
        rows.append({"current": float(i), "zeta": float(i / osc.threshold_inverse_power), "dr1": dr1,
                     "r_dc": r_dc, "p": p_pw, "p_frequency": p_f,
                     "p_resistance": p_r[0] if p_r else float("nan")})
    return {"r_plus": loop.r_plus, "r_minus": loop.r_minus, "b_k": loop.b_k, "tmr": readout.tmr,
            "f0": float(f0), "m_eff": float(m_eff), "q": orb.q, "s": orb.s, "p_table": rows}
