"""Multi-domain (grain-ensemble) PMA Hall bar: analog, multi-state SOT switching.

A Hall cross over a granular or multi-domain film is modelled as ``n_grains`` independent
perpendicular magnets, each a two-state (+1/-1) system with its own barrier, anisotropy
field and critical current density, drawn once per device from distributions (device-to-
device variation). Every grain switches by thermal activation
(:func:`sim_backend.physics.thermal.pma_escape_times`), so the switched fraction after a
pulse is a sum of Bernoulli trials: its cycle-to-cycle spread, ``sqrt(sum p_i (1 - p_i)) /
N_grains`` (``sqrt(p (1-p) / N)`` for alike grains), emerges from the stochastic switching and is
not added as noise. The Hall resistance is the area-weighted mean of the grains' m_z times
R_AHE: intermediate pulse amplitudes give intermediate, reproducible-on-average levels
(memristive synapse; e.g. Fukami et al., Nat. Mater. 15, 535 (2016); Borders et al., APEX
10, 013007 (2017)).

Grains are independent (no dipolar or exchange coupling between them) and, like all of the
thermal path, the model needs pulses much longer than tau0 (~ns); states may carry leading
batch axes, ``(..., n_grains)``, to run many cycles or devices at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .analytic import sot_critical_current_density
from .thermal import pma_escape_times, two_state_step


@dataclass(frozen=True)
class GrainEnsemble:
    """Per-grain parameters of one device (arrays of shape (n_grains,))."""

    #: Area fraction of each grain (sums to 1).
    weights: np.ndarray
    #: Barrier at 300 K, K_eff V / (kB 300 K).
    delta_300: np.ndarray
    #: Effective perpendicular anisotropy field [T].
    b_k_eff: np.ndarray
    #: B_x = 0 macrospin critical current density [A/m^2] (Lee et al. 2013).
    jc0: np.ndarray
    #: Attempt time [s].
    tau0: float = 1e-9
    #: Néel–Brown exponent of the current factor.
    n_sot: float = 1.0
    #: Damping-like efficiency (its sign sets the polarity, see thermal.sot_preferred_state).
    xi_dl: float = 0.3
    #: Built-in symmetry-breaking field of a tilted easy axis [T] (field-free switching).
    b_x_bias: float = 0.0

    @property
    def n_grains(self) -> int:
        return int(np.size(self.weights))


def sample_grains(n_grains: int, rng: np.random.Generator, *, delta_mean: float = 45.0,
                  delta_spread: float = 0.2, b_k_eff: float = 0.25, b_k_spread: float = 0.1,
                  ms: float = 1.1e6, thickness: float = 1.0e-9, xi_dl: float = -0.3,
                  jc_spread: float = 0.1, size_spread: float = 0.3, tau0: float = 1e-9,
                  n_sot: float = 1.0, tilt_deg: float = 0.0) -> GrainEnsemble:
    """Draw one device's grains (device-to-device variation is the choice of ``rng``).

    Grain areas are lognormal (relative spread ``size_spread``), barriers scale with area and
    carry an extra lognormal spread ``delta_spread``; anisotropy fields are normal
    (``b_k_spread``), and the critical current density follows Lee's law per grain with an
    extra normal spread ``jc_spread`` (interface/texture). All spreads are relative.
    ``tilt_deg`` tilts every grain's easy axis toward x (field-free switching bias).
    """
    area = rng.lognormal(0.0, size_spread, n_grains)
    area /= area.mean()
    delta = delta_mean * area * rng.lognormal(0.0, delta_spread, n_grains)
    bk = b_k_eff * np.clip(1.0 + b_k_spread * rng.standard_normal(n_grains), 0.2, None)
    jc0 = sot_critical_current_density(ms, thickness, xi_dl, bk, 0.0) \
        * np.clip(1.0 + jc_spread * rng.standard_normal(n_grains), 0.2, None)
    bias = tilt_bias_field(b_k_eff, tilt_deg)
    return GrainEnsemble(weights=area / area.sum(), delta_300=delta, b_k_eff=bk, jc0=jc0,
                         tau0=tau0, n_sot=n_sot, xi_dl=xi_dl, b_x_bias=bias)


def tilt_bias_field(b_k_eff: float, tilt_deg: float) -> float:
    """Phenomenological in-plane field standing for a tilted easy axis in the SOT polarity:
    ``B_K,eff sin(2 beta) / 2`` (the torque of the tilted anisotropy at m = z). Not the
    dynamics: the sLLG writes no polarity with the axis tilted toward x, and writes with it
    tilted toward the spin polarization y (:mod:`.synapse_tilt`)."""
    beta = np.radians(tilt_deg)
    return float(b_k_eff * np.sin(2 * beta) / 2)


def uniform_grains(n_grains: int, *, delta: float, b_k_eff: float, jc0: float, tau0: float = 1e-9,
                   n_sot: float = 1.0, xi_dl: float = -0.3) -> GrainEnsemble:
    """Identical grains (no device-to-device spread), e.g. to isolate cycle-to-cycle statistics."""
    one = np.ones(n_grains)
    return GrainEnsemble(weights=one / n_grains, delta_300=delta * one, b_k_eff=b_k_eff * one,
                         jc0=jc0 * one, tau0=tau0, n_sot=n_sot, xi_dl=xi_dl)


def evolve_grains(ens: GrainEnsemble, state: np.ndarray, dt: float, *, j: float, b,
                  temperature: float, rng: np.random.Generator) -> np.ndarray:
    """Advance grain states (..., n_grains) by ``dt`` under constant current density ``j`` and
    field ``b`` (T); returns the new states. Cost is independent of ``dt``."""
    kw = dict(j=j, b=b, temperature=temperature, delta_300=ens.delta_300, b_k_eff=ens.b_k_eff,
              jc0=ens.jc0, tau0=ens.tau0, n_sot=ens.n_sot, xi_dl=ens.xi_dl, b_x_bias=ens.b_x_bias)
    state = np.asarray(state, dtype=float)
    return two_state_step(state, dt, pma_escape_times(state, **kw), rng,
                          tau_return=pma_escape_times(-state, **kw))


def grain_mz(ens: GrainEnsemble, state: np.ndarray, b) -> np.ndarray:
    """Area-weighted mean m_z (..., ) with each grain tilted coherently by the in-plane field."""
    b_ip = np.hypot(float(b[0]), float(b[1]))
    cos_tilt = np.sqrt(np.clip(1.0 - (b_ip / ens.b_k_eff) ** 2, 0.0, None))
    return np.sum(ens.weights * state * cos_tilt, axis=-1)


def switched_fraction(state: np.ndarray, start: float = -1.0) -> np.ndarray:
    """Fraction of grains (unweighted) no longer in the ``start`` state."""
    return np.mean(np.asarray(state) != start, axis=-1)
