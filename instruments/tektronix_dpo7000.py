"""Tektronix DPO7000 / DPO70000 / MSO5000 oscilloscopes: :class:`TriggeredScope`.

qcodes' ``TektronixDPO7000xx`` owns the connection (its parameters: channels, horizontal,
acquisition, trigger, data and waveform-format modules).  Its trace read calls one query per
preamble field and re-selects the source before each; the role's :meth:`read_waveform` instead
sends the data setup as one program message and reads the preamble in one query
(``WFMOutpre?``), then ``CURVe?`` as a 16-bit big-endian signed block (``DATa:ENCdg RIBinary``,
``DATa:WIDth 2``: the averaged record keeps its resolution), per the DPO70000 Series Programmer
Manual (Waveform Transfer: DATa, WFMOutpre, CURVe):  ``V = (code - YOFf) YMUlt + YZEro``,
``t = XZEro + (i - PT_Off... ) XINcr`` with ``XZEro`` the time of the first transferred point.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .analyzer_settings import integer_setting
from .keysight_dsox3000t import check_channel
from .capabilities import OscilloscopeCapabilities, Span
from .driver_base import Driver, open_qcodes
from .limits import LimitError, check_range

__all__ = ["TektronixDPO7000"]

CHANNELS = (1, 2, 3, 4)
SCALE_RANGE = (1e-3, 10.0)           #: V/div (50 ohm: 1 V/div max on the real unit)
TIMEBASE_RANGE = (1e-11, 1000.0)     #: s/div
RECORD_RANGE = (500, 100_000)        #: points (the simulated memory; a DPO7254C has up to 125 M)
SLOPES = {"positive": "RISe", "negative": "FALL"}
TRIGGER_SOURCES = {1: "CH1", 2: "CH2", 3: "CH3", 4: "CH4", "ext": "AUXiliary", "aux": "AUXiliary",
                   "line": "LINE"}
PREAMBLE = ("BYT_NR", "BIT_NR", "ENCDG", "BN_FMT", "BYT_OR", "WFID", "NR_PT", "PT_FMT", "XUNIT",
            "XINCR", "XZERO", "PT_OFF", "YUNIT", "YMULT", "YOFF", "YZERO")


class TektronixDPO7000(Driver):
    """Tektronix DPO7000-family oscilloscope (e.g. DPO7254C) on qcodes' TektronixDPO7000xx."""

    driver_name = "tektronix_dpo7000"
    shutdown_order = 2
    OPTIONS = {"points": (int, "record length (points, HORizontal:MODE MANual)")}

    def __init__(self, name: str, inner: Any, limits=None, options=None) -> None:
        super().__init__(name, inner, limits, options)
        self._record: int | None = None

    @classmethod
    def connect(cls, name, address, visa_library, limits, options):
        from qcodes.instrument_drivers.tektronix import TektronixDPO7000 as TektronixDPO7000xx

        inner = open_qcodes(TektronixDPO7000xx, name, address, visa_library)
        return cls(name, inner, limits, options)

    @classmethod
    def capabilities(cls, role, name, limits, options):
        """Channels 1-4, 1 mV .. 10 V/div, 10 ps .. 1000 s/div, 500 .. 100 000 points."""
        from .roles import Oscilloscope, TriggeredScope

        if role not in (Oscilloscope, TriggeredScope):
            return super().capabilities(role, name, limits, options)
        return OscilloscopeCapabilities(
            name, cls.driver_name, CHANNELS, Span(*SCALE_RANGE, "V/div", "DPO7000 CH<x>:SCAle"),
            Span(*TIMEBASE_RANGE, "s/div", "DPO7000 HORizontal:MODE:SCAle"),
            extra={"record_points": Span(*RECORD_RANGE, "points", "DPO7000 record length (sim memory)"),
                   "averages": Span(1, 10_000, "", "DPO7000 ACQuire:NUMAVg")})

    # ---- TriggeredScope -------------------------------------------------------------------------
    def configure(self, channel: int, volts_per_div: float, time_per_div_s: float,
                  trigger_level_V: float, *, offset_V: float = 0.0,
                  trigger_source: int | str | None = None, slope: str = "positive",
                  impedance: str = "1M", position_s: float = 0.0) -> None:
        """Vertical, horizontal, edge trigger A.

        ``CH<x>:SCAle``, ``CH<x>:OFFSet``, ``CH<x>:POSition 0``, ``CH<x>:TERmination``,
        ``SELect:CH<x> ON``, ``HORizontal:MODE AUTO``, ``HORizontal:MODE:SCAle`` (then, with a
        record length set, ``HORizontal:MODE MANual``, ``:RECOrdlength``, ``:SAMPLERate``),
        ``HORizontal:POSition <%>`` (``position_s`` is the time from the trigger to the screen
        centre, as on the Keysight: the trigger sits at 50 % - position / span), ``TRIGger:A:TYPe
        EDGe``, ``:EDGE:SOUrce``, ``:EDGE:SLOpe``, ``TRIGger:A:LEVel``."""
        ch = self._channel(channel)
        scale = check_range(self.name, "vertical scale", volts_per_div, *SCALE_RANGE, "V/div")
        tdiv = check_range(self.name, "timebase", time_per_div_s, *TIMEBASE_RANGE, "s/div")
        offset = check_range(self.name, "offset", offset_V, -100.0, 100.0, "V")
        percent = 50.0 - 100.0 * float(position_s) / (10 * tdiv)
        check_range(self.name, "trigger position", percent, 0.0, 100.0, "% of the record",
                    "position_s within +-5 divisions")
        src_key = channel if trigger_source is None else trigger_source
        if src_key not in TRIGGER_SOURCES:
            raise LimitError(f"{self.name}: trigger source {src_key!r}; allowed: 1..4, 'ext', 'aux', 'line'")
        if slope not in SLOPES:
            raise LimitError(f"{self.name}: slope {slope!r}; allowed: {', '.join(SLOPES)}")
        if impedance not in ("1M", "50"):
            raise LimitError(f"{self.name}: impedance {impedance!r}; allowed: '1M', '50'")
        src = TRIGGER_SOURCES[src_key]
        cmds = [f"SELECT:CH{ch} ON", f"CH{ch}:TERMINATION {'1.0E6' if impedance == '1M' else '50'}",
                f"CH{ch}:SCALE {scale:.6g}", f"CH{ch}:OFFSET {offset:.6g}", f"CH{ch}:POSITION 0",
                "HORIZONTAL:MODE AUTO", f"HORIZONTAL:MODE:SCALE {tdiv:.6g}"]
        if self._record is not None:
            # MANual: the record length keeps the sample rate, so the rate follows to keep the span
            rate = check_range(self.name, "sample rate", self._record / (10 * tdiv), 1.0, 40e9, "S/s",
                               "record length / (10 x timebase)")
            cmds += ["HORIZONTAL:MODE MANUAL", f"HORIZONTAL:MODE:RECORDLENGTH {self._record:d}",
                     f"HORIZONTAL:MODE:SAMPLERATE {rate:.9g}"]
        cmds += [f"HORIZONTAL:POSITION {percent:.6g}", "TRIGGER:A:TYPE EDGE", f"TRIGGER:A:EDGE:SOURCE {src}",
                 f"TRIGGER:A:EDGE:SLOPE {SLOPES[slope]}"]
        if src != "LINE":
            cmds.append(f"TRIGGER:A:LEVEL {float(trigger_level_V):.6g}")
        with self.lock:
            for c in cmds:
                self._write(c)

    def set_record_length(self, points: int) -> None:
        """Applied by :meth:`configure` (``HORizontal:MODE MANual``, ``:RECOrdlength``): in AUTO
        mode the record length is read-only, so the scale is set first, then the length."""
        self._record = integer_setting(self.name, "record length", points, *RECORD_RANGE)

    def set_averaging(self, count: int) -> None:
        """``ACQuire:MODe SAMple`` (1) or ``ACQuire:MODe AVErage``, ``ACQuire:NUMAVg <n>``."""
        n = integer_setting(self.name, "averaging count", count, 1, 10_000)
        with self.lock:
            if n == 1:
                self._write("ACQUIRE:MODE SAMPLE")
            else:
                self._write("ACQUIRE:MODE AVERAGE")
                self._write(f"ACQUIRE:NUMAVG {n:d}")

    def acquire(self, channels: tuple[int, ...] = (1,)) -> bool:
        """One single-sequence acquisition: ``ACQuire:STOPAfter SEQuence``, ``ACQuire:STATE RUN``,
        ``*OPC?`` (waits for the sequence), ``TRIGger:STATE?``: SAVE after a triggered sequence
        (an auto-trigger record answers AUTO)."""
        for c in channels:
            self._channel(c)
        with self.lock:
            self._write("ACQUIRE:STOPAFTER SEQUENCE")
            self._write("ACQUIRE:STATE RUN")
            self._ask("*OPC?")
            return self._ask("TRIGGER:STATE?").upper() == "SAVE"

    def read_waveform(self, channel: int) -> tuple[np.ndarray, np.ndarray]:
        """(s, V): ``DATA:SOURCE CH<x>;:DATA:ENCDG RIBINARY;:DATA:WIDTH 2;:DATA:START 1;
        :DATA:STOP <n>`` (one message), ``WFMOUTPRE?``, ``CURVE?`` (int16 big-endian block)."""
        ch = self._channel(channel)
        stop = self._record or 10_000_000
        with self.lock:
            self._write(f"DATA:SOURCE CH{ch};:DATA:ENCDG RIBINARY;:DATA:WIDTH 2;:DATA:START 1;"
                        f":DATA:STOP {stop:d}")
            pre = dict(zip(PREAMBLE, self._ask("WFMOUTPRE?").split(";"), strict=False))
            codes = self.resource.query_binary_values("CURVE?", datatype="h", is_big_endian=True,
                                                      container=np.array)
        n = int(pre["NR_PT"])
        if len(codes) != n:
            raise RuntimeError(f"{self.name}: {len(codes)} samples but the preamble says {n}")
        xinc, xzero = float(pre["XINCR"]), float(pre["XZERO"])
        t = xzero + np.arange(n) * xinc
        v = (codes.astype(float) - float(pre["YOFF"])) * float(pre["YMULT"]) + float(pre["YZERO"])
        return t, v

    # ---- helpers -------------------------------------------------------------------------------
    def _channel(self, channel: Any) -> int:
        return check_channel(self.name, channel)

    # ---- bench life cycle ----------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            out: dict[str, Any] = {"idn": self.identify(),
                                   "timebase_s_per_div": self._ask_float("HORIZONTAL:MODE:SCALE?"),
                                   "record_length": int(self._ask_float("HORIZONTAL:MODE:RECORDLENGTH?")),
                                   "trigger_source": self._ask("TRIGGER:A:EDGE:SOURCE?")}
            for c in CHANNELS:
                out[f"ch{c}_V_per_div"] = self._ask_float(f"CH{c}:SCALE?")
                out[f"ch{c}_offset_V"] = self._ask_float(f"CH{c}:OFFSET?")
            return out
