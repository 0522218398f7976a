"""Transcripts of the Keithley 2450 driver (2450 Reference Manual SCPI), and its qcodes base."""
from importlib.resources import files

import pytest

from instr_fakes import FakeQcodesInstrument
from spinbench.instruments.keithley_2450 import Keithley2450
from spinbench.instruments.limits import LimitError, Limits
from spinbench.instruments.roles import CurrentSource, SourceMeter

LIMITS = Limits(max_current=1e-3, compliance_voltage=2.0)


def make(replies=None, options=None):
    inner = FakeQcodesInstrument({"*OPC?": "1", **(replies or {})})
    driver = Keithley2450("smu", inner, LIMITS, options)
    driver._hold = lambda s: inner.written.append(f"<hold {s:g}>")
    return driver, inner


def test_source_current_measure_voltage():
    driver, inner = make({":MEAS:VOLT?": "1.25E-01"}, {"terminals": "rear", "four_wire": True})
    driver.source_current(5e-4)
    assert driver.measure_voltage() == pytest.approx(0.125)
    driver.enable()
    driver.disable()
    assert inner.written == [
        ":SOUR:FUNC CURR", ':SENS:FUNC "VOLT"', ":SENS:VOLT:RSEN ON", "ROUT:TERM REAR",
        ":SOUR:CURR:VLIM 2",
        ":SOUR:CURR 0.0005", ":MEAS:VOLT?", ":OUTP ON", ":OUTP OFF",
    ]
    assert isinstance(driver, SourceMeter) and isinstance(driver, CurrentSource)


def test_pulse_and_refusals():
    driver, inner = make({":SYST:LFR?": "60", ":SENS:VOLT:NPLC?": "1.000000E+00",
                          ":SOUR:CURR:DEL?": "0.000000E+00", ":SOUR:CURR:DEL:AUTO?": "1"})
    for bad in (lambda: driver.pulse(2e-3, 1e-3), lambda: driver.source_current(-1.1e-3),
                lambda: driver.set_compliance_voltage(5.0), lambda: driver.pulse(5e-4, 100e-6),
                lambda: driver.pulse(5e-4, 2e4), lambda: driver.pulse(5e-4, 1e-3, low_A=2e-3)):
        with pytest.raises(LimitError):
            bad()
    assert inner.written == []
    driver.pulse(8e-4, 5e-3)
    # instrument-timed: a two-point list sweep, source delay = width - one NPLC 0.01 reading
    assert inner.written == [
        ":SYST:LFR?", ":SOUR:FUNC CURR", ':SENS:FUNC "VOLT"', ":SOUR:CURR:VLIM 2", ":SENS:VOLT:NPLC?", ":SOUR:CURR:DEL?", ":SOUR:CURR:DEL:AUTO?",
        ":SENS:VOLT:NPLC 0.01", ":SOUR:CURR:DEL 0.00483333", ":SOUR:LIST:CURR 0.0008, 0",
        ":SOUR:SWE:CURR:LIST 1, 0", ":INIT", "*OPC?",
        ":SENS:VOLT:NPLC 1.000000E+00", ":SOUR:CURR:DEL:AUTO ON", ":OUTP OFF", ":SOUR:CURR 0"]
    inner.written.clear()
    inner._replies.table[":SOUR:CURR:DEL:AUTO?"] = "0"
    driver.pulse(-8e-4, 1e-3, low_A=1e-4)
    assert inner.written[-4:] == [":SENS:VOLT:NPLC 1.000000E+00", ":SOUR:CURR:DEL 0.000000E+00",
                                  ":SOUR:CURR 0.0001", ":OUTP ON"]


def test_shutdown_and_close():
    driver, inner = make()
    driver.shutdown()
    driver.close()
    assert inner.written == [":OUTP OFF", ":SOUR:CURR 0"] and inner.closed


def test_connect_through_qcodes_on_pyvisa_sim():
    """The real qcodes driver (its *LANG? and *IDN? handshake) under our wrapper."""
    sim_file = files("qcodes.instrument.sims") / "Keithley_2450.yaml"
    driver = Keithley2450.connect("smu 1", "GPIB::2::INSTR", f"{sim_file}@sim", LIMITS, {})
    try:
        sent = []
        driver._inner.write_raw = sent.append
        driver.source_current(1e-4)
        assert sent[-1] == ":SOUR:CURR 0.0001"
        assert driver.resource is not None
    finally:
        driver.close()
