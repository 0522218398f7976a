"""SCPI / IEEE 488.2 message engine shared by the instrument emulators.

An emulator declares its command table as a list of :class:`Cmd` in the order of its manual's
command summary.  Header patterns follow the manuals' notation:

* upper-case letters are the short form, the whole word is the long form
  (``CURRent`` accepts ``CURR`` and ``CURRENT``, any case, and nothing in between);
* ``[...]`` marks an optional node (``[SOURce[1]]:CURRent[:LEVel]``), a trailing ``[1]`` an
  optional numeric suffix that may only be 1;
* ``<n>`` after a node captures a numeric suffix (``CALCulate<n>``, default 1);
* a pattern starting with ``*`` is a common command.

Parsing follows IEEE 488.2 / SCPI-99: program messages split on ``;`` (outside strings and
blocks), a header without a leading ``:`` after ``;`` is relative to the previous header's path
(SCPI-99 vol. 1, 6.2.4), parameters split on ``,`` with quoted strings and definite-length
blocks (``#<n><len><bytes>``).  Errors go to the error queue with the standard codes
(SCPI-99 vol. 2, 21.8) and set the matching Standard Event Status Register bits.
"""
from __future__ import annotations

import math
import re
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from .world import SimWorld

# ----------------------------------------------------------------------------------------------
# errors

#: Standard SCPI error messages (SCPI-99 vol. 2, 21.8).
ERROR_MESSAGES: dict[int, str] = {
    0: "No error",
    -100: "Command error",
    -101: "Invalid character",
    -102: "Syntax error",
    -103: "Invalid separator",
    -104: "Data type error",
    -108: "Parameter not allowed",
    -109: "Missing parameter",
    -113: "Undefined header",
    -114: "Header suffix out of range",
    -120: "Numeric data error",
    -131: "Invalid suffix",
    -141: "Invalid character data",
    -151: "Invalid string data",
    -160: "Block data error",
    -200: "Execution error",
    -213: "Init ignored",
    -221: "Settings conflict",
    -222: "Data out of range",
    -224: "Illegal parameter value",
    -230: "Data corrupt or stale",
    -241: "Hardware missing",
    -350: "Queue overflow",
    -363: "Input buffer overrun",
    -410: "Query INTERRUPTED",
    -420: "Query UNTERMINATED",
    -430: "Query DEADLOCKED",
}

# Standard Event Status Register bits (IEEE 488.2, 11.5.1)
ESR_OPC, ESR_RQC, ESR_QYE, ESR_DDE, ESR_EXE, ESR_CME, ESR_URQ, ESR_PON = (1 << i for i in range(8))
# Status byte bits
STB_EAV, STB_MAV, STB_ESB, STB_MSS = 1 << 2, 1 << 4, 1 << 5, 1 << 6


class ScpiError(Exception):
    """A command the instrument rejects: ``code`` goes to the error queue."""

    def __init__(self, code: int, detail: str = ""):
        self.code = code
        self.detail = detail
        text = ERROR_MESSAGES.get(code, "Device-specific error")
        super().__init__(f'{code},"{text}{"; " + detail if detail else ""}"')


def esr_bit_for(code: int) -> int:
    """The ESR bit an error code sets (IEEE 488.2, 11.5.1.1)."""
    if -199 <= code <= -100:
        return ESR_CME
    if -299 <= code <= -200:
        return ESR_EXE
    if -399 <= code <= -300 or code > 0:
        return ESR_DDE
    if -499 <= code <= -400:
        return ESR_QYE
    return 0


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


# ----------------------------------------------------------------------------------------------
# binary blocks


def definite_block(payload: bytes) -> bytes:
    """IEEE 488.2 definite-length arbitrary block: ``#<n><length><payload>``."""
    n = str(len(payload))
    if len(n) > 9:
        raise ValueError("block too long for a definite-length header")
    return b"#" + str(len(n)).encode() + n.encode() + payload


def parse_block(data: bytes, start: int = 0) -> tuple[bytes, int]:
    """Parse a definite (``#n...``) or indefinite (``#0...``+END) block; return payload and end index."""
    if data[start : start + 1] != b"#":
        raise ScpiError(-160, "block must start with #")
    try:
        ndig = int(data[start + 1 : start + 2])
    except ValueError:
        raise ScpiError(-160, "bad block header") from None
    if ndig == 0:  # indefinite: to the end of the message, less the terminator
        payload = data[start + 2 :]
        return payload.rstrip(b"\n"), len(data)
    length_text = data[start + 2 : start + 2 + ndig]
    if len(length_text) != ndig or not length_text.isdigit():
        raise ScpiError(-160, "bad block length")
    length = int(length_text)
    begin = start + 2 + ndig
    if begin + length > len(data):
        raise ScpiError(-160, "block shorter than its header says")
    return data[begin : begin + length], begin + length


# ----------------------------------------------------------------------------------------------
# command table


@dataclass
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


# ----------------------------------------------------------------------------------------------
# message splitting


def split_units(message: bytes) -> list[bytes]:
    """Split a program message into message units on ``;`` outside strings and blocks."""
    if b"#" not in message and b'"' not in message and b"'" not in message:
        return message.split(b";")  # nothing to protect: the common case, done in C
    units: list[bytes] = []
    start = 0
    i = 0
    n = len(message)
    quote = 0
    while i < n:
        c = message[i]
        if quote:
            if c == quote:
                quote = 0
        elif c in (0x22, 0x27):  # " '
            quote = c
        elif c == 0x23 and i + 1 < n and 0x30 <= message[i + 1] <= 0x39:  # '#' block
            try:
                _, end = parse_block(message, i)
                i = end
                continue
            except ScpiError:
                pass
        elif c == 0x3B:  # ;
            units.append(message[start:i])
            start = i + 1
        i += 1
    units.append(message[start:])
    return units


def split_params(text: bytes) -> tuple[list[str], list[bytes]]:
    """Split parameter text on ``,`` outside strings/blocks; blocks are returned separately as bytes
    and stand in the token list as ``#BLOCK<k>``."""
    tokens: list[str] = []
    blocks: list[bytes] = []
    buf = bytearray()
    i = 0
    n = len(text)
    quote = 0
    while i < n:
        c = text[i]
        if quote:
            buf.append(c)
            if c == quote:
                quote = 0
        elif c in (0x22, 0x27):
            quote = c
            buf.append(c)
        elif c == 0x23 and i + 1 < n and 0x30 <= text[i + 1] <= 0x39:
            payload, end = parse_block(text, i)
            blocks.append(payload)
            buf += f"#BLOCK{len(blocks) - 1}".encode()
            i = end
            continue
        elif c == 0x2C:
            tokens.append(buf.decode("latin-1").strip())
            buf = bytearray()
        else:
            buf.append(c)
        i += 1
    if quote:
        raise ScpiError(-151, "unterminated string")
    last = buf.decode("latin-1").strip()
    if last or tokens:
        tokens.append(last)
    if any(t == "" for t in tokens):
        raise ScpiError(-109 if tokens[-1] == "" else -103)
    return tokens, blocks


# ----------------------------------------------------------------------------------------------
# the emulator base


_UNIT_RE = re.compile(rb"^\s*([^\s]+)\s*(.*)$", re.S)


class Emulator:
    """Byte-level instrument emulator speaking SCPI/IEEE 488.2 (contracts §2).

    Subclasses set :attr:`IDN`, :attr:`COMMANDS` (a list of :class:`Cmd`), :meth:`reset`
    defaults, and override :meth:`on_trigger` etc.  Non-SCPI instruments (Lake Shore, SR830)
    use the same table machinery with flat headers and set ``SCPI_ERRORS = False``.
    """

    #: ``*IDN?`` answer
    IDN = "SPINBENCH,EMULATOR,0,0"
    #: the command table, in the order of the manual's command summary
    COMMANDS: Sequence[Cmd] = ()
    #: depth of the error queue (the manuals give 10..32)
    ERROR_QUEUE_DEPTH = 10
    #: whether SCPI path rules (relative headers after ';') apply
    SCPI_PATHS = True
    #: response message terminator
    TERMINATOR = b"\n"
    #: seconds the instrument takes to parse and execute one message unit
    COMMAND_TIME = 1e-4
    #: bus transfer time per byte (GPIB ~1 MB/s) and per transaction
    BUS_TIME_PER_BYTE = 1e-6
    BUS_TIME_PER_TRANSFER = 2e-4

    _tables: dict[type, CommandTable] = {}
    #: bus time of the write being executed, not yet charged to the world clock
    _owed: float = 0.0

    def __init__(self, world: "SimWorld", address: str, config: dict | None = None):
        self.world = world
        self.address = address
        self.config = dict(config or {})
        self.connect: dict[str, Any] = dict(self.config.get("connect", {}))
        self.settings: dict[str, Any] = {}
        self.errors: deque[tuple[int, str]] = deque()
        self.esr = 0
        self.ese = 0
        self.sre = 0
        self._out = bytearray()
        self._out_end = False
        self._common = _COMMON_TABLE
        cls = type(self)
        if cls not in Emulator._tables:
            Emulator._tables[cls] = CommandTable(cls.COMMANDS)
        self.table = Emulator._tables[cls]
        self.reset()

    # ---------------------------------------------------------------- instrument state
    def reset(self) -> None:
        """``*RST``: default settings (override and call super)."""

    def on_trigger(self) -> None:
        """Group Execute Trigger / ``*TRG`` (override where the trigger model needs it)."""

    def on_clear(self) -> None:
        """Device clear: abort what is pending (override where needed)."""

    def on_cls(self) -> None:
        """``*CLS``: clear the instrument's own event registers too (override where needed)."""

    def close(self) -> None:
        """Resource closed (the instrument keeps its state, as a real one does)."""

    # ---------------------------------------------------------------- error queue
    def push_error(self, code: int, detail: str = "") -> None:
        self.esr |= esr_bit_for(code)
        if len(self.errors) >= self.ERROR_QUEUE_DEPTH:
            self.errors[-1] = (-350, ERROR_MESSAGES[-350])
            return
        text = ERROR_MESSAGES.get(code, "Device-specific error")
        self.errors.append((code, text))

    def pop_error(self) -> str:
        if not self.errors:
            return '0,"No error"'
        code, text = self.errors.popleft()
        return f'{code},"{text}"'

    # ---------------------------------------------------------------- contracts §2
    def write(self, data: bytes) -> None:
        """One VISA write: a complete program message (END on the last byte)."""
        world = self.world
        world.record(self.address, data)
        # the transfer time is charged together with the first unit's execution time (one
        # world.advance instead of two: the drive cannot change in between)
        self._owed = self.BUS_TIME_PER_TRANSFER + self.BUS_TIME_PER_BYTE * len(data)
        if self._out:
            # IEEE 488.2 6.3.2.3: a new message while a response is unread interrupts it
            self._out.clear()
            self.push_error(-410)
        self._out_end = False
        responses: list[bytes] = []
        for message in self._split_messages(data):
            self._execute_message(message, responses)
        if self._owed:
            world.advance(self._owed)
            self._owed = 0.0
        if responses:
            self._out += b";".join(responses) + self.TERMINATOR
            self._out_end = True

    def read(self, count: int) -> tuple[bytes, bool]:
        if not self._out:
            return b"", False
        chunk = bytes(self._out[:count])
        del self._out[:count]
        self.world.advance(self.BUS_TIME_PER_TRANSFER + self.BUS_TIME_PER_BYTE * len(chunk))
        return chunk, (not self._out and self._out_end)

    def pending(self) -> int:
        return len(self._out)

    def find_output(self, byte: int, limit: int) -> int:
        """Index of ``byte`` in the first ``limit`` bytes of pending output, or -1; nothing is
        consumed (the VISA library stops a read at the termination character with it)."""
        return self._out.find(byte, 0, limit)

    def on_unterminated_read(self) -> None:
        """The controller read with no response pending (IEEE 488.2 6.3.2.2, SCPI -420)."""
        self.push_error(-420)

    def clear(self) -> None:
        self._out.clear()
        self._out_end = False
        self.on_clear()

    def trigger(self) -> None:
        self.world.record(self.address, b"<GET>")
        self.on_trigger()

    def status_byte(self) -> int:
        stb = 0
        if self.errors:
            stb |= STB_EAV
        if self._out:
            stb |= STB_MAV
        if self.esr & self.ese:
            stb |= STB_ESB
        stb |= self.extra_status_bits()
        if stb & self.sre & ~STB_MSS:
            stb |= STB_MSS
        return stb

    def serial_poll(self) -> int:
        """A serial poll (VISA ``viReadSTB``): one bus transaction, then the status byte."""
        self.world.advance(self.BUS_TIME_PER_TRANSFER)
        return self.status_byte()

    def extra_status_bits(self) -> int:
        """Instrument-specific summary bits of the status byte (e.g. measurement summary)."""
        return 0

    # ---------------------------------------------------------------- parsing
    def _split_messages(self, data: bytes) -> list[bytes]:
        """Split a write into program messages on the terminator (outside blocks)."""
        data = data.rstrip(b"\r\n") if not data.endswith(b"\r\n\r\n") else data
        if b"\n" not in data:
            return [data] if data.strip() else []
        messages = []
        start = 0
        i = 0
        while i < len(data):
            c = data[i]
            if c == 0x23 and i + 1 < len(data) and 0x31 <= data[i + 1] <= 0x39:
                try:
                    _, i = parse_block(data, i)
                    continue
                except ScpiError:
                    pass
            if c == 0x0A:
                messages.append(data[start:i].rstrip(b"\r"))
                start = i + 1
            i += 1
        messages.append(data[start:])
        return [m for m in messages if m.strip()]

    def _execute_message(self, message: bytes, responses: list[bytes]) -> None:
        path = ""  # current SCPI path (header up to the last node)
        for unit in split_units(message):
            unit = unit.strip()
            if not unit:
                continue
            if self._owed:
                self.world.advance(self._owed + self.COMMAND_TIME)
                self._owed = 0.0
            else:
                self.world.advance(self.COMMAND_TIME)
            try:
                path = self._execute_unit(unit, path, responses)
            except ScpiError as exc:
                self.push_error(exc.code, exc.detail)
                if exc.code <= -100 and exc.code > -200 and responses is not None:
                    # a command error aborts the rest of the message (488.2 6.1.6.1.1)
                    break

    def _execute_unit(self, unit: bytes, path: str, responses: list[bytes]) -> str:
        # header = everything up to the first whitespace
        m = _UNIT_RE.match(unit)
        if not m:
            raise ScpiError(-102)
        header_b, rest = m.group(1), m.group(2)
        try:
            header = header_b.decode("ascii").upper()
        except UnicodeDecodeError:
            raise ScpiError(-101) from None
        is_query = header.endswith("?")
        if is_query:
            header = header[:-1]
        if not header or "?" in header:
            raise ScpiError(-102, header_b.decode("latin-1"))
        if header.startswith(":*"):
            header = header[1:]  # ":*CLS" (pymeasure sends it): a common command after a root colon
        if header.startswith("*"):
            found = self._common.lookup(":" + header)
            if found is None:
                found = self.table.lookup(":" + header)
            new_path = path
        else:
            if header.startswith(":"):
                full = header
            elif self.SCPI_PATHS and path:
                full = path + ":" + header
            else:
                full = ":" + header
            found = self.table.lookup(full)
            if found is None and not header.startswith(":") and path:
                full = ":" + header  # many instruments also accept an absolute header here
                found = self.table.lookup(full)
            new_path = full.rsplit(":", 1)[0] if self.SCPI_PATHS else ""
        if found is None:
            raise ScpiError(-113, header)
        cmd, suffixes = found
        tokens, blocks = split_params(rest) if rest.strip() else ([], [])
        args = Args(tokens, suffixes, blocks)
        if is_query:
            if cmd.query is None:
                raise ScpiError(-113, header + "?")
            value = cmd.query(self, args)
            responses.append(self.format_response(value))
        else:
            if cmd.set is None:
                raise ScpiError(-113, header)
            cmd.set(self, args)
        return new_path

    @staticmethod
    def format_response(value: Any) -> bytes:
        if isinstance(value, (bytes, bytearray)):
            return bytes(value)
        if isinstance(value, str):
            return value.encode("latin-1")
        if isinstance(value, bool):
            return b"1" if value else b"0"
        if isinstance(value, int):
            return str(value).encode()
        if isinstance(value, float):
            return f"{value:.6E}".encode()
        if isinstance(value, (list, tuple)):
            return b",".join(Emulator.format_response(v) for v in value)
        try:  # numpy arrays and scalars
            import numpy as np

            if isinstance(value, np.ndarray):
                return ",".join(f"{v:.6E}" for v in value.ravel()).encode()
            if isinstance(value, np.generic):
                return Emulator.format_response(value.item())
        except ImportError:  # pragma: no cover
            pass
        raise TypeError(f"cannot format response {value!r}")


# ----------------------------------------------------------------------------------------------
# IEEE 488.2 common commands (section 10)


def _idn(dev: Emulator, args: Args) -> str:
    args.none()
    return dev.IDN


def _rst(dev: Emulator, args: Args) -> None:
    args.none()
    dev.reset()


def _cls(dev: Emulator, args: Args) -> None:
    args.none()
    dev.errors.clear()
    dev.esr = 0
    dev.on_cls()


def _esr_q(dev: Emulator, args: Args) -> int:
    value, dev.esr = dev.esr, 0
    return value


def _ese(dev: Emulator, args: Args) -> None:
    dev.ese = args.one(Numeric(0, 255, integer=True))


def _sre(dev: Emulator, args: Args) -> None:
    dev.sre = args.one(Numeric(0, 255, integer=True))


def _opc(dev: Emulator, args: Args) -> None:
    dev.esr |= ESR_OPC


def _trg(dev: Emulator, args: Args) -> None:
    dev.on_trigger()


def _wai(dev: Emulator, args: Args) -> None:
    return None


def _tst(dev: Emulator, args: Args) -> int:
    return 0


_COMMON_TABLE = CommandTable([
    Cmd("*IDN", query=_idn, doc="identification"),
    Cmd("*RST", set=_rst, doc="reset to defaults"),
    Cmd("*CLS", set=_cls, doc="clear status and error queue"),
    Cmd("*ESR", query=_esr_q, doc="read and clear the standard event status register"),
    Cmd("*ESE", set=_ese, query=lambda d, a: d.ese, doc="event status enable"),
    Cmd("*SRE", set=_sre, query=lambda d, a: d.sre, doc="service request enable"),
    Cmd("*STB", query=lambda d, a: d.status_byte(), doc="status byte"),
    Cmd("*OPC", set=_opc, query=lambda d, a: 1, doc="operation complete"),
    Cmd("*WAI", set=_wai, doc="wait to continue"),
    Cmd("*TRG", set=_trg, doc="bus trigger"),
    Cmd("*TST", query=_tst, doc="self test"),
])


def system_error_commands() -> list[Cmd]:
    """``SYSTem:ERRor[:NEXT]?``, ``:ALL?``, ``:COUNt?``, ``:CLEar`` for SCPI instruments."""

    def _all(dev: Emulator, args: Args) -> str:
        if not dev.errors:
            return '0,"No error"'
        items = []
        while dev.errors:
            items.append(dev.pop_error())
        return ",".join(items)

    def _clear(dev: Emulator, args: Args) -> None:
        dev.errors.clear()

    return [
        Cmd("SYSTem:ERRor[:NEXT]", query=lambda d, a: d.pop_error()),
        Cmd("SYSTem:ERRor:ALL", query=_all),
        Cmd("SYSTem:ERRor:COUNt", query=lambda d, a: len(d.errors)),
        Cmd("SYSTem:ERRor:CLEar", set=_clear),
        Cmd("SYSTem:CLEar", set=_clear),
        Cmd("SYSTem:VERSion", query=lambda d, a: "1999.0"),
    ]


#: the three SCPI event registers of SCPI-99 vol. 1, 9 (attributes <abbr>_event / <abbr>_enable)
SCPI_STATUS_REGISTERS = ("MEASurement", "OPERation", "QUEStionable")


def _register_attrs(name: str) -> tuple[str, str]:
    abbr = name[:4].lower()
    return f"{abbr}_event", f"{abbr}_enable"


def status_register_commands(name: str, condition: Callable[[Any], int] | None = None) -> list[Cmd]:
    """``STATus:<name>[:EVENt]?`` (read and clear), ``:ENABle``, ``:CONDition?`` of one 16-bit
    SCPI event register (SCPI-99 vol. 1, 9.3), kept on the emulator as ``<abbr>_event`` and
    ``<abbr>_enable`` (``meas_event``, ``oper_enable``, ...).  ``condition(dev)`` answers the
    condition register (0 when not given)."""
    event, enable = _register_attrs(name)

    def _event(dev: Any, args: Args) -> int:
        value = getattr(dev, event)
        setattr(dev, event, 0)
        return value

    def _enable(dev: Any, args: Args) -> None:
        setattr(dev, enable, args.one(Numeric(0, 65535, integer=True)))

    def _condition(dev: Any, args: Args) -> int:
        return condition(dev) if condition is not None else 0

    return [Cmd(f"STATus:{name}[:EVENt]", query=_event),
            Cmd(f"STATus:{name}:ENABle", _enable, lambda d, a: getattr(d, enable)),
            Cmd(f"STATus:{name}:CONDition", query=_condition)]


def status_preset_command(names: Sequence[str] = SCPI_STATUS_REGISTERS) -> Cmd:
    """``STATus:PRESet``: the enable registers of ``names`` to 0 (SCPI-99 vol. 1, 9.4)."""

    def _preset(dev: Any, args: Args) -> None:
        args.none()
        for name in names:
            setattr(dev, _register_attrs(name)[1], 0)

    return Cmd("STATus:PRESet", _preset)


def clear_status_registers(dev: Any, names: Sequence[str] = SCPI_STATUS_REGISTERS) -> None:
    """``*CLS`` of the SCPI event registers (IEEE 488.2 10.3): call from ``on_cls``."""
    for name in names:
        setattr(dev, _register_attrs(name)[0], 0)
