"""SR830 data storage (SR830 manual 5-13 .. 5-17: "Data Storage Commands", "Data Transfer
Commands") on the world's timeline (issue 16).

``STRT`` starts (or resumes) a scan: at ``SRAT`` 62.5 mHz .. 512 Hz the two displays are
sampled into a 16383-point buffer, ``SEND 0`` stopping when it is full (one shot) and
``SEND 1`` overwriting the oldest points (loop).  A scan is a process on the world's timeline
(:class:`ScanProcess`): each sample is taken when the world clock reaches it, from the output
filter at that instant, so a field or current change by another instrument in the middle of a
scan shows from the sample after it.  ``STRD`` starts the scan 0.5 s later; ``SRAT 14``
(trigger) stores one sample per ``TRIG`` / GET; with ``TSTR 1`` a trigger starts the scan.
``PAUS`` and ``REST`` stop it (REST also empties the buffer); ``SPTS?`` answers the points
stored so far; ``TRCA?``/``TRCB?``/``TRCL?`` of points not yet stored are an execution error
(the EXE bit; nothing is answered), as the manual's "j + k exceeds the stored points".

Transfer formats: ``TRCA?`` ASCII with a comma after every point, ``TRCB?`` little-endian IEEE
float32 and ``TRCL?`` the SR830's 16-bit mantissa / 8-bit exponent format, both without
terminator (EOI on the last byte).
"""
from __future__ import annotations

import math
import struct
from collections import deque
from typing import TYPE_CHECKING

from ..scpi import ScpiError
from ..timeline import Process
from .srs_sr830_syntax import count as _count, fmt, integer as _int

if TYPE_CHECKING:  # pragma: no cover
    from .srs_sr830 import SR830

#: SRAT i -> sample rate (Hz); 14 is "trigger"
SAMPLE_RATES = tuple(0.0625 * 2 ** i for i in range(14))
SRAT_TRIGGER = 14
BUFFER_POINTS = 16383
#: STRD: "start scan after a delay of 0.5 s"
STRD_DELAY = 0.5
#: LIA status bit 6: a triggered storage sample (manual 5-20)
LIA_TRIG = 1 << 6


def trcl_bytes(value: float) -> bytes:
    """One point in the SR830's internal format: int16 mantissa m, exponent e in 0..248,
    value = m 2^(e - 124), little endian, byte 3 zero (manual, TRCL?)."""
    if value == 0 or not math.isfinite(value):
        return struct.pack("<hBB", 0, 124, 0)
    e = math.floor(math.log2(abs(value))) - 14 + 124
    e = min(max(e, 0), 248)
    m = int(round(value / 2.0 ** (e - 124)))
    if abs(m) > 32767:
        e = min(e + 1, 248)
        m = int(round(value / 2.0 ** (e - 124)))
    m = max(-32768, min(32767, m))
    return struct.pack("<hBB", m, e, 0)


class ScanProcess(Process):
    """A running scan: one sample every 1/SRAT from ``first`` (world time)."""

    def __init__(self, emu: "SR830", first: float, period: float):
        self.emu = emu
        self.first = first
        self.period = period
        self.next_time = first

    def fire(self, world) -> None:
        if world.now < self.first:           # world.start fires at once; STRD waits 0.5 s
            self.next_time = self.first
            return
        emu = self.emu
        emu._sync()
        emu._store_sample()
        self.next_time = self.next_time + self.period if emu.scan is self else math.inf

    def cancel(self) -> None:
        self.next_time = math.inf


class Storage:
    """The data-storage half of :class:`~.srs_sr830.SR830` (a mixin: it uses the emulator's
    settings, world, output and displays)."""

    buffer: deque
    scan: ScanProcess | None

    def reset_storage(self: "SR830") -> None:
        """``*RST``: an empty buffer, no scan."""
        self.stop_scan()
        self.buffer = deque(maxlen=BUFFER_POINTS)
        self.scanning = False

    def stop_scan(self: "SR830") -> None:
        scan = self.__dict__.get("scan")
        self.scan = None
        if scan is not None:
            self.world.cancel(scan)

    def _store_sample(self: "SR830") -> None:
        out = self._output()
        self.buffer.append((self._display(1, out), self._display(2, out)))
        if self.settings["send"] == 0 and len(self.buffer) >= BUFFER_POINTS:
            self.scanning = False  # one shot: storage stops when the buffer is full
            self.stop_scan()

    def _start(self: "SR830", delay: float = 0.0) -> None:
        """``STRT`` / ``STRD``: start or resume storage."""
        if self.scanning:
            return
        if self.settings["send"] == 0 and len(self.buffer) >= BUFFER_POINTS:
            return
        self.scanning = True
        if self.settings["srat"] != SRAT_TRIGGER:
            rate = SAMPLE_RATES[self.settings["srat"]]
            self.scan = ScanProcess(self, self.world.now + delay, 1.0 / rate)
            self.world.start(self.scan)

    def _trig(self: "SR830") -> None:
        if self.settings["tstr"] and not self.scanning:
            self._start()
            self.lias |= LIA_TRIG
            if self.settings["srat"] != SRAT_TRIGGER:
                return
        if self.scanning and self.settings["srat"] == SRAT_TRIGGER:
            self._store_sample()
            self.lias |= LIA_TRIG

    def _trace(self: "SR830", params: list[str]) -> list[float]:
        _count(params, 3)
        ch = _int(params[0], 1, 2)
        start = _int(params[1], 0, BUFFER_POINTS)
        count = _int(params[2], 1, BUFFER_POINTS)
        if start + count > len(self.buffer):
            raise ScpiError(-222, "j + k exceeds the stored points")
        return [self.buffer[i][ch - 1] for i in range(start, start + count)]

    # ------------------------------------------------------------------ handlers
    def s_srat(self: "SR830", p):
        _count(p, 1)
        i = _int(p[0], 0, 14)
        if self.scanning:
            raise ScpiError(-221, "sample rate cannot change during a scan")
        self.settings["srat"] = i

    def s_send(self: "SR830", p):
        _count(p, 1)
        self.settings["send"] = _int(p[0], 0, 1)

    def s_rest(self: "SR830", p):
        _count(p, 0)
        self.buffer.clear()
        self.scanning = False
        self.stop_scan()

    def s_paus(self: "SR830", p):
        _count(p, 0)
        self.scanning = False
        self.stop_scan()

    def q_trca(self: "SR830", p):
        return "".join(fmt(v) + "," for v in self._trace(p))

    def q_trcb(self: "SR830", p):
        values = self._trace(p)
        return struct.pack(f"<{len(values)}f", *values)

    def q_trcl(self: "SR830", p):
        return b"".join(trcl_bytes(v) for v in self._trace(p))
