"""What instruments read at a terminal of the simulated world: noise-free voltages and
resistances of a device port, a series line (the sum) or a parallel line (Millman), emitted
RF power, and integrations with Johnson noise (a voltmeter's aperture, a digitiser's record).
A mixin of :class:`sim_backend.world.SimWorld` (it reads the world's devices, netlist and clock).
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from .devices import Drive
from .netlist import Terminal
from .physics.constants import KB
from .physics.rf import lorentzian_psd


class TerminalReadout:
    """Readout methods of :class:`~sim_backend.world.SimWorld`."""

    def port_voltage(self, port: str, drive: Drive | None = None) -> float:
        """Noise-free voltage at terminal ``port``: a device port's voltage under ``drive``
        (default: its present one); a series line's sum; a parallel line's Millman voltage.
        On a line, ``drive`` gives the line current (``drive.current``)."""
        if self._banked or self._lag:
            self._settle_port(port)
        term = self.terminal(port)
        if term.connection == "single":
            dev, p = term.members[0]
            return self._devices[dev].voltage(p, self._drive_of(dev) if drive is None else drive)
        drives = self._line_drives(term, None if drive is None else drive.current)
        volts = [self._devices[d].voltage(p, dr) for (d, p), dr in zip(term.members, drives)]
        if term.connection == "series":
            return math.fsum(volts)
        g = [1.0 / self._devices[d].resistance(p) for d, p in term.members]
        return math.fsum(gk * vk for gk, vk in zip(g, volts)) / math.fsum(g)

    def _line_drives(self, term: Terminal, current: float | None) -> list[Drive]:
        """Each member's drive; with ``current``, the line current replaces theirs (split by
        conductance on a parallel line)."""
        drives = [self._drive_of(d) for d, _ in term.members]
        if current is None:
            return drives
        if term.connection == "parallel":
            g = [1.0 / self._devices[d].resistance(p) for d, p in term.members]
            gs = sum(g)
            return [replace(dr, current=current * gk / gs) for dr, gk in zip(drives, g)]
        return [replace(dr, current=current) for dr in drives]

    def port_resistance(self, port: str) -> float:
        """Two-terminal resistance at ``port``: series sum, parallel 1/sum(1/R)."""
        if self._banked or self._lag:
            self._settle_port(port)
        term = self.terminal(port)
        rs = [self._devices[d].resistance(p) for d, p in term.members]
        if term.connection == "parallel":
            return 1.0 / math.fsum(1.0 / r for r in rs)
        return rs[0] if len(rs) == 1 else math.fsum(rs)

    def emission_psd(self, port: str, frequencies: np.ndarray) -> np.ndarray:
        """Power spectral density (W/Hz) the devices deliver from ``port`` into a matched 50 ohm
        load: their own emission (``device.emission_psd``, e.g. a spin-torque oscillator; on a
        line each less its attenuation) plus the available thermal noise power k_B T of a
        resistive source."""
        f = np.asarray(frequencies, dtype=float)
        psd, lines = self.emission(port, f)
        for fc, watts, hw in lines:
            psd = psd + lorentzian_psd(f, watts, fc, hw)
        return psd

    def emission(self, port: str, frequencies: np.ndarray) -> tuple[np.ndarray, list[tuple[float, float, float]]]:
        """What :meth:`emission_psd` sums, in two parts: the continuous density (W/Hz: k_B T and
        the emission of devices that give only a density) on ``frequencies``, and the Lorentzian
        lines of devices that name theirs (``device.emission_lines``), ``(centre [Hz], power
        [W] after the attenuation, HWHM [Hz])``, for a receiver that filters them exactly (a
        line far narrower than the receiver's grid would be lost between its points)."""
        if self._banked or self._lag:
            self._settle()
        f = np.asarray(frequencies, dtype=float)
        psd = np.full(f.shape, KB * self.temperature)
        lines: list[tuple[float, float, float]] = []
        term = self.terminal(port, signal=True)
        for k, (dev, p) in enumerate(term.members):
            device = self._devices[dev]
            loss = term.loss_db[k] if k < len(term.loss_db) else 0.0
            scale = 10.0 ** (-loss / 10.0) if loss else 1.0
            if hasattr(device, "emission_lines"):
                lines += [(fc, watts * scale, hw) for fc, watts, hw in device.emission_lines(p, self._drive_of(dev))]
                continue
            emit = getattr(device, "emission_psd", None)
            if emit is not None:
                psd = psd + np.asarray(emit(p, f, self._drive_of(dev)), dtype=float) * scale
        return psd, lines

    def lines_at(self, name: str) -> tuple[tuple[float, float, float], ...]:
        """The lines the emitters of device ``name``'s lines deliver to it (netlist ``emitters``):
        ``(centre [Hz], 10 log10(P / 1 mW) + gain_db - attenuation [dBm], HWHM [Hz])``, sorted."""
        feeds = self.__dict__.get("_emitter_feeds")
        if feeds is None:       # device -> the lines with emitters it is on; emitters receive none
            emitters = {e for ln in self.lines.values() for e in ln.emitters}
            feeds = self._emitter_feeds = {}
            for ln in self.lines.values():
                if ln.emitters:
                    for d in ln.devices:
                        if d not in emitters:
                            feeds.setdefault(d, []).append(ln)
        out = []
        for ln in feeds.get(name, ()):
            for e in ln.emitters:
                lines = getattr(self._devices[e], "emission_lines", None)     # none: destroyed (open)
                for fc, watts, hw in (lines(ln.emitter_port, self._drive_of(e)) if lines else ()):
                    if watts > 0:
                        out.append((float(fc), 10.0 * math.log10(watts / 1e-3) + ln.gain_db - ln.loss_db(name),
                                    float(hw)))
        return tuple(sorted(out))

    def sample_voltage(self, port: str, dt: float, n: int, bandwidth: float | None = None) -> np.ndarray:
        """``n`` samples of the voltage at ``port``, one every ``dt`` s, advancing the world as it
        goes (a digitiser's record): each sample is the device voltage plus Johnson noise in
        ``bandwidth`` (default the Nyquist band 1/(2 dt))."""
        bw = 1.0 / (2.0 * dt) if bandwidth is None else bandwidth
        sigma = math.sqrt(4 * KB * self.temperature * self.port_resistance(port) * bw)
        out = np.empty(int(n))
        for k in range(int(n)):
            out[k] = self.port_voltage(port)
            self.advance(dt)
        return out + sigma * self.rng.standard_normal(out.shape)

    def measure_voltage(self, port: str, aperture: float, rng: np.random.Generator | None = None) -> float:
        """Integrate the voltage at ``port`` for ``aperture`` s: mean + Johnson noise in
        1/(2 aperture), drawn from ``rng`` (an instrument's own stream; default :attr:`rng`)."""
        aperture = max(float(aperture), 1e-9)
        v0 = self.port_voltage(port)
        self.advance(aperture)
        return self._integrated(port, aperture, v0, rng)

    def measure_voltage_steps(self, port: str, aperture: float, rng: np.random.Generator | None = None):
        """:meth:`measure_voltage` as a timeline action (:mod:`sim_backend.timeline`): yields the
        aperture to wait, returns the reading; the same draws in the same order."""
        aperture = max(float(aperture), 1e-9)
        v0 = self.port_voltage(port)
        yield aperture
        return self._integrated(port, aperture, v0, rng)

    def _integrated(self, port: str, aperture: float, v0: float, rng=None) -> float:
        """The end of an integration that began at ``v0``: mean of both ends + Johnson noise."""
        v1 = self.port_voltage(port)
        r = self.port_resistance(port)
        sigma = math.sqrt(4 * KB * self.temperature * r / (2 * aperture))
        return 0.5 * (v0 + v1) + sigma * (self.rng if rng is None else rng).standard_normal()
