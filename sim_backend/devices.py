"""The device-under-test interface of the simulated world (contracts §4) and the factory.

A device model is the physics the emulators share: current sources drive it, voltmeters read
it, magnets set the field it feels.  `SimWorld` calls only the methods of :class:`DeviceModel`.

Lab frame: x along the current channel, y in plane, z out of plane.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .physics.observe import evolve_observed
from .physics.thermal import thermal_switching_probability, thermal_switching_ratio

from .physics.constants import KB  # noqa: E402,F401  (the one constants module; re-exported)


@dataclass
class Drive:
    """Everything the bench applies to the device during one interval of constant drive."""

    #: current through the device's current channel (A), sum of all sources on it
    current: float = 0.0
    #: applied magnetic field (T), lab frame
    field: np.ndarray = field(default_factory=lambda: np.zeros(3))
    #: bath temperature (K)
    temperature: float = 300.0
    #: laser power incident on the device (W)
    laser_power: float = 0.0
    #: RF drive frequency (Hz) and power delivered to the device port (dBm): the strongest tone
    #: of :attr:`rf_tones` (kept for single-tone device models)
    rf_frequency: float = 0.0
    rf_power_dbm: float = -math.inf
    #: every RF tone on the device's RF line, after the line's attenuation to this device:
    #: ``(frequency_Hz, power_dBm_at_port, phase_rad)``, sorted by frequency then power
    rf_tones: tuple[tuple[float, float, float], ...] = ()
    #: incoherent lines on the device's RF line (oscillators feeding it: netlist ``emitters``),
    #: ``(centre_Hz, power_dBm_at_port, hwhm_Hz)``: Lorentzian power spectra, not tones
    rf_lines: tuple[tuple[float, float, float], ...] = ()


@runtime_checkable
class DeviceModel(Protocol):
    """What SimWorld needs of a device."""

    #: names of the electrical ports instruments can be wired to
    ports: tuple[str, ...]

    def evolve(self, dt: float, drive: Drive, rng: np.random.Generator) -> None:
        """Advance the (magnetic, thermal) state by ``dt`` seconds under a constant ``drive``."""

    def voltage(self, port: str, drive: Drive) -> float:
        """Noise-free mean voltage (V) at ``port`` for the present state and drive."""

    def resistance(self, port: str) -> float:
        """Two-terminal resistance (ohm) seen at ``port``: Johnson noise and source compliance."""

    def state(self) -> dict[str, Any]:
        """A small dict describing the state (e.g. ``{"mz": 1.0}``), for logs and tests."""

    # optional: ``evolve_schedule(dts, drives, rng, observe=None)`` -- :func:`evolve_schedule`
    # optional: ``fixed_resistance_ports``: ports whose resistance does not depend on the
    # device's state (a source's compliance there can be decided ahead of a batched schedule)


_FACTORIES: dict[str, str] = {}


def evolve_schedule(device: DeviceModel, dts, drives, rng: np.random.Generator, observe=None):
    """Evolve ``device`` over consecutive intervals: ``dts[k]`` seconds of constant
    ``drives[k]``, in one call.  A device may implement ``evolve_schedule(dts, drives, rng,
    observe=None)`` itself (a tight loop, memoized steps); it must equal the per-interval loop
    ``for dt, d in zip(dts, drives): device.evolve(dt, d, rng)`` bit for bit (state and random
    stream), which is the definition used for devices that do not (:func:`evolve_observed`).

    ``observe``: ``(port, intervals)`` -- for each interval index in ``intervals`` (ascending)
    the port's noise-free voltage at the start and at the end of the interval under its drive,
    and its resistance at the end (what a voltmeter integrating over that interval sees);
    returned as three lists.  None without ``observe``."""
    own = getattr(device, "evolve_schedule", None)
    if own is not None:
        return own(dts, drives, rng, observe) if observe is not None else own(dts, drives, rng)
    return evolve_observed(device, dts, drives, rng, observe)


def make_device(model: str, params: dict | None = None):
    """Build a device model by name (``sim: device: {model, params}`` in a bench file).

    Names are provided by :mod:`sim_backend.physics.presets` (``make_device``) and fall back to
    the spine models in this module.
    """
    params = dict(params or {})
    try:
        from .physics import presets  # the full physics backend
    except ImportError:  # pragma: no cover - the physics package is always shipped
        presets = None
    if presets is not None and hasattr(presets, "make_device"):
        try:
            return presets.make_device(model, params)
        except KeyError:
            pass
    if model in SPINE_MODELS:
        return SPINE_MODELS[model](**params)
    known = sorted(set(SPINE_MODELS) | set(getattr(presets, "PRESETS", {}) or {}))
    raise KeyError(f"unknown device model {model!r}; known models: {', '.join(known)}")


class SotHallBarSpine:
    """Perpendicular SOT Hall bar as a thermally activated effective-field (domain-nucleation) model.

    The damping-like spin-orbit torque of the channel current J acts, once an in-plane field
    Hx breaks the symmetry, as an effective out-of-plane field (domain-wall picture,
    Pai et al., PRB 93, 144409 (2016)):  B_sot = chi * J * s(Bx),  s(Bx) = clip(Bx/B_dmi, -1, 1).
    For the present state m = +-1, the reduced opposing field is
    h = -m (Bz + B_sot) / Bc(Bx)  with  Bc(Bx) = Bc0 (1 - |Bx|/Bk),
    and the Neel-Brown rate over the barrier Delta (1 - h)^n gives the switching probability in
    an interval dt:  P = 1 - exp(-dt / (tau0 exp(Delta (1 - h)^n))), certain switching for h >= 1
    (the laws of :mod:`sim_backend.physics.thermal`).
    So the 0 K critical current is Ic0 = Bc(Bx) / (chi s(Bx)) * w t_HM, and at pulse width t the
    50 % current is Ic0 (1 - (ln(t / (tau0 ln 2)) / Delta)^(1/n)).
    Hall voltage: V_H = I (R_AHE m_z + R_offset), m_z = m sqrt(1 - (Bx/Bk)^2) (coherent tilt).
    """

    ports = ("channel", "hall", "xx")
    #: every port's resistance is a constant (:func:`sim_backend.schedule.fixed_resistance`)
    fixed_resistance_ports = ports

    def __init__(self, *, width: float = 5e-6, hm_thickness: float = 5e-9,
                 chi: float = 2.0e-13, b_dmi: float = 5e-3, bc0: float = 20e-3, bk: float = 0.5,
                 delta: float = 60.0, tau0: float = 1e-9, n: float = 1.0,
                 r_ahe: float = 2.0, r_offset: float = 0.05, r_xx: float = 1200.0,
                 r_channel: float = 1500.0, r_hall_port: float = 400.0, m0: float = 1.0):
        self.width = width
        self.hm_thickness = hm_thickness
        self.chi = chi  # T per (A/m^2)
        self.b_dmi = b_dmi
        self.bc0 = bc0
        self.bk = bk
        self.delta = delta
        self.tau0 = tau0
        self.n = n
        self.r_ahe = r_ahe
        self.r_offset = r_offset
        self.r_xx = r_xx
        self.r_channel = r_channel
        self.r_hall_port = r_hall_port
        self.m = 1.0 if m0 >= 0 else -1.0

    # -- analytic laws (used by tests and by analysis as the model's implied values)
    def current_density(self, current: float) -> float:
        return current / (self.width * self.hm_thickness)

    def critical_current(self, bx: float) -> float:
        """0 K critical current (A) at in-plane field ``bx`` (T)."""
        s = min(abs(bx) / self.b_dmi, 1.0)
        if s == 0:
            return math.inf
        bc = self.bc0 * (1 - abs(bx) / self.bk)
        return bc / (self.chi * s) * self.width * self.hm_thickness

    def switching_current_50(self, bx: float, width: float) -> float:
        """Current (A) switching with probability 1/2 in one pulse of ``width`` seconds."""
        return self.critical_current(bx) * float(thermal_switching_ratio(width, self.delta, self.tau0, self.n))

    # -- DeviceModel
    def _reduced_field(self, drive: Drive) -> tuple[float, float]:
        bx, bz = float(drive.field[0]), float(drive.field[2])
        s = max(-1.0, min(bx / self.b_dmi, 1.0))
        b_sot = self.chi * self.current_density(drive.current) * s
        bc = self.bc0 * max(1 - abs(bx) / self.bk, 1e-6)
        return -self.m * (bz + b_sot) / bc, bx

    def evolve(self, dt: float, drive: Drive, rng: np.random.Generator) -> None:
        if dt <= 0:
            return
        h, _ = self._reduced_field(drive)
        if h >= 1.0:
            self.m = -self.m
            return
        delta = self.delta * (300.0 / max(drive.temperature, 1e-3))
        if delta * (1.0 - h) ** self.n > 700:   # no escape within the age of the universe
            return
        p = float(thermal_switching_probability(dt, h, delta, self.tau0, self.n))
        if rng.random() < p:
            self.m = -self.m

    def mz(self, drive: Drive) -> float:
        bx = float(drive.field[0])
        tilt = min(abs(bx) / self.bk, 1.0)
        return self.m * math.sqrt(1 - tilt * tilt)

    def voltage(self, port: str, drive: Drive) -> float:
        i = drive.current
        if port == "hall":
            return i * (self.r_ahe * self.mz(drive) + self.r_offset)
        if port == "xx":
            return i * self.r_xx
        if port == "channel":
            return i * self.r_channel
        raise KeyError(f"device has no port {port!r}; ports: {', '.join(self.ports)}")

    def resistance(self, port: str) -> float:
        return {"hall": self.r_hall_port, "xx": self.r_xx, "channel": self.r_channel}[port]

    def state(self) -> dict[str, Any]:
        return {"m": self.m}


SPINE_MODELS: dict[str, type] = {"sot_hallbar_spine": SotHallBarSpine}
