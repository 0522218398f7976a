"""Spike statistics of a laser-heated, biased MTJ: long free-running captures vs bias and power.

Oberbauer et al., Commun. Phys. 8 (2025) report spikes in the thermovoltage of biased, heated
junctions (Barkhausen / vortex events).  For every (state, laser power, bias) the laser heats the
junction continuously (CW) and the scope takes ``captures`` free-running records (line trigger:
no selection by the spikes themselves, so counts / time is an unbiased rate).  One step is one
record, stored whole (trace ``capture``) with its DC level; counting, rates and the Arrhenius fit
are the analysis' (:mod:`spinbench.analysis.spikes`, registered for this protocol name).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spinbench.instruments.roles import CurrentSource, FieldController, PulsedLaser, TriggeredScope, Voltmeter
from spinbench.protocols.base import CheckError, Column, Param, Roles, Trace
from spinbench.protocols.thermovoltage import STATE_SIGN, _LaserPulseProtocol

__all__ = ["SpikeStatistics"]


class SpikeStatistics(_LaserPulseProtocol):
    """Free-running scope captures of a CW-heated, biased junction on a (state, power, bias) grid."""

    name = "spike-statistics"
    description = ("spike statistics of a laser-heated MTJ: free-running scope captures vs bias "
                   "and CW laser power (counts, rates, Arrhenius fit in the analysis)")
    roles = {"laser": PulsedLaser, "scope": TriggeredScope, "current_source": CurrentSource,
             "voltmeter": Voltmeter, "field_x": FieldController}
    params = (
        Param("states", "", str, default=("P",), choices=("P", "AP"), sequence=True,
              doc="magnetic states, written by the x magnet"),
        Param("biases", "A", default=(0.3e-3, 0.6e-3, 0.9e-3), bounds=(-0.1, 0.1), sequence=True,
              doc="DC bias currents"),
        Param("powers", "W", default=(0.0, 0.015, 0.03), bounds=(0.0, 10.0), sequence=True,
              doc="CW laser output powers"),
        Param("captures", "", int, default=8, bounds=(1, 100_000), doc="records per point"),
        Param("capture_time", "s", default=2e-3, bounds=(1e-9, 100.0), doc="span of one record"),
        Param("points", "", int, default=10_000, bounds=(100, 100_000), doc="samples per record"),
        Param("volts_per_div", "V", default=1e-3, bounds=(1e-3, 5.0), doc="scope scale around the DC level"),
        Param("scope_channel", "", int, default=1, bounds=(1, 4), doc="scope channel on the junction"),
        Param("state_field", "T", default=0.05, bounds=(0.0, 10.0), doc="field that writes P (+) / AP (-)"),
        Param("junction_kelvin_per_watt", "K/W", default=1200.0, bounds=(0.0, 1e9),
              doc="junction temperature rise per W of CW laser output (thermal model of the "
                  "sample; the thermo-mtj bench: 0.5 x 0.6 x 1000 K/W x 4)"),
        Param("bath_temperature", "K", default=300.0, bounds=(0.0, 2000.0), doc="sample stage temperature"),
    )
    columns = (
        Column("state", "", doc="+1 P, -1 AP"),
        Column("power", "W", doc="CW laser output power"),
        Column("bias", "A", doc="DC bias current"),
        Column("capture", "", "i8", doc="capture index at this point"),
        Column("v_dc", "V", doc="voltmeter reading (scope centre)"),
        Column("duration", "s", doc="time spanned by the record"),
    )

    def __init__(self) -> None:
        self.traces = (Trace("record", "V", "time", "s", 10_000, doc="free-running capture"),)

    def check(self, params: Mapping[str, Any], bench: Any) -> None:
        top = max(abs(b) for b in params["biases"])
        self.require_within_limit(bench, "current_source", "max_current", top, "biases")
        self.require_within_limit(bench, "field_x", "max_field", params["state_field"], "state_field")
        laser = bench.capabilities("laser", PulsedLaser)
        laser.power.require(max(params["powers"]), "powers")
        scope = bench.capabilities("scope", TriggeredScope)
        scope.time_per_div.require(params["capture_time"] / 10, "capture_time / 10")
        scope.volts_per_div.require(params["volts_per_div"], "volts_per_div")
        if params["scope_channel"] not in scope.channels:
            raise CheckError(f"scope_channel = {params['scope_channel']} is not one of {scope.channels}")
        extra = getattr(scope, "extra", {}) or {}
        if "record_points" in extra:
            extra["record_points"].require(params["points"], "points")
        self.traces = (Trace("record", "V", "time", "s", int(params["points"])),)

    def steps(self, params: Mapping[str, Any]) -> list[tuple[str, float, float, int]]:
        return [(s, float(p), float(b), k) for s in params["states"] for p in params["powers"]
                for b in params["biases"] for k in range(params["captures"])]

    def setup(self, roles: Roles, params: Mapping[str, Any]) -> None:
        self.traces = (Trace("record", "V", "time", "s", int(params["points"])),)
        self._state_now = self._power_now = None
        self._bias_on = False
        self._level: dict[tuple, float] = {}
        roles.laser.set_cw()
        roles.laser.set_power(float(params["powers"][0]))
        self._power_now = float(params["powers"][0])
        roles.laser.enable()
        roles.scope.set_record_length(int(params["points"]))
        roles.scope.set_averaging(1)

    def measure(self, roles: Roles, params: Mapping[str, Any], step: tuple[str, float, float, int]) -> dict[str, Any]:
        state, power, bias, k = step
        self._set_state(roles, params, state)
        self._set_laser(roles, power)
        self._set_bias(roles, bias)
        v_dc = roles.voltmeter.read_voltage()
        ch = params["scope_channel"]
        tdiv = params["capture_time"] / 10
        # centred a little below the DC level: the spikes go up
        roles.scope.configure(ch, params["volts_per_div"], tdiv, 0.0, offset_V=v_dc + 2 * params["volts_per_div"],
                              trigger_source="line", position_s=0.0)
        roles.scope.acquire((ch,))
        t, v = roles.scope.read_waveform(ch)
        return {"state": STATE_SIGN[state], "power": power, "bias": bias, "capture": k, "v_dc": v_dc,
                "duration": float(t[-1] - t[0] + (t[1] - t[0])), "record": (t - t[0], v)}
