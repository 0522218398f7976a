"""Keysight (Agilent) N5183B MXG X-series microwave analog signal generator, option 520
(Keysight X-Series Signal Generators SCPI Command Reference; N5183B data sheet).

SCPI.  The command table follows the reference's subsystems in its order: IEEE 488.2 common
commands (plus ``*OPT?``), Basic Function subsystems (``:FREQuency``, ``:POWer``, ``:PHASe``,
``:LIST``/``:SWEep``, ``:INITiate``, ``:ROSCillator``), ``:OUTPut``, the amplitude modulation
subsystem of option UNT (``:AM``), the pulse modulation subsystem of option UNW (``:PULM``),
``:SYSTem:ERRor``.

* Frequency: 100 kHz .. 20 GHz (option 520, data sheet), 0.001 Hz resolution, units
  HZ/KHZ/MHZ/GHZ (``MHZ`` is megahertz, SCPI-99 7.3.3).  A value out of range is refused with
  ``-222,"Data out of range"`` and the setting is kept (assumed; the manual does not say).
* Power: -20 .. +19 dBm; with the step attenuator (option 1E1 in ``*OPT?``) down to -130 dBm;
  0.01 dB resolution, unit ``DBM``.
* ``*RST`` (assumed from the instrument's preset): CW at the maximum frequency, the minimum
  power, RF output off, modulation output on.
* ``:FREQ:MODE CW|FIXed`` (one tone) or ``LIST`` (``SWEep`` is accepted as LIST): a step sweep
  of ``:SWE:POIN`` points from ``:FREQ:STAR`` to ``:FREQ:STOP`` (``:SWE:SPAC LIN|LOG``), and in
  ``:POW:MODE LIST`` from ``:POW:STAR`` to ``:POW:STOP``, ``:SWE:DWEL`` per point.  Armed, the
  output sits at the first point; ``:INIT`` runs one sweep, advancing the world clock by the
  dwell of each point (the command returns when the sweep is done), and the output then holds
  the last point.  List sweeps from tables (``:LIST:FREQ <list>``) and continuous sweeps
  (``:INIT:CONT ON``) are not emulated.

Physics: with the output on the tone reaches the device's RF port at the programmed power less
the cable loss: ``world.set_rf(address, f, P - cable_loss_db)``; off: ``world.set_rf(address,
f, None)``.  The programmed power is the carrier's (unmodulated) power.

Modulation (with ``:OUTPut:MODulation`` on and the RF output on) is published on the world's
links as ``modulation`` (what the rear-panel sync / LF output carries to a lock-in's REF IN):

* pulse (option UNW; ``:PULM:STAT ON``, ``:PULM:SOUR INT``): ``:PULM:SOUR:INT SQUare`` a 50 %
  square at ``:PULM:INT:FREQ``, ``FRUN`` a free-run train of ``:PULM:INT:PER`` and
  ``:PULM:INT:PWID`` -> ``{frequency, duty, on, carrier}`` (the carrier on during the pulse);
* AM (option UNT; ``:AM:STAT ON``, ``:AM:SOUR INT``, ``:AM:TYPE LIN``, sine function): envelope
  ``1 + m sin(2 pi f_AM t)`` of depth ``m = :AM:DEPT / 100`` at ``:AM:INT:FREQ``, in phase with
  the LF output -> ``{frequency, shape: "sine", depth, on, carrier}``.  The lock-in evaluates
  the device over the envelope (:mod:`.srs_sr830_demod`); the peak envelope power is
  ``P + 20 log10(1 + m)``.

With both on, the pulse sync is the published reference.

Trigger output (step sweeps): with ``connect: {trigger_out: <address>}`` the rear-panel TRIG OUT
is cabled to that instrument's TRIG IN (world link ``trigger_in``): one TTL pulse when each
point's dwell ends (the point is settled and held; assumed timing), so a lock-in storing on
external triggers (SR830 ``SRAT 14``) takes one sample per point.

Wiring: ``connect: {rf_out: rf, cable_loss_db: 2, trigger_out: GPIB0::8::INSTR}``; ``options:
"1E1,520,UNT,UNW"`` (``*OPT?``).

Not emulated -- subsystems of the programming guide's command reference that the emulator
answers with ``-113,"Undefined header"``: frequency/phase modulation (``:FM``, ``:PM``), AM
from external inputs or other internal shapes (``:AM:SOUR EXT``, ``:AM:INT:FUNC:SHAP`` other
than SINE are refused with -221), exponential AM, the LF output's own settings
(``:LFOutput``), list tables (``:LIST:FREQuency``,
``:LIST:POWer``, ``:LIST:DWELl`` with ``:LIST:TYPE LIST``), power search and flatness
(``:POWer:ALC:SEARch``, ``:CORRection``), the trigger subsystem (``:TRIGger``,
``:LIST:TRIGger``), ``:INITiate:CONTinuous``, ``:MEMory``/``:MMEMory``, ``:DISPlay``,
``:SYSTem`` settings beyond the error queue and preset, ``:UNIT:POWer``, ``*SAV``/``*RCL``.
"""
from __future__ import annotations

import math

import numpy as np

from ..scpi import (Args, Boolean, Choice, Cmd, Emulator, Numeric, ScpiError,
                    system_error_commands)

F_MIN, F_MAX = 100e3, 20e9           #: option 520
P_MAX = 19.0                          #: dBm
P_MIN = -20.0                         #: dBm without the step attenuator
P_MIN_1E1 = -130.0                    #: dBm with option 1E1
POINTS_MAX = 65535
DWELL_RANGE = (1e-3, 100.0)           #: s, step sweep dwell (assumed)


class Frequency(Numeric):
    """<numeric_value> in Hz with SCPI's megahertz exception (``MHZ`` = 1e6 Hz)."""

    def parse(self, token, current=None):
        t = token.strip().upper()
        if t.endswith("MHZ") and not t.endswith("MAHZ"):
            value = Numeric(unit=None).parse(t[:-3]) * 1e6
            return super().parse(repr(value), current)
        return super().parse(token, current)


def _freq(lo: float = F_MIN, hi: float = F_MAX) -> Frequency:
    return Frequency(lo, hi, unit="HZ", fmt="{:+.10E}")


class KeysightN5183B(Emulator):
    """N5183B MXG, CW and step sweep, one RF output wired to the device's RF port."""

    IDN = "Agilent Technologies, N5183B, MY12345678, B.01.80"
    ERROR_QUEUE_DEPTH = 30
    BUS_TIME_PER_BYTE = 1e-6
    #: frequency switching time (data sheet: < 600 us list/step mode, typical; assumed for CW)
    SWITCH_TIME = 600e-6

    def __init__(self, world, address, config=None):
        cfg = dict(config or {})
        connect = dict(cfg.get("connect", {}))
        self.rf_port = connect.get("rf_out", "rf")
        self.cable_loss_db = float(connect.get("cable_loss_db", 0.0))
        #: the instrument whose TRIG IN the rear-panel TRIG OUT is cabled to (step sweeps)
        self.trigger_out = connect.get("trigger_out")
        # a bare port name (``rf``) is the first device, the world's default; else a
        # ``DEVICE.PORT`` or a line, every device on which gets the tone
        bare = "." not in self.rf_port and self.rf_port not in world.lines and self.rf_port not in world.devices
        self._where = {} if bare else {"port": self.rf_port}
        if not bare:
            world.terminal(self.rf_port, signal=True)
        self.options = str(cfg.get("options", "1E1,520,UNW"))
        opts = {o.strip().upper() for o in self.options.split(",")}
        self.p_min = P_MIN_1E1 if "1E1" in opts else P_MIN
        self.has_am, self.has_pulse = "UNT" in opts, "UNW" in opts
        super().__init__(world, address, cfg)

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        self.settings.update(
            freq=F_MAX, freq_mode="CW", start=F_MIN, stop=F_MAX,
            power=self.p_min, pow_mode="FIXED", pow_start=self.p_min, pow_stop=self.p_min,
            alc=True, phase=0.0,
            list_type="STEP", direction="UP", points=2, spacing="LINEAR", dwell=2e-3,
            output=False, modulation=True, pulm=False, pulm_source="INTERNAL",
            pulm_int_source="SQUARE", pulm_rate=400.0, pulm_period=100e-6, pulm_width=50e-6,
            am=False, am_depth=0.1, am_source="INTERNAL", am_rate=400.0, am_shape="SINE", am_type="LINEAR",
            rosc_auto=True,
        )
        self.point = 0  # present point of an armed / finished step sweep
        self._apply()

    def pop_error(self) -> str:
        """Keysight answers ``+0,"No error"`` (signed code)."""
        if not self.errors:
            return '+0,"No error"'
        code, text = self.errors.popleft()
        return f'{code:+d},"{text}"'

    # ------------------------------------------------------------------ physics
    def sweep_points(self) -> tuple[np.ndarray, np.ndarray]:
        """Frequencies (Hz) and powers (dBm) of the step sweep, in sweep order (computed once
        per sweep setting)."""
        s = self.settings
        key = tuple(s[k] for k in ("points", "spacing", "start", "stop", "pow_start", "pow_stop", "direction"))
        cached = self.__dict__.get("_sweep_points")
        if cached is not None and cached[0] == key:
            return cached[1]
        self._sweep_points = (key, self._compute_sweep_points())
        return self._sweep_points[1]

    def _compute_sweep_points(self) -> tuple[np.ndarray, np.ndarray]:
        s = self.settings
        n = s["points"]
        if s["spacing"] == "LOGARITHMIC":
            f = np.geomspace(s["start"], s["stop"], n)
        else:
            f = np.linspace(s["start"], s["stop"], n)
        p = np.linspace(s["pow_start"], s["pow_stop"], n)
        if s["direction"] == "DOWN":
            f, p = f[::-1], p[::-1]
        return f, p

    def output_tone(self) -> tuple[float, float]:
        """The tone at the RF connector now: (Hz, dBm)."""
        s = self.settings
        f, p = s["freq"], s["power"]
        if s["freq_mode"] == "LIST" or s["pow_mode"] == "LIST":
            fs, ps = self.sweep_points()
            k = min(self.point, len(fs) - 1)
            if s["freq_mode"] == "LIST":
                f = float(fs[k])
            if s["pow_mode"] == "LIST":
                p = float(ps[k])
        return f, p

    def modulation(self) -> dict:
        """What the sync / LF output carries (module docstring)."""
        s = self.settings
        live = bool(s["output"] and s["modulation"])
        f, _ = self.output_tone()
        if s["pulm"] and s["pulm_source"] == "INTERNAL":
            if s["pulm_int_source"] == "SQUARE":
                rate, duty = s["pulm_rate"], 0.5
            else:
                rate, duty = 1.0 / s["pulm_period"], s["pulm_width"] / s["pulm_period"]
            return {"frequency": rate, "duty": duty, "on": live, "carrier": f}
        if s["am"]:
            return {"frequency": s["am_rate"], "shape": "sine", "depth": s["am_depth"] / 100.0,
                    "on": live, "carrier": f}
        return {"on": False, "carrier": f}

    def _apply(self, *_: object) -> None:
        f, p = self.output_tone()
        if self.settings["output"]:
            self.world.set_rf(self.address, f, p - self.cable_loss_db, **self._where)
        else:
            self.world.set_rf(self.address, f, None)
        self.world.links.publish(self.address, "modulation", self.modulation())

    def _option(self, present: bool, name: str) -> None:
        if not present:
            raise ScpiError(-241, f"option {name} not installed")

    def _retune(self, *_: object) -> None:
        """A frequency change: the synthesizer settles, then the new tone is out."""
        self.world.advance(self.SWITCH_TIME)
        self._apply()

    def _rearm(self, *_: object) -> None:
        self.point = 0
        self._apply()

    # ------------------------------------------------------------------ handlers
    def s_power(self, args: Args) -> None:
        value = args.one(Numeric(self.p_min, P_MAX, unit="DBM"), self.settings["power"])
        self.settings["power"] = round(value, 2)
        self._apply()

    def s_pow_start(self, args: Args) -> None:
        self.settings["pow_start"] = round(args.one(Numeric(self.p_min, P_MAX, unit="DBM")), 2)
        self._rearm()

    def s_pow_stop(self, args: Args) -> None:
        self.settings["pow_stop"] = round(args.one(Numeric(self.p_min, P_MAX, unit="DBM")), 2)
        self._rearm()

    def s_freq(self, args: Args) -> None:
        self.settings["freq"] = round(args.one(_freq(), self.settings["freq"]), 3)
        self._retune()

    def s_phase(self, args: Args) -> None:
        if not args.tokens:
            raise ScpiError(-109)
        token = args.tokens[0].strip().upper()
        if token.endswith("DEG"):
            value = math.radians(Numeric(unit=None).parse(token[:-3]))
        else:
            value = args.one(Numeric(-math.pi, math.pi, unit="RAD"))
        if not -math.pi <= value <= math.pi:
            raise ScpiError(-222, args.tokens[0])
        self.settings["phase"] = value

    def s_init(self, args: Args) -> None:
        """``:INIT``: one step sweep (a CW instrument ignores it: -213 Init ignored)."""
        args.none()
        s = self.settings
        if s["freq_mode"] != "LIST" and s["pow_mode"] != "LIST":
            raise ScpiError(-213, "not in a sweep mode")
        target = self.trigger_out
        if target is not None:
            from ..benches import canonical
            target = canonical(target)
        for k in range(s["points"]):
            self.point = k
            self._retune()
            self.world.advance(s["dwell"])
            if target is not None and self.world.links.listens(target, "trigger_in"):
                self.world.links.send(target, "trigger_in")     # TRIG OUT: this point is done

    def q_opt(self, args: Args) -> str:
        return self.options

    def s_am(self, key: str, ptype, args: Args) -> None:
        """An ``:AM`` setting (option UNT)."""
        self._option(self.has_am, "UNT (AM)")
        value = args.one(ptype, self.settings.get(key))
        if key == "am_source" and value != "INTERNAL":
            raise ScpiError(-221, "external AM inputs are not emulated")
        if key == "am_shape" and value != "SINE":
            raise ScpiError(-221, "only the SINE AM function is emulated")
        if key == "am_type" and value != "LINEAR":
            raise ScpiError(-221, "exponential AM is not emulated")
        self.settings[key] = value
        self._apply()

    def s_pulm(self, key: str, ptype, args: Args) -> None:
        """A ``:PULM`` setting (option UNW); the pulse must fit in its period."""
        self._option(self.has_pulse, "UNW (pulse modulation)")
        value = args.one(ptype, self.settings.get(key))
        new = dict(self.settings, **{key: value})
        if new["pulm_width"] >= new["pulm_period"]:
            raise ScpiError(-221, "pulse width must be shorter than the period")
        self.settings[key] = value
        self._apply()

    def q_rosc_source(self, args: Args) -> str:
        return "INT"


def _setting(pattern: str, key: str, ptype, on_set=None, doc: str = "") -> Cmd:
    def _set(dev: KeysightN5183B, args: Args) -> None:
        dev.settings[key] = args.one(ptype, dev.settings.get(key))
        if on_set is not None:
            on_set(dev)

    def _query(dev: KeysightN5183B, args: Args):
        if args.tokens:
            return ptype.format(args.one(ptype))
        return ptype.format(dev.settings[key])

    return Cmd(pattern, _set, _query, doc)


_POWER = Numeric(P_MIN_1E1, P_MAX, unit="DBM", fmt="{:+.8E}")


def _modulation_settings(root: str, setter, rows) -> list[Cmd]:
    """Commands ``root + suffix`` whose set goes through ``setter(dev, key, ptype, args)``."""
    out = []
    for suffix, key, ptype, doc in rows:
        def _set(dev, args, key=key, ptype=ptype):
            setter(dev, key, ptype, args)

        def _query(dev, args, key=key, ptype=ptype):
            return ptype.format(dev.settings[key])
        out.append(Cmd(root + suffix, _set, _query, doc))
    return out

KeysightN5183B.COMMANDS = [
    Cmd("*OPT", query=KeysightN5183B.q_opt, doc="installed options"),
    # -- frequency subsystem
    Cmd("[:SOURce]:FREQuency[:CW]", set=KeysightN5183B.s_freq,
        query=lambda d, a: _freq().format(d.settings["freq"]), doc="CW frequency"),
    Cmd("[:SOURce]:FREQuency:FIXed", set=KeysightN5183B.s_freq,
        query=lambda d, a: _freq().format(d.settings["freq"]), doc="CW frequency (alias)"),
    _setting("[:SOURce]:FREQuency:MODE", "freq_mode", Choice(("CW", "FIXed", "LIST", "SWEep")),
             on_set=lambda d: (d.settings.__setitem__("freq_mode", {"FIXED": "CW", "SWEEP": "LIST"}
                                                       .get(d.settings["freq_mode"], d.settings["freq_mode"])),
                               d._rearm()),
             doc="CW|FIXed|LIST (SWEep = LIST)"),
    _setting("[:SOURce]:FREQuency:STARt", "start", _freq(), on_set=KeysightN5183B._rearm, doc="sweep start"),
    _setting("[:SOURce]:FREQuency:STOP", "stop", _freq(), on_set=KeysightN5183B._rearm, doc="sweep stop"),
    # -- power (amplitude) subsystem
    Cmd("[:SOURce]:POWer[:LEVel][:IMMediate][:AMPLitude]", set=KeysightN5183B.s_power,
        query=lambda d, a: _POWER.format(d.settings["power"]), doc="output power, dBm"),
    _setting("[:SOURce]:POWer:MODE", "pow_mode", Choice(("FIXed", "LIST")), on_set=KeysightN5183B._rearm,
             doc="FIXed|LIST"),
    Cmd("[:SOURce]:POWer:STARt", set=KeysightN5183B.s_pow_start,
        query=lambda d, a: _POWER.format(d.settings["pow_start"]), doc="sweep start power"),
    Cmd("[:SOURce]:POWer:STOP", set=KeysightN5183B.s_pow_stop,
        query=lambda d, a: _POWER.format(d.settings["pow_stop"]), doc="sweep stop power"),
    _setting("[:SOURce]:POWer:ALC[:STATe]", "alc", Boolean(), doc="automatic level control"),
    # -- phase
    Cmd("[:SOURce]:PHASe[:ADJust]", set=KeysightN5183B.s_phase,
        query=lambda d, a: f"{d.settings['phase']:+.8E}", doc="phase offset, rad (or DEG)"),
    # -- list / step sweep
    _setting("[:SOURce]:LIST:TYPE", "list_type", Choice(("STEP",)), doc="STEP only (LIST tables not emulated)"),
    _setting("[:SOURce]:LIST:DIRection", "direction", Choice(("UP", "DOWN")), on_set=KeysightN5183B._rearm,
             doc="sweep direction"),
    _setting("[:SOURce]:SWEep:POINts", "points", Numeric(2, POINTS_MAX, integer=True),
             on_set=KeysightN5183B._rearm, doc="step sweep points"),
    _setting("[:SOURce]:SWEep:SPACing", "spacing", Choice(("LINear", "LOGarithmic")),
             on_set=KeysightN5183B._rearm, doc="LIN|LOG"),
    _setting("[:SOURce]:SWEep:DWELl", "dwell", Numeric(*DWELL_RANGE, unit="S"), doc="dwell per point"),
    Cmd(":INITiate[:IMMediate]", set=KeysightN5183B.s_init, doc="run one sweep"),
    Cmd(":ABORt", set=lambda d, a: d._rearm(), doc="abort the sweep: back to the first point"),
    # -- reference oscillator
    Cmd(":ROSCillator:SOURce", query=KeysightN5183B.q_rosc_source, doc="INT|EXT (no 10 MHz input wired)"),
    _setting(":ROSCillator:SOURce:AUTO", "rosc_auto", Boolean(), doc="automatic reference selection"),
    # -- output
    _setting(":OUTPut[:STATe]", "output", Boolean(), on_set=KeysightN5183B._apply, doc="RF output ON|OFF"),
    _setting(":OUTPut:MODulation[:STATe]", "modulation", Boolean(), on_set=KeysightN5183B._apply,
             doc="modulation ON|OFF"),
    # -- amplitude modulation (option UNT)
    *_modulation_settings("[:SOURce]:AM[1]", KeysightN5183B.s_am, (
        (":STATe", "am", Boolean(), "AM on/off"),
        ("[:DEPTh][:LINear]", "am_depth", Numeric(0.0, 100.0, unit="PCT", fmt="{:+.8E}"), "AM depth, %"),
        (":SOURce", "am_source", Choice(("INTernal", "INTernal1", "EXTernal", "EXTernal1")), "INT only"),
        (":INTernal[1]:FREQuency", "am_rate", Numeric(0.1, 2e6, unit="HZ", fmt="{:+.8E}"), "AM rate"),
        (":INTernal[1]:FUNCtion:SHAPe", "am_shape", Choice(("SINE", "TRIangle", "SQUare", "RAMP", "NOISe")),
         "SINE only"),
        (":TYPE", "am_type", Choice(("LINear", "EXPonential")), "LIN only"))),
    # -- pulse modulation (option UNW)
    *_modulation_settings("[:SOURce]:PULM", KeysightN5183B.s_pulm, (
        (":STATe", "pulm", Boolean(), "pulse modulation on/off"),
        (":SOURce", "pulm_source", Choice(("INTernal", "EXTernal")), "INT|EXT (EXT: no sync published)"),
        (":SOURce:INTernal", "pulm_int_source", Choice(("SQUare", "FRUN")), "SQUare | FRUN"),
        (":INTernal:FREQuency", "pulm_rate", Numeric(0.1, 10e6, unit="HZ", fmt="{:+.8E}"), "square rate"),
        (":INTernal:PERiod", "pulm_period", Numeric(20e-9, 42.0, unit="S", fmt="{:+.8E}"), "free-run period"),
        (":INTernal:PWIDth", "pulm_width", Numeric(10e-9, 42.0, unit="S", fmt="{:+.8E}"), "free-run width"))),
    *system_error_commands(),
]
