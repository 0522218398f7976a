"""The largest outputs a simulated bench ever applied: the record safety tests assert on.

:class:`SimWorld` updates one :class:`Extremes` wherever an instrument changes a physical
output (a current source's level, including the levels of buffered list sweeps; a magnet
supply's set point; a laser's power; an RF tone's power; a lock-in's sine output, as its peak
current). Magnitudes only; the voltage is the terminal voltage I R of the current source into
its load at the moment it was applied, the field the magnitude a coil reaches at its set point
(a supply slews towards it and never past it, and cannot drive more than its voltage limit
over the coil's resistance).  Besides the bench-wide maxima, :attr:`Extremes.each` keeps every
output's own maximum (source address, coil, laser, RF source), to hold each against its own
instrument's limits.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from dataclasses import field as _field


@dataclass
class Extremes:
    """Running maxima of what the bench applied (see the module docstring)."""

    current: float = 0.0            #: A, any source into any terminal
    voltage: float = 0.0            #: V, I R at a current source's terminals
    field: float = 0.0              #: T, magnitude of one coil's field at its set point
    coil_current: float = 0.0       #: A, any magnet supply
    laser_power: float = 0.0        #: W, any laser
    rf_power_dbm: float = -math.inf  #: dBm, any RF tone at its source's output
    #: the instrument (source name) behind each maximum
    by: dict[str, str] = _field(default_factory=dict)
    #: (quantity, output name) -> that output's own maximum ("current", "voltage", "field",
    #: "coil_current", "laser_power", "rf_power_dbm")
    each: dict[tuple[str, str], float] = _field(default_factory=dict)

    def _each(self, what: str, name: str, value: float) -> None:
        key = (what, name)
        if value > self.each.get(key, -math.inf):
            self.each[key] = value

    def source(self, name: str, amps: float, ohms: float) -> None:
        a = abs(amps)
        self._each("current", name, a)
        self._each("voltage", name, a * ohms)
        if a > self.current:
            self.current, self.by["current"] = a, name
        v = a * ohms
        if v > self.voltage:
            self.voltage, self.by["voltage"] = v, name

    def coil(self, name: str, amps: float, tesla_per_amp: float) -> None:
        a = abs(amps)
        self._each("coil_current", name, a)
        self._each("field", name, a * abs(tesla_per_amp))
        if a > self.coil_current:
            self.coil_current, self.by["coil_current"] = a, name
        b = a * abs(tesla_per_amp)
        if b > self.field:
            self.field, self.by["field"] = b, name

    def laser(self, name: str, watts: float) -> None:
        self._each("laser_power", name, watts)
        if watts > self.laser_power:
            self.laser_power, self.by["laser_power"] = watts, name

    def rf(self, name: str, dbm: float) -> None:
        self._each("rf_power_dbm", name, dbm)
        if dbm > self.rf_power_dbm:
            self.rf_power_dbm, self.by["rf_power_dbm"] = dbm, name

    def as_dict(self) -> dict[str, float]:
        return {"current": self.current, "voltage": self.voltage, "field": self.field,
                "coil_current": self.coil_current, "laser_power": self.laser_power,
                "rf_power_dbm": self.rf_power_dbm}
