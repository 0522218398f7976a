"""Command tables: header patterns in the manuals' notation, arguments, setting commands."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from .errors import ScpiError
from .params import ParamType, _forms


# ----------------------------------------------------------------------------------------------
# command table


@dataclass(slots=True)
class Args:
    """What a handler receives: the raw parameter tokens and the numeric suffixes of the header."""

    tokens: list[str]
    suffixes: tuple[int, ...]
    blocks: list[bytes] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.tokens)

    def one(self, ptype: ParamType, current: Any = None) -> Any:
        """Exactly one parameter, parsed by ``ptype``."""
        if not self.tokens:
            raise ScpiError(-109)
        if len(self.tokens) > 1:
            raise ScpiError(-108)
        return ptype.parse(self.tokens[0], current)

    def optional(self, ptype: ParamType, default: Any) -> Any:
        if not self.tokens:
            return default
        return self.one(ptype)

    def none(self) -> None:
        if self.tokens:
            raise ScpiError(-108)

    def suffix(self, index: int = 0, default: int = 1) -> int:
        return self.suffixes[index] if index < len(self.suffixes) else default


Handler = Callable[[Any, Args], Any]


@dataclass
class Cmd:
    """One row of an emulator's command table.

    ``set`` handles the command form, ``query`` the ``?`` form and returns the response (str,
    number, bytes for binary blocks, or a sequence of values joined with commas).
    """

    pattern: str
    set: Handler | None = None
    query: Handler | None = None
    doc: str = ""


def setting(pattern: str, key: str, ptype: ParamType, doc: str = "",
            on_set: Callable[[Any, Any], None] | None = None, readonly: bool = False) -> Cmd:
    """A command bound to ``emulator.settings[key]``: set parses with ``ptype``, query formats it.

    Query with ``MIN``/``MAX``/``DEF`` answers the limit, as SCPI instruments do.
    """

    def _set(dev: Any, args: Args) -> None:
        value = args.one(ptype, dev.settings.get(key))
        dev.settings[key] = value
        if on_set is not None:
            on_set(dev, value)

    def _query(dev: Any, args: Args) -> str:
        if args.tokens:
            return ptype.format(args.one(ptype))
        return ptype.format(dev.settings[key])

    return Cmd(pattern, None if readonly else _set, _query, doc)


def _pattern_nodes(pattern: str) -> list[tuple[str, bool, str]]:
    """Manual notation -> nodes ``(word, optional, suffix)``; suffix is ``""``, ``"[1]"`` or ``"<n>"``."""
    nodes: list[tuple[str, bool, str]] = []
    cur: list | None = None
    depth = 0
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "[" and cur is not None and pattern.startswith("[1]", i):
            cur[2] = "[1]"
            i += 3
        elif ch == "<" and cur is not None and pattern.startswith("<n>", i):
            cur[2] = "<n>"
            i += 3
        elif ch == "[":
            depth += 1
            i += 1
        elif ch == "]":
            depth -= 1
            i += 1
        elif ch == ":":
            if cur is not None:
                nodes.append(tuple(cur))  # type: ignore[arg-type]
            cur = None
            i += 1
        elif ch.isalnum() or ch in "*_":
            if cur is None:
                cur = [ch, depth > 0, ""]
            else:
                cur[0] += ch
            i += 1
        else:
            raise ValueError(f"bad character {ch!r} in SCPI pattern {pattern!r}")
    if cur is not None:
        nodes.append(tuple(cur))  # type: ignore[arg-type]
    if depth != 0 or not nodes:
        raise ValueError(f"unbalanced SCPI pattern {pattern!r}")
    return nodes


def _compile_pattern(pattern: str) -> tuple[re.Pattern[str], int]:
    """Compile manual header notation into a regex over the normalised header (``:A:B``)."""
    parts = []
    ncapture = 0
    for word, optional, suffix in _pattern_nodes(pattern):
        short, long = _forms(word)
        alts = sorted({re.escape(short), re.escape(long)}, key=len, reverse=True)
        node = ":(?:" + "|".join(alts) + ")"
        if suffix == "[1]":
            node += "(?:1)?"
        elif suffix == "<n>":
            node += r"(\d+)?"
            ncapture += 1
        parts.append(f"(?:{node})?" if optional else node)
    return re.compile("^" + "".join(parts) + "$"), ncapture


@dataclass
class _Compiled:
    cmd: Cmd
    regex: re.Pattern[str]
    ncapture: int


class CommandTable:
    """Header lookup with a cache (the hot path of every query)."""

    def __init__(self, commands: Iterable[Cmd]):
        self._rows = []
        for c in commands:
            regex, n = _compile_pattern(c.pattern)
            self._rows.append(_Compiled(c, regex, n))
        self._cache: dict[str, tuple[Cmd, tuple[int, ...]] | None] = {}

    def lookup(self, header: str) -> tuple[Cmd, tuple[int, ...]] | None:
        """``header`` is upper case with a leading ``:`` and no ``?``."""
        hit = self._cache.get(header, False)
        if hit is not False:
            return hit  # type: ignore[return-value]
        found = None
        for row in self._rows:
            m = row.regex.match(header)
            if m:
                sfx = tuple(int(g) if g else 1 for g in m.groups()[: row.ncapture])
                found = (row.cmd, sfx)
                break
        if len(self._cache) < 4096:
            self._cache[header] = found
        return found

    def __iter__(self):
        return (r.cmd for r in self._rows)
