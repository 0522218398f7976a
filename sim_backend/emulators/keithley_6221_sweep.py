"""Keithley 6221 sweeps (manual section 4, "Sweeps") as operations on the world's timeline.

``INIT:IMM`` on an armed staircase, log or list sweep starts a :class:`SweepProcess`: the
command returns at once and the points come as the world clock advances, each for its delay
(``SOUR:DEL`` / ``SOUR:LIST:DEL``), so a command to another instrument in the middle of the
sweep (a magnet's set point, a second source) takes effect at the point whose time follows it.
``*OPC?`` / ``*WAI`` wait for the last point; ``SOUR:SWE:ABOR``, ``*RST`` and a compliance abort
(``SWE:CAB ON``) stop it.  Afterwards the output rests at the bias level (``SOUR:CURR``) and
the sweep stays armed (another INIT repeats it).

Trigger Link (manual section 9): by default the output trigger comes after each point's delay
and the linked 2182A (waiting on EXTernal triggers) converts then, the 6221 waiting for it.
``TRIG:OUTP SOUR`` fires it when each level is set instead: the 2182A's trigger delay and
conversion run during the point's own delay; a point shorter than them is held until the
conversion ends (the emulator does not mix levels in one conversion).

One path: every point is written once, as steps (:meth:`SweepProcess._point_steps`).  When
nothing else can act before a run of points ends (:meth:`SimWorld.horizon`: no other process
due, the client blocked in ``*OPC?``), those points are taken in one call of the world's
batched schedule (:meth:`SimWorld.observe_schedule`, the devices' ``evolve_schedule``): the
same intervals, times, states and random streams as the steps, the 2182A's readings observed
over the same apertures and handed to it in one message, its noise drawn from its own stream.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..schedule import fixed_resistance, schedulable
from ..timeline import Action, Process

if TYPE_CHECKING:  # pragma: no cover
    from .keithley_6221 import Keithley6221


class SweepProcess(Process):
    """A 6221 sweep on the timeline: ``reps`` passes over ``points`` (A), each held for its
    delay at its compliance; ``on_done(completed)`` at the end (False: compliance abort)."""

    def __init__(self, src: "Keithley6221", points: list[float], delays: list[float],
                 comps: list[float], reps: int, on_done):
        self.src = src
        self.points, self.delays, self.comps = points, delays, comps
        self.total = reps * len(points)
        self.k = 0                               #: next point (over all passes)
        self.on_done = on_done
        self.at_source = src.settings["trig_outp"] == "SOURCE"
        self.cab = bool(src.settings["swe_cab"])
        self.batches = 0                         #: runs of points taken in one call
        self._steps: Action | None = None
        self._ending = False
        self.next_time = -math.inf

    # ------------------------------------------------------------------ the timeline
    def fire(self, world) -> None:
        while True:
            if self._steps is None:
                if self._ending or self.k >= self.total:
                    if self._ending:
                        self._finish(True)
                        return
                    self._ending = True
                    self._steps = self._end_steps()
                elif self._batch(world):
                    self.next_time = world.now
                    return
                else:
                    self._steps = self._point_steps(self.k)
                    self.k += 1
            try:
                wait = next(self._steps)
            except StopIteration as stop:
                self._steps = None
                if stop.value is False:          # compliance abort
                    self._finish(False)
                    return
                continue
            self.next_time = world.now + max(float(wait), 0.0)
            return

    def cancel(self) -> None:
        """SOUR:SWE:ABOR, *RST: no further point, no ``on_done``."""
        if self._steps is not None:
            self._steps.close()
        self.next_time = math.inf

    def _finish(self, completed: bool) -> None:
        self.next_time = math.inf
        self.on_done(completed)

    # ------------------------------------------------------------------ one point, as steps
    def _point_steps(self, k: int) -> Action:
        """Point ``k``: the level (its rise time), then the Trigger Link and the delay; returns
        False when the point is compliance-limited with ``SWE:CAB ON``."""
        src, world = self.src, self.src.world
        i = k % len(self.points)
        _, limited = yield from src._drive_steps(self.points[i], self.comps[i])
        if limited and self.cab:
            return False
        nv = src.nanovoltmeter
        if self.at_source:
            t0 = world.now
            conversion = nv.linked_trigger() if nv is not None else None
            if conversion is not None:
                yield from conversion
            rest = self.delays[i] - (world.now - t0)
            if rest > 0:
                yield rest
        else:
            yield self.delays[i]
            conversion = nv.external_trigger() if nv is not None else None
            if conversion is not None:
                yield from conversion
        return True

    def _end_steps(self) -> Action:
        """After the last point the output rests at the bias level."""
        yield from self.src._drive_steps(self.src.settings["level"])

    # ------------------------------------------------------------------ runs of points at once
    def _batch(self, world) -> bool:
        """Take the points that end before the world's horizon in one batched schedule (see
        the module docstring); False, having changed nothing, when that does not apply (no
        point fits, a coil slews, the 2182A does not take the fast conversion, the load's
        resistance depends on the device's state, a compliance abort is due)."""
        horizon = world.horizon()
        if horizon - world.now < min(self.delays):   # not even one point fits (e.g. at INIT)
            return False
        src = self.src
        nv = src.nanovoltmeter
        port, address = src.port, src.address
        cfg = None
        if nv is not None:
            if not self.at_source:
                return False
            cfg = nv.linked_batch(1)
            if cfg is None:
                return False
        probe = cfg[0] if cfg is not None else None
        if not schedulable(world, port, probe) or not fixed_resistance(world, port):
            return False
        r = world.port_resistance(port)
        rise_dt = float(src.RISE_TIME)
        measure = cfg is not None
        trig_del = float(cfg[1]) if measure else 0.0
        aperture = max(float(cfg[2]), 1e-9) if measure else 0.0
        npts = len(self.points)
        # per point of the list: the delivered level (its index), whether it is limited
        levels: list[float] = []
        lev, lim = [], []
        for amps, comp in zip(self.points, self.comps):
            limited = abs(amps) * r > comp
            v = math.copysign(comp / r, amps) if limited else amps
            if v not in levels:
                levels.append(v)
            lev.append(levels.index(v))
            lim.append(limited)
        prev = levels.index(src.delivered) if src.delivered in levels and address in world.sources else -1
        delays = self.delays
        which: list[int] = []           # level of each step
        times: list[float] = []         # world time at the end of each step
        observed: list[int] = []        # the steps the 2182A integrates over
        windows: list[tuple[float, float]] = []
        w_append, t_append = which.append, times.append
        t = world.now
        k, total, cab = self.k, self.total, self.cab
        count = 0
        while k < total:
            i = k % npts
            if cab and lim[i]:
                break
            li = lev[i]
            n0 = len(times)
            tp = t
            if li != prev:
                tp = tp + rise_dt
                w_append(li)
                t_append(tp)
            t0 = tp
            if measure:
                if trig_del > 0:
                    tp = tp + trig_del
                    w_append(li)
                    t_append(tp)
                start = tp
                tp = tp + aperture
                observed.append(len(times))
                windows.append((start, tp))
                w_append(li)
                t_append(tp)
                rest = delays[i] - (tp - t0)
            else:
                rest = delays[i]
            if rest > 0:
                tp = tp + rest
                w_append(li)
                t_append(tp)
            if tp > horizon:             # this point would end after the horizon: not taken
                del which[n0:], times[n0:]
                if measure:
                    observed.pop()
                    windows.pop()
                break
            prev = li
            t = tp
            k += 1
            count += 1
        if count == 0 or (measure and nv.linked_batch(count) is None):
            return False
        got = world.observe_schedule(address, port, levels, which, times, probe, observed)
        if got is None:
            return False
        src.delivered = levels[prev]
        done = [(self.k + c) % npts for c in range(min(count, npts))]
        src.set_compliance_flags(lim[(k - 1) % npts], any(lim[i] for i in done))
        if measure:
            nv.store_linked_batch(*got, windows, aperture)
        self.k = k
        self.batches += 1
        return True
