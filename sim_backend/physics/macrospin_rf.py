"""Deterministic macrospin dynamics of an in-plane MTJ free layer for RF work: the torque, its
equilibrium, its linearization (analytic susceptibility), the time-domain LLG rectification, and
the conservative orbits from which the auto-oscillator's nonlinear parameters are derived.

One right-hand side serves everything (the sign conventions of :mod:`.llg`): Landau–Lifshitz
form with ``gamma' = gamma / (1 + alpha^2)``::

    dm/dt = -gamma' [m x B + alpha m x (m x B)]
    B = B_c(m) + B_DL (m x p) + beta B_DL p,   B_DL = hbar eta I / (2 e Ms V)
    B_c(m) = B_ext + B_Kc (m.x) x - mu0 Ms N_eff m          (conservative field, -grad e)

``e(m) = -B_ext.m - B_Kc (m.x)^2 / 2 + mu0 Ms/2 sum_i N_eff,i m_i^2`` is the energy per unit
moment [T]; ``N_eff = (Nx, Ny, Nz - B_perp/(mu0 Ms))`` folds the interfacial perpendicular
anisotropy into the demagnetizing tensor. A positive current pulls m toward the reference p.

Normalized power of a precession orbit (Slavin & Tiberkevich 2009): ``p = gamma De / (2 omega0)``
(for circular precession ``p = sin^2(theta/2)``), De the orbit's energy above the equilibrium.
Orbit averages of the damping and spin-torque energy rates give the positive and negative
damping rates ``Gamma_+(p)``, ``Gamma_-(p)/I`` (energy balance of the nearly conservative orbit,
valid for alpha << 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .constants import E_CHARGE, GAMMA_E, HBAR, MU0


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a x b along axis 0 (np.cross without its axis bookkeeping, which dominates small batches)."""
    return np.stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


@dataclass(frozen=True)
class Macrospin:
    """Everything the torque needs (SI; fields in T)."""

    ms: float                 #: [A/m]
    volume: float             #: [m^3]
    alpha: float
    b_kc: float               #: in-plane crystalline uniaxial field along x [T]
    n_eff: tuple              #: (Nx, Ny, Nz_eff)
    eta: float                #: STT efficiency
    beta: float               #: field-like / damping-like STT ratio
    p_ref: tuple              #: reference-layer unit vector
    gamma: float = GAMMA_E

    @property
    def b_per_i(self) -> float:
        """Damping-like STT field per current ``hbar eta / (2 e Ms V)`` [T/A]."""
        return HBAR * self.eta / (2.0 * E_CHARGE * self.ms * self.volume)

    def conservative_field(self, m: np.ndarray, b_ext: np.ndarray) -> np.ndarray:
        """``B_c(m)`` for m of shape (3, ...) and b_ext (3,) or (3, ...)."""
        n = np.asarray(self.n_eff, dtype=float).reshape((3,) + (1,) * (m.ndim - 1))
        b = -MU0 * self.ms * n * m + np.asarray(b_ext).reshape((3,) + (1,) * (m.ndim - 1))
        b = b.copy()
        b[0] = b[0] + self.b_kc * m[0]
        return b

    def energy(self, m: np.ndarray, b_ext: np.ndarray) -> np.ndarray:
        """Energy per unit moment e(m) [T] (so that B_c = -grad e)."""
        n = np.asarray(self.n_eff, dtype=float).reshape((3,) + (1,) * (m.ndim - 1))
        bx = np.asarray(b_ext).reshape((3,) + (1,) * (m.ndim - 1))
        return (-(bx * m).sum(axis=0) - 0.5 * self.b_kc * m[0] ** 2
                + 0.5 * MU0 * self.ms * (n * m * m).sum(axis=0))

    def total_field(self, m, b_ext, current):
        """``B`` of the LL equation for m (3, ...), current scalar or broadcastable to m[0]."""
        p = np.asarray(self.p_ref, dtype=float).reshape((3,) + (1,) * (m.ndim - 1))
        bdl = self.b_per_i * np.asarray(current)
        return self.conservative_field(m, b_ext) + bdl * _cross(m, np.broadcast_to(p, m.shape)) + self.beta * bdl * p

    def rhs(self, m, b_ext, current):
        """dm/dt [1/s] for m of shape (3, ...)."""
        b = self.total_field(m, b_ext, current)
        mxb = _cross(m, b)
        gp = self.gamma / (1.0 + self.alpha ** 2)
        return -gp * (mxb + self.alpha * _cross(m, mxb))


def tangent_basis(m0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors spanning the plane normal to m0: e1 in the film plane, e2 = m0 x e1."""
    z = np.array([0.0, 0.0, 1.0])
    e1 = np.cross(z, m0)
    if np.linalg.norm(e1) < 1e-9:
        e1 = np.array([1.0, 0.0, 0.0])
    e1 = e1 / np.linalg.norm(e1)
    e2 = np.cross(m0, e1)
    return e1, e2 / np.linalg.norm(e2)


def _on_sphere(m0, e1, e2, d):
    v = m0[:, None] + np.outer(e1, d[0]) + np.outer(e2, d[1]) if np.ndim(d[0]) else m0 + e1 * d[0] + e2 * d[1]
    return v / np.linalg.norm(v, axis=0)


def equilibrium(spin: Macrospin, b_ext, current: float, m_start) -> np.ndarray:
    """Fixed point of the LL equation (``m x B(m) = 0``) reached from ``m_start``: damped
    relaxation (the flow with the precession removed) then Newton in the tangent plane."""
    b_ext = np.asarray(b_ext, dtype=float)
    m = np.asarray(m_start, dtype=float) / np.linalg.norm(m_start)
    scale = MU0 * spin.ms + abs(spin.b_kc) + float(np.linalg.norm(b_ext)) + 1e-3
    for _ in range(200):        # relaxation: m <- m - h m x (m x B)
        b = spin.total_field(m, b_ext, current)
        tq = np.cross(m, np.cross(m, b))
        if np.linalg.norm(tq) < 1e-6 * scale:
            break
        m = m - 0.3 / scale * tq
        m = m / np.linalg.norm(m)
    for _ in range(30):         # Newton on r(d) = (e1.(m x B), e2.(m x B))
        e1, e2 = tangent_basis(m)

        def resid(d):
            mm = _on_sphere(m, e1, e2, d)
            v = np.cross(mm, spin.total_field(mm, b_ext, current))
            return np.array([e1 @ v, e2 @ v])

        r0 = resid((0.0, 0.0))
        if np.linalg.norm(r0) < 1e-13 * scale:
            break
        h = 1e-7
        jac = np.column_stack([(resid((h, 0.0)) - r0) / h, (resid((0.0, h)) - r0) / h])
        try:
            step = np.linalg.solve(jac, -r0)
        except np.linalg.LinAlgError:
            break
        step = np.clip(step, -0.2, 0.2)
        m = _on_sphere(m, e1, e2, step)
    return m


@dataclass
class Linearization:
    """Small-signal dynamics about an equilibrium m0: ``d delta/dt = J delta + b dI``."""

    m0: np.ndarray
    e1: np.ndarray
    e2: np.ndarray
    jac: np.ndarray           #: (2, 2) [1/s]
    drive: np.ndarray         #: (2,) torque per current [1/(s A)]
    hess_e: np.ndarray        #: (2, 2) Hessian of e(m) in the tangent plane [T]

    @property
    def eigenvalues(self) -> np.ndarray:
        return np.linalg.eigvals(self.jac)

    @property
    def omega0(self) -> float:
        """Linear precession frequency |Im lambda| [rad/s]."""
        return float(np.abs(self.eigenvalues.imag).max())

    @property
    def decay_rate(self) -> float:
        """-Re lambda [1/s] (negative above the STT threshold)."""
        return float(-self.eigenvalues.real.mean())

    def response(self, omega) -> np.ndarray:
        """Complex amplitude (2, K) of delta per unit RF current amplitude at angular frequencies
        ``omega`` (K,): ``(i omega - J)^-1 b`` (the analytic susceptibility). A complex
        ``omega - i gamma`` gives its average over a Lorentzian line of half width ``gamma``
        centred on ``omega`` (the poles lie in the upper half plane)."""
        w = np.atleast_1d(np.asarray(omega))
        if not np.iscomplexobj(w):
            w = w.astype(float)
        a, b, c, d = self.jac[0, 0], self.jac[0, 1], self.jac[1, 0], self.jac[1, 1]
        iw = 1j * w
        det = (iw - a) * (iw - d) - b * c
        x = ((iw - d) * self.drive[0] + b * self.drive[1]) / det
        y = (c * self.drive[0] + (iw - a) * self.drive[1]) / det
        return np.vstack([x, y])


def linearize(spin: Macrospin, b_ext, current: float, m0: np.ndarray) -> Linearization:
    """Jacobian, drive vector and energy Hessian by central differences in the tangent plane."""
    b_ext = np.asarray(b_ext, dtype=float)
    e1, e2 = tangent_basis(m0)
    h = 1e-6
    cols = []
    for k in range(2):
        dp = np.zeros(2)
        dp[k] = h
        fp = spin.rhs(_on_sphere(m0, e1, e2, dp), b_ext, current)
        fm = spin.rhs(_on_sphere(m0, e1, e2, -dp), b_ext, current)
        df = (fp - fm) / (2 * h)
        cols.append([e1 @ df, e2 @ df])
    jac = np.array(cols).T
    di = 1e-6
    dfi = (spin.rhs(m0, b_ext, current + di) - spin.rhs(m0, b_ext, current - di)) / (2 * di)
    drive = np.array([e1 @ dfi, e2 @ dfi])
    hess = hessian_2d(lambda d: float(spin.energy(_on_sphere(m0, e1, e2, d), b_ext)), 1e-4)
    return Linearization(m0, e1, e2, jac, drive, hess)


def hessian_2d(fun, h: float) -> np.ndarray:
    """Central-difference Hessian of ``fun(d)`` at d = 0 for d in R^2."""
    f0 = fun((0.0, 0.0))
    hxx = (fun((h, 0.0)) - 2 * f0 + fun((-h, 0.0))) / h**2
    hyy = (fun((0.0, h)) - 2 * f0 + fun((0.0, -h))) / h**2
    hxy = (fun((h, h)) - fun((h, -h)) - fun((-h, h)) + fun((-h, -h))) / (4 * h * h)
    return np.array([[hxx, hxy], [hxy, hyy]])


def rk4_llg(spin: Macrospin, m0: np.ndarray, b_ext, current_fn, duration: float, dt: float,
            average_from: float, observe):
    """Deterministic RK4 integration of the LL equation for a batch m0 (3, K) with a current
    ``current_fn(t) -> (K,)``; returns the time average over ``[average_from, duration]`` of
    ``observe(t, m, I)`` (K,) (trapezoid rule)."""
    m = np.array(m0, dtype=float)
    b_ext = np.asarray(b_ext, dtype=float)
    n = int(round(duration / dt))
    k0 = int(round(average_from / dt))
    acc = np.zeros(m.shape[1])
    count = 0.0
    t = 0.0
    for k in range(n + 1):
        if k >= k0:
            w = 0.5 if k in (k0, n) else 1.0
            acc += w * observe(t, m, current_fn(t))
            count += w
        if k == n:
            break
        i0, ih, i1 = current_fn(t), current_fn(t + dt / 2), current_fn(t + dt)
        k1 = spin.rhs(m, b_ext, i0)
        k2 = spin.rhs(m + dt / 2 * k1, b_ext, ih)
        k3 = spin.rhs(m + dt / 2 * k2, b_ext, ih)
        k4 = spin.rhs(m + dt * k3, b_ext, i1)
        m = m + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        m /= np.linalg.norm(m, axis=0)
        t += dt
    return acc / count


@dataclass
class OrbitTable:
    """Conservative precession orbits about the zero-current equilibrium, by normalized power."""

    p: np.ndarray             #: normalized power of each orbit
    omega: np.ndarray         #: angular frequency [rad/s]
    gamma_plus: np.ndarray    #: positive damping rate Gamma_+(p) [1/s]
    gain_per_i: np.ndarray    #: negative damping per current Gamma_-(p)/I [1/(s A)]
    r_mean: np.ndarray        #: orbit-mean resistance [ohm]
    r_first: np.ndarray       #: amplitude of the resistance's first harmonic [ohm]
    omega0: float             #: linear frequency [rad/s]

    def slope_at_zero(self, y: np.ndarray, k: int = 4) -> tuple[float, float]:
        """(value, slope) at p -> 0 of a quantity tabulated on the orbits (quadratic fit to the
        ``k + 2`` smallest orbits)."""
        c = np.polyfit(self.p[: k + 2], y[: k + 2], 2)
        return float(c[2]), float(c[1])


def orbit_table(spin: Macrospin, b_ext, m0: np.ndarray, resistance, omega0: float,
                amplitudes=None, dt: float | None = None) -> OrbitTable:
    """Integrate conservative orbits (alpha = 0, I = 0) started at in-plane angles ``amplitudes``
    from the equilibrium ``m0``; orbit-average the damping and STT energy rates and the
    resistance ``resistance(m) -> ohm`` over one period.

    Energy rates (per unit moment): damping ``de/dt = -alpha gamma |m x B_c|^2``, spin torque
    ``de/dt = gamma B_DL [(B_c.m)(m.p) - B_c.p]``; with ``dp/dt = gamma/(2 omega0) de/dt =
    -2 (Gamma_+ - Gamma_-) p`` these give ``Gamma_+(p)`` and ``Gamma_-(p)/I``.
    """
    b_ext = np.asarray(b_ext, dtype=float)
    amps = np.asarray(amplitudes if amplitudes is not None else np.geomspace(0.02, 2.9, 40))
    e1, e2 = tangent_basis(m0)
    m = np.cos(amps)[None, :] * m0[:, None] + np.sin(amps)[None, :] * e1[:, None]
    e_ref = float(spin.energy(m0, b_ext))
    de = spin.energy(m, b_ext) - e_ref
    period0 = 2 * np.pi / omega0
    dt = dt or period0 / 160
    n_max = int(8.0 * period0 / dt)
    cons = Macrospin(spin.ms, spin.volume, 0.0, spin.b_kc, spin.n_eff, spin.eta, spin.beta, spin.p_ref, spin.gamma)
    p_ref = np.asarray(spin.p_ref, dtype=float)[:, None]
    k_orb = len(amps)
    phase = np.zeros(k_orb)
    done = np.zeros(k_orb, dtype=bool)
    period = np.full(k_orb, np.nan)

    def quantities(mm):
        bc = cons.conservative_field(mm, b_ext)
        mxb = _cross(mm, bc)
        loss = spin.alpha * spin.gamma * (mxb * mxb).sum(axis=0)
        gain = spin.gamma * spin.b_per_i * ((bc * mm).sum(axis=0) * (mm * p_ref).sum(axis=0) - (bc * p_ref).sum(axis=0))
        return loss, gain, resistance(mm)

    ang_prev = np.arctan2(e2 @ m, e1 @ m)
    rec_loss, rec_gain, rec_r = [], [], []
    t = 0.0
    for _ in range(n_max):
        loss, gain, r = quantities(m)
        rec_loss.append(loss)
        rec_gain.append(gain)
        rec_r.append(r)
        k1 = cons.rhs(m, b_ext, 0.0)
        k2 = cons.rhs(m + dt / 2 * k1, b_ext, 0.0)
        k3 = cons.rhs(m + dt / 2 * k2, b_ext, 0.0)
        k4 = cons.rhs(m + dt * k3, b_ext, 0.0)
        m = m + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        m /= np.linalg.norm(m, axis=0)
        t += dt
        ang = np.arctan2(e2 @ m, e1 @ m)
        dphi = np.abs(np.angle(np.exp(1j * (ang - ang_prev))))
        new_phase = phase + dphi
        crossing = (~done) & (new_phase >= 2 * np.pi)
        if np.any(crossing):
            frac = (2 * np.pi - phase[crossing]) / dphi[crossing]
            period[crossing] = t - dt + frac * dt
            done |= crossing
        phase = np.where(done, phase, new_phase)
        ang_prev = ang
        if done.all():
            break
    ok = done
    tt = np.arange(len(rec_r)) * dt
    loss_t, gain_t, r_t = (np.array(a) for a in (rec_loss, rec_gain, rec_r))
    kk = np.flatnonzero(ok)
    loss = np.empty(len(kk))
    gain = np.empty(len(kk))
    r_mean = np.empty(len(kk))
    r_first = np.empty(len(kk))
    for j, k in enumerate(kk):
        tp = period[k]
        grid = np.linspace(0.0, tp, 257)
        def avg(y):
            return float(np.trapezoid(np.interp(grid, tt, y), grid) / tp)
        loss[j] = avg(loss_t[:, k])
        gain[j] = avg(gain_t[:, k])
        rk = np.interp(grid, tt, r_t[:, k])
        r_mean[j] = float(np.trapezoid(rk, grid) / tp)
        c = np.trapezoid(rk * np.cos(2 * np.pi * grid / tp), grid) * 2 / tp
        s = np.trapezoid(rk * np.sin(2 * np.pi * grid / tp), grid) * 2 / tp
        r_first[j] = float(np.hypot(c, s))
    p = spin.gamma * de[ok] / (2 * omega0)
    omega = 2 * np.pi / period[ok]
    fac = spin.gamma / (2 * omega0)
    order = np.argsort(p)
    return OrbitTable(p=p[order], omega=omega[order], gamma_plus=(fac * loss / (2 * p))[order],
                      gain_per_i=(fac * gain / (2 * p))[order], r_mean=r_mean[order],
                      r_first=r_first[order], omega0=omega0)
