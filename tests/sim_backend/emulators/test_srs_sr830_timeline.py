"""The SR830 on the world's timeline (issue 16): a storage scan takes its samples as the clock
reaches them, so a magnet flip sent to another instrument mid-scan shows in the samples after it,
following the filter's step response from the moment of the flip; the auto gain takes its time
with Interface Ready clear and later commands queued behind it (manual 5-2); a VISA wait for
the service request of the scan's end (SCN) lasts what the one-shot buffer takes to fill.

Oracles: sample k is taken k/SRAT after the scan started (manual 5-13), the flip happens between
the magnet's command (the world's command log; less the tau/20 within which the emulator merges
changes) and the end of its L/R slew (< 10 ms), and a
6 dB/oct filter answers a step as 1 - exp(-t/tau); the auto gain's choice is the smallest full
scale above R computed from the Hall transfer resistance and the sine output's current.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import pyvisa
from pyvisa import constants

from emu_io import ask
from spinbench.sim_backend import benches

LIA, BOP = "GPIB0::8::INSTR", "GPIB0::6::INSTR"
SENSITIVITIES = (2e-9, 5e-9, 10e-9, 20e-9, 50e-9, 100e-9, 200e-9, 500e-9, 1e-6, 2e-6, 5e-6,
                 10e-6, 20e-6, 50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3, 20e-3,
                 50e-3, 100e-3, 200e-3, 500e-3, 1.0)          # manual 5-6
IFC, SCN = 1 << 1, 1 << 0
#: the emulator merges drive changes closer than tau/20 to its last look (srs_sr830 docs)
MERGE = 0.05


@pytest.fixture
def bench():
    return benches.build("lockin-hallbar")


def x_of(world) -> float:
    """X of the first harmonic: I_rms times the Hall transfer resistance (V_H / I)."""
    i_rms = 1.0 / (1e4 + 50 + world.port_resistance("channel"))
    return i_rms * world.port_voltage("hall", world.drive(current=1.0))


def test_a_magnet_flip_mid_scan_shows_in_the_samples_after_it(bench):
    emu, world, bop = bench.emulators[LIA], bench.world, bench.emulators[BOP]
    tau, rate, n = 0.03, 64.0, 40
    ask(emu, "OFLT 7;OFSL 0;SENS 18")                 # 30 ms, 6 dB/oct
    world.advance(3.0)
    x_up = x_of(world)
    ask(emu, "REST;SRAT 10;SEND 0;STRT")              # 64 Hz
    t_strt = [r.t for r in world.log if r.address == emu.address][-1]
    world.advance(0.25)
    bop.write(b"FUNC:MODE CURR;CURR -3;OUTP ON\n")    # -30 mT along z: the Hall bar flips
    t_cmd = world.log[-1].t
    world.advance(n / rate)
    ask(emu, "PAUS")
    assert world.device.m == -1.0
    x_down = x_of(world)
    values = np.array([float(v) for v in ask(emu, f"TRCA? 1,0,{n}").split(",")[:-1]])
    # sample k at t_strt + k/rate (plus the STRT message's bus and parse time, < 1 ms)
    for k, x in enumerate(values):
        bounds = []
        for t_start, t_flip in ((t_strt, t_cmd + 0.01), (t_strt + 1e-3, t_cmd - MERGE * tau)):
            age = t_start + k / rate - t_flip
            bounds.append(x_up if age <= 0 else x_down + (x_up - x_down) * math.exp(-age / tau))
        assert min(bounds) - 1e-7 <= x <= max(bounds) + 1e-7, (k, x, bounds)
    before = int((t_cmd - t_strt) * rate)
    assert values[:before] == pytest.approx(np.full(before, x_up), abs=1e-7)
    assert values[-1] == pytest.approx(x_down, rel=1e-3)


def test_auto_gain_takes_its_time_and_queues_later_commands(bench):
    emu, world = bench.emulators[LIA], bench.world
    ask(emu, "OFLT 9;SENS 26")                        # 300 ms, 1 V full scale
    world.advance(5.0)
    r = abs(x_of(world))
    emu.write(b"AGAN\n")
    t0 = world.now
    assert not emu.status_byte() & IFC                # Interface Ready clear: running
    polls = 0
    while not emu.serial_poll() & IFC:                # a serial-poll loop lets time pass
        polls += 1
    assert polls > 100 and world.now - t0 >= 5 * 0.3
    expected = next(i for i, s in enumerate(SENSITIVITIES) if r < 0.9 * s)
    assert int(ask(emu, "SENS?")) == expected
    # a query right after AGAN waits in the input buffer until the auto gain is done
    ask(emu, "SENS 26")
    t1 = world.now
    emu.write(b"AGAN;SENS?\n")
    out, _ = emu.read(100)
    assert int(out) == expected and world.now - t1 >= 5 * 0.3


def test_waiting_for_the_service_request_of_a_full_one_shot_buffer():
    rm = pyvisa.ResourceManager("lockin-hallbar@spinbench")
    try:
        lia = rm.open_resource(LIA, read_termination="\n", write_termination="\n")
        world = rm.visalib.world
        lia.write("REST;SRAT 13;SEND 0;*SRE 1")       # serial poll bit 0: no scan in progress
        lia.write("STRT")
        t0 = world.now
        assert not lia.read_stb() & SCN
        lia.enable_event(constants.EventType.service_request, constants.EventMechanism.queue)
        lia.wait_on_event(constants.EventType.service_request, 60_000)
        assert world.now - t0 == pytest.approx(16382 / 512, abs=2 / 512)
        assert lia.query("SPTS?") == "16383"
        with pytest.raises(pyvisa.VisaIOError):       # nothing more to come: the timeout runs out
            lia.write("*SRE 0")
            t1 = world.now
            lia.wait_on_event(constants.EventType.service_request, 2_000)
        assert world.now - t1 == pytest.approx(2.0, abs=1e-3)
        t2 = world.now                                # an endless wait nothing could end: at once
        with pytest.raises(pyvisa.VisaIOError, match="nothing scheduled"):
            lia.wait_on_event(constants.EventType.service_request, constants.VI_TMO_INFINITE)
        assert world.now == t2
    finally:
        rm.close()
