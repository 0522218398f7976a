"""Hysteresis loops of a perpendicular Hall bar: against field, and against write-pulse current.

Both read the anomalous Hall resistance with a small current in both polarities after a settle
delay timed by the voltmeter's trigger delay:  R_H = (V(+I_r) - V(-I_r)) / (2 I_r), which
cancels thermoelectric offsets of the leads (the current-reversal technique of the 2182A manual,
section 5 "Delta").

* ``field-loop``: the out-of-plane field B_z swept -B_max -> +B_max -> -B_max.
* ``switching-loop``: write pulses swept -I_max -> +I_max -> -I_max at an in-plane
  assist field B_x (damping-like SOT needs it to break the symmetry), one pulse per point,
  then the read.  The pulse is timed by the current source (a list sweep of the 6221).

Options of ``switching-loop`` (the defaults keep the plain loop at one ``field_x``):

* ``fields_x`` (comma-separated, e.g. ``-10mT,0,10mT``): the loops are run at each B_x in turn
  (``field_x`` column per point); at B_x = 0 a damping-like SOT has no preferred direction, so
  a W/CoFeB macrospin does not switch deterministically and the analysis reports "no
  switching" for that field instead of a switching current.
* ``reset_current`` (A, 0 = off): before every write a pulse of the opposite sign (same
  width) puts the device in a known state.  Each point is then an independent single-pulse
  trial and the "loop" becomes a P(I) scan: the analysis reports the switched fraction per
  current and its 50 % point (compare with the one-pulse I50).  Without resets each point
  starts from the state the previous pulses left -- a staircase, in which every step gives the
  device another chance to switch, so the loop's switching current lies *below* the one-pulse
  I50 (it is the first-passage point of the cumulative hazard).
* ``mode = pulse_delta``: a whole loop (per field and loop index) runs as one pulse-delta sweep
  of the 6221 + 2182A (:meth:`~instruments.roles.PulseDeltaSystem.pulse_sweep`, widths
  50 us .. 12 ms), low level = +I_read.  The 2-point reading of a pulse is ``B - A``: A is the
  low-level conversion *before* the pulse (the state left by the previous pulse, at +I_read),
  B the conversion *during* the pulse at its own amplitude.  The reading of a write pulse thus
  mixes two states at two currents (A ~ R_H(before) I_read, B ~ R_H(during) I_write, with the
  current-induced tilt and heating of the pulse in B) and says nothing about the state *after*
  it when I_write is near zero.  So every write is followed in the same sweep by a read pulse
  of amplitude -I_read: its reading is ``V(-I_r) - V(+I_r) = -2 I_r R_H`` of the state the
  write left -- the current-reversal read of the list mode, timed by the instrument, with
  thermoelectric offsets cancelled.  (v_plus / v_minus are NaN in this mode; the write pulse's
  own reading is kept in ``write_delta``.)  With resets a point is three pulses: reset, write,
  read.  The pulse period is the pulse-delta system's shortest cycle (its capabilities'
  ``min_period``: 3 power-line cycles on a 6221).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from spinbench.instruments.capabilities import PulseDeltaCapabilities, VoltmeterCapabilities
from spinbench.instruments.roles import CurrentSource, FieldController, Gaussmeter, PulseDeltaSystem, Voltmeter
from spinbench.protocols.base import (BenchLike, CheckError, Column, MeasurementProtocol, Param, ParamError,
                                      Roles, optional)

__all__ = ["FieldLoop", "SwitchingLoop", "loop_values", "read_hall_resistance", "parse_fields"]

_FIELD_ELEMENT = Param("fields_x", "T", sequence=True, bounds=(-2.0, 2.0))


def parse_fields(params: Mapping[str, Any]) -> tuple[float, ...]:
    """The in-plane fields of a switching loop: ``fields_x`` parsed (``"-10mT,0,10mT"``), or
    ``(field_x,)`` when it is empty.  Raises :class:`CheckError` for text that is no list of fields."""
    text = params.get("fields_x", "") or ""
    if isinstance(text, str) and not text.strip():
        return (float(params["field_x"]),)
    try:
        return tuple(float(v) for v in _FIELD_ELEMENT.validate(text))
    except ParamError as exc:
        raise CheckError(str(exc)) from None



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
    Param("gaussmeter_range", "T", default=0.0, bounds=(0.0, 100.0),
          doc="full scale of the gaussmeter (one of its probe's ranges); 0: the smallest range "
              "that holds the largest field of the run"),
)


class _HallLoop(MeasurementProtocol):
    """Shared parts: read-current setup and checks, the optional gaussmeter (fits and figures:
    :mod:`analysis.switching`, registered for ``switching-loop`` and ``field-loop``)."""

    def _check_read(self, params: Mapping[str, Any], bench: BenchLike) -> None:
        self.require_within_limit(bench, "current_source", "max_current", params["read_current"], "read_current")
        meter = bench.capabilities("voltmeter", Voltmeter)
        if isinstance(meter, VoltmeterCapabilities):
            meter.integration_time.require(params["integration_time"], "integration_time",
                                           meter.about("integration time"))
            meter.settle_delay.require(params["settle"], "settle", meter.about("trigger delay"))

    def _check_field(self, params: Mapping[str, Any], bench: BenchLike, role: str, value: float, param: str) -> None:
        if value == 0:
            return
        if role not in bench.roles:
            raise CheckError(f"{param} = {value:g} T needs a field controller in role {role!r}; "
                             f"bench {bench.name!r} has none")
        self.require_within_limit(bench, role, "max_field", value, param)

    def largest_field(self, params: Mapping[str, Any]) -> float:
        """Largest |field| (T) the run applies: what the gaussmeter's range must hold."""
        return 0.0

    def setup(self, roles: Roles, params: Mapping[str, Any]) -> None:
        roles.voltmeter.set_integration_time(params["integration_time"])
        roles.voltmeter.set_settle_delay(params["settle"])
        self._set_gaussmeter_range(roles, params)

    def replay_from(self, params: Mapping[str, Any], steps: Sequence[Any], k: int) -> int:
        """A loop's state at step ``k`` depends on the branch that led there: on resume it is
        re-approached from the last turning point before ``k`` (a step at the sweep's extreme,
        which saturates the magnetization) within the same field.  A pulse-delta sweep step
        ``(field, loop)`` starts from its own extreme: nothing to replay."""
        step = steps[k]
        if len(step) < 3:
            return k
        group = tuple(step[:-3])
        extreme = max(abs(s[-1]) for s in steps if tuple(s[:-3]) == group)
        j = k
        while j > 0 and tuple(steps[j - 1][:-3]) == group:
            j -= 1
            if abs(steps[j][-1]) >= extreme * (1.0 - 1e-12):
                break
        return j

    def _set_gaussmeter_range(self, roles: Roles, params: Mapping[str, Any]) -> None:
        """Choose the gaussmeter's range before any field is applied: the one asked for
        (``gaussmeter_range``), else the smallest that holds the run's largest field; refuse,
        naming the parameter, a range that cannot hold it (the 425 would answer ``OL``
        mid-run)."""
        gauss = roles.get("gaussmeter")
        if gauss is None:
            return
        ranges = sorted(float(v) for v in gauss.ranges())
        need = self.largest_field(params)
        text = ", ".join(f"{v:g} T" for v in ranges)
        chosen = params["gaussmeter_range"]
        if chosen:
            if not any(abs(chosen - v) <= 1e-9 * v for v in ranges):
                raise CheckError(f"gaussmeter_range = {chosen:g} T is not a range of the "
                                 f"gaussmeter's probe; its ranges: {text}")
            if chosen < need:
                raise CheckError(f"gaussmeter_range = {chosen:g} T cannot read the run's largest "
                                 f"field {need:g} T; choose one of {text} (or 0: automatic)")
        else:
            fitting = [v for v in ranges if v >= need]
            if not fitting:
                raise CheckError(f"the run's largest field {need:g} T exceeds the gaussmeter's "
                                 f"largest range {ranges[-1]:g} T; lower the field or remove "
                                 f"the gaussmeter from the bench's roles")
            chosen = fitting[0]
        gauss.set_range(chosen)

    def _field_reading(self, roles: Roles) -> float:
        gauss = roles.get("gaussmeter")
        return gauss.read_field() if gauss is not None else float("nan")


class SwitchingLoop(_HallLoop):
    """Hall resistance after each write pulse against the pulse current, at one or several
    in-plane fields; optionally with reset pulses (P(I) scan) or as pulse-delta sweeps."""

    name = "switching-loop"
    description = "Hall resistance after each write pulse vs pulse current (SOT switching loop)"
    roles = {"current_source": CurrentSource, "voltmeter": Voltmeter,
             "field_x": optional(FieldController), "gaussmeter": optional(Gaussmeter),
             "pulse_delta": optional(PulseDeltaSystem)}
    params = (
        Param("current_max", "A", default=8e-3, bounds=(1e-6, 0.105), doc="largest write current"),
        Param("current_step", "A", default=100e-6, bounds=(1e-7, 0.1), doc="step of the write current"),
        Param("pulse_width", "s", default=1e-3, bounds=(50e-6, 10.0),
              doc="write pulse width (instrument-timed; list mode 1 ms .. 10 s, pulse_delta 50 us .. 12 ms)"),
        Param("field_x", "T", default=10e-3, bounds=(-2.0, 2.0), doc="in-plane assist field"),
        *_READ_PARAMS,
        Param("fields_x", "T", str, default="",
              doc="comma-separated in-plane fields, loops run at each (e.g. -10mT,0,10mT); empty: field_x"),
        Param("reset_current", "A", default=0.0, bounds=(0.0, 0.105),
              doc="reset pulse of opposite sign before each write (0 = off; makes the loop a P(I) scan)"),
        Param("mode", "", str, default="list", choices=("list", "pulse_delta"),
              doc="list: 6221 pulse + 2182A delta read per point; pulse_delta: one 6221/2182A "
                  "pulse-delta sweep per loop"),
    )
    columns = (*_LOOP_COLUMNS, Column("pulse_current", "A", doc="write pulse amplitude"),
               Column("pulse_width", "s", doc="write pulse width"), *_READ_COLUMNS,
               Column("field_measured", "T", doc="gaussmeter reading (NaN without one)"),
               Column("field_x", "T", doc="in-plane field set point"),
               Column("reset_current", "A", doc="signed reset pulse before the write (0: none)"),
               Column("write_delta", "V", doc="pulse-delta reading B - A of the write pulse "
                                              "(NaN in list mode)"))

    def check(self, params: Mapping[str, Any], bench: BenchLike) -> None:
        self.require_within_limit(bench, "current_source", "max_current", params["current_max"], "current_max")
        self.require_within_limit(bench, "current_source", "max_current", params["reset_current"],
                                  "reset_current")
        self._check_read(params, bench)
        fields = parse_fields(params)
        for value in fields:
            self._check_field(params, bench, "field_x", value,
                              "fields_x" if params["fields_x"] else "field_x")
        if params["current_step"] > params["current_max"]:
            raise CheckError(f"current_step = {params['current_step']:g} A exceeds current_max = "
                             f"{params['current_max']:g} A")
        width = params["pulse_width"]
        if params["mode"] == "pulse_delta":
            if "pulse_delta" not in bench.roles:
                raise CheckError(f"mode = 'pulse_delta' needs a pulse-delta system (6221 + 2182A) "
                                 f"in role 'pulse_delta'; bench {bench.name!r} has none")
            caps = bench.capabilities("pulse_delta", PulseDeltaSystem)
            span = getattr(caps, "width", None)
        else:
            caps = bench.capabilities("current_source", CurrentSource)
            span = getattr(caps, "pulse_width", None)
        if span is not None and width not in span:
            raise CheckError(f"pulse_width = {width:.6g} s is outside the {params['mode']} mode's "
                             f"range {span.text()} ({caps.about('pulse width')})"
                             + (" (shorter pulses: mode=pulse_delta)"
                                if width < span.low and params["mode"] == "list" else ""))
        if isinstance(caps, PulseDeltaCapabilities):
            n = round(params["current_max"] / params["current_step"])
            pulses = 2 * (2 * n + 1) * (3 if params["reset_current"] else 2)
            if pulses > caps.max_points:
                raise CheckError(f"one pulse-delta loop would be {pulses} pulses, more than "
                                 f"{caps.about('sweep')} holds ({caps.max_points}); "
                                 f"raise current_step")

    def largest_field(self, params: Mapping[str, Any]) -> float:
        return max(abs(v) for v in parse_fields(params))

    def steps(self, params: Mapping[str, Any]) -> Sequence[tuple]:
        fields = parse_fields(params)
        if params["mode"] == "pulse_delta":   # one instrument-side sweep per (field, loop)
            return [(i, k) for i in range(len(fields)) for k in range(params["loops"])]
        loop = loop_values(params["current_max"], params["current_step"], params["loops"])
        return [(i, *step) for i in range(len(fields)) for step in loop]

    def setup(self, roles: Roles, params: Mapping[str, Any]) -> None:
        _HallLoop.setup(self, roles, params)
        self._fields = parse_fields(params)
        self._field_now: float | None = None

    def _set_field(self, roles: Roles, value: float) -> None:
        if value != self._field_now and "field_x" in roles:
            roles.field_x.set_field(value)
        self._field_now = value

    @staticmethod
    def _reset_for(amps: float, branch: int, reset: float) -> float:
        """Signed reset before a write of ``amps``: opposite sign (a zero write: opposite to
        the branch's direction)."""
        if not reset:
            return 0.0
        sign = math.copysign(1.0, amps) if amps != 0 else float(branch)
        return -sign * reset

    def measure(self, roles: Roles, params: Mapping[str, Any], step: tuple) -> Any:
        field = self._fields[step[0]]
        self._set_field(roles, field)
        if params["mode"] == "pulse_delta":
            return self._measure_pulse_delta(roles, params, field, step[1])
        _, loop, branch, amps = step
        width = params["pulse_width"]
        reset = self._reset_for(amps, branch, params["reset_current"])
        if reset:
            roles.current_source.pulse(reset, width, 0.0)
        roles.current_source.pulse(amps, width, 0.0)
        point = read_hall_resistance(roles.current_source, roles.voltmeter, params["read_current"])
        return {"loop": loop, "branch": branch, "pulse_current": amps, "pulse_width": width,
                **point, "field_measured": self._field_reading(roles), "field_x": field,
                "reset_current": reset, "write_delta": float("nan")}

    def _measure_pulse_delta(self, roles: Roles, params: Mapping[str, Any], field: float,
                             loop: int) -> list[dict[str, Any]]:
        read = params["read_current"]
        points = loop_values(params["current_max"], params["current_step"], 1)
        amplitudes: list[float] = []
        for _, branch, amps in points:
            reset = self._reset_for(amps, branch, params["reset_current"])
            amplitudes += ([reset] if reset else []) + [amps, -read]
        per = 3 if params["reset_current"] else 2
        period = roles.capabilities("pulse_delta").min_period     # the shortest cycle (3 PLC)
        deltas = np.asarray(roles.pulse_delta.pulse_sweep(np.array(amplitudes), read, params["pulse_width"],
                                                          period), dtype=float)
        deltas = deltas.reshape(len(points), per)
        gauss = self._field_reading(roles)
        rows = []
        for (_, branch, amps), d in zip(points, deltas, strict=True):
            rows.append({"loop": loop, "branch": branch, "pulse_current": amps,
                         "pulse_width": params["pulse_width"],
                         "hall_resistance": -d[-1] / (2.0 * read),
                         "v_plus": float("nan"), "v_minus": float("nan"), "field_measured": gauss,
                         "field_x": field,
                         "reset_current": self._reset_for(amps, branch, params["reset_current"]),
                         "write_delta": float(d[-2])})
        return rows


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

    def check(self, params: Mapping[str, Any], bench: BenchLike) -> None:
        self._check_read(params, bench)
        self.require_within_limit(bench, "field_z", "max_field", params["field_max"], "field_max")
        self._check_field(params, bench, "field_x", params["field_x"], "field_x")

    def largest_field(self, params: Mapping[str, Any]) -> float:
        return max(abs(params["field_max"]), abs(params["field_x"]))

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
