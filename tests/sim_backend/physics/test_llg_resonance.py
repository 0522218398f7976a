"""Deterministic LLG checks: Kittel frequencies from a ring-down, Stoner–Wohlfarth astroid."""
from dataclasses import fields, replace

import numpy as np
import pytest

from spinbench.sim_backend.physics import analytic as an
from spinbench.sim_backend.physics import llg
from spinbench.sim_backend.physics.constants import MU0
from spinbench.sim_backend.physics.llg import Drives, MacrospinParams, equilibrium_direction, simulate
from spinbench.sim_backend.physics.waveforms import Ramp

MS = 1.0e6  # A/m
_C = pytest.param("c", marks=pytest.mark.skipif(not llg.HAVE_C_KERNEL, reason="compiled kernel _heun not built"))


def _device(p: MacrospinParams, k: int, n: int) -> MacrospinParams:
    """Device ``k`` of a batch with per-device parameters, as a batch-wide parameter set (the
    compiled kernel integrates batches that share one field operator)."""
    return replace(p, **{f.name: getattr(p, f.name)[k] for f in fields(p)
                         if isinstance(getattr(p, f.name), np.ndarray) and getattr(p, f.name).shape[:1] == (n,)})


def _ringdown_frequency(t, y):
    """Frequency from linearly interpolated zero crossings of y(t) (many periods)."""
    s = np.signbit(y)
    i = np.nonzero(s[1:] != s[:-1])[0]
    tc = t[i] - y[i] * (t[i + 1] - t[i]) / (y[i + 1] - y[i])
    return (len(tc) - 1) / 2.0 / (tc[-1] - tc[0])


@pytest.mark.parametrize("backend", ["numpy", _C])
def test_kittel_frequencies_from_ringdown(backend):
    """PMA + Bz, in-plane + B along easy axis, PMA + in-plane B below/above B_K,eff: 1 %.

    numpy: one batch with per-device parameters; compiled kernel: one batch per case."""
    k_pma = 1.0e6                     # B_K = 2 T, B_K,eff = 2 - mu0 Ms = 0.743 T
    k_ip = 2.0e4                      # in-plane easy axis x, B_K = 0.04 T
    bkeff = an.effective_anisotropy_field(k_pma, MS)
    cases = [  # (k_u, easy axis, field, expected f)
        (k_pma, (0, 0, 1), (0, 0, 0.1), an.kittel_pma_out_of_plane(0.1, bkeff)),
        (k_ip, (1, 0, 0), (0.05, 0, 0), an.kittel_in_plane_easy_axis(0.05, 2 * k_ip / MS, MS)),
        (k_pma, (0, 0, 1), (0.3, 0, 0), an.kittel_pma_in_plane_field(0.3, bkeff)),
        (k_pma, (0, 0, 1), (1.0, 0, 0), an.kittel_pma_in_plane_field(1.0, bkeff)),
    ]
    n = len(cases)
    p = MacrospinParams(ms=MS, volume=1e-24, thickness=1e-9, alpha=0.001,
                        k_u=np.array([c[0] for c in cases]),
                        easy_axis=np.array([c[1] for c in cases], float),
                        b_ext=np.array([c[2] for c in cases], float))
    guess = np.array([[0, 0, 1], [1, 0, 0], [0.3, 0, 1], [1, 0, 0.3]], float)
    kick = np.array([0, 0.02, 0])               # kick out of the x-z plane; m_y rings down
    if backend == "numpy":
        m_eq = equilibrium_direction(p, guess, steps=3000)
        res = simulate(p, m_eq + kick, 3e-9, 1e-13, record_every=1, backend="numpy")
        times, records = res.times, res.records
    else:
        runs = []
        for k in range(n):
            pk = _device(p, k, n)
            m_eq = equilibrium_direction(pk, guess[k:k + 1], steps=3000)
            runs.append(simulate(pk, m_eq + kick, 3e-9, 1e-13, record_every=1, backend="c"))
        times, records = runs[0].times, np.concatenate([r.records for r in runs], axis=1)
    f_expected = np.array([c[3] for c in cases])
    f_sim = np.array([_ringdown_frequency(times, records[:, k, 1]) for k in range(n)])
    assert np.all(np.abs(f_sim / f_expected - 1) < 0.01), (f_sim, f_expected)
    # norm preserved by the renormalized Heun step
    assert np.allclose(np.linalg.norm(records, axis=-1), 1.0, atol=1e-12)


def test_stoner_wohlfarth_astroid_at_zero_temperature():
    """0 K switching field vs field angle brackets the astroid within 2 %.

    Each device ramps its field quasi-statically (20 ns) to a fraction of the astroid field
    and then holds it (20 ns, >> the critical slowing-down near the saddle-node); the
    threshold is bracketed by the largest field that keeps m_z > 0 and the smallest that
    reverses it.
    """
    b_k = 0.1
    psi_deg = np.array([10.0, 25.0, 45.0, 65.0, 80.0])
    fractions = np.array([0.96, 0.98, 0.995, 1.005, 1.02, 1.04])
    psi = np.radians(np.repeat(psi_deg, len(fractions)))
    frac = np.tile(fractions, len(psi_deg))
    b_sw = an.stoner_wohlfarth_field(psi, b_k)
    direction = np.stack([np.sin(psi), np.zeros_like(psi), -np.cos(psi)], axis=1)
    p = MacrospinParams(ms=MS, volume=1e-24, thickness=1e-9, alpha=1.0, k_u=b_k * MS / 2,
                        demag_factors=(0, 0, 0))
    drives = Drives(b_rf=direction * (frac * b_sw)[:, None], b_rf_waveform=Ramp(20e-9))
    res = simulate(p, np.tile([0.0, 0, 1], (len(psi), 1)), 40e-9, 2e-12, drives=drives)
    switched = (res.m[:, 2] < 0).reshape(len(psi_deg), len(fractions))
    for k, row in enumerate(switched):
        # monotonic: no switching below, switching above one threshold
        assert np.all(np.diff(row.astype(int)) >= 0), (psi_deg[k], row)
        lo = fractions[~row].max()
        hi = fractions[row].min()
        assert 0.98 <= lo and hi <= 1.02, (psi_deg[k], lo, hi)
    # the astroid minimum: at 45 degrees the field is half the anisotropy field
    assert abs(an.stoner_wohlfarth_field(np.pi / 4, b_k) - 0.05) < 1e-12


def test_interlayer_exchange_fixed_and_coupled_layers():
    """IEC to a fixed layer along z adds J/(Ms t) to the Kittel field; for two identical layers
    coupled to each other the in-phase (acoustic) mode is unshifted and the out-of-phase (optical)
    mode is shifted by 2 J/(Ms t). Each within 1 %."""
    k_u, t_f, j_iec = 1.0e6, 1e-9, 1e-4                 # J/m^2 -> B_iec = J/(Ms t) = 0.1 T
    bkeff = an.effective_anisotropy_field(k_u, MS)
    b_iec = j_iec / (MS * t_f)
    tilt = np.array([0.02, 0, 1.0])
    # fixed layer
    p = MacrospinParams(ms=MS, volume=1e-24, thickness=t_f, alpha=0.001, k_u=k_u, j_iec=j_iec,
                        iec_direction=(0, 0, 1))
    res = simulate(p, tilt[None, :], 2e-9, 1e-13, record_every=1)
    f = _ringdown_frequency(res.times, res.records[:, 0, 0])
    assert f == pytest.approx(an.kittel_pma_out_of_plane(b_iec, bkeff), rel=0.01)
    # two coupled free layers: devices (0, 1) in phase, (2, 3) out of phase
    p2 = MacrospinParams(ms=MS, volume=1e-24, thickness=t_f, alpha=0.001, k_u=k_u, j_iec=j_iec,
                         iec_partner=np.array([1, 0, 3, 2]))
    m0 = np.array([tilt, tilt, tilt, tilt * np.array([-1, 1, 1])])
    res = simulate(p2, m0, 2e-9, 1e-13, record_every=1)
    f_acoustic = _ringdown_frequency(res.times, res.records[:, 0, 0])
    f_optical = _ringdown_frequency(res.times, res.records[:, 2, 0] - res.records[:, 3, 0])
    assert f_acoustic == pytest.approx(an.kittel_pma_out_of_plane(0.0, bkeff), rel=0.01)
    assert f_optical == pytest.approx(an.kittel_pma_out_of_plane(2 * b_iec, bkeff), rel=0.01)
