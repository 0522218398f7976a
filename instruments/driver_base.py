"""Common plumbing of spinbench drivers: the per-instrument lock, I/O, options, close.

A spinbench driver wraps an *inner* driver (a pymeasure ``Instrument`` or a qcodes
``VisaInstrument``) that owns the VISA connection.  Role methods validate first (limits
refuse, never clip), then send explicit commands through :meth:`Driver._write` /
:meth:`Driver._ask` or through an inner-driver property whose validator can no longer bite.

Every exchange holds ``self.lock`` (one ``threading.RLock`` per instrument) so a query's
write+read is atomic even with a live-plot thread; multi-command sequences (a pulse-delta
run, a field ramp) hold it for their whole duration.

Constructors never talk to the instrument beyond what the inner driver does on its own.
"""
from __future__ import annotations

import contextlib
import io
import itertools
import logging
import math
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, ClassVar

from .capabilities import RoleCapabilities, Unknown
from .limits import Limits

log = logging.getLogger(__name__)

_qcodes_names = itertools.count(1)


def unique_qcodes_name(name: str) -> str:
    """qcodes instrument names must be unique per process (and identifiers)."""
    from qcodes.instrument import Instrument as _QInstrument

    base = re.sub(r"\W", "_", name) or "instrument"
    if base[0].isdigit():
        base = "i_" + base
    candidate = base
    while _QInstrument.exist(candidate):
        candidate = f"{base}_{next(_qcodes_names)}"
    return candidate


def open_qcodes(cls: type, name: str, address: str, visa_library: Any, **kwargs: Any) -> Any:
    """Construct a qcodes ``VisaInstrument`` under a unique name; its "Connected to: ..." line
    (qcodes prints it to stdout) goes to this module's log instead of the user's terminal."""
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        inner = cls(unique_qcodes_name(name), address, visalib=visa_library, **kwargs)
    if captured.getvalue().strip():
        log.info("%s: %s", name, captured.getvalue().strip())
    return inner

__all__ = ["Driver", "Health", "OptionError", "parse_float_reply"]

#: standard event status register bits (IEEE 488.2 11.5.1.1): query, device-dependent,
#: execution and command errors; power on
ESR_ERRORS = 0b0011_1100
ESR_PON = 0b1000_0000


@dataclass(frozen=True)
class Health:
    """What one instrument reports of itself since the previous :meth:`Driver.health`."""

    name: str
    #: the instrument was switched off and on (``*ESR?`` PON bit): its settings are the defaults
    power_on: bool = False
    #: the error queue's entries (``'code,"message"'``), oldest first
    errors: tuple[str, ...] = ()
    #: a fault no retry cures (a tripped protection, a source in compliance): what to tell
    fatal: str = ""

    @property
    def ok(self) -> bool:
        return not (self.power_on or self.errors or self.fatal)


class OptionError(ValueError):
    """An unknown or malformed driver option in the bench file."""


class InstrumentReplyError(ValueError):
    """An instrument's reply that cannot be what was asked (garbled or cut on the bus): a
    transient fault the runner retries."""


def parse_float_reply(reply: str, instrument: str, command: str) -> float:
    """Parse a numeric reply; raise :class:`InstrumentReplyError` naming the instrument and query."""
    text = reply.strip().split(",")[0]
    try:
        return float(text)
    except ValueError:
        raise InstrumentReplyError(f"{instrument}: reply {reply!r} to {command!r} is not a "
                                   f"number") from None


class Driver:
    """Base of all spinbench instrument drivers."""

    #: key in :data:`instruments.registry.DRIVERS`
    driver_name: ClassVar[str] = ""
    #: order of shutdown on bench exit: sources (0) first, magnets (1), meters (2) last
    shutdown_order: ClassVar[int] = 2
    #: option name -> (type or tuple of types, description); unknown options are refused
    OPTIONS: ClassVar[dict[str, tuple[Any, str]]] = {}
    #: options that must be given
    REQUIRED_OPTIONS: ClassVar[tuple[str, ...]] = ()
    #: options whose value names another instrument of the bench -> the drivers it may have
    #: (``Bench.load`` checks them; :meth:`attach` gets the open drivers)
    INSTRUMENT_OPTIONS: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: the error-queue query (SCPI-99 vol. 2, 21.8.8 ``SYSTem:ERRor?``); ``None``: the
    #: instrument has no error queue (its ``*ESR?`` bits are all it reports)
    ERROR_QUERY: ClassVar[str | None] = "SYST:ERR?"
    #: status queries sent with ``*ESR?`` in the same message (one round trip); their replies
    #: go to :meth:`fatal_condition`
    STATUS_QUERIES: ClassVar[tuple[str, ...]] = ()
    #: attributes caching "already sent this session" that a power cycle makes false
    SESSION_FLAGS: ClassVar[tuple[str, ...]] = ("_configured", "_compliance_sent")

    def __init__(self, name: str, inner: Any, limits: Limits | None = None,
                 options: dict[str, Any] | None = None) -> None:
        self.name = name
        self.limits = limits if limits is not None else Limits()
        self.options = self.check_options(options)
        self.lock = threading.RLock()
        self._inner = inner

    # ---- options ------------------------------------------------------------------------
    @classmethod
    def check_options(cls, options: dict[str, Any] | None) -> dict[str, Any]:
        """Validate a bench file's ``options:`` mapping; return a copy.

        Raises :class:`OptionError` naming the key and what is allowed.
        """
        options = dict(options or {})
        for key, value in options.items():
            if key not in cls.OPTIONS:
                allowed = ", ".join(cls.OPTIONS) or "none"
                raise OptionError(f"unknown option {key!r} for driver {cls.driver_name}; "
                                  f"allowed: {allowed}")
            kind, doc = cls.OPTIONS[key]
            if isinstance(value, bool) and kind is not bool and bool not in _as_tuple(kind):
                raise OptionError(f"option {key} ({doc}) must be {_kind_name(kind)}, got {value!r}")
            if not isinstance(value, kind):
                raise OptionError(f"option {key} ({doc}) must be {_kind_name(kind)}, got {value!r}")
            if isinstance(value, float) and not math.isfinite(value):
                raise OptionError(f"option {key} ({doc}) must be finite, got {value!r}")
        for key in cls.REQUIRED_OPTIONS:
            if key not in options:
                raise OptionError(f"driver {cls.driver_name} needs option {key!r} "
                                  f"({cls.OPTIONS[key][1]})")
        return options

    # ---- capabilities (no I/O) ------------------------------------------------------------
    @classmethod
    def capabilities(cls, role: type, name: str, limits: Limits,
                     options: dict[str, Any]) -> RoleCapabilities:
        """What this instrument can do in ``role`` (a role protocol of
        :mod:`instruments.roles`), from the manual's ranges, the bench ``limits`` and
        ``options`` -- without opening it (protocols' checks run before anything opens).

        Drivers override this for the roles they fill; the default, :class:`Unknown`,
        refuses nothing (the driver still checks every value before sending it).
        """
        return Unknown(name, cls.driver_name)

    # ---- opening --------------------------------------------------------------------------
    @classmethod
    def connect(cls, name: str, address: str, visa_library: Any, limits: Limits,
                options: dict[str, Any]) -> "Driver":
        """Open ``address`` through ``visa_library`` and wrap it.

        ``visa_library`` is the bench's pyvisa library spec string (``"@py"``,
        ``"<bench.yaml>@spinbench"``, ...): pyvisa caches one library object per spec and one
        ResourceManager per library, so every driver shares the bench's one ResourceManager.
        """
        raise NotImplementedError

    def attach(self, drivers: dict[str, "Driver"]) -> None:
        """Called by ``Bench.open()`` once every instrument is open, with instrument name ->
        driver; a driver linked to another instrument (an :data:`INSTRUMENT_OPTIONS` option)
        keeps it here.  Default: nothing."""

    # ---- I/O -------------------------------------------------------------------------------
    def _write(self, command: str) -> None:
        with self.lock:
            self._inner.write(command)

    def _ask(self, command: str) -> str:
        with self.lock:
            return str(self._inner.ask(command)).strip()

    def _ask_float(self, command: str) -> float:
        return parse_float_reply(self._ask(command), self.name, command)

    def _hold(self, duration_s: float) -> None:
        """Keep the present outputs for ``duration_s``: a software-timed wait (a ramp step, a
        poll interval, a pulse made by output on, wait, output off).  On a real bench that is
        host time the device sees.  The VISA library's ``hold(seconds)`` takes it where the
        library has one: the ``@spinbench`` library makes it a step of the world clock for a
        ``virtual``-clock client and a real sleep otherwise; any other library gets a sleep."""
        if duration_s <= 0:
            return
        hold = getattr(getattr(self.resource, "visalib", None), "hold", None)
        if callable(hold):
            hold(duration_s)
        else:
            time.sleep(duration_s)

    @property
    def resource(self) -> Any:
        """The open pyvisa resource (``None`` when the inner driver has none, e.g. in tests)."""
        inner = self._inner
        handle = getattr(inner, "visa_handle", None)  # qcodes
        if handle is not None:
            return handle
        adapter = getattr(inner, "adapter", None)     # pymeasure
        return getattr(adapter, "connection", None)

    # ---- bench life cycle -------------------------------------------------------------------
    def identify(self) -> str:
        """``*IDN?``"""
        return self._ask("*IDN?")

    def snapshot(self) -> dict[str, Any]:
        return {"idn": self.identify()}

    def health(self) -> Health:
        """``*ESR?`` (read and clear, IEEE 488.2 10.12): PON says the instrument was power-cycled;
        an error bit (QYE, DDE, EXE, CME) that its error queue holds entries, which are read
        with :attr:`ERROR_QUERY` until ``0,...``.  One query when all is well.  Drivers add
        their own checks through :meth:`fatal_condition`."""
        query = ";:".join(("*ESR?",) + self.STATUS_QUERIES)
        with self.lock:
            reply = self._ask(query)
            try:
                esr, *status = (int(float(r)) for r in reply.split(";"))
            except ValueError:
                raise InstrumentReplyError(f"{self.name}: reply {reply!r} to {query!r} is not "
                                           f"a number") from None
            if len(status) != len(self.STATUS_QUERIES):
                raise InstrumentReplyError(f"{self.name}: reply {reply!r} to {query!r} is cut")
            errors: list[str] = []
            if esr & ESR_ERRORS:
                if self.ERROR_QUERY is None:
                    errors.append(f"*ESR? = {esr}: the instrument rejected a command")
                else:
                    for _ in range(64):              # deeper than any manual's queue
                        entry = self._ask(self.ERROR_QUERY)
                        if entry.split(",")[0].strip().lstrip("+") in ("0", "-0", ""):
                            break
                        errors.append(entry)
            return Health(self.name, bool(esr & ESR_PON), tuple(errors),
                          self.fatal_condition(errors, status))

    def fatal_condition(self, errors: list[str], status: list[int]) -> str:
        """A condition no retry cures, from the error queue's ``errors`` or the replies to
        :attr:`STATUS_QUERIES` (``""``: none).  Default: none."""
        return ""

    def forget_session(self) -> None:
        """After a power cycle: what this driver sent once per session must be sent again."""
        for flag in self.SESSION_FLAGS:
            if hasattr(self, flag):
                setattr(self, flag, False)

    def shutdown(self) -> None:
        """Put the instrument safe; meters have nothing to do."""

    def close(self) -> None:
        inner = self._inner
        with self.lock:
            adapter = getattr(inner, "adapter", None)
            if adapter is not None:              # pymeasure: the adapter owns the resource
                adapter.close()
            elif hasattr(inner, "close"):        # qcodes: also frees the instrument name
                inner.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def _as_tuple(kind: Any) -> tuple:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: Any) -> str:
    names = {int: "an integer", float: "a number", str: "a string", bool: "true/false"}
    return " or ".join(names.get(k, k.__name__) for k in _as_tuple(kind))
