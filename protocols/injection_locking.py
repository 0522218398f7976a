"""Injection locking of a spin-torque oscillator: emission vs injected frequency and power.

The junction is biased above threshold (``source_meter`` through the bias tee's DC side); the RF
source injects a CW tone through the RF side; the spectrum analyzer, on the same RF port, takes a
trace for every (injected power, injected frequency).  Inside the locking band the oscillator's
line sits on the injected frequency (Adler, Proc. IRE 34, 351 (1946); Slavin & Tiberkevich 2009:
half range ``F sqrt(1 + nu^2)/sqrt(p0)``, F proportional to the RF current, so to sqrt(P)).
One runner step is one (power, frequency); each trace point is a row.  The fits (locking range
per power, its power law) live in ``analysis.injection``.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from spinbench.instruments.capabilities import RFSourceCapabilities
from spinbench.instruments.roles import FieldController, RFSource, SourceMeter, SpectrumAnalyzer
from spinbench.protocols.base import BenchLike, CheckError, Column, MeasurementProtocol, Param, Roles

__all__ = ["InjectionLocking", "InjectionStep"]


class InjectionStep(NamedTuple):
    power_dbm: float
    frequency: float


class InjectionLocking(MeasurementProtocol):
    """Analyzer traces of a biased oscillator under an injected tone, vs its frequency and power."""

    name = "injection-locking"
    description = "STO injection locking: emission vs injected tone frequency x power"
    roles = {"spectrum_analyzer": SpectrumAnalyzer, "source_meter": SourceMeter, "rf_source": RFSource,
             "field_x": FieldController}
    params = (
        Param("bias", "A", default=0.38e-3, bounds=(-1.0, 1.0), doc="DC bias (above threshold)"),
        Param("field", "T", default=0.05, bounds=(-10.0, 10.0), doc="field along x"),
        Param("powers_dbm", "dBm", default=(-60.0, -54.0, -48.0), bounds=(-150.0, 40.0), sequence=True,
              doc="injected powers"),
        Param("frequencies", "Hz", default=tuple(3.08e9 + k * 10e6 for k in range(-10, 11)),
              bounds=(1e3, 1e12), sequence=True, doc="injected frequencies"),
        Param("center", "Hz", default=3.08e9, bounds=(0.0, 1e12), doc="analyzer center"),
        Param("span", "Hz", default=400e6, bounds=(10.0, 1e12), doc="analyzer span"),
        Param("rbw", "Hz", default=300e3, bounds=(1.0, 1e8), doc="resolution bandwidth"),
        Param("points", "", int, default=1001, bounds=(2, 40001), doc="trace points"),
    )
    columns = (
        Column("power_dbm", "dBm", doc="injected power"),
        Column("injected", "Hz", doc="injected frequency"),
        Column("frequency", "Hz", doc="trace frequency"),
        Column("power", "dBm", doc="power in the RBW"),
    )

    def check(self, params: Mapping[str, Any], bench: BenchLike) -> None:
        self.require_within_limit(bench, "source_meter", "max_current", params["bias"], "bias")
        self.require_within_limit(bench, "field_x", "max_field", params["field"], "field")
        caps = bench.capabilities("rf_source", RFSource)
        if isinstance(caps, RFSourceCapabilities):
            for p in params["powers_dbm"]:
                caps.power_dbm.require(p, "powers_dbm", caps.about("power"))
            for f in params["frequencies"]:
                caps.frequency.require(f, "frequencies", caps.about("frequency"))
        if params["span"] < params["rbw"]:
            raise CheckError("span narrower than rbw")

    def steps(self, params: Mapping[str, Any]) -> list[InjectionStep]:
        return [InjectionStep(float(p), float(f)) for p in params["powers_dbm"] for f in params["frequencies"]]

    def setup(self, roles: Roles, params: Mapping[str, Any]) -> None:
        roles.spectrum_analyzer.configure(params["center"], params["span"], params["rbw"], params["points"])

    def measure(self, roles: Roles, params: Mapping[str, Any], step: InjectionStep) -> list[dict[str, Any]]:
        roles.field_x.set_field(params["field"])
        roles.source_meter.source_current(params["bias"])
        roles.source_meter.enable()
        src = roles.rf_source
        src.set_power_dbm(step.power_dbm)
        src.set_frequency(step.frequency)
        src.enable()
        f, p = roles.spectrum_analyzer.read_trace()
        return [{"power_dbm": step.power_dbm, "injected": step.frequency, "frequency": float(a), "power": float(b)}
                for a, b in zip(f, p)]

    def teardown(self, roles: Roles) -> None:
        roles.rf_source.disable()
        roles.source_meter.source_current(0.0)
        roles.source_meter.disable()
