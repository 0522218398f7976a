"""Keysight (Agilent) 33500B-series waveform generator used as a pulse generator
(33500 Series Operating and Service Guide, "SCPI Programming Reference").

Command table in the order of the guide's subsystems: BURSt, FREQuency, FUNCtion (pulse
commands), OUTPut, PHASe, SYSTem, TRIGger, VOLTage.  Every ``[SOURce[1|2]:]`` command takes the
channel suffix (``SOUR2:FUNC:PULS:WIDT 1e-6``), as do ``OUTPut[1|2]`` and ``TRIGger[1|2]``.

Limits (guide, "Pulse Waveforms" and the VOLTage subsystem):

* pulse width 16 ns .. 1,000,000 s, and width <= period - 16 ns; edge times (10 %..90 %)
  8.4 ns .. 1 us, and each edge <= 0.625 x width (the 33xxx family rule; the guide: "the longer
  the edges, the greater the minimum pulse width").  A value outside its own range is refused
  with ``-222,"Data out of range"`` and nothing changes (assumption: the guide does not say
  whether remote values are clipped; a bench for nanodevices is safer refusing).  A value
  valid alone that conflicts with a coupled setting is accepted and the coupled setting is
  adjusted, with ``-221,"Settings conflict"``, as the guide describes;
* pulse period from 1/(max frequency) (30 MHz on the 33520 models, 20 MHz on the 33510 ones)
  to 1,000,000 s;
* amplitude 1 mVpp .. 10 Vpp and |levels| <= 5 V into 50 ohm; the output termination setting
  (``OUTP:LOAD``, 1 ohm .. 10 kohm or INF) only rescales what is displayed: "the output
  termination setting does not affect the actual output voltage".  The emulator therefore
  stores the open-circuit (EMF) levels and shows them times ``k = R_L/(R_L + 50)`` (k = 1/2 at
  50 ohm, 1 at INF: high-Z doubles the displayed amplitude).

Physics.  The generator is an EMF ``e(t)`` behind its fixed 50 ohm output impedance, so the
current into the wired device port is ``e / (50 + R_port)`` with ``R_port =
world.port_resistance(port)`` (``connect: {output: channel}``; ``output2:`` for channel 2).
A pulse's 50 %-to-50 % width W is applied as a rectangle of W: a trapezoid with linear edges
has the area height x (50 % width), so the charge is that of the programmed pulse; the edge
times only shift the peak and are otherwise ignored (they are far below what the device
models resolve).

* Burst mode (``BURS:STAT ON``, ``BURS:MODE TRIG``) with ``TRIG:SOUR BUS``: the output rests
  at the idle level (the pulse's low level; with ``OUTP:POL INV`` the waveform is mirrored
  about the offset, so the idle level is the high one and the pulse goes to the low one).  A
  trigger (``*TRG``, a VISA GET, or ``TRIGger[1|2]``) runs ``BURS:NCYC`` pulses of the
  programmed width and period after ``TRIG:DEL``: the device sees the pulse current for exactly
  W.  The burst is an operation on the world's timeline (:mod:`sim_backend.timeline`, issue
  16): the trigger returns at once and each edge happens when the world clock reaches it, so a
  command to another instrument (a reading, a field change) during the burst happens between
  its pulses or during one, as at the bench.  ``*OPC?`` and ``*WAI`` wait for the last
  trailing edge, ``*OPC`` sets the OPC bit then; a trigger during a running burst is ignored
  (the guide: a burst runs to completion); a change of any setting of the channel, ``*RST`` or
  device clear stops it at once, the output going to its new steady level.
  ``TRIG:SOUR EXT`` waits for the rear-panel Trig In, which the sim does not wire.
* Bursts repeated by the instrument itself (``TRIG:SOUR IMM``: every ``BURS:INT:PER``;
  ``TRIG:SOUR TIM``: every ``TRIG:TIM``; a burst longer than that starts when the last ends) run
  on the world's timeline pulse by pulse while the output is on, as long as their edges come at
  most :data:`MAX_EDGE_RATE` times per second of world time (a 1 us pulse every 10 ms switches the
  device as such, not as its 1e-4 duty-cycle mean); they are not operations ``*OPC?`` waits for.
* Free-running output beyond that (a continuous waveform, faster repeated bursts): the world
  sees the time-averaged current (e.g. a continuous pulse train drives the duty-cycle mean).
* ``FUNC DC`` drives the offset; other functions drive their mean, the offset.
* Output off opens the output relay: no current.

Wiring: ``{model: keysight_33500b, model_name: 33522B, connect: {output: channel[, output2: <port>]}}``;
``connect: {mod_out: <address>}`` cables output 1 to another instrument's modulation input (a
laser controller's MOD IN, a world input ``mod_in``: :mod:`sim_backend.links`): a continuous
pulse train is sent as ``(t0, period, width)``, a triggered burst pulse by pulse.

Square duty cycle, ramp symmetry, the arbitrary-waveform settings, ``FREQ:MODE``,
``TRIG:COUN``, the trigger output, ``DISPlay`` and ``*OPT?``: :mod:`.keysight_33500b_waveforms`.

Not emulated -- cross-checked against the guide's SCPI command summary; answered with
``-113,"Undefined header"`` unless noted: modulation (``AM``, ``FM``, ``PM``, ``FSKey``,
``BPSKey``, ``PWM``, ``SUM``), frequency sweeps and lists (``SWEep:*``, ``LIST:*``;
``FREQ:MODE SWE|LIST`` is refused with -221), loading arbitrary waveforms and sequences
(``DATA:ARBitrary``, ``DATA:SEQuence``, ``DATA:VOLatile:*``, ``MMEMory:*``; only the built-in
arbs can be selected), ``FUNC:ARB:PTPeak|FREQuency|PERiod|SYNChronize``, ``FUNC:PRBS:*``,
``FUNC:NOISe:BANDwidth``, ``FUNC:SQUare:PERiod``, ``APPLy:*``, ``VOLTage:LIMit:*``,
``VOLTage:RANGe:AUTO``, ``VOLTage:COUPle``, ``FREQuency:COUPle``, ``TRACk``, ``COMBine:FEED``,
``MARKer:*``, ``OUTPut:MODE``, ``OUTPut:SYNC:MODE|POLarity``, ``ROSCillator:*``,
``SYSTem:COMMunicate|DATE|TIME|BEEPer``, ``UNIT:ANGLe``, ``DISPlay:UNIT:*``, ``HCOPy:*``,
``MEMory:*``, ``*SAV``/``*RCL``/``*PSC``, ``CALibration:*``; ``VOLT:UNIT`` other than ``VPP``
(-221), gated bursts (no gate input is wired: the output idles).
"""
from __future__ import annotations

import math
from typing import Any

from ..scpi import (Args, Boolean, Choice, Cmd, Emulator, Numeric, ScpiError,
                    system_error_commands)
from ..timeline import Action, ActionProcess
from . import keysight_33500b_waveforms as waveforms

#: fixed series output impedance (guide, "Output Termination")
R_OUT = 50.0
#: largest open-circuit level |e| (V): +-5 V into 50 ohm, +-10 V into an open circuit
EMF_MAX = 10.0
#: smallest open-circuit peak-to-peak amplitude (V): 1 mVpp into 50 ohm
EMF_AMP_MIN = 2e-3
#: pulse timing (guide, "Pulse Waveforms")
WIDTH_MIN, WIDTH_MAX = 16e-9, 1e6
EDGE_MIN, EDGE_MAX = 8.4e-9, 1e-6
EDGE_PER_WIDTH = 0.625
PERIOD_MAX = 1e6
#: model -> (channels, max frequency of sine/pulse in Hz); 33500B series data sheet
MODELS: dict[str, tuple[int, float]] = {
    "33509B": (1, 20e6), "33510B": (2, 20e6), "33511B": (1, 20e6), "33512B": (2, 20e6),
    "33519B": (1, 30e6), "33520B": (2, 30e6), "33521B": (1, 30e6), "33522B": (2, 30e6),
}
INF_LOAD = 9.9e37
#: repeated bursts with at most this many edges per second of world time are resolved pulse by
#: pulse on the timeline; faster ones drive their mean (cost of the simulation, not physics)
MAX_EDGE_RATE = 2e4
FUNCTIONS = ("SINusoid", "SQUare", "TRIangle", "RAMP", "PULSe", "PRBS", "NOISe", "ARB", "DC")


def _fmt(value: float) -> str:
    """Numbers as the 33500 answers them: ``+1.000000000000000E-04`` (infinity ``+9.9E+37``)."""
    if value >= INF_LOAD or math.isinf(value):
        return "+9.900000000000000E+37"
    return f"{value:+.15E}"


class Keysight33500B(Emulator):
    """A 33500B-series function/arbitrary waveform generator (pulse function, bursts)."""

    ERROR_QUEUE_DEPTH = 20   # "Up to 20 errors can be stored"
    BUS_TIME_PER_BYTE = 2e-7  # USB / LAN
    BUS_TIME_PER_TRANSFER = 2e-4

    def __init__(self, world, address: str, config: dict | None = None):
        cfg = dict(config or {})
        # ``model:`` of a bench entry names the emulator; ``model_name:`` the instrument model
        self.model = str(cfg.get("model_name", "33522B")).upper()
        if self.model not in MODELS:
            raise KeyError(f"keysight_33500b: unknown model {self.model!r}; models: {', '.join(MODELS)}")
        self.n_channels, self.max_frequency = MODELS[self.model]
        serial = str(cfg.get("serial", "MY12345678"))
        self.IDN = f"Agilent Technologies,{self.model},{serial},4.00-1.19-2.00-52-00"
        connect = dict(cfg.get("connect", {}))
        self.ports = {1: connect.get("output", connect.get("output1")), 2: connect.get("output2")}
        #: instrument inputs a channel's cable goes to (``mod_out[1|2]: <address>``: a laser's MOD IN)
        self.mod_out = {1: connect.get("mod_out", connect.get("mod_out1")), 2: connect.get("mod_out2")}
        if all(v is None for v in (*self.ports.values(), *self.mod_out.values())):
            raise KeyError("keysight_33500b needs connect: {output: <port>[, output2: <port>]} "
                           "or {mod_out: <instrument address>}")
        #: bursts run per channel (tests read it; a Python attribute only)
        self.bursts_fired = {1: 0, 2: 0}
        #: a triggered burst running on the world's timeline, per channel
        self._bursts: dict[int, ActionProcess] = {}
        #: bursts the instrument repeats itself (IMMediate / TIMer source), per channel
        self._trains: dict[int, ActionProcess] = {}
        self.ch: dict[int, dict[str, Any]] = {}
        super().__init__(world, address, config)
        for n, port in self.ports.items():
            if port is not None:
                world.check_port(port)

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """``*RST`` (guide: factory defaults): sine 1 kHz, 100 mVpp, 0 V offset, 50 ohm, output
        off; pulse width 100 us, period 1 ms, edges 10 ns; burst off, 1 cycle, triggered mode;
        trigger source IMMediate."""
        self.ch = {n: dict(function="SINUSOID", period=1e-3, width=100e-6, lead=10e-9, trail=10e-9,
                           hold="WIDTH", dcycle=10.0, emf_amp=0.2, emf_off=0.0, load=50.0, output=False,
                           polarity="NORMAL", burst=False, burst_mode="TRIGGERED", ncycles=1,
                           burst_phase=0.0, burst_period=10e-3, gate_pol="NORMAL",
                           trig_source="IMMEDIATE", trig_slope="POSITIVE", trig_delay=0.0,
                           trig_timer=1e-3, phase=0.0, unit="VPP", **waveforms.CHANNEL_DEFAULTS)
                   for n in (1, 2)}
        self.settings.update(sync=True, sync_source="CH1", **waveforms.DEFAULTS)
        if hasattr(self, "world"):
            for n in (1, 2):
                self._apply(n)

    # ------------------------------------------------------------------ bursts on the timeline
    def operations(self) -> tuple:
        """Bursts still running (what ``*OPC?`` and ``*WAI`` wait for)."""
        return tuple(self._bursts.values())

    def stop_burst(self, n: int) -> None:
        """Stop a running or repeating burst of channel ``n`` (a setting change, ``*RST``,
        device clear)."""
        for running in (self.__dict__.get("_bursts", {}), self.__dict__.get("_trains", {})):
            burst = running.pop(n, None)
            if burst is not None:
                self.world.cancel(burst)

    def on_clear(self) -> None:
        for n in list(self._bursts):
            self.stop_burst(n)
            self._apply(n)

    def _burst_done(self, n: int) -> None:
        self._bursts.pop(n, None)
        self.operation_complete()

    def _channel(self, args: Args, index: int = 0) -> dict[str, Any]:
        n = args.suffix(index)
        if not 1 <= n <= self.n_channels:
            raise ScpiError(-114, f"channel {n}")
        return self.ch[n]

    def _n(self, args: Args, index: int = 0) -> int:
        n = args.suffix(index)
        if not 1 <= n <= self.n_channels:
            raise ScpiError(-114, f"channel {n}")
        return n

    # ------------------------------------------------------------------ levels
    @staticmethod
    def k(c: dict[str, Any]) -> float:
        """Displayed / open-circuit voltage ratio for the termination setting."""
        return 1.0 if math.isinf(c["load"]) else c["load"] / (c["load"] + R_OUT)

    def _levels_emf(self, c: dict[str, Any]) -> tuple[float, float]:
        """(idle, pulse) open-circuit levels of the pulse waveform."""
        high = c["emf_off"] + c["emf_amp"] / 2
        low = c["emf_off"] - c["emf_amp"] / 2
        return (high, low) if c["polarity"] == "INVERTED" else (low, high)

    def _current(self, n: int, emf: float) -> float:
        return emf / (R_OUT + self.world.port_resistance(self.ports[n]))

    # ------------------------------------------------------------------ physics
    def _source_name(self, n: int) -> str:
        return f"{self.address}#{n}"

    def link(self, emulators: dict) -> None:
        """Canonical addresses of the instruments the outputs are cabled to."""
        from ..benches import canonical

        self.mod_out = {n: (canonical(a) if a else None) for n, a in self.mod_out.items()}

    def _send_modulation(self, n: int, level: float | None = None) -> None:
        """The output of channel ``n`` as a logic signal on the cabled instrument's MOD IN:
        a free-running pulse train ``(t0, period, width)`` (t0: now, the phase of the last
        programming), or a level (1 above 1.4 V, TTL; a DC output, an idle burst, off: 0)."""
        target = self.mod_out.get(n)
        if not target or not self.world.links.listens(target, "mod_in"):
            return
        c = self.ch[n]
        if level is not None:
            state = {"train": None, "level": float(level)}
        elif not c["output"]:
            state = {"train": None, "level": 0.0}
        elif c["function"] == "PULSE" and (not c["burst"] or c.get("running")):
            state = {"train": (self.world.now, c["period"], c["width"]), "level": None}
        else:
            idle = self._steady_emf(c) if c["function"] != "PULSE" else self._levels_emf(c)[0]
            state = {"train": None, "level": 1.0 if idle > 1.4 else 0.0}
        self.world.links.send(target, "mod_in", state)

    def _apply(self, n: int) -> None:
        """Put the steady (between-trigger) drive of channel ``n`` on the world (a running
        burst of the channel stops: its settings changed)."""
        self.stop_burst(n)
        if hasattr(self, "mod_out"):
            self._send_modulation(n)
        port = self.ports.get(n)
        if port is None:
            return
        c = self.ch[n]
        name = self._source_name(n)
        if not c["output"]:
            self.world.set_source_off(name)
            return
        self.world.set_source(name, port, self._current(n, self._steady_emf(c)))
        repeat = self._repeat_period(c)
        if repeat is not None:
            train = self._trains[n] = ActionProcess(self._train(n, port, repeat),
                                                    name=f"{self.address} bursts {n}")
            self.world.start(train)

    @staticmethod
    def _repeat_period(c: dict[str, Any]) -> float | None:
        """The period of bursts the instrument repeats itself, when they are resolved pulse by
        pulse (see the module doc); None otherwise."""
        if (c["function"] != "PULSE" or not c["burst"] or c["burst_mode"] != "TRIGGERED"
                or c.get("running") or c["trig_source"] not in ("IMMEDIATE", "TIMER")
                or math.isinf(c["ncycles"])):
            return None
        rep = c["burst_period"] if c["trig_source"] == "IMMEDIATE" else c["trig_timer"]
        rep = max(rep, c["ncycles"] * c["period"])
        return rep if 2 * c["ncycles"] / rep <= MAX_EDGE_RATE else None

    def _train(self, n: int, port: str, repeat: float) -> Action:
        """Bursts every ``repeat`` seconds, from now until a setting of the channel changes."""
        c = self.ch[n]
        length = c["trig_delay"] + (int(c["ncycles"]) - 1) * c["period"] + c["width"]
        while True:
            yield from self._burst(n, port)
            yield max(repeat - length, 0.0)

    def _steady_emf(self, c: dict[str, Any]) -> float:
        fn = c["function"]
        mean = waveforms.waveform_mean(c)
        if mean is not None:
            # OUTP:POL INV mirrors the waveform about the offset
            return 2 * c["emf_off"] - mean if c["polarity"] == "INVERTED" else mean
        if fn != "PULSE":
            sign = -1.0 if c["polarity"] == "INVERTED" and fn == "DC" else 1.0
            return sign * c["emf_off"]  # DC level, or the mean of a symmetric waveform
        idle, pulse = self._levels_emf(c)
        if not c["burst"] or c.get("running"):
            duty = c["width"] / c["period"]
        elif (c["burst_mode"] == "GATED" or c["trig_source"] in ("BUS", "EXTERNAL")
              or self._repeat_period(c) is not None):
            return idle      # waiting for triggers, or repeated bursts resolved on the timeline
        else:  # bursts repeated by the internal burst period or the trigger timer
            rep = c["burst_period"] if c["trig_source"] == "IMMEDIATE" else c["trig_timer"]
            if math.isinf(c["ncycles"]):
                duty = c["width"] / c["period"]
            else:
                duty = min(1.0, c["ncycles"] * c["width"] / max(rep, c["ncycles"] * c["period"]))
        return idle + (pulse - idle) * duty

    def fire(self, n: int) -> None:
        """Start one triggered burst on channel ``n`` (the trigger has been accepted): an
        operation on the world's timeline; a trigger while one runs is ignored."""
        c = self.ch[n]
        if not c["burst"] or c["burst_mode"] != "TRIGGERED" or c["function"] != "PULSE":
            return
        if n in self._bursts:
            return
        if self.mod_out.get(n) and c["output"] and not math.isinf(c["ncycles"]):
            action = self._modulation_burst(n)   # each pulse on the cabled MOD IN
        else:
            port = self.ports.get(n)
            if port is None or not c["output"]:
                self.bursts_fired[n] += 1
                return
            if math.isinf(c["ncycles"]):
                self.bursts_fired[n] += 1
                c["running"] = True  # an infinite burst: free-running from now on
                self._apply(n)
                return
            action = self._burst(n, port)
        self.bursts_fired[n] += 1
        burst = self._bursts[n] = ActionProcess(action, lambda _: self._burst_done(n),
                                                name=f"{self.address} burst {n}")
        self.world.start(burst)

    def _burst(self, n: int, port: str) -> Action:
        """``NCYC`` pulses of the width and period programmed when the trigger came."""
        c = self.ch[n]
        idle, pulse = self._levels_emf(c)
        width, period, count = c["width"], c["period"], int(c["ncycles"])
        name = self._source_name(n)
        world = self.world
        yield c["trig_delay"]
        for k in range(count):
            world.set_source(name, port, self._current(n, pulse))
            yield width
            world.set_source(name, port, self._current(n, idle))
            if k < count - 1:
                yield period - width

    def _modulation_burst(self, n: int) -> Action:
        """A burst as logic levels on the cabled instrument's MOD IN."""
        c = self.ch[n]
        width, period, count = c["width"], c["period"], int(c["ncycles"])
        yield c["trig_delay"]
        for k in range(count):
            self._send_modulation(n, 1.0)
            yield width
            self._send_modulation(n, 0.0)
            if k < count - 1:
                yield period - width

    def on_trigger(self) -> None:
        """``*TRG`` / GET: fires the channels whose trigger source is BUS."""
        for n in range(1, self.n_channels + 1):
            if self.ch[n]["trig_source"] == "BUS":
                self.fire(n)

    # ------------------------------------------------------------------ handlers: pulse timing
    def _min_period(self) -> float:
        return 1.0 / self.max_frequency

    def _fit_edges(self, c: dict[str, Any]) -> bool:
        top = EDGE_PER_WIDTH * c["width"]
        conflict = False
        for key in ("lead", "trail"):
            if c[key] > top:
                c[key] = max(EDGE_MIN, top)
                conflict = True
        return conflict

    def _set_period(self, c: dict[str, Any], period: float) -> None:
        c["period"] = period
        conflict = False
        if c["hold"] == "DCYCLE":
            c["width"] = max(WIDTH_MIN, min(c["dcycle"] / 100 * period, period - WIDTH_MIN))
        elif c["width"] > period - WIDTH_MIN:
            c["width"] = period - WIDTH_MIN
            conflict = True
        conflict |= self._fit_edges(c)
        if conflict:
            self.push_error(-221, "pulse width adjusted to the period")

    def s_width(self, args: Args) -> None:
        c = self._channel(args)
        width = args.one(Numeric(WIDTH_MIN, WIDTH_MAX, default=100e-6, unit="S"))
        conflict = False
        if width > c["period"] - WIDTH_MIN:
            width = c["period"] - WIDTH_MIN
            conflict = True
        c["width"] = width
        c["dcycle"] = 100 * width / c["period"]
        conflict |= self._fit_edges(c)
        if conflict:
            self.push_error(-221, "pulse width or edges adjusted")
        self._apply(self._n(args))

    def s_period(self, args: Args) -> None:
        c = self._channel(args)
        self._set_period(c, args.one(Numeric(self._min_period(), PERIOD_MAX, default=1e-3, unit="S")))
        self._apply(self._n(args))

    def s_frequency(self, args: Args) -> None:
        c = self._channel(args)
        f = args.one(Numeric(1e-6, self.max_frequency, default=1e3, unit="HZ"))
        if c["function"] == "PULSE" and 1 / f > PERIOD_MAX:
            raise ScpiError(-222, "pulse period beyond 1e6 s")
        self._set_period(c, 1.0 / f)
        self._apply(self._n(args))

    def s_dcycle(self, args: Args) -> None:
        c = self._channel(args)
        d = args.one(Numeric(0.01, 99.99, default=10.0))
        width = d / 100 * c["period"]
        conflict = False
        if width < WIDTH_MIN or width > c["period"] - WIDTH_MIN:
            width = min(max(width, WIDTH_MIN), c["period"] - WIDTH_MIN)
            conflict = True
        c["width"], c["dcycle"] = width, d
        conflict |= self._fit_edges(c)
        if conflict:
            self.push_error(-221, "duty cycle adjusted")
        self._apply(self._n(args))

    @staticmethod
    def _edge(which: tuple[str, ...]):
        def _set(dev: "Keysight33500B", args: Args) -> None:
            c = dev._channel(args)
            edge = args.one(Numeric(EDGE_MIN, EDGE_MAX, default=10e-9, unit="S"))
            top = EDGE_PER_WIDTH * c["width"]
            if edge > top:
                edge = max(EDGE_MIN, top)
                dev.push_error(-221, "edge time adjusted to the pulse width")
            for key in which:
                c[key] = edge

        def _query(dev: "Keysight33500B", args: Args) -> str:
            c = dev._channel(args)
            if args.tokens:
                return _fmt(args.one(Numeric(EDGE_MIN, EDGE_MAX, default=10e-9)))
            return _fmt(c[which[0]])
        return _set, _query

    # ------------------------------------------------------------------ handlers: levels
    def _amp_range(self, c: dict[str, Any]) -> Numeric:
        k = self.k(c)
        return Numeric(EMF_AMP_MIN * k, 2 * EMF_MAX * k, default=0.1, unit="V")

    def s_amplitude(self, args: Args) -> None:
        c = self._channel(args)
        if c["unit"] != "VPP":
            raise ScpiError(-221, "only VPP amplitudes are emulated")
        k = self.k(c)
        amp = args.one(self._amp_range(c)) / k
        c["emf_amp"] = amp
        if abs(c["emf_off"]) + amp / 2 > EMF_MAX * (1 + 1e-12):
            c["emf_off"] = math.copysign(EMF_MAX - amp / 2, c["emf_off"])
            self.push_error(-221, "offset adjusted to the amplitude")
        self._apply(self._n(args))

    def s_offset(self, args: Args) -> None:
        c = self._channel(args)
        k = self.k(c)
        off = args.one(Numeric(-EMF_MAX * k, EMF_MAX * k, default=0.0, unit="V")) / k
        if abs(off) + c["emf_amp"] / 2 > EMF_MAX * (1 + 1e-12):
            off = math.copysign(EMF_MAX - c["emf_amp"] / 2, off)
            self.push_error(-221, "offset adjusted to the amplitude")
        c["emf_off"] = off
        self._apply(self._n(args))

    @staticmethod
    def _level(which: str):
        """VOLTage:HIGH / :LOW: the other level moves when they would cross (guide, VOLTage
        subsystem: "the instrument will set the low level 1 mV less than the high level",
        with a "Settings conflict" error)."""

        def _set(dev: "Keysight33500B", args: Args) -> None:
            c = dev._channel(args)
            if c["unit"] != "VPP":
                raise ScpiError(-221, "only VPP amplitudes are emulated")
            k = dev.k(c)
            value = args.one(Numeric(-EMF_MAX * k, EMF_MAX * k, unit="V")) / k
            high = c["emf_off"] + c["emf_amp"] / 2
            low = c["emf_off"] - c["emf_amp"] / 2
            gap = max(1e-3 / k, EMF_AMP_MIN)
            if which == "HIGH":
                high = value
                if high - low < gap:
                    low = high - gap
                    if low < -EMF_MAX:
                        low, high = -EMF_MAX, -EMF_MAX + gap
                    dev.push_error(-221, "low level moved below the high level")
            else:
                low = value
                if high - low < gap:
                    high = low + gap
                    if high > EMF_MAX:
                        high, low = EMF_MAX, EMF_MAX - gap
                    dev.push_error(-221, "high level moved above the low level")
            c["emf_amp"], c["emf_off"] = high - low, (high + low) / 2
            dev._apply(dev._n(args))

        def _query(dev: "Keysight33500B", args: Args) -> str:
            c = dev._channel(args)
            sign = 1 if which == "HIGH" else -1
            return _fmt((c["emf_off"] + sign * c["emf_amp"] / 2) * dev.k(c))
        return _set, _query

    def s_load(self, args: Args) -> None:
        c = self._channel(args)
        text = args.tokens[0].strip().upper() if args.tokens else ""
        if text in ("9.9E37", "9.9E+37", "+9.9E37", "+9.9E+37"):
            args.one(Numeric(-math.inf, math.inf))  # exactly one parameter
            load = math.inf
        elif text[:1].isalpha():
            token = args.one(Choice(("INFinity", "MINimum", "MAXimum", "DEFault")))
            load = {"INFINITY": math.inf, "MINIMUM": 1.0, "MAXIMUM": 1e4, "DEFAULT": 50.0}[token]
        else:
            load = args.one(Numeric(1.0, 1e4, unit="OHM"))
        c["load"] = load  # the displayed levels rescale; the EMF does not change

    # ------------------------------------------------------------------ handlers: output, burst, trigger
    @staticmethod
    def _choice(key: str, options: tuple[str, ...], apply: bool = True):
        ptype = Choice(options)

        def _set(dev: "Keysight33500B", args: Args) -> None:
            c = dev._channel(args)
            c[key] = args.one(ptype)
            c.pop("running", None)
            if apply:
                dev._apply(dev._n(args))

        def _query(dev: "Keysight33500B", args: Args) -> str:
            return ptype.format(dev._channel(args)[key])
        return Cmd("", _set, _query)

    @staticmethod
    def _bool(key: str):
        def _set(dev: "Keysight33500B", args: Args) -> None:
            c = dev._channel(args)
            c[key] = args.one(Boolean())
            dev._apply(dev._n(args))

        def _query(dev: "Keysight33500B", args: Args) -> str:
            return "1" if dev._channel(args)[key] else "0"
        return _set, _query

    @staticmethod
    def _number(key: str, ptype: Numeric, apply: bool = False):
        def _set(dev: "Keysight33500B", args: Args) -> None:
            c = dev._channel(args)
            c[key] = args.one(ptype)
            if apply:
                dev._apply(dev._n(args))

        def _query(dev: "Keysight33500B", args: Args) -> str:
            if args.tokens:
                return _fmt(args.one(ptype))
            return _fmt(dev._channel(args)[key])
        return _set, _query

    def s_ncycles(self, args: Args) -> None:
        c = self._channel(args)
        if args.tokens and args.tokens[0].strip().upper() in ("INF", "INFINITY"):
            if len(args.tokens) > 1:
                raise ScpiError(-108)
            c["ncycles"] = math.inf
        else:
            c["ncycles"] = args.one(Numeric(1, 1e8, default=1, integer=True))
        self._apply(self._n(args))

    def q_ncycles(self, args: Args) -> str:
        n = self._channel(args)["ncycles"]
        return _fmt(INF_LOAD) if math.isinf(n) else f"{int(n):+d}"

    def s_trigger_now(self, args: Args) -> None:
        """``TRIGger[1|2]``: an immediate trigger of that channel's burst."""
        args.none()
        self.fire(self._n(args))


def _rows() -> list[Cmd]:
    E = Keysight33500B
    S = "[SOURce<n>:]"
    rows: list[Cmd] = []

    def choice(pattern: str, key: str, options: tuple[str, ...], apply: bool = True) -> Cmd:
        c = E._choice(key, options, apply)
        return Cmd(pattern, c.set, c.query)

    # --- BURSt subsystem
    s, q = E._bool("burst")
    rows.append(Cmd(f"{S}BURSt:STATe", s, q, "burst mode on/off"))
    rows.append(choice(f"{S}BURSt:MODE", "burst_mode", ("TRIGgered", "GATed")))
    rows.append(Cmd(f"{S}BURSt:NCYCles", E.s_ncycles, E.q_ncycles, "1 .. 100,000,000 | INFinity"))
    s, q = E._number("burst_phase", Numeric(-360, 360, default=0.0))
    rows.append(Cmd(f"{S}BURSt:PHASe", s, q))
    s, q = E._number("burst_period", Numeric(1e-6, 8000, default=10e-3, unit="S"), True)
    rows.append(Cmd(f"{S}BURSt:INTernal:PERiod", s, q, "1 us .. 8000 s (IMMediate triggers only)"))
    rows.append(choice(f"{S}BURSt:GATE:POLarity", "gate_pol", ("NORMal", "INVerted")))
    # --- FREQuency
    rows.append(Cmd(f"{S}FREQuency[:CW]", E.s_frequency,
                    lambda d, a: _fmt(1.0 / d._channel(a)["period"]), "frequency (pulse: 1/period)"))
    # --- FUNCtion
    rows.append(choice(f"{S}FUNCtion[:SHAPe]", "function", FUNCTIONS))
    rows.append(Cmd(f"{S}FUNCtion:PULSe:DCYCle", E.s_dcycle,
                    lambda d, a: _fmt(100 * d._channel(a)["width"] / d._channel(a)["period"])))
    rows.append(choice(f"{S}FUNCtion:PULSe:HOLD", "hold", ("WIDTh", "DCYCle"), apply=False))
    rows.append(Cmd(f"{S}FUNCtion:PULSe:PERiod", E.s_period,
                    lambda d, a: _fmt(d._channel(a)["period"]), "33 ns (30 MHz models) .. 1e6 s"))
    s, q = E._edge(("lead", "trail"))
    rows.append(Cmd(f"{S}FUNCtion:PULSe:TRANsition[:BOTH]", s, q, "both edges 8.4 ns .. 1 us"))
    s, q = E._edge(("lead",))
    rows.append(Cmd(f"{S}FUNCtion:PULSe:TRANsition:LEADing", s, q))
    s, q = E._edge(("trail",))
    rows.append(Cmd(f"{S}FUNCtion:PULSe:TRANsition:TRAiling", s, q))
    rows.append(Cmd(f"{S}FUNCtion:PULSe:WIDTh", E.s_width,
                    lambda d, a: _fmt(Numeric(WIDTH_MIN, WIDTH_MAX, default=100e-6).parse(a.tokens[0]))
                    if a.tokens else _fmt(d._channel(a)["width"]), "16 ns .. 1e6 s, <= period - 16 ns"))
    # --- OUTPut
    s, q = E._bool("output")
    rows.append(Cmd("OUTPut<n>[:STATe]", s, q, "output relay on/off"))
    rows.append(Cmd("OUTPut<n>:LOAD", E.s_load,
                    lambda d, a: _fmt(INF_LOAD if math.isinf(d._channel(a)["load"]) else d._channel(a)["load"]),
                    "1 ohm .. 10 kohm | INFinity (display scaling only)"))
    rows.append(choice("OUTPut<n>:POLarity", "polarity", ("NORMal", "INVerted")))
    rows.append(Cmd("OUTPut:SYNC[:STATe]", lambda d, a: d.settings.__setitem__("sync", a.one(Boolean())),
                    lambda d, a: "1" if d.settings["sync"] else "0"))
    rows.append(Cmd("OUTPut:SYNC:SOURce", lambda d, a: d.settings.__setitem__("sync_source", a.one(Choice(("CH1", "CH2")))),
                    lambda d, a: d.settings["sync_source"]))
    # --- PHASe
    s, q = E._number("phase", Numeric(-360, 360, default=0.0))
    rows.append(Cmd(f"{S}PHASe[:ADJust]", s, q))
    rows.append(Cmd(f"{S}PHASe:SYNChronize", lambda d, a: a.none()))
    # --- SYSTem
    rows.extend(system_error_commands())
    # --- TRIGger
    rows.append(Cmd("TRIGger<n>[:IMMediate]", E.s_trigger_now, None, "immediate trigger of the channel's burst"))
    rows.append(choice("TRIGger<n>:SOURce", "trig_source", ("IMMediate", "EXTernal", "TIMer", "BUS")))
    rows.append(choice("TRIGger<n>:SLOPe", "trig_slope", ("POSitive", "NEGative"), apply=False))
    s, q = E._number("trig_delay", Numeric(0, 1000, default=0.0, unit="S"))
    rows.append(Cmd("TRIGger<n>:DELay", s, q, "0 .. 1000 s"))
    s, q = E._number("trig_timer", Numeric(1e-6, 8000, default=1e-3, unit="S"), True)
    rows.append(Cmd("TRIGger<n>:TIMer", s, q, "1 us .. 8000 s"))
    # --- VOLTage
    rows.append(Cmd(f"{S}VOLTage[:LEVel][:IMMediate][:AMPLitude]", E.s_amplitude,
                    lambda d, a: _fmt(d._channel(a)["emf_amp"] * d.k(d._channel(a))),
                    "Vpp at the termination setting (1 mVpp .. 10 Vpp into 50 ohm)"))
    rows.append(Cmd(f"{S}VOLTage[:LEVel][:IMMediate]:OFFSet", E.s_offset,
                    lambda d, a: _fmt(d._channel(a)["emf_off"] * d.k(d._channel(a)))))
    s, q = E._level("HIGH")
    rows.append(Cmd(f"{S}VOLTage[:LEVel][:IMMediate]:HIGH", s, q))
    s, q = E._level("LOW")
    rows.append(Cmd(f"{S}VOLTage[:LEVel][:IMMediate]:LOW", s, q))
    rows.append(choice(f"{S}VOLTage:UNIT", "unit", ("VPP", "VRMS", "DBM"), apply=False))
    # --- square, ramp, arbitrary, frequency mode, trigger count and output, display
    rows.extend(waveforms.waveform_rows(S))
    return rows


Keysight33500B.COMMANDS = _rows()
