"""A current source's schedule of levels, evolved in one call (issue 7 part 4: one path).

A list sweep holds level after level for known times; nothing else acts meanwhile when the
world runs a blocking wait (``*OPC?``) or when the sweep is the only operation on the timeline
(:meth:`SimWorld.horizon`).  :func:`run_schedule` then evolves every device over the whole
schedule with :func:`sim_backend.devices.evolve_schedule` -- the devices' one batched path,
equal bit for bit to their per-interval evolution -- and observes a terminal over chosen
intervals (what a voltmeter integrating over them reads, before its noise).  The per-command
path (``set_source`` + ``advance``) and the timeline's steps are the definition; this is the
same evolution taken in one call.
"""
from __future__ import annotations

import math

from .devices import evolve_schedule
from .physics.observe import DriveSchedule


def fixed_resistance(world, port: str) -> bool:
    """Whether the two-terminal resistance at ``port`` cannot change with any device's state
    (every member declares the port in ``fixed_resistance_ports``): a source's compliance
    there can be decided before a schedule runs."""
    term = world.terminal(port)
    if term.connection == "parallel":
        return False
    devices = world._devices
    return all(p in getattr(devices[d], "fixed_resistance_ports", ()) for d, p in term.members)


def schedulable(world, port: str, probe: str | None = None) -> bool:
    """Whether :func:`run_schedule` applies: every coil at its set point, the source on one
    device's port, the probe (if any) on one device or a series line, and no device whose
    drive depends on the state of others (a parallel line's current share)."""
    for c in world.coils.values():
        if c.current != c.setpoint:
            return False
    if world._uncached or world.terminal(port).connection != "single":
        return False
    return probe is None or world.terminal(probe).connection != "parallel"


def run_schedule(world, name: str, port: str, levels, which, dts, end: float,
                 probe: str | None = None, intervals=()):
    """Source ``name`` into ``port`` at ``levels[which[k]]`` (A) for ``dts[k]`` s, k = 0, 1,
    ..., the world clock at ``end`` afterwards; every device evolved over the schedule with
    its own random stream (:meth:`SimWorld.device_rng`); ``probe`` observed over
    ``intervals`` (see :meth:`SimWorld.observe_schedule`).  Returns ``(v_start, v_end,
    r_end)`` (empty without a probe), or None -- nothing changed -- when :func:`schedulable`
    says no."""
    if not len(which) or not schedulable(world, port, probe):
        return None
    if world.may_break(port, max(abs(a) for a in levels)):
        return None                  # a level would destroy a device: level by level instead
    # listeners see the schedule as one change at its start (a lock-in's output filter, far
    # slower than a list sweep's points, gets the state after it from then on)
    world._drive_changing()
    target = world.terminal(port).device
    drives = DriveSchedule([world.drive_with_source(name, port, amps) for amps in levels], which)
    members = world.terminal(probe).members if probe is not None else ()
    observed: dict[str, tuple] = {}
    n = len(dts)
    lazy = world._lazy            # many-device world: an idle device banks its time (lag)
    for dname, dev in world._devices.items():
        ports = [p for d, p in members if d == dname]
        if lazy and dname != target and not ports:
            world._lag[dname] = world._lag.get(dname, 0.0) + (end - world.clock.now)
            continue
        ds = drives if dname == target else DriveSchedule([world._drive_of(dname)], [0] * n)
        obs = (ports[0], intervals) if ports else None
        out = evolve_schedule(dev, dts, ds, world.device_rng(dname), obs)
        if obs is not None:
            observed[dname] = out
    world.clock.now = end
    world.set_source(name, port, levels[which[-1]])
    if not members:
        return [], [], []
    if len(members) == 1:
        return observed[members[0][0]]
    # a series line: voltages and resistances add (SimWorld.port_voltage / port_resistance)
    cols = [observed[d] for d, _ in members]
    return tuple([math.fsum(c[i][j] for c in cols) for j in range(len(intervals))]
                 for i in range(3))
