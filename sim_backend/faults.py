"""Fault injection: an emulator that fails the way instruments on a real bench do.

A :class:`FaultyEmulator` wraps one emulator and, when a fault triggers, misbehaves at the VISA
layer exactly where a real instrument or bus would, so drivers, protocols and the runner meet the
fault through their ordinary path. Faults are declared in the bench file's ``sim:`` section or
injected from a test (``rm.visalib.inject_fault(address, kind=..., ...)``)::

    sim:
      faults:
        - {instrument: GPIB0::7::INSTR, kind: timeout, at_command: 40}      # one lost reply
        - {instrument: GPIB0::7::INSTR, kind: garbled, probability: 0.01, seed: 3, count: 0}
        - {instrument: GPIB0::12::INSTR, kind: reset, at_time: 2.5}           # power-cycled
        - {instrument: GPIB0::6::INSTR, kind: drop, at_command: 100}          # cable pulled

Kinds: ``timeout`` (the triggering query's reply never comes: the read times out), ``garbled``
(its reply has bytes replaced), ``truncated`` (the rest of its reply, terminator included, is
lost on the bus: the read times out),
``error`` (an error is pushed into the instrument's queue, ``code``/``message``), ``reset`` (the
instrument returns to its power-on defaults before the command, as after a power cycle; its
outputs go off), ``slow`` (the reply comes ``delay`` s of simulated time late), ``drop`` (from
then on every read and write fails with a lost connection).

Triggers: ``at_command`` (the n-th program message written to the instrument, from 1),
``at_time`` (the first command at or after that simulated time), ``probability`` (per command,
from the fault's own seeded stream, ``seed``); ``count`` faults at most (default 1; 0: no limit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pyvisa import errors
from pyvisa.constants import StatusCode

__all__ = ["FAULT_KINDS", "Fault", "FaultError", "FaultyEmulator", "parse_faults"]

FAULT_KINDS = ("timeout", "garbled", "truncated", "error", "reset", "slow", "drop")


class FaultError(ValueError):
    """A malformed fault declaration (names the field and what is allowed)."""


@dataclass
class Fault:
    """One fault on one instrument (see the module docstring)."""

    kind: str
    at_command: int | None = None
    at_time: float | None = None
    probability: float | None = None
    seed: int = 0
    count: int = 1
    code: int = -350
    message: str = "Queue overflow"
    delay: float = 1.0
    fired: int = 0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise FaultError(f"kind {self.kind!r} is unknown; kinds: {', '.join(FAULT_KINDS)}")
        triggers = [t for t in (self.at_command, self.at_time, self.probability) if t is not None]
        if len(triggers) != 1:
            raise FaultError("give exactly one trigger: at_command, at_time or probability")
        if self.at_command is not None and self.at_command < 1:
            raise FaultError(f"at_command = {self.at_command}: the first command is 1")
        if self.probability is not None and not 0.0 < self.probability <= 1.0:
            raise FaultError(f"probability = {self.probability}: allowed (0, 1]")
        if self.count < 0:
            raise FaultError(f"count = {self.count}: 0 (no limit) or more")
        self._rng = np.random.default_rng(self.seed)

    def due(self, n_command: int, now: float) -> bool:
        if self.count and self.fired >= self.count:
            return False
        if self.at_command is not None:
            hit = n_command >= self.at_command
        elif self.at_time is not None:
            hit = now >= self.at_time
        else:
            hit = bool(self._rng.random() < self.probability)
        if hit:
            self.fired += 1
        return hit


def parse_faults(entries: Any, where: str = "sim.faults") -> dict[str, list[Fault]]:
    """``address -> [Fault]`` from a bench file's ``sim.faults`` list."""
    if entries is None:
        return {}
    if not isinstance(entries, list):
        raise FaultError(f"{where}: a list of {{instrument, kind, trigger}} mappings")
    out: dict[str, list[Fault]] = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or "instrument" not in entry:
            raise FaultError(f"{where}[{i}]: a mapping with instrument, kind and a trigger")
        spec = dict(entry)
        address = str(spec.pop("instrument"))
        try:
            fault = Fault(**spec)
        except TypeError as exc:
            raise FaultError(f"{where}[{i}]: {exc}") from None
        except FaultError as exc:
            raise FaultError(f"{where}[{i}]: {exc}") from None
        out.setdefault(address, []).append(fault)
    return out


def _lost(name: str) -> errors.VisaIOError:
    exc = errors.VisaIOError(StatusCode.error_connection_lost)
    exc.args = (f"{name}: connection lost (injected fault: drop)",)
    return exc


class FaultyEmulator:
    """Wraps an emulator; faults act on its bytes (everything else is passed through)."""

    def __init__(self, inner: Any, world: Any, address: str, faults: list[Fault]):
        self.inner = inner
        self.world = world
        self.address = address
        self.faults = list(faults)
        self.commands = 0
        self.dropped = False
        self._swallow = False
        self._mangle: str | None = None

    def __getattr__(self, name: str) -> Any:       # every other emulator attribute
        return getattr(self.inner, name)

    # -- what the VISA library calls --------------------------------------------------------
    def write(self, data: bytes) -> None:
        if self.dropped:
            raise _lost(self.address)
        self.commands += 1
        now = self.world.now
        for fault in self.faults:
            if not fault.due(self.commands, now):
                continue
            kind = fault.kind
            if kind == "drop":
                self.dropped = True
                raise _lost(self.address)
            if kind == "reset":
                self.inner.write(b"*RST\n")
                self.inner.clear()
            elif kind == "error":
                engine = getattr(self.inner, "push_error", None) or getattr(
                    getattr(self.inner, "engine", None), "push_error", None)
                if engine is not None:
                    engine(fault.code, fault.message)
            elif kind == "slow":
                self.world.advance(fault.delay)
            elif kind == "timeout":
                self._swallow = True
            else:                                      # garbled, truncated
                self._mangle = kind
        before = self.inner.pending()
        self.inner.write(data)
        if self._swallow and self.inner.pending() > before:
            self.inner.read(self.inner.pending())      # the reply is lost on the bus
            self._swallow = False

    def read(self, count: int) -> tuple[bytes, bool]:
        if self.dropped:
            raise _lost(self.address)
        data, end = self.inner.read(count)
        if self._mangle and data:
            kind, self._mangle = self._mangle, None
            body = data.rstrip(b"\r\n")
            tail = data[len(body):]
            if kind == "garbled":
                body = bytes(b ^ 0x55 if i % 3 == 1 else b for i, b in enumerate(body)) or b"?"
                data = body + tail
            else:                  # bytes lost on the bus: no terminator, no END -> the read times out
                return body[: max(1, len(body) // 2)], False
        return data, end

    def pending(self) -> int:
        if self.dropped:
            raise _lost(self.address)
        return self.inner.pending()

    def find_output(self, termchar: int, limit: int) -> int:
        if self._mangle == "truncated":
            return -1                                  # the terminator will never arrive
        finder = getattr(self.inner, "find_output", None)
        return finder(termchar, limit) if finder is not None else -1
