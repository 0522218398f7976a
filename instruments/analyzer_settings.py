"""The settings of a swept spectrum analyzer's measurement, checked against one model's ranges
before anything is sent (the drivers of every analyzer model share this)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .limits import LimitError, check_range

__all__ = ["AnalyzerRanges", "SweepSettings", "integer_setting"]


def integer_setting(instrument: str, quantity: str, value: Any, low: int, high: int) -> int:
    """``value`` as an integer in ``low .. high``; a fraction or a bool is refused."""
    if isinstance(value, bool) or not float(value).is_integer():
        raise LimitError(f"{instrument}: {quantity} must be an integer, got {value!r}")
    return int(check_range(instrument, quantity, value, low, high, ""))


@dataclass(frozen=True)
class SweepSettings:
    center: float
    span: float
    rbw: float
    points: int
    averages: int
    vbw: float | None
    reference_level: float | None
    attenuation: float | None


@dataclass(frozen=True)
class AnalyzerRanges:
    """One model's ranges (Hz, dBm, dB)."""

    f_min: float
    f_max: float
    rbw: tuple[float, float]
    points: tuple[int, int]
    averages: tuple[int, int]
    vbw: tuple[float, float]
    reference_level: tuple[float, float]
    attenuation: tuple[float, float] = (0.0, 70.0)
    min_span: float = 10.0

    def check(self, name: str, center_Hz: float, span_Hz: float, rbw_Hz: float, points: int,
              averages: int = 1, vbw_Hz: float | None = None, reference_level_dbm: float | None = None,
              attenuation_db: float | None = None) -> SweepSettings:
        """Every setting in range, or a :class:`LimitError` naming it and the range."""
        span = check_range(name, "span", span_Hz, self.min_span, self.f_max - self.f_min, "Hz")
        center = check_range(name, "center frequency", center_Hz, self.f_min + span / 2, self.f_max - span / 2, "Hz")
        rbw = check_range(name, "resolution bandwidth", rbw_Hz, *self.rbw, "Hz")
        npts = integer_setting(name, "trace points", points, *self.points)
        navg = integer_setting(name, "averages", averages, *self.averages)
        vbw = None if vbw_Hz is None else check_range(name, "video bandwidth", vbw_Hz, *self.vbw, "Hz")
        rlev = None if reference_level_dbm is None else check_range(
            name, "reference level", reference_level_dbm, *self.reference_level, "dBm")
        att = None if attenuation_db is None else check_range(
            name, "attenuation", attenuation_db, *self.attenuation, "dB")
        return SweepSettings(center, span, rbw, npts, navg, vbw, rlev, att)
