"""Thermal-field amplitude and dynamics: Boltzmann equilibrium, free diffusion, dwell times."""
import numpy as np
import pytest
from scipy.optimize import brentq

from spinbench.sim_backend.physics import analytic as an
from spinbench.sim_backend.physics import thermal as th
from spinbench.sim_backend.physics import llg
from spinbench.sim_backend.physics.constants import KB
from spinbench.sim_backend.physics.llg import MacrospinParams, simulate, thermal_field_sigma

T = 300.0
_NEEDS_C = pytest.mark.skipif(not llg.HAVE_C_KERNEL, reason="compiled kernel _heun not built")


def _c(*values):
    """A parameter set for the compiled kernel (exact Gaussian noise from its own generator)."""
    return pytest.param(*values, marks=_NEEDS_C)
MS = 1.0e6


def _uniaxial(delta, b_k, alpha):
    """Macrospin with barrier ``delta`` (kB T units) and anisotropy field ``b_k`` [T]."""
    volume = 2.0 * np.asarray(delta) * KB * T / (MS * b_k)
    return MacrospinParams(ms=MS, volume=volume, thickness=1e-9, alpha=alpha, k_u=b_k * MS / 2,
                           demag_factors=(0, 0, 0))


def test_thermal_field_variance_formula():
    """sigma^2 = 2 alpha kB T / (gamma Ms V dt) [T^2], i.e. mu0^2 times the A/m form."""
    s = thermal_field_sigma(0.01, 1e6, 1e-24, 300.0, 1e-12)
    assert s == pytest.approx(np.sqrt(2 * 0.01 * KB * 300 / (1.76085963023e11 * 1e6 * 1e-24 * 1e-12)), rel=1e-12)


@pytest.mark.parametrize("noise,dtype,backend", [("gaussian", np.float64, "numpy"), _c("gaussian", np.float64, "c"),
                                                 ("quantized", np.float64, "numpy"),
                                                 ("quantized", np.float32, "numpy")])
def test_boltzmann_distribution_of_easy_axis_projection(noise, dtype, backend):
    """Sampled m.u matches exp(Delta (m.u)^2): fitted Delta within 3 %, KS distance < 0.02."""
    delta, b_k = 2.0, 0.5
    p = _uniaxial(delta, b_k, alpha=0.5)
    samples = []

    def keep(t, m):
        if t > 2e-9:                         # after equilibration (tau_N ~ 57 ps)
            samples.append(m[:, 2].copy())

    simulate(p, np.tile([0, 0, 1.0], (2048, 1)), 10e-9, 1e-12, temperature=T,
             rng=np.random.default_rng(11), record_every=500, monitor=keep, noise=noise, dtype=dtype,
             backend=backend)
    x = np.concatenate(samples)              # 16 x 2048 samples, ~9 tau_N apart
    d_fit = brentq(lambda d: an.boltzmann_mean_mz2(d) - np.mean(x**2), 0.05, 20)
    assert d_fit == pytest.approx(delta, rel=0.03)
    grid = np.linspace(-1, 1, 2001)
    cdf = np.cumsum(an.boltzmann_mz_pdf(grid, delta)) * (grid[1] - grid[0])
    emp = np.searchsorted(np.sort(x), grid) / len(x)
    assert np.max(np.abs(emp - cdf)) < 0.02


@pytest.mark.parametrize("backend", ["numpy", _c("c")])
def test_free_rotational_diffusion_time(backend):
    """Without anisotropy <m_z>(t) = exp(-t / tau_N), tau_N = Ms V (1+a^2)/(2 a gamma kB T): 3 %."""
    p = _uniaxial(2.0, 1.0, alpha=1.0)
    p = MacrospinParams(ms=p.ms, volume=p.volume, thickness=1e-9, alpha=1.0, k_u=0.0,
                        demag_factors=(0, 0, 0))
    tau_n = an.neel_brown_prefactor_time(1.0, MS, p.volume, T)
    ts, mz = [], []
    simulate(p, np.tile([0, 0, 1.0], (20000, 1)), 1.5 * tau_n, tau_n / 200, temperature=T,
             rng=np.random.default_rng(5), record_every=20,
             monitor=lambda t, m: (ts.append(t), mz.append(m[:, 2].mean())), backend=backend)
    rate = -np.polyfit(ts, np.log(mz), 1)[0]
    assert rate * tau_n == pytest.approx(1.0, rel=0.03)


@pytest.mark.parametrize("backend,noise,per", [("numpy", "quantized", 400), _c("c", "gaussian", 2000)])
def test_dwell_time_scales_with_exp_delta(backend, noise, per):
    """Mean first-passage time out of a well vs the exact Fokker–Planck quadrature (8 %),
    and its growth with the barrier: ln T rises by ~1 per unit Delta (the Arrhenius factor).

    The moment starts at the well bottom (m_z = 1) and is absorbed at m_z = -0.5. Checking the
    state every step of size dt misses short excursions past the threshold; the standard
    continuity correction (Broadie, Glasserman & Kou 1997) moves the absorbing point by
    0.5826 sigma_x, sigma_x = sqrt((1 - a^2) dt / tau_N) the per-step spread of m_z there.

    With ``per`` devices per barrier the mean's standard error is ~1/sqrt(per) (the passage
    times are nearly exponential): 5 % at 400, so 8 % is only 1.6 standard errors; the
    compiled kernel, ~4x cheaper per device-step, runs 2,000 (2.2 %).
    """
    deltas = np.array([2.0, 3.0, 4.0, 5.0])
    d = np.repeat(deltas, per)
    b_k, alpha = 1.0, 1.0
    p = _uniaxial(d, b_k, alpha)
    dt = 2.5e-13
    t_first = np.full(d.size, np.inf)

    def watch(t, m):
        hit = (m[:, 2] < -0.5) & np.isinf(t_first)
        t_first[hit] = t

    duration = 10e-9
    simulate(p, np.tile([0, 0, 1.0], (d.size, 1)), duration, dt, temperature=T,
             rng=np.random.default_rng(2024), record_every=1, monitor=watch, noise=noise, backend=backend)
    measured, expected = [], []
    for delta in deltas:
        sel = d == delta
        tf = t_first[sel]
        done = np.isfinite(tf)
        assert done.mean() > 0.97                 # nearly all escaped: censoring is negligible
        measured.append((tf[done].sum() + (~done).sum() * duration) / done.sum())
        tau_n = an.neel_brown_prefactor_time(alpha, MS, 2 * delta * KB * T / (MS * b_k), T)
        a_eff = -0.5 - 0.5826 * np.sqrt(0.75 * dt / tau_n)
        expected.append(th.mean_first_passage_time(delta, tau_n, 1.0, a_eff))
    measured, expected = np.array(measured), np.array(expected)
    assert np.all(np.abs(measured / expected - 1) < 0.08), measured / expected
    # Arrhenius: after removing Brown's prefactor (tau_N ~ Delta here, Delta^-3/2 (1+1/Delta)^-1),
    # ln(T) grows with unit slope in Delta
    reduced = np.log(measured) - np.log(deltas * deltas**-1.5 / (1 + 1 / deltas))
    slope = np.polyfit(deltas, reduced, 1)[0]
    assert slope == pytest.approx(1.0, abs=0.15)
