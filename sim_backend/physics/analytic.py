"""Closed-form macrospin laws: resonance, switching fields and currents, switching times.

Pure functions of numbers or numpy arrays, SI units, fields as flux densities B = mu0 H [T].
The simulator checks its numerics against these (tests/sim_backend/physics) and ``analysis``
may import them so each formula exists once. ``b_k`` is the uniaxial anisotropy field
2 K_u / Ms; ``b_k_eff`` the effective one of a thin film, 2 K_u / Ms - mu0 Ms (positive: PMA).
"""

from __future__ import annotations

import numpy as np

from .constants import E_CHARGE, GAMMA_E, HBAR, KB, MU0, TWO_PI


# --------------------------------------------------------------------------- anisotropy
def anisotropy_field(k_u, ms):
    """Uniaxial anisotropy field ``B_K = 2 K_u / Ms`` [T]."""
    return 2.0 * np.asarray(k_u) / np.asarray(ms)


def effective_anisotropy_field(k_u, ms, demag_factors=(0.0, 0.0, 1.0)):
    """Out-of-plane effective anisotropy ``B_K - mu0 Ms (Nz - Nx)`` [T] (> 0: PMA)."""
    n = np.asarray(demag_factors, dtype=float)
    return anisotropy_field(k_u, ms) - MU0 * np.asarray(ms) * (n[..., 2] - n[..., 0])


def thermal_stability(k_eff, volume, temperature):
    """Thermal stability factor ``Delta = K_eff V / (kB T)``, with ``K_eff = Ms B_K,eff / 2``."""
    return np.asarray(k_eff) * np.asarray(volume) / (KB * np.asarray(temperature))


# --------------------------------------------------------------------------- resonance
def kittel_pma_out_of_plane(b_z, b_k_eff, gamma=GAMMA_E):
    """FMR of a PMA film magnetized along +z by ``b_z`` >= -b_k_eff: ``f = gamma/2pi (B + B_K,eff)``."""
    return gamma / TWO_PI * (np.asarray(b_z) + np.asarray(b_k_eff))


def kittel_in_plane_easy_axis(b, b_k, ms, gamma=GAMMA_E):
    """FMR of an in-plane film with field along its in-plane easy axis (Kittel 1948).

    ``f = gamma/2pi sqrt((B + B_K)(B + B_K + mu0 Ms))``, B_K the in-plane uniaxial field.
    """
    bb = np.asarray(b) + np.asarray(b_k)
    return gamma / TWO_PI * np.sqrt(bb * (bb + MU0 * np.asarray(ms)))


def kittel_pma_in_plane_field(b_x, b_k_eff, gamma=GAMMA_E):
    """FMR of a PMA film (B_K,eff > 0) in an in-plane field ``b_x``.

    Below saturation (|B| < B_K,eff, m tilted, sin(theta) = B/B_K,eff):
    ``f = gamma/2pi B_K,eff sqrt(1 - (B/B_K,eff)^2)``; above (m in plane):
    ``f = gamma/2pi sqrt(B (B - B_K,eff))``. Soft mode at B = B_K,eff.
    """
    b = np.abs(np.asarray(b_x, dtype=float))
    bk = np.asarray(b_k_eff, dtype=float)
    below = bk * np.sqrt(np.clip(1.0 - (b / bk) ** 2, 0.0, None))
    above = np.sqrt(np.clip(b * (b - bk), 0.0, None))
    return gamma / TWO_PI * np.where(b < bk, below, above)


# --------------------------------------------------------------------------- quasi-static switching
def stoner_wohlfarth_field(psi, b_k):
    """Stoner–Wohlfarth switching field at 0 K (the astroid) [T].

    ``B_sw(psi) = B_K / (cos^(2/3) psi + sin^(2/3) psi)^(3/2)``, psi the angle between the
    applied field and the easy axis (Stoner & Wohlfarth, Phil. Trans. A 240, 599 (1948)).
    """
    c = np.abs(np.cos(psi)) ** (2.0 / 3.0)
    s = np.abs(np.sin(psi)) ** (2.0 / 3.0)
    return np.asarray(b_k) / (c + s) ** 1.5


def stt_critical_current(alpha, eta, ms, b_k_eff, volume):
    """Zero-temperature STT switching current of a perpendicular free layer [A].

    ``I_c0 = (2e/hbar) (alpha/eta) mu0 Ms H_K,eff V = (2e/hbar) (alpha/eta) Ms B_K,eff V``
    (Sun, PRB 62, 570 (2000); the in-plane demag term is absent for PMA).
    """
    return 2.0 * E_CHARGE / HBAR * np.asarray(alpha) / np.asarray(eta) * np.asarray(ms) \
        * np.asarray(b_k_eff) * np.asarray(volume)


def sot_critical_current_density(ms, thickness, xi_dl, b_k_eff, b_x):
    """Macrospin SOT switching current density of a PMA layer with in-plane field [A/m^2].

    Lee et al., APL 102, 112410 (2013), SI form:
    ``J_c = (2e/hbar) (Ms t_F / xi_DL) (B_K,eff/2 - |B_x|/sqrt(2))``, valid for
    |B_x| << B_K,eff; clipped at 0. Deterministic polarity needs B_x != 0.
    """
    jc = 2.0 * E_CHARGE / HBAR * np.asarray(ms) * np.asarray(thickness) / np.abs(np.asarray(xi_dl)) \
        * (0.5 * np.asarray(b_k_eff) - np.abs(np.asarray(b_x)) / np.sqrt(2.0))
    return np.clip(jc, 0.0, None)


def sot_field_per_current_density(ms, thickness, xi):
    """SOT effective field per unit current density ``hbar xi / (2 e Ms t_F)`` [T / (A/m^2)]."""
    return HBAR * np.asarray(xi) / (2.0 * E_CHARGE * np.asarray(ms) * np.asarray(thickness))


# --------------------------------------------------------------------------- switching time
def relaxation_time(alpha, b_k_eff, gamma=GAMMA_E):
    """Characteristic STT time ``tau_D = (1 + alpha^2) / (alpha gamma B_K,eff)`` [s]."""
    a = np.asarray(alpha)
    return (1.0 + a**2) / (a * gamma * np.asarray(b_k_eff))


def sun_switching_time(i_ratio, tau_d, theta0):
    """Sun's law for precessional STT switching: ``t_sw = tau_D ln(pi / (2 theta0)) / (i - 1)``.

    ``i = I / I_c0 > 1``; Sun, PRB 62, 570 (2000). Leading order in theta0 and (i - 1)^-1.
    """
    i = np.asarray(i_ratio, dtype=float)
    return np.where(i > 1.0, np.asarray(tau_d) * np.log(np.pi / (2.0 * np.asarray(theta0)))
                    / np.where(i > 1.0, i - 1.0, 1.0), np.inf)


def stt_switching_time_exact(i_ratio, tau_d, theta0):
    """Time for an axially symmetric PMA macrospin to go from theta0 to the equator (0 K) [s].

    Exact integral of ``d theta/dt = sin(theta) (i - cos(theta)) / tau_D`` (the linearization
    of which gives :func:`sun_switching_time`)::

        t / tau_D = -ln(1 - c)/(2(i-1)) + ln(1 + c)/(2(i+1)) - ln((i - c)/i)/(1 - i^2),  c = cos(theta0)
    """
    i = np.asarray(i_ratio, dtype=float)
    th0 = np.asarray(theta0, dtype=float)
    c = np.cos(th0)
    one_minus_c = 2.0 * np.sin(0.5 * th0) ** 2          # exact for tiny theta0
    ok = i > 1.0
    ii = np.where(ok, i, 2.0)
    val = (-np.log(one_minus_c) / (2.0 * (ii - 1.0)) + np.log(1.0 + c) / (2.0 * (ii + 1.0))
           - np.log((ii - c) / ii) / (1.0 - ii**2))
    return np.where(ok, np.asarray(tau_d) * val, np.inf)


def critical_initial_angle(t_pulse, i_ratio, tau_d):
    """Smallest initial angle theta0 from which the 0 K trajectory reaches the equator within
    ``t_pulse`` (inverse of :func:`stt_switching_time_exact`, bisection in log theta0); pi/2 for
    i <= 1."""
    t = np.asarray(t_pulse, dtype=float)
    i = np.asarray(i_ratio, dtype=float)
    t, i = np.broadcast_arrays(t, i)
    lo = np.full(t.shape, np.log(1e-12))
    hi = np.full(t.shape, np.log(np.pi / 2))
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        fast = stt_switching_time_exact(i, tau_d, np.exp(mid)) <= t
        hi = np.where(fast, mid, hi)
        lo = np.where(fast, lo, mid)
    return np.where(i > 1.0, np.exp(hi), np.pi / 2)


def precessional_switching_probability(t_pulse, i_ratio, delta, tau_d, *, exact_trajectory=True,
                                       noise_during_pulse=True):
    """Switching probability of a thermally distributed PMA macrospin under a short STT pulse.

    The moment switches if its initial angle exceeds the critical angle theta_c for which the
    0 K trajectory reaches the equator within the pulse. With theta0^2 exponential of mean
    1/Delta (Boltzmann) and the linearized motion ``theta0 exp((i - 1) t / tau_D)``, this is
    Butler et al.'s law (IEEE Trans. Magn. 48, 4684 (2012); Sun's law with a thermal theta0)::

        P = exp(-(pi^2 Delta / 4) exp(-2 (i - 1) t / tau_D))

    Two refinements (both on by default) bring it to the stochastic LLG within a few % at ns
    pulses: ``exact_trajectory`` takes theta_c from the exact axial 0 K time
    (:func:`critical_initial_angle`) instead of the linearization, and
    ``noise_during_pulse`` adds the thermal kicks received while the cone grows: for the
    linear Ornstein–Uhlenbeck motion the spread referred back to t = 0 grows from 1/Delta to
    ``(1/Delta) (1 + (1 - exp(-2 (i-1) t / tau_D)) / (i - 1))``. P = 0 for i <= 1.
    """
    i = np.asarray(i_ratio, dtype=float)
    t = np.asarray(t_pulse, dtype=float)
    ok = i > 1.0
    ii = np.where(ok, i, 2.0)
    if exact_trajectory:
        s2 = np.sin(critical_initial_angle(t, ii, tau_d)) ** 2
    else:
        s2 = (np.pi**2 / 4.0) * np.exp(-2.0 * (ii - 1.0) * t / tau_d)
    g = 1.0
    if noise_during_pulse:
        g = 1.0 + (-np.expm1(-2.0 * (ii - 1.0) * t / tau_d)) / (ii - 1.0)
    return np.where(ok, np.exp(-np.asarray(delta) * s2 / g), 0.0)


# --------------------------------------------------------------------------- thermal equilibrium
def neel_brown_prefactor_time(alpha, ms, volume, temperature, gamma=GAMMA_E):
    """Brown's free-diffusion time ``tau_N = Ms V (1 + alpha^2) / (2 alpha gamma kB T)`` [s]."""
    a = np.asarray(alpha)
    return np.asarray(ms) * np.asarray(volume) * (1 + a**2) / (2 * a * gamma * KB * np.asarray(temperature))


def brown_relaxation_time(delta, tau_n):
    """Brown's high-barrier relaxation time of a uniaxial particle (zero field) [s].

    ``tau = tau_N (sqrt(pi)/2) Delta^(-3/2) exp(Delta) (1 + 1/Delta)`` (Brown, Phys. Rev.
    130, 1677 (1963), eq. 4.48, with its first correction in 1/Delta, which *lengthens* the
    time: the lowest non-zero eigenvalue of the Fokker-Planck operator is
    ``lambda_1 = 1/tau``; its numerical value is 1.124x Brown's leading term at Delta = 10,
    1.077x at 15, so this form is within 2.5/Delta^2 of it, see
    tests/sim_backend/physics/test_brown_relaxation.py). The mean dwell time in one well is
    2 tau (tau^-1 is the sum of both escape rates).
    """
    d = np.asarray(delta, dtype=float)
    return np.asarray(tau_n) * np.sqrt(np.pi) / 2.0 * d**-1.5 * np.exp(d) * (1.0 + 1.0 / d)


def boltzmann_mz_pdf(x, delta):
    """Equilibrium density of ``x = m.u`` for a uniaxial macrospin: ``exp(Delta x^2) / Z`` on [-1, 1]."""
    x = np.asarray(x, dtype=float)
    grid = np.linspace(-1.0, 1.0, 4001)
    z = np.trapezoid(np.exp(delta * (grid**2 - 1.0)), grid)
    return np.exp(delta * (x**2 - 1.0)) / z


def boltzmann_mean_mz2(delta):
    """``<(m.u)^2>`` in equilibrium, ``int x^2 e^(Delta x^2) / int e^(Delta x^2)`` over [-1, 1]."""
    grid = np.linspace(-1.0, 1.0, 20001)
    w = np.exp(delta * (grid**2 - 1.0))
    return np.trapezoid(grid**2 * w, grid) / np.trapezoid(w, grid)
