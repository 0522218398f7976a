"""The emulator base: input and output queues, the error queue, status byte, dispatch of program messages."""
from __future__ import annotations

import re
from collections import deque
from typing import TYPE_CHECKING, Any, Sequence

from .blocks import parse_block
from .commands import Args, Cmd, CommandTable
from .common import COMMON_TABLE
from .errors import ERROR_MESSAGES, ESR_OPC, STB_EAV, STB_ESB, STB_MAV, STB_MSS, ScpiError, esr_bit_for
from .parser import split_params, split_units

if TYPE_CHECKING:  # pragma: no cover
    from ..world import SimWorld


# ----------------------------------------------------------------------------------------------
# the emulator base


_UNIT_RE = re.compile(rb"^\s*([^\s]+)\s*(.*)$", re.S)
#: writes and units longer than this (bytes) are parsed every time, not remembered
_CACHE_MAX_BYTES = 256
#: remembered writes / units per emulator (the cache starts over when full)
_CACHE_ENTRIES = 1024


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
        self._common = COMMON_TABLE
        cls = type(self)
        if cls not in Emulator._tables:
            Emulator._tables[cls] = CommandTable(cls.COMMANDS)
        self.table = Emulator._tables[cls]
        #: write bytes -> its program messages, each a tuple of stripped, non-empty units
        self._split_cache: dict[bytes, tuple[tuple[bytes, ...], ...]] = {}
        #: (SCPI path, unit) -> the parsed unit (:meth:`_parse_unit`)
        self._unit_cache: dict[tuple[str, bytes], tuple] = {}
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

    # ---------------------------------------------------------------- operations that take time
    #: ``*OPC`` received while operations were running: set the OPC bit when they end
    _opc_armed = False

    def operations(self) -> tuple:
        """Operations of this instrument running on the world's timeline
        (:mod:`sim_backend.timeline`); override where an instrument has them."""
        return ()

    def wait_for_operations(self) -> None:
        """``*OPC?``/``*WAI``: the world runs until this instrument's operations are done."""
        ops = self.operations()
        if ops:
            self.world.run_until(lambda: all(p.done for p in ops))

    def operation_complete(self) -> None:
        """Called by a subclass when its last operation ends (an armed ``*OPC`` sets OPC)."""
        if self._opc_armed and not self.operations():
            self._opc_armed = False
            self.esr |= ESR_OPC

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
        if type(data) is not bytes:                 # a bytearray or memoryview: hashable copy
            data = bytes(data)
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
        messages = self._split_cache.get(data)
        if messages is None:
            messages = self._split(data)
        for units in messages:
            self._execute_message(units, responses)
        if self._owed:
            world.idle(self._owed)
            self._owed = 0.0
        if responses:
            self._out += b";".join(responses) + self.TERMINATOR
            self._out_end = True

    def read(self, count: int) -> tuple[bytes, bool]:
        out = self._out
        if not out:
            return b"", False
        if count >= len(out):                       # the whole response: no slice to copy
            chunk = bytes(out)
            out.clear()
        else:
            chunk = bytes(out[:count])
            del out[:count]
        self.world.idle(self.BUS_TIME_PER_TRANSFER + self.BUS_TIME_PER_BYTE * len(chunk))
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
        self.world.idle(self.BUS_TIME_PER_TRANSFER)
        return self.status_byte()

    def extra_status_bits(self) -> int:
        """Instrument-specific summary bits of the status byte (e.g. measurement summary)."""
        return 0

    # ---------------------------------------------------------------- parsing
    # A bench script sends the same few messages over and over (``*IDN?``, ``READ?``,
    # ``SOUR:CURR?``): a write's split into units, and each unit's parse under a SCPI path, are
    # pure functions of the bytes, so both are remembered (bounded; long writes -- binary
    # blocks, lists -- are parsed each time).  Execution is never cached.

    def _split(self, data: bytes) -> tuple[tuple[bytes, ...], ...]:
        """The program messages of a write, each as its stripped, non-empty message units."""
        out = []
        for message in self._split_messages(data):
            units = tuple(u for u in (unit.strip() for unit in split_units(message)) if u)
            if units:
                out.append(units)
        messages = tuple(out)
        if len(data) <= _CACHE_MAX_BYTES:
            cache = self._split_cache
            if len(cache) >= _CACHE_ENTRIES:
                cache.clear()
            cache[data] = messages
        return messages

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

    def _execute_message(self, units: tuple[bytes, ...], responses: list[bytes]) -> None:
        world = self.world
        cache = self._unit_cache
        path = ""  # current SCPI path (header up to the last node)
        for unit in units:
            # bus and parsing time change no drive: banked by the world (SimWorld.idle), the
            # device integrates it when a unit changes a drive or reads the device
            if self._owed:
                world.idle(self._owed + self.COMMAND_TIME)
                self._owed = 0.0
            else:
                world.idle(self.COMMAND_TIME)
            try:
                parsed = cache.get((path, unit))
                if parsed is None:
                    parsed = self._parse_unit(unit, path)
                handler, is_query, tokens, suffixes, blocks, new_path = parsed
                if handler is None:                     # a unit that does not parse
                    raise ScpiError(tokens, suffixes)
                args = Args(list(tokens) if tokens else [], suffixes, list(blocks) if blocks else [])
                if is_query:
                    responses.append(self.format_response(handler(self, args)))
                else:
                    handler(self, args)
                path = new_path
            except ScpiError as exc:
                self.push_error(exc.code, exc.detail)
                if exc.code <= -100 and exc.code > -200 and responses is not None:
                    # a command error aborts the rest of the message (488.2 6.1.6.1.1)
                    break

    def _parse_unit(self, unit: bytes, path: str) -> tuple:
        """``(handler, is_query, tokens, suffixes, blocks, new_path)`` of one message unit under
        the SCPI path ``path`` (SCPI-99 vol. 1, 6.2.4), remembered in :attr:`_unit_cache`; a
        unit that does not parse gives ``(None, None, code, detail, (), path)``."""
        try:
            parsed: tuple = self._parse_header_and_params(unit, path)
        except ScpiError as exc:
            parsed = (None, None, exc.code, exc.detail, (), path)
        if len(unit) <= _CACHE_MAX_BYTES:
            cache = self._unit_cache
            if len(cache) >= _CACHE_ENTRIES:
                cache.clear()
            cache[(path, unit)] = parsed
        return parsed

    def _parse_header_and_params(self, unit: bytes, path: str) -> tuple:
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
        if is_query:
            if cmd.query is None:
                raise ScpiError(-113, header + "?")
            handler = cmd.query
        else:
            if cmd.set is None:
                raise ScpiError(-113, header)
            handler = cmd.set
        return (handler, is_query, tuple(tokens), suffixes, tuple(blocks), new_path)

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
