"""Keysight 33500B emulator: accepts/rejects like the guide, levels vs termination, triggered
bursts drive the device through 50 ohm for exactly the pulse width; qcodes' unmodified
Keysight33522B driver switches the sot-hallbar Hall bar through ``@spinbench``."""
from __future__ import annotations

import pytest
import pyvisa

from spinbench.sim_backend.devices import SotHallBarSpine
from spinbench.sim_backend.emulators.keysight_33500b import Keysight33500B
from spinbench.sim_backend.world import SimWorld

from emu_io import ask

GEN = "USB0::0x0957::0x2C07::MY12345678::INSTR"
SMU = "USB0::0x05E6::0x2450::04096331::INSTR"
BOP = "GPIB0::6::INSTR"


class Recorder:
    """Records set_source calls (time, amps) while delegating to the world."""

    def __init__(self, world):
        self.world = world
        self.events: list[tuple[float, float | None]] = []
        original_set, original_off = world.set_source, world.set_source_off

        def set_source(name, port, amps):
            self.events.append((world.now, amps))
            original_set(name, port, amps)

        def set_source_off(name):
            self.events.append((world.now, None))
            original_off(name)
        world.set_source, world.set_source_off = set_source, set_source_off


@pytest.fixture
def gen():
    world = SimWorld(SotHallBarSpine(), seed=3)
    return Keysight33500B(world, GEN, {"connect": {"output": "channel"}})


def test_identity_and_reset_defaults(gen):
    assert ask(gen, "*IDN?") == "Agilent Technologies,33522B,MY12345678,4.00-1.19-2.00-52-00"
    assert ask(gen, "FUNC?;:FUNC:PULS:WIDT?;:FUNC:PULS:PER?;:OUTP1:LOAD?;:VOLT?;:OUTP?") == \
        "SIN;+1.000000000000000E-04;+1.000000000000000E-03;+5.000000000000000E+01;+1.000000000000000E-01;0"
    assert ask(gen, "SOUR2:BURS:STAT?;:TRIG2:SOUR?;:SOUR2:BURS:NCYC?") == "0;IMM;+1"
    assert ask(gen, "SYST:ERR?") == '+0,"No error"' or ask(gen, "SYST:ERR?").startswith("0")


def test_refusals_like_the_guide(gen):
    ask(gen, "*CLS")
    for bad, code in (("FUNC:PULS:WIDT 10e-9", -222), ("FUNC:PULS:WIDT 2e6", -222),
                      ("FUNC:PULS:TRAN 5e-9", -222), ("FUNC:PULS:TRAN 2e-6", -222),
                      ("FUNC:PULS:PER 20e-9", -222), ("VOLT 11", -222), ("VOLT 0.5e-3", -222),
                      ("VOLT:HIGH 5.5", -222), ("OUTP1:LOAD 0.5", -222), ("BURS:NCYC 0", -222),
                      ("FUNC PULSX", -224), ("SOUR3:VOLT 1", -114), ("FUNC:PULS:WIDTX 1", -113)):
        before = dict(gen.ch[1])
        ask(gen, bad)
        assert ask(gen, "SYST:ERR?").startswith(f"{code},"), bad
        assert gen.ch[1] == before, bad          # refused: nothing changed
    assert ask(gen, "SYST:ERR?") == '0,"No error"'


def test_coupled_settings_are_adjusted_with_settings_conflict(gen):
    ask(gen, "FUNC PULS;:FUNC:PULS:PER 1e-3;:FUNC:PULS:WIDT 2e-3")
    assert ask(gen, "SYST:ERR?").startswith("-221,")
    assert float(ask(gen, "FUNC:PULS:WIDT?")) == pytest.approx(1e-3 - 16e-9)
    ask(gen, "FUNC:PULS:WIDT 100e-6;:FUNC:PULS:PER 50e-6")
    assert ask(gen, "SYST:ERR?").startswith("-221,")
    assert float(ask(gen, "FUNC:PULS:WIDT?")) == pytest.approx(50e-6 - 16e-9)
    # edges must fit the width (<= 0.625 W): a 16 ns pulse keeps edges <= 10 ns
    ask(gen, "FUNC:PULS:TRAN 1e-6;:FUNC:PULS:WIDT 16e-9")
    assert ask(gen, "SYST:ERR?").startswith("-221,")
    assert float(ask(gen, "FUNC:PULS:TRAN:LEAD?")) == pytest.approx(10e-9)
    # high below low moves low 1 mV under it
    ask(gen, "VOLT:HIGH 1;:VOLT:LOW 0;:VOLT:HIGH -0.5")
    assert ask(gen, "SYST:ERR?").startswith("-221,")
    assert float(ask(gen, "VOLT:LOW?")) == pytest.approx(-0.501)
    assert ask(gen, "SYST:ERR?") == '0,"No error"'


def test_termination_rescales_displayed_levels_not_the_output(gen):
    ask(gen, "VOLT 10;:VOLT:OFFS 0")
    ask(gen, "OUTP:LOAD INF")
    assert float(ask(gen, "VOLT?")) == pytest.approx(20.0)        # high-Z doubles
    assert float(ask(gen, "OUTP:LOAD?")) == 9.9e37
    ask(gen, "VOLT 15")                                             # valid into high Z only
    ask(gen, "OUTP:LOAD 50")
    assert float(ask(gen, "VOLT?")) == pytest.approx(7.5)
    ask(gen, "VOLT 15")
    assert ask(gen, "SYST:ERR?").startswith("-222,")


def test_triggered_burst_drives_emf_over_50_ohm_plus_device_for_the_width(gen):
    world = gen.world
    rec = Recorder(world)
    r = world.port_resistance("channel")
    ask(gen, "FUNC PULS;:FUNC:PULS:WIDT 10e-6;:FUNC:PULS:PER 30e-6;:VOLT:HIGH 2;:VOLT:LOW 0;"
             ":BURS:MODE TRIG;:BURS:NCYC 3;:TRIG:SOUR BUS;:BURS:STAT ON;:OUTP ON")
    assert world.source_current("channel") == 0.0                  # idle at the 0 V low level
    rec.events.clear()
    ask(gen, "*TRG;*OPC?")                                         # *OPC? waits for the burst
    pulses = [(t, a) for t, a in rec.events if a]
    assert len(pulses) == 3
    i_pulse = 2 * 2.0 / (50 + r)                                   # LOAD 50: EMF = 2 V_set
    assert all(a == pytest.approx(i_pulse) for _, a in pulses)
    starts = [t for t, _ in pulses]
    assert starts[1] - starts[0] == pytest.approx(30e-6) and starts[2] - starts[1] == pytest.approx(30e-6)
    ends = [t for t, a in rec.events if a == 0.0 and t > starts[0]]
    assert ends[0] - starts[0] == pytest.approx(10e-6)
    assert gen.bursts_fired[1] == 1 and world.source_current("channel") == 0.0
    # inverted polarity mirrors about the offset: rests at HIGH (0 V), pulses to LOW
    ask(gen, "OUTP:LOAD INF;:VOLT:LOW -3;:VOLT:HIGH 0;:OUTP:POL INV;:BURS:NCYC 1")
    rec.events.clear()
    ask(gen, "*TRG;*OPC?")
    assert [a for _, a in rec.events if a] == [pytest.approx(-3.0 / (50 + r))]
    # EXTernal triggers are not wired: *TRG does nothing
    ask(gen, "TRIG:SOUR EXT")
    rec.events.clear()
    ask(gen, "*TRG;*OPC?")
    assert rec.events == []
    assert ask(gen, "SYST:ERR?") == '0,"No error"'


def test_free_running_pulse_train_drives_the_mean(gen):
    r = gen.world.port_resistance("channel")
    ask(gen, "FUNC PULS;:FUNC:PULS:PER 1e-3;:FUNC:PULS:WIDT 100e-6;:VOLT:HIGH 1;:VOLT:LOW 0;:OUTP ON")
    assert gen.world.source_current("channel") == pytest.approx(0.1 * 2.0 / (50 + r))
    ask(gen, "OUTP OFF")
    assert "USB0::0x0957::0x2C07::MY12345678::INSTR#1" not in gen.world.sources


def _hall(inst):
    return float(inst.query(":READ?"))


def test_qcodes_driver_single_100us_pulse_switches_the_hall_bar_small_one_does_not():
    from qcodes.instrument_drivers.Keysight import Keysight33522B

    rm = pyvisa.ResourceManager("sot-hallbar@spinbench")
    gen = None
    try:
        world = rm.visalib.world
        magnet = rm.open_resource(BOP, read_termination="\n", write_termination="\n")
        magnet.write("FUNC:MODE CURR;CURR 1;OUTP ON")              # Bx = +10 mT
        for _ in range(10_000):
            if abs(float(magnet.query("MEAS:CURR?")) - 1.0) < 1e-3:
                break
        smu = rm.open_resource(SMU, read_termination="\n", write_termination="\n")
        smu.write(':SOUR:FUNC CURR;:SENS:FUNC "VOLT";:SENS:VOLT:RSEN ON;:SOUR:CURR:VLIM 20;'
                  ':SOUR:CURR 1e-4')

        def hall():
            smu.write(":OUTP ON")
            v = float(smu.query(":READ?"))
            smu.write(":OUTP OFF")
            return v

        gen = Keysight33522B("pulsegen_test", GEN, visalib="sot-hallbar@spinbench")
        ch = gen.ch1
        ch.function_type("PULS")
        gen.write("SOUR1:FUNC:PULS:PER 1e-3")
        ch.pulse_width(100e-6)
        ch.burst_mode("N Cycle")
        ch.burst_ncycles(1)
        ch.trigger_source("BUS")
        ch.burst_state("ON")

        def pulse(volts):
            if volts < 0:
                gen.write(f"SOUR1:VOLT:LOW {volts}")
                gen.write("SOUR1:VOLT:HIGH 0")
                ch.output_polarity("INV")
            else:
                gen.write(f"SOUR1:VOLT:HIGH {volts}")
                gen.write("SOUR1:VOLT:LOW 0")
                ch.output_polarity("NORM")
            ch.output("ON")
            t0 = world.now
            gen.force_trigger()
            dt = world.now - t0
            ch.output("OFF")
            return dt

        start = hall()
        dev = world.device                    # W/CoFeB: I50(100 us) = 5.9 mA at Bx = 10 mT
        volts = 5.0                           # the 33522B's largest level into 50 ohm: EMF 10 V,
        assert 10.0 / 1550 > 1.08 * dev.switching_current_50(0.01, 100e-6)  # 6.45 mA into 1.5 kohm
        big = -volts if start < 0 else volts  # xi_DL < 0: m_z = -sign(I Bx)
        dt = pulse(big)
        assert 100e-6 <= dt < 100e-6 + 2e-3   # the width plus bus/command time, no wall time
        flipped = hall()
        # V_H = I (R_AHE m_z + R_offset): the sign of m_z flips, a 2 I R_AHE m_z step
        mz = (1 - (0.01 / dev.p.b_k_eff) ** 2) ** 0.5
        assert flipped * start < 0 and abs(flipped - start) == pytest.approx(2 * 1e-4 * dev.p.r_ahe * mz, rel=1e-3)
        pulse(-0.4 * big)                     # 0.4 x 1.5 I50 the other way: below threshold
        assert hall() == pytest.approx(flipped, abs=2e-6)
        pulse(-big)
        assert hall() == pytest.approx(start, abs=2e-6)
        assert gen.error() == (0, "No error")
    finally:
        if gen is not None:
            gen.close()
        rm.close()
