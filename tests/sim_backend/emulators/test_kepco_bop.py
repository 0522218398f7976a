"""Kepco BOP emulator on the sot-hallbar sim bench: modes, coil slew, refusals (bytes level)."""
from __future__ import annotations

import pytest
from spinbench.sim_backend import benches

from emu_io import ask as _ask, spine_bench_copy as sot_hallbar_file

BOP = "GPIB0::6::INSTR"


@pytest.fixture
def bench(tmp_path):
    return benches.build(str(sot_hallbar_file(tmp_path)))


def ask(bench, addr, text):
    return _ask(bench.emulators[benches.canonical(addr)], text)


def test_identity_and_reset_state(bench):
    assert ask(bench, BOP, "*IDN?") == "KEPCO,BOP 20-20M,E1234,1.82"
    assert ask(bench, BOP, "FUNC:MODE?;OUTP?") == "0;0"
    ask(bench, BOP, "FUNC:MODE CURR")
    assert ask(bench, BOP, "FUNC:MODE?") == "1"
    assert float(ask(bench, BOP, "VOLT?")) == 20.0  # complementary limit at the rating


def test_slew_is_limited_by_inductance_and_poll_settles(bench):
    coil = bench.world.coils["coil_x"]
    ask(bench, BOP, "FUNC:MODE CURR;CURR 5;OUTP ON")
    t0 = bench.world.now
    during = float(ask(bench, BOP, "MEAS:VOLT?"))
    assert during == pytest.approx(20.0, abs=0.01)  # at the voltage limit while slewing
    while abs(float(ask(bench, BOP, "MEAS:CURR?")) - 5.0) > 2e-3:
        assert bench.world.now - t0 < 1.0
    elapsed = bench.world.now - t0
    assert elapsed >= coil.inductance * 5.0 / 20.0  # L dI / V_limit = 12.5 ms
    # (L/R) ln(V/(V - I R)) = 14.4 ms is the exact settling time; polling adds < 3 ms
    assert elapsed < 0.05 * __import__("math").log(20 / 15) + 3e-3
    assert bench.world.field[0] == pytest.approx(0.05)  # 5 A * 0.01 T/A
    assert float(ask(bench, BOP, "MEAS:VOLT?")) == pytest.approx(5.0, abs=0.01)  # I R


def test_out_of_range_refused_not_clipped(bench):
    ask(bench, BOP, "FUNC:MODE CURR;CURR 2")
    ask(bench, BOP, "CURR 25")
    assert ask(bench, BOP, "SYST:ERR?") == '-222,"Data out of range"'
    assert ask(bench, BOP, "SYST:ERR?") == '0,"No error"'
    assert float(ask(bench, BOP, "CURR?")) == 2.0
    ask(bench, BOP, "VOLT -21")
    assert ask(bench, BOP, "SYST:ERR?").startswith("-222")
    ask(bench, BOP, "FUNC:MODE POWER")
    assert ask(bench, BOP, "SYST:ERR?").startswith("-224")


def test_voltage_limit_in_current_mode_caps_the_coil(bench):
    ask(bench, BOP, "FUNC:MODE CURR;VOLT 3;CURR 5;OUTP ON")
    for _ in range(200):
        ask(bench, BOP, "MEAS:CURR?")
    assert bench.world.coil_current("coil_x") == pytest.approx(3.0)  # V_limit / R = 3 V / 1 ohm
    assert int(ask(bench, BOP, "STAT:OPER:COND?")) == 1 << 8  # voltage limited: CV


def test_output_off_ramps_the_coil_down(bench):
    ask(bench, BOP, "FUNC:MODE CURR;CURR 1;OUTP ON")
    while abs(float(ask(bench, BOP, "MEAS:CURR?")) - 1.0) > 2e-3:
        pass
    ask(bench, BOP, "OUTP OFF")
    while abs(float(ask(bench, BOP, "MEAS:CURR?"))) > 2e-3:
        pass
    assert bench.world.coil_current("coil_x") == 0.0
    assert ask(bench, BOP, "OUTP?") == "0"


def test_self_test_swings_the_coil_and_restores(bench):
    """DIAG:TST? (BIT 4886 manual 4.3.3): +full scale, -full scale (voltage mode), rated current
    with a 1 V limit, through the connected coil; answers 0 and restores the settings."""
    world = bench.world
    coil = world.coils["coil_x"]
    calls = []
    original = world.set_coil_setpoint

    def spy(name, amps, voltage_limit=None):
        calls.append((amps, voltage_limit))
        original(name, amps, voltage_limit)
    world.set_coil_setpoint = spy
    t0 = world.now
    assert ask(bench, BOP, "DIAG:TST?") == "0"
    rated_v = rated_i = 20.0
    i_full = min(rated_i, rated_v / coil.resistance)
    assert calls[:3] == [(i_full, rated_v), (-i_full, rated_v), (rated_i, 1.0)]
    assert world.now - t0 >= 3 * 0.5
    assert coil.setpoint == 0.0                      # output off again, as before the test
    assert ask(bench, BOP, "OUTP?") == "0"
    assert ask(bench, BOP, "*OPT?") == "0"
