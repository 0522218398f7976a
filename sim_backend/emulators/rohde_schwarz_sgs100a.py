"""Rohde & Schwarz SGS100A SGMA RF source (SGS100A User Manual, chapter "Remote Control
Commands": SOURce:FREQuency, SOURce:POWer, SOURce:PHASe, OUTPut, SOURce:PULM (option SGS-K22),
SOURce:ROSCillator, SOURce:LOSCillator, CONNector, SOURce:IQ, SOURce:OPMode; common commands).

The command table follows the manual's subsystems in its order. What qcodes'
``RohdeSchwarzSGS100A`` sends works unmodified (``SOUR:FREQ {:.2f}``, ``SOUR:POW {:.2f}``,
``:OUTP:STAT {}``, ``:SOUR:PULM:STAT {}``, ``SOUR:PULM:PER {:g}``, ... and their queries).

* Frequency 1 MHz .. 12.75 GHz (option SGS-B112; data sheet), 0.001 Hz resolution. Out of range:
  ``-222,"Data out of range"``, the setting is kept.
* Level -120 .. +25 dBm with the electronic step attenuator (option SGS-B26; without it
  -20 .. +25 dBm: ``connect``-independent ``options`` string without ``B26``), 0.01 dB.
* ``*RST``: 1 GHz, -30 dBm, RF off, pulse modulation off, internal pulse generator 10 us
  period / 5 us width, single pulse, normal polarity, trigger AUTO.
* Pulse modulation (SGS-K22) with the internal generator: while ``PULM:STAT ON`` and the RF
  output is on, the tone is gated by a square wave of period ``PULM:PER`` and width
  ``PULM:WIDT`` (width < period, else -221). The emulator publishes on the world's links
  ``modulation = {frequency, duty, on, carrier}`` so a lock-in whose reference input is wired to
  this generator's pulse/marker output demodulates at the pulse rate; the world sees the tone
  (the mean over the pulse train is the lock-in's business, not the device's: the device model
  sees the tone on, the lock-in computes the gated response).

No analog modulation: the SGS100A has no ``SOURce:AM``/``FM``/``PM`` subsystem (its
modulations are pulse, SGS-K22, and I/Q from the external I/Q inputs on the vector models), so
``SOUR:AM:...`` is not in the command table and is answered ``-113,"Undefined header"`` like any
header the instrument does not know; the RF output is left as it was.

Wiring: ``connect: {rf_out: <terminal>, cable_loss_db: 2}``; ``options: "SGS-B112,SGS-B26,SGS-K22"``.

Not emulated -- commands of the manual's remote-control chapter that the emulator answers with
``-113,"Undefined header"`` (added by the emu room's command-summary cross-check):
``SOURce:POWer:LIMit``, ``:ALC:*``, ``:MODE``, ``:RANGe?``; ``SOURce:CORRection:*`` (user
correction); ``SOURce:PULM:DOUBle:*``; ``SOURce:PHASe:REFerence``; ``SOURce:FREQuency:MODE``;
``UNIT:POWer``; ``STATus:*`` enables; ``SYSTem`` settings beyond the error queue (e.g.
``SYST:DISP:UPD``); ``MMEMory:*``, ``TEST:*``, ``CALibration:*``, ``*SAV``/``*RCL``.
"""
from __future__ import annotations

import math

from ..scpi import Args, Boolean, Choice, Cmd, Emulator, Numeric, ScpiError, system_error_commands

F_MIN, F_MAX = 1e6, 12.75e9
P_MAX = 25.0
P_MIN_B26 = -120.0
P_MIN = -20.0


class RohdeSchwarzSGS100A(Emulator):
    """SGS100A: CW source with pulse modulation, one RF output wired to a device terminal."""

    IDN = "Rohde&Schwarz,SGS100A,1416.0505k02/112233,4.2.76.0-4.30.046.295"
    ERROR_QUEUE_DEPTH = 20
    BUS_TIME_PER_BYTE = 1e-7      # LAN
    BUS_TIME_PER_TRANSFER = 1e-4
    #: frequency setting time (data sheet: < 1 ms; assumed 500 us)
    SWITCH_TIME = 500e-6

    def __init__(self, world, address, config=None):
        cfg = dict(config or {})
        connect = dict(cfg.get("connect", {}))
        self.rf_port = connect.get("rf_out")
        self.cable_loss_db = float(connect.get("cable_loss_db", 0.0))
        self.options = str(cfg.get("options", "SGS-B112,SGS-B26,SGS-K22"))
        opts = {o.strip().upper() for o in self.options.split(",")}
        self.p_min = P_MIN_B26 if "SGS-B26" in opts else P_MIN
        self.has_pulse = "SGS-K22" in opts
        super().__init__(world, address, cfg)

    def reset(self) -> None:
        self.settings.update(
            freq=1e9, power=-30.0, phase=0.0, output=False, iq=False, opmode="NORMAL",
            pulm=False, pulm_source="INTERNAL", pulm_period=10e-6, pulm_width=5e-6, pulm_delay=0.0,
            pulm_mode="SINGLE", pulm_polarity="NORMAL", pulm_trig_mode="AUTO",
            pulm_double_delay=40e-9, pulm_double_width=20e-9,
            rosc_source="INTERNAL", losc_source="INTERNAL", refl_output="REF", rosc_out_freq="10MHZ",
            rosc_ext_freq="10MHZ", trig_omod="SVALID",
            iq_imp=False, iq_leak_i=0.0, iq_leak_q=0.0, iq_ratio=0.0, iq_quad=0.0,
            pulm_gate_pol="NORMAL", pulm_ext_imp="G50", pulm_ext_slope="POSITIVE",
        )
        self._apply()

    # ------------------------------------------------------------------ physics
    def modulation(self) -> dict:
        s = self.settings
        on = bool(s["output"] and s["pulm"] and s["pulm_source"].startswith("INT"))
        return {"frequency": 1.0 / s["pulm_period"], "duty": s["pulm_width"] / s["pulm_period"],
                "on": on, "carrier": s["freq"], "inverted": s["pulm_polarity"] == "INVERTED"}

    def _apply(self, *_: object) -> None:
        s = self.settings
        if s["output"]:
            self.world.set_rf(self.address, s["freq"], s["power"] - self.cable_loss_db,
                              math.radians(s["phase"]), port=self.rf_port)
        else:
            self.world.set_rf(self.address, s["freq"], None, port=self.rf_port)
        self.world.links.publish(self.address, "modulation", self.modulation())

    # ------------------------------------------------------------------ handlers
    def s_freq(self, args: Args) -> None:
        self.settings["freq"] = round(args.one(Numeric(F_MIN, F_MAX, unit="HZ"), self.settings["freq"]), 3)
        self.world.advance(self.SWITCH_TIME)
        self._apply()

    def s_power(self, args: Args) -> None:
        self.settings["power"] = round(args.one(Numeric(self.p_min, P_MAX, unit="DBM"), self.settings["power"]), 2)
        self._apply()

    def s_pulm_timing(self, key: str, lo: float, args: Args) -> None:
        if not self.has_pulse:
            raise ScpiError(-241, "pulse modulator option SGS-K22 not installed")
        value = args.one(Numeric(lo, 100.0, unit="S"))
        new = dict(self.settings, **{key: value})
        if new["pulm_width"] >= new["pulm_period"]:
            raise ScpiError(-221, "pulse width must be shorter than the period")
        self.settings[key] = value
        self._apply()

    def s_pulm(self, args: Args) -> None:
        if not self.has_pulse:
            raise ScpiError(-241, "pulse modulator option SGS-K22 not installed")
        self.settings["pulm"] = args.one(Boolean())
        self._apply()

    def q_opt(self, args: Args) -> str:
        return self.options


def _setting(pattern: str, key: str, ptype, doc: str = "", apply: bool = False) -> Cmd:
    def _set(dev: RohdeSchwarzSGS100A, args: Args) -> None:
        dev.settings[key] = args.one(ptype, dev.settings.get(key))
        if apply:
            dev._apply()

    def _query(dev: RohdeSchwarzSGS100A, args: Args):
        return ptype.format(dev.settings[key])

    return Cmd(pattern, _set, _query, doc)


_F = Numeric(F_MIN, F_MAX, unit="HZ", fmt="{:.3f}")
_P = Numeric(P_MIN_B26, P_MAX, unit="DBM", fmt="{:.2f}")
_T = Numeric(0.0, 100.0, unit="S", fmt="{:.9g}")
class _RefFreq(Choice):
    """``10MHZ | 100MHZ | 1000MHZ``, answered in the manual's notation (``10MHz``)."""

    def format(self, value):
        return str(value).replace("MHZ", "MHz")


class _LongMixed(Choice):
    """Character data answered in the manual's mixed-case long form (``NORMal``)."""

    def format(self, value):
        for opt in self.options:
            if opt.upper() == value:
                return opt
        return str(value)


_REFFREQ = _RefFreq(("10MHZ", "100MHZ", "1000MHZ"))

RohdeSchwarzSGS100A.COMMANDS = [
    Cmd("*OPT", query=RohdeSchwarzSGS100A.q_opt, doc="installed options"),
    # -- CONNector subsystem
    _setting(":CONNector:REFLo:OUTPut", "refl_output", Choice(("REF", "LO", "OFF")), "REF/LO output"),
    _setting(":CONNector:TRIGger:OMODe", "trig_omod", Choice(("SVALid", "SNVALid", "PVOut", "PETRigger", "PEMSource")),
             "trigger connector output mode"),
    # -- OUTPut subsystem
    _setting(":OUTPut[:STATe]", "output", Boolean(), "RF output ON|OFF", apply=True),
    # -- SOURce subsystem
    Cmd("[:SOURce]:FREQuency[:CW]", set=RohdeSchwarzSGS100A.s_freq,
        query=lambda d, a: _F.format(d.settings["freq"]), doc="RF frequency, Hz"),
    Cmd("[:SOURce]:FREQuency:FIXed", set=RohdeSchwarzSGS100A.s_freq,
        query=lambda d, a: _F.format(d.settings["freq"]), doc="RF frequency (alias)"),
    _setting("[:SOURce]:IQ:STATe", "iq", Boolean(), "I/Q modulation (stored)"),
    _setting("[:SOURce]:IQ:IMPairment[:STATe]", "iq_imp", Boolean(), "I/Q impairments (stored)"),
    _setting("[:SOURce]:IQ:IMPairment:LEAKage:I", "iq_leak_i", Numeric(-10.0, 10.0, unit="PCT", fmt="{:.2f}")),
    _setting("[:SOURce]:IQ:IMPairment:LEAKage:Q", "iq_leak_q", Numeric(-10.0, 10.0, unit="PCT", fmt="{:.2f}")),
    _setting("[:SOURce]:IQ:IMPairment:IQRatio[:MAGNitude]", "iq_ratio", Numeric(-1.0, 1.0, unit="PCT", fmt="{:.3f}")),
    _setting("[:SOURce]:IQ:IMPairment:QUADrature[:ANGLe]", "iq_quad", Numeric(-8.0, 8.0, unit="DEG", fmt="{:.2f}")),
    _setting("[:SOURce]:LOSCillator:SOURce", "losc_source", Choice(("INTernal", "EXTernal")), "LO source"),
    _setting("[:SOURce]:OPMode", "opmode", _LongMixed(("NORMal", "BBBYpass")), "operation mode"),
    _setting("[:SOURce]:PHASe", "phase", Numeric(0.0, 360.0, unit="DEG", fmt="{:.2f}"),
             "phase of the RF signal, deg", apply=True),
    Cmd("[:SOURce]:POWer[:LEVel][:IMMediate][:AMPLitude]", set=RohdeSchwarzSGS100A.s_power,
        query=lambda d, a: _P.format(d.settings["power"]), doc="RF level, dBm"),
    # pulse modulation (SGS-K22)
    Cmd("[:SOURce]:PULM:STATe", set=RohdeSchwarzSGS100A.s_pulm,
        query=lambda d, a: "1" if d.settings["pulm"] else "0", doc="pulse modulation ON|OFF"),
    _setting("[:SOURce]:PULM:SOURce", "pulm_source", Choice(("INTernal", "EXTernal")), "INT|EXT", apply=True),
    Cmd("[:SOURce]:PULM:PERiod", set=lambda d, a: d.s_pulm_timing("pulm_period", 100e-9, a),
        query=lambda d, a: _T.format(d.settings["pulm_period"]), doc="pulse period 100 ns .. 100 s"),
    Cmd("[:SOURce]:PULM:WIDTh", set=lambda d, a: d.s_pulm_timing("pulm_width", 20e-9, a),
        query=lambda d, a: _T.format(d.settings["pulm_width"]), doc="pulse width 20 ns .. 100 s"),
    _setting("[:SOURce]:PULM:DELay", "pulm_delay", _T, "pulse delay"),
    _setting("[:SOURce]:PULM:MODE", "pulm_mode", Choice(("SINGle", "DOUBle")), "single/double pulse"),
    _setting("[:SOURce]:PULM:DOUBle:DELay", "pulm_double_delay", Numeric(40e-9, 100.0, unit="S", fmt="{:.9g}")),
    _setting("[:SOURce]:PULM:DOUBle:WIDTh", "pulm_double_width", Numeric(20e-9, 100.0, unit="S", fmt="{:.9g}")),
    _setting("[:SOURce]:PULM:POLarity", "pulm_polarity", Choice(("NORMal", "INVerted")), apply=True),
    _setting("[:SOURce]:PULM:TRIGger:MODE", "pulm_trig_mode", Choice(("AUTO", "EXTernal", "EGATe"))),
    _setting("[:SOURce]:PULM:TRIGger:EXTernal:GATE:POLarity", "pulm_gate_pol", Choice(("NORMal", "INVerted"))),
    _setting("[:SOURce]:PULM:TRIGger:EXTernal:IMPedance", "pulm_ext_imp", Choice(("G50", "G10K"))),
    _setting("[:SOURce]:PULM:TRIGger:EXTernal:SLOPe", "pulm_ext_slope", Choice(("NEGative", "POSitive"))),
    # reference oscillator
    _setting("[:SOURce]:ROSCillator:SOURce", "rosc_source", Choice(("INTernal", "EXTernal")), "reference source"),
    _setting("[:SOURce]:ROSCillator:OUTPut:FREQuency", "rosc_out_freq", _REFFREQ),
    _setting("[:SOURce]:ROSCillator:EXTernal:FREQuency", "rosc_ext_freq", _REFFREQ),
    *system_error_commands(),
]
