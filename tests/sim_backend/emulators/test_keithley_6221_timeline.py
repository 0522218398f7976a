"""A 6221 list sweep on the world's timeline (issue 16): ``INIT:IMM`` returns at once, the
points come as the clock advances, each 2182A reading (Trigger Link, ``TRIG:OUTP SOUR``)
integrates the drive of its own moment, so a command to another instrument in the middle of
the sweep takes effect at the point whose time follows it; ``*OPC?`` waits for the last point.

Oracles: the world-clock time at which the other instrument's command arrived (the command log)
against each reading's integration window (``buffer_windows``), and the Hall voltage law
``V = I R_H``: the currents of the sources on the channel add, so after a second source of
``I2`` joins a sweep at ``I1`` the readings scale by ``(I1 + I2) / I1``; an in-plane field
``B_x`` tilts the moment, ``m_z = sqrt(1 - (B_x / B_K)^2)`` (:meth:`SotHallBar.rest_direction`
is not used: the ratio is the Stoner-Wohlfarth tilt of the preset's ``b_k_eff``).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import pyvisa

from emu_io import open_lf as _open

SOURCE, NVM = "GPIB0::12::INSTR", "GPIB0::7::INSTR"
SMU, MAGNET_X = "USB0::0x05E6::0x2450::04096331::INSTR", "GPIB0::6::INSTR"
N, I1, I2, DELAY = 40, 1e-4, 2e-4, 5e-3


@pytest.fixture
def bench():
    rm = pyvisa.ResourceManager("sot-hallbar@spinbench")      # virtual clock (tests/conftest.py)
    src, nvm = _open(rm, SOURCE), _open(rm, NVM)
    nvm.write(":SENS:FUNC 'VOLT';:SENS:CHAN 1;:SENS:VOLT:CHAN1:RANG 0.1;:SENS:VOLT:NPLC 0.1;"
              ":SENS:VOLT:DFIL OFF;:SYST:AZER OFF;:SYST:FAZ OFF;:TRIG:SOUR EXT;:TRIG:DEL 1e-4;"
              f":SAMP:COUN 1;:TRAC:CLE;:TRAC:POIN {N};:TRAC:FEED SENS;:TRAC:FEED:CONT NEXT;"
              f":TRIG:COUN {N};:INIT")
    src.write("SOUR:SWE:SPAC LIST;:SOUR:LIST:CURR " + ",".join([f"{I1:g}"] * N)
              + ";:SOUR:LIST:DEL " + ",".join([f"{DELAY:g}"] * N)
              + ";:SOUR:SWE:COUN 1;:SOUR:SWE:CAB OFF;:TRIG:OUTP SOUR;:SOUR:SWE:ARM")
    yield rm, src, nvm
    rm.close()


def _when(rm, resource: str, text: str) -> float:
    """World time at which a message containing ``text`` reached ``resource``."""
    address = rm.visalib.emulator(resource).address
    return [r.t for r in rm.visalib.world.log if r.address == address and text in r.text][-1]


def _split(emu, values: np.ndarray, t_change: float):
    windows = np.array(emu.buffer_windows)
    assert len(windows) == len(values) == N
    before, after = windows[:, 1] <= t_change, windows[:, 0] >= t_change
    assert np.count_nonzero(~before & ~after) <= 1            # at most one window straddles it
    assert before.sum() >= 5 and after.sum() >= 5              # the change fell mid-sweep
    return before, after


def test_init_returns_at_once_and_opc_waits_for_the_last_point(bench):
    rm, src, nvm = bench
    world = rm.visalib.world
    t0 = world.now
    src.write("INIT:IMM")
    assert world.now - t0 < DELAY                              # INIT returned at once
    assert int(nvm.query(":TRAC:POIN:ACT?")) < N
    assert int(src.query("STAT:OPER:COND?")) & (1 << 3)       # sweeping
    assert src.query("*OPC?") == "1"
    assert world.now - t0 >= N * DELAY                         # the sweep took its time
    assert int(nvm.query(":TRAC:POIN:ACT?")) == N
    assert not int(src.query("STAT:OPER:COND?")) & (1 << 3)


def test_a_second_source_switched_on_mid_sweep_shows_from_the_next_reading(bench):
    rm, src, nvm = bench
    world, emu = rm.visalib.world, rm.visalib.emulator(NVM)
    smu = _open(rm, SMU)
    smu.write(f":SOUR:FUNC CURR;:SOUR:CURR {I2:g};:SOUR:CURR:VLIM 20")
    src.write("INIT:IMM")
    while int(nvm.query(":TRAC:POIN:ACT?")) < N // 2:          # a polling loop lets time pass
        pass
    smu.write(":OUTP ON")                                      # I2 more into the channel
    assert src.query("*OPC?") == "1"
    values = np.array([float(v) for v in nvm.query(":TRAC:DATA?").split(",")])
    before, after = _split(emu, values, _when(rm, SMU, ":OUTP ON"))
    base = np.median(values[before])
    assert values[before] == pytest.approx(base, rel=2e-3)
    assert values[after] == pytest.approx(base * (I1 + I2) / I1, rel=2e-3)
    # the first reading after the command: its index follows from the point times alone
    first = int(np.argmax(after))
    t_first_point = emu.buffer_windows[0][0]
    t_on = _when(rm, SMU, ":OUTP ON")
    assert first == pytest.approx((t_on - t_first_point) / DELAY, abs=1.01)


def test_a_field_step_mid_sweep_tilts_the_moment_from_the_point_it_reaches(bench):
    """The magnet's coil slews with L/R: the readings from the command on follow the tilt,
    those before it stay at the zero-field value; at the end the field has settled and the
    Hall voltage is the zero-field one times m_z = sqrt(1 - (B_x/B_K)^2)."""
    rm, src, nvm = bench
    world, emu = rm.visalib.world, rm.visalib.emulator(NVM)
    magnet = _open(rm, MAGNET_X)
    bx = 0.05
    src.write("INIT:IMM")
    while int(nvm.query(":TRAC:POIN:ACT?")) < 10:
        pass
    magnet.write(f"FUNC:MODE CURR;:VOLT 20;:CURR {bx / 0.01:g};:OUTP ON")
    assert src.query("*OPC?") == "1"
    values = np.array([float(v) for v in nvm.query(":TRAC:DATA?").split(",")])
    before, after = _split(emu, values, _when(rm, MAGNET_X, "CURR"))
    dev = world.device
    base = np.median(values[before])
    assert values[before] == pytest.approx(base, rel=2e-3)
    # R_H = R_AHE m_z + R_offset: the zero-field readings give R_AHE (m_z = 1), the field tilts
    r_ahe = base / I1 - dev.p.r_offset
    tilt = math.sqrt(1 - (bx / dev.p.b_k_eff) ** 2)
    assert abs(world.field[0] - bx) < 1e-6                     # the coil has settled
    # within the read current's own spin-orbit tilt (m_x ~ 0.006 at 0.1 mA: 0.2 % of m_z here)
    assert values[-1] == pytest.approx(I1 * (r_ahe * tilt + dev.p.r_offset), rel=4e-3)
    assert np.all(np.diff(values[after]) <= 1e-6)              # the tilt grows as the field does
    assert values[after][0] - values[-1] > 0.5 * (base - values[-1])   # ... from the point after it


def test_pulse_delta_runs_on_the_timeline_and_a_field_step_shows_from_its_time(bench):
    """Pulse Delta (manual 5-21) is a run of cycles, not one blocking command: ``INIT:IMM``
    returns at once, the 6221's buffer fills as the clock moves (polled here as a script
    does), and a field switched on mid-run tilts the readings whose cycles follow it, the
    earlier ones staying at the zero-field value; ``*OPC?`` waits for the last cycle."""
    rm, src, _ = bench
    world = rm.visalib.world
    magnet = _open(rm, MAGNET_X)
    # 0.1 mA: the pulse's own spin-orbit tilt stays ~0.2 % of m_z (as in the sweep test above)
    n, high, cycle = 30, 1e-4, 5 / 60                          # INT 5 PLC at 60 Hz
    src.write("SOUR:SWE:ABOR;:TRAC:CLE;:FORM:ELEM READ,TST")
    src.write(f"SOUR:PDEL:HIGH {high:g};LOW 0;WIDT 2e-4;SDEL 6e-5;COUN {n};INT 5;LME 3;"
              ":SOUR:PDEL:ARM")
    t0 = world.now
    src.write("INIT:IMM")
    assert world.now - t0 < 1e-3                                # returned at once
    while int(src.query("TRAC:POIN:ACT?")) < 10:                 # polling moves the clock
        pass
    bx = 0.05
    magnet.write(f"FUNC:MODE CURR;:VOLT 20;:CURR {bx / 0.01:g};:OUTP ON")
    t_field = _when(rm, MAGNET_X, "CURR") - _when(rm, SOURCE, "INIT:IMM")
    assert src.query("*OPC?") == "1"
    assert world.now - t0 == pytest.approx(n * cycle, abs=2 * cycle)
    values = np.array(src.query("TRAC:DATA?").split(","), dtype=float).reshape(-1, 2)
    readings, stamps = values[:, 0], values[:, 1]
    assert len(readings) == n and np.allclose(np.diff(stamps), cycle, atol=1e-9)
    # a cycle's three A/Ds lie in its first three line cycles (+ the pulse): before the field's
    # command the cycle is entirely at zero field, after it the field has begun to tilt m
    done_before = stamps + 3 / 60 <= t_field
    assert 8 <= done_before.sum() <= 12                          # the step fell mid-run
    dev = world.device
    # B - (A + C)/2 with LOW 0 is I_high R_AHE m_z: the offset cancels, the field scales m_z
    base = np.median(readings[done_before])
    assert readings[done_before] == pytest.approx(base, abs=1.5e-6)
    tilt = math.sqrt(1 - (bx / dev.p.b_k_eff) ** 2)
    after = readings[~done_before][1:]       # the cycle the step fell in may be partly tilted
    # the coil settles within a cycle (L/R << 83 ms): the readings are base x m_z from then on
    assert np.all(after < base * (1 - 0.5 * (1 - tilt)))
    assert after.mean() / base == pytest.approx(tilt, rel=3e-3)
