"""Keithley 2182A Nanovoltmeter emulator (2182A-900-01, User's Manual, sections 12-15).

The command table (:mod:`.keithley_2182a_commands`) follows the manual's SCPI command summary
tables (section 14): CALCulate, DISPlay, FORMat, ROUTe is absent on the 2182A, SENSe, STATus,
SYSTem, TRACe, TRIGger, UNIT, then the signal-oriented commands (CONFigure/FETCh?/READ?/MEASure?,
section 13).

Readings come from the world: channel 1 and channel 2 are wired to device ports
(``connect: {channel1: hall, channel2: xx}``) and one A/D conversion integrates the port
voltage over the aperture NPLC / line frequency with :meth:`SimWorld.measure_voltage` (which
adds the Johnson noise of the port).  On top of that the emulator adds the instrument's own
noise, ~6 nV rms at 1 PLC on the 10 mV range, scaling as 1/sqrt(NPLC) and with the range
(specification table: 10 mV 6 nV, 100 mV 20 nV, 1 V 75 nV, 10 V 750 nV, 100 V 75 uV at 1 PLC).
Readings beyond 120 % of a fixed range are the overflow value +9.9E37.

Timing of one conversion: the aperture, doubled with autozero (``SYST:AZER``, the zero is an
A/D conversion of its own), plus one aperture more with front autozero (``SYST:FAZ``) on channel 1 (an
approximation of the manual's reading-rate tables); plus 1 ms of processing; line sync (``SYST:LSYN``) waits for
the next line-cycle edge.

Digital filter (``SENS:VOLT:DFIL``, *RST ON, moving, count 10, window 0.01 %): the stack is
cleared at the start of each trigger sequence (INIT/READ?) and, as the manual describes, the
first conversion fills it; a conversion outside the window of the average resets the stack.
A repeating filter averages COUNT fresh conversions per reading.  The analog low-pass filter
(``LPAS``) is a setting only.  So one ``READ?`` on the
*RST state costs one conversion and never mixes readings from before a sweep step.

The trigger model covers what the 6221 coupling and READ?/FETCh?/INIT need: INIT:CONT,
TRIG:SOUR IMM|BUS|EXT|TIM|MAN, TRIG:COUN, SAMP:COUN, TRIG:DEL, the reading buffer (TRAC) with
the buffer-full bit of the measurement event register (pymeasure's ``KeithleyBuffer``).

``:INIT`` with an immediate or timer trigger source is an operation on the world's timeline
(:mod:`sim_backend.timeline`): it returns at once and each reading is taken when the world clock
reaches it, integrating the port voltage of that moment, so a source reversed in the middle of
the acquisition shows in the middle of the buffer.  Meanwhile ``TRAC:DATA?`` and
``TRAC:POIN:ACT?`` give what is stored so far and the buffer bits of ``STAT:MEAS?`` grow;
``FETCh?``, ``*OPC?`` and ``*WAI`` wait for the acquisition to end (manual section 13/14:
FETCh? does not return until the readings are done), ``*OPC`` sets the OPC bit at the end;
``ABORt``, ``*RST``, device clear and a new ``INIT`` stop it.  ``READ?`` and ``MEAS?`` are
blocking queries and run their readings at once.

A 622x current source talks to the 2182A over RS-232 and the Trigger Link, world connections
(:mod:`sim_backend.links`) on which the 2182A listens: ``rs232.write`` / ``rs232.read``
(:meth:`serial_write` / :meth:`serial_read`, the 6221's ``SYST:COMM:SER:SEND`` / ``:ENT?``),
``trigger_link.step`` / ``.source`` (:meth:`external_trigger`, :meth:`linked_trigger`),
``trigger_link.convert`` (:meth:`pulse_conversion`, one A/D of a Delta or Pulse Delta cycle),
``trigger_link.aperture`` (the Delta conversion time) and ``trigger_link.batch`` /
``.batch_readings`` (:meth:`linked_batch` / :meth:`store_linked_batch`).

Not emulated -- commands of the manual's SCPI command summary (section 14) that the emulator
answers with ``-113,"Undefined header"``: CALCulate3 limit tests (``CALC3:LIMit:UPPer|LOWer``,
``:STATe``, ``:FAIL?``, ``:CLEar``), the analog output (``OUTPut[:STATe]``, ``:GAIN``,
``:OFFSet``, ``:RELative``, ``:POLarity``), ``DISPlay:WINDow2``, ``TRACe:TSTamp:FORMat``,
``FORMat:SREGister``, ``SYSTem:KEY``, ``SYSTem:POSetup``, ``SYSTem:RNUMber:RESet``,
``SYSTem:COMMunicate:*`` (RS-232 / GPIB settings), ``*SAV``/``*RCL``, ``*OPT?`` (not a 2182A
common command).
"""
from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np

from ..physics.constants import KB

from ..timeline import Action, ActionProcess, run_now
from ..scpi import Args, Emulator, ScpiError, clear_status_registers

OVERFLOW = 9.9e37

#: voltage ranges per channel (V); a range reads up to 120 % of its value
RANGES: dict[int, tuple[float, ...]] = {1: (0.01, 0.1, 1.0, 10.0, 100.0), 2: (0.1, 1.0, 10.0)}
#: instrument noise (V rms) at 1 PLC per range; scales as 1/sqrt(NPLC)
NOISE_1PLC = {0.01: 6e-9, 0.1: 20e-9, 1.0: 75e-9, 10.0: 750e-9, 100.0: 75e-6}
#: thermocouple Seebeck coefficients near room temperature (V/K), for TEMP on channel 1/2
SEEBECK = {"B": 0.3e-6, "E": 61e-6, "J": 52e-6, "K": 41e-6, "N": 27e-6, "R": 6e-6,
           "S": 6e-6, "T": 41e-6}
#: measurement event register bits (figure 15-6)
ROF, RAV, BAV, BHF, BFL = 1 << 0, 1 << 5, 1 << 7, 1 << 8, 1 << 9
#: status byte summary bits
MSB, QSB, OSB = 1 << 0, 1 << 3, 1 << 7


class Keithley2182A(Emulator):
    """Keithley 2182A nanovoltmeter wired to device ports through ``channel1``/``channel2``."""

    IDN = "KEITHLEY INSTRUMENTS INC.,MODEL 2182A,1234567,C02  /A02"
    ERROR_QUEUE_DEPTH = 10
    COMMAND_TIME = 2e-4
    #: processing time per reading beyond the A/D conversions (s)
    READING_OVERHEAD = 1e-3

    def __init__(self, world, address: str, config: dict | None = None):
        cfg = dict(config or {})
        #: line frequency (Hz): detected at power-on on the real instrument; here a bench option
        self.line_frequency = float(cfg.get("line_frequency", 60.0))
        self._serial_out = bytearray()
        self._concurrent = False         #: conversions triggered by a source that moves on
        self._acquisition: ActionProcess | None = None   #: an INIT running on the timeline
        for key in ("channel1", "channel2"):
            port = (cfg.get("connect") or {}).get(key)
            if port is not None:
                world.check_port(port)
        super().__init__(world, address, config)
        links = world.links
        for name, handler in (("trigger_link.step", self.external_trigger),
                              ("trigger_link.source", self.linked_trigger),
                              ("trigger_link.convert", self.pulse_conversion),
                              ("trigger_link.aperture", lambda: self.settings["volt_nplc"] * self.plc),
                              ("trigger_link.batch", self.linked_batch),
                              ("trigger_link.batch_readings", self.store_linked_batch),
                              ("rs232.write", self.serial_write), ("rs232.read", self.serial_read)):
            links.listen(self.address, name, handler)

    # ------------------------------------------------------------------------ state
    def reset(self) -> None:
        """*RST defaults (manual, table 14-x "default" column)."""
        self.abort_acquisition()
        s = self.settings
        s.update({
            "func": "VOLT", "chan": 1,
            "volt_nplc": 5.0, "temp_nplc": 5.0, "volt_digits": 8, "temp_digits": 7,
            "range1": 100.0, "range2": 10.0, "auto1": True, "auto2": True,
            "ref1": 0.0, "ref2": 0.0, "ref_stat1": False, "ref_stat2": False,
            "tref1": 0.0, "tref2": 0.0, "tref_stat1": False, "tref_stat2": False,
            "lpas": True, "dfil": True, "dfil_count": 10, "dfil_tcon": "MOVING", "dfil_wind": 0.01,
            "tlpas": True, "tdfil": True, "tdfil_count": 10, "tdfil_tcon": "MOVING", "tdfil_wind": 0.01,
            "delta": False, "tc_type": "K", "transducer": "TCOUPLE", "rjun_rsel": "SIMULATED",
            "rjun_sim": 23.0,
            "azer": True, "faz": True, "lsyn": False,
            "init_cont": False, "trig_sour": "IMMEDIATE", "trig_coun": 1, "trig_del": 0.0,
            "trig_del_auto": True, "trig_tim": 0.1, "samp_coun": 1,
            "trac_poin": 100, "trac_feed": "SENSE", "trac_cont": "NEVER",
            "form_data": "ASCII", "form_bord": "SWAPPED", "form_elem": ("READING",),
            "calc_form": "MXB", "calc_stat": False, "calc_m": 1.0, "calc_b": 0.0,
            "calc_unit": "X", "calc_perc": 1.0,
            "calc2_form": "MEAN", "calc2_stat": False,
            "disp_enab": True, "disp_text_stat": False, "unit_temp": "C", "unit_volt": "V",
        })
        self.meas_event = self.meas_enable = 0
        self.oper_event = self.oper_enable = 0
        self.ques_event = self.ques_enable = 0
        self.buffer: list[float] = []
        #: world-time integration window (start, end) of each buffered reading, a Python
        #: attribute only (the 2182A's buffer has no time stamps); NaN for batched readings
        self.buffer_windows: list[tuple[float, float]] = []
        self._window = (math.nan, math.nan)
        self.samples: list[float] = []   #: readings of the last trigger sequence (FETCh?)
        self.latest: float | None = None
        self._fresh = False
        self._stack: list[float] = []
        self._waiting = 0                #: triggers still awaited (BUS/EXT/MAN source)
        self._calc2: float | None = None
        self._calc1: float | None = None

    def on_cls(self) -> None:
        """``*CLS`` also clears the measurement, operation and questionable event registers."""
        clear_status_registers(self)

    def on_clear(self) -> None:
        self._waiting = 0
        self.abort_acquisition()

    # ------------------------------------------------------------------------ timeline
    def abort_acquisition(self) -> None:
        """Stop an INIT running on the timeline (ABORt, *RST, device clear, a new INIT)."""
        acq = self.__dict__.get("_acquisition")
        if acq is not None:
            self._acquisition = None
            self.world.cancel(acq)

    def operations(self) -> tuple:
        """Operations still running (what *OPC?, *WAI and FETCh? wait for)."""
        acq = self._acquisition
        return () if acq is None else (acq,)

    def wait_for_operations(self) -> None:
        """``*OPC?``, ``*WAI``, ``FETCh?``: the world runs until the acquisition on the timeline
        is done and, after an INIT on bus or external triggers, until the awaited triggers have
        come (a 622x sweep on the timeline sends them) or nothing on the timeline can send them."""
        super().wait_for_operations()
        if self._waiting > 0 and self.settings["trig_sour"] in ("EXTERNAL", "BUS"):
            self.world.run_until(lambda: self._waiting <= 0 and not self._linked_busy)

    def _acquired(self, _result: Any) -> None:
        self._acquisition = None
        self.operation_complete()

    # ------------------------------------------------------------------------ physics
    @property
    def plc(self) -> float:
        return 1.0 / self.line_frequency

    @property
    def noise(self):
        """This instrument's own random stream (:meth:`SimWorld.stream`): the Johnson noise of
        what it integrates and its own input noise, apart from the devices' dynamics."""
        return self.world.stream(f"noise:{self.address}")

    def _port(self, channel: int) -> str | None:
        return self.connect.get(f"channel{channel}")

    def _range_for(self, channel: int, value: float) -> float | None:
        """Smallest range of ``channel`` reading ``value`` (120 % over-range), None if none."""
        for r in RANGES[channel]:
            if abs(value) <= 1.2 * r:
                return r
        return None

    def _raw_voltage(self, channel: int, aperture: float) -> tuple[float, float]:
        """Integrate ``channel`` for ``aperture`` s: (volts incl. instrument noise, range used)."""
        port = self._port(channel)
        t0 = self.world.now
        if port is None:
            v = 0.0
            self.world.advance(aperture)
        else:
            v = self.world.measure_voltage(port, aperture, rng=self.noise)
        self._window = (t0, self.world.now)
        return self._ranged(channel, v, aperture)

    def _raw_voltage_steps(self, channel: int, aperture: float) -> Action:
        """:meth:`_raw_voltage` as a timeline action (the same draws in the same order)."""
        port = self._port(channel)
        t0 = self.world.now
        if port is None:
            v = 0.0
            yield aperture
        else:
            v = yield from self.world.measure_voltage_steps(port, aperture, rng=self.noise)
        self._window = (t0, self.world.now)
        return self._ranged(channel, v, aperture)

    def _ranged(self, channel: int, v: float, aperture: float) -> tuple[float, float]:
        """Instrument noise and ranging of an integrated port voltage ``v``."""
        auto = self.settings[f"auto{channel}"]
        rng = self._range_for(channel, v) if auto else self.settings[f"range{channel}"]
        rng = rng or RANGES[channel][-1]
        nplc = max(aperture * self.line_frequency, 1e-4)
        z = self.noise.standard_normal()
        v_read = v + NOISE_1PLC[rng] / math.sqrt(nplc) * z
        if auto and abs(v_read) > 1.2 * rng and rng != RANGES[channel][-1]:
            # autorange goes up a range when the reading is over range
            rng = RANGES[channel][RANGES[channel].index(rng) + 1]
            v_read = v + NOISE_1PLC[rng] / math.sqrt(nplc) * z
        if abs(v_read) > 1.2 * rng:
            return OVERFLOW, rng
        return v_read, rng

    def pulse_conversion(self, aperture: float) -> Action:
        """One channel-1 A/D conversion commanded by a 622x in a Delta / Pulse Delta cycle, as
        a timeline action the source waits for (the ``trigger_link.convert`` answer).

        Takes exactly ``aperture`` of world time (no autozero: Delta cancels offsets and drift).
        """
        v, _ = yield from self._raw_voltage_steps(1, aperture)
        if v == OVERFLOW:
            self.meas_event |= ROF
        return v

    def _nplc(self) -> float:
        return self.settings["temp_nplc" if self.settings["func"] == "TEMP" else "volt_nplc"]

    def _conversion(self) -> float:
        """One A/D conversion of the present function and channel, with its time cost."""
        return run_now(self.world, self._conversion_steps())

    def _conversion_steps(self) -> Action:
        """:meth:`_conversion` as a timeline action: yields its waits, returns the value."""
        s = self.settings
        aperture = self._nplc() * self.plc
        if s["lsyn"]:
            phase = (self.world.now * self.line_frequency) % 1.0
            if phase > 1e-9:
                yield (1.0 - phase) * self.plc
        chan = s["chan"]
        if chan == 0:  # internal temperature sensor
            yield aperture
            value = self._to_temp_unit(28.0 + 0.01 * self.noise.standard_normal())
        else:
            v, _ = yield from self._raw_voltage_steps(chan, aperture)
            if s["func"] == "TEMP" and v != OVERFLOW:
                tref = s["rjun_sim"]
                value = self._to_temp_unit(tref + v / SEEBECK[s["tc_type"]])
            else:
                value = v
        if not self._concurrent:
            zero_time = aperture if s["azer"] else 0.0
            if s["faz"] and chan == 1:
                zero_time += aperture
            yield zero_time + self.READING_OVERHEAD
        return value

    def _to_temp_unit(self, celsius: float) -> float:
        unit = self.settings["unit_temp"]
        if unit == "F":
            return celsius * 9 / 5 + 32
        if unit == "K":
            return celsius + 273.15
        return celsius

    def _filtered_reading(self) -> float:
        """One reading: conversions through the digital filter, then REL and math (mX+b)."""
        return run_now(self.world, self._filtered_reading_steps())

    def _filtered_reading_steps(self) -> Action:
        """:meth:`_filtered_reading` as a timeline action."""
        s = self.settings
        temp = s["func"] == "TEMP"
        on = s["tdfil" if temp else "dfil"]
        count = s["tdfil_count" if temp else "dfil_count"]
        if not on or count <= 1:
            value = yield from self._conversion_steps()
        elif s["tdfil_tcon" if temp else "dfil_tcon"] == "REPEAT":
            conv = []
            for _ in range(count):
                conv.append((yield from self._conversion_steps()))
            value = OVERFLOW if OVERFLOW in conv else sum(conv) / count
        else:
            new = yield from self._conversion_steps()
            if new == OVERFLOW:
                self._stack = []
                value = new
            else:
                window = s["tdfil_wind" if temp else "dfil_wind"] / 100.0
                chan = max(s["chan"], 1)
                scale = s[f"range{chan}"] if not temp else 1.0
                if self._stack:
                    avg = sum(self._stack) / len(self._stack)
                    if abs(new - avg) > window * scale:
                        self._stack = []
                if not self._stack:
                    self._stack = [new] * count  # the first conversion fills the stack
                else:
                    self._stack = (self._stack + [new])[-count:]
                value = sum(self._stack) / len(self._stack)
        return self._finish_reading(value, max(s["chan"], 1), temp)

    def _finish_reading(self, value: float, chan: int, temp: bool = False) -> float:
        """REL and math (mX+b / percent) on a reading, overflow flag, reading-available bit."""
        s = self.settings
        if value != OVERFLOW:
            key = f"{'t' if temp else ''}ref"
            if s[f"{key}_stat{chan}"]:
                value -= s[f"{key}{chan}"]
            if s["calc_stat"]:
                value = self._math(value)
        else:
            self.meas_event |= ROF
        self.latest = value
        self._fresh = True
        self.meas_event |= RAV
        return value

    def _math(self, value: float) -> float:
        s = self.settings
        if s["calc_form"] == "PERCENT":
            self._calc1 = (value - s["calc_perc"]) / s["calc_perc"] * 100.0
        else:
            self._calc1 = s["calc_m"] * value + s["calc_b"]
        return self._calc1

    # ------------------------------------------------------------------------ trigger model
    def _store(self, value: float) -> None:
        self.samples.append(value)
        self._store_buffer(value)

    def _store_buffer(self, value: float) -> None:
        """The reading buffer's part of :meth:`_store`."""
        s = self.settings
        if s["trac_cont"] == "NEXT" and s["trac_feed"] != "NONE":
            if s["trac_feed"] == "CALCULATE" and self._calc1 is not None:
                value = self._calc1
            self.buffer.append(value)
            self.buffer_windows.append(self._window)
            self._buffer_flags()

    def _buffer_flags(self) -> None:
        """Buffer available / half full / full bits; a full buffer stops storing (TRAC:FEED:CONT
        NEVER), as the manual's trace model does."""
        s = self.settings
        n, size = len(self.buffer), s["trac_poin"]
        if n >= 2:
            self.meas_event |= BAV
        if n >= size / 2:
            self.meas_event |= BHF
        if n >= size:
            self.meas_event |= BFL
            s["trac_cont"] = "NEVER"

    def _device_action(self) -> None:
        """One trigger: the delay, then SAMPle:COUNt readings."""
        run_now(self.world, self._device_action_steps())

    def _device_action_steps(self) -> Action:
        """:meth:`_device_action` as a timeline action."""
        s = self.settings
        yield 1e-3 if s["trig_del_auto"] else s["trig_del"]
        for _ in range(s["samp_coun"]):
            self._store((yield from self._filtered_reading_steps()))

    def _trigger_sequence(self, n: int, timer: bool) -> Action:
        """``n`` triggers of an immediate (or timer) trigger source, one device action each."""
        for i in range(n):
            if timer and i > 0:
                yield self.settings["trig_tim"]
            yield from self._device_action_steps()

    def initiate(self, blocking: bool = False) -> None:
        """INITiate: leave idle and run the trigger model.  Immediate and timer sources run on
        the world's timeline (``blocking``: at once, for READ?/MEASure?); bus and external
        sources wait for their triggers."""
        s = self.settings
        self.abort_acquisition()
        self.samples = []
        self._stack = []
        count = s["trig_coun"]
        if s["trig_sour"] in ("IMMEDIATE", "TIMER"):
            n = int(count) if math.isfinite(count) else max(s["trac_poin"], 1)
            self._waiting = 0
            action = self._trigger_sequence(n, s["trig_sour"] == "TIMER")
            if blocking:
                run_now(self.world, action)
            else:
                self._acquisition = ActionProcess(action, self._acquired, name=f"{self.address} INIT")
                self.world.start(self._acquisition)
        else:
            self._waiting = int(count) if math.isfinite(count) else 1 << 30

    def on_trigger(self) -> None:
        """*TRG / GET: one trigger for a BUS-sourced trigger layer that waits for it."""
        if self._waiting > 0 and self.settings["trig_sour"] == "BUS":
            self._waiting -= 1
            self._device_action()

    def external_trigger(self) -> Action | None:
        """An input trigger on the Trigger Link (a 622x sweep step): the device action, as a
        timeline action the source waits for (the ``trigger_link.step`` answer); None when
        the 2182A does not wait for an external trigger."""
        if self._waiting > 0 and self.settings["trig_sour"] == "EXTERNAL":
            self._waiting -= 1
            return self._linked(self._device_action_steps())
        return None

    def linked_trigger(self) -> Action | None:
        """A Trigger Link input from a source that does not wait for the reading (a 622x sweep
        with ``TRIG:OUTP SOUR``; the ``trigger_link.source`` answer): the trigger delay and the
        signal conversions take world time (the source holds its level meanwhile); the
        autozero conversions and the processing time run concurrently with the source's next
        points, so they are not charged to the world clock (manual section 8 trigger model;
        reading rates, section 15).  None when no external trigger is awaited.
        """
        s = self.settings
        if not (self._waiting > 0 and s["trig_sour"] == "EXTERNAL"):
            return None
        self._waiting -= 1
        port = self.connect.get(f"channel{s['chan']}") if s["chan"] in (1, 2) else None
        if (port is not None and s["samp_coun"] == 1 and s["func"] == "VOLT"
                and not s["dfil"] and not s["lsyn"] and not s["trig_del_auto"]
                and not s[f"auto{s['chan']}"]):
            return self._linked(self._linked_fast(port))
        return self._linked(self._device_action_steps(), concurrent=True)

    #: conversions of Trigger Link inputs in progress (what FETCh? / *OPC? also wait for)
    _linked_busy = 0

    def _linked(self, action: Action, concurrent: bool = False) -> Action:
        """A conversion on a Trigger Link input, counted while it runs (``concurrent``: its
        autozero and processing run while the source moves on)."""
        self._linked_busy += 1
        self._concurrent = concurrent
        try:
            return (yield from action)
        finally:
            self._linked_busy -= 1
            self._concurrent = False

    def _linked_fast(self, port: str) -> Action:
        """:meth:`linked_trigger` for the configuration of buffered sequences (fixed range, no
        filter, no line sync, one sample, explicit delay): the same steps, world calls and
        random draws as :meth:`_device_action_steps` -> ... -> :meth:`_raw_voltage_steps`,
        without the generic dispatch."""
        s = self.settings
        world = self.world
        chan = s["chan"]
        if s["trig_del"] > 0:
            yield s["trig_del"]
        aperture = s["volt_nplc"] * self.plc
        t0 = world.now
        noise = self.noise
        v = yield from world.measure_voltage_steps(port, aperture, rng=noise)
        self._window = (t0, world.now)
        rng = s[f"range{chan}"]
        nplc = max(aperture * self.line_frequency, 1e-4)
        v = v + NOISE_1PLC[rng] / math.sqrt(nplc) * noise.standard_normal()
        if abs(v) > 1.2 * rng:
            v = OVERFLOW
        v = self._finish_reading(v, chan)
        self._store(v)

    # ------------------------------------------------------------------------ batched linked triggers
    def linked_batch(self, n: int) -> tuple[str, float, float] | None:
        """Whether the next ``n`` Trigger Link inputs of a source that does not wait (a 622x
        list sweep with ``TRIG:OUTP SOUR``) would all take :meth:`_linked_fast` (and no math):
        then ``(port, trigger delay, aperture)`` for a source that runs them in one batch
        (:meth:`store_linked_batch`), else None."""
        s = self.settings
        if not (self._waiting >= n and s["trig_sour"] == "EXTERNAL" and s["chan"] in (1, 2)):
            return None
        chan = s["chan"]
        port = self.connect.get(f"channel{chan}")
        if (port is None or s["samp_coun"] != 1 or s["func"] != "VOLT" or s["dfil"] or s["lsyn"]
                or s["trig_del_auto"] or s[f"auto{chan}"] or s["calc_stat"]):
            return None
        return port, s["trig_del"], s["volt_nplc"] * self.plc

    def store_linked_batch(self, v_start, v_end, r_end, windows, aperture: float) -> None:
        """The readings of ``len(v_start)`` :meth:`_linked_fast` conversions a source ran in
        one batch, from what the world observed over each aperture (noise-free voltage at its
        start and end, resistance at its end, its world-time window): the same Johnson and
        instrument noise from this instrument's stream in the same order (drawn at once), then
        overflow, REL, the latest reading, the buffer; ``len(v_start)`` triggers used."""
        n = len(v_start)
        if not n:
            return
        s = self.settings
        chan = s["chan"]
        world = self.world
        rng = s[f"range{chan}"]
        nplc = max(aperture * self.line_frequency, 1e-4)
        z = self.noise.standard_normal(2 * n)
        sigma = np.sqrt(4 * KB * world.temperature * np.asarray(r_end, dtype=float) / (2 * aperture))
        v = 0.5 * (np.asarray(v_start, dtype=float) + np.asarray(v_end, dtype=float)) + sigma * z[0::2]
        values = (v + NOISE_1PLC[rng] / math.sqrt(nplc) * z[1::2]).tolist()
        limit = 1.2 * rng
        rel = s[f"ref{chan}"] if s[f"ref_stat{chan}"] else None
        out = []
        for v in values:
            if abs(v) > limit:
                self.meas_event |= ROF
                out.append(OVERFLOW)
            elif rel is not None:
                out.append(v - rel)
            else:
                out.append(v)
        self._waiting -= n
        self.latest = out[-1]
        self._fresh = True
        self.meas_event |= RAV
        self.samples.extend(out)
        self._window = windows[-1]
        if s["trac_cont"] == "NEXT" and s["trac_feed"] == "SENSE":
            size = s["trac_poin"]
            # _store appends until the buffer holds trac_poin readings (at least one more)
            keep = max(size - len(self.buffer), 1)
            self.buffer.extend(out[:keep])
            self.buffer_windows.extend(windows[:keep])
            self._buffer_flags()
        else:
            for v, w in zip(out, windows):
                self._window = w
                self._store_buffer(v)

    def _read(self, dev: Any = None, args: Args | None = None) -> str:
        """READ? = ABORt; INITiate; FETCh?."""
        if args is not None:
            args.none()
        s = self.settings
        if s["trig_sour"] not in ("IMMEDIATE", "TIMER"):
            # the real instrument waits for a trigger that cannot come during the query
            raise ScpiError(-420, "READ? with a bus/external trigger source")
        self.initiate(blocking=True)
        return self._format_readings(self.samples)

    def _fetch(self, dev: Any = None, args: Args | None = None) -> str:
        if args is not None:
            args.none()
        if self.settings["init_cont"]:
            self._filtered_reading()
            return self._format_readings([self.latest])
        self.wait_for_operations()      # FETCh? waits for the readings of a running INIT
        if not self.samples:
            raise ScpiError(-230)
        return self._format_readings(self.samples)

    # ------------------------------------------------------------------------ formatting
    def _format_readings(self, values: list[float]) -> str | bytes:
        s = self.settings
        if s["form_data"] in ("SREAL", "DREAL"):
            code = "f" if s["form_data"] == "SREAL" else "d"
            order = "<" if s["form_bord"] == "SWAPPED" else ">"
            return b"#0" + struct.pack(order + code * len(values), *values)
        unit = ""
        if "UNITS" in s["form_elem"]:
            unit = {"VOLT": "VDC", "TEMP": s["unit_temp"]}[s["func"]]
        return ",".join(f"{v:+.9E}{unit}" for v in values)

    # ------------------------------------------------------------------------ RS-232 port
    def serial_write(self, data: bytes) -> None:
        """A program message arriving on the RS-232 port (a 622x ``SYST:COMM:SER:SEND``)."""
        saved, self._out = self._out, bytearray()
        saved_end = self._out_end
        try:
            self.write(data)
            self._serial_out += bytes(self._out).replace(b"\n", b"\r")
        finally:
            self._out, self._out_end = saved, saved_end

    def serial_read(self) -> bytes:
        """Everything the 2182A has sent on the RS-232 port since the last read."""
        data, self._serial_out = bytes(self._serial_out), bytearray()
        return data

    # ------------------------------------------------------------------------ status
    def extra_status_bits(self) -> int:
        stb = 0
        if self.meas_event & self.meas_enable:
            stb |= MSB
        if self.ques_event & self.ques_enable:
            stb |= QSB
        if self.oper_event & self.oper_enable:
            stb |= OSB
        return stb


from .keithley_2182a_commands import COMMANDS  # noqa: E402  (the table needs the class above)

Keithley2182A.COMMANDS = COMMANDS

#: IEEE 488.2 common commands, with *CLS also clearing the SCPI event registers
