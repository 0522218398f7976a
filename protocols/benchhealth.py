"""The runner's per-batch look at its instruments: power cycles, queued errors, tripped outputs.

A bench fails silently too: an instrument power-cycled by a brown-out answers every later query
from its default settings and reports no error; a rejected command leaves only an entry in an
error queue nobody reads; a magnet supply whose protection trips turns its output off and the
field is gone; a destroyed device leaves its current source in compliance.  None of these
raises in the step that meets it, so the runner asks, once per batch of steps, every
instrument that fills one of the run's roles (``Driver.health``: ``*ESR?``, and the error queue
only when ``*ESR?`` says it holds something -- one query per instrument when all is well).

Points are written to the run file only once a check after them found the bench healthy
(:class:`BatchGuard`): when one finds a power cycle or queued errors, the points measured since
the previous check are dropped, the settings re-applied and those steps measured again
(bounded: :data:`MAX_BAD_CHECKS` in a row); a fatal condition stops the run with its message.
Checks are batched by wall time (:attr:`BatchGuard.interval`, the run file's flush interval),
so a fault-free run pays one query per instrument per second, not one per step; a run file
still receives its points in batches at least that often.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)

__all__ = ["BatchGuard", "BenchFault", "MAX_BAD_CHECKS", "is_transient"]

#: consecutive checks finding a problem before the run fails (the first ones are repeated)
MAX_BAD_CHECKS = 3


def is_transient(exc: BaseException) -> bool:
    """Whether a step's error is a transient bus fault worth repeating the step for: a VISA
    timeout or I/O error, or a reply that is not what was asked (garbled or cut short)."""
    from pyvisa import errors as visa_errors
    from pyvisa.constants import StatusCode

    from spinbench.instruments import InstrumentReplyError

    if isinstance(exc, visa_errors.VisaIOError):     # a lost connection is not transient
        return exc.error_code in (StatusCode.error_timeout, StatusCode.error_io)
    if isinstance(exc, InstrumentReplyError):
        return True
    if isinstance(exc, (ValueError, RuntimeError)) and _raised_in(exc, "pyvisa/util.py"):
        return True                     # a binary block whose header or length is garbled
    return isinstance(exc, ValueError) and str(exc).startswith(("could not convert",
                                                               "invalid literal"))


def _raised_in(exc: BaseException, path_end: str) -> bool:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code.co_filename.replace("\\", "/").endswith(path_end)


class BenchFault(RuntimeError):
    """An instrument reported what no retry cures (or kept reporting errors): the run fails
    with this message, its verified points kept and every instrument made safe."""


class BatchGuard:
    """Decides when to check the instruments, and what the runner does with a batch.

    ``instruments``: the drivers of the run's roles (objects without a ``health`` method,
    e.g. a test's fakes, are not checked: their batches are verified at once).
    """

    def __init__(self, instruments: Iterable[Any], interval: float = 1.0) -> None:
        seen: dict[int, Any] = {}
        for obj in instruments:
            if callable(getattr(obj, "health", None)):
                seen.setdefault(id(obj), obj)
        self.instruments = list(seen.values())
        #: wall time (s) between two checks: the longest a measured step waits for its check
        self.interval = max(float(interval), 0.0)
        self._last = time.monotonic()
        self.bad = 0
        #: every problem met, for the run's log: (instrument, what)
        self.events: list[tuple[str, str]] = []

    def due(self, pending: int) -> bool:
        """Whether the ``pending`` unverified steps are to be checked now."""
        if not pending:
            return False
        if not self.instruments:
            return True
        return time.monotonic() - self._last >= self.interval

    def baseline(self) -> None:
        """Read (and so clear) every instrument's status once the bench is set up: what opening
        and setting up left (a PON bit of the first power-on, a probe the driver sent) is not
        a fault of the run.  A fatal condition already present stops the run."""
        for report in self._reports():
            if report.fatal:
                raise BenchFault(report.fatal)
            if report.errors:
                log.info("%s: errors queued before the first step: %s", report.name,
                         "; ".join(report.errors))
        self._last = time.monotonic()

    def check(self) -> list[Any]:
        """The reports of the instruments that are not healthy (empty: the batch is good).
        Raises :class:`BenchFault` on a fatal condition, or when :data:`MAX_BAD_CHECKS` checks
        in a row found problems."""
        bad = [r for r in self._reports() if not r.ok]
        self._last = time.monotonic()
        for r in bad:
            if r.fatal:
                raise BenchFault(r.fatal)
        if not bad:
            self.bad = 0
            return []
        self.bad += 1
        for r in bad:
            what = "power-cycled (settings back to defaults)" if r.power_on else ""
            what = "; ".join(filter(None, [what, *r.errors]))
            self.events.append((r.name, what))
        if self.bad >= MAX_BAD_CHECKS:
            raise BenchFault(f"{self.describe(bad)} ({MAX_BAD_CHECKS} checks in a row)")
        return bad

    def describe(self, bad: list[Any]) -> str:
        """What the last check found wrong with the instruments in ``bad``."""
        return "; ".join(f"{n}: {w}" for n, w in self.events[-len(bad):])

    def _reports(self) -> list[Any]:
        """Each instrument's ``health()``; a transient bus fault while asking (a lost or
        garbled reply) counts as that instrument's error: the batch is measured again."""
        reports = []
        for obj in self.instruments:
            try:
                reports.append(obj.health())
            except Exception as exc:
                if not is_transient(exc):
                    raise
                from spinbench.instruments import Health

                reports.append(Health(getattr(obj, "name", "?"),
                                      errors=(f"status query failed: {type(exc).__name__}",)))
        return reports

    def reapply(self, reports: list[Any], opened: Any, setup: Any) -> None:
        """After a bad check: device clear of every instrument, the power-cycled drivers forget
        what they sent once per session, then the protocol's ``setup`` again."""
        recover = getattr(opened, "recover", None)
        if callable(recover):
            recover()
        for report in reports:
            if report.power_on:
                for obj in self.instruments:
                    if getattr(obj, "name", None) == report.name:
                        obj.forget_session()
        setup()
        self._last = time.monotonic()
