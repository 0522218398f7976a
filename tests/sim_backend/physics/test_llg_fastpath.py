"""The fast Heun path of the sLLGS integrator against the generic stepper, and the compiled
kernel (``backend="c"``) against both.

The numpy fast path and the generic stepper integrate the same equations with the very same
noise draws (same order and block shapes), so a seeded run must agree to rounding, with and
without thermal noise, with static and time-dependent drives, per-device thermal amplitudes and
static fields, and when a wide batch is stepped in column chunks. The compiled kernel draws its
own Gaussian noise, so it must agree to rounding at 0 K and be reproducible under a seed at
300 K; its generator is checked statistically.
"""

from __future__ import annotations

import numpy as np
import pytest

import spinbench.sim_backend.physics.llg as llg
import spinbench.sim_backend.physics.llg_integrate as llg_integrate
from spinbench.sim_backend.physics import waveforms as wf
from spinbench.sim_backend.physics.llg import Drives, MacrospinParams, simulate

DT = 1e-12


def _params(n: int, per_device: bool) -> MacrospinParams:
    b_ext = np.outer(np.linspace(0.0, 1.0, n), [0.01, 0.0, 0.005]) if per_device else (0.01, 0.0, 0.0)
    return MacrospinParams(ms=1.1e6, volume=1e-25, thickness=1e-9, alpha=0.02, k_u=1.2e6, b_ext=b_ext,
                           xi_dl=0.3, xi_fl=0.05, stt_eta=0.5, stt_beta=0.1, b_oe_per_j=(0.0, -1e-13, 0.0))


DRIVES = {
    "none": Drives(),
    "static": Drives(j_hm=1e11, current=2e-4),
    "pulses": Drives(j_hm=1e11, j_hm_waveform=wf.Pulse(width=40e-12, start=10e-12, rise=5e-12, fall=5e-12),
                     b_rf=(0.002, 0.0, 0.0), b_rf_waveform=wf.Sine(frequency=20e9)),
}


def _both(monkeypatch, params, m0, drives, temperature, noise="gaussian", dtype=np.float64, chunk=None):
    fast = llg._fast_eligible
    assert fast(llg._build(params, drives, m0.shape[0], temperature, DT))
    if chunk:
        monkeypatch.setattr(llg_integrate, "_FAST_CHUNK", chunk)
    out = []
    for eligible in (lambda s: False, fast):
        monkeypatch.setattr(llg_integrate, "_fast_eligible", eligible)
        res = simulate(params, m0, 120 * DT, DT, temperature=temperature, drives=drives,
                       rng=np.random.default_rng(7), record_every=40, noise=noise, dtype=dtype,
                       backend="numpy")
        out.append(res)
    return out


@pytest.mark.parametrize("drive", sorted(DRIVES))
@pytest.mark.parametrize("temperature", [0.0, 300.0])
@pytest.mark.parametrize("per_device", [False, True])
def test_fast_path_matches_generic(monkeypatch, drive, temperature, per_device):
    n = 300
    m0 = np.random.default_rng(1).normal(size=(n, 3))
    temp = temperature * np.linspace(0.5, 1.5, n) if per_device else temperature    # per-device sigma
    gen, fast = _both(monkeypatch, _params(n, per_device), m0, DRIVES[drive], temp, chunk=128)
    assert gen.records.shape == fast.records.shape == (3, n, 3)
    assert np.abs(gen.records - fast.records).max() < 1e-11
    assert np.abs(gen.m - fast.m).max() < 1e-11
    assert np.allclose(np.linalg.norm(fast.m, axis=1), 1.0, atol=1e-14)


def test_fast_path_quantized_and_float32(monkeypatch):
    n = 64
    m0 = np.random.default_rng(2).normal(size=(n, 3))
    gen, fast = _both(monkeypatch, _params(n, False), m0, DRIVES["static"], 300.0, noise="quantized")
    assert np.abs(gen.m - fast.m).max() < 1e-11
    gen, fast = _both(monkeypatch, _params(n, False), m0, DRIVES["static"], 300.0, dtype=np.float32)
    assert np.abs(gen.m - fast.m).max() < 1e-4


def test_fast_path_not_taken_for_per_device_operator():
    n = 8
    p = MacrospinParams(ms=1.1e6, volume=1e-25, thickness=1e-9, alpha=0.02, k_u=np.linspace(1e6, 1.2e6, n))
    assert not llg._fast_eligible(llg._build(p, Drives(), n, 300.0, DT))
    p = MacrospinParams(ms=1.1e6, volume=1e-25, thickness=1e-9, alpha=np.linspace(0.01, 0.02, n), k_u=1e6)
    assert not llg._fast_eligible(llg._build(p, Drives(), n, 300.0, DT))


# --------------------------------------------------------------------------- compiled kernel
needs_c = pytest.mark.skipif(not llg.HAVE_C_KERNEL, reason="compiled kernel _heun not built")


@needs_c
@pytest.mark.parametrize("drive", sorted(DRIVES))
@pytest.mark.parametrize("per_device", [False, True])
def test_c_kernel_matches_numpy_at_zero_kelvin(drive, per_device):
    n = 300
    m0 = np.random.default_rng(1).normal(size=(n, 3))
    out = [simulate(_params(n, per_device), m0, 120 * DT, DT, drives=DRIVES[drive], record_every=40,
                    backend=b) for b in ("numpy", "c")]
    assert np.abs(out[0].records - out[1].records).max() < 1e-11
    assert np.abs(out[0].m - out[1].m).max() < 1e-11
    assert np.allclose(np.linalg.norm(out[1].m, axis=1), 1.0, atol=1e-14)


@needs_c
def test_c_kernel_seeded_reproducible_and_independent_of_snapshots():
    n = 300                                   # three generator blocks, the last one partial
    m0 = np.random.default_rng(1).normal(size=(n, 3))
    p, temp = _params(n, True), 300.0 * np.linspace(0.5, 1.5, n)

    def run(seed, **kw):
        return simulate(p, m0, 120 * DT, DT, temperature=temp, drives=DRIVES["pulses"],
                        rng=np.random.default_rng(seed), backend="c", **kw).m
    a = run(3)
    assert np.array_equal(a, run(3))
    assert np.array_equal(a, run(3, record_every=7))
    assert np.abs(a - run(4)).max() > 1e-3
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-14)


@needs_c
def test_backend_selection():
    n = 8
    m0 = np.tile([0.1, 0.0, 1.0], (n, 1))
    p = _params(n, False)
    rng = np.random.default_rng
    # auto takes the compiled kernel for a supported case (same result as backend="c")
    auto = simulate(p, m0, 50 * DT, DT, temperature=300.0, rng=rng(1)).m
    assert np.array_equal(auto, simulate(p, m0, 50 * DT, DT, temperature=300.0, rng=rng(1), backend="c").m)
    # and numpy otherwise (float32, quantized noise, per-device operator)
    for kw in ({"dtype": np.float32}, {"noise": "quantized"}):
        a = simulate(p, m0, 50 * DT, DT, temperature=300.0, rng=rng(1), **kw).m
        assert np.array_equal(a, simulate(p, m0, 50 * DT, DT, temperature=300.0, rng=rng(1), backend="numpy",
                                          **kw).m)
        with pytest.raises(ValueError):
            simulate(p, m0, 50 * DT, DT, temperature=300.0, rng=rng(1), backend="c", **kw)
    q = MacrospinParams(ms=1.1e6, volume=1e-25, thickness=1e-9, alpha=0.02, k_u=np.linspace(1e6, 1.2e6, n))
    with pytest.raises(ValueError):
        simulate(q, m0, 50 * DT, DT, backend="c")
    with pytest.raises(ValueError):
        simulate(p, m0, 50 * DT, DT, backend="fortran")
    # worker threads split the batch and run the kernel concurrently
    w = simulate(p, np.tile([0.1, 0.0, 1.0], (600, 1)), 50 * DT, DT, temperature=300.0, rng=rng(2), workers=2,
                 backend="c").m
    assert w.shape == (600, 3) and np.allclose(np.linalg.norm(w, axis=1), 1.0, atol=1e-14)


def test_backend_falls_back_without_kernel(monkeypatch):
    """Without the compiled kernel, auto integrates with numpy and backend="c" says why."""
    monkeypatch.setattr(llg, "_heun_c", None)
    monkeypatch.setattr(llg_integrate, "_heun_c", None)
    n = 8
    m0 = np.tile([0.1, 0.0, 1.0], (n, 1))
    a = simulate(_params(n, False), m0, 50 * DT, DT, temperature=300.0, rng=np.random.default_rng(1)).m
    b = simulate(_params(n, False), m0, 50 * DT, DT, temperature=300.0, rng=np.random.default_rng(1),
                 backend="numpy").m
    assert np.array_equal(a, b)
    with pytest.raises(RuntimeError):
        simulate(_params(n, False), m0, 50 * DT, DT, backend="c")


@needs_c
def test_c_generator_normals_are_standard_and_uncorrelated():
    """1e7 deviates of one xoshiro256++/Ziggurat stream: mean, variance, lag-1 correlation,
    kurtosis, tail masses and the KS distance, each within ~4-5 standard errors."""
    from scipy import stats
    from spinbench.sim_backend.physics import _heun

    state = np.zeros((1, 4), dtype=np.uint64)
    _heun.seed(state, 20240611)
    n = 10_000_000
    x = np.empty(n)
    _heun.normals(state, x)
    se = 1.0 / np.sqrt(n)
    assert abs(x.mean()) < 5 * se
    assert abs(x.var() - 1.0) < 5 * np.sqrt(2.0) * se
    assert abs(np.mean(x[1:] * x[:-1])) < 5 * se                  # lag-1 autocorrelation
    assert abs(np.mean(x[2:] * x[:-2])) < 5 * se
    assert abs(np.mean(x**4) - 3.0) < 5 * np.sqrt(96.0) * se       # kurtosis (var(x^4) = 96)
    assert abs(np.mean(x**3)) < 5 * np.sqrt(15.0) * se
    for c in (1.0, 2.0, 3.0, 3.6541528853610088, 4.0):            # body, layers, the tail past R
        p = 2 * stats.norm.sf(c)
        assert abs(np.mean(np.abs(x) > c) - p) < 5 * np.sqrt(p * (1 - p) / n), c
    assert stats.kstest(x[:1_000_000], "norm").pvalue > 1e-3
    # the next block of the same stream continues it (no repetition), and streams differ
    y = np.empty(1000)
    _heun.normals(state, y)
    assert not np.array_equal(y, x[:1000])
