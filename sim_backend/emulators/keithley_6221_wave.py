"""Keithley 6221 waveform (AC) function generator, ``SOURce:WAVE`` (622x Reference Manual,
622x-901-01, section 6 "Waveform functions" and the SOURce command summary of section 14).

Settings (*RST values in brackets): ``FUNCtion`` SINe | SQUare | RAMP | ARB0..ARB4 [SIN],
``FREQuency`` 1 mHz .. 100 kHz [1 kHz], ``AMPLitude`` (peak) 2 pA .. 105 mA [2 pA], ``OFFSet``
-105 .. +105 mA [0], with ``|offset| + amplitude <= 105 mA`` (a value that breaks it is refused,
``-222``), ``DCYCle`` (square) 0 .. 100 % [50], ``DURation:TIME`` 100 ns .. 999999.999 s | INF
[INF] and ``DURation:CYCLes`` 0.001 .. 99999999999 | INF [INF] (coupled: one sets the other,
``TIME = CYCLes / FREQuency``), ``RANGing`` BEST | FIXed [BEST], the phase marker
(``PMARker[:LEVel]`` 0 .. 360 deg [0], ``PMARker:STATe`` [OFF], ``PMARker:OLINe`` 1..6 [3]) and
the user arbitrary waveform (``ARB:DATA``/``APPend``, up to 65,536 points in -1 .. 1, ``COPY``
to ARB1..ARB4, ``POINts?``).  ARB0 is the waveform last written by ``ARB:DATA``.

Operation: ``SOUR:WAVE:ARM`` turns the output on at the offset (the DC state before arming
returns on ``SOUR:WAVE:ABOR``, as for the other armed modes); ``SOUR:WAVE:INIT`` starts the
waveform.

Physics (the output current drives the wired device port like any current, through the
compliance limit): a waveform of finite duration runs to its end before the next command is
read (as the emulated 33500B bursts do), with the output stepped through ``SAMPLES_PER_PERIOD``
piecewise-constant samples per period (each sample the waveform's mean over that interval), so
the device sees the sine, square, ramp or arbitrary current as it is; afterwards the output
returns to the offset.  A waveform of infinite duration free-runs: the world then sees its
time-averaged current (offset + amplitude x the shape's mean: 0 for sine and ramp, ``2 D - 1``
for a square of duty cycle D, the data's mean for an arbitrary waveform), the same convention as
the free-running 33500B; cycles are not resolved one by one there.  A finite run longer than
``MAX_SAMPLES`` samples is driven at its mean (documented approximation).

The ramp is taken symmetric (a triangle, -1 .. 1); the manual's ramp symmetry setting and the
external triggering of waveforms (``SOUR:WAVE:EXTR*``) are not emulated (``-113``).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..scpi import Args, Boolean, Choice, Cmd, Numeric, ScpiError

if TYPE_CHECKING:  # pragma: no cover
    from .keithley_6221 import Keithley6221

I_MAX = 105e-3
SAMPLES_PER_PERIOD = 32
MAX_SAMPLES = 200_000
FUNCTIONS = ("SINe", "SQUare", "RAMP", "ARB0", "ARB1", "ARB2", "ARB3", "ARB4")

DEFAULTS: dict[str, Any] = {
    "wave_func": "SINE", "wave_freq": 1e3, "wave_ampl": 2e-12, "wave_offs": 0.0, "wave_dcyc": 50.0,
    "wave_dur_time": math.inf, "wave_rang": "BEST", "wave_pmar": 0.0, "wave_pmar_stat": False,
    "wave_pmar_olin": 3,
}


def _fmt(value: float) -> str:
    return "+9.900000E+37" if math.isinf(value) else f"{value:.6E}"


def shape(dev: "Keithley6221", phase: np.ndarray) -> np.ndarray:
    """The normalised waveform (-1 .. 1) at ``phase`` (cycles, any real)."""
    s = dev.settings
    frac = np.mod(phase, 1.0)
    fn = s["wave_func"]
    if fn == "SINE":
        return np.sin(2 * np.pi * frac)
    if fn == "SQUARE":
        return np.where(frac < s["wave_dcyc"] / 100, 1.0, -1.0)
    if fn == "RAMP":
        return np.where(frac < 0.5, 4 * frac - 1, 3 - 4 * frac)
    data = np.asarray(dev.arb_waveforms.get(int(fn[3]), [0.0]), dtype=float)
    return data[np.minimum((frac * len(data)).astype(int), len(data) - 1)]


def shape_mean(dev: "Keithley6221") -> float:
    s = dev.settings
    fn = s["wave_func"]
    if fn in ("SINE", "RAMP"):
        return 0.0
    if fn == "SQUARE":
        return 2 * s["wave_dcyc"] / 100 - 1
    data = dev.arb_waveforms.get(int(fn[3]), [0.0])
    return float(np.mean(data))


def _mean_level(dev: "Keithley6221") -> float:
    s = dev.settings
    return s["wave_offs"] + s["wave_ampl"] * shape_mean(dev)


def run(dev: "Keithley6221") -> None:
    """``SOUR:WAVE:INIT``: run the armed waveform (see the module doc)."""
    s = dev.settings
    f = s["wave_freq"]
    duration = s["wave_dur_time"]
    if math.isinf(duration):
        dev.wave_running = True
        dev._drive(_mean_level(dev))
        return
    n_periods = duration * f
    n = int(math.ceil(n_periods * SAMPLES_PER_PERIOD))
    if n > MAX_SAMPLES:
        dev._drive(_mean_level(dev))
        dev.world.advance(duration)
    else:
        # each sample: the waveform's mean over its interval (16 sub-points), so the charge is right
        edges = np.linspace(0.0, n_periods, n + 1)
        sub = edges[:-1, None] + (edges[1:] - edges[:-1])[:, None] * (np.arange(16) + 0.5) / 16
        levels = s["wave_offs"] + s["wave_ampl"] * shape(dev, sub).mean(axis=1)  # starts at phase 0
        dt = duration / n
        world = dev.world
        # a continuous output: no settling time per sample (unlike a DC level change)
        r = world.port_resistance(dev.port)
        comp = s["comp"]
        limited = False
        for level in levels:
            amps = float(level)
            if abs(amps) * r > comp:
                amps, limited = math.copysign(comp / r, amps), True
            world.set_source(dev.address, dev.port, amps)
            world.advance(dt)
        dev.delivered = None  # the next DC level is applied afresh
        if limited:
            dev.meas_event |= 1 << 3  # COMP: compliance reached during the waveform
    dev._drive(s["wave_offs"])
    dev.oper_event |= 1 << 1  # SWPD: sweep (waveform) done


def _arm(dev: "Keithley6221", args: Args) -> None:
    args.none()
    if dev.armed not in (None, "WAVE"):
        dev.disarm()
    if dev.armed is None:
        dev._pre_arm_output = dev.settings["output"]
    dev.armed = "WAVE"
    dev.wave_running = False
    dev.settings["output"] = True
    dev._drive(dev.settings["wave_offs"])


def _init(dev: "Keithley6221", args: Args) -> None:
    args.none()
    if dev.armed != "WAVE":
        raise ScpiError(-221, "waveform not armed")
    run(dev)


def _abort(dev: "Keithley6221", args: Args) -> None:
    args.none()
    dev.wave_running = False
    if dev.armed == "WAVE":
        dev.disarm()


def _check_levels(dev: "Keithley6221", ampl: float, offs: float) -> None:
    if abs(offs) + ampl > I_MAX * (1 + 1e-12):
        raise ScpiError(-222, "|offset| + amplitude beyond 105 mA")


def _set_ampl(dev: "Keithley6221", args: Args) -> None:
    ampl = args.one(Numeric(2e-12, I_MAX, default=2e-12, unit="A"))
    _check_levels(dev, ampl, dev.settings["wave_offs"])
    dev.settings["wave_ampl"] = ampl
    _refresh(dev)


def _set_offs(dev: "Keithley6221", args: Args) -> None:
    offs = args.one(Numeric(-I_MAX, I_MAX, default=0.0, unit="A"))
    _check_levels(dev, dev.settings["wave_ampl"], offs)
    dev.settings["wave_offs"] = offs
    _refresh(dev)


def _refresh(dev: "Keithley6221") -> None:
    """A setting changed while the waveform is armed or free-running: the output follows."""
    if dev.armed == "WAVE":
        dev._drive(_mean_level(dev) if dev.wave_running else dev.settings["wave_offs"])


def _simple(key: str, ptype: Any, refresh: bool = False):
    def _set(dev: "Keithley6221", args: Args) -> None:
        dev.settings[key] = args.one(ptype)
        if refresh:
            _refresh(dev)

    def _query(dev: "Keithley6221", args: Args) -> str:
        value = dev.settings[key]
        return _fmt(value) if isinstance(ptype, Numeric) and not ptype.integer else ptype.format(value)
    return _set, _query


class _TimeOrInf(Numeric):
    def parse(self, token: str, current: Any = None) -> float:
        if token.strip().upper() in ("INF", "INFINITY", "+INF", "9.9E37", "+9.9E37", "9.9E+37"):
            return math.inf
        return super().parse(token, current)


def _set_dur_time(dev: "Keithley6221", args: Args) -> None:
    dev.settings["wave_dur_time"] = args.one(_TimeOrInf(100e-9, 999999.999, default=math.inf, unit="S"))


def _set_dur_cycles(dev: "Keithley6221", args: Args) -> None:
    cycles = args.one(_TimeOrInf(0.001, 99999999999, default=math.inf))
    dev.settings["wave_dur_time"] = cycles / dev.settings["wave_freq"]


def _q_dur_cycles(dev: "Keithley6221", args: Args) -> str:
    return _fmt(dev.settings["wave_dur_time"] * dev.settings["wave_freq"])


def _set_freq(dev: "Keithley6221", args: Args) -> None:
    f = args.one(Numeric(1e-3, 1e5, default=1e3, unit="HZ"))
    dev.settings["wave_freq"] = f


def _arb_data(append: bool):
    def _set(dev: "Keithley6221", args: Args) -> None:
        if not args.tokens:
            raise ScpiError(-109)
        item = Numeric(-1.0, 1.0)
        values = [item.parse(t) for t in args.tokens]
        data = (list(dev.arb_waveforms.get(0, [])) if append else []) + values
        if len(data) > 65536:
            raise ScpiError(-222, "more than 65536 points")
        dev.arb_waveforms[0] = data
    return _set


def _arb_copy(dev: "Keithley6221", args: Args) -> None:
    n = args.one(Numeric(1, 4, integer=True))
    if not dev.arb_waveforms.get(0):
        raise ScpiError(-221, "no arbitrary waveform data")
    dev.arb_waveforms[n] = list(dev.arb_waveforms[0])


def wave_rows(src: str = "[SOURce[1]]") -> list[Cmd]:
    W = f"{src}:WAVE"
    return [
        Cmd(f"{W}:FUNCtion", *_simple("wave_func", Choice(FUNCTIONS), True), doc="SIN|SQU|RAMP|ARB0..4"),
        Cmd(f"{W}:FREQuency", _set_freq, lambda d, a: _fmt(d.settings["wave_freq"]), "1 mHz .. 100 kHz"),
        Cmd(f"{W}:AMPLitude", _set_ampl, lambda d, a: _fmt(d.settings["wave_ampl"]), "peak, 2 pA .. 105 mA"),
        Cmd(f"{W}:OFFSet", _set_offs, lambda d, a: _fmt(d.settings["wave_offs"]), "-105 .. 105 mA"),
        Cmd(f"{W}:DCYCle", *_simple("wave_dcyc", Numeric(0, 100, default=50.0), True), doc="square duty cycle %"),
        Cmd(f"{W}:DURation:TIME", _set_dur_time, lambda d, a: _fmt(d.settings["wave_dur_time"]),
            "100 ns .. 999999.999 s | INF"),
        Cmd(f"{W}:DURation:CYCLes", _set_dur_cycles, _q_dur_cycles, "0.001 .. 99999999999 | INF"),
        Cmd(f"{W}:RANGing", *_simple("wave_rang", Choice(("BEST", "FIXed"))), doc="BEST|FIXed"),
        Cmd(f"{W}:PMARker[:LEVel]", *_simple("wave_pmar", Numeric(0, 360, default=0.0)), doc="0 .. 360 deg"),
        Cmd(f"{W}:PMARker:STATe", *_simple("wave_pmar_stat", Boolean())),
        Cmd(f"{W}:PMARker:OLINe", *_simple("wave_pmar_olin", Numeric(1, 6, default=3, integer=True))),
        Cmd(f"{W}:ARBitrary:DATA", _arb_data(False),
            lambda d, a: ",".join(f"{v:.6E}" for v in d.arb_waveforms.get(0, [])), "points in -1 .. 1"),
        Cmd(f"{W}:ARBitrary:APPend", _arb_data(True)),
        Cmd(f"{W}:ARBitrary:COPY", _arb_copy, doc="ARB0 -> ARB1..4"),
        Cmd(f"{W}:ARBitrary:POINts", query=lambda d, a: len(d.arb_waveforms.get(0, []))),
        Cmd(f"{W}:ARM", _arm, lambda d, a: int(d.armed == "WAVE")),
        Cmd(f"{W}:INITiate", _init),
        Cmd(f"{W}:ABORt", _abort),
    ]
