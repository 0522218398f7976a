"""RF MTJ physics: spin-diode (linear susceptibility vs time-domain LLG vs the Kittel law) and the
spin-torque oscillator (orbit-averaged auto-oscillator vs the sLLGS of physics.llg)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import curve_fit

from spinbench.sim_backend.physics import rf
from spinbench.sim_backend.physics.constants import E_CHARGE, HBAR
from spinbench.sim_backend.physics.llg import HAVE_C_KERNEL, Drives, MacrospinParams, simulate
from spinbench.sim_backend.physics.presets import make_device
from spinbench.sim_backend.physics.rf_mtj import RfMtj, RfMtjParams


def _fit_lineshape(f, v, f0_guess, w_guess):
    popt, _ = curve_fit(rf.spin_diode_lineshape, f, v,
                        p0=[float(v[np.argmax(np.abs(v))]), 0.0, f0_guess, w_guess])
    return dict(zip(("v_s", "v_a", "f0", "w"), popt))


@pytest.fixture(scope="module")
def dev():
    return make_device("rf_mtj", {})


@pytest.mark.parametrize("b", [0.02, 0.08, 0.2])
def test_linear_spectrum_is_kittel_lorentzian(dev, b):
    """The susceptibility path gives S + A Lorentzians at the analytic Kittel frequency with the
    analytic FMR linewidth (independent closed forms, rf.kittel_in_plane / rf.fmr_linewidth)."""
    field = np.array([b, 0.0, 0.0])
    f0 = float(dev.kittel_frequency(b))
    w0 = float(dev.linewidth(b))
    f = np.linspace(f0 - 8 * w0, f0 + 8 * w0, 161)
    v = dev.rectified_voltage(f, -15.0, field)
    fit = _fit_lineshape(f, v, f0, w0)
    assert fit["f0"] == pytest.approx(f0, rel=2e-3)
    assert abs(fit["w"]) == pytest.approx(w0, rel=2e-2)
    resid = v - rf.spin_diode_lineshape(f, fit["v_s"], fit["v_a"], fit["f0"], fit["w"])
    assert np.max(np.abs(resid)) < 0.03 * np.max(np.abs(v))
    # both torques present: damping-like -> symmetric, field-like (beta) -> antisymmetric
    assert abs(fit["v_s"]) > 1e-6 and abs(fit["v_a"]) > 0.05 * abs(fit["v_s"])


def test_rectified_voltage_proportional_to_power(dev):
    field = np.array([0.05, 0.0, 0.0])
    f0 = float(dev.kittel_frequency(0.05))
    v1 = dev.rectified_voltage([f0], -20.0, field)[0]
    v2 = dev.rectified_voltage([f0], -10.0, field)[0]
    assert v2 / v1 == pytest.approx(10.0, rel=1e-6)


def test_linear_path_matches_time_domain_llg():
    """f0 and linewidth within a few %, amplitude within 10 % of the nonlinear LLG (RK4, T = 0)."""
    dev = RfMtj(RfMtjParams(alpha=0.02))
    b = 0.1
    field = np.array([b, 0.0, 0.0])
    f0, w0 = float(dev.kittel_frequency(b)), float(dev.linewidth(b))
    f = np.linspace(f0 - 4 * w0, f0 + 4 * w0, 13)
    v_lin = dev.rectified_voltage(f, -40.0, field)
    v_llg = dev.rectified_voltage_llg(f, -40.0, field, duration=8e-9, average=3e-9, dt=1.5e-12)
    a, b_ = _fit_lineshape(f, v_lin, f0, w0), _fit_lineshape(f, v_llg, f0, w0)
    assert b_["f0"] == pytest.approx(a["f0"], rel=0.01)
    assert abs(b_["w"]) == pytest.approx(abs(a["w"]), rel=0.05)
    assert b_["v_s"] == pytest.approx(a["v_s"], rel=0.10)
    assert np.max(np.abs(v_llg)) == pytest.approx(np.max(np.abs(v_lin)), rel=0.10)


def test_bias_current_narrows_the_line_toward_threshold(dev):
    """Below threshold the damping-like STT reduces the decay rate linearly: Gamma(I) =
    Gamma_G (1 - I/I_th) (Slavin & Tiberkevich 2009), I_th from the energy balance of the orbits."""
    field = np.array([0.05, 0.0, 0.0])
    law = dev.oscillator(field)
    for zeta in (0.3, 0.6):
        _, lin = dev.state_at(field, zeta * law.threshold)
        assert lin.decay_rate == pytest.approx(law.gamma_g * (1 - zeta), rel=0.03)


def test_threshold_is_the_macrospin_formula(dev):
    """I_th = alpha (B1 + B2)/2 (2 e Ms V)/(hbar eta |cos theta_p|) (Sun, PRB 62, 570 (2000),
    in-plane free layer)."""
    p = dev.p
    b1, b2 = rf.stiffness_fields(0.05, p.b_k, p.mu0_m_eff)
    expected = p.alpha * 0.5 * (b1 + b2) * 2 * E_CHARGE * p.ms * p.volume / (
        HBAR * p.eta * abs(math.cos(math.radians(p.p_angle_deg))))
    assert dev.oscillator(np.array([0.05, 0, 0])).threshold == pytest.approx(expected, rel=0.02)


@pytest.mark.skipif(not HAVE_C_KERNEL, reason="compiled sLLGS kernel not built (runtime)")
@pytest.mark.parametrize("zeta", [1.15, 1.35])
def test_oscillator_power_and_frequency_match_sllgs(dev, zeta):
    """The auto-oscillator model (orbit-averaged energy balance) against the sLLGS of physics.llg
    at T = 0: normalized power and generation frequency."""
    p, s = dev.p, dev.spin
    field = np.array([0.05, 0.0, 0.0])
    law = dev.oscillator(field)
    current = zeta * law.threshold
    mp = MacrospinParams(ms=p.ms, volume=p.volume, thickness=p.thickness, alpha=p.alpha,
                         k_u=p.ms * p.b_kc / 2, easy_axis=(1, 0, 0), demag_factors=s.n_eff,
                         b_ext=field, stt_eta=p.eta, stt_beta=p.beta, stt_polarization=p.p_ref)
    m0 = np.array([[math.cos(0.05), math.sin(0.05), 0.0]])
    res = simulate(mp, m0, 100e-9, 1e-12, drives=Drives(current=current), temperature=0.0,
                   record_every=5, backend="c")
    rec, t = res.records[:, 0, :], res.times
    last = t > t[-1] - 20e-9
    e = s.energy(rec[last].T, field) - s.energy(dev.state_at(field, 0.0)[0], field)
    p_llg = s.gamma * float(e.mean()) / (2 * law.omega0)
    my = rec[last, 1] - rec[last, 1].mean()
    up = np.flatnonzero((my[:-1] < 0) & (my[1:] >= 0))
    f_llg = (len(up) - 1) / (t[last][up[-1]] - t[last][up[0]])
    osc = dev.oscillation(field, current, temperature=1e-3)
    assert osc["p"] == pytest.approx(p_llg, rel=0.05)
    assert osc["frequency"] == pytest.approx(f_llg, rel=0.03)
    assert law.p0(current) == pytest.approx(p_llg, rel=0.05)


def test_emission_threshold_redshift_and_locking(dev):
    field = np.array([0.05, 0.0, 0.0])
    law = dev.oscillator(field)
    below = dev.oscillation(field, 0.5 * law.threshold)
    above = dev.oscillation(field, 1.3 * law.threshold)
    assert above["power"] > 100 * below["power"]          # auto-oscillation vs thermal FMR
    assert above["frequency"] < below["frequency"]        # in-plane STO: red shift (N < 0)
    assert law.n < 0
    # the emitted PSD integrates to the emitted power
    f = np.linspace(above["frequency"] - 80 * above["hwhm"], above["frequency"] + 80 * above["hwhm"], 400_001)

    class D:
        current, field_, temperature, rf_tones = 1.3 * law.threshold, field, 300.0, ()
    d = D()
    d.field = field
    psd = dev.emission_psd("rf", f, d)
    assert np.trapezoid(psd, f) == pytest.approx(above["power"], rel=0.05)
    # injection locking: half range grows as sqrt(P_inj) (Slavin & Tiberkevich 2009)
    cur = 1.3 * law.threshold
    lk1 = dev.locking(field, cur, (above["frequency"], -30.0, 0.0))
    lk2 = dev.locking(field, cur, (above["frequency"], -24.0, 0.0))
    assert lk1["locked"] and lk2["half_range"] / lk1["half_range"] == pytest.approx(10 ** (6 / 20), rel=0.02)
    far = dev.locking(field, cur, (above["frequency"] + 20 * lk1["half_range"], -30.0, 0.0))
    assert not far["locked"]


def test_preset_refuses_unknown_parameter():
    with pytest.raises(ValueError, match="unknown parameter"):
        make_device("rf_mtj", {"alpha_typo": 0.1})


def test_local_bias_field_places_the_resonance_and_polarity_reverses_the_voltage():
    """A synapse of the rf-network bench: ``b_bias`` adds to the bench field (its resonance is
    the analytic Kittel frequency at the sum, found back by the inverse law), ``polarity = -1``
    is the same junction wired the other way round (the rectified voltage changes sign, the ohmic
    one does not)."""
    from spinbench.sim_backend.devices import Drive

    ref = make_device("rf_mtj", {})
    b_k, m_eff = ref.p.b_k, ref.p.mu0_m_eff
    target = 6.2e9
    b_total = float(rf.kittel_field_in_plane(target, b_k, m_eff))
    assert float(rf.kittel_in_plane(b_total, b_k, m_eff)) == pytest.approx(target, rel=1e-12)
    up = make_device("rf_mtj", {"b_bias": b_total - 0.03})
    down = make_device("rf_mtj", {"b_bias": b_total - 0.03, "polarity": -1.0})
    w = float(ref.linewidth(b_total))
    f = np.linspace(target - 8 * w, target + 8 * w, 161)
    bench_field = np.array([0.03, 0.0, 0.0])
    v = np.array([up.voltage("junction", Drive(field=bench_field, rf_tones=((fk, -25.0, 0.0),))) for fk in f])
    fit = _fit_lineshape(f, v, target, w)
    assert fit["f0"] == pytest.approx(target, rel=2e-3)
    assert abs(fit["w"]) == pytest.approx(w, rel=2e-2)
    v_down = np.array([down.voltage("junction", Drive(field=bench_field, rf_tones=((fk, -25.0, 0.0),)))
                       for fk in f[::20]])
    assert v_down == pytest.approx(-v[::20], rel=1e-9)
    dc = Drive(field=bench_field, current=1e-4)         # ohmic: the same sign either way round
    assert down.voltage("junction", dc) == pytest.approx(up.voltage("junction", dc), rel=2e-3)
    assert up.voltage("junction", dc) == pytest.approx(1e-4 * up.resistance("junction"), rel=2e-3)
