"""Keithley Model 2450 Interactive SourceMeter, SCPI command set (2450 Reference Manual,
section 6 "SCPI command reference", and appendix B "Common commands").

Command table in the manual's order of subsystems: *LANG, :FETCh/:MEASure/:READ, :ROUTe,
[:SENSe[1]], :SOURce[1], :STATus, :SYSTem, :TRACe, :TRIGger/:INITiate/:ABORt, :OUTPut.
``<function>`` rows are generated per function, as the manual prints them once.

Physics.  With the output on, the source drives the ``output`` port of the device:
current source ``I`` limited by ``VLIMit`` on the port resistance (``|I| R <= VLIM``, the
limit trips), voltage source ``V`` as ``V/R`` limited by ``ILIMit``.  A voltage reading
integrates ``NPLC / line frequency`` seconds of :meth:`SimWorld.measure_voltage` on the
``sense`` port with remote sense (``RSENse ON``, 4-wire) or on the ``output`` port (2-wire),
plus the instrument's own noise (assumed 1.5 ppm of range rms at 1 PLC, falling as
1/sqrt(NPLC)).  A reading beyond 105 % of a fixed range is the overflow value 9.9E37.
Before the readings of a :READ?/:MEASure?/:TRACe:TRIGger the source delay elapses, so
``:SOUR:CURR:DEL 0.01;:SOUR:CURR 5e-3;:READ?`` leaves 5 mA on the device for 10 ms plus the
aperture.  Readings go to reading buffers (defbuffer1/2 and :TRACe:MAKE ones) with the source
value, a time stamp and a status.

Trigger model on the world's timeline (issue 16).  ``:INITiate`` runs the loaded trigger model
-- a ``:SOUR:SWE:<fn>:LIN|LIST`` sweep, a ``:TRIG:LOAD "SimpleLoop"``, or else one
``:COUNt`` acquisition -- as an operation on the world's timeline
(:mod:`sim_backend.timeline`): the command returns at once and each point (source level, source
delay, sweep delay, measurement) happens when the world clock reaches it, so a command to
another instrument in the middle of a sweep takes effect in the middle of it and the readings
of its points carry their own time stamps.  Meanwhile ``:TRACe:ACTual?`` and ``:TRACe:DATA?``
give what is stored so far and ``:TRIGger:STATe?`` answers ``RUNNING;RUNNING;<n>``, then
``IDLE;IDLE;<n>`` (``ABORTED;ABORTED;<n>`` after ``:ABORt``; the emulator's block number ``n`` is 1
plus the readings the model made -- the manual's numbers the blocks of its templates, which are
not emulated); ``*OPC?`` and ``*WAI`` wait for the model to finish, ``*OPC`` sets the OPC bit
then; ``:READ?``, ``:MEASure?`` and ``:TRACe:TRIGger`` wait for it too before
their own (blocking) readings; ``:ABORt``, ``*RST`` and device clear stop it.  A sweep ends with
the source level and output state it started with (the emulator's rule for the sweep templates).

Wiring: ``connect: {output: <port>, sense: <port>}``.

Not emulated -- commands of the manual's SCPI command reference (section 6) that the emulator
answers with ``-113,"Undefined header"``: autorange limits (``[:SENS]:<fn>:RANGe:AUTO:LLIMit|
ULIMit``), relative offset (``[:SENS]:<fn>:RELative[:STATe]|:ACQuire``), offset-compensated
ohms (``:OCOMpensated``), measure units (``[:SENS]:<fn>:UNIT``), ``:CALCulate`` math and limit
tests, source protection (``:SOUR:<fn>:PROTection``), high capacitance mode (``:HIGH:CAP``),
configuration lists (``:SOUR|:SENS:CONFiguration:LIST:*``), the trigger-model blocks
(``:TRIGger:BLOCk:*``), timers, LAN and digital-I/O triggers (``:TRIG:TIMer``, ``:TRIG:LAN``,
``:TRIG:DIGital``, ``:DIGital:*``), buffer fill mode, saving and writing (``:TRACe:FILL:MODE``,
``:TRACe:SAVE``, ``:TRACe:WRITe``, ``:TRACe:UNIT``), ``:DISPlay:*``, ``:FORMat:*``, ``:SCRipt:RUN``,
``:SYSTem`` settings beyond the error queue, the status-model enables and maps
(``:STATus:*:ENABle|:MAP``), ``*SAV``/``*RCL``, ``*OPT?`` (not a 2450 common command).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from ..scpi import (Args, Boolean, Choice, Cmd, Emulator, Numeric, ScpiError, String,
                    system_error_commands)
from ..timeline import Action, ActionProcess, run_now
from . import keithley_2450_extras as extras

#: ranges (manual: source/measure range tables)
CURRENT_RANGES = (10e-9, 100e-9, 1e-6, 10e-6, 100e-6, 1e-3, 10e-3, 100e-3, 1.0)
VOLTAGE_RANGES = (20e-3, 200e-3, 2.0, 20.0, 200.0)
RESISTANCE_RANGES = (20.0, 200.0, 2e3, 20e3, 200e3, 2e6, 20e6, 200e6)
OVERFLOW = 9.9e37
#: instrument noise, fraction of range rms at 1 PLC (assumed from the 6.5-digit resolution)
NOISE_PPM_OF_RANGE = 1.5e-6
#: time stamps count from here (virtual clock 0)
EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z

SENSE_NAMES = {"VOLT:DC": "VOLTAGE", "CURR:DC": "CURRENT", "RES": "RESISTANCE"}
SENSE_UNITS = {"VOLT:DC": "Volt DC", "CURR:DC": "Amp DC", "RES": "Ohm"}
SOURCE_UNITS = {"CURRENT": "Amp DC", "VOLTAGE": "Volt DC"}
ELEMENTS = ("DATE", "FORMatted", "FRACtional", "READing", "RELative", "SEConds", "SOURce",
            "SOURFORMatted", "SOURSTATus", "SOURUNIT", "STATus", "TIME", "TSTamp", "UNIT")


@dataclass
class Reading:
    value: float
    source: float
    t: float
    unit: str
    source_unit: str
    status: int = 0
    source_status: int = 0


@dataclass
class Buffer:
    capacity: int
    style: str = "STANDARD"
    readings: list[Reading] = field(default_factory=list)

    def append(self, r: Reading) -> None:
        self.readings.append(r)
        if len(self.readings) > self.capacity:  # fill mode CONTinuous: oldest dropped
            del self.readings[0]


def _range_for(value: float, ranges: tuple[float, ...]) -> float:
    """Smallest range holding |value| (the instrument rounds a range request up); -222 beyond."""
    for r in ranges:
        if abs(value) <= r * (1 + 1e-9):
            return r
    raise ScpiError(-222, f"{value:g}")


def _eng(value: float, unit: str) -> str:
    """FORMatted element: ``+001.2345 mV`` style."""
    if value == OVERFLOW:
        return "Overflow"
    prefixes = ((1e-9, "n"), (1e-6, "u"), (1e-3, "m"), (1.0, ""), (1e3, "k"), (1e6, "M"))
    scale, prefix = (1.0, "")
    for s, p in prefixes:
        if abs(value) >= s:
            scale, prefix = s, p
    return f"{value / scale:+09.4f} {prefix}{unit.split()[0][0]}"


class Keithley2450(Emulator):
    """Keithley 2450 SourceMeter in its SCPI language mode."""

    IDN = "KEITHLEY INSTRUMENTS INC.,MODEL 2450,04096331,1.7.12b"
    ERROR_QUEUE_DEPTH = 1000  # the event log holds up to 1000 entries
    BUS_TIME_PER_BYTE = 2e-7  # USB-TMC
    BUS_TIME_PER_TRANSFER = 2e-4
    #: per reading overhead (A/D, auto zero reference), assumed
    READING_OVERHEAD = 2e-4

    def __init__(self, world, address, config=None):
        cfg = config or {}
        connect = cfg.get("connect", {})
        self.output_port = connect.get("output")
        self.sense_port = connect.get("sense", self.output_port)
        if self.output_port is None:
            raise KeyError("keithley_2450 needs connect: {output: <port>[, sense: <port>]}")
        world.check_port(self.output_port)
        world.check_port(self.sense_port)
        self.line_frequency = float(cfg.get("line_frequency", 60.0))
        #: *LANG: active language (changes only at power-up) and the stored one
        self.language = str(cfg.get("language", "SCPI")).upper()
        self.language_next = self.language
        self.buffers: dict[str, Buffer] = {}
        self._model: ActionProcess | None = None   #: a trigger model running on the timeline
        self._model_state = ("IDLE", 1)             #: :TRIGger:STATe? (state, block)
        super().__init__(world, address, config)

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """``*RST`` defaults (manual: each command's default value)."""
        self.abort_model()
        self.settings.update(source_function="CURRENT", sense_function="VOLT:DC", terminals="FRONT",
                             output=False, count=1, readback=True)
        self.source = {
            "CURRENT": dict(level=0.0, range=1e-6, auto=True, limit=21.0, delay=0.0, delay_auto=True,
                            readback=True, user=[0.0] * 6, tripped=False, smode="NORMAL"),
            "VOLTAGE": dict(level=0.0, range=20e-3, auto=True, limit=105e-6, delay=0.0, delay_auto=True,
                            readback=True, user=[0.0] * 6, tripped=False, smode="NORMAL"),
        }
        self.sense = {
            "VOLT:DC": dict(range=200.0, auto=True, nplc=1.0, azero=True, rsen=False, user=[0.0] * 6,
                            **extras.FILTER_DEFAULTS),
            "CURR:DC": dict(range=1e-4, auto=True, nplc=1.0, azero=True, rsen=False, user=[0.0] * 6,
                            **extras.FILTER_DEFAULTS),
            "RES": dict(range=2e5, auto=True, nplc=1.0, azero=True, rsen=False, user=[0.0] * 6,
                            **extras.FILTER_DEFAULTS),
        }
        self.buffers = {"DEFBUFFER1": Buffer(100_000), "DEFBUFFER2": Buffer(100_000)}
        self.source_lists: dict[str, list[float]] = {"CURRENT": [], "VOLTAGE": []}
        self.sweep: dict | None = None
        self.trigger_loop: tuple[int, float, str] | None = None
        self.i_out = self.v_out = 0.0
        self._apply()

    # ------------------------------------------------------------------ physics
    def _apply(self) -> None:
        """Drive the device from the source settings (contracts §3)."""
        fn = self.settings["source_function"]
        src = self.source[fn]
        src["tripped"] = False
        if not self.settings["output"]:
            self.world.set_source_off(self.address)
            self.i_out = self.v_out = 0.0
            return
        r = self.world.port_resistance(self.output_port)
        if fn == "CURRENT":
            amps = src["level"]
            if abs(amps) * r > src["limit"]:
                amps = math.copysign(src["limit"] / r, amps)
                src["tripped"] = True
        else:
            amps = src["level"] / r
            if abs(amps) > src["limit"]:
                amps = math.copysign(src["limit"], amps)
                src["tripped"] = True
        self.world.set_source(self.address, self.output_port, amps)
        self.i_out, self.v_out = amps, amps * r

    def _source_delay(self) -> float:
        fn = self.settings["source_function"]
        src = self.source[fn]
        if not src["delay_auto"]:
            return src["delay"]
        # auto delay (assumed): 50 ms on the 10 nA / 100 nA ranges, 1 ms otherwise
        return 0.05 if fn == "CURRENT" and src["range"] <= 100e-9 else 1e-3

    def _measure_steps(self) -> Action:
        """One reading: conversions through the averaging filter (:mod:`.keithley_2450_extras`)."""
        reading = yield from extras.filtered_steps(self, self._conversion_steps)
        if self._model is not None:
            self._model_state = (self._model_state[0], self._model_state[1] + 1)
        return reading

    def _conversion_steps(self) -> Action:
        fn = self.settings["sense_function"]
        sen = self.sense[fn]
        aperture = sen["nplc"] / self.line_frequency
        port = self.sense_port if sen["rsen"] else self.output_port
        volts = yield from self.world.measure_voltage_steps(port, aperture)
        yield self.READING_OVERHEAD
        rng = self.world.rng
        if fn == "VOLT:DC":
            value, ranges = volts, VOLTAGE_RANGES
        elif fn == "CURR:DC":
            value, ranges = self.i_out, CURRENT_RANGES
        else:
            value = volts / self.i_out if self.i_out else OVERFLOW
            ranges = RESISTANCE_RANGES
        if value != OVERFLOW:
            if sen["auto"]:
                sen["range"] = next((r for r in ranges if abs(value) <= r * 1.05), ranges[-1])
            value += NOISE_PPM_OF_RANGE * sen["range"] / math.sqrt(sen["nplc"]) * rng.standard_normal()
            if abs(value) > 1.05 * sen["range"]:
                value = OVERFLOW
        src_fn = self.settings["source_function"]
        src = self.source[src_fn]
        if src["readback"] and self.settings["output"]:
            source_value = self.i_out if src_fn == "CURRENT" else self.v_out
        else:
            source_value = src["level"]
        return Reading(value, source_value, self.world.now, SENSE_UNITS[fn], SOURCE_UNITS[src_fn],
                       status=0, source_status=1 if src["tripped"] else 0)

    def _acquire(self, buffer: str, count: int | None = None) -> Reading:
        """Source delay, then ``count`` readings into ``buffer``; returns the last (blocking:
        waits for a running trigger model first)."""
        self.wait_for_operations()
        return run_now(self.world, self._acquire_steps(self._buffer(buffer), count))

    def _acquire_steps(self, buf: Buffer, count: int | None = None) -> Action:
        """:meth:`_acquire` as a timeline action."""
        if self.settings["output"]:
            yield self._source_delay()
        last = None
        for _ in range(count or self.settings["count"]):
            last = yield from self._measure_steps()
            buf.append(last)
        return last

    # ------------------------------------------------------------------ trigger model (timeline)
    def abort_model(self) -> None:
        """Stop a trigger model running on the timeline (``:ABORt``, ``*RST``, device clear)."""
        model = self.__dict__.get("_model")
        if model is not None:
            self._model = None
            self.world.cancel(model)
            self._model_state = ("ABORTED", self._model_state[1])

    def q_trigger_state(self, args: Args) -> str:
        """``:TRIGger:STATe?``: ``<state>;<state>;<block>`` (manual 6-166, e.g. ``IDLE;IDLE;9``)."""
        args.none()
        state, block = self._model_state
        return f"{state};{state};{block}"

    def operations(self) -> tuple:
        """The running trigger model (what ``*OPC?``/``*WAI`` wait for)."""
        return () if self._model is None else (self._model,)

    def on_clear(self) -> None:
        self.abort_model()

    def _model_done(self, _result) -> None:
        self._model = None
        self._model_state = ("IDLE", self._model_state[1])
        self.operation_complete()

    # ------------------------------------------------------------------ buffers
    def _buffer(self, name: str) -> Buffer:
        try:
            return self.buffers[name.upper()]
        except KeyError:
            raise ScpiError(-224, f"no reading buffer {name!r}") from None

    @staticmethod
    def _split_buffer_args(tokens: list[str], default: str = "defbuffer1") -> tuple[str, list[str]]:
        """``['name'][, element, ...]`` -> buffer name and upper-case element long forms."""
        name = default
        rest = list(tokens)
        if rest and rest[0][:1] in "'\"":
            name = String().parse(rest.pop(0))
        elements = [Choice(ELEMENTS).parse(t) for t in rest]
        return name, elements

    def _format_reading(self, r: Reading, elements: list[str], first_t: float) -> str:
        if not elements:
            elements = ["READING"]
        out = []
        stamp = EPOCH + r.t
        tm = time.gmtime(int(stamp))
        frac = stamp - int(stamp)
        for e in elements:
            if e == "READING":
                out.append(f"{r.value:.6E}")
            elif e == "SOURCE":
                out.append(f"{r.source:.6E}")
            elif e == "RELATIVE":
                out.append(f"{r.t - first_t:.9f}")
            elif e == "SECONDS":
                out.append(str(int(stamp)))
            elif e == "FRACTIONAL":
                out.append(f"{frac:.9f}")
            elif e == "DATE":
                out.append(time.strftime("%m/%d/%Y", tm))
            elif e == "TIME":
                out.append(time.strftime("%H:%M:%S", tm) + f".{int(frac * 1e9):09d}")
            elif e == "TSTAMP":
                out.append(time.strftime("%m/%d/%Y %H:%M:%S", tm) + f".{int(frac * 1e9):09d}")
            elif e == "UNIT":
                out.append(r.unit)
            elif e == "SOURUNIT":
                out.append(r.source_unit)
            elif e == "STATUS":
                out.append(str(r.status))
            elif e == "SOURSTATUS":
                out.append(str(r.source_status))
            elif e == "FORMATTED":
                out.append(_eng(r.value, r.unit))
            elif e == "SOURFORMATTED":
                out.append(_eng(r.source, r.source_unit))
        return ",".join(out)

    # ------------------------------------------------------------------ handlers: readings
    def q_read(self, args: Args) -> str:
        """:READ? / :MEASure? ['buffer'][, elements]: make readings, answer the last."""
        name, elements = self._split_buffer_args(args.tokens)
        buf = self._buffer(name)
        r = self._acquire(name)
        return self._format_reading(r, elements, buf.readings[0].t)

    def _measure_function(self, function: str):
        def _q(dev: "Keithley2450", args: Args) -> str:
            dev.settings["sense_function"] = function
            return dev.q_read(args)
        return _q

    def q_fetch(self, args: Args) -> str:
        name, elements = self._split_buffer_args(args.tokens)
        buf = self._buffer(name)
        if not buf.readings:
            raise ScpiError(-230, "buffer empty")
        return self._format_reading(buf.readings[-1], elements, buf.readings[0].t)

    def s_trace_make(self, args: Args) -> None:
        if len(args) < 2:
            raise ScpiError(-109)
        name = String().parse(args.tokens[0])
        size = Numeric(10, 11_000_000, integer=True).parse(args.tokens[1])
        style = Choice(("STANdard", "COMPact", "FULL", "WRITable", "FULLWRITable")).parse(
            args.tokens[2]) if len(args) > 2 and args.tokens[2] else "STANDARD"
        if name.upper() in self.buffers:
            raise ScpiError(-221, f"buffer {name} exists")
        self.buffers[name.upper()] = Buffer(size, style)

    def s_trace_delete(self, args: Args) -> None:
        name = args.one(String()).upper()
        if name in ("DEFBUFFER1", "DEFBUFFER2"):
            raise ScpiError(-221, "default buffers cannot be deleted")
        self._buffer(name)
        del self.buffers[name]

    def s_trace_clear(self, args: Args) -> None:
        self._buffer(args.optional(String(), "defbuffer1")).readings.clear()

    def s_trace_points(self, args: Args) -> None:
        if not args.tokens:
            raise ScpiError(-109)
        size = Numeric(1, 11_000_000, integer=True).parse(args.tokens[0])
        name = String().parse(args.tokens[1]) if len(args) > 1 else "defbuffer1"
        buf = self._buffer(name)
        buf.capacity = size
        buf.readings.clear()  # changing the size clears the buffer

    def q_trace_points(self, args: Args) -> int:
        return self._buffer(args.optional(String(), "defbuffer1")).capacity

    def q_trace_actual(self, args: Args) -> int:
        return len(self._buffer(args.optional(String(), "defbuffer1")).readings)

    def q_trace_data(self, args: Args) -> str:
        if len(args) < 2:
            raise ScpiError(-109)
        start = Numeric(1, 11_000_000, integer=True).parse(args.tokens[0])
        end = Numeric(1, 11_000_000, integer=True).parse(args.tokens[1])
        name, elements = self._split_buffer_args(args.tokens[2:])
        buf = self._buffer(name)
        if end < start or end > len(buf.readings):
            raise ScpiError(-222, f"{start}..{end} of {len(buf.readings)} readings")
        t0 = buf.readings[0].t
        return ",".join(self._format_reading(r, elements, t0) for r in buf.readings[start - 1:end])

    def s_trace_trigger(self, args: Args) -> None:
        self._acquire(args.optional(String(), "defbuffer1"))

    # ------------------------------------------------------------------ handlers: sweeps, trigger
    def s_sweep(self, function: str):
        def _set(dev: "Keithley2450", args: Args) -> None:
            t = args.tokens
            if len(t) < 3:
                raise ScpiError(-109)
            lim = 1.05 if function == "CURRENT" else 210.0
            level = Numeric(-lim, lim)
            sweep = dict(function=function, start=level.parse(t[0]), stop=level.parse(t[1]),
                         points=Numeric(2, 1_000_000, integer=True).parse(t[2]),
                         delay=Numeric(-1, 1e4).parse(t[3]) if len(t) > 3 else -1,
                         count=Numeric(1, 1e6, integer=True).parse(t[4]) if len(t) > 4 else 1,
                         dual=Boolean().parse(t[7]) if len(t) > 7 else False,
                         buffer=String().parse(t[8]) if len(t) > 8 else "defbuffer1")
            dev._buffer(sweep["buffer"])
            dev.settings["source_function"] = function
            dev.sweep = sweep
            dev.trigger_loop = None
        return _set

    def s_source_list(self, function: str, append: bool = False):
        """``:SOURce[1]:LIST:<function>[:APPend] <list>``: up to 100 source values (the
        CurrCustomSweepList / VoltCustomSweepList configuration list)."""
        def _set(dev: "Keithley2450", args: Args) -> None:
            if not args.tokens:
                raise ScpiError(-109)
            lim = 1.05 if function == "CURRENT" else 210.0
            values = [Numeric(-lim, lim).parse(t) for t in args.tokens]
            new = (dev.source_lists[function] if append else []) + values
            if len(new) > 100:
                raise ScpiError(-222, "a source list holds up to 100 values")
            dev.source_lists[function] = new
        return _set

    def s_sweep_list(self, function: str):
        """``:SOURce[1]:SWEep:<function>:LIST <startIndex>[, <delay>[, <count>[, <failAbort>
        [, "<bufferName>"]]]]``: a sweep over the custom source list.  Each point: the source
        level, the source delay, the sweep delay (0: no delay block; else 50 us .. 10 ks,
        "added to any source delay"), one measurement."""
        def _set(dev: "Keithley2450", args: Args) -> None:
            t = args.tokens
            if not t:
                raise ScpiError(-109)
            values = dev.source_lists[function]
            start = Numeric(1, 100, integer=True).parse(t[0])
            if not values or start > len(values):
                raise ScpiError(-221, "the source list has no such index")
            delay = Numeric(0, 1e4).parse(t[1]) if len(t) > 1 else 0.0
            if 0 < delay < 50e-6:
                raise ScpiError(-222, "sweep delay is 0 or 50 us .. 10 ks")
            count = Numeric(0, 268435455, integer=True).parse(t[2]) if len(t) > 2 else 1
            if count == 0:
                raise ScpiError(-221, "infinite sweeps (count 0) are not emulated")
            sweep = dict(function=function, levels=list(values[start - 1:]), list_delay=delay,
                         count=count, fail_abort=Boolean().parse(t[3]) if len(t) > 3 else True,
                         dual=False, buffer=String().parse(t[4]) if len(t) > 4 else "defbuffer1")
            dev._buffer(sweep["buffer"])
            dev.settings["source_function"] = function
            dev.sweep = sweep
            dev.trigger_loop = None
        return _set

    def s_trigger_load(self, args: Args) -> None:
        t = args.tokens
        if not t:
            raise ScpiError(-109)
        model = String().parse(t[0]).upper()
        if model != "SIMPLELOOP":
            raise ScpiError(-224, f"trigger model template {model} not emulated")
        count = Numeric(1, 1e6, integer=True).parse(t[1]) if len(t) > 1 else 1
        delay = Numeric(0, 1e4).parse(t[2]) if len(t) > 2 else 0.0
        name = String().parse(t[3]) if len(t) > 3 else "defbuffer1"
        self._buffer(name)
        self.trigger_loop = (count, delay, name)
        self.sweep = None

    def s_initiate(self, args: Args) -> None:
        """``:INIT``: start the loaded trigger model on the world's timeline (returns at once)."""
        args.none()
        if self._model is not None:
            raise ScpiError(-213, "the trigger model is already running")  # Init ignored
        if self.sweep is not None:
            action = self._sweep_steps(self.sweep)
        elif self.trigger_loop is not None:
            action = self._loop_steps(*self.trigger_loop)
        else:
            action = self._acquire_steps(self._buffer("defbuffer1"))
        self._model = ActionProcess(action, self._model_done, name=f"{self.address} INIT")
        self._model_state = ("RUNNING", 1)
        self.world.start(self._model)

    def _loop_steps(self, count: int, delay: float, name: str) -> Action:
        """``SimpleLoop``: ``count`` times the delay, then one reading into ``name``."""
        buf = self._buffer(name)
        for _ in range(count):
            yield delay
            yield from self._acquire_steps(buf, 1)

    def _sweep_steps(self, sw: dict) -> Action:
        """A linear or list sweep, point by point on the timeline; the source level and output
        state return to what they were when the sweep ends or is aborted."""
        fn = sw["function"]
        src = self.source[fn]
        saved_level, saved_output = src["level"], self.settings["output"]
        if "levels" in sw:
            levels = list(sw["levels"])
        else:
            levels = [sw["start"] + (sw["stop"] - sw["start"]) * k / (sw["points"] - 1) for k in range(sw["points"])]
        if sw["dual"]:
            levels = levels + levels[::-1]
        buf = self._buffer(sw["buffer"])
        buf.readings.clear()  # the generated trigger model starts with a buffer clear
        self.settings["output"] = True
        try:
            for _ in range(sw["count"]):
                for level in levels:
                    src["level"] = level
                    if src["auto"]:
                        src["range"] = _range_for(level, CURRENT_RANGES if fn == "CURRENT" else VOLTAGE_RANGES)
                    self._apply()
                    if "levels" in sw:   # list sweep: source delay, then the sweep's delay block
                        yield self._source_delay() + sw["list_delay"]
                    else:
                        yield self._source_delay() if sw["delay"] < 0 else sw["delay"]
                    buf.append((yield from self._measure_steps()))
        finally:
            src["level"], self.settings["output"] = saved_level, saved_output
            self._apply()

    # ------------------------------------------------------------------ handlers: source
    def s_output(self, args: Args) -> None:
        self.settings["output"] = args.one(Boolean())
        self._apply()

    def s_source_function(self, args: Args) -> None:
        fn = args.one(Choice(("CURRent", "VOLTage")))
        if fn != self.settings["source_function"]:
            if self.settings["output"]:
                # the manual: changing the source function turns the output off
                self.settings["output"] = False
            self.settings["source_function"] = fn
            self.sweep = None
            self._apply()

    def s_sense_function(self, args: Args) -> None:
        if not args.tokens:
            raise ScpiError(-109)
        token = args.tokens[0]
        text = String().parse(token) if token[:1] in "'\"" else token
        text = text.strip().upper()
        for key, words in (("VOLT:DC", ("VOLT", "VOLTAGE", "VOLT:DC", "VOLTAGE:DC")),
                           ("CURR:DC", ("CURR", "CURRENT", "CURR:DC", "CURRENT:DC")),
                           ("RES", ("RES", "RESISTANCE"))):
            if text in words:
                self.settings["sense_function"] = key
                return
        raise ScpiError(-224, token)


# ---------------------------------------------------------------------------------------------
# command table


def _cfg(store: str, function: str | None, key: str, ptype, on_set=None) -> tuple:
    """Set/query handlers bound to ``dev.<store>[function][key]`` (``function`` None: the active one)."""

    def _target(dev: Keithley2450) -> dict:
        table = getattr(dev, store)
        fn = function or (dev.settings["source_function"] if store == "source" else dev.settings["sense_function"])
        return table[fn]

    def _set(dev: Keithley2450, args: Args) -> None:
        value = args.one(ptype, _target(dev).get(key))
        if on_set is not None:
            value = on_set(dev, _target(dev), value)
        if value is not None:
            _target(dev)[key] = value

    def _query(dev: Keithley2450, args: Args) -> str:
        if args.tokens:
            return ptype.format(args.one(ptype))
        return ptype.format(_target(dev)[key])

    return _set, _query


def _num(lo: float, hi: float, default: float | None = None, unit: str | None = None) -> Numeric:
    return Numeric(lo, hi, default=default, unit=unit, fmt="{:.6E}")


def _user_delay(store: str, function: str):
    def _set(dev: Keithley2450, args: Args) -> None:
        n = args.suffix()
        if not 1 <= n <= 5:
            raise ScpiError(-114, f"USER{n}")
        getattr(dev, store)[function]["user"][n] = args.one(_num(0, 1e4))

    def _query(dev: Keithley2450, args: Args) -> str:
        n = args.suffix()
        if not 1 <= n <= 5:
            raise ScpiError(-114, f"USER{n}")
        return f"{getattr(dev, store)[function]['user'][n]:.6E}"

    return _set, _query


def _sense_rows() -> list[Cmd]:
    rows = []
    for fn, word, ranges in (("CURR:DC", "CURRent[:DC]", CURRENT_RANGES),
                             ("RES", "RESistance", RESISTANCE_RANGES),
                             ("VOLT:DC", "VOLTage[:DC]", VOLTAGE_RANGES)):
        base = f"[SENSe[1]]:{word}"

        def _range_set(dev, target, value, ranges=ranges):
            target["auto"] = False
            return _range_for(value, ranges)

        s, q = _cfg("sense", fn, "range", _num(0, ranges[-1]), _range_set)
        rows.append(Cmd(f"{base}:RANGe[:UPPer]", s, q, "measure range (rounded up); fixing it turns autorange off"))
        s, q = _cfg("sense", fn, "auto", Boolean())
        rows.append(Cmd(f"{base}:RANGe:AUTO", s, q, "measure autorange"))
        s, q = _cfg("sense", fn, "nplc", _num(0.01, 10, 1))
        rows.append(Cmd(f"{base}:NPLCycles", s, q, "integration time in power-line cycles 0.01..10"))
        s, q = _cfg("sense", fn, "azero", Boolean())
        rows.append(Cmd(f"{base}:AZERo[:STATe]", s, q, "auto zero"))
        s, q = _cfg("sense", fn, "rsen", Boolean())
        rows.append(Cmd(f"{base}:RSENse", s, q, "remote sense: 1 = 4-wire (sense port), 0 = 2-wire"))
        s, q = _user_delay("sense", fn)
        rows.append(Cmd(f"{base}:DELay:USER<n>", s, q, "user delays 1..5"))
    return rows


def _source_rows() -> list[Cmd]:
    rows = []
    for fn, word, ranges, lim_word, lim in (("CURRENT", "CURRent", CURRENT_RANGES, "VLIMit", (0.02, 210.0)),
                                            ("VOLTAGE", "VOLTage", VOLTAGE_RANGES, "ILIMit", (1e-9, 1.05))):
        base = f"SOURce[1]:{word}"
        top = ranges[-1] * 1.05

        def _level_set(dev, target, value, ranges=ranges, fn=fn):
            if target["auto"]:
                target["range"] = _range_for(min(abs(value), ranges[-1]), ranges)
            elif abs(value) > 1.05 * target["range"]:
                raise ScpiError(-222, f"{value:g} beyond the {target['range']:g} source range")
            target["level"] = value
            if dev.settings["source_function"] == fn:
                dev._apply()
            return None

        def _range_set(dev, target, value, ranges=ranges, fn=fn):
            r = _range_for(value, ranges)
            if abs(target["level"]) > 1.05 * r:
                raise ScpiError(-221, "source level beyond that range")
            target["auto"] = False
            return r

        def _limit_set(dev, target, value, fn=fn):
            target["limit"] = value
            if dev.settings["source_function"] == fn:
                dev._apply()
            return None

        s, q = _cfg("source", fn, "level", _num(-top, top, 0.0))
        s = _cfg("source", fn, "level", _num(-top, top, 0.0), _level_set)[0]
        rows.append(Cmd(f"{base}[:LEVel][:IMMediate][:AMPLitude]", s, q,
                        "source level (±1.05 A, ±210 V); applied at once when the output is on"))
        s, q = _cfg("source", fn, "range", _num(0, ranges[-1]), _range_set)
        rows.append(Cmd(f"{base}:RANGe", s, q, "source range (rounded up); fixing it turns autorange off"))
        s, q = _cfg("source", fn, "auto", Boolean())
        rows.append(Cmd(f"{base}:RANGe:AUTO", s, q, "source autorange"))
        s, q = _cfg("source", fn, "limit", _num(*lim), _limit_set)
        rows.append(Cmd(f"{base}:{lim_word}[:LEVel]", s, q, "source limit (compliance)"))
        rows.append(Cmd(f"{base}:{lim_word}[:LEVel]:TRIPped",
                        query=lambda d, a, fn=fn: int(d.source[fn]["tripped"]), doc="limit reached"))
        s, q = _cfg("source", fn, "delay", _num(0, 1e4))
        s_delay = s

        def _delay_set(dev, args, s_delay=s_delay, fn=fn):
            s_delay(dev, args)
            dev.source[fn]["delay_auto"] = False
        rows.append(Cmd(f"{base}:DELay", _delay_set, q, "source delay (s); setting it turns auto delay off"))
        s, q = _cfg("source", fn, "delay_auto", Boolean())
        rows.append(Cmd(f"{base}:DELay:AUTO", s, q, "auto source delay"))
        s, q = _user_delay("source", fn)
        rows.append(Cmd(f"{base}:DELay:USER<n>", s, q, "user delays 1..5"))
        s, q = _cfg("source", fn, "readback", Boolean())
        rows.append(Cmd(f"{base}:READ:BACK", s, q, "record the measured (1) or programmed (0) source value"))
        rows.append(Cmd(f"SOURce[1]:LIST:{word}", set=Keithley2450.s_source_list(None, fn),  # type: ignore[arg-type]
                        query=lambda d, a, fn=fn: ",".join(f"{v:.6E}" for v in d.source_lists[fn]) or "",
                        doc="<list>: up to 100 source values for :SWEep:<function>:LIST"))
        rows.append(Cmd(f"SOURce[1]:LIST:{word}:APPend", set=Keithley2450.s_source_list(None, fn, True)))  # type: ignore[arg-type]
        rows.append(Cmd(f"SOURce[1]:LIST:{word}:POINts", query=lambda d, a, fn=fn: len(d.source_lists[fn])))
        rows.append(Cmd(f"SOURce[1]:SWEep:{word}:LIST", set=Keithley2450.s_sweep_list(None, fn),  # type: ignore[arg-type]
                        doc="<startIndex>[,<delay>[,<count>[,<failAbort>[,'<buffer>']]]]"))
        rows.append(Cmd(f"SOURce[1]:SWEep:{word}:LINear", set=Keithley2450.s_sweep(None, fn),  # type: ignore[arg-type]
                        doc="<start>,<stop>,<points>[,<delay>[,<count>[,<rangeType>[,<failAbort>[,<dual>[,'<buffer>']]]]]]"))
    return rows


def _lang_set(dev: Keithley2450, args: Args) -> None:
    dev.language_next = args.one(Choice(("SCPI", "TSP", "SCPI2400")))


Keithley2450.COMMANDS = [
    Cmd("*LANG", set=_lang_set, query=lambda d, a: d.language_next,
        doc="command set (takes effect at power-up)"),
    Cmd(":FETCh", query=Keithley2450.q_fetch, doc="latest reading of a buffer, no new measurement"),
    Cmd(":MEASure", query=Keithley2450.q_read, doc="make readings with the present function"),
    Cmd(":MEASure:CURRent[:DC]", query=Keithley2450._measure_function(None, "CURR:DC")),  # type: ignore[arg-type]
    Cmd(":MEASure:RESistance", query=Keithley2450._measure_function(None, "RES")),  # type: ignore[arg-type]
    Cmd(":MEASure:VOLTage[:DC]", query=Keithley2450._measure_function(None, "VOLT:DC")),  # type: ignore[arg-type]
    Cmd(":READ", query=Keithley2450.q_read, doc="make readings into a buffer, answer the last"),
    Cmd(":ROUTe:TERMinals", set=lambda d, a: d.settings.__setitem__("terminals", a.one(Choice(("FRONt", "REAR")))),
        query=lambda d, a: Choice(("FRONt", "REAR")).format(d.settings["terminals"]), doc="FRONt|REAR"),
    *_sense_rows(),
    Cmd("[SENSe[1]]:FUNCtion[:ON]", set=Keithley2450.s_sense_function,
        query=lambda d, a: f'"{d.settings["sense_function"]}"', doc='"VOLT[:DC]"|"CURR[:DC]"|"RES"'),
    Cmd("[SENSe[1]]:COUNt", set=lambda d, a: d.settings.__setitem__("count", a.one(Numeric(1, 300000, integer=True))),
        query=lambda d, a: d.settings["count"], doc="readings per request 1..300000"),
    Cmd("[SENSe[1]]:AZERo:ONCE", set=lambda d, a: d.world.advance(1 / d.line_frequency), doc="one auto zero"),
    Cmd("SOURce[1]:FUNCtion[:MODE]", set=Keithley2450.s_source_function,
        query=lambda d, a: Choice(("CURRent", "VOLTage")).format(d.settings["source_function"]), doc="CURR|VOLT"),
    *_source_rows(),
    Cmd(":STATus:CLEar", set=lambda d, a: None, doc="clear event registers"),
    Cmd(":STATus:PRESet", set=lambda d, a: None),
    Cmd(":STATus:OPERation[:EVENt]", query=lambda d, a: 0),
    Cmd(":STATus:QUEStionable[:EVENt]", query=lambda d, a: 0),
    *system_error_commands(),
    Cmd(":SYSTem:LFRequency", query=lambda d, a: int(d.line_frequency), doc="power line frequency (Hz)"),
    Cmd(":SYSTem:BEEPer[:IMMediate]", set=lambda d, a: None),
    Cmd(":TRACe:MAKE", set=Keithley2450.s_trace_make, doc="'<name>', <size>[, <style>]"),
    Cmd(":TRACe:DELete", set=Keithley2450.s_trace_delete),
    Cmd(":TRACe:CLEar", set=Keithley2450.s_trace_clear),
    Cmd(":TRACe:POINts", set=Keithley2450.s_trace_points, query=Keithley2450.q_trace_points),
    Cmd(":TRACe:ACTual", query=Keithley2450.q_trace_actual),
    Cmd(":TRACe:DATA", query=Keithley2450.q_trace_data, doc="<start>, <end>[, '<buffer>'][, <elements>]"),
    Cmd(":TRACe:TRIGger", set=Keithley2450.s_trace_trigger, doc="readings into a buffer"),
    Cmd(":TRIGger:LOAD", set=Keithley2450.s_trigger_load, doc='"SimpleLoop", <count>[, <delay>[, \'<buffer>\']]'),
    Cmd(":INITiate[:IMMediate]", set=Keithley2450.s_initiate, doc="start the trigger model (on the world's timeline)"),
    Cmd(":ABORt", set=lambda d, a: d.abort_model(), doc="stop the running trigger model"),
    Cmd(":TRIGger:STATe", query=Keithley2450.q_trigger_state, doc="IDLE|RUNNING|ABORTED;...;<block>"),
    Cmd(":OUTPut[1][:STATe]", set=Keithley2450.s_output, query=lambda d, a: d.settings["output"]),
    Cmd(":OUTPut[1]:INTerlock:TRIPped", query=lambda d, a: 0),
    # averaging filters, output-off states, buffer statistics
    *extras.extra_rows(),
]
