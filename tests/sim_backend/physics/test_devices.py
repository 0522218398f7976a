"""Device adapters behind the DeviceModel protocol: presets, SOT polarity, MTJ readout, cost."""

import numpy as np
import pytest

from spinbench.sim_backend.devices import DeviceModel, Drive
from spinbench.sim_backend.physics import analytic as an
from spinbench.sim_backend.physics.constants import MU0
from spinbench.sim_backend.physics.llg import Drives, MacrospinParams, simulate
from spinbench.sim_backend.physics.presets import PRESETS, make_device
from spinbench.sim_backend.physics.waveforms import Pulse


def drive(current=0.0, field=(0.0, 0.0, 0.0), temperature=300.0):
    return Drive(current=current, field=np.array(field, float), temperature=temperature)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_satisfy_the_device_protocol(name):
    dev = make_device(name, {})
    assert isinstance(dev, DeviceModel)
    for port in dev.ports:
        assert dev.resistance(port) > 0
        assert dev.voltage(port, drive(0.0)) == 0.0
    assert isinstance(dev.state(), dict)


def test_make_device_refuses_unknown_names_and_parameters():
    with pytest.raises(KeyError):
        make_device("no_such_device", {})
    with pytest.raises(ValueError):
        make_device("sot_hallbar", {"not_a_parameter": 1})
    with pytest.raises(ValueError):
        make_device("spinloss", {"absorption": 1.5})


def test_lee_critical_current_density_matches_zero_kelvin_macrospin():
    """0 K DC threshold of the preset's macrospin lies within 5 % of Lee et al.'s J_c(B_x)."""
    dev = make_device("sot_hallbar", {"xi_dl": 0.3})
    bx = np.array([0.005, 0.01])
    fractions = np.array([0.95, 1.05])
    b = np.repeat(bx, 2)
    f = np.tile(fractions, 2)
    jc = np.array([dev.critical_current_density(v) for v in b])
    p = dev.macrospin()
    p = MacrospinParams(ms=p.ms, volume=p.volume, thickness=p.thickness, alpha=p.alpha, k_u=p.k_u,
                        xi_dl=p.xi_dl, b_ext=np.stack([b, 0 * b, 0 * b], axis=1))
    m0 = np.stack([b / dev.p.b_k_eff, 0 * b, -np.ones_like(b)], axis=1)
    res = simulate(p, m0, 30e-9, 2e-12, drives=Drives(j_hm=f * jc, j_hm_waveform=Pulse(25e-9, rise=1e-9, fall=2e-9)))
    switched = res.m[:, 2] > 0
    assert list(switched) == [False, True, False, True]


@pytest.mark.parametrize("i_sign,bx_sign", [(1, 1), (1, -1), (-1, 1), (-1, -1)])
def test_sot_polarity_is_set_by_sign_of_current_times_field(i_sign, bx_sign):
    """W (xi_DL < 0): m_z -> -sign(I B_x), on the thermal path (1 us) and the sLLG path (5 ns)."""
    rng = np.random.default_rng(3)
    bx = 0.01 * bx_sign
    target = -np.sign(i_sign * bx_sign)
    thermal = make_device("sot_hallbar", {"m0": -target})
    i_th = 1.1 * thermal.critical_current(bx) * i_sign
    thermal.evolve(1e-6, drive(i_th, (bx, 0, 0)), rng)
    assert thermal.state()["path"] == "thermal"
    assert np.sign(thermal.state()["mz"]) == target
    fast = make_device("sot_hallbar", {"m0": -target, "llg_dt": 2e-12})
    fast.evolve(5e-9, drive(1.3 * i_th, (bx, 0, 0)), rng)
    assert fast.state()["path"] == "llg"
    fast.evolve(1e-6, drive(0.0, (bx, 0, 0)), rng)      # release (1 ns edge) and settle
    assert np.sign(fast.state()["mz"]) == target
    # the Hall voltage reads the state: V = I (R_AHE m_z + ...)
    v = fast.voltage("hall", drive(1e-4, (bx, 0, 0)))
    assert np.sign(v - 1e-4 * fast.p.r_offset) == target


def test_no_deterministic_switching_without_in_plane_field():
    """B_x = 0: a supercritical 1 us pulse leaves up or down at random (45-55 % over 400 trials),
    while B_x = 10 mT gives the same state every time."""
    rng = np.random.default_rng(8)
    dev = make_device("sot_hallbar", {})
    i = 1.5 * dev.critical_current(0.0)
    ups = []
    for _ in range(400):
        dev.evolve(1e-6, drive(i), rng)
        dev.evolve(1e-6, drive(0.0), rng)
        ups.append(dev.state()["mz"] > 0)
    assert 0.42 < np.mean(ups) < 0.58
    ups = []
    for _ in range(50):
        dev.evolve(1e-6, drive(i, (0.01, 0, 0)), rng)
        dev.evolve(1e-6, drive(0.0), rng)
        ups.append(dev.state()["mz"] > 0)
    assert np.all(np.array(ups) == ups[0])


def test_thermal_switching_current_falls_with_pulse_width():
    """50 % current at 1 us and 1 ms pulses follows J_c(B_x) (1 - ln(t/(tau0 ln 2))/Delta') (n = 1),
    Delta' = Delta (1 - B_x/B_K,eff)^2 (the in-plane field lowers the barrier): bracketed by +-4 %."""
    rng = np.random.default_rng(12)
    dev = make_device("sot_hallbar", {})
    bx = 0.01
    ic = dev.critical_current(bx)
    for width in (1e-6, 1e-3):
        delta = dev.p.delta_300 * (1 - bx / dev.p.b_k_eff) ** 2
        expected = ic * (1 - np.log(width / (dev.attempt_time(300.0) * np.log(2))) / delta)
        fr = []
        for scale in (0.96, 1.04):
            ups = 0
            for _ in range(200):
                dev.m = np.array([0, 0, 1.0])
                dev.evolve(width, drive(scale * expected, (bx, 0, 0)), rng)
                ups += dev.state()["mz"] < 0
            fr.append(ups / 200)
        assert fr[0] < 0.5 < fr[1], (width, fr)


def test_long_pulse_costs_no_more_than_short_on_thermal_path(monkeypatch):
    """Thermal path: the work of evolve() does not depend on the pulse width -- a 1 ms pulse and a
    10 ns one make the same random draws and neither integrates the sLLG (counted, not timed:
    a timing ratio flakes on a loaded machine)."""
    from spinbench.sim_backend.physics import adapters

    def no_llg(*args, **kwargs):
        raise AssertionError("the thermal path integrated the sLLG")

    states = {}
    for width in (10e-9, 1e-3):
        dev = make_device("sot_hallbar", {"llg_max_pulse": 0.0})
        rng = np.random.default_rng(0)
        d = drive(5e-3, (0.01, 0, 0))
        dev.evolve(width, d, rng)                   # the first interval (memo filled)
        monkeypatch.setattr(adapters, "simulate", no_llg)
        for _ in range(40):
            dev.evolve(width, d, rng)
        monkeypatch.undo()
        assert dev.state()["path"] == "thermal"
        states[width] = rng.bit_generator.state["state"]
    assert states[10e-9] == states[1e-3]          # the same number of draws for both widths


def test_spinloss_absorption_lowers_switching_current_and_energy_threefold():
    a0 = make_device("spinloss", {"absorption": 0.0})
    a1 = make_device("spinloss", {"absorption": 1.0})
    ratio = a0.critical_current(0.01) / a1.critical_current(0.01)
    assert ratio == pytest.approx(np.sqrt(3), rel=1e-9)
    assert ratio**2 == pytest.approx(3.0, rel=1e-9)       # energy I^2 R t at equal R and t


def test_pmtj_readout_and_critical_current():
    """Conductance-form TMR, its bias dependence, I_c0 of the preset, and breakdown."""
    dev = make_device("pmtj", {})
    p = dev.p
    assert dev.critical_current() == pytest.approx(
        an.stt_critical_current(p.alpha, p.eta, p.ms, p.b_k_eff, p.volume), rel=1e-12)
    r_p = dev.resistance("junction")
    assert r_p == pytest.approx(p.ra / p.area, rel=1e-12)
    dev.m = np.array([0, 0, -1.0])
    assert dev.resistance("junction") == pytest.approx(r_p * (1 + p.tmr0), rel=1e-12)
    # bias halves the TMR at V = v_half
    r_ap_vh = dev.resistance("junction", voltage=p.v_half)
    assert r_ap_vh == pytest.approx(r_p * (1 + p.tmr0 / 2), rel=1e-12)
    v = dev.voltage("junction", drive(20e-6))
    assert v == pytest.approx(20e-6 * dev.resistance("junction", voltage=v), rel=1e-9)
    # AP -> P with positive current above I_c0 (1 - lambda) on a 1 us pulse; P -> AP needs -I
    rng = np.random.default_rng(1)
    dev.evolve(1e-6, drive(1.2 * dev.critical_current()), rng)
    assert dev.state()["state"] == "P"
    dev.evolve(1e-6, drive(-0.7 * dev.critical_current()), rng)
    assert dev.state()["state"] == "P"                       # below I_c0 (1 + lambda): stays
    dev.evolve(1e-6, drive(-1.5 * dev.critical_current()), rng)
    assert dev.state()["state"] == "AP"
    # over the breakdown voltage the barrier is destroyed for good
    dev.evolve(1e-9, drive(2 * p.v_breakdown / r_p), rng)
    assert dev.state()["broken"] and dev.resistance("junction") == p.r_short
