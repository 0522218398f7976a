"""Transcripts of the SR830 driver (SR830 command set): strict sensitivity / time constant,
limits refuse and send nothing, the instrument-timed settle; the LockIn role on lockin-hallbar."""
import math

import pytest
from pymeasure.instruments.srs import SR830 as PMSR830

from instr_fakes import TranscriptAdapter
from spinbench.instruments import Bench
from spinbench.instruments.limits import LimitError, Limits
from spinbench.instruments.roles import LockIn
from spinbench.instruments.srs_sr830 import SR830


def make(replies=None, limits=None, options=None):
    adapter = TranscriptAdapter(replies)
    return SR830("lia", PMSR830(adapter), limits, options or {"poll_interval": 0.0}), adapter


def test_time_constant_and_sensitivity_are_indices_never_rounded():
    driver, adapter = make({"OFLT?": "9", "SENS?": "17"})
    driver.set_time_constant(0.3)
    driver.set_time_constant(0.1 + 0.2)                 # 0.30000000000000004: still 300 ms
    driver.set_sensitivity(1e-3)
    assert driver.time_constant() == 0.3 and driver.sensitivity() == 1e-3
    assert adapter.written == ["OFLT 9", "OFLT 9", "SENS 17", "OFLT?", "SENS?"]
    assert isinstance(driver, LockIn)


@pytest.mark.parametrize("call, match", [
    (lambda d: d.set_time_constant(0.2), r"not an SR830 time constant; allowed: 1e-05 s"),
    (lambda d: d.set_time_constant(60e3), "not an SR830 time constant"),
    (lambda d: d.set_sensitivity(3e-3), "not an SR830 sensitivity"),
    (lambda d: d.set_sine_amplitude(5.5), r"sine output amplitude 5.5 V rms is outside"),
    (lambda d: d.set_sine_amplitude(0.001), "outside"),
    (lambda d: d.set_sine_amplitude(0.8), r"peak of 1.13137 V, above the bench limit max_voltage 1 V"),
    (lambda d: d.set_reference(0.5), r"frequency 0.5 Hz is outside"),           # bench min 1 Hz
    (lambda d: d.set_reference(60e3), "outside"),                               # bench max 50 kHz
    (lambda d: d.set_reference(30e3, 4), r"harmonic x frequency 120000 Hz exceeds"),
    (lambda d: d.set_reference(1e3, 1.5), "harmonic must be an integer"),
    (lambda d: d.set_reference(1e3, 0), "harmonic 0"),
    (lambda d: d.set_phase(800), "reference phase"),
    (lambda d: d.set_filter_slope(9), "filter slope 9"),
])
def test_refusals_send_nothing(call, match):
    limits = Limits(max_voltage=1.0, min_frequency=1.0, max_frequency=50e3)
    driver, adapter = make(limits=limits)
    with pytest.raises(LimitError, match=match):
        call(driver)
    assert adapter.written == []


def test_long_time_constant_needs_a_low_detection_frequency():
    driver, adapter = make({"FREQ?": "1000", "HARM?": "1"})
    with pytest.raises(LimitError, match="below 200 Hz"):
        driver.set_time_constant(100.0)
    assert adapter.written == ["FREQ?", "HARM?"]
    driver, adapter = make({"FREQ?": "13.7", "HARM?": "2"})
    driver.set_time_constant(100.0)
    assert adapter.written == ["FREQ?", "HARM?", "OFLT 14"]


def test_reference_order_keeps_harmonic_times_frequency_in_range():
    driver, adapter = make({"HARM?": "1"})
    driver.set_reference(1234.5, 2)
    assert adapter.written == ["HARM?", "FREQ 1234.5", "HARM 2"]
    driver, adapter = make({"HARM?": "10"})               # 20 kHz x 10 would be refused
    driver.set_reference(20e3, 2)
    assert adapter.written == ["HARM?", "HARM 2", "FREQ 20000"]


def test_excitation_phase_slope_readings_and_status():
    driver, adapter = make({"SNAP? 1,2": "1.5e-04,-2.0e-06", "SNAP? 3,4": "1.0e-04,90.0",
                            "LIAS?": ["5", "8", "0"]})
    driver.set_sine_amplitude(0.5)
    driver.set_phase(-12.345)
    driver.set_filter_slope(24)
    assert driver.read_xy() == (1.5e-4, -2.0e-6)
    r, theta = driver.read_r_theta()
    assert r == 1e-4 and theta == pytest.approx(math.pi / 2)
    assert driver.overloaded() is True                   # input + output overload
    assert driver.overloaded() is False                  # reference unlock only
    assert driver.lia_status() == set()
    assert adapter.written == ["SLVL 0.500", "PHAS -12.35", "OFSL 3", "SNAP? 1,2", "SNAP? 3,4",
                               "LIAS?", "LIAS?", "LIAS?"]


def test_settle_is_timed_by_the_data_buffer():
    driver, adapter = make({"OFSL?": "0", "OFLT?": "8", "SPTS?": ["12", "32", "33"]})
    driver.settle()                  # 6 dB/oct: 5 x 100 ms; 64 Hz is the slowest with >= 32 samples
    assert adapter.written == ["OFSL?", "OFLT?", "REST", "SRAT 10", "SEND 0", "STRT",
                               "SPTS?", "SPTS?", "SPTS?", "PAUS"]
    driver, adapter = make({"OFLT?": "14", "SPTS?": "39"})
    driver.settle(3)                 # 300 s: 0.125 Hz gives 37.5 samples (38 + the first)
    assert adapter.written[2] == "SRAT 1" and adapter.written.count("SPTS?") == 1
    driver, adapter = make({"OFLT?": "19"})
    with pytest.raises(LimitError, match="longer than the data buffer"):
        driver.settle(10)                # 3e5 s: beyond 16382 samples at 62.5 mHz
    assert "STRT" not in adapter.written


def test_shutdown_and_snapshot():
    replies = {"*IDN?": "Stanford_Research_Systems,SR830,s/n86325,ver1.07", "FMOD?": "1",
               "FREQ?": "1000", "HARM?": "2", "PHAS?": "0.00", "SLVL?": "1.000", "ISRC?": "0",
               "ICPL?": "0", "SENS?": "26", "RMOD?": "1", "OFLT?": "8", "OFSL?": "1"}
    driver, adapter = make(replies)
    snap = driver.snapshot()
    assert snap["harmonic"] == 2 and snap["time_constant_s"] == 0.1 and snap["sensitivity_V"] == 1.0
    assert snap["filter_slope_dB_per_oct"] == 12 and snap["input"] == "A"
    adapter.written.clear()
    driver.shutdown()
    assert adapter.written == ["SLVL 0.004"]


def test_lock_in_role_on_the_simulated_bench():
    """lockin-hallbar: the first harmonic is the Hall transfer resistance times the AC current."""
    bench = Bench.load("lockin-hallbar")
    with bench.open() as lab:
        lia = lab.role("lock_in")
        lia.set_reference(1234.0)
        lia.set_sine_amplitude(0.5)
        lia.set_sensitivity(200e-6)
        lia.set_time_constant(0.1)
        lia.settle(15)                                   # 12 dB/oct: e^-15 (1 + 15) ~ 5e-6
        x, y = lia.read_xy()
        import pyvisa
        world = pyvisa.ResourceManager(lab.visa_library).visalib.world
        i_rms = 0.5 / (1e4 + 50 + world.port_resistance("channel"))
        r_transfer = world.port_voltage("hall", world.drive(current=1.0))
        sigma = 6.6e-9 * math.sqrt(1 / (8 * 0.1))
        assert x == pytest.approx(i_rms * r_transfer, abs=5 * sigma)
        assert abs(y) < 5 * sigma
        assert lia.overloaded() is False
        with pytest.raises(LimitError, match="max_voltage"):
            lia.set_sine_amplitude(1.5)               # peak 2.12 V > 2 V
