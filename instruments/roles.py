"""Role protocols: what a measurement protocol may ask of an instrument.

A role is a ``@runtime_checkable`` :class:`typing.Protocol` in SI units (A, V, T, Hz, s, W;
RF power in dBm, named ``*_dbm``).  Everything that talks to the instrument is a method, never
a property: ``isinstance(obj, Role)`` then never causes instrument I/O (Python 3.11 evaluates
non-method protocol members on the instance).  Any object with the right methods fills a role; no
inheritance is needed (bluesky's ``protocols.py`` pattern).  Protocols depend on these roles,
never on an instrument model.

Safety limits of the bench file are checked by every implementation *before* anything is sent:
a set-point out of range raises :class:`instruments.limits.LimitError`, it is never clipped.

``ROLE_TYPES`` maps the role names allowed in a bench file's ``roles:`` section to the
protocol the named instrument must satisfy.  A bench may hold several instruments in one role
by suffixing the role name (``field_x``, ``field_z`` are both :class:`FieldController`).
"""
from __future__ import annotations

import inspect
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "Instrument", "CurrentSource", "Voltmeter", "SourceMeter", "FieldController",
    "Gaussmeter", "PulseDeltaSystem", "WriteReadSequencer", "RFSource", "LockIn", "SpectrumAnalyzer",
    "LaserSource", "Oscilloscope", "PulsedLaser", "TriggeredScope", "ReferencedLockIn",
    "ROLE_TYPES", "role_type", "missing_members", "conforms", "role_members",
    "PulseGenerator", "PulseReadSequencer", "LaserModulator", "ModulatedLaser",
]


@runtime_checkable
class Instrument(Protocol):
    """What :class:`instruments.bench.Bench` needs of every driver, whatever its role."""

    #: instrument name from the bench file
    name: str

    def snapshot(self) -> dict[str, Any]:
        """Query and return the instrument's identity and settings (plain, YAML/JSON-able values)."""
        ...

    def shutdown(self) -> None:
        """Put the instrument safe: outputs off, field ramped to zero, laser off."""
        ...

    def close(self) -> None:
        """Release the VISA resource (after :meth:`shutdown`)."""
        ...


@runtime_checkable
class CurrentSource(Protocol):
    """A DC current source (Keithley 6221, a 2450 in current mode, ...)."""

    def set_current(self, current_A: float) -> None:
        """Program the DC output level in A (output state unchanged)."""
        ...

    def current(self) -> float:
        """Return the programmed DC level in A."""
        ...

    def enable(self) -> None:
        """Turn the output on (compliance from the bench limits is applied first)."""
        ...

    def disable(self) -> None:
        """Turn the output off."""
        ...

    def pulse(self, amplitude_A: float, width_s: float, low_A: float = 0.0) -> None:
        """One rectangular DC pulse made by toggling the DC output, as labs do.

        The output goes to ``amplitude_A`` for ``width_s``, then back to ``low_A``
        (``low_A == 0``: the output is turned off).  Software-timed: for widths below
        a few ms use :class:`PulseDeltaSystem`, whose pulses the instrument times.
        """
        ...


@runtime_checkable
class Voltmeter(Protocol):
    """A DC voltmeter (Keithley 2182A nanovoltmeter, ...)."""

    def read_voltage(self) -> float:
        """Trigger one reading and return it in V."""
        ...

    def integration_time(self) -> float:
        """Return the integration (aperture) time in s, queried from the instrument."""
        ...

    def set_integration_time(self, seconds: float) -> None:
        """Set the integration time in s (refused outside the instrument's range)."""
        ...

    def set_settle_delay(self, seconds: float) -> None:
        """Wait ``seconds`` after each trigger before converting (the instrument's trigger
        delay): a settle time timed by the instrument, so it holds on a simulated clock too."""
        ...


@runtime_checkable
class SourceMeter(Protocol):
    """A source-measure unit sourcing current and measuring voltage (Keithley 2450, ...)."""

    def source_current(self, current_A: float) -> None:
        """Put the SMU in current-source mode (voltage sense, compliance from the
        bench limits) and program ``current_A``."""
        ...

    def measure_voltage(self) -> float:
        """Measure and return the voltage in V."""
        ...

    def set_compliance_voltage(self, voltage_V: float) -> None:
        """Set the voltage limit (compliance) in V; refused above the bench limit."""
        ...

    def enable(self) -> None:
        """Turn the output on."""
        ...

    def disable(self) -> None:
        """Turn the output off."""
        ...

    def pulse(self, amplitude_A: float, width_s: float, low_A: float = 0.0) -> None:
        """One DC-toggled current pulse, as :meth:`CurrentSource.pulse`."""
        ...


@runtime_checkable
class FieldController(Protocol):
    """A magnetic field along one axis, set through an electromagnet supply."""

    #: lab-frame axis the magnet acts along: "x", "y" or "z"
    axis: str

    def set_field(self, field_T: float, wait: bool = True) -> None:
        """Ramp to ``field_T`` in steps no faster than the bench's ``max_ramp_rate``.

        ``wait=True`` returns only once the supply's readback has settled on the target
        (polled, with a timeout counted in polls); ``wait=False`` skips the final settle.
        """
        ...

    def field(self) -> float:
        """Return the field in T computed from the supply's measured output current."""
        ...

    def ramp_to_zero(self) -> None:
        """Ramp the field to zero (rate-limited) and wait for it to settle."""
        ...


@runtime_checkable
class Gaussmeter(Protocol):
    """A Hall-probe gaussmeter (Lake Shore 425, ...)."""

    def read_field(self) -> float:
        """Return the measured field in T (whatever units the instrument displays)."""
        ...

    def ranges(self) -> tuple[float, ...]:
        """Full scales (T) of the ranges the attached probe offers, smallest first."""
        ...

    def set_range(self, full_scale_T: float) -> None:
        """Select the range of full scale ``full_scale_T`` (one of :meth:`ranges`)."""
        ...


@runtime_checkable
class PulseGenerator(Protocol):
    """A voltage pulse generator with a 50 ohm output (Keysight 33500B, ...), every pulse
    timed by the instrument (a triggered burst), from ns to s.

    Levels are the voltages the generator is programmed with: the voltage across a load equal
    to its termination setting (:meth:`set_load`).  The generator is an EMF behind 50 ohm, so
    the EMF is ``V (R_L + 50)/R_L`` (2 V at 50 ohm, V at INF) and a device of resistance R
    carries ``EMF / (50 + R)``.  A protocol that wants a current measures R (e.g. with the SMU)
    and asks :meth:`voltage_for`; :meth:`current_for` goes the other way.  Amplitudes are
    checked against the instrument range and the bench limit ``max_voltage`` (which bounds the
    open-circuit voltage) before anything is sent.
    """

    def pulse(self, amplitude_V: float, width_s: float, count: int = 1,
              period_s: float | None = None) -> None:
        """``count`` pulses of ``amplitude_V`` (negative: negative pulses) and ``width_s``
        (50 %-to-50 %), ``period_s`` apart (default: twice the width), from a 0 V idle level;
        returns once the instrument has finished them."""
        ...

    def set_load(self, ohms_or_inf: float | str) -> None:
        """Termination setting the programmed levels refer to: ohm, or ``math.inf`` / "INF"."""
        ...

    def enable(self) -> None:
        """Output on, resting at the 0 V idle level."""
        ...

    def disable(self) -> None:
        """Output off (relay open)."""
        ...

    def current_for(self, voltage_V: float, load_ohm: float) -> float:
        """Current (A) the programmed level ``voltage_V`` drives into a device of ``load_ohm``."""
        ...

    def voltage_for(self, current_A: float, load_ohm: float) -> float:
        """Programmed level (V) that drives ``current_A`` into a device of ``load_ohm``."""
        ...


@runtime_checkable
class PulseDeltaSystem(Protocol):
    """Keithley 6221 + 2182A pulse-delta system (6221 Reference Manual, section 5).

    The 6221 times the pulses and triggers the 2182A over the Trigger Link; readings
    arrive over the RS-232 link and are stored in the 6221 buffer, read with ``TRAC:DATA?``.
    Each returned reading is one pulse-delta voltage in V (``+9.9E37`` overflow -> NaN).
    """

    def pulse_delta(self, high_A: float, low_A: float, width_s: float, count: int,
                    delay_s: float) -> np.ndarray:
        """Fixed-level pulse delta: ``count`` pulses ``low_A -> high_A -> low_A``.

        ``width_s`` is the pulse width (50 us .. 12 ms), ``delay_s`` the source delay from
        the pulse edge to the 2182A measurement (16 us .. 11.966 ms).  Returns ``count``
        delta voltages in V.
        """
        ...

    def pulse_sweep(self, amplitudes_A: np.ndarray, low_A: float, width_s: float,
                    delay_s: float) -> np.ndarray:
        """Pulse-delta sweep over a list of pulse amplitudes (one pulse per amplitude).

        ``delay_s`` is the sweep delay, i.e. the cycle period between pulses (1 ms .. ).
        Returns one delta voltage in V per amplitude.
        """
        ...

    def abort(self) -> None:
        """Stop a running pulse-delta test (``SOUR:SWE:ABOR``)."""
        ...


@runtime_checkable
class WriteReadSequencer(Protocol):
    """A source that runs whole write/read cycles on its own clock and buffers the readings
    (Keithley 6221 list sweep or pulse-delta sweep with a 2182A on the Trigger Link), so a
    switching-probability map costs a few VISA round trips per batch, not per pulse.

    One cycle is ``read (before) -> write -> read (after) -> reset``: the device is left in the
    reset state, so consecutive cycles (and consecutive batches) all start from it.
    """

    def write_read(self, amplitudes_A: np.ndarray, width_s: float, reset_A: float,
                   reset_width_s: float, read_A: float, settle_s: float) -> np.ndarray:
        """Run one cycle per write amplitude; return read voltages, shape ``(N, 2)``
        (before, after) in V at the read current ``read_A`` (NaN for an overflow).

        ``settle_s`` is the time from setting the read level to the start of the conversion.
        Every value is checked against the bench limits and the hardware ranges before
        anything is sent.
        """
        ...

    def write_widths(self) -> tuple[float, float]:
        """Shortest and longest write pulse width (s) this sequencer can time."""
        ...

    def channel_resistance(self, current_A: float) -> float:
        """Four-wire resistance (ohm) of the current channel at a DC ``current_A``."""
        ...


@runtime_checkable
class PulseReadSequencer(Protocol):
    """A source that runs a train of pulses with a buffered read after every pulse on its own
    clock (Keithley 6221 list sweep with a 2182A on the Trigger Link): multi-state writes,
    potentiation/depression trains, a few VISA round trips per 512 pulses."""

    def pulse_read(self, amplitudes_A: np.ndarray, widths_s: np.ndarray | float, read_A: float,
                   settle_s: float) -> np.ndarray:
        """Pulse ``i`` of ``amplitudes_A[i]`` for ``widths_s[i]``, then a read at ``read_A``;
        return the ``N`` read voltages in V. Every value is checked before anything is sent."""
        ...

    def write_widths(self) -> tuple[float, float]:
        """Shortest and longest pulse width (s) this sequencer can time."""
        ...


# ---- roles for later measurement families (implementations come with them) ---------------

@runtime_checkable
class RFSource(Protocol):
    """A CW microwave generator (Keysight N5183B, R&S SGS100A, ...)."""

    def set_frequency(self, frequency_Hz: float) -> None:
        """Set the CW frequency in Hz (refused outside the bench's min/max_frequency)."""
        ...

    def frequency(self) -> float:
        """Return the CW frequency in Hz."""
        ...

    def set_power_dbm(self, power_dbm: float) -> None:
        """Set the output power in dBm (refused above the bench's max_rf_power_dbm)."""
        ...

    def power_dbm(self) -> float:
        """Return the output power in dBm."""
        ...

    def enable(self) -> None:
        """RF output on."""
        ...

    def disable(self) -> None:
        """RF output off."""
        ...


@runtime_checkable
class PulseModulatedRFSource(RFSource, Protocol):
    """An RF source whose internal pulse modulation (and its sync output) can be the lock-in
    reference (R&S SGS100A option K22, N5183B option UNW)."""

    def set_pulse_modulation(self, frequency_Hz: float | None, duty: float = 0.5) -> None:
        """Internal pulse modulation at ``frequency_Hz`` with ``duty`` (``None``: off)."""
        ...


@runtime_checkable
class AmplitudeModulatedRFSource(RFSource, Protocol):
    """An RF source with internal sine AM whose LF output can be the lock-in reference (N5183B
    option UNT); the envelope peak ``P + 20 log10(1 + m)`` is held to the power limit."""

    def set_amplitude_modulation(self, rate_Hz: float | None, depth: float = 0.5) -> None:
        """Internal sine AM at ``rate_Hz`` of ``depth`` 0..1 (``None``: off)."""
        ...


@runtime_checkable
class SteppedSweepRFSource(RFSource, Protocol):
    """An RF source that steps through a frequency list on its own, one trigger-output pulse per
    point (N5183B ``LIST:TYPE STEP``, rear TRIG OUT); with the pulses cabled to a lock-in's
    TRIG IN (the bench file says so: ``RFSourceCapabilities.trigger_out``) the lock-in stores
    one sample per frequency."""

    def configure_step_sweep(self, start_Hz: float, stop_Hz: float, points: int,
                             dwell_s: float) -> np.ndarray:
        """A linear step sweep armed at its first point; returns the frequencies (Hz)."""
        ...

    def run_sweep(self) -> None:
        """Run the armed sweep to its end."""
        ...

    def set_cw_mode(self) -> None:
        """Back to a fixed (CW) frequency."""
        ...


@runtime_checkable
class LockIn(Protocol):
    """A lock-in amplifier (SR830, ...) with an internal reference whose sine output is the
    excitation; after a change, :meth:`settle` before reading."""

    def time_constant(self) -> float:
        """Return the output filter time constant in s."""
        ...

    def set_time_constant(self, seconds: float) -> None:
        """Set the time constant in s; a value the instrument lacks is refused, not rounded."""
        ...

    def set_reference(self, frequency_Hz: float, harmonic: int = 1) -> None:
        """Set the internal reference frequency in Hz and the detection harmonic."""
        ...

    def read_xy(self) -> tuple[float, float]:
        """Return the in-phase and quadrature outputs (X, Y) in V."""
        ...

    def read_r_theta(self) -> tuple[float, float]:
        """Return the magnitude in V and phase in rad."""
        ...

    def set_sine_amplitude(self, amplitude_Vrms: float) -> None:
        """Set the reference sine output (the excitation) in V rms; refused when its peak
        exceeds the bench's max_voltage."""
        ...

    def set_sensitivity(self, full_scale: float) -> None:
        """Set the full scale in V; a value the instrument lacks is refused, not rounded."""
        ...

    def settle(self, time_constants: float | None = None) -> None:
        """Wait ``time_constants`` x the time constant (``None``: the instrument's settling
        time to 99 % for its filter slope), timed by the instrument so that the wait also holds
        on a simulated bench whose clock only instrument actions advance."""
        ...

    def overloaded(self) -> bool:
        """True if an input or output overload occurred since the last call."""
        ...


@runtime_checkable
class SpectrumAnalyzer(Protocol):
    """A swept spectrum analyzer (Keysight N9030B, ...)."""

    def configure(self, center_Hz: float, span_Hz: float, rbw_Hz: float,
                  points: int) -> None:
        """Set the frequency window, resolution bandwidth and trace length."""
        ...

    def read_trace(self) -> tuple[np.ndarray, np.ndarray]:
        """Take one sweep; return (frequencies in Hz, power in dBm)."""
        ...


@runtime_checkable
class LaserSource(Protocol):
    """A CW or modulated laser used to heat a junction."""

    def set_power(self, power_W: float) -> None:
        """Set the optical power in W (refused above the bench's max_laser_power)."""
        ...

    def power(self) -> float:
        """Return the programmed optical power in W."""
        ...

    def enable(self) -> None:
        """Emission on."""
        ...

    def disable(self) -> None:
        """Emission off."""
        ...


@runtime_checkable
class Oscilloscope(Protocol):
    """A digitizing oscilloscope (Tektronix / Keysight)."""

    def configure(self, channel: int, volts_per_div: float, time_per_div_s: float,
                  trigger_level_V: float) -> None:
        """Set one channel's scale, the timebase and an edge trigger level."""
        ...

    def read_waveform(self, channel: int) -> tuple[np.ndarray, np.ndarray]:
        """Return (time in s, voltage in V) of the last acquisition on ``channel``."""
        ...


@runtime_checkable
class PulsedLaser(LaserSource, Protocol):
    """A laser whose emission is pulsed (QCW) at a period and width the instrument times; its
    modulation is the trigger / lock-in reference of the bench."""

    def set_pulsed(self, period_s: float, width_s: float) -> None:
        """Pulse at ``period_s`` with ``width_s`` on; refused (before any command) beyond the
        bench's max_pulse_energy (power x width) or max_duty_cycle."""
        ...

    def set_cw(self) -> None:
        """Continuous emission."""
        ...


@runtime_checkable
class ModulatedLaser(PulsedLaser, Protocol):
    """A pulsed laser whose emission can instead be gated by the signal on its modulation input
    (a generator's pulse train over a bench-file cable)."""

    def set_external_modulation(self, on: bool = True) -> None:
        """Gate the emission by the modulation input (``False``: stop)."""
        ...


@runtime_checkable
class LaserModulator(Protocol):
    """A generator whose free-running pulse train gates a laser through its modulation input."""

    def modulation_train(self, period_s: float, width_s: float, high_V: float = 5.0) -> None:
        """A 0 V .. ``high_V`` pulse train of ``period_s`` and ``width_s``, output on; refused
        (before any command) outside the generator's timing and the bench's voltage limit."""
        ...

    def disable(self) -> None:
        """Output off (the laser goes dark)."""
        ...


@runtime_checkable
class TriggeredScope(Oscilloscope, Protocol):
    """An oscilloscope that acquires averaged records on a trigger (e.g. the laser's pulses)."""

    def set_averaging(self, count: int) -> None:
        """Average ``count`` triggered records per acquisition (1: none)."""
        ...

    def set_record_length(self, points: int) -> None:
        """Samples per record."""
        ...

    def acquire(self, channels: tuple[int, ...] = (1,)) -> bool:
        """One (averaged) acquisition; returns whether it triggered."""
        ...


@runtime_checkable
class ReferencedLockIn(LockIn, Protocol):
    """A lock-in that can lock to an external reference (a modulation TTL on REF IN)."""

    def set_external_reference(self, slope: str = "ttl_rising") -> None:
        """Detect at the frequency of the signal on REF IN."""
        ...


@runtime_checkable
class TriggeredStorageLockIn(LockIn, Protocol):
    """A lock-in that stores one (X, Y) sample per pulse on its TRIG IN (SR830 ``SRAT 14``)."""

    def settling_time(self) -> float:
        """Time to 99 % of a step for the present time constant and filter slope (s)."""
        ...

    def arm_triggered_storage(self) -> None:
        """Clear the buffer; from now on every trigger stores one sample."""
        ...

    def read_storage(self, points: int) -> tuple[np.ndarray, np.ndarray]:
        """The first ``points`` stored samples, (X, Y) in V (refused if fewer are stored)."""
        ...


#: role name in a bench file -> protocol the instrument must satisfy
ROLE_TYPES: dict[str, type] = {
    "current_source": CurrentSource,
    "voltmeter": Voltmeter,
    "source_meter": SourceMeter,
    "field": FieldController,
    "gaussmeter": Gaussmeter,
    "pulse_generator": PulseGenerator,
    "pulse_delta": PulseDeltaSystem,
    "sequencer": WriteReadSequencer,
    "pulse_sequencer": PulseReadSequencer,
    "rf_source": RFSource,
    "lock_in": LockIn,
    "spectrum_analyzer": SpectrumAnalyzer,
    "laser": LaserSource,
    "laser_modulator": LaserModulator,
    "oscilloscope": Oscilloscope,
    "scope": Oscilloscope,
}


def role_type(role_name: str) -> type | None:
    """The protocol for ``role_name``: an exact key of :data:`ROLE_TYPES`, or such a key
    followed by ``_<suffix>`` (``field_x``).  ``None`` if it names no known role."""
    if role_name in ROLE_TYPES:
        return ROLE_TYPES[role_name]
    for base in sorted(ROLE_TYPES, key=len, reverse=True):
        if role_name.startswith(base + "_") and len(role_name) > len(base) + 1:
            return ROLE_TYPES[base]
    return None


def role_members(protocol: type) -> tuple[str, ...]:
    """Members a role protocol declares (methods, properties, data annotations such as
    ``axis``), read from its class bodies: one implementation for every Python version."""
    attrs: set[str] = set()
    for base in protocol.__mro__:
        if base is object or base.__name__ in ("Protocol", "Generic"):
            continue
        attrs.update(k for k in vars(base) if not k.startswith("_"))
        attrs.update(k for k in getattr(base, "__annotations__", {}) if not k.startswith("_"))
    return tuple(sorted(attrs))


def missing_members(obj: Any, protocol: type) -> list[str]:
    """Members of role ``protocol`` that ``obj`` (a driver class or an instance) lacks.

    THE role-conformance check (bench files, ``OpenBench.role``, the runner).  Members are
    looked up statically (``inspect.getattr_static``), so a property is never read: reading
    one would talk to the instrument.  A data member counts if declared as an attribute,
    property or class annotation.  ``protocol`` may also be an ordinary class (``object``
    for "anything"): then ``obj`` must be an instance or subclass of it.
    """
    if not getattr(protocol, "_is_protocol", False):
        ok = issubclass(obj, protocol) if isinstance(obj, type) else isinstance(obj, protocol)
        return [] if ok else [f"(an instance of {protocol.__name__})"]
    cls = obj if isinstance(obj, type) else type(obj)
    missing = []
    for name in role_members(protocol):
        try:
            inspect.getattr_static(obj, name)
            continue
        except AttributeError:
            pass
        if any(name in getattr(k, "__annotations__", {}) for k in cls.__mro__):
            continue
        missing.append(name)
    return missing


def conforms(obj: Any, protocol: type) -> bool:
    """Whether ``obj`` fills role ``protocol`` (:func:`missing_members` is empty)."""
    return not missing_members(obj, protocol)
