"""Grain-ensemble statistics and readout formulas."""
import numpy as np
import pytest

from spinbench.sim_backend.devices import Drive
from spinbench.sim_backend.physics import readout
from spinbench.sim_backend.physics.analytic import sot_critical_current_density
from spinbench.sim_backend.physics.constants import KB
from spinbench.sim_backend.physics.grains import evolve_grains, grain_mz, sample_grains, switched_fraction, uniform_grains
from spinbench.sim_backend.physics.presets import make_device
from spinbench.sim_backend.physics.thermal import neel_brown_time


def test_cycle_to_cycle_spread_is_binomial_in_the_number_of_grains():
    """Switched fraction after one pulse, over 600 cycles: mean p and spread sqrt(p(1-p)/N)
    within 10 % for N = 25, 100, 400 identical grains (emerges from stochastic switching)."""
    rng = np.random.default_rng(21)
    delta, bk = 45.0, 0.25
    jc0 = sot_critical_current_density(1.1e6, 1e-9, -0.3, bk, 0.0)
    bx = 0.01
    width = 1e-6
    j = 0.78 * jc0
    for n in (25, 100, 400):
        ens = uniform_grains(n, delta=delta, b_k_eff=bk, jc0=jc0, xi_dl=-0.3)
        start = np.full((600, n), 1.0)          # 600 cycles at once, all grains up
        after = evolve_grains(ens, start, width, j=j, b=(bx, 0, 0), temperature=300.0, rng=rng)
        frac = switched_fraction(after, start=1.0)
        # the analytic single-grain probability from the same barrier
        p = float(np.mean(frac))
        assert 0.2 < p < 0.8
        assert np.std(frac) == pytest.approx(np.sqrt(p * (1 - p) / n), rel=0.10)


def test_grain_probability_matches_neel_brown():
    """A grain's switching probability in a pulse equals 1 - exp(-t/tau), tau from the barrier
    Delta (1 - b_ip)^2 (1 - J/J_c(B_x)) (n = 1), within 3 sigma of 20000 trials."""
    rng = np.random.default_rng(5)
    bk, bx = 0.25, 0.01
    jc0 = sot_critical_current_density(1.1e6, 1e-9, -0.3, bk, 0.0)
    ens = uniform_grains(20000, delta=45.0, b_k_eff=bk, jc0=jc0, xi_dl=-0.3)
    j = 0.8 * jc0
    after = evolve_grains(ens, np.ones(20000), 1e-6, j=j, b=(bx, 0, 0), temperature=300.0, rng=rng)
    p_sim = switched_fraction(after, 1.0)
    jc = jc0 * (1 - np.sqrt(2) * bx / bk)
    tau = neel_brown_time(j / jc, 45.0 * (1 - bx / bk) ** 2, 1e-9, 1.0)
    p = -np.expm1(-1e-6 / tau)
    assert abs(p_sim - p) < 3 * np.sqrt(p * (1 - p) / 20000)


def test_grain_hallbar_is_multistate_with_device_to_device_variation():
    """Increasing pulses (W: I < 0 with B_x = 30 mT drives m_z up) give a monotonic ladder of Hall
    levels with at least 5 distinct states; two seeds (devices) give different ladders."""
    levels = {}
    for seed in (1, 2):
        dev = make_device("grain_hallbar", {"seed": seed})
        rng = np.random.default_rng(0)
        out = []
        for i in -np.linspace(6e-3, 14e-3, 9):
            dev.evolve(1e-6, Drive(current=i, field=np.array([0.03, 0, 0])), rng)
            out.append(dev.voltage("hall", Drive(current=1e-4)) / 1e-4)
        levels[seed] = np.array(out)
        assert np.all(np.diff(levels[seed]) >= -1e-12)
        assert len(np.unique(np.round(levels[seed], 3))) >= 5        # analog, not binary
    assert np.max(np.abs(levels[1] - levels[2])) > 0.05


def test_tilted_synapse_switches_without_field():
    rng = np.random.default_rng(4)
    dev = make_device("tilted_synapse", {})      # tilt toward +x acts like B_x > 0; W: m_z = -sign(I)
    for _ in range(3):
        dev.evolve(1e-6, Drive(current=-14e-3), rng)
    up = dev.state()["mz"]
    for _ in range(3):
        dev.evolve(1e-6, Drive(current=14e-3), rng)
    down = dev.state()["mz"]
    assert up > 0.5 and down < -0.5


def test_tmr_conductance_form_and_bias():
    g_p, tmr = 1e-3, 1.5
    g_ap = g_p / (1 + tmr)
    assert readout.junction_conductance(1.0, g_p, tmr) == pytest.approx(g_p)
    assert readout.junction_conductance(-1.0, g_p, tmr) == pytest.approx(g_ap)
    # conductance (not resistance) is linear in cos(theta): 90 degrees is the mean conductance
    assert readout.junction_conductance(0.0, g_p, tmr) == pytest.approx(0.5 * (g_p + g_ap))
    assert readout.tmr_bias(0.4, 1.5, 0.4) == pytest.approx(0.75)


def test_hall_and_longitudinal_terms():
    m = np.array([[0, 0, 1.0], [1 / np.sqrt(2), 1 / np.sqrt(2), 0], [0, 1.0, 0]])
    r = readout.hall_resistance(m, r_ahe=2.0, r_phe=0.4, r_offset=0.1)
    assert np.allclose(r, [2.1, 0.3, 0.1])
    rxx = readout.longitudinal_resistance(m, 100.0, r_amr=1.0, r_smr=0.5)
    assert np.allclose(rxx, [100.0, 100.25, 99.5])


def test_noise_densities():
    assert readout.johnson_noise_psd(1e3, 300.0) == pytest.approx(4 * KB * 300 * 1e3)
    # 1 kohm at 300 K: 4.07 nV/sqrt(Hz)
    assert np.sqrt(readout.johnson_noise_psd(1e3, 300.0)) == pytest.approx(4.07e-9, rel=1e-3)
    s1 = readout.flicker_noise_psd(1.0, 0.1, 1e-20, 1e-15)
    assert readout.flicker_noise_psd(10.0, 0.1, 1e-20, 1e-15) == pytest.approx(s1 / 10)
    assert readout.flicker_noise_psd(1.0, 0.2, 1e-20, 1e-15) == pytest.approx(4 * s1)
    assert readout.shot_noise_psd(1e-6, 1e3) == pytest.approx(2 * 1.602176634e-19 * 1e-6 * 1e6)
