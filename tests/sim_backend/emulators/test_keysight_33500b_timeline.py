"""A triggered 33500B burst on the world's timeline (issue 16): ``*TRG`` returns at once and the
pulses happen as the world clock reaches them, so readings another instrument takes meanwhile
see the pulse of their own moment; ``*OPC?`` waits for the last edge; a setting change stops
the burst.

Oracles: the programmed timing (``TRIG:DEL``, width, period, ``NCYC``) from the world-clock time
at which the 33500B executed ``*TRG`` (the command log, plus its bus and parse time), against the
2450's own reading time stamps; the pulse current from the circuit law e / (50 ohm + R_channel)
with e the open-circuit level (twice the programmed level at the 50 ohm load setting), times the
Hall transfer resistance the 2450 measured itself with a DC current beforehand (the spine Hall
bar is linear in the current).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import pyvisa

from emu_io import SPINE_LIB, open_lf
from spinbench.sim_backend.timeline import Process

GEN, SMU = "USB0::0x0957::0x2C07::MY12345678::INSTR", "USB0::0x05E6::0x2450::04096331::INSTR"
EPOCH = 1_704_067_200
WIDTH, PERIOD, COUNT, DELAY, HIGH = 5e-3, 20e-3, 4, 2e-3, 0.2
#: a reading's window ends at its time stamp and lasts NPLC 0.01 at 60 Hz plus the A/D overhead
WINDOW = 0.01 / 60 + 2e-4
#: how far a window must be from an edge to be classified (bus and parse times of *TRG)
MARGIN = 1e-3
#: reading noise at NPLC 0.01 on the 200 mV range: 1.5 ppm of range / sqrt(NPLC) (the
#: emulator's specification figure), plus far smaller Johnson noise
SIGMA = 1.5e-6 * 0.2 / 0.1


@pytest.fixture
def bench():
    rm = pyvisa.ResourceManager(SPINE_LIB)            # virtual clock (tests/conftest.py)
    gen, smu = open_lf(rm, GEN), open_lf(rm, SMU)
    gen.write(f"FUNC PULS;:FUNC:PULS:PER {PERIOD};:FUNC:PULS:WIDT {WIDTH};:VOLT:HIGH {HIGH};"
              f":VOLT:LOW 0;:BURS:MODE TRIG;:BURS:NCYC {COUNT};:TRIG:SOUR BUS;:TRIG:DEL {DELAY};"
              ":BURS:STAT ON;:OUTP ON")
    smu.write(':SOUR:FUNC CURR;:SENS:FUNC "VOLT";:SENS:VOLT:RSEN ON;:SENS:VOLT:NPLC 0.01;'
              ':SENS:VOLT:RANG 0.2;:SOUR:CURR:DEL 0;:SOUR:CURR:VLIM 20;:SOUR:CURR 1e-3;:OUTP ON')
    yield rm, gen, smu
    rm.close()


def _read(smu) -> tuple[float, float]:
    v, sec, frac = smu.query(':READ? "defbuffer1", READ, SEC, FRAC').split(",")
    return float(v), int(sec) + float(frac) - EPOCH


def test_readings_during_a_burst_see_the_pulse_of_their_moment(bench):
    rm, gen, smu = bench
    world = rm.visalib.world
    smu.write(":SENS:VOLT:NPLC 1")
    r_xy = _read(smu)[0] / 1e-3                       # Hall transfer resistance, DC 1 mA
    smu.write(":SOUR:CURR 0;:SENS:VOLT:NPLC 0.01")    # the 2450 now only measures, fast
    i_pulse = 2 * HIGH / (50.0 + world.port_resistance("channel"))
    gen.write("*TRG")
    address = rm.visalib.emulator(GEN).address
    t_trg = [r.t for r in world.log if r.address == address][-1]
    assert world.now - t_trg < 1e-3                   # the trigger returned at once
    readings = []
    while world.now < t_trg + DELAY + COUNT * PERIOD + 10e-3:
        readings.append(_read(smu))
    assert gen.query("*OPC?") == "1"
    v, t = np.array(readings).T
    start = t - WINDOW
    edges = t_trg + DELAY + PERIOD * np.arange(COUNT)
    inside = np.zeros(len(t), bool)
    outside = np.ones(len(t), bool)
    for e in edges:
        inside |= (start >= e + MARGIN) & (t <= e + WIDTH - MARGIN)
        outside &= (t <= e - MARGIN) | (start >= e + WIDTH + MARGIN)
    seen = [np.count_nonzero(inside & (start >= e) & (t <= e + WIDTH)) for e in edges]
    assert all(n >= 3 for n in seen), seen            # every pulse was caught several times
    assert i_pulse * r_xy > 30 * SIGMA
    assert v[inside] == pytest.approx(np.full(inside.sum(), i_pulse * r_xy), abs=5 * SIGMA)
    assert np.all(np.abs(v[outside]) < 5 * SIGMA)
    assert np.count_nonzero(outside & (start >= edges[-1] + WIDTH)) >= 5   # and nothing after
    assert int(gen.query("SYST:ERR?").split(",")[0]) == 0


def test_a_trigger_during_a_burst_is_ignored_and_a_setting_change_stops_it(bench):
    rm, gen, _ = bench
    world = rm.visalib.world
    emu = rm.visalib.emulator(GEN)

    def pulse_current() -> float:                     # the generator's own output into the channel
        return world.sources.get(emu._source_name(1), ("", 0.0))[1]
    gen.write("*TRG")
    gen.write("*TRG")                                 # the first burst is still running
    assert emu.bursts_fired[1] == 1
    t0 = world.now
    assert gen.query("*OPC?") == "1"
    assert world.now - t0 == pytest.approx(DELAY + (COUNT - 1) * PERIOD + WIDTH, abs=2e-3)
    gen.write("*TRG")
    world.advance(DELAY + WIDTH / 2)                  # in the first pulse
    assert pulse_current() > 0
    gen.write(":VOLT:HIGH 0.1")                       # a new level: the burst stops, output idles
    assert pulse_current() == 0.0
    world.advance(COUNT * PERIOD)
    assert pulse_current() == 0.0 and emu.operations() == ()


class Probe(Process):
    """A test scope on the world's timeline: the generator's current every ``dt`` seconds."""

    def __init__(self, world, name: str, dt: float, n: int):
        self.world, self.name, self.dt, self.left = world, name, dt, n
        self.samples: list[tuple[float, float]] = []
        self.next_time = -math.inf

    def fire(self, world) -> None:
        self.samples.append((world.now, world.sources.get(self.name, ("", 0.0))[1]))
        self.left -= 1
        self.next_time = world.now + self.dt if self.left > 0 else math.inf


def test_bursts_the_generator_repeats_itself_are_resolved_pulse_by_pulse(bench):
    """``TRIG:SOUR IMM``: NCYC pulses every BURS:INT:PER, each its programmed width, idle (0 A)
    between them -- not their duty-cycle mean -- while the output is on; *OPC? does not wait for
    them; beyond MAX_EDGE_RATE edges per second the world sees the mean."""
    rm, gen, _ = bench
    world = rm.visalib.world
    emu = rm.visalib.emulator(GEN)
    name = emu._source_name(1)
    width, period, ncyc, repeat = 100e-6, 300e-6, 2, 10e-3
    gen.write(f":OUTP OFF;:FUNC:PULS:PER {period};:FUNC:PULS:WIDT {width};:BURS:NCYC {ncyc};"
              f":TRIG:DEL 0;:BURS:INT:PER {repeat};:TRIG:SOUR IMM;:OUTP ON")
    t_on = world.now                                  # the last unit (OUTP ON) started the bursts
    assert gen.query("*OPC?") == "1"                  # repeated bursts are no pending operation
    i_pulse = 2 * HIGH / (50.0 + world.port_resistance("channel"))
    probe = world.start(Probe(world, name, 20e-6, 2000))   # 40 ms at 20 us
    world.advance(0.041)
    t, amps = np.array(probe.samples).T
    phase = (t - t_on) % repeat
    in_pulse = np.zeros(len(t), bool)
    clear = np.ones(len(t), bool)
    for j in range(ncyc):
        start = j * period
        in_pulse |= (phase > start + 5e-6) & (phase < start + width - 5e-6)
        clear &= (phase < start - 5e-6) | (phase > start + width + 5e-6)
    assert np.count_nonzero(in_pulse) > 30 and np.count_nonzero(clear) > 1500
    assert amps[in_pulse] == pytest.approx(np.full(in_pulse.sum(), i_pulse), rel=1e-9)
    assert np.all(amps[clear] == 0.0)
    # far faster repetition: the duty-cycle mean, no process on the timeline
    gen.write(":BURS:NCYC 1;:FUNC:PULS:PER 1e-5;:FUNC:PULS:WIDT 1e-6;:BURS:INT:PER 2e-5")
    assert emu._trains == {}
    assert world.sources[name][1] == pytest.approx(i_pulse * 1e-6 / 2e-5, rel=1e-6)
