"""33500B square duty cycle, ramp symmetry, arbitrary-waveform settings, trigger count/output
(33500 Series Operating and Service Guide, FUNCtion / TRIGger / OUTPut subsystems): what the
device sees (the free-running square's mean through 50 ohm) and what is refused."""
from __future__ import annotations

import pytest

from spinbench.sim_backend.devices import SotHallBarSpine
from spinbench.sim_backend.emulators.keysight_33500b import R_OUT, Keysight33500B
from spinbench.sim_backend.world import SimWorld

from emu_io import ask, scpi_errors

GEN = "USB0::0x0957::0x2C07::MY12345678::INSTR"


@pytest.fixture
def gen():
    world = SimWorld(SotHallBarSpine(), seed=3)
    return Keysight33500B(world, GEN, {"model_name": "33522B", "connect": {"output": "channel"}})


def test_square_duty_cycle_sets_the_mean_current(gen):
    world = gen.world
    # 2 Vpp displayed into the 50 ohm setting: 4 Vpp open-circuit; 20 % high
    ask(gen, "FUNC SQU;VOLT 2;VOLT:OFFS 0;FUNC:SQU:DCYC 20;OUTP ON")
    assert scpi_errors(gen) == []
    assert float(ask(gen, "FUNC:SQU:DCYC?")) == pytest.approx(20)
    r = world.port_resistance("channel")
    # +2 V EMF for 20 % of the period, -2 V for 80 %: mean EMF -1.2 V behind 50 ohm
    expected = 4.0 * (0.20 - 0.5) / (R_OUT + r)
    assert world.sources[f"{GEN}#1"][1] == pytest.approx(expected, rel=1e-9)
    ask(gen, "OUTP:POL INV")               # mirrored about the offset
    assert world.sources[f"{GEN}#1"][1] == pytest.approx(-expected, rel=1e-9)


def test_ramp_symmetry_and_arb_settings_are_kept_and_refused_out_of_range(gen):
    ask(gen, "FUNC:RAMP:SYMM 25;SOUR2:FUNC:ARB:SRAT 1e6;FUNC:ARB:FILT NORM;FUNC:ARB:ADV TRIG")
    assert scpi_errors(gen) == []
    assert float(ask(gen, "FUNC:RAMP:SYMM?")) == 25
    assert float(ask(gen, "SOUR2:FUNC:ARB:SRAT?")) == 1e6
    assert float(ask(gen, "SOUR1:FUNC:ARB:SRAT?")) == 40e3           # *RST value, per channel
    assert (ask(gen, "FUNC:ARB:FILT?"), ask(gen, "FUNC:ARB:ADV?")) == ("NORM", "TRIG")
    for cmd in ("FUNC:RAMP:SYMM 101", "FUNC:ARB:SRAT 300e6", "FUNC:ARB:FILT SMOOTH"):
        ask(gen, cmd)
        assert scpi_errors(gen) in ([-222], [-224]), cmd
    assert float(ask(gen, "FUNC:RAMP:SYMM?")) == 25


def test_only_waveforms_in_memory_can_be_selected(gen):
    assert ask(gen, "FUNC:ARB?") == '"INT:\\BUILTIN\\EXP_RISE.ARB"'
    ask(gen, 'FUNC:ARB "INT:\\BUILTIN\\SINC.ARB"')
    assert scpi_errors(gen) == []
    ask(gen, 'FUNC:ARB "INT:\\MY.ARB"')
    assert scpi_errors(gen) == [786]                              # "Arb waveform not found"
    assert ask(gen, "FUNC:ARB?") == '"INT:\\BUILTIN\\SINC.ARB"'


def test_trigger_count_and_output(gen):
    ask(gen, "TRIG2:COUN 5;OUTP:TRIG ON;OUTP:TRIG:SOUR CH2")
    assert float(ask(gen, "TRIG2:COUN?")) == 5
    assert float(ask(gen, "TRIG1:COUN?")) == 1
    assert (ask(gen, "OUTP:TRIG?"), ask(gen, "OUTP:TRIG:SOUR?")) == ("1", "CH2")
    ask(gen, "TRIG:COUN INF")
    assert float(ask(gen, "TRIG:COUN?")) == 9.9e37
    ask(gen, "FREQ:MODE SWE")
    assert scpi_errors(gen) == [-221]                             # sweeps are not emulated
    assert ask(gen, "FREQ:MODE?") == "CW"
