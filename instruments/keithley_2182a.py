"""Keithley 2182A nanovoltmeter: :class:`Voltmeter`.

Built on pymeasure's ``Keithley2182`` (connection, ``:READ?``), with the channel-2 range limit
that pymeasure never applies checked here (2182A User's Manual, "Range": channel 1 10 mV ..
100 V, channel 2 100 mV .. 10 V).  Integration time is the manual's NPLC rate
(0.01 .. 50 PLC at 50 Hz, 0.01 .. 60 PLC at 60 Hz), exposed in seconds.

Options: ``channel`` (1 or 2, default 1), ``line_frequency`` (50 or 60 Hz; queried with
``:SYST:LFR?`` once when not given).
"""
from __future__ import annotations

from typing import Any

from pymeasure.instruments.keithley import Keithley2182 as _PymeasureKeithley2182

from .capabilities import Span, VoltmeterCapabilities
from .driver_base import Driver
from .limits import LimitError, check_range

__all__ = ["Keithley2182A"]

NPLC_MIN = 0.01
VOLTAGE_RANGES = {1: (0.01, 0.1, 1.0, 10.0, 100.0), 2: (0.1, 1.0, 10.0)}   # V


class Keithley2182A(Driver):
    """Keithley 2182A nanovoltmeter."""

    driver_name = "keithley_2182a"
    shutdown_order = 2
    OPTIONS = {
        "channel": (int, "input channel, 1 or 2"),
        "line_frequency": ((int, float), "mains frequency in Hz, 50 or 60"),
    }

    def __init__(self, name, inner, limits=None, options=None) -> None:
        super().__init__(name, inner, limits, options)
        self.channel = int(self.options.get("channel", 1))
        if self.channel not in (1, 2):
            raise ValueError(f"{name}: option channel must be 1 or 2, got {self.channel}")
        self._line_frequency: float | None = (float(self.options["line_frequency"])
                                              if "line_frequency" in self.options else None)
        self._configured = False

    @classmethod
    def connect(cls, name, address, visa_library, limits, options):
        # pymeasure defaults to CR; over GPIB/USB/LAN the 2182A ends replies with LF (+EOI)
        extra = {} if address.upper().startswith("ASRL") else {"read_termination": "\n"}
        inner = _PymeasureKeithley2182(address, visa_library=visa_library, **extra)
        return cls(name, inner, limits, options)

    @classmethod
    def capabilities(cls, role, name, limits, options):
        """Integration time 0.01 PLC .. 50 PLC (50 Hz) / 60 PLC (60 Hz); without option
        ``line_frequency`` the range valid at both (0.2 ms .. 1 s)."""
        from .roles import Voltmeter

        if role is not Voltmeter:
            return super().capabilities(role, name, limits, options)
        if "line_frequency" in options:
            f = float(options["line_frequency"])
            span = Span(NPLC_MIN / f, (50.0 if f < 55 else 60.0) / f, "s", "2182A NPLC range")
        else:
            span = Span(NPLC_MIN / 50.0, 1.0, "s", "2182A NPLC range at 50 and 60 Hz")
        return VoltmeterCapabilities(name, cls.driver_name, span,
                                     Span(0.0, 999999.999, "s", "2182A trigger delay"))

    # ---- helpers -------------------------------------------------------------------------------
    def line_frequency(self) -> float:
        """Mains frequency in Hz (``:SYST:LFR?`` once, unless given as an option)."""
        if self._line_frequency is None:
            self._line_frequency = self._ask_float(":SYST:LFR?")
        return self._line_frequency

    def _configure(self) -> None:
        """First use: ``:SENS:FUNC 'VOLT'``, ``:SENS:CHAN <ch>``."""
        if not self._configured:
            with self.lock:
                self._write(":SENS:FUNC 'VOLT'")
                self._write(f":SENS:CHAN {self.channel:d}")
                self._configured = True

    # ---- Voltmeter -----------------------------------------------------------------------------
    def read_voltage(self) -> float:
        """[first use: ``:SENS:FUNC 'VOLT'``, ``:SENS:CHAN <ch>``], then ``:READ?``"""
        with self.lock:
            self._configure()
            return self._ask_float(":READ?")

    def fetch_voltage(self) -> float:
        """``:FETC?`` -- the latest reading, without triggering a new one."""
        return self._ask_float(":FETC?")

    def integration_time(self) -> float:
        """Integration time in s: ``:SENS:VOLT:NPLC?`` / line frequency."""
        with self.lock:
            return self._ask_float(":SENS:VOLT:NPLC?") / self.line_frequency()

    def set_integration_time(self, seconds: float) -> None:
        """``:SENS:VOLT:NPLC <n>`` with n = seconds * line frequency, strictly in range."""
        with self.lock:
            f = self.line_frequency()
            nplc_max = 50.0 if f < 55 else 60.0
            t = check_range(self.name, "integration time", seconds, NPLC_MIN / f, nplc_max / f,
                            "s")
            self._write(f":SENS:VOLT:NPLC {t * f:.6g}")

    def set_settle_delay(self, seconds: float) -> None:
        """``:TRIG:DEL <s>`` (0 .. 999999.999 s; manual section 8, trigger model delay)."""
        value = check_range(self.name, "trigger delay", seconds, 0.0, 999999.999, "s")
        self._write(f":TRIG:DEL {value:.6g}")

    def set_voltage_range(self, range_V: float) -> None:
        """``:SENS:VOLT:CHAN<ch>:RANG <V>`` -- one of the channel's ranges, never rounded."""
        allowed = VOLTAGE_RANGES[self.channel]
        value = float(range_V)
        if not any(abs(value - r) <= 1e-9 * r for r in allowed):
            raise LimitError(f"{self.name}: voltage range {value:g} V is not a channel-"
                             f"{self.channel} range; allowed: "
                             f"{', '.join(f'{r:g} V' for r in allowed)}")
        self._write(f":SENS:VOLT:CHAN{self.channel:d}:RANG {value:g}")

    def set_auto_range(self, enabled: bool = True) -> None:
        """``:SENS:VOLT:CHAN<ch>:RANG:AUTO 1|0``"""
        self._write(f":SENS:VOLT:CHAN{self.channel:d}:RANG:AUTO {int(bool(enabled))}")

    # ---- bench life cycle ----------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "idn": self.identify(),
                "channel": int(self._ask_float(":SENS:CHAN?")),
                "nplc": self._ask_float(":SENS:VOLT:NPLC?"),
                "range_V": self._ask_float(f":SENS:VOLT:CHAN{self.channel:d}:RANG?"),
                "auto_range": self._ask(f":SENS:VOLT:CHAN{self.channel:d}:RANG:AUTO?")
                in ("1", "+1"),
                "line_frequency_Hz": self.line_frequency(),
            }
