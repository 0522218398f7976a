"""Electrical readout of a magnetic state: TMR junctions, Hall bars, and noise densities.

Pure functions, SI units. ``m`` arguments are unit vectors of shape (..., 3) in the lab frame
(x along the current channel, z out of plane); ``cos_theta`` is m_free . m_reference.
"""

from __future__ import annotations

import numpy as np

from .constants import E_CHARGE, KB


# --------------------------------------------------------------------------- tunnel junctions
def tmr_bias(voltage, tmr0, v_half):
    """Bias-dependent TMR ``TMR(V) = TMR0 / (1 + (V / V_h)^2)``; V_h is the bias halving the TMR."""
    return np.asarray(tmr0) / (1.0 + (np.asarray(voltage) / np.asarray(v_half)) ** 2)


def junction_conductance(cos_theta, g_p, tmr):
    """Conductance of a magnetic tunnel junction in the conductance (Slonczewski/Jullière) form.

    ``G(theta) = (G_P + G_AP)/2 + (G_P - G_AP)/2 cos(theta)``, ``G_AP = G_P / (1 + TMR)``
    (Slonczewski, PRB 39, 6995 (1989)); equivalently ``G = G_P (1 + TMR/(2+TMR) cos theta)
    (2+TMR)/(2(1+TMR))``. The resistance is not linear in cos(theta); the conductance is.
    """
    g_p = np.asarray(g_p, dtype=float)
    g_ap = g_p / (1.0 + np.asarray(tmr))
    return 0.5 * (g_p + g_ap) + 0.5 * (g_p - g_ap) * np.asarray(cos_theta)


def junction_resistance(cos_theta, r_p, tmr0, voltage=0.0, v_half=np.inf):
    """Junction resistance [ohm] at bias ``voltage`` (bias-dependent TMR)."""
    return 1.0 / junction_conductance(cos_theta, 1.0 / np.asarray(r_p), tmr_bias(voltage, tmr0, v_half))


def junction_voltage(current, cos_theta, r_p, tmr0, v_half, iterations=30):
    """Voltage across a current-biased junction, solving ``V = I R(theta, V)`` self-consistently.

    The map V -> I R(V) is a contraction for realistic TMR and V_h (R falls with |V|), so a
    fixed-point iteration from the zero-bias value converges in a few steps.
    """
    i = np.asarray(current, dtype=float)
    v = i * junction_resistance(cos_theta, r_p, tmr0)
    for _ in range(iterations):
        v_new = i * junction_resistance(cos_theta, r_p, tmr0, v, v_half)
        if np.all(np.abs(v_new - v) <= 1e-12 * (np.abs(v) + 1e-15)):
            return v_new
        v = 0.5 * (v + v_new)
    return v


# --------------------------------------------------------------------------- Hall bars
def hall_resistance(m, r_ahe, r_phe=0.0, r_offset=0.0):
    """Transverse resistance of a Hall cross: ``R_xy = R_AHE m_z + R_PHE m_x m_y + R_offset``.

    The m_x m_y term collects the planar Hall effect and the transverse spin Hall
    magnetoresistance (same symmetry; Nakayama et al., PRL 110, 206601 (2013)); R_offset is
    the geometric offset of a misaligned cross.
    """
    m = np.asarray(m, dtype=float)
    return np.asarray(r_ahe) * m[..., 2] + np.asarray(r_phe) * m[..., 0] * m[..., 1] + r_offset


def longitudinal_resistance(m, r0, r_amr=0.0, r_smr=0.0):
    """Longitudinal resistance ``R_xx = R0 + R_AMR m_x^2 - R_SMR m_y^2``.

    AMR (current along x) and spin Hall magnetoresistance (spin accumulation along y: the
    resistance is lowest when m is along y, Nakayama et al. 2013).
    """
    m = np.asarray(m, dtype=float)
    return np.asarray(r0) + np.asarray(r_amr) * m[..., 0] ** 2 - np.asarray(r_smr) * m[..., 1] ** 2


# --------------------------------------------------------------------------- noise
def johnson_noise_psd(resistance, temperature):
    """Johnson–Nyquist voltage noise ``S_V = 4 kB T R`` [V^2/Hz] (one-sided)."""
    return 4.0 * KB * np.asarray(temperature) * np.asarray(resistance)


def shot_noise_psd(current, resistance, fano=1.0):
    """Shot-noise voltage density of a tunnel barrier ``S_V = 2 e |I| F R^2`` [V^2/Hz]."""
    return 2.0 * E_CHARGE * np.abs(np.asarray(current)) * fano * np.asarray(resistance) ** 2


def flicker_noise_psd(frequency, voltage, hooge_alpha, area):
    """1/f voltage noise ``S_V = alpha_H V^2 / (A f)`` [V^2/Hz].

    The area-normalized Hooge form customary for MTJs (alpha_H in m^2, e.g. 1e-20 m^2 =
    1e-8 um^2 for MgO junctions; Nowak et al., APL 74, 600 (1999)).
    """
    return np.asarray(hooge_alpha) * np.asarray(voltage) ** 2 / (np.asarray(area) * np.asarray(frequency))


def integrated_noise_rms(psd_white, bandwidth, flicker_coefficient=0.0, f_low=None):
    """RMS noise voltage over ``bandwidth`` for ``S(f) = S_white + C / f``.

    ``V_rms^2 = S_white B + C ln(B / f_low)`` (f_low defaults to B / 1e3, i.e. a record
    1000 times longer than the sampling interval).
    """
    b = np.asarray(bandwidth, dtype=float)
    fl = b / 1e3 if f_low is None else np.asarray(f_low)
    return np.sqrt(np.asarray(psd_white) * b + np.asarray(flicker_coefficient) * np.log(b / fl))
