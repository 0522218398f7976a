"""Closed-form RF laws: spin-diode lineshapes, in-plane Kittel resonance, FMR linewidth, and the
nonlinear auto-oscillator (spin-torque oscillator) laws.

Pure functions of numbers or numpy arrays, SI units, fields as flux densities B = mu0 H [T],
frequencies in Hz (cyclic) unless a name says ``omega``. The simulator's RF devices
(:mod:`.rf_mtj`) and the analysis fits (``spinbench.analysis.rf``) both import these, so each
formula exists once.

Spin diode (Tulapurkar et al., Nature 438, 339 (2005); Sankey et al., Nat. Phys. 4, 67 (2008)):
the rectified voltage of a junction driven at f near its resonance f0 is
``V = V_S S(f) + V_A A(f)`` with ``S = w^2 / ((f - f0)^2 + w^2)`` (symmetric, damping-like torque)
and ``A = w (f - f0) / ((f - f0)^2 + w^2)`` (antisymmetric, field-like torque), ``w`` the half
width at half maximum.

Auto-oscillator (Slavin & Tiberkevich, IEEE Trans. Magn. 45, 1875 (2009)): with the normalized
power ``p`` of the precession, ``dp/dt = -2 [Gamma_+(p) - Gamma_-(p)] p`` with
``Gamma_+ = Gamma_G (1 + Q p)`` (positive damping) and ``Gamma_- = sigma I (1 - p)`` (negative
damping by spin-transfer torque); the threshold is ``sigma I_th = Gamma_G``, the supercriticality
``zeta = I / I_th``, the stationary power ``p0 = (zeta - 1)/(zeta + Q)``, the frequency
``omega(p) = omega_0 + N p``, the nonlinear amplitude-phase coupling ``nu = N / (Gamma_G (Q + zeta))``.
"""

from __future__ import annotations

import numpy as np

from .analytic import kittel_in_plane_easy_axis
from .constants import GAMMA_E, KB, MU0, TWO_PI

#: characteristic impedance of the RF line and instruments [ohm]
Z0 = 50.0


# --------------------------------------------------------------------------- lineshapes
def lorentzian_symmetric(f, center, width):
    """Symmetric Lorentzian of unit height ``w^2 / ((f - f0)^2 + w^2)`` (``width`` = HWHM)."""
    d = np.asarray(f, dtype=float) - np.asarray(center)
    w = np.asarray(width, dtype=float)
    return w * w / (d * d + w * w)


def lorentzian_antisymmetric(f, center, width):
    """Antisymmetric (dispersive) Lorentzian ``w (f - f0) / ((f - f0)^2 + w^2)``; extrema +-1/2."""
    d = np.asarray(f, dtype=float) - np.asarray(center)
    w = np.asarray(width, dtype=float)
    return w * d / (d * d + w * w)


def spin_diode_lineshape(f, v_s, v_a, center, width, offset=0.0):
    """Rectified voltage ``V_S S(f) + V_A A(f) + offset`` [V] (Sankey et al. 2008, Eq. 2)."""
    return (np.asarray(v_s) * lorentzian_symmetric(f, center, width)
            + np.asarray(v_a) * lorentzian_antisymmetric(f, center, width) + offset)


def lorentzian_psd(f, power, center, width):
    """Power spectral density [W/Hz] of a line of total ``power`` [W], Lorentzian of HWHM ``width``
    [Hz]: ``P (w/pi) / ((f - f0)^2 + w^2)`` (integrates to P)."""
    d = np.asarray(f, dtype=float) - np.asarray(center)
    w = np.asarray(width, dtype=float)
    return np.asarray(power) * (w / np.pi) / (d * d + w * w)


# --------------------------------------------------------------------------- resonance
def stiffness_fields(b, b_k, mu0_m_eff):
    """The two stiffness fields of an in-plane film magnetized along its easy axis by ``b`` [T]:
    ``B1 = B + B_K`` (in-plane restoring) and ``B2 = B + B_K + mu0 M_eff`` (out-of-plane)."""
    b1 = np.asarray(b, dtype=float) + np.asarray(b_k)
    return b1, b1 + np.asarray(mu0_m_eff)


def kittel_in_plane(b, b_k, mu0_m_eff, gamma=GAMMA_E):
    """Kittel frequency [Hz] of an in-plane film, field along the easy axis:
    ``f0 = gamma/2pi sqrt((B + B_K)(B + B_K + mu0 M_eff))`` (Kittel, Phys. Rev. 73, 155 (1948)).

    ``b_k`` is the total in-plane uniaxial field (crystal + shape), ``mu0_m_eff`` the effective
    demagnetizing field ``mu0 Ms (N_z - N_y) - B_perp`` [T]. Same law as
    :func:`.analytic.kittel_in_plane_easy_axis` with ``Ms -> M_eff``.
    """
    return kittel_in_plane_easy_axis(b, b_k, np.asarray(mu0_m_eff) / MU0, gamma)


def kittel_field_in_plane(f0, b_k, mu0_m_eff, gamma=GAMMA_E):
    """Inverse of :func:`kittel_in_plane`: the field [T] along the easy axis at which the
    resonance is ``f0`` [Hz], ``B = -B_K - M/2 + sqrt(M^2/4 + (2 pi f0/gamma)^2)`` with
    ``M = mu0 M_eff`` (the positive root of ``(B + B_K)(B + B_K + M) = (2 pi f0/gamma)^2``)."""
    m = np.asarray(mu0_m_eff, dtype=float)
    w = TWO_PI * np.asarray(f0, dtype=float) / gamma
    return -np.asarray(b_k) - 0.5 * m + np.sqrt(0.25 * m * m + w * w)


def fmr_linewidth(b, b_k, mu0_m_eff, alpha, gamma=GAMMA_E):
    """FMR half width at half maximum [Hz] of the in-plane film (small alpha):
    ``w = alpha gamma/2pi (B1 + B2)/2`` (the decay rate of the elliptical mode, Gamma_G)."""
    b1, b2 = stiffness_fields(b, b_k, mu0_m_eff)
    return np.asarray(alpha) * gamma / TWO_PI * 0.5 * (b1 + b2)


# --------------------------------------------------------------------------- RF power and current
def dbm_to_watts(p_dbm):
    """dBm -> W."""
    return 1e-3 * 10.0 ** (np.asarray(p_dbm, dtype=float) / 10.0)


def watts_to_dbm(p_w):
    """W -> dBm (-inf for 0)."""
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(np.asarray(p_w, dtype=float) / 1e-3)


def rf_current_amplitude(p_dbm, r_device, z0=Z0):
    """Peak RF current [A] through a load ``r_device`` fed by a ``z0`` line whose available power
    is ``p_dbm``: source EMF amplitude ``sqrt(8 z0 P)`` over ``z0 + R``."""
    return np.sqrt(8.0 * z0 * dbm_to_watts(p_dbm)) / (z0 + np.asarray(r_device, dtype=float))


def delivered_power(v_amplitude, r_source, r_load=Z0):
    """Power [W] a source of EMF amplitude ``v_amplitude`` and internal resistance ``r_source``
    delivers into ``r_load``: ``(V^2/2) R_L / (R_S + R_L)^2``."""
    v = np.asarray(v_amplitude, dtype=float)
    return 0.5 * v * v * r_load / (np.asarray(r_source) + r_load) ** 2


def thermal_noise_psd(temperature):
    """Available thermal noise power density of a resistive source, ``k_B T`` [W/Hz]."""
    return KB * np.asarray(temperature, dtype=float)


# --------------------------------------------------------------------------- auto-oscillator
def oscillator_power(zeta, q):
    """Stationary normalized power ``p0 = (zeta - 1)/(zeta + Q)`` above threshold, 0 below."""
    z = np.asarray(zeta, dtype=float)
    return np.where(z > 1.0, (z - 1.0) / (z + np.asarray(q)), 0.0)


def oscillator_frequency(p, f0, n_hz):
    """Generation frequency ``f(p) = f0 + N p / 2pi`` [Hz]; ``n_hz`` = N/2pi [Hz]."""
    return np.asarray(f0) + np.asarray(n_hz) * np.asarray(p)


def nonlinear_coupling(n, gamma_g, zeta, q):
    """Dimensionless amplitude-phase coupling ``nu = N / (Gamma_G (Q + zeta))`` (N, Gamma_G in rad/s)."""
    return np.asarray(n) / (np.asarray(gamma_g) * (np.asarray(q) + np.asarray(zeta)))


def generation_linewidth(gamma_g, zeta, q, p0, eta, nu):
    """Thermal generation linewidth far above threshold, HWHM [rad/s]:
    ``Gamma_+(p0) eta / (2 p0) (1 + nu^2)`` (phase diffusion of the auto-oscillator; Kim,
    Tiberkevich & Slavin, PRL 100, 017207 (2008)); ``eta = k_B T / E_1`` with ``E_1`` the
    energy of the precession per unit normalized power."""
    return np.asarray(gamma_g) * (1.0 + np.asarray(q) * p0) * np.asarray(eta) / (2.0 * np.asarray(p0)) \
        * (1.0 + np.asarray(nu) ** 2)


def locking_range(force, p0, nu):
    """Half-width [rad/s] of the injection-locking band: ``F sqrt(1 + nu^2) / sqrt(p0)``
    (Slavin & Tiberkevich 2009, Sec. VII), ``force`` the external force on the complex
    amplitude [rad/s]."""
    return np.asarray(force) * np.sqrt(1.0 + np.asarray(nu) ** 2) / np.sqrt(np.asarray(p0))


def adler_frequency(f_inj, f_free, half_range):
    """Oscillator frequency under an injected tone (Adler, Proc. IRE 34, 351 (1946)): locked to
    ``f_inj`` inside ``|f_inj - f_free| <= half_range``, else pulled toward it,
    ``f_inj - sign(d) sqrt(d^2 - half_range^2)`` with ``d = f_inj - f_free`` [Hz]."""
    d = np.asarray(f_inj, dtype=float) - np.asarray(f_free, dtype=float)
    h = np.asarray(half_range, dtype=float)
    beat = np.sqrt(np.clip(d * d - h * h, 0.0, None))
    return np.where(np.abs(d) <= h, f_inj, np.asarray(f_inj) - np.sign(d) * beat)
