"""Instrument operations that take time, as processes on the world's timeline (issue 16).

At a bench, ``:INIT`` on a 2182A starts 100 readings that take seconds; meanwhile the script
reverses the current source, polls ``*STB?``, sleeps.  A :class:`Process` is such an operation:
the world fires it at its ``next_time`` while it advances (``SimWorld.advance`` evolves the
device piecewise up to each due time), so each sample sees the drive of its own moment and
another instrument's command in the middle of an acquisition takes effect in the middle of it.

An operation is written once, as a generator of waits (an :data:`Action`): plain code that
reads the world at the present instant (voltages, the drive, the random stream) and ``yield``\\ s
the seconds until its next step, returning its result at the end::

    def conversion(world, port, aperture):
        v0 = world.port_voltage(port)
        yield aperture                  # the world evolves meanwhile
        return 0.5 * (v0 + world.port_voltage(port))

The same generator runs in two ways:

* :func:`run_now` -- blocking (a ``READ?`` the instrument answers only when done): each wait
  is one ``world.advance``, exactly what a blocking emulator did before;
* :class:`ActionProcess` -- on the timeline (``:INIT`` returns at once; the readings come as the
  clock moves).

An action never calls ``world.advance`` itself (it would step the timeline from inside it).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Generator

#: a generator of waits (s); its return value is the operation's result
Action = Generator[float, None, Any]


class Process:
    """Something on the world's timeline: :meth:`fire` acts at ``world.now == next_time``
    and sets the next ``next_time`` (``math.inf``: finished).  Must not advance the world."""

    next_time: float = math.inf

    def fire(self, world) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    @property
    def done(self) -> bool:
        return self.next_time == math.inf


class ActionProcess(Process):
    """An :data:`Action` driven by the timeline; ``result`` holds its return value, and
    ``on_done(result)`` is called when it ends."""

    def __init__(self, action: Action, on_done: Callable[[Any], None] | None = None,
                 name: str = ""):
        self.action = action
        self.on_done = on_done
        self.name = name
        self.result: Any = None
        self.next_time = -math.inf      #: not started: :meth:`SimWorld.start` fires it at once

    def fire(self, world) -> None:
        try:
            wait = next(self.action)
        except StopIteration as stop:
            self.next_time = math.inf
            self.result = stop.value
            if self.on_done is not None:
                self.on_done(stop.value)
            return
        self.next_time = world.now + max(float(wait), 0.0)

    def cancel(self) -> None:
        """Abort (ABORt, device clear, *RST): no further steps, no ``on_done``."""
        self.action.close()
        self.next_time = math.inf


def run_now(world, action: Action) -> Any:
    """Run ``action`` to its end at once, advancing the world by each of its waits (a blocking
    operation: the instrument answers only when it is done)."""
    advance = world.advance
    try:
        wait = next(action)
        while True:
            advance(wait)
            wait = next(action)
    except StopIteration as stop:
        return stop.value


def wait(seconds: float) -> Action:
    """An action that only waits (``yield from wait(dt)`` reads better than ``yield dt``)."""
    if seconds > 0:
        yield seconds
