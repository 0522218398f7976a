"""Lake Shore 425 gaussmeter: :class:`Gaussmeter`.

Built on pymeasure's ``LakeShore425`` (connection and serial settings: 57600 baud, 7 data
bits, odd parity, LF termination).  The 425 speaks Lake Shore's own command set, not SCPI
(Model 425 User's Manual, chapter 6 "Computer Interface Operation"): ``RDGFIELD?`` returns
the field in the present units, ``UNIT <n>`` / ``UNIT?`` with 1 = G, 2 = T, 3 = Oe, 4 = A/m,
``RANGE <n>`` / ``RANGE?``, ``AUTO``, ``RDGMODE?``, ``*IDN?``.

The unit is queried once (``UNIT?``) on the first reading and cached; :meth:`set_unit` keeps
the cache in step.  Readings are converted to tesla (Oe and A/m as mu0*H in vacuum).
"""
from __future__ import annotations

import math
from typing import Any

from pymeasure.instruments.lakeshore import LakeShore425 as _PymeasureLakeShore425

from .driver_base import Driver
from .limits import LimitError

__all__ = ["LakeShore425"]

MU0 = 4e-7 * math.pi
#: UNIT code -> (name, factor to tesla)
UNITS = {1: ("G", 1e-4), 2: ("T", 1.0), 3: ("Oe", 1e-4), 4: ("A/m", MU0)}
#: RANGE code -> full scale in T (high-sensitivity probe: 35 G, 350 G, 3.5 kG, 35 kG)
RANGES = {1: 3.5e-3, 2: 3.5e-2, 3: 0.35, 4: 3.5}


class LakeShore425(Driver):
    """Lake Shore 425 Hall gaussmeter."""

    driver_name = "lakeshore_425"
    shutdown_order = 2
    OPTIONS = {
        "axis": (str, "lab-frame axis of the probe: x, y or z"),
    }
    #: lab-frame axis the probe measures along (option ``axis``)
    axis: str

    def __init__(self, name, inner, limits=None, options=None) -> None:
        super().__init__(name, inner, limits, options)
        self.axis = str(self.options.get("axis", "x"))
        if self.axis not in ("x", "y", "z"):
            raise ValueError(f"{name}: option axis must be x, y or z, got {self.axis!r}")
        self._unit_code: int | None = None

    @classmethod
    def connect(cls, name, address, visa_library, limits, options):
        inner = _PymeasureLakeShore425(address, visa_library=visa_library)
        return cls(name, inner, limits, options)

    def _unit(self) -> int:
        if self._unit_code is None:
            code = int(self._ask_float("UNIT?"))
            if code not in UNITS:
                raise ValueError(f"{self.name}: UNIT? returned {code}, expected 1..4")
            self._unit_code = code
        return self._unit_code

    # ---- Gaussmeter ---------------------------------------------------------------------------
    def read_field(self) -> float:
        """[first use: ``UNIT?``], ``RDGFIELD?`` -> T"""
        with self.lock:
            factor = UNITS[self._unit()][1]
            return self._ask_float("RDGFIELD?") * factor

    def set_unit(self, unit: str) -> None:
        """``UNIT <n>`` for unit in G, T, Oe, A/m."""
        codes = {name: code for code, (name, _) in UNITS.items()}
        if unit not in codes:
            raise LimitError(f"{self.name}: unit {unit!r} not one of {', '.join(codes)}")
        with self.lock:
            self._write(f"UNIT {codes[unit]}")
            self._unit_code = codes[unit]

    def set_range(self, full_scale_T: float) -> None:
        """``RANGE <n>``: one of the probe's full scales (3.5 mT, 35 mT, 0.35 T, 3.5 T),
        never rounded to the nearest."""
        for code, fs in RANGES.items():
            if abs(float(full_scale_T) - fs) <= 1e-9 * fs:
                self._write(f"RANGE {code}")
                return
        raise LimitError(f"{self.name}: range {full_scale_T:g} T is not a 425 range; allowed: "
                         f"{', '.join(f'{v:g} T' for v in RANGES.values())}")

    def auto_range(self) -> None:
        """``AUTO``"""
        self._write("AUTO")

    # ---- bench life cycle ----------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            code = int(self._ask_float("UNIT?"))
            self._unit_code = code if code in UNITS else None
            rng = int(self._ask_float("RANGE?"))
            return {
                "idn": self.identify(),
                "unit": UNITS.get(code, ("?", math.nan))[0],
                "range_T": RANGES.get(rng, math.nan),
                "mode": self._ask("RDGMODE?"),
                "field_T": self.read_field(),
                "axis": self.axis,
            }
