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

Physics of one sweep (each point ``f_i``, bucket width ``span/(N-1)``):

* input power density = ``world.emission_psd(port, f)`` (the device's emission plus the k_B T
  noise of a matched 50 ohm source) + the analyzer's own noise density referred to its input,
  ``noise_density_dbm_hz`` (default -160 dBm/Hz at 0 dB attenuation) + the attenuation in dB,
  14 dB less with the preamp on (``PXA`` DANL specification, rounded; assumed values);
* the RBW filter is a Gaussian whose -3 dB width is the RBW (X-Series digital IF: noise
  bandwidth 1.0645 RBW); its output power is sampled across each bucket and reduced by the
  detector (AVERage: mean, SAMPle: centre, POSitive/NORMal: max, NEGative: min);
* noise statistics: the power in an RBW is exponentially distributed (Rayleigh envelope).  The
  video filter averages ``RBW/VBW`` independent samples, the average detector
  ``bucket time * RBW``; the averaging scale (``:AVER:TYPE``) decides in which domain: LOG
  (dB: noise reads 2.51 dB low, "Log-Pwr Avg"), RMS (power: unbiased), SCALar (voltage:
  1.05 dB low).  Trace averaging of ``:AVER:COUN`` sweeps averages in the same domain;
* a sweep advances the virtual clock by the sweep time; a single measurement with averaging on
  takes ``AVER:COUN`` sweeps.  ``:INIT:IMM`` runs the measurement on the world's timeline
  (:mod:`sim_backend.timeline`): it returns at once, each sweep reads the device when it starts,
  ``*OPC?``/``*WAI``/``FETCh?``/``TRAC?`` wait for the result (a trace query here waits rather
  than returning a half-swept trace), ``ABORt``/``*RST``/device clear stop it; ``READ?`` is
  blocking.  Auto sweep time = ``2 span / RBW^2`` (``2 span/(RBW VBW)`` with
  VBW < RBW), at least 1 ms and 1 us per point (swept analyzers: k ~ 2 for Gaussian filters).

Left out: zero span (span 0 is refused with -221), FFT sweep timing (``:SWE:TYPE FFT`` is stored
but timed as a swept sweep), INTeger,32 format, markers, limit lines, trace math, other modes
(only SA / SAN), ``:UNIT:POW`` other than DBM.

Wiring: ``connect: {input: <port>}`` (the device port whose ``emission_psd`` the RF input sees).
"""
from __future__ import annotations

import math

import numpy as np

from ..timeline import Action, ActionProcess, run_now
from ..scpi import (Args, Boolean, Choice, Cmd, Emulator, Numeric, ScpiError, definite_block,
                    system_error_commands)

#: frequency option -> (min start, max stop) settable (qcodes' table; option 526 = 26.5 GHz)
FREQ_MIN, FREQ_MAX = -80e6, 27e9
#: RBW 1 Hz .. 3 MHz in ~10 % steps (the E24 series), plus 4, 5, 6, 8 MHz (X-Series BW key)
_E24 = (1.0, 1.1, 1.2, 1.3, 1.5, 1.6, 1.8, 2.0, 2.2, 2.4, 2.7, 3.0, 3.3, 3.6, 3.9, 4.3, 4.7,
        5.1, 5.6, 6.2, 6.8, 7.5, 8.2, 9.1)
RBW_VALUES = tuple(sorted({round(m * 10 ** e, 6) for e in range(0, 7) for m in _E24
                           if m * 10 ** e <= 3e6 + 1} | {4e6, 5e6, 6e6, 8e6}))
#: Gaussian RBW filter: noise bandwidth / -3 dB bandwidth = sqrt(pi / (4 ln 2))
NBW_FACTOR = math.sqrt(math.pi / (4 * math.log(2)))
#: default span:RBW ratio of auto coupling (X-Series "Span:RBW Ratio" default)
SPAN_RBW_RATIO = 106.0
SWEEP_K = 2.0
MIN_SWEEP_TIME = 1e-3
MAX_GRID = 1_000_000
#: trace averaging: sweeps simulated one by one up to this count, beyond it the central limit
EXACT_SWEEPS = 16
DBM_W = 1e-3
_LOG10 = 10.0 / math.log(10.0)


def _round_rbw(value: float) -> float:
    """The nearest available RBW (in log), as the instrument rounds a request."""
    arr = np.asarray(RBW_VALUES)
    return float(arr[np.argmin(np.abs(np.log(arr) - math.log(max(value, 1e-3))))])


class KeysightN9030B(Emulator):
    """Keysight N9030B PXA in Spectrum Analyzer mode (Swept SA)."""

    IDN = "Keysight Technologies,N9030B,MY12345678,A.33.03"
    OPTIONS = '"526,B1X,EA3,P26,PFR"'
    ERROR_QUEUE_DEPTH = 100
    BUS_TIME_PER_BYTE = 1e-7   # LAN / USB
    BUS_TIME_PER_TRANSFER = 2e-4

    def __init__(self, world, address, config=None):
        cfg = config or {}
        self.port = (cfg.get("connect") or {}).get("input", "rf")
        #: analyzer input noise density at 0 dB attenuation, preamp off (dBm/Hz, true power)
        self.noise_density_dbm_hz = float(cfg.get("noise_density_dbm_hz", -160.0))
        self.preamp_gain_db = float(cfg.get("preamp_noise_reduction_db", 14.0))
        self.trace1: np.ndarray | None = None
        self._sweep: ActionProcess | None = None   #: an INIT:IMM running on the timeline
        super().__init__(world, address, cfg)

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

    # ------------------------------------------------------------------ physics
    def frequencies(self) -> np.ndarray:
        s = self.settings
        return np.linspace(s["start"], s["stop"], s["points"])

    def _internal_psd(self) -> float:
        """The analyzer's own noise density referred to the input (W/Hz)."""
        s = self.settings
        dbm = self.noise_density_dbm_hz + s["atten"] - (self.preamp_gain_db if s["preamp"] else 0.0)
        return DBM_W * 10 ** (dbm / 10)

    def mean_power(self) -> np.ndarray:
        """Noise-free power (W) the detector reports at each trace point for the present drive."""
        s = self.settings
        f_pts = self.frequencies()
        n = len(f_pts)
        rbw = s["rbw"]
        nbw = NBW_FACTOR * rbw
        bucket = (s["stop"] - s["start"]) / (n - 1) if n > 1 else 0.0
        lo, hi = s["start"] - bucket / 2 - 4 * rbw, s["stop"] + bucket / 2 + 4 * rbw
        step = rbw / 4
        internal = self._internal_psd()
        if (hi - lo) / step > MAX_GRID:
            step = (hi - lo) / MAX_GRID
        grid = np.arange(lo, hi + step, step)
        psd = self.world.emission_psd(self.port, grid) + internal
        if step <= rbw / 4 * (1 + 1e-9):
            sigma = rbw / (2 * math.sqrt(2 * math.log(2)))
            half = int(math.ceil(4 * sigma / step))
            x = np.arange(-half, half + 1) * step
            kernel = np.exp(-0.5 * (x / sigma) ** 2) * step
            filtered = np.convolve(psd, kernel, mode="same")
        else:  # RBW narrower than the grid: the narrow-filter limit
            filtered = psd * nbw
        det = s["detector"]
        if det == "SAMPLE" or bucket <= step:
            return np.interp(f_pts, grid, filtered)
        # reduce each bucket [f - b/2, f + b/2]
        edges = np.searchsorted(grid, np.concatenate([f_pts - bucket / 2, [f_pts[-1] + bucket / 2]]))
        idx = np.clip(edges[:-1], 0, len(grid) - 1)
        if det == "AVERAGE":
            csum = np.concatenate([[0.0], np.cumsum(filtered)])
            stop = np.maximum(edges[1:], idx + 1)
            return (csum[stop] - csum[idx]) / (stop - idx)
        red = np.maximum if det in ("POSITIVE", "NORMAL") else np.minimum
        out = red.reduceat(filtered, idx) if len(idx) else filtered[:0]
        return out

    def _smoothed(self, m: float, size) -> np.ndarray:
        """Power multipliers (mean-power units) after averaging ``m`` independent exponential
        samples in the domain of the averaging scale (LOG / RMS / SCALar)."""
        rng = self.world.rng
        kind = self.settings["avg_type"]
        if kind == "RMS":
            return rng.gamma(m, 1.0 / m, size)
        k = int(round(m))
        if kind == "LOG":
            if k <= 8:
                e = rng.exponential(1.0, (k,) + tuple(np.atleast_1d(size)))
                return 10 ** (np.log10(e).mean(axis=0))
            # mean of m values of 10 log10(Exp): mean -gamma_E*10/ln10 dB, sd 5.57 dB
            db = -0.5772156649 * _LOG10 + _LOG10 * (math.pi / math.sqrt(6)) / math.sqrt(m) * rng.standard_normal(size)
            return 10 ** (db / 10)
        # SCALar (voltage envelope): mean of sqrt(Exp), then squared
        if k <= 8:
            e = rng.exponential(1.0, (k,) + tuple(np.atleast_1d(size)))
            return np.sqrt(e).mean(axis=0) ** 2
        v = math.sqrt(math.pi) / 2 + math.sqrt(1 - math.pi / 4) / math.sqrt(m) * rng.standard_normal(size)
        return np.maximum(v, 0.0) ** 2

    def _sweep_multipliers(self, size: int) -> np.ndarray:
        """One sweep's detected values relative to the mean power, ``size`` draws for the present
        trace length (the bucket time is the sweep time over the trace points)."""
        s = self.settings
        rbw, vbw = s["rbw"], s["vbw"]
        m_video = max(1.0, rbw / vbw)
        bucket_time = s["sweep_time"] / max(s["points"], 1)
        det = s["detector"]
        if det == "AVERAGE":
            return self._smoothed(max(m_video, bucket_time * rbw), size)
        if det == "SAMPLE":
            return self._smoothed(m_video, size)
        k = int(min(max(round(bucket_time * rbw / m_video), 1), 16))
        samples = self._smoothed(m_video, (k, size)).reshape(k, size)
        return samples.max(axis=0) if det in ("POSITIVE", "NORMAL") else samples.min(axis=0)

    def _to_domain(self, p: np.ndarray) -> np.ndarray:
        kind = self.settings["avg_type"]
        if kind == "LOG":
            return 10 * np.log10(np.maximum(p, 1e-300))
        if kind == "SCALAR":
            return np.sqrt(p)
        return p

    def _from_domain(self, v: np.ndarray) -> np.ndarray:
        """Back to dBm."""
        kind = self.settings["avg_type"]
        if kind == "LOG":
            return v + 30.0
        if kind == "SCALAR":
            v = v * v
        return 10 * np.log10(np.maximum(v, 1e-300)) + 30.0

    # ------------------------------------------------------------------ timeline (issue 16)
    def abort_sweep(self) -> None:
        """Stop a measurement running on the timeline (ABORt, *RST, device clear)."""
        sweep = self.__dict__.get("_sweep")
        if sweep is not None:
            self._sweep = None
            self.world.cancel(sweep)

    def operations(self) -> tuple:
        return () if self._sweep is None else (self._sweep,)

    def on_clear(self) -> None:
        self.abort_sweep()

    def start_measurement(self) -> None:
        """``:INIT:IMM``: the measurement runs on the world's timeline (the command returns at
        once; the sweeps take their time while other instruments act); ``*OPC?``, ``*WAI``,
        ``FETCh?`` and trace queries wait for it."""
        self.abort_sweep()
        self._sweep = ActionProcess(self.measure_steps(), self._measured, name=f"{self.address} INIT")
        self.world.start(self._sweep)

    def _measured(self, _result) -> None:
        self._sweep = None
        self.operation_complete()

    def measure(self) -> None:
        """One single measurement, at once (a blocking READ:SAN?): :meth:`measure_steps`."""
        self.abort_sweep()
        run_now(self.world, self.measure_steps())

    def measure_steps(self) -> Action:
        """One single measurement: ``AVER:COUN`` sweeps with averaging on, else one sweep.

        Up to ``EXACT_SWEEPS`` sweeps are simulated one by one (the device state is read at the
        start of each); a longer average reads the device once and draws the average of
        ``count`` sweeps from the central limit theorem, with the mean and spread of one sweep's
        detected value estimated from a calibration sample of the same detector settings.
        """
        s = self.settings
        n = s["points"]
        count = s["avg_count"] if s["avg_state"] else 1
        st = s["sweep_time"]
        if count <= EXACT_SWEEPS:
            acc = np.zeros(n)
            for _ in range(count):
                acc += self._to_domain(self.mean_power() * self._sweep_multipliers(n))
                yield st
            self.trace1 = self._from_domain(acc / count)
            return
        mean = self.mean_power()
        calib = self._to_domain(self._sweep_multipliers(max(n, 4096)))
        mu, sd = float(np.mean(calib)), float(np.std(calib))
        z = self.world.rng.standard_normal(n)
        if s["avg_type"] == "LOG":
            value = 10 * np.log10(mean) + mu + sd / math.sqrt(count) * z
        else:
            value = self._to_domain(mean) * (mu + sd / math.sqrt(count) * z)
        yield st * count
        self.trace1 = self._from_domain(value)

    def current_trace(self) -> np.ndarray:
        """Trace 1 as the instrument holds it: in continuous mode a fresh sweep."""
        if self.settings["continuous"] or self.trace1 is None or len(self.trace1) != self.settings["points"]:
            self.measure()
        assert self.trace1 is not None
        return self.trace1

    # ------------------------------------------------------------------ data output
    def format_values(self, values: np.ndarray) -> str | bytes:
        """FORMat[:TRACe][:DATA] ASCii | REAL,32 | REAL,64 with FORMat:BORDer NORMal | SWAPped."""
        s = self.settings
        if s["form"] == "ASCII":
            return ",".join(f"{v:.9E}" for v in values)
        order = ">" if s["border"] == "NORMAL" else "<"
        dtype = order + ("f4" if s["form"] == "REAL32" else "f8")
        return definite_block(np.asarray(values, dtype=dtype).tobytes())

    def san_result(self, n: int) -> str | bytes:
        """``:FETCh:SANalyzer[n]?``: n = 1 trace 1 as x,y pairs (others not emulated)."""
        if n != 1:
            raise ScpiError(-113, f"SAN{n}: only trace 1 (n = 1) is emulated")
        y = self.current_trace() if self.settings["continuous"] else self._fetched()
        pairs = np.column_stack([self.frequencies(), y]).ravel()
        return self.format_values(pairs)

    def _fetched(self) -> np.ndarray:
        self.wait_for_operations()         # the results of a running INIT:IMM, when it is done
        if self.trace1 is None or len(self.trace1) != self.settings["points"]:
            raise ScpiError(-230, "no measurement result; send :INIT:IMM first")
        return self.trace1


# ---------------------------------------------------------------------------------------------
# handlers


def _freq_set(which: str):
    num = Numeric(FREQ_MIN, FREQ_MAX + 80e6, unit="HZ")

    def _set(dev: KeysightN9030B, args: Args) -> None:
        s = dev.settings
        center, span = (s["start"] + s["stop"]) / 2, s["stop"] - s["start"]
        value = args.one(Numeric(-math.inf, math.inf, unit="HZ"))
        if which == "span":
            if value == 0:
                raise ScpiError(-221, "zero span is not emulated")
            if not 10.0 <= value <= FREQ_MAX - FREQ_MIN:
                raise ScpiError(-222, f"span {value:g}")
            start, stop = center - value / 2, center + value / 2
            if start < FREQ_MIN or stop > FREQ_MAX:  # the instrument keeps the span inside the range
                start, stop = max(start, FREQ_MIN), min(stop, FREQ_MAX)
        else:
            num.parse(str(value))
            if which == "center":
                start, stop = value - span / 2, value + span / 2
                if start < FREQ_MIN or stop > FREQ_MAX:
                    half = min(value - FREQ_MIN, FREQ_MAX - value)
                    if half < 5:
                        raise ScpiError(-222, f"center {value:g}")
                    start, stop = value - half, value + half
            elif which == "start":
                start, stop = value, max(s["stop"], value + 10.0)
                if stop > FREQ_MAX:
                    raise ScpiError(-222, f"start {value:g}")
            else:
                start, stop = min(s["start"], value - 10.0), value
                if start < FREQ_MIN:
                    raise ScpiError(-222, f"stop {value:g}")
        s["start"], s["stop"] = float(start), float(stop)
        dev._couple()

    return _set


def _freq_query(which: str):
    def _q(dev: KeysightN9030B, args: Args) -> str:
        s = dev.settings
        value = {"start": s["start"], "stop": s["stop"], "center": (s["start"] + s["stop"]) / 2,
                 "span": s["stop"] - s["start"]}[which]
        return f"{value:.11E}"
    return _q


def _num_setting(key: str, ptype: Numeric, auto_key: str | None = None, transform=None):
    """Set a numeric setting (turning its auto coupling off), re-run the couplings."""

    def _set(dev: KeysightN9030B, args: Args) -> None:
        value = args.one(ptype, dev.settings.get(key))
        if transform is not None:
            value = transform(value)
        dev.settings[key] = value
        if auto_key is not None:
            dev.settings[auto_key] = False
        dev._couple()

    def _q(dev: KeysightN9030B, args: Args) -> str:
        if args.tokens:
            return ptype.format(args.one(ptype))
        return ptype.format(dev.settings[key])

    return _set, _q


def _auto(key: str):
    def _set(dev: KeysightN9030B, args: Args) -> None:
        dev.settings[key] = args.one(Boolean())
        dev._couple()
    return _set, (lambda d, a: "1" if d.settings[key] else "0")


def _bool(key: str):
    def _set(dev: KeysightN9030B, args: Args) -> None:
        dev.settings[key] = args.one(Boolean())
        dev._couple()
    return _set, (lambda d, a: "1" if d.settings[key] else "0")


def _choice(key: str, options: tuple[str, ...], auto_key: str | None = None):
    ptype = Choice(options)

    def _set(dev: KeysightN9030B, args: Args) -> None:
        dev.settings[key] = args.one(ptype)
        if auto_key is not None:
            dev.settings[auto_key] = False
        dev._couple()
    return _set, (lambda d, a: ptype.format(d.settings[key]))


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


def _init_imm(dev: KeysightN9030B, args: Args) -> None:
    args.none()
    dev.start_measurement()


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


def _abort(dev: KeysightN9030B, args: Args) -> None:
    args.none()
    dev.abort_sweep()


def _atten_transform(value: float) -> float:
    """Mechanical attenuator: 0..70 dB in 2 dB steps (the instrument rounds to a step)."""
    return float(2 * math.floor(value / 2 + 0.5))


def _rbw_transform(value: float) -> float:
    return _round_rbw(value)


def _continuous(dev: KeysightN9030B, args: Args) -> None:
    dev.settings["continuous"] = args.one(Boolean())


_f = {w: (_freq_set(w), _freq_query(w)) for w in ("center", "span", "start", "stop")}
_rbw = _num_setting("rbw", Numeric(1.0, 8e6, unit="HZ", fmt="{:.6E}"), "rbw_auto", _rbw_transform)
_vbw = _num_setting("vbw", Numeric(1.0, 50e6, unit="HZ", fmt="{:.6E}"), "vbw_auto")
_swt = _num_setting("sweep_time", Numeric(1e-6, 4000.0, unit="S", fmt="{:.6E}"), "sweep_time_auto")
_pts = _num_setting("points", Numeric(1, 40001, integer=True))
_rlev = _num_setting("ref_level", Numeric(-170.0, 30.0, unit="DBM", fmt="{:.2E}"))
_att = _num_setting("atten", Numeric(0, 70, unit="DB", fmt="{:.0f}"), "atten_auto", _atten_transform)
_avc = _num_setting("avg_count", Numeric(1, 10000, integer=True))

KeysightN9030B.COMMANDS = [
    Cmd(":CONFigure:SANalyzer", set=_conf_san, doc="select the Swept SA measurement"),
    Cmd(":CONFigure", query=lambda d, a: d.settings["measurement"], doc="the current measurement"),
    Cmd(":CONFigure:CATalog", query=lambda d, a: '"SAN"', doc="measurements of the current mode"),
    Cmd(":DISPlay:WINDow[1]:TRACe:Y[:SCALe]:RLEVel", *_rlev, doc="reference level (dBm)"),
    Cmd(":FETCh:SANalyzer<n>", query=_fetch_san, doc="results of the last measurement (n=1: trace 1 x,y)"),
    Cmd(":READ:SANalyzer<n>", query=_read_san, doc="INIT:IMM then FETCh"),
    Cmd(":MEASure:SANalyzer<n>", query=_meas_san, doc="CONFigure, then READ"),
    Cmd(":FORMat[:TRACe][:DATA]", set=_form_set, query=_form_query, doc="ASCii | REAL,32 | REAL,64"),
    Cmd(":FORMat:BORDer", *_choice("border", ("NORMal", "SWAPped")), doc="byte order of REAL data"),
    Cmd(":INITiate:CONTinuous", set=_continuous, query=lambda d, a: "1" if d.settings["continuous"] else "0"),
    Cmd(":INITiate[:IMMediate]", set=_init_imm, doc="one single measurement (with averaging: AVER:COUN sweeps)"),
    Cmd(":INITiate:RESTart", set=_init_imm),
    Cmd(":INITiate:SANalyzer", set=lambda d, a: (_conf_san(d, a), d.start_measurement())),
    Cmd(":ABORt", set=_abort),
    Cmd(":INSTrument[:SELect]", set=_inst_select, query=lambda d, a: d.settings["mode"]),
    Cmd(":INSTrument:CATalog", query=lambda d, a: '"SA 1"', doc="licensed modes and their numbers"),
    Cmd("[:SENSe]:AVERage:COUNt", *_avc, doc="averages 1..10000"),
    Cmd("[:SENSe]:AVERage[:STATe]", *_bool("avg_state"), doc="trace averaging"),
    Cmd("[:SENSe]:AVERage:TYPE", *_choice("avg_type", ("LOG", "RMS", "SCALar"), "avg_type_auto"),
        doc="averaging scale: log-power (video), power (RMS), voltage"),
    Cmd("[:SENSe]:AVERage:TYPE:AUTO", *_auto("avg_type_auto")),
    Cmd("[:SENSe]:BANDwidth[:RESolution]", *_rbw, doc="RBW 1 Hz .. 8 MHz, rounded to the available values"),
    Cmd("[:SENSe]:BWIDth[:RESolution]", *_rbw),
    Cmd("[:SENSe]:BANDwidth[:RESolution]:AUTO", *_auto("rbw_auto")),
    Cmd("[:SENSe]:BWIDth[:RESolution]:AUTO", *_auto("rbw_auto")),
    Cmd("[:SENSe]:BANDwidth:VIDeo", *_vbw, doc="VBW 1 Hz .. 50 MHz"),
    Cmd("[:SENSe]:BWIDth:VIDeo", *_vbw),
    Cmd("[:SENSe]:BANDwidth:VIDeo:AUTO", *_auto("vbw_auto")),
    Cmd("[:SENSe]:BWIDth:VIDeo:AUTO", *_auto("vbw_auto")),
    Cmd("[:SENSe]:BANDwidth:TYPE", *_choice("rbw_type", ("DB3", "DB6", "IMPulse", "NOISe")),
        doc="how the RBW is specified (the sim always uses -3 dB)"),
    Cmd("[:SENSe]:DETector:TRACe[1]", *_choice("detector", ("NORMal", "AVERage", "POSitive", "SAMPle", "NEGative"),
                                                "detector_auto")),
    Cmd("[:SENSe]:DETector:TRACe[1]:AUTO", *_auto("detector_auto")),
    Cmd("[:SENSe]:FREQuency:CENTer", _f["center"][0], _f["center"][1]),
    Cmd("[:SENSe]:FREQuency:SPAN", _f["span"][0], _f["span"][1]),
    Cmd("[:SENSe]:FREQuency:STARt", _f["start"][0], _f["start"][1]),
    Cmd("[:SENSe]:FREQuency:STOP", _f["stop"][0], _f["stop"][1]),
    Cmd("[:SENSe]:POWer[:RF]:ATTenuation", *_att, doc="mechanical attenuation 0..70 dB, 2 dB steps"),
    Cmd("[:SENSe]:POWer[:RF]:ATTenuation:AUTO", *_auto("atten_auto")),
    Cmd("[:SENSe]:POWer[:RF]:GAIN[:STATe]", *_bool("preamp"), doc="internal preamp"),
    Cmd("[:SENSe]:POWer[:RF]:GAIN:BAND", *_choice("preamp_band", ("LOW", "FULL"))),
    Cmd("[:SENSe]:SWEep:POINts", *_pts, doc="trace points 1..40001"),
    Cmd("[:SENSe]:SWEep:TIME", *_swt, doc="sweep time (setting it turns auto off)"),
    Cmd("[:SENSe]:SWEep:TIME:AUTO", *_auto("sweep_time_auto")),
    Cmd("[:SENSe]:SWEep:TYPE", *_choice("sweep_type", ("SWEep", "FFT"), "sweep_type_auto")),
    Cmd("[:SENSe]:SWEep:TYPE:AUTO", *_auto("sweep_type_auto")),
    *system_error_commands(),
    Cmd(":SYSTem:PRESet", set=lambda d, a: d.reset()),
    Cmd("*OPT", query=lambda d, a: d.OPTIONS, doc="installed options"),
    Cmd(":TRACe[:DATA]", query=_trace_query, doc="TRACE1 y values in the FORMat"),
    Cmd(":UNIT:POWer", set=lambda d, a: a.one(Choice(("DBM",))), query=lambda d, a: "DBM"),
]
