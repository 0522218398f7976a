"""Harmonic Hall measurement of spin-orbit torques in a perpendicular Hall bar.

The lock-in's sine output drives an AC current through the channel (through a series resistor:
``current_rms = SLVL / excitation_resistance``, the resistance the output sees: series resistor
+ the output's 50 ohm + the channel); the lock-in reads the Hall voltage at the first harmonic
(the anomalous Hall signal of the tilted moment) and at the second (the tilt the current's own
effective fields add, odd in the current: Hayashi et al., PRB 89, 144425 (2014); Garello et
al., Nat. Nanotechnol. 8, 587 (2013)), in phase and quadrature, against an in-plane field swept
along x (longitudinal: the damping-like field) and along y (transverse: field-like + Oersted),
for the magnetization up and/or down (set by an out-of-plane field pulse when the bench has a
``field_z``). A sweep is taken at the first harmonic, then again at the second (one harmonic
change per sweep: the filter never carries a mV first-harmonic output into a uV second-harmonic
reading); each reading waits ``settle_time_constants`` time constants after the field changed,
timed by the lock-in. Before each first-harmonic sweep the zero-field Hall voltage is read
once more (not recorded): the first must be in phase and follow the drive, the later ones at
least 30 % of the first; else the channel has opened and the run stops with that said (the
sine output has no compliance that would tell).

The fits (``analysis/harmonic_hall.py``) need the sample's geometry and magnetization, given as
parameters (defaults: the ``sot-hallbar`` preset).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from spinbench.instruments.roles import FieldController, LockIn
from spinbench.protocols.base import (BenchLike, CheckError, Column, MeasurementProtocol, Param, Roles,
                                      optional)
from spinbench.protocols.benchhealth import BenchFault

__all__ = ["HarmonicHall", "field_values"]

_STATES = {"up": (1,), "down": (-1,), "both": (1, -1)}
#: a first-harmonic sweep starts only if the zero-field Hall voltage is at least this fraction
#: of the first sweep's (the anomalous Hall voltage of either saturated state)
SIGNAL_FLOOR = 0.3


def field_values(params: Mapping[str, Any]) -> np.ndarray:
    """The in-plane fields of one sweep: ``points`` from -field_max to +field_max (T)."""
    return np.linspace(-params["field_max"], params["field_max"], params["points"])


class HarmonicHall(MeasurementProtocol):
    """First and second harmonic Hall voltages against in-plane fields along x and y."""

    name = "harmonic-hall"
    description = ("1st/2nd harmonic Hall voltages vs in-plane field along x and y (lock-in sine "
                   "output); damping-like and field-like SOT fields and the spin-Hall efficiency")
    roles = {"lock_in": LockIn, "field_x": FieldController, "field_y": FieldController,
             "field_z": optional(FieldController)}
    params = (
        Param("current_rms", "A", default=1e-3, bounds=(1e-6, 0.05), doc="AC current (rms)"),
        Param("excitation_resistance", "ohm", default=3550.0, bounds=(1.0, 1e9),
              doc="resistance the sine output drives: series resistor + 50 ohm output + channel"),
        Param("frequency", "Hz", default=1013.0, bounds=(1e-3, 1e5), doc="reference frequency"),
        Param("time_constant", "s", default=0.3, bounds=(1e-5, 3e4), doc="lock-in time constant"),
        Param("settle_time_constants", "", default=5.0, bounds=(0.0, 100.0),
              doc="wait after each field or harmonic change, in time constants"),
        Param("field_max", "T", default=0.03, bounds=(1e-5, 2.0),
              doc="largest in-plane field (small against B_K,eff: small-angle analysis)"),
        Param("points", "", int, default=41, bounds=(5, 10001), doc="fields per sweep"),
        Param("states", "", str, default="both", choices=tuple(_STATES),
              doc="magnetization states measured (up/down need field_z to prepare them)"),
        Param("prepare_field", "T", default=0.1, bounds=(0.0, 2.0),
              doc="out-of-plane field that sets the state before each sweep (0: none)"),
        Param("sensitivity_1", "V", default=5e-3, bounds=(2e-9, 1.0), doc="lock-in full scale, 1st harmonic"),
        Param("sensitivity_2", "V", default=5e-4, bounds=(2e-9, 1.0), doc="lock-in full scale, 2nd harmonic"),
        Param("ms", "A/m", default=1.1e6, bounds=(1e3, 1e7), doc="saturation magnetization (analysis)"),
        Param("thickness", "m", default=1e-9, bounds=(1e-11, 1e-6), doc="magnetic layer thickness (analysis)"),
        Param("channel_width", "m", default=2e-6, bounds=(1e-9, 1e-2), doc="Hall bar width (analysis)"),
        Param("hm_thickness", "m", default=5e-9, bounds=(1e-11, 1e-6),
              doc="thickness carrying the current (analysis)"),
        Param("r_phe_ratio", "", default=0.1, bounds=(-0.45, 0.45),
              doc="planar / anomalous Hall resistance R_PHE/R_AHE (planar Hall correction; 0: none)"),
    )
    columns = (
        Column("state", "", "i8", doc="magnetization state prepared: +1 up, -1 down"),
        Column("direction", "", "i8", doc="in-plane field direction: 0 along x, 1 along y"),
        Column("harmonic", "", "i8", doc="detection harmonic: 1 or 2"),
        Column("field", "T", doc="in-plane field set point along the direction"),
        Column("x", "V", doc="lock-in X at the harmonic (in phase, rms)"),
        Column("y", "V", doc="lock-in Y at the harmonic (quadrature, rms)"),
        Column("overload", "", "bool", doc="lock-in overload during the point"),
    )

    def check(self, params: Mapping[str, Any], bench: BenchLike) -> None:
        caps = bench.capabilities("lock_in")
        freq = getattr(caps, "frequency", None)
        if freq is not None:
            freq.require(params["frequency"], "frequency")
            freq.require(2 * params["frequency"], "frequency (x 2, the second harmonic)")
        if getattr(caps, "max_harmonic", 2) < 2:
            raise CheckError(f"lock-in {bench.roles['lock_in']!r} cannot detect the 2nd harmonic")
        taus = getattr(caps, "time_constants", ())
        if taus and not any(abs(params["time_constant"] - t) <= 1e-9 * t for t in taus):
            raise CheckError(f"time_constant = {params['time_constant']:g} s is not a time constant of "
                             f"the lock-in; allowed: {', '.join(f'{t:g}' for t in taus)} s")
        for key in ("sensitivity_1", "sensitivity_2"):
            sens = getattr(caps, "sensitivities", ())
            if sens and not any(abs(params[key] - v) <= 1e-9 * v for v in sens):
                raise CheckError(f"{key} = {params[key]:g} V is not a sensitivity of the lock-in; "
                                 f"allowed: {', '.join(f'{v:g}' for v in sens)} V")
        amp = getattr(caps, "sine_amplitude", None)
        if amp is not None:
            amp.require(params["current_rms"] * params["excitation_resistance"],
                        "current_rms x excitation_resistance (sine output, V rms)")
        for role in ("field_x", "field_y"):
            self.require_within_limit(bench, role, "max_field", params["field_max"], "field_max")
        if not params["prepare_field"] and params["states"] != "up":
            raise CheckError(f"states = {params['states']!r} needs prepare_field > 0 (an "
                             f"out-of-plane field pulse sets the magnetization down)")
        if params["prepare_field"]:
            if "field_z" not in bench.roles:
                raise CheckError(f"prepare_field = {params['prepare_field']:g} T needs a field "
                                 f"controller in role 'field_z'; bench {bench.name!r} has none "
                                 f"(prepare_field=0 with states=up measures the state as found)")
            self.require_within_limit(bench, "field_z", "max_field", params["prepare_field"],
                                      "prepare_field")

    def steps(self, params: Mapping[str, Any]) -> Sequence[tuple[int, int, int, int]]:
        return [(s, direction, n, k) for s in _STATES[params["states"]] for direction in (0, 1)
                for n in (1, 2) for k in range(params["points"])]

    def setup(self, roles: Roles, params: Mapping[str, Any]) -> None:
        lock = roles.lock_in
        lock.set_time_constant(params["time_constant"])
        lock.set_reference(params["frequency"], 1)
        lock.set_sine_amplitude(params["current_rms"] * params["excitation_resistance"])
        self._fields = field_values(params)
        self._block: tuple[int, int, int] | None = None
        self._v_ref: float | None = None

    def _prepare(self, roles: Roles, params: Mapping[str, Any], block: tuple[int, int, int]) -> None:
        """Start a sweep: zero the in-plane fields, set the magnetization with a field_z pulse
        (if asked), select the harmonic and its full scale."""
        state, _, harmonic = block
        roles.field_x.set_field(0.0)
        roles.field_y.set_field(0.0)
        if params["prepare_field"] and "field_z" in roles:
            roles.field_z.set_field(state * params["prepare_field"])
            roles.field_z.set_field(0.0)
        roles.lock_in.set_reference(params["frequency"], harmonic)
        roles.lock_in.set_sensitivity(params[f"sensitivity_{harmonic}"])
        if harmonic == 1:
            self._check_signal(roles, params)
        self._block = block

    def _zero_field_xy(self, roles: Roles, params: Mapping[str, Any]) -> tuple[float, float]:
        lock = roles.lock_in
        lock.settle(params["settle_time_constants"] * 3)
        lock.overloaded()
        return lock.read_xy()

    def _check_signal(self, roles: Roles, params: Mapping[str, Any]) -> None:
        """Is the zero-field reading an anomalous Hall voltage? The lock-in's sine output reports
        no compliance, so a channel that opened (fused, a bond lifted) would otherwise leave the
        run measuring noise as data. Before the first sweep: in phase (X > 5 |Y|) and linear in
        the drive (half the sine amplitude, half the voltage within 15 %); before every later
        first-harmonic sweep: at least :data:`SIGNAL_FLOOR` of the first one's."""
        x, y = self._zero_field_xy(roles, params)
        ref = self._v_ref
        if ref is None:
            lock, amp = roles.lock_in, params["current_rms"] * params["excitation_resistance"]
            lock.set_sine_amplitude(amp / 2)
            x_half, _ = self._zero_field_xy(roles, params)
            lock.set_sine_amplitude(amp)
            ratio = x / x_half if x_half else float("inf")
            if not (abs(x) > 5 * abs(y) and abs(ratio - 2.0) < 0.3):
                raise BenchFault(f"harmonic-hall: no anomalous Hall signal at zero field: X = {x * 1e6:.3g} uV, "
                                 f"Y = {y * 1e6:.3g} uV, X at half the drive = {x_half * 1e6:.3g} uV (a Hall "
                                 f"voltage is in phase and follows the drive): the channel or its wiring is open?")
            self._v_ref = abs(x)
        elif abs(x) < SIGNAL_FLOOR * ref:
            raise BenchFault(f"harmonic-hall: the zero-field Hall voltage fell from {ref * 1e6:.3g} uV (first sweep) "
                             f"to {abs(x) * 1e6:.3g} uV: the channel or its wiring opened (the lock-in's "
                             f"{params['current_rms'] * 1e3:g} mA rms into an open circuit?); the points so far are kept")

    def measure(self, roles: Roles, params: Mapping[str, Any],
                step: tuple[int, int, int, int]) -> dict[str, Any]:
        state, direction, harmonic, k = step
        fresh = self._block != (state, direction, harmonic)
        if fresh:
            self._prepare(roles, params, (state, direction, harmonic))
        field = float(self._fields[k])
        (roles.field_x if direction == 0 else roles.field_y).set_field(field)
        lock = roles.lock_in
        # the first field of a sweep is a jump of field_max (and a new harmonic): a few percent
        # of it left in the filter after 5 tau would bias the fit's end points; wait it out
        lock.settle(params["settle_time_constants"] * (3 if fresh else 1))
        lock.overloaded()      # clears what the settling transient latched (a new harmonic)
        x, y = lock.read_xy()
        return {"state": state, "direction": direction, "harmonic": harmonic, "field": field,
                "x": x, "y": y, "overload": lock.overloaded()}
