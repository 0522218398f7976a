"""Physics of a swept-tuned spectrum analyzer, shared by the emulators of every analyzer model
(Keysight N9030B, R&S FSV): what one sweep reads from the world and how its noise averages.

Each model keeps its own command table, settings and couplings; it subclasses
:class:`SweptAnalyzer` and names, in ``settings``, ``start``/``stop``/``points`` (the trace grid),
``rbw``/``vbw``/``sweep_time``, ``atten``/``preamp`` and ``form``/``border`` (data output); it
says which detector and averaging scale apply through :meth:`SweptAnalyzer.detector` and
:meth:`SweptAnalyzer.averaging_scale`, and how many sweeps one measurement averages through
:meth:`SweptAnalyzer.sweeps_per_measurement`.

Physics of one sweep (each point ``f_i``, bucket width ``span/(N-1)``):

* input power density = ``world.emission(port, f)`` (the k_B T noise of a matched 50 ohm
  source and the devices' emission; a device's Lorentzian lines pass the RBW filter exactly, as
  Voigt profiles, however narrow) + the analyzer's own noise density referred to its input,
  ``noise_density_dbm_hz`` at 0 dB attenuation + the attenuation in dB, less the preamp's
  noise reduction when it is on (the displayed average noise level, DANL);
* the RBW filter is a Gaussian whose -3 dB width is the RBW (digital IF: noise bandwidth
  1.0645 RBW); its output power is sampled across each bucket and reduced by the detector
  (AVERAGE: mean, SAMPLE: centre, POSITIVE/NORMAL: max, NEGATIVE: min);
* noise statistics: the power in an RBW is exponentially distributed (Rayleigh envelope).  The
  video filter averages ``RBW/VBW`` independent samples, an averaging detector
  ``bucket time * RBW``; the averaging scale decides in which domain: LOG (dB: noise reads
  2.51 dB low), RMS (power: unbiased), SCALAR (voltage: 1.05 dB low).  Trace averaging of
  several sweeps averages in the same domain;
* a sweep advances the virtual clock by the sweep time; a measurement runs on the world's
  timeline (:mod:`sim_backend.timeline`), or at once for a blocking query.
"""
from __future__ import annotations

import math

import numpy as np

from ..scpi import Args, Boolean, Choice, Emulator, Numeric, ScpiError, definite_block
from ..timeline import Action, ActionProcess, run_now

#: Gaussian RBW filter: noise bandwidth / -3 dB bandwidth = sqrt(pi / (4 ln 2))
NBW_FACTOR = math.sqrt(math.pi / (4 * math.log(2)))
MAX_GRID = 1_000_000
#: trace averaging: sweeps simulated one by one up to this count, beyond it the central limit
EXACT_SWEEPS = 16
DBM_W = 1e-3
_LOG10 = 10.0 / math.log(10.0)


def voigt_response(x, sigma: float, hwhm: float) -> np.ndarray:
    """Output of a Gaussian filter of peak gain 1 (standard deviation ``sigma``) at detuning ``x``
    [Hz] from a Lorentzian line of unit power and half width ``hwhm``: the convolution
    ``int L(u) exp(-(x - u)^2 / 2 sigma^2) du = Re w((x + i hwhm) / (sigma sqrt 2))``, w the
    Faddeeva function (a CW tone, ``hwhm -> 0``: ``exp(-x^2 / 2 sigma^2)``, its power at the
    centre)."""
    from scipy.special import wofz

    return np.real(wofz((np.asarray(x, dtype=float) + 1j * max(float(hwhm), 0.0)) / (sigma * math.sqrt(2.0))))


class SweptAnalyzer(Emulator):
    """The physics and the measurement timeline of a swept spectrum analyzer (module docstring)."""

    def __init__(self, world, address, config=None):
        cfg = config or {}
        self.port = (cfg.get("connect") or {}).get("input", "rf")
        #: analyzer input noise density at 0 dB attenuation, preamp off (dBm/Hz, true power)
        self.noise_density_dbm_hz = float(cfg.get("noise_density_dbm_hz", self.NOISE_DENSITY_DBM_HZ))
        self.preamp_gain_db = float(cfg.get("preamp_noise_reduction_db", self.PREAMP_NOISE_REDUCTION_DB))
        self.trace1: np.ndarray | None = None
        self._sweep: ActionProcess | None = None   #: a measurement running on the timeline
        super().__init__(world, address, cfg)

    #: settable frequency range of the model [Hz]
    FREQ_MIN, FREQ_MAX = 0.0, 26.5e9
    #: the model's input noise density at 0 dB attenuation, preamp off [dBm/Hz] (assumed value)
    NOISE_DENSITY_DBM_HZ = -160.0
    #: how much the preamp lowers it [dB] (assumed value)
    PREAMP_NOISE_REDUCTION_DB = 14.0

    # ------------------------------------------------------------------ model hooks
    def detector(self) -> str:
        """AVERAGE, SAMPLE, POSITIVE, NORMAL or NEGATIVE (the physics' names)."""
        return self.settings["detector"]

    def averaging_scale(self) -> str:
        """LOG, RMS or SCALAR: the domain the detector and the trace averaging average in."""
        return self.settings["avg_type"]

    def sweeps_per_measurement(self) -> int:
        """Sweeps one single measurement averages (1 without trace averaging)."""
        s = self.settings
        return s["avg_count"] if s["avg_state"] else 1

    # ------------------------------------------------------------------ physics
    def frequencies(self) -> np.ndarray:
        s = self.settings
        return np.linspace(s["start"], s["stop"], s["points"])

    def _internal_psd(self) -> float:
        """The analyzer's own noise density referred to the input (W/Hz)."""
        s = self.settings
        dbm = self.noise_density_dbm_hz + s["atten"] - (self.preamp_gain_db if s["preamp"] else 0.0)
        return DBM_W * 10 ** (dbm / 10)

    def mean_parts(self) -> tuple[np.ndarray, np.ndarray]:
        """Noise-free power (W) the detector reports at each trace point for the present drive,
        in two parts: what fluctuates as noise in the RBW filter, and the steady part of the
        devices' lines. A line of half width ``w`` well inside the filter is a
        tone of steady amplitude there; a line much broader than it is noise: the share
        ``w / (w + RBW)`` of a line's power fluctuates, the rest is steady."""
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
        psd, lines = self.world.emission(self.port, grid)
        psd = psd + internal
        sigma = rbw / (2 * math.sqrt(2 * math.log(2)))
        if step <= rbw / 4 * (1 + 1e-9):
            half = int(math.ceil(4 * sigma / step))
            x = np.arange(-half, half + 1) * step
            kernel = np.exp(-0.5 * (x / sigma) ** 2) * step
            filtered = np.convolve(psd, kernel, mode="same")
        else:  # RBW narrower than the grid: the narrow-filter limit
            filtered = psd * nbw
        steady = np.zeros_like(filtered)
        for fc, watts, hw in lines:     # a Lorentzian through the Gaussian filter: Voigt, exactly
            line = watts * voigt_response(grid - fc, sigma, hw)
            share = hw / (hw + rbw)
            filtered = filtered + share * line
            steady = steady + (1.0 - share) * line
        if not lines:
            return self._detect(filtered, grid, f_pts, bucket, step), np.zeros(n)
        total = self._detect(filtered + steady, grid, f_pts, bucket, step)
        steady = np.minimum(self._detect(steady, grid, f_pts, bucket, step), total)
        return total - steady, steady

    def _detect(self, filtered: np.ndarray, grid: np.ndarray, f_pts: np.ndarray, bucket: float,
                step: float) -> np.ndarray:
        """The detector's value of each trace point's bucket of the filtered power."""
        det = self.detector()
        if det == "SAMPLE" or bucket <= step:
            return np.interp(f_pts, grid, filtered)
        # reduce each bucket [f - b/2, f + b/2]
        edges = np.searchsorted(grid, np.concatenate([f_pts - bucket / 2, [f_pts[-1] + bucket / 2]]))
        idx = np.clip(edges[:-1], 0, len(grid) - 1)
        if det == "AVERAGE":        # the mean over the bucket: the integral of the (smooth) filter output
            area = np.concatenate([[0.0], np.cumsum(0.5 * (filtered[1:] + filtered[:-1]) * np.diff(grid))])
            lo, hi = f_pts - bucket / 2, f_pts + bucket / 2
            return (np.interp(hi, grid, area) - np.interp(lo, grid, area)) / bucket
        red = np.maximum if det in ("POSITIVE", "NORMAL") else np.minimum
        out = red.reduceat(filtered, idx) if len(idx) else filtered[:0]
        return out

    def _smoothed(self, m: float, size) -> np.ndarray:
        """Power multipliers (mean-power units) after averaging ``m`` independent exponential
        samples in the domain of the averaging scale (LOG / RMS / SCALar)."""
        rng = self.world.rng
        kind = self.averaging_scale()
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
        det = self.detector()
        if det == "AVERAGE":
            return self._smoothed(max(m_video, bucket_time * rbw), size)
        if det == "SAMPLE":
            return self._smoothed(m_video, size)
        k = int(min(max(round(bucket_time * rbw / m_video), 1), 16))
        samples = self._smoothed(m_video, (k, size)).reshape(k, size)
        return samples.max(axis=0) if det in ("POSITIVE", "NORMAL") else samples.min(axis=0)

    def _to_domain(self, p: np.ndarray) -> np.ndarray:
        kind = self.averaging_scale()
        if kind == "LOG":
            return 10 * np.log10(np.maximum(p, 1e-300))
        if kind == "SCALAR":
            return np.sqrt(p)
        return p

    def _from_domain(self, v: np.ndarray) -> np.ndarray:
        """Back to dBm."""
        kind = self.averaging_scale()
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
        count = self.sweeps_per_measurement()
        st = s["sweep_time"]
        if count <= EXACT_SWEEPS:
            acc = np.zeros(n)
            for _ in range(count):
                noisy, steady = self.mean_parts()
                acc += self._to_domain(noisy * self._sweep_multipliers(n) + steady)
                yield st
            self.trace1 = self._from_domain(acc / count)
            return
        noisy, steady = self.mean_parts()
        calib = self._to_domain(self._sweep_multipliers(max(n, 4096)))
        mu, sd = float(np.mean(calib)), float(np.std(calib))
        m = mu + sd / math.sqrt(count) * self.world.rng.standard_normal(n)   # the average, in its domain
        kind = self.averaging_scale()
        gain = 10 ** (m / 10) if kind == "LOG" else (np.maximum(m, 0.0) ** 2 if kind == "SCALAR" else m)
        yield st * count
        self.trace1 = self._from_domain(self._to_domain(noisy * gain + steady))

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
        order = ">" if s.get("border", "NORMAL") == "NORMAL" else "<"
        dtype = order + ("f4" if s["form"] == "REAL32" else "f8")
        return definite_block(np.asarray(values, dtype=dtype).tobytes())

    def _fetched(self) -> np.ndarray:
        self.wait_for_operations()         # the results of a running INIT:IMM, when it is done
        if self.trace1 is None or len(self.trace1) != self.settings["points"]:
            raise ScpiError(-230, "no measurement result; send :INIT:IMM first")
        return self.trace1




# ---------------------------------------------------------------------------------------------
# handler factories shared by the models' command tables


def freq_set(which: str):
    """``FREQuency:CENTer|SPAN|STARt|STOP``: the window kept inside the model's
    ``FREQ_MIN``..``FREQ_MAX`` (span 0 refused: zero span is not emulated)."""

    def _set(dev: SweptAnalyzer, args: Args) -> None:
        FREQ_MIN, FREQ_MAX = dev.FREQ_MIN, dev.FREQ_MAX
        num = Numeric(FREQ_MIN, FREQ_MAX + 80e6, unit="HZ")
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


def freq_query(which: str):
    def _q(dev: SweptAnalyzer, args: Args) -> str:
        s = dev.settings
        value = {"start": s["start"], "stop": s["stop"], "center": (s["start"] + s["stop"]) / 2,
                 "span": s["stop"] - s["start"]}[which]
        return f"{value:.11E}"
    return _q


def num_setting(key: str, ptype: Numeric, auto_key: str | None = None, transform=None):
    """Set a numeric setting (turning its auto coupling off), re-run the couplings."""

    def _set(dev: SweptAnalyzer, args: Args) -> None:
        value = args.one(ptype, dev.settings.get(key))
        if transform is not None:
            value = transform(value)
        dev.settings[key] = value
        if auto_key is not None:
            dev.settings[auto_key] = False
        dev._couple()

    def _q(dev: SweptAnalyzer, args: Args) -> str:
        if args.tokens:
            return ptype.format(args.one(ptype))
        return ptype.format(dev.settings[key])

    return _set, _q


def auto(key: str):
    def _set(dev: SweptAnalyzer, args: Args) -> None:
        dev.settings[key] = args.one(Boolean())
        dev._couple()
    return _set, (lambda d, a: "1" if d.settings[key] else "0")


def boolean(key: str):
    def _set(dev: SweptAnalyzer, args: Args) -> None:
        dev.settings[key] = args.one(Boolean())
        dev._couple()
    return _set, (lambda d, a: "1" if d.settings[key] else "0")


def choice(key: str, options: tuple[str, ...], auto_key: str | None = None):
    ptype = Choice(options)

    def _set(dev: SweptAnalyzer, args: Args) -> None:
        dev.settings[key] = args.one(ptype)
        if auto_key is not None:
            dev.settings[auto_key] = False
        dev._couple()
    return _set, (lambda d, a: ptype.format(d.settings[key]))


def init_imm(dev: SweptAnalyzer, args: Args) -> None:
    args.none()
    dev.start_measurement()


def abort(dev: SweptAnalyzer, args: Args) -> None:
    args.none()
    dev.abort_sweep()


def continuous(dev: SweptAnalyzer, args: Args) -> None:
    dev.settings["continuous"] = args.one(Boolean())


