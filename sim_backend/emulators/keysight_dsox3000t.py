"""Keysight InfiniiVision DSOX3024T oscilloscope (InfiniiVision 3000T X-Series Programmer's
Guide: root commands :DIGitize/:RUN/:SINGle/:STOP/:TER?/:OPERegister, :ACQuire, :CHANnel<n>,
:TIMebase, :TRIGger[:EDGE], :WAVeform).  Command table in that order.

Acquisition model (documented assumptions):

* one record of ``:WAV:POIN`` samples (``NORMal`` mode: 100..1000; ``MAXimum``/``RAW``:
  up to 100000 in the sim, the real memory is 4 Mpts) spanning the screen, 10 divisions of
  ``:TIM:SCAL``; the trigger is at t = 0, the reference (``:TIM:REF LEFT|CENT|RIGH``: 1, 5, 9
  divisions from the left edge) at ``:TIM:POS``;
* each displayed channel samples the voltage of its wired device port
  (``connect: {channel1: <port>, ...}``) simultaneously, as ``SimWorld.sample_voltage`` does:
  the device voltage, advancing the world by the sample interval, plus the Johnson noise of the
  port resistance in the scope bandwidth (200 MHz, 20 MHz with ``:CHAN:BWL ON``, at most the
  Nyquist band) plus the scope's own noise, max(100 uV, 0.3 % of a division) rms (assumed);
  a 50 ohm input (``:CHAN:IMP FIFT``) loads the port: ``V * 50 / (50 + R)``;
* an 8-bit ADC spanning 10 divisions (LSB = 10 div / 256) in NORMal and PEAK acquisition,
  12 bits in HRESolution, ``:ACQ:COUN`` averaged records in AVERage; BYTE data are the ADC
  codes (``yreference`` 128, unsigned; 0 signed), WORD data 16-bit codes (``yreference`` 32768),
  ``:WAV:BYT MSBF|LSBF``; ASCii data are volts; ``:WAV:DATA?`` answers a ``#8`` block;
* triggers: ``EXT`` follows the rising (falling) edges of the QCW pulse train of the laser
  controller named by ``connect: {ext_trigger: <laser address>}``; the record is aligned to an
  edge and the laser's on/off power is switched in the world while sampling (the world hook
  lives in the laser emulator: ``pulse_train`` / ``set_instantaneous``).  A channel source
  searches a stretch of three records for the level crossing with the slope.  Without a
  trigger, ``:TRIG:SWE AUTO`` (the default) records anyway, ``NORMal`` keeps the old record
  (and ``:TER?`` answers 0).

* time (issue 16): ``:DIGitize`` blocks (the instrument executes nothing else before it is
  done) and computes whole records at once; ``:SINGle`` puts the acquisition on the world's
  timeline (:mod:`sim_backend.timeline`): it returns at once, waits for its triggers (the
  device seeing each laser pulse meanwhile; the first record after other instrument actions is
  preceded by ``PULSE_PREROLL`` periods of the train, as on the blocking path, because the
  world holds the laser's mean power between actions) and samples each point at its own moment, so another
  instrument's command in the middle of a record shows in the middle; ``:OPERegister:CONDition?``
  bit 3 (Run) stays set and the controller's polling moves the clock; ``*OPC?`` and a
  ``:WAVeform`` query wait for it (assumed for the latter), and when nothing else is on the
  timeline the rest is computed at once (nothing can act while the controller waits).

Left out: math/FFT, digital channels, measurements (``:MEAS``), segmented memory, other
trigger modes than EDGE, the waveform generator, ``:WAV:POIN:MODE`` decimation beyond the
record, PEAK detect acquisition (acts as NORMal).
"""
from __future__ import annotations

import math

import numpy as np

from ..physics.constants import KB
from ..physics.thermo_mtj import first_order_recurrence

#: periods of the pulse train a device with a thermal response sees before the first record
PULSE_PREROLL = 3
from ..scpi import Args, Boolean, Choice, Cmd, Emulator, Numeric, ScpiError, system_error_commands
from ..timeline import Action, ActionProcess, run_now

BANDWIDTH = 200e6
BWL_BANDWIDTH = 20e6
NORMAL_POINTS = (100, 1000)
MAX_POINTS = 100_000
SCOPE_NOISE_V = 100e-6
SCOPE_NOISE_DIV = 0.003
REF_DIV = {"LEFT": 1.0, "CENTER": 5.0, "RIGHT": 9.0}
TYPE_CODE = {"NORMAL": 0, "PEAK": 1, "AVERAGE": 2, "HRESOLUTION": 3}
FORMAT_CODE = {"BYTE": 0, "WORD": 1, "ASCII": 4}
SOURCES = ("CHANnel1", "CHANnel2", "CHANnel3", "CHANnel4", "EXTernal", "LINE")


class KeysightDSOX3000T(Emulator):
    """Keysight DSOX3024T, 4 analog channels, 200 MHz."""

    IDN = "KEYSIGHT TECHNOLOGIES,DSOX3024T,MY12345678,07.50.2021102830"
    #: analog bandwidth (Hz) of the channels without a bandwidth limit
    ANALOG_BANDWIDTH = BANDWIDTH
    ERROR_QUEUE_DEPTH = 30
    BUS_TIME_PER_BYTE = 1e-7
    BUS_TIME_PER_TRANSFER = 2e-4

    def __init__(self, world, address, config=None):
        cfg = config or {}
        connect = cfg.get("connect") or {}
        self.ports = {n: connect.get(f"channel{n}") for n in range(1, 5)}
        self.trigger_link = connect.get("ext_trigger")
        #: the address whose modulation output feeds EXT TRIG (a world connection)
        self.laser: str | None = None
        self.records: dict[int, np.ndarray] = {}
        self.record_info: dict[str, float] = {}
        self.triggered = False
        super().__init__(world, address, cfg)

    def link(self, emulators: dict) -> None:
        """Find the laser controller whose pulses are the external trigger."""
        if self.trigger_link:
            from ..benches import canonical

            self.laser = canonical(self.trigger_link)

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """``*RST`` defaults (Programmer's Guide, "*RST"): 1 V/div (ch1 on), 100 us/div,
        edge trigger on channel 1 at 0 V, auto sweep, running."""
        self.cancel_single()
        self.channels = {n: dict(scale=1.0, offset=0.0, display=(n == 1), impedance="ONEMEG",
                                 coupling="DC", bwlimit=False, probe=1.0) for n in range(1, 5)}
        self.settings.update(tscale=100e-6, position=0.0, reference="CENTER", tmode="MAIN",
                             trig_mode="EDGE", trig_source="CHANNEL1", trig_slope="POSITIVE",
                             trig_sweep="AUTO", acq_type="NORMAL", acq_count=8,
                             wav_source="CHANNEL1", wav_format="BYTE", byteorder="MSBFIRST",
                             unsigned=True, points=1000, points_mode="NORMAL", running=True)
        self.trig_levels = {s.upper(): 0.0 for s in ("CHANNEL1", "CHANNEL2", "CHANNEL3", "CHANNEL4", "EXTERNAL")}
        self.records = {}
        self.record_info = {}
        self.triggered = False

    # ------------------------------------------------------------------ physics
    def _acq_points(self) -> int:
        s = self.settings
        if s["points_mode"] == "NORMAL":
            return int(min(max(s["points"], NORMAL_POINTS[0]), NORMAL_POINTS[1]))
        return int(min(s["points"], MAX_POINTS))

    def _light(self, on: bool | None) -> None:
        """While sampling across the EXT TRIG laser's pulses: the light on the device on / off
        at each sample, then (None) its mean again, from the published modulation."""
        mod = self.world.links.read(self.laser, "modulation")
        if not mod:
            return
        p = mod["mean"] if on is None else (mod["on"] if on else 0.0)
        kw = {} if mod["port"] is None else {"port": mod["port"]}
        self.world.set_laser(self.laser, p if p > 0 else None, **kw)

    def _fast(self) -> bool:
        """Whether this acquisition may compute whole records at once: it runs blocking (a
        ``:DIGitize``, or a ``*OPC?`` waiting for it) and nothing else is on the timeline."""
        return self._blocking and not self.world._processes

    def _sample(self, channels: list[int], n: int, dt: float, laser_on: np.ndarray | None) -> Action:
        """Simultaneous samples of the wired ports, one per ``dt``: an :data:`Action` returning
        ``{channel: volts}``.  Blocking with nothing else on the timeline: the device's record
        fast path; else sample by sample, each at its own moment of the world's timeline (a
        command of another instrument in the middle of the record shows in the middle)."""
        world = self.world
        ports = [self.ports[c] for c in channels]
        out = np.empty((len(channels), n))
        fast = self._record_path(ports) if self._fast() else None
        if fast is not None:
            # fast path: the device integrates the whole record at once (the same exact update
            # per sample interval), the laser power per interval given as an array
            record, dport = fast
            p_lo, p_on = self._laser_levels()
            powers = np.where(laser_on, p_lo + p_on, p_lo) if laser_on is not None else np.full(n, world.laser_power)
            out[:] = record(dport, world.drive(), powers, dt, world.rng)
            world.clock.now += n * dt          # the device was evolved by the record itself
            return self._front_end(channels, ports, out, dt)
        state = None
        try:
            for k in range(n):
                if laser_on is not None and laser_on[k] != state:
                    state = bool(laser_on[k])
                    self._light(state)
                for j, p in enumerate(ports):
                    out[j, k] = world.port_voltage(p)
                yield dt
        finally:
            if laser_on is not None:
                self._light(None)
        return self._front_end(channels, ports, out, dt)

    def _record_path(self, ports):
        """``(device.voltage_record, device port)`` when all ``ports`` are one port of the one
        device of a steady world and the device has that fast path; else None."""
        world = self.world
        record = getattr(world.device, "voltage_record", None)
        if record is None or len(set(ports)) != 1 or not world.steady():
            return None
        members = world.terminal(ports[0]).members
        if len(members) != 1:
            return None
        return record, members[0][1]

    def _laser_levels(self) -> tuple[float, float]:
        """(power on the device from the other lasers, the EXT TRIG laser's on power)."""
        mod = self.world.links.read(self.laser, "modulation") or {}
        p_lo = self.world.laser_power - self.world.lasers.get(self.laser, 0.0)
        return p_lo, float(mod.get("on", 0.0))

    def _front_end(self, channels, ports, out, dt) -> dict[int, np.ndarray]:
        """Analog bandwidth (one pole), input loading, Johnson noise of the port in the channel
        bandwidth, scope noise."""
        world = self.world
        rec = {}
        for j, c in enumerate(channels):
            ch = self.channels[c]
            r = world.port_resistance(ports[j])
            full = ch.get("bandwidth", self.ANALOG_BANDWIDTH)
            bw = min(BWL_BANDWIDTH if ch["bwlimit"] else full, 1 / (2 * dt))
            johnson = math.sqrt(4 * KB * world.temperature * r * bw)
            v = out[j]
            if 2 * math.pi * bw * dt < 20:     # the analog bandwidth: one-pole low-pass
                a = math.exp(-2 * math.pi * bw * dt)
                v = first_order_recurrence((1 - a) * v, a, v[0])
            if ch["impedance"] == "FIFTY":
                v = v * 50.0 / (50.0 + r)
                johnson *= 50.0 / (50.0 + r)
            sigma = math.hypot(johnson, max(SCOPE_NOISE_V, SCOPE_NOISE_DIV * ch["scale"]))
            rec[c] = v + sigma * world.rng.standard_normal(len(v))
        return rec

    def acquire(self, channels: list[int] | None = None) -> None:
        """One (single) acquisition of ``channels`` (default: the displayed ones), at once (the
        instrument answers nothing before it is done: ``:DIGitize``)."""
        self.cancel_single()
        self._blocking = True
        run_now(self.world, self.acquire_steps(channels))

    def acquire_steps(self, channels: list[int] | None = None) -> Action:
        """One (single) acquisition as an :data:`Action`: ``:ACQ:COUN`` records in AVERage,
        each after its trigger (:mod:`sim_backend.timeline`)."""
        s = self.settings
        channels = channels or [c for c in range(1, 5) if self.channels[c]["display"]]
        wired = [c for c in channels if self.ports[c] is not None]
        n = self._acq_points()
        dt = 10 * s["tscale"] / n
        x_origin = s["position"] - REF_DIV[s["reference"]] * s["tscale"]
        n_pre = int(min(max(round(-x_origin / dt), 0), n))
        averages = s["acq_count"] if s["acq_type"] == "AVERAGE" else 1
        acc: dict[int, np.ndarray] = {}
        triggered = False
        for _ in range(averages):
            if wired:
                rec, hit = yield from self._one_record(wired, n, dt, n_pre)
            else:               # nothing connected: the record of open inputs takes its time
                yield n * dt
                rec, hit = {}, True
            if rec is None:
                break
            for c in channels:
                if c not in rec:    # an open input: the front end's own noise around 0 V
                    sigma = max(SCOPE_NOISE_V, SCOPE_NOISE_DIV * self.channels[c]["scale"])
                    rec[c] = sigma * self.world.rng.standard_normal(n)
            triggered = triggered or hit
            for c, v in rec.items():
                acc[c] = acc.get(c, 0.0) + v / averages
        else:
            bits = {"NORMAL": 8, "PEAK": 8, "HRESOLUTION": 12, "AVERAGE": 16}[s["acq_type"]]
            for c, v in acc.items():
                self.records[c] = self._adc(c, v, bits)
            self.record_info = dict(xinc=dt, xorigin=x_origin, points=n, count=averages)
            self.triggered = triggered
            return
        self.triggered = False  # NORMal sweep, no trigger: the old record stays

    def _one_record(self, channels, n, dt, n_pre) -> Action:
        s = self.settings
        src = s["trig_source"]
        slope = s["trig_slope"]
        if src == "EXTERNAL":
            train = (self.world.links.read(self.laser, "modulation") or {}).get("train")
            if train is not None:
                t0, period, width, _ = train
                phase = 0.0 if slope != "NEGATIVE" else width
                start = self.world.now + n_pre * dt
                k = math.ceil((start - t0 - phase) / period)
                edge = t0 + phase + k * period
                if not (self._fast() and self._pulsed_wait(channels, edge - n_pre * dt, train, dt)):
                    t_start = edge - n_pre * dt
                    if self.world.now != self._train_synced:     # as _pulsed_wait: a preroll
                        need = PULSE_PREROLL * period - (t_start - self.world.now)
                        if need > 0:
                            t_start += math.ceil(need / period) * period
                    yield from self._train_wait(t_start, train)
                # laser state per sample from the time since the edge (not from absolute times,
                # whose rounding would drop the first on-sample); the on-time is rounded to
                # whole samples
                on = np.mod((np.arange(n) - n_pre + 0.5) * dt + phase, period) < width
                rec = yield from self._sample(channels, n, dt, on)
                self._train_synced = self.world.now
                return rec, True
        elif src.startswith("CHANNEL"):
            c = int(src[-1])
            if self.ports[c] is not None:
                search = sorted(set(channels) | {c})
                rec = yield from self._sample(search, 3 * n, dt, None)
                level = self.trig_levels[src]
                x = rec[c]
                above = x >= level
                if slope == "NEGATIVE":
                    cross = np.nonzero(above[:-1] & ~above[1:])[0] + 1
                else:
                    cross = np.nonzero(~above[:-1] & above[1:])[0] + 1
                cross = cross[(cross >= n_pre) & (cross - n_pre + n <= 3 * n)]
                if len(cross):
                    i0 = int(cross[0]) - n_pre
                    return {ch: rec[ch][i0:i0 + n] for ch in channels}, True
                if s["trig_sweep"] == "AUTO":
                    return {ch: rec[ch][:n] for ch in channels}, False
                return None, False
        if s["trig_sweep"] == "AUTO" or src == "LINE":
            rec = yield from self._sample(channels, n, dt, None)
            return rec, src == "LINE"
        yield n * dt
        return None, False

    def _train_wait(self, until: float, train) -> Action:
        """Wait for the trigger edge on the timeline with the light on the device following the
        pulse train (each pulse switched on and off in the world), then its mean again."""
        t0, period, width, _ = train
        world = self.world
        eps = 1e-9 * period
        try:
            while world.now < until - eps:
                k = math.floor((world.now - t0 + eps) / period)
                t_off, t_next = t0 + k * period + width, t0 + (k + 1) * period
                on = world.now < t_off - eps
                self._light(on)
                yield min(t_off if on else t_next, until) - world.now
        finally:
            self._light(None)

    #: world time up to which the device was last evolved under the true pulse train
    _train_synced = -1.0

    def _pulsed_wait(self, channels, t_start: float, train, dt: float) -> bool:
        """Wait for the trigger with the device seeing the laser's pulses, not their mean.

        Between instrument actions the world holds the laser's mean power (a slow meter's
        view); a device with a fast thermal response (``voltage_record``) must meet the record
        in the periodic state of the pulse train.  So the wait is integrated pulse by pulse,
        and when the history since the last record is not the train's, the wait is extended by
        whole periods to at least ``PULSE_PREROLL`` periods of train (the real scope has been
        seeing it all along).  Returns False when the device has no such path."""
        world = self.world
        fast = self._record_path([self.ports[c] for c in channels])
        if fast is None:
            return False
        record, dport = fast
        t0, period, width, _ = train
        if world.now != self._train_synced:
            need = PULSE_PREROLL * period
            if t_start - world.now < need:
                t_start += math.ceil((need - (t_start - world.now)) / period) * period
        wait = t_start - world.now
        n = max(1, int(round(wait / dt)))
        if wait <= 0 or n > 4_000_000:
            return False
        step = wait / n
        t = world.now + np.arange(n) * step
        p_lo, p_on = self._laser_levels()
        powers = np.where(np.mod(t - t0 + 0.5 * step, period) < width, p_lo + p_on, p_lo)
        record(dport, world.drive(), powers, step, world.rng)
        world.clock.now = t_start
        return True

    def _adc(self, c: int, volts: np.ndarray, bits: int) -> np.ndarray:
        """Quantize to the ADC resolution over 10 divisions; returns volts."""
        ch = self.channels[c]
        full = 10 * ch["scale"]
        lsb = full / 2 ** bits
        codes = np.clip(np.round((volts - ch["offset"]) / lsb), -(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        return codes * lsb + ch["offset"]

    # ------------------------------------------------------------------ acquisitions in time
    #: a single acquisition running on the world's timeline (:SINGle, Tek ACQ:STATE RUN)
    _single: ActionProcess | None = None
    #: the running acquisition blocks the instrument (``:DIGitize``, a ``*OPC?`` waiting)
    _blocking = True

    def acquiring(self) -> bool:
        """Whether a single acquisition is still running on the timeline."""
        return self._single is not None

    def operations(self) -> tuple:
        return () if self._single is None else (self._single,)

    def start_single(self, channels: list[int] | None = None) -> None:
        """A single acquisition on the world's timeline (``:SINGle``; Tek ``ACQuire:STATE RUN``
        with ``STOPAfter SEQuence``): the command returns at once, the records take the time
        their triggers, spans and averages need while other instruments act; ``*OPC?`` waits,
        ``:OPERegister:CONDition?`` (bit 3, Run) / ``BUSY?`` tell while it runs."""
        self.cancel_single()
        self.settings["running"] = False
        self._blocking = False
        self._single = ActionProcess(self.acquire_steps(channels), self._single_done,
                                     name=f"{self.address} single")
        self.world.start(self._single)

    def _single_done(self, _result) -> None:
        self._single = None
        self._blocking = True
        self.operation_complete()

    def cancel_single(self) -> None:
        """``:STOP``, ``:DIGitize``, ``*RST``, device clear: a running single ends (the old
        records stay)."""
        single, self._single = self._single, None
        if single is not None:
            self.world.cancel(single)
        self._blocking = True

    def wait_for_operations(self) -> None:
        """``*OPC?`` / ``*WAI`` / a waveform query during a single: wait for it.  When it is the
        only operation on the timeline nothing can act before it ends (the controller waits),
        so the rest runs blocking (whole records at once); else event by event."""
        single = self._single
        if single is None:
            return
        world = self.world
        if any(p is not single for p in world._processes):
            super().wait_for_operations()
            return
        # take the action off the timeline without closing it and finish it here
        wait = single.next_time - world.now
        action, single.action = single.action, (w for w in ())
        world.cancel(single)
        self._blocking = True
        result = None
        try:
            while True:
                world.advance(wait)
                wait = next(action)
        except StopIteration as stop:
            result = stop.value
        self._single = None
        self._single_done(result)

    def stop_acquisition(self) -> None:
        """``:STOP`` / ``ACQuire:STATE STOP``."""
        self.cancel_single()
        self.settings["running"] = False

    def on_clear(self) -> None:
        self.cancel_single()

    # ------------------------------------------------------------------ waveform output
    def _source_channel(self) -> int:
        src = self.settings["wav_source"]
        if not src.startswith("CHANNEL"):
            raise ScpiError(-221, f"waveform source {src} is not emulated")
        return int(src[-1])

    def _ensure_record(self) -> tuple[int, np.ndarray]:
        """The source's record; a query during a :SINGle waits for it (assumed)."""
        c = self._source_channel()
        self.wait_for_operations()
        if self.settings["running"]:
            self.acquire([c] + [k for k in range(1, 5) if self.channels[k]["display"] and k != c])
        if c not in self.records:
            raise ScpiError(-222, f"no data for CHANnel{c}")
        rec = self.records[c]
        step = max(1, len(rec) // max(1, self.settings["points"]))
        return c, rec[::step][: self.settings["points"]]

    def y_scaling(self, c: int) -> tuple[float, float, int]:
        """(yincrement, yorigin, yreference) of the present format for channel ``c``."""
        s = self.settings
        ch = self.channels[c]
        full = 10 * ch["scale"]
        if s["wav_format"] == "WORD":
            return full / 65536, ch["offset"], 32768 if s["unsigned"] else 0
        if s["wav_format"] == "BYTE":
            return full / 256, ch["offset"], 128 if s["unsigned"] else 0
        return 0.0, 0.0, 0

    def q_data(self, args: Args) -> bytes:
        args.none()
        c, volts = self._ensure_record()
        s = self.settings
        if s["wav_format"] == "ASCII":
            payload = ",".join(f"{v:+.9E}" for v in volts).encode()
        else:
            yinc, yorg, yref = self.y_scaling(c)
            codes = np.round((volts - yorg) / yinc) + yref
            if s["wav_format"] == "BYTE":
                lo, hi = (0, 255) if s["unsigned"] else (-128, 127)
                dtype = np.uint8 if s["unsigned"] else np.int8
            else:
                lo, hi = (0, 65535) if s["unsigned"] else (-32768, 32767)
                order = ">" if s["byteorder"] == "MSBFIRST" else "<"
                dtype = np.dtype(order + ("u2" if s["unsigned"] else "i2"))
            payload = np.clip(codes, lo, hi).astype(dtype).tobytes()
        return b"#8" + f"{len(payload):08d}".encode() + payload

    def q_preamble(self, args: Args) -> str:
        args.none()
        c, volts = self._ensure_record()
        s = self.settings
        info = self.record_info
        step = max(1, info["points"] // max(1, s["points"]))
        yinc, yorg, yref = self.y_scaling(c)
        return ",".join([str(FORMAT_CODE[s["wav_format"]]), str(TYPE_CODE[s["acq_type"]]),
                         str(len(volts)), str(int(info["count"])), f"{info['xinc'] * step:+.9E}",
                         f"{info['xorigin']:+.9E}", "0", f"{yinc:+.9E}", f"{yorg:+.9E}", str(yref)])


# ---------------------------------------------------------------------------------------------
# handlers


def _sources(args: Args) -> list[int]:
    chans = []
    for t in args.tokens:
        src = Choice(SOURCES).parse(t)
        if not src.startswith("CHANNEL"):
            raise ScpiError(-221, f"{src} cannot be digitized in the sim")
        chans.append(int(src[-1]))
    return chans


def _digitize(dev: KeysightDSOX3000T, args: Args) -> None:
    chans = _sources(args)
    for c in chans:
        dev.channels[c]["display"] = True
    dev.settings["running"] = False
    dev.acquire(chans or None)


def _single(dev: KeysightDSOX3000T, args: Args) -> None:
    args.none()
    dev.start_single()


def _ter(dev: KeysightDSOX3000T, args: Args) -> str:
    value, dev.triggered = dev.triggered, False
    return "+1" if value else "+0"


def _chan(key: str, ptype):
    def _set(dev: KeysightDSOX3000T, args: Args) -> None:
        c = args.suffix()
        if not 1 <= c <= 4:
            raise ScpiError(-114, f"CHANnel{c}")
        dev.channels[c][key] = args.one(ptype, dev.channels[c][key])
        if key == "range":  # pragma: no cover - handled by _chan_range
            pass

    def _q(dev: KeysightDSOX3000T, args: Args) -> str:
        c = args.suffix()
        if not 1 <= c <= 4:
            raise ScpiError(-114, f"CHANnel{c}")
        return ptype.format(dev.channels[c][key])
    return _set, _q


def _chan_range_set(dev: KeysightDSOX3000T, args: Args) -> None:
    c = args.suffix()
    dev.channels[c]["scale"] = args.one(Numeric(8e-3, 40.0, unit="V")) / 8


def _chan_range_q(dev: KeysightDSOX3000T, args: Args) -> str:
    return f"{8 * dev.channels[args.suffix()]['scale']:+.6E}"


def _set_key(key: str, ptype):
    def _set(dev: KeysightDSOX3000T, args: Args) -> None:
        dev.settings[key] = args.one(ptype, dev.settings.get(key))
    return _set, (lambda d, a: ptype.format(d.settings[key]))


def _trig_level_set(dev: KeysightDSOX3000T, args: Args) -> None:
    """``:TRIGger[:EDGE]:LEVel <level>[,<source>]`` (the level of the given or current source)."""
    if not args.tokens:
        raise ScpiError(-109)
    level = Numeric(-1e3, 1e3, unit="V").parse(args.tokens[0])
    src = Choice(SOURCES).parse(args.tokens[1]) if len(args) > 1 else dev.settings["trig_source"]
    if src == "LINE":
        raise ScpiError(-221, "LINE has no level")
    if src.startswith("CHANNEL"):
        ch = dev.channels[int(src[-1])]
        if abs(level - ch["offset"]) > 6 * ch["scale"]:
            raise ScpiError(-222, f"trigger level {level:g} V off screen")
    dev.trig_levels[src] = level


def _trig_level_q(dev: KeysightDSOX3000T, args: Args) -> str:
    src = Choice(SOURCES).parse(args.tokens[0]) if args.tokens else dev.settings["trig_source"]
    return f"{dev.trig_levels.get(src, 0.0):+.6E}"


def _points_set(dev: KeysightDSOX3000T, args: Args) -> None:
    dev.settings["points"] = args.one(Numeric(100, MAX_POINTS, integer=True))


def _points_q(dev: KeysightDSOX3000T, args: Args) -> str:
    if dev.records and dev.settings["wav_source"].startswith("CHANNEL"):
        rec = dev.records.get(int(dev.settings["wav_source"][-1]))
        if rec is not None:
            return str(min(len(rec), dev.settings["points"]))
    return str(dev.settings["points"])


_src = Choice(SOURCES, answer_long=False)
KeysightDSOX3000T.COMMANDS = [
    Cmd(":DIGitize", set=_digitize, doc="single acquisition of the given channels, then stop"),
    Cmd(":RUN", set=lambda d, a: (d.cancel_single(), d.settings.__setitem__("running", True))),
    Cmd(":SINGle", set=_single),
    Cmd(":STOP", set=lambda d, a: d.stop_acquisition()),
    Cmd(":TER", query=_ter, doc="trigger event register (read clears)"),
    Cmd(":OPERegister:CONDition", query=lambda d, a: str(8 if d.settings["running"] or d.acquiring() else 0),
        doc="bit 3: Run (also while a :SINGle acquires)"),
    Cmd(":AUToscale", set=lambda d, a: None),
    Cmd(":ACQuire:TYPE", *_set_key("acq_type", Choice(("NORMal", "AVERage", "HRESolution", "PEAK")))),
    Cmd(":ACQuire:COUNt", *_set_key("acq_count", Numeric(2, 65536, integer=True))),
    Cmd(":ACQuire:POINts", query=lambda d, a: str(d._acq_points())),
    Cmd(":CHANnel<n>:SCALe", *_chan("scale", Numeric(1e-3, 5.0, unit="V", fmt="{:+.6E}")), doc="V/div"),
    Cmd(":CHANnel<n>:RANGe", _chan_range_set, _chan_range_q, doc="full scale = 8 div"),
    Cmd(":CHANnel<n>:OFFSet", *_chan("offset", Numeric(-100.0, 100.0, unit="V", fmt="{:+.6E}")), doc="centre voltage"),
    Cmd(":CHANnel<n>:DISPlay", *_chan("display", Boolean())),
    Cmd(":CHANnel<n>:IMPedance", *_chan("impedance", Choice(("ONEMeg", "FIFTy")))),
    Cmd(":CHANnel<n>:COUPling", *_chan("coupling", Choice(("DC", "AC")))),
    Cmd(":CHANnel<n>:BWLimit", *_chan("bwlimit", Boolean())),
    Cmd(":CHANnel<n>:PROBe", *_chan("probe", Numeric(0.001, 10000.0, fmt="{:+.6E}"))),
    Cmd(":TIMebase[:MAIN]:SCALe", *_set_key("tscale", Numeric(1e-9, 50.0, unit="S", fmt="{:+.6E}")), doc="s/div"),
    Cmd(":TIMebase[:MAIN]:RANGe", lambda d, a: d.settings.__setitem__("tscale", a.one(Numeric(1e-8, 500.0, unit="S")) / 10),
        lambda d, a: f"{10 * d.settings['tscale']:+.6E}", doc="full scale = 10 div"),
    Cmd(":TIMebase[:MAIN]:POSition", *_set_key("position", Numeric(-500.0, 500.0, unit="S", fmt="{:+.6E}")),
        doc="time from the trigger to the reference"),
    Cmd(":TIMebase:REFerence", *_set_key("reference", Choice(("LEFT", "CENTer", "RIGHt")))),
    Cmd(":TIMebase:MODE", *_set_key("tmode", Choice(("MAIN",)))),
    Cmd(":TRIGger:MODE", *_set_key("trig_mode", Choice(("EDGE",)))),
    Cmd(":TRIGger:SWEep", *_set_key("trig_sweep", Choice(("AUTO", "NORMal")))),
    Cmd(":TRIGger[:EDGE]:SOURce", *_set_key("trig_source", _src)),
    Cmd(":TRIGger[:EDGE]:LEVel", _trig_level_set, _trig_level_q),
    Cmd(":TRIGger[:EDGE]:SLOPe", *_set_key("trig_slope", Choice(("POSitive", "NEGative")))),
    Cmd(":WAVeform:SOURce", *_set_key("wav_source", _src)),
    Cmd(":WAVeform:FORMat", *_set_key("wav_format", Choice(("BYTE", "WORD", "ASCii")))),
    Cmd(":WAVeform:BYTeorder", *_set_key("byteorder", Choice(("MSBFirst", "LSBFirst")))),
    Cmd(":WAVeform:UNSigned", *_set_key("unsigned", Boolean())),
    Cmd(":WAVeform:POINts", _points_set, _points_q),
    Cmd(":WAVeform:POINts:MODE", *_set_key("points_mode", Choice(("NORMal", "MAXimum", "RAW")))),
    Cmd(":WAVeform:PREamble", query=KeysightDSOX3000T.q_preamble),
    Cmd(":WAVeform:DATA", query=KeysightDSOX3000T.q_data),
    Cmd(":WAVeform:XINCrement", query=lambda d, a: d.q_preamble(a).split(",")[4]),
    Cmd(":WAVeform:XORigin", query=lambda d, a: d.q_preamble(a).split(",")[5]),
    Cmd(":WAVeform:YINCrement", query=lambda d, a: d.q_preamble(a).split(",")[7]),
    Cmd(":WAVeform:YORigin", query=lambda d, a: d.q_preamble(a).split(",")[8]),
    Cmd(":WAVeform:YREFerence", query=lambda d, a: d.q_preamble(a).split(",")[9]),
    *system_error_commands(),
]
