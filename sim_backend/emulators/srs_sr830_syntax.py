"""SR830 command syntax helpers (SR830 manual 5-1 .. 5-3, "Command Syntax"): parameters are
numbers in any format; an integer parameter out of range is an execution error (the EXE bit of
the standard event status byte), a malformed one or a wrong parameter count a command error (the
CMD bit).  Answers use the SR830's float format."""
from __future__ import annotations

import math
from typing import Callable

from ..scpi import ScpiError


def num(token: str) -> float:
    try:
        value = float(token)
    except ValueError:
        raise ScpiError(-104, token) from None
    if not math.isfinite(value):
        raise ScpiError(-104, token)
    return value


def integer(token: str, lo: int, hi: int) -> int:
    """An integer parameter i (any numeric format, manual 5-3), out of range -> EXE."""
    value = num(token)
    i = int(round(value))
    if not lo <= i <= hi:
        raise ScpiError(-222, token)
    return i


def real(token: str, lo: float, hi: float) -> float:
    value = num(token)
    if not lo <= value <= hi:
        raise ScpiError(-222, token)
    return value


def count(params: list[str], lo: int, hi: int | None = None) -> None:
    hi = lo if hi is None else hi
    if not lo <= len(params) <= hi:
        raise ScpiError(-109 if len(params) < lo else -108)


def fmt(value: float) -> str:
    """The SR830's float format: ``-1.234567e-009`` (three-digit exponent)."""
    mant, exp = f"{value:+.6e}".split("e")
    return f"{mant}e{int(exp):+04d}"


class Row:
    """One command of the table: mnemonic, set and query handlers, the manual's syntax."""

    __slots__ = ("name", "set", "query", "doc")

    def __init__(self, name: str, set: Callable | None = None, query: Callable | None = None,
                 doc: str = ""):
        self.name, self.set, self.query, self.doc = name, set, query, doc
