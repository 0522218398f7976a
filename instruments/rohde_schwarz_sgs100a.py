"""Rohde & Schwarz SGS100A SGMA RF source: :class:`RFSource` with pulse modulation.

Built on qcodes' ``RohdeSchwarzSGS100A`` (connection, ``*IDN?``).  Role methods send explicit
SCPI through the qcodes instrument's ``write``/``ask`` (SGS100A User Manual, "Remote Control
Commands"): ``SOUR:FREQ <Hz>``, ``SOUR:POW <dBm>``, ``OUTP:STAT ON|OFF``, and the pulse
modulator (option SGS-K22) ``SOUR:PULM:SOUR INT``, ``SOUR:PULM:PER``, ``SOUR:PULM:WIDT``,
``SOUR:PULM:STAT ON|OFF``.  qcodes' own parameters are not used for setting: its frequency
validator allows 1 MHz .. 20 GHz whatever the frequency option, and its power validator
-120 .. +25 dBm whatever the attenuator option.

Hardware ranges (data sheet): 1 MHz .. 6 GHz (SGS-B106) or 12.75 GHz (SGS-B112), read from
``*OPT?`` once open; -120 dBm (SGS-B26 step attenuator; else -20 dBm) .. +25 dBm; pulse period
100 ns .. 100 s, width 20 ns .. 100 s.  Bench limits ``max_rf_power_dbm`` (required),
``min_frequency``/``max_frequency``; every set-point is refused before anything is sent.

Modulation -- what the SGS100A offers.  Sources: the SGS100A User Manual's "Remote Control
Commands" chapter as the emulator's command table mirrors it (SOURce: FREQuency, POWer, PHASe,
PULM, IQ, LOSCillator, ROSCillator, OPMode -- no AM/FM/PM); R&S's product description ("a CW
source or a vector signal generator with an integrated I/Q modulator"); qcodes' driver (IQ_*
and pulsemod_* parameters only).  The manual's own pages were not in our reference corpus:
re-check against it when one is at hand.

* pulse modulation, option SGS-K22 (``SOUR:PULM:...``, internal pulse generator or external
  gate): implemented here, the lock-in reference of a spin-diode map;
* I/Q modulation, the vector version: ``SOUR:IQ:STAT`` switches the analog I/Q modulator fed
  from the *external* I/Q inputs -- there is no internal baseband or modulation generator, so
  an AM envelope would need an external AWG on I and Q; none of the sources above documents
  an AM-through-I/Q mode, and this driver does not fake one;
* NO analog modulation: no ``:AM``, ``:FM``, ``:PM`` subsystem and no LF generator, so
  ``SOUR:AM:...`` is an undefined header (-113) to it (sqdtoolz's SGS100A notes agree: "does
  not support other types of modulation").  So this driver has no
  ``set_amplitude_modulation`` (it does not fill
  :class:`~instruments.roles.AmplitudeModulatedRFSource`); asking for it raises an error naming
  the instrument and what to use instead (pulse modulation, or an N5183B with option UNT).
"""
from __future__ import annotations

import math
from typing import Any

from .capabilities import RFSourceCapabilities, Span, tighter
from .driver_base import Driver, open_qcodes
from .limits import LimitError, check_frequency, check_range, check_rf_power_dbm

__all__ = ["RohdeSchwarzSGS100A"]

F_MIN = 1e6
FREQUENCY_OPTIONS = {"SGS-B106": 6e9, "SGS-B112": 12.75e9}
P_MAX = 25.0
P_MIN_B26 = -120.0
P_MIN = -20.0
PULSE_PERIOD = (100e-9, 100.0)
PULSE_WIDTH = (20e-9, 100.0)


def ranges_from_options(options: str) -> tuple[float, float, float, float]:
    """(f_min, f_max, p_min, p_max) for an ``*OPT?`` answer."""
    opts = {o.strip().upper() for o in str(options).split(",")}
    found = [f for code, f in FREQUENCY_OPTIONS.items() if code in opts]
    f_max = max(found) if found else FREQUENCY_OPTIONS["SGS-B106"]
    return F_MIN, f_max, (P_MIN_B26 if "SGS-B26" in opts else P_MIN), P_MAX


class RohdeSchwarzSGS100A(Driver):
    """SGS100A CW source with the internal pulse modulator (the lock-in's reference)."""

    driver_name = "rohde_schwarz_sgs100a"
    shutdown_order = 0
    REQUIRED_LIMITS = ("max_rf_power_dbm",)

    def __init__(self, name, inner, limits=None, options=None, instrument_options: str = "SGS-B106") -> None:
        super().__init__(name, inner, limits, options)
        self.f_min, self.f_max, self.p_min, self.p_max = ranges_from_options(instrument_options)
        self.has_pulse = "SGS-K22" in {o.strip().upper() for o in instrument_options.split(",")}

    @classmethod
    def capabilities(cls, role, name, limits, options):
        """Frequency 1 MHz .. 12.75 GHz (widest option), power -120 .. 25 dBm, cut by the bench."""
        from .roles import RFSource

        if role is not RFSource:
            return super().capabilities(role, name, limits, options)
        freq = Span(F_MIN, max(FREQUENCY_OPTIONS.values()), "Hz", "SGS100A frequency options")
        if limits.min_frequency is not None or limits.max_frequency is not None:
            freq = freq.within(Span(limits.min_frequency or 0.0, limits.max_frequency or math.inf, "Hz",
                                    "bench limits min/max_frequency"))
        power = tighter(Span(P_MIN_B26, P_MAX, "dBm", "SGS100A level range"),
                        limits.max_rf_power_dbm, "max_rf_power_dbm", symmetric=False)
        return RFSourceCapabilities(name, cls.driver_name, freq, power)

    @classmethod
    def connect(cls, name, address, visa_library, limits, options):
        from qcodes.instrument_drivers.rohde_schwarz import RohdeSchwarzSGS100A as _QcodesSGS100A

        inner = open_qcodes(_QcodesSGS100A, name, address, visa_library)
        try:
            opts = inner.ask("*OPT?")
            return cls(name, inner, limits, options, instrument_options=opts)
        except Exception:
            inner.close()
            raise

    # ---- RFSource --------------------------------------------------------------------------
    def set_frequency(self, frequency_Hz: float) -> None:
        """``SOUR:FREQ <Hz>``"""
        f = check_frequency(self.name, frequency_Hz, self.limits, self.f_min, self.f_max)
        self._write(f"SOUR:FREQ {f:.3f}")

    def frequency(self) -> float:
        return self._ask_float("SOUR:FREQ?")

    def set_power_dbm(self, power_dbm: float) -> None:
        """``SOUR:POW <dBm>``"""
        p = check_rf_power_dbm(self.name, power_dbm, self.limits, self.p_min, self.p_max)
        self._write(f"SOUR:POW {p:.2f}")

    def power_dbm(self) -> float:
        return self._ask_float("SOUR:POW?")

    def enable(self) -> None:
        """``SOUR:POW?`` (refused above the bench limit), then ``OUTP:STAT ON``."""
        with self.lock:
            programmed = self._ask_float("SOUR:POW?")
            try:
                check_rf_power_dbm(self.name, programmed, self.limits, self.p_min, self.p_max)
            except LimitError as exc:
                raise LimitError(f"{exc} -- the programmed power; output left off") from None
            self._write("OUTP:STAT ON")

    def disable(self) -> None:
        self._write("OUTP:STAT OFF")

    def __getattr__(self, name: str) -> Any:
        # only reached for attributes the class lacks; no role member is ever served from here
        if name == "set_amplitude_modulation":
            raise AttributeError(
                f"{self.__dict__.get('name', 'SGS100A')}: the R&S SGS100A has no amplitude "
                f"modulation (no AM subsystem; its I/Q modulator takes external I/Q signals "
                f"only): use set_pulse_modulation (option SGS-K22), or an RF source with AM "
                f"such as the Keysight N5183B (option UNT)")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # ---- pulse modulation (the lock-in reference) ------------------------------------------
    def set_pulse_modulation(self, frequency_Hz: float | None, duty: float = 0.5) -> None:
        """Internal pulse modulation at ``frequency_Hz`` with ``duty`` (``None``: off):
        ``SOUR:PULM:SOUR INT``, ``SOUR:PULM:PER``, ``SOUR:PULM:WIDT``, ``SOUR:PULM:STAT ON``."""
        if frequency_Hz is None:
            self._write("SOUR:PULM:STAT OFF")
            return
        if not self.has_pulse:
            raise LimitError(f"{self.name}: pulse modulation needs option SGS-K22 (not in *OPT?)")
        period = 1.0 / check_range(self.name, "modulation frequency", frequency_Hz,
                                   1 / PULSE_PERIOD[1], 1 / PULSE_PERIOD[0], "Hz")
        width = check_range(self.name, "pulse width", duty * period, *PULSE_WIDTH, "s")
        if not 0.0 < duty < 1.0:
            raise LimitError(f"{self.name}: duty must be in (0, 1), got {duty!r}")
        with self.lock:
            self._write("SOUR:PULM:SOUR INT")
            self._write(f"SOUR:PULM:PER {period:.9g}")
            self._write(f"SOUR:PULM:WIDT {width:.9g}")
            self._write("SOUR:PULM:STAT ON")

    def modulation_frequency(self) -> float:
        return 1.0 / self._ask_float("SOUR:PULM:PER?")

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {"idn": self.identify(), "options": self._ask("*OPT?"),
                    "frequency_Hz": self.frequency(), "power_dBm": self.power_dbm(),
                    "output_enabled": self._ask("OUTP:STAT?") in ("1", "ON"),
                    "pulse_modulation": self._ask("SOUR:PULM:STAT?") in ("1", "ON"),
                    "pulse_period_s": self._ask_float("SOUR:PULM:PER?"),
                    "pulse_width_s": self._ask_float("SOUR:PULM:WIDT?")}

    def shutdown(self) -> None:
        """``OUTP:STAT OFF``"""
        self.disable()
