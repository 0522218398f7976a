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

from .analyzer_settings import integer_setting
from .capabilities import OscilloscopeCapabilities, Span
from .driver_base import Driver
from .limits import LimitError, check_range

__all__ = ["KeysightDSOX3000T"]

CHANNELS = (1, 2, 3, 4)
SCALE_RANGE = (1e-3, 5.0)           #: V/div at 1:1 probe
TIMEBASE_RANGE = (1e-9, 50.0)       #: s/div
SLOPES = {"positive": "POS", "negative": "NEG"}
TRIGGER_SOURCES = {1: "CHAN1", 2: "CHAN2", 3: "CHAN3", 4: "CHAN4", "ext": "EXT", "line": "LINE"}


def check_channel(instrument: str, channel: Any) -> int:
    """A scope's analog channel 1..4 (a bool or anything else is refused, naming the range)."""
    if channel not in CHANNELS or isinstance(channel, bool):
        raise LimitError(f"{instrument}: channel {channel!r}; allowed: 1..4")
    return int(channel)


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
        from .roles import Oscilloscope, TriggeredScope

        if role not in (Oscilloscope, TriggeredScope):
            return super().capabilities(role, name, limits, options)
        return OscilloscopeCapabilities(name, cls.driver_name, CHANNELS,
                                        Span(*SCALE_RANGE, "V/div", "DSOX3000T scale"),
                                        Span(*TIMEBASE_RANGE, "s/div", "DSOX3000T timebase"),
                                        extra={"record_points": Span(100, 100_000, "points",
                                                                     "DSOX3000T waveform points (sim memory)"),
                                               "averages": Span(1, 65536, "", "DSOX3000T :ACQ:COUN")})

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

        Sends, as one program message, ``:CHAN<n>:DISP ON``, ``:CHAN<n>:IMP ONEM|FIFT``, ``:CHAN<n>:SCAL``,
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
        cmds = [f":CHAN{ch}:DISP ON", f":CHAN{ch}:IMP {'ONEM' if impedance == '1M' else 'FIFT'}",
                f":CHAN{ch}:SCAL {scale:.6g}", f":CHAN{ch}:OFFS {offset:.6g}", ":TIM:REF CENT",
                f":TIM:SCAL {tdiv:.6g}", f":TIM:POS {position:.6g}", ":TRIG:MODE EDGE",
                f":TRIG:EDGE:SOUR {src}"]
        if src != "LINE":
            cmds.append(f":TRIG:EDGE:LEV {level:.6g}")
        cmds.append(f":TRIG:EDGE:SLOP {SLOPES[slope]}")
        with self.lock:
            # one program message (every command from the root ':'): one round trip
            self._write(";".join(cmds))

    def set_record_length(self, points: int) -> None:
        """``:WAV:POIN:MODE NORM|RAW``, ``:WAV:POIN <n>``: records of ``points`` samples
        (NORMal mode up to 1000, RAW beyond: the acquisition memory, 100 000 in the sim)."""
        n = integer_setting(self.name, "record length", points, 100, 100_000)
        with self.lock:
            self._write(f":WAV:POIN:MODE {'NORM' if n <= 1000 else 'RAW'}")
            self._write(f":WAV:POIN {n:d}")
        self.options["points"] = n

    def set_averaging(self, count: int) -> None:
        """``:ACQ:TYPE NORM`` (count 1) or ``:ACQ:TYPE AVER``, ``:ACQ:COUN <n>`` (2..65536,
        Programmer's Guide :ACQuire:COUNt)."""
        n = integer_setting(self.name, "averaging count", count, 1, 65536)
        with self.lock:
            if n == 1:
                self._write(":ACQ:TYPE NORM")
            else:
                self._write(":ACQ:TYPE AVER")
                self._write(f":ACQ:COUN {n:d}")

    def acquire(self, channels: tuple[int, ...] = (1,)) -> bool:
        """``:DIGitize CHAN<a>,CHAN<b>``: one acquisition, then stopped.  Returns whether it
        triggered (``:TER?``; an auto-sweep record without a trigger returns False)."""
        chans = [self._channel(c) for c in channels]
        with self.lock:
            self._write(":DIGitize " + ",".join(f"CHAN{c}" for c in chans))
            return self._ask(":TER?").lstrip("+") == "1"

    def read_waveform(self, channel: int) -> tuple[np.ndarray, np.ndarray]:
        """(s, V) of the last acquisition: ``:WAV:SOUR CHAN<n>;:WAV:FORM WORD;:WAV:BYT MSBF;
        :WAV:UNS ON[;:WAV:POIN:MODE NORM|RAW;:WAV:POIN <n>]`` (one message), ``:WAV:PRE?``,
        ``:WAV:DATA?``."""
        ch = self._channel(channel)
        setup = [f":WAV:SOUR CHAN{ch}", ":WAV:FORM WORD", ":WAV:BYT MSBF", ":WAV:UNS ON"]
        if "points" in self.options:
            n = int(self.options["points"])
            setup += [f":WAV:POIN:MODE {'NORM' if n <= 1000 else 'RAW'}", f":WAV:POIN {n}"]
        with self.lock:
            # one program message (commands chained with ';', each from the root ':'):
            # a round trip instead of four to six
            self._write(";".join(setup))
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
        return check_channel(self.name, channel)

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
