"""Thorlabs ITC4001 laser diode controller: :class:`LaserSource`.

Neither pymeasure nor qcodes has an ITC4000 driver; a plain pymeasure ``Instrument`` owns the
connection and the role methods send explicit SCPI (Series 4000 SCPI Programmer's Reference,
"LD Source Commands", "LD Output Commands", "QCW Pulse Setting").

Power is set in constant power mode (``SOUR:FUNC:MODE POW``, ``SOUR:POW <W>``): the controller
servoes the diode current on its monitor photodiode, so the role's watts are the laser's output
power without an L-I curve in the driver.  The bench limit ``max_laser_power`` is checked
before anything is sent; the option ``current_limit`` (A) is programmed as the LD current
limit (``SOUR:CURR:LIM``) on first use, which bounds the current whatever the servo asks.
"""
from __future__ import annotations

from typing import Any

from .capabilities import LaserCapabilities, Span
from .driver_base import Driver
from .limits import LimitError, check_laser_power, check_range

__all__ = ["ThorlabsITC4001"]

HW_MAX_CURRENT = 1.0   #: A (ITC4001)


class ThorlabsITC4001(Driver):
    """Thorlabs ITC4001 in constant power mode, CW or QCW pulsed."""

    driver_name = "thorlabs_itc4001"
    shutdown_order = 0
    OPTIONS = {
        "current_limit": (float, "LD current limit in A programmed on first use (<= 1 A)"),
    }

    def __init__(self, name: str, inner: Any, limits=None, options=None) -> None:
        super().__init__(name, inner, limits, options)
        if "current_limit" in self.options:
            check_range(name, "option current_limit", self.options["current_limit"], 0.0,
                        HW_MAX_CURRENT, "A")
        self._configured = False

    @classmethod
    def capabilities(cls, role, name, limits, options):
        """Optical power 0 .. the bench's ``max_laser_power``."""
        from .roles import LaserSource

        if role is not LaserSource:
            return super().capabilities(role, name, limits, options)
        top = limits.max_laser_power if limits.max_laser_power is not None else float("inf")
        return LaserCapabilities(name, cls.driver_name,
                                 Span(0.0, top, "W", "bench limit max_laser_power"))

    @classmethod
    def connect(cls, name, address, visa_library, limits, options):
        from pymeasure.instruments import Instrument

        inner = Instrument(address, "Thorlabs ITC4001", visa_library=visa_library, includeSCPI=False,
                           read_termination="\n", write_termination="\n")
        return cls(name, inner, limits, options)

    def _configure(self) -> None:
        """First use: [``SOUR:CURR:LIM <A>``], ``SOUR:FUNC:MODE POW``."""
        if self._configured:
            return
        with self.lock:
            if "current_limit" in self.options:
                self._write(f"SOUR:CURR:LIM {self.options['current_limit']:.6g}")
            self._write("SOUR:FUNC:MODE POW")
            self._configured = True

    # ---- LaserSource -------------------------------------------------------------------------
    def set_power(self, power_W: float) -> None:
        """[first use: configure], ``SOUR:POW <W>`` (refused above ``max_laser_power``)."""
        value = check_laser_power(self.name, power_W, self.limits)
        with self.lock:
            self._configure()
            self._write(f"SOUR:POW {value:.6g}")

    def power(self) -> float:
        """``SOUR:POW?``: the programmed optical power (W)."""
        return self._ask_float("SOUR:POW?")

    def measured_power(self) -> float:
        """``MEAS:POW2?``: the optical power from the monitor photodiode (W; the mean in QCW)."""
        return self._ask_float("MEAS:POW2?")

    def enable(self) -> None:
        """Checks the keylock and interlock (``OUTP:PROT:KEYL:TRIP?``, ``OUTP:PROT:INTL:TRIP?``),
        then ``OUTP ON``."""
        with self.lock:
            self._configure()
            if self._ask("OUTP:PROT:KEYL:TRIP?") == "1":
                raise RuntimeError(f"{self.name}: the key switch is off (keylock tripped)")
            if self._ask("OUTP:PROT:INTL:TRIP?") == "1":
                raise RuntimeError(f"{self.name}: the interlock is open")
            self._write("OUTP ON")

    def disable(self) -> None:
        """``OUTP OFF``"""
        self._write("OUTP OFF")

    def set_pulsed(self, period_s: float, width_s: float) -> None:
        """QCW pulses: ``SOUR:PULS:HOLD WIDT``, ``SOUR:PULS:PER``, ``SOUR:PULS:WIDT``,
        ``SOUR:FUNC:SHAP PULS``.  The period is sent first when it grows so that width < period
        holds at every step."""
        period = check_range(self.name, "pulse period", period_s, 2e-6, 100.0, "s")
        width = check_range(self.name, "pulse width", width_s, 1e-6, 100.0, "s")
        if width >= period:
            raise LimitError(f"{self.name}: pulse width {width:g} s must be below the period {period:g} s")
        with self.lock:
            self._write("SOUR:PULS:HOLD WIDT")
            current_width = self._ask_float("SOUR:PULS:WIDT?")
            if width < current_width:
                self._write(f"SOUR:PULS:WIDT {width:.6g}")
                self._write(f"SOUR:PULS:PER {period:.6g}")
            else:
                self._write(f"SOUR:PULS:PER {period:.6g}")
                self._write(f"SOUR:PULS:WIDT {width:.6g}")
            self._write("SOUR:FUNC:SHAP PULS")

    def set_cw(self) -> None:
        """``SOUR:FUNC:SHAP DC``"""
        self._write("SOUR:FUNC:SHAP DC")

    # ---- bench life cycle ----------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "idn": self.identify(),
                "mode": self._ask("SOUR:FUNC:MODE?"),
                "shape": self._ask("SOUR:FUNC:SHAP?"),
                "power_W": self._ask_float("SOUR:POW?"),
                "current_limit_A": self._ask_float("SOUR:CURR:LIM?"),
                "pulse_period_s": self._ask_float("SOUR:PULS:PER?"),
                "pulse_width_s": self._ask_float("SOUR:PULS:WIDT?"),
                "output_enabled": self._ask("OUTP?") == "1",
            }

    def shutdown(self) -> None:
        """``OUTP OFF``, ``SOUR:POW 0``"""
        with self.lock:
            self._write("OUTP OFF")
            self._write("SOUR:POW 0")
