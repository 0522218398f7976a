"""Keysight N9030B PXA signal analyzer, Spectrum Analyzer mode, Swept SA measurement
(X-Series Signal Analyzers, SA Mode User's & Programmer's Reference: "Swept SA Measurement",
"Frequency", "BW", "Sweep/Control", "AMPTD Y Scale", "Meas Setup / Average", "Trace/Detector",
"Input/Output"; and the common "Remote Commands" chapter for FORMat, INITiate, INSTrument).

Command table in the order of the reference's subsystems: CONFigure, DISPlay, FETCh/READ/MEASure,
FORMat, INITiate, INSTrument, [SENSe] (AVERage, BANDwidth, DETector, FREQuency, POWer, SWEep),
SYSTem, TRACe.  What qcodes' ``KeysightN9030B`` needs works unmodified: ``:INST:CAT?`` and
``:CONF:CAT?`` answer in the form it parses, ``*OPT?`` names the frequency option 526, and
``:READ:SAN1?`` / ``:FETC:SAN1?`` answer x,y pairs (SA reference: "n = 1: Trace 1 data as a list
of x,y pairs").

Physics of a sweep: :mod:`.swept_analyzer` (shared with the other analyzer models): the
device's emission and the k_B T floor through the Gaussian RBW filter, the analyzer's own noise
(``noise_density_dbm_hz``, default -160 dBm/Hz at 0 dB attenuation, 14 dB less with the
preamp on: ``PXA`` DANL specification, rounded; assumed values), the detector, VBW and trace
averaging in the domain of ``:AVER:TYPE`` (LOG "Log-Pwr Avg", RMS, SCALar); a single
measurement with averaging on takes ``AVER:COUN`` sweeps.  ``:INIT:IMM`` runs the measurement
on the world's timeline: it returns at once, each sweep reads the device when it starts,
``*OPC?``/``*WAI``/``FETCh?``/``TRAC?`` wait for the result (a trace query here waits rather
than returning a half-swept trace), ``ABORt``/``*RST``/device clear stop it; ``READ?`` is
blocking.  Auto sweep time = ``2 span / RBW^2`` (``2 span/(RBW VBW)`` with VBW < RBW), at
least 1 ms and 1 us per point (swept analyzers: k ~ 2 for Gaussian filters).

Left out: zero span (span 0 is refused with -221), FFT sweep timing (``:SWE:TYPE FFT`` is stored
but timed as a swept sweep), INTeger,32 format, markers, limit lines, trace math, other modes
(only SA / SAN), ``:UNIT:POW`` other than DBM.

Wiring: ``connect: {input: <port>}`` (the device port whose emission, ``world.emission``, the RF input sees).
"""
from __future__ import annotations

import math

import numpy as np

from ..scpi import Args, Boolean, Choice, Cmd, Numeric, ScpiError, system_error_commands
from .swept_analyzer import (NBW_FACTOR, SweptAnalyzer, abort, auto, boolean, choice, continuous,  # noqa: F401
                             freq_query, freq_set, init_imm, num_setting)

#: frequency option -> (min start, max stop) settable (qcodes' table; option 526 = 26.5 GHz)
FREQ_MIN, FREQ_MAX = -80e6, 27e9
#: RBW 1 Hz .. 3 MHz in ~10 % steps (the E24 series), plus 4, 5, 6, 8 MHz (X-Series BW key)
_E24 = (1.0, 1.1, 1.2, 1.3, 1.5, 1.6, 1.8, 2.0, 2.2, 2.4, 2.7, 3.0, 3.3, 3.6, 3.9, 4.3, 4.7,
        5.1, 5.6, 6.2, 6.8, 7.5, 8.2, 9.1)
RBW_VALUES = tuple(sorted({round(m * 10 ** e, 6) for e in range(0, 7) for m in _E24
                           if m * 10 ** e <= 3e6 + 1} | {4e6, 5e6, 6e6, 8e6}))
#: default span:RBW ratio of auto coupling (X-Series "Span:RBW Ratio" default)
SPAN_RBW_RATIO = 106.0
SWEEP_K = 2.0
MIN_SWEEP_TIME = 1e-3


def _round_rbw(value: float) -> float:
    """The nearest available RBW (in log), as the instrument rounds a request."""
    arr = np.asarray(RBW_VALUES)
    return float(arr[np.argmin(np.abs(np.log(arr) - math.log(max(value, 1e-3))))])


class KeysightN9030B(SweptAnalyzer):
    """Keysight N9030B PXA in Spectrum Analyzer mode (Swept SA)."""

    FREQ_MIN, FREQ_MAX = FREQ_MIN, FREQ_MAX

    IDN = "Keysight Technologies,N9030B,MY12345678,A.33.03"
    OPTIONS = '"526,B1X,EA3,P26,PFR"'
    ERROR_QUEUE_DEPTH = 100
    BUS_TIME_PER_BYTE = 1e-7   # LAN / USB
    BUS_TIME_PER_TRANSFER = 2e-4

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """``*RST`` = Mode Preset of SA mode (full span of option 526, 1001 points)."""
        self.abort_sweep()
        self.settings.update(
            start=10e6, stop=26.5e9, points=1001, rbw=3e6, rbw_auto=True, vbw=3e6, vbw_auto=True,
            sweep_time=MIN_SWEEP_TIME, sweep_time_auto=True, sweep_type="SWE", sweep_type_auto=True,
            ref_level=0.0, atten=10.0, atten_auto=True, preamp=False, preamp_band="LOW",
            avg_count=100, avg_state=False, avg_type="LOG", avg_type_auto=True,
            detector="NORMAL", detector_auto=True, rbw_type="DB3",
            continuous=True, form="ASCII", border="NORMAL", mode="SA", measurement="SAN")
        self.trace1 = None
        self._couple()

    def _couple(self) -> None:
        """Auto couplings: RBW from span, VBW from RBW, attenuation from ref level, sweep time."""
        s = self.settings
        span = s["stop"] - s["start"]
        if s["rbw_auto"]:
            s["rbw"] = min(_round_rbw(span / SPAN_RBW_RATIO), 3e6)
        if s["vbw_auto"]:
            s["vbw"] = s["rbw"]
        if s["atten_auto"]:
            s["atten"] = float(min(max(6.0, 2 * math.ceil((s["ref_level"] + 10.0) / 2)), 70.0))
        if s["sweep_time_auto"]:
            s["sweep_time"] = self.auto_sweep_time()
        if s["avg_type_auto"]:
            s["avg_type"] = "LOG"
        if s["detector_auto"]:
            s["detector"] = "AVERAGE" if s["avg_state"] else "NORMAL"

    def auto_sweep_time(self) -> float:
        s = self.settings
        span = s["stop"] - s["start"]
        bw2 = s["rbw"] * min(s["rbw"], s["vbw"])
        return max(MIN_SWEEP_TIME, 1e-6 * s["points"], SWEEP_K * span / bw2)

    # ------------------------------------------------------------------ data output
    def san_result(self, n: int) -> str | bytes:
        """``:FETCh:SANalyzer[n]?``: n = 1 trace 1 as x,y pairs (others not emulated)."""
        if n != 1:
            raise ScpiError(-113, f"SAN{n}: only trace 1 (n = 1) is emulated")
        y = self.current_trace() if self.settings["continuous"] else self._fetched()
        pairs = np.column_stack([self.frequencies(), y]).ravel()
        return self.format_values(pairs)

# ---------------------------------------------------------------------------------------------
# handlers


def _form_set(dev: KeysightN9030B, args: Args) -> None:
    """``FORMat[:TRACe][:DATA] ASCii | REAL[,32] | REAL,64`` (REAL alone = REAL,32)."""
    if not args.tokens:
        raise ScpiError(-109)
    kind = Choice(("ASCii", "REAL", "INTeger")).parse(args.tokens[0])
    if kind == "ASCII":
        if len(args) > 1:
            raise ScpiError(-108)
        dev.settings["form"] = "ASCII"
        return
    if kind == "INTEGER":
        raise ScpiError(-224, "INTeger,32 is not emulated")
    bits = Numeric(32, 64, integer=True).parse(args.tokens[1]) if len(args) > 1 else 32
    if bits not in (32, 64) or len(args) > 2:
        raise ScpiError(-224, f"REAL,{bits}")
    dev.settings["form"] = f"REAL{bits}"


def _form_query(dev: KeysightN9030B, args: Args) -> str:
    f = dev.settings["form"]
    return "ASC,8" if f == "ASCII" else f"REAL,{f[4:]}"


def _read_san(dev: KeysightN9030B, args: Args) -> str | bytes:
    args.none()
    dev.measure()
    y = dev.trace1
    assert y is not None
    if args.suffix() != 1:
        raise ScpiError(-113, f"SAN{args.suffix()}: only n = 1 is emulated")
    return dev.format_values(np.column_stack([dev.frequencies(), y]).ravel())


def _meas_san(dev: KeysightN9030B, args: Args) -> str | bytes:
    dev.settings["measurement"] = "SAN"
    return _read_san(dev, args)


def _fetch_san(dev: KeysightN9030B, args: Args) -> str | bytes:
    args.none()
    return dev.san_result(args.suffix())


def _trace_query(dev: KeysightN9030B, args: Args) -> str | bytes:
    """``:TRACe[:DATA]? TRACE1``: the y values of trace 1 (traces 2..6 are not emulated)."""
    name = args.one(Choice(("TRACE1", "TRACE2", "TRACE3", "TRACE4", "TRACE5", "TRACE6")))
    if name != "TRACE1":
        raise ScpiError(-221, f"{name}: only TRACE1 is emulated")
    y = dev.current_trace() if dev.settings["continuous"] else dev._fetched()
    return dev.format_values(y)


def _inst_select(dev: KeysightN9030B, args: Args) -> None:
    mode = args.one(Choice(("SA",)))
    dev.settings["mode"] = mode


def _conf_san(dev: KeysightN9030B, args: Args) -> None:
    args.none()
    dev.settings["measurement"] = "SAN"
    dev.trace1 = None


def _atten_transform(value: float) -> float:
    """Mechanical attenuator: 0..70 dB in 2 dB steps (the instrument rounds to a step)."""
    return float(2 * math.floor(value / 2 + 0.5))


def _rbw_transform(value: float) -> float:
    return _round_rbw(value)


_f = {w: (freq_set(w), freq_query(w)) for w in ("center", "span", "start", "stop")}
_rbw = num_setting("rbw", Numeric(1.0, 8e6, unit="HZ", fmt="{:.6E}"), "rbw_auto", _rbw_transform)
_vbw = num_setting("vbw", Numeric(1.0, 50e6, unit="HZ", fmt="{:.6E}"), "vbw_auto")
_swt = num_setting("sweep_time", Numeric(1e-6, 4000.0, unit="S", fmt="{:.6E}"), "sweep_time_auto")
_pts = num_setting("points", Numeric(1, 40001, integer=True))
_rlev = num_setting("ref_level", Numeric(-170.0, 30.0, unit="DBM", fmt="{:.2E}"))
_att = num_setting("atten", Numeric(0, 70, unit="DB", fmt="{:.0f}"), "atten_auto", _atten_transform)
_avc = num_setting("avg_count", Numeric(1, 10000, integer=True))

KeysightN9030B.COMMANDS = [
    Cmd(":CONFigure:SANalyzer", set=_conf_san, doc="select the Swept SA measurement"),
    Cmd(":CONFigure", query=lambda d, a: d.settings["measurement"], doc="the current measurement"),
    Cmd(":CONFigure:CATalog", query=lambda d, a: '"SAN"', doc="measurements of the current mode"),
    Cmd(":DISPlay:WINDow[1]:TRACe:Y[:SCALe]:RLEVel", *_rlev, doc="reference level (dBm)"),
    Cmd(":FETCh:SANalyzer<n>", query=_fetch_san, doc="results of the last measurement (n=1: trace 1 x,y)"),
    Cmd(":READ:SANalyzer<n>", query=_read_san, doc="INIT:IMM then FETCh"),
    Cmd(":MEASure:SANalyzer<n>", query=_meas_san, doc="CONFigure, then READ"),
    Cmd(":FORMat[:TRACe][:DATA]", set=_form_set, query=_form_query, doc="ASCii | REAL,32 | REAL,64"),
    Cmd(":FORMat:BORDer", *choice("border", ("NORMal", "SWAPped")), doc="byte order of REAL data"),
    Cmd(":INITiate:CONTinuous", set=continuous, query=lambda d, a: "1" if d.settings["continuous"] else "0"),
    Cmd(":INITiate[:IMMediate]", set=init_imm, doc="one single measurement (with averaging: AVER:COUN sweeps)"),
    Cmd(":INITiate:RESTart", set=init_imm),
    Cmd(":INITiate:SANalyzer", set=lambda d, a: (_conf_san(d, a), d.start_measurement())),
    Cmd(":ABORt", set=abort),
    Cmd(":INSTrument[:SELect]", set=_inst_select, query=lambda d, a: d.settings["mode"]),
    Cmd(":INSTrument:CATalog", query=lambda d, a: '"SA 1"', doc="licensed modes and their numbers"),
    Cmd("[:SENSe]:AVERage:COUNt", *_avc, doc="averages 1..10000"),
    Cmd("[:SENSe]:AVERage[:STATe]", *boolean("avg_state"), doc="trace averaging"),
    Cmd("[:SENSe]:AVERage:TYPE", *choice("avg_type", ("LOG", "RMS", "SCALar"), "avg_type_auto"),
        doc="averaging scale: log-power (video), power (RMS), voltage"),
    Cmd("[:SENSe]:AVERage:TYPE:AUTO", *auto("avg_type_auto")),
    Cmd("[:SENSe]:BANDwidth[:RESolution]", *_rbw, doc="RBW 1 Hz .. 8 MHz, rounded to the available values"),
    Cmd("[:SENSe]:BWIDth[:RESolution]", *_rbw),
    Cmd("[:SENSe]:BANDwidth[:RESolution]:AUTO", *auto("rbw_auto")),
    Cmd("[:SENSe]:BWIDth[:RESolution]:AUTO", *auto("rbw_auto")),
    Cmd("[:SENSe]:BANDwidth:VIDeo", *_vbw, doc="VBW 1 Hz .. 50 MHz"),
    Cmd("[:SENSe]:BWIDth:VIDeo", *_vbw),
    Cmd("[:SENSe]:BANDwidth:VIDeo:AUTO", *auto("vbw_auto")),
    Cmd("[:SENSe]:BWIDth:VIDeo:AUTO", *auto("vbw_auto")),
    Cmd("[:SENSe]:BANDwidth:TYPE", *choice("rbw_type", ("DB3", "DB6", "IMPulse", "NOISe")),
        doc="how the RBW is specified (the sim always uses -3 dB)"),
    Cmd("[:SENSe]:DETector:TRACe[1]", *choice("detector", ("NORMal", "AVERage", "POSitive", "SAMPle", "NEGative"),
                                                "detector_auto")),
    Cmd("[:SENSe]:DETector:TRACe[1]:AUTO", *auto("detector_auto")),
    Cmd("[:SENSe]:FREQuency:CENTer", _f["center"][0], _f["center"][1]),
    Cmd("[:SENSe]:FREQuency:SPAN", _f["span"][0], _f["span"][1]),
    Cmd("[:SENSe]:FREQuency:STARt", _f["start"][0], _f["start"][1]),
    Cmd("[:SENSe]:FREQuency:STOP", _f["stop"][0], _f["stop"][1]),
    Cmd("[:SENSe]:POWer[:RF]:ATTenuation", *_att, doc="mechanical attenuation 0..70 dB, 2 dB steps"),
    Cmd("[:SENSe]:POWer[:RF]:ATTenuation:AUTO", *auto("atten_auto")),
    Cmd("[:SENSe]:POWer[:RF]:GAIN[:STATe]", *boolean("preamp"), doc="internal preamp"),
    Cmd("[:SENSe]:POWer[:RF]:GAIN:BAND", *choice("preamp_band", ("LOW", "FULL"))),
    Cmd("[:SENSe]:SWEep:POINts", *_pts, doc="trace points 1..40001"),
    Cmd("[:SENSe]:SWEep:TIME", *_swt, doc="sweep time (setting it turns auto off)"),
    Cmd("[:SENSe]:SWEep:TIME:AUTO", *auto("sweep_time_auto")),
    Cmd("[:SENSe]:SWEep:TYPE", *choice("sweep_type", ("SWEep", "FFT"), "sweep_type_auto")),
    Cmd("[:SENSe]:SWEep:TYPE:AUTO", *auto("sweep_type_auto")),
    *system_error_commands(),
    Cmd(":SYSTem:PRESet", set=lambda d, a: d.reset()),
    Cmd("*OPT", query=lambda d, a: d.OPTIONS, doc="installed options"),
    Cmd(":TRACe[:DATA]", query=_trace_query, doc="TRACE1 y values in the FORMat"),
    Cmd(":UNIT:POWer", set=lambda d, a: a.one(Choice(("DBM",))), query=lambda d, a: "DBM"),
]
