"""Transcripts of the Keysight 33500B pulse-generator driver, its refusals, and the driver on the
sot-hallbar sim bench (a triggered burst switches the Hall bar; the clock moves by the width)."""
import math

import pytest

from instr_fakes import FakeQcodesInstrument
from spinbench.instruments.keysight_33500b import Keysight33500B, current_for, voltage_for
from spinbench.instruments.limits import LimitError, Limits
from spinbench.instruments.roles import PulseGenerator

LIMITS = Limits(max_voltage=6.0)
CONFIG_NORM = ["OUTP1 OFF", "SOUR1:FUNC PULS", "OUTP1:LOAD 50", "SOUR1:VOLT:OFFS 0", "SOUR1:VOLT MIN",
               "SOUR1:FUNC:PULS:TRAN MIN", "SOUR1:BURS:MODE TRIG", "SOUR1:BURS:NCYC 1",
               "TRIG1:SOUR BUS", "SOUR1:BURS:STAT ON", "OUTP1:POL NORM"]


def make(options=None, limits=LIMITS):
    inner = FakeQcodesInstrument({"*OPC?": "1", "SYST:ERR?": '+0,"No error"'})
    inner.model = "33522B"
    return Keysight33500B("pulsegen", inner, limits, options), inner


def test_first_pulse_configures_then_triggers_one_burst():
    driver, inner = make()
    driver.pulse(1.5, 10e-6)
    assert inner.written == CONFIG_NORM + [
        "SOUR1:FUNC:PULS:WIDT MIN", "SOUR1:FUNC:PULS:PER 2e-05", "SOUR1:FUNC:PULS:WIDT 1e-05",
        "SOUR1:BURS:NCYC 1", "SOUR1:VOLT:HIGH 1.5", "SOUR1:VOLT:LOW 0", "OUTP1 ON",
        "*TRG", "*OPC?", "SYST:ERR?"]
    assert isinstance(driver, PulseGenerator)


def test_same_sign_reuses_the_configuration_negative_reconfigures_inverted():
    driver, inner = make({"channel": 2})
    driver.pulse(1.0, 100e-9, count=5, period_s=1e-6)
    inner.written.clear()
    driver.pulse(2.0, 50e-9)
    assert inner.written == ["SOUR2:FUNC:PULS:WIDT MIN", "SOUR2:FUNC:PULS:PER 1e-07",
                             "SOUR2:FUNC:PULS:WIDT 5e-08", "SOUR2:BURS:NCYC 1",
                             "SOUR2:VOLT:HIGH 2", "SOUR2:VOLT:LOW 0", "*TRG", "*OPC?", "SYST:ERR?"]
    inner.written.clear()
    driver.pulse(-0.5, 1e-3)
    assert inner.written[:11] == [c.replace("1", "2", 1) if c[:4] in ("OUTP", "SOUR", "TRIG") else c
                                  for c in CONFIG_NORM[:-1]] + ["OUTP2:POL INV"]
    assert inner.written[11:] == ["SOUR2:FUNC:PULS:WIDT MIN", "SOUR2:FUNC:PULS:PER 0.002",
                                  "SOUR2:FUNC:PULS:WIDT 0.001", "SOUR2:BURS:NCYC 1",
                                  "SOUR2:VOLT:LOW -0.5", "SOUR2:VOLT:HIGH 0", "OUTP2 ON",
                                  "*TRG", "*OPC?", "SYST:ERR?"]


@pytest.mark.parametrize("call", [
    lambda d: d.pulse(3.5, 1e-6),                  # EMF 7 V > max_voltage 6 V (LOAD 50)
    lambda d: d.pulse(5.5, 1e-6),                  # beyond +-5 V into 50 ohm
    lambda d: d.pulse(0.0004, 1e-6),               # below 1 mVpp
    lambda d: d.pulse(1.0, 10e-9),                 # below 16 ns
    lambda d: d.pulse(1.0, 2e6),                   # beyond 1e6 s
    lambda d: d.pulse(1.0, 1e-6, period_s=1e-6),   # width > period - 16 ns
    lambda d: d.pulse(1.0, 20e-9, period_s=30e-9),  # period below 1/30 MHz
    lambda d: d.pulse(1.0, 1e-6, count=0),
    lambda d: d.pulse(1.0, 1e-6, count=2.5),
    lambda d: d.pulse(float("nan"), 1e-6),
    lambda d: d.set_load(0.5),
    lambda d: d.set_load("open"),
])
def test_refusals_send_nothing(call):
    driver, inner = make()
    with pytest.raises(LimitError):
        call(driver)
    assert inner.written == []


def test_high_z_setting_doubles_the_range_and_conversions():
    driver, inner = make({"load": "INF"}, Limits(max_voltage=10.0))
    driver.pulse(-8.0, 1e-6)                                   # fine into high Z
    assert "OUTP1:LOAD INF" in inner.written and "SOUR1:VOLT:LOW -8" in inner.written
    assert driver.current_for(3.0, 1450.0) == pytest.approx(3.0 / 1500)
    assert driver.voltage_for(2e-3, 1450.0) == pytest.approx(3.0)
    assert current_for(1.5, 1450.0, 50.0) == pytest.approx(3.0 / 1500)   # EMF = 2 V at LOAD 50
    assert voltage_for(2e-3, 1450.0, 50.0) == pytest.approx(1.5)
    assert voltage_for(2e-3, 1450.0, math.inf) == pytest.approx(3.0)


def test_generator_error_after_a_pulse_raises_and_forces_reconfiguration():
    driver, inner = make()
    inner._replies.table["SYST:ERR?"] = '-221,"Settings conflict"'
    with pytest.raises(RuntimeError, match="Settings conflict"):
        driver.pulse(1.0, 1e-6)
    inner._replies.table["SYST:ERR?"] = '+0,"No error"'
    inner.written.clear()
    driver.pulse(1.0, 1e-6)
    assert inner.written[:len(CONFIG_NORM)] == CONFIG_NORM


def test_enable_disable_load_shutdown():
    driver, inner = make()
    driver.enable()
    driver.set_load(math.inf)
    driver.disable()
    driver.shutdown()
    assert inner.written == CONFIG_NORM + ["OUTP1 ON", "OUTP1:LOAD INF", "OUTP1 OFF", "OUTP1 OFF"]


def test_sim_bench_pulse_generator_role_switches_the_hall_bar():
    """Bench file sot-hallbar: the pulse_generator role; the 6221 supplies a 0.1 mA read current
    and the 2182A reads the Hall voltage; the Kepco sets Bx = +10 mT; one 100 us burst switches,
    a small one does not."""
    import pyvisa
    from spinbench.instruments.bench import Bench

    bench = Bench.load("sot-hallbar")
    with bench.open() as lab:
        gen = lab.role("pulse_generator")
        assert isinstance(gen, PulseGenerator)
        rm = pyvisa.ResourceManager(lab.visa_library)
        world = rm.visalib.world
        lab.role("field_x").set_field(0.01)
        source, meter = lab.role("current_source"), lab.role("voltmeter")
        source.set_current(1e-4)
        source.enable()
        hall = meter.read_voltage

        r = 1500.0                                      # measured 4-wire in a protocol
        dev = world.device
        # the 33522B's largest pulse into 1.5 kohm (EMF 10 V: 6.45 mA) is above the 100 us I50
        # of the bench's W/CoFeB Hall bar (5.9 mA)
        amps = 6.4e-3
        assert amps > 1.08 * dev.switching_current_50(0.01, 100e-6)
        big = gen.voltage_for(amps, r)
        start = hall()
        # W (xi_DL < 0) at B_x > 0: positive current writes m_z = -1, so push against the start
        sign = 1 if start > 0 else -1
        t0 = world.now
        gen.pulse(sign * big, 100e-6)
        assert 100e-6 <= world.now - t0 < 20e-3     # width + ~20 command transfers, no wall time
        flipped = hall()
        assert flipped * start < 0
        gen.pulse(-sign * gen.voltage_for(0.3 * amps, r), 100e-6)
        assert hall() == pytest.approx(flipped, abs=2e-6)
