"""Keithley 6221 AC and DC Current Source emulator (622x-901-01, Reference Manual).

The command table follows the manual's SCPI command summary (section 14, tables in
alphabetical order of subsystem: DISPlay, FORMat, OUTPut, SENSe, SOURce, STATus, SYSTem,
TRACe, TRIGger/ARM/INITiate, UNIT); inside SOURce in the manual's order: current, delay,
sweep, list, Delta, Pulse Delta.

Physics coupling: with the output on, the level I drives the wired port (``connect: {output:
channel}``) through :meth:`SimWorld.set_source`, limited by the compliance: if |I| R_load
exceeds the compliance voltage the delivered current is compliance / R_load and the
compliance bit (B3) of the measurement condition/event register is set.  Output off is the
Normal/guard/open state of ``OUTP:ISH``: no current (the source is removed from the world).

Pulse Delta (manual section 5, "Pulse Delta") runs inside the emulator when the 6221 is
triggered (``INIT:IMM`` after ``SOUR:PDEL:ARM``).  One cycle of INT power-line cycles (fixed
output) or of the sweep delay (``SOUR:DEL`` / ``SOUR:LIST:DEL``, sweep output) is: on the first
three line-cycle edges a low, a high and a low pulse of ``WIDT``; the 2182A (linked over
RS-232 / Trigger Link, ``connect: {rs232: <address>}``) converts channel 1 from ``SDEL`` into
each pulse to the pulse's end (aperture = WIDT - SDEL, at least 34 us; a longer aperture runs
past the pulse and integrates the low level for the rest); between pulses and for the rest of
the cycle the output sits at the low level.  Readings (figure 5-9):
3-point ``(2B - A - C) / 2`` = ``B - (A + C)/2``; 2-point (``LME 2``) ``B - A``.
Delta (``SOUR:DELT``) alternates high and low every ``DELT:DEL`` and uses the 2182A's NPLC;
readings ``(A - 2B + C)/4 * (-1)^n`` (figure 5-7).

The buffer holds, per reading, what ``FORM:ELEM`` can ask for: the reading (in ``UNIT``),
the timestamp (s from the first reading, ``TRAC:TST:FORM ABS``; ``DELT`` gives the time
since the previous one), the reading number, the source level (I-High), the compliance
state and (Pulse Delta) nothing for AVOLtage (NAN = +9.9E37).  The manual gives no way to
read the individual low-level A/D conversions, so neither does the emulator: a protocol
reading the state after a write pulse uses the low level as read current and a separate
2182A reading, or the delta formula (for tests, the A/D triples of the last run are in
:attr:`Keithley6221.last_conversions`, a Python attribute only).

Not emulated -- commands of the manual's SCPI command summary (section 14) that the emulator
answers with ``-113,"Undefined header"``: the differential-conductance sweep
(``SOUR:DCONductance:STARt|STEP|STOP|DELTa|DELay|CABort|NVPResent|ARM``), the delta-mode reading
filter (``SENSe:AVERage[:STATe]|:TCONtrol|:WINDow|:COUNt``), the waveform external trigger
(``SOUR:WAVE:EXTRigger[:ENABle]|:ILINe|:IGNore|:IVALue``), ``SOUR:CURR:TRIGgered`` level,
``CALCulate`` math on Delta readings, ``FORMat:SREGister``, ``TRACe:FEED[:CONTrol]``,
``SYSTem:KEY``, ``SYSTem:POSetup``, ``SYSTem:PASSword``, ``SYSTem:COMMunicate:SELect|GPIB|
ETHernet`` (interface settings), ``SYSTem:RWLock``, ``*SAV``/``*RCL``, ``*OPT?`` (not a 622x
common command either).
"""
from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np

from ..scpi import (Args, Boolean, Choice, Cmd, Emulator, Numeric, ScpiError,
                    String, clear_status_registers, setting, status_preset_command,
                    status_register_commands, system_error_commands)
from ..timeline import Action, ActionProcess
from . import keithley_6221_delta as delta_modes
from . import keithley_6221_wave as wave
from .keithley_6221_delta import MIN_PULSE_APERTURE  # noqa: F401  (re-exported)
from .keithley_6221_sweep import SweepProcess

NAN = 9.9e37
#: source ranges (A); a range sources up to 105 % of its value (the 100 mA range 105 mA)
RANGES = (2e-9, 20e-9, 200e-9, 2e-6, 20e-6, 200e-6, 2e-3, 20e-3, 100e-3)
I_MAX = 105e-3
#: measurement event register bits (figure 11-6)
ROF, INT, TEMP, COMP, RAV, TN, BAV, BHF, BFL, BQF, B3QF = (1 << b for b in (0, 1, 2, 3, 5, 6, 7, 8, 9, 12, 13))
#: operation event register bits (figure 11-1)
CAL, SWPD, SWPA, SWP, RSE, TRIG, ARM, IDLE = (1 << b for b in (0, 1, 2, 3, 4, 5, 6, 10))
MSB, QSB, OSB = 1 << 0, 1 << 3, 1 << 7

def range_for(amps: float) -> float:
    for r in RANGES:
        if abs(amps) <= r * 1.05 + 1e-15:
            return r
    return RANGES[-1]


class CountOrInf(Numeric):
    """A count that also takes INFinite (answered as 9.9E37, as Keithley instruments do)."""

    def parse(self, token: str, current: Any = None) -> float:
        if token.strip().upper() in ("INF", "+INF", "INFINITE", "9.9E37", "+9.9E37"):
            return math.inf
        return super().parse(token, current)

    def format(self, value: Any) -> str:
        return "+9.900000E+37" if math.isinf(value) else str(int(value))


class NanovoltmeterLink:
    """The 6221's cables to a 2182A, through the world (:class:`sim_backend.links.Links`):
    the Trigger Link (a sweep step, a source-paced trigger, a Delta / Pulse Delta A/D
    conversion of a given aperture, a run of source-paced triggers taken at once) and the
    RS-232 pass-through (``SYST:COMM:SER:SEND`` / ``:ENT?``).  Each method is one message on
    the 2182A's input of that name; the 6221 holds an address, never the other emulator.  A
    trigger's answer is the 2182A's conversion as a timeline action (None: it does not take
    the trigger), which the 6221 waits for."""

    __slots__ = ("world", "address", "_send")

    def __init__(self, world, address: str):
        self.world, self.address = world, address
        self._send = world.links.send

    def external_trigger(self) -> Action | None:
        return self._send(self.address, "trigger_link.step")

    def linked_trigger(self) -> Action | None:
        return self._send(self.address, "trigger_link.source")

    def pulse_conversion(self, aperture: float) -> Action:
        return self._send(self.address, "trigger_link.convert", aperture)

    def delta_aperture(self) -> float:
        return self._send(self.address, "trigger_link.aperture")

    def linked_batch(self, n: int):
        return self._send(self.address, "trigger_link.batch", n)

    def store_linked_batch(self, v_start, v_end, r_end, windows, aperture: float) -> None:
        self._send(self.address, "trigger_link.batch_readings", v_start, v_end, r_end, windows,
                   aperture)

    def serial_write(self, data: bytes) -> None:
        self._send(self.address, "rs232.write", data)

    def serial_read(self) -> bytes:
        return self._send(self.address, "rs232.read")


class Keithley6221(Emulator):
    """Keithley 6221 current source driving a device port, with a linked 2182A."""

    IDN = "KEITHLEY INSTRUMENTS INC.,MODEL 6221,4123456,D03  /700x"
    ERROR_QUEUE_DEPTH = 10
    COMMAND_TIME = 1e-4
    #: output settling after a level change (s): FAST response, a few microseconds
    RISE_TIME = 3e-6

    def __init__(self, world, address: str, config: dict | None = None):
        cfg = dict(config or {})
        #: line frequency (Hz), a bench option (the instrument detects it at power-on)
        self.line_frequency = float(cfg.get("line_frequency", 60.0))
        #: the 2182A's end of the RS-232 / Trigger Link cables (a world connection), set by link()
        self.nanovoltmeter: NanovoltmeterLink | None = None
        self.last_conversions: list[tuple[float, ...]] = []
        world.check_port((cfg.get("connect") or {}).get("output", "channel"))
        super().__init__(world, address, config)

    def link(self, emulators: dict[str, Emulator] | None = None) -> None:
        """Wire the RS-232 port and Trigger Link to the 2182A at ``connect: {rs232: addr}``
        when an instrument there listens on them (a world connection: :mod:`..links`)."""
        addr = self.connect.get("rs232")
        if not addr:
            return
        from ..benches import canonical

        for a in (canonical(addr), addr):
            if self.world.links.listens(a, "trigger_link.convert"):
                self.nanovoltmeter = NanovoltmeterLink(self.world, a)
                return

    # ------------------------------------------------------------------------ state
    def reset(self) -> None:
        """*RST defaults (manual, default column of the command tables)."""
        self.settings.update({
            "level": 0.0, "range": 2e-3, "auto": False, "comp": 10.0, "filt": False,
            "delay": 1e-3, "output": False, "lte": False, "ish": "OLOW", "resp": "FAST",
            "swe_spac": "LINEAR", "swe_poin": 11, "swe_rang": "BEST", "swe_coun": 1,
            "swe_cab": False, "start": 0.0, "stop": 1e-3, "step": 1e-4,
            "list_curr": [0.0], "list_del": [1e-3], "list_comp": [10.0],
            "delt_high": 1e-3, "delt_low": -1e-3, "delt_del": 2e-3, "delt_coun": math.inf,
            "delt_cab": False, "delt_csw": False,
            "pdel_high": 1e-3, "pdel_low": 0.0, "pdel_widt": 110e-6, "pdel_sdel": 16e-6,
            "pdel_coun": math.inf, "pdel_rang": "BEST", "pdel_int": 5, "pdel_swe": False,
            "pdel_lme": 3, "pdel_csw": False,
            "trac_poin": 65536, "trac_tst": "ABSOLUTE", "trac_not": 1,
            "form_data": "ASCII", "form_bord": "SWAPPED", "form_elem": ("READING", "TSTAMP"),
            "unit": "V", "unit_pow": "PEAK",
            "trig_sour": "IMMEDIATE", "trig_dir": "ACCEPTOR", "trig_ilin": 2, "trig_olin": 1,
            "trig_outp": "NONE", "arm_sour": "IMMEDIATE", "arm_tim": 0.1, "arm_dir": "ACCEPTOR",
            "arm_ilin": 1, "arm_olin": 2, "arm_outp": "NONE", "disp_enab": True,
            "disp_text_stat": False, "baud": "19200", "beep": True,
            **wave.DEFAULTS,
        })
        self.arb_waveforms: dict[int, list[float]] = {}
        self.wave_running = False
        self.meas_cond = self.meas_event = self.meas_enable = 0
        self.oper_event = self.oper_enable = 0
        self.ques_event = self.ques_enable = 0
        self.buffer: list[dict[str, float]] = []
        self.buffer_type = "NONE"
        self.armed: str | None = None    #: "SWE", "DELT" or "PDEL"
        self.stop_sweep()
        self._pre_arm_output = False
        self._waiting_trigger = False
        self.delivered = 0.0
        if hasattr(self, "world"):
            self._apply_output()

    def on_cls(self) -> None:
        """``*CLS`` also clears the measurement, operation and questionable event registers."""
        clear_status_registers(self)

    def on_clear(self) -> None:
        self._waiting_trigger = False

    # ------------------------------------------------------------------------ output physics
    @property
    def port(self) -> str:
        return self.connect.get("output", "channel")

    @property
    def plc(self) -> float:
        return 1.0 / self.line_frequency

    def _output(self, amps: float | None, compliance: float | None = None) -> tuple[float, bool, bool]:
        """Put ``amps`` on the output (None: output off) through the compliance limit:
        ``(delivered, limited, changed)`` -- whether the level changed (its rise time)."""
        if amps is None:
            self.world.set_source_off(self.address)
            self.delivered = 0.0
            self.meas_cond &= ~COMP
            return 0.0, False, False
        comp = self.settings["comp"] if compliance is None else compliance
        r = self.world.port_resistance(self.port)
        limited = abs(amps) * r > comp
        delivered = math.copysign(comp / r, amps) if limited else amps
        changed = delivered != self.delivered or self.address not in self.world.sources
        if changed:
            self.world.set_source(self.address, self.port, delivered)
        self.delivered = delivered
        self.set_compliance_flags(limited, limited)
        return delivered, limited, changed

    def _drive(self, amps: float | None, compliance: float | None = None) -> tuple[float, bool]:
        """:meth:`_output`, then the output's rise time passes (a command, not a process)."""
        delivered, limited, changed = self._output(amps, compliance)
        if changed:
            self.world.advance(self.RISE_TIME)
        return delivered, limited

    def _drive_steps(self, amps: float | None, compliance: float | None = None) -> Action:
        """:meth:`_drive` as a timeline action (inside a sweep or a Delta run)."""
        delivered, limited, changed = self._output(amps, compliance)
        if changed:
            yield self.RISE_TIME
        return delivered, limited

    def set_compliance_flags(self, now: bool, any_since: bool) -> None:
        """Compliance bit (B3) of the measurement condition (``now``) and event (``any_since``)
        registers."""
        if now:
            self.meas_cond |= COMP
        else:
            self.meas_cond &= ~COMP
        if any_since:
            self.meas_event |= COMP

    def _apply_output(self) -> None:
        """DC state: the programmed level while the output is on, nothing while it is off."""
        if self.armed is not None:
            return
        s = self.settings
        self._drive(s["level"] if s["output"] else None)

    # ------------------------------------------------------------------------ arming
    def _require_nv(self):
        if self.nanovoltmeter is None:
            raise ScpiError(-241, "no 2182A on the RS-232 link")
        return self.nanovoltmeter

    def arm(self, mode: str) -> None:
        """Arm Sweep, Delta or Pulse Delta (arming one un-arms the others; manual 5-34)."""
        s = self.settings
        if mode in ("DELT", "PDEL"):
            self._require_nv()
        if mode == "PDEL":
            if s["pdel_rang"] == "FIXED" and not s["pdel_swe"]:
                if max(abs(s["pdel_high"]), abs(s["pdel_low"])) > s["range"] * 1.05:
                    raise ScpiError(-221, "pulse level exceeds the fixed source range")
        if mode == "SWE" or (mode == "PDEL" and s["pdel_swe"]):
            if not self._sweep_points():
                raise ScpiError(-221, "empty sweep")
        if self.armed is None:
            self._pre_arm_output = s["output"]
        self.armed = mode
        # the buffer is cleared and sized to the count when Delta / Pulse Delta is armed
        if mode in ("DELT", "PDEL"):
            count = self._run_count(mode)
            s["trac_poin"] = int(min(count, 65536))
            self.buffer = []
            self.meas_event &= ~(BAV | BHF | BFL | BQF | B3QF)
            self.meas_cond &= ~(BAV | BHF | BFL | BQF | B3QF)
            self.buffer_type = mode
        s["output"] = True
        low = {"DELT": s["delt_low"], "PDEL": s["pdel_low"]}.get(mode)
        self._drive(low if low is not None else s["level"])
        self.oper_event |= ARM

    def disarm(self) -> None:
        """SOUR:SWE:ABOR: un-arm and return to the DC state the output had before arming."""
        self.stop_sweep()
        if self.armed is None:
            return
        self.armed = None
        self._waiting_trigger = False
        self.settings["output"] = self._pre_arm_output
        self.oper_event |= SWPA
        self._apply_output()

    def initiate(self) -> None:
        if self.armed is None:
            return
        if self.sweep is not None:
            raise ScpiError(-213, "sweep running")
        if self.settings["trig_sour"] != "IMMEDIATE" or self.settings["arm_sour"] not in ("IMMEDIATE",):
            self._waiting_trigger = True
            return
        self._run()

    def on_trigger(self) -> None:
        if self._waiting_trigger:
            self._waiting_trigger = False
            self._run()

    def _run(self) -> None:
        self.oper_event |= SWP
        mode = self.armed
        if mode == "SWE":
            self._start_sweep()
            return
        if mode == "WAVE":
            wave.run(self)
            self.oper_event |= SWPD
            return
        # Delta / Pulse Delta run on the world's timeline (manual 5-13, 5-21): INIT returns at
        # once, the readings fill the buffer as the clock advances, *OPC? waits for the end
        action = (delta_modes.delta if mode == "DELT" else delta_modes.pulse_delta)(self)
        self.sweep = ActionProcess(action, on_done=self._delta_done, name=f"6221 {mode}")
        self.world.start(self.sweep)

    def _delta_done(self, _result: object) -> None:
        self.sweep = None
        self.oper_event |= SWPD
        self.operation_complete()

    # ------------------------------------------------------------------------ the sweep process
    #: the sweep (:mod:`.keithley_6221_sweep`) or Delta / Pulse Delta run on the timeline, or None
    sweep: "SweepProcess | ActionProcess | None" = None

    def _start_sweep(self) -> None:
        s = self.settings
        points = self._sweep_points()
        count = s["swe_coun"]
        reps = int(count) if math.isfinite(count) else 1
        n = len(points)
        self.sweep = SweepProcess(self, points, [self._point_delay(i) for i in range(n)],
                                  [self._point_comp(i) for i in range(n)], reps, self._swept)
        self.world.start(self.sweep)

    def _swept(self, completed: bool) -> None:
        """End of the sweep process: sweep done, or (compliance abort) disarmed."""
        self.sweep = None
        if completed:
            self.oper_event |= SWPD
        else:
            self.armed = None
            self._waiting_trigger = False
            self.settings["output"] = self._pre_arm_output
            self.oper_event |= SWPA
            # the DC state from before arming (the rise time is not waited for: the process
            # has ended inside a step of the timeline)
            self._output(self.settings["level"] if self._pre_arm_output else None)
        self.operation_complete()

    def stop_sweep(self) -> None:
        """Take a running sweep off the timeline (SOUR:SWE:ABOR, *RST)."""
        sweep = self.__dict__.get("sweep")
        if sweep is not None:
            self.sweep = None
            self.world.cancel(sweep)

    def operations(self) -> tuple:
        """A running sweep (what *OPC?, *WAI and *OPC wait for)."""
        return () if self.sweep is None else (self.sweep,)

    # ------------------------------------------------------------------------ sweeps
    def _sweep_points(self) -> list[float]:
        s = self.settings
        if s["swe_spac"] == "LIST":
            return list(s["list_curr"])
        n = int(s["swe_poin"])
        if s["swe_spac"] == "LOGARITHMIC":
            if s["start"] == 0 or s["stop"] == 0 or (s["start"] > 0) != (s["stop"] > 0):
                return []
            return list(np.sign(s["start"]) * np.geomspace(abs(s["start"]), abs(s["stop"]), n))
        return list(np.linspace(s["start"], s["stop"], n)) if n > 1 else [s["start"]]

    def _point_delay(self, i: int) -> float:
        s = self.settings
        if s["swe_spac"] == "LIST":
            d = s["list_del"]
            return d[i] if i < len(d) else d[-1]
        return s["delay"]

    def _point_comp(self, i: int) -> float:
        s = self.settings
        if s["swe_spac"] == "LIST":
            c = s["list_comp"]
            return c[i] if i < len(c) else c[-1]
        return s["comp"]

    # ------------------------------------------------------------------------ delta modes
    def _run_count(self, mode: str) -> float:
        s = self.settings
        if mode == "PDEL" and s["pdel_swe"]:
            reps = s["swe_coun"] if math.isfinite(s["swe_coun"]) else 1
            return reps * len(self._sweep_points())
        return s["delt_coun"] if mode == "DELT" else s["pdel_coun"]

    # ------------------------------------------------------------------------ buffer output
    def _elements(self) -> tuple[str, ...]:
        return self.settings["form_elem"]

    def format_records(self, records: list[dict[str, float]]) -> str | bytes:
        s = self.settings
        elems = [e for e in ("READ", "TST", "RNUM", "SOUR", "COMP", "AVOL")
                 if _ELEM_NAMES[e] in self._elements()]
        if s["form_data"] in ("REAL32", "SREAL", "REAL64", "DREAL"):
            code = "f" if s["form_data"] in ("REAL32", "SREAL") else "d"
            order = "<" if s["form_bord"] == "SWAPPED" else ">"
            values = [r[e] for r in records for e in elems]
            return b"#0" + struct.pack(order + code * len(values), *values)
        unit = _UNIT_TEXT[s["unit"]] if "UNITS" in self._elements() else ""
        out = []
        for r in records:
            for e in elems:
                if e == "READ":
                    out.append(f"{r[e]:+.6E}{unit}")
                elif e in ("RNUM", "COMP"):
                    out.append(f"{int(r[e]):+d}" if e == "RNUM" else f"{int(r[e])}")
                else:
                    out.append(f"{r[e]:+.6E}")
        return ",".join(out)

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


_ELEM_NAMES = {"READ": "READING", "TST": "TSTAMP", "RNUM": "RNUMBER", "SOUR": "SOURCE",
               "COMP": "COMPLIANCE", "AVOL": "AVOLTAGE"}
_UNIT_TEXT = {"V": "V", "OHMS": "OHM", "W": "W", "SIEMENS": "SIE"}


# ============================================================================ handlers
_BOOL = Boolean()
_AMPS = Numeric(-I_MAX, I_MAX, default=0.0, unit="A")
_COMP = Numeric(0.1, 105.0, default=10.0, unit="V")


def _set_level(dev: Keithley6221, args: Args) -> None:
    value = args.one(_AMPS, dev.settings["level"])
    s = dev.settings
    if s["auto"] or abs(value) > s["range"] * 1.05:
        s["range"] = range_for(value)  # auto range; a fixed range goes up, never down
    s["level"] = value
    dev._apply_output()


def _set_range(dev: Keithley6221, args: Args) -> None:
    value = args.one(Numeric(-I_MAX, I_MAX, default=2e-3, unit="A"))
    s = dev.settings
    s["range"] = range_for(value)
    s["auto"] = False
    if abs(s["level"]) > s["range"] * 1.05:
        s["level"] = math.copysign(s["range"] * 1.05, s["level"])
        dev.push_error(-221, "level exceeds the new range")
    dev._apply_output()


def _numeric_list(dev: Keithley6221, args: Args, key: str, item: Numeric, append: bool) -> None:
    if not args.tokens:
        raise ScpiError(-109)
    values = [item.parse(t) for t in args.tokens]
    current = dev.settings[key] if append else []
    if len(current) + len(values) > 65535:
        raise ScpiError(-222, "list longer than 65535 points")
    dev.settings[key] = list(current) + values


def _list_cmds(name: str, key: str, item: Numeric) -> list[Cmd]:
    base = f"[SOURce[1]]:LIST:{name}"
    return [
        Cmd(base, lambda d, a: _numeric_list(d, a, key, item, False),
            lambda d, a: ",".join(item.format(v) for v in d.settings[key])),
        Cmd(f"{base}:APPend", lambda d, a: _numeric_list(d, a, key, item, True)),
        Cmd(f"{base}:POINts", query=lambda d, a: len(d.settings[key])),
    ]


def _sweep_coupled(key: str):
    """STARt/STOP/STEP/CENTer/SPAN/POINts are coupled (manual 4-22, "Coupled sweep commands")."""

    def _set(dev: Keithley6221, args: Args) -> None:
        s = dev.settings
        if key == "swe_poin":
            s["swe_poin"] = args.one(Numeric(1, 65535, default=11, integer=True))
        elif key in ("start", "stop"):
            s[key] = args.one(_AMPS)
        elif key == "step":
            step = args.one(Numeric(-I_MAX * 2, I_MAX * 2, default=1e-4, unit="A"))
            span = s["stop"] - s["start"]
            if step == 0 or (span and (span > 0) != (step > 0)):
                raise ScpiError(-221, "step does not reach stop")
            s["step"] = step
            s["swe_poin"] = int(math.floor(abs(span / step) + 1e-9)) + 1
            return
        elif key in ("center", "span"):
            center = (s["start"] + s["stop"]) / 2
            span = s["stop"] - s["start"]
            value = args.one(Numeric(-2 * I_MAX, 2 * I_MAX, unit="A"))
            center, span = (value, span) if key == "center" else (center, value)
            start, stop = center - span / 2, center + span / 2
            if max(abs(start), abs(stop)) > I_MAX:
                raise ScpiError(-222)
            s["start"], s["stop"] = start, stop
        n = s["swe_poin"]
        s["step"] = (s["stop"] - s["start"]) / (n - 1) if n > 1 else 0.0

    def _query(dev: Keithley6221, args: Args) -> str:
        s = dev.settings
        if key == "swe_poin":
            return str(s["swe_poin"])
        if key == "center":
            return f"{(s['start'] + s['stop']) / 2:.6E}"
        if key == "span":
            return f"{s['stop'] - s['start']:.6E}"
        return f"{s[key]:.6E}"

    return _set, _query


def _armer(mode: str):
    def _set(dev: Keithley6221, args: Args) -> None:
        args.none()
        dev.arm(mode)
    return Cmd({"SWE": "[SOURce[1]]:SWEep:ARM", "DELT": "[SOURce[1]]:DELTa:ARM",
                "PDEL": "[SOURce[1]]:PDELta:ARM"}[mode], _set, lambda d, a: int(d.armed == mode))


def _abort(dev: Keithley6221, args: Args) -> None:
    args.none()
    dev.disarm()


def _init(dev: Keithley6221, args: Args) -> None:
    args.none()
    dev.initiate()


def _serial_send(dev: Keithley6221, args: Args) -> None:
    text = args.one(String(max_length=1024))
    if dev.nanovoltmeter is not None:
        dev.world.advance(len(text) * 10 / 19200)  # 19.2 kbaud, 10 bits a character
        dev.nanovoltmeter.serial_write(text.encode("latin-1") + b"\n")


def _serial_enter(dev: Keithley6221, args: Args) -> str:
    if dev.nanovoltmeter is None:
        return ""
    data = dev.nanovoltmeter.serial_read()
    dev.world.advance(len(data) * 10 / 19200)
    return data.decode("latin-1").rstrip("\r\n").replace("\r", ",")


def _trac_clear(dev: Keithley6221, args: Args) -> None:
    args.none()
    dev.buffer = []
    dev.buffer_type = "NONE"
    dev.meas_cond &= ~(BAV | BHF | BFL | BQF | B3QF)


def _trac_data(dev: Keithley6221, args: Args) -> str | bytes:
    args.none()
    if not dev.buffer:
        raise ScpiError(-230, "buffer empty")
    return dev.format_records(dev.buffer)


def _trac_data_sel(dev: Keithley6221, args: Args) -> str | bytes:
    if len(args.tokens) != 2:
        raise ScpiError(-109 if len(args.tokens) < 2 else -108)
    start = Numeric(0, 65535, integer=True).parse(args.tokens[0])
    count = Numeric(1, 65536, integer=True).parse(args.tokens[1])
    if start + count > len(dev.buffer):
        raise ScpiError(-222, "beyond the stored readings")
    return dev.format_records(dev.buffer[start:start + count])


def _sens_data(dev: Keithley6221, args: Args) -> str | bytes:
    if not dev.buffer:
        raise ScpiError(-230)
    return dev.format_records(dev.buffer[-1:])


def _form_data(dev: Keithley6221, args: Args) -> None:
    if not args.tokens:
        raise ScpiError(-109)
    name = Choice(("ASCii", "REAL", "SREal", "DREal")).parse(args.tokens[0])
    if name == "REAL":
        bits = Numeric(32, 64, integer=True).parse(args.tokens[1]) if len(args.tokens) > 1 else 32
        if bits not in (32, 64):
            raise ScpiError(-224, str(bits))
        name = f"REAL{bits}"
    elif len(args.tokens) > 1:
        raise ScpiError(-108)
    dev.settings["form_data"] = name


def _form_data_q(dev: Keithley6221, args: Args) -> str:
    return {"ASCII": "ASC", "REAL32": "REAL,32", "REAL64": "REAL,64", "SREAL": "SRE",
            "DREAL": "DRE"}[dev.settings["form_data"]]


_ELEM = Choice(("READing", "TSTamp", "UNITs", "RNUMber", "SOURce", "COMPliance", "AVOLtage"))


def _form_elem(dev: Keithley6221, args: Args) -> None:
    if not args.tokens:
        raise ScpiError(-109)
    names = [t.strip().upper() for t in args.tokens]
    if names in (["ALL"],):
        elems = tuple(_ELEM.parse(o) for o in _ELEM.options)
    elif names in (["DEF"], ["DEFAULT"]):
        elems = ("READING", "TSTAMP")
    else:
        elems = tuple(_ELEM.parse(t) for t in args.tokens)
    dev.settings["form_elem"] = elems


def _oper_condition(dev: Keithley6221) -> int:
    return (IDLE if dev.armed is None else 0) | (SWP if dev.sweep is not None else 0)


def _syst_preset(dev: Keithley6221, args: Args) -> None:
    args.none()
    dev.reset()


def _setting_then(pattern, key, ptype, after=lambda d, v: d._apply_output()):
    return setting(pattern, key, ptype, on_set=after)


_SRC = "[SOURce[1]]"
_set_start, _q_start = _sweep_coupled("start")
_set_stop, _q_stop = _sweep_coupled("stop")
_set_step, _q_step = _sweep_coupled("step")
_set_cent, _q_cent = _sweep_coupled("center")
_set_span, _q_span = _sweep_coupled("span")
_set_poin, _q_poin = _sweep_coupled("swe_poin")

# The command table, in the order of the manual's SCPI command summary (section 14).
COMMANDS: list[Cmd] = [
    # --- DISPlay
    setting("DISPlay:ENABle", "disp_enab", _BOOL),
    Cmd("DISPlay[:WINDow<n>]:TEXT[:DATA]", lambda d, a: d.settings.__setitem__("disp_text", a.one(String(max_length=20))),
        lambda d, a: String().format(d.settings.get("disp_text", ""))),
    setting("DISPlay[:WINDow<n>]:TEXT:STATe", "disp_text_stat", _BOOL),
    # --- FORMat
    Cmd("FORMat[:DATA]", _form_data, _form_data_q),
    Cmd("FORMat:ELEMents", _form_elem, lambda d, a: ",".join(_ELEM.format(e) for e in d.settings["form_elem"])),
    setting("FORMat:BORDer", "form_bord", Choice(("NORMal", "SWAPped"))),
    # --- OUTPut
    _setting_then("OUTPut[1][:STATe]", "output", _BOOL),
    setting("OUTPut[1]:LTEarth", "lte", _BOOL),
    setting("OUTPut[1]:ISHield", "ish", Choice(("OLOW", "GUARd"))),
    setting("OUTPut[1]:RESPonse", "resp", Choice(("FAST", "SLOW"))),
    Cmd("OUTPut[1]:INTerlock:TRIPped", query=lambda d, a: 0),
    # --- SENSe (readings of the Delta modes)
    Cmd("SENSe[1]:DATA[:LATest]", query=_sens_data),
    # --- SOURce: current
    Cmd(f"{_SRC}:CLEar[:IMMediate]", lambda d, a: (a.none(), d.settings.__setitem__("output", False), d._apply_output())),
    Cmd(f"{_SRC}:CURRent[:LEVel][:IMMediate][:AMPLitude]", _set_level,
        lambda d, a: _AMPS.format(a.one(_AMPS)) if a.tokens else _AMPS.format(d.settings["level"])),
    Cmd(f"{_SRC}:CURRent:RANGe", _set_range, lambda d, a: f"{d.settings['range']:.6E}"),
    setting(f"{_SRC}:CURRent:RANGe:AUTO", "auto", _BOOL),
    _setting_then(f"{_SRC}:CURRent:COMPliance", "comp", _COMP),
    setting(f"{_SRC}:CURRent:FILTer[:STATe]", "filt", _BOOL),
    # --- SOURce: sweep (section 4)
    setting(f"{_SRC}:DELay", "delay", Numeric(1e-3, 999999.999, default=1e-3, unit="S")),
    setting(f"{_SRC}:SWEep:SPACing", "swe_spac", Choice(("LINear", "LOGarithmic", "LIST"))),
    Cmd(f"{_SRC}:SWEep:POINts", _set_poin, _q_poin),
    setting(f"{_SRC}:SWEep:RANGing", "swe_rang", Choice(("BEST", "AUTO", "FIXed"))),
    setting(f"{_SRC}:SWEep:COUNt", "swe_coun", CountOrInf(1, 9999, default=1, integer=True)),
    setting(f"{_SRC}:SWEep:CABort", "swe_cab", _BOOL),
    _armer("SWE"),
    Cmd(f"{_SRC}:SWEep:ABORt", _abort),
    Cmd(f"{_SRC}:CURRent:STARt", _set_start, _q_start),
    Cmd(f"{_SRC}:CURRent:STOP", _set_stop, _q_stop),
    Cmd(f"{_SRC}:CURRent:STEP", _set_step, _q_step),
    Cmd(f"{_SRC}:CURRent:CENTer", _set_cent, _q_cent),
    Cmd(f"{_SRC}:CURRent:SPAN", _set_span, _q_span),
    *_list_cmds("CURRent", "list_curr", _AMPS),
    *_list_cmds("DELay", "list_del", Numeric(1e-3, 999999.999, unit="S")),
    *_list_cmds("COMPliance", "list_comp", _COMP),
    # --- SOURce: Delta (section 5)
    setting(f"{_SRC}:DELTa:HIGH", "delt_high", Numeric(0.0, I_MAX, default=1e-3, unit="A"),
            on_set=lambda d, v: d.settings.__setitem__("delt_low", -v)),
    setting(f"{_SRC}:DELTa:LOW", "delt_low", Numeric(-I_MAX, 0.0, default=-1e-3, unit="A")),
    setting(f"{_SRC}:DELTa:DELay", "delt_del", Numeric(1e-3, 9999.999, default=2e-3, unit="S")),
    setting(f"{_SRC}:DELTa:COUNt", "delt_coun", CountOrInf(1, 65536, default=math.inf, integer=True)),
    setting(f"{_SRC}:DELTa:CABort", "delt_cab", _BOOL),
    setting(f"{_SRC}:DELTa:CSWitch", "delt_csw", _BOOL),
    Cmd(f"{_SRC}:DELTa:NVPResent", query=lambda d, a: int(d.nanovoltmeter is not None)),
    _armer("DELT"),
    # --- SOURce: Pulse Delta (section 5, 6221 only)
    setting(f"{_SRC}:PDELta:HIGH", "pdel_high", Numeric(-I_MAX, I_MAX, default=1e-3, unit="A")),
    setting(f"{_SRC}:PDELta:LOW", "pdel_low", Numeric(-I_MAX, I_MAX, default=0.0, unit="A")),
    setting(f"{_SRC}:PDELta:WIDTh", "pdel_widt", Numeric(50e-6, 12e-3, default=110e-6, unit="S")),
    setting(f"{_SRC}:PDELta:SDELay", "pdel_sdel", Numeric(16e-6, 11.966e-3, default=16e-6, unit="S")),
    setting(f"{_SRC}:PDELta:COUNt", "pdel_coun", CountOrInf(1, 65536, default=math.inf, integer=True)),
    setting(f"{_SRC}:PDELta:RANGing", "pdel_rang", Choice(("BEST", "FIXed"))),
    setting(f"{_SRC}:PDELta:INTerval", "pdel_int", Numeric(5, 999999, default=5, integer=True)),
    setting(f"{_SRC}:PDELta:SWEep[:STATe]", "pdel_swe", _BOOL),
    setting(f"{_SRC}:PDELta:LMEasure", "pdel_lme", Numeric(2, 3, default=3, integer=True)),
    setting(f"{_SRC}:PDELta:CSWitch", "pdel_csw", _BOOL),
    Cmd(f"{_SRC}:PDELta:NVPResent", query=lambda d, a: int(d.nanovoltmeter is not None)),
    _armer("PDEL"),
    # --- SOURce: waveform (6221, SOUR:WAVE..., section 6): keithley_6221_wave
    *wave.wave_rows(_SRC),
    # --- STATus
    *status_register_commands("MEASurement", lambda d: d.meas_cond),
    *status_register_commands("OPERation", _oper_condition),
    *status_register_commands("QUEStionable"),
    status_preset_command(),
    Cmd("STATus:QUEue[:NEXT]", query=lambda d, a: d.pop_error()),
    Cmd("STATus:QUEue:ENABle", lambda d, a: None, lambda d, a: "(-440:+958)"),
    Cmd("STATus:QUEue:DISable", lambda d, a: None, lambda d, a: "()"),
    Cmd("STATus:QUEue:CLEar", lambda d, a: d.errors.clear()),
    # --- SYSTem
    *system_error_commands(),
    Cmd("SYSTem:PRESet", _syst_preset),
    Cmd("SYSTem:LFRequency", query=lambda d, a: int(d.line_frequency)),
    Cmd("SYSTem:COMMunicate:SERial:SEND", _serial_send),
    Cmd("SYSTem:COMMunicate:SERial:ENTer", query=_serial_enter),
    setting("SYSTem:COMMunicate:SERial:BAUD", "baud", Choice(("300", "600", "1200", "2400", "4800", "9600", "19200", "38400", "57600", "115200"))),
    Cmd("SYSTem:BEEPer[:IMMediate]", lambda d, a: None),
    setting("SYSTem:BEEPer:STATe", "beep", _BOOL),
    # --- TRACe
    Cmd("TRACe:CLEar", _trac_clear),
    Cmd("TRACe:FREE", query=lambda d, a: f"{(65536 - len(d.buffer)) * 24},{len(d.buffer) * 24}"),
    setting("TRACe:POINts", "trac_poin", Numeric(1, 65536, default=65536, integer=True)),
    Cmd("TRACe:POINts:ACTual", query=lambda d, a: len(d.buffer)),
    setting("TRACe:NOTify", "trac_not", Numeric(1, 65536, default=1, integer=True)),
    setting("TRACe:TSTamp:FORMat", "trac_tst", Choice(("ABSolute", "DELTa"))),
    Cmd("TRACe:DATA", query=_trac_data),
    Cmd("TRACe:DATA:SELected", query=_trac_data_sel),
    Cmd("TRACe:DATA:TYPE", query=lambda d, a: d.buffer_type),
    # --- TRIGger / ARM / INITiate / ABORt
    Cmd("INITiate[:IMMediate]", _init),
    Cmd("ABORt", lambda d, a: setattr(d, "_waiting_trigger", False)),
    setting("ARM[:SEQuence[1]][:LAYer[1]]:SOURce", "arm_sour",
            Choice(("IMMediate", "TIMer", "BUS", "TLINk", "BSTest", "PSTest", "NSTest", "MANual"))),
    setting("ARM[:SEQuence[1]][:LAYer[1]]:TIMer", "arm_tim", Numeric(1e-3, 99999.99, default=0.1)),
    setting("ARM[:SEQuence[1]][:LAYer[1]]:DIRection", "arm_dir", Choice(("SOURce", "ACCeptor"))),
    setting("ARM[:SEQuence[1]][:LAYer[1]][:TCONfigure]:ILINe", "arm_ilin", Numeric(1, 6, integer=True)),
    setting("ARM[:SEQuence[1]][:LAYer[1]][:TCONfigure]:OLINe", "arm_olin", Numeric(1, 6, integer=True)),
    setting("ARM[:SEQuence[1]][:LAYer[1]]:OUTPut", "arm_outp", Choice(("TENTer", "TEXit", "NONE"))),
    setting("TRIGger[:SEQuence[1]]:SOURce", "trig_sour", Choice(("IMMediate", "TLINk", "BUS"))),
    setting("TRIGger[:SEQuence[1]]:DIRection", "trig_dir", Choice(("SOURce", "ACCeptor"))),
    setting("TRIGger[:SEQuence[1]][:TCONfigure]:ILINe", "trig_ilin", Numeric(1, 6, integer=True)),
    setting("TRIGger[:SEQuence[1]][:TCONfigure]:OLINe", "trig_olin", Numeric(1, 6, integer=True)),
    setting("TRIGger[:SEQuence[1]]:OUTPut", "trig_outp", Choice(("SOURce", "DELay", "NONE"))),
    Cmd("TRIGger[:SEQuence[1]]:SIGNal", lambda d, a: d.on_trigger()),
    # --- UNIT
    setting("UNIT[:VOLTage][:DC]", "unit", Choice(("V", "OHMS", "W", "SIEMens"))),
    setting("UNIT:POWer[:TYPE]", "unit_pow", Choice(("PEAK", "AVERage"))),
    # ":*CLS" (a common command after a root colon, as pymeasure's reset() sends) is accepted
]

Keithley6221.COMMANDS = COMMANDS

#: IEEE 488.2 common commands, with *CLS also clearing the SCPI event registers
