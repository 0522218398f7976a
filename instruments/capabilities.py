"""What an instrument in a role can do, known before anything is opened.

A protocol's ``check`` asks the bench, not an instrument model, what the instrument behind a
role can do: ``bench.capabilities("pulse_generator").width`` is the range of pulse widths the
bench's generator times.  Each role has one frozen dataclass of capabilities (below, and
:data:`CAPABILITY_TYPES`); the driver class builds it from its manual's hardware ranges, the
bench file's ``limits:`` (the tighter bound wins, with its source named) and ``options:``
(mains frequency, model), without I/O -- :meth:`instruments.driver_base.Driver.capabilities`.
So a value no instrument on the bench can take is refused, naming the parameter and the
allowed range, while every instrument is still closed::

    caps = bench.capabilities("pulse_generator")        # PulseGeneratorCapabilities
    caps.width.require(params["width"], "width")          # CapabilityError if outside

A driver that says nothing about a role it fills gives :class:`Unknown`: no refusals from
it; the driver still checks every value before sending it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CapabilityError", "Span", "Unknown", "CurrentSourceCapabilities",
    "VoltmeterCapabilities", "SourceMeterCapabilities", "FieldCapabilities",
    "GaussmeterCapabilities", "PulseGeneratorCapabilities", "PulseDeltaCapabilities",
    "SequencerCapabilities", "RFSourceCapabilities", "LockInCapabilities",
    "SpectrumAnalyzerCapabilities", "LaserCapabilities", "OscilloscopeCapabilities",
    "RoleCapabilities", "CAPABILITY_TYPES", "capability_type", "tighter",
]


class CapabilityError(ValueError):
    """A requested value the instrument behind a role cannot take (a user error)."""


def _fmt(value: float, unit: str) -> str:
    if math.isinf(value):
        return ("-inf" if value < 0 else "inf")
    return f"{value:.6g}" + (f" {unit}" if unit else "")


@dataclass(frozen=True)
class Span:
    """An inclusive range ``[low, high]`` in ``unit``, and where it comes from."""

    low: float
    high: float
    unit: str = ""
    #: what sets the range ("instrument range", "bench limit max_current", "manual 5.2", ...)
    source: str = "instrument range"

    def __contains__(self, value: object) -> bool:
        try:
            v = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
        return math.isfinite(v) and self.low <= v <= self.high

    def text(self) -> str:
        """``[1.6e-08, 1e+06] s (instrument range)``"""
        return (f"[{_fmt(self.low, '')}, {_fmt(self.high, '')}]"
                + (f" {self.unit}" if self.unit else "") + f" ({self.source})")

    def require(self, value: float, param: str, what: str = "") -> float:
        """``value`` if it lies in the span; else :class:`CapabilityError` naming ``param``,
        the value, ``what`` (the instrument and quantity) and the allowed range."""
        if value in self:
            return float(value)
        about = f" ({what})" if what else ""
        raise CapabilityError(f"{param} = {_fmt(float(value), self.unit)} is outside the "
                              f"allowed range {self.text()}{about}")

    def within(self, other: "Span") -> "Span":
        """The intersection with ``other`` (empty spans keep ``low > high``)."""
        low, low_src = (self.low, self.source) if self.low >= other.low else (other.low, other.source)
        high, high_src = (self.high, self.source) if self.high <= other.high else (other.high, other.source)
        source = low_src if low_src == high_src else f"{low_src}; {high_src}"
        return Span(low, high, self.unit, source)


def tighter(hardware: Span, bench_bound: float | None, limit_key: str, symmetric: bool = True) -> Span:
    """``hardware`` cut to ``|x| <= bench_bound`` (``symmetric``) or ``x <= bench_bound``;
    the source names the bench limit when it is the tighter bound."""
    if bench_bound is None:
        return hardware
    low = -bench_bound if symmetric else -math.inf
    return hardware.within(Span(low, bench_bound, hardware.unit, f"bench limit {limit_key}"))


@dataclass(frozen=True)
class _Caps:
    """Common fields: which instrument and driver the capabilities describe."""

    instrument: str
    driver: str

    def about(self, quantity: str) -> str:
        """``'pulser (keithley_6221) pulse width'`` for messages."""
        return f"{self.instrument} ({self.driver}) {quantity}"


@dataclass(frozen=True)
class Unknown(_Caps):
    """The driver declares no capabilities for this role: nothing is refused from here."""


@dataclass(frozen=True)
class CurrentSourceCapabilities(_Caps):
    """:class:`~instruments.roles.CurrentSource`."""

    #: output current (A), bench ``max_current`` and hardware
    current: Span
    #: widths ``pulse()`` times (s)
    pulse_width: Span
    #: compliance voltage (V)
    compliance_voltage: Span = Span(0.0, math.inf, "V")


@dataclass(frozen=True)
class VoltmeterCapabilities(_Caps):
    """:class:`~instruments.roles.Voltmeter`."""

    #: integration time (s)
    integration_time: Span
    #: trigger (settle) delay (s)
    settle_delay: Span = Span(0.0, math.inf, "s")


@dataclass(frozen=True)
class SourceMeterCapabilities(_Caps):
    """:class:`~instruments.roles.SourceMeter`."""

    current: Span
    compliance_voltage: Span
    pulse_width: Span


@dataclass(frozen=True)
class FieldCapabilities(_Caps):
    """:class:`~instruments.roles.FieldController`."""

    #: field along the magnet's axis (T)
    field: Span
    #: fastest ramp (T/s)
    ramp_rate: float = math.inf
    axis: str = ""


@dataclass(frozen=True)
class GaussmeterCapabilities(_Caps):
    """:class:`~instruments.roles.Gaussmeter`."""

    #: largest |field| the probe reads (T)
    field: Span = Span(-math.inf, math.inf, "T")


@dataclass(frozen=True)
class PulseGeneratorCapabilities(_Caps):
    """:class:`~instruments.roles.PulseGenerator`."""

    #: pulse width (s)
    width: Span
    #: pulse period (s); the width must also be <= period - ``width_margin``
    period: Span
    #: largest open-circuit voltage (EMF) it may apply (V): hardware and bench ``max_voltage``
    max_open_circuit_voltage: float
    #: pulses per burst
    count: Span = Span(1, 1, "")
    width_margin: float = 0.0
    #: output (source) impedance (ohm): a device of resistance R >= 0 carries at most
    #: ``max_open_circuit_voltage / output_impedance``
    output_impedance: float = 50.0

    def max_current(self) -> float:
        """The largest current (A) any load can draw from this generator (a short circuit)."""
        return self.max_open_circuit_voltage / self.output_impedance


@dataclass(frozen=True)
class PulseDeltaCapabilities(_Caps):
    """:class:`~instruments.roles.PulseDeltaSystem`."""

    #: pulse width (s)
    width: Span
    #: source delay, pulse edge to measurement (s)
    source_delay: Span
    #: sweep delay = pulse period of a pulse-delta sweep (s)
    period: Span
    #: shortest pulse period of a sweep on this bench's mains (s)
    min_period: float
    #: amplitudes in one sweep
    max_points: int
    current: Span = Span(-math.inf, math.inf, "A")


@dataclass(frozen=True)
class PulseSequencerCapabilities(_Caps):
    """:class:`~instruments.roles.PulseReadSequencer`."""

    #: widths of the pulses of a train (s)
    pulse_width: Span
    #: aperture of one buffered read (s): settle + aperture must fit in every pulse
    read_aperture: float
    #: pulse/read pairs per buffered sweep (the reading buffer holds twice as many)
    pairs_per_sweep: int
    current: Span = Span(-math.inf, math.inf, "A")


@dataclass(frozen=True)
class SequencerCapabilities(_Caps):
    """:class:`~instruments.roles.WriteReadSequencer`."""

    #: every write width it can time (s)
    write_width: Span
    #: widths timed by list sweeps (s); below ``list_width.low`` it uses ``pulse_delta_width``
    list_width: Span
    #: widths timed as pulse-delta pulses (s)
    pulse_delta_width: Span
    #: reset pulse width in the list path (s)
    reset_width: Span
    #: aperture of one buffered read (s): settle + aperture must fit in a list point
    read_aperture: float
    #: pulse-delta path: settle (the source delay) range (s) and the shortest conversion (s)
    #: that must fit between it and the pulse end
    pulse_delta_settle: Span
    pulse_delta_min_aperture: float
    current: Span = Span(-math.inf, math.inf, "A")

    def write_path(self, width: float) -> str | None:
        """``"list"``, ``"pulse_delta"`` or ``None`` (this sequencer cannot time it)."""
        if width in self.list_width:
            return "list"
        if width in self.pulse_delta_width:
            return "pulse_delta"
        return None


@dataclass(frozen=True)
class RFSourceCapabilities(_Caps):
    """:class:`~instruments.roles.RFSource`."""

    frequency: Span
    power_dbm: Span
    #: the bench instrument whose TRIG IN this source's trigger output is cabled to, as the
    #: bench file declares it (N5183B option ``trigger_out``); ``None``: no cable declared
    trigger_out: str | None = None


@dataclass(frozen=True)
class LockInCapabilities(_Caps):
    """:class:`~instruments.roles.LockIn`."""

    frequency: Span
    time_constants: tuple[float, ...]
    sensitivities: tuple[float, ...]
    sine_amplitude: Span
    max_harmonic: int = 1


@dataclass(frozen=True)
class SpectrumAnalyzerCapabilities(_Caps):
    """:class:`~instruments.roles.SpectrumAnalyzer`."""

    frequency: Span
    rbw: Span
    points: Span


@dataclass(frozen=True)
class LaserCapabilities(_Caps):
    """:class:`~instruments.roles.LaserSource`."""

    #: optical power (W)
    power: Span
    #: QCW pulse period and width (s), for a :class:`~instruments.roles.PulsedLaser` (None: CW only)
    pulse_period: Span | None = None
    pulse_width: Span | None = None
    #: bench limits on one pulse's energy (J) and on the duty cycle (width / period)
    max_pulse_energy: float = math.inf
    max_duty_cycle: float = 1.0


@dataclass(frozen=True)
class OscilloscopeCapabilities(_Caps):
    """:class:`~instruments.roles.Oscilloscope`."""

    channels: tuple[int, ...]
    volts_per_div: Span
    time_per_div: Span
    extra: dict[str, Any] = field(default_factory=dict)


RoleCapabilities = (Unknown | CurrentSourceCapabilities | VoltmeterCapabilities
                    | SourceMeterCapabilities | FieldCapabilities | GaussmeterCapabilities
                    | PulseGeneratorCapabilities | PulseDeltaCapabilities
                    | SequencerCapabilities | RFSourceCapabilities | LockInCapabilities
                    | SpectrumAnalyzerCapabilities | LaserCapabilities
                    | OscilloscopeCapabilities)


def _types() -> dict[type, type]:
    from . import roles as r

    return {
        r.CurrentSource: CurrentSourceCapabilities, r.Voltmeter: VoltmeterCapabilities,
        r.SourceMeter: SourceMeterCapabilities, r.FieldController: FieldCapabilities,
        r.Gaussmeter: GaussmeterCapabilities, r.PulseGenerator: PulseGeneratorCapabilities,
        r.PulseDeltaSystem: PulseDeltaCapabilities, r.WriteReadSequencer: SequencerCapabilities,
        r.PulseReadSequencer: PulseSequencerCapabilities,
        r.RFSource: RFSourceCapabilities, r.LockIn: LockInCapabilities,
        r.SpectrumAnalyzer: SpectrumAnalyzerCapabilities, r.LaserSource: LaserCapabilities,
        r.Oscilloscope: OscilloscopeCapabilities, r.PulsedLaser: LaserCapabilities,
        r.TriggeredScope: OscilloscopeCapabilities, r.ReferencedLockIn: LockInCapabilities,
    }


#: role protocol -> its capabilities dataclass (filled on first use; roles import nothing here)
CAPABILITY_TYPES: dict[type, type] = {}


def capability_type(role: type) -> type:
    """The capabilities dataclass of role protocol ``role`` (:class:`Unknown` if none)."""
    if not CAPABILITY_TYPES:
        CAPABILITY_TYPES.update(_types())
    return CAPABILITY_TYPES.get(role, Unknown)
