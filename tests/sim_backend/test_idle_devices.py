"""Many-device worlds integrate a device only when it is read or its drive changes: the idle
devices of a synapse array bank their constant-drive time (one interval each), so pulsing one
device does not integrate the others. Oracles: the clock (every device is integrated for
exactly the world time, under the drive it had) and the two-state master equation (one long
interval of constant rates is the same law as many short ones)."""
from __future__ import annotations

import numpy as np
import pytest

from spinbench.sim_backend.devices import Drive
from spinbench.sim_backend.physics.presets import make_device
from spinbench.sim_backend.world import SimWorld


class Recorder:
    """A device that records each integration (dt, current) and reads its integrated time."""

    ports = ("channel", "hall")

    def __init__(self):
        self.calls: list[tuple[float, float]] = []

    def evolve(self, dt, drive, rng):
        self.calls.append((dt, drive.current))

    def voltage(self, port, drive):
        return sum(dt for dt, _ in self.calls)

    def resistance(self, port):
        return 100.0

    def state(self):
        return {}


def _world(**kw):
    devs = {name: Recorder() for name in ("d1", "d2", "d3")}
    return SimWorld(devs, seed=1, **kw), devs


def test_pulsing_one_device_does_not_integrate_the_others_until_they_are_read():
    w, devs = _world()
    for k in range(200):                     # a pulse train on d1: a drive change every step
        w.set_source("src1", "d1.channel", 1e-3 if k % 2 else 5e-4)
        w.advance(1e-3)
    assert len(devs["d1"].calls) == 199      # integrated at each change of its drive
    assert devs["d2"].calls == [] and devs["d3"].calls == []
    # reading d2 integrates its banked time once, under its own (zero) drive
    assert w.port_voltage("d2.hall") == pytest.approx(w.now)
    assert devs["d2"].calls == [(pytest.approx(w.now), 0.0)] and devs["d3"].calls == []
    # every device ends integrated for exactly the world time (the clock is the oracle)
    w.devices
    for d in devs.values():
        assert sum(dt for dt, _ in d.calls) == pytest.approx(w.now, rel=1e-12)
    # d1 saw each level for its own intervals: 100 ms at 0.5 mA, 100 ms at 1 mA
    by_level: dict[float, float] = {}
    for dt, i in devs["d1"].calls:
        by_level[i] = by_level.get(i, 0.0) + dt
    assert by_level == {5e-4: pytest.approx(0.1), 1e-3: pytest.approx(0.1)}


def test_a_device_is_integrated_under_its_old_drive_before_a_source_reaches_it():
    w, devs = _world()
    w.set_source("src2", "d2.channel", 2e-3)
    w.advance(0.5)
    w.set_source("src2", "d2.channel", 0.0)   # d2's drive changes: 0.5 s at 2 mA first
    assert devs["d2"].calls == [(pytest.approx(0.5), 2e-3)]
    w.advance(0.25)
    w.set_source("src2", "d3.channel", 1e-3)  # the source moves to d3: both settle first
    assert devs["d2"].calls[1:] == [(pytest.approx(0.25), 0.0)]
    assert devs["d3"].calls == [(pytest.approx(0.75), 0.0)]


def test_without_banking_every_device_integrates_at_every_step(monkeypatch):
    monkeypatch.setattr(SimWorld, "BANK_IDLE_DEVICES", False)
    w, devs = _world()
    for k in range(10):
        w.set_source("src1", "d1.channel", 1e-3 * (k % 2))
        w.advance(1e-3)
    assert len(devs["d2"].calls) == 10


def test_one_banked_interval_of_an_idle_synapse_is_the_law_of_many_short_ones():
    """Thermal flips of an idle synapse (zero current, Delta = 12 kT so they happen in ms):
    the switched fraction after 2 ms integrated as one interval and as 200 intervals follow
    the same master-equation law p(t) = (1 - exp(-2 t / tau)) / 2 from all-down."""
    params = {"n_grains": 4000, "delta_mean": 12.0, "delta_spread": 0.0, "size_spread": 0.0,
              "ctc_sigma": 0.0}
    tau = 1e-9 * np.exp(12.0)
    t = 2e-3
    expected = -np.expm1(-2 * t / tau) / 2
    rng = np.random.default_rng(3)
    for pieces in (1, 200):
        dev = make_device("synapse_tilted", params)
        for _ in range(pieces):
            dev.evolve(t / pieces, Drive(current=0.0), rng)
        f = dev.switched_fraction()
        assert f == pytest.approx(expected, abs=4 * np.sqrt(expected * (1 - expected) / 4000))
