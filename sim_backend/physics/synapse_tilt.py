"""Field-free SOT switching of a grain whose easy axis is tilted: polarity and threshold from the
macrospin dynamics (You et al., PNAS 112, 10310 (2015): the tilt breaks the symmetry).

Symmetry. Current along +x in the heavy metal gives a damping-like torque
``-gamma B_DL m x (m x sigma)`` with sigma = +y (:mod:`.llg`). With the easy axis ``u`` in the
x-z plane (tilted toward the current) the anisotropy, the thin-film demagnetization and sigma are
all invariant under the two-fold rotation about y, ``(m_x, m_y, m_z) -> (-m_x, m_y, -m_z)``,
which exchanges the two wells +u and -u: whatever a pulse does from -u it does, mirrored, from
+u, so the final state cannot be chosen by the current's sign (no field-free writing; the sLLG
of :func:`switches_to` leaves a 15 deg x-tilted grain where it was). With ``u`` tilted toward
sigma (in the y-z plane, perpendicular to the current) that rotation is no symmetry any more;
the remaining one, the two-fold rotation about x, maps (J, +u) to (-J, -u): bipolar,
deterministic writing is allowed. A supercritical damping-like torque pulls m toward
``sign(B_DL) sigma``, and m relaxes into the well on sigma's side of the tilted axis::

    s_final = sign(xi_DL J (u . sigma))          (the polarity rule, :func:`tilt_polarity`)

Threshold. The current at which the pulse writes (T = 0, quasi-static pulse) is found by the
sLLG (:func:`switching_threshold`, bisection on :func:`switches_to`) in units of Lee's B_x = 0
critical current ``J_c0 = (2e/hbar) Ms t_F B_K,eff / (2 |xi_DL|)``; :data:`TILT_THRESHOLD` is that
ratio tabulated against the tilt for the synapse presets' grain (B_K,eff = 0.2 T, M_s =
1.1 MA/m, 1 nm, alpha = 0.1; a 5 ns plateau and a 2 ns fall). It depends on the ratio
B_K,eff / mu0 M_s and on alpha, which the synapse presets hold fixed; tests re-derive two points.

What stays phenomenological: grains are written by 1 ms pulses at 300 K, in the thermally
activated regime that the sLLG cannot reach (10^10 steps per pulse and grain), and the
damping-like dynamics is not a gradient flow, so there is no closed-form escape rate. The grain
model (:mod:`.synapse`) keeps the Néel-Brown law with the current factor ``(1 - J / J_c)^n``
for the well the current leaves, J_c from the table, and leaves the preferred well's barrier
unlowered (the sLLG at 300 K writes 200 of 200 grains, 1.5 and 3 J_c0, 15 deg).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .analytic import sot_critical_current_density
from .constants import KB, MU0

__all__ = ["TILT_PLANES", "tilted_axis", "tilt_polarity", "switches_to", "switching_threshold",
           "TILT_THRESHOLD", "tilt_threshold_ratio"]

#: planes the easy axis may tilt in: toward sigma (y-z, perpendicular to the current) or toward
#: the current (x-z)
TILT_PLANES = ("yz", "xz")

#: tilt [deg] -> sLLG switching threshold / J_c0 (tilt in the y-z plane; the module docstring
#: gives the grain and the pulse; ``python -m spinbench.sim_backend.physics.synapse_tilt``
#: regenerates it). Not monotonic: small tilts select the well weakly and need more current,
#: large ones raise the barrier the torque must overcome; at 25 and 30 deg 1.0 J_c0 does not
#: write (the table stops at 20 deg)
TILT_THRESHOLD = {2.0: 0.634, 5.0: 0.509, 10.0: 0.584, 15.0: 0.722, 20.0: 0.878}


def tilted_axis(tilt_deg: float, plane: str = "yz") -> np.ndarray:
    """Unit easy axis tilted from +z by ``tilt_deg`` toward +y (``"yz"``) or +x (``"xz"``)."""
    if plane not in TILT_PLANES:
        raise ValueError(f"tilt plane must be one of {TILT_PLANES}, got {plane!r}")
    b = math.radians(tilt_deg)
    return np.array([math.sin(b), 0.0, math.cos(b)]) if plane == "xz" else \
        np.array([0.0, math.sin(b), math.cos(b)])


def tilt_polarity(j: float, xi_dl: float, axis, sigma=(0.0, 1.0, 0.0)) -> float:
    """Well (+1 along the axis, -1, 0 for none) a supercritical current density ``j`` writes:
    ``sign(xi_DL J (u . sigma))`` (module docstring)."""
    return float(np.sign(xi_dl * j * float(np.dot(axis, sigma))))


def tilt_threshold_ratio(tilt_deg: float, plane: str = "yz") -> float:
    """:data:`TILT_THRESHOLD` interpolated (linear) at ``|tilt_deg|``; 1 for no tilt toward
    sigma (an x-z tilt or none: the grain leaves its well at Lee's J_c0 with no polarity)."""
    b = abs(float(tilt_deg))
    if plane == "xz" or b == 0.0:
        return 1.0
    keys = sorted(TILT_THRESHOLD)
    if not keys[0] <= b <= keys[-1]:
        raise ValueError(f"tilt_deg must be within {keys[0]:g}..{keys[-1]:g} deg (the sLLG table), got {tilt_deg}")
    return float(np.interp(b, keys, [TILT_THRESHOLD[k] for k in keys]))


def _pulse(t: float) -> float:
    return 1.0 if t < 5e-9 else (1.0 - (t - 5e-9) / 2e-9 if t < 7e-9 else 0.0)


def switches_to(j_ratio, tilt_deg: float, plane: str = "yz", *, start: float = -1.0, b_k_eff: float = 0.2,
                ms: float = 1.1e6, thickness: float = 1e-9, xi_dl: float = -0.3, alpha: float = 0.1,
                temperature: float = 0.0, delta: float = 80.0, seed: int = 0) -> np.ndarray:
    """Final well (+1 / -1 along the easy axis) of macrospins started in well ``start`` after
    one pulse of ``j_ratio`` J_c0 (array: one macrospin each), by the sLLG (:mod:`.llg`):
    zero applied field, thin-film demagnetization, K_u such that the effective PMA field is
    ``b_k_eff``; at ``temperature`` > 0 the volume gives the barrier ``delta`` (kB T units)."""
    from .llg import Drives, MacrospinParams, simulate

    u = tilted_axis(tilt_deg, plane)
    jr = np.atleast_1d(np.asarray(j_ratio, dtype=float))
    jc0 = float(sot_critical_current_density(ms, thickness, xi_dl, b_k_eff, 0.0))
    volume = delta * KB * max(temperature, 300.0) / (ms * b_k_eff / 2)
    params = MacrospinParams(ms=ms, volume=volume, thickness=thickness, alpha=alpha,
                             k_u=ms / 2 * (b_k_eff + MU0 * ms), easy_axis=u, xi_dl=xi_dl)
    amps = jr * jc0
    res = simulate(params, np.tile(start * u, (jr.size, 1)), 12e-9, 2e-13, temperature=temperature,
                   drives=Drives(j_hm=float(amps[0]) if np.all(amps == amps[0]) else amps, j_hm_waveform=_pulse),
                   rng=np.random.default_rng(seed))
    return np.sign(res.m @ u)


@lru_cache(maxsize=16)
def switching_threshold(tilt_deg: float, plane: str = "yz", lo: float = 0.2, hi: float = 1.0,
                        steps: int = 7) -> float:
    """Smallest J / J_c0 (J > 0) at which a pulse writes a grain out of the well it does not
    prefer (T = 0, bisection to ``(hi - lo) / 2^steps``); ``nan`` if ``hi`` does not write."""
    start = -tilt_polarity(1.0, -0.3, tilted_axis(tilt_deg, plane)) or -1.0
    if switches_to(hi, tilt_deg, plane, start=start)[0] == start:
        return math.nan
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        if switches_to(mid, tilt_deg, plane, start=start)[0] == start:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


if __name__ == "__main__":      # regenerate TILT_THRESHOLD
    for tilt in sorted(TILT_THRESHOLD):
        print(f"{tilt:5.1f} deg: {switching_threshold(tilt):.3f} J_c0", flush=True)
