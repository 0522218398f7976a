"""Batched stochastic Landau–Lifshitz–Gilbert–Slonczewski (sLLGS) macrospin integrator.

Equation (Gilbert form, fields as flux densities B = mu0 H in tesla)::

    dm/dt = -gamma m x (B_eff + b_th) + alpha m x dm/dt

with every torque written as an effective field in the precession term (so the Gilbert ->
Landau–Lifshitz conversion treats all of them alike)::

    B_eff = B_ext + B_rf(t) + B_K (m.u) u - mu0 Ms (N . m)                  Zeeman, anisotropy, demag
          + B_DL^SOT (m x sigma) + B_FL^SOT sigma + B_Oe                   spin-orbit torque, Oersted
          + B_DL^STT(theta) (m x p) + beta B_DL^STT p                      Slonczewski STT
          + J_iec / (Ms t) p_iec                                           interlayer exchange

    B_K = 2 K_u / Ms,  B_DL^SOT = hbar xi_DL J_HM / (2 e Ms t_F),  B_FL^SOT = hbar xi_FL J_HM / (2 e Ms t_F)
    B_DL^STT = hbar eta(theta) I / (2 e Ms V),  eta(theta) = eta / (1 + lambda m.p)

so the damping-like terms read ``-gamma B_DL m x (m x sigma)``: a positive ``B_DL`` pulls m
toward ``sigma`` (toward ``p`` for STT). Integrated in the equivalent explicit form
(Landau–Lifshitz with gamma' = gamma / (1 + alpha^2))::

    dm/dt = -gamma' [ m x B + alpha m x (m x B) ],    B = B_eff + b_th

The Brown thermal field ``b_th`` has independent Gaussian components of variance
``2 alpha kB T / (gamma Ms V dt)`` [T^2] (Brown, Phys. Rev. 130, 1677 (1963); in A/m this is
``2 alpha kB T / (gamma0 mu0 Ms V dt)`` with gamma0 = gamma mu0). It is drawn once per step and
held fixed across both stages of the Heun predictor-corrector, which converges to the
Stratonovich solution (García-Palacios & Lázaro, PRB 58, 14937 (1998)); m is renormalized
after every step.

Layout and cost: the public interface takes and returns (N, 3) arrays; internally the state is
(3, N) so each component is contiguous. Memory is O(N) unless ``record_every`` asks for
snapshots. All terms that are linear in m (anisotropy, demag, SOT/STT damping-like with
lambda = 0) are folded into one 3x3 operator (per device only if parameters differ).
Batches of up to 4,096 devices with a shared operator and scalar damping take a leaner stepper
(:class:`_FastHeun`: 13 numpy calls per Heun step, BLAS for the linear combinations) that
draws exactly the same noise as the generic one. At 300 K the cost of a float64 step is
dominated by ``rng.standard_normal`` (three deviates per device-step, ~9 ns each).

Backends: the same fast-path cases (any N, float64, exact Gaussian noise or none) are also
integrated by an optional compiled kernel, ``_heun.c`` (built by ``pip install``; the numpy
path is used when it is missing). It carries its own xoshiro256++/Ziggurat Gaussian source,
seeded from the caller's numpy Generator, so seeded runs are reproducible but draw a
different noise realization than the numpy path. ``simulate(backend=...)`` selects it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .constants import GAMMA_E
from .llg_integrate import HAVE_C_KERNEL, _c_unsupported, _fast_eligible, _heun_c, _integrate  # noqa: F401
from .llg_system import ArrayLike, _build, _cast, thermal_field_sigma  # noqa: F401

# The system (broadcasting, the linear operator, the thermal-field amplitude) lives in
# :mod:`.llg_system`, the steppers in :mod:`.llg_integrate`; this module keeps the public
# interface: parameters, drives, result, :func:`simulate`, :func:`equilibrium_direction`.


@dataclass(frozen=True)
class MacrospinParams:
    """Material and geometry of a batch of macrospins (scalars/3-vectors shared, or per device).

    Every scalar may be a float or an (N,) array; every vector a (3,) or an (N, 3) array.
    """

    #: Saturation magnetization Ms [A/m].
    ms: ArrayLike
    #: Free-layer volume V [m^3] (sets the thermal-field amplitude and the STT field).
    volume: ArrayLike
    #: Free-layer thickness t_F [m] (sets the SOT field and the interlayer-exchange field).
    thickness: ArrayLike
    #: Gilbert damping alpha.
    alpha: ArrayLike
    #: Uniaxial anisotropy energy density K_u [J/m^3], without shape anisotropy.
    k_u: ArrayLike = 0.0
    #: Easy axis u (normalized on use); may be tilted away from z.
    easy_axis: ArrayLike = (0.0, 0.0, 1.0)
    #: Demagnetizing factors (Nx, Ny, Nz), sum 1; (0, 0, 1) is a thin film.
    demag_factors: ArrayLike = (0.0, 0.0, 1.0)
    #: Static applied field [T].
    b_ext: ArrayLike = (0.0, 0.0, 0.0)
    #: Gyromagnetic ratio [rad/(s T)].
    gamma: float = GAMMA_E
    #: Damping-like SOT efficiency xi_DL (spin Hall angle times interface transparency).
    xi_dl: ArrayLike = 0.0
    #: Field-like SOT efficiency xi_FL.
    xi_fl: ArrayLike = 0.0
    #: Spin polarization sigma of the SOT spin current (unit vector; y for current along x).
    sot_polarization: ArrayLike = (0.0, 1.0, 0.0)
    #: Oersted field per heavy-metal current density [T / (A/m^2)], e.g. (0, -mu0 t_HM / 2, 0).
    b_oe_per_j: ArrayLike = (0.0, 0.0, 0.0)
    #: Slonczewski STT efficiency eta (spin polarization factor of the junction).
    stt_eta: ArrayLike = 0.0
    #: Angular asymmetry lambda in eta(theta) = eta / (1 + lambda m.p); 0 = constant eta.
    stt_lambda: float = 0.0
    #: Field-like STT as a fraction beta of the damping-like STT field.
    stt_beta: ArrayLike = 0.0
    #: Reference-layer polarization p (unit vector).
    stt_polarization: ArrayLike = (0.0, 0.0, 1.0)
    #: Interlayer exchange coupling J_iec [J/m^2] (positive: ferromagnetic).
    j_iec: ArrayLike = 0.0
    #: Direction of a fixed coupled layer (used when ``iec_partner`` is None).
    iec_direction: ArrayLike = (0.0, 0.0, 1.0)
    #: (N,) index of the device in the same batch that this one couples to (-1: fixed layer).
    iec_partner: np.ndarray | None = None


@dataclass(frozen=True)
class Drives:
    """Time-dependent drives: amplitude (scalar or per device) times a shared waveform."""

    #: Current density in the heavy metal J_HM [A/m^2] (SOT and Oersted field).
    j_hm: ArrayLike = 0.0
    j_hm_waveform: Callable[[float], float] | float | None = None
    #: Current through the stack I [A] (STT); positive pulls m toward p.
    current: ArrayLike = 0.0
    current_waveform: Callable[[float], float] | float | None = None
    #: Time-dependent field amplitude [T] (RF or pulsed field).
    b_rf: ArrayLike = (0.0, 0.0, 0.0)
    b_rf_waveform: Callable[[float], float] | float | None = None


@dataclass
class LLGResult:
    """Outcome of :func:`simulate`."""

    #: Final magnetization, (N, 3) unit vectors.
    m: np.ndarray
    #: Time at the end [s].
    t: float
    #: Number of Heun steps taken.
    steps: int
    #: Snapshot times (n_rec,) if ``record_every`` was given.
    times: np.ndarray | None = None
    #: Snapshots (n_rec, N, 3) if ``record_every`` was given (and no ``monitor``).
    records: np.ndarray | None = None



def simulate(params: MacrospinParams, m0: np.ndarray, duration: float, dt: float, *,
             temperature: ArrayLike = 0.0, drives: Drives | None = None,
             rng: np.random.Generator | None = None, t0: float = 0.0,
             record_every: int | None = None, monitor: Callable[[float, np.ndarray], None] | None = None,
             noise: str = "gaussian", workers: int = 1, dtype=np.float64,
             backend: str = "auto") -> LLGResult:
    """Integrate the sLLGS equation for a batch of macrospins (stochastic Heun, Stratonovich).

    Parameters
    ----------
    params : MacrospinParams
        Material/geometry; scalars or per-device arrays.
    m0 : array (N, 3) or (3,)
        Initial magnetization directions (normalized here).
    duration, dt : float
        Total time and Heun step [s]; ``round(duration / dt)`` steps are taken.
    temperature : float or (N,)
        Temperature [K] for the Brown thermal field; 0 gives the deterministic LLGS.
    drives : Drives, optional
        SOT current density, STT current and time-dependent field with their waveforms.
    rng : numpy.random.Generator
        Required when temperature > 0 (seeded by the caller).
    t0 : float
        Time at the start (waveforms are evaluated at absolute time).
    record_every : int, optional
        Keep a snapshot every this many steps (or call ``monitor(t, m)`` with an (N, 3) view of
        the live state, which the callback must copy if it keeps it). Default: no history.
    noise : {"gaussian", "quantized"}
        Distribution of the thermal-field increments (see :func:`_noise_source`).
    workers : int
        Split the batch into this many contiguous chunks integrated in threads (numpy releases
        the GIL); each chunk draws from ``rng.spawn``. Ignored with ``iec_partner``.
    dtype : numpy dtype
        Working precision of the state and fields; ``np.float32`` halves memory traffic for
        large batches (thermal statistics), float64 (default) for resonance-grade accuracy.
    backend : {"auto", "numpy", "c"}
        ``"c"``: the compiled kernel (``_heun.c``; a ``ValueError`` says why when the case is
        not one it integrates: per-device operator or damping, coupled partners, per-device
        drive amplitudes, float32, quantized noise at T > 0; a ``RuntimeError`` if it was not
        built). ``"numpy"``: the numpy integrator. ``"auto"`` (default): the compiled kernel
        when it is available and supports the case, else numpy. The compiled kernel draws its
        Gaussian noise from its own generator seeded by ``rng``: reproducible under a seed,
        but not the same realization as the numpy path.

    Returns
    -------
    LLGResult
    """
    m0 = np.atleast_2d(np.asarray(m0, dtype=float))
    n = m0.shape[0]
    drives = drives or Drives()
    sys_ = _build(params, drives, n, temperature, dt)
    dtype = np.dtype(dtype)
    if dtype != np.float64:
        sys_ = _cast(sys_, dtype)
    if np.any(np.asarray(sys_.sigma) > 0) and rng is None:
        raise ValueError("a seeded numpy Generator is required at finite temperature")
    if backend not in ("auto", "numpy", "c"):
        raise ValueError(f"backend must be 'auto', 'numpy' or 'c', got {backend!r}")
    if backend != "numpy":
        why = _c_unsupported(sys_, noise, dtype)
        if why is None:
            backend = "c"
        elif backend == "c":
            raise (RuntimeError if _heun_c is None else ValueError)(why)
        else:
            backend = "numpy"
    n_steps = int(round(duration / dt))
    m = np.ascontiguousarray(m0.T)
    m /= np.sqrt((m * m).sum(axis=0))
    m = m.astype(dtype)
    workers = max(1, int(workers))
    if workers > 1 and sys_.partner is None and n >= 2 * workers and monitor is None and not record_every:
        bounds = np.linspace(0, n, workers + 1).astype(int)
        rngs = rng.spawn(workers) if rng is not None else [None] * workers

        def run(i):
            sl = slice(bounds[i], bounds[i + 1])
            mi = np.ascontiguousarray(m[:, sl])
            return _integrate(sys_.subset(sl), mi, n_steps, dt, t0, rngs[i], noise, None, None, dtype,
                              backend)[0]

        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(run, range(workers)))
        m = np.concatenate(parts, axis=1)
        return LLGResult(np.ascontiguousarray(m.T, dtype=np.float64), t0 + n_steps * dt, n_steps)
    m, times, recs = _integrate(sys_, m, n_steps, dt, t0, rng, noise, record_every, monitor, dtype,
                                backend)
    res = LLGResult(np.ascontiguousarray(m.T, dtype=np.float64), t0 + n_steps * dt, n_steps)
    if recs:
        res.times = np.asarray(times)
        res.records = np.asarray(recs)
    return res


def equilibrium_direction(params: MacrospinParams, m_guess: np.ndarray, *, steps: int = 4000,
                          dt: float = 2e-13) -> np.ndarray:
    """Relax m at 0 K with strong damping (alpha = 1) to the nearest energy minimum; (N, 3)."""
    from dataclasses import replace
    strong = replace(params, alpha=1.0)
    return simulate(strong, m_guess, steps * dt, dt).m


__all__ = ["MacrospinParams", "Drives", "LLGResult", "simulate", "thermal_field_sigma",
           "equilibrium_direction"]
