"""Keysight (Agilent) 33500B-series waveform generator as a pulse generator: :class:`PulseGenerator`.

Built on qcodes' ``Keysight33522B`` (``KeysightAgilent_33XXX``) for the connection and its
``*IDN?`` model detection.  Role methods send explicit SCPI (33500 Series Operating and Service
Guide, SCPI reference) through the qcodes instrument's ``write``/``ask``, after strict checks:
qcodes' ``pulse_width`` and ``amplitude`` parameters carry no validators at all, and the
instrument itself *adjusts* coupled settings (width vs period, edges vs width) with only a
``Settings conflict`` in its error queue.  Nothing is sent unless every value is in range.

Every pulse is timed by the instrument: a triggered burst of ``count`` pulses
(``BURS:MODE TRIG``, ``TRIG:SOUR BUS``, ``*TRG``), never a software on/sleep/off.

Voltages.  The generator is an EMF behind 50 ohm; the levels it is programmed with are the
voltages across a load equal to the termination setting ``OUTP:LOAD`` (50 ohm or INF).  So the
EMF is ``V (R_L + 50)/R_L`` (2 V at LOAD 50, V at INF) and a device of resistance R carries
``I = EMF / (50 + R)``: :meth:`Keysight33500B.current_for` / :meth:`voltage_for` convert, with a
device resistance the protocol measured (e.g. with the SMU).

Hardware ranges (guide, "Pulse Waveforms" and VOLTage subsystem): width 16 ns .. 1e6 s and
<= period - 16 ns; period 1/f_max (33.3 ns on 30 MHz models, 50 ns on 20 MHz ones) .. 1e6 s;
edges 8.4 ns .. 1 us (set to the minimum here); amplitude 1 mVpp .. 10 Vpp and |level| <= 5 V
into 50 ohm (doubled for INF); burst count 1 .. 100,000,000.
The bench limit ``max_voltage`` bounds the *open-circuit* voltage (the EMF): the largest
voltage any device can see from this generator, whatever its resistance.
"""
from __future__ import annotations

import math
from typing import Any

from .capabilities import PulseGeneratorCapabilities, Span
from .driver_base import Driver, open_qcodes
from .limits import LimitError, Limits, check_range

__all__ = ["Keysight33500B", "current_for", "voltage_for"]

R_OUT = 50.0                    # ohm, fixed series output impedance
EMF_MAX = 10.0                  # V, largest open-circuit level (5 V into 50 ohm)
EMF_AMP_MIN = 2e-3              # V, 1 mVpp into 50 ohm
WIDTH = (16e-9, 1e6)            # s
PERIOD_MAX = 1e6                # s
WIDTH_MARGIN = 16e-9            # s, width <= period - 16 ns
COUNT = (1, 100_000_000)
LOAD = (1.0, 1e4)               # ohm, or INF
#: model -> highest pulse frequency (Hz): 33520-models 30 MHz, 33510-models 20 MHz
MAX_FREQUENCY = {"33509B": 20e6, "33510B": 20e6, "33511B": 20e6, "33512B": 20e6,
                 "33519B": 30e6, "33520B": 30e6, "33521B": 30e6, "33522B": 30e6}


def _k(load_ohm: float) -> float:
    """Programmed (displayed) voltage / EMF for the termination setting ``load_ohm``."""
    return 1.0 if math.isinf(load_ohm) else load_ohm / (load_ohm + R_OUT)


def current_for(voltage_V: float, load_ohm: float, load_setting_ohm: float = 50.0) -> float:
    """Current (A) into a device of ``load_ohm`` for a programmed level ``voltage_V`` (V) at the
    termination setting ``load_setting_ohm`` (50 or ``math.inf``): EMF / (50 + R)."""
    return voltage_V / _k(load_setting_ohm) / (R_OUT + load_ohm)


def voltage_for(current_A: float, load_ohm: float, load_setting_ohm: float = 50.0) -> float:
    """Programmed level (V) that drives ``current_A`` into a device of ``load_ohm``."""
    return current_A * (R_OUT + load_ohm) * _k(load_setting_ohm)


def _parse_load(value: Any, name: str) -> float:
    if isinstance(value, str) and value.strip().upper() in ("INF", "INFINITY", "HIGHZ", "HIGH-Z"):
        return math.inf
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LimitError(f"{name}: load must be a number of ohm (1 .. 10000) or 'INF', got {value!r}")
    if math.isinf(value) and value > 0:
        return math.inf
    return check_range(name, "output termination", value, *LOAD, "ohm")


class Keysight33500B(Driver):
    """One channel of a Keysight 33500B waveform generator used for instrument-timed pulses."""

    driver_name = "keysight_33500b"
    shutdown_order = 0
    REQUIRED_LIMITS = ("max_voltage",)
    OPTIONS = {
        "channel": (int, "output channel, 1 or 2"),
        "load": ((int, float, str), "termination setting: ohm (1 .. 10000) or 'INF' (default 50)"),
        "model": (str, "model when the driver is built without an instrument (default 33522B)"),
    }

    def __init__(self, name: str, inner: Any, limits: Limits | None = None,
                 options: dict[str, Any] | None = None) -> None:
        super().__init__(name, inner, limits, options)
        self.channel = int(self.options.get("channel", 1))
        if self.channel not in (1, 2):
            raise ValueError(f"{name}: option channel must be 1 or 2, got {self.channel}")
        self.load = _parse_load(self.options.get("load", 50.0), name)
        model = str(getattr(inner, "model", None) or self.options.get("model", "33522B")).upper()
        if model not in MAX_FREQUENCY:
            raise ValueError(f"{name}: unknown 33500B model {model!r}; known: {', '.join(MAX_FREQUENCY)}")
        self.model = model
        #: polarity the generator is configured for (None: not configured this session)
        self._polarity: str | None = None
        self._output_on = False

    @classmethod
    def connect(cls, name, address, visa_library, limits, options):
        from qcodes.instrument_drivers.Keysight import Keysight33522B as _Qcodes33522B

        inner = open_qcodes(_Qcodes33522B, name, address, visa_library, silent=True)
        return cls(name, inner, limits, options)

    @classmethod
    def capabilities(cls, role, name, limits, options):
        """Width 16 ns .. 1e6 s, period 1/f_max of the model (option ``model``, default
        33522B) .. 1e6 s, open-circuit voltage min(10 V, bench ``max_voltage``)."""
        from .roles import PulseGenerator

        if role is not PulseGenerator:
            return super().capabilities(role, name, limits, options)
        model = str(options.get("model", "33522B")).upper()
        f_max = MAX_FREQUENCY.get(model, min(MAX_FREQUENCY.values()))
        emf = EMF_MAX if limits.max_voltage is None else min(EMF_MAX, limits.max_voltage)
        return PulseGeneratorCapabilities(
            name, cls.driver_name, width=Span(*WIDTH, "s", f"33500B pulse width ({model})"),
            period=Span(1.0 / f_max, PERIOD_MAX, "s", f"33500B pulse period ({model})"),
            max_open_circuit_voltage=emf, count=Span(*COUNT, "pulses"),
            width_margin=WIDTH_MARGIN, output_impedance=R_OUT)

    # ---- conversions (no I/O) -------------------------------------------------------------
    def current_for(self, voltage_V: float, load_ohm: float) -> float:
        """Current (A) a programmed level ``voltage_V`` drives into a device of ``load_ohm``
        at this driver's termination setting."""
        return current_for(voltage_V, load_ohm, self.load)

    def voltage_for(self, current_A: float, load_ohm: float) -> float:
        """Programmed level (V) that drives ``current_A`` into a device of ``load_ohm``."""
        return voltage_for(current_A, load_ohm, self.load)

    # ---- checks ------------------------------------------------------------------------------
    def _c(self, command: str) -> str:
        return command.replace("{c}", str(self.channel))

    def _check_amplitude(self, amplitude_V: float) -> float:
        k = _k(self.load)
        hw = EMF_MAX * k
        value = check_range(self.name, "pulse amplitude", amplitude_V, -hw, hw, "V",
                            f"instrument range at OUTP:LOAD {self._load_text()}")
        if abs(value) < EMF_AMP_MIN * k:
            raise LimitError(f"{self.name}: pulse amplitude {value:.6g} V is below the "
                             f"instrument's {EMF_AMP_MIN * k * 1e3:.3g} mV minimum "
                             f"(1 mVpp into 50 ohm)")
        if self.limits.max_voltage is not None:
            emf = abs(value) / k
            if emf > self.limits.max_voltage:
                raise LimitError(f"{self.name}: pulse amplitude {value:.6g} V at OUTP:LOAD "
                                 f"{self._load_text()} is an open-circuit voltage of {emf:.6g} V, "
                                 f"above the bench limit max_voltage {self.limits.max_voltage:.6g} V")
        return value

    def _load_text(self) -> str:
        return "INF" if math.isinf(self.load) else f"{self.load:g}"

    def _timing(self, width_s: float, count: int, period_s: float | None) -> tuple[float, int, float]:
        width = check_range(self.name, "pulse width", width_s, *WIDTH, "s")
        if isinstance(count, bool) or not float(count).is_integer():
            raise LimitError(f"{self.name}: pulse count must be an integer, got {count!r}")
        n = int(check_range(self.name, "pulse count", count, *COUNT, "pulses"))
        p_min = 1.0 / MAX_FREQUENCY[self.model]
        if period_s is None:
            period = min(max(2 * width, p_min), PERIOD_MAX)
        else:
            period = check_range(self.name, "pulse period", period_s, p_min, PERIOD_MAX, "s")
        if width > period - WIDTH_MARGIN:
            raise LimitError(f"{self.name}: pulse width {width:.6g} s must be at most the period "
                             f"{period:.6g} s minus 16 ns (instrument rule)")
        return width, n, period

    # ---- PulseGenerator ------------------------------------------------------------------------
    def _configure(self, polarity: str) -> None:
        """With the output off: pulse function, termination, levels at a safe minimum, fastest
        edges, single triggered burst on BUS triggers, polarity::

            OUTP{c} OFF
            SOUR{c}:FUNC PULS
            OUTP{c}:LOAD <ohm>|INF
            SOUR{c}:VOLT:OFFS 0
            SOUR{c}:VOLT MIN
            SOUR{c}:FUNC:PULS:TRAN MIN
            SOUR{c}:BURS:MODE TRIG
            SOUR{c}:BURS:NCYC 1
            TRIG{c}:SOUR BUS
            SOUR{c}:BURS:STAT ON
            OUTP{c}:POL NORM|INV

        The idle level is then 0 V: normal polarity rests at the low level (0 V) and pulses to
        the high level; inverted polarity mirrors the waveform about the offset, so it rests at
        the high level (0 V) and pulses to the low level (negative pulses).
        """
        for command in ("OUTP{c} OFF", "SOUR{c}:FUNC PULS", f"OUTP{{c}}:LOAD {self._load_text()}",
                        "SOUR{c}:VOLT:OFFS 0", "SOUR{c}:VOLT MIN", "SOUR{c}:FUNC:PULS:TRAN MIN",
                        "SOUR{c}:BURS:MODE TRIG", "SOUR{c}:BURS:NCYC 1", "TRIG{c}:SOUR BUS",
                        "SOUR{c}:BURS:STAT ON", f"OUTP{{c}}:POL {polarity}"):
            self._write(self._c(command))
        self._polarity = polarity
        self._output_on = False

    def pulse(self, amplitude_V: float, width_s: float, count: int = 1,
              period_s: float | None = None) -> None:
        """``count`` pulses of ``amplitude_V`` (programmed level at the termination setting;
        negative for negative pulses) and ``width_s`` (50 %-to-50 %), ``period_s`` apart
        (default twice the width), from a 0 V idle level, timed by the instrument.

        Sequence (after :meth:`_configure` on first use or when the sign changes)::

            SOUR{c}:FUNC:PULS:WIDT MIN     (so any new period is valid)
            SOUR{c}:FUNC:PULS:PER <P>
            SOUR{c}:FUNC:PULS:WIDT <W>
            SOUR{c}:BURS:NCYC <N>
            SOUR{c}:VOLT:HIGH <A>; SOUR{c}:VOLT:LOW 0      (A > 0: idle stays at 0 V)
            SOUR{c}:VOLT:LOW <A>;  SOUR{c}:VOLT:HIGH 0     (A < 0, inverted polarity)
            [OUTP{c} ON]                   (if not on yet: output at the 0 V idle level)
            *TRG                           (one burst)
            *OPC?                          (answers when the burst is complete)
            SYST:ERR?                      (must be 0: the generator adjusted nothing)
        """
        amp = self._check_amplitude(amplitude_V)
        width, n, period = self._timing(width_s, count, period_s)
        polarity = "NORM" if amp > 0 else "INV"
        with self.lock:
            if self._polarity != polarity:
                self._configure(polarity)
            self._write(self._c("SOUR{c}:FUNC:PULS:WIDT MIN"))
            self._write(self._c(f"SOUR{{c}}:FUNC:PULS:PER {period:.9g}"))
            self._write(self._c(f"SOUR{{c}}:FUNC:PULS:WIDT {width:.9g}"))
            self._write(self._c(f"SOUR{{c}}:BURS:NCYC {n:d}"))
            if amp > 0:
                self._write(self._c(f"SOUR{{c}}:VOLT:HIGH {amp:.6g}"))
                self._write(self._c("SOUR{c}:VOLT:LOW 0"))
            else:
                self._write(self._c(f"SOUR{{c}}:VOLT:LOW {amp:.6g}"))
                self._write(self._c("SOUR{c}:VOLT:HIGH 0"))
            if not self._output_on:
                self._write(self._c("OUTP{c} ON"))
                self._output_on = True
            self._write("*TRG")
            self._ask("*OPC?")
            self._check_errors()

    def _check_errors(self) -> None:
        reply = self._ask("SYST:ERR?")
        code = reply.split(",")[0].strip()
        if code not in ("0", "+0"):
            self._polarity = None   # unknown state: reconfigure with the output off next time
            raise RuntimeError(f"{self.name}: the generator reports {reply!r} after a pulse; "
                               f"its settings may differ from what was asked")

    def set_load(self, ohms_or_inf: float | str) -> None:
        """``OUTP{c}:LOAD <ohm>|INF``: the termination the programmed levels refer to (it
        rescales the displayed levels only; the output itself does not change)."""
        load = _parse_load(ohms_or_inf, self.name)
        with self.lock:
            self.load = load
            self._write(self._c(f"OUTP{{c}}:LOAD {self._load_text()}"))

    def enable(self) -> None:
        """[configure on first use], ``OUTP{c} ON``: the output rests at the 0 V idle level."""
        with self.lock:
            if self._polarity is None:
                self._configure("NORM")
            self._write(self._c("OUTP{c} ON"))
            self._output_on = True

    def disable(self) -> None:
        """``OUTP{c} OFF`` (output relay open)."""
        with self.lock:
            self._write(self._c("OUTP{c} OFF"))
            self._output_on = False

    def pulse_widths(self) -> tuple[float, float]:
        """Shortest and longest pulse width (s) this generator can time."""
        return WIDTH

    # ---- bench life cycle ----------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            load = float(self._ask(self._c("OUTP{c}:LOAD?")))
            return {
                "idn": self.identify(),
                "channel": self.channel,
                "function": self._ask(self._c("SOUR{c}:FUNC?")),
                "pulse_width_s": float(self._ask(self._c("SOUR{c}:FUNC:PULS:WIDT?"))),
                "pulse_period_s": float(self._ask(self._c("SOUR{c}:FUNC:PULS:PER?"))),
                "high_V": float(self._ask(self._c("SOUR{c}:VOLT:HIGH?"))),
                "low_V": float(self._ask(self._c("SOUR{c}:VOLT:LOW?"))),
                "load_ohm": "INF" if load >= 9.9e37 else load,
                "polarity": self._ask(self._c("OUTP{c}:POL?")),
                "burst": self._ask(self._c("SOUR{c}:BURS:STAT?")) in ("1", "ON"),
                "trigger_source": self._ask(self._c("TRIG{c}:SOUR?")),
                "output_enabled": self._ask(self._c("OUTP{c}?")) in ("1", "ON"),
            }

    def shutdown(self) -> None:
        """``OUTP{c} OFF``"""
        self.disable()
