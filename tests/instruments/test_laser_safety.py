"""Laser safety: power, pulse energy and duty cycle refused before any command; the laser is
off on every exit path of an open bench (normal end, error, Ctrl-C, SIGTERM)."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from pymeasure.instruments import Instrument

from instr_fakes import TranscriptAdapter
from spinbench.instruments.bench import Bench
from spinbench.instruments.limits import LimitError, Limits
from spinbench.instruments.roles import PulsedLaser
from spinbench.instruments.thorlabs_itc4001 import ThorlabsITC4001

LIMITS = Limits(max_laser_power=0.05, max_pulse_energy=1.8e-6, max_duty_cycle=0.5)


def make(replies=None):
    adapter = TranscriptAdapter(replies)
    inner = Instrument(adapter, "itc", includeSCPI=False)
    return ThorlabsITC4001("laser", inner, LIMITS, {}), adapter


def test_pulse_energy_and_duty_cycle_are_refused_before_any_command():
    driver, adapter = make({"SOUR:PULS:WIDT?": "1.000000E-04"})
    assert isinstance(driver, PulsedLaser)
    driver.set_power(0.04)
    sent = list(adapter.written)
    with pytest.raises(LimitError, match="pulse energy 4e-06 J .*max_pulse_energy"):
        driver.set_pulsed(1e-3, 1e-4)                 # 40 mW x 100 us = 4 uJ > 1.8 uJ
    with pytest.raises(LimitError, match="duty cycle 0.6 .*max_duty_cycle"):
        driver.set_pulsed(1e-4, 6e-5)
    with pytest.raises(LimitError, match="below the period"):
        driver.set_pulsed(1e-4, 1e-4)
    assert adapter.written == sent                     # nothing reached the instrument
    driver.set_pulsed(1e-3, 4e-5)                      # 1.6 uJ, 4 %: accepted
    assert adapter.written[-1] == "SOUR:FUNC:SHAP PULS"
    sent = list(adapter.written)
    with pytest.raises(LimitError, match="pulse energy 2e-06 J"):
        driver.set_power(0.05)                         # in QCW: 50 mW x 40 us = 2 uJ > 1.8 uJ
    with pytest.raises(LimitError, match="max_laser_power"):
        driver.set_power(0.06)
    assert adapter.written == sent
    driver.set_cw()
    driver.set_power(0.05)                             # CW: only the power limit applies
    assert adapter.written[-1] == "SOUR:POW 0.05"


def test_limits_reject_a_duty_cycle_above_one():
    with pytest.raises(ValueError, match="max_duty_cycle"):
        Limits.from_dict({"max_duty_cycle": 1.5})


def _lit(lab):
    laser = lab.role("laser")
    laser.set_power(0.02)
    laser.enable()
    world = lab._rm.visalib.world
    assert world.laser_power > 0
    return world


@pytest.mark.parametrize("ending", ["normal", "error", "ctrl-c"])
def test_laser_is_off_after_every_in_process_exit(ending):
    seen = {}
    exc = {"normal": None, "error": RuntimeError("boom"), "ctrl-c": KeyboardInterrupt()}[ending]
    try:
        with Bench.load("thermo-mtj").open() as lab:
            world = seen["world"] = _lit(lab)
            seen["messages"] = lambda: world.messages("USB0::0x1313::0x804A::M00123456::0::INSTR")
            if exc is not None:
                raise exc
    except (RuntimeError, KeyboardInterrupt) as caught:
        assert caught is exc
    assert seen["world"].laser_power == 0.0
    assert seen["messages"]()[-2:] == ["OUTP OFF\n", "SOUR:POW 0\n"]


SIGTERM_SCRIPT = textwrap.dedent("""
    import atexit, sys, time
    from spinbench.instruments.bench import Bench
    state = {}
    def report():
        w = state["world"]
        print("EXIT", float(w.laser_power) == 0.0, w.messages("USB0::0x1313::0x804A::M00123456::0::INSTR")[-2:], flush=True)
    atexit.register(report)
    with Bench.load("thermo-mtj").open() as lab:
        laser = lab.role("laser")
        laser.set_power(0.02)
        laser.enable()
        state["world"] = lab._rm.visalib.world
        print("LIT", state["world"].laser_power, flush=True)
        while True:
            time.sleep(0.01)
""")


def test_laser_is_off_after_sigterm():
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.Popen([sys.executable, "-c", SIGTERM_SCRIPT], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert line.startswith("LIT 0.0"), (line, proc.stderr.read() if proc.poll() is not None else "")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    assert "EXIT True ['OUTP OFF\\n', 'SOUR:POW 0\\n']" in out, (out, err)


@pytest.mark.parametrize("ending", ["normal", "error", "ctrl-c"])
def test_a_generator_gated_laser_is_dark_after_every_in_process_exit(ending):
    """The thermo-mtj bench's 33522B gating the laser through MOD IN: on any exit the laser is
    off and the generator's output too (the laser first)."""
    seen = {}
    exc = {"normal": None, "error": RuntimeError("boom"), "ctrl-c": KeyboardInterrupt()}[ending]
    try:
        with Bench.load("thermo-mtj").open() as lab:
            laser, gen = lab.role("laser"), lab.role("laser_modulator")
            laser.set_power(0.02)
            laser.set_external_modulation()
            laser.enable()
            gen.modulation_train(1e-3, 3e-4)
            world = seen["world"] = lab._rm.visalib.world
            assert world.laser_power == pytest.approx(0.5 * 0.02 * 0.3)   # coupling x P x duty
            seen["log"] = world.messages
            if exc is not None:
                raise exc
    except (RuntimeError, KeyboardInterrupt) as caught:
        assert caught is exc
    assert seen["world"].laser_power == 0.0
    log = seen["log"]()
    gen_off = max(i for i, m in enumerate(log) if m.startswith("OUTP1 OFF") or m.startswith("OUTP OFF;:OUTP2"))
    laser_off = len(log) - 1 - log[::-1].index("OUTP OFF\n")
    assert laser_off < gen_off
