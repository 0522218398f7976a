"""The 2450's trigger model on the world's timeline (issue 16): ``:INIT`` of a source-list sweep
returns at once, each point sources, waits and measures when the world clock reaches it, so a
6221 current added to the same channel in the middle of the sweep shows from the point whose
reading starts after it; ``:TRAC:ACT?`` grows while a polling loop lets time pass; ``*OPC?``,
a service request on ``*OPC`` and ``:ABORt`` behave as at the bench.

Oracles: the 2450's own time stamps (``SEC``/``FRAC`` buffer elements) against the world-clock
time at which the 6221 received its command (the command log); the spine Hall bar is linear in
the current (V_H = I (R_AHE m_z + R_offset)), so a reading with 1 mA + 0.5 mA through the channel
is exactly 1.5 times one with 1 mA, whatever R_AHE and m_z are.
"""
from __future__ import annotations

import numpy as np
import pytest
import pyvisa
from pyvisa import constants

from emu_io import SPINE_LIB, open_lf

SMU, SRC = "USB0::0x05E6::0x2450::04096331::INSTR", "GPIB0::12::INSTR"
EPOCH = 1_704_067_200            # the emulator's time stamps count from here (world time 0)
N, DELAY = 20, 0.05              # points, sweep delay (s)
APERTURE = 1 / 60 + 2e-4         # NPLC 1 at 60 Hz plus the A/D overhead
ESR_OPC, RQS = 1, 1 << 6


@pytest.fixture
def bench():
    rm = pyvisa.ResourceManager(SPINE_LIB)            # virtual clock (tests/conftest.py)
    smu, src = open_lf(rm, SMU), open_lf(rm, SRC)
    smu.write(':SOUR:FUNC CURR;:SENS:FUNC "VOLT";:SENS:VOLT:RSEN ON;:SENS:VOLT:NPLC 1;'
              ':SOUR:CURR:DEL 0;:SOUR:CURR:VLIM 20')
    smu.write(":SOUR:LIST:CURR " + ", ".join(["1e-3"] * N))
    smu.write(f":SOUR:SWE:CURR:LIST 1, {DELAY}")
    yield rm, smu, src
    rm.close()


def _buffer(smu) -> tuple[np.ndarray, np.ndarray]:
    """(readings, their world-clock times) from the 2450's own buffer elements."""
    n = int(smu.query(":TRAC:ACT?"))
    fields = smu.query(f':TRAC:DATA? 1, {n}, "defbuffer1", READ, SEC, FRAC').split(",")
    values = np.array([float(v) for v in fields[0::3]])
    times = np.array([int(s) + float(f) - EPOCH for s, f in zip(fields[1::3], fields[2::3])])
    return values, times


def test_a_current_added_mid_sweep_shows_from_the_next_reading(bench):
    rm, smu, src = bench
    world = rm.visalib.world
    assert smu.query(":TRIG:STAT?").startswith("IDLE;IDLE;")
    smu.write(":INIT")
    t_init = world.now
    assert int(smu.query(":TRAC:ACT?")) <= 1                  # the sweep has only begun
    assert smu.query(":TRIG:STAT?").startswith("RUNNING;RUNNING;")
    polls = 0
    while int(smu.query(":TRAC:ACT?")) < N // 2:              # a polling loop lets time pass
        polls += 1
    assert polls > 10
    src.write("SOUR:CURR 5E-4;:OUTP ON")                      # 0.5 mA more into the channel
    t_cmd = [r.t for r in world.log if r.address == SRC][-1]
    assert smu.query("*OPC?") == "1"                          # waits for the sweep
    assert smu.query(":TRIG:STAT?") == f"IDLE;IDLE;{N + 1}"
    values, times = _buffer(smu)
    assert len(values) == N
    before, after = times <= t_cmd, times - APERTURE >= t_cmd
    assert np.count_nonzero(~before & ~after) <= 1            # at most one reading straddles it
    assert N // 2 <= int(np.argmax(after)) <= N // 2 + 2
    base = values[before].mean()
    assert values[before] == pytest.approx(np.full(before.sum(), base), rel=1e-4)
    assert values[after] == pytest.approx(np.full(after.sum(), 1.5 * base), rel=1e-4)
    # every point took its delay and its reading; the output is back off after the sweep
    assert world.now - t_init >= N * (DELAY + APERTURE)
    assert np.all(np.diff(times) >= DELAY + APERTURE - 1e-6)       # stamps: 1e-7 s at 2024 epochs
    assert smu.query(":OUTP?") == "0"


def test_opc_requests_service_when_the_sweep_ends(bench):
    rm, smu, _ = bench
    world = rm.visalib.world
    smu.write("*ESE 1;*SRE 32;*CLS")                          # OPC -> ESB -> RQS
    t0 = world.now
    smu.write(":INIT;*OPC")
    assert not smu.read_stb() & RQS                           # still sweeping
    srq = constants.EventType.service_request
    smu.enable_event(srq, constants.EventMechanism.queue)
    smu.wait_on_event(srq, 10_000)                            # the world runs until the request
    smu.disable_event(srq, constants.EventMechanism.queue)
    assert world.now - t0 >= N * (DELAY + APERTURE)
    assert world.now - t0 < N * (DELAY + APERTURE) + 0.05
    assert int(smu.query("*ESR?")) & ESR_OPC
    assert int(smu.query(":TRAC:ACT?")) == N


def test_abort_stops_the_sweep_and_restores_the_source(bench):
    rm, smu, _ = bench
    world = rm.visalib.world
    smu.write(":SOUR:CURR 2e-4;:OUTP OFF;:INIT")
    while int(smu.query(":TRAC:ACT?")) < 3:
        pass
    assert world.source_current("channel") == pytest.approx(1e-3)
    smu.write(":ABOR")
    n = int(smu.query(":TRAC:ACT?"))
    assert smu.query(":TRIG:STAT?").startswith("ABORTED;ABORTED;")
    world.advance(5.0)
    assert int(smu.query(":TRAC:ACT?")) == n < N              # no reading after ABORt
    assert smu.query(":OUTP?") == "0" and world.source_current("channel") == 0.0
    assert float(smu.query(":SOUR:CURR?")) == pytest.approx(2e-4)
    smu.write(":INIT;*RST")                                   # *RST stops it as well
    world.advance(5.0)
    assert world._processes == []
