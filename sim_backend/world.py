"""SimWorld: the one physical world all emulators of a simulated bench act on (contracts §3).

Instruments couple only through it: current sources drive the devices' ports, voltmeters read
port voltages with Johnson noise of the measurement bandwidth, magnet supplies drive coils
whose field the devices and the gaussmeter see.  A world holds one or several named devices
wired by a netlist (:mod:`sim_backend.netlist`): each device has its own :class:`Drive`.  Time is a virtual clock that only instrument
actions advance, so a simulated hour of measurement takes seconds and is reproducible.
What instruments read at a terminal (voltages, resistances, emitted power, noisy integrations)
is :class:`sim_backend.world_readout.TerminalReadout`; a source's schedule taken in one call is
:mod:`sim_backend.schedule`.
"""
from __future__ import annotations

import math
import zlib
from collections import deque
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np

from .clock import check_mode
from .devices import DeviceModel, Drive
from .timeline import Process
from .links import Links
from .extremes import Extremes
from .breakdown import OpenCircuit, device_voltages
from .netlist import Line, NetlistError, Terminal, drive_port, resolve
from .world_readout import TerminalReadout
from .schedule import run_schedule


class VirtualClock:
    """Seconds of world time since the world was built.  The world never reads wall time;
    ``mode`` (the bench file's ``sim.clock``) is the default of its clients' clocks
    (:mod:`sim_backend.clock`: how a script's own waiting enters world time)."""

    def __init__(self, mode: str = "sleep"):
        self.mode = check_mode(mode)
        self.now = 0.0


@dataclass
class Coil:
    """An electromagnet driven by a bipolar current supply.

    The supply slews the coil current at most at (V_limit - |I| R) / L (inductive load at the
    supply's voltage limit, Kepco BOP manual 3.3), and cannot exceed V_limit / R.
    """

    axis: np.ndarray
    tesla_per_amp: float
    inductance: float = 0.5
    resistance: float = 2.0
    current: float = 0.0
    setpoint: float = 0.0
    voltage_limit: float = 20.0

    def step(self, dt: float) -> None:
        limit = self.voltage_limit / self.resistance
        target = max(-limit, min(float(self.setpoint), limit))
        diff = target - self.current
        if diff == 0.0:
            return
        headroom = max(self.voltage_limit - abs(self.current) * self.resistance, 0.05 * self.voltage_limit)
        max_step = headroom / self.inductance * dt
        self.current = target if abs(diff) <= max_step else self.current + math.copysign(max_step, diff)

    @property
    def field(self) -> np.ndarray:
        return self.axis * self.tesla_per_amp * self.current


@dataclass(slots=True)
class CommandRecord:
    t: float
    address: str
    text: str


class SimWorld(TerminalReadout):
    """Clock, devices, coils, sources and the seeded random stream of one simulated bench.

    ``device`` is one :class:`DeviceModel` (named ``dut``) or a dict name -> model (the first is
    the one bare port names address); ``lines`` the netlist's lines; ``reach`` per device the
    gain of each coil's field at it (default: every coil, gain 1).
    """

    #: largest field change (T) over which the device is evolved with a constant field
    FIELD_STEP = 0.5e-3
    #: many-device worlds integrate a device only when it is read or its drive changes (the
    #: others bank their constant-drive time); False integrates every device at every step
    BANK_IDLE_DEVICES = True

    def __init__(self, device: DeviceModel | dict[str, DeviceModel], *, seed: int = 0,
                 temperature: float = 300.0, clock: str = "sleep", coils: dict[str, Coil] | None = None,
                 lines: dict[str, Line] | None = None, reach: dict[str, dict[str, float]] | None = None,
                 log_size: int = 200_000):
        self._devices: dict[str, DeviceModel] = dict(device) if isinstance(device, dict) else {"dut": device}
        if not self._devices:
            raise NetlistError("a sim world needs at least one device")
        self._first = next(iter(self._devices))
        self._device = self._devices[self._first]
        #: time that passed with no change of drive and is not integrated yet (:meth:`idle`)
        self._banked = 0.0
        #: device -> seconds it lags the clock beyond ``_banked`` (many-device worlds: a device
        #: whose drive does not change is integrated only when it is read or its drive changes)
        self._lag: dict[str, float] = {}
        self.lines: dict[str, Line] = dict(lines or {})
        self.seed = int(seed)
        self.rng = np.random.default_rng(self.seed)
        #: named random streams besides ``rng`` (:meth:`stream`): each further device's
        #: dynamics, each instrument's own noise
        self._streams: dict[str, tuple[int, np.random.Generator]] = {}
        #: the state :attr:`rng` was seeded with (streams derive theirs from it) and its epoch
        self._stream_base = self.rng.bit_generator.state["state"]["state"]
        self._stream_epoch = 0
        self._temperature = float(temperature)
        self.clock = VirtualClock(clock)
        self.coils: dict[str, Coil] = dict(coils or {})
        for dev, gains in (reach or {}).items():
            if dev not in self._devices:
                raise NetlistError(f"magnet reach: unknown device {dev!r}; devices: {', '.join(self._devices)}")
            for coil in gains:
                self._coil(coil)
        #: device -> ((coil, gain), ...): the coils whose field reaches it
        self._reach = {d: tuple((c, float((reach or {}).get(d, {}).get(c, 1.0 if d not in (reach or {}) else 0.0)))
                                for c in self.coils) for d in self._devices}
        self.sources: dict[str, tuple[str, float]] = {}  # source name -> (terminal, amps)
        self.lasers: dict[str, float] = {}               # laser name -> optical power (W)
        self._laser_port: dict[str, str | None] = {}
        self.rf_sources: dict[str, tuple[float, float, float]] = {}  # RF source -> (Hz, dBm, rad)
        #: sine outputs (a lock-in's): source name -> (terminal, peak amps); DC-equivalent zero
        self.ac_sources: dict[str, tuple[str, float]] = {}
        #: device -> breakdown voltage (V) (:mod:`sim_backend.breakdown`); devices destroyed so
        #: far -> the voltage that destroyed them
        self.breakdown: dict[str, float] = {}
        self.destroyed: dict[str, float] = {}
        self._rf_port: dict[str, str | None] = {}
        self.log: deque[CommandRecord] = deque(maxlen=log_size)
        #: the largest outputs ever applied (safety invariants; the pytest plugin exposes them)
        self.extremes = Extremes()
        #: instrument-to-instrument connections (trigger lines, serial cables, reference inputs)
        self.links = Links()
        self._checkpoint: int | None = None
        #: operations on the timeline (sim_backend.timeline.Process), fired as the clock moves
        self._processes: list[Process] = []
        #: called just before any drive changes (:meth:`on_drive_change`)
        self._drive_listeners: list[Callable[[], None]] = []
        self._firing = False
        #: while a process fires: the world time up to which nothing but it acts (:meth:`horizon`)
        self._horizon = 0.0
        self._terminals: dict[tuple[str, bool], Terminal] = {}
        self._rf_loss_maps: dict[str, dict[str, float]] = {}
        #: devices on a parallel line: their current share depends on the state (not cached)
        self._uncached = {d for ln in self.lines.values() if ln.connection == "parallel" for d in ln.devices}
        #: whether constant-drive time is banked per device (several devices, none whose
        #: current depends on another's state)
        self._lazy = self.BANK_IDLE_DEVICES and len(self._devices) > 1 and not self._uncached
        #: the present Drive of each device, rebuilt only after a change of sources, coils,
        #: light, RF or temperature (the mutators set it to None); shared: treat as frozen
        self._drive_cache: dict[str, Drive] | None = None
        self._drive_temperature = self.temperature
        #: the coils' field at each device, rebuilt only when a coil current may have changed
        self._field_cache: dict[str, np.ndarray] | None = None

    @property
    def temperature(self) -> float:
        """Bath temperature (K)."""
        return self._temperature

    @temperature.setter
    def temperature(self, kelvin: float) -> None:
        if self._banked or self._lag:
            self._settle()
        self._drive_changing()
        self._temperature = float(kelvin)

    # ------------------------------------------------------------------ devices (read: settled)
    @property
    def devices(self) -> dict[str, DeviceModel]:
        """Name -> device model, with every banked interval integrated (state is current)."""
        if self._banked or self._lag:
            self._settle()
        return self._devices

    @property
    def device(self) -> DeviceModel:
        """The first device (the only one on a one-device bench), its state current."""
        if self._banked or self._lag:
            self._settle((self._first,))
        return self._device

    @device.setter
    def device(self, model: DeviceModel) -> None:
        self._settle()
        self._device = self._devices[self._first] = model

    # ------------------------------------------------------------------ netlist
    def terminal(self, port: str, *, signal: bool = False) -> Terminal:
        """What the terminal name ``port`` reaches (:func:`sim_backend.netlist.resolve`)."""
        key = (port, signal)
        term = self._terminals.get(key)
        if term is None:
            term = self._terminals[key] = resolve(port, self._devices, self.lines, signal=signal)
        return term

    def check_port(self, port: str) -> None:
        """Raise a :class:`NetlistError` naming the allowed terminals if ``port`` reaches nothing."""
        self.terminal(port)

    # ------------------------------------------------------------------ time
    @property
    def now(self) -> float:
        return self.clock.now

    def advance(self, dt: float) -> None:
        """Evolve the devices and the coils for ``dt`` seconds under the present drive, firing
        the processes on the timeline (:mod:`sim_backend.timeline`) that fall due meanwhile."""
        if self._processes:
            self._advance_timeline(float(dt))
            return
        self._evolve(dt)

    def idle(self, dt: float) -> None:
        """``dt`` seconds pass with no change of drive (bus transfers, command parsing, a
        script's pause): the clock moves, the devices are not integrated yet.  The banked time
        is one interval of the present (constant) drive, integrated when a drive changes, the
        world is read or :meth:`advance` continues it (so a query such as ``*IDN?`` or a
        settings read integrates nothing).  While a coil slews, time is integrated at once."""
        dt = float(dt)
        if self._processes and self.next_event() <= self.clock.now + dt:
            self.advance(dt)         # a step on the timeline falls due: time is integrated
            return
        if dt <= 0:
            return
        for c in self.coils.values():
            if c.current != c.setpoint:
                self.advance(dt)
                return
        self._banked += dt
        self.clock.now += dt

    def _settle(self, names=None) -> None:
        """Integrate the banked time (:meth:`idle`) as one interval under the present drive:
        of every device, or (``names``) of those only, the others keeping it as their lag
        (their drive has not changed; it is integrated when they are read or driven)."""
        dt = self._banked
        if dt:
            self._banked = 0.0
            if len(self._devices) == 1:
                self._device.evolve(dt, self.drive(), self.rng)
                return
            lag = self._lag
            for name in self._devices:
                lag[name] = lag.get(name, 0.0) + dt
        if self._lag:
            for name in list(self._lag) if names is None else [n for n in names if n in self._lag]:
                self._devices[name].evolve(self._lag.pop(name), self._drive_of(name), self.device_rng(name))

    def _settle_port(self, port: str) -> None:
        """:meth:`_settle` of the devices terminal ``port`` reaches (all of them on a world
        that does not bank per device)."""
        self._settle([d for d, _ in self.terminal(port).members] if self._lazy else None)

    def _evolve(self, dt: float) -> None:
        """Evolve the devices and the coils for ``dt`` seconds under the present drive (with
        any banked idle time before it: one interval of the same drive)."""
        dt = float(dt)
        if dt <= 0:
            return
        for c in self.coils.values():
            if c.current != c.setpoint:
                self._settle()
                self._advance_ramping(dt)
                return
        if self._lazy:              # each device integrates when read or driven (_settle)
            self._banked += dt
            self.clock.now += dt
            return
        banked = self._banked
        if banked:
            self._banked = 0.0
            step = banked + dt
        else:
            step = dt
        # coils settled: one step of each device under its (cached) present drive
        if len(self._devices) == 1:
            self._device.evolve(step, self.drive(), self.rng)
        else:
            for name, dev in self._devices.items():
                dev.evolve(step, self._drive_of(name), self.device_rng(name))
        self.clock.now += dt

    def source_schedule(self, name: str, port: str, levels, dts) -> None:
        """A current source holding ``levels[k]`` (A) into ``port`` for ``dts[k]`` seconds each,
        in one call: the devices evolve over the piecewise-constant schedule with
        :func:`~sim_backend.devices.evolve_schedule` (the same states, clock and random streams
        as ``set_source`` + :meth:`advance` per interval); the source stays at the last level."""
        if self._banked or self._lag:
            self._settle()
        levels = [float(a) for a in levels]
        dts = [float(dt) for dt in dts][:len(levels)]
        if not levels:
            return
        now = self.clock.now
        for dt in dts:
            if dt > 0:
                now += dt
        distinct: dict[float, int] = {}
        which = [distinct.setdefault(a, len(distinct)) for a in levels[:len(dts)]]
        if self._processes or run_schedule(self, name, port, list(distinct), which, dts, now) is None:
            for amps, dt in zip(levels, dts):
                self.set_source(name, port, amps)
                self.advance(dt)

    def observe_schedule(self, name: str, port: str, levels, which, times,
                         probe: str | None = None, intervals=()):
        """What a process on the timeline does when, for k = 0, 1, ..., it sets source ``name``
        (into ``port``) to ``levels[which[k]]`` and waits until world time ``times[k]``, in one
        call, while nothing else acts before it ends (:meth:`horizon`): the devices evolve over
        the schedule with :func:`~sim_backend.devices.evolve_schedule` -- the same states,
        clock and random streams as those steps on the timeline (each interval the difference
        of consecutive times, as the timeline takes it) -- and for each interval index in
        ``intervals`` (ascending) the terminal ``probe`` is observed: returns ``(v_start,
        v_end, r_end)`` (noise-free voltage at the start and the end of the interval under its
        drive, resistance at its end; :meth:`port_voltage`, :meth:`port_resistance`).  The
        source stays at the last level.  None, having changed nothing, when the schedule cannot
        be taken in one call (:func:`sim_backend.schedule.schedulable`)."""
        if self._banked or self._lag:
            self._settle()
        if not len(times):
            return None
        dts = np.diff(np.concatenate(([self.clock.now], np.asarray(times, dtype=float)))).tolist()
        return run_schedule(self, name, port, levels, which, dts, float(times[-1]), probe, intervals)

    def device_rng(self, name: str) -> np.random.Generator:
        """The random stream of device ``name``'s dynamics: :attr:`rng` for the first device,
        a stream of its own for each further one (so devices evolved one at a time, or over a
        batched schedule, draw what they draw when evolved together)."""
        if name == self._first:
            return self.rng
        return self.stream(f"device:{name}")

    def stream(self, key: str) -> np.random.Generator:
        """A named random stream: an instrument's own noise (``noise:<address>``), a further
        device's dynamics.  A PCG64 generator whose increment (its stream selector) is set by
        crc32(key) and whose state is the seed state of :attr:`rng` (from (seed, [checkpoint
        index])) mixed with it; re-seeded at each :meth:`checkpoint` like :attr:`rng`, so a
        resumed run draws the same numbers.  Setting a state costs microseconds, where seeding
        a generator through a SeedSequence costs tens (protocols checkpoint at every step)."""
        got = self._streams.get(key)
        if got is not None and got[0] == self._stream_epoch:
            return got[1]
        g = got[1] if got is not None else np.random.Generator(np.random.PCG64(0))
        crc = zlib.crc32(key.encode())
        g.bit_generator.state = {
            "bit_generator": "PCG64", "has_uint32": 0, "uinteger": 0,
            "state": {"state": (self._stream_base ^ (crc * _GOLDEN_128)) & _MASK_128,
                      "inc": ((crc << 64) | (crc << 1) | 1) & _MASK_128}}
        self._streams[key] = (self._stream_epoch, g)
        return g

    # ------------------------------------------------------------------ timeline (issue 16)
    def start(self, process: Process) -> Process:
        """Put an operation that takes time on the timeline and take its first step now (its
        :meth:`horizon` is now: the client's next command may come at any moment)."""
        self._horizon = self.clock.now
        process.fire(self)
        if not process.done:
            self._processes.append(process)
        return process

    def horizon(self) -> float:
        """While a process fires: the world time up to which nothing but that process acts
        (the end of the present advance, or of a blocking wait such as ``*OPC?``, and the
        next step of any other process).  A process may take all its steps before it in one
        call (:meth:`observe_schedule`) instead of one step per fire."""
        return self._horizon

    def cancel(self, process: Process | None) -> None:
        """Take a process off the timeline (ABORt, device clear, *RST)."""
        if process is None:
            return
        cancel = getattr(process, "cancel", None)
        if cancel is not None:
            cancel()
        if process in self._processes:
            self._processes.remove(process)

    def on_drive_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` just before any drive changes (a source, a coil set point, a
        laser, an RF tone, the bath temperature), with the clock at the instant of the change and
        the world still as it was: an instrument whose reading integrates the past (a lock-in's
        output filter) brings itself up to that instant.  The callback must not change a drive
        or advance the world."""
        self._drive_listeners.append(callback)

    def _drive_changing(self) -> None:
        for callback in self._drive_listeners:
            callback()

    def next_event(self) -> float:
        """World time of the next process step (``math.inf``: nothing scheduled)."""
        return min((p.next_time for p in self._processes), default=math.inf)

    def run_until(self, done, limit: float = math.inf) -> bool:
        """Advance from event to event until ``done()`` (a blocking query waiting for an
        operation on the timeline), at most ``limit`` s; whether ``done()`` became true.
        Nothing else happens meanwhile, so processes may act up to ``now + limit`` at once."""
        end = self.now + limit
        while not done():
            t = self.next_event()
            if t > end or t == math.inf:
                return False
            self._run_timeline(max(t, self.clock.now), end)
        return True

    def _advance_timeline(self, dt: float) -> None:
        """``advance`` with processes on the timeline: evolve up to each due step, fire it."""
        end = self.clock.now + max(dt, 0.0)
        self._run_timeline(end, end)

    def _run_timeline(self, end: float, reach: float) -> None:
        """Evolve to world time ``end``, firing the processes due meanwhile; a process may act
        alone up to ``reach`` (>= ``end``) and the next step of any other process."""
        if self._firing:
            raise RuntimeError("a process on the timeline advanced the world from inside a step")
        clock = self.clock
        processes = self._processes
        while processes:
            t = min(p.next_time for p in processes)
            if t > end:
                break
            if t > clock.now:
                self._evolve(t - clock.now)
                clock.now = t
            self._firing = True
            try:
                for p in [p for p in processes if p.next_time <= t]:
                    others = [q.next_time for q in processes if q is not p and not q.done]
                    self._horizon = min([reach, *others])
                    p.fire(self)
            finally:
                self._firing = False
            processes[:] = [p for p in processes if not p.done]
        if end > clock.now:
            self._evolve(end - clock.now)
            clock.now = end

    def steady(self) -> bool:
        """Whether :meth:`advance` is one step of the one device under the present drive
        (every coil at its set point, one device): what batched fast paths of emulators
        require."""
        if len(self._devices) != 1:
            return False
        for c in self.coils.values():
            if c.current != c.setpoint:
                return False
        return True

    def drive_with_source(self, name: str, port: str, amps: float) -> Drive:
        """The drive :meth:`drive` would return for the device at ``port`` after
        ``set_source(name, port, amps)``, without changing the sources (the same sum in the
        same order, so the same current)."""
        sources = dict(self.sources)
        sources[name] = (port, float(amps))
        self.extremes.source(name, amps, self.port_resistance(port))
        dev = self.terminal(port).device
        return replace(self._drive_of(dev), current=self._current_into(dev, sources))

    def _advance_ramping(self, dt: float) -> None:
        """``advance`` while a coil slews: steps over which the field changes <= FIELD_STEP."""
        moving = [c for c in self.coils.values() if c.current != c.setpoint]
        # split so the field changes by at most FIELD_STEP per device step
        rate = max(abs(c.tesla_per_amp) * (c.voltage_limit / c.inductance) for c in moving)
        nsteps = min(max(1, math.ceil(rate * dt / self.FIELD_STEP)), 100_000)
        h = dt / nsteps
        devices = self._devices.items()
        for _ in range(nsteps):
            for c in moving:
                c.step(h)
            self._drive_cache = self._field_cache = None
            for name, dev in devices:
                dev.evolve(h, self._drive_of(name), self.device_rng(name))
            if all(c.current == c.setpoint for c in moving):
                rest = dt - h * (_ + 1)
                if rest > 0:
                    for name, dev in devices:
                        dev.evolve(rest, self._drive_of(name), self.device_rng(name))
                break
        self.clock.now += dt

    # ------------------------------------------------------------------ drive
    def drive(self, current: float | None = None, port: str | None = None) -> Drive:
        """The present drive of the device at terminal ``port`` (default: the first device);
        ``current`` overrides its channel current (lock-in phases).

        The drive without override is built once per change of sources, coil currents, lasers,
        RF or temperature and then shared: treat it (and its read-only ``field``) as frozen.
        """
        d = self._drive_of(self._first if port is None else self.terminal(port).device)
        if current is None:
            return d
        return replace(d, current=current)

    def _drive_of(self, name: str) -> Drive:
        cache = self._drive_cache
        if cache is None or self._drive_temperature != self.temperature:
            cache = self._drive_cache = {}
            self._drive_temperature = self.temperature
        d = cache.get(name)
        if d is None:
            d = self._build_drive(name)
            if name not in self._uncached:
                cache[name] = d
        return d

    def _build_drive(self, name: str) -> Drive:
        fields = self._field_cache
        if fields is None:
            fields = self._field_cache = {}
        f = fields.get(name)
        if f is None:
            f = fields[name] = self.field_at(name)
            f.flags.writeable = False
        tones = self.tones_at(name)
        rf_f, rf_p = _strongest(tones)
        return Drive(current=self._current_into(name, self.sources), field=f,
                     temperature=self.temperature, laser_power=self.laser_power_at(name),
                     rf_frequency=rf_f, rf_power_dbm=rf_p, rf_tones=tones, rf_lines=self.lines_at(name))

    def _current_into(self, name: str, sources: dict[str, tuple[str, float]]) -> float:
        """The current through device ``name``'s drive port from ``sources`` (summed in order)."""
        dport = drive_port(self._devices[name])
        member = (name, dport)
        total = 0
        for port, amps in sources.values():
            term = self.terminal(port)
            if term.connection == "parallel":
                if member in term.members:
                    g = [1.0 / self._devices[d].resistance(p) for d, p in term.members]
                    total += amps * g[term.members.index(member)] / sum(g)
            elif member in term.members:
                total += amps
        return total

    @property
    def drive_port(self) -> str:
        """The port whose current drives the first device (``device.drive_port``; "channel" by
        default, "junction" for a two-terminal MTJ)."""
        return drive_port(self._device)

    def field_at(self, name: str) -> np.ndarray:
        """The field (T) of the coils reaching device ``name``, each times its gain there."""
        total = np.zeros(3)
        for coil, gain in self._reach[name]:
            c = self.coils[coil]
            if c.current and gain:
                total += c.axis * (c.tesla_per_amp * c.current * gain)
        return total

    # ------------------------------------------------------------------ light and RF
    def set_laser(self, name: str, power_W: float | None, port: str | None = None) -> None:
        """A laser's optical power on the device at ``port`` (default: the first device;
        ``None`` or 0: off).  Lasers add."""
        if self._banked or self._lag:
            self._settle()
        if port is not None:
            self.terminal(port, signal=True)
        self._drive_changing()
        if power_W:
            self.lasers[name] = float(power_W)
            self._laser_port[name] = port
            self.extremes.laser(name, float(power_W))
        else:
            self.lasers.pop(name, None)
        self._drive_cache = None

    @property
    def laser_power(self) -> float:
        return self.laser_power_at(self._first)

    def laser_power_at(self, name: str) -> float:
        total = 0.0
        for laser, watts in self.lasers.items():
            port = self._laser_port.get(laser)
            if (name == self._first if port is None else
                    any(d == name for d, _ in self.terminal(port, signal=True).members)):
                total += watts
        return total

    def set_rf(self, name: str, frequency_Hz: float, power_dBm: float | None,
               phase_rad: float = 0.0, port: str | None = None) -> None:
        """An RF source's tone delivered to terminal ``port`` (default: the first device;
        ``None`` power: output off).  On a line, every device on it gets the tone at the power
        less its attenuation."""
        if self._banked or self._lag:
            self._settle()
        self._drive_changing()
        if power_dBm is None:
            self.rf_sources.pop(name, None)
        else:
            if port is not None:
                self.terminal(port, signal=True)
            self.rf_sources[name] = (float(frequency_Hz), float(power_dBm), float(phase_rad))
            self._rf_port[name] = port
            self.extremes.rf(name, float(power_dBm))
        self._drive_cache = None

    @property
    def rf(self) -> tuple[float, float]:
        """The strongest RF tone at the first device: (Hz, dBm); (0, -inf) when none."""
        return _strongest(self.rf_tones)

    @property
    def rf_tones(self) -> tuple[tuple[float, float, float], ...]:
        """Every RF tone at the first device, ``(Hz, dBm, rad)``, sorted (frequency, power)."""
        return self.tones_at(self._first)

    def tones_at(self, name: str) -> tuple[tuple[float, float, float], ...]:
        """Every RF tone at device ``name`` after its line's attenuation, sorted."""
        tones = []
        for src, (f, p, ph) in self.rf_sources.items():
            port = self._rf_port.get(src)
            if port is None:
                if name == self._first:
                    tones.append((f, p, ph))
                continue
            loss = self._rf_losses(port).get(name)
            if loss is not None:
                tones.append((f, p - loss if loss else p, ph))
        return tuple(sorted(tones))

    def _rf_losses(self, port: str) -> dict[str, float]:
        """Device -> RF attenuation (dB) of the devices an RF terminal reaches (the netlist is
        fixed: computed once per terminal)."""
        losses = self._rf_loss_maps.get(port)
        if losses is None:
            term = self.terminal(port, signal=True)
            losses = self._rf_loss_maps[port] = {}
            for k, (d, _) in enumerate(term.members):
                losses.setdefault(d, term.loss_db[k])
        return losses

    @property
    def field(self) -> np.ndarray:
        """The coils' field (T) at unit gain: what a field probe at the sample sees."""
        total = np.zeros(3)
        for c in self.coils.values():
            if c.current:
                total += c.axis * (c.tesla_per_amp * c.current)
        return total

    def set_source(self, name: str, port: str, amps: float) -> None:
        """A current source's output into terminal ``port`` (sources on one port add)."""
        try:
            self.terminal(port)
        except NetlistError as exc:
            raise NetlistError(f"{name}: {exc}") from None
        if self._banked or self._lag:
            self._settle_port(port)
            old = self.sources.get(name)
            if old is not None and old[0] != port:      # the source moves: its old port changes too
                self._settle_port(old[0])
        self._drive_changing()
        self.sources[name] = (port, float(amps))
        self.extremes.source(name, amps, self.port_resistance(port))
        self._drive_cache = None
        if self.breakdown:
            self._check_breakdown(port)

    def set_ac_source(self, name: str, port: str, peak_amps: float) -> None:
        """A sine output's peak current into ``port`` (a lock-in's reference output): no DC, but
        recorded in the extremes and stressing the device like a DC level of the same peak."""
        if self._banked:
            self._settle()
        if peak_amps:
            self.ac_sources[name] = (port, abs(float(peak_amps)))
            self.extremes.source(name, peak_amps, self.port_resistance(port))
        else:
            self.ac_sources.pop(name, None)
        if self.breakdown:
            self._check_breakdown(port)

    def _port_peak(self, port: str, extra: float = 0.0) -> float:
        """Largest |current| the sources on ``port`` apply (DC sum plus the sine peaks)."""
        dc = sum(a for p, a in self.sources.values() if p == port)
        return abs(dc) + abs(extra) + sum(a for p, a in self.ac_sources.values() if p == port)

    def may_break(self, port: str, amps: float) -> bool:
        """Whether ``amps`` more into ``port`` would put a device over its breakdown voltage
        (batched fast paths fall back to per-level :meth:`set_source` when it would)."""
        if not self.breakdown:
            return False
        term = self.terminal(port)
        return any(v > self.breakdown.get(d, float("inf")) for d, v in
                   device_voltages(term, self._port_peak(port, amps), self._resistance_of))

    def _resistance_of(self, device: str, port: str) -> float:
        return self._devices[device].resistance(port)

    def _check_breakdown(self, port: str) -> None:
        """Destroy (:class:`~sim_backend.breakdown.OpenCircuit`) every device on ``port``
        whose voltage |I| R now exceeds its breakdown voltage."""
        term = self.terminal(port)
        for dev, volts in device_voltages(term, self._port_peak(port), self._resistance_of):
            if volts > self.breakdown.get(dev, float("inf")) and dev not in self.destroyed:
                self.destroyed[dev] = volts
                model = OpenCircuit(self._devices[dev], volts)
                self._devices[dev] = model
                if dev == self._first:
                    self._device = model
                self._drive_cache = None
                self.log.append(CommandRecord(self.now, "world", f"{dev} destroyed at {volts:.4g} V"))

    def set_source_off(self, name: str) -> None:
        old = self.sources.get(name)
        if self._banked or self._lag:
            if old is not None:
                self._settle_port(old[0])
            elif not self._lazy:
                self._settle()          # (no drive changes; kept so one-device worlds draw as before)
        if old is None:
            return
        self._drive_changing()
        del self.sources[name]
        self._drive_cache = None

    def source_current(self, port: str | None = None) -> float:
        port = self.drive_port if port is None else port
        return sum(a for p, a in self.sources.values() if p == port)

    def set_coil_setpoint(self, coil: str, amps: float, voltage_limit: float | None = None) -> None:
        if self._banked or self._lag:
            self._settle()
        c = self._coil(coil)
        self._drive_changing()
        c.setpoint = float(amps)
        if voltage_limit is not None:
            c.voltage_limit = float(voltage_limit)
        self.extremes.coil(coil, min(abs(c.setpoint), c.voltage_limit / c.resistance), c.tesla_per_amp)
        self._drive_cache = self._field_cache = None

    def coil_current(self, coil: str) -> float:
        return self._coil(coil).current

    def coil_voltage(self, coil: str) -> float:
        c = self._coil(coil)
        return c.current * c.resistance

    def _coil(self, coil: str) -> Coil:
        try:
            return self.coils[coil]
        except KeyError:
            raise KeyError(f"no magnet coil {coil!r} in this sim bench; coils: {', '.join(self.coils) or 'none'}") from None

    # ------------------------------------------------------------------ bookkeeping
    def record(self, address: str, data: bytes) -> None:
        self.log.append(CommandRecord(self.now, address, data.decode("latin-1")))

    def messages(self, address: str | None = None) -> list[str]:
        """Texts received (by one address, or all), oldest first."""
        return [r.text for r in self.log if address is None or r.address == address]

    def checkpoint(self, index: int) -> None:
        """Re-seed the random stream from (seed, index): a run resumed at step ``index`` draws
        the same numbers as an uninterrupted one.  Idempotent for repeated calls."""
        if self._banked or self._lag:
            self._settle()
        if index != self._checkpoint:
            self._checkpoint = index
            self.rng = np.random.default_rng([self.seed, int(index)])
            # named streams are re-seeded from the new state on their next use
            self._stream_base = self.rng.bit_generator.state["state"]["state"]
            self._stream_epoch += 1

    def snapshot(self) -> dict[str, Any]:
        snap = {"t": self.now, "field": self.field.tolist(), "sources": dict(self.sources),
                "device": self._device.state()}
        if len(self._devices) > 1:
            snap["devices"] = {n: d.state() for n, d in self._devices.items()}
        return snap


#: 2^128 - 1 and the 128-bit golden-ratio constant (the streams' state mixing, :meth:`SimWorld.stream`)
_MASK_128 = (1 << 128) - 1
_GOLDEN_128 = 0x9E3779B97F4A7C15F39CC0605CEDC835


def _strongest(tones: tuple[tuple[float, float, float], ...]) -> tuple[float, float]:
    """(Hz, dBm) of the strongest tone; (0, -inf) when none."""
    if not tones:
        return (0.0, -math.inf)
    f, p, _ = max(tones, key=lambda t: t[1])
    return (f, p)
