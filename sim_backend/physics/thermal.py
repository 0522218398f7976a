"""Thermally activated switching (Néel–Brown) and its link to the precessional regime.

For pulses much longer than the precession/relaxation time ``tau_D`` a bistable magnet
switches by thermal activation over a drive-lowered barrier::

    tau(x) = tau0 exp(Delta (1 - x)^n),    P_sw(t) = 1 - exp(-t / tau),    x = I / I_c0

(Néel 1949; Brown 1963; with current, Koch et al. PRL 92, 088302 (2004) n = 1; Butler et al.
IEEE Trans. Magn. 48, 4684 (2012) showed n = 2 for an axially symmetric STT macrospin).
The cost of evaluating it is independent of the pulse width, which is what makes a 1 ms pulse
as cheap as a 10 ns one in the simulated world. ``tau0`` is not a constant of nature: for the
axial macrospin the exact escape time (:func:`axial_escape_time`) corresponds to tau0 rising
from ~0.05 ns at x = 0 to ~2 ns at x = 0.8 (Delta = 40, alpha = 0.05); the customary
tau0 = 1 ns reproduces the sLLG 50 % current at 10-30 ns pulses within a few %.

For short pulses (t ~ tau_D) and x > 1 the precessional probability of
:func:`sim_backend.physics.analytic.precessional_switching_probability` applies; the two are
combined as independent channels in :func:`switching_probability`, which is continuous in x
and t. :func:`mean_first_passage_time` gives the exact escape time of the axially symmetric
macrospin (1-D Fokker–Planck in x = m_z), used to set ``tau0`` and to test the sLLG.
"""

from __future__ import annotations

import numpy as np
from scipy import integrate

from .analytic import precessional_switching_probability


def neel_brown_time(x, delta, tau0=1e-9, n=2.0):
    """Mean thermal switching time ``tau0 exp(Delta max(0, 1 - x)^n)`` [s].

    Parameters
    ----------
    x : float or array
        Reduced drive I / I_c0 (or any drive ratio toward the other state); x >= 1 removes
        the barrier and tau -> tau0.
    delta : float or array
        Zero-drive barrier in units of kB T.
    tau0 : float or array
        Attempt time [s].
    n : float
        Barrier exponent.
    """
    b = np.clip(1.0 - np.asarray(x, dtype=float), 0.0, None)
    return np.asarray(tau0) * np.exp(np.asarray(delta) * b**n)


def thermal_switching_probability(t_pulse, x, delta, tau0=1e-9, n=2.0):
    """``P = 1 - exp(-t / tau(x))`` (Poisson escape during a pulse of width ``t_pulse``)."""
    return -np.expm1(-np.asarray(t_pulse) / neel_brown_time(x, delta, tau0, n))


def thermal_switching_ratio(t_pulse, delta, tau0=1e-9, n=2.0, probability=0.5):
    """Drive ratio x = I/I_c0 that switches with ``probability`` in ``t_pulse`` (thermal regime).

    Inverts :func:`thermal_switching_probability`:
    ``x = 1 - (ln(t / (tau0 ln(1/(1-P)))) / Delta)^(1/n)``; 1 when the pulse is too short for
    activation to help (the precessional regime takes over there).
    """
    arg = np.log(np.asarray(t_pulse) / (np.asarray(tau0) * -np.log1p(-probability)))
    return 1.0 - np.clip(arg / np.asarray(delta), 0.0, None) ** (1.0 / n)


def switching_probability(t_pulse, x, delta, tau0, tau_d, n=2.0, t_thermal=None):
    """Switching probability of one pulse, with the regime chosen by the pulse width.

    Pulses shorter than ``t_thermal`` (default ``max(10 ns, 25 tau_D)``) use the precessional
    law (:func:`~sim_backend.physics.analytic.precessional_switching_probability`, x > 1),
    longer ones the larger of it and Néel–Brown (:func:`thermal_switching_probability`).
    Néel–Brown is an escape-rate law: it needs t >> tau0 and knows nothing of the transit time,
    so it is not used for short pulses. Between ~3 tau_D and ~25 tau_D neither closed form is
    accurate (the stochastic LLG is: see tests/sim_backend/physics/test_switching_regimes.py).
    """
    t = np.asarray(t_pulse, dtype=float)
    if t_thermal is None:
        t_thermal = max(10e-9, 25.0 * float(np.max(tau_d)))
    p_pr = precessional_switching_probability(t, x, delta, tau_d)
    p_th = thermal_switching_probability(t, x, delta, tau0, n)
    return np.where(t >= t_thermal, np.maximum(p_th, p_pr), p_pr)


def switching_ratio(t_pulse, delta, tau0, tau_d, n=2.0, probability=0.5, x_max=20.0):
    """x = I/I_c0 at which :func:`switching_probability` equals ``probability`` (bisection)."""
    t = np.atleast_1d(np.asarray(t_pulse, dtype=float))
    lo = np.zeros_like(t)
    hi = np.full_like(t, x_max)
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        p = switching_probability(t, mid, delta, tau0, tau_d, n)
        lo = np.where(p < probability, mid, lo)
        hi = np.where(p < probability, hi, mid)
    out = 0.5 * (lo + hi)
    return out if np.ndim(t_pulse) else float(out[0])


# --------------------------------------------------------------------------- exact axial escape
def mean_first_passage_time(delta, tau_n, x_start=1.0, x_end=0.0, x_ratio=0.0, h=0.0):
    """Mean first-passage time of an axially symmetric macrospin from m_z = x_start to x_end [s].

    Brown's Fokker–Planck equation for W(x, t), x = m.u, reduces for axial symmetry to
    ``dW/dt = (1/(2 tau_N)) d/dx[(1 - x^2)(dW/dx + W dU/dx)]`` with the (effective) reduced
    potential ``U(x) = -Delta (x + h - x_ratio)^2``: h = B_z/B_K,eff is a field along the axis
    and x_ratio = I/I_c0 an STT drive destabilizing x = +1 (it enters the drift exactly like a
    field; Butler et al. 2012). With a reflecting boundary at x = 1 and an absorbing one at
    x_end < x_start::

        T = 2 tau_N int_{x_end}^{x_start} dy e^{U(y)} / (1 - y^2) int_y^1 e^{-U(z)} dz

    Parameters
    ----------
    delta : float
        Barrier K_eff V / (kB T) at zero drive.
    tau_n : float
        Brown's time Ms V (1 + alpha^2) / (2 alpha gamma kB T) [s].
    """
    c = h - x_ratio

    def u(y):
        return -delta * (y + c) ** 2

    zs = np.linspace(-1.0, 1.0, 8001)
    ez = np.exp(-(u(zs) - u(1.0)))     # shifted to avoid overflow; shift cancels below
    # int_y^1, accumulated from the right so large values near y = -1 cannot cancel
    inner = -integrate.cumulative_trapezoid(ez[::-1], zs[::-1], initial=0.0)[::-1]
    # the integrand is finite at y -> 1 (inner ~ 1 - y); drop the endpoint singularity (and
    # evaluate only inside [x_end, x_start]: 1/(1 - y^2) overflows at y = -1)
    sel = (zs >= x_end) & (zs <= x_start) & (zs < 1.0)
    ys = zs[sel]
    outer = np.exp(u(ys) - u(1.0)) * inner[sel] / np.clip(1.0 - ys**2, 1e-300, None)
    return 2.0 * tau_n * np.trapezoid(outer, ys)


def axial_escape_time(x, delta, tau_n, x_end=0.0):
    """Exact mean time for an axially symmetric macrospin driven at x = I/I_c0 (STT along the
    axis) to reach m_z = ``x_end`` from the well bottom; vectorized over ``x`` [s]."""
    xs = np.atleast_1d(np.asarray(x, dtype=float))
    out = np.array([mean_first_passage_time(delta, tau_n, 1.0, x_end, x_ratio=v) for v in xs])
    return out if np.ndim(x) else float(out[0])


def attempt_time(delta, tau_n, n=2.0):
    """Néel–Brown ``tau0`` that reproduces the exact zero-drive escape time of the macrospin.

    ``tau0 = T_MFPT(+1 -> past the barrier) / exp(Delta)``; the absorbing point is at
    x = -0.5 so that an escape counts only once the moment has fallen into the other well.
    """
    return mean_first_passage_time(delta, tau_n, 1.0, -0.5) / np.exp(delta)


# --------------------------------------------------------------------------- Markov stepping
def two_state_step(state, dt, tau_leave, rng, tau_return=None):
    """Advance independent two-state (+1/-1) systems by ``dt`` (exact master equation).

    With rates a = 1/tau_leave out of the present state and b = 1/tau_return back into it,
    the probability to be found in the other state after ``dt`` is
    ``a/(a + b) (1 - exp(-(a + b) dt))``; without ``tau_return`` (b = 0) it is
    ``1 - exp(-a dt)``. ``np.inf`` means frozen. Returns the new state array (a copy).
    """
    state = np.asarray(state)
    a = 1.0 / np.asarray(tau_leave, dtype=float)
    if tau_return is None:
        p = -np.expm1(-a * dt)
    else:
        b = 1.0 / np.asarray(tau_return, dtype=float)
        tot = a + b
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(tot > 0, a / np.where(tot > 0, tot, 1.0) * -np.expm1(-tot * dt), 0.0)
    flip = rng.random(state.shape) < p
    return np.where(flip, -state, state)


def sample_boltzmann_cone(delta, n, rng, axis=(0.0, 0.0, 1.0)):
    """Draw (n, 3) directions from the equilibrium distribution ``exp(Delta (m.u)^2)`` in the
    +u well (exact inverse-CDF sampling of x = m.u on [0, 1], uniform azimuth)."""
    u_axis = np.asarray(axis, dtype=float)
    u_axis = u_axis / np.linalg.norm(u_axis)
    grid = np.linspace(0.0, 1.0, 4001)
    cdf = integrate.cumulative_trapezoid(np.exp(delta * (grid**2 - 1.0)), grid, initial=0.0)
    cdf /= cdf[-1]
    x = np.interp(rng.random(n), cdf, grid)
    phi = rng.random(n) * 2.0 * np.pi
    s = np.sqrt(np.clip(1.0 - x**2, 0.0, None))
    # orthonormal frame around u
    a = np.array([1.0, 0.0, 0.0]) if abs(u_axis[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    e1 = np.cross(u_axis, a); e1 /= np.linalg.norm(e1)
    e2 = np.cross(u_axis, e1)
    return (x[:, None] * u_axis + (s * np.cos(phi))[:, None] * e1 + (s * np.sin(phi))[:, None] * e2)


# --------------------------------------------------------------------------- PMA + SOT + field
def sot_preferred_state(j, b_x, xi_dl, sigma_y=1.0):
    """Out-of-plane state (+1/-1, 0 for none) that damping-like SOT favours with in-plane field.

    With the integrator's convention (torque -gamma B_DL m x (m x sigma), sigma = +y for
    current along +x) a macrospin driven above threshold and released over a finite pulse edge
    ends at ``m_z = +sign(xi_DL J B_x sigma_y)`` (checked against the sLLG in
    tests/sim_backend/physics/test_devices.py): the polarity is set by the sign of J B_x and
    flips with either; at B_x = 0 nothing is preferred.
    """
    return np.sign(np.asarray(xi_dl) * np.asarray(j) * np.asarray(b_x) * sigma_y)


def pma_escape_times(state, *, j, b, temperature, delta_300, b_k_eff, jc0, tau0=1e-9, n_sot=1.0,
                     xi_dl=1.0, sigma_y=1.0, b_x_bias=0.0):
    """Mean times to leave the present up/down state of PMA magnets under SOT and field [s].

    Barrier for leaving state s (a product of the Stoner–Wohlfarth field factors and the
    Néel–Brown current factor, an approximation that reduces to each law alone)::

        Delta_s = Delta(T) (1 - b_ip)^2 max(0, 1 + s h_z)^2 max(0, 1 - q_s J / J_c(B_x))^n_sot

    ``Delta(T) = delta_300 * 300 / T``; ``b_ip = |B_inplane| / B_K,eff``; ``h_z = B_z / B_K,eff``;
    ``J_c(B_x) = jc0 (1 - sqrt(2) |B_x| / B_K,eff)`` (Lee et al., APL 102, 112410 (2013),
    jc0 = its B_x = 0 value); ``q_s = 1`` when the current drives away from s (s is not the
    preferred state of :func:`sot_preferred_state`) and ``1 - erf(|B_x| sqrt(Delta) / B_K,eff)``
    when s is preferred: at B_x = 0 a supercritical current lowers both barriers (the moment is
    pulled in plane and relaxes up or down at random, no deterministic switching), and the
    in-plane field must tilt m by more than its thermal spread to pick the polarity.

    Parameters are scalars or arrays broadcasting with ``state`` (e.g. per grain); ``b`` is the
    (3,) field in tesla, ``j`` the current density [A/m^2]. ``b_x_bias`` is a built-in
    symmetry-breaking field (an easy axis tilted by beta toward x acts like
    ``B_K,eff sin(2 beta) / 2``): it sets the polarity and lowers J_c like B_x but, being no real
    field, does not lower the barrier. Returns an array like ``state``.
    """
    from scipy.special import erf

    s = np.asarray(state, dtype=float)
    bk = np.asarray(b_k_eff, dtype=float)
    bx, by, bz = (float(v) for v in b)
    t = max(float(temperature), 1e-3)
    delta = np.asarray(delta_300) * 300.0 / t
    b_ip = np.clip(np.hypot(bx, by) / bk, 0.0, 1.0)
    h_z = bz / bk
    field_factor = (1.0 - b_ip) ** 2 * np.clip(1.0 + s * h_z, 0.0, None) ** 2
    bx_sym = bx + float(b_x_bias)
    jc = np.asarray(jc0) * np.clip(1.0 - np.sqrt(2.0) * abs(bx_sym) / bk, 1e-3, None)
    x = abs(float(j)) / jc
    pref = sot_preferred_state(j, bx_sym, xi_dl, sigma_y)
    pi_abs = erf(abs(bx_sym) * np.sqrt(delta) / bk)
    q = np.where(s == pref, 1.0 - pi_abs, 1.0) if np.any(pref != 0) else np.ones_like(s)
    current_factor = np.clip(1.0 - q * x, 0.0, None) ** n_sot
    barrier = delta * field_factor * current_factor
    return np.asarray(tau0) * np.exp(np.minimum(barrier, 700.0))
