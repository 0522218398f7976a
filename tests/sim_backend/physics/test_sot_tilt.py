"""Below switching a current tilts the moment (damping-like, field-like and Oersted fields) and
heats the channel: the thermal path's rest direction against the deterministic LLG's steady
state (a separate numerical solution), and the heating against I^2 R."""
import math

import numpy as np
import pytest

from spinbench.sim_backend.physics.adapters import SotHallBar
from spinbench.sim_backend.physics.llg import Drives, simulate

HBAR, E = 1.054571817e-34, 1.602176634e-19


def test_rest_direction_is_the_steady_state_of_the_llg():
    dev = SotHallBar()
    cases = [(1e-3, (0.03, 0, 0), 1), (-1e-3, (0.03, 0, 0), 1), (1e-3, (0, 0.03, 0), 1),
             (2e-3, (-0.02, 0.01, 0), -1), (1e-3, (0.0, 0.0, 0.0), -1)]
    n = len(cases)
    j = np.array([dev.current_density(i) for i, _, _ in cases])
    b = np.array([c[1] for c in cases], dtype=float)
    m0 = np.array([[bb[0] / 0.15, bb[1] / 0.15, s * math.sqrt(1 - (bb[0]**2 + bb[1]**2) / 0.15**2)]
                   for (_, bb, s) in cases])
    p = dev.macrospin(b)
    res = simulate(p, m0, 40e-9, 1e-12, temperature=0.0, drives=Drives(j_hm=j),
                   rng=np.random.default_rng(0))
    for (i, bb, s), m_llg in zip(cases, res.m):
        m = dev.rest_direction(s, i, bb, 300.0)
        assert np.max(np.abs(m - m_llg)) < 2e-4, (i, bb, s, m, m_llg)
    # the tilt is there: at 1 mA and B_x = 30 mT the damping-like field (hbar xi J / 2 e Ms t,
    # about 9 mT) moves m_x by ~B_DL / B_K cos^2(theta) (small-angle response) -- 10 %
    b_dl = HBAR * 0.30 * dev.current_density(1e-3) / (2 * E * 1.1e6 * 1e-9)
    assert b_dl == pytest.approx(9.0e-3, rel=0.05)
    up = dev.rest_direction(1, 1e-3, (0.03, 0, 0), 300.0)
    down = dev.rest_direction(1, -1e-3, (0.03, 0, 0), 300.0)
    theta = math.asin(0.2)
    dtheta = (math.asin(up[0]) - math.asin(down[0])) / 2
    assert abs(dtheta) == pytest.approx(b_dl / (0.15 * math.cos(theta) ** 2), rel=0.1)


def test_joule_heating_raises_the_temperature_as_i_squared_r():
    dev = SotHallBar()
    p = dev.p
    for i in (1e-3, 5e-3, 1e-2):
        assert dev.channel_temperature(i, 300.0) - 300.0 == pytest.approx(
            p.r_thermal_channel * i * i * p.r_channel, rel=1e-12)
    # the anomalous Hall resistance follows Ms(T): the Hall voltage per ampere at 10 mA lies
    # below the one at 0.1 mA by the Bloch-law ratio of the heated channel (T_C = 750 K)
    t_hot = dev.channel_temperature(1e-2, 300.0)
    bloch = (1 - (t_hot / p.curie_temperature) ** 1.5) / (1 - (300 / p.curie_temperature) ** 1.5)

    class D:
        field = np.zeros(3)
        temperature = 300.0
        laser_power = 0.0

        def __init__(self, i):
            self.current = i

    r_cold = (dev.voltage("hall", D(1e-4)) / 1e-4 - p.r_offset) / p.r_ahe
    r_hot = (dev.voltage("hall", D(1e-2)) / 1e-2 - p.r_offset) / p.r_ahe
    assert r_cold == pytest.approx(1.0, abs=1e-4)
    # at 10 mA the damping-like field (~90 mT) also tilts m (m_z ~ 0.8): R_AHE(T) m_z
    m_x, m_y, m_z = dev.rest_direction(1, 1e-2, (0.0, 0.0, 0.0), t_hot)
    assert 0.6 < m_z < 0.95
    assert r_hot == pytest.approx(bloch * m_z + p.r_phe / p.r_ahe * m_x * m_y, rel=1e-6)
    # and the barrier follows: a hot channel escapes faster than the cold one (Arrhenius)
    assert dev.escape_time(1.0, 5e-3, (0.01, 0, 0)) < 0.8 * SotHallBar(
        type(p)(**{**p.__dict__, "r_thermal_channel": 0.0})).escape_time(1.0, 5e-3, (0.01, 0, 0))
