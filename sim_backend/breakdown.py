"""A device destroyed by over-voltage: an open circuit from then on, whatever its model.

A nanodevice fails when the voltage across it exceeds what its weakest part stands: the MgO
barrier of a tunnel junction breaks down at ~1-1.5 V (Ikeda et al.; the presets'
``v_breakdown``), a Hall bar's thin heavy-metal channel fuses under the Joule heat of a large
bias.  Both end as an open circuit in the bond pads' view: no current flows any more, a
current source goes to its compliance voltage and every voltmeter reads only noise.  The
damage is permanent (no later drive undoes it).

:class:`SimWorld` keeps one breakdown voltage per device (``SimWorld.breakdown``; default the
device's own ``v_breakdown`` parameter when its preset has one, else none; the bench file's
``sim.faults`` sets or overrides it, :func:`breakdown_voltages`) and, whenever a source level
is applied (``set_source``, ``set_ac_source``, ``source_schedule``), compares |I| R across each
device on the source's terminal with it (:func:`device_voltages`); a device over its
breakdown voltage is replaced by an :class:`OpenCircuit`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["R_OPEN", "OpenCircuit", "breakdown_voltages", "device_voltages", "preset_breakdown"]

#: resistance of a destroyed device (ohm): the leakage of the sample holder and wiring
R_OPEN = 1e12


class OpenCircuit:
    """What is left of a device after breakdown: every port open (``R_OPEN``); the drive port
    carries at most the current a source can push through ``R_OPEN`` (V = I R_OPEN, i.e. the
    source's compliance), the other ports read 0 V (no current flows in the device)."""

    def __init__(self, original: Any, voltage: float) -> None:
        #: the device model before breakdown (for post-mortems in tests)
        self.original = original
        #: the voltage (V) that destroyed it
        self.voltage_at_breakdown = float(voltage)
        self.ports = tuple(original.ports)
        self.drive_port = getattr(original, "drive_port", "channel")

    def evolve(self, dt: float, drive: Any, rng: np.random.Generator) -> None:
        """Nothing left to evolve that any instrument can see."""

    def voltage(self, port: str, drive: Any) -> float:
        if port not in self.ports:
            raise KeyError(f"device has no port {port!r}; ports: {', '.join(self.ports)}")
        return float(drive.current) * R_OPEN if port == self.drive_port else 0.0

    def resistance(self, port: str) -> float:
        return R_OPEN

    def state(self) -> dict[str, Any]:
        return {"destroyed": True, "breakdown_voltage": self.voltage_at_breakdown}


def preset_breakdown(device: Any) -> float | None:
    """The device's own breakdown voltage (V): ``device.p.v_breakdown`` or
    ``device.v_breakdown`` when its model has one, else ``None`` (no breakdown)."""
    for holder in (getattr(device, "p", None), device):
        v = getattr(holder, "v_breakdown", None)
        if isinstance(v, (int, float)) and v > 0:
            return float(v)
    return None


def breakdown_voltages(devices: dict[str, Any], faults: list[dict[str, Any]] | None = None,
                       where: str = "sim.faults") -> dict[str, float]:
    """Device name -> breakdown voltage (V): each device's preset value, overridden by the
    ``{device: NAME, kind: breakdown, voltage: V[, spread: s, seed: n]}`` entries of a bench
    file's ``sim.faults`` (``spread``: relative standard deviation of a device-to-device
    scatter, drawn from ``seed``; the drawn voltage is kept positive)."""
    out = {name: v for name, dev in devices.items() if (v := preset_breakdown(dev)) is not None}
    for i, entry in enumerate(faults or []):
        spec = dict(entry)
        name = str(spec.pop("device", ""))
        if name not in devices:
            raise ValueError(f"{where}[{i}]: device {name!r} unknown; devices: {', '.join(devices)}")
        spec.pop("kind", None)
        unknown = set(spec) - {"voltage", "spread", "seed"}
        if unknown:
            raise ValueError(f"{where}[{i}]: unknown key(s) {', '.join(sorted(unknown))} for kind "
                             f"breakdown; allowed: device, voltage, spread, seed")
        try:
            volts = float(spec.get("voltage", out.get(name, 0.0)))
            spread = float(spec.get("spread", 0.0))
            seed = int(spec.get("seed", 0))
        except (TypeError, ValueError):
            raise ValueError(f"{where}[{i}]: voltage, spread must be numbers, seed an integer") from None
        if not volts > 0:
            raise ValueError(f"{where}[{i}]: voltage = {volts}: a breakdown voltage > 0 V is needed")
        if not 0 <= spread < 1:
            raise ValueError(f"{where}[{i}]: spread = {spread}: allowed [0, 1)")
        if spread:
            volts *= max(1.0 + spread * float(np.random.default_rng(seed).standard_normal()), 0.05)
        out[name] = volts
    return out


def device_voltages(term: Any, amps: float, resistance: Any) -> list[tuple[str, float]]:
    """(device, |V|) across each member of terminal ``term`` carrying ``amps`` in total:
    the full current through each device of a series line (or the single device), the
    conductance share of it on a parallel line (the same voltage across every member).
    ``resistance(device, port)`` gives a member's resistance."""
    rs = [resistance(d, p) for d, p in term.members]
    if term.connection == "parallel":
        r_par = 1.0 / sum(1.0 / r for r in rs)
        return [(d, abs(amps) * r_par) for d, _ in term.members]
    return [(d, abs(amps) * r) for (d, _), r in zip(term.members, rs)]
