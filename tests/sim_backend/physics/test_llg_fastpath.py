"""The fast Heun path of the sLLGS integrator against the generic stepper.

Both integrate the same equations with the very same noise draws (same order and block
shapes), so a seeded run must agree to rounding, with and without thermal noise, with static
and time-dependent drives, per-device thermal amplitudes and static fields, and when a wide
batch is stepped in column chunks.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim_backend.physics.llg as llg
from sim_backend.physics import waveforms as wf
from sim_backend.physics.llg import Drives, MacrospinParams, simulate

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
        monkeypatch.setattr(llg, "_FAST_CHUNK", chunk)
    out = []
    for eligible in (lambda s: False, fast):
        monkeypatch.setattr(llg, "_fast_eligible", eligible)
        res = simulate(params, m0, 120 * DT, DT, temperature=temperature, drives=drives,
                       rng=np.random.default_rng(7), record_every=40, noise=noise, dtype=dtype)
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
