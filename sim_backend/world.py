"""SimWorld: the one physical world all emulators of a simulated bench act on (contracts §3).

Instruments couple only through it: current sources drive the device's ports, voltmeters read
port voltages with Johnson noise of the measurement bandwidth, magnet supplies drive coils
whose field the device and the gaussmeter see.  Time is a virtual clock that only instrument
actions advance, so a simulated hour of measurement takes seconds and is reproducible.
"""
from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .devices import KB, DeviceModel, Drive


class VirtualClock:
    """Seconds since the world was built.  In ``wall`` mode it never runs behind wall time,
    so a script's ``time.sleep`` counts."""

    def __init__(self, mode: str = "virtual"):
        if mode not in ("virtual", "wall"):
            raise ValueError(f"sim clock must be 'virtual' or 'wall', not {mode!r}")
        self.mode = mode
        self.now = 0.0
        self._wall0 = time.monotonic()

    def sync(self) -> float:
        """Catch up with wall time (wall mode); returns the time the world must still advance."""
        if self.mode == "wall":
            return max(0.0, (time.monotonic() - self._wall0) - self.now)
        return 0.0


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


@dataclass
class CommandRecord:
    t: float
    address: str
    text: str


class SimWorld:
    """Clock, device, coils, sources and the seeded random stream of one simulated bench."""

    #: largest field change (T) over which the device is evolved with a constant field
    FIELD_STEP = 0.5e-3

    def __init__(self, device: DeviceModel, *, seed: int = 0, temperature: float = 300.0,
                 clock: str = "virtual", coils: dict[str, Coil] | None = None, log_size: int = 200_000):
        self.device = device
        self.seed = int(seed)
        self.rng = np.random.default_rng(self.seed)
        self.temperature = float(temperature)
        self.clock = VirtualClock(clock)
        self.coils: dict[str, Coil] = dict(coils or {})
        self.sources: dict[str, tuple[str, float]] = {}  # source name -> (port, amps)
        self.lasers: dict[str, float] = {}               # laser name -> power on the device (W)
        self.rf_sources: dict[str, tuple[float, float, float]] = {}  # RF source -> (Hz, dBm at the device, rad)
        self.log: deque[CommandRecord] = deque(maxlen=log_size)
        self._checkpoint: int | None = None
        #: the present Drive, rebuilt only after a change of sources, coils, light, RF or
        #: temperature (the mutators below reset it); shared, with a read-only field array
        self._drive_cache: Drive | None = None
        self._drive_temperature = self.temperature
        #: the coils' field, rebuilt only when a coil current may have changed
        self._field_cache: np.ndarray | None = None

    # ------------------------------------------------------------------ time
    @property
    def now(self) -> float:
        return self.clock.now

    def advance(self, dt: float) -> None:
        """Evolve the device and the coils for ``dt`` seconds under the present drive."""
        dt = float(dt)
        if self.clock.mode != "virtual":
            dt += self.clock.sync()
        if dt <= 0:
            return
        for c in self.coils.values():
            if c.current != c.setpoint:
                self._advance_ramping(dt)
                return
        # coils settled: one device step under the (cached) present drive
        self.device.evolve(dt, self.drive(), self.rng)
        self.clock.now += dt

    def steady(self) -> bool:
        """Whether :meth:`advance` is one device step under the present drive (virtual clock,
        every coil at its set point): what batched fast paths of emulators require."""
        if self.clock.mode != "virtual":
            return False
        for c in self.coils.values():
            if c.current != c.setpoint:
                return False
        return True

    def drive_with_source(self, name: str, port: str, amps: float) -> Drive:
        """The drive :meth:`drive` would return after ``set_source(name, port, amps)``, without
        changing the sources (the same sum in the same order, so the same current)."""
        sources = dict(self.sources)
        sources[name] = (port, float(amps))
        dport = self.drive_port
        return self.drive(current=sum(a for p, a in sources.values() if p == dport))

    def _advance_ramping(self, dt: float) -> None:
        """``advance`` while a coil slews: steps over which the field changes <= FIELD_STEP."""
        moving = [c for c in self.coils.values() if c.current != c.setpoint]
        # split so the field changes by at most FIELD_STEP per device step
        rate = max(abs(c.tesla_per_amp) * (c.voltage_limit / c.inductance) for c in moving)
        nsteps = min(max(1, math.ceil(rate * dt / self.FIELD_STEP)), 100_000)
        h = dt / nsteps
        for _ in range(nsteps):
            for c in moving:
                c.step(h)
            self._drive_cache = self._field_cache = None
            self.device.evolve(h, self.drive(), self.rng)
            if all(c.current == c.setpoint for c in moving):
                rest = dt - h * (_ + 1)
                if rest > 0:
                    self.device.evolve(rest, self.drive(), self.rng)
                break
        self.clock.now += dt

    # ------------------------------------------------------------------ drive
    def drive(self, current: float | None = None) -> Drive:
        """The present drive; ``current`` overrides the channel current (lock-in phases).

        The drive without override is built once per change of sources, coil currents, lasers,
        RF or temperature and then shared: treat it (and its read-only ``field``) as frozen.
        """
        cached = self._drive_cache
        if cached is None or self._drive_temperature != self.temperature:
            field = self._field_cache
            if field is None:
                field = self._field_cache = self.field
                field.flags.writeable = False
            rf_f, rf_p = self.rf
            port = self.drive_port
            cached = Drive(current=sum(a for p, a in self.sources.values() if p == port),
                           field=field, temperature=self.temperature,
                           laser_power=self.laser_power, rf_frequency=rf_f, rf_power_dbm=rf_p,
                           rf_tones=self.rf_tones)
            self._drive_cache, self._drive_temperature = cached, self.temperature
        if current is None:
            return cached
        return Drive(current=current, field=cached.field, temperature=cached.temperature,
                     laser_power=cached.laser_power, rf_frequency=cached.rf_frequency,
                     rf_power_dbm=cached.rf_power_dbm, rf_tones=cached.rf_tones)

    @property
    def drive_port(self) -> str:
        """The port whose current drives the device (``device.drive_port``; "channel" by default,
        "junction" for a two-terminal MTJ)."""
        return getattr(self.device, "drive_port", "channel")

    # ------------------------------------------------------------------ light and RF
    def set_laser(self, name: str, power_W: float | None) -> None:
        """A laser's optical power on the device (``None`` or 0: off).  Lasers add."""
        if power_W:
            self.lasers[name] = float(power_W)
        else:
            self.lasers.pop(name, None)
        self._drive_cache = None

    @property
    def laser_power(self) -> float:
        return sum(self.lasers.values())

    def set_rf(self, name: str, frequency_Hz: float, power_dBm: float | None,
               phase_rad: float = 0.0) -> None:
        """An RF source's tone delivered to the device's RF port (``None``: output off)."""
        if power_dBm is None:
            self.rf_sources.pop(name, None)
        else:
            self.rf_sources[name] = (float(frequency_Hz), float(power_dBm), float(phase_rad))
        self._drive_cache = None

    @property
    def rf(self) -> tuple[float, float]:
        """The strongest RF tone at the device: (Hz, dBm); (0, -inf) when none."""
        if not self.rf_sources:
            return (0.0, -math.inf)
        f, p, _ = max(self.rf_sources.values(), key=lambda fpp: fpp[1])
        return (f, p)

    @property
    def rf_tones(self) -> tuple[tuple[float, float, float], ...]:
        """Every RF tone at the device, ``(Hz, dBm, rad)``, sorted (frequency, power)."""
        return tuple(sorted(self.rf_sources.values()))

    def port_voltage(self, port: str, drive: Drive | None = None) -> float:
        """Noise-free voltage at ``port`` under ``drive`` (default: the present one)."""
        return self.device.voltage(port, self.drive() if drive is None else drive)

    def emission_psd(self, port: str, frequencies: np.ndarray) -> np.ndarray:
        """Power spectral density (W/Hz) the device delivers from ``port`` into a matched 50 ohm
        load: its own emission (``device.emission_psd``, e.g. a spin-torque oscillator) plus the
        available thermal noise power k_B T of a resistive source."""
        f = np.asarray(frequencies, dtype=float)
        psd = np.full(f.shape, KB * self.temperature)
        emit = getattr(self.device, "emission_psd", None)
        if emit is not None:
            psd = psd + np.asarray(emit(port, f, self.drive()), dtype=float)
        return psd

    def sample_voltage(self, port: str, dt: float, n: int, bandwidth: float | None = None) -> np.ndarray:
        """``n`` samples of the voltage at ``port``, one every ``dt`` s, advancing the world as it
        goes (a digitiser's record): each sample is the device voltage plus Johnson noise in
        ``bandwidth`` (default the Nyquist band 1/(2 dt))."""
        bw = 1.0 / (2.0 * dt) if bandwidth is None else bandwidth
        sigma = math.sqrt(4 * KB * self.temperature * self.device.resistance(port) * bw)
        out = np.empty(int(n))
        for k in range(int(n)):
            out[k] = self.device.voltage(port, self.drive())
            self.advance(dt)
        return out + sigma * self.rng.standard_normal(out.shape)

    @property
    def field(self) -> np.ndarray:
        total = np.zeros(3)
        for c in self.coils.values():
            if c.current:
                total += c.axis * (c.tesla_per_amp * c.current)
        return total

    def set_source(self, name: str, port: str, amps: float) -> None:
        """A current source's output into a device port (sources on one port add)."""
        if port not in self.device.ports:
            raise KeyError(f"{name}: device has no port {port!r}; ports: {', '.join(self.device.ports)}")
        self.sources[name] = (port, float(amps))
        self._drive_cache = None

    def set_source_off(self, name: str) -> None:
        if self.sources.pop(name, None) is not None:
            self._drive_cache = None

    def source_current(self, port: str | None = None) -> float:
        port = self.drive_port if port is None else port
        return sum(a for p, a in self.sources.values() if p == port)

    def set_coil_setpoint(self, coil: str, amps: float, voltage_limit: float | None = None) -> None:
        c = self._coil(coil)
        c.setpoint = float(amps)
        if voltage_limit is not None:
            c.voltage_limit = float(voltage_limit)
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

    # ------------------------------------------------------------------ readout
    def port_resistance(self, port: str) -> float:
        return self.device.resistance(port)

    def measure_voltage(self, port: str, aperture: float) -> float:
        """Integrate the voltage at ``port`` for ``aperture`` s: mean + Johnson noise in 1/(2 aperture)."""
        aperture = max(float(aperture), 1e-9)
        v0 = self.device.voltage(port, self.drive())
        self.advance(aperture)
        v1 = self.device.voltage(port, self.drive())
        r = self.device.resistance(port)
        sigma = math.sqrt(4 * KB * self.temperature * r / (2 * aperture))
        return 0.5 * (v0 + v1) + sigma * self.rng.standard_normal()

    # ------------------------------------------------------------------ bookkeeping
    def record(self, address: str, data: bytes) -> None:
        self.log.append(CommandRecord(self.now, address, data.decode("latin-1")))

    def messages(self, address: str | None = None) -> list[str]:
        """Texts received (by one address, or all), oldest first."""
        return [r.text for r in self.log if address is None or r.address == address]

    def checkpoint(self, index: int) -> None:
        """Re-seed the random stream from (seed, index): a run resumed at step ``index`` draws
        the same numbers as an uninterrupted one.  Idempotent for repeated calls."""
        if index != self._checkpoint:
            self._checkpoint = index
            self.rng = np.random.default_rng([self.seed, int(index)])

    def snapshot(self) -> dict[str, Any]:
        return {"t": self.now, "field": self.field.tolist(), "sources": dict(self.sources),
                "device": self.device.state()}
