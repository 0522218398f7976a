"""Spin-torque-oscillator emission spectra: analyzer traces vs DC bias current (x field).

The junction's RF port (the bias tee's AC side) feeds the spectrum analyzer; a current source
(role ``current_source``) or a source meter (``source_meter``) biases the junction through the
DC side.  One runner step is one (field, current): the field is
set, the bias current applied, one trace taken (the analyzer's RMS averaging of ``averages``
sweeps, average detector: noise-like lines read their true power).  Every trace point is one
row (current, field, frequency, power in dBm in the RBW), so nothing depends on the trace length
at declaration time.

With a voltmeter on the junction (or the source meter's own voltage reading), each step also records the junction's DC voltage (R(I) = V/I,
the oscillator's orbit-mean resistance above threshold), and a first step records a resistance
loop along the field axis at a small probe current (``loop_field`` > 0): +loop_field -> -loop_field
-> +loop_field in ``loop_points`` steps per branch.  The loop gives the resistances of the two
easy-axis states and the free layer's reversal field; with the reference layer's direction
(``reference_angle_deg``, the stack's pinning direction: an input of the analysis, sent to no
instrument) the analysis turns them into the junction's readout law.  The loop ends at
+loop_field, so the spectra start from the +x state.

Fits (threshold from the inverse power below threshold, tunability df/dI, power and linewidth
vs current, the oscillator's normalized power p) live in ``analysis.sto`` / ``analysis.sto_power``.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import math

from spinbench.instruments.roles import CurrentSource, FieldController, SourceMeter, SpectrumAnalyzer, Voltmeter
from spinbench.protocols.base import (BenchLike, CheckError, Column, MeasurementProtocol, Param, Roles,
                                     optional)

__all__ = ["EmissionSpectra", "EmissionStep"]


#: ``EmissionStep.stage`` values
SPECTRUM, LOOP = 0, 1


class EmissionStep(NamedTuple):
    field: float
    current: float
    stage: int = SPECTRUM     #: SPECTRUM: one trace; LOOP: the whole resistance loop


class EmissionSpectra(MeasurementProtocol):
    """Analyzer traces of the junction's emission vs bias current (and field)."""

    name = "emission-spectra"
    description = "STO emission: spectrum-analyzer traces vs DC bias current (x field)"
    roles = {"spectrum_analyzer": SpectrumAnalyzer, "field_x": FieldController,
             "current_source": optional(CurrentSource), "source_meter": optional(SourceMeter),
             "voltmeter": optional(Voltmeter)}
    params = (
        Param("currents", "A", default=(0.1e-3, 0.2e-3, 0.3e-3, 0.4e-3), bounds=(-1.0, 1.0), sequence=True,
              doc="DC bias currents"),
        Param("fields", "T", default=(0.05,), bounds=(-10.0, 10.0), sequence=True, doc="fields along x"),
        Param("center", "Hz", default=4.25e9, bounds=(0.0, 1e12), doc="analyzer center frequency"),
        Param("span", "Hz", default=6e9, bounds=(10.0, 1e12), doc="analyzer span"),
        Param("rbw", "Hz", default=3e6, bounds=(1.0, 1e8), doc="resolution bandwidth"),
        Param("points", "", int, default=1001, bounds=(2, 40001), doc="trace points"),
        Param("averages", "", int, default=20, bounds=(1, 10000), doc="RMS-averaged sweeps per trace"),
        Param("loop_field", "T", default=0.06, bounds=(0.0, 10.0),
              doc="resistance loop +B -> -B -> +B before the spectra (needs a voltmeter; 0: no loop)"),
        Param("loop_points", "", int, default=41, bounds=(3, 2001), doc="loop fields per branch"),
        Param("probe_current", "A", default=20e-6, bounds=(-1.0, 1.0), doc="bias current during the loop"),
        Param("reference_angle_deg", "", default=150.0, bounds=(-180.0, 180.0),
              doc="reference-layer direction in the plane from +field axis, deg (analysis input)"),
    )
    columns = (
        Column("field", "T", doc="set field"),
        Column("current", "A", doc="DC bias current"),
        Column("frequency", "Hz", doc="trace frequency"),
        Column("power", "dBm", doc="power in the RBW (average detector, RMS averaging)"),
        Column("rbw", "Hz", doc="resolution bandwidth"),
        Column("voltage", "V", doc="junction DC voltage (voltmeter; NaN without one)"),
        Column("stage", "", "i8", doc="0: spectrum point, 1: resistance-loop point (no trace)"),
    )

    @staticmethod
    def bias_role(roles) -> str:
        """The role that biases the junction: ``current_source``, else ``source_meter``."""
        if "current_source" in roles:
            return "current_source"
        if "source_meter" in roles:
            return "source_meter"
        raise CheckError(f"emission-spectra needs a bias: role current_source or source_meter "
                         f"(bench roles: {', '.join(sorted(roles)) or 'none'})")

    def check(self, params: Mapping[str, Any], bench: BenchLike) -> None:
        bias = self.bias_role(bench.roles)
        for i in params["currents"]:
            self.require_within_limit(bench, bias, "max_current", i, "currents")
        for b in params["fields"]:
            self.require_within_limit(bench, "field_x", "max_field", b, "fields")
        if params["loop_field"] > 0:
            self.require_within_limit(bench, "field_x", "max_field", params["loop_field"], "loop_field")
            self.require_within_limit(bench, bias, "max_current", params["probe_current"], "probe_current")
        if params["span"] < params["rbw"]:
            raise CheckError(f"span = {params['span']:g} Hz is narrower than rbw = {params['rbw']:g} Hz")

    def steps(self, params: Mapping[str, Any]) -> list[EmissionStep]:
        loop = ([EmissionStep(float(params["loop_field"]), float(params["probe_current"]), LOOP)]
                if params["loop_field"] > 0 else [])
        return loop + [EmissionStep(float(b), float(i)) for b in params["fields"] for i in params["currents"]]

    @staticmethod
    def loop_fields(params: Mapping[str, Any]) -> list[float]:
        """The loop's fields: +B -> -B (``loop_points``) then back to +B."""
        b, n = float(params["loop_field"]), int(params["loop_points"])
        down = [b - 2 * b * k / (n - 1) for k in range(n)]
        return down + down[-2::-1]

    def setup(self, roles: Roles, params: Mapping[str, Any]) -> None:
        kwargs = {"averages": params["averages"]} if params["averages"] > 1 else {}
        roles.spectrum_analyzer.configure(params["center"], params["span"], params["rbw"],
                                          params["points"], **kwargs)

    def _bias(self, roles: Roles, current: float) -> None:
        src = roles[self.bias_role(roles)]
        if hasattr(src, "set_current"):
            src.set_current(current)
        else:
            src.source_current(current)
        src.enable()

    def _voltage(self, roles: Roles) -> float:
        """The junction's DC voltage: the voltmeter's, else the source meter's, else NaN."""
        if "voltmeter" in roles:
            return roles.voltmeter.read_voltage()
        if self.bias_role(roles) == "source_meter":
            return roles.source_meter.measure_voltage()
        return math.nan

    def measure(self, roles: Roles, params: Mapping[str, Any], step: EmissionStep) -> list[dict[str, Any]]:
        if step.stage == LOOP:
            rows = []
            self._bias(roles, step.current)
            for b in self.loop_fields(params):
                roles.field_x.set_field(b)
                v = self._voltage(roles)
                rows.append({"field": b, "current": step.current, "frequency": math.nan, "power": math.nan,
                             "rbw": math.nan, "voltage": v, "stage": LOOP})
            return rows
        roles.field_x.set_field(step.field)
        self._bias(roles, step.current)
        v = self._voltage(roles)
        f, p = roles.spectrum_analyzer.read_trace()
        return [{"field": step.field, "current": step.current, "frequency": float(fi), "power": float(pi),
                 "rbw": params["rbw"], "voltage": v, "stage": SPECTRUM} for fi, pi in zip(f, p)]

    def teardown(self, roles: Roles) -> None:
        self._bias(roles, 0.0)
        roles[self.bias_role(roles)].disable()
