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

from .capabilities import GaussmeterCapabilities, Span
from .driver_base import Driver, parse_float_reply
from .limits import LimitError

__all__ = ["LakeShore425", "OverRangeError"]


class OverRangeError(RuntimeError):
    """The 425 answered ``OL``: the field exceeds the present range."""

MU0 = 4e-7 * math.pi
#: UNIT code -> (name, factor to tesla)
UNITS = {1: ("G", 1e-4), 2: ("T", 1.0), 3: ("Oe", 1e-4), 4: ("A/m", MU0)}
#: probe TYPE? code -> full scales in T of RANGE 1..4 (manual, "RANGE" and "TYPE?"):
#: 40 high sensitivity (35 G .. 35 kG), 41 high stability (350 G .. 350 kG),
#: 42 ultra-high sensitivity (0.35 G .. 350 G); 50..52 are the same probes on user cables
PROBE_RANGES = {
    40: (3.5e-3, 3.5e-2, 0.35, 3.5),
    41: (3.5e-2, 0.35, 3.5, 35.0),
    42: (3.5e-5, 3.5e-4, 3.5e-3, 3.5e-2),
}


class LakeShore425(Driver):
    """Lake Shore 425 Hall gaussmeter."""

    driver_name = "lakeshore_425"
    #: no error queue: a rejected command sets the CME/EXE bits of *ESR? (manual 6.2.5)
    ERROR_QUERY = None
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
        self._ranges: tuple[float, ...] | None = None

    @classmethod
    def capabilities(cls, role, name, limits, options):
        """Largest field of the widest probe range (35 T, HSE probe); the probe type is read
        from the instrument (``TYPE?``) once it is open."""
        from .roles import Gaussmeter

        if role is not Gaussmeter:
            return super().capabilities(role, name, limits, options)
        top = max(max(r) for r in PROBE_RANGES.values())
        return GaussmeterCapabilities(name, cls.driver_name,
                                      Span(-top, top, "T", "425 probe ranges"))

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

    def _probe_ranges(self) -> tuple[float, ...]:
        """Full scales (T) of RANGE 1..4 for the attached probe (``TYPE?`` once)."""
        if self._ranges is None:
            code = int(self._ask_float("TYPE?"))
            code = code - 10 if code >= 50 else code
            if code not in PROBE_RANGES:
                raise ValueError(f"{self.name}: TYPE? returned an unknown probe type {code}")
            self._ranges = PROBE_RANGES[code]
        return self._ranges

    # ---- Gaussmeter ---------------------------------------------------------------------------
    def read_field(self) -> float:
        """[first use: ``UNIT?``], ``RDGFIELD?`` -> T"""
        with self.lock:
            factor = UNITS[self._unit()][1]
            reply = self._ask("RDGFIELD?")
            if reply.strip().upper() == "OL":
                raise OverRangeError(f"{self.name}: field over range (RDGFIELD? answered OL): "
                                     f"the field exceeds the present range; select a larger "
                                     f"range (RANGE, manual 6.4; the switching protocols' "
                                     f"parameter gaussmeter_range) or autorange (AUTO 1)")
            return parse_float_reply(reply, self.name, "RDGFIELD?") * factor

    def set_unit(self, unit: str) -> None:
        """``UNIT <n>`` for unit in G, T, Oe, A/m."""
        codes = {name: code for code, (name, _) in UNITS.items()}
        if unit not in codes:
            raise LimitError(f"{self.name}: unit {unit!r} not one of {', '.join(codes)}")
        with self.lock:
            self._write(f"UNIT {codes[unit]}")
            self._unit_code = codes[unit]

    def ranges(self) -> tuple[float, ...]:
        """[``TYPE?`` once] full scales (T) of RANGE 1..4 of the attached probe."""
        with self.lock:
            return tuple(self._probe_ranges())

    def set_range(self, full_scale_T: float) -> None:
        """[``TYPE?`` once], ``RANGE <n>``: one of the probe's full scales (for the high-
        sensitivity probe 3.5 mT, 35 mT, 0.35 T, 3.5 T), never rounded to the nearest."""
        with self.lock:
            ranges = self._probe_ranges()
            for code, fs in enumerate(ranges, start=1):
                if abs(float(full_scale_T) - fs) <= 1e-9 * fs:
                    self._write(f"RANGE {code}")
                    return
        raise LimitError(f"{self.name}: range {full_scale_T:g} T is not a range of this probe; "
                         f"allowed: {', '.join(f'{v:g} T' for v in ranges)}")

    def auto_range(self, enabled: bool = True) -> None:
        """``AUTO 1`` / ``AUTO 0`` (manual: ``AUTO <off/on>``; pymeasure's bare ``AUTO``
        omits the required argument)."""
        self._write(f"AUTO {int(bool(enabled))}")

    # ---- bench life cycle ----------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            code = int(self._ask_float("UNIT?"))
            self._unit_code = code if code in UNITS else None
            rng = int(self._ask_float("RANGE?"))
            ranges = self._probe_ranges()
            return {
                "idn": self.identify(),
                "unit": UNITS.get(code, ("?", math.nan))[0],
                "range_T": ranges[rng - 1] if 1 <= rng <= len(ranges) else math.nan,
                "auto_range": self._ask("AUTO?") in ("1", "+1"),
                "mode": self._ask("RDGMODE?"),
                "field_T": self.read_field(),
                "axis": self.axis,
            }
