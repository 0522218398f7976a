"""Laser-pulse thermovoltage of a magnetic tunnel junction: state x bias current x laser power.

The hybrid opto-electrical measurement of Oberbauer et al., Commun. Phys. 8 (2025): a pulsed
laser heats the junction while a DC bias flows; an oscilloscope triggered on the laser's
modulation captures the averaged voltage transient V(t) and a lock-in referenced to the same
modulation reads the AC thermovoltage.  For every (magnetic state, laser power, bias) one step:

1. the state is written by the ``field_x`` magnet when it changes (``set_field`` to
   +-``state_field`` and back to zero; P at +field, reference layer along +x);
2. the bias is applied; the DC voltage read by the ``voltmeter`` centres a coarse, single
   scope record, which sizes the fine record (scale and offset: the 8-bit ADC then spans the
   transient), then ``averages`` records are averaged by the scope;
3. ``v_laser`` = mean over the last ``plateau_fraction`` of the pulse minus the pre-trigger mean
   (the dark voltage ``I R``); the lock-in's X, Y at the modulation frequency after settling.

Every point keeps its whole transient (trace ``transient``, the dark level subtracted).  The
analysis (registered for this protocol name in :mod:`spinbench.analysis.thermovoltage`) fits the
Seebeck coefficients, the bias coefficients and the thermal time constants; the protocol imports
no analysis.

The temperature difference per watt across the barrier is not measurable electrically: like the
experiments (a thermal model of the stack), the run records the user's calibration
``delta_t_per_watt`` (K per W of laser output), which the analysis uses to turn volts into V/K.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from spinbench.instruments.roles import (CurrentSource, FieldController, LaserModulator, ModulatedLaser,
                                         PulsedLaser, ReferencedLockIn, TriggeredScope, Voltmeter)
from spinbench.protocols.base import CheckError, Column, MeasurementProtocol, Param, Roles, Trace, optional

__all__ = ["ThermovoltageMap", "bias_grid", "STATE_SIGN"]

#: magnetic state -> sign of the field that writes it (reference layer along +x)
STATE_SIGN = {"P": 1.0, "AP": -1.0}


def bias_grid(bias_max: float, n_bias: int) -> list[float]:
    """``n_bias`` currents from -bias_max to +bias_max (A)."""
    return [float(v) for v in np.linspace(-bias_max, bias_max, n_bias)]


def laser_checks(params: Mapping[str, Any], bench: Any, powers) -> None:
    """Laser power, pulse period/width, pulse energy and duty cycle against what the bench's
    pulsed laser can and may do (its capabilities: instrument ranges and bench limits), before
    anything opens."""
    width, period = params["pulse_width"], params["pulse_period"]
    if width >= period:
        raise CheckError(f"pulse_width = {width:g} s must be below pulse_period = {period:g} s")
    caps = bench.capabilities("laser", PulsedLaser)
    top = max(powers)
    caps.power.require(top, "powers")
    generator = params.get("modulator", "laser") == "generator"
    if generator and "laser_modulator" not in bench.roles:
        raise CheckError("modulator = 'generator' needs a 'laser_modulator' role on the bench (a "
                         "function generator cabled to the laser's MOD IN); this bench has none")
    if caps.pulse_period is not None and not generator:    # the generator times the pulses
        caps.pulse_period.require(period, "pulse_period")
        caps.pulse_width.require(width, "pulse_width")
    if top * width > caps.max_pulse_energy:
        raise CheckError(f"pulse energy = {top:g} W x {width:g} s = {top * width:.3g} J exceeds the "
                         f"bench limit laser.max_pulse_energy = {caps.max_pulse_energy:.3g} J")
    if width / period > caps.max_duty_cycle:
        raise CheckError(f"duty cycle = pulse_width / pulse_period = {width / period:.3g} exceeds the "
                         f"bench limit laser.max_duty_cycle = {caps.max_duty_cycle:.3g}")


def scope_checks(params: Mapping[str, Any], bench: Any, span: float) -> None:
    """The record (span over 10 divisions, points, averages) against the bench's scope."""
    caps = bench.capabilities("scope", TriggeredScope)
    caps.time_per_div.require(span / 10.0, "record span / 10 (pre_trigger + pulse_width + post_pulse)")
    caps.volts_per_div.require(params["coarse_volts_per_div"], "coarse_volts_per_div")
    if params["scope_channel"] not in caps.channels:
        raise CheckError(f"scope_channel = {params['scope_channel']} is not one of the scope's "
                         f"channels {caps.channels}")
    extra = getattr(caps, "extra", {}) or {}
    if "record_points" in extra:
        extra["record_points"].require(params["points"], "points")
    if "averages" in extra:
        extra["averages"].require(params["averages"], "averages")


class _LaserPulseProtocol(MeasurementProtocol):
    """Shared: states by field, pulsed laser on, scope on its trigger, bias per step."""

    def _set_state(self, roles: Roles, params: Mapping[str, Any], state: str) -> None:
        if state == getattr(self, "_state_now", None):
            return
        field = roles.field_x
        field.set_field(STATE_SIGN[state] * params["state_field"])
        field.set_field(0.0)
        self._state_now = state

    def _set_laser(self, roles: Roles, power: float) -> None:
        if power != getattr(self, "_power_now", None):
            roles.laser.set_power(power)
            self._power_now = power

    def _set_bias(self, roles: Roles, bias: float) -> None:
        roles.current_source.set_current(bias)
        if not getattr(self, "_bias_on", False):
            roles.current_source.enable()
            self._bias_on = True

    def _laser_setup(self, roles: Roles, params: Mapping[str, Any], first_power: float) -> None:
        """The laser's own QCW pulses, or (``modulator`` = 'generator') the ``laser_modulator``'s
        pulse train on its MOD IN: the generator is programmed first (its timing and level are
        refused before anything is sent), then the laser gated by it and enabled."""
        self._state_now = self._power_now = None
        self._bias_on = False
        laser = roles.laser
        laser.set_power(first_power)
        self._power_now = first_power
        if params.get("modulator", "laser") == "generator":
            if not isinstance(laser, ModulatedLaser):
                raise CheckError(f"modulator = 'generator': the laser {getattr(laser, 'name', '')!r} "
                                 "has no external modulation input in its driver")
            roles.laser_modulator.modulation_train(params["pulse_period"], params["pulse_width"],
                                                   params["modulation_high"])
            laser.set_external_modulation()
        else:
            laser.set_pulsed(params["pulse_period"], params["pulse_width"])
        laser.enable()

    def teardown(self, roles: Roles) -> None:
        roles.laser.disable()
        modulator = roles.get("laser_modulator")
        if modulator is not None:
            modulator.disable()
        roles.current_source.disable()


class ThermovoltageMap(_LaserPulseProtocol):
    """Scope transients and lock-in values on a (state, laser power, bias) grid."""

    name = "thermovoltage-map"
    description = ("laser-pulse thermovoltage of an MTJ: magnetic state x bias x laser power, "
                   "averaged scope transients and lock-in X/Y at the modulation frequency")
    roles = {"laser": PulsedLaser, "scope": TriggeredScope, "current_source": CurrentSource,
             "voltmeter": Voltmeter, "field_x": FieldController, "lock_in": optional(ReferencedLockIn),
             "laser_modulator": optional(LaserModulator)}
    params = (
        Param("modulator", "", str, default="laser", choices=("laser", "generator"),
              doc="what times the laser pulses: the laser's own QCW ('laser') or a function "
                  "generator's pulse train on its MOD IN ('generator': the laser_modulator role, "
                  "a bench-file cable)"),
        Param("modulation_high", "V", default=5.0, bounds=(0.1, 10.0),
              doc="high level of the generator's pulse train (modulator = 'generator')"),
        Param("states", "", str, default=("P", "AP"), choices=("P", "AP"), sequence=True,
              doc="magnetic states, written by the x magnet"),
        Param("bias_max", "A", default=1e-3, bounds=(0.0, 0.1), doc="largest |bias current|"),
        Param("n_bias", "", int, default=21, bounds=(1, 1001), doc="bias currents from -bias_max to +bias_max"),
        Param("powers", "W", default=(0.004, 0.008, 0.012, 0.016, 0.02), bounds=(0.0, 10.0), sequence=True,
              doc="laser output powers (during the pulse)"),
        Param("pulse_period", "s", default=1e-3, bounds=(2e-6, 100.0), doc="laser pulse period"),
        Param("pulse_width", "s", default=300e-6, bounds=(1e-6, 100.0), doc="laser pulse width"),
        Param("averages", "", int, default=16, bounds=(1, 65536), doc="scope records averaged per point"),
        Param("points", "", int, default=2000, bounds=(100, 100_000), doc="samples per scope record"),
        Param("pre_trigger", "s", default=50e-6, bounds=(0.0, 1.0), doc="record time before the laser edge"),
        Param("post_pulse", "s", default=150e-6, bounds=(0.0, 10.0), doc="record time after the pulse ends"),
        Param("plateau_fraction", "", default=0.2, bounds=(0.01, 1.0),
              doc="last fraction of the pulse averaged for v_laser"),
        Param("coarse_volts_per_div", "V", default=0.02, bounds=(1e-3, 5.0),
              doc="scale of the single record that sizes the fine one"),
        Param("scope_channel", "", int, default=1, bounds=(1, 4), doc="scope channel on the junction"),
        Param("state_field", "T", default=0.05, bounds=(0.0, 10.0), doc="field that writes P (+) / AP (-)"),
        Param("lockin_time_constant", "s", default=3e-3, bounds=(1e-5, 30.0), doc="lock-in time constant"),
        Param("lockin_sensitivity", "V", default=0.05, bounds=(2e-9, 1.0), doc="lock-in full scale"),
        Param("delta_t_per_watt", "K/W", default=300.0, bounds=(0.0, 1e9),
              doc="barrier temperature difference per W of laser output (thermal model of the "
                  "sample; the thermo-mtj bench: 0.5 coupling x 0.6 absorbed x 1000 K/W)"),
    )
    columns = (
        Column("state", "", doc="+1 P, -1 AP"),
        Column("power", "W", doc="laser output power during the pulse"),
        Column("bias", "A", doc="DC bias current"),
        Column("v_dc", "V", doc="voltmeter reading under bias (laser pulsing)"),
        Column("v_dark", "V", doc="scope mean before the laser edge"),
        Column("v_laser", "V", doc="plateau minus dark: the laser-induced voltage"),
        Column("lockin_x", "V", doc="lock-in X at the modulation frequency (nan: no lock-in)"),
        Column("lockin_y", "V", doc="lock-in Y"),
        Column("triggered", "", doc="1 if the scope triggered on the laser"),
    )

    def __init__(self) -> None:
        self.traces = (Trace("transient", "V", "time", "s", 2000, doc="V(t) - v_dark, averaged"),)

    # -- plan ------------------------------------------------------------------------------
    def check(self, params: Mapping[str, Any], bench: Any) -> None:
        self.require_within_limit(bench, "current_source", "max_current", params["bias_max"], "bias_max")
        self.require_within_limit(bench, "field_x", "max_field", params["state_field"], "state_field")
        laser_checks(params, bench, params["powers"])
        span = params["pre_trigger"] + params["pulse_width"] + params["post_pulse"]
        if span >= params["pulse_period"]:
            raise CheckError(f"pre_trigger + pulse_width + post_pulse = {span:g} s must fit in one "
                             f"pulse_period = {params['pulse_period']:g} s")
        scope_checks(params, bench, span)
        # the trace length is declared before the first point (SWMR)
        self.traces = (Trace("transient", "V", "time", "s", int(params["points"]),
                             doc="V(t) - v_dark, averaged"),)

    def steps(self, params: Mapping[str, Any]) -> list[tuple[str, float, float]]:
        return [(s, float(p), b) for s in params["states"] for p in params["powers"]
                for b in bias_grid(params["bias_max"], params["n_bias"])]

    def setup(self, roles: Roles, params: Mapping[str, Any]) -> None:
        self.traces = (Trace("transient", "V", "time", "s", int(params["points"])),)
        self._laser_setup(roles, params, float(params["powers"][0]))
        roles.scope.set_record_length(int(params["points"]))
        lock_in = roles.get("lock_in")
        if lock_in is not None:
            lock_in.set_external_reference()
            lock_in.set_time_constant(params["lockin_time_constant"])
            lock_in.set_sensitivity(params["lockin_sensitivity"])

    # -- one point -------------------------------------------------------------------------
    def _record(self, roles: Roles, params: Mapping[str, Any], volts_per_div: float, offset: float,
                averages: int) -> tuple[np.ndarray, np.ndarray, bool]:
        span = params["pre_trigger"] + params["pulse_width"] + params["post_pulse"]
        tdiv = span / 10.0
        ch = params["scope_channel"]
        scope = roles.scope
        # the record starts pre_trigger before the edge: centre reference at 5 divisions
        scope.configure(ch, volts_per_div, tdiv, 1.0, offset_V=offset, trigger_source="ext",
                        position_s=5 * tdiv - params["pre_trigger"])
        scope.set_averaging(averages)
        triggered = scope.acquire((ch,))
        t, v = scope.read_waveform(ch)
        return t, v, triggered

    def measure(self, roles: Roles, params: Mapping[str, Any], step: tuple[str, float, float]) -> dict[str, Any]:
        state, power, bias = step
        self._set_state(roles, params, state)
        self._set_laser(roles, power)
        self._set_bias(roles, bias)
        v_dc = roles.voltmeter.read_voltage()
        width = params["pulse_width"]
        # coarse single record centred on the DC level, then the fine averaged one
        t, v, _ = self._record(roles, params, params["coarse_volts_per_div"], v_dc, 1)
        dark, plateau = self._levels(t, v, width, params["plateau_fraction"])
        lo, hi = min(dark, plateau), max(dark, plateau)
        swing = hi - lo
        vdiv = max(1e-3, 1.6 * swing / 8.0)          # the transient spans ~5 of 8 divisions
        t, v, triggered = self._record(roles, params, vdiv, 0.5 * (hi + lo), params["averages"])
        dark, plateau = self._levels(t, v, width, params["plateau_fraction"])
        x = y = float("nan")
        lock_in = roles.get("lock_in")
        if lock_in is not None:
            lock_in.settle(10.0)
            x, y = lock_in.read_xy()
        return {"state": STATE_SIGN[state], "power": power, "bias": bias, "v_dc": v_dc, "v_dark": dark,
                "v_laser": plateau - dark, "lockin_x": x, "lockin_y": y, "triggered": float(triggered),
                "transient": (t, v - dark)}

    @staticmethod
    def _levels(t: np.ndarray, v: np.ndarray, width: float, fraction: float) -> tuple[float, float]:
        """(mean before the edge, mean over the last ``fraction`` of the pulse)."""
        pre = v[t < 0]
        on = v[(t >= (1 - fraction) * width) & (t < width)]
        dark = float(pre.mean()) if len(pre) else float(v[0])
        return dark, float(on.mean()) if len(on) else dark

