"""Stanford Research Systems SR830 DSP lock-in amplifier (SR830 manual rev. 2.5, chapter 5
"Remote Programming").

Not SCPI.  Command syntax (manual 5-1): a four-character mnemonic (``*`` + three for the
IEEE 488.2 common commands), any case, any number of embedded spaces, parameters separated
by commas (``FREQ1000``, ``OUTP? 1`` and ``outp?1`` are the same), commands on one line
separated by ``;``.  A query is the mnemonic followed by ``?``.  **Each answer is sent with its
own terminator** (LF on GPIB, CR on RS-232), also for several queries on one line.  There is no
error queue: an unknown command or malformed parameter sets the CMD bit (5) of the Standard
Event Status byte, an out-of-range parameter the EXE bit (4); the command is ignored.

The command table below is the manual's detailed command list in its order (5-4 .. 5-20):
reference and phase, input and filter, gain and time constant, display and output, aux
input and output, setup, auto functions, data storage, data transfer, interface, status.

Physics (the manual's "SR830 Basics", chapter 3).  The sine output (``SLVL`` V rms at
``FREQ``) drives the device port ``connect.sine_out`` (the current channel) through
``connect.series_resistance`` plus the sine output's own 50 ohm (manual specifications,
"Sine Out": output impedance 50 ohm): I(t) = sqrt(2) V / (R_series + 50 + R_channel) sin(wt),
with the DC-equivalent source registered in the world as zero.  The input (``connect.input``,
a port) is evaluated at K phases of one cycle, ``world.port_voltage(port,
world.drive(current=I_dc + I(phi_k)))``, so any device nonlinearity (e.g. a second-harmonic
Hall voltage) appears at the harmonics.  The demodulator takes the Fourier component at
``HARM`` x the reference, rotated by ``PHAS``: X + iY = (b_n + i a_n)/sqrt(2) e^{-i theta_ref}.
In current mode (``ISRC 2|3``) the input is the port's Norton current V / R_port, in A.

The output filter is ``OFSL``+1 cascaded RC stages of time constant ``OFLT``, integrated
exactly on the world clock: a reading 1 tau after a step at 6 dB/oct has moved 1 - 1/e of the
way.  The emulator sees the world only when addressed, so a change of the input made by
another instrument is dated at the last message that instrument received before this one was
next addressed (the world log); a spontaneous change of the device at the previous address.
Noise: the input port's Johnson noise sqrt(4 k T R) and the input amplifier's 6 nV/sqrt(Hz)
(specifications; 130 / 13 fA/sqrt(Hz) in current mode), in quadrature, in the equivalent
noise bandwidth of the filter (manual 3-21: 1/(4 tau), 1/(8 tau), 3/(32 tau), 5/(64 tau) for
6, 12, 18, 24 dB/oct), as an Ornstein-Uhlenbeck process of correlation time 1/(4 ENBW) added
to X and Y.

Status (``LIAS?``): bit 0 input overload when the input's rms exceeds the sensitivity times
the dynamic reserve (simplified to a fixed factor per ``RMOD``: high reserve 40 dB, normal
20 dB, low noise 0 dB -- assumed; the real reserve also depends on the sensitivity) or its peak
1.4 V; bit 2 output overload when |X|, |Y| or R of a reading exceeds the sensitivity; bit 3
unlock in external reference mode (no reference input is wired in the simulation); bit 4
when the detection frequency crosses 200 Hz; bit 5 when that forces a time constant above
30 s down (manual ``OFLT``); bit 6 when a triggered storage sample is taken.

Data storage (manual 5-13): ``SRAT`` 62.5 mHz .. 512 Hz or trigger, ``SEND`` one-shot/loop,
16383 points of the two displays, sampled on the world clock; ``TRCA?`` ASCII with a comma
after every point, ``TRCB?`` little-endian IEEE float32 and ``TRCL?`` the SR830's 16-bit
mantissa/8-bit exponent format, both without terminator (EOI on the last byte).

Not modelled (accepted and stored): line notch filters, synchronous filter, input grounding
and coupling other than in the overload test, the minimum time constant per reserve/slope,
analog front-panel outputs and aux outputs (not wired to the world), ``FAST`` data streaming
(``FAST 1|2`` is stored; data are still read with ``TRC?``), key click and alarm.

Wiring: ``connect: {sine_out: channel, input: hall, series_resistance: 1e4, aux_in1: <port>}``.

Command list cross-checked against the manual's (chapter 5, reference/input, gain/time
constant, display/output, aux I/O, setup, auto functions, data storage, data transfer,
interface and status commands): every command is in the table; what is accepted without
effect is listed under "Not modelled" above.
"""
from __future__ import annotations

import math
import struct
from collections import deque
from dataclasses import replace
from typing import Any, Callable

import numpy as np

from ..physics.constants import KB
from ..scpi import ESR_CME, ESR_EXE, Emulator, ScpiError

#: SENS i -> full scale (V in voltage mode; x 1e-6 A in current mode)
SENSITIVITIES = (2e-9, 5e-9, 10e-9, 20e-9, 50e-9, 100e-9, 200e-9, 500e-9, 1e-6, 2e-6, 5e-6,
                 10e-6, 20e-6, 50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3, 20e-3,
                 50e-3, 100e-3, 200e-3, 500e-3, 1.0)
#: OFLT i -> time constant (s)
TIME_CONSTANTS = (10e-6, 30e-6, 100e-6, 300e-6, 1e-3, 3e-3, 10e-3, 30e-3, 100e-3, 300e-3,
                  1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1e3, 3e3, 10e3, 30e3)
#: SRAT i -> sample rate (Hz); 14 is "trigger"
SAMPLE_RATES = tuple(0.0625 * 2 ** i for i in range(14))
SRAT_TRIGGER = 14
#: filter order (OFSL + 1) -> ENBW x tau (manual 3-21)
ENBW_TAU = {1: 1 / 4, 2: 1 / 8, 3: 3 / 32, 4: 5 / 64}
#: RMOD -> dynamic reserve in dB (assumed fixed values, see module doc)
RESERVE_DB = {0: 40.0, 1: 20.0, 2: 0.0}
BUFFER_POINTS = 16383
#: input amplifier noise (specifications): voltage, and current per ISRC 2 / 3
AMP_NOISE_V = 6e-9
AMP_NOISE_I = {2: 130e-15, 3: 13e-15}
CURRENT_GAIN = {2: 1e6, 3: 1e8}
INPUT_PEAK_MAX = 1.4
SINE_OUT_IMPEDANCE = 50.0
#: the detection-frequency boundary of the manual's two ranges
RANGE_SPLIT_HZ = 200.0
#: index of the longest time constant allowed above 200 Hz (30 s)
OFLT_MAX_UPPER_RANGE = 13

# LIA status bits (manual 5-20)
LIA_INPUT, LIA_FILTER, LIA_OUTPUT, LIA_UNLOCK, LIA_RANGE, LIA_TC, LIA_TRIG = (1 << i for i in range(7))
# serial poll status bits (manual 5-19)
STB_SCN, STB_IFC, STB_ERR, STB_LIA, STB_MAV_830, STB_ESB_830, STB_SRQ = (1 << i for i in range(7))


def _num(token: str) -> float:
    try:
        value = float(token)
    except ValueError:
        raise ScpiError(-104, token) from None
    if not math.isfinite(value):
        raise ScpiError(-104, token)
    return value


def _int(token: str, lo: int, hi: int) -> int:
    """An integer parameter i (any numeric format, manual 5-3), out of range -> EXE."""
    value = _num(token)
    i = int(round(value))
    if not lo <= i <= hi:
        raise ScpiError(-222, token)
    return i


def _real(token: str, lo: float, hi: float) -> float:
    value = _num(token)
    if not lo <= value <= hi:
        raise ScpiError(-222, token)
    return value


def _count(params: list[str], lo: int, hi: int | None = None) -> None:
    hi = lo if hi is None else hi
    if not lo <= len(params) <= hi:
        raise ScpiError(-109 if len(params) < lo else -108)


def fmt(value: float) -> str:
    """The SR830's float format: ``-1.234567e-009`` (three-digit exponent)."""
    mant, exp = f"{value:+.6e}".split("e")
    return f"{mant}e{int(exp):+04d}"


def trcl_bytes(value: float) -> bytes:
    """One point in the SR830's internal format: int16 mantissa m, exponent e in 0..248,
    value = m 2^(e - 124), little endian, byte 3 zero (manual, TRCL?)."""
    if value == 0 or not math.isfinite(value):
        return struct.pack("<hBB", 0, 124, 0)
    e = math.floor(math.log2(abs(value))) - 14 + 124
    e = min(max(e, 0), 248)
    m = int(round(value / 2.0 ** (e - 124)))
    if abs(m) > 32767:
        e = min(e + 1, 248)
        m = int(round(value / 2.0 ** (e - 124)))
    m = max(-32768, min(32767, m))
    return struct.pack("<hBB", m, e, 0)


class Row:
    """One command of the table: mnemonic, set and query handlers, the manual's syntax."""

    __slots__ = ("name", "set", "query", "doc")

    def __init__(self, name: str, set: Callable | None = None, query: Callable | None = None,
                 doc: str = ""):
        self.name, self.set, self.query, self.doc = name, set, query, doc


class SR830(Emulator):
    """SR830 lock-in with its sine output driving the device through a series resistor."""

    IDN = "Stanford_Research_Systems,SR830,s/n86325,ver1.07"
    SCPI_PATHS = False
    #: a GPIB transfer plus the SR830's command parser (assumed)
    COMMAND_TIME = 2e-4

    def __init__(self, world, address, config=None):
        cfg = dict(config or {})
        connect = dict(cfg.get("connect", {}))
        self.input_port = connect.get("input")
        if self.input_port is None:
            raise KeyError("srs_sr830 needs connect: {input: <port>[, sine_out: channel, "
                           "series_resistance: <ohm>]}")
        try:
            world.check_port(self.input_port)
        except KeyError as exc:
            raise KeyError(f"srs_sr830: connect.input {self.input_port!r} is not a device port: {exc}") from None
        self.sine_port = connect.get("sine_out")
        if self.sine_port is not None:
            term = world.terminal(self.sine_port)
            drive_port = getattr(world.devices[term.device], "drive_port", "channel")
            if term.connection != "single" or term.members[0][1] != drive_port:
                raise KeyError(f"srs_sr830: connect.sine_out must be a device's drive port "
                               f"({drive_port!r}), not {self.sine_port!r}")
        self.series_resistance = float(connect.get("series_resistance", 0.0))
        self.aux_ports = {i: connect.get(f"aux_in{i}") for i in range(1, 5)}
        #: the instrument whose modulation output drives REF IN (external reference, FMOD 0)
        self.reference_source = connect.get("reference")
        self.TERMINATOR = b"\r" if address.upper().startswith("ASRL") else b"\n"
        # filter and noise state (before super().__init__, which calls reset)
        self._t = world.now
        self._u = 0j
        self._stages = [0j] * 4
        self._z = np.zeros(2)
        self.lias = 0
        self.liae = 0
        self.errs = 0
        self.erre = 0
        self.psc = 1
        self.saved: dict[int, dict[str, Any]] = {}
        self.interface = 1 if not address.upper().startswith("ASRL") else 0
        super().__init__(world, address, cfg)
        if self.sine_port is not None:
            world.set_source(address, self.sine_port, 0.0)  # AC only: DC-equivalent zero
        self._t = world.now
        self._u = self._target()
        self._stages = [self._u] * 4

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """``*RST``: the manual's standard settings (4-4)."""
        self.settings.update(
            phas=0.0, fmod=1, freq=1000.0, rslp=0, harm=1, slvl=1.0,
            isrc=0, ignd=0, icpl=0, ilin=0,
            sens=26, rmod=1, oflt=8, ofsl=1, sync=0,
            ddef={1: (0, 0), 2: (0, 0)}, fpop={1: 0, 2: 0}, oexp={1: (0.0, 0), 2: (0.0, 0), 3: (0.0, 0)},
            auxv={1: 0.0, 2: 0.0, 3: 0.0, 4: 0.0},
            ovrm=0, locl=0, kclk=1, alrm=1,
            srat=4, send=1, tstr=0, fast=0,
        )
        self.buffer: deque[tuple[float, float]] = deque(maxlen=BUFFER_POINTS)
        self.scanning = False
        self._next_sample: float | None = None

    @property
    def order(self) -> int:
        return self.settings["ofsl"] + 1

    @property
    def tau(self) -> float:
        return TIME_CONSTANTS[self.settings["oflt"]]

    @property
    def enbw(self) -> float:
        """Equivalent noise bandwidth (Hz) of the output filter (manual 3-21)."""
        return ENBW_TAU[self.order] / self.tau

    @property
    def sensitivity(self) -> float:
        s = SENSITIVITIES[self.settings["sens"]]
        return s * 1e-6 if self.settings["isrc"] >= 2 else s

    @property
    def detection_frequency(self) -> float:
        return self.settings["freq"] * self.settings["harm"]

    # ------------------------------------------------------------------ errors: ESR bits only
    def push_error(self, code: int, detail: str = "") -> None:
        self.esr |= ESR_EXE if -299 <= code <= -200 else ESR_CME

    def on_unterminated_read(self) -> None:
        """The SR830 has no query-error bit for an empty read: nothing happens."""

    def status_byte(self) -> int:
        """Serial poll status byte (manual 5-19)."""
        self._sync()
        stb = STB_IFC
        if not self.scanning:
            stb |= STB_SCN
        if self.errs & self.erre:
            stb |= STB_ERR
        if self.lias & self.liae:
            stb |= STB_LIA
        if self._out:
            stb |= STB_MAV_830
        if self.esr & self.ese:
            stb |= STB_ESB_830
        if stb & self.sre:
            stb |= STB_SRQ
        return stb

    # ------------------------------------------------------------------ bytes in, bytes out
    def write(self, data: bytes) -> None:
        world = self.world
        world.record(self.address, data)
        owed = self.BUS_TIME_PER_TRANSFER + self.BUS_TIME_PER_BYTE * len(data)
        text = data.decode("latin-1").replace("\r", "\n")
        for line in text.split("\n"):
            for unit in line.split(";"):
                unit = "".join(unit.split())  # embedded spaces are ignored (manual 5-1)
                if not unit:
                    continue
                world.advance(owed + self.COMMAND_TIME)
                owed = 0.0
                self._sync()
                try:
                    reply = self._execute(unit)
                except ScpiError as exc:
                    self.push_error(exc.code, exc.detail)
                    continue
                if reply is not None:
                    if isinstance(reply, (bytes, bytearray)):
                        self._out += reply          # binary: no terminator, EOI on the last byte
                    else:
                        self._out += reply.encode("latin-1") + self.TERMINATOR
                    self._out_end = True
        if owed:
            world.advance(owed)

    def _execute(self, unit: str) -> str | bytes | None:
        upper = unit.upper()
        name, rest = upper[:4], upper[4:]
        row = _TABLE.get(name)
        if row is None:
            raise ScpiError(-113, unit)
        query = rest.startswith("?")
        if query:
            rest = rest[1:]
        params = rest.split(",") if rest else []
        if any(p == "" for p in params):
            raise ScpiError(-102, unit)
        if query:
            if row.query is None:
                raise ScpiError(-113, unit)
            return row.query(self, params)
        if row.set is None:
            raise ScpiError(-113, unit)
        row.set(self, params)
        self._sync()  # a changed setting changes the target from now on
        return None

    def on_trigger(self) -> None:
        """GET acts as ``TRIG`` (manual 5-2)."""
        self._sync()
        self._trig()

    def clear(self) -> None:
        self._out.clear()
        self._out_end = False

    # ------------------------------------------------------------------ physics
    def _input_waveform(self) -> tuple[np.ndarray, np.ndarray]:
        """Phases and input samples (V, or A in current mode) over one reference cycle."""
        world = self.world
        s = self.settings
        n = s["harm"]
        k = max(32, 4 * n + 4)
        phases = 2 * np.pi * np.arange(k) / k
        i0 = 0.0
        if self.sine_port is not None:
            r = self.series_resistance + SINE_OUT_IMPEDANCE + world.port_resistance(self.sine_port)
            i0 = math.sqrt(2) * s["slvl"] / r
        base = world.drive(port=self.sine_port or self.input_port)
        if i0 == 0.0:
            v = np.full(k, world.port_voltage(self.input_port, base))
        else:
            idc = base.current
            v = np.array([world.port_voltage(self.input_port, replace(base, current=idc + i0 * math.sin(p)))
                          for p in phases])
        if s["isrc"] >= 2:
            v = v / world.port_resistance(self.input_port)
        return phases, v

    def _target(self) -> complex:
        """Steady-state X + iY for the present world and settings; latches input overload."""
        s = self.settings
        if s["fmod"] == 0:  # external reference: the wired source's modulation, or unlocked
            return self._external_target()
            return 0j
        phases, v = self._input_waveform()
        n = s["harm"]
        k = len(phases)
        b = 2.0 / k * float(np.dot(v, np.sin(n * phases)))
        a = 2.0 / k * float(np.dot(v, np.cos(n * phases)))
        ac = v - v.mean() if s["icpl"] == 0 else v
        rms = float(np.sqrt(np.mean(ac * ac)))
        peak = float(np.max(np.abs(v))) * (CURRENT_GAIN.get(s["isrc"], 1.0))
        if rms > self.sensitivity * 10 ** (RESERVE_DB[s["rmod"]] / 20) or peak > INPUT_PEAK_MAX:
            self.lias |= LIA_INPUT
        return complex(b, a) / math.sqrt(2) * complex(math.cos(math.radians(-s["phas"])),
                                                       math.sin(math.radians(-s["phas"])))

    def _external_target(self) -> complex:
        """External reference (FMOD 0) on REF IN from an RF source's pulse modulation output
        (``connect.reference``; the source publishes ``modulation = {frequency, duty, on,
        carrier}`` on the world's links).  The lock-in tracks the TTL's frequency (manual 3-3,
        "External reference": locks to the rising edge) and demodulates the input, which is the
        device voltage with the carrier on during the pulse and off between pulses: harmonic n
        of that square wave of duty d, ``a_n = dV sin(2 pi n d)/(pi n)``, ``b_n = dV (1 - cos(2
        pi n d))/(pi n)`` (phase 0 at the rising edge), dV = V_on - V_off."""
        s = self.settings
        mod = self.world.links.read(self.reference_source, "modulation")
        if not mod or not mod.get("on"):
            self.lias |= LIA_UNLOCK
            return 0j
        s["freq"] = float(mod["frequency"])
        world = self.world
        base = world.drive(port=self.input_port)
        carrier = float(mod["carrier"])
        rest = tuple(t for t in base.rf_tones if abs(t[0] - carrier) > 1e-3)
        strongest = max(rest, key=lambda t: t[1]) if rest else (0.0, -math.inf, 0.0)
        off = replace(base, rf_tones=rest, rf_frequency=strongest[0], rf_power_dbm=strongest[1])
        v_on = world.port_voltage(self.input_port, base)
        v_off = world.port_voltage(self.input_port, off)
        dv = v_on - v_off
        if mod.get("inverted"):
            dv = -dv
        if s["isrc"] >= 2:
            dv = dv / world.port_resistance(self.input_port)
        n, d = s["harm"], float(mod["duty"])
        a = dv * math.sin(2 * math.pi * n * d) / (math.pi * n)
        b = dv * (1 - math.cos(2 * math.pi * n * d)) / (math.pi * n)
        if max(abs(v_on), abs(v_off)) * CURRENT_GAIN.get(s["isrc"], 1.0) > INPUT_PEAK_MAX:
            self.lias |= LIA_INPUT
        return complex(b, a) / math.sqrt(2) * complex(math.cos(math.radians(-s["phas"])),
                                                       math.sin(math.radians(-s["phas"])))

    def noise_density(self) -> float:
        """Input noise density: V/sqrt(Hz) (A/sqrt(Hz) in current mode)."""
        r = self.world.port_resistance(self.input_port)
        kt4 = 4 * KB * self.world.temperature
        isrc = self.settings["isrc"]
        if isrc >= 2:
            return math.sqrt(kt4 / r + AMP_NOISE_I[isrc] ** 2)
        return math.sqrt(kt4 * r + AMP_NOISE_V ** 2)

    def _last_foreign_time(self) -> float:
        """Time of the latest message another instrument received since the last sync."""
        t_last = self._t
        for rec in reversed(self.world.log):
            if rec.t <= t_last:
                break
            if rec.address != self.address:
                return min(rec.t, self.world.now)
        return t_last

    def _sync(self) -> None:
        """Bring the filter (and the storage buffer) up to the world clock."""
        now = self.world.now
        u_new = self._target()
        if now > self._t:
            t_change = self._last_foreign_time()
            self._evolve(t_change, self._u)
            self._evolve(now, u_new)
        self._u = u_new
        out = self._stages[self.order - 1]
        if max(abs(out.real), abs(out.imag), abs(out)) > self.sensitivity:
            self.lias |= LIA_OUTPUT  # the overload persists while the output is over full scale

    def _evolve(self, t_end: float, u: complex) -> None:
        while self.scanning and self._next_sample is not None and self._next_sample <= t_end:
            rate = SAMPLE_RATES[self.settings["srat"]]
            remaining = int((t_end - self._next_sample) * rate) + 1
            if self.settings["send"] == 1 and remaining > BUFFER_POINTS:  # loop: only the last count
                self._next_sample += (remaining - BUFFER_POINTS) / rate
            self._step(self._next_sample - self._t, u)
            self._t = self._next_sample
            self._store_sample()
            if self.scanning:
                self._next_sample += 1.0 / rate
        self._step(t_end - self._t, u)
        self._t = max(self._t, t_end)

    def _step(self, dt: float, u: complex) -> None:
        """Exact response of ``order`` identical RC stages to a constant input over ``dt``;
        the noise as an Ornstein-Uhlenbeck process of correlation time 1/(4 ENBW)."""
        if dt <= 0:
            return
        x = dt / self.tau
        order = self.order
        if x > 60:
            self._stages = [u] * 4
        else:
            e = [s - u for s in self._stages]
            decay = math.exp(-x)
            new = []
            for k in range(order):
                acc = 0j
                for j in range(k + 1):
                    acc += e[j] * x ** (k - j) / math.factorial(k - j)
                new.append(u + decay * acc)
            self._stages = new + [new[-1]] * (4 - order)
        tc = 1.0 / (4 * self.enbw)
        a = math.exp(-dt / tc)
        self._z = a * self._z + math.sqrt(max(0.0, 1 - a * a)) * self.world.rng.standard_normal(2)

    def _output(self) -> complex:
        """X + iY now (filtered signal plus noise); latches output overload."""
        sigma = self.noise_density() * math.sqrt(self.enbw)
        out = self._stages[self.order - 1] + sigma * complex(self._z[0], self._z[1])
        sens = self.sensitivity
        if max(abs(out.real), abs(out.imag), abs(out)) > sens:
            self.lias |= LIA_OUTPUT
        return out

    def _aux_in(self, i: int) -> float:
        port = self.aux_ports.get(i)
        v = self.world.port_voltage(port) if port else 0.0
        return round(v * 3000) / 3000  # 1/3 mV resolution

    def _quantity(self, i: int, out: complex) -> float:
        """SNAP? parameter i: 1 X, 2 Y, 3 R, 4 theta, 5-8 aux in, 9 ref freq, 10/11 displays."""
        if i == 1:
            return out.real
        if i == 2:
            return out.imag
        if i == 3:
            return abs(out)
        if i == 4:
            return math.degrees(math.atan2(out.imag, out.real))
        if 5 <= i <= 8:
            return self._aux_in(i - 4)
        if i == 9:
            return self.settings["freq"]
        return self._display(i - 9, out)

    def _display(self, ch: int, out: complex) -> float:
        """CH1/CH2 display value: the DDEF quantity, ratio, less the OEXP offset."""
        j, k = self.settings["ddef"][ch]
        sigma_density = self.noise_density()
        if ch == 1:
            value = (out.real, abs(out), sigma_density, self._aux_in(1), self._aux_in(2))[j]
            offset_index = (1, 3, None, None, None)[j]
        else:
            value = (out.imag, math.degrees(math.atan2(out.imag, out.real)), sigma_density,
                     self._aux_in(3), self._aux_in(4))[j]
            offset_index = (2, None, None, None, None)[j]
        if k:
            denom = self._aux_in(k if ch == 1 else k + 2)
            value = value / denom if denom else math.inf
        if offset_index is not None:
            value -= self.settings["oexp"][offset_index][0] / 100 * self.sensitivity
        return value

    # ------------------------------------------------------------------ storage
    def _store_sample(self) -> None:
        out = self._output()
        self.buffer.append((self._display(1, out), self._display(2, out)))
        if self.settings["send"] == 0 and len(self.buffer) >= BUFFER_POINTS:
            self.scanning = False  # one shot: storage stops when the buffer is full
            self._next_sample = None

    def _start(self, delay: float = 0.0) -> None:
        if self.scanning:
            return
        if self.settings["send"] == 0 and len(self.buffer) >= BUFFER_POINTS:
            return
        self.scanning = True
        if self.settings["srat"] == SRAT_TRIGGER:
            self._next_sample = None
        else:
            self._next_sample = self.world.now + delay

    def _trig(self) -> None:
        if self.settings["tstr"] and not self.scanning:
            self._start()
            self.lias |= LIA_TRIG
            if self.settings["srat"] != SRAT_TRIGGER:
                return
        if self.scanning and self.settings["srat"] == SRAT_TRIGGER:
            self._store_sample()
            self.lias |= LIA_TRIG

    def _trace(self, params: list[str]) -> list[float]:
        _count(params, 3)
        ch = _int(params[0], 1, 2)
        start = _int(params[1], 0, BUFFER_POINTS)
        count = _int(params[2], 1, BUFFER_POINTS)
        if start + count > len(self.buffer):
            raise ScpiError(-222, "j + k exceeds the stored points")
        return [self.buffer[i][ch - 1] for i in range(start, start + count)]

    # ------------------------------------------------------------------ handlers
    def _reg_set(self, attr: str, params: list[str]) -> None:
        """``XXXX i`` sets the whole register, ``XXXX i,j`` sets bit i to j."""
        _count(params, 1, 2)
        if len(params) == 1:
            setattr(self, attr, _int(params[0], 0, 255))
        else:
            bit, value = _int(params[0], 0, 7), _int(params[1], 0, 1)
            reg = getattr(self, attr)
            setattr(self, attr, (reg | (1 << bit)) if value else (reg & ~(1 << bit)))

    def _reg_query(self, attr: str, params: list[str], clear: bool = False) -> int:
        _count(params, 0, 1)
        reg = getattr(self, attr)
        if params:
            bit = _int(params[0], 0, 7)
            if clear:
                setattr(self, attr, reg & ~(1 << bit))
            return (reg >> bit) & 1
        if clear:
            setattr(self, attr, 0)
        return reg

    def s_freq(self, p):
        _count(p, 1)
        f = _real(p[0], 0.001, 102000.0)
        if f * self.settings["harm"] > 102000.0:
            raise ScpiError(-222, "harmonic x frequency above 102 kHz")
        # 5 significant digits, at most 0.1 mHz resolution (manual FREQ)
        self._set_detection(freq=round(f, min(4, 4 - int(math.floor(math.log10(f))))))

    def s_harm(self, p):
        _count(p, 1)
        n = _int(p[0], 1, 19999)
        if n * self.settings["freq"] > 102000.0:
            raise ScpiError(-222, "harmonic x frequency above 102 kHz")
        self._set_detection(harm=n)

    def _set_detection(self, **change) -> None:
        before = self.detection_frequency
        self.settings.update(change)
        after = self.detection_frequency
        if (before > RANGE_SPLIT_HZ) != (after > RANGE_SPLIT_HZ):
            self.lias |= LIA_RANGE
        if after > RANGE_SPLIT_HZ and self.settings["oflt"] > OFLT_MAX_UPPER_RANGE:
            self.settings["oflt"] = OFLT_MAX_UPPER_RANGE
            self.lias |= LIA_TC

    def s_phas(self, p):
        _count(p, 1)
        x = _real(p[0], -360.0, 729.99)
        x = (x + 180.0) % 360.0 - 180.0
        self.settings["phas"] = round(x, 2)

    def s_slvl(self, p):
        _count(p, 1)
        x = _real(p[0], 0.004, 5.0)
        self.settings["slvl"] = round(round(x / 0.002) * 0.002, 3)

    def s_oflt(self, p):
        _count(p, 1)
        i = _int(p[0], 0, 19)
        if i > OFLT_MAX_UPPER_RANGE and self.detection_frequency > RANGE_SPLIT_HZ:
            raise ScpiError(-222, "time constants above 30 s only below 200 Hz")
        self.settings["oflt"] = i

    def s_ofsl(self, p):
        _count(p, 1)
        new = _int(p[0], 0, 3)
        self._stages = [self._stages[self.order - 1]] * 4  # the new filter starts from the output
        self.settings["ofsl"] = new

    def q_outp(self, p):
        _count(p, 1)
        return fmt(self._quantity(_int(p[0], 1, 4), self._output()))

    def q_outr(self, p):
        _count(p, 1)
        return fmt(self._display(_int(p[0], 1, 2), self._output()))

    def q_snap(self, p):
        _count(p, 2, 6)
        idx = [_int(t, 1, 11) for t in p]
        out = self._output()
        return ",".join(fmt(self._quantity(i, out)) for i in idx)

    def q_oaux(self, p):
        _count(p, 1)
        return fmt(self._aux_in(_int(p[0], 1, 4)))

    def s_auxv(self, p):
        _count(p, 2)
        i = _int(p[0], 1, 4)
        self.settings["auxv"][i] = round(_real(p[1], -10.5, 10.5), 3)

    def q_auxv(self, p):
        _count(p, 1)
        return f"{self.settings['auxv'][_int(p[0], 1, 4)]:.3f}"

    def s_ddef(self, p):
        _count(p, 3)
        ch = _int(p[0], 1, 2)
        self.settings["ddef"][ch] = (_int(p[1], 0, 4), _int(p[2], 0, 2))

    def q_ddef(self, p):
        _count(p, 1)
        j, k = self.settings["ddef"][_int(p[0], 1, 2)]
        return f"{j},{k}"

    def s_fpop(self, p):
        _count(p, 2)
        self.settings["fpop"][_int(p[0], 1, 2)] = _int(p[1], 0, 1)

    def s_oexp(self, p):
        _count(p, 3)
        i = _int(p[0], 1, 3)
        self.settings["oexp"][i] = (round(_real(p[1], -105.0, 105.0), 2), _int(p[2], 0, 2))

    def q_oexp(self, p):
        _count(p, 1)
        x, j = self.settings["oexp"][_int(p[0], 1, 3)]
        return f"{x:.2f},{j}"

    def s_aoff(self, p):
        _count(p, 1)
        i = _int(p[0], 1, 3)
        out = self._output()
        value = (out.real, out.imag, abs(out))[i - 1]
        pct = max(-105.0, min(105.0, value / self.sensitivity * 100))
        self.settings["oexp"][i] = (round(pct, 2), self.settings["oexp"][i][1])

    def s_agan(self, p):
        _count(p, 0)
        self.world.advance(5 * self.tau)  # the auto gain waits for the output to settle
        self._sync()
        r = abs(self._output())
        base = 1e-6 if self.settings["isrc"] >= 2 else 1.0
        for i, s in enumerate(SENSITIVITIES):
            if r < 0.9 * s * base:
                self.settings["sens"] = i
                break
        else:
            self.settings["sens"] = len(SENSITIVITIES) - 1

    def s_aphs(self, p):
        _count(p, 0)
        out = self._output()
        phase = self.settings["phas"] + math.degrees(math.atan2(out.imag, out.real))
        self.settings["phas"] = round((phase + 180.0) % 360.0 - 180.0, 2)

    def s_sset(self, p):
        _count(p, 1)
        self.saved[_int(p[0], 1, 9)] = {k: (dict(v) if isinstance(v, dict) else v)
                                        for k, v in self.settings.items()}

    def s_rset(self, p):
        _count(p, 1)
        i = _int(p[0], 1, 9)
        if i not in self.saved:
            raise ScpiError(-222, "no setup saved there")
        self.settings.update({k: (dict(v) if isinstance(v, dict) else v) for k, v in self.saved[i].items()})

    def s_srat(self, p):
        _count(p, 1)
        i = _int(p[0], 0, 14)
        if self.scanning:
            raise ScpiError(-221, "sample rate cannot change during a scan")
        self.settings["srat"] = i

    def s_send(self, p):
        _count(p, 1)
        self.settings["send"] = _int(p[0], 0, 1)

    def s_rest(self, p):
        _count(p, 0)
        self.buffer.clear()
        self.scanning = False
        self._next_sample = None

    def s_paus(self, p):
        _count(p, 0)
        self.scanning = False
        self._next_sample = None

    def q_trca(self, p):
        return "".join(fmt(v) + "," for v in self._trace(p))

    def q_trcb(self, p):
        values = self._trace(p)
        return struct.pack(f"<{len(values)}f", *values)

    def q_trcl(self, p):
        return b"".join(trcl_bytes(v) for v in self._trace(p))

    def s_rst(self, p):
        _count(p, 0)
        self.reset()
        self._sync()

    def s_cls(self, p):
        _count(p, 0)
        self.esr = 0
        self.lias = 0
        self.errs = 0

    def q_idn(self, p):
        _count(p, 0)
        return self.IDN


def _setting(key: str, lo: int, hi: int, doc: str) -> Row:
    """An integer setting ``XXXX(?) {i}``."""

    def _set(dev: SR830, p: list[str]) -> None:
        _count(p, 1)
        dev.settings[key] = _int(p[0], lo, hi)

    def _query(dev: SR830, p: list[str]) -> str:
        _count(p, 0)
        return str(dev.settings[key])

    return Row(key.upper(), _set, _query, doc)


def _plain(name: str, doc: str, query: Callable | None = None, set: Callable | None = None) -> Row:
    return Row(name, set, query, doc)


def _noop(n_params: int) -> Callable:
    def _set(dev: SR830, p: list[str]) -> None:
        _count(p, n_params)
    return _set


def _float_q(key: str, fmt_: str) -> Callable:
    def _query(dev: SR830, p: list[str]) -> str:
        _count(p, 0)
        return format(dev.settings[key], fmt_)
    return _query


COMMANDS = [
    # -- reference and phase (5-4)
    Row("PHAS", SR830.s_phas, _float_q("phas", ".2f"), "PHAS(?) {x}: reference phase shift, deg"),
    Row("FMOD", lambda d, p: (_count(p, 1), d.settings.__setitem__("fmod", _int(p[0], 0, 1))),
        lambda d, p: str(d.settings["fmod"]), "FMOD(?) {i}: reference source 0 external, 1 internal"),
    Row("FREQ", SR830.s_freq, lambda d, p: (_count(p, 0), f"{d.settings['freq']:.10g}")[1],
        "FREQ(?) {f}: reference frequency 1 mHz .. 102 kHz"),
    _setting("rslp", 0, 2, "RSLP(?) {i}: external reference trigger: sine, TTL rising, TTL falling"),
    Row("HARM", SR830.s_harm, lambda d, p: str(d.settings["harm"]), "HARM(?) {i}: detection harmonic 1..19999"),
    Row("SLVL", SR830.s_slvl, _float_q("slvl", ".3f"), "SLVL(?) {x}: sine output amplitude 0.004 .. 5 V rms"),
    # -- input and filter (5-5)
    _setting("isrc", 0, 3, "ISRC(?) {i}: input A, A-B, I (1 Mohm), I (100 Mohm)"),
    _setting("ignd", 0, 1, "IGND(?) {i}: shield float / ground"),
    _setting("icpl", 0, 1, "ICPL(?) {i}: coupling AC / DC"),
    _setting("ilin", 0, 3, "ILIN(?) {i}: line notches out, line, 2x line, both"),
    # -- gain and time constant (5-6)
    _setting("sens", 0, 26, "SENS(?) {i}: sensitivity 2 nV (0) .. 1 V (26)"),
    _setting("rmod", 0, 2, "RMOD(?) {i}: reserve high, normal, low noise"),
    Row("OFLT", SR830.s_oflt, lambda d, p: str(d.settings["oflt"]), "OFLT(?) {i}: time constant 10 us (0) .. 30 ks (19)"),
    Row("OFSL", SR830.s_ofsl, lambda d, p: str(d.settings["ofsl"]), "OFSL(?) {i}: slope 6, 12, 18, 24 dB/oct"),
    _setting("sync", 0, 1, "SYNC(?) {i}: synchronous filter off / on (below 200 Hz)"),
    # -- display and output (5-8)
    Row("DDEF", SR830.s_ddef, SR830.q_ddef, "DDEF(?) i{,j,k}: display j and ratio k of channel i"),
    Row("FPOP", SR830.s_fpop, lambda d, p: (_count(p, 1), str(d.settings["fpop"][_int(p[0], 1, 2)]))[1],
        "FPOP(?) i{,j}: front panel output: display / X,Y"),
    Row("OEXP", SR830.s_oexp, SR830.q_oexp, "OEXP(?) i{,x,j}: offset % and expand of X, Y, R"),
    Row("AOFF", SR830.s_aoff, None, "AOFF i: auto offset X, Y, R"),
    # -- aux input and output (5-9)
    Row("OAUX", None, SR830.q_oaux, "OAUX? i: aux input i (V)"),
    Row("AUXV", SR830.s_auxv, SR830.q_auxv, "AUXV(?) i{,x}: aux output i, -10.5 .. 10.5 V"),
    # -- setup (5-10)
    Row("OUTX", lambda d, p: (_count(p, 1), setattr(d, "interface", _int(p[0], 0, 1))),
        lambda d, p: str(d.interface), "OUTX(?) {i}: responses to RS232 (0) or GPIB (1)"),
    _setting("ovrm", 0, 1, "OVRM(?) {i}: GPIB overide remote"),
    _setting("kclk", 0, 1, "KCLK(?) {i}: key click"),
    _setting("alrm", 0, 1, "ALRM(?) {i}: alarms"),
    Row("SSET", SR830.s_sset, None, "SSET i: save setup 1..9"),
    Row("RSET", SR830.s_rset, None, "RSET i: recall setup 1..9"),
    # -- auto functions (5-11)
    Row("AGAN", SR830.s_agan, None, "AGAN: auto gain"),
    Row("ARSV", _noop(0), None, "ARSV: auto reserve (no effect in the simulation)"),
    Row("APHS", SR830.s_aphs, None, "APHS: auto phase"),
    # -- data storage (5-13)
    Row("SRAT", SR830.s_srat, lambda d, p: str(d.settings["srat"]), "SRAT(?) {i}: 62.5 mHz (0) .. 512 Hz (13), trigger (14)"),
    Row("SEND", SR830.s_send, lambda d, p: str(d.settings["send"]), "SEND(?) {i}: end of buffer: 1 shot / loop"),
    Row("TRIG", lambda d, p: (_count(p, 0), d._trig()), None, "TRIG: software trigger"),
    _setting("tstr", 0, 1, "TSTR(?) {i}: trigger starts the scan"),
    Row("STRT", lambda d, p: (_count(p, 0), d._start()), None, "STRT: start or resume storage"),
    Row("PAUS", SR830.s_paus, None, "PAUS: pause storage"),
    Row("REST", SR830.s_rest, None, "REST: reset the buffers"),
    # -- data transfer (5-15)
    Row("OUTP", None, SR830.q_outp, "OUTP? i: X (1), Y (2), R (3), theta (4)"),
    Row("OUTR", None, SR830.q_outr, "OUTR? i: CH1 / CH2 display"),
    Row("SNAP", None, SR830.q_snap, "SNAP? i,j{,k,l,m,n}: 2..6 values at one instant"),
    Row("SPTS", None, lambda d, p: (_count(p, 0), str(len(d.buffer)))[1], "SPTS?: points stored"),
    Row("TRCA", None, SR830.q_trca, "TRCA? i,j,k: k points of CH i from bin j, ASCII"),
    Row("TRCB", None, SR830.q_trcb, "TRCB? i,j,k: IEEE float32 binary"),
    Row("TRCL", None, SR830.q_trcl, "TRCL? i,j,k: SR830 non-normalized binary"),
    _setting("fast", 0, 2, "FAST(?) {i}: fast data transfer off / on (stored only)"),
    Row("STRD", lambda d, p: (_count(p, 0), d._start(delay=0.5)), None, "STRD: start a scan after 0.5 s"),
    # -- interface (5-18)
    Row("*RST", SR830.s_rst, None, "*RST: standard settings"),
    Row("*IDN", None, SR830.q_idn, "*IDN?: identification"),
    _setting("locl", 0, 2, "LOCL(?) {i}: local, remote, local lockout"),
    # -- status (5-19)
    Row("*CLS", SR830.s_cls, None, "*CLS: clear all status registers"),
    Row("*ESE", lambda d, p: d._reg_set("ese", p), lambda d, p: str(d._reg_query("ese", p)),
        "*ESE(?) {i}{,j}: standard event enable"),
    Row("*ESR", None, lambda d, p: str(d._reg_query("esr", p, clear=True)), "*ESR? {i}: standard event status"),
    Row("*SRE", lambda d, p: d._reg_set("sre", p), lambda d, p: str(d._reg_query("sre", p)),
        "*SRE(?) {i}{,j}: serial poll enable"),
    Row("*STB", None, lambda d, p: (_count(p, 0, 1), str((d.status_byte() >> _int(p[0], 0, 7)) & 1
                                                          if p else d.status_byte()))[1],
        "*STB? {i}: serial poll status byte"),
    Row("*PSC", lambda d, p: (_count(p, 1), setattr(d, "psc", _int(p[0], 0, 1))),
        lambda d, p: (_count(p, 0), str(d.psc))[1], "*PSC(?) {i}: power-on status clear"),
    Row("ERRE", lambda d, p: d._reg_set("erre", p), lambda d, p: str(d._reg_query("erre", p)),
        "ERRE(?) {i}{,j}: error status enable"),
    Row("ERRS", None, lambda d, p: str(d._reg_query("errs", p, clear=True)), "ERRS? {i}: error status"),
    Row("LIAE", lambda d, p: d._reg_set("liae", p), lambda d, p: str(d._reg_query("liae", p)),
        "LIAE(?) {i}{,j}: LIA status enable"),
    Row("LIAS", None, lambda d, p: str(d._reg_query("lias", p, clear=True)), "LIAS? {i}: LIA status"),
]
_TABLE: dict[str, Row] = {r.name: r for r in COMMANDS}
SR830.COMMANDS = ()  # the SCPI table machinery is not used: see SR830._execute
