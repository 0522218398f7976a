"""Spin-torque-oscillator emission spectra: analyzer traces vs DC bias current (x field).

The junction's RF port (the bias tee's AC side) feeds the spectrum analyzer; the current source
biases the junction through the DC side.  One runner step is one (field, current): the field is
set, the bias current applied, one trace taken (the analyzer's RMS averaging of ``averages``
sweeps, average detector: noise-like lines read their true power).  Every trace point is one
row (current, field, frequency, power in dBm in the RBW), so nothing depends on the trace length
at declaration time.

Fits (threshold from the inverse power below threshold, tunability df/dI, power and linewidth
vs current) live in ``analysis.sto``.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from spinbench.instruments.roles import CurrentSource, FieldController, SpectrumAnalyzer
from spinbench.protocols.base import BenchLike, CheckError, Column, MeasurementProtocol, Param, Roles

__all__ = ["EmissionSpectra", "EmissionStep"]


class EmissionStep(NamedTuple):
    field: float
    current: float


class EmissionSpectra(MeasurementProtocol):
    """Analyzer traces of the junction's emission vs bias current (and field)."""

    name = "emission-spectra"
    description = "STO emission: spectrum-analyzer traces vs DC bias current (x field)"
    roles = {"spectrum_analyzer": SpectrumAnalyzer, "current_source": CurrentSource,
             "field_x": FieldController}
    params = (
        Param("currents", "A", default=(0.1e-3, 0.2e-3, 0.3e-3, 0.4e-3), bounds=(-1.0, 1.0), sequence=True,
              doc="DC bias currents"),
        Param("fields", "T", default=(0.05,), bounds=(-10.0, 10.0), sequence=True, doc="fields along x"),
        Param("center", "Hz", default=4.25e9, bounds=(0.0, 1e12), doc="analyzer center frequency"),
        Param("span", "Hz", default=6e9, bounds=(10.0, 1e12), doc="analyzer span"),
        Param("rbw", "Hz", default=3e6, bounds=(1.0, 1e8), doc="resolution bandwidth"),
        Param("points", "", int, default=1001, bounds=(2, 40001), doc="trace points"),
        Param("averages", "", int, default=20, bounds=(1, 10000), doc="RMS-averaged sweeps per trace"),
    )
    columns = (
        Column("field", "T", doc="set field"),
        Column("current", "A", doc="DC bias current"),
        Column("frequency", "Hz", doc="trace frequency"),
        Column("power", "dBm", doc="power in the RBW (average detector, RMS averaging)"),
        Column("rbw", "Hz", doc="resolution bandwidth"),
    )

    def check(self, params: Mapping[str, Any], bench: BenchLike) -> None:
        for i in params["currents"]:
            self.require_within_limit(bench, "current_source", "max_current", i, "currents")
        for b in params["fields"]:
            self.require_within_limit(bench, "field_x", "max_field", b, "fields")
        if params["span"] < params["rbw"]:
            raise CheckError(f"span = {params['span']:g} Hz is narrower than rbw = {params['rbw']:g} Hz")

    def steps(self, params: Mapping[str, Any]) -> list[EmissionStep]:
        return [EmissionStep(float(b), float(i)) for b in params["fields"] for i in params["currents"]]

    def setup(self, roles: Roles, params: Mapping[str, Any]) -> None:
        kwargs = {"averages": params["averages"]} if params["averages"] > 1 else {}
        roles.spectrum_analyzer.configure(params["center"], params["span"], params["rbw"],
                                          params["points"], **kwargs)

    def measure(self, roles: Roles, params: Mapping[str, Any], step: EmissionStep) -> list[dict[str, Any]]:
        roles.field_x.set_field(step.field)
        src = roles.current_source
        src.set_current(step.current)
        src.enable()
        f, p = roles.spectrum_analyzer.read_trace()
        return [{"field": step.field, "current": step.current, "frequency": float(fi), "power": float(pi),
                 "rbw": params["rbw"]} for fi, pi in zip(f, p)]

    def teardown(self, roles: Roles) -> None:
        roles.current_source.set_current(0.0)
        roles.current_source.disable()
