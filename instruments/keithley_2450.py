"""Keithley 2450 SourceMeter (SCPI mode): :class:`SourceMeter` and :class:`CurrentSource`.

Built on qcodes' ``Keithley2450`` for the connection, its ``*LANG?`` check and ``*IDN?``.
Role methods send explicit SCPI (2450 Reference Manual, section "SCPI command reference")
through the qcodes instrument's ``write``/``ask``: qcodes' parameters cache the source/sense
functions and issue hidden queries, which would make the command sequence depend on cache
state; explicit commands keep it fixed and documented here.

Hardware ranges (Reference Manual specifications): source current +-1.05 A; voltage limit
0.02 V .. 210 V.  Pulses are instrument-timed (a source-list sweep, :meth:`Keithley2450.pulse`):
shortest about 167 us (60 Hz mains) / 200 us (50 Hz), one reading at NPLC 0.01.
"""
from __future__ import annotations

from typing import Any

from .capabilities import (CurrentSourceCapabilities, SourceMeterCapabilities, Span,
                           tighter)
from .driver_base import Driver, open_qcodes
from .limits import Limits, check_compliance_voltage, check_current, check_range

__all__ = ["Keithley2450"]

HW_MAX_CURRENT = 1.05            # A
HW_VLIMIT = (0.02, 210.0)        # V
MIN_NPLC = 0.01                  # shortest aperture, power-line cycles
PULSE_MAX_WIDTH = 1e4            # s, longest source delay



class Keithley2450(Driver):
    """Keithley 2450 SMU sourcing current and measuring voltage."""

    driver_name = "keithley_2450"
    shutdown_order = 0
    OPTIONS = {
        "terminals": (str, "'front' or 'rear' terminals"),
        "four_wire": (bool, "remote (4-wire) voltage sense"),
    }

    def __init__(self, name: str, inner: Any, limits: Limits | None = None,
                 options: dict[str, Any] | None = None) -> None:
        super().__init__(name, inner, limits, options)
        if self.options.get("terminals", "front") not in ("front", "rear"):
            raise ValueError(f"{name}: option terminals must be 'front' or 'rear'")
        self._configured = False
        self._line_hz: float | None = None

    @classmethod
    def connect(cls, name, address, visa_library, limits, options):
        from qcodes.instrument_drivers.Keithley import Keithley2450 as _QcodesKeithley2450

        inner = open_qcodes(_QcodesKeithley2450, name, address, visa_library)
        if "source_function" not in inner.parameters:
            inner.close()
            raise RuntimeError(f"{name}: the 2450 at {address} is not in SCPI language mode; "
                               f"send '*LANG SCPI' and power-cycle it")
        return cls(name, inner, limits, options)

    @classmethod
    def capabilities(cls, role, name, limits, options):
        """Current +-1.05 A and voltage limit 0.02 .. 210 V cut by the bench limits; pulses
        from one NPLC 0.01 reading (200 us at 50 Hz, the longer) to 1e4 s."""
        from .roles import CurrentSource, SourceMeter

        current = tighter(Span(-HW_MAX_CURRENT, HW_MAX_CURRENT, "A"), limits.max_current,
                          "max_current")
        compliance = tighter(Span(*HW_VLIMIT, "V"), limits.compliance_voltage,
                             "compliance_voltage", symmetric=False)
        width = Span(MIN_NPLC / 50.0, PULSE_MAX_WIDTH, "s",
                     "2450 source-list pulse: one NPLC 0.01 reading at 50 Hz .. longest delay")
        if role is CurrentSource:
            return CurrentSourceCapabilities(name, cls.driver_name, current, width, compliance)
        if role is SourceMeter:
            return SourceMeterCapabilities(name, cls.driver_name, current, compliance, width)
        return super().capabilities(role, name, limits, options)

    # ---- helpers -------------------------------------------------------------------------------
    def _check_current(self, current_A: float, quantity: str = "current") -> float:
        return check_current(self.name, current_A, self.limits, HW_MAX_CURRENT, quantity)

    def _configure(self) -> None:
        """First use: ``:SOUR:FUNC CURR``, ``:SENS:FUNC "VOLT"``, [``:SENS:VOLT:RSEN ON|OFF``],
        [``ROUT:TERM FRON|REAR``], [``:SOUR:CURR:VLIM <V>`` from the bench limits]."""
        if self._configured:
            return
        with self.lock:
            self._write(":SOUR:FUNC CURR")
            self._write(':SENS:FUNC "VOLT"')
            if "four_wire" in self.options:
                self._write(f":SENS:VOLT:RSEN {'ON' if self.options['four_wire'] else 'OFF'}")
            if "terminals" in self.options:
                self._write(f"ROUT:TERM {'FRON' if self.options['terminals'] == 'front' else 'REAR'}")
            if self.limits.compliance_voltage is not None:
                self._write(f":SOUR:CURR:VLIM {min(self.limits.compliance_voltage, HW_VLIMIT[1]):.6g}")
            self._configured = True

    # ---- SourceMeter / CurrentSource -----------------------------------------------------------
    def source_current(self, current_A: float) -> None:
        """[first use: see :meth:`_configure`], ``:SOUR:CURR <A>``"""
        value = self._check_current(current_A)
        with self.lock:
            self._configure()
            self._write(f":SOUR:CURR {value:.6g}")

    set_current = source_current

    def current(self) -> float:
        """``:SOUR:CURR?``"""
        return self._ask_float(":SOUR:CURR?")

    def measure_voltage(self) -> float:
        """``:MEAS:VOLT?``"""
        with self.lock:
            self._configure()
            return self._ask_float(":MEAS:VOLT?")

    def set_compliance_voltage(self, voltage_V: float) -> None:
        """``:SOUR:CURR:VLIM <V>``"""
        value = check_compliance_voltage(self.name, voltage_V, self.limits, *HW_VLIMIT)
        with self.lock:
            self._configure()
            self._write(f":SOUR:CURR:VLIM {value:.6g}")

    def enable(self) -> None:
        """[first use: configure], ``:OUTP ON``"""
        with self.lock:
            self._configure()
            self._write(":OUTP ON")

    def disable(self) -> None:
        """``:OUTP OFF``"""
        self._write(":OUTP OFF")

    def _line_frequency(self) -> float:
        """``:SYST:LFR?`` (once per session)."""
        if self._line_hz is None:
            self._line_hz = self._ask_float(":SYST:LFR?")
        return self._line_hz

    def pulse(self, amplitude_A: float, width_s: float, low_A: float = 0.0) -> None:
        """One current pulse timed by the instrument: a two-point source-list sweep
        (Reference Manual, ``:SOURce[1]:LIST:<function>`` and ``:SOURce[1]:SWEep:<function>:LIST``).

        Each sweep point is: source level, source delay, one measurement.  The first point is
        the pulse, the second the low level, so the instrument itself ends the pulse, whatever
        the output does after the sweep.  The pulse lasts the source delay plus one reading at
        the shortest aperture, NPLC 0.01 (1/(100 f_line): 167 us at 60 Hz, 200 us at 50 Hz), plus
        the A/D overhead the manual does not specify; the driver programs the source delay as
        ``width - aperture``.  Shortest width: the aperture.  Sequence::

            [first use: see _configure]
            [:SYST:LFR?]                          (once)
            :SENS:VOLT:NPLC?  :SOUR:CURR:DEL?  :SOUR:CURR:DEL:AUTO?   (to restore)
            :SENS:VOLT:NPLC 0.01
            :SOUR:CURR:DEL <width - aperture>
            :SOUR:LIST:CURR <amp>, <low>
            :SOUR:SWE:CURR:LIST 1, 0
            :INIT
            *OPC?                                 (answers when the sweep has finished)
            :SENS:VOLT:NPLC <n>;  :SOUR:CURR:DEL <d> | :SOUR:CURR:DEL:AUTO ON
            :OUTP OFF + :SOUR:CURR 0   (low_A == 0)   or   :SOUR:CURR <low> + :OUTP ON
        """
        amp = self._check_current(amplitude_A, "pulse amplitude")
        low = self._check_current(low_A, "pulse low level")
        check_range(self.name, "pulse width", width_s, MIN_NPLC / 60.0, PULSE_MAX_WIDTH, "s",
                    "the 2450's shortest reading (NPLC 0.01) is the shortest pulse")
        with self.lock:
            aperture = MIN_NPLC / self._line_frequency()
            width = check_range(self.name, "pulse width", width_s, aperture, PULSE_MAX_WIDTH, "s",
                                "the 2450's shortest reading (NPLC 0.01) is the shortest pulse")
            self._configure()
            nplc = self._ask(":SENS:VOLT:NPLC?")
            delay = self._ask(":SOUR:CURR:DEL?")
            delay_auto = self._ask(":SOUR:CURR:DEL:AUTO?") in ("1", "ON")
            self._write(f":SENS:VOLT:NPLC {MIN_NPLC:g}")
            self._write(f":SOUR:CURR:DEL {max(width - aperture, 0.0):.6g}")
            self._write(f":SOUR:LIST:CURR {amp:.6g}, {low:.6g}")
            self._write(":SOUR:SWE:CURR:LIST 1, 0")
            try:
                self._write(":INIT")
                self._ask("*OPC?")
            finally:
                self._write(f":SENS:VOLT:NPLC {nplc}")
                self._write(":SOUR:CURR:DEL:AUTO ON" if delay_auto else f":SOUR:CURR:DEL {delay}")
                if low == 0.0:
                    self._write(":OUTP OFF")
                    self._write(":SOUR:CURR 0")
                else:
                    self._write(f":SOUR:CURR {low:.6g}")
                    self._write(":OUTP ON")

    # ---- bench life cycle ----------------------------------------------------------------------
    #: reference manual, ``:SOURce:CURRent:VLIMit:TRIPped?``: 1 while the voltage limit holds
    #: the current output (in the same message as ``*ESR?``, see ``Driver.health``)
    STATUS_QUERIES = ("SOUR:CURR:VLIM:TRIP?",)

    def fatal_condition(self, errors: list[str], status: list[int]) -> str:
        """The current source is held at its voltage limit: the programmed current does not
        flow (an open circuit, e.g. a device destroyed)."""
        if status[0]:
            return (f"{self.name}: the current source is at its voltage limit: the programmed "
                    f"current does not flow (open circuit: is the device destroyed?)")
        return ""

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "idn": self.identify(),
                "source_function": self._ask(":SOUR:FUNC?"),
                "sense_function": self._ask(":SENS:FUNC?").strip('"'),
                "current_A": self._ask_float(":SOUR:CURR?"),
                "voltage_limit_V": self._ask_float(":SOUR:CURR:VLIM?"),
                "output_enabled": self._ask(":OUTP?") in ("1", "ON"),
            }

    def shutdown(self) -> None:
        """``:OUTP OFF``, ``:SOUR:CURR 0``"""
        with self.lock:
            self._write(":OUTP OFF")
            self._write(":SOUR:CURR 0")

