"""Stanford Research Systems SR830 DSP lock-in amplifier (SR830 manual rev. 2.5, chapter 5
"Remote Programming").

Not SCPI.  Command syntax (manual 5-1): a four-character mnemonic (``*`` + three for the
IEEE 488.2 common commands), any case, any number of embedded spaces, parameters separated
by commas (``FREQ1000``, ``OUTP? 1`` and ``outp?1`` are the same), commands on one line
separated by ``;``.  A query is the mnemonic followed by ``?``.  **Each answer is sent with its
own terminator** (LF on GPIB, CR on RS-232), also for several queries on one line.  There is no
error queue: an unknown command or malformed parameter sets the CMD bit (5) of the Standard
Event Status byte, an out-of-range parameter the EXE bit (4); the command is ignored.  There is
no ``*OPC``/``*OPC?``/``*WAI`` either (an unknown command): the manual's way to wait is the
serial poll's Interface Ready bit.

The command table below is the manual's detailed command list in its order (5-4 .. 5-20):
reference and phase, input and filter, gain and time constant, display and output, aux
input and output, setup, auto functions, data storage, data transfer, interface, status.

One job per module:

* this one: the command set, settings, status registers, displays;
* :mod:`.srs_sr830_demod`: what the filter is fed (sine output into the device, demodulation
  at the harmonic, external reference, input overload, noise density);
* :mod:`.srs_sr830_filter`: the output filter (``OFSL`` + 1 RC stages of ``OFLT``, integrated
  exactly) and its noise in the equivalent noise bandwidth;
* :mod:`.srs_sr830_storage`: the data buffer, a scan on the world's timeline.

Time (issue 16).  The output filter follows its input as the world clock advances: the
emulator subscribes to the world's drive changes (:meth:`SimWorld.on_drive_change`), so the
filter is brought up to the instant of every change of any source, magnet, laser or RF output
with the input of the interval that ends there, and the input is piecewise constant between
changes -- a magnet set by another instrument while the lock-in was not addressed is dated at
its command, not at the lock-in's next message.  (What changes without a command -- a thermal
switch of the device, the field during a magnet's slew -- enters at the next change or the
next time the lock-in looks: a message, a scan sample.)  Interface Ready (serial poll bit 1,
manual 5-2): the auto gain (``AGAN``) runs on the timeline for 5 time constants; meanwhile the
bit is clear and later commands wait in the input buffer until it is done.

Status (``LIAS?``): bit 0 input overload (see :mod:`.srs_sr830_demod`); bit 2 output overload
when |X|, |Y| or R exceeds the sensitivity (also while the filter moves between messages); bit 3
unlock in external reference mode; bit 4 when the detection frequency crosses 200 Hz; bit 5 when
that forces a time constant above 30 s down (manual ``OFLT``); bit 6 when a triggered storage
sample is taken.

Not modelled (accepted and stored): line notch filters, synchronous filter, input grounding
and coupling other than in the overload test, the minimum time constant per reserve/slope,
analog front-panel outputs and aux outputs (not wired to the world), ``FAST`` data streaming
(``FAST 1|2`` is stored; data are still read with ``TRC?``), key click and alarm; ``APHS``,
``AOFF`` and ``ARSV`` act at once.

Wiring: ``connect: {sine_out: channel, input: hall, series_resistance: 1e4, aux_in1: <port>}``.
External reference (``FMOD 0``) from a laser: ``connect: {reference: <address>}`` wires the TTL output
of a pulsed laser controller (its published ``modulation`` train) to REF IN; the lock-in detects at the pulse
frequency, phase 0 at the rising edge, on the device's periodic steady state
(``device.periodic_voltage``; else the quasi-static on/off voltage).  Unwired: unlocked.

Command list cross-checked against the manual's (chapter 5, reference/input, gain/time
constant, display/output, aux I/O, setup, auto functions, data storage, data transfer,
interface and status commands): every command is in the table; what is accepted without
effect is listed under "Not modelled" above.
"""
from __future__ import annotations

import math
from typing import Any, Callable

from ..scpi import ESR_CME, ESR_EXE, Emulator, ScpiError
from ..timeline import ActionProcess
from .srs_sr830_demod import SINE_OUT_IMPEDANCE, Demodulator
from .srs_sr830_filter import ENBW_TAU, OutputFilter
from .srs_sr830_storage import Storage
from .srs_sr830_syntax import Row, count as _count, fmt, integer as _int, real as _real

__all__ = ["SR830", "SENSITIVITIES", "TIME_CONSTANTS"]

#: SENS i -> full scale (V in voltage mode; x 1e-6 A in current mode)
SENSITIVITIES = (2e-9, 5e-9, 10e-9, 20e-9, 50e-9, 100e-9, 200e-9, 500e-9, 1e-6, 2e-6, 5e-6,
                 10e-6, 20e-6, 50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3, 20e-3,
                 50e-3, 100e-3, 200e-3, 500e-3, 1.0)
#: OFLT i -> time constant (s)
TIME_CONSTANTS = (10e-6, 30e-6, 100e-6, 300e-6, 1e-3, 3e-3, 10e-3, 30e-3, 100e-3, 300e-3,
                  1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1e3, 3e3, 10e3, 30e3)
#: the detection-frequency boundary of the manual's two ranges
RANGE_SPLIT_HZ = 200.0
#: index of the longest time constant allowed above 200 Hz (30 s)
OFLT_MAX_UPPER_RANGE = 13
#: drive changes closer together than this many time constants reach the filter as one
MERGE_TIME_CONSTANTS = 0.05
#: what the auto gain waits for the output to settle, in time constants (assumed)
AGAN_TIME_CONSTANTS = 5.0

# LIA status bits (manual 5-20)
LIA_OUTPUT, LIA_RANGE, LIA_TC = 1 << 2, 1 << 4, 1 << 5
# serial poll status bits (manual 5-19)
STB_SCN, STB_IFC, STB_ERR, STB_LIA, STB_MAV_830, STB_ESB_830, STB_SRQ = (1 << i for i in range(7))


class SR830(Demodulator, Storage, Emulator):
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
        #: the instrument whose modulation output drives REF IN (external reference, FMOD 0):
        #: an RF source's pulse modulation, or a laser controller's pulse train (``ref_in`` is
        #: the older name of the same connection)
        self.reference_source = connect.get("reference", connect.get("ref_in"))
        self.TERMINATOR = b"\r" if address.upper().startswith("ASRL") else b"\n"
        # filter state (before super().__init__, which calls reset)
        self._t = world.now
        #: whether any message reached the lock-in yet (until then drive changes are not followed)
        self.addressed = False
        self.filter = OutputFilter()
        #: an auto function in progress (Interface Ready clear), on the world's timeline
        self._busy: ActionProcess | None = None
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
        self.filter = OutputFilter(self._target())
        # the filter follows its input from change to change of the world's drive
        world.on_drive_change(self._drive_changing)
        # rear-panel TRIG IN (TTL): a pulse acts as TRIG (storage at SRAT 14, TSTR start)
        world.links.listen(address, "trigger_in", self.on_trigger)

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
        self.reset_storage()
        self._cancel_busy()
        self._publish_sine()

    def _publish_sine(self) -> None:
        """The sine output's peak current sqrt(2) SLVL / (R_series + 50 + R_port) into the world
        (``SimWorld.set_ac_source``): safety extremes and device breakdown see it."""
        port = getattr(self, "sine_port", None)
        if port is not None and "slvl" in self.settings:
            r = self.series_resistance + SINE_OUT_IMPEDANCE + self.world.port_resistance(port)
            self.world.set_ac_source(self.address, port, math.sqrt(2) * self.settings["slvl"] / r)

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
        stb = 0 if self._busy is not None else STB_IFC
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
        self.addressed = True
        world = self.world
        world.record(self.address, data)
        owed = self.BUS_TIME_PER_TRANSFER + self.BUS_TIME_PER_BYTE * len(data)
        text = data.decode("latin-1").replace("\r", "\n")
        for line in text.split("\n"):
            for unit in line.split(";"):
                unit = "".join(unit.split())  # embedded spaces are ignored (manual 5-1)
                if not unit:
                    continue
                if self._busy is not None:   # queued behind an auto function (manual 5-2)
                    world.run_until(lambda: self._busy is None)
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
        row.set(self, params)  # the interval up to now was integrated with the old settings
        self._sync()
        return None

    def on_trigger(self) -> None:
        """GET acts as ``TRIG`` (manual 5-2)."""
        self._sync()
        self._trig()

    def clear(self) -> None:
        """Device clear: the interface buffers are emptied and an auto function stops."""
        self._out.clear()
        self._out_end = False
        self._cancel_busy()

    def link(self, emulators: dict) -> None:
        """The canonical address wired to REF IN (``connect: {reference: <address>}``): its
        published ``modulation`` signal is the reference (a world connection, sim_backend.links)."""
        if self.reference_source:
            from ..benches import canonical

            self.reference_source = canonical(self.reference_source)

    # ------------------------------------------------------------------ output filter on the clock
    def _drive_changing(self) -> None:
        """The world's drive is about to change: integrate the filter up to this instant with
        the input of the interval that ends here.  Changes closer together than
        :data:`MERGE_TIME_CONSTANTS` tau (the steps of a magnet ramp) are merged: the interval
        since the last sync gets the input after the last of them, an error of at most that
        fraction of the change, which the filter then forgets.  A lock-in no one has sent a
        message to yet is not followed (a switching bench that never uses its lock-in pays
        nothing): when first addressed, its filter is taken as settled at the present input."""
        if self.addressed and self.world.now - self._t > MERGE_TIME_CONSTANTS * self.tau:
            self._sync()

    def _sync(self) -> None:
        """Bring the filter up to the world clock: since the last sync no drive changed (every
        change syncs first), so the input over the interval is the present target."""
        now = self.world.now
        if now > self._t:
            self.filter.step(now - self._t, self._target(), self.tau, self.order)
            self._t = now
        out = self.filter.output(self.order)
        if max(abs(out.real), abs(out.imag), abs(out)) > self.sensitivity:
            self.lias |= LIA_OUTPUT  # the overload persists while the output is over full scale

    def _output(self) -> complex:
        """X + iY now (filtered signal plus noise); latches output overload."""
        enbw = self.enbw
        sigma = self.noise_density() * math.sqrt(enbw)
        out = self.filter.output(self.order) + self.filter.noise(self.world.now, enbw, sigma, self.world.rng)
        sens = self.sensitivity
        if max(abs(out.real), abs(out.imag), abs(out)) > sens:
            self.lias |= LIA_OUTPUT
        return out

    # ------------------------------------------------------------------ auto functions on the timeline
    def _cancel_busy(self) -> None:
        busy = self.__dict__.get("_busy")
        self._busy = None
        if busy is not None:
            self.world.cancel(busy)

    def _auto_gain(self):
        """``AGAN``: wait for the output to settle, then the smallest full scale above it."""
        yield AGAN_TIME_CONSTANTS * self.tau
        self._sync()
        r = abs(self._output())
        base = 1e-6 if self.settings["isrc"] >= 2 else 1.0
        for i, s in enumerate(SENSITIVITIES):
            if r < 0.9 * s * base:
                self.settings["sens"] = i
                break
        else:
            self.settings["sens"] = len(SENSITIVITIES) - 1

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
        self._publish_sine()

    def s_oflt(self, p):
        _count(p, 1)
        i = _int(p[0], 0, 19)
        if i > OFLT_MAX_UPPER_RANGE and self.detection_frequency > RANGE_SPLIT_HZ:
            raise ScpiError(-222, "time constants above 30 s only below 200 Hz")
        self.settings["oflt"] = i

    def s_ofsl(self, p):
        _count(p, 1)
        new = _int(p[0], 0, 3)
        self.filter.reorder(self.order)  # the new filter starts from the output
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
        """``AGAN``: runs on the timeline; Interface Ready is clear until it is done."""
        _count(p, 0)
        self._cancel_busy()
        self._busy = ActionProcess(self._auto_gain(), lambda _: setattr(self, "_busy", None),
                                   name=f"{self.address} AGAN")
        self.world.start(self._busy)

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
