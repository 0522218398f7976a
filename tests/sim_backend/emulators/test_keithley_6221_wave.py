"""6221 waveform function generator (SOUR:WAVE): the current the device sees, against the
analytic waveform (mean and rms of a sine, mean of a square of duty D), the coupled limits and
the arm / abort states (622x Reference Manual, section 6 and the SOURce summary)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from spinbench.sim_backend import benches

from emu_io import ask, scpi_errors, spine_bench_copy

SRC = "GPIB0::12::INSTR"


@pytest.fixture
def bench(tmp_path):
    return benches.build(str(spine_bench_copy(tmp_path)))


def record_source(world):
    """Every (time, amps) the 6221 puts on the world, in order."""
    events = []
    original = world.set_source

    def spy(name, port, amps):
        if name == SRC:
            events.append((world.now, amps))
        original(name, port, amps)
    world.set_source = spy
    return events


def test_finite_sine_drives_the_device_with_its_mean_and_rms(bench):
    emu, world = bench.emulators[SRC], bench.world
    amp, f, cycles = 1e-3, 1e3, 5
    ask(emu, f"SOUR:WAVE:FUNC SIN;:SOUR:WAVE:FREQ {f};:SOUR:WAVE:AMPL {amp};:SOUR:WAVE:OFFS 0")
    ask(emu, f"SOUR:WAVE:DUR:CYCL {cycles}")
    assert float(ask(emu, "SOUR:WAVE:DUR:TIME?")) == pytest.approx(cycles / f)
    ask(emu, "SOUR:WAVE:ARM")
    events = record_source(world)
    t0 = world.now
    ask(emu, "SOUR:WAVE:INIT")
    assert scpi_errors(emu) == []
    # the run: piecewise-constant samples, each held until the next one
    times = np.array([t for t, _ in events])
    levels = np.array([a for _, a in events])
    run = slice(0, len(levels) - 1)         # the last event returns to the offset
    held = np.diff(times)
    assert held.sum() == pytest.approx(cycles / f, rel=1e-6)
    mean = np.sum(levels[run] * held) / held.sum()
    rms = math.sqrt(np.sum(levels[run] ** 2 * held) / held.sum())
    assert abs(mean) < 1e-3 * amp                       # a sine has zero mean
    assert rms == pytest.approx(amp / math.sqrt(2), rel=5e-3)   # and rms A / sqrt(2)
    assert levels[-1] == 0.0                            # back at the offset afterwards
    assert world.now - t0 >= cycles / f
    assert world.sources[SRC][1] == 0.0


def test_free_running_square_drives_its_duty_cycle_mean(bench):
    emu, world = bench.emulators[SRC], bench.world
    amp, offset, duty = 2e-3, 0.5e-3, 25.0
    ask(emu, f"SOUR:WAVE:FUNC SQU;:SOUR:WAVE:AMPL {amp};:SOUR:WAVE:OFFS {offset};:SOUR:WAVE:DCYC {duty}")
    ask(emu, "SOUR:WAVE:ARM;:SOUR:WAVE:INIT")
    assert scpi_errors(emu) == []
    # +A for D of the period and -A for the rest: offset + A (2 D - 1)
    assert world.sources[SRC][1] == pytest.approx(offset + amp * (2 * duty / 100 - 1))


def test_amplitude_and_offset_are_coupled_and_refused_beyond_105_mA(bench):
    emu = bench.emulators[SRC]
    ask(emu, "SOUR:WAVE:AMPL 0.1")
    ask(emu, "SOUR:WAVE:OFFS 0.01")
    assert scpi_errors(emu) == [-222]
    assert float(ask(emu, "SOUR:WAVE:OFFS?")) == 0.0
    ask(emu, "SOUR:WAVE:FREQ 2e5")
    assert scpi_errors(emu) == [-222]
    assert float(ask(emu, "SOUR:WAVE:FREQ?")) == 1e3


def test_arm_and_abort_restore_the_dc_state(bench):
    emu, world = bench.emulators[SRC], bench.world
    ask(emu, "SOUR:WAVE:INIT")
    assert scpi_errors(emu) == [-221]                   # not armed
    ask(emu, "SOUR:WAVE:OFFS 1e-4;:SOUR:WAVE:ARM")
    assert ask(emu, "SOUR:WAVE:ARM?") == "1"
    assert world.sources[SRC][1] == pytest.approx(1e-4)  # armed: output on at the offset
    ask(emu, "SOUR:WAVE:ABOR")
    assert SRC not in world.sources                     # back to the output-off DC state
    assert ask(emu, "SOUR:WAVE:ARM?") == "0"


def test_user_arbitrary_waveform_mean(bench):
    emu, world = bench.emulators[SRC], bench.world
    ask(emu, "SOUR:WAVE:ARB:DATA 1,1,1,-1")
    ask(emu, "SOUR:WAVE:ARB:COPY 2;:SOUR:WAVE:FUNC ARB2;:SOUR:WAVE:AMPL 1e-3")
    assert int(ask(emu, "SOUR:WAVE:ARB:POIN?")) == 4
    ask(emu, "SOUR:WAVE:ARM;:SOUR:WAVE:INIT")
    assert scpi_errors(emu) == []
    assert world.sources[SRC][1] == pytest.approx(0.5e-3)   # mean of (1, 1, 1, -1) x 1 mA
    ask(emu, "SOUR:WAVE:ARB:DATA 1.5")
    assert scpi_errors(emu) == [-222]
