"""Transcripts of the Keithley 2182A driver (2182A User's Manual SCPI)."""
import pytest
from pymeasure.instruments.keithley import Keithley2182 as PM2182

from instr_fakes import TranscriptAdapter
from spinbench.instruments.keithley_2182a import Keithley2182A
from spinbench.instruments.limits import LimitError
from spinbench.instruments.roles import Voltmeter


def make(replies=None, options=None):
    adapter = TranscriptAdapter(replies)
    return Keithley2182A("nvm", PM2182(adapter), None, options), adapter


def test_read_voltage_configures_once_then_reads():
    driver, adapter = make({":READ?": ["1.234E-6", "-2.0E-7"]}, {"channel": 2})
    assert driver.read_voltage() == pytest.approx(1.234e-6)
    assert driver.read_voltage() == pytest.approx(-2.0e-7)
    assert adapter.written == [":SENS:FUNC 'VOLT'", ":SENS:CHAN 2", ":READ?", ":READ?"]
    assert isinstance(driver, Voltmeter)


def test_integration_time_in_seconds_via_nplc():
    driver, adapter = make({":SYST:LFR?": "50", ":SENS:VOLT:NPLC?": "5"})
    driver.set_integration_time(0.02)     # 1 PLC at 50 Hz
    assert driver.integration_time() == pytest.approx(0.1)
    assert adapter.written == [":SYST:LFR?", ":SENS:VOLT:NPLC 1", ":SENS:VOLT:NPLC?"]


def test_integration_time_out_of_range_is_refused_not_clipped():
    driver, adapter = make(options={"line_frequency": 60})
    with pytest.raises(LimitError, match=r"integration time 2 s .*\[0.000166667 s, 1 s\]"):
        driver.set_integration_time(2.0)
    assert adapter.written == []


def test_channel2_range_limit_is_applied():
    driver, adapter = make(options={"channel": 2})
    with pytest.raises(LimitError, match="not a channel-2 range"):
        driver.set_voltage_range(100.0)   # pymeasure sends this unchecked
    assert adapter.written == []
    driver.set_voltage_range(0.1)
    assert adapter.written == [":SENS:VOLT:CHAN2:RANG 0.1"]


def test_snapshot_is_read_only():
    driver, adapter = make({"*IDN?": "KEITHLEY INSTRUMENTS INC.,MODEL 2182A,1234,C02",
                            ":SENS:CHAN?": "1", ":SENS:VOLT:NPLC?": "5",
                            ":SENS:VOLT:CHAN1:RANG?": "0.01", ":SENS:VOLT:CHAN1:RANG:AUTO?": "0",
                            ":SYST:LFR?": "60"})
    snap = driver.snapshot()
    assert snap["nplc"] == 5 and snap["range_V"] == 0.01 and snap["auto_range"] is False
    assert all("?" in c for c in adapter.written)
    adapter.written.clear()
    driver.shutdown()
    assert adapter.written == []
