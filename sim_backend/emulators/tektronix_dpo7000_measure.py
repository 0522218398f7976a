"""Automatic waveform measurements of the Tektronix DPO7000/70000 scopes (Programmer Manual,
Measurement command group: ``MEASUrement:MEAS<x>:TYPe|SOUrce<n>|STATE|VALue?|UNIts?|MEAN?|
MAXimum?|MINImum?|STDdev?|COUNt?``, ``MEASUrement:IMMed:...``, ``MEASUrement:STATIstics:...``,
``MEASUrement:GATing``).

The amplitude and timing measurements are computed from the acquired record as the manual's
"Measurement definitions" appendix describes them, with these documented simplifications:

* reference levels: HIGH / LOW by a histogram-like method (the manual's default AUTO method uses
  the histogram for pulse waveforms): the medians of the samples above / below the middle of
  the 1..99 % percentile span, so a spike or the noise extremes do not move them; PTOP / PBASE
  equal HIGH / LOW, overshoots are MAXimum / MINImum beyond them; the default reference
  percentages 90 / 50 / 10 % (``MEASUrement:REFLevel:PERCent``);
* timing: edges go from one outer reference level to the other (hysteresis: noise about the
  mid level makes no edge), timed at their mid-reference crossing, linearly interpolated
  between samples; PERIod is the
  mean interval between successive rising mid crossings, FREQuency its inverse, PWIdth / NWIdth
  the first positive / negative pulse, RISe / FALL the first 10-90 % / 90-10 % transition,
  PCROss / NCROss the first rising / falling mid crossing (s from the trigger), DELay and PHAse
  between SOUrce1 and SOUrce2 (first rising mid crossings);
* cycle measurements (CAREa, CMEan, CRMs) over the whole cycles between the first and the last
  rising mid crossing;
* measurements that need an eye, a histogram, a mask or a communication signal (eye height,
  jitter, extinction ratio, noise, Q factor, sigma, hits, ...) and a measurement that cannot be
  taken on the record (no edge found) answer 9.91E37, the instrument's "no value"; the
  DPO70000 reports the reason on its display (assumed: no event is queued).
"""
from __future__ import annotations

import math

import numpy as np

from ..scpi import Args, Boolean, Choice, Cmd, Numeric, ScpiError

#: the instrument's "no measurement value" (9.91E37)
NO_VALUE = 9.91e37

#: measurement types in manual notation (MEASUrement:MEAS<x>:TYPe), with their units
TYPES: dict[str, str] = {
    "ACRMS": "V", "AMPlitude": "V", "AREa": "Vs", "BURst": "s", "CARea": "Vs", "CMEan": "V",
    "CRMs": "V", "DELay": "s", "DISTDUty": "%", "EXTINCTDB": "dB", "EXTINCTPCT": "%",
    "EXTINCTRATIO": "", "EYEHeight": "V", "EYEWIdth": "s", "FALL": "s", "FREQuency": "Hz",
    "HIGH": "V", "HITs": "hits", "LOW": "V", "MAXimum": "V", "MEAN": "V", "MEDian": "V",
    "MINImum": "V", "NCROss": "s", "NDUty": "%", "NOVershoot": "%", "NWIdth": "s", "PBASe": "V",
    "PCROss": "s", "PCTCROss": "%", "PDUty": "%", "PEAKHits": "hits", "PERIod": "s",
    "PHAse": "degrees", "PK2Pk": "V", "PKPKJitter": "s", "PKPKNoise": "V", "POVershoot": "%",
    "PTOP": "V", "PWIdth": "s", "QFACtor": "", "RISe": "s", "RMS": "V", "RMSJitter": "s",
    "RMSNoise": "V", "SIGMA1": "%", "SIGMA2": "%", "SIGMA3": "%", "SIXSigmajit": "s",
    "SNRatio": "", "STDdev": "V", "UNDEFINED": "", "WAVEFORMS": "wfms",
}
_TYPE = Choice(tuple(TYPES), answer_long=True)
_UNITS = {k.upper(): u for k, u in TYPES.items()}
SOURCES = ("CH1", "CH2", "CH3", "CH4", "MATH1", "MATH2", "MATH3", "MATH4", "REF1", "REF2", "REF3",
           "REF4", "HIStogram")
_SOURCE = Choice(SOURCES, answer_long=True)
GATINGS = ("ON", "OFF", "ZOOM1", "ZOOM2", "ZOOM3", "ZOOM4", "CURSor")
STAT_MODES = ("OFF", "ALL", "VALUEMean", "MINMax", "MEANSTDdev")
N_MEAS = 8


# ------------------------------------------------------------------------------ the definitions


def _cross_time(t, v, k: int, level: float) -> float:
    """Time at which the segment from sample k to k + 1 reaches ``level`` (interpolated)."""
    v0, v1 = v[k], v[k + 1]
    frac = (level - v0) / (v1 - v0) if v1 != v0 else 0.0
    return float(t[k] + min(max(frac, 0.0), 1.0) * (t[k + 1] - t[k]))


def _edges(t, v, lo: float, mid: float, hi: float, rising: bool) -> list[tuple[float, float, float]]:
    """The rising (falling) edges, with hysteresis: an edge goes from at or below the low
    reference to at or above the high one (or back); noise crossing the mid level in between
    makes no edge.  Each edge as (time of its low-level, mid-level, high-level crossing), the
    mid crossing being the last one of the transition."""
    mark = np.where(v >= hi, 1, np.where(v <= lo, -1, 0))
    idx = np.nonzero(mark)[0]
    if len(idx) < 2:
        return []
    m = mark[idx]
    change = np.nonzero(m[1:] != m[:-1])[0]
    target = 1 if rising else -1
    out = []
    for j in change[m[change + 1] == target]:
        a, b = int(idx[j]), int(idx[j + 1])          # last sample beyond one level, first beyond the other
        seg = v[a:b + 1]
        above = seg >= mid
        k = np.nonzero((~above[:-1] & above[1:]) if rising else (above[:-1] & ~above[1:]))[0]
        km = a + int(k[-1]) if len(k) else a
        first, last = (lo, hi) if rising else (hi, lo)
        out.append((_cross_time(t, v, a, first), _cross_time(t, v, km, mid), _cross_time(t, v, b - 1, last)))
    return out


def _pulse(rises, falls, positive: bool) -> float:
    """Width of the first positive (negative) pulse: a mid crossing to the next opposite one."""
    first, second = (rises, falls) if positive else (falls, rises)
    for t0 in first:
        later = second[second > t0]
        if len(later):
            return float(later[0] - t0)
    return NO_VALUE


def _top_base(v: np.ndarray) -> tuple[float, float]:
    """HIGH and LOW by a histogram-like method: the medians of the samples above and below the
    middle of the 1st..99th percentile span (a spike or the noise's extremes move neither)."""
    p1, p99 = np.percentile(v, (1.0, 99.0))
    split = 0.5 * (p1 + p99)
    upper, lower = v[v > split], v[v <= split]
    if not len(upper) or not len(lower):
        m = float(np.median(v))
        return m, m
    return float(np.median(upper)), float(np.median(lower))


def measure(kind: str, t: np.ndarray, v: np.ndarray, ref: tuple[np.ndarray, np.ndarray] | None = None,
            count: int = 1) -> float:
    """The value of measurement ``kind`` (long form, upper case) on the record ``(t, v)``;
    ``ref`` is SOUrce2's record (DELay, PHAse); ``count`` the waveforms in the record."""
    if len(v) < 2:
        return NO_VALUE
    high, low = _top_base(v)
    vmax, vmin = float(v.max()), float(v.min())
    amp = high - low
    mid, lo_ref, hi_ref = low + 0.5 * amp, low + 0.1 * amp, low + 0.9 * amp
    direct = {"HIGH": high, "PTOP": high, "MAXIMUM": vmax, "LOW": low, "PBASE": low, "MINIMUM": vmin,
              "AMPLITUDE": amp, "PK2PK": vmax - vmin, "WAVEFORMS": float(count),
              "POVERSHOOT": 100.0 * (vmax - high) / amp if amp > 0 else NO_VALUE,
              "NOVERSHOOT": 100.0 * (low - vmin) / amp if amp > 0 else NO_VALUE}
    if kind in direct:
        return direct[kind]
    if kind == "MEAN":
        return float(v.mean())
    if kind == "MEDIAN":
        return float(np.median(v))
    if kind == "RMS":
        return float(math.sqrt(np.mean(v * v)))
    if kind == "ACRMS" or kind == "STDDEV":
        return float(v.std())
    if kind == "AREA":
        return float(np.sum(0.5 * (v[1:] + v[:-1]) * np.diff(t)))
    if amp <= 0:
        return NO_VALUE
    up = _edges(t, v, lo_ref, mid, hi_ref, True)
    down = _edges(t, v, lo_ref, mid, hi_ref, False)
    rises = np.array([e[1] for e in up])
    falls = np.array([e[1] for e in down])
    if kind == "PCROSS":
        return float(rises[0]) if len(rises) else NO_VALUE
    if kind == "NCROSS":
        return float(falls[0]) if len(falls) else NO_VALUE
    if kind == "RISE":
        return up[0][2] - up[0][0] if up else NO_VALUE
    if kind == "FALL":
        return down[0][2] - down[0][0] if down else NO_VALUE
    if kind == "PWIDTH":
        return _pulse(rises, falls, True)
    if kind == "NWIDTH":
        return _pulse(rises, falls, False)
    if kind == "BURST":
        edges = np.sort(np.concatenate((rises, falls)))
        return float(edges[-1] - edges[0]) if len(edges) >= 2 else NO_VALUE
    if kind in ("DELAY", "PHASE"):
        if ref is None or not len(rises):
            return NO_VALUE
        rt, rv = ref
        r_lo, r_amp = float(rv.min()), float(rv.max() - rv.min())
        r_up = _edges(rt, rv, r_lo + 0.1 * r_amp, r_lo + 0.5 * r_amp, r_lo + 0.9 * r_amp, True)
        if not r_up:
            return NO_VALUE
        delay = float(r_up[0][1] - rises[0])
        if kind == "DELAY":
            return delay
        period = float(np.mean(np.diff(rises))) if len(rises) >= 2 else NO_VALUE
        return NO_VALUE if period == NO_VALUE else 360.0 * delay / period
    if len(rises) < 2:
        return NO_VALUE
    period = float(np.mean(np.diff(rises)))
    if kind == "PERIOD":
        return period
    if kind == "FREQUENCY":
        return 1.0 / period
    if kind in ("PDUTY", "NDUTY"):
        width = _pulse(rises, falls, kind == "PDUTY")
        return NO_VALUE if width == NO_VALUE else 100.0 * width / period
    if kind in ("CAREA", "CMEAN", "CRMS"):
        sel = (t >= rises[0]) & (t <= rises[-1])
        tc, vc = t[sel], v[sel]
        if len(vc) < 2:
            return NO_VALUE
        area = float(np.sum(0.5 * (vc[1:] + vc[:-1]) * np.diff(tc)))
        if kind == "CAREA":
            return area
        if kind == "CMEAN":
            return float(vc.mean())
        return float(math.sqrt(np.mean(vc * vc)))
    return NO_VALUE


# ------------------------------------------------------------------------------ the commands


class Measurements:
    """The measurement state of one scope: MEAS1..MEAS8, IMMed, statistics, gating."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Factory defaults: every slot UNDEFINED, off, on CH1; statistics OFF, weighting 32."""
        self.slots = {n: {"type": "UNDEFINED", "state": False, "source1": "CH1", "source2": "CH2",
                          "history": []} for n in range(1, N_MEAS + 1)}
        self.immed = {"type": "UNDEFINED", "source1": "CH1", "source2": "CH2"}
        self.stat_mode = "OFF"
        self.weighting = 32
        self.gating = "OFF"


def _slot(dev, args: Args) -> dict:
    n = args.suffix()
    if not 1 <= n <= N_MEAS:
        raise ScpiError(-114, f"MEAS{n}")
    return dev.measurements.slots[n]


def _value(dev, spec: dict) -> float:
    """Compute a measurement on the (fresh, if running) record of its source(s)."""
    kind = spec["type"]
    if kind == "UNDEFINED":
        return NO_VALUE
    rec = dev.measurement_record(spec["source1"])
    if rec is None:
        return NO_VALUE
    ref = dev.measurement_record(spec["source2"]) if kind in ("DELAY", "PHASE") else None
    return measure(kind, rec[0], rec[1], ref, count=dev.record_count())


def _meas_value_q(dev, args: Args) -> str:
    spec = _slot(dev, args)
    value = _value(dev, spec)
    if value != NO_VALUE:
        spec["history"] = (spec["history"] + [value])[-max(1, dev.measurements.weighting):]
    return f"{value:.6E}"


def _stat(fn):
    def _q(dev, args: Args) -> str:
        spec = _slot(dev, args)
        h = spec["history"]
        return f"{(fn(np.asarray(h)) if h else NO_VALUE):.6E}"
    return _q


def _slot_key(key: str, ptype):
    def _s(dev, args: Args) -> None:
        _slot(dev, args)[key] = args.one(ptype)
        if key in ("type", "source1", "source2"):
            _slot(dev, args)["history"] = []

    def _q(dev, args: Args) -> str:
        return ptype.format(_slot(dev, args)[key])
    return _s, _q


def _immed_key(key: str, ptype):
    def _s(dev, args: Args) -> None:
        dev.measurements.immed[key] = args.one(ptype)

    def _q(dev, args: Args) -> str:
        return ptype.format(dev.measurements.immed[key])
    return _s, _q


def _source_n(dev, args: Args) -> tuple[dict, str]:
    """MEAS<x>:SOUrce<n> (n = 1, 2; a bare SOUrce is SOUrce1)."""
    spec = _slot(dev, args)
    n = args.suffix(1, 1)
    if n not in (1, 2):
        raise ScpiError(-114, f"SOUrce{n}")
    return spec, f"source{n}"


def _source_set(dev, args: Args) -> None:
    spec, key = _source_n(dev, args)
    spec[key] = args.one(_SOURCE)
    spec["history"] = []


def _source_q(dev, args: Args) -> str:
    spec, key = _source_n(dev, args)
    return _SOURCE.format(spec[key])


def _count_set(dev, args: Args) -> None:
    """``MEASUrement:STATIstics:COUNt RESEt``: clear the accumulated statistics."""
    if args.one(Choice(("RESEt",))) == "RESET":
        for spec in dev.measurements.slots.values():
            spec["history"] = []


def _attr(key: str, ptype):
    def _s(dev, args: Args) -> None:
        setattr(dev.measurements, key, args.one(ptype))

    def _q(dev, args: Args) -> str:
        return ptype.format(getattr(dev.measurements, key))
    return _s, _q


MEASUREMENT_COMMANDS = [
    Cmd("MEASUrement:GATing", *_attr("gating", Choice(GATINGS, answer_long=True))),
    Cmd("MEASUrement:IMMed:TYPe", *_immed_key("type", _TYPE)),
    Cmd("MEASUrement:IMMed:SOUrce1", *_immed_key("source1", _SOURCE)),
    Cmd("MEASUrement:IMMed:SOUrce2", *_immed_key("source2", _SOURCE)),
    Cmd("MEASUrement:IMMed:VALue", query=lambda d, a: f"{_value(d, d.measurements.immed):.6E}"),
    Cmd("MEASUrement:IMMed:UNIts", query=lambda d, a: f'"{_UNITS[d.measurements.immed["type"]]}"'),
    Cmd("MEASUrement:MEAS<n>:TYPe", *_slot_key("type", _TYPE)),
    Cmd("MEASUrement:MEAS<n>:STATE", *_slot_key("state", Boolean())),
    Cmd("MEASUrement:MEAS<n>:SOUrce<n>", _source_set, _source_q),
    Cmd("MEASUrement:MEAS<n>:VALue", query=_meas_value_q),
    Cmd("MEASUrement:MEAS<n>:UNIts", query=lambda d, a: f'"{_UNITS[_slot(d, a)["type"]]}"'),
    Cmd("MEASUrement:MEAS<n>:MEAN", query=_stat(np.mean)),
    Cmd("MEASUrement:MEAS<n>:MAXimum", query=_stat(np.max)),
    Cmd("MEASUrement:MEAS<n>:MINImum", query=_stat(np.min)),
    Cmd("MEASUrement:MEAS<n>:STDdev", query=_stat(np.std)),
    Cmd("MEASUrement:MEAS<n>:COUNt", query=lambda d, a: str(len(_slot(d, a)["history"]))),
    Cmd("MEASUrement:STATIstics:MODe", *_attr("stat_mode", Choice(STAT_MODES, answer_long=True))),
    Cmd("MEASUrement:STATIstics:WEIghting", *_attr("weighting", Numeric(2, 1000, integer=True))),
    Cmd("MEASUrement:STATIstics:COUNt", _count_set),
]
