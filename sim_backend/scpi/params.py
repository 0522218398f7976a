"""SCPI parameter types: numbers with units and multipliers, booleans, choices, strings (SCPI-99 vol. 1, 7)."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from .errors import ScpiError


# ----------------------------------------------------------------------------------------------
# parameter types


_NUM_RE = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z]*)$")
_MULTIPLIERS = {
    "": 1.0, "EX": 1e18, "PE": 1e15, "T": 1e12, "G": 1e9, "MA": 1e6, "K": 1e3, "M": 1e-3,
    "U": 1e-6, "N": 1e-9, "P": 1e-12, "F": 1e-15, "A": 1e-18,
}


def parse_number(token: str, unit: str | None = None) -> float:
    """Parse SCPI <NRf> with an optional suffix unit (SCPI-99 7.2): ``1e-3``, ``1mA``, ``5 US``.

    A suffix is accepted only when ``unit`` is given.  ``M`` is milli and ``MA`` mega (so ``MA`` alone
    with unit A reads as milliampere, M + A), except ``MHZ`` and ``MOHM``, which are mega.
    """
    m = _NUM_RE.match(token.strip())
    if not m:
        raise ScpiError(-104 if token.strip()[:1].isalpha() else -120, token)
    value = float(m.group(1))
    suffix = m.group(2).upper()
    if not suffix:
        return value
    if unit is None:
        raise ScpiError(-131, token)
    u = unit.upper()
    if suffix == u:
        return value
    if suffix.endswith(u):
        prefix = suffix[: -len(u)]
        if prefix == "M" and u in ("HZ", "OHM"):
            return value * 1e6  # IEEE 488.2 7.7.3.4: MHZ and MOHM are mega, not milli
        if prefix in _MULTIPLIERS:
            return value * _MULTIPLIERS[prefix]
    raise ScpiError(-131, token)


class ParamType:
    """Converts one parameter token to a value and a value back to response text."""

    def parse(self, token: str, current: Any = None) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def format(self, value: Any) -> str:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class Numeric(ParamType):
    """<numeric_value>: NRf, MIN/MAX/DEF (and UP/DOWN when ``step`` is given), range-checked (-222)."""

    lo: float = -math.inf
    hi: float = math.inf
    default: float | None = None
    unit: str | None = None
    integer: bool = False
    fmt: str = "{:.6E}"
    step: float | None = None
    #: when True a value out of range is clamped instead of refused (only where the manual says so)
    clamp: bool = False

    def parse(self, token: str, current: Any = None) -> float | int:
        t = token.strip().upper()
        if t in ("MIN", "MINIMUM"):
            v = self.lo
        elif t in ("MAX", "MAXIMUM"):
            v = self.hi
        elif t in ("DEF", "DEFAULT"):
            if self.default is None:
                raise ScpiError(-224, token)
            v = self.default
        elif t in ("UP", "DOWN") and self.step is not None and current is not None:
            v = current + (self.step if t == "UP" else -self.step)
        elif t in ("INF", "+INF", "9.9E37"):
            v = math.inf
        elif t in ("NINF", "-INF"):
            v = -math.inf
        else:
            v = parse_number(token, self.unit)
        if math.isnan(v):
            raise ScpiError(-120, token)
        if not (self.lo <= v <= self.hi):
            if not self.clamp:
                raise ScpiError(-222, token)
            v = min(max(v, self.lo), self.hi)
        if self.integer:
            v = int(round(v))
        return v

    def format(self, value: Any) -> str:
        if self.integer:
            return str(int(value))
        return self.fmt.format(value)


@dataclass(frozen=True)
class Boolean(ParamType):
    """<Boolean>: ON/OFF/1/0 (any nonzero number is ON, as SCPI-99 7.3 allows); answers 1/0."""

    def parse(self, token: str, current: Any = None) -> bool:
        t = token.strip().upper()
        if t == "ON":
            return True
        if t == "OFF":
            return False
        try:
            return round(float(t)) != 0
        except ValueError:
            raise ScpiError(-104, token) from None

    def format(self, value: Any) -> str:
        return "1" if value else "0"


def _forms(word: str) -> tuple[str, str]:
    short = "".join(ch for ch in word if ch.isupper() or ch.isdigit() or ch in "_?*")
    return (short or word.upper(), word.upper())


@dataclass(frozen=True)
class Choice(ParamType):
    """<character data> from a fixed list written in manual notation, e.g. ``("CURRent", "VOLTage")``.

    Parses to the long form in upper case; answers the short form (as Keithley instruments do)
    unless ``answer_long`` is set or a ``replies`` mapping is given.
    """

    options: tuple[str, ...]
    answer_long: bool = False

    def parse(self, token: str, current: Any = None) -> str:
        t = token.strip().upper().strip('"').strip("'")
        for opt in self.options:
            short, long = _forms(opt)
            if t in (short, long):
                return long
        raise ScpiError(-224 if t[:1].isalpha() else -104, token)

    def format(self, value: Any) -> str:
        for opt in self.options:
            short, long = _forms(opt)
            if value == long:
                return long if self.answer_long else short
        return str(value)


@dataclass(frozen=True)
class String(ParamType):
    """<string>: quoted with ' or \" (doubled quotes inside)."""

    max_length: int = 256

    def parse(self, token: str, current: Any = None) -> str:
        t = token.strip()
        if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
            s = t[1:-1].replace(t[0] * 2, t[0])
        else:
            raise ScpiError(-151, token)
        if len(s) > self.max_length:
            raise ScpiError(-151, token)
        return s

    def format(self, value: Any) -> str:
        return '"' + str(value).replace('"', '""') + '"'


@dataclass(frozen=True)
class NumericList(ParamType):
    """A comma-separated list of numbers in one command (the whole parameter list)."""

    item: Numeric = Numeric()
    max_items: int = 100_000

    def parse(self, token: str, current: Any = None) -> float:
        return self.item.parse(token)

    def format(self, value: Any) -> str:
        return ",".join(self.item.format(v) for v in value)
