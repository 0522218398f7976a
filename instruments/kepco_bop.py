"""Kepco BOP bipolar power supply driving an electromagnet: :class:`FieldController`.

Neither pymeasure nor qcodes ships a BOP driver; this one speaks the BOP SCPI subset from the
Kepco BOP Operator Manual, appendix B: ``FUNC:MODE CURR`` (current mode), ``CURR <A>`` /
``CURR?`` (programmed current), ``VOLT <V>`` (in current mode: the voltage limit),
``MEAS:CURR?`` (measured output current), ``OUTP ON|OFF`` / ``OUTP?``.

The field is ``B = tesla_per_amp * I`` along ``axis`` (options).  A field change is a ramp of
``CURR`` steps no faster than the bench's ``max_ramp_rate``: each step is followed by a pause
of ``ramp_step_time`` and by polling ``MEAS:CURR?`` until the coil current has followed
(timeout counted in polls, not in wall time, so a simulated clock that advances with each
query satisfies it exactly as a real coil does).
"""
from __future__ import annotations

import math
from typing import Any

from pymeasure.instruments import Instrument, SCPIMixin

from .capabilities import FieldCapabilities, Span, tighter
from .driver_base import Driver
from .limits import Limits, LimitError, check_current, check_field, check_ramp_rate

__all__ = ["KepcoBOP"]


class _BOPConnection(SCPIMixin, Instrument):
    """Bare pymeasure connection to a Kepco BOP (commands are sent by :class:`KepcoBOP`)."""

    def __init__(self, adapter, name="Kepco BOP", **kwargs):
        super().__init__(adapter, name, **kwargs)


class KepcoBOP(Driver):
    """Kepco BOP in current mode as a one-axis field controller."""

    driver_name = "kepco_bop"
    shutdown_order = 1
    OPTIONS = {
        "tesla_per_amp": ((int, float), "magnet calibration in T/A"),
        "axis": (str, "lab-frame axis of the magnet: x, y or z"),
        "rated_current": ((int, float), "the BOP model's rated output current in A"),
        "ramp_step_time": ((int, float), "s between ramp steps (sets the step size)"),
        "settle_tolerance": ((int, float), "T; the ramp has settled within this"),
        "poll_interval": ((int, float), "s between MEAS:CURR? polls"),
        "max_polls": (int, "polls per wait before a ramp is declared stuck"),
    }
    REQUIRED_OPTIONS = ("tesla_per_amp",)
    #: limits a magnet supply must have in the bench file
    REQUIRED_LIMITS = ("max_field", "max_ramp_rate")
    #: lab-frame axis the magnet acts along (option ``axis``)
    axis: str

    def __init__(self, name: str, inner: Any, limits: Limits | None = None,
                 options: dict[str, Any] | None = None) -> None:
        super().__init__(name, inner, limits, options)
        self.tesla_per_amp = float(self.options["tesla_per_amp"])
        if self.tesla_per_amp == 0:
            raise ValueError(f"{name}: option tesla_per_amp must be non-zero")
        self.axis = str(self.options.get("axis", "x"))
        if self.axis not in ("x", "y", "z"):
            raise ValueError(f"{name}: option axis must be x, y or z, got {self.axis!r}")
        self._step_time = float(self.options.get("ramp_step_time", 0.1))
        self._tolerance_A = float(self.options.get("settle_tolerance", 1e-4)) / abs(self.tesla_per_amp)
        self._poll_interval = float(self.options.get("poll_interval", 0.02))
        self._max_polls = int(self.options.get("max_polls", 500))
        self._configured = False

    @classmethod
    def capabilities(cls, role, name, limits, options):
        """Field +-max_field (bench), also within the supply's current (option
        ``rated_current``, bench ``max_current``) times ``tesla_per_amp``; ramp rate
        ``max_ramp_rate``."""
        from .roles import FieldController

        if role is not FieldController:
            return super().capabilities(role, name, limits, options)
        field = Span(-math.inf, math.inf, "T")
        field = tighter(field, limits.max_field, "max_field")
        tpa = abs(float(options.get("tesla_per_amp", 0.0))) or math.inf
        for key, amps in (("option rated_current", options.get("rated_current")),
                          ("bench limit max_current", limits.max_current)):
            if amps is not None and math.isfinite(tpa):
                bound = float(amps) * tpa
                field = field.within(Span(-bound, bound, "T", f"{key} x tesla_per_amp"))
        rate = limits.max_ramp_rate if limits.max_ramp_rate is not None else math.inf
        return FieldCapabilities(name, cls.driver_name, field, rate, str(options.get("axis", "x")))

    @classmethod
    def connect(cls, name, address, visa_library, limits, options):
        inner = _BOPConnection(address, visa_library=visa_library)
        return cls(name, inner, limits, options)

    # ---- helpers -------------------------------------------------------------------------------
    def _output_on(self) -> bool:
        return self._ask("OUTP?") in ("1", "+1", "ON")

    def _configure(self) -> None:
        """First use.  Output off: ``FUNC:MODE CURR``, ``CURR 0``, [``VOLT <limit>``],
        ``OUTP ON``.  Output already on: ``FUNC:MODE?`` must be current mode, [``VOLT``]."""
        if self._configured:
            return
        with self.lock:
            if self._output_on():
                mode = self._ask("FUNC:MODE?").upper()
                if not mode.startswith("CURR"):
                    raise RuntimeError(f"{self.name}: the BOP output is on in {mode} mode; "
                                       f"turn it off before using it as a magnet supply")
                self._send_voltage_limit()
            else:
                self._write("FUNC:MODE CURR")
                self._write("CURR 0")
                self._send_voltage_limit()
                self._write("OUTP ON")
            self._configured = True

    def _send_voltage_limit(self) -> None:
        if self.limits.compliance_voltage is not None:
            self._write(f"VOLT {self.limits.compliance_voltage:.6g}")

    def _ramp_rate(self) -> float:
        if self.limits.max_ramp_rate is None:
            raise LimitError(f"{self.name}: the bench file sets no max_ramp_rate for this magnet")
        return check_ramp_rate(self.name, self.limits.max_ramp_rate, self.limits)

    def _wait_current(self, target_A: float, tolerance_A: float) -> float:
        """Poll ``MEAS:CURR?`` until within ``tolerance_A`` of ``target_A``."""
        reading = math.nan
        for _ in range(self._max_polls):
            reading = self._ask_float("MEAS:CURR?")
            if abs(reading - target_A) <= tolerance_A:
                return reading
            self._hold(self._poll_interval)
        raise TimeoutError(f"{self.name}: coil current {reading:.6g} A did not settle on "
                           f"{target_A:.6g} A (+-{tolerance_A:.3g} A) within {self._max_polls} polls")

    def _ramp(self, target_A: float, wait: bool) -> None:
        """``CURR?``, then ``CURR <I_k>`` steps of at most rate*step_time/tesla_per_amp."""
        rate = self._ramp_rate()
        step_A = rate * self._step_time / abs(self.tesla_per_amp)
        start = self._ask_float("CURR?")
        n = math.ceil(abs(target_A - start) / step_A - 1e-9) if target_A != start else 0
        for k in range(1, n + 1):
            level = start + (target_A - start) * k / n
            self._write(f"CURR {level:.6g}")
            self._hold(self._step_time)
            if k < n:
                self._wait_current(level, max(step_A, self._tolerance_A))
        if wait:
            self._wait_current(target_A, self._tolerance_A)

    # ---- FieldController ---------------------------------------------------------------------
    def set_field(self, field_T: float, wait: bool = True) -> None:
        """Check |B| <= max_field and |I| <= max_current; then configure (first use) and ramp."""
        field = check_field(self.name, field_T, self.limits)
        current = check_current(self.name, field / self.tesla_per_amp, self.limits,
                                float(self.options.get("rated_current", math.inf)),
                                "magnet current")
        self._ramp_rate()
        with self.lock:
            self._configure()
            self._ramp(current, wait)

    def field(self) -> float:
        """``MEAS:CURR?`` * tesla_per_amp"""
        return self._ask_float("MEAS:CURR?") * self.tesla_per_amp

    def ramp_to_zero(self) -> None:
        """Output on: rate-limited ramp to ``CURR 0`` and settle.  Output off: ``CURR 0``."""
        with self.lock:
            if self._output_on():
                self._ramp(0.0, wait=True)
            else:
                self._write("CURR 0")

    # ---- bench life cycle ----------------------------------------------------------------------
    #: errors of the BIT 4886 protection logic (KIT 219-0452 manual, table 5-1, DIAG:ERR:CURR/VOLT)
    PROTECTION_ERRORS = {303: "current above protection limit", 304: "voltage above protection limit"}

    def fatal_condition(self, errors: list[str], status: list[int]) -> str:
        """A protection trip (error 303/304 in the queue): the BOP has turned its output off
        and the field is gone; retrying would only trip it again."""
        for entry in errors:
            code = entry.split(",")[0].strip().lstrip("+")
            if code.isdigit() and int(code) in self.PROTECTION_ERRORS:
                return (f"{self.name}: the supply tripped ({entry}: "
                        f"{self.PROTECTION_ERRORS[int(code)]}); its output is off and the field "
                        f"is gone: check the coil and the voltage limit, then resume")
        return ""

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            current = self._ask_float("MEAS:CURR?")
            return {
                "idn": self.identify(),
                "mode": self._ask("FUNC:MODE?"),
                "output_enabled": self._output_on(),
                "current_setpoint_A": self._ask_float("CURR?"),
                "voltage_limit_V": self._ask_float("VOLT?"),
                "current_A": current,
                "field_T": current * self.tesla_per_amp,
                "axis": self.axis,
                "tesla_per_amp": self.tesla_per_amp,
            }

    def shutdown(self) -> None:
        """:meth:`ramp_to_zero`, then ``OUTP OFF``."""
        with self.lock:
            try:
                self.ramp_to_zero()
            finally:
                self._write("OUTP OFF")
