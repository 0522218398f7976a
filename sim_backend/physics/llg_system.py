"""The sLLGS system of :mod:`.llg`: parameters broadcast over a batch of macrospins, the
terms linear in m folded into one 3x3 operator, the Brown thermal-field amplitude (the
equations are in :mod:`.llg`'s docstring)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from .constants import E_CHARGE, GAMMA_E, HBAR, KB, MU0
from .waveforms import as_waveform

if TYPE_CHECKING:  # pragma: no cover
    from .llg import Drives, MacrospinParams

ArrayLike = float | np.ndarray | tuple | list


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
