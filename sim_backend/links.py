"""Instrument-to-instrument connections of a simulated bench, routed by the world.

Real instruments couple not only through the device but through cables between them: the
Keithley 622x Trigger Link and RS-232 pass-through to a 2182A (622x manual, section 5 "Delta,
Pulse Delta": the 2182A converts on the 6221's trigger pulses and is configured over the
serial cable), a lock-in's reference input, a scope's external trigger input.  In the
simulation these are world connections: an emulator *listens* on a named input of its own
(``listen(address, "trigger_link.step", handler)``) and *publishes* a signal of its own
(``publish(address, "modulation", value)``); another emulator *sends* to that input or *reads*
that signal by the address its bench wiring names.  Emulators never hold one another, so each
can be built, replaced and tested alone, and a bench file is the only place that wires them.
"""
from __future__ import annotations

from typing import Any, Callable


class LinkError(KeyError):
    """Nothing listens on the input a message was sent to."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class Links:
    """The world's instrument inputs (message handlers) and published signals."""

    def __init__(self) -> None:
        self._inputs: dict[tuple[str, str], Callable[..., Any]] = {}
        self._signals: dict[tuple[str, str], Any] = {}

    # ------------------------------------------------------------------ inputs (cables into an instrument)
    def listen(self, address: str, name: str, handler: Callable[..., Any]) -> None:
        """The instrument at ``address`` accepts messages on its input ``name``."""
        self._inputs[(address, name)] = handler

    def listens(self, address: str | None, name: str) -> bool:
        """Whether an instrument at ``address`` accepts messages on ``name``."""
        return address is not None and (address, name) in self._inputs

    def send(self, address: str, name: str, *args: Any) -> Any:
        """A message on the cable into ``address``'s input ``name``; returns what the
        receiving instrument answers on it (a reading, a configuration) or None."""
        try:
            handler = self._inputs[(address, name)]
        except KeyError:
            raise LinkError(f"no instrument at {address!r} listens on {name!r}") from None
        return handler(*args)

    # ------------------------------------------------------------------ signals (an instrument's outputs)
    def publish(self, address: str, name: str, value: Any) -> None:
        """The instrument at ``address`` puts ``value`` on its output ``name`` (latched)."""
        self._signals[(address, name)] = value

    def read(self, address: str | None, name: str, default: Any = None) -> Any:
        """The value last published on ``address``'s output ``name`` (``default``: none)."""
        if address is None:
            return default
        return self._signals.get((address, name), default)
