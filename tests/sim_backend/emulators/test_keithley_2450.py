"""Keithley 2450 emulator: Hall switching read 4-wire, compliance, refusals, buffers; qcodes driver."""
from __future__ import annotations

import pytest
from spinbench.sim_backend import benches

from emu_io import ask as _ask, settle_coil as _settle_coil, spine_bench_copy as sot_hallbar_file

BOP = "GPIB0::6::INSTR"
SMU = "USB0::0x05E6::0x2450::04096331::INSTR"


@pytest.fixture
def bench(tmp_path):
    return benches.build(str(sot_hallbar_file(tmp_path)))


def ask(bench, addr, text):
    return _ask(bench.emulators[benches.canonical(addr)], text)


def settle_coil(bench, amps):
    _settle_coil(bench.emulators[BOP], amps)


def pulse_and_read(bench, amps):
    """``amps`` for the 10 ms source delay (plus one 1-PLC reading), then read 4-wire at 0.1 mA."""
    ask(bench, SMU, f":SOUR:CURR:DEL 0.01;:SOUR:CURR {amps};:READ?")
    ask(bench, SMU, ":SOUR:CURR 1e-4")
    return float(ask(bench, SMU, ":READ?"))


def test_hall_sign_switches_with_current_at_positive_bx(bench):
    assert ask(bench, SMU, "*LANG?") == "SCPI"
    settle_coil(bench, 1.0)  # Bx = +10 mT
    ask(bench, SMU, ':SOUR:FUNC CURR;:SENS:FUNC "VOLT";:SENS:VOLT:RSEN ON;:SOUR:CURR:VLIM 20;'
                    ':SOUR:CURR 1e-4;:OUTP ON')
    expected = 1e-4 * (2.0 * (1 - (0.01 / 0.5) ** 2) ** 0.5)  # I R_AHE m_z of the spine model
    offset = 1e-4 * 0.05
    v_minus = pulse_and_read(bench, -5e-3)
    assert v_minus == pytest.approx(-expected + offset, abs=1e-6)
    v_plus = pulse_and_read(bench, 5e-3)
    assert v_plus == pytest.approx(expected + offset, abs=1e-6)
    assert pulse_and_read(bench, -5e-3) == pytest.approx(v_minus, abs=1e-6)
    # 2-wire reads the channel instead: I * R_channel
    assert float(ask(bench, SMU, ":SENS:VOLT:RSEN OFF;:READ?")) == pytest.approx(0.15, rel=1e-4)
    assert ask(bench, SMU, ":SYST:ERR?") == '0,"No error"'


def test_compliance_trips_and_limits_the_current(bench):
    ask(bench, SMU, ":SOUR:CURR:VLIM 15;:SOUR:CURR 0.1;:OUTP ON")
    assert ask(bench, SMU, ":SOUR:CURR:VLIM:TRIP?") == "1"
    assert bench.world.source_current("channel") == pytest.approx(15 / 1500)
    assert float(ask(bench, SMU, ':SENS:FUNC "CURR";:READ?')) == pytest.approx(0.01, rel=1e-4)
    ask(bench, SMU, ":OUTP OFF")
    assert bench.world.source_current("channel") == 0.0


def test_out_of_range_values_refused(bench):
    ask(bench, SMU, ":SOUR:CURR 1e-3")
    for bad in (":SOUR:CURR 1.2", ":SOUR:CURR:VLIM 300", ":SOUR:CURR:VLIM 0.01",
                ":SENS:VOLT:NPLC 20", ":SENS:VOLT:NPLC 0.001"):
        ask(bench, SMU, bad)
        assert ask(bench, SMU, ":SYST:ERR?") == '-222,"Data out of range"', bad
    assert float(ask(bench, SMU, ":SOUR:CURR?")) == 1e-3
    assert float(ask(bench, SMU, ":SOUR:CURR:VLIM?")) == 21.0
    ask(bench, SMU, ":SOUR:CURR:RANG 1e-3")
    ask(bench, SMU, ":SOUR:CURR 5e-3")  # beyond the fixed 1 mA range
    assert ask(bench, SMU, ":SYST:ERR?").startswith("-222")
    ask(bench, SMU, ":SOUR:BOGUS 1")
    assert ask(bench, SMU, ":SYST:ERR?") == '-113,"Undefined header"'


def test_buffer_elements_and_aperture(bench):
    ask(bench, SMU, ":SOUR:CURR 1e-4;:SENS:VOLT:NPLC 1;:COUN 3;:OUTP ON")
    t0 = bench.world.now
    ask(bench, SMU, ":SOUR:CURR:DEL 0;:READ?")
    assert bench.world.now - t0 >= 3 / 60  # three 1-PLC apertures at 60 Hz
    assert ask(bench, SMU, ':TRAC:ACT? "defbuffer1"') == "3"
    data = ask(bench, SMU, ':TRAC:DATA? 1, 3, "defbuffer1", READ, SOUR, UNIT').split(",")
    assert len(data) == 9 and data[2] == "Volt DC" and float(data[1]) == pytest.approx(1e-4)
    assert float(data[0]) == pytest.approx(0.15, rel=1e-4)  # 2-wire by default
    ask(bench, SMU, ":SENS:VOLT:RANG 0.02")  # fixed 20 mV range: 150 mV overflows
    assert float(ask(bench, SMU, ":READ?")) == 9.9e37


def test_qcodes_driver_over_spinbench(tmp_path):
    from qcodes.instrument_drivers.Keithley import Keithley2450

    lib = f"{sot_hallbar_file(tmp_path)}@spinbench"
    smu = Keithley2450("smu_emulator_test", SMU, visalib=lib)
    try:
        assert smu.IDN()["model"] == "2450"
        smu.source_function("current")
        smu.sense_function("voltage")
        assert smu.sense_function() == "voltage" and smu.source_function() == "current"
        smu.sense.four_wire_measurement(True)
        smu.source.limit(20)
        smu.source.current(1e-4)
        smu.output_enabled(True)
        v = smu.sense.voltage()
        assert abs(v) == pytest.approx(1e-4 * 2.0, rel=0.05)  # Hall voltage, Bx = 0
        smu.source.sweep_setup(-1e-4, 1e-4, 5)
        sweep = smu.sense.sweep()
        assert sweep == pytest.approx([-2.05e-4, -1.025e-4, 0.0, 1.025e-4, 2.05e-4], abs=1e-6)
        assert smu.line_frequency() == "60"  # qcodes gives no parser
        smu.output_enabled(False)
    finally:
        smu.close()


def test_list_sweep_pulse_is_timed_by_the_instrument(bench):
    """``:SOUR:LIST:CURR amp, low`` + ``:SOUR:SWE:CURR:LIST 1, 0``: the pulse point lasts the
    source delay plus one reading (NPLC 0.01 at 60 Hz plus the A/D overhead); the low point
    ends it; the output returns to its state before the sweep."""
    settle_coil(bench, 1.0)  # Bx = +10 mT
    ask(bench, SMU, ':SOUR:FUNC CURR;:SENS:FUNC "VOLT";:SENS:VOLT:RSEN ON;:SOUR:CURR:VLIM 20;'
                    ':SOUR:CURR 1e-4;:OUTP ON')
    v0 = float(ask(bench, SMU, ":READ?"))
    world = bench.world
    seen = []
    original = world.set_source

    def spy(name, port, amps):
        seen.append((world.now, amps))
        original(name, port, amps)
    world.set_source = spy
    ask(bench, SMU, ":SENS:VOLT:NPLC 0.01;:SOUR:CURR:DEL 1e-3;:SOUR:LIST:CURR -5e-3, 1e-4;"
                    ":SOUR:SWE:CURR:LIST 1, 0;:INIT;*WAI")
    world.set_source = original
    assert ask(bench, SMU, ":SOUR:LIST:CURR:POIN?") == "2"
    (t_on, a_on), (t_off, a_off) = seen[0], seen[1]
    assert a_on == pytest.approx(-5e-3) and a_off == pytest.approx(1e-4)
    assert t_off - t_on == pytest.approx(1e-3 + 0.01 / 60 + 2e-4, rel=1e-6)
    assert ask(bench, SMU, ":OUTP?") == "1" and bench.world.source_current("channel") == pytest.approx(1e-4)
    assert float(ask(bench, SMU, ":READ?")) * v0 < 0        # switched
    for bad, code in ((":SOUR:SWE:CURR:LIST 3, 0", -221), (":SOUR:SWE:CURR:LIST 1, 10e-6", -222),
                      (":SOUR:LIST:CURR 2", -222)):
        ask(bench, SMU, bad)
        assert ask(bench, SMU, ":SYST:ERR?").startswith(f"{code},"), bad
    assert ask(bench, SMU, ":SYST:ERR?") == '0,"No error"'
