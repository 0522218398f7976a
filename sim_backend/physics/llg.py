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

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import ndtri

from .constants import E_CHARGE, GAMMA_E, HBAR, KB, MU0
from .waveforms import as_waveform

try:  # optional compiled Heun kernel (sim_backend/physics/_heun.c)
    from . import _heun as _heun_c
except ImportError as _exc:  # not built (no compiler at install time) or not importable
    _heun_c = None
    logging.getLogger(__name__).debug("compiled sLLGS kernel unavailable, using numpy: %s", _exc)

#: True when the compiled kernel (``backend="c"``) is importable.
HAVE_C_KERNEL = _heun_c is not None

ArrayLike = float | np.ndarray | tuple | list


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


# --------------------------------------------------------------------------- broadcasting
def _scalar(x: ArrayLike, n: int) -> float | np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.size == 1:
        return float(a.reshape(()))
    if a.shape != (n,):
        raise ValueError(f"scalar parameter must be a number or shape ({n},), got {a.shape}")
    return a


def _vector(x: ArrayLike, n: int, unit: bool = False) -> np.ndarray:
    """(3,) -> (3, 1); (N, 3) -> (3, N)."""
    a = np.asarray(x, dtype=float)
    if a.shape == (3,):
        a = a[:, None]
    elif a.shape == (n, 3):
        a = np.ascontiguousarray(a.T)
    else:
        raise ValueError(f"vector parameter must have shape (3,) or ({n}, 3), got {a.shape}")
    if unit:
        norm = np.sqrt((a * a).sum(axis=0))
        if np.any(norm == 0):
            raise ValueError("direction vector of zero length")
        a = a / norm
    return a


def _cross_matrix(v: np.ndarray) -> np.ndarray:
    """[v]_x with [v]_x m = v x m, for v of shape (3, K) -> (3, 3, K)."""
    z = np.zeros_like(v[0])
    return np.array([[z, -v[2], v[1]], [v[2], z, -v[0]], [-v[1], v[0], z]])


def _squeeze_op(a: np.ndarray) -> np.ndarray:
    """(3, 3, 1) -> (3, 3); (3, 1) stays (3, 1)."""
    return a[:, :, 0] if a.ndim == 3 and a.shape[2] == 1 else a


def _apply(op: np.ndarray, m: np.ndarray) -> np.ndarray:
    return op @ m if op.ndim == 2 else np.einsum("ijn,jn->in", op, m)


def thermal_field_sigma(alpha, ms, volume, temperature, dt, gamma=GAMMA_E):
    """Standard deviation of each Brown thermal-field component [T].

    ``sigma^2 = 2 alpha kB T / (gamma Ms V dt)`` (Brown 1963), the tesla form of
    ``2 alpha kB T / (gamma0 mu0 Ms V dt)`` for H in A/m.
    """
    return np.sqrt(2.0 * np.asarray(alpha) * KB * np.asarray(temperature)
                   / (gamma * np.asarray(ms) * np.asarray(volume) * dt))


# --------------------------------------------------------------------------- the system
@dataclass
class _Term:
    """A time-dependent contribution ``s(t) * (lin @ m + off)`` with s(t) = amp * w(t)."""

    waveform: Callable[[float], float]
    amp: float | np.ndarray
    lin: np.ndarray | None
    off: np.ndarray | None
    nonlinear_stt: bool = False


@dataclass
class _System:
    """Precomputed operators for one batch; per-device arrays carry N on their last axis."""

    n: int
    lin0: np.ndarray
    off0: np.ndarray
    terms: list
    gamma_p: float | np.ndarray
    alpha: float | np.ndarray
    sigma: float | np.ndarray
    stt_lambda: float = 0.0
    stt_p: np.ndarray | None = None
    partner: np.ndarray | None = None
    b_partner: float | np.ndarray = 0.0

    def subset(self, sl: slice) -> "_System":
        def cut(a):
            if isinstance(a, np.ndarray) and a.shape and a.shape[-1] == self.n and a.ndim >= 1:
                if a.ndim == 1 or a.shape[-1] != 1:
                    return a[..., sl]
            return a
        n = len(range(*sl.indices(self.n)))
        terms = [_Term(t.waveform, cut(t.amp), None if t.lin is None else cut(t.lin),
                       None if t.off is None else cut(t.off), t.nonlinear_stt) for t in self.terms]
        return _System(n, cut(self.lin0), cut(self.off0), terms, cut(self.gamma_p), cut(self.alpha),
                       cut(self.sigma), self.stt_lambda, None if self.stt_p is None else cut(self.stt_p),
                       None, 0.0)


def _build(params: MacrospinParams, drives: Drives, n: int, temperature, dt: float) -> _System:
    p = params
    ms = _scalar(p.ms, n)
    vol = _scalar(p.volume, n)
    t_f = _scalar(p.thickness, n)
    alpha = _scalar(p.alpha, n)
    k_u = _scalar(p.k_u, n)
    u = _vector(p.easy_axis, n, unit=True)
    nd = _vector(p.demag_factors, n)
    msk = np.atleast_1d(ms)

    # static linear operator: anisotropy + demag, (3, 3, K)
    b_k = np.atleast_1d(2.0 * np.asarray(k_u) / np.asarray(ms))
    lin0 = b_k[None, None, :] * u[:, None, :] * u[None, :, :]
    demag = np.zeros((3, 3, max(nd.shape[1], msk.size)))
    for i in range(3):
        demag[i, i] = -MU0 * msk * nd[i]
    lin0 = lin0 + demag
    off0 = _vector(p.b_ext, n).copy()
    if np.any(np.asarray(p.j_iec) != 0) and p.iec_partner is None:
        off0 = off0 + np.atleast_1d(np.asarray(p.j_iec) / (np.asarray(ms) * np.asarray(t_f))) * _vector(
            p.iec_direction, n, unit=True)

    terms: list[_Term] = []
    # spin-orbit torque + Oersted field, driven by J_HM
    if np.any(np.asarray(drives.j_hm) != 0):
        sig = _vector(p.sot_polarization, n, unit=True)
        per_j = HBAR / (2.0 * E_CHARGE * np.asarray(ms) * np.asarray(t_f))
        b_dl = np.atleast_1d(np.asarray(p.xi_dl) * per_j)
        b_fl = np.atleast_1d(np.asarray(p.xi_fl) * per_j)
        lin = _squeeze_op(-b_dl[None, None, :] * _cross_matrix(sig))
        off = b_fl[None, :] * sig + _vector(p.b_oe_per_j, n)
        terms.append(_Term(as_waveform(drives.j_hm_waveform), _scalar(drives.j_hm, n), lin, off))
    # Slonczewski STT, driven by I
    stt_p = None
    if np.any(np.asarray(drives.current) != 0) and np.any(np.asarray(p.stt_eta) != 0):
        stt_p = _vector(p.stt_polarization, n, unit=True)
        b_per_i = np.atleast_1d(HBAR * np.asarray(p.stt_eta) / (2.0 * E_CHARGE * np.asarray(ms) * np.asarray(vol)))
        lin = _squeeze_op(-b_per_i[None, None, :] * _cross_matrix(stt_p))
        off = np.atleast_1d(np.asarray(p.stt_beta))[None, :] * b_per_i[None, :] * stt_p
        terms.append(_Term(as_waveform(drives.current_waveform), _scalar(drives.current, n), lin, off,
                           nonlinear_stt=p.stt_lambda != 0.0))
    if np.any(np.asarray(drives.b_rf) != 0):
        terms.append(_Term(as_waveform(drives.b_rf_waveform), 1.0, None, _vector(drives.b_rf, n)))

    # fold constant scalar-amplitude terms into the static operator
    kept = []
    lin0 = _squeeze_op(lin0)
    for t in terms:
        if getattr(t.waveform, "is_constant", False) and np.ndim(t.amp) == 0 and not t.nonlinear_stt:
            s = t.amp * t.waveform(0.0)
            if t.lin is not None:
                lin0 = _squeeze_op(lin0 + s * t.lin) if (lin0.ndim == t.lin.ndim) else (
                    np.broadcast_to(lin0[..., None] if lin0.ndim == 2 else lin0, (3, 3, n))
                    + s * (t.lin[..., None] if t.lin.ndim == 2 else t.lin))
            if t.off is not None:
                off0 = off0 + s * t.off
        else:
            kept.append(t)

    gamma_p = p.gamma / (1.0 + np.asarray(alpha) ** 2)
    temp = _scalar(temperature, n)
    sigma = thermal_field_sigma(alpha, ms, vol, temp, dt, p.gamma)
    sigma = float(sigma) if np.ndim(sigma) == 0 else np.asarray(sigma)
    partner, b_partner = None, 0.0
    if p.iec_partner is not None:
        partner = np.asarray(p.iec_partner, dtype=int)
        b_partner = np.asarray(p.j_iec) / (np.asarray(ms) * np.asarray(t_f)) * np.ones(n)
        b_partner = np.where(partner >= 0, b_partner, 0.0)
        partner = np.where(partner >= 0, partner, np.arange(n))
    return _System(n, lin0, off0, kept, _fix(gamma_p), _fix(alpha), sigma, float(p.stt_lambda), stt_p,
                   partner, b_partner)


def _scaled(sys_: _System, k: float) -> _System:
    """The same system with every field term multiplied by the scalar ``k`` (= -gamma' dt)."""
    def c(a):
        return None if a is None else a * k
    terms = [_Term(t.waveform, t.amp, c(t.lin), c(t.off), t.nonlinear_stt) for t in sys_.terms]
    return _System(sys_.n, c(sys_.lin0), c(sys_.off0), terms, sys_.gamma_p, sys_.alpha, sys_.sigma * k,
                   sys_.stt_lambda, sys_.stt_p, sys_.partner, sys_.b_partner * k)


def _cast(sys_: _System, dtype) -> _System:
    """The same system with every array in ``dtype`` (Python scalars stay weakly typed)."""
    def c(a):
        return a.astype(dtype) if isinstance(a, np.ndarray) else a
    terms = [_Term(t.waveform, c(t.amp), c(t.lin), c(t.off), t.nonlinear_stt) for t in sys_.terms]
    return _System(sys_.n, c(sys_.lin0), c(sys_.off0), terms, c(sys_.gamma_p), c(sys_.alpha), c(sys_.sigma),
                   sys_.stt_lambda, c(sys_.stt_p), sys_.partner, c(sys_.b_partner))


def _fix(x):
    return float(x) if np.ndim(x) == 0 else np.asarray(x, dtype=float)


# --------------------------------------------------------------------------- noise
_QUANTILES = ndtri((np.arange(65536) + 0.5) / 65536.0)
_QUANTILES = _QUANTILES / np.sqrt(np.mean(_QUANTILES**2))


_QUANTILES32 = _QUANTILES.astype(np.float32)


def _noise_source(kind: str, rng: np.random.Generator, n: int, dtype=np.float64):
    """Return a function producing (3, n) unit-variance noise.

    ``"gaussian"``: exact normal deviates from ``rng.standard_normal``. ``"quantized"``: the
    normal distribution quantized to 65,536 equiprobable levels (the N(0, 1) quantiles at
    (k + 1/2) / 65536, rescaled to unit variance, so odd moments vanish and |x| <= 4.3),
    indexed by 16 random bits. It is ~3x cheaper to draw and, for the weak (distributional)
    convergence that thermal averages and switching probabilities need, equivalent to the
    Gaussian (Kloeden & Platen, *Numerical Solution of SDEs*, sec. 14.2).
    """
    if kind == "gaussian":
        buf = np.empty((3, n), dtype=dtype)
        return lambda: rng.standard_normal(dtype=dtype, out=buf)
    if kind == "quantized":
        table = _QUANTILES32 if dtype == np.float32 else _QUANTILES
        return lambda: table[rng.integers(0, 65536, size=(3, n), dtype=np.uint16)]
    raise ValueError(f"unknown noise kind {kind!r}")


# --------------------------------------------------------------------------- integration
class _Stepper:
    """Heun stepper with preallocated buffers.

    Vectors live in (5, N) buffers whose rows are (x, y, z, x, y), so that rows 1:4 and 2:5
    are the cyclic shifts (y, z, x) and (z, x, y) as views: ``a x b = a[1:4] b[2:5] -
    a[2:5] b[1:4]`` costs three array operations.
    """

    def __init__(self, sys_: _System, n: int, dtype=np.float64):
        self.s = sys_
        self.h = np.empty((5, n), dtype=dtype)
        self.cr = np.empty((3, n), dtype=dtype)
        self.t3 = np.empty((3, n), dtype=dtype)
        self.mh = np.empty(n, dtype=dtype)
        #: factor applied to the bracket; None when -gamma' dt is folded into the fields
        self.post = None

    def rhs(self, m5: np.ndarray, t: float, c: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Heun increment ``dt * (-gamma') [m x B + alpha (m (m.B) - B)]`` into ``out`` (3, N).

        The factor -gamma' dt is either folded into every field term beforehand (scalar
        gamma', see :func:`_scaled`) or applied at the end (``post``).
        """
        s_ = self.s
        m = m5[:3]
        h5 = self.h
        h = h5[:3]
        if s_.lin0.ndim == 2:
            np.matmul(s_.lin0, m, out=h)
        else:
            np.einsum("ijn,jn->in", s_.lin0, m, out=h)
        h += c
        for term in s_.terms:
            w = term.waveform(t)
            if w == 0.0:
                continue
            s = w * term.amp
            if term.lin is not None:
                lm = _apply(term.lin, m)
                if term.nonlinear_stt:
                    lm = lm / (1.0 + s_.stt_lambda * np.einsum("in,in->n", m, s_.stt_p))
                lm *= s
                h += lm
            if term.off is not None:
                h += s * term.off
        if s_.partner is not None:
            h += s_.b_partner * m[:, s_.partner]
        h5[3:5] = h5[0:2]
        cr, t3 = self.cr, self.t3
        np.multiply(m5[1:4], h5[2:5], out=cr)
        np.multiply(m5[2:5], h5[1:4], out=t3)
        cr -= t3
        mh = np.einsum("in,in->n", m, h, out=self.mh)
        np.multiply(m, mh, out=out)
        out -= h
        out *= s_.alpha
        out += cr
        if self.post is not None:
            out *= self.post
        return out


class _FastHeun:
    """Heun stepper for the common case: static drives, shared 3x3 operator, scalar alpha.

    Per stage the field is one BLAS product, the products ``m_i h_j`` one broadcast multiply,
    and ``m x h``, ``m . h`` and ``h`` combine linearly in a second BLAS product, so a whole
    Heun step (both stages, the Heun average and the renormalization) is 13 numpy calls. With
    ``f(m) = m x h + alpha (m (m . h) - h)`` (fields pre-scaled by -gamma' dt)::

        p = m + f(m)     = m (1 + alpha m.h)  + [m x h - alpha h]
        m + p + f(p)     = p (1 + alpha p.h') + [m + p x h' - alpha h']

    and ``m_new = (m + p + f(p)) / |...|`` (the Heun factor 1/2 drops out of the
    renormalization). One (22, N) buffer holds, by rows: p(3) | b(3) | 1 | m(3) | P(9) | h(3),
    where b is the Brown field (plus a per-device static field) of the current step and
    P[i, j] = m_i h_j.
    """

    def __init__(self, lin: np.ndarray, c0: np.ndarray, alpha: float, n: int, dtype, noise_scale=1.0):
        self.n = n
        buf = np.zeros((22, n), dtype=dtype)
        buf[6] = 1.0
        self.buf = buf
        self.p, self.b, self.m = buf[0:3], buf[3:6], buf[7:10]
        self.P = buf[10:19].reshape(3, 3, n)
        self.h = buf[19:22]
        self.in1, self.in2, self.qin = buf[3:10], buf[0:7], buf[6:22]
        shared_c = c0.shape[1] == 1
        c = c0[:, 0] if shared_c else np.zeros(3)
        eye = noise_scale * np.eye(3)
        # stage 1: h = b + c + L m from rows (b, 1, m); stage 2: h = L p + b + c from rows (p, b, 1)
        self.a1 = np.ascontiguousarray(np.hstack([eye, c[:, None], lin]), dtype=dtype)
        self.a2 = np.ascontiguousarray(np.hstack([lin, eye, c[:, None]]), dtype=dtype)
        e = np.zeros((4, 16))
        # columns: 0 ones, 1-3 m, 4 + 3i + j P[i, j], 13-15 h
        P = lambda i, j: 4 + 3 * i + j  # noqa: E731
        for r, (i, j) in enumerate(((1, 2), (2, 0), (0, 1))):
            e[r, P(i, j)] += 1.0
            e[r, P(j, i)] -= 1.0
            e[r, 13 + r] = -alpha
        e[3, 0] = 1.0
        for i in range(3):
            e[3, P(i, i)] = alpha
        self.e1 = e.astype(dtype)
        e2 = e.copy()
        for r in range(3):
            e2[r, 1 + r] = 1.0
        self.e2 = e2.astype(dtype)
        self.q = np.empty((4, n), dtype=dtype)
        self.s = np.empty((3, n), dtype=dtype)
        self.nrm = np.empty(n, dtype=dtype)
        self.c_static = None if shared_c else c0

    def step(self):
        """One Heun step of ``self.m`` with the Brown field already in ``self.b``."""
        m, p, h, P, q, s, nrm = self.m, self.p, self.h, self.P, self.q, self.s, self.nrm
        mul, dot = np.multiply, np.dot
        dot(self.a1, self.in1, out=h)
        mul(m[:, None, :], h[None, :, :], out=P)
        dot(self.e1, self.qin, out=q)
        mul(m, q[3], out=p)
        p += q[:3]
        dot(self.a2, self.in2, out=h)
        mul(p[:, None, :], h[None, :, :], out=P)
        dot(self.e2, self.qin, out=q)
        mul(p, q[3], out=s)
        s += q[:3]
        np.einsum("in,in->n", s, s, out=nrm)
        np.sqrt(nrm, out=nrm)
        np.divide(s, nrm, out=m)


#: Column chunk of the fast path: keeps a chunk's buffers in cache and every BLAS call below
#: OpenBLAS's multithreading threshold (M N K <= 262,144), so the integrator stays on one core.
_FAST_CHUNK = 4096
#: Widest batch given to the fast path. Above it the generic stepper's contiguous ufuncs beat
#: the small-K BLAS calls and broadcast products of :class:`_FastHeun` (measured: fast path
#: 1.4x at N = 256, 1.1x at 1,024-2,048, 1.0x at 4,096, 0.9x at 16,384-65,536).
_FAST_MAX_N = 4096


def _fast_eligible(sys_: _System) -> bool:
    """Shared 3x3 operator, scalar alpha and gamma, no coupled partner, and time-dependent
    terms (if any) with a batch-wide amplitude, shared operator/offset and constant eta."""
    def shared_term(t: _Term) -> bool:
        return (np.ndim(t.amp) == 0 and not t.nonlinear_stt
                and (t.lin is None or t.lin.ndim == 2)
                and (t.off is None or t.off.shape[-1] == 1))
    return (sys_.partner is None and sys_.lin0.ndim == 2 and np.ndim(sys_.alpha) == 0
            and np.ndim(sys_.gamma_p) == 0 and all(shared_term(t) for t in sys_.terms))


def _integrate_fast(sys_: _System, m: np.ndarray, n_steps: int, dt: float, t0: float,
                    rng: np.random.Generator, noise: str, record_every: int | None,
                    monitor: Callable | None, dtype=np.float64):
    """:func:`_integrate` for :func:`_fast_eligible` systems: same equations and the very same
    noise draws (same order, same block shapes), so a seeded run sees the same Brown field.

    Batches wider than ``_FAST_CHUNK`` are stepped as column chunks with their own buffers, so
    every chunk's working set stays in cache (and each BLAS call is small enough to stay on
    one thread); the noise is still drawn for the whole batch at once.
    """
    n = m.shape[1]
    has_noise = bool(np.any(np.asarray(sys_.sigma) > 0))
    sys_ = _scaled(sys_, float(-sys_.gamma_p * dt))
    sig = sys_.sigma
    lin = np.asarray(sys_.lin0, dtype=float)
    off0 = np.asarray(sys_.off0, dtype=float)
    # a shared sigma rides in the field matmul (b holds the bare deviates) unless b must also
    # carry a per-device static field
    scalar_sigma = np.ndim(sig) == 0 and has_noise and off0.shape[1] == 1
    bounds = list(range(0, n, _FAST_CHUNK)) + [n]
    chunks = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        c0 = off0 if off0.shape[1] == 1 else off0[:, a:b]
        st = _FastHeun(lin, c0, float(sys_.alpha), b - a, dtype, float(sig) if scalar_sigma else 1.0)
        st.m[...] = m[:, a:b]
        if st.c_static is not None:
            st.b[...] = st.c_static
        chunks.append((slice(a, b), st))
    block = max(1, min(64, 32768 // max(n, 1)))
    draw = _noise_source(noise, rng, n * block, dtype) if has_noise else None
    # With block == 1 the generic path draws (3, n) deviates per step; ``group`` consecutive
    # such draws are one (group, 3, n) draw of the same stream (for the 16-bit quantized
    # source only when 3 n is even: it consumes 32-bit words two values at a time).
    group = 1
    if block == 1 and (noise == "gaussian" or (3 * n) % 2 == 0):
        group = max(1, min(8, (1 << 21) // (3 * n)))
    sigma = None if scalar_sigma else (np.asarray(sig, dtype=dtype) if np.ndim(sig) else sig)
    c_static = None if off0.shape[1] == 1 else off0.astype(dtype)
    times, recs = [], []
    terms = [(t.waveform, float(t.amp), None if t.lin is None else np.asarray(t.lin, dtype=float),
              None if t.off is None else np.asarray(t.off, dtype=float)[:, 0]) for t in sys_.terms]
    a1_0, a2_0 = chunks[0][1].a1, chunks[0][1].a2
    c_base = a1_0[:, 3].astype(float)

    def fields(t):
        lin_t, c_t = lin.copy(), c_base.copy()
        for wf, amp, tl, to in terms:
            s = amp * wf(t)
            if s != 0.0:
                if tl is not None:
                    lin_t += s * tl
                if to is not None:
                    c_t += s * to
        return lin_t, c_t

    def matrices(k):
        """The two field matrices of step k (time-dependent drives), shared by all chunks."""
        a1, a2 = a1_0.copy(), a2_0.copy()
        lin1, c1 = fields(t0 + k * dt)
        lin2, c2 = fields(t0 + (k + 1) * dt)
        a1[:, 3], a1[:, 4:7], a2[:, 0:3], a2[:, 6] = c1, lin1, lin2, c2
        return a1, a2

    def state():
        return chunks[0][1].m if len(chunks) == 1 else np.concatenate([st.m for _, st in chunks], axis=1)

    # Segments of steps between noise draws and snapshots; within a segment each column chunk
    # takes all its steps while its buffers are in cache.
    c_all, base, k = None, 0, 0
    while k < n_steps:
        end = n_steps
        if record_every:
            end = min(end, (k // record_every + 1) * record_every)
        if has_noise:
            if block > 1:
                if k % block == 0:
                    c_all, base = draw().reshape(3, block, n), k
                    if sigma is not None:
                        c_all *= sigma
                    if c_static is not None:
                        c_all += c_static[:, None, :]
                end = min(end, base + block)
            else:
                g = min(group, end - k)
                if noise == "gaussian":
                    raw = rng.standard_normal(size=(g, 3, n), dtype=dtype)
                else:
                    table = _QUANTILES32 if dtype == np.float32 else _QUANTILES
                    raw = table[rng.integers(0, 65536, size=(g, 3, n), dtype=np.uint16)]
                c_all, base = raw.transpose(1, 0, 2), k
                if sigma is not None:
                    c_all *= sigma
                if c_static is not None:
                    c_all += c_static[:, None, :]
                end = k + g
        mats = [matrices(kk) for kk in range(k, end)] if terms else None
        for sl, st in chunks:
            for kk in range(k, end):
                if mats is not None:
                    st.a1, st.a2 = mats[kk - k]
                if has_noise:
                    np.copyto(st.b, c_all[:, kk - base, sl])
                st.step()
        k = end
        if record_every and k % record_every == 0:
            t = t0 + k * dt
            if monitor is not None:
                monitor(t, state().T)
            else:
                times.append(t)
                recs.append(state().T.copy())
    return np.ascontiguousarray(state()), times, recs


def _c_unsupported(sys_: _System, noise: str, dtype) -> str | None:
    """Why the compiled kernel cannot integrate this case (None if it can)."""
    if _heun_c is None:
        return "the compiled kernel sim_backend.physics._heun is not available (not built)"
    if np.dtype(dtype) != np.float64:
        return "the compiled kernel works in float64 only"
    if noise != "gaussian" and bool(np.any(np.asarray(sys_.sigma) > 0)):
        return "the compiled kernel draws exact Gaussian noise only (noise='gaussian')"
    if not _fast_eligible(sys_):
        return ("the compiled kernel needs a batch-wide 3x3 operator, scalar damping, no coupled "
                "partner and batch-wide drive amplitudes with constant STT efficiency")
    return None


def _integrate_c(sys_: _System, m: np.ndarray, n_steps: int, dt: float, t0: float,
                 rng: np.random.Generator | None, record_every: int | None, monitor: Callable | None):
    """:func:`_integrate` on the compiled kernel (``_heun.c``) for :func:`_c_unsupported` cases.

    Same equations as :class:`_FastHeun`; the Brown field comes from the kernel's own
    generators (one xoshiro256++ stream per block of devices, seeded by one 64-bit draw from
    ``rng``), so a seeded run is reproducible and does not depend on ``record_every``.
    """
    n = m.shape[1]
    m = np.array(m, dtype=np.float64, order="C")
    has_noise = bool(np.any(np.asarray(sys_.sigma) > 0))
    sys_ = _scaled(sys_, float(-sys_.gamma_p * dt))
    lin = np.asarray(sys_.lin0, dtype=float)
    off0 = np.asarray(sys_.off0, dtype=float)
    c_base = off0[:, 0].copy() if off0.shape[1] == 1 else np.zeros(3)
    c_static = None if off0.shape[1] == 1 else np.ascontiguousarray(off0)
    sigma = np.ascontiguousarray(np.atleast_1d(np.asarray(sys_.sigma, dtype=float)))
    state = np.zeros((-(-n // _heun_c.BLOCK), 4), dtype=np.uint64)
    if has_noise:
        _heun_c.seed(state, int(rng.integers(0, np.iinfo(np.uint64).max, dtype=np.uint64, endpoint=True)))
    terms = [(t.waveform, float(t.amp), None if t.lin is None else np.asarray(t.lin, dtype=float),
              None if t.off is None else np.asarray(t.off, dtype=float)[:, 0]) for t in sys_.terms]

    def fields(t):
        """(12,) = L (row-major) and c at time t."""
        out = np.empty(12)
        lin_t, c_t = out[:9].reshape(3, 3), out[9:]
        lin_t[...], c_t[...] = lin, c_base
        for wf, amp, tl, to in terms:
            s = amp * wf(t)
            if s != 0.0:
                if tl is not None:
                    lin_t += s * tl
                if to is not None:
                    c_t += s * to
        return out

    static = np.concatenate([fields(t0), fields(t0)])[None, :] if not terms else None
    times, recs = [], []
    k = 0
    while k < n_steps:
        end = n_steps
        if record_every:
            end = min(end, (k // record_every + 1) * record_every)
        if terms:
            end = min(end, k + 4096)
            f = np.array([fields(t0 + kk * dt) for kk in range(k, end + 1)])
            mats = np.ascontiguousarray(np.concatenate([f[:-1], f[1:]], axis=1))
        else:
            mats = static
        _heun_c.integrate(m, n, end - k, mats, float(sys_.alpha), sigma, c_static, state, has_noise)
        k = end
        if record_every and k % record_every == 0:
            t = t0 + k * dt
            if monitor is not None:
                monitor(t, m.T)
            else:
                times.append(t)
                recs.append(m.T.copy())
    return m, times, recs


def _integrate(sys_: _System, m: np.ndarray, n_steps: int, dt: float, t0: float,
               rng: np.random.Generator, noise: str, record_every: int | None,
               monitor: Callable | None, dtype=np.float64, backend: str = "numpy"):
    if backend == "c":
        return _integrate_c(sys_, m, n_steps, dt, t0, rng, record_every, monitor)
    if m.shape[1] <= _FAST_MAX_N and _fast_eligible(sys_):
        return _integrate_fast(sys_, m, n_steps, dt, t0, rng, noise, record_every, monitor, dtype)
    n = m.shape[1]
    has_noise = bool(np.any(np.asarray(sys_.sigma) > 0))
    scale = -sys_.gamma_p * dt
    if np.ndim(scale) == 0:
        sys_ = _scaled(sys_, float(scale))
        stepper = _Stepper(sys_, n, dtype)
    else:
        stepper = _Stepper(sys_, n, dtype)
        stepper.post = np.asarray(scale, dtype=dtype)
    block = max(1, min(64, 32768 // max(n, 1)))
    draw = _noise_source(noise, rng, n * block, dtype) if has_noise else None
    m5 = np.empty((5, n), dtype=dtype); m5[:3] = m; m5[3:5] = m5[0:2]
    mp5 = np.empty((5, n), dtype=dtype)
    f0 = np.empty((3, n), dtype=dtype); f1 = np.empty((3, n), dtype=dtype)
    c_all = None
    c0 = np.empty((3, n), dtype=dtype); c0[...] = sys_.off0
    sigma = sys_.sigma
    times, recs = [], []
    mm = m5[:3]
    for k in range(n_steps):
        t = t0 + k * dt
        if has_noise:
            j = k % block
            if j == 0:
                c_all = draw().reshape(3, block, n).transpose(1, 0, 2)
                c_all *= sigma
                c_all += sys_.off0
            c0 = c_all[j]
        stepper.rhs(m5, t, c0, f0)                 # f0 = dt * f(m, t)
        np.add(mm, f0, out=mp5[:3])                # Euler predictor
        mp5[3:5] = mp5[0:2]
        stepper.rhs(mp5, t + dt, c0, f1)           # f1 = dt * f(m~, t + dt), same b_th
        f0 += f1
        f0 *= 0.5
        mm += f0
        mm /= np.sqrt(np.einsum("in,in->n", mm, mm))
        m5[3:5] = m5[0:2]
        if record_every and (k + 1) % record_every == 0:
            if monitor is not None:
                monitor(t + dt, mm.T)
            else:
                times.append(t + dt)
                recs.append(mm.T.copy())
    return np.ascontiguousarray(mm), times, recs


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
