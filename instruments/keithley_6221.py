"""Keithley 6221 AC/DC current source: :class:`CurrentSource`, :class:`PulseDeltaSystem` and
:class:`WriteReadSequencer` (write/read cycles with the linked 2182A, :meth:`write_read`) and
:class:`PulseReadSequencer` (pulse trains with a read after every pulse, :meth:`pulse_read`).

Built on pymeasure's ``Keithley6221`` for the connection and the DC properties, whose
truncating validators can no longer bite because every value is checked strictly here first.
Pulse delta (missing in pymeasure) follows the Model 6220/6221 Reference Manual, section 5
"Delta, Pulse Delta, and Differential Conductance" (pulse-delta commands and the buffer) and
section 4 "Sweeps" (list sweeps, used by the pulse-delta sweep).

Hardware ranges used for strict checks (Reference Manual specifications):
output current +-105 mA; compliance 0.1 V .. 105 V; pulse-delta width 50 us .. 12 ms, source
delay 16 us .. 11.966 ms, count 1 .. 65536, interval 5 .. 999999 PLC; sweep delay
1 ms .. 999999.999 s; list sweep up to 65535 points.

Option ``nanovoltmeter`` names the bench's 2182A instrument: :meth:`Keithley6221.attach` keeps
its driver and write/read sequences then talk to it on its own address (GPIB) rather than
through the 6221's RS-232 pass-through; pulse delta always uses the RS-232 link.
"""
from __future__ import annotations

import contextlib
import math
from typing import Any

import numpy as np
from pymeasure.instruments.keithley import Keithley6221 as _PymeasureKeithley6221

from .capabilities import (CurrentSourceCapabilities, PulseDeltaCapabilities,
                           SequencerCapabilities, Span, tighter, PulseSequencerCapabilities)
from .driver_base import Driver, parse_float_reply
from .limits import Limits, LimitError, check_compliance_voltage, check_current, check_range

__all__ = ["Keithley6221"]

HW_MAX_CURRENT = 0.105          # A
HW_COMPLIANCE = (0.1, 105.0)    # V
PDEL_WIDTH = (50e-6, 12e-3)     # s
PDEL_SDELAY = (16e-6, 11.966e-3)  # s
PDEL_COUNT = (1, 65536)
PDEL_INTERVAL_PLC = (5, 999999)
SWEEP_DELAY = (1e-3, 999999.999)  # s
LIST_MAX_POINTS = 65535
LIST_CHUNK = 100                # values per SOUR:LIST:CURR[:APP] message
OVERFLOW = 9.9e37               # the 6221 reports overflow / invalid readings as +9.9E37
NV_BUFFER_MAX = 1024            # 2182A reading buffer (2182A manual, section 6)
SEQ_NPLC = 0.01                 # 2182A aperture of write/read sequences (fastest rate)
SEQ_RANGE = 0.1                 # V, 2182A channel-1 range of write/read sequences
SEQ_READ_MARGIN = 50e-6         # s, kept after a read conversion before the next level
PDEL_MIN_APERTURE = 34e-6       # s, shortest 2182A conversion inside a pulse-delta pulse


class Keithley6221(Driver):
    """Keithley 6221 current source, optionally with a 2182A attached for pulse delta."""

    driver_name = "keithley_6221"
    shutdown_order = 0
    OPTIONS = {
        "interval_plc": (int, "pulse-delta cycle interval in power-line cycles, 5..999999"),
        "low_measure": (int, "pulse-delta low measurements per cycle, 1 or 2"),
        "poll_interval": ((int, float), "s between buffer polls while a pulse-delta test runs"),
        "max_polls": (int, "buffer polls before a pulse-delta test is declared timed out"),
        "line_frequency": ((int, float), "mains frequency in Hz, 50 or 60 (timing estimates)"),
        "nanovoltmeter": (str, "bench instrument name of the linked 2182A on its own GPIB "
                               "address: write/read sequences and channel_resistance configure "
                               "and read it there instead of through the RS-232 pass-through"),
    }
    #: options naming another bench instrument -> the drivers it may have (checked by Bench.load)
    INSTRUMENT_OPTIONS = {"nanovoltmeter": ("keithley_2182a",)}

    def __init__(self, name: str, inner: Any, limits: Limits | None = None,
                 options: dict[str, Any] | None = None) -> None:
        super().__init__(name, inner, limits, options)
        self._compliance_sent = False
        self._nv: Driver | None = None     #: the 2182A driver, when attached (option nanovoltmeter)

    def attach(self, drivers: dict[str, Driver]) -> None:
        """Bench hook after every driver is open: with option ``nanovoltmeter``, keep that
        2182A driver so write/read sequences use its own GPIB address (its lock, its I/O)."""
        name = self.options.get("nanovoltmeter")
        if name is None:
            return
        driver = drivers.get(name)
        if driver is None or getattr(driver, "driver_name", "") != "keithley_2182a":
            raise ValueError(f"{self.name}: option nanovoltmeter names {name!r}, which is not "
                             f"an open keithley_2182a instrument of this bench")
        self._nv = driver

    @classmethod
    def connect(cls, name, address, visa_library, limits, options):
        inner = _PymeasureKeithley6221(address, visa_library=visa_library)
        return cls(name, inner, limits, options)

    @classmethod
    def capabilities(cls, role, name, limits, options):
        """Current source (pulses from 1 ms: list-sweep delay), pulse delta (manual section 5)
        and write/read sequencer, from the ranges above and the bench's ``max_current``.

        Mains-dependent times use option ``line_frequency``; without it 50 Hz, the longer
        power-line cycle, so a period or an aperture is never taken too short.
        """
        from .roles import CurrentSource, PulseDeltaSystem, PulseReadSequencer, WriteReadSequencer

        current = tighter(Span(-HW_MAX_CURRENT, HW_MAX_CURRENT, "A"), limits.max_current,
                          "max_current")
        mains = float(options.get("line_frequency", 50.0))
        sweep_delay = Span(*SWEEP_DELAY, "s", "6221 list-sweep delay (manual section 4)")
        pdel_width = Span(*PDEL_WIDTH, "s", "6221 pulse-delta width (manual section 5)")
        if role is CurrentSource:
            compliance = tighter(Span(*HW_COMPLIANCE, "V"), limits.compliance_voltage,
                                 "compliance_voltage", symmetric=False)
            return CurrentSourceCapabilities(name, cls.driver_name, current, sweep_delay,
                                             compliance)
        if role is PulseDeltaSystem:
            return PulseDeltaCapabilities(
                name, cls.driver_name, pdel_width,
                Span(*PDEL_SDELAY, "s", "6221 pulse-delta source delay"), sweep_delay,
                min_period=3.0 / mains, max_points=LIST_MAX_POINTS, current=current)
        if role is WriteReadSequencer:
            return SequencerCapabilities(
                name, cls.driver_name,
                write_width=Span(PDEL_WIDTH[0], SWEEP_DELAY[1], "s",
                                 "6221 pulse delta from 50 us, list sweeps from 1 ms"),
                list_width=sweep_delay, pulse_delta_width=pdel_width, reset_width=sweep_delay,
                read_aperture=SEQ_NPLC / mains,
                pulse_delta_settle=Span(*PDEL_SDELAY, "s", "6221 pulse-delta source delay"),
                pulse_delta_min_aperture=PDEL_MIN_APERTURE, current=current)
        if role is PulseReadSequencer:
            return PulseSequencerCapabilities(name, cls.driver_name, pulse_width=sweep_delay,
                                              read_aperture=SEQ_NPLC / mains,
                                              pairs_per_sweep=NV_BUFFER_MAX // 2, current=current)
        return super().capabilities(role, name, limits, options)

    # ---- CurrentSource ------------------------------------------------------------------------
    def _check_current(self, current_A: float, quantity: str = "current") -> float:
        return check_current(self.name, current_A, self.limits, HW_MAX_CURRENT, quantity)

    def set_current(self, current_A: float) -> None:
        """``:SOUR:CURR <A>``"""
        value = self._check_current(current_A)
        with self.lock:
            self._inner.source_current = value

    def current(self) -> float:
        """``:SOUR:CURR?``"""
        return self._ask_float(":SOUR:CURR?")

    def set_compliance_voltage(self, voltage_V: float) -> None:
        """``:SOUR:CURR:COMP <V>``"""
        value = check_compliance_voltage(self.name, voltage_V, self.limits, *HW_COMPLIANCE)
        with self.lock:
            self._inner.source_compliance = value
            self._compliance_sent = True

    def _ensure_compliance(self) -> None:
        """Send the bench's compliance once per session, before the output first turns on."""
        if not self._compliance_sent and self.limits.compliance_voltage is not None:
            self.set_compliance_voltage(min(self.limits.compliance_voltage, HW_COMPLIANCE[1]))

    def enable(self) -> None:
        """[``:SOUR:CURR:COMP <V>`` once], ``OUTPUT ON``"""
        with self.lock:
            self._ensure_compliance()
            self._inner.enable_source()

    def disable(self) -> None:
        """``OUTPUT OFF``"""
        with self.lock:
            self._inner.disable_source()

    def pulse(self, amplitude_A: float, width_s: float, low_A: float = 0.0) -> None:
        """One write pulse timed by the instrument: a one-point list sweep (manual section 4,
        "Sweeps"), after which the output returns to the bias level ``low_A`` and stays on.

        A software-timed on/off (``OUTPUT ON``, sleep, ``OUTPUT OFF``) would make the width depend
        on the host and the bus; the 6221's sweep delay times it to the instrument's clock, from
        1 ms (the shortest sweep delay) up.  Shorter pulses: :meth:`pulse_delta` (50 us .. 12 ms)
        or a pulse generator.  Sequence::

            [:SOUR:CURR:COMP <V>]      (once per session)
            SOUR:SWE:ABOR;:SOUR:CURR <low>;:SOUR:SWE:SPAC LIST;:SOUR:LIST:CURR <amp>;
              :SOUR:LIST:DEL <width>;[:SOUR:LIST:COMP <V>;]:SOUR:SWE:COUN 1;:SOUR:SWE:CAB OFF;
              :SOUR:SWE:RANG BEST;:SOUR:SWE:ARM;:INIT:IMM
                                       (<low>: the bias level where the output rests after the
                                        sweep; ARM turns the output on at it)
            *OPC?                      (answers once the sweep has finished)
            SOUR:SWE:ABOR              (disarm: the output goes back to its state before arming)
        """
        amp = self._check_current(amplitude_A, "pulse amplitude")
        low = self._check_current(low_A, "pulse low level")
        width = check_range(self.name, "pulse width", width_s, *SWEEP_DELAY, "s",
                            "the 6221's shortest sweep delay; shorter pulses need pulse delta "
                            "(50 us .. 12 ms) or a pulse generator")
        with self.lock:
            self._ensure_compliance()
            # list sweeps use the per-point compliance (SOUR:LIST:COMP), not SOUR:CURR:COMP
            comp = (f";:SOUR:LIST:COMP {min(self.limits.compliance_voltage, HW_COMPLIANCE[1]):.6g}"
                    if self.limits.compliance_voltage is not None else "")
            # one program message: the 6221 executes the units in order (SCPI-99 6.2)
            self._write(f"SOUR:SWE:ABOR;:SOUR:CURR {low:.6g};:SOUR:SWE:SPAC LIST;"
                        f":SOUR:LIST:CURR {amp:.6g};:SOUR:LIST:DEL {width:.6g}{comp};"
                        ":SOUR:SWE:COUN 1;:SOUR:SWE:CAB OFF;:SOUR:SWE:RANG BEST;"
                        ":SOUR:SWE:ARM;:INIT:IMM")
            self._ask("*OPC?")
            self._write("SOUR:SWE:ABOR")

    # ---- PulseDeltaSystem ---------------------------------------------------------------------
    def nanovoltmeter_present(self) -> bool:
        """``SOUR:PDEL:NVPR?`` -- is a 2182A connected over RS-232 / Trigger Link?"""
        return self._ask("SOUR:PDEL:NVPR?").strip() in ("1", "+1")

    def _require_nanovoltmeter(self) -> None:
        if not self.nanovoltmeter_present():
            raise RuntimeError(f"{self.name}: no 2182A answers on the 6221's RS-232 link "
                               f"(SOUR:PDEL:NVPR? returned 0); check the RS-232 null-modem "
                               f"and Trigger Link cables and the 2182A's RS-232 setting")

    def _interval_plc(self) -> int:
        value = int(self.options.get("interval_plc", 5))
        check_range(self.name, "pulse-delta interval", value, *PDEL_INTERVAL_PLC, "PLC",
                    "option interval_plc")
        return value

    def _low_measure(self) -> int:
        value = int(self.options.get("low_measure", 2))
        if value not in (1, 2):
            raise LimitError(f"{self.name}: option low_measure must be 1 or 2, got {value}")
        return value

    def pulse_delta(self, high_A: float, low_A: float, width_s: float, count: int,
                    delay_s: float) -> np.ndarray:
        """Fixed-output pulse delta (Reference Manual section 5, "Pulse Delta").

        Sequence::

            SOUR:PDEL:NVPR?            (must be 1)
            [:SOUR:CURR:COMP <V>]      (once per session, from the bench limits)
            SOUR:PDEL:HIGH <high>
            SOUR:PDEL:LOW <low>
            SOUR:PDEL:WIDT <width>
            SOUR:PDEL:SDEL <delay>
            SOUR:PDEL:COUN <count>
            SOUR:PDEL:RANG BEST
            SOUR:PDEL:SWE OFF
            SOUR:PDEL:INT <interval_plc>
            SOUR:PDEL:LME <low_measure>
            FORM:ELEM READ
            TRAC:CLE
            TRAC:POIN <count>
            SOUR:PDEL:ARM
            INIT:IMM
            TRAC:POIN:ACT?             (polled until it reaches <count>)
            SOUR:SWE:ABOR
            TRAC:DATA?
        """
        high = self._check_current(high_A, "pulse-delta high level")
        low = self._check_current(low_A, "pulse-delta low level")
        width = check_range(self.name, "pulse-delta width", width_s, *PDEL_WIDTH, "s")
        delay = check_range(self.name, "pulse-delta source delay", delay_s, *PDEL_SDELAY, "s")
        n = _check_count(self.name, count)
        interval = self._interval_plc()
        lme = self._low_measure()
        with self.lock:
            self._require_nanovoltmeter()
            self._ensure_compliance()
            for command in (
                f"SOUR:PDEL:HIGH {high:.6g}",
                f"SOUR:PDEL:LOW {low:.6g}",
                f"SOUR:PDEL:WIDT {width:.6g}",
                f"SOUR:PDEL:SDEL {delay:.6g}",
                f"SOUR:PDEL:COUN {n:d}",
                "SOUR:PDEL:RANG BEST",
                "SOUR:PDEL:SWE OFF",
                f"SOUR:PDEL:INT {interval:d}",
                f"SOUR:PDEL:LME {lme:d}",
            ):
                self._write(command)
            return self._run_and_fetch(n, expected_s=n * interval / self._line_frequency())

    def pulse_sweep(self, amplitudes_A, low_A: float, width_s: float,
                    delay_s: float) -> np.ndarray:
        """Pulse-delta sweep over a list of amplitudes (Reference Manual sections 4 and 5).

        Sequence (lists longer than 100 values continue with ``SOUR:LIST:CURR:APP`` /
        ``SOUR:LIST:DEL:APP``)::

            SOUR:PDEL:NVPR?            (must be 1)
            [:SOUR:CURR:COMP <V>]      (once per session)
            SOUR:SWE:SPAC LIST
            SOUR:LIST:CURR <a1>,<a2>,...
            SOUR:LIST:DEL <d>,<d>,...
            [SOUR:LIST:COMP <V>,<V>,...] (the bench's compliance_voltage, per point)
            SOUR:SWE:RANG BEST
            SOUR:SWE:COUN 1
            SOUR:SWE:CAB OFF
            SOUR:PDEL:LOW <low>
            SOUR:PDEL:WIDT <width>
            SOUR:PDEL:SWE ON
            SOUR:PDEL:LME <low_measure>
            FORM:ELEM READ
            TRAC:CLE
            TRAC:POIN <N>
            SOUR:PDEL:ARM
            INIT:IMM
            TRAC:POIN:ACT?             (polled until it reaches <N>)
            SOUR:SWE:ABOR
            TRAC:DATA?
        """
        amps = np.atleast_1d(np.asarray(amplitudes_A, dtype=float))
        if amps.ndim != 1 or not 1 <= amps.size <= LIST_MAX_POINTS:
            raise LimitError(f"{self.name}: pulse sweep needs 1..{LIST_MAX_POINTS} amplitudes, "
                             f"got shape {amps.shape}")
        for a in amps:   # every point, before anything is sent
            self._check_current(a, "pulse-sweep amplitude")
        low = self._check_current(low_A, "pulse-sweep low level")
        width = check_range(self.name, "pulse-delta width", width_s, *PDEL_WIDTH, "s")
        delay = check_range(self.name, "sweep delay (pulse period)", delay_s, *SWEEP_DELAY, "s")
        lme = self._low_measure()
        n = int(amps.size)
        with self.lock:
            self._require_nanovoltmeter()
            self._ensure_compliance()
            self._write("SOUR:SWE:SPAC LIST")
            self._write_list("SOUR:LIST:CURR", [f"{a:.6g}" for a in amps])
            self._write_list("SOUR:LIST:DEL", [f"{delay:.6g}"] * n)
            comp = self._compliance_list(n)
            if comp:     # a list sweep's points use the list compliance, not SOUR:CURR:COMP
                self._write_list("SOUR:LIST:COMP", [comp] * n)
            for command in (
                "SOUR:SWE:RANG BEST",
                "SOUR:SWE:COUN 1",
                "SOUR:SWE:CAB OFF",
                f"SOUR:PDEL:LOW {low:.6g}",
                f"SOUR:PDEL:WIDT {width:.6g}",
                "SOUR:PDEL:SWE ON",
                f"SOUR:PDEL:LME {lme:d}",
            ):
                self._write(command)
            return self._run_and_fetch(n, expected_s=n * delay)

    # ---- WriteReadSequencer --------------------------------------------------------------------
    def write_widths(self) -> tuple[float, float]:
        """Write widths this 6221 + 2182A can time: pulse delta from 50 us, list sweeps to 1e6 s."""
        return (PDEL_WIDTH[0], SWEEP_DELAY[1])

    def write_read(self, amplitudes_A, width_s: float, reset_A: float, reset_width_s: float,
                   read_A: float, settle_s: float) -> np.ndarray:
        """Write/read cycles timed by the 6221, read by the linked 2182A into a buffer.

        One cycle per amplitude: ``read (before) -> write -> read (after) -> reset``; returns
        the read voltages, shape ``(N, 2)``.  Two paths, chosen by the width:

        * ``width_s >= 1 ms`` -- a list sweep (Reference Manual section 4, "List sweeps") of
          the points ``[read, write, read, reset]`` with per-point delays (``SOUR:LIST:DEL``)
          and per-point compliance; ``TRIG:OUTP SOUR`` fires the Trigger Link when each level
          is set (section 9, "Trigger Link").  The 2182A, configured through the 6221's RS-232
          pass-through (section 10, ``SYST:COMM:SER:SEND`` / ``:ENT?``; 2182A manual
          section 8, trigger model, and section 6, buffer), waits on EXTernal triggers, converts
          ``settle_s`` (its ``TRIG:DEL``) after each level change for 0.01 PLC and stores every
          reading in its buffer (1024 readings = 256 cycles per sweep).  The write and reset
          readings are discarded.  A batch of N cycles of one amplitude is a 4-point list with
          ``SOUR:SWE:COUN N``.
        * ``50 us <= width_s < 1 ms`` -- a pulse-delta sweep (section 5, "Pulse Delta", sweep
          mode) over the amplitudes ``[read, write, read, reset]``: every pulse is ``width_s``
          long (so is the reset: ``reset_width_s`` does not apply), the 2182A converts from
          ``SDEL = settle_s`` to the pulse end, and the 2-point reading ``B - A`` of a read
          pulse (low level 0) is the read voltage.  Readings go to the 6221's own buffer.

        Sequence of the list path (per batch of at most 256 cycles)::

            SOUR:SWE:ABOR;:SOUR:CURR 0
            SYST:COMM:SER:SEND ":ABOR;:SENS:FUNC 'VOLT';:SENS:CHAN 1;:SENS:VOLT:CHAN1:RANG 0.1;
                               :SENS:VOLT:NPLC 0.01;:SENS:VOLT:DFIL OFF;:SYST:AZER OFF;
                               :SYST:FAZ OFF;:TRIG:SOUR EXT;:TRIG:DEL <settle>;:SAMP:COUN 1"
            SOUR:SWE:SPAC LIST;:SOUR:LIST:CURR ...;:SOUR:LIST:DEL ...;:SOUR:LIST:COMP ...
            :SOUR:SWE:COUN <k>;:SOUR:SWE:CAB OFF;:SOUR:SWE:RANG BEST;:TRIG:OUTP SOUR
            SYST:COMM:SER:SEND ":TRAC:CLE;:TRAC:POIN <4n>;:TRAC:FEED SENS;:TRAC:FEED:CONT NEXT;
                               :TRIG:COUN <4n>;:INIT"
            SOUR:SWE:ARM
            INIT:IMM
            *OPC?
            SOUR:SWE:ABOR
            SYST:COMM:SER:SEND ":TRAC:DATA?"
            SYST:COMM:SER:ENT?
            SYST:COMM:SER:SEND ":TRIG:SOUR IMM;:TRIG:COUN 1"   (the 2182A answers READ? again)
            TRIG:OUTP NONE

        With option ``nanovoltmeter`` (the bench's 2182A on its own GPIB address, attached by
        ``Bench.open()``) the same 2182A messages go to that address instead of through
        ``SYST:COMM:SER:SEND``, holding the 2182A driver's lock after the 6221's; the Trigger
        Link still fires the conversions.  The set-up ends with ``;:FORM:DATA SRE;:FORM:BORD
        SWAP`` (2182A manual section 14, FORMat), ``:TRAC:DATA?`` answers a ``#0`` block of
        little-endian IEEE-754 singles (4 bytes a reading at GPIB speed instead of 16
        characters at 19.2 kbaud), and the restore ends with ``;:FORM:DATA ASC``.  Without a
        pyvisa resource to read the block from, the buffer is read in ASCII.
        """
        amps = np.atleast_1d(np.asarray(amplitudes_A, dtype=float))
        if amps.ndim != 1 or amps.size == 0:
            raise LimitError(f"{self.name}: write_read needs a 1-D list of write amplitudes, "
                             f"got shape {amps.shape}")
        for a in np.unique(amps):     # every value, before anything is sent
            self._check_current(float(a), "write amplitude")
        reset = self._check_current(reset_A, "reset amplitude")
        read = self._check_current(read_A, "read current")
        if read == 0:
            raise LimitError(f"{self.name}: the read current must not be zero")
        width = float(width_s)
        if width >= SWEEP_DELAY[0]:
            return self._write_read_list(amps, width, reset, reset_width_s, read, settle_s)
        check_range(self.name, "write pulse width", width, *PDEL_WIDTH, "s",
                    "pulse delta (50 us .. 12 ms) and list sweeps (from 1 ms) are the 6221's "
                    "timed pulses; shorter pulses need a pulse generator")
        return self._write_read_pulse_delta(amps, width, reset, read, settle_s)

    def _nv_send(self, text: str) -> None:
        self._write(f'SYST:COMM:SER:SEND "{text}"')

    def _nv_query(self, text: str) -> str:
        self._nv_send(text)
        return self._ask("SYST:COMM:SER:ENT?")

    # the linked 2182A: on its own address when attached, else through the RS-232 pass-through
    def _nv_cmd(self, text: str) -> None:
        if self._nv is not None:
            self._nv._write(text)
        else:
            self._nv_send(text)

    def _nv_ask(self, text: str) -> str:
        if self._nv is not None:
            return self._nv._ask(text)
        return self._nv_query(text)

    def _start_sequence(self, settle: float) -> bool:
        """Source idle at 0 A and the 2182A armed for one externally triggered conversion per
        point, ``settle`` s after each trigger (caller holds both locks); returns whether the
        buffer comes back as binary SREal."""
        binary = self._nv_binary()
        form = ";:FORM:DATA SRE;:FORM:BORD SWAP" if binary else ""
        self._write("SOUR:SWE:ABOR;:SOUR:CURR 0")
        self._nv_cmd(f":ABOR;:SENS:FUNC 'VOLT';:SENS:CHAN 1;:SENS:VOLT:CHAN1:RANG {SEQ_RANGE:g};"
                     f":SENS:VOLT:NPLC {SEQ_NPLC:g};:SENS:VOLT:DFIL OFF;:SYST:AZER OFF;"
                     f":SYST:FAZ OFF;:TRIG:SOUR EXT;:TRIG:DEL {settle:.6g};:SAMP:COUN 1{form}")
        return binary

    def _nv_binary(self) -> bool:
        """Read the 2182A buffer as IEEE-754 single (``FORM:DATA SRE``, 2182A manual
        section 14, FORMat): only over its own address, through a pyvisa resource."""
        return (self._nv is not None
                and hasattr(self._nv.resource, "query_binary_values"))

    def _nv_buffer(self, n: int, binary: bool) -> np.ndarray:
        """``:TRAC:DATA?`` of ``n`` readings from the linked 2182A."""
        if not binary:
            return _parse_readings(self._nv_ask(":TRAC:DATA?"), self.name)
        nv = self._nv
        with nv.lock:
            # SREal with FORM:BORD SWAP: "#0" + little-endian float32 values + LF (END)
            values = nv.resource.query_binary_values(":TRAC:DATA?", datatype="f",
                                                     is_big_endian=False, data_points=n,
                                                     expect_termination=True,
                                                     container=np.array)
        data = np.asarray(values, dtype=float)
        data[np.abs(data) >= np.float32(OVERFLOW) * (1 - 1e-6)] = np.nan
        return data

    def _nv_lock(self):
        """The attached 2182A driver's lock (taken after the 6221's), else a no-op."""
        return self._nv.lock if self._nv is not None else contextlib.nullcontext()

    def _compliance_list(self, n: int) -> str:
        if self.limits.compliance_voltage is None:
            return ""
        comp = f"{min(self.limits.compliance_voltage, HW_COMPLIANCE[1]):.6g}"
        return comp

    def _write_read_list(self, amps: np.ndarray, width: float, reset: float, reset_width_s: float,
                         read: float, settle_s: float) -> np.ndarray:
        aperture = SEQ_NPLC / self._line_frequency()
        reset_width = check_range(self.name, "reset pulse width", reset_width_s, *SWEEP_DELAY, "s")
        settle = check_range(self.name, "read settle time", settle_s, 0.0,
                             min(width, reset_width) - aperture, "s",
                             f"the 2182A converts {aperture:.3g} s from the settle time within "
                             f"every point, so settle + aperture must fit in the write and reset "
                             f"pulses")
        read_dwell = max(SWEEP_DELAY[0], settle + aperture + SEQ_READ_MARGIN)
        per_batch = NV_BUFFER_MAX // 4
        out = np.empty((amps.size, 2))
        with self.lock, self._nv_lock():
            binary = self._start_sequence(settle)
            comp = self._compliance_list(4)
            try:
                for start in range(0, amps.size, per_batch):
                    batch = amps[start:start + per_batch]
                    n = int(batch.size)
                    if np.all(batch == batch[0]):
                        levels, reps = [read, batch[0], read, reset], n
                    else:
                        levels = [v for a in batch for v in (read, a, read, reset)]
                        reps = 1
                    delays = [read_dwell, width, read_dwell, reset_width] * (len(levels) // 4)
                    self._write("SOUR:SWE:SPAC LIST")
                    self._write_list("SOUR:LIST:CURR", [f"{v:.6g}" for v in levels])
                    self._write_list("SOUR:LIST:DEL", [f"{d:.6g}" for d in delays])
                    if comp:
                        self._write_list("SOUR:LIST:COMP", [comp] * len(levels))
                    self._write(f":SOUR:SWE:COUN {reps:d};:SOUR:SWE:CAB OFF;:SOUR:SWE:RANG BEST;"
                                ":TRIG:OUTP SOUR")
                    self._nv_cmd(f":TRAC:CLE;:TRAC:POIN {4 * n:d};:TRAC:FEED SENS;"
                                 f":TRAC:FEED:CONT NEXT;:TRIG:COUN {4 * n:d};:INIT")
                    self._write("SOUR:SWE:ARM")
                    self._write("INIT:IMM")
                    self._ask("*OPC?")
                    self._write("SOUR:SWE:ABOR")
                    data = self._nv_buffer(4 * n, binary)
                    if data.size != 4 * n:
                        raise RuntimeError(f"{self.name}: the 2182A buffer holds {data.size} "
                                           f"readings, expected {4 * n} (Trigger Link cable?)")
                    cycles = data.reshape(n, 4)
                    out[start:start + n, 0] = cycles[:, 0]
                    out[start:start + n, 1] = cycles[:, 2]
            finally:
                self._write("SOUR:SWE:ABOR")
                self._nv_cmd(":TRIG:SOUR IMM;:TRIG:COUN 1" + (";:FORM:DATA ASC" if binary else ""))
                self._write("TRIG:OUTP NONE")
        return out

    def pulse_read(self, amplitudes_A, widths_s, read_A: float, settle_s: float) -> np.ndarray:
        """Pulse trains with a buffered read after every pulse (:class:`~instruments.roles.PulseReadSequencer`).

        Pulse ``i`` is ``amplitudes_A[i]`` for ``widths_s[i]`` (>= 1 ms, the list-sweep delay),
        followed by a read at ``read_A``; returns the read voltages, shape ``(N,)``.  One list
        sweep (Reference Manual section 4, "List sweeps") of the points
        ``[a_0, read, a_1, read, ...]`` per batch of at most 512 pulses (the 2182A buffer holds
        1024 readings), ``TRIG:OUTP SOUR`` firing the linked 2182A at every point (section 9,
        "Trigger Link"); the pulse readings are discarded.  The 2182A set-up, buffer read-out and
        restore are those of :meth:`write_read`'s list path.  Every value is checked before
        anything is sent.
        """
        amps = np.atleast_1d(np.asarray(amplitudes_A, dtype=float))
        widths = np.broadcast_to(np.asarray(widths_s, dtype=float), amps.shape).copy()
        if amps.ndim != 1 or amps.size == 0:
            raise LimitError(f"{self.name}: pulse_read needs a 1-D list of pulse amplitudes, "
                             f"got shape {amps.shape}")
        if 2 * amps.size > LIST_MAX_POINTS * 64:
            raise LimitError(f"{self.name}: {amps.size} pulses is too long a train")
        for a in np.unique(amps):
            self._check_current(float(a), "pulse amplitude")
        for w in np.unique(widths):
            check_range(self.name, "pulse width", float(w), *SWEEP_DELAY, "s",
                        "list-sweep points are timed by the sweep delay (1 ms .. 999999.999 s)")
        read = self._check_current(read_A, "read current")
        if read == 0:
            raise LimitError(f"{self.name}: the read current must not be zero")
        aperture = SEQ_NPLC / self._line_frequency()
        settle = check_range(self.name, "read settle time", settle_s, 0.0,
                             float(widths.min()) - aperture, "s",
                             "the 2182A converts after the settle time within every point")
        read_dwell = max(SWEEP_DELAY[0], settle + aperture + SEQ_READ_MARGIN)
        per_batch = NV_BUFFER_MAX // 2
        out = np.empty(amps.size)
        with self.lock, self._nv_lock():
            binary = self._start_sequence(settle)
            comp = self._compliance_list(2)
            try:
                for start in range(0, amps.size, per_batch):
                    batch, bw = amps[start:start + per_batch], widths[start:start + per_batch]
                    n = int(batch.size)
                    levels = [v for a in batch for v in (a, read)]
                    delays = [v for w in bw for v in (w, read_dwell)]
                    self._write("SOUR:SWE:SPAC LIST")
                    self._write_list("SOUR:LIST:CURR", [f"{v:.6g}" for v in levels])
                    self._write_list("SOUR:LIST:DEL", [f"{d:.6g}" for d in delays])
                    if comp:
                        self._write_list("SOUR:LIST:COMP", [comp] * len(levels))
                    self._write(":SOUR:SWE:COUN 1;:SOUR:SWE:CAB OFF;:SOUR:SWE:RANG BEST;"
                                ":TRIG:OUTP SOUR")
                    self._nv_cmd(f":TRAC:CLE;:TRAC:POIN {2 * n:d};:TRAC:FEED SENS;"
                                 f":TRAC:FEED:CONT NEXT;:TRIG:COUN {2 * n:d};:INIT")
                    self._write("SOUR:SWE:ARM")
                    self._write("INIT:IMM")
                    self._ask("*OPC?")
                    self._write("SOUR:SWE:ABOR")
                    data = self._nv_buffer(2 * n, binary)
                    if data.size != 2 * n:
                        raise RuntimeError(f"{self.name}: the 2182A buffer holds {data.size} "
                                           f"readings, expected {2 * n} (Trigger Link cable?)")
                    out[start:start + n] = data.reshape(n, 2)[:, 1]
            finally:
                self._write("SOUR:SWE:ABOR")
                self._nv_cmd(":TRIG:SOUR IMM;:TRIG:COUN 1" + (";:FORM:DATA ASC" if binary else ""))
                self._write("TRIG:OUTP NONE")
        return out

    def _write_read_pulse_delta(self, amps: np.ndarray, width: float, reset: float, read: float,
                                settle_s: float) -> np.ndarray:
        sdel = check_range(self.name, "read settle (pulse-delta source delay)", settle_s,
                           PDEL_SDELAY[0], min(PDEL_SDELAY[1], width - PDEL_MIN_APERTURE), "s",
                           "the 2182A converts from the source delay to the pulse end (>= 34 us)")
        period = 3.0 / self._line_frequency()       # shortest pulse-delta cycle: 3 PLC
        per_batch = LIST_MAX_POINTS // 4
        out = np.empty((amps.size, 2))
        with self.lock:
            self._require_nanovoltmeter()
            self._write("SOUR:SWE:ABOR")
            for start in range(0, amps.size, per_batch):
                batch = amps[start:start + per_batch]
                n = int(batch.size)
                levels = [v for a in batch for v in (read, a, read, reset)]
                self._write("SOUR:SWE:SPAC LIST")
                self._write_list("SOUR:LIST:CURR", [f"{v:.6g}" for v in levels])
                self._write_list("SOUR:LIST:DEL", [f"{period:.6g}"] * len(levels))
                for command in ("SOUR:SWE:RANG BEST", "SOUR:SWE:COUN 1", "SOUR:SWE:CAB OFF",
                                "UNIT V", "SOUR:PDEL:LOW 0", f"SOUR:PDEL:WIDT {width:.6g}",
                                f"SOUR:PDEL:SDEL {sdel:.6g}", "SOUR:PDEL:SWE ON",
                                "SOUR:PDEL:LME 2"):
                    self._write(command)
                data = self._run_and_fetch(len(levels), expected_s=len(levels) * period)
                cycles = data.reshape(n, 4)
                out[start:start + n, 0] = cycles[:, 0]
                out[start:start + n, 1] = cycles[:, 2]
        return out

    def channel_resistance(self, current_A: float) -> float:
        """Four-wire channel resistance by current reversal, read on the 2182A's channel 2
        (wired across the channel's voltage probes) through the RS-232 pass-through::

            SYST:COMM:SER:SEND ":ABOR;:TRIG:SOUR IMM;:TRIG:COUN 1;:SENS:CHAN 2;:SENS:VOLT:NPLC 1"
            :SOUR:CURR <I>; OUTP ON; SYST:COMM:SER:SEND ":READ?"; SYST:COMM:SER:ENT?
            :SOUR:CURR <-I>;          SYST:COMM:SER:SEND ":READ?"; SYST:COMM:SER:ENT?
            OUTP OFF; :SOUR:CURR 0; SYST:COMM:SER:SEND ":SENS:CHAN 1"

        With option ``nanovoltmeter`` the 2182A messages go to its own address (no
        ``SOUR:PDEL:NVPR?`` check: the RS-232 link is not used).
        """
        amps = self._check_current(current_A, "resistance test current")
        if amps == 0:
            raise LimitError(f"{self.name}: the resistance test current must not be zero")
        with self.lock, self._nv_lock():
            if self._nv is None:
                self._require_nanovoltmeter()
            self._write("SOUR:SWE:ABOR")
            self._nv_cmd(":ABOR;:TRIG:SOUR IMM;:TRIG:COUN 1;:SENS:CHAN 2;:SENS:VOLT:NPLC 1")
            try:
                self.set_current(amps)
                self.enable()
                v_plus = parse_float_reply(self._nv_ask(":READ?"), self.name, ":READ?")
                self.set_current(-amps)
                v_minus = parse_float_reply(self._nv_ask(":READ?"), self.name, ":READ?")
            finally:
                self.disable()
                self._inner.source_current = 0.0
                self._nv_cmd(":SENS:CHAN 1")
        return (v_plus - v_minus) / (2.0 * amps)

    def abort(self) -> None:
        """``SOUR:SWE:ABOR``"""
        self._write("SOUR:SWE:ABOR")

    def _write_list(self, header: str, values: list[str]) -> None:
        for start in range(0, len(values), LIST_CHUNK):
            head = header if start == 0 else header + ":APP"
            self._write(f"{head} {','.join(values[start:start + LIST_CHUNK])}")

    def _line_frequency(self) -> float:
        return float(self.options.get("line_frequency", 60.0))

    def _run_and_fetch(self, n: int, expected_s: float) -> np.ndarray:
        """Arm, start, poll the buffer fill, abort, read the buffer (lock held by caller)."""
        poll_interval = float(self.options.get("poll_interval", 0.01))
        max_polls = int(self.options.get("max_polls",
                                         200 + 3 * math.ceil(expected_s / max(poll_interval, 1e-3))))
        self._write("FORM:ELEM READ")
        self._write("TRAC:CLE")
        self._write(f"TRAC:POIN {n:d}")
        self._write("SOUR:PDEL:ARM")
        self._write("INIT:IMM")
        try:
            for _ in range(max_polls):
                stored = int(self._ask_float("TRAC:POIN:ACT?"))
                if stored >= n:
                    break
                self._hold(poll_interval)
            else:
                raise TimeoutError(f"{self.name}: pulse-delta buffer holds {stored} of {n} "
                                   f"readings after {max_polls} polls")
        finally:
            self._write("SOUR:SWE:ABOR")
        data = _parse_readings(self._ask("TRAC:DATA?"), self.name)
        if data.size != n:
            raise RuntimeError(f"{self.name}: TRAC:DATA? returned {data.size} readings, "
                               f"expected {n}")
        return data

    # ---- bench life cycle ----------------------------------------------------------------------
    #: the measurement event register (read and clear; 6220/6221 manual, bit 3 COMP)
    STATUS_QUERIES = ("STAT:MEAS?",)

    def fatal_condition(self, errors: list[str], status: list[int]) -> str:
        """``STAT:MEAS?`` bit 3 (COMP): the output reached its compliance since the last check,
        so the programmed current did not flow -- an open circuit, e.g. a device destroyed."""
        if status[0] & 0b1000:
            return (f"{self.name}: the current source reached its compliance voltage: the "
                    f"programmed current did not flow (open circuit: is the device destroyed?)")
        return ""

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "idn": self.identify(),
                "output_enabled": self._ask("OUTP?").strip() in ("1", "+1"),
                "current_A": self._ask_float(":SOUR:CURR?"),
                "compliance_V": self._ask_float(":SOUR:CURR:COMP?"),
                "range_A": self._ask_float(":SOUR:CURR:RANG?"),
                "nanovoltmeter_present": self.nanovoltmeter_present(),
            }

    def shutdown(self) -> None:
        """``SOUR:SWE:ABOR``, ``OUTPUT OFF``, ``:SOUR:CURR 0``"""
        with self.lock:
            self._write("SOUR:SWE:ABOR")
            self._inner.disable_source()
            self._inner.source_current = 0.0


def _check_count(instrument: str, count: int) -> int:
    if isinstance(count, bool) or not float(count).is_integer():
        raise LimitError(f"{instrument}: pulse-delta count must be an integer, got {count!r}")
    return int(check_range(instrument, "pulse-delta count", int(count), *PDEL_COUNT, "pulses"))


def _parse_readings(reply: str, instrument: str) -> np.ndarray:
    text = reply.strip()
    if not text:
        return np.zeros(0)
    try:
        data = np.array([float(v) for v in text.split(",")], dtype=float)
    except ValueError:
        raise ValueError(f"{instrument}: TRAC:DATA? reply is not a list of numbers: "
                         f"{text[:80]!r}") from None
    data[np.abs(data) >= OVERFLOW] = np.nan
    return data
