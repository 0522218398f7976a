"""Keysight N9030B PXA signal analyzer: :class:`SpectrumAnalyzer`.

Built on qcodes' ``KeysightN9030B`` (unmodified) for the connection and its handshake
(``*IDN?``, ``:INST:CAT?``, ``*OPT?``, ``FORM REAL,64``, ``FORM:BORD SWAP``,
``:INIT:CONT 0``).  Role methods send explicit SCPI (X-Series SA mode reference, "Swept SA
measurement") so the command sequence is fixed and documented here; the trace is read with
``:READ:SAN1?`` (x,y pairs of trace 1 as a little-endian REAL,64 block, the format qcodes sets).

Settings chosen for calibrated noise-like spectra (spin-torque oscillator emission, noise
floors): ``:AVER:TYPE RMS`` (power averaging: noise reads its true power, not 2.51 dB low as
with log-power averaging) and ``:DET:TRAC AVER`` (RMS within each bucket).

Instrument ranges (N9030B option 526, qcodes' table): start/stop -80 MHz .. 27 GHz, span
>= 10 Hz, RBW 1 Hz .. 8 MHz, 1 .. 40001 points, 1 .. 10000 averages, attenuation 0 .. 70 dB.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .capabilities import Span, SpectrumAnalyzerCapabilities
from .driver_base import Driver, open_qcodes
from .analyzer_settings import AnalyzerRanges

__all__ = ["KeysightN9030B"]

FREQ_MIN, FREQ_MAX = -80e6, 27e9
RBW_RANGE = (1.0, 8e6)
POINTS_RANGE = (1, 40001)
AVERAGES_RANGE = (1, 10000)
RANGES = AnalyzerRanges(FREQ_MIN, FREQ_MAX, RBW_RANGE, POINTS_RANGE, AVERAGES_RANGE, vbw=(1.0, 50e6),
                        reference_level=(-170.0, 30.0))


class KeysightN9030B(Driver):
    """Keysight N9030B PXA in Spectrum Analyzer mode, Swept SA measurement."""

    driver_name = "keysight_n9030b"
    shutdown_order = 2
    OPTIONS = {
        "timeout_margin": (float, "seconds added to the expected measurement time for a read"),
    }

    def __init__(self, name: str, inner: Any, limits=None, options=None) -> None:
        super().__init__(name, inner, limits, options)
        self._sweep_time: float | None = None
        self._averages = 1

    @classmethod
    def capabilities(cls, role, name, limits, options):
        """Frequency -80 MHz .. 27 GHz, RBW 1 Hz .. 8 MHz, 1 .. 40001 trace points."""
        from .roles import SpectrumAnalyzer

        if role is not SpectrumAnalyzer:
            return super().capabilities(role, name, limits, options)
        return SpectrumAnalyzerCapabilities(
            name, cls.driver_name, Span(FREQ_MIN, FREQ_MAX, "Hz", "N9030B frequency range"),
            Span(*RBW_RANGE, "Hz", "N9030B RBW"), Span(*POINTS_RANGE, "", "N9030B sweep points"))

    @classmethod
    def connect(cls, name, address, visa_library, limits, options):
        from qcodes.instrument_drivers.Keysight import KeysightN9030B as _QcodesN9030B

        inner = open_qcodes(_QcodesN9030B, name, address, visa_library)
        return cls(name, inner, limits, options)

    # ---- SpectrumAnalyzer ------------------------------------------------------------------
    def configure(self, center_Hz: float, span_Hz: float, rbw_Hz: float, points: int, *,
                  averages: int = 1, vbw_Hz: float | None = None,
                  reference_level_dbm: float | None = None,
                  attenuation_db: float | None = None) -> None:
        """Single-sweep Swept SA with power (RMS) averaging of ``averages`` sweeps.

        Sends ``:INIT:CONT OFF``, ``:FREQ:CENT``, ``:FREQ:SPAN``, ``:BAND``, [``:BAND:VID``],
        ``:SWE:POIN``, [``:DISP:WIND:TRAC:Y:RLEV``], [``:POW:ATT``], ``:AVER:TYPE RMS``,
        ``:DET:TRAC AVER``, ``:AVER:COUN n`` + ``:AVER ON`` (or ``:AVER OFF`` for 1), then
        queries the sweep time ``:SWE:TIME?``.  Everything is checked before the first command.
        """
        c = RANGES.check(self.name, center_Hz, span_Hz, rbw_Hz, points, averages, vbw_Hz,
                         reference_level_dbm, attenuation_db)
        center, span, rbw, npts, navg = c.center, c.span, c.rbw, c.points, c.averages
        vbw, rlev, att = c.vbw, c.reference_level, c.attenuation
        with self.lock:
            self._write(":INIT:CONT OFF")
            self._write(f":FREQ:CENT {center:.10g}")
            self._write(f":FREQ:SPAN {span:.10g}")
            self._write(f":BAND {rbw:.6g}")
            if vbw is not None:
                self._write(f":BAND:VID {vbw:.6g}")
            self._write(f":SWE:POIN {npts}")
            if rlev is not None:
                self._write(f":DISP:WIND:TRAC:Y:RLEV {rlev:.4g}")
            if att is not None:
                self._write(f":POW:ATT {att:.0f}")
            self._write(":AVER:TYPE RMS")
            self._write(":DET:TRAC AVER")
            if navg > 1:
                self._write(f":AVER:COUN {navg}")
                self._write(":AVER ON")
            else:
                self._write(":AVER OFF")
            self._sweep_time = self._ask_float(":SWE:TIME?")
            self._averages = navg

    def read_trace(self) -> tuple[np.ndarray, np.ndarray]:
        """``:READ:SAN1?``: one single measurement (all averages); (Hz, dBm) of trace 1."""
        with self.lock:
            expected = (self._sweep_time or 1.0) * self._averages
            data = self._query_doubles(":READ:SAN1?", expected)
        pairs = np.asarray(data, dtype=float).reshape(-1, 2)
        return pairs[:, 0].copy(), pairs[:, 1].copy()

    def sweep_time(self) -> float:
        """``:SWE:TIME?`` (s)."""
        return self._ask_float(":SWE:TIME?")

    # ---- I/O ---------------------------------------------------------------------------------
    def _query_doubles(self, command: str, expected_s: float) -> np.ndarray:
        """A REAL,64 little-endian block query (FORM REAL,64 + FORM:BORD SWAP, set by qcodes),
        with the VISA timeout stretched to the measurement time."""
        handle = self._inner.visa_handle
        margin = float(self.options.get("timeout_margin", 5.0))
        old = handle.timeout
        try:
            handle.timeout = max(old or 0, (expected_s + margin) * 1000.0)
            return handle.query_binary_values(command, datatype="d", is_big_endian=False,
                                              container=np.array)
        finally:
            handle.timeout = old

    # ---- bench life cycle ----------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "idn": self.identify(),
                "center_Hz": self._ask_float(":FREQ:CENT?"),
                "span_Hz": self._ask_float(":FREQ:SPAN?"),
                "rbw_Hz": self._ask_float(":BAND?"),
                "vbw_Hz": self._ask_float(":BAND:VID?"),
                "points": int(self._ask_float(":SWE:POIN?")),
                "sweep_time_s": self._ask_float(":SWE:TIME?"),
                "attenuation_db": self._ask_float(":POW:ATT?"),
                "averages": int(self._ask_float(":AVER:COUN?")),
                "averaging": self._ask(":AVER?") in ("1", "ON"),
            }

