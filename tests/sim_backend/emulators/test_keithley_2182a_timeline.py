"""A buffered 2182A acquisition on the world's timeline (issue 16): ``:INIT`` returns at once,
each reading integrates the drive of its own moment, so a 6221 reversal sent in the middle of
the acquisition shows in the middle of the buffer; the buffer bits grow as time passes; FETCh?,
*OPC? and a serial-poll loop wait for the readings as at the bench.

Oracle: each reading's integration window (the emulator's record, ``buffer_windows``) against
the world-clock time at which the reversal reached the 6221 (the command log): a window that ends
before the reversal reads +I R_H, one that starts after it reads -I R_H (the anomalous-Hall sign).
"""
from __future__ import annotations

import numpy as np
import pytest
import pyvisa

from spinbench.sim_backend import clock as clock_mod

SOURCE, NVM = "GPIB0::12::INSTR", "GPIB0::7::INSTR"
BFL, MSB = 1 << 9, 1 << 0
N = 60
SETUP = (":SENS:CHAN 1;:SENS:VOLT:NPLC 1;:SENS:VOLT:DFIL OFF;:SENS:VOLT:CHAN1:RANG 0.01;"
         ":TRIG:SOUR TIM;:TRIG:TIM 0.02;:TRIG:COUN {n};:TRAC:CLE;:TRAC:POIN {n};"
         ":TRAC:FEED SENS;:TRAC:FEED:CONT NEXT")


def _open(rm, name):
    return rm.open_resource(name, read_termination="\n", write_termination="\n")


@pytest.fixture
def bench():
    rm = pyvisa.ResourceManager("sot-hallbar@spinbench")      # virtual clock (tests/conftest.py)
    src, nvm = _open(rm, SOURCE), _open(rm, NVM)
    src.write("SOUR:CURR 1E-3;:OUTP ON")
    nvm.write(SETUP.format(n=N))
    yield rm, src, nvm
    rm.close()


def _readings(nvm) -> np.ndarray:
    return np.array([float(v) for v in nvm.query(":TRAC:DATA?").split(",")])


def _reversal_time(world) -> float:
    """World time at which the reversal message reached the 6221 (the command log)."""
    return [r.t for r in world.log if r.address == SOURCE and "-1E-3" in r.text][-1]


def _check_sign_change(emu, values: np.ndarray, t_rev: float) -> int:
    windows = np.array(emu.buffer_windows)
    assert len(windows) == len(values) == N
    before, after = windows[:, 1] <= t_rev, windows[:, 0] >= t_rev
    assert np.all(values[before] > 1e-3) and np.all(values[after] < -1e-3)
    assert np.count_nonzero(~before & ~after) <= 1            # at most one window straddles it
    first_negative = int(np.argmax(values < 0))
    assert windows[first_negative, 1] > t_rev                  # the first reading that ends after it
    return first_negative


def test_a_reversal_sent_mid_acquisition_shows_mid_buffer(bench):
    rm, src, nvm = bench
    world, emu = rm.visalib.world, rm.visalib.emulator(NVM)
    nvm.write(":INIT")
    t_init = world.now
    assert int(nvm.query(":TRAC:POIN:ACT?")) < 2              # nothing is there yet
    assert not int(nvm.query(":STAT:MEAS:EVEN?")) & BFL
    polls = 0
    while int(nvm.query(":TRAC:POIN:ACT?")) < N // 2:          # a polling loop lets time pass
        polls += 1
    assert polls > 10 and world.now > t_init + 1.0
    src.write("SOUR:CURR -1E-3")
    assert int(nvm.query("*OPC?")) == 1                        # waits for the acquisition
    assert int(nvm.query(":STAT:MEAS:EVEN?")) & BFL
    values = _readings(nvm)
    first = _check_sign_change(emu, values, _reversal_time(world))
    assert N // 2 <= first <= N // 2 + 2
    # every reading a 2182A takes at NPLC 1 with the timer: the acquisition took its time
    assert world.now - t_init > N * 0.02


def test_a_reversal_right_after_init_is_in_nearly_every_reading(bench):
    rm, src, nvm = bench
    world, emu = rm.visalib.world, rm.visalib.emulator(NVM)
    nvm.write(":INIT")
    src.write("SOUR:CURR -1E-3")                               # the case: 0 of 100 before
    values = np.array([float(v) for v in nvm.query(":FETC?").split(",")])  # FETCh? waits
    assert len(values) == N
    first = _check_sign_change(emu, _readings(nvm), _reversal_time(world))
    assert first <= 1 and np.count_nonzero(values < 0) >= N - 1


def test_a_serial_poll_loop_waits_for_the_buffer_full_service_request(bench):
    rm, src, nvm = bench
    world = rm.visalib.world
    nvm.write(":STAT:MEAS:ENAB 512;*SRE 1")                    # buffer full -> MSB -> RQS
    nvm.write(":INIT")
    t0, polls = world.now, 0
    while not nvm.read_stb() & MSB:
        polls += 1
        assert polls < 1_000_000
    assert polls > 100 and len(_readings(nvm)) == N
    assert world.now - t0 > N * 0.02


def test_abort_and_rst_stop_the_acquisition(bench):
    rm, src, nvm = bench
    world = rm.visalib.world
    nvm.write(":INIT")
    while int(nvm.query(":TRAC:POIN:ACT?")) < 5:
        pass
    nvm.write(":ABOR")
    n = int(nvm.query(":TRAC:POIN:ACT?"))
    t = world.now
    nvm.query("*OPC?")
    world.advance(10.0)
    assert int(nvm.query(":TRAC:POIN:ACT?")) == n < N         # no reading after ABORt
    assert world.now >= t + 10.0
    nvm.write(":TRAC:CLE;:TRAC:FEED:CONT NEXT;:INIT")
    nvm.write("*RST")
    world.advance(10.0)
    assert world._processes == []


def test_sleep_timed_reversal_with_the_sleep_aware_clock(monkeypatch):
    fake = {"t": 50.0}
    monkeypatch.setattr(clock_mod, "wall_time", lambda: fake["t"])
    rm = pyvisa.ResourceManager("sot-hallbar?clock=sleep@spinbench")
    try:
        world, emu = rm.visalib.world, rm.visalib.emulator(NVM)
        src, nvm = _open(rm, SOURCE), _open(rm, NVM)
        src.write("SOUR:CURR 1E-3;:OUTP ON")
        nvm.write(SETUP.format(n=N))
        nvm.write(":INIT")
        fake["t"] += 2.0                                       # time.sleep(2) at the bench
        src.write("SOUR:CURR -1E-3")
        assert _reversal_time(world) > 2.0
        nvm.query("*OPC?")
        first = _check_sign_change(emu, _readings(nvm), _reversal_time(world))
        assert 0 < first < N
    finally:
        rm.close()
