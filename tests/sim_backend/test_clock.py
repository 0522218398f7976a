"""Time that includes the script's own waiting (issue 16): the three client clock modes.

The world never reads wall time; a client clock turns the wall time a script spends outside VISA
calls into world time.  The wall clock is substituted (``clock.wall_time``) so that a "sleep"
costs no real time and every test is deterministic.  Oracles: the Neel-Brown escape law of
``physics.thermal.pma_escape_times`` (binomial error bars) and the L/R law of a coil driven at
its supply's voltage limit, I(t) = (V/R) (1 - exp(-t R / L)).
"""
from __future__ import annotations

import math
import time

import numpy as np
import pytest
import pyvisa

from spinbench.sim_backend import clock as clock_mod
from spinbench.sim_backend.physics.thermal import pma_escape_times

SOURCE, NVM, MAG_X, GAUSS = "GPIB0::12::INSTR", "GPIB0::7::INSTR", "GPIB0::6::INSTR", "ASRL3::INSTR"


class FakeWall:
    """A wall clock that moves only when the script sleeps."""

    def __init__(self):
        self.t = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds
        self.slept.append(seconds)


@pytest.fixture
def wall(monkeypatch):
    fake = FakeWall()
    monkeypatch.setattr(clock_mod, "wall_time", fake)
    monkeypatch.setattr(clock_mod, "wall_sleep", fake.sleep)
    return fake


def _open(rm, name, term="\n"):
    return rm.open_resource(name, read_termination=term, write_termination=term)


def _field_x(rm, amps: float) -> None:
    magnet = _open(rm, MAG_X)
    magnet.write(f"FUNC:MODE CURR;CURR {amps};OUTP ON")
    world = rm.visalib.world
    for _ in range(500):
        magnet.query("MEAS:CURR?")
        if world.coil_current("coil_x") == amps:
            return
    raise AssertionError("coil_x did not settle")


def _sleep_timed_pulses(rm, wall, amps: float, sleep: float, trials: int):
    """Reset up, then SOUR:CURR amps; OUTP ON; sleep; OUTP OFF; read the Hall sign.  Returns the
    switched outcomes and each pulse's width on the world clock (from the command log)."""
    world = rm.visalib.world
    src, nvm = _open(rm, SOURCE), _open(rm, NVM)
    nvm.write(":SENS:CHAN 1;:SENS:VOLT:NPLC 1;:SENS:VOLT:DFIL OFF")
    switched, widths = [], []
    for _ in range(trials):
        src.write("SOUR:CURR -6.5E-3")               # reset: tau ~ 0.1 ms at 6.5 mA, 20 ms pulse
        src.write("OUTP ON")
        wall.sleep(0.02)
        src.write("OUTP OFF")
        assert world.device.state()["mz"] > 0
        src.write(f"SOUR:CURR {amps:.6E}")
        src.write("OUTP ON")
        t_on = world.log[-1].t
        wall.sleep(sleep)                              # the pulse is timed by the script's sleep
        src.write("OUTP OFF")
        widths.append(world.log[-1].t - t_on)
        src.write("SOUR:CURR 1E-4;:OUTP ON")           # read: 0.1 mA does not switch
        switched.append(float(nvm.query(":READ?")) < 0)
        src.write("OUTP OFF")
    return np.array(switched), np.array(widths)


def _unheated_sot_hallbar(folder) -> str:
    """The built-in sot-hallbar with the channel's Joule heating off, so the Neel-Brown law at
    the bath temperature is the oracle (the heating has its own tests)."""
    import yaml

    from spinbench.sim_backend.benches import resolve

    data = yaml.safe_load(resolve("sot-hallbar").read_text())
    data["sim"]["device"]["params"] = dict(data["sim"]["device"].get("params") or {},
                                           r_thermal_channel=0.0)
    path = folder / "sot-hallbar-unheated.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_a_sleep_timed_dc_pulse_switches_as_the_neel_brown_law_says(wall, tmp_path):
    rm = pyvisa.ResourceManager(f"{_unheated_sot_hallbar(tmp_path)}?clock=sleep@spinbench")
    try:
        assert rm.visalib.clock_mode == "sleep"
        _field_x(rm, 1.0)                              # B_x = 10 mT: +I drives m_z up -> down
        dev = rm.visalib.world.device
        p = dev.p
        amps = 5.0e-3
        tau = float(pma_escape_times(np.array([1.0]), j=dev.current_density(amps),
                                     b=np.array([10e-3, 0.0, 0.0]), temperature=300.0,
                                     delta_300=p.delta_300, b_k_eff=p.b_k_eff,
                                     jc0=dev.critical_current_density(0.0), tau0=dev.attempt_time(300.0),
                                     n_sot=p.n_sot, xi_dl=p.xi_dl)[0])
        assert 0.01 < tau < 0.08                       # tens of ms: sleeps of 10..150 ms matter
        n = 40
        fractions = []
        for sleep in (0.01, 0.05, 0.15):
            switched, widths = _sleep_timed_pulses(rm, wall, amps, sleep, n)
            assert np.all(widths >= sleep) and np.all(widths < sleep + 2e-3)
            expected = float(np.mean(-np.expm1(-widths / tau)))
            k = int(switched.sum())
            sigma = math.sqrt(expected * (1 - expected) / n)
            assert abs(k / n - expected) <= 3 * sigma + 1 / n, (sleep, k, n, expected)
            fractions.append(k / n)
        assert fractions[0] < 0.45 < 0.75 < fractions[2]   # rises with the sleep (0.18 -> 0.95)
    finally:
        rm.close()


def test_in_virtual_mode_the_same_sleeps_do_not_exist(wall):
    rm = pyvisa.ResourceManager("sot-hallbar?clock=virtual@spinbench")
    try:
        _field_x(rm, 1.0)
        switched, widths = _sleep_timed_pulses(rm, wall, 5.0e-3, 0.15, 10)
        assert np.all(widths < 2e-3)                   # only the instrument's own time
        assert switched.sum() <= 1                     # P = 1 - exp(-1 ms / 50 ms) = 0.02
    finally:
        rm.close()


def _coil_law(t, v_limit, r, l, setpoint):
    """Coil current after a set-point step from 0 at a supply's voltage limit: the L/R rise
    toward V/R, ended by the set-point (Kepco BOP manual 3.3, inductive load)."""
    return np.minimum(setpoint, v_limit / r * -np.expm1(-np.asarray(t) * r / l))


def test_set_the_magnet_sleep_read_the_gaussmeter_follows_l_over_r(wall):
    rm = pyvisa.ResourceManager("sot-hallbar?clock=sleep@spinbench")
    try:
        world = rm.visalib.world
        coil = world.coils["coil_x"]
        r, l, k = coil.resistance, coil.inductance, coil.tesla_per_amp    # L/R = 50 ms
        magnet, gauss = _open(rm, MAG_X), _open(rm, GAUSS, "\r\n")
        v_limit, setpoint = 4.0, 3.0                  # 4 V / 1 ohm: reaches 3 A after 69 ms
        for sleep in (0.01, 0.03, 0.06, 0.3):
            magnet.write("OUTP OFF")
            wall.sleep(1.0)                            # ramp down and rest
            magnet.query("MEAS:CURR?")
            assert world.coil_current("coil_x") == 0.0
            magnet.write(f"FUNC:MODE CURR;VOLT {v_limit};CURR {setpoint};OUTP ON")
            t_set = world.log[-1].t
            wall.sleep(sleep)
            tesla = float(gauss.query("RDGFIELD?")) * 1e-4
            t_read = world.now
            lo, hi = k * _coil_law([sleep, t_read - t_set], v_limit, r, l, setpoint)
            assert lo - 2e-4 <= tesla <= hi + 2e-4, (sleep, lo, tesla, hi)
            if sleep == 0.3:
                assert tesla == pytest.approx(k * setpoint, abs=2e-4)      # 30 mT, settled
            else:
                assert tesla < k * setpoint - 1e-3                         # still rising
    finally:
        rm.close()


def test_sleep_mode_never_runs_ahead_a_long_acquisition_then_a_sleep_still_counts(wall):
    rm = pyvisa.ResourceManager("sot-hallbar?clock=sleep@spinbench")
    try:
        world = rm.visalib.world
        nvm = _open(rm, NVM)
        nvm.write(":SENS:VOLT:NPLC 50;:SENS:VOLT:DFIL OFF;:SAMP:COUN 20")
        t0 = world.now
        nvm.query(":READ?")                            # 20 readings at NPLC 50: > 30 s of world time
        long = world.now - t0
        assert long > 30
        t1 = world.now
        wall.sleep(0.5)
        nvm.query("*OPC?")
        assert world.now - t1 == pytest.approx(0.5, abs=2e-3)   # the sleep counts in full
        wall.sleep(0.0004)                             # under the 1 ms threshold: the script's own
        t2 = world.now                                 # Python between calls, not counted
        nvm.query("*OPC?")
        assert world.now - t2 < 1e-3
    finally:
        rm.close()


def test_wall_mode_waits_for_wall_time_and_then_follows_it(wall):
    rm = pyvisa.ResourceManager("sot-hallbar?clock=wall@spinbench")
    try:
        world = rm.visalib.world
        nvm = _open(rm, NVM)
        nvm.write(":SENS:VOLT:NPLC 10;:SENS:VOLT:DFIL OFF;:SAMP:COUN 5")
        w0, t0 = wall.t, world.now
        nvm.query(":READ?")                            # ~2.5 s of readings take ~2.5 s of wall time
        assert wall.slept and wall.t - w0 == pytest.approx(world.now - t0, abs=1e-9)
        wall.sleep(1.0)
        nvm.query("*OPC?")
        assert world.now - t0 == pytest.approx(wall.t - w0, abs=2e-3)
    finally:
        rm.close()


def test_real_sleeps_count_in_the_default_mode_and_not_in_virtual(monkeypatch):
    monkeypatch.delenv("SPINBENCH_CLOCK")
    # pyvisa caches libraries by path in a WeakValueDictionary: a "sot-hallbar@spinbench" an
    # earlier test opened (under SPINBENCH_CLOCK=virtual) lives on until garbage-collected
    import gc
    gc.collect()
    rm = pyvisa.ResourceManager("sot-hallbar@spinbench")      # the bench file: clock: sleep
    rv = pyvisa.ResourceManager("sot-hallbar?clock=virtual@spinbench")
    try:
        assert rm.visalib.clock_mode == "sleep" and rv.visalib.clock_mode == "virtual"
        world = rm.visalib.world
        assert rv.visalib.world is world                       # two clients, one bench
        a, b = _open(rm, SOURCE), _open(rv, SOURCE)
        a.query("*OPC?")
        t0 = world.now
        time.sleep(0.03)
        a.query("*OPC?")
        assert world.now - t0 >= 0.03
        b.query("*OPC?")
        t1 = world.now
        time.sleep(0.03)
        b.query("*OPC?")
        assert world.now - t1 < 0.005                          # the virtual client's sleep: nothing
    finally:
        rm.close()
        rv.close()


def test_a_bad_clock_option_names_the_modes():
    with pytest.raises(ValueError, match="virtual|sleep|wall"):
        pyvisa.ResourceManager("sot-hallbar?clock=fast@spinbench")


@pytest.mark.parametrize("mode", ["sleep", "wall"])
def test_service_request_waits_in_sleep_and_wall_modes(wall, mode):
    """``wait_on_event`` goes through the client clock like every VISA call: a script's sleep
    before it counts, a pending request is returned, and a wait that times out has moved the
    world clock by its whole timeout (a VISA library waits at the bench)."""
    rm = pyvisa.ResourceManager(f"sot-hallbar?clock={mode}@spinbench")
    try:
        world = rm.visalib.world
        nvm = _open(rm, NVM)
        nvm.enable_event(pyvisa.constants.EventType.service_request,
                         pyvisa.constants.EventMechanism.queue)
        nvm.query("*OPC?")
        t0 = world.now
        wall.sleep(0.5)
        with pytest.raises(pyvisa.errors.VisaIOError, match="no service request within 200 ms"):
            nvm.wait_on_event(pyvisa.constants.EventType.service_request, 200)
        assert world.now - t0 == pytest.approx(0.7, abs=2e-3)
        nvm.write("*SRE 16")                            # request service on message available
        nvm.write("*IDN?")
        got = nvm.wait_on_event(pyvisa.constants.EventType.service_request, 200)
        assert got.event.event_type == pyvisa.constants.EventType.service_request
        assert "2182" in nvm.read()
    finally:
        rm.close()
