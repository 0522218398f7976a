"""Current-induced equilibrium of a perpendicular macrospin below switching, and the channel's
Joule heating: what the thermal (slow) path of a spin-orbit-torque Hall bar sees between
switching events.

Effective fields of a current density J along x in the heavy metal (the integrator's
convention, :mod:`~sim_backend.physics.llg`): damping-like ``B_DL (m x sigma)`` with
``B_DL = xi_DL hbar J / (2 e Ms t_F)``, field-like ``B_FL sigma`` with ``B_FL = xi_FL hbar J /
(2 e Ms t_F)``, sigma = +y, and the Oersted field ``-mu0 t_HM J / 2`` along y. The moment at
rest satisfies the stationarity condition of the LLG equation,

    m x H_eff(m) = 0,    H_eff = B + B_K,eff m_z z + B_DL (m x sigma) + B_FL sigma + B_Oe,

in the well of sign ``s`` (the damping-like term is not a gradient, so this is a balance of
torques, not an energy minimum; Garello et al., Nat. Nanotechnol. 8, 587 (2013), eq. 1).
It is solved here by relaxing along the damping torque ``-m x (m x H_eff)`` (the alpha -> inf
limit of the LLG, whose fixed points are the same) to ``|m x H| < 1e-12 |H|``. The tilt is what
makes a second-harmonic Hall voltage (Hayashi et al., PRB 89, 144425 (2014)).

Joule heating (lumped): ``T = T_bath + R_th I^2 R_channel``; with it the saturation
magnetization follows Bloch's law ``Ms(T) = Ms(0) (1 - (T/T_C)^(3/2))`` scaled to ``ms`` at
300 K, the barrier ``Delta(T) = Delta_300 (300/T) Ms(T)/Ms(300)`` (K_eff V with B_K,eff held)
and the anomalous Hall resistance ``R_AHE(T) = R_AHE Ms(T)/Ms(300)``.
"""
from __future__ import annotations

import math

__all__ = ["bloch_ratio", "sot_equilibrium"]


def bloch_ratio(temperature: float, curie_temperature: float, reference: float = 300.0) -> float:
    """``Ms(T) / Ms(reference)`` by Bloch's T^(3/2) law (0 at and above T_C)."""
    def f(t: float) -> float:
        return max(0.0, 1.0 - (max(t, 0.0) / curie_temperature) ** 1.5)

    f_ref = f(reference)
    return f(temperature) / f_ref if f_ref > 0 else 0.0


def sot_equilibrium(s: float, b: tuple[float, float, float], b_k_eff: float, b_dl: float,
                    b_const: tuple[float, float, float], sigma: tuple[float, float, float] = (0.0, 1.0, 0.0),
                    start: tuple[float, float, float] | None = None, tol: float = 1e-12,
                    max_iter: int = 20000) -> tuple[float, float, float]:
    """Rest direction of the moment in well ``s`` (+1/-1 along z) under field ``b`` [T],
    damping-like field ``b_dl`` [T] and a constant effective field ``b_const`` (field-like +
    Oersted) [T]: the fixed point of ``m <- normalize(m - eta m x (m x H_eff(m)))``.

    Falls back to the nearest stable point if the current pulls the moment over the barrier
    (the caller's escape law decides the well; this only gives the direction inside it)."""
    sx, sy, sz = sigma
    hx0, hy0, hz0 = b[0] + b_const[0], b[1] + b_const[1], b[2] + b_const[2]
    if start is None:
        ip = math.hypot(hx0, hy0) / b_k_eff
        if ip >= 1.0:
            mx, my, mz = hx0 / (ip * b_k_eff), hy0 / (ip * b_k_eff), 0.0
        else:
            mx, my, mz = hx0 / b_k_eff, hy0 / b_k_eff, s * math.sqrt(1.0 - ip * ip)
    else:
        mx, my, mz = start
    scale = abs(b_k_eff) + math.sqrt(hx0 * hx0 + hy0 * hy0 + hz0 * hz0) + 2.0 * abs(b_dl)
    eta = 0.5 / scale
    for _ in range(max_iter):
        # H_eff(m); m x sigma
        cx, cy, cz = my * sz - mz * sy, mz * sx - mx * sz, mx * sy - my * sx
        hx = hx0 + b_dl * cx
        hy = hy0 + b_dl * cy
        hz = hz0 + b_k_eff * mz + b_dl * cz
        # torque t = m x H; damping step d = -m x t
        tx, ty, tz = my * hz - mz * hy, mz * hx - mx * hz, mx * hy - my * hx
        if tx * tx + ty * ty + tz * tz <= (tol * scale) ** 2:
            break
        dx, dy, dz = -(my * tz - mz * ty), -(mz * tx - mx * tz), -(mx * ty - my * tx)
        mx, my, mz = mx + eta * dx, my + eta * dy, mz + eta * dz
        norm = math.sqrt(mx * mx + my * my + mz * mz)
        mx, my, mz = mx / norm, my / norm, mz / norm
    return mx, my, mz
