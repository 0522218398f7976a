"""Rohde & Schwarz FSV signal and spectrum analyzer, Spectrum mode (R&S FSV Operating Manual,
"Remote Commands": DISPlay, FORMat, INITiate, INPut, [SENSe] (AVERage, BANDwidth, DETector,
FREQuency, SWEep), SYSTem, TRACe; "Formats for Returned Values: ASCII Format and Binary
Format"; the instrument-functions chapter for the couplings).

Command table in the manual's subsystem order.  Highlights of the dialect, as the manual has them:

* one measurement = ``INIT[:IMM]`` (single sweep mode, ``INIT:CONT OFF``) of ``SWEep:COUNt``
  sweeps; ``*OPC?`` / ``*WAI`` wait for it; with trace mode AVERage (``DISP:TRAC:MODE AVER`` or
  ``AVER:STAT ON``) those sweeps are averaged (``AVER:COUN`` is ``SWE:COUN``; a count of 0
  averages 10 sweeps);
* ``TRAC[:DATA]? TRACE1``: the y values of trace 1 in the level unit (dBm), ``FORM REAL,32``: a
  definite-length block of 32-bit IEEE 754 floats in little-endian order (the controller's
  order on R&S instruments), ``FORM ASC``: comma-separated;
* RBW 1 Hz .. 10 MHz and VBW 1 Hz .. 10 MHz in 1-2-3-5 steps (a request is rounded to the
  nearest step); auto couplings: RBW = span/100, VBW = 3 RBW (``BAND:VID:RAT`` 3), attenuation
  from the reference level, 10 dB steps 0..70 dB;
* sweep points 101 .. 32001 (691 after ``*RST``); frequency range by model (``model_name``
  FSV-3/-7/-13/-30/-40: 10 Hz .. 3.6/7/13.6/30/40 GHz; default FSV-13);
* detectors APEak (auto peak: its positive peaks are read out), POSitive, NEGative, SAMPle, RMS,
  AVERage; auto detector by trace mode (Clear Write: auto peak, Max Hold: positive, Min Hold:
  negative, Average: sample).

Physics of a sweep: :mod:`.swept_analyzer`, the same code as the Keysight N9030B (RBW filter
shape, VBW and detector averaging, DANL, the k_B T floor of the world).  The averaging domain is
the detector's for RMS (power) and AVERage (linear voltage), else that of ``AVER:TYPE``
(VIDeo/LOGarithmic: log power; LINear: voltage; POWer: power).  Input noise density -158 dBm/Hz
at 0 dB attenuation, 12 dB less with the preamp (option B22) on (data-sheet DANL, rounded;
assumed values).

Left out: markers, limit lines, zero span (``SPAN 0`` is refused with -221), traces 2..6,
``FORM UINT``/``REAL,64``/``REAL,16``, other applications.

Wiring: ``connect: {input: <terminal>}`` (the terminal whose emission, ``world.emission``, the RF input sees).
"""
from __future__ import annotations

import math

import numpy as np

from ..scpi import Args, Boolean, Choice, Cmd, Numeric, ScpiError, system_error_commands
from .swept_analyzer import (SweptAnalyzer, abort, auto, boolean, choice, continuous, freq_query, freq_set,
                             init_imm, num_setting)

#: model -> max frequency [Hz] (R&S FSV data sheet)
MODELS = {"FSV-3": 3.6e9, "FSV-7": 7e9, "FSV-13": 13.6e9, "FSV-30": 30e9, "FSV-40": 40e9}
#: 1-2-3-5 steps, 1 Hz .. 10 MHz (RBW and VBW)
BW_VALUES = tuple(sorted(m * 10 ** e for e in range(0, 8) for m in (1, 2, 3, 5) if m * 10 ** e <= 10e6))
SPAN_RBW_RATIO = 100.0
VBW_RBW_RATIO = 3.0
SWEEP_K = 2.0
MIN_SWEEP_TIME = 1e-3
#: trace mode -> detector when the detector is auto (manual: "Auto detector" table)
AUTO_DETECTOR = {"WRITE": "APEAK", "MAXHOLD": "POSITIVE", "MINHOLD": "NEGATIVE", "AVERAGE": "SAMPLE",
                 "VIEW": "APEAK", "BLANK": "APEAK"}
#: FSV detector -> the shared physics' detector
_PHYSICS_DETECTOR = {"APEAK": "POSITIVE", "POSITIVE": "POSITIVE", "NEGATIVE": "NEGATIVE", "SAMPLE": "SAMPLE",
                     "RMS": "AVERAGE", "AVERAGE": "AVERAGE"}
_SCALE = {"VIDEO": "LOG", "LOGARITHMIC": "LOG", "LINEAR": "SCALAR", "POWER": "RMS"}


def _round_bw(value: float) -> float:
    arr = np.asarray(BW_VALUES)
    return float(arr[np.argmin(np.abs(np.log(arr) - math.log(max(value, 1e-3))))])


class RohdeSchwarzFSV(SweptAnalyzer):
    """R&S FSV in the Spectrum application (swept)."""

    IDN = "Rohde&Schwarz,FSV-13,1307.9002K13/101234,3.40"
    OPTIONS = "B22,K9"
    ERROR_QUEUE_DEPTH = 100
    BUS_TIME_PER_BYTE = 1e-7   # LAN
    BUS_TIME_PER_TRANSFER = 2e-4
    NOISE_DENSITY_DBM_HZ = -158.0
    PREAMP_NOISE_REDUCTION_DB = 12.0
    FREQ_MIN, FREQ_MAX = 0.0, MODELS["FSV-13"]

    def __init__(self, world, address, config=None):
        cfg = config or {}
        model = str(cfg.get("model_name", "FSV-13")).upper()
        if model not in MODELS:
            raise ValueError(f"R&S FSV model_name {model!r}; known: {', '.join(MODELS)}")
        self.FREQ_MAX = MODELS[model]
        self.IDN = f"Rohde&Schwarz,{model},1307.9002K{model[4:]}/101234,3.40"
        super().__init__(world, address, cfg)

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """``*RST``: full span, 691 points, continuous sweep, Clear Write, ASCII."""
        self.abort_sweep()
        self.settings.update(
            start=self.FREQ_MIN, stop=self.FREQ_MAX, points=691,
            rbw=3e6, rbw_auto=True, vbw=10e6, vbw_auto=True, vbw_ratio=VBW_RBW_RATIO,
            sweep_time=MIN_SWEEP_TIME, sweep_time_auto=True, sweep_count=0,
            ref_level=-10.0, atten=10.0, atten_auto=True, preamp=False,
            trace_mode="WRITE", fsv_detector="APEAK", detector_auto=True, avg_scale="VIDEO",
            continuous=True, form="ASCII", border="SWAPPED")
        self.trace1 = None
        self._couple()

    def _couple(self) -> None:
        """Auto couplings: RBW from span, VBW from RBW, attenuation from ref level, sweep time,
        detector from the trace mode."""
        s = self.settings
        if s["rbw_auto"]:
            s["rbw"] = min(_round_bw((s["stop"] - s["start"]) / SPAN_RBW_RATIO), 3e6)
        if s["vbw_auto"]:
            s["vbw"] = min(_round_bw(s["rbw"] * s["vbw_ratio"]), 10e6)
        if s["atten_auto"]:
            s["atten"] = float(min(max(0.0, 10 * math.ceil(s["ref_level"] / 10.0 + 1.0)), 70.0))
        if s["sweep_time_auto"]:
            span = s["stop"] - s["start"]
            s["sweep_time"] = max(MIN_SWEEP_TIME, 1e-6 * s["points"],
                                  SWEEP_K * span / (s["rbw"] * min(s["rbw"], s["vbw"])))
        if s["detector_auto"]:
            s["fsv_detector"] = AUTO_DETECTOR[s["trace_mode"]]

    # ------------------------------------------------------------------ physics hooks
    def detector(self) -> str:
        return _PHYSICS_DETECTOR[self.settings["fsv_detector"]]

    def averaging_scale(self) -> str:
        det = self.settings["fsv_detector"]
        if det == "RMS":
            return "RMS"
        if det == "AVERAGE":
            return "SCALAR"
        return _SCALE[self.settings["avg_scale"]]

    def sweeps_per_measurement(self) -> int:
        s = self.settings
        if s["trace_mode"] != "AVERAGE":
            return 1
        return s["sweep_count"] or 10


# ---------------------------------------------------------------------------------------------
# handlers


def _form_set(dev: RohdeSchwarzFSV, args: Args) -> None:
    """``FORMat[:DATA] ASCii | REAL[,32]``."""
    if not args.tokens:
        raise ScpiError(-109)
    kind = Choice(("ASCii", "REAL", "UINT", "MATLab")).parse(args.tokens[0])
    if kind == "ASCII" and len(args) == 1:
        dev.settings["form"] = "ASCII"
        return
    if kind != "REAL":
        raise ScpiError(-224, f"{kind} is not emulated (ASCii, REAL,32)")
    bits = Numeric(16, 64, integer=True).parse(args.tokens[1]) if len(args) > 1 else 32
    if bits != 32 or len(args) > 2:
        raise ScpiError(-224, f"REAL,{bits}: only REAL,32 is emulated")
    dev.settings["form"] = "REAL32"


def _form_query(dev: RohdeSchwarzFSV, args: Args) -> str:
    return "ASC,0" if dev.settings["form"] == "ASCII" else "REAL,32"


def _trace_query(dev: RohdeSchwarzFSV, args: Args) -> str | bytes:
    """``TRACe<n>[:DATA]? TRACE1``: trace 1 (a running measurement is waited for)."""
    name = args.one(Choice(("TRACE1", "TRACE2", "TRACE3", "TRACE4", "TRACE5", "TRACE6")))
    if name != "TRACE1":
        raise ScpiError(-221, f"{name}: only TRACE1 is emulated")
    y = dev.current_trace() if dev.settings["continuous"] else dev._fetched()
    return dev.format_values(y)


_MODES = Choice(("WRITe", "MAXHold", "MINHold", "AVERage", "VIEW", "BLANk"))
_DETECTORS = Choice(("APEak", "NEGative", "POSitive", "SAMPle", "RMS", "AVERage"))


def _trace_mode(dev: RohdeSchwarzFSV, args: Args) -> None:
    dev.settings["trace_mode"] = args.one(_MODES)
    dev._couple()


def _avg_state(dev: RohdeSchwarzFSV, args: Args) -> None:
    """``AVERage[:STATe] ON`` puts trace 1 in Average mode, OFF back to Clear Write."""
    dev.settings["trace_mode"] = "AVERAGE" if args.one(Boolean()) else "WRITE"
    dev._couple()


def _detector(dev: RohdeSchwarzFSV, args: Args) -> None:
    dev.settings["fsv_detector"] = args.one(_DETECTORS)
    dev.settings["detector_auto"] = False


def _init_conm(dev: RohdeSchwarzFSV, args: Args) -> None:
    """``INITiate:CONMeas``: continue the single sweep (the average goes on): a new measurement."""
    init_imm(dev, args)


_f = {w: (freq_set(w), freq_query(w)) for w in ("center", "span", "start", "stop")}
_rbw = num_setting("rbw", Numeric(1.0, 10e6, unit="HZ", fmt="{:.6E}"), "rbw_auto", _round_bw)
_vbw = num_setting("vbw", Numeric(1.0, 10e6, unit="HZ", fmt="{:.6E}"), "vbw_auto", _round_bw)
_vrat = num_setting("vbw_ratio", Numeric(0.01, 1000.0, fmt="{:.6E}"))
_swt = num_setting("sweep_time", Numeric(1e-6, 16000.0, unit="S", fmt="{:.6E}"), "sweep_time_auto")
_pts = num_setting("points", Numeric(101, 32001, integer=True))
_cnt = num_setting("sweep_count", Numeric(0, 32767, integer=True))
_rlev = num_setting("ref_level", Numeric(-130.0, 30.0, unit="DBM", fmt="{:.2E}"))
_att = num_setting("atten", Numeric(0, 70, unit="DB", fmt="{:.0f}"), "atten_auto",
                   lambda v: float(10 * math.floor(v / 10 + 0.5)))

RohdeSchwarzFSV.COMMANDS = [
    Cmd("ABORt", set=abort, doc="stop the running measurement"),
    Cmd("DISPlay[:WINDow<n>]:TRACe<n>:MODE", set=_trace_mode, query=lambda d, a: _MODES.format(d.settings["trace_mode"]),
        doc="WRITe | MAXHold | MINHold | AVERage | VIEW | BLANk"),
    Cmd("DISPlay[:WINDow<n>]:TRACe<n>:Y[:SCALe]:RLEVel", *_rlev, doc="reference level (dBm)"),
    Cmd("FORMat[:DATA]", set=_form_set, query=_form_query, doc="ASCii | REAL,32 (little-endian)"),
    Cmd("INITiate:CONTinuous", set=continuous, query=lambda d, a: "1" if d.settings["continuous"] else "0"),
    Cmd("INITiate[:IMMediate]", set=init_imm, doc="one measurement of SWEep:COUNt sweeps"),
    Cmd("INITiate:CONMeas", set=_init_conm),
    Cmd("INPut:ATTenuation", *_att, doc="RF attenuation 0..70 dB, 10 dB steps"),
    Cmd("INPut:ATTenuation:AUTO", *auto("atten_auto")),
    Cmd("INPut:GAIN:STATe", *boolean("preamp"), doc="preamplifier (option B22)"),
    Cmd("[SENSe]:AVERage:COUNt", *_cnt, doc="= SWEep:COUNt"),
    Cmd("[SENSe]:AVERage[:STATe<n>]", set=_avg_state,
        query=lambda d, a: "1" if d.settings["trace_mode"] == "AVERAGE" else "0"),
    Cmd("[SENSe]:AVERage:TYPE", *choice("avg_scale", ("VIDeo", "LOGarithmic", "LINear", "POWer")),
        doc="averaging scale"),
    Cmd("[SENSe]:BANDwidth[:RESolution]", *_rbw, doc="RBW 1 Hz .. 10 MHz, 1-2-3-5 steps"),
    Cmd("[SENSe]:BWIDth[:RESolution]", *_rbw),
    Cmd("[SENSe]:BANDwidth[:RESolution]:AUTO", *auto("rbw_auto")),
    Cmd("[SENSe]:BWIDth[:RESolution]:AUTO", *auto("rbw_auto")),
    Cmd("[SENSe]:BANDwidth:VIDeo", *_vbw, doc="VBW 1 Hz .. 10 MHz, 1-2-3-5 steps"),
    Cmd("[SENSe]:BWIDth:VIDeo", *_vbw),
    Cmd("[SENSe]:BANDwidth:VIDeo:AUTO", *auto("vbw_auto")),
    Cmd("[SENSe]:BWIDth:VIDeo:AUTO", *auto("vbw_auto")),
    Cmd("[SENSe]:BANDwidth:VIDeo:RATio", *_vrat, doc="VBW/RBW of the auto coupling"),
    Cmd("[SENSe]:DETector[:FUNCtion]", set=_detector, query=lambda d, a: _DETECTORS.format(d.settings["fsv_detector"]),
        doc="APEak | NEGative | POSitive | SAMPle | RMS | AVERage"),
    Cmd("[SENSe]:DETector[:FUNCtion]:AUTO", *auto("detector_auto")),
    Cmd("[SENSe]:FREQuency:CENTer", _f["center"][0], _f["center"][1]),
    Cmd("[SENSe]:FREQuency:SPAN", _f["span"][0], _f["span"][1]),
    Cmd("[SENSe]:FREQuency:STARt", _f["start"][0], _f["start"][1]),
    Cmd("[SENSe]:FREQuency:STOP", _f["stop"][0], _f["stop"][1]),
    Cmd("[SENSe]:SWEep:COUNt", *_cnt, doc="sweeps of one measurement (0: 10 when averaging)"),
    Cmd("[SENSe]:SWEep:POINts", *_pts, doc="101 .. 32001"),
    Cmd("[SENSe]:SWEep:TIME", *_swt),
    Cmd("[SENSe]:SWEep:TIME:AUTO", *auto("sweep_time_auto")),
    *system_error_commands(),
    Cmd("SYSTem:PRESet", set=lambda d, a: d.reset()),
    Cmd("*OPT", query=lambda d, a: d.OPTIONS, doc="installed options"),
    Cmd("TRACe<n>[:DATA]", query=_trace_query, doc="TRACE1 y values in the FORMat"),
    Cmd("UNIT:POWer", set=lambda d, a: a.one(Choice(("DBM",))), query=lambda d, a: "DBM"),
]
