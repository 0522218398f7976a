"""Hysteresis loops of a perpendicular Hall bar: against field, and against write-pulse current.

Both read the anomalous Hall resistance with a small current in both polarities after a settle
delay timed by the voltmeter's trigger delay:  R_H = (V(+I_r) - V(-I_r)) / (2 I_r), which
cancels thermoelectric offsets of the leads (the current-reversal technique of the 2182A manual,
section 5 "Delta").

* ``field-loop``: the out-of-plane field B_z swept -B_max -> +B_max -> -B_max.
* ``switching-loop``: write pulses swept -I_max -> +I_max -> -I_max at a fixed in-plane
  assist field B_x (damping-like SOT needs it to break the symmetry), one pulse per point,
  then the read.  The pulse is timed by the current source (a list sweep of the 6221).
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from instruments.roles import CurrentSource, FieldController, Gaussmeter, Voltmeter
from protocols.base import CheckError, Column, MeasurementProtocol, Param, Roles, optional

__all__ = ["FieldLoop", "SwitchingLoop", "loop_values", "read_hall_resistance"]


def loop_values(maximum: float, step: float, loops: int) -> list[tuple[int, int, float]]:
    """Steps ``(loop, branch, value)`` of ``loops`` loops -max -> +max (branch +1) -> -max (-1)."""
    n = int(round(maximum / step))
    if n < 1:
        raise CheckError(f"step {step:g} is larger than the sweep maximum {maximum:g}")
    up = np.linspace(-maximum, maximum, 2 * n + 1)
    out: list[tuple[int, int, float]] = []
    for k in range(loops):
        out += [(k, 1, float(v)) for v in up]
        out += [(k, -1, float(v)) for v in up[::-1]]
    return out


def read_hall_resistance(source: CurrentSource, voltmeter: Voltmeter, read_current: float) -> dict[str, float]:
    """Hall resistance by current reversal: ``(V+ - V-) / (2 I_r)``; leaves the source at -I_r."""
    source.set_current(read_current)
    source.enable()
    v_plus = voltmeter.read_voltage()
    source.set_current(-read_current)
    v_minus = voltmeter.read_voltage()
    return {"v_plus": v_plus, "v_minus": v_minus,
            "hall_resistance": (v_plus - v_minus) / (2.0 * read_current)}


_READ_COLUMNS = (
    Column("hall_resistance", "ohm", doc="(V+ - V-) / (2 I_read)"),
    Column("v_plus", "V", doc="Hall voltage at +I_read"),
    Column("v_minus", "V", doc="Hall voltage at -I_read"),
)
_LOOP_COLUMNS = (
    Column("loop", "", "i8", doc="loop index"),
    Column("branch", "", "i8", doc="+1 sweeping up, -1 sweeping down"),
)
_READ_PARAMS = (
    Param("read_current", "A", default=100e-6, bounds=(1e-9, 10e-3),
          doc="read current (both polarities)"),
    Param("settle", "s", default=1e-3, bounds=(0.0, 60.0),
          doc="voltmeter trigger delay after each current change"),
    Param("integration_time", "s", default=1 / 60, bounds=(1e-4, 1.0),
          doc="voltmeter aperture (1 PLC at 60 Hz)"),
    Param("loops", "", int, default=1, bounds=(1, 1000), doc="number of loops"),
)


class _HallLoop(MeasurementProtocol):
    """Shared parts: read-current setup and checks, the optional gaussmeter, the analysis."""

    sweep_column = ""
    sweep_unit = ""
    title = ""

    def _check_read(self, params: Mapping[str, Any], bench: Any) -> None:
        self.require_within_limit(bench, "current_source", "max_current", params["read_current"], "read_current")

    def _check_field(self, params: Mapping[str, Any], bench: Any, role: str, value: float, param: str) -> None:
        if value == 0:
            return
        if role not in getattr(bench, "roles", {}):
            raise CheckError(f"{param} = {value:g} T needs a field controller in role {role!r}; "
                             f"bench {getattr(bench, 'name', '?')!r} has none")
        self.require_within_limit(bench, role, "max_field", value, param)

    def setup(self, roles: Roles, params: Mapping[str, Any]) -> None:
        roles.voltmeter.set_integration_time(params["integration_time"])
        roles.voltmeter.set_settle_delay(params["settle"])

    def _field_reading(self, roles: Roles) -> float:
        gauss = roles.get("gaussmeter")
        return gauss.read_field() if gauss is not None else float("nan")

    def analyze(self, reader, outdir: Path) -> list[Path]:
        from analysis.switching import analyze_loop, plot_loop

        df = reader.to_dataframe()
        outdir = Path(outdir)
        stem = Path(reader.path).stem if hasattr(reader, "path") else "run"
        result = analyze_loop(df, x=self.sweep_column)
        params = reader.params
        title = self.title.format(**params)
        png = plot_loop(df, outdir / f"{stem}.png", x=self.sweep_column, x_unit=self.sweep_unit,
                        title=title, result=result)
        summary = outdir / f"{stem}_summary.json"
        summary.write_text(json.dumps({"protocol": self.name, "params": params,
                                       "result": result.as_dict(), "unit": self.sweep_unit}, indent=2,
                                      default=float))
        return [png, summary]


class SwitchingLoop(_HallLoop):
    """Hall resistance after each write pulse against the pulse current, at a set in-plane field."""

    name = "switching-loop"
    description = "Hall resistance after each write pulse vs pulse current (SOT switching loop)"
    roles = {"current_source": CurrentSource, "voltmeter": Voltmeter,
             "field_x": optional(FieldController), "gaussmeter": optional(Gaussmeter)}
    params = (
        Param("current_max", "A", default=8e-3, bounds=(1e-6, 0.105), doc="largest write current"),
        Param("current_step", "A", default=100e-6, bounds=(1e-7, 0.1), doc="step of the write current"),
        Param("pulse_width", "s", default=1e-3, bounds=(1e-3, 10.0),
              doc="write pulse width (instrument-timed; 1 ms is the 6221 list sweep minimum)"),
        Param("field_x", "T", default=10e-3, bounds=(-2.0, 2.0), doc="in-plane assist field"),
        *_READ_PARAMS,
    )
    columns = (*_LOOP_COLUMNS, Column("pulse_current", "A", doc="write pulse amplitude"),
               Column("pulse_width", "s", doc="write pulse width"), *_READ_COLUMNS,
               Column("field_measured", "T", doc="gaussmeter reading (NaN without one)"))
    sweep_column = "pulse_current"
    sweep_unit = "A"
    title = "SOT switching loop, B_x = {field_x:.3g} T, {pulse_width:.3g} s pulses"

    def check(self, params: Mapping[str, Any], bench: Any) -> None:
        self.require_within_limit(bench, "current_source", "max_current", params["current_max"], "current_max")
        self._check_read(params, bench)
        self._check_field(params, bench, "field_x", params["field_x"], "field_x")
        if params["current_step"] > params["current_max"]:
            raise CheckError(f"current_step = {params['current_step']:g} A exceeds current_max = "
                             f"{params['current_max']:g} A")

    def steps(self, params: Mapping[str, Any]) -> Sequence[tuple[int, int, float]]:
        return loop_values(params["current_max"], params["current_step"], params["loops"])

    def setup(self, roles: Roles, params: Mapping[str, Any]) -> None:
        super().setup(roles, params)
        if "field_x" in roles:
            roles.field_x.set_field(params["field_x"])

    def measure(self, roles: Roles, params: Mapping[str, Any], step: tuple[int, int, float]) -> dict[str, Any]:
        loop, branch, amps = step
        roles.current_source.pulse(amps, params["pulse_width"], 0.0)
        point = read_hall_resistance(roles.current_source, roles.voltmeter, params["read_current"])
        return {"loop": loop, "branch": branch, "pulse_current": amps, "pulse_width": params["pulse_width"],
                **point, "field_measured": self._field_reading(roles)}


class FieldLoop(_HallLoop):
    """Hall resistance against the out-of-plane field (the magnetic hysteresis loop)."""

    name = "field-loop"
    description = "Hall resistance vs out-of-plane field (anomalous Hall hysteresis loop)"
    roles = {"current_source": CurrentSource, "voltmeter": Voltmeter, "field_z": FieldController,
             "field_x": optional(FieldController), "gaussmeter": optional(Gaussmeter)}
    params = (
        Param("field_max", "T", default=0.1, bounds=(1e-5, 2.0), doc="largest out-of-plane field"),
        Param("field_step", "T", default=1e-3, bounds=(1e-6, 1.0), doc="field step"),
        Param("field_x", "T", default=0.0, bounds=(-2.0, 2.0), doc="in-plane bias field held during the loop"),
        *_READ_PARAMS,
    )
    columns = (*_LOOP_COLUMNS, Column("field_set", "T", doc="out-of-plane field set point"),
               Column("field", "T", doc="out-of-plane field from the supply readback"), *_READ_COLUMNS,
               Column("field_measured", "T", doc="gaussmeter reading (NaN without one)"))
    sweep_column = "field_set"
    sweep_unit = "T"
    title = "Anomalous Hall loop, B_x = {field_x:.3g} T"

    def check(self, params: Mapping[str, Any], bench: Any) -> None:
        self._check_read(params, bench)
        self.require_within_limit(bench, "field_z", "max_field", params["field_max"], "field_max")
        self._check_field(params, bench, "field_x", params["field_x"], "field_x")

    def steps(self, params: Mapping[str, Any]) -> Sequence[tuple[int, int, float]]:
        return loop_values(params["field_max"], params["field_step"], params["loops"])

    def setup(self, roles: Roles, params: Mapping[str, Any]) -> None:
        super().setup(roles, params)
        if "field_x" in roles:
            roles.field_x.set_field(params["field_x"])

    def measure(self, roles: Roles, params: Mapping[str, Any], step: tuple[int, int, float]) -> dict[str, Any]:
        loop, branch, tesla = step
        roles.field_z.set_field(tesla)
        point = read_hall_resistance(roles.current_source, roles.voltmeter, params["read_current"])
        return {"loop": loop, "branch": branch, "field_set": tesla, "field": roles.field_z.field(),
                **point, "field_measured": self._field_reading(roles)}
