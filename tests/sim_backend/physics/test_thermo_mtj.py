"""Laser-heated MTJ (preset thermo_mtj) against independent oracles: a numerical ODE solution of
the two-time-constant heating, the parallel-conductor Seebeck rule, Julliere, and Poisson /
Arrhenius statistics of the spike counts."""
import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from spinbench.sim_backend.devices import Drive
from spinbench.sim_backend.physics import thermo_mtj as tm
from spinbench.sim_backend.physics.constants import KB
from spinbench.sim_backend.physics.presets import make_device


def drive(current=0.0, laser=0.0, temperature=300.0, bx=0.0):
    return Drive(current=current, field=np.array([bx, 0.0, 0.0]), temperature=temperature, laser_power=laser)


def quiet(**kw):
    """No spikes, no switching: the deterministic part."""
    return make_device("thermo_mtj", dict(spike_f0=0.0, switch_f0=0.0, **kw))


def ode_delta_t(p, power, width, t_eval):
    """dT(t) of a rectangular pulse from the two ODEs, integrated numerically (the oracle)."""
    def rhs(t, y):
        pa = p.absorptance * (power if t < width else 0.0)
        return [(p.r_fast * pa - y[0]) / p.tau_fast, (p.r_slow * pa - y[1]) / p.tau_slow]
    sol = solve_ivp(rhs, (0, t_eval[-1]), [0.0, 0.0], t_eval=t_eval, rtol=1e-9, atol=1e-12,
                    max_step=p.tau_fast / 20)
    return sol.y.sum(axis=0)


def test_two_time_constant_heating_matches_the_ode_for_a_rectangular_pulse():
    dev = quiet()
    p = dev.p
    power, width = 0.01, 60e-6
    t = np.linspace(0, 150e-6, 301)
    oracle = ode_delta_t(p, power, width, t)
    # per-step evolve, coarse steps (the update is exact, not an Euler step)
    got = [0.0]
    for k in range(1, len(t)):
        dev.evolve(t[k] - t[k - 1], drive(laser=power if t[k - 1] < width - 1e-12 else 0.0), np.random.default_rng(0))
        got.append(dev.delta_t)
    np.testing.assert_allclose(got, oracle, atol=1e-4 * oracle.max())
    # the closed form used by analysis
    np.testing.assert_allclose(tm.heating_response(t, p.absorptance * power, p.r_fast, p.tau_fast,
                                                   p.r_slow, p.tau_slow, width), oracle, atol=1e-4 * oracle.max())
    # steady state: absorptance (R_f + R_s) P
    assert dev.delta_t_per_watt() * power == pytest.approx(oracle[t <= width].max(), rel=0.25)


def test_voltage_record_equals_step_by_step_evolution():
    a, b = quiet(), quiet()
    dt = 0.1e-6
    powers = np.where((np.arange(2000) % 1000) < 400, 0.008, 0.0)
    d = drive(current=0.5e-3)
    fast = a.voltage_record("junction", d, powers, dt, np.random.default_rng(1))
    slow = []
    for pk in powers:
        dk = drive(current=0.5e-3, laser=pk)
        slow.append(b.voltage("junction", dk))
        b.evolve(dt, dk, np.random.default_rng(1))
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)
    assert a.delta_t == pytest.approx(b.delta_t, rel=1e-9)


def test_periodic_steady_state_matches_a_long_pulse_train():
    dev = quiet()
    d = drive(current=-0.3e-3)
    period, width, pw, dt = 100e-6, 30e-6, 0.01, 0.05e-6
    n = int(round(period / dt))
    one = np.where(np.arange(n) < round(width / dt), pw, 0.0)
    v = None
    for _ in range(20):              # 20 periods >> tau_slow: steady state
        v = dev.voltage_record("junction", d, one, dt, np.random.default_rng(0))
    phases = 2 * np.pi * np.arange(n) / n
    np.testing.assert_allclose(dev.periodic_voltage("junction", d, period, width, pw, phases), v,
                               atol=2e-3 * np.ptp(v))


def test_laser_voltage_under_bias_has_the_states_seebeck_and_bias_terms():
    for m0, (s, b1, b3) in ((1.0, ("seebeck_p", "b1_p", "b3_p")), (-1.0, ("seebeck_ap", "b1_ap", "b3_ap"))):
        dev = quiet(m0=m0)
        p = dev.p
        for i in (-1e-3, 0.0, 0.4e-3, 1e-3):
            dark = dev.voltage("junction", drive(current=i))
            for _ in range(50):
                dev.evolve(20e-6, drive(current=i, laser=0.01), np.random.default_rng(0))
            dt_ss = p.absorptance * (p.r_fast + p.r_slow) * 0.01
            lit = dev.voltage("junction", drive(current=i, laser=0.01))
            expected = dt_ss * (-getattr(p, s) + getattr(p, b1) * i + getattr(p, b3) * i ** 3)
            assert lit - dark == pytest.approx(expected, rel=1e-6, abs=1e-12)
            dev.evolve(1.0, drive(current=i), np.random.default_rng(0))
    # tens of mV at 1 mA (Oberbauer 2025) and a clear P/AP contrast
    assert abs(expected) > 10e-3


def test_seebeck_at_intermediate_angles_is_the_parallel_conductor_average():
    s_p, s_ap, tmr = -50e-6, -80e-6, 1.0
    assert tm.seebeck_angle(1.0, s_p, s_ap, tmr) == pytest.approx(s_p)
    assert tm.seebeck_angle(-1.0, s_p, s_ap, tmr) == pytest.approx(s_ap)
    # at 90 deg: two channels of conductance G_P/2 and G_AP/2 in parallel, S = sum G S / sum G
    g_p, g_ap = 1.0, 1.0 / (1 + tmr)
    assert tm.seebeck_angle(0.0, s_p, s_ap, tmr) == pytest.approx((g_p * s_p + g_ap * s_ap) / (g_p + g_ap))
    # weighted toward the better-conducting P channel
    assert tm.seebeck_angle(0.0, s_p, s_ap, tmr) > 0.5 * (s_p + s_ap)


def test_tmr_falls_with_temperature_as_julliere_with_spin_wave_polarisation():
    p = tm.ThermoMtjParams()
    pol = p.tmr_p0 * (1 - p.tmr_a_sw * 300 ** 1.5)
    assert tm.tmr_temperature(300, p.tmr_p0, p.tmr_a_sw) == pytest.approx(2 * pol * pol / (1 - pol * pol))
    assert tm.tmr_temperature(300, p.tmr_p0, p.tmr_a_sw) == pytest.approx(1.0, abs=0.03)
    t = np.array([10, 100, 200, 300, 400])
    assert np.all(np.diff(tm.tmr_temperature(t, p.tmr_p0, p.tmr_a_sw)) < 0)
    dev = quiet(m0=-1.0)
    r_cold, r_hot = dev.resistance_at(0.0, 100.0), dev.resistance_at(0.0, 400.0)
    assert r_cold > r_hot > dev.p.r_p


def test_spike_counts_are_poisson_with_the_arrhenius_rate():
    dev = make_device("thermo_mtj", dict(switch_f0=0.0))
    p = dev.p
    rng = np.random.default_rng(7)
    counts = {}
    for t_bath, i in ((300.0, 1.5e-3), (330.0, 1.5e-3), (300.0, 2.5e-3)):
        dev.spikes = 0
        total = 0.2
        for _ in range(200):
            dev.evolve(total / 200, drive(current=i, temperature=t_bath), rng)
        expected = float(tm.spike_rate(t_bath, i, p.spike_f0, p.spike_energy, p.spike_current)) * total
        assert expected > 200
        assert dev.spikes == pytest.approx(expected, abs=4 * math.sqrt(expected))   # 4 sigma Poisson
        counts[(t_bath, i)] = dev.spikes / total
    # Arrhenius: ln(r1/r2) = E (1 - I/I_s)/k_B (1/T2 - 1/T1), within the counting error
    e_fit = math.log(counts[(330.0, 1.5e-3)] / counts[(300.0, 1.5e-3)]) * KB / (1 / 300 - 1 / 330)
    e_true = p.spike_energy * (1 - 1.5e-3 / p.spike_current)
    assert e_fit == pytest.approx(e_true, rel=0.1)
    assert counts[(300.0, 2.5e-3)] > 3 * counts[(300.0, 1.5e-3)]    # bias raises the rate


def test_laser_heating_switches_the_junction_only_when_the_barrier_drops_enough():
    # AP start, field 30 % of B_k toward P: Delta(300 K) = 35 * 0.49 = 17 -> ~40/s dark (1 ms:
    # rarely); 40 mW heat dT ~ 40 K, T_j ~ 460 K: Delta ~ 7 -> microseconds
    hits_dark, hits_lit = 0, 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        dark = make_device("thermo_mtj", dict(spike_f0=0.0, m0=-1.0))
        lit = make_device("thermo_mtj", dict(spike_f0=0.0, m0=-1.0))
        for _ in range(20):
            dark.evolve(50e-6, drive(bx=0.3 * dark.p.b_k), rng)
            lit.evolve(50e-6, drive(bx=0.3 * lit.p.b_k, laser=0.04), rng)
        hits_dark += dark.m > 0
        hits_lit += lit.m > 0
    assert hits_dark <= 1 and hits_lit >= 18
    # the rate law itself: h >= 1 switches at once, Delta falls with T
    assert np.isinf(tm.switching_rate(300.0, 1.0, 1e9, 1e-19, 1000.0))
    assert tm.switching_rate(400.0, 0.3, 1e9, 50 * KB * 300, 1000.0) > tm.switching_rate(300.0, 0.3, 1e9, 50 * KB * 300, 1000.0)


def test_tms_ratio_and_breakdown():
    assert tm.tms_ratio(-50e-6, -80e-6) == pytest.approx(0.6)
    dev = quiet()
    dev.evolve(1e-6, drive(current=5e-3), np.random.default_rng(0))   # 1.5 V > 1.2 V
    assert dev.broken and dev.resistance("junction") == dev.p.r_short
