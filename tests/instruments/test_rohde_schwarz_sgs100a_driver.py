"""R&S SGS100A: the stock qcodes driver against the emulator on rf-mtj, our driver's transcript,
limits that refuse and send nothing, and the pulse modulation the lock-in references to.  The
SGS100A has no analog AM (pulse, option SGS-K22, and I/Q from external inputs only): the driver
does not fill the AM role and says what to use instead, sending nothing; the emulator answers
an ``:AM`` header with -113 "Undefined header" and leaves the output as it was."""
import math

import pytest

from instr_fakes import FakeQcodesInstrument
from spinbench.instruments.limits import LimitError, Limits
from spinbench.instruments.roles import (AmplitudeModulatedRFSource, PulseModulatedRFSource, RFSource,
                                         SteppedSweepRFSource, conforms)
from spinbench.instruments.rohde_schwarz_sgs100a import RohdeSchwarzSGS100A, ranges_from_options

ADDR = "TCPIP0::192.168.0.40::inst0::INSTR"
LIMITS = Limits(max_rf_power_dbm=0.0, min_frequency=1e6, max_frequency=12e9)


def make(replies=None, limits=LIMITS, opts="SGS-B112,SGS-B26,SGS-K22"):
    inner = FakeQcodesInstrument(replies)
    return RohdeSchwarzSGS100A("sgs", inner, limits, {}, instrument_options=opts), inner


def test_transcript_and_pulse_modulation():
    driver, inner = make({"SOUR:POW?": "-10.00"})
    driver.set_frequency(5e9)
    driver.set_power_dbm(-10)
    driver.set_pulse_modulation(10e3, 0.5)
    driver.enable()
    assert inner.written == ["SOUR:FREQ 5000000000.000", "SOUR:POW -10.00", "SOUR:PULM:SOUR INT",
                             "SOUR:PULM:PER 0.0001", "SOUR:PULM:WIDT 5e-05", "SOUR:PULM:STAT ON",
                             "SOUR:POW?", "OUTP:STAT ON"]
    assert isinstance(driver, RFSource)


@pytest.mark.parametrize("call, match", [
    (lambda d: d.set_power_dbm(3.0), "max_rf_power_dbm"),
    (lambda d: d.set_frequency(13e9), "frequency"),
    (lambda d: d.set_frequency(0.5e6), "frequency"),
    (lambda d: d.set_pulse_modulation(20e6), "modulation frequency"),
])
def test_limits_refuse_before_sending(call, match):
    driver, inner = make()
    with pytest.raises(LimitError, match=match):
        call(driver)
    assert inner.written == []


def test_no_amplitude_modulation_is_offered_and_asking_for_it_sends_nothing():
    assert conforms(RohdeSchwarzSGS100A, PulseModulatedRFSource)
    assert not conforms(RohdeSchwarzSGS100A, AmplitudeModulatedRFSource)
    assert not conforms(RohdeSchwarzSGS100A, SteppedSweepRFSource)
    driver, inner = make()
    assert not hasattr(driver, "set_amplitude_modulation")
    with pytest.raises(AttributeError, match=r"sgs: the R&S SGS100A has no amplitude modulation .*"
                                             r"use set_pulse_modulation \(option SGS-K22\).*N5183B \(option UNT\)"):
        driver.set_amplitude_modulation(1e3, 0.5)
    with pytest.raises(AttributeError, match="has no attribute 'set_fm'"):
        driver.set_fm(1e3)                                  # any other name: the usual error
    assert inner.written == []


def test_ranges_from_options():
    assert ranges_from_options("SGS-B106") == (1e6, 6e9, -20.0, 25.0)
    assert ranges_from_options("SGS-B112,SGS-B26") == (1e6, 12.75e9, -120.0, 25.0)


def test_stock_qcodes_sgs100a_drives_the_emulator():
    pyvisa = pytest.importorskip("pyvisa")
    from qcodes.instrument_drivers.rohde_schwarz import RohdeSchwarzSGS100A as Q

    rm = pyvisa.ResourceManager("rf-mtj@spinbench")
    inst = Q("sgs_emulator_test", ADDR, visalib="rf-mtj@spinbench")
    try:
        world = rm.visalib.world
        inst.frequency(6.25e9)
        inst.power(-12.5)
        assert world.rf == (0.0, -math.inf)
        inst.status("on")
        assert world.rf == (6.25e9, -13.5)              # 1 dB cable loss in the bench file
        assert inst.frequency() == 6.25e9 and inst.power() == -12.5 and inst.status() is True
        inst.pulsemod_source("INT")
        inst.pulsemod_period(1e-4)
        inst.pulsemod_width(5e-5)
        inst.pulsemod_state("on")
        mod = world.links.read(ADDR, "modulation")
        assert mod["on"] and mod["frequency"] == pytest.approx(1e4) and mod["duty"] == pytest.approx(0.5)
        for cmd in ("SOUR:AM:STAT ON", ":AM:DEPT 50", "SOURce:AM:INTernal:FREQuency 1kHz"):
            inst.write(cmd)                              # no AM subsystem: an undefined header
            code, _, text = inst.ask("SYST:ERR?").partition(",")
            assert int(code) == -113 and "Undefined header" in text, cmd
        assert world.rf == (6.25e9, -13.5) and world.links.read(ADDR, "modulation") == mod
        inst.write("SOUR:FREQ 20e9")                     # above option B112: refused, kept
        assert inst.frequency() == 6.25e9
        assert inst.ask("SYST:ERR?").startswith("-222")
        inst.status("off")
        assert world.rf == (0.0, -math.inf)
        assert inst.get_idn()["model"] == "SGS100A"
    finally:
        inst.close()


def test_lock_in_external_reference_reads_the_gated_rectified_voltage(tmp_path):
    """SR830 on REF IN from the pulse TTL: X = sqrt(2)/pi (V_on - V_off) for a 50 % duty
    square wave (its fundamental, V rms), Y = 0; unlocked without modulation."""
    pyvisa = pytest.importorskip("pyvisa")
    import yaml
    from spinbench.sim_backend.benches import load_spec

    _, spec = load_spec("rf-mtj")                        # its lock-in's REF IN rewired to the SGS100A
    spec["sim"]["instruments"]["GPIB0::8::INSTR"]["connect"]["reference"] = ADDR
    path = tmp_path / "rf-mtj-sgs.yaml"
    path.write_text(yaml.safe_dump(spec))
    rm = pyvisa.ResourceManager(f"{path}@spinbench")
    world = rm.visalib.world
    sgs = rm.open_resource(ADDR)
    lia = rm.open_resource("GPIB0::8::INSTR")
    lia.write("FMOD 0;OFLT 4;SENS 20")                   # 1 ms, 5 mV
    world.set_coil_setpoint("coil_x", 1.0)               # 50 mT
    world.advance(1.0)
    sgs.write("SOUR:FREQ 5.7e9;:SOUR:POW -20;:SOUR:PULM:SOUR INT;:SOUR:PULM:PER 1e-4;"
              ":SOUR:PULM:WIDT 5e-5;:SOUR:PULM:STAT ON;:OUTP ON")
    world.advance(0.05)
    x, y = (float(v) for v in lia.query("SNAP? 1,2").split(","))
    drive = world.drive(port="junction")
    from dataclasses import replace
    v_on = world.port_voltage("junction", drive)
    v_off = world.port_voltage("junction", replace(drive, rf_tones=(), rf_frequency=0.0, rf_power_dbm=-math.inf))
    assert abs(v_on - v_off) > 1e-5
    assert x == pytest.approx(math.sqrt(2) / math.pi * (v_on - v_off), rel=0.01)
    assert abs(y) < 0.01 * abs(x)
    assert float(lia.query("FREQ?")) == pytest.approx(1e4)
