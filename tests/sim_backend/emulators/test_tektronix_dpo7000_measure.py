"""The DPO7000 measurement definitions on analytic waveforms (the oracle is the waveform's own
construction: period, duty cycle, 10-90 % time of a linear ramp, delay between two copies)."""
import numpy as np
import pytest

from spinbench.sim_backend.emulators.tektronix_dpo7000_measure import NO_VALUE, measure


def trapezoid(t, period=1e-3, width=0.3e-3, ramp=20e-6, delay=0.0, noise=0.0, seed=0):
    """A 0..1 V pulse train: linear ramps of ``ramp`` (0-100 %), ``width`` at mid level."""
    x = np.mod(t - delay, period)
    up = np.clip((x + ramp / 2) / ramp, 0, 1)
    down = np.clip((x - width + ramp / 2) / ramp, 0, 1)
    v = np.where(x < period - ramp / 2, up - down, np.clip((x - period + ramp / 2) / ramp, 0, 1))
    return v + noise * np.random.default_rng(seed).standard_normal(len(t))


T = np.linspace(-0.25e-3, 4.75e-3, 50_001)


@pytest.mark.parametrize("noise", [0.0, 0.02])
def test_timing_of_a_noisy_pulse_train(noise):
    v = trapezoid(T, noise=noise)
    tol = 2e-7 if noise == 0 else 2e-6
    assert measure("PERIOD", T, v) == pytest.approx(1e-3, abs=tol)
    assert measure("FREQUENCY", T, v) == pytest.approx(1e3, rel=2e-3)
    assert measure("PWIDTH", T, v) == pytest.approx(0.3e-3, abs=2 * tol)
    assert measure("NWIDTH", T, v) == pytest.approx(0.7e-3, abs=2 * tol)
    assert measure("PDUTY", T, v) == pytest.approx(30.0, abs=0.5)
    if noise == 0:
        assert measure("RISE", T, v) == pytest.approx(0.8 * 20e-6, rel=0.02)
        assert measure("FALL", T, v) == pytest.approx(0.8 * 20e-6, rel=0.02)
        assert measure("PCROSS", T, v) == pytest.approx(0.0, abs=tol)


def test_amplitude_mean_rms_and_delay():
    v = trapezoid(T)
    assert measure("AMPLITUDE", T, v) == pytest.approx(1.0)
    assert measure("MEAN", T, v) == pytest.approx(0.3, abs=0.01)           # duty x 1 V
    assert measure("RMS", T, v) == pytest.approx(np.sqrt(0.3), abs=0.01)
    assert measure("CMEAN", T, v) == pytest.approx(0.3, abs=0.005)
    ref = (T, trapezoid(T, delay=0.1e-3))
    assert measure("DELAY", T, v, ref) == pytest.approx(0.1e-3, abs=1e-6)
    assert measure("PHASE", T, v, ref) == pytest.approx(36.0, abs=0.1)


def test_no_edge_no_value():
    flat = np.full_like(T, 0.2)
    for kind in ("PERIOD", "FREQUENCY", "RISE", "PWIDTH", "EYEHEIGHT", "UNDEFINED"):
        assert measure(kind, T, flat) == NO_VALUE, kind
    assert measure("MEAN", T, flat) == pytest.approx(0.2)
