"""Keysight InfiniiVision DSOX3000T oscilloscope: :class:`Oscilloscope`.

pymeasure's ``KeysightDSOX1102G`` (the same InfiniiVision command family) owns the connection,
but its waveform read is not sound for binary data: ``waveform_data`` forces ASCii and cuts a
fixed 10-character header.  Role methods therefore send explicit SCPI (InfiniiVision 3000T
X-Series Programmer's Guide: :CHANnel, :TIMebase, :TRIGger:EDGE, :DIGitize, :WAVeform) and read
``:WAV:DATA?`` as a WORD definite-length block through pyvisa's ``query_binary_values``, then
scale with ``:WAV:PRE?``: ``t = (i - xreference) xincrement + xorigin``,
``V = (code - yreference) yincrement + yorigin``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .capabilities import OscilloscopeCapabilities, Span
from .driver_base import Driver
from .limits import LimitError, check_range

__all__ = ["KeysightDSOX3000T"]

CHANNELS = (1, 2, 3, 4)
SCALE_RANGE = (1e-3, 5.0)           #: V/div at 1:1 probe
TIMEBASE_RANGE = (1e-9, 50.0)       #: s/div
SLOPES = {"positive": "POS", "negative": "NEG"}
TRIGGER_SOURCES = {1: "CHAN1", 2: "CHAN2", 3: "CHAN3", 4: "CHAN4", "ext": "EXT", "line": "LINE"}


class KeysightDSOX3000T(Driver):
    """Keysight InfiniiVision DSOX3000T (e.g. DSOX3024T)."""

    driver_name = "keysight_dsox3000t"
    shutdown_order = 2
    OPTIONS = {
        "points": (int, "waveform points per record (100..1000 in NORMal points mode)"),
    }

    def __init__(self, name: str, inner: Any, limits=None, options=None) -> None:
        super().__init__(name, inner, limits, options)
        self._scales: dict[int, tuple[float, float]] = {}

    @classmethod
    def capabilities(cls, role, name, limits, options):
        """Channels 1-4, 1 mV .. 5 V/div (1:1 probe), 1 ns .. 50 s/div."""
        from .roles import Oscilloscope

        if role is not Oscilloscope:
            return super().capabilities(role, name, limits, options)
        return OscilloscopeCapabilities(name, cls.driver_name, CHANNELS,
                                        Span(*SCALE_RANGE, "V/div", "DSOX3000T scale"),
                                        Span(*TIMEBASE_RANGE, "s/div", "DSOX3000T timebase"))

    @classmethod
    def connect(cls, name, address, visa_library, limits, options):
        from pymeasure.instruments.keysight import KeysightDSOX1102G

        inner = KeysightDSOX1102G(address, visa_library=visa_library)
        return cls(name, inner, limits, options)

    # ---- Oscilloscope ---------------------------------------------------------------------------
    def configure(self, channel: int, volts_per_div: float, time_per_div_s: float,
                  trigger_level_V: float, *, offset_V: float = 0.0,
                  trigger_source: int | str | None = None, slope: str = "positive",
                  impedance: str = "1M", position_s: float = 0.0) -> None:
        """Channel scale/offset/impedance, timebase, edge trigger.

        Sends ``:CHAN<n>:DISP ON``, ``:CHAN<n>:IMP ONEM|FIFT``, ``:CHAN<n>:SCAL``,
        ``:CHAN<n>:OFFS``, ``:TIM:REF CENT``, ``:TIM:SCAL``, ``:TIM:POS``, ``:TRIG:MODE EDGE``,
        ``:TRIG:EDGE:SOUR``, ``:TRIG:EDGE:LEV``, ``:TRIG:EDGE:SLOP``.  ``trigger_source`` is a
        channel number, ``"ext"`` or ``"line"`` (default: ``channel``).
        """
        ch = self._channel(channel)
        scale = check_range(self.name, "vertical scale", volts_per_div, *SCALE_RANGE, "V/div")
        tdiv = check_range(self.name, "timebase", time_per_div_s, *TIMEBASE_RANGE, "s/div")
        offset = check_range(self.name, "offset", offset_V, -100.0, 100.0, "V")
        position = check_range(self.name, "time position", position_s, -500.0, 500.0, "s")
        src_key = channel if trigger_source is None else trigger_source
        if src_key not in TRIGGER_SOURCES:
            raise LimitError(f"{self.name}: trigger source {src_key!r}; allowed: 1..4, 'ext', 'line'")
        src = TRIGGER_SOURCES[src_key]
        if slope not in SLOPES:
            raise LimitError(f"{self.name}: slope {slope!r}; allowed: {', '.join(SLOPES)}")
        if impedance not in ("1M", "50"):
            raise LimitError(f"{self.name}: impedance {impedance!r}; allowed: '1M', '50'")
        level = float(trigger_level_V)
        if src.startswith("CHAN") and int(src[-1]) == ch:
            check_range(self.name, "trigger level", level, offset - 5 * scale, offset + 5 * scale, "V",
                        "on screen")
        with self.lock:
            self._write(f":CHAN{ch}:DISP ON")
            self._write(f":CHAN{ch}:IMP {'ONEM' if impedance == '1M' else 'FIFT'}")
            self._write(f":CHAN{ch}:SCAL {scale:.6g}")
            self._write(f":CHAN{ch}:OFFS {offset:.6g}")
            self._write(":TIM:REF CENT")
            self._write(f":TIM:SCAL {tdiv:.6g}")
            self._write(f":TIM:POS {position:.6g}")
            self._write(":TRIG:MODE EDGE")
            self._write(f":TRIG:EDGE:SOUR {src}")
            if src != "LINE":
                self._write(f":TRIG:EDGE:LEV {level:.6g}")
            self._write(f":TRIG:EDGE:SLOP {SLOPES[slope]}")

    def acquire(self, channels: tuple[int, ...] = (1,)) -> bool:
        """``:DIGitize CHAN<a>,CHAN<b>``: one acquisition, then stopped.  Returns whether it
        triggered (``:TER?``; an auto-sweep record without a trigger returns False)."""
        chans = [self._channel(c) for c in channels]
        with self.lock:
            self._write(":DIGitize " + ",".join(f"CHAN{c}" for c in chans))
            return self._ask(":TER?").lstrip("+") == "1"

    def read_waveform(self, channel: int) -> tuple[np.ndarray, np.ndarray]:
        """(s, V) of the last acquisition: ``:WAV:SOUR CHAN<n>``, ``:WAV:FORM WORD``,
        ``:WAV:BYT MSBF``, ``:WAV:UNS ON``, [``:WAV:POIN:MODE NORM``, ``:WAV:POIN <n>``],
        ``:WAV:PRE?``, ``:WAV:DATA?``."""
        ch = self._channel(channel)
        with self.lock:
            self._write(f":WAV:SOUR CHAN{ch}")
            self._write(":WAV:FORM WORD")
            self._write(":WAV:BYT MSBF")
            self._write(":WAV:UNS ON")
            if "points" in self.options:
                self._write(":WAV:POIN:MODE NORM")
                self._write(f":WAV:POIN {int(self.options['points'])}")
            pre = [float(v) for v in self._ask(":WAV:PRE?").split(",")]
            codes = self._query_block(":WAV:DATA?", "H", True)
        _fmt, _typ, points, _count, xinc, xorg, xref, yinc, yorg, yref = pre
        if len(codes) != int(points):
            raise RuntimeError(f"{self.name}: {len(codes)} samples but the preamble says {int(points)}")
        t = (np.arange(len(codes)) - xref) * xinc + xorg
        v = (codes.astype(float) - yref) * yinc + yorg
        return t, v

    # ---- I/O ---------------------------------------------------------------------------------
    def _query_block(self, command: str, datatype: str, big_endian: bool) -> np.ndarray:
        return self.resource.query_binary_values(command, datatype=datatype,
                                                 is_big_endian=big_endian, container=np.array)

    def _channel(self, channel: Any) -> int:
        if channel not in CHANNELS or isinstance(channel, bool):
            raise LimitError(f"{self.name}: channel {channel!r}; allowed: 1..4")
        return int(channel)

    # ---- bench life cycle ----------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            out: dict[str, Any] = {"idn": self.identify(),
                                   "timebase_s_per_div": self._ask_float(":TIM:SCAL?"),
                                   "trigger_source": self._ask(":TRIG:EDGE:SOUR?")}
            for c in CHANNELS:
                out[f"ch{c}_V_per_div"] = self._ask_float(f":CHAN{c}:SCAL?")
                out[f"ch{c}_offset_V"] = self._ask_float(f":CHAN{c}:OFFS?")
            return out
