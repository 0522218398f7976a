"""STT switching of a perpendicular free layer: I_c0, Sun's law, Néel–Brown, and where they meet."""
import numpy as np
import pytest

from spinbench.sim_backend.physics import analytic as an
from spinbench.sim_backend.physics import llg
from spinbench.sim_backend.physics import thermal as th
from spinbench.sim_backend.physics.constants import KB, MU0
from spinbench.sim_backend.physics.llg import Drives, MacrospinParams, simulate

_NEEDS_C = pytest.mark.skipif(not llg.HAVE_C_KERNEL, reason="compiled kernel _heun not built")

T = 300.0
MS = 1.0e6
B_KEFF = 0.3          # T, out of plane (thin-film demag included through demag_factors)
ALPHA = 0.05
ETA = 0.6
DELTA = 40.0
VOLUME = 2 * DELTA * KB * T / (MS * B_KEFF)
K_U = (B_KEFF + MU0 * MS) * MS / 2
IC0 = an.stt_critical_current(ALPHA, ETA, MS, B_KEFF, VOLUME)
TAU_D = an.relaxation_time(ALPHA, B_KEFF)


def _free_layer(**kw):
    # reference layer along -z: positive current pulls m from +z toward -z
    return MacrospinParams(ms=MS, volume=VOLUME, thickness=1e-9, alpha=ALPHA, k_u=K_U,
                           stt_eta=ETA, stt_polarization=(0, 0, -1), **kw)


def _simulate_currents(backend, m0, duration, dt, currents, record_every, monitor, **kw):
    """``simulate`` with per-device DC currents. numpy: one batch; the compiled kernel takes
    batch-wide drive amplitudes, so one batch per distinct current (same rng, in turn), with
    ``monitor`` seeing the whole batch."""
    if backend == "numpy":
        return simulate(_free_layer(), m0, duration, dt, drives=Drives(current=currents),
                        record_every=record_every, monitor=monitor, backend="numpy", **kw)
    m = np.array(m0, dtype=float)
    for c in np.unique(currents):
        sel = np.nonzero(currents == c)[0]

        def watch(t, mk, sel=sel):
            m[sel] = mk
            monitor(t, m)
        simulate(_free_layer(), m0[sel], duration, dt, drives=Drives(current=c), record_every=record_every,
                 monitor=watch, backend="c", **kw)


@pytest.mark.parametrize("lam,backend", [(0.0, "numpy"), (0.3, "numpy"),
                                        pytest.param(0.0, "c", marks=_NEEDS_C)])
def test_stt_critical_current_of_pma_free_layer(lam, backend):
    """0 K: the cone angle grows as exp(r t) with r = (I/I_c0' - 1)/tau_D; r(I) crosses zero at
    I_c0' = (2e/hbar)(alpha/eta') mu0 Ms H_K,eff V, eta' = eta/(1 + lambda m.p) = eta/(1 - lambda)
    at m = -p. Fitted zero crossing within 1 %, fitted slope within 2 %."""
    ratios = np.array([0.8, 0.9, 1.1, 1.2])
    p = _free_layer(stt_lambda=lam)
    ic0 = IC0 * (1 - lam)
    theta0 = 0.01
    m0 = np.tile([np.sin(theta0), 0, np.cos(theta0)], (len(ratios), 1))
    if backend == "numpy":
        res = simulate(p, m0, 2e-9, 2e-12, drives=Drives(current=ratios * ic0), record_every=25, backend="numpy")
        times, records = res.times, res.records
    else:                                  # batch-wide currents: one batch per ratio
        runs = [simulate(p, m0[:1], 2e-9, 2e-12, drives=Drives(current=x * ic0), record_every=25, backend="c")
                for x in ratios]
        times, records = runs[0].times, np.concatenate([r.records for r in runs], axis=1)
    sin_theta = np.hypot(records[:, :, 0], records[:, :, 1])
    rates = np.array([np.polyfit(times, np.log(sin_theta[:, k]), 1)[0] for k in range(len(ratios))])
    slope, intercept = np.polyfit(ratios * ic0, rates, 1)
    assert -intercept / slope == pytest.approx(ic0, rel=0.01)
    assert slope * ic0 * TAU_D == pytest.approx(1.0, rel=0.02)


@pytest.mark.parametrize("backend", ["numpy", pytest.param("c", marks=_NEEDS_C)])
def test_zero_kelvin_switching_time_and_suns_law(backend):
    """0 K time to reach the equator equals the exact axial solution (2 %); Sun's law
    t = tau_D ln(pi/(2 theta0))/(i - 1) is its small-angle, large-current limit."""
    ratios = np.array([1.3, 1.6, 2.0, 3.0, 5.0])
    theta0 = 0.05
    t_cross = np.full(len(ratios), np.nan)

    def watch(t, m):
        hit = (m[:, 2] < 0) & np.isnan(t_cross)
        t_cross[hit] = t

    m0 = np.tile([np.sin(theta0), 0, np.cos(theta0)], (len(ratios), 1))
    _simulate_currents(backend, m0, 8e-9, 1e-12, ratios * IC0, 1, watch)
    exact = an.stt_switching_time_exact(ratios, TAU_D, theta0)
    assert np.all(np.abs(t_cross / exact - 1) < 0.02), t_cross / exact
    # Sun's law: (i - 1) t_sw -> tau_D ln(pi / 2 theta0) as theta0 -> 0, i -> infinity
    assert an.stt_switching_time_exact(50.0, 1.0, 1e-6) * 49 == pytest.approx(
        float(an.sun_switching_time(50.0, 1.0, 1e-6)) * 49, rel=0.05)


@pytest.fixture(scope="module", params=["numpy", pytest.param("c", marks=_NEEDS_C)])
def stochastic_switching_times(request):
    """300 K sLLG: first time m_z < 0 under DC current, 160 devices per current ratio with numpy
    (quantized noise), 640 with the compiled kernel (exact Gaussian noise).

    At 0.5 ns only ~58 % of the devices at the highest current have switched (standard error
    3.6 % with 160 devices, so ``p[-1] > 0.5`` holds by ~2.3 standard errors; seed 7 passes on
    numpy); the ~4x cheaper compiled kernel runs 4x the devices (1.8 %)."""
    ratios = np.array([0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9, 1.0, 1.1, 1.25, 1.4, 1.6, 1.9,
                       2.3, 2.8])
    per = 160 if request.param == "numpy" else 640
    r = np.repeat(ratios, per)
    rng = np.random.default_rng(7)
    m0 = th.sample_boltzmann_cone(DELTA, r.size, rng)     # thermal initial cone
    t_first = np.full(r.size, np.inf)

    def watch(t, m):
        hit = (m[:, 2] < 0) & np.isinf(t_first)
        t_first[hit] = t

    noise = "quantized" if request.param == "numpy" else "gaussian"
    _simulate_currents(request.param, m0, 30e-9, 2e-12, r * IC0, 2, watch, temperature=T, rng=rng, noise=noise)

    def i50(t_pulse):
        p = np.array([(t_first[r == x] <= t_pulse).mean() for x in ratios])
        assert p[0] < 0.5 < p[-1]
        return float(np.interp(0.5, p, ratios))    # p rises with current
    return i50


def test_precessional_regime_follows_suns_law(stochastic_switching_times):
    """ns pulses: the sLLG 50 % current follows Sun's law for a thermal initial cone
    (precessional_switching_probability: exact axial trajectory plus the kicks received while
    the cone grows) within 5 %. Butler's linearized form overestimates it (> 15 % at 1 ns)."""
    widths = np.array([0.5e-9, 0.7e-9, 1.0e-9, 1.5e-9])
    sim = np.array([stochastic_switching_times(t) for t in widths])
    xs = np.linspace(1.0, 5.0, 2000)
    law = np.array([np.interp(0.5, an.precessional_switching_probability(t, xs, DELTA, TAU_D), xs)
                    for t in widths])
    assert np.all(np.abs(sim / law - 1) < 0.05), (sim, law)
    assert np.all(np.diff(sim) < 0)
    butler = np.array([np.interp(0.5, an.precessional_switching_probability(
        t, xs, DELTA, TAU_D, exact_trajectory=False, noise_during_pulse=False), xs) for t in widths])
    assert butler[2] > 1.15 * sim[2]


def test_thermal_regime_follows_neel_brown(stochastic_switching_times):
    """10-30 ns: sLLG 50 % current vs Néel–Brown I_c0 (1 - (ln(t/(tau0 ln 2))/Delta)^(1/2))
    with tau0 = 1 ns (5 %), and vs the exact axial escape time (3 %)."""
    widths = np.array([10e-9, 20e-9, 30e-9])
    sim = np.array([stochastic_switching_times(t) for t in widths])
    nb = th.thermal_switching_ratio(widths, DELTA, tau0=1e-9, n=2.0)
    assert np.all(np.abs(sim / nb - 1) < 0.05), (sim, nb)
    tau_n = an.neel_brown_prefactor_time(ALPHA, MS, VOLUME, T)
    xs = np.linspace(0.5, 1.0, 60)
    tau = th.axial_escape_time(xs, DELTA, tau_n)
    exact = np.array([np.interp(0.5, -np.expm1(-t / tau), xs) for t in widths])
    assert np.all(np.abs(sim / exact - 1) < 0.03), (sim, exact)
    # Néel–Brown with n = 2: the 50 % current falls with log(pulse width)
    assert sim[0] > sim[1] > sim[2]


def test_regimes_meet(stochastic_switching_times):
    """The composite law (precessional below max(10 ns, 25 tau_D), Néel–Brown above) follows the
    sLLG on both sides within 5 %, and the sLLG 50 % current passes through I_c0 between them."""
    for t in (0.5e-9, 1.0e-9, 10e-9, 20e-9, 30e-9):
        assert th.switching_ratio(t, DELTA, 1e-9, TAU_D) == pytest.approx(
            stochastic_switching_times(t), rel=0.05), t
    assert stochastic_switching_times(1.5e-9) > 1.0 > stochastic_switching_times(6e-9)
