"""Keysight (Agilent) N5183B MXG microwave signal generator: :class:`RFSource`.

Built on qcodes' ``KeysightN5183B`` (connection, ``*OPT?`` at connect, ``*IDN?``).  Role
methods send explicit SCPI through the qcodes instrument's ``write``/``ask`` (X-Series Signal
Generators SCPI Command Reference): ``SOUR:FREQ <Hz>``, ``SOUR:POW <dBm>``, ``OUTP:STAT
ON|OFF``.  qcodes' own parameters are not used for setting: its frequency validator allows
9 kHz on every model and its power validator is fixed at -20 .. +19 dBm whatever the options.

Hardware ranges from the ``*OPT?`` answer qcodes read at connect (N5183B data sheet): the
frequency option sets the top (501: 1 GHz, 503: 3 GHz, 506: 6 GHz, 513: 13 GHz, 520: 20 GHz,
532: 31.8 GHz, 540: 40 GHz) and the bottom is 100 kHz; power -20 .. +19 dBm, down to
-130 dBm with the step attenuator (option 1E1).  Bench limits: ``max_rf_power_dbm`` (required:
an RF source on a nanodevice bench must say how much the device may take),
``min_frequency``/``max_frequency``.  Every set-point is refused before anything is sent;
:meth:`enable` first asks ``SOUR:POW?`` and refuses to switch on a power programmed (e.g. at
the front panel) above the bench limit.

Modulation (the lock-in reference of a spin-diode measurement): pulse modulation (option UNW,
``SOUR:PULM:SOUR INT``, ``SOUR:PULM:SOUR:INT SQU`` + ``SOUR:PULM:INT:FREQ`` for a 50 % square,
else ``FRUN`` + ``SOUR:PULM:INT:PER``/``PWID``, ``SOUR:PULM:STAT ON``) and sine AM (option UNT,
``SOUR:AM:SOUR INT``, ``SOUR:AM:TYPE LIN``, ``SOUR:AM:INT:FUNC:SHAP SINE``,
``SOUR:AM:INT:FREQ``, ``SOUR:AM:DEPT <percent>``, ``SOUR:AM:STAT ON``), each with
``OUTP:MOD ON``.  With AM the envelope peaks at ``P + 20 log10(1 + m)``: a depth or a power
whose peak is over ``max_rf_power_dbm`` is refused.

Trigger cable: the rear-panel TRIG OUT gives one pulse per point of a step sweep; whether it
is cabled to a lock-in's TRIG IN is a fact of the bench, not of the instrument, so the bench
file says so: ``options: {trigger_out: <instrument name>}`` (validated: it must name an SR830
of the bench).  :meth:`capabilities` reports it as ``RFSourceCapabilities.trigger_out``, and a
protocol buffers a sweep only when the cable is declared.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .capabilities import RFSourceCapabilities, Span, tighter
from .driver_base import Driver, open_qcodes
from .limits import LimitError, check_frequency, check_range, check_rf_power_dbm

__all__ = ["KeysightN5183B"]

#: frequency option -> highest frequency (Hz)
FREQUENCY_OPTIONS = {"501": 1e9, "503": 3e9, "506": 6e9, "513": 13e9, "520": 20e9,
                     "532": 31.8e9, "540": 40e9}
F_MIN = 100e3
P_MAX = 19.0
P_MIN = -20.0
P_MIN_STEP_ATTENUATOR = -130.0
SWEEP_POINTS = (2, 65535)
DWELL_RANGE = (1e-3, 100.0)
AM_RATE = (0.1, 2e6)            #: Hz, internal AM function generator (sine)
PULSE_RATE = (0.1, 10e6)        #: Hz, internal square pulse train
PULSE_PERIOD = (20e-9, 42.0)    #: s, free-run pulse period
PULSE_WIDTH = (10e-9, 42.0)     #: s, free-run pulse width


def ranges_from_options(options: str) -> tuple[float, float, float, float]:
    """(f_min, f_max, p_min, p_max) for an ``*OPT?`` answer."""
    opts = {o.strip().upper() for o in str(options).split(",")}
    found = [f for code, f in FREQUENCY_OPTIONS.items() if code in opts]
    if not found:
        raise ValueError(f"no frequency option (501 .. 540) in *OPT? answer {options!r}")
    p_min = P_MIN_STEP_ATTENUATOR if "1E1" in opts else P_MIN
    return F_MIN, max(found), p_min, P_MAX


class KeysightN5183B(Driver):
    """N5183B MXG analog signal generator (CW, step sweeps)."""

    driver_name = "keysight_n5183b"
    shutdown_order = 0
    REQUIRED_LIMITS = ("max_rf_power_dbm",)
    OPTIONS = {
        "trigger_out": (str, "instrument whose TRIG IN the rear TRIG OUT is cabled to "
                             "(one pulse per step-sweep point; a lock-in's triggered storage)"),
    }
    INSTRUMENT_OPTIONS = {"trigger_out": ("srs_sr830",)}

    def __init__(self, name, inner, limits=None, options=None, instrument_options: str = "520") -> None:
        super().__init__(name, inner, limits, options)
        self.f_min, self.f_max, self.p_min, self.p_max = ranges_from_options(instrument_options)
        opts = {o.strip().upper() for o in str(instrument_options).split(",")}
        self.has_am, self.has_pulse = "UNT" in opts, "UNW" in opts
        #: AM depth (0..1) while AM is on, else 0: the envelope peaks at P + 20 log10(1 + m)
        self._am_depth = 0.0
        self._power: float | None = None

    @classmethod
    def capabilities(cls, role, name, limits, options):
        """Frequency 100 kHz .. the widest frequency option (the installed one is read from
        ``*OPT?`` once open), cut by the bench's min/max_frequency; power -130 dBm (step
        attenuator) .. 19 dBm cut by ``max_rf_power_dbm``; the trigger cable the bench
        declares (option ``trigger_out``)."""
        from .roles import RFSource

        if role is not RFSource:
            return super().capabilities(role, name, limits, options)
        freq = Span(F_MIN, max(FREQUENCY_OPTIONS.values()), "Hz", "N5183B frequency options")
        if limits.min_frequency is not None or limits.max_frequency is not None:
            freq = freq.within(Span(limits.min_frequency or 0.0,
                                    limits.max_frequency or math.inf, "Hz",
                                    "bench limits min/max_frequency"))
        power = tighter(Span(P_MIN_STEP_ATTENUATOR, P_MAX, "dBm", "N5183B power range"),
                        limits.max_rf_power_dbm, "max_rf_power_dbm", symmetric=False)
        return RFSourceCapabilities(name, cls.driver_name, freq, power, options.get("trigger_out"))

    @classmethod
    def connect(cls, name, address, visa_library, limits, options):
        from qcodes.instrument_drivers.Keysight import KeysightN5183B as _QcodesN5183B

        inner = open_qcodes(_QcodesN5183B, name, address, visa_library)
        try:
            return cls(name, inner, limits, options, instrument_options=inner._options)
        except ValueError:
            inner.close()
            raise

    # ---- checks ----------------------------------------------------------------------------------
    def _check_frequency(self, frequency_Hz: float) -> float:
        return check_frequency(self.name, frequency_Hz, self.limits, self.f_min, self.f_max)

    def _check_power(self, power_dbm: float, depth: float | None = None) -> float:
        """The carrier power, refused outside the hardware range and when its AM peak
        (``+ 20 log10(1 + m)``) is over the bench limit."""
        p = check_rf_power_dbm(self.name, power_dbm, self.limits, self.p_min, self.p_max)
        m = self._am_depth if depth is None else depth
        if m > 0:
            peak = p + 20.0 * math.log10(1.0 + m)
            try:
                check_rf_power_dbm(self.name, peak, self.limits, -math.inf, self.p_max)
            except LimitError as exc:
                raise LimitError(f"{exc} -- the AM envelope peak of {p:g} dBm at {100 * m:g} % depth") from None
        return p

    # ---- RFSource --------------------------------------------------------------------------------
    def set_frequency(self, frequency_Hz: float) -> None:
        """``SOUR:FREQ <Hz>`` (1 mHz resolution)."""
        f = self._check_frequency(frequency_Hz)
        self._write(f"SOUR:FREQ {f:.3f}")

    def frequency(self) -> float:
        """``SOUR:FREQ?``"""
        return self._ask_float("SOUR:FREQ?")

    def set_power_dbm(self, power_dbm: float) -> None:
        """``SOUR:POW <dBm>`` (0.01 dB resolution)."""
        p = self._check_power(power_dbm)
        self._write(f"SOUR:POW {p:.2f}")
        self._power = p

    def power_dbm(self) -> float:
        """``SOUR:POW?``"""
        return self._ask_float("SOUR:POW?")

    def enable(self) -> None:
        """``SOUR:POW?`` (refused above the bench limit), then ``OUTP:STAT ON``."""
        with self.lock:
            programmed = self._ask_float("SOUR:POW?")
            try:
                self._check_power(programmed)
            except LimitError as exc:
                raise LimitError(f"{exc} -- the programmed power; output left off") from None
            self._write("OUTP:STAT ON")

    def disable(self) -> None:
        """``OUTP:STAT OFF``"""
        self._write("OUTP:STAT OFF")

    def output_enabled(self) -> bool:
        """``OUTP:STAT?``"""
        return self._ask("OUTP:STAT?") in ("1", "+1", "ON")

    # ---- modulation (the lock-in reference) ---------------------------------------------------
    def set_pulse_modulation(self, frequency_Hz: float | None, duty: float = 0.5) -> None:
        """Internal pulse modulation at ``frequency_Hz`` with ``duty`` (``None``: off)."""
        if frequency_Hz is None:
            self._write("SOUR:PULM:STAT OFF")
            return
        if not self.has_pulse:
            raise LimitError(f"{self.name}: pulse modulation needs option UNW (not in *OPT?)")
        if not 0.0 < duty < 1.0:
            raise LimitError(f"{self.name}: duty must be in (0, 1), got {duty!r}")
        if duty == 0.5:
            rate = check_range(self.name, "modulation frequency", frequency_Hz, *PULSE_RATE, "Hz")
            cmds = ["SOUR:PULM:SOUR:INT SQU", f"SOUR:PULM:INT:FREQ {rate:.9g}"]
        else:
            period = check_range(self.name, "pulse period", 1.0 / frequency_Hz, *PULSE_PERIOD, "s")
            width = check_range(self.name, "pulse width", duty * period, *PULSE_WIDTH, "s")
            cmds = ["SOUR:PULM:SOUR:INT FRUN", f"SOUR:PULM:INT:PER {period:.9g}",
                    f"SOUR:PULM:INT:PWID {width:.9g}"]
        with self.lock:
            self._write("SOUR:PULM:SOUR INT")
            for c in cmds:
                self._write(c)
            self._write("SOUR:PULM:STAT ON")
            self._write("OUTP:MOD ON")

    def set_amplitude_modulation(self, rate_Hz: float | None, depth: float = 0.5) -> None:
        """Internal sine AM at ``rate_Hz`` of ``depth`` (0 .. 1; ``None``: off); refused when
        the envelope peak of the programmed power would exceed the bench limit."""
        if rate_Hz is None:
            self._write("SOUR:AM:STAT OFF")
            self._am_depth = 0.0
            return
        if not self.has_am:
            raise LimitError(f"{self.name}: amplitude modulation needs option UNT (not in *OPT?)")
        rate = check_range(self.name, "AM rate", rate_Hz, *AM_RATE, "Hz")
        m = check_range(self.name, "AM depth", depth, 0.0, 1.0, "")
        with self.lock:
            power = self._power if self._power is not None else self._ask_float("SOUR:POW?")
            self._check_power(power, m)
            self._write("SOUR:AM:SOUR INT")
            self._write("SOUR:AM:TYPE LIN")
            self._write("SOUR:AM:INT:FUNC:SHAP SINE")
            self._write(f"SOUR:AM:INT:FREQ {rate:.9g}")
            self._write(f"SOUR:AM:DEPT {100 * m:.4g}")
            self._write("SOUR:AM:STAT ON")
            self._write("OUTP:MOD ON")
            self._am_depth = m

    # ---- step sweeps -----------------------------------------------------------------------------
    def configure_step_sweep(self, start_Hz: float, stop_Hz: float, points: int,
                             dwell_s: float) -> np.ndarray:
        """``FREQ:STAR``, ``FREQ:STOP``, ``SWE:POIN``, ``SWE:DWEL``, ``LIST:TYPE STEP``,
        ``FREQ:MODE LIST``: a linear step sweep, armed at its first point.  Returns the
        frequencies (Hz)."""
        f0, f1 = self._check_frequency(start_Hz), self._check_frequency(stop_Hz)
        if isinstance(points, bool) or int(points) != points:
            raise LimitError(f"{self.name}: sweep points must be an integer, got {points!r}")
        n = int(check_range(self.name, "sweep points", points, *SWEEP_POINTS, ""))
        dwell = check_range(self.name, "dwell", dwell_s, *DWELL_RANGE, "s")
        with self.lock:
            self._write(f"SOUR:FREQ:STAR {f0:.3f}")
            self._write(f"SOUR:FREQ:STOP {f1:.3f}")
            self._write(f"SOUR:SWE:POIN {n:d}")
            self._write(f"SOUR:SWE:DWEL {dwell:.6g}")
            self._write("SOUR:LIST:TYPE STEP")
            self._write("SOUR:FREQ:MODE LIST")
        return np.linspace(f0, f1, n)

    def run_sweep(self) -> None:
        """``INIT``; ``*OPC?`` waits until the sweep is done."""
        with self.lock:
            self._write("INIT")
            self._ask("*OPC?")

    def set_cw_mode(self) -> None:
        """``SOUR:FREQ:MODE CW``"""
        self._write("SOUR:FREQ:MODE CW")

    # ---- bench life cycle ------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "idn": self.identify(),
                "options": self._ask("*OPT?"),
                "frequency_mode": self._ask("SOUR:FREQ:MODE?"),
                "frequency_Hz": self.frequency(),
                "power_dBm": self.power_dbm(),
                "output_enabled": self.output_enabled(),
                "modulation_enabled": self._ask("OUTP:MOD?") in ("1", "+1", "ON"),
                "hardware_range": {"frequency_Hz": [self.f_min, self.f_max],
                                   "power_dBm": [self.p_min, self.p_max]},
            }

    def shutdown(self) -> None:
        """``OUTP:STAT OFF``"""
        self.disable()

