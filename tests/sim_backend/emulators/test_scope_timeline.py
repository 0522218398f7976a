"""Scope acquisitions on the world's timeline (issue 16): a ``:SINGle`` / ``ACQuire:STATE RUN``
returns at once and its records take the time their spans, triggers and averages need; the
controller's polling (``:OPERegister:CONDition?``, ``BUSY?``) is what moves the clock, and a
laser switched on in the middle of a record shows at its moment in the trace.

Oracles: the world time of each command (read from the world's clock after the VISA call), the
laser modulation's period, and the lumped two-time-constant heating law
``dT(t) = a P (R_f (1 - e^{-t/tau_f}) + R_s (1 - e^{-t/tau_s}))`` with ``V = -S_P dT`` at zero
bias."""
import sys
from pathlib import Path

import numpy as np
import pytest
import pyvisa

from spinbench.sim_backend.emulators.keysight_dsox3000t import PULSE_PREROLL

sys.path.insert(0, str(Path(__file__).parent))
from thermo_oracle import bin_means, periodic_delta_t, step_delta_t  # noqa: E402

LIB = "thermo-mtj@spinbench"
DSOX = "USB0::0x2A8D::0x1770::MY12345678::INSTR"
TEK = "TCPIP0::192.168.0.20::inst0::INSTR"
LASER = "USB0::0x1313::0x804A::M00123456::INSTR"
OPEN = dict(read_termination="\n", write_termination="\n")
P_DEVICE = 0.5 * 0.8 * (0.08 - 0.030)      #: coupling x slope x (I - I_th) at 80 mA: 20 mW


def heating_voltage(p, tau: np.ndarray) -> np.ndarray:
    """-S_P dT after a step of P_DEVICE at tau = 0 (zero before)."""
    return -p.seebeck_p * step_delta_t(p, tau, P_DEVICE)


@pytest.fixture
def bench():
    rm = pyvisa.ResourceManager(LIB)
    yield rm, rm.visalib.world
    rm.close()


def test_a_laser_switched_on_during_a_single_shows_at_its_time(bench):
    rm, world = bench
    scope = rm.open_resource(DSOX, **OPEN)
    laser = rm.open_resource(LASER, **OPEN)
    laser.write("SOUR:FUNC:SHAP DC;:SOUR:CURR 0.08")                 # CW, output still off
    scope.write(":CHAN1:SCAL 1e-3;:CHAN1:OFFS 2e-3;:TIM:SCAL 2e-4;:TIM:REF LEFT;:TIM:POS 0;"
                ":WAV:POIN 1000;:TRIG:SWE AUTO;:TRIG:SOUR LINE")
    scope.write(":SINGle")
    t_single = world.now                                              # the record starts here
    for _ in range(2):                                                # the script polls: time passes
        assert int(scope.query(":OPER:COND?")) & 8                    # Run: still acquiring
    laser.write("OUTP ON")
    t_on = world.now
    span = 10 * 2e-4
    assert 0.15 * span < t_on - t_single < 0.85 * span
    polls = 0
    while int(scope.query(":OPER:COND?")) & 8:
        polls += 1
        assert polls < 100
    assert world.now - t_single >= span                               # done after its span
    scope.write(":WAV:SOUR CHAN1;:WAV:FORM WORD")
    pre = [float(x) for x in scope.query(":WAV:PRE?").split(",")]
    codes = scope.query_binary_values(":WAV:DATA?", datatype="H", is_big_endian=True, container=np.array)
    volts = (codes - pre[9]) * pre[7] + pre[8]
    t = t_single + np.arange(len(volts)) * pre[4]                     # world time of each sample
    p = world.device.p
    # the onset time that best explains the trace (least squares over a grid) is the command's
    grid = t_on + np.arange(-100, 101) * 0.25 * pre[4]
    cost = [np.sum((volts - heating_voltage(p, t - g)) ** 2) for g in grid]
    assert grid[int(np.argmin(cost))] == pytest.approx(t_on, abs=2 * pre[4])
    before, late = t < t_on, t > t_on + 5 * p.tau_slow
    assert abs(volts[before].mean()) < 30e-6
    assert volts[late].mean() == pytest.approx(heating_voltage(p, t[late] - t_on).mean(), abs=30e-6)
    assert np.std(volts - heating_voltage(p, t - t_on)) < 1.5 * 100e-6   # the scope's noise


def test_an_averaged_sequence_takes_the_time_its_triggers_need_and_busy_polling_moves_the_clock(bench):
    rm, world = bench
    laser = rm.open_resource(LASER, **OPEN)
    period, width = 400e-6, 150e-6
    laser.write(f"SOUR:FUNC:SHAP PULS;:SOUR:PULS:PER {period};:SOUR:PULS:WIDT {width};:SOUR:CURR 0.08")
    laser.write("OUTP ON")
    tek = rm.open_resource(TEK, **OPEN)
    tek.write("CH1:SCALE 1e-3;:CH1:OFFSET 2e-3;:HORIZONTAL:MODE:SCALE 2e-5;:HORIZONTAL:POSITION 10;"
              ":TRIGGER:A:EDGE:SOURCE AUX;:ACQUIRE:MODE AVERAGE;:ACQUIRE:NUMAVG 16;:ACQUIRE:STOPAFTER SEQUENCE")
    tek.write("ACQUIRE:STATE RUN")
    t0 = world.now
    assert tek.query("BUSY?") == "1" and tek.query("TRIGGER:STATE?") == "ARMED"
    polls = 0
    while tek.query("BUSY?") == "1":
        polls += 1
        assert polls < 10_000
    elapsed = world.now - t0
    # 16 records, one per trigger edge (one per period): 15 full periods at least; at most 16,
    # plus the PULSE_PREROLL periods of train the sim plays first (between instrument actions
    # the world holds the laser's mean power), plus the last record and a poll
    assert 15 * period <= elapsed <= (16 + PULSE_PREROLL) * period + 10 * 2e-5 + 1e-3
    assert polls > 10
    assert tek.query("ACQUIRE:NUMACQ?") == "16"
    assert tek.query("TRIGGER:STATE?") == "SAVE"
    # the averaged record: light on from the trigger (10 % into the record) for the pulse width
    tek.write("DATA:SOURCE CH1;:DATA:ENCDG RIBINARY;:DATA:WIDTH 2")
    pre = tek.query("WFMOUTPRE?").split(";")
    raw = tek.query_binary_values("CURVE?", datatype="h", is_big_endian=True, container=np.array)
    v = (raw - float(pre[14])) * float(pre[13]) + float(pre[15])
    ts = float(pre[10]) + np.arange(len(v)) * float(pre[9])           # s from the trigger
    p = world.device.p
    expected = -p.seebeck_p * periodic_delta_t(p, ts, period, width, P_DEVICE)
    # 10 us bins: the scope's noise / sqrt(16 x 250) ~ 2 uV; the junction's own thermally
    # activated spikes (averaged over 16 records) are the rest of the tolerance
    assert np.abs(bin_means(v, 250) - bin_means(expected, 250)).max() < 0.05 * np.ptp(expected)
