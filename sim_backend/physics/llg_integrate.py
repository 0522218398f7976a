"""Time integration of the sLLGS system (:mod:`.llg_system`): the Brown-field noise sources,
the Heun (Stratonovich) steppers -- generic, the lean shared-operator one, the optional
compiled kernel -- and the choice between them (the equations are in :mod:`.llg`'s
docstring)."""

from __future__ import annotations

import logging
from typing import Callable

import numpy as np
from scipy.special import ndtri

from .llg_system import _System, _Term, _apply, _scaled  # noqa: F401

try:  # optional compiled Heun kernel (sim_backend/physics/_heun.c)
    from . import _heun as _heun_c
except ImportError as _exc:  # not built (no compiler at install time) or not importable
    _heun_c = None
    logging.getLogger(__name__).debug("compiled sLLGS kernel unavailable, using numpy: %s", _exc)

#: True when the compiled kernel (``backend="c"``) is importable.
HAVE_C_KERNEL = _heun_c is not None


# --------------------------------------------------------------------------- noise
_QUANTILES = ndtri((np.arange(65536) + 0.5) / 65536.0)
_QUANTILES = _QUANTILES / np.sqrt(np.mean(_QUANTILES**2))


_QUANTILES32 = _QUANTILES.astype(np.float32)



def _drive_terms(sys_) -> list:
    """The system's time-dependent drive terms as (waveform, amplitude, L term, c term)."""
    return [(t.waveform, float(t.amp), None if t.lin is None else np.asarray(t.lin, dtype=float),
             None if t.off is None else np.asarray(t.off, dtype=float)[:, 0]) for t in sys_.terms]


def _add_drive_terms(terms: list, t: float, lin_t: np.ndarray, c_t: np.ndarray) -> None:
    """Add each drive term at time ``t`` to the linear map ``lin_t`` and offset ``c_t`` in place."""
    for wf, amp, tl, to in terms:
        s = amp * wf(t)
        if s != 0.0:
            if tl is not None:
                lin_t += s * tl
            if to is not None:
                c_t += s * to

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
    terms = _drive_terms(sys_)
    a1_0, a2_0 = chunks[0][1].a1, chunks[0][1].a2
    c_base = a1_0[:, 3].astype(float)

    def fields(t):
        lin_t, c_t = lin.copy(), c_base.copy()
        _add_drive_terms(terms, t, lin_t, c_t)
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
    terms = _drive_terms(sys_)

    def fields(t):
        """(12,) = L (row-major) and c at time t."""
        out = np.empty(12)
        lin_t, c_t = out[:9].reshape(3, 3), out[9:]
        lin_t[...], c_t[...] = lin, c_base
        _add_drive_terms(terms, t, lin_t, c_t)
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
