"""How a client's wall time enters the simulated clock (issue 16, INTERFACES "Clock, timeline").

The simulated world never reads wall time: ``world.now`` moves only through ``world.advance``,
by what the instruments' actions cost (apertures, pulse widths, bus transfers).  A lab script,
though, also waits on its own -- ``time.sleep(0.5)`` between ``OUTP ON`` and ``OUTP OFF`` is a
0.5 s pulse at the bench.  A :class:`ClientClock` belongs to one client of the world (a
``@spinbench`` library instance, or one connection of ``spinbench serve``) and turns the wall
time that client spends *outside* VISA calls into world time at the start of its next call:

``virtual``
    Only instrument actions move the clock.  A script's sleeps do not exist; runs are fast and
    bit-reproducible under a seed.  What the test suite and the protocol runner use.
``sleep`` (the default)
    Instrument actions, plus every gap between two VISA calls longer than
    :data:`SLEEP_THRESHOLD` (a sleep, a plot, a fit: time passing at the bench).  Gaps shorter
    than that -- the script's own Python between two calls -- are not counted, so the clock
    does not jitter with the machine's load.  The clock never runs ahead of anything: a 100 s
    acquisition that the simulator computes in 10 ms moves the clock 100 s, and a later sleep
    still counts in full.
``wall``
    Real time: every gap counts, and a call that moved the world clock by more than the wall
    time it took returns only when wall time has caught up (a 100 s acquisition takes 100 s).
    ``world.now`` then tracks the wall clock from the client's first call.
"""
from __future__ import annotations

import os
import time

#: the modes a client clock may have
MODES = ("virtual", "sleep", "wall")
#: a gap between VISA calls shorter than this (s) is the script's own Python, not waiting
SLEEP_THRESHOLD = 1e-3
#: environment variable that overrides the bench file's ``sim.clock`` for every client
ENV = "SPINBENCH_CLOCK"

#: the wall clock (monotonic seconds); a module attribute so tests can substitute their own
wall_time = time.monotonic
#: how a ``wall`` client waits for wall time to catch up (tests substitute it too)
wall_sleep = time.sleep


def check_mode(mode: str, where: str = "sim clock") -> str:
    """``mode`` if it is one of :data:`MODES`, else a ValueError naming them."""
    if mode not in MODES:
        raise ValueError(f"{where} must be one of {', '.join(MODES)}; got {mode!r}")
    return mode


def resolve_mode(option: str | None, bench_default: str | None) -> str:
    """A client's mode: its own option, else ``$SPINBENCH_CLOCK``, else the bench file's
    ``sim.clock``, else ``sleep``."""
    if option:
        return check_mode(option, "clock option")
    env = os.environ.get(ENV)
    if env:
        return check_mode(env.strip().lower(), f"${ENV}")
    return check_mode(bench_default or "sleep", "sim.clock")


class ClientClock:
    """One client's wall-time accounting (see the module docstring)."""

    __slots__ = ("mode", "threshold", "_last", "_wall0", "_now0")

    def __init__(self, mode: str = "sleep", threshold: float = SLEEP_THRESHOLD):
        self.mode = check_mode(mode)
        self.threshold = float(threshold)
        self._last: float | None = None   #: wall time when the last call returned
        self._wall0: float | None = None  #: wall mode: (wall, world time) at the first call
        self._now0 = 0.0

    @property
    def counts(self) -> bool:
        """Whether this client's wall time moves the world at all (not ``virtual``)."""
        return self.mode != "virtual"

    def enter(self, now: float) -> float:
        """Start of a VISA call at world time ``now``: the seconds the world must advance first
        (the client's waiting since its last call)."""
        mode = self.mode
        if mode == "virtual":
            return 0.0
        wall = wall_time()
        if mode == "sleep":
            last, self._last = self._last, wall
            if last is None:
                return 0.0
            gap = wall - last
            return gap if gap > self.threshold else 0.0
        if self._wall0 is None:
            self._wall0, self._now0 = wall, now
            return 0.0
        return max(0.0, (wall - self._wall0) - (now - self._now0))

    def leave(self, now: float) -> None:
        """End of a VISA call at world time ``now`` (``wall`` mode: wait for wall time)."""
        mode = self.mode
        if mode == "virtual":
            return
        wall = wall_time()
        if mode == "wall" and self._wall0 is not None:
            ahead = (now - self._now0) - (wall - self._wall0)
            if ahead > 0:
                wall_sleep(ahead)
                wall = wall_time()
        self._last = wall
