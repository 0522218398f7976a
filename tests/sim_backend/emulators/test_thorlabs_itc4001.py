"""Thorlabs ITC4001 emulator: L-I curve into the world, constant power, limits, keylock, QCW."""
import pytest

from spinbench.sim_backend import benches

ADDR = "USB0::0x1313::0x804A::M00123456::INSTR"


def make(**cfg):
    bench = benches.build("thermo-mtj")
    emu = bench.emulators[benches.canonical(ADDR)]
    for k, v in cfg.items():
        setattr(emu, k, v)
    return emu, bench.world


def ask(emu, text):
    emu.write(text.encode())
    chunk, _ = emu.read(10_000)
    return chunk.decode().strip()


def test_li_curve_sets_world_laser_power():
    emu, world = make()
    emu.write(b"SOUR:CURR:LIM 0.2;:SOUR:CURR 0.1")
    assert world.laser_power == 0.0                               # output off
    emu.write(b"OUTP ON")
    # P = 0.8 W/A (0.1 A - 30 mA) = 56 mW, coupling 0.5
    assert world.laser_power == pytest.approx(0.5 * 0.8 * 0.07)
    assert float(ask(emu, "MEAS:POW2?")) == pytest.approx(0.056, abs=1e-5)
    emu.write(b"SOUR:CURR 0.02")                                   # below threshold
    assert world.laser_power == 0.0
    emu.write(b"OUTP OFF")
    assert world.laser_power == 0.0


def test_constant_power_mode_and_current_limit():
    emu, world = make()
    emu.write(b"SOUR:CURR:LIM 0.1;:SOUR:FUNC:MODE POW;:SOUR:POW 0.02;:OUTP ON")
    assert world.laser_power == pytest.approx(0.01)
    assert float(ask(emu, "MEAS:CURR1?")) == pytest.approx(0.03 + 0.02 / 0.8, abs=1e-5)
    emu.write(b"SOUR:POW 0.2")                                     # needs 0.28 A > limit: sits in limit
    assert world.laser_power == pytest.approx(0.5 * 0.8 * (0.1 - 0.03))
    emu.write(b"SOUR:FUNC:MODE CURR;:SOUR:CURR 0.15")               # above the limit: refused
    assert ask(emu, "SYST:ERR?").startswith("-222")
    assert ask(emu, "SOUR:FUNC:MODE?") == "CURRENT"


def test_keylock_and_interlock_refuse_output():
    emu, world = make(keylock_open=True)
    assert ask(emu, "OUTP:PROT:KEYL:TRIP?") == "1"
    emu.write(b"SOUR:CURR 0.05;:OUTP ON")
    assert ask(emu, "SYST:ERR?").startswith("-221")
    assert ask(emu, "OUTP?") == "0" and world.laser_power == 0.0


def test_qcw_pulses_mean_power_and_train():
    emu, world = make()
    emu.write(b"SOUR:CURR:LIM 0.2;:SOUR:CURR 0.13;:SOUR:PULS:PER 1e-3;:SOUR:PULS:WIDT 2e-4")
    emu.write(b"SOUR:FUNC:SHAP PULS;:OUTP ON")
    assert world.laser_power == pytest.approx(0.5 * 0.08 * 0.2)    # mean of the train
    t0, period, width, p_on = emu.pulse_train()
    assert (period, width, p_on) == pytest.approx((1e-3, 2e-4, 0.04))
    emu.write(b"SOUR:PULS:WIDT 2e-3")                               # width >= period
    assert ask(emu, "SYST:ERR?").startswith("-221")
    emu.write(b"SOUR:PULS:DCYC 50")
    assert float(ask(emu, "SOUR:PULS:WIDT?")) == pytest.approx(5e-4)
