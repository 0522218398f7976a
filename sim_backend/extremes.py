"""The largest outputs a simulated bench ever applied: the record safety tests assert on.

:class:`SimWorld` updates one :class:`Extremes` wherever an instrument changes a physical
output (a current source's level, including the levels of buffered list sweeps; a magnet
supply's set point; a laser's power; an RF tone's power). Magnitudes only; the voltage is the
terminal voltage I R of the current source into its load at the moment it was applied, the
field the magnitude a coil reaches at its set point (a supply slews towards it and never past
it, and cannot drive more than its voltage limit over the coil's resistance).
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

    def source(self, name: str, amps: float, ohms: float) -> None:
        a = abs(amps)
        if a > self.current:
            self.current, self.by["current"] = a, name
        v = a * ohms
        if v > self.voltage:
            self.voltage, self.by["voltage"] = v, name

    def coil(self, name: str, amps: float, tesla_per_amp: float) -> None:
        a = abs(amps)
        if a > self.coil_current:
            self.coil_current, self.by["coil_current"] = a, name
        b = a * abs(tesla_per_amp)
        if b > self.field:
            self.field, self.by["field"] = b, name

    def laser(self, name: str, watts: float) -> None:
        if watts > self.laser_power:
            self.laser_power, self.by["laser_power"] = watts, name

    def rf(self, name: str, dbm: float) -> None:
        if dbm > self.rf_power_dbm:
            self.rf_power_dbm, self.by["rf_power_dbm"] = dbm, name

    def as_dict(self) -> dict[str, float]:
        return {"current": self.current, "voltage": self.voltage, "field": self.field,
                "coil_current": self.coil_current, "laser_power": self.laser_power,
                "rf_power_dbm": self.rf_power_dbm}
