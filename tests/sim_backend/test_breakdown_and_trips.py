"""Faults of the physics and of the magnet supply, met at the VISA layer: a device destroyed by
over-voltage (open from then on), a Kepco BOP tripping its voltage protection, an instrument
power-cycled with no error reply, and the SR830 sine output in the safety extremes.

Oracles: Ohm's law for the breakdown threshold (V = I R of the bench file's channel
resistance) and for the sine-output current (manual "Sine Out": 50 ohm source impedance); the
Kepco manual's error text and the IEEE 488.2 PON bit for the supply and the power cycle."""
from __future__ import annotations

import math

import numpy as np
import pytest
import pyvisa
import yaml

from spinbench.instruments.bench import Bench
from spinbench.sim_backend.benches import SimBenchError, build
from spinbench.sim_backend.breakdown import R_OPEN, OpenCircuit, breakdown_voltages
from spinbench.sim_backend.visa_library import reset_benches

SRC, NVM, MAGNET, LOCKIN = "GPIB0::12::INSTR", "GPIB0::7::INSTR", "GPIB0::6::INSTR", "GPIB0::8::INSTR"
R_CHANNEL = 1500.0          # sot_hallbar preset: channel resistance (ohm)
#: the SR830's sine output (1 V rms after *RST) through 2 kohm + its 50 ohm + the channel:
#: its peak adds to any DC level in the channel
SINE_PEAK = math.sqrt(2) * 1.0 / (2000.0 + 50.0 + R_CHANNEL)


def _bench(tmp_path, faults, name="sot-hallbar"):
    data = yaml.safe_load(Bench.load(name).path.read_text())
    data["sim"]["faults"] = faults
    path = tmp_path / f"{name}-faulty.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture
def rm_for(tmp_path):
    opened = []

    def make(faults, name="sot-hallbar"):
        reset_benches()
        rm = pyvisa.ResourceManager(f"{_bench(tmp_path, faults, name)}?clock=virtual@spinbench")
        opened.append(rm)
        return rm

    yield make
    for rm in opened:
        rm.close()


def test_a_hall_bar_over_its_breakdown_voltage_is_an_open_circuit_from_then_on(rm_for):
    rm = rm_for([{"device": "dut", "kind": "breakdown", "voltage": 6.0}])
    world = rm.visalib.world
    assert world.port_resistance("channel") == pytest.approx(R_CHANNEL)
    src = rm.open_resource(SRC, read_termination="\n")
    nvm = rm.open_resource(NVM, read_termination="\n")
    src.write("SOUR:CURR:COMP 40;:SOUR:CURR 3.5e-3;:OUTP ON")   # (3.5 + 0.4) mA: 5.85 V, survives
    assert "dut" not in world.destroyed
    before = float(nvm.query(":SENS:CHAN 1;:READ?"))
    assert abs(before) > 1e-3                     # the Hall voltage of 3.5 mA (R_AHE ~ ohms)
    assert int(src.query("STAT:MEAS?")) & 0b1000 == 0
    src.write("SOUR:CURR 3.7e-3")                               # 6.15 V: destroyed
    assert world.destroyed["dut"] == pytest.approx((3.7e-3 + SINE_PEAK) * R_CHANNEL)
    assert isinstance(world.device, OpenCircuit)
    assert world.port_resistance("channel") == R_OPEN
    # a later, harmless level does not bring it back: the source sits in compliance
    src.write("SOUR:CURR 1e-3")
    assert int(src.query("STAT:MEAS?")) & 0b1000          # COMP (6221 measurement event bit 3)
    assert world.sources[SRC][1] == pytest.approx(40.0 / R_OPEN)
    after = float(nvm.query(":READ?"))
    # no current flows: no Hall voltage, only the (large) Johnson noise of an open input
    assert abs(after) < 0.1 * abs(before)
    assert world.snapshot()["device"]["destroyed"]


def test_breakdown_voltages_come_from_the_preset_and_the_bench_file_seeded():
    mtj = build("thermo-mtj").world
    (name,) = mtj.devices
    assert mtj.breakdown[name] == pytest.approx(mtj.devices[name].p.v_breakdown)
    assert build("sot-hallbar").world.breakdown == {}           # a Hall bar preset has none
    devices = {"dut": object()}
    a = breakdown_voltages(devices, [{"device": "dut", "kind": "breakdown", "voltage": 5.0,
                                      "spread": 0.1, "seed": 4}])
    b = breakdown_voltages(devices, [{"device": "dut", "kind": "breakdown", "voltage": 5.0,
                                      "spread": 0.1, "seed": 4}])
    c = breakdown_voltages(devices, [{"device": "dut", "kind": "breakdown", "voltage": 5.0,
                                      "spread": 0.1, "seed": 5}])
    assert a == b and a != c and abs(a["dut"] / 5.0 - 1) < 0.5


@pytest.mark.parametrize("entry, message", [
    ({"device": "nope", "kind": "breakdown", "voltage": 1.0}, "device 'nope' unknown"),
    ({"device": "dut", "kind": "breakdown", "voltage": -1.0}, "voltage = -1.0"),
    ({"device": "dut", "kind": "breakdown", "voltage": 1.0, "spread": 2}, "spread = 2.0"),
    ({"device": "dut", "kind": "breakdown", "volts": 1.0}, "unknown key"),
])
def test_malformed_breakdown_entries_are_refused_naming_the_field(tmp_path, entry, message):
    with pytest.raises(SimBenchError, match=message):
        build(str(_bench(tmp_path, [entry])))


def test_a_list_sweep_over_the_breakdown_voltage_destroys_the_device_at_its_level(rm_for):
    """The 6221's batched list sweep meets the breakdown at the first level over it."""
    rm = rm_for([{"device": "dut", "kind": "breakdown", "voltage": 6.0}])
    world = rm.visalib.world
    src = rm.open_resource(SRC, read_termination="\n")
    src.write("SOUR:SWE:SPAC LIST;:SOUR:LIST:CURR 1e-3,2e-3,3e-3,5e-3,1e-3;"
              ":SOUR:LIST:DEL 1e-3,1e-3,1e-3,1e-3,1e-3;:SOUR:LIST:COMP 40,40,40,40,40")
    src.write("SOUR:SWE:COUN 1;:SOUR:SWE:ARM;:INIT:IMM")
    src.query("*OPC?")
    assert world.destroyed["dut"] == pytest.approx((5e-3 + SINE_PEAK) * R_CHANNEL)


def test_the_magnet_supply_trips_off_with_the_manuals_error(rm_for):
    rm = rm_for([{"instrument": MAGNET, "kind": "trip", "at_command": 6}])
    world = rm.visalib.world
    bop = rm.open_resource(MAGNET, read_termination="\n")
    for cmd in ("FUNC:MODE CURR", "VOLT 10", "CURR 2", "OUTP ON"):       # commands 1..4
        bop.write(cmd)
    world.advance(1.0)
    assert world.coil_current("coil_x") == pytest.approx(2.0, abs=1e-6)
    assert bop.query("OUTP?") == "1"                                      # command 5
    assert int(bop.query("STAT:QUES:COND?")) & 1                          # 6: trips before it
    assert bop.query("OUTP?") == "0"
    assert bop.query("SYST:ERR?") == '304,"Voltage above Protection limit"'
    assert int(bop.query("STAT:QUES?")) & 1                               # latched ...
    assert int(bop.query("STAT:QUES?")) == 0                              # ... read clears
    world.advance(2.0)
    assert world.coil_current("coil_x") == pytest.approx(0.0, abs=1e-9)   # the field is gone
    bop.write("OUTP ON")                                                  # re-armed
    assert int(bop.query("STAT:QUES:COND?")) == 0
    world.advance(1.0)
    assert world.coil_current("coil_x") == pytest.approx(2.0, abs=1e-6)


def test_a_trip_on_an_instrument_without_protection_is_refused(rm_for):
    with pytest.raises((SimBenchError, ValueError), match="no output protection"):
        rm_for([{"instrument": NVM, "kind": "trip", "at_command": 3}])


def test_a_power_cycle_is_silent_but_sets_pon(rm_for):
    rm = rm_for([{"instrument": MAGNET, "kind": "reset", "at_command": 5}])
    bop = rm.open_resource(MAGNET, read_termination="\n")
    for cmd in ("*CLS", "FUNC:MODE CURR", "CURR 1", "OUTP ON"):
        bop.write(cmd)
    assert bop.query("OUTP?") == "0"                  # command 5: after the power cycle
    assert bop.query("FUNC:MODE?") == "0"             # voltage mode: the power-on default
    assert bop.query("SYST:ERR?").startswith("0,")    # no error reply
    assert int(bop.query("*ESR?")) == 128             # PON only (IEEE 488.2 11.5.1.1.2)
    assert int(bop.query("*ESR?")) == 0               # read and cleared


def test_the_sr830_sine_output_is_in_the_extremes(rm_for):
    rm = rm_for([])
    world = rm.visalib.world
    lockin = rm.open_resource(LOCKIN, read_termination="\n")
    lockin.write("SLVL 4.0")
    peak = math.sqrt(2) * 4.0 / (2000.0 + 50.0 + R_CHANNEL)          # sine out: 50 ohm source
    assert world.extremes.current == pytest.approx(peak, rel=1e-9)
    assert world.extremes.by["current"] == LOCKIN
    assert world.extremes.voltage == pytest.approx(peak * R_CHANNEL, rel=1e-9)


def test_the_sine_output_can_destroy_a_device_too(rm_for):
    # 5 V rms through 3550 ohm: 2.0 mA peak, 2.99 V across the channel
    rm = rm_for([{"device": "dut", "kind": "breakdown", "voltage": 2.5}])
    world = rm.visalib.world
    lockin = rm.open_resource(LOCKIN, read_termination="\n")
    assert "dut" not in world.destroyed                         # 1 V rms default: 0.6 V
    lockin.write("SLVL 5.0")
    assert world.destroyed["dut"] == pytest.approx(math.sqrt(2) * 5.0 / 3550.0 * R_CHANNEL)
    np.testing.assert_equal(world.port_resistance("channel"), R_OPEN)
