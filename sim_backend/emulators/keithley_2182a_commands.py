"""Keithley 2182A command handlers and the command table (:mod:`.keithley_2182a`), in the
order of the manual's SCPI command summary (2182A-900-01, section 14): CALCulate, DISPlay,
FORMat, SENSe, STATus, SYSTem, TRACe, TRIGger, UNIT, then the signal-oriented commands
(CONFigure/FETCh?/READ?/MEASure?, section 13)."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..scpi import Args, Boolean, Choice, Cmd, Numeric, ScpiError, String, setting, \
    status_preset_command, status_register_commands, system_error_commands
from .keithley_2182a import BAV, BFL, BHF, OVERFLOW, RANGES
from .keithley_6221 import CountOrInf

if TYPE_CHECKING:  # pragma: no cover
    from .keithley_2182a import Keithley2182A


def _sfx_channel(args: Args, allowed: tuple[int, ...] = (1, 2)) -> int:
    ch = args.suffix()
    if ch not in allowed:
        raise ScpiError(-114, f"CHANnel{ch}")
    return ch


def _range_cmd(pattern: str, active: bool = False) -> Cmd:
    """:SENSe:VOLTage:CHANnel<n>:RANGe[:UPPer] <n>  (ch1 0..120 V, ch2 0..12 V)."""

    def _set(dev: Keithley2182A, args: Args) -> None:
        ch = _active_channel(dev) if active else _sfx_channel(args)
        hi = 120.0 if ch == 1 else 12.0
        value = args.one(Numeric(0.0, hi, default=hi, step=None))
        dev.settings[f"range{ch}"] = dev._range_for(ch, value) or RANGES[ch][-1]
        dev.settings[f"auto{ch}"] = False
        dev._stack = []

    def _query(dev: Keithley2182A, args: Args) -> str:
        ch = _active_channel(dev) if active else _sfx_channel(args)
        if args.tokens:
            hi = 120.0 if ch == 1 else 12.0
            return f"{args.one(Numeric(0.0, hi, default=hi)):.6E}"
        return f"{dev.settings[f'range{ch}']:.6E}"

    return Cmd(pattern, _set, _query)


def _active_channel(dev: "Keithley2182A") -> int:
    ch = dev.settings["chan"]
    if ch == 0:
        raise ScpiError(-221, "channel 0 (internal temperature) has no voltage range")
    return ch


def _chan_setting(pattern: str, key: str, ptype, allowed=(1, 2), active: bool = False) -> Cmd:
    def _set(dev: Keithley2182A, args: Args) -> None:
        ch = _active_channel(dev) if active else _sfx_channel(args, allowed)
        dev.settings[f"{key}{ch}"] = args.one(ptype, dev.settings[f"{key}{ch}"])

    def _query(dev: Keithley2182A, args: Args) -> str:
        ch = _active_channel(dev) if active else _sfx_channel(args, allowed)
        if args.tokens:
            return ptype.format(args.one(ptype))
        return ptype.format(dev.settings[f"{key}{ch}"])

    return Cmd(pattern, _set, _query)


def _ref_acquire(prefix: str):
    def _set(dev: Keithley2182A, args: Args) -> None:
        args.none()
        ch = _sfx_channel(args)
        if dev.latest is None:
            raise ScpiError(-230)
        dev.settings[f"{prefix}{ch}"] = dev.latest
    return _set


_ELEM = Choice(("READing", "UNITs"))


def _form_elem(dev: "Keithley2182A", args: Args) -> None:
    if not args.tokens:
        raise ScpiError(-109)
    dev.settings["form_elem"] = tuple(_ELEM.parse(t) for t in args.tokens)


def _set_func(dev: Keithley2182A, args: Args) -> None:
    name = args.one(String()).strip().upper()
    if name in ("VOLT", "VOLTAGE", "VOLT:DC", "VOLTAGE:DC"):
        dev.settings["func"] = "VOLT"
    elif name in ("TEMP", "TEMPERATURE"):
        dev.settings["func"] = "TEMP"
    else:
        raise ScpiError(-224, name)
    dev._stack = []


def _nplc_cmd(pattern: str, key: str) -> Cmd:
    def ptype(dev: Keithley2182A) -> Numeric:
        return Numeric(0.01, 60.0 if dev.line_frequency == 60 else 50.0, default=5.0)

    def _set(dev: Keithley2182A, args: Args) -> None:
        dev.settings[key] = args.one(ptype(dev))
        dev._stack = []

    def _query(dev: Keithley2182A, args: Args) -> str:
        p = ptype(dev)
        return p.format(args.one(p) if args.tokens else dev.settings[key])

    return Cmd(pattern, _set, _query)


def _aper_cmd(pattern: str, key: str) -> Cmd:
    def ptype(dev: Keithley2182A) -> Numeric:
        return Numeric(0.01 / dev.line_frequency, 1.0, default=5.0 / dev.line_frequency)

    def _set(dev: Keithley2182A, args: Args) -> None:
        dev.settings[key] = args.one(ptype(dev)) * dev.line_frequency

    def _query(dev: Keithley2182A, args: Args) -> str:
        p = ptype(dev)
        return p.format(args.one(p) if args.tokens else dev.settings[key] / dev.line_frequency)

    return Cmd(pattern, _set, _query)


def _data_latest(dev: Keithley2182A, args: Args) -> str:
    if dev.settings["init_cont"]:
        dev._filtered_reading()
    if dev.latest is None:
        raise ScpiError(-230)
    dev._fresh = False
    return dev._format_readings([dev.latest])


def _data_fresh(dev: Keithley2182A, args: Args) -> str:
    if not dev._fresh:
        if dev.settings["init_cont"] or dev.settings["trig_sour"] == "IMMEDIATE":
            dev._filtered_reading()  # waits for the next reading
        else:
            raise ScpiError(-230)
    dev._fresh = False
    return dev._format_readings([dev.latest])


def _init(dev: Keithley2182A, args: Args) -> None:
    args.none()
    if dev.settings["init_cont"]:
        raise ScpiError(-213)
    dev.initiate()


def _init_cont(dev: Keithley2182A, value: bool) -> None:
    dev._waiting = 0
    dev.abort_acquisition()


def _abort(dev: Keithley2182A, args: Args) -> None:
    args.none()
    dev._waiting = 0
    dev.abort_acquisition()


def _configure(func: str):
    def _set(dev: Keithley2182A, args: Args) -> None:
        args.none()
        dev.settings.update({"func": func, "init_cont": False, "trig_sour": "IMMEDIATE",
                             "trig_coun": 1, "samp_coun": 1, "trig_del_auto": True})
        dev._waiting = 0
        dev.abort_acquisition()
    return _set


def _measure(func: str):
    conf = _configure(func)

    def _query(dev: Keithley2182A, args: Args) -> str:
        conf(dev, args)
        return dev._read()
    return _query


def _conf_query(dev: Keithley2182A, args: Args) -> str:
    return '"VOLT:DC"' if dev.settings["func"] == "VOLT" else '"TEMP"'


def _trac_clear(dev: Keithley2182A, args: Args) -> None:
    args.none()
    dev.buffer = []
    dev.buffer_windows = []
    dev.meas_event &= ~(BAV | BHF | BFL)


def _trac_data(dev: Keithley2182A, args: Args) -> str | bytes:
    args.none()
    if not dev.buffer:
        return dev._format_readings([])
    return dev._format_readings(dev.buffer)


def _trac_free(dev: Keithley2182A, args: Args) -> str:
    used = len(dev.buffer) * 8
    return f"{dev.settings['trac_poin'] * 8 - used},{used}"


def _trac_feed_cont(dev: Keithley2182A, value: str) -> None:
    if value == "NEXT":
        dev.meas_event &= ~(BAV | BHF | BFL)


def _calc2_immediate(dev: Keithley2182A, args: Args | None = None) -> None:
    data = [v for v in dev.buffer if v != OVERFLOW]
    if not dev.settings["calc2_stat"] or not data:
        dev._calc2 = None
        if not data:
            raise ScpiError(-230, "buffer empty")
        return
    form = dev.settings["calc2_form"]
    n = len(data)
    mean = sum(data) / n
    if form == "MEAN":
        dev._calc2 = mean
    elif form == "MINIMUM":
        dev._calc2 = min(data)
    elif form == "MAXIMUM":
        dev._calc2 = max(data)
    elif form == "PKPK":
        dev._calc2 = max(data) - min(data)
    else:  # SDEViation: sample standard deviation
        dev._calc2 = math.sqrt(sum((v - mean) ** 2 for v in data) / (n - 1)) if n > 1 else 0.0


def _calc2_immediate_q(dev: Keithley2182A, args: Args) -> str:
    _calc2_immediate(dev)
    return f"{dev._calc2:+.9E}" if dev._calc2 is not None else f"{OVERFLOW:+.9E}"


def _calc2_data(dev: Keithley2182A, args: Args) -> str:
    if dev._calc2 is None:
        raise ScpiError(-230)
    return f"{dev._calc2:+.9E}"


def _calc1_data(dev: Keithley2182A, args: Args) -> str:
    if dev._calc1 is None:
        raise ScpiError(-230)
    return f"{dev._calc1:+.9E}"


def _syst_preset(dev: Keithley2182A, args: Args) -> None:
    args.none()
    dev.reset()
    dev.settings["init_cont"] = True  # SYST:PRES: continuous initiation (front-panel use)


def _disp_text(dev: Keithley2182A, args: Args) -> None:
    dev.settings["disp_text"] = args.one(String(max_length=12))


_BOOL = Boolean()
_TC = Choice(("B", "E", "J", "K", "N", "R", "S", "T"))
_TCON = Choice(("MOVing", "REPeat"))
_VOLT = "[SENSe[1]]:VOLTage[:DC]"
_TEMP = "[SENSe[1]]:TEMPerature"

# The command table, in the order of the manual's SCPI command summary (section 14).
COMMANDS: list[Cmd] = [
    # --- CALCulate (table 14-2)
    setting("CALCulate[1]:FORMat", "calc_form", Choice(("MXB", "PERCent"))),
    setting("CALCulate[1]:KMATh:MMFactor", "calc_m", Numeric(-1e8, 1e8, default=1.0)),
    setting("CALCulate[1]:KMATh:MBFactor", "calc_b", Numeric(-1e8, 1e8, default=0.0)),
    setting("CALCulate[1]:KMATh:MUNits", "calc_unit", String(max_length=3)),
    setting("CALCulate[1]:KMATh:PERCent", "calc_perc", Numeric(-1e8, 1e8, default=1.0)),
    setting("CALCulate[1]:STATe", "calc_stat", _BOOL),
    Cmd("CALCulate[1]:DATA", query=_calc1_data),
    setting("CALCulate2:FORMat", "calc2_form", Choice(("MEAN", "SDEViation", "MAXimum", "MINimum", "PKPK"))),
    setting("CALCulate2:STATe", "calc2_stat", _BOOL),
    Cmd("CALCulate2:IMMediate", _calc2_immediate, _calc2_immediate_q),
    Cmd("CALCulate2:DATA", query=_calc2_data),
    # --- DISPlay (table 14-3)
    setting("DISPlay:ENABle", "disp_enab", _BOOL),
    Cmd("DISPlay[:WINDow[1]]:TEXT:DATA", _disp_text, lambda d, a: String().format(d.settings.get("disp_text", ""))),
    setting("DISPlay[:WINDow[1]]:TEXT:STATe", "disp_text_stat", _BOOL),
    # --- FORMat (table 14-4)
    setting("FORMat[:DATA]", "form_data", Choice(("ASCii", "SREal", "DREal"))),
    setting("FORMat:BORDer", "form_bord", Choice(("NORMal", "SWAPped"))),
    Cmd("FORMat:ELEMents", _form_elem, lambda d, a: ",".join(_ELEM.format(e) for e in d.settings["form_elem"])),
    # --- SENSe (table 14-5)
    Cmd("[SENSe[1]]:CHANnel", lambda d, a: d.settings.__setitem__("chan", a.one(Numeric(0, 2, integer=True))),
        lambda d, a: d.settings["chan"]),
    Cmd("[SENSe[1]]:FUNCtion", _set_func, _conf_query),
    Cmd("[SENSe[1]]:DATA:FRESh", query=_data_fresh),
    Cmd("[SENSe[1]]:DATA[:LATest]", query=_data_latest),
    _nplc_cmd(f"{_VOLT}:NPLCycles", "volt_nplc"),
    _aper_cmd(f"{_VOLT}:APERture", "volt_nplc"),
    setting(f"{_VOLT}:DIGits", "volt_digits", Numeric(4, 8, default=8, integer=True)),
    setting(f"{_VOLT}:DELTa", "delta", _BOOL),
    setting(f"{_VOLT}:LPASs[:STATe]", "lpas", _BOOL),
    setting(f"{_VOLT}:DFILter[:STATe]", "dfil", _BOOL),
    setting(f"{_VOLT}:DFILter:WINDow", "dfil_wind", Numeric(0.0, 10.0, default=0.01)),
    setting(f"{_VOLT}:DFILter:COUNt", "dfil_count", Numeric(1, 100, default=10, integer=True)),
    setting(f"{_VOLT}:DFILter:TCONtrol", "dfil_tcon", _TCON),
    _range_cmd(f"{_VOLT}:CHANnel<n>:RANGe[:UPPer]"),
    _chan_setting(f"{_VOLT}:CHANnel<n>:RANGe:AUTO", "auto", _BOOL),
    _range_cmd(f"{_VOLT}:RANGe[:UPPer]", active=True),  # the active channel (pymeasure sends it)
    _chan_setting(f"{_VOLT}:RANGe:AUTO", "auto", _BOOL, active=True),
    _chan_setting(f"{_VOLT}:CHANnel<n>:REFerence", "ref", Numeric(-120.0, 120.0, default=0.0)),
    _chan_setting(f"{_VOLT}:CHANnel<n>:REFerence:STATe", "ref_stat", _BOOL),
    Cmd(f"{_VOLT}:CHANnel<n>:REFerence:ACQuire", _ref_acquire("ref")),
    _nplc_cmd(f"{_TEMP}:NPLCycles", "temp_nplc"),
    _aper_cmd(f"{_TEMP}:APERture", "temp_nplc"),
    setting(f"{_TEMP}:DIGits", "temp_digits", Numeric(4, 7, default=7, integer=True)),
    setting(f"{_TEMP}:TRANsducer", "transducer", Choice(("TCouple", "INTernal"))),
    setting(f"{_TEMP}:TCouple[:TYPE]", "tc_type", _TC),
    setting(f"{_TEMP}:TC", "tc_type", _TC),  # abbreviated form pymeasure sends (TEMP:TC)
    setting(f"{_TEMP}:RJUNction:RSELect", "rjun_rsel", Choice(("SIMulated", "INTernal"))),
    setting(f"{_TEMP}:RJUNction:SIMulated", "rjun_sim", Numeric(0.0, 60.0, default=23.0)),
    Cmd(f"{_TEMP}:RTEMperature", query=lambda d, a: f"{d._to_temp_unit(28.0):+.9E}"),
    setting(f"{_TEMP}:LPASs[:STATe]", "tlpas", _BOOL),
    setting(f"{_TEMP}:DFILter[:STATe]", "tdfil", _BOOL),
    setting(f"{_TEMP}:DFILter:WINDow", "tdfil_wind", Numeric(0.0, 10.0, default=0.01)),
    setting(f"{_TEMP}:DFILter:COUNt", "tdfil_count", Numeric(1, 100, default=10, integer=True)),
    setting(f"{_TEMP}:DFILter:TCONtrol", "tdfil_tcon", _TCON),
    _chan_setting(f"{_TEMP}:CHANnel<n>:REFerence", "tref", Numeric(-1000.0, 10000.0, default=0.0)),
    _chan_setting(f"{_TEMP}:CHANnel<n>:REFerence:STATe", "tref_stat", _BOOL),
    Cmd(f"{_TEMP}:CHANnel<n>:REFerence:ACQuire", _ref_acquire("tref")),
    # --- STATus (table 14-6)
    *status_register_commands("MEASurement", lambda d: d.meas_event & (BAV | BHF | BFL)),
    *status_register_commands("OPERation"),
    *status_register_commands("QUEStionable"),
    status_preset_command(),
    Cmd("STATus:QUEue[:NEXT]", query=lambda d, a: d.pop_error()),
    Cmd("STATus:QUEue:ENABle", lambda d, a: None, lambda d, a: "(-440:+900)"),
    Cmd("STATus:QUEue:DISable", lambda d, a: None, lambda d, a: "()"),
    Cmd("STATus:QUEue:CLEar", lambda d, a: d.errors.clear()),
    # --- SYSTem (table 14-7)
    setting("SYSTem:AZERo[:STATe]", "azer", _BOOL),
    setting("SYSTem:FAZero[:STATe]", "faz", _BOOL),
    setting("SYSTem:LSYNc[:STATe]", "lsyn", _BOOL),
    Cmd("SYSTem:LFRequency", query=lambda d, a: int(d.line_frequency)),
    Cmd("SYSTem:PRESet", _syst_preset),
    *system_error_commands(),
    Cmd("SYSTem:BEEPer[:STATe]", lambda d, a: a.one(_BOOL), lambda d, a: 1),
    # --- TRACe (table 14-8)
    Cmd("TRACe:CLEar", _trac_clear),
    Cmd("TRACe:FREE", query=_trac_free),
    setting("TRACe:POINts", "trac_poin", Numeric(2, 1024, default=100, integer=True)),
    Cmd("TRACe:POINts:ACTual", query=lambda d, a: len(d.buffer)),
    setting("TRACe:FEED", "trac_feed", Choice(("SENSe", "CALCulate", "NONE"))),
    setting("TRACe:FEED:CONTrol", "trac_cont", Choice(("NEVer", "NEXT")), on_set=_trac_feed_cont),
    Cmd("TRACe:DATA", query=_trac_data),
    # --- TRIGger (table 14-9)
    Cmd("INITiate[:IMMediate]", _init),
    setting("INITiate:CONTinuous", "init_cont", _BOOL, on_set=_init_cont),
    Cmd("ABORt", _abort),
    setting("TRIGger[:SEQuence[1]]:SOURce", "trig_sour",
            Choice(("IMMediate", "TIMer", "MANual", "BUS", "EXTernal"))),
    setting("TRIGger[:SEQuence[1]]:COUNt", "trig_coun", CountOrInf(1, 9999, default=1, integer=True)),
    setting("TRIGger[:SEQuence[1]]:DELay", "trig_del", Numeric(0.0, 999999.999, default=0.0),
            on_set=lambda d, v: d.settings.__setitem__("trig_del_auto", False)),
    setting("TRIGger[:SEQuence[1]]:DELay:AUTO", "trig_del_auto", _BOOL),
    setting("TRIGger[:SEQuence[1]]:TIMer", "trig_tim", Numeric(0.001, 999999.999, default=0.1)),
    Cmd("TRIGger[:SEQuence[1]]:SIGNal", lambda d, a: d.on_trigger()),
    setting("SAMPle:COUNt", "samp_coun", Numeric(1, 1024, default=1, integer=True)),
    # --- UNIT (table 14-10)
    setting("UNIT:TEMPerature", "unit_temp", Choice(("C", "F", "K"))),
    setting("UNIT:VOLTage[:DC]", "unit_volt", Choice(("V", "DB", "DBM"))),
    # --- signal-oriented measurement commands (section 13)
    Cmd("CONFigure:VOLTage[:DC]", _configure("VOLT"), _conf_query),
    Cmd("CONFigure:TEMPerature", _configure("TEMP")),
    Cmd("CONFigure", query=_conf_query),
    Cmd("FETCh", query=lambda d, a: d._fetch(d, a)),
    Cmd("READ", query=lambda d, a: d._read(d, a)),
    Cmd("MEASure:VOLTage[:DC]", query=_measure("VOLT")),
    Cmd("MEASure:TEMPerature", query=_measure("TEMP")),
    # ":*CLS" (a common command after a root colon, as pymeasure's reset() sends) is accepted
]

