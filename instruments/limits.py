"""Safety limits from the bench file, checked in the role layer before anything is sent.

Limits REFUSE, they never clip: a value outside its range raises :class:`LimitError` (a
``ValueError``) whose message names the instrument, the quantity, the value with its unit and
the allowed range.  A limit left out of the bench file is not checked (the instrument's own
hardware range, checked by each driver with :func:`check_range`, still is).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

__all__ = [
    "Limits", "LimitError", "check_range", "check_current", "check_compliance_voltage",
    "check_field", "check_ramp_rate", "check_laser_power", "check_laser_pulse", "check_rf_power_dbm",
    "check_frequency",
]


class LimitError(ValueError):
    """A set-point outside the bench's safety limits or the instrument's range."""


#: limit key -> (unit, description)
LIMIT_KEYS: dict[str, tuple[str, str]] = {
    "max_current": ("A", "largest |current| a source may output"),
    "compliance_voltage": ("V", "voltage compliance of a current source (and the largest allowed)"),
    "max_voltage": ("V", "largest |voltage| a source may output"),
    "max_field": ("T", "largest |field| a magnet may produce"),
    "max_ramp_rate": ("T/s", "fastest field ramp"),
    "max_laser_power": ("W", "largest optical power"),
    "max_pulse_energy": ("J", "largest optical energy of one laser pulse (power x width)"),
    "max_duty_cycle": ("", "largest laser pulse duty cycle (width / period, 0..1)"),
    "max_rf_power_dbm": ("dBm", "largest RF output power"),
    "min_frequency": ("Hz", "lowest RF / reference frequency"),
    "max_frequency": ("Hz", "highest RF / reference frequency"),
}


@dataclass(frozen=True)
class Limits:
    """One instrument's safety limits (SI units; ``None`` = not limited by the bench)."""

    max_current: float | None = None            #: A
    compliance_voltage: float | None = None     #: V
    max_voltage: float | None = None            #: V
    max_field: float | None = None              #: T
    max_ramp_rate: float | None = None          #: T/s
    max_laser_power: float | None = None        #: W
    max_pulse_energy: float | None = None       #: J (laser pulse: power x width)
    max_duty_cycle: float | None = None         #: width / period (0..1]
    max_rf_power_dbm: float | None = None       #: dBm (may be negative)
    min_frequency: float | None = None          #: Hz
    max_frequency: float | None = None          #: Hz

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "Limits":
        """Parse a bench file's ``limits:`` mapping.

        Raises ``ValueError`` naming the offending key and what is allowed (the bench
        loader turns it into a ``BenchError`` naming the file).
        """
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise ValueError(f"limits must be a mapping of {sorted(LIMIT_KEYS)}, "
                             f"got {type(data).__name__}")
        values: dict[str, float] = {}
        for key, raw in data.items():
            if key not in LIMIT_KEYS:
                raise ValueError(f"unknown limit {key!r}; allowed: {', '.join(LIMIT_KEYS)}")
            unit = LIMIT_KEYS[key][0]
            if isinstance(raw, bool) or not isinstance(raw, (int, float)):
                raise ValueError(f"limit {key} must be a number in {unit}, got {raw!r}")
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError(f"limit {key} must be finite, got {raw!r}")
            if key != "max_rf_power_dbm" and value <= 0:
                raise ValueError(f"limit {key} must be > 0 {unit}, got {raw!r}")
            values[key] = value
        if values.get("max_duty_cycle", 0.0) > 1.0:
            raise ValueError(f"limit max_duty_cycle must be <= 1 (a fraction), got {values['max_duty_cycle']!r}")
        lo, hi = values.get("min_frequency"), values.get("max_frequency")
        if lo is not None and hi is not None and lo >= hi:
            raise ValueError(f"limit min_frequency ({lo:g} Hz) must be below "
                             f"max_frequency ({hi:g} Hz)")
        return cls(**values)

    def as_dict(self) -> dict[str, float]:
        """The limits that are set, as a plain dict."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) is not None}


def _fmt(value: float, unit: str) -> str:
    return f"{value:.6g} {unit}"


def check_range(instrument: str, quantity: str, value: float, low: float, high: float,
                unit: str, source: str = "instrument range") -> float:
    """Refuse ``value`` unless ``low <= value <= high``; return it as a float.

    ``source`` says where the range comes from (a bench limit key or the instrument's
    hardware range) so the message tells the user what to change.
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise LimitError(f"{instrument}: {quantity} must be a number in {unit}, "
                         f"got {value!r}") from None
    if not math.isfinite(v) or not (low <= v <= high):
        raise LimitError(f"{instrument}: {quantity} {_fmt(v, unit)} is outside the allowed "
                         f"range [{_fmt(low, unit)}, {_fmt(high, unit)}] ({source})")
    return v


def check_current(instrument: str, current_A: float, limits: Limits,
                  hardware_max_A: float = math.inf, quantity: str = "current") -> float:
    """|I| <= min(bench ``max_current``, hardware maximum)."""
    bound, source = _tighter(limits.max_current, "bench limit max_current",
                             hardware_max_A, "instrument range")
    return check_range(instrument, quantity, current_A, -bound, bound, "A", source)


def check_compliance_voltage(instrument: str, voltage_V: float, limits: Limits,
                             hardware_min_V: float = 0.0,
                             hardware_max_V: float = math.inf) -> float:
    """hardware_min <= V <= min(bench ``compliance_voltage``, hardware maximum)."""
    bound, source = _tighter(limits.compliance_voltage, "bench limit compliance_voltage",
                             hardware_max_V, "instrument range")
    return check_range(instrument, "compliance voltage", voltage_V, hardware_min_V, bound,
                       "V", source)


def check_field(instrument: str, field_T: float, limits: Limits) -> float:
    """|B| <= bench ``max_field`` (a magnet without a field limit is refused outright)."""
    if limits.max_field is None:
        raise LimitError(f"{instrument}: field {_fmt(float(field_T), 'T')} refused: the bench "
                         f"file sets no max_field for this magnet")
    return check_range(instrument, "field", field_T, -limits.max_field, limits.max_field,
                       "T", "bench limit max_field")


def check_ramp_rate(instrument: str, rate_T_per_s: float, limits: Limits) -> float:
    """0 < rate <= bench ``max_ramp_rate``."""
    bound = limits.max_ramp_rate if limits.max_ramp_rate is not None else math.inf
    v = check_range(instrument, "ramp rate", rate_T_per_s, 0.0, bound, "T/s",
                    "bench limit max_ramp_rate")
    if v <= 0:
        raise LimitError(f"{instrument}: ramp rate {_fmt(v, 'T/s')} must be > 0")
    return v


def check_laser_power(instrument: str, power_W: float, limits: Limits) -> float:
    """0 <= P <= bench ``max_laser_power``."""
    bound = limits.max_laser_power if limits.max_laser_power is not None else math.inf
    return check_range(instrument, "laser power", power_W, 0.0, bound, "W",
                       "bench limit max_laser_power")


def check_laser_pulse(instrument: str, power_W: float, period_s: float, width_s: float,
                      limits: Limits) -> None:
    """A pulsed laser's energy per pulse ``P width`` <= bench ``max_pulse_energy`` and duty
    cycle ``width / period`` <= bench ``max_duty_cycle`` (and < 1 physically)."""
    if width_s >= period_s:
        raise LimitError(f"{instrument}: pulse width {width_s:g} s must be below the period {period_s:g} s")
    duty = width_s / period_s
    bound = limits.max_duty_cycle if limits.max_duty_cycle is not None else 1.0
    check_range(instrument, "duty cycle", duty, 0.0, bound, "",
                "bench limit max_duty_cycle" if limits.max_duty_cycle is not None else "width < period")
    if limits.max_pulse_energy is not None:
        check_range(instrument, "pulse energy", power_W * width_s, 0.0, limits.max_pulse_energy, "J",
                    "bench limit max_pulse_energy")


def check_rf_power_dbm(instrument: str, power_dbm: float, limits: Limits,
                       hardware_min_dbm: float = -math.inf,
                       hardware_max_dbm: float = math.inf) -> float:
    """hardware_min <= P <= min(bench ``max_rf_power_dbm``, hardware maximum), in dBm."""
    bound, source = _tighter(limits.max_rf_power_dbm, "bench limit max_rf_power_dbm",
                             hardware_max_dbm, "instrument range")
    return check_range(instrument, "RF power", power_dbm, hardware_min_dbm, bound, "dBm",
                       source)


def check_frequency(instrument: str, frequency_Hz: float, limits: Limits,
                    hardware_min_Hz: float = 0.0,
                    hardware_max_Hz: float = math.inf) -> float:
    """max(bench ``min_frequency``, hw min) <= f <= min(bench ``max_frequency``, hw max)."""
    lo = max(limits.min_frequency or 0.0, hardware_min_Hz)
    hi, _ = _tighter(limits.max_frequency, "", hardware_max_Hz, "")
    return check_range(instrument, "frequency", frequency_Hz, lo, hi, "Hz",
                       "bench limits min/max_frequency and instrument range")


def _tighter(bench: float | None, bench_src: str, hardware: float,
             hardware_src: str) -> tuple[float, str]:
    if bench is not None and bench <= hardware:
        return bench, bench_src
    return hardware, hardware_src
