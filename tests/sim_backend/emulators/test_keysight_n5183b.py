"""N5183B MXG emulator: SCPI forms and units, ranges per option, the tone reaching the world
with the cable loss, step sweeps on the world clock; qcodes' unmodified driver via pyvisa."""
from __future__ import annotations

import math

import pytest

from spinbench.sim_backend import benches
from spinbench.sim_backend.devices import make_device
from spinbench.sim_backend.emulators import make_emulator
from spinbench.sim_backend.world import SimWorld

from emu_io import ask as q

RF = "GPIB0::19::INSTR"


@pytest.fixture
def bench():
    return benches.build("lockin-hallbar")


def test_identity_options_and_preset(bench):
    emu = bench.emulators[RF]
    assert q(emu, "*IDN?") == "Agilent Technologies, N5183B, MY12345678, B.01.80"
    assert q(emu, "*OPT?") == "1E1,520,UNW"
    assert float(q(emu, "FREQ?")) == 20e9             # preset: top of option 520
    assert float(q(emu, "POW?")) == -130.0            # and the step attenuator's bottom
    assert q(emu, "OUTP?;OUTP:MOD?;FREQ:MODE?") == "0;1;CW"
    assert q(emu, "SYST:ERR?") == '+0,"No error"'
    assert bench.world.rf == (0.0, -math.inf)


def test_units_forms_and_ranges(bench):
    emu = bench.emulators[RF]
    emu.write(b":SOURce:FREQuency:CW 2.5 GHz\n")
    assert float(q(emu, "FREQ?")) == 2.5e9
    emu.write(b"sour:freq 100 MHZ\n")                 # MHZ is megahertz (SCPI-99 7.3.3)
    assert float(q(emu, "FREQ:CW?")) == 100e6
    emu.write(b"FREQ 500 kHz;:POW -12.345 dBm\n")
    assert float(q(emu, "FREQ?")) == 500e3 and float(q(emu, "POW?")) == -12.35
    emu.write(b"FREQ 50 kHz\n")                        # below 100 kHz (option 520)
    emu.write(b"FREQ 21 GHz\n")
    emu.write(b"POW 19.5\n")
    emu.write(b"sour:pow:lev:imm:ampl -131 DBM\n")
    assert q(emu, "SYST:ERR:ALL?") == ",".join(['-222,"Data out of range"'] * 4)
    assert float(q(emu, "FREQ?")) == 500e3 and float(q(emu, "POW?")) == -12.35
    emu.write(b"OUTP:BLAH ON\n")
    assert q(emu, "SYST:ERR?") == '-113,"Undefined header"'


def test_without_step_attenuator_power_stops_at_minus_20():
    world = SimWorld(make_device("sot_hallbar_spine", {}), seed=1)
    emu = make_emulator("keysight_n5183b", world, RF, {"options": "520"})
    assert float(q(emu, "POW?")) == -20.0
    emu.write(b"POW -25\n")
    assert q(emu, "SYST:ERR?") == '-222,"Data out of range"'


def test_output_reaches_the_world_with_cable_loss(bench):
    emu, world = bench.emulators[RF], bench.world
    emu.write(b"FREQ 5 GHZ;POW -3 DBM\n")
    assert world.rf == (0.0, -math.inf)                # output still off
    emu.write(b"OUTP ON\n")
    assert world.rf == (5e9, -5.0)                     # 2 dB cable
    assert world.drive().rf_power_dbm == -5.0 and world.drive().rf_frequency == 5e9
    t0 = world.now
    emu.write(b"FREQ 6 GHZ\n")
    assert world.rf == (6e9, -5.0) and world.now - t0 >= 600e-6   # synthesizer settling
    emu.write(b"OUTP OFF\n")
    assert world.rf == (0.0, -math.inf)
    emu.write(b"OUTP 1;*RST\n")
    assert world.rf == (0.0, -math.inf)                # preset: output off


def test_step_sweep_runs_on_the_world_clock(bench):
    emu, world = bench.emulators[RF], bench.world
    emu.write(b"POW -10;OUTP ON;INIT\n")               # CW: INIT ignored
    assert q(emu, "SYST:ERR?") == '-213,"Init ignored"'
    emu.write(b"FREQ:STAR 1 GHZ;STOP 2 GHZ;:SWE:POIN 11;DWEL 0.01;:LIST:TYPE STEP;:FREQ:MODE LIST\n")
    assert world.rf == (1e9, -12.0)                    # armed at the first point
    seen = []
    world_set_rf = world.set_rf
    world.set_rf = lambda name, f, p: (seen.append((round(world.now, 6), f)), world_set_rf(name, f, p))
    t0 = world.now
    emu.write(b"INIT\n")
    assert q(emu, "*OPC?") == "1"
    assert world.now - t0 >= 11 * 0.01
    assert [f for _, f in seen] == pytest.approx([1e9 + k * 1e8 for k in range(11)])
    steps = [b - a for (a, _), (b, _) in zip(seen, seen[1:])]
    assert min(steps) >= 0.01
    assert world.rf == (2e9, -12.0)                    # holds the last point
    emu.write(b"POW:MODE LIST;POW:STAR -20;POW:STOP 0\n")
    assert world.rf == (1e9, -22.0)
    emu.write(b"INIT\n")
    assert world.rf == (2e9, -2.0)
    emu.write(b"FREQ:MODE CW;POW:MODE FIX\n")
    assert world.rf == (float(q(emu, "FREQ?")), -12.0)     # back to the CW tone


def test_qcodes_n5183b_through_spinbench():
    pyvisa = pytest.importorskip("pyvisa")
    from qcodes.instrument_drivers.Keysight import KeysightN5183B

    rm = pyvisa.ResourceManager("lockin-hallbar@spinbench")
    inst = KeysightN5183B("mxg_emulator_test", RF, visalib="lockin-hallbar@spinbench")
    try:
        world = rm.visalib.world
        inst.power(-7.5)
        inst.frequency(3.2e9)
        assert world.rf == (0.0, -math.inf)
        inst.rf_output("on")
        assert world.rf == (3.2e9, -9.5)
        assert inst.power() == -7.5 and inst.frequency() == 3.2e9 and inst.rf_output() is True
        inst.pulse_modulation("on")                    # option UNW
        inst.pulse_modulation_source("internal")
        assert inst.pulse_modulation() is True
        inst.auto_freq_ref("on")
        inst.rf_output("off")
        assert world.rf == (0.0, -math.inf)
        assert inst.get_idn()["model"] == "N5183B"
        assert rm.visalib.bench.emulators[RF].errors == type(rm.visalib.bench.emulators[RF].errors)()
    finally:
        inst.close()
        rm.close()
