"""Stanford Research Systems SR830 DSP lock-in amplifier: :class:`LockIn`.

Built on pymeasure's ``SR830`` (connection, ``SNAP?`` parsing, ``*IDN?``).  The SR830 speaks its
own command set, not SCPI (SR830 manual, chapter 5): four-letter mnemonics, integer codes for
the sensitivity (``SENS 0..26`` = 2 nV .. 1 V) and time constant (``OFLT 0..19`` = 10 us ..
30 ks), ``SNAP? i,j`` for values taken at one instant.

Strict where pymeasure is not: its ``sensitivity`` and ``time_constant`` setters pass the value
through ``truncated_discrete_set`` (the next larger entry is sent, so 0.30000000000000004 s
becomes 1 s) and ``sine_voltage``/``frequency``/``phase`` through ``truncated_range`` (silently
clipped).  Here a sensitivity or time constant must be one of the instrument's values (1e-9
relative tolerance) and is sent as its index; frequency, harmonic, amplitude and phase are
refused outside the manual's ranges and the bench limits (``min_frequency``/``max_frequency``
for the reference; ``max_voltage`` for the sine output's *peak*, sqrt(2) x the rms amplitude
``SLVL`` programs).

:meth:`settle` waits a number of time constants timed by the instrument itself: it runs the
data buffer at a known sample rate (``REST``, ``SRAT``, ``SEND 0``, ``STRT``) until
``SPTS?`` says the samples span the wait, then ``PAUS``; it resets the data buffer.  Between
the start and the first ``SPTS?`` it does not poll: on GPIB/USB/LAN it waits once for the span,
as the VISA library times a wait for a service request (``viWaitOnEvent`` with the span as
timeout; no service request is enabled, so it ends at the timeout), which on a simulated bench is
one step of its clock instead of thousands of polls; elsewhere (RS-232, a test transcript) it
polls with ``poll_interval`` between polls.  The sample rate is the slowest giving at least
:data:`SETTLE_SAMPLES` samples over the wait, so the buffer's grid rounds the wait up by at most
1/32.

Shutdown: the sine output cannot be switched off; it is set to its minimum, 4 mV rms.

Options: ``poll_interval`` (s between ``SPTS?`` polls, default 0.02).
"""
from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from pymeasure.instruments.srs import SR830 as _PymeasureSR830

from .capabilities import LockInCapabilities, Span
from .driver_base import Driver
from .limits import LimitError, check_frequency, check_range

__all__ = ["SR830", "SENSITIVITIES", "TIME_CONSTANTS", "LIA_BITS"]

#: ``SENS i`` -> full scale, V (manual 5-6)
SENSITIVITIES = (2e-9, 5e-9, 10e-9, 20e-9, 50e-9, 100e-9, 200e-9, 500e-9, 1e-6, 2e-6, 5e-6,
                 10e-6, 20e-6, 50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3, 20e-3,
                 50e-3, 100e-3, 200e-3, 500e-3, 1.0)
#: ``OFLT i`` -> time constant, s (manual 5-6)
TIME_CONSTANTS = (10e-6, 30e-6, 100e-6, 300e-6, 1e-3, 3e-3, 10e-3, 30e-3, 100e-3, 300e-3,
                  1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1e3, 3e3, 10e3, 30e3)
#: ``OFSL i`` -> slope, dB/oct
SLOPES = (6, 12, 18, 24)
#: slope (dB/oct) -> time constants to settle within 1 % (manual 3-11)
SETTLE_99 = {6: 5.0, 12: 7.0, 18: 9.0, 24: 10.0}
#: ``SRAT i`` -> storage sample rate, Hz (i = 0..13)
SAMPLE_RATES = tuple(0.0625 * 2 ** i for i in range(14))
#: ``LIAS?`` bit -> name (manual 5-20)
LIA_BITS = {0: "input overload", 1: "filter overload", 2: "output overload", 3: "reference unlock",
            4: "detection range changed", 5: "time constant changed", 6: "storage triggered"}
F_RANGE = (0.001, 102000.0)       #: Hz, internal reference
HARMONIC_MAX = 19999
SLVL_RANGE = (0.004, 5.0)         #: V rms
PHASE_RANGE = (-360.0, 729.99)    #: deg
BUFFER_POINTS = 16383
#: samples the settle's buffer spans at least (its grid rounds the wait up by <= 1/this)
SETTLE_SAMPLES = 32


def _index_of(value: float, table: tuple[float, ...]) -> int | None:
    for i, v in enumerate(table):
        if abs(float(value) - v) <= 1e-9 * v:
            return i
    return None


def _fmt_list(values: tuple[float, ...], unit: str) -> str:
    return ", ".join(f"{v:g} {unit}" for v in values)


class SR830(Driver):
    """SR830 lock-in amplifier (internal reference, sine output as the excitation)."""

    driver_name = "srs_sr830"
    #: no error queue: a rejected command sets the CMD/EXE bits of *ESR? (manual 5-1)
    ERROR_QUERY = None
    shutdown_order = 0   # its sine output drives the device
    OPTIONS = {
        "poll_interval": ((int, float), "s between SPTS? polls while settling"),
    }

    def __init__(self, name, inner, limits=None, options=None) -> None:
        super().__init__(name, inner, limits, options)
        self._poll_interval = float(self.options.get("poll_interval", 0.02))
        if self._poll_interval < 0:
            raise ValueError(f"{name}: option poll_interval must be >= 0 s")

    @classmethod
    def capabilities(cls, role, name, limits, options):
        """Reference 1 mHz .. 102 kHz (cut by the bench's min/max_frequency), the manual's
        time constants and sensitivities, sine output 4 mV .. 5 V rms."""
        from .roles import LockIn, ReferencedLockIn

        if role not in (LockIn, ReferencedLockIn):
            return super().capabilities(role, name, limits, options)
        freq = Span(*F_RANGE, "Hz", "SR830 internal reference")
        if limits.min_frequency is not None or limits.max_frequency is not None:
            freq = freq.within(Span(limits.min_frequency or 0.0,
                                    limits.max_frequency or float("inf"), "Hz",
                                    "bench limits min/max_frequency"))
        return LockInCapabilities(name, cls.driver_name, freq, tuple(TIME_CONSTANTS),
                                  tuple(SENSITIVITIES), Span(*SLVL_RANGE, "V rms", "SR830 SLVL"),
                                  HARMONIC_MAX)

    @classmethod
    def connect(cls, name, address, visa_library, limits, options):
        # GPIB: replies end with LF (+EOI); RS-232: with CR (manual 5-1)
        term = "\r" if address.upper().startswith("ASRL") else "\n"
        inner = _PymeasureSR830(address, visa_library=visa_library, read_termination=term)
        return cls(name, inner, limits, options)

    # ---- LockIn: reference ---------------------------------------------------------------------
    def set_reference(self, frequency_Hz: float, harmonic: int = 1) -> None:
        """``HARM?``, then ``FREQ <f>`` and ``HARM <n>`` in the order that keeps n f <= 102 kHz
        at every step (the SR830 refuses a FREQ or HARM that breaks it)."""
        f = check_frequency(self.name, frequency_Hz, self.limits, *F_RANGE)
        if isinstance(harmonic, bool) or int(harmonic) != harmonic:
            raise LimitError(f"{self.name}: harmonic must be an integer, got {harmonic!r}")
        n = int(check_range(self.name, "harmonic", harmonic, 1, HARMONIC_MAX, ""))
        if n * f > F_RANGE[1]:
            raise LimitError(f"{self.name}: harmonic x frequency {n * f:g} Hz exceeds the "
                             f"SR830's {F_RANGE[1]:g} Hz (instrument range)")
        with self.lock:
            n_old = int(self._ask_float("HARM?"))
            if f * n_old > F_RANGE[1]:
                self._write(f"HARM {n:d}")
                self._write(f"FREQ {f:.6g}")
            else:
                self._write(f"FREQ {f:.6g}")
                self._write(f"HARM {n:d}")

    def set_external_reference(self, slope: str = "ttl_rising") -> None:
        """Lock to the signal on REF IN (e.g. a laser modulation TTL): ``RSLP <i>``, ``FMOD 0``
        (manual 5-4: RSLP 0 sine zero crossing, 1 TTL rising edge, 2 TTL falling edge)."""
        slopes = {"sine": 0, "ttl_rising": 1, "ttl_falling": 2}
        if slope not in slopes:
            raise LimitError(f"{self.name}: reference slope {slope!r}; allowed: {', '.join(slopes)}")
        with self.lock:
            self._write(f"RSLP {slopes[slope]}")
            self._write("FMOD 0")

    def set_internal_reference(self) -> None:
        """``FMOD 1``: the internal oscillator is the reference."""
        self._write("FMOD 1")

    def unlocked(self) -> bool:
        """``LIAS? 3``: the external reference is unlocked (bit 3, read clears)."""
        return self._ask("LIAS? 3").strip() == "1"

    def use_external_reference(self) -> None:
        """``FMOD 0``: the reference comes from REF IN (e.g. an RF source's pulse-modulation
        TTL output); ``FREQ?`` then reads the measured reference frequency (manual 5-4)."""
        self._write("FMOD 0")

    def frequency(self) -> float:
        """``FREQ?`` (Hz)"""
        return self._ask_float("FREQ?")

    def harmonic(self) -> int:
        """``HARM?``"""
        return int(self._ask_float("HARM?"))

    def set_phase(self, degrees: float) -> None:
        """``PHAS <deg>`` (-360 .. 729.99 deg; the SR830 wraps it into +-180)."""
        value = check_range(self.name, "reference phase", degrees, *PHASE_RANGE, "deg")
        self._write(f"PHAS {value:.2f}")

    def set_sine_amplitude(self, amplitude_Vrms: float) -> None:
        """``SLVL <V>``: 0.004 .. 5 V rms, and a peak sqrt(2) V within the bench's max_voltage."""
        v = check_range(self.name, "sine output amplitude", amplitude_Vrms, *SLVL_RANGE, "V rms")
        if self.limits.max_voltage is not None and math.sqrt(2) * v > self.limits.max_voltage:
            raise LimitError(f"{self.name}: sine output {v:g} V rms has a peak of "
                             f"{math.sqrt(2) * v:.6g} V, above the bench limit max_voltage "
                             f"{self.limits.max_voltage:g} V")
        self._write(f"SLVL {v:.3f}")

    def sine_amplitude(self) -> float:
        """``SLVL?`` (V rms)"""
        return self._ask_float("SLVL?")

    # ---- LockIn: gain and filter ----------------------------------------------------------------
    def set_sensitivity(self, full_scale: float) -> None:
        """``SENS <i>`` for a full scale in V (2 nV .. 1 V), one of the instrument's values."""
        i = _index_of(full_scale, SENSITIVITIES)
        if i is None:
            raise LimitError(f"{self.name}: sensitivity {full_scale!r} V is not an SR830 "
                             f"sensitivity; allowed: {_fmt_list(SENSITIVITIES, 'V')}")
        self._write(f"SENS {i:d}")

    def sensitivity(self) -> float:
        """``SENS?`` -> full scale (V)"""
        return SENSITIVITIES[self._index_reply("SENS?", len(SENSITIVITIES))]

    def set_time_constant(self, seconds: float) -> None:
        """``OFLT <i>``; refused unless one of 10 us .. 30 ks exactly.  Above 30 s the SR830
        needs a detection frequency below 200 Hz (``FREQ?``, ``HARM?`` are asked first)."""
        i = _index_of(seconds, TIME_CONSTANTS)
        if i is None:
            raise LimitError(f"{self.name}: time constant {seconds!r} s is not an SR830 time "
                             f"constant; allowed: {_fmt_list(TIME_CONSTANTS, 's')}")
        with self.lock:
            if TIME_CONSTANTS[i] > 30.0:
                f_det = self._ask_float("FREQ?") * self._ask_float("HARM?")
                if f_det > 200.0:
                    raise LimitError(f"{self.name}: time constant {TIME_CONSTANTS[i]:g} s needs a "
                                     f"detection frequency below 200 Hz (now {f_det:g} Hz)")
            self._write(f"OFLT {i:d}")

    def time_constant(self) -> float:
        """``OFLT?`` -> s"""
        return TIME_CONSTANTS[self._index_reply("OFLT?", len(TIME_CONSTANTS))]

    def set_filter_slope(self, db_per_octave: int) -> None:
        """``OFSL <i>`` for 6, 12, 18 or 24 dB/oct."""
        if db_per_octave not in SLOPES:
            raise LimitError(f"{self.name}: filter slope {db_per_octave!r} dB/oct not one of "
                             f"{', '.join(map(str, SLOPES))}")
        self._write(f"OFSL {SLOPES.index(db_per_octave):d}")

    def filter_slope(self) -> int:
        """``OFSL?`` -> dB/oct"""
        return SLOPES[self._index_reply("OFSL?", len(SLOPES))]

    def _index_reply(self, query: str, n: int) -> int:
        i = int(self._ask_float(query))
        if not 0 <= i < n:
            raise ValueError(f"{self.name}: {query} answered {i}, expected 0..{n - 1}")
        return i

    # ---- LockIn: readings ------------------------------------------------------------------------
    def read_xy(self) -> tuple[float, float]:
        """``SNAP? 1,2`` -> (X, Y) in V, taken at one instant."""
        with self.lock:
            x, y = self._inner.snap("X", "Y")
        return float(x), float(y)

    def read_r_theta(self) -> tuple[float, float]:
        """``SNAP? 3,4`` -> (R in V, theta in rad)."""
        with self.lock:
            r, theta = self._inner.snap("R", "Theta")
        return float(r), math.radians(float(theta))

    def lia_status(self) -> set[str]:
        """``LIAS?`` (read and clear) -> names of the set bits."""
        value = int(self._ask_float("LIAS?"))
        return {name for bit, name in LIA_BITS.items() if value >> bit & 1}

    def overloaded(self) -> bool:
        """True if an input or output overload was latched since the last status read
        (``LIAS?``, which clears it)."""
        return bool(self.lia_status() & {"input overload", "filter overload", "output overload"})

    # ---- triggered storage (one sample per TRIG IN pulse, e.g. an RF source's step sweep) --------
    def settling_time(self) -> float:
        """The manual's settling time to 99 % for the present time constant and slope (3-11:
        5, 7, 9, 10 tau at 6, 12, 18, 24 dB/oct) [s]: ``OFLT?``, ``OFSL?``."""
        with self.lock:
            return SETTLE_99[self.filter_slope()] * self.time_constant()

    def arm_triggered_storage(self) -> None:
        """Store X (channel 1) and Y (channel 2) on each trigger: ``DDEF 1,0,0``, ``DDEF 2,0,0``,
        ``REST``, ``SRAT 14`` (trigger), ``SEND 0``, ``TSTR 0``, ``STRT`` (manual 5-9, 5-13):
        every pulse on the rear-panel TRIG IN (or ``TRIG``) stores one point."""
        with self.lock:
            for cmd in ("DDEF 1,0,0", "DDEF 2,0,0", "REST", "SRAT 14", "SEND 0", "TSTR 0", "STRT"):
                self._write(cmd)

    def read_storage(self, points: int) -> tuple[np.ndarray, np.ndarray]:
        """``SPTS?`` (refused unless ``points`` are stored), ``PAUS``, then ``TRCB? 1,0,n`` and
        ``TRCB? 2,0,n`` (little-endian float32, no terminator): (X, Y) in V."""
        n = int(check_range(self.name, "storage points", points, 1, BUFFER_POINTS, ""))
        with self.lock:
            stored = int(self._ask_float("SPTS?"))
            self._write("PAUS")
            if stored < n:
                raise LimitError(f"{self.name}: {stored} of {n} triggered points stored -- is the "
                                 f"trigger output cabled to TRIG IN?")
            res = self.resource
            out = []
            for ch in (1, 2):
                res.write(f"TRCB? {ch},0,{n}")
                out.append(np.frombuffer(res.read_bytes(4 * n, break_on_termchar=False), dtype="<f4")
                           .astype(float))
        return out[0], out[1]

    def settle(self, time_constants: float | None = None) -> None:
        """Wait ``time_constants`` x tau, timed by the instrument: ``OFLT?``, [``OFSL?``],
        ``REST``, ``SRAT <i>``, ``SEND 0``, ``STRT``, (a VISA-timed wait for the span,
        :meth:`_visa_wait`), ``SPTS?`` until the samples span the wait, ``PAUS``.  ``None``: the
        manual's settling time to 99 % for the present slope (3-11: 5, 7, 9, 10 tau at 6, 12,
        18, 24 dB/oct); ask for more where 99 % is not enough."""
        if time_constants is not None:
            check_range(self.name, "settle time", time_constants, 0.0, 1e6, "time constants")
        with self.lock:
            if time_constants is None:
                time_constants = SETTLE_99[self.filter_slope()]
            wait = float(time_constants) * self.time_constant()
            if wait <= 0:
                return
            fitting = [i for i, rate in enumerate(SAMPLE_RATES) if wait * rate <= BUFFER_POINTS - 1]
            if not fitting:
                raise LimitError(f"{self.name}: a settle of {wait:g} s is longer than the data "
                                 f"buffer can time ({(BUFFER_POINTS - 1) / SAMPLE_RATES[0]:g} s)")
            srat = next((i for i in fitting if wait * SAMPLE_RATES[i] >= SETTLE_SAMPLES), fitting[-1])
            rate = SAMPLE_RATES[srat]
            needed = max(1, math.ceil(wait * rate)) + 1  # the first sample is taken at STRT
            self._write("REST")
            self._write(f"SRAT {srat:d}")
            self._write("SEND 0")
            self._write("STRT")
            try:
                timed = self._visa_wait((needed - 1) / rate)
                while (stored := int(self._ask_float("SPTS?"))) < needed:
                    if timed:
                        self._visa_wait((needed - stored) / rate)
                    elif self._poll_interval:
                        time.sleep(self._poll_interval)
            finally:
                self._write("PAUS")

    def _visa_wait(self, seconds: float) -> bool:
        """Wait ``seconds`` as the VISA library times a wait for a service request (enable the
        event, ``wait_on_event`` with that timeout, disable it); False where the session offers
        no service requests (serial lines, a transcript adapter): the caller polls instead."""
        resource = getattr(getattr(self._inner, "adapter", None), "connection", None)
        if resource is None or not hasattr(resource, "wait_on_event"):
            return False
        from pyvisa import constants, errors

        if resource.interface_type not in (constants.InterfaceType.gpib, constants.InterfaceType.usb,
                                           constants.InterfaceType.tcpip):
            return False
        srq, queue = constants.EventType.service_request, constants.EventMechanism.queue
        resource.enable_event(srq, queue)
        try:
            resource.wait_on_event(srq, max(1, math.ceil(seconds * 1e3)))
        except errors.VisaIOError as exc:
            if exc.error_code != constants.StatusCode.error_timeout:
                raise
        finally:
            resource.disable_event(srq, queue)
        return True

    # ---- bench life cycle --------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "idn": self.identify(),
                "reference_source": "internal" if self._ask("FMOD?").strip() == "1" else "external",
                "frequency_Hz": self.frequency(),
                "harmonic": self.harmonic(),
                "phase_deg": self._ask_float("PHAS?"),
                "sine_amplitude_Vrms": self.sine_amplitude(),
                "input": ("A", "A-B", "I (1 Mohm)", "I (100 Mohm)")[self._index_reply("ISRC?", 4)],
                "coupling": ("AC", "DC")[self._index_reply("ICPL?", 2)],
                "sensitivity_V": self.sensitivity(),
                "reserve": ("high reserve", "normal", "low noise")[self._index_reply("RMOD?", 3)],
                "time_constant_s": self.time_constant(),
                "filter_slope_dB_per_oct": self.filter_slope(),
            }

    def shutdown(self) -> None:
        """``SLVL 0.004``: the smallest sine output (it cannot be switched off)."""
        self._write(f"SLVL {SLVL_RANGE[0]:.3f}")
