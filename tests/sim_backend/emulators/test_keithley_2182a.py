"""Keithley 2182A emulator on the sot-hallbar sim bench: SCPI acceptance/refusal, *RST, readings of
the Hall and xx ports with Johnson + instrument noise, ranges and overflow, timing, buffer and
status, binary format, pymeasure's Keithley2182 through @spinbench."""
from __future__ import annotations

import struct

import numpy as np
import pytest

from spinbench.sim_backend import benches

from emu_io import SPINE_BENCH, SPINE_LIB, exchange, scpi_errors
from emu_io import ask as ask_text

SRC = "GPIB0::12::INSTR"
NV = "GPIB0::7::INSTR"


@pytest.fixture
def bench():
    return benches.build(SPINE_BENCH, seed=11)


def ask(bench, addr, text: str) -> bytes:
    return exchange(bench.emulators[addr], text)


def q(bench, addr, text: str) -> str:
    return ask_text(bench.emulators[addr], text)


def errors(bench, addr) -> list[int]:
    return scpi_errors(bench.emulators[addr])


def drive(bench, amps):
    q(bench, SRC, f"SOUR:CURR {amps};:SOUR:CURR:COMP 20;:OUTP ON")


def test_identity_and_reset_defaults(bench):
    assert q(bench, NV, "*IDN?") == "KEITHLEY INSTRUMENTS INC.,MODEL 2182A,1234567,C02  /A02"
    q(bench, NV, "SENS:CHAN 2;:SENS:VOLT:NPLC 1;:SENS:VOLT:CHAN1:RANG 1;:SYST:AZER OFF;:TRIG:COUN 5")
    q(bench, NV, "*RST")
    assert q(bench, NV, "SENS:FUNC?") == '"VOLT:DC"'
    assert q(bench, NV, "SENS:CHAN?") == "1"
    assert float(q(bench, NV, "SENS:VOLT:NPLC?")) == 5.0
    assert q(bench, NV, "SENS:VOLT:CHAN1:RANG:AUTO?;:SENS:VOLT:CHAN2:RANG:AUTO?") == "1;1"
    assert float(q(bench, NV, "SENS:VOLT:CHAN1:RANG?")) == 100.0
    assert q(bench, NV, "SENS:VOLT:DFIL?;DFIL:COUN?;TCON?") == "1;10;MOV"
    assert q(bench, NV, "SYST:AZER?;:SYST:FAZ?;:SYST:LSYN?") == "1;1;0"
    assert q(bench, NV, "SYST:LFR?") == "60"
    assert q(bench, NV, "TRIG:COUN?;SOUR?") == "1;IMM"
    assert q(bench, NV, "INIT:CONT?") == "0"
    assert errors(bench, NV) == []


def test_forms_ranges_and_refusals(bench):
    q(bench, NV, "sense:voltage:dc:channel1:range:upper 0.05")
    assert float(q(bench, NV, "SENS:VOLT:CHAN1:RANG?")) == pytest.approx(0.1)  # 100 mV range
    assert q(bench, NV, "SENS:VOLT:CHAN1:RANG:AUTO?") == "0"
    q(bench, NV, "VOLT:CHAN2:RANG 0.001;:VOLT:CHAN2:RANG:AUTO ON")  # SENSe is optional
    assert q(bench, NV, "SENS:VOLT:CHAN2:RANG?;RANG:AUTO?") == "1.000000E-01;1"
    q(bench, NV, "SENS:VOLT:RANG:AUTO 1")  # the active channel (pymeasure's setup_voltage)
    assert q(bench, NV, "SENS:VOLT:CHAN1:RANG:AUTO?") == "1"
    q(bench, NV, "SENS:VOLT:APER 0.1")
    assert float(q(bench, NV, "SENS:VOLT:NPLC?")) == pytest.approx(6.0)
    assert errors(bench, NV) == []
    for cmd, code in [("SENS:VOLT:NPLC 61", -222), ("SENS:VOLT:NPLC 0.005", -222),
                      ("SENS:VOLT:CHAN1:RANG 121", -222), ("SENS:VOLT:CHAN2:RANG 13", -222),
                      ("SENS:VOLT:CHAN3:RANG 1", -114), ("SENS:CHAN 3", -222),
                      ("SENS:FUNC 'CURR'", -224), ("SENS:FUNC VOLT", -151),
                      ("SENS:VOLT:DFIL:COUN 101", -222), ("TRAC:POIN 1025", -222),
                      ("SENS:VOLT:FOO 1", -113), ("SENS:VOLT:NPLC", -109), ("SENS:VOLT:NPLC 1,2", -108)]:
        q(bench, NV, cmd)
        assert errors(bench, NV) == [code], cmd
    assert float(q(bench, NV, "SENS:VOLT:NPLC?")) == pytest.approx(6.0)
    q(bench, NV, "TRIG:COUN INF")
    assert float(q(bench, NV, "TRIG:COUN?")) == 9.9e37
    q(bench, NV, "status:queue:clear;*RST;:stat:pres;:*CLS;")  # pymeasure's reset()
    assert errors(bench, NV) == []


def test_hall_and_xx_readings_within_noise(bench):
    w, dev = bench.world, bench.world.device
    drive(bench, 1e-3)
    v = float(q(bench, NV, "READ?"))
    assert v == pytest.approx(1e-3 * (dev.r_ahe * dev.m + dev.r_offset), abs=50e-9)  # 2.05 mV
    q(bench, NV, "SENS:CHAN 2")
    assert float(q(bench, NV, "READ?")) == pytest.approx(1e-3 * dev.r_xx, abs=2e-6)  # 1.2 V
    q(bench, NV, "SENS:CHAN 1;:SENS:VOLT:DFIL OFF")
    # noise: Johnson of the 400 ohm Hall port in 1/(2 aperture) plus ~6 nV/sqrt(NPLC)
    spreads = {}
    for nplc in (1, 10):
        q(bench, NV, f"SENS:VOLT:NPLC {nplc}")
        vals = [float(q(bench, NV, "READ?")) for _ in range(60)]
        spreads[nplc] = np.std(vals, ddof=1)
        kt = 1.380649e-23 * w.temperature
        expected = np.sqrt(4 * kt * 400 / (2 * nplc / 60) + (6e-9 / np.sqrt(nplc)) ** 2)
        assert spreads[nplc] == pytest.approx(expected, rel=0.3), nplc
    assert spreads[1] / spreads[10] == pytest.approx(np.sqrt(10), rel=0.35)
    assert errors(bench, NV) == [] and errors(bench, SRC) == []


def test_fixed_range_overflow_and_autorange(bench):
    drive(bench, 10e-3)  # 20.5 mV on the Hall port
    q(bench, NV, "SENS:VOLT:CHAN1:RANG 0.01")  # 10 mV range reads up to 12 mV
    assert float(q(bench, NV, "READ?")) == 9.9e37
    assert int(q(bench, NV, "STAT:MEAS?")) & 1 == 1  # ROF
    q(bench, NV, "SENS:VOLT:CHAN1:RANG 0.1")
    assert float(q(bench, NV, "READ?")) == pytest.approx(20.5e-3, abs=1e-6)
    q(bench, NV, "SENS:VOLT:CHAN1:RANG:AUTO ON")
    assert float(q(bench, NV, "READ?")) == pytest.approx(20.5e-3, abs=1e-6)


def test_reading_time_follows_nplc_autozero_and_filter(bench):
    w = bench.world
    q(bench, NV, "SENS:VOLT:NPLC 1")

    def read_time(setup):
        q(bench, NV, setup)
        t0 = w.now
        q(bench, NV, "READ?")
        return w.now - t0

    plc = 1 / 60
    assert read_time("SYST:AZER OFF;:SYST:FAZ OFF") == pytest.approx(plc, abs=3e-3)
    assert read_time("SYST:AZER ON;:SYST:FAZ OFF") == pytest.approx(2 * plc, abs=3e-3)
    assert read_time("SYST:AZER ON;:SYST:FAZ ON") == pytest.approx(3 * plc, abs=3e-3)
    # the repeating filter averages 10 fresh conversions per reading
    assert read_time("SYST:AZER OFF;:SYST:FAZ OFF;:SENS:VOLT:DFIL:TCON REP") == pytest.approx(10 * plc, abs=0.02)


def test_moving_filter_averages_and_resets_outside_its_window(bench):
    q(bench, NV, "SENS:VOLT:NPLC 1;:SENS:VOLT:DFIL:COUN 5;:SAMP:COUN 8")
    drive(bench, 1e-3)
    vals = np.array(q(bench, NV, "READ?").split(","), dtype=float)
    assert len(vals) == 8
    # a moving average of correlated readings varies less than single conversions (~15 nV)
    assert np.std(vals[4:]) < 10e-9
    # a jump beyond the window (0.01 % of range) restarts the stack: no stale average
    q(bench, NV, "SAMP:COUN 1")
    drive(bench, 2e-3)
    assert float(q(bench, NV, "READ?")) == pytest.approx(4.1e-3, abs=100e-9)


def test_buffer_status_and_statistics(bench):
    drive(bench, 1e-3)
    q(bench, NV, "SENS:VOLT:NPLC 1;:STAT:PRES;*CLS;*SRE 1;:STAT:MEAS:ENAB 512;:TRAC:CLE")
    q(bench, NV, "TRAC:POIN 5;:TRIG:COUN 5;:TRAC:FEED SENS;:TRAC:FEED:CONT NEXT")
    assert int(q(bench, NV, "*STB?")) & 65 == 0
    q(bench, NV, "INIT")
    assert int(q(bench, NV, "*STB?")) & 65 == 0   # the readings take their time (timeline)
    assert int(q(bench, NV, "*OPC?")) == 1        # waits for the acquisition
    assert int(q(bench, NV, "*STB?")) & 65 == 65  # buffer full -> MSB -> MSS
    data = np.array(q(bench, NV, "TRAC:DATA?").split(","), dtype=float)
    assert len(data) == 5 and np.all(np.abs(data - 2.05e-3) < 100e-9)
    assert float(q(bench, NV, "CALC2:FORM MEAN;:CALC2:STAT ON;:CALC2:IMM?")) == pytest.approx(data.mean(), abs=1e-12)
    assert float(q(bench, NV, "CALC2:FORM SDEV;:CALC2:IMM?")) == pytest.approx(np.std(data, ddof=1), rel=1e-6)
    assert q(bench, NV, "TRAC:FEED:CONT?") == "NEV"
    q(bench, NV, "*CLS")
    assert int(q(bench, NV, "*STB?")) & 65 == 0
    assert errors(bench, NV) == []


def test_binary_readings_and_fetch(bench):
    drive(bench, 1e-3)
    q(bench, NV, "SENS:VOLT:NPLC 1;:SAMP:COUN 3")
    ascii_values = np.array(q(bench, NV, "READ?").split(","), dtype=float)
    raw = ask(bench, NV, "FORM:DATA SRE;:FORM:BORD NORM;:FETC?")
    assert raw[:2] == b"#0" and len(raw) == 2 + 12 + 1
    assert np.array(struct.unpack(">3f", raw[2:-1])) == pytest.approx(ascii_values, rel=1e-6)
    raw = ask(bench, NV, "FORM:DATA DRE;:FORM:BORD SWAP;:FETC?")
    assert np.array(struct.unpack("<3d", raw[2:-1])) == pytest.approx(ascii_values, rel=1e-9)
    q(bench, NV, "FORM:DATA ASC;*RST")
    q(bench, NV, "FETC?")  # nothing measured since *RST
    assert errors(bench, NV) == [-230]
    q(bench, NV, "TRIG:SOUR BUS;:INIT")
    bench.emulators[NV].trigger()  # GET
    assert float(q(bench, NV, "FETC?")) == pytest.approx(2.05e-3, abs=100e-9)


def test_pymeasure_keithley2182_through_pyvisa():
    pyvisa = pytest.importorskip("pyvisa")
    from pymeasure.instruments.keithley import Keithley2182, Keithley6221

    rm = pyvisa.ResourceManager(SPINE_LIB)
    try:
        src = Keithley6221(rm.open_resource(SRC))
        nv = Keithley2182(rm.open_resource(NV))
        src.reset()
        nv.reset()
        src.source_current = 0.5e-3
        src.enable_source()
        nv.ch_1.setup_voltage(auto_range=True, nplc=1)
        assert nv.ch_1.voltage_range_auto_enabled is True
        nv.ch_1.voltage_range = 0.01
        assert nv.ch_1.voltage_range == pytest.approx(0.01)
        assert nv.active_channel == 1 and nv.channel_function == "voltage"
        assert nv.line_frequency == 60 and nv.auto_zero_enabled is True
        assert nv.voltage == pytest.approx(0.5e-3 * 2.05, abs=100e-9)
        nv.config_buffer(points=8)
        nv.start_buffer()
        nv.wait_for_buffer(timeout=5, interval=0.0)
        data = nv.buffer_data
        assert len(data) == 8 and np.all(np.abs(data - 1.025e-3) < 100e-9)
        assert nv.mean == pytest.approx(data.mean(), abs=1e-12)
        assert nv.check_errors() == [] and src.check_errors() == []
        src.shutdown()
    finally:
        rm.close()
