"""Keithley 6221 emulator on the sot-hallbar sim bench: SCPI acceptance/refusal, *RST, compliance,
SOT switching by DC current, Pulse Delta and Delta with the linked 2182A, buffer formats."""
from __future__ import annotations

import math
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
    return benches.build(SPINE_BENCH, seed=7)


def ask(bench, addr, text: str) -> bytes:
    return exchange(bench.emulators[addr], text)


def q(bench, addr, text: str) -> str:
    return ask_text(bench.emulators[addr], text)


def errors(bench, addr) -> list[int]:
    return scpi_errors(bench.emulators[addr])


def hall(dev, amps, bx=0.0):
    """V_H = I (R_AHE m_z + R_offset) of the bench's spine Hall bar."""
    mz = dev.m * math.sqrt(1 - (bx / dev.bk) ** 2)
    return amps * (dev.r_ahe * mz + dev.r_offset)


def test_identity_and_reset_defaults(bench):
    assert q(bench, SRC, "*IDN?") == "KEITHLEY INSTRUMENTS INC.,MODEL 6221,4123456,D03  /700x"
    q(bench, SRC, "SOUR:CURR 5e-3;:OUTP ON;:SOUR:PDEL:WIDT 1e-3;:FORM:ELEM ALL")
    q(bench, SRC, "*RST")
    assert float(q(bench, SRC, "SOUR:CURR?")) == 0.0
    assert float(q(bench, SRC, "SOUR:CURR:COMP?")) == 10.0
    assert q(bench, SRC, "OUTP?") == "0"
    assert q(bench, SRC, "OUTP:ISH?") == "OLOW"
    assert float(q(bench, SRC, "SOUR:DEL?")) == pytest.approx(1e-3)
    assert float(q(bench, SRC, "SOUR:PDEL:HIGH?")) == pytest.approx(1e-3)
    assert float(q(bench, SRC, "SOUR:PDEL:LOW?")) == 0.0
    assert float(q(bench, SRC, "SOUR:PDEL:WIDT?")) == pytest.approx(110e-6)
    assert float(q(bench, SRC, "SOUR:PDEL:SDEL?")) == pytest.approx(16e-6)
    assert q(bench, SRC, "SOUR:PDEL:INT?") == "5"
    assert q(bench, SRC, "SOUR:PDEL:LME?") == "3"
    assert float(q(bench, SRC, "SOUR:PDEL:COUN?")) == 9.9e37
    assert q(bench, SRC, "SOUR:PDEL:RANG?") == "BEST"
    assert q(bench, SRC, "FORM:ELEM?") == "READ,TST"
    assert q(bench, SRC, "FORM:DATA?") == "ASC"
    assert bench.world.source_current("channel") == 0.0
    assert errors(bench, SRC) == []


def test_forms_case_chains_and_refusals(bench):
    q(bench, SRC, "source:current:level:immediate:amplitude 2mA")
    assert float(q(bench, SRC, "SOURCE1:CURRENT?")) == pytest.approx(2e-3)
    # relative header after ';' (path :SOUR:CURR), then an absolute one
    q(bench, SRC, "SOUR:CURR:COMP 20;RANG 20e-3;:sour:pdel:widt 200us;sdel 50e-6")
    assert float(q(bench, SRC, "SOUR:CURR:COMP?;RANG?").split(";")[0]) == 20.0
    assert float(q(bench, SRC, "SOUR:CURR:RANG?")) == pytest.approx(20e-3)
    assert float(q(bench, SRC, "SOUR:PDEL:WIDT?;SDEL?").split(";")[1]) == pytest.approx(50e-6)
    assert errors(bench, SRC) == []
    # out of range: -222 and the setting is unchanged
    for cmd, query, kept in [("SOUR:CURR 0.106", "SOUR:CURR?", 2e-3),
                             ("SOUR:CURR -0.2", "SOUR:CURR?", 2e-3),
                             ("SOUR:CURR:COMP 0.05", "SOUR:CURR:COMP?", 20.0),
                             ("SOUR:CURR:COMP 106", "SOUR:CURR:COMP?", 20.0),
                             ("SOUR:PDEL:WIDT 40e-6", "SOUR:PDEL:WIDT?", 200e-6),
                             ("SOUR:PDEL:WIDT 12.5e-3", "SOUR:PDEL:WIDT?", 200e-6),
                             ("SOUR:PDEL:SDEL 15e-6", "SOUR:PDEL:SDEL?", 50e-6),
                             ("SOUR:PDEL:SDEL 12e-3", "SOUR:PDEL:SDEL?", 50e-6),
                             ("SOUR:PDEL:INT 4", "SOUR:PDEL:INT?", 5),
                             ("SOUR:PDEL:COUN 65537", "SOUR:PDEL:COUN?", 9.9e37)]:
        q(bench, SRC, cmd)
        assert errors(bench, SRC) == [-222], cmd
        assert float(q(bench, SRC, query)) == pytest.approx(kept), cmd
    q(bench, SRC, "SOUR:PDEL:COUN INF;:SOUR:PDEL:COUN 65536;:SOUR:PDEL:LME 2")
    assert errors(bench, SRC) == []
    # neither short nor long form, unknown headers, waveform external trigger (not emulated): -113
    for cmd in ("SOURC:CURR 1e-3", "SOUR:CURRE 1e-3", "FOO:BAR", "SOUR:WAVE:EXTR:ENAB ON", "SOUR:CURR:COMP"):
        q(bench, SRC, cmd)
        code = errors(bench, SRC)
        assert code == ([-109] if cmd == "SOUR:CURR:COMP" else [-113]), cmd
    # a command error aborts the rest of the message
    q(bench, SRC, "SOUR:CURR 1e-3;:BOGUS;:SOUR:CURR 3e-3")
    assert errors(bench, SRC) == [-113]
    assert float(q(bench, SRC, "SOUR:CURR?")) == pytest.approx(1e-3)
    # pymeasure's reset message, with its ':*CLS'
    q(bench, SRC, "status:queue:clear;*RST;:stat:pres;:*CLS;")
    assert errors(bench, SRC) == []


def test_output_drives_the_channel_through_the_compliance(bench):
    w = bench.world
    r = w.port_resistance("channel")  # 1500 ohm
    q(bench, SRC, "SOUR:CURR 4e-3;:SOUR:CURR:COMP 20")
    assert w.source_current("channel") == 0.0  # output still off
    q(bench, SRC, "OUTP ON")
    assert w.source_current("channel") == pytest.approx(4e-3)
    assert int(q(bench, SRC, "STAT:MEAS:COND?")) & 8 == 0
    q(bench, SRC, "SOUR:CURR:COMP 3")  # 4 mA * 1500 ohm = 6 V > 3 V
    assert w.source_current("channel") == pytest.approx(3.0 / r)
    assert int(q(bench, SRC, "STAT:MEAS:COND?")) & 8 == 8  # compliance bit B3
    q(bench, SRC, "SOUR:CURR:COMP 10")
    assert w.source_current("channel") == pytest.approx(4e-3)
    assert int(q(bench, SRC, "STAT:MEAS:COND?")) & 8 == 0
    assert int(q(bench, SRC, "STAT:MEAS?")) & 8 == 8  # the event latched
    q(bench, SRC, "OUTP OFF")
    assert w.source_current("channel") == 0.0
    assert errors(bench, SRC) == []


def test_dc_current_switches_the_hall_sign_above_the_critical_current(bench):
    w, dev = bench.world, bench.world.device
    w.set_coil_setpoint("coil_x", 1.0)  # 10 mT along x (0.01 T/A)
    w.advance(1.0)
    bx = w.field[0]
    assert bx == pytest.approx(0.01)
    q(bench, NV, "SENS:VOLT:NPLC 1")

    def read_hall():
        q(bench, SRC, "SOUR:CURR 0.5e-3;:OUTP ON")
        v = float(q(bench, NV, "READ?"))
        q(bench, SRC, "OUTP OFF")
        return v

    def pulse(amps):
        q(bench, SRC, f"SOUR:CURR {amps};:OUTP ON")
        w.advance(10e-3)
        q(bench, SRC, "OUTP OFF")

    v0 = read_hall()
    assert v0 == pytest.approx(hall(dev, 0.5e-3, bx), abs=100e-9) and v0 > 0
    assert dev.critical_current(bx) == pytest.approx(2.45e-3, rel=0.01)
    pulse(-5e-3)
    v1 = read_hall()
    assert v1 < 0 and v1 == pytest.approx(hall(dev, 0.5e-3, bx), abs=100e-9)
    pulse(+0.5e-3)  # well below Ic: no switching
    assert read_hall() < 0
    pulse(-0.5e-3)
    assert read_hall() < 0
    pulse(+5e-3)
    assert read_hall() > 0
    assert errors(bench, SRC) == [] and errors(bench, NV) == []


def test_pulse_delta_readings_and_timing(bench):
    dev = bench.world.device
    assert q(bench, SRC, "SOUR:PDEL:NVPR?") == "1"
    q(bench, SRC, "SOUR:PDEL:HIGH 1e-3;LOW 0;WIDT 200e-6;SDEL 60e-6;COUN 20;INT 5;LME 3")
    q(bench, SRC, "SOUR:PDEL:ARM")
    assert q(bench, SRC, "SOUR:PDEL:ARM?") == "1"
    t0 = bench.world.now
    q(bench, SRC, "INIT:IMM")                   # starts the run on the timeline: returns at once
    assert bench.world.now - t0 < 1e-3
    assert int(q(bench, SRC, "TRAC:POIN:ACT?")) < 20
    assert q(bench, SRC, "*OPC?") == "1"         # waits for the 20 cycles
    elapsed = bench.world.now - t0
    assert elapsed == pytest.approx(20 * 5 / 60, abs=1 / 60)  # 20 cycles of 5 PLC at 60 Hz
    assert q(bench, SRC, "TRAC:POIN:ACT?") == "20"
    values = np.array(q(bench, SRC, "TRAC:DATA?").split(","), dtype=float).reshape(-1, 2)
    readings, stamps = values[:, 0], values[:, 1]
    assert len(readings) == 20
    expected = hall(dev, 1e-3)  # 2.05 mV
    # each A/D integrates 140 us: ~200 nV Johnson + instrument noise, x sqrt(1.5) for 3 points
    assert np.all(np.abs(readings - expected) < 1.5e-6)
    assert abs(readings.mean() - expected) < 150e-9
    assert np.allclose(np.diff(stamps), 5 / 60, atol=1e-9) and stamps[0] == 0.0
    # the reading is the manual's 3-point formula of the stored A/D triples
    a, b, c = np.array(bench.emulators[SRC].last_conversions).T
    assert np.allclose(readings, b - (a + c) / 2, rtol=0, atol=2e-9)  # ASCII: 7 digits
    assert np.all(np.abs(a) < 1.5e-6) and np.all(np.abs(c) < 1.5e-6)  # low = 0 A
    assert float(q(bench, SRC, "SENS:DATA?").split(",")[0]) == pytest.approx(readings[-1], abs=2e-9)
    # 2-point, nonzero low level: B - A = (I_high - I_low) R
    q(bench, SRC, "SOUR:SWE:ABOR")
    assert q(bench, SRC, "SOUR:PDEL:ARM?") == "0"
    q(bench, SRC, "SOUR:PDEL:LOW 0.2e-3;LME 2;COUN 10;:SOUR:PDEL:ARM;:INIT;*OPC?")
    r2 = np.array(q(bench, SRC, "TRAC:DATA?").split(","), dtype=float)[::2]
    assert len(r2) == 10
    assert abs(r2.mean() - hall(dev, 0.8e-3)) < 300e-9
    assert all(len(t) == 2 for t in bench.emulators[SRC].last_conversions)
    assert q(bench, SRC, "TRAC:DATA:TYPE?") == "PDEL"
    assert errors(bench, SRC) == []


def test_pulse_delta_low_readings_see_the_state_after_a_write_pulse(bench):
    w, dev = bench.world, bench.world.device
    w.set_coil_setpoint("coil_x", 1.0)
    w.advance(1.0)
    bx = w.field[0]
    assert dev.m == 1
    q(bench, SRC, "SOUR:PDEL:HIGH -5e-3;LOW 0.5e-3;WIDT 5e-3;SDEL 1e-3;COUN 1;:SOUR:PDEL:ARM;:INIT;*OPC?")
    assert dev.m == -1
    (a, b, c), = bench.emulators[SRC].last_conversions
    mz = math.sqrt(1 - (bx / dev.bk) ** 2)
    assert a == pytest.approx(0.5e-3 * (dev.r_ahe * mz + dev.r_offset), abs=1e-6)   # before: m=+1
    assert c == pytest.approx(0.5e-3 * (-dev.r_ahe * mz + dev.r_offset), abs=1e-6)  # after: m=-1
    assert b == pytest.approx(-5e-3 * (-dev.r_ahe * mz + dev.r_offset), abs=2e-6)
    reading = float(q(bench, SRC, "TRAC:DATA?").split(",")[0])
    assert reading == pytest.approx(b - (a + c) / 2, abs=2e-8)
    q(bench, SRC, "SOUR:SWE:ABOR")
    assert w.source_current("channel") == 0.0  # back to the pre-arm state: output off


def test_delta_mode_and_its_reading_formula(bench):
    dev = bench.world.device
    q(bench, NV, "SENS:VOLT:NPLC 1")
    q(bench, SRC, "SOUR:DELT:HIGH 1e-3")
    assert float(q(bench, SRC, "SOUR:DELT:LOW?")) == pytest.approx(-1e-3)
    q(bench, SRC, "SOUR:DELT:DEL 2e-3;COUN 6;:SOUR:DELT:ARM;:INIT:IMM;*OPC?")
    values = np.array(q(bench, SRC, "TRAC:DATA?").split(","), dtype=float).reshape(-1, 2)
    assert len(values) == 6
    # (A - 2B + C)/4 (-1)^n = (V(+I) - V(-I))/2 = I R for every n
    assert np.all(np.abs(values[:, 0] - hall(dev, 1e-3)) < 100e-9)
    assert np.all(np.diff(values[:, 1]) > 0)


def test_list_sweep_triggers_the_2182a_over_the_trigger_link(bench):
    dev = bench.world.device
    q(bench, NV, "SENS:VOLT:NPLC 1;:SENS:VOLT:DFIL OFF;:TRIG:SOUR EXT;:TRIG:COUN 3;:INIT")
    q(bench, SRC, "SOUR:SWE:SPAC LIST;:SOUR:LIST:CURR 1e-3,2e-3;:SOUR:LIST:CURR:APP 3e-3")
    assert q(bench, SRC, "SOUR:LIST:CURR:POIN?") == "3"
    q(bench, SRC, "SOUR:LIST:DEL 5e-3;:SOUR:SWE:ARM;:INIT")
    v = np.array(q(bench, NV, "FETC?").split(","), dtype=float)
    assert v == pytest.approx([hall(dev, i) for i in (1e-3, 2e-3, 3e-3)], abs=100e-9)
    assert q(bench, SRC, "SOUR:SWE:ARM?") == "1"  # done, still armed, at the bias level
    q(bench, SRC, "SOUR:CURR 1e-3")
    assert bench.world.source_current("channel") == 0.0  # armed: the bias level is not applied
    q(bench, SRC, "SOUR:SWE:ABOR")
    assert bench.world.source_current("channel") == 0.0  # back to the pre-arm state: off
    q(bench, SRC, "OUTP ON")
    assert bench.world.source_current("channel") == pytest.approx(1e-3)
    # compliance abort: 3 mA into 1500 ohm needs 4.5 V
    q(bench, SRC, "OUTP OFF;:SOUR:LIST:COMP 4;:SOUR:SWE:CAB ON;:SOUR:SWE:ARM;:INIT")  # list: per-point compliance
    assert q(bench, SRC, "*OPC?") == "1"            # the sweep runs on the timeline: wait for it
    assert q(bench, SRC, "SOUR:SWE:ARM?") == "0" and q(bench, SRC, "OUTP?") == "0"
    assert int(q(bench, SRC, "STAT:OPER?")) & 4 == 4  # sweep aborted
    assert errors(bench, SRC) == [] and errors(bench, NV) == []


def test_binary_buffer_round_trips(bench):
    q(bench, SRC, "SOUR:PDEL:COUN 4;:SOUR:PDEL:ARM;:INIT;*OPC?;:FORM:ELEM READ,TST,SOUR")
    ascii_values = np.array(q(bench, SRC, "TRAC:DATA?").split(","), dtype=float)
    for bord, order in (("SWAP", "<"), ("NORM", ">")):
        raw = ask(bench, SRC, f"FORM:DATA REAL,32;:FORM:BORD {bord};:TRAC:DATA?")
        assert raw.startswith(b"#0") and raw.endswith(b"\n")
        payload = raw[2:-1]
        assert len(payload) == 4 * 12
        values = np.array(struct.unpack(f"{order}12f", payload))
        assert values == pytest.approx(ascii_values, rel=1e-6)
    assert q(bench, SRC, "FORM:DATA?") == "REAL,32"
    q(bench, SRC, "FORM:DATA SRE")
    assert len(ask(bench, SRC, "TRAC:DATA:SEL? 1,2")) == 2 + 4 * 6 + 1
    q(bench, SRC, "FORM:DATA ASC;:TRAC:CLE")
    assert q(bench, SRC, "TRAC:POIN:ACT?") == "0"
    assert errors(bench, SRC) == []
    q(bench, SRC, "TRAC:DATA?")  # empty buffer
    assert errors(bench, SRC) == [-230]


def test_rs232_link_and_missing_nanovoltmeter(bench):
    q(bench, SRC, 'SYST:COMM:SER:SEND "*IDN?"')
    assert q(bench, SRC, "SYST:COMM:SER:ENT?").startswith("KEITHLEY INSTRUMENTS INC.,MODEL 2182A")
    q(bench, SRC, 'SYST:COMM:SER:SEND ":SENS:VOLT:NPLC 2"')
    assert float(q(bench, NV, "SENS:VOLT:NPLC?")) == 2.0
    bench.emulators[SRC].nanovoltmeter = None
    assert q(bench, SRC, "SOUR:PDEL:NVPR?") == "0"
    q(bench, SRC, "SOUR:PDEL:ARM")
    assert errors(bench, SRC) == [-241]
    assert q(bench, SRC, "SOUR:PDEL:ARM?") == "0"


def test_pymeasure_drivers_through_pyvisa():
    pyvisa = pytest.importorskip("pyvisa")
    from pymeasure.instruments.keithley import Keithley2182, Keithley6221

    rm = pyvisa.ResourceManager(SPINE_LIB)
    try:
        k = Keithley6221(rm.open_resource(SRC))
        nv = Keithley2182(rm.open_resource(NV))
        k.reset()
        nv.reset()
        assert "MODEL 6221" in k.id and "MODEL 2182A" in nv.id
        k.source_compliance = 20
        k.source_range = 2e-3
        k.source_current = 1e-3
        k.enable_source()
        assert k.source_enabled is True
        assert k.shield_to_guard_enabled is False and k.output_low_grounded is False
        k.shield_to_guard_enabled = True
        assert k.shield_to_guard_enabled is True
        nv.ch_1.setup_voltage(nplc=1)
        v = nv.voltage
        assert v == pytest.approx(1e-3 * 2.05, abs=100e-9)
        k.disable_source()
        # pulse delta through SCPI the driver does not wrap
        k.write("SOUR:PDEL:HIGH 1e-3;LOW 0;COUN 5;:SOUR:PDEL:ARM")
        assert k.ask("SOUR:PDEL:NVPR?").strip() == "1"
        k.write("INIT:IMM")
        assert k.ask("*OPC?").strip() == "1"   # the run fills the buffer as the clock moves
        data = k.delta_values
        assert len(data) == 10
        assert np.mean(data[::2]) == pytest.approx(2.05e-3, abs=200e-9)
        k.delta_abort()
        assert k.check_errors() == [] and nv.check_errors() == []
    finally:
        rm.close()
