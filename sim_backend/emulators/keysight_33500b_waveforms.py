"""33500B commands beyond the pulse function: square duty cycle, ramp symmetry, the arbitrary
waveform settings, frequency mode, trigger count, the rear-panel trigger output and the display
text (Agilent/Keysight 33500 Series Operating and Service Guide, "SCPI Programming Reference":
FUNCtion, FREQuency, TRIGger, OUTPut and DISPlay subsystems).

Physics: these settings change the waveform's shape, and the world sees the waveform's mean
(the emulator does not resolve free-running cycles, see :mod:`.keysight_33500b`).  A square wave
of duty cycle D between offset +- A/2 has the mean ``offset + A (D - 1/2)``; a ramp or triangle of
any symmetry, a sine and the built-in arbitrary waveforms (normalised to +-1 and, for the
emulator's purpose, taken as zero-mean) have the mean ``offset``.

Arbitrary waveforms: only the built-in ones of the ``INT:\\BUILTIN`` folder are present (the
guide's list); ``FUNC:ARB`` of any other name is refused with ``+786,"Arb waveform not found"``
as the instrument does for a waveform not loaded into volatile memory (``MMEMory:LOAD:DATA``,
``DATA:ARBitrary`` and the sequence commands are not emulated).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..scpi import Args, Boolean, Choice, Cmd, Numeric, ScpiError, String

if TYPE_CHECKING:  # pragma: no cover
    from .keysight_33500b import Keysight33500B

#: the built-in arbitrary waveforms (guide, "Arbitrary Waveforms": built-in waveforms)
BUILTIN_ARBS = tuple(f"INT:\\BUILTIN\\{name}.ARB" for name in (
    "CARDIAC", "D_LORENTZ", "EXP_FALL", "EXP_RISE", "GAUSSIAN", "HAVERSINE", "LORENTZ",
    "NEG_RAMP", "SINC"))
#: largest arbitrary sample rate (Sa/s): 250 MSa/s on the 30 MHz models, 160 MSa/s on the 20 MHz ones
SRATE_MAX = {30e6: 250e6, 20e6: 160e6}
#: shortest high or low time of a square wave (s), as for pulses
SQUARE_MIN_TIME = 16e-9
#: ``+786`` (guide, "SCPI Error Messages")
ARB_NOT_FOUND = 786

#: per-channel *RST values (guide: each command's default)
CHANNEL_DEFAULTS: dict[str, Any] = dict(
    sq_dcycle=50.0, ramp_symm=100.0, arb_file=BUILTIN_ARBS[3], arb_advance="SRATE",
    arb_filter="STEP", arb_srate=40e3, freq_mode="CW", trig_count=1)
#: instrument-wide *RST values
DEFAULTS: dict[str, Any] = dict(trig_out=False, trig_out_slope="POSITIVE", trig_out_source="CH1",
                                display=True, display_text="")


def waveform_mean(c: dict[str, Any]) -> float | None:
    """Mean open-circuit level of a free-running waveform (None: the caller's own rule)."""
    if c["function"] == "SQUARE":
        return c["emf_off"] + c["emf_amp"] * (c["sq_dcycle"] / 100 - 0.5)
    return None


def _fmt(value: float) -> str:
    if math.isinf(value) or value >= 9.9e37:
        return "+9.900000000000000E+37"
    return f"{value:+.15E}"


def _s_square_dcycle(dev: "Keysight33500B", args: Args) -> None:
    c = dev._channel(args)
    d = args.one(Numeric(0.01, 99.99, default=50.0))
    period = c["period"]
    lo = 100 * SQUARE_MIN_TIME / period
    if d < lo or d > 100 - lo:   # coupled to the period: adjusted, "Settings conflict"
        d = min(max(d, lo), 100 - lo)
        dev.push_error(-221, "square duty cycle limited by the period")
    c["sq_dcycle"] = d
    dev._apply(dev._n(args))


def _s_arb_file(dev: "Keysight33500B", args: Args) -> None:
    c = dev._channel(args)
    token = args.tokens[0].strip() if args.tokens else ""
    if len(args.tokens) != 1:
        raise ScpiError(-109 if not args.tokens else -108)
    name = (String().parse(token) if token[:1] in "'\"" else token).upper()
    if name not in BUILTIN_ARBS:
        dev.push_error(ARB_NOT_FOUND, name)
        return
    c["arb_file"] = name


def _s_arb_srate(dev: "Keysight33500B", args: Args) -> None:
    c = dev._channel(args)
    c["arb_srate"] = args.one(Numeric(1e-6, SRATE_MAX.get(dev.max_frequency, 250e6), default=40e3, unit="SA/S"))


def _s_freq_mode(dev: "Keysight33500B", args: Args) -> None:
    c = dev._channel(args)
    mode = args.one(Choice(("CW", "LIST", "SWEep", "FIXed")))
    if mode in ("LIST", "SWEEP"):
        raise ScpiError(-221, "frequency lists and sweeps are not emulated")
    c["freq_mode"] = mode


def _s_trig_count(dev: "Keysight33500B", args: Args) -> None:
    c = dev._channel(args)
    if args.tokens and args.tokens[0].strip().upper() in ("INF", "INFINITY", "9.9E37", "9.9E+37"):
        args.one(Choice(("INFinity", "9.9E37", "9.9E+37")))
        c["trig_count"] = math.inf
    else:
        c["trig_count"] = args.one(Numeric(1, 1e6, default=1, integer=True))


def _q_trig_count(dev: "Keysight33500B", args: Args) -> str:
    n = dev._channel(args)["trig_count"]
    return _fmt(math.inf) if math.isinf(n) else _fmt(float(n))


def _channel_setting(key: str, ptype: Any, apply: bool = False):
    def _set(dev: "Keysight33500B", args: Args) -> None:
        dev._channel(args)[key] = args.one(ptype)
        if apply:
            dev._apply(dev._n(args))

    def _query(dev: "Keysight33500B", args: Args) -> str:
        value = dev._channel(args)[key]
        return _fmt(value) if isinstance(ptype, Numeric) else ptype.format(value)
    return _set, _query


def _global(key: str, ptype: Any):
    return (lambda d, a: d.settings.__setitem__(key, a.one(ptype)),
            lambda d, a: ptype.format(d.settings[key]))


def waveform_rows(source: str = "[SOURce<n>:]") -> list[Cmd]:
    """Rows for the 33500B command table (``source``: the optional SOURce node with its channel)."""
    S = source
    rows = [
        Cmd(f"{S}FUNCtion:SQUare:DCYCle", _s_square_dcycle,
            lambda d, a: _fmt(d._channel(a)["sq_dcycle"]), "0.01 .. 99.99 %, high and low >= 16 ns"),
        Cmd(f"{S}FUNCtion:RAMP:SYMMetry", *_channel_setting("ramp_symm", Numeric(0, 100, default=100.0)),
            doc="0 .. 100 % (the ramp's mean stays the offset)"),
        Cmd(f"{S}FUNCtion:ARBitrary", _s_arb_file, lambda d, a: String().format(d._channel(a)["arb_file"]),
            "select a waveform in volatile memory (built-in ones only)"),
        Cmd(f"{S}FUNCtion:ARBitrary:ADVance",
            *_channel_setting("arb_advance", Choice(("TRIGger", "SRATe"))), doc="TRIGger|SRATe"),
        Cmd(f"{S}FUNCtion:ARBitrary:FILTer",
            *_channel_setting("arb_filter", Choice(("NORMal", "STEP", "OFF"))), doc="NORMal|STEP|OFF"),
        Cmd(f"{S}FUNCtion:ARBitrary:SRATe", _s_arb_srate, lambda d, a: _fmt(d._channel(a)["arb_srate"]),
            "1 uSa/s .. 250 MSa/s (160 MSa/s on the 20 MHz models)"),
        Cmd(f"{S}FREQuency:MODE", _s_freq_mode,
            lambda d, a: Choice(("CW", "LIST", "SWEep", "FIXed")).format(d._channel(a)["freq_mode"]),
            "CW|FIXed (LIST and SWEep: not emulated, -221)"),
        Cmd("TRIGger<n>:COUNt", _s_trig_count, _q_trig_count, "1 .. 1,000,000 | INFinity"),
        Cmd("OUTPut:TRIGger[:STATe]", *_global("trig_out", Boolean()), doc="rear-panel trigger out on/off"),
        Cmd("OUTPut:TRIGger:SLOPe", *_global("trig_out_slope", Choice(("POSitive", "NEGative")))),
        Cmd("OUTPut:TRIGger:SOURce", *_global("trig_out_source", Choice(("CH1", "CH2")))),
        Cmd("*OPT", query=lambda d, a: String().format(str(d.config.get("options", "0"))),
            doc="installed options as a quoted string ('0': none)"),
        Cmd("DISPlay[:STATe]", *_global("display", Boolean())),
        Cmd("DISPlay:TEXT", *_global("display_text", String(max_length=40)), doc="front-panel message"),
        Cmd("DISPlay:TEXT:CLEar", lambda d, a: (a.none(), d.settings.__setitem__("display_text", ""))),
    ]
    return rows
