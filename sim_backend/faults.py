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
        - {instrument: GPIB0::6::INSTR, kind: trip, at_time: 40.0}            # magnet supply trips
        - {device: dut, kind: breakdown, voltage: 9.0}                        # blown by over-voltage

Kinds: ``timeout`` (the triggering query's reply never comes: the read times out), ``garbled``
(its reply has bytes replaced), ``truncated`` (the rest of its reply, terminator included, is
lost on the bus: the read times out),
``error`` (an error is pushed into the instrument's queue, ``code``/``message``), ``reset`` (the
instrument is power-cycled before the command: its power-on defaults, outputs off, error queue
empty and only the power-on bit PON (bit 7) set in its standard event status register, IEEE
488.2 11.5.1.1.2 -- no error reply, as a real power cycle gives none), ``slow`` (the reply comes
``delay`` s of simulated time late), ``drop`` (from then on every read and write fails with a
lost connection), ``trip`` (an instrument's output protection fires before the command: a
magnet supply's voltage protection, :meth:`KepcoBOP.trip <sim_backend.emulators.kepco_bop.KepcoBOP.trip>`;
only instruments with a ``trip`` method).

``breakdown`` is a fault of a device, not of an instrument: ``{device: NAME, kind: breakdown,
voltage: V}`` sets the voltage over which the device is destroyed (an open circuit from then
on, :mod:`sim_backend.breakdown`), optionally scattered by ``spread`` (relative) from ``seed``.

Triggers: ``at_command`` (the n-th program message written to the instrument, from 1),
``at_time`` (the first command at or after that simulated time; ``reset``, ``trip``, ``error``
and ``drop`` happen at that time on the world clock itself), ``probability`` (per command,
from the fault's own seeded stream, ``seed``); ``count`` faults at most (default 1; 0: no limit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import math

import numpy as np
from pyvisa import errors
from pyvisa.constants import StatusCode

from .timeline import Process

__all__ = ["DEVICE_FAULT_KINDS", "FAULT_KINDS", "Fault", "FaultError", "FaultyEmulator",
           "device_faults", "parse_faults", "power_cycle"]

FAULT_KINDS = ("timeout", "garbled", "truncated", "error", "reset", "slow", "drop", "trip")
#: faults of a device (``device:`` instead of ``instrument:``)
DEVICE_FAULT_KINDS = ("breakdown",)


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
            raise FaultError(f"kind {self.kind!r} is unknown; kinds: "
                             f"{', '.join(FAULT_KINDS + DEVICE_FAULT_KINDS)}")
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
        if self.at_time is not None and self.kind in _TIMED_KINDS:
            return False                    # on the world's timeline (FaultyEmulator.add)
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
        if isinstance(entry, dict) and entry.get("kind") in DEVICE_FAULT_KINDS:
            continue                                   # device_faults
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


def device_faults(entries: Any) -> list[dict[str, Any]]:
    """The device faults (``kind: breakdown``) of a bench file's ``sim.faults`` list, as given
    (:func:`sim_backend.breakdown.breakdown_voltages` reads them)."""
    return [e for e in (entries or []) if isinstance(e, dict) and e.get("kind") in DEVICE_FAULT_KINDS]


def power_cycle(emulator: Any) -> None:
    """Switch an emulated instrument off and on: its ``*RST`` defaults (outputs off), an empty
    error queue and output buffer, the status enable registers cleared (power-on status clear,
    IEEE 488.2 10.25 with *PSC 1) and the PON bit set in the standard event status register."""
    from .scpi import ESR_PON

    emulator.clear()
    emulator.reset()
    emulator.errors.clear()
    emulator.ese = emulator.sre = 0
    emulator.esr = ESR_PON


#: kinds acting on the instrument itself: at_time fires them on the world clock
_TIMED_KINDS = ("reset", "trip", "error", "drop")


class _TimedFault(Process):
    """A fault at a world time, fired by the timeline (``count`` is 1 for these)."""

    def __init__(self, owner: "FaultyEmulator", fault: Fault) -> None:
        self.owner, self.fault = owner, fault
        self.next_time = float(fault.at_time)

    def fire(self, world: Any) -> None:
        if world.now < self.next_time:                 # SimWorld.start fires at once
            return
        self.next_time = math.inf
        self.fault.fired += 1
        self.owner._act(self.fault)


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
        self.faults: list[Fault] = []
        self.commands = 0
        self.dropped = False
        self._swallow = False
        self._mangle: str | None = None
        for fault in faults:
            self.add(fault)

    def add(self, fault: Fault) -> None:
        """Arm one more fault.  A ``reset``, ``trip``, ``error`` or ``drop`` at ``at_time``
        happens at that instant of the world clock, whether or not the instrument is being
        addressed (a power cut does not wait for the next command): a process on the world's
        timeline (:mod:`sim_backend.timeline`)."""
        if fault.kind == "trip" and not callable(getattr(self.inner, "trip", None)):
            raise FaultError(f"kind trip: the instrument at {self.address} "
                             f"({type(self.inner).__name__}) has no output protection to trip "
                             f"(instruments with one: kepco_bop)")
        self.faults.append(fault)
        if fault.at_time is not None and fault.kind in _TIMED_KINDS:
            self.world.start(_TimedFault(self, fault))

    def _act(self, fault: Fault) -> None:
        """The effect of a fault on the instrument itself (not on one reply)."""
        kind = fault.kind
        if kind == "drop":
            self.dropped = True
        elif kind == "reset":
            power_cycle(self.inner)
        elif kind == "trip":
            self.inner.trip()
        elif kind == "error":
            engine = getattr(self.inner, "push_error", None) or getattr(
                getattr(self.inner, "engine", None), "push_error", None)
            if engine is not None:
                engine(fault.code, fault.message)

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
            if kind in _TIMED_KINDS:
                self._act(fault)
                if self.dropped:
                    raise _lost(self.address)
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
