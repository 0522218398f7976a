"""Rohde & Schwarz FSV signal and spectrum analyzer: :class:`SpectrumAnalyzer`.

No stock driver names the FSV; pymeasure's ``FSL`` (its R&S FS-series driver: ``FREQ:*``,
``BAND:RES``, ``BAND:VID``, ``SWE:TIME``, ``INIT:CONT``, ``DISP:TRAC:MODE``, ``INP:ATT``, the
commands the FS family shares) opens the connection and is the inner driver, unmodified.  The
role methods send explicit SCPI from the FSV Operating Manual ("Remote Commands", Spectrum
mode), so the sequence is fixed and documented here:

``configure``: ``INIT:CONT OFF``, ``FREQ:CENT``, ``FREQ:SPAN``, ``BAND[:RES]``, [``BAND:VID``],
``SWE:POIN``, [``DISP:TRAC:Y:RLEV``], [``INP:ATT``], ``DET RMS`` (power in each sweep point:
noise-like spectra read their true power), ``DISP:TRAC:MODE AVER`` + ``AVER:TYPE POW`` +
``SWE:COUN n`` (or ``DISP:TRAC:MODE WRIT`` + ``SWE:COUN 1``), ``FORM REAL,32``, then
``SWE:TIME?``.  ``read_trace``: ``INIT;*OPC?`` (the measurement, waited for with the VISA
timeout stretched to ``n`` sweep times), then ``TRAC? TRACE1`` as a 32-bit float block in the
R&S little-endian byte order; the frequencies are the ``SWE:POIN`` points from start to stop.

Ranges (FSV-13 unless ``options: {model: FSV-30}`` etc.): 0 Hz .. 13.6 GHz, span >= 10 Hz,
RBW 1 Hz .. 10 MHz, 101 .. 32001 points, sweep count 1 .. 32767, attenuation 0 .. 70 dB.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .capabilities import Span, SpectrumAnalyzerCapabilities
from .driver_base import Driver, OptionError
from .analyzer_settings import AnalyzerRanges

__all__ = ["RohdeSchwarzFSV"]

#: model -> max frequency [Hz] (FSV data sheet)
MODELS = {"FSV-3": 3.6e9, "FSV-7": 7e9, "FSV-13": 13.6e9, "FSV-30": 30e9, "FSV-40": 40e9}
RBW_RANGE = (1.0, 10e6)
POINTS_RANGE = (101, 32001)
AVERAGES_RANGE = (1, 32767)


def _f_max(options: dict[str, Any]) -> float:
    model = str(options.get("model", "FSV-13")).upper()
    if model not in MODELS:
        raise OptionError(f"rohde_schwarz_fsv: model {model!r}; known: {', '.join(MODELS)}")
    return MODELS[model]


class RohdeSchwarzFSV(Driver):
    """R&S FSV, Spectrum application, swept."""

    driver_name = "rohde_schwarz_fsv"
    shutdown_order = 2
    OPTIONS = {
        "model": (str, "FSV-3 | FSV-7 | FSV-13 | FSV-30 | FSV-40 (frequency range)"),
        "timeout_margin": (float, "seconds added to the expected measurement time for a read"),
    }

    def __init__(self, name: str, inner: Any, limits=None, options=None) -> None:
        super().__init__(name, inner, limits, options)
        self.f_max = _f_max(self.options)
        self._sweep_time: float | None = None
        self._averages = 1
        self._axis: np.ndarray | None = None

    @classmethod
    def capabilities(cls, role, name, limits, options):
        """Frequency 0 .. 13.6 GHz (FSV-13), RBW 1 Hz .. 10 MHz, 101 .. 32001 trace points."""
        from .roles import SpectrumAnalyzer

        if role is not SpectrumAnalyzer:
            return super().capabilities(role, name, limits, options)
        return SpectrumAnalyzerCapabilities(
            name, cls.driver_name, Span(0.0, _f_max(options or {}), "Hz", "FSV frequency range"),
            Span(*RBW_RANGE, "Hz", "FSV RBW"), Span(*POINTS_RANGE, "", "FSV sweep points"))

    @classmethod
    def connect(cls, name, address, visa_library, limits, options):
        from pymeasure.instruments.rohdeschwarz import FSL

        inner = FSL(address, visa_library=visa_library)
        return cls(name, inner, limits, options)

    # ---- SpectrumAnalyzer ------------------------------------------------------------------
    def configure(self, center_Hz: float, span_Hz: float, rbw_Hz: float, points: int, *,
                  averages: int = 1, vbw_Hz: float | None = None,
                  reference_level_dbm: float | None = None,
                  attenuation_db: float | None = None) -> None:
        """Single sweep mode, RMS detector, power averaging of ``averages`` sweeps (module
        docstring); everything is checked before the first command."""
        c = AnalyzerRanges(0.0, self.f_max, RBW_RANGE, POINTS_RANGE, AVERAGES_RANGE, vbw=(1.0, 10e6),
                           reference_level=(-130.0, 30.0)).check(
            self.name, center_Hz, span_Hz, rbw_Hz, points, averages, vbw_Hz, reference_level_dbm, attenuation_db)
        center, span, rbw, npts, navg = c.center, c.span, c.rbw, c.points, c.averages
        vbw, rlev, att = c.vbw, c.reference_level, c.attenuation
        with self.lock:
            self._write("INIT:CONT OFF")
            self._write(f"FREQ:CENT {center:.10g}")
            self._write(f"FREQ:SPAN {span:.10g}")
            self._write(f"BAND {rbw:.6g}")
            if vbw is not None:
                self._write(f"BAND:VID {vbw:.6g}")
            self._write(f"SWE:POIN {npts}")
            if rlev is not None:
                self._write(f"DISP:TRAC:Y:RLEV {rlev:.4g}")
            if att is not None:
                self._write(f"INP:ATT {att:.0f}")
            self._write("DET RMS")
            if navg > 1:
                self._write("DISP:TRAC:MODE AVER")
                self._write("AVER:TYPE POW")
            else:
                self._write("DISP:TRAC:MODE WRIT")
            self._write(f"SWE:COUN {navg}")
            self._write("FORM REAL,32")
            self._sweep_time = self._ask_float("SWE:TIME?")
            self._averages = navg
            self._axis = np.linspace(center - span / 2, center + span / 2, npts)

    def read_trace(self) -> tuple[np.ndarray, np.ndarray]:
        """``INIT;*OPC?`` then ``TRAC? TRACE1``: (Hz, dBm) of trace 1."""
        if self._axis is None:
            raise RuntimeError(f"{self.name}: configure() the analyzer before read_trace()")
        with self.lock:
            expected = (self._sweep_time or 1.0) * self._averages
            handle = self.resource
            margin = float(self.options.get("timeout_margin", 5.0))
            old = handle.timeout
            try:
                handle.timeout = max(old or 0, (expected + margin) * 1000.0)
                handle.query("INIT;*OPC?")
                y = handle.query_binary_values("TRAC? TRACE1", datatype="f", is_big_endian=False,
                                               container=np.array)
            finally:
                handle.timeout = old
        return self._axis.copy(), np.asarray(y, dtype=float)

    def sweep_time(self) -> float:
        """``SWE:TIME?`` (s)."""
        return self._ask_float("SWE:TIME?")

    # ---- bench life cycle ----------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "idn": self.identify(),
                "center_Hz": self._ask_float("FREQ:CENT?"),
                "span_Hz": self._ask_float("FREQ:SPAN?"),
                "rbw_Hz": self._ask_float("BAND?"),
                "vbw_Hz": self._ask_float("BAND:VID?"),
                "points": int(self._ask_float("SWE:POIN?")),
                "sweep_time_s": self._ask_float("SWE:TIME?"),
                "attenuation_db": self._ask_float("INP:ATT?"),
                "sweep_count": int(self._ask_float("SWE:COUN?")),
                "trace_mode": self._ask("DISP:TRAC:MODE?"),
                "detector": self._ask("DET?"),
            }
