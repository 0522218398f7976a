"""Spin-torque diode (ST-FMR) map: rectified voltage vs RF frequency x field (x DC bias).

The RF source drives the junction through the bias tee's RF port, its output gated by its own
pulse modulator (or amplitude-modulated by a sine, ``modulation = am``); the lock-in, referenced
to the modulator's TTL (or LF output; external reference), reads the change of the DC voltage at
the bias tee's DC port between carrier on and off (with AM: the fundamental of the voltage over
the envelope, 2 m dV for a response linear in power) -- the spin-diode voltage, free of the DC bias voltage and thermal drifts (Tulapurkar et al., Nature 438, 339
(2005); Sankey et al., Nat. Phys. 4, 67 (2008)).  One runner step is one (bias, field): the
field is set once, then the frequency is stepped, each point settled for the lock-in's 99 %
time and read (X, Y in V rms of the fundamental of the on/off square wave).

Buffered path: one step sweep per (bias, field) with a dwell of the lock-in's settling time,
the source's trigger output cabled to the lock-in's TRIG IN, one stored (X, Y) per point, read
in two binary transfers -- the same points without one round trip per frequency.  The sweep
ends in CW mode at the first frequency.  It needs an RF source that steps a sweep
(:class:`~instruments.roles.SteppedSweepRFSource`), a lock-in with triggered storage
(:class:`~instruments.roles.TriggeredStorageLockIn`) and the cable, which no instrument can
report: the bench file declares it (``RFSourceCapabilities.trigger_out``, the N5183B's option
``trigger_out: <lock-in>``).  ``buffered = auto`` (default) takes it where all three hold and
goes point by point otherwise; ``buffered = true`` is refused in ``check`` -- before anything
opens -- where one is missing.  The ``buffered`` column records the path of every point.

The modulation the RF source must offer is checked before anything opens too: ``modulation =
am`` on a source without AM (the R&S SGS100A has none) is refused, naming the role and what
to use instead.

The fits (V_S, V_A, f0, linewidth per field; Kittel; damping) live in ``analysis.spin_diode``.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from spinbench.instruments import DRIVERS
from spinbench.instruments.capabilities import RFSourceCapabilities
from spinbench.instruments.roles import (AmplitudeModulatedRFSource, FieldController, LockIn,
                                         PulseModulatedRFSource, RFSource, SourceMeter,
                                         SteppedSweepRFSource, TriggeredStorageLockIn, conforms)
from spinbench.protocols.base import (BenchLike, CheckError, Column, MeasurementProtocol, Param, Roles,
                                      optional)

__all__ = ["SpinDiodeMap", "MapStep"]


class MapStep(NamedTuple):
    bias: float
    field: float


class SpinDiodeMap(MeasurementProtocol):
    """Rectified voltage over a frequency x field (x bias) grid, lock-in on the modulation."""

    name = "spin-diode-map"
    description = "ST-FMR / spin-diode map: lock-in voltage vs RF frequency x field (x DC bias)"
    roles = {"rf_source": RFSource, "lock_in": LockIn, "field_x": FieldController,
             "source_meter": optional(SourceMeter)}
    params = (
        Param("freq_start", "Hz", default=2e9, bounds=(1e3, 1e12), doc="first RF frequency"),
        Param("freq_stop", "Hz", default=12e9, bounds=(1e3, 1e12), doc="last RF frequency"),
        Param("freq_points", "", int, default=201, bounds=(2, 100_001), doc="frequencies per field"),
        Param("fields", "T", default=(0.02, 0.05, 0.1, 0.15, 0.2), bounds=(-10.0, 10.0), sequence=True,
              doc="fields along the easy axis (x)"),
        Param("biases", "A", default=(0.0,), bounds=(-1.0, 1.0), sequence=True,
              doc="DC bias currents through the junction (source_meter role; 0 without one)"),
        Param("power_dbm", "dBm", default=-20.0, bounds=(-150.0, 40.0), doc="RF power at the source"),
        Param("modulation", "", str, default="pulse", choices=("pulse", "am"),
              doc="the RF source's modulation that is the lock-in reference: 50 % pulse or sine AM"),
        Param("modulation_frequency", "Hz", default=10e3, bounds=(0.01, 1e7),
              doc="pulse / AM rate = lock-in reference"),
        Param("am_depth", "", default=0.5, bounds=(0.01, 1.0), doc="AM depth m (modulation = am)"),
        Param("time_constant", "s", default=100e-6, bounds=(1e-6, 1e5), doc="lock-in time constant"),
        Param("sensitivity", "V", default=1e-3, bounds=(1e-9, 1.0), doc="lock-in full scale"),
        Param("buffered", "", str, default="auto", choices=("auto", "true", "false"),
              doc="step sweep + lock-in triggered storage: auto = where the roles can and the bench "
                  "file declares the source's trigger cable to the lock-in; true = required"),
    )
    columns = (
        Column("bias", "A", doc="DC bias current"),
        Column("field", "T", doc="set field"),
        Column("frequency", "Hz", doc="RF frequency"),
        Column("x", "V", doc="lock-in X (in phase with the modulation), V rms"),
        Column("y", "V", doc="lock-in Y, V rms"),
        Column("buffered", "", "i8", doc="1: read in a buffered step sweep, 0: point by point"),
    )

    #: modulation parameter -> the role the RF source must fill, what it is called
    MODULATORS = {"am": (AmplitudeModulatedRFSource, "amplitude modulation", "set_amplitude_modulation"),
                  "pulse": (PulseModulatedRFSource, "pulse modulation", "set_pulse_modulation")}

    def check(self, params: Mapping[str, Any], bench: BenchLike) -> None:
        caps = bench.capabilities("rf_source", RFSource)
        self._check_modulation(params["modulation"], bench, caps)
        if params["buffered"] == "true":
            why = self.why_not_buffered(bench.capabilities, bench.fills)
            if why is not None:
                raise CheckError(f"buffered = true, but {why}; use buffered = auto (point by point "
                                 f"on this bench) or buffered = false")
        if isinstance(caps, RFSourceCapabilities):
            for key in ("freq_start", "freq_stop"):
                caps.frequency.require(params[key], key, caps.about("frequency"))
            caps.power_dbm.require(params["power_dbm"], "power_dbm", caps.about("power"))
        for b in params["fields"]:
            self.require_within_limit(bench, "field_x", "max_field", b, "fields")
        if any(params["biases"]):
            if "source_meter" not in bench.roles:
                raise CheckError("biases other than 0 need a 'source_meter' role (bias through the bias tee)")
            for i in params["biases"]:
                self.require_within_limit(bench, "source_meter", "max_current", i, "biases")

    def _check_modulation(self, modulation: str, bench: BenchLike, caps: Any) -> None:
        role, what, method = self.MODULATORS[modulation]
        if bench.fills("rf_source", role):
            return
        others = sorted(n for n, cls in DRIVERS.items() if conforms(cls, role))
        other = [m for m in self.MODULATORS if m != modulation and bench.fills("rf_source", self.MODULATORS[m][0])]
        instead = [f"modulation = {m}" for m in other] + (
            [f"an RF source with {what} in role 'rf_source' ({', '.join(others)})"] if others else [])
        raise CheckError(f"modulation = {modulation} needs {what}, but role 'rf_source' is "
                         f"{caps.instrument} ({caps.driver}), which has none (no {method}); use "
                         + " or ".join(instead))

    @staticmethod
    def why_not_buffered(capabilities: Any, fills: Any) -> str | None:
        """Why the buffered path cannot run (``None``: it can), from ``capabilities(role,
        protocol)`` and ``fills(role, protocol)`` -- the bench's before anything opens, the
        same facts from the open roles in :meth:`measure`."""
        src, li = capabilities("rf_source", RFSource), capabilities("lock_in", LockIn)
        if not fills("rf_source", SteppedSweepRFSource):
            return f"role 'rf_source' ({src.instrument}, {src.driver}) cannot run a step sweep"
        if not fills("lock_in", TriggeredStorageLockIn):
            return f"role 'lock_in' ({li.instrument}, {li.driver}) has no triggered storage"
        if getattr(src, "trigger_out", None) != li.instrument:
            return (f"the bench file declares no cable from the trigger output of "
                    f"{src.instrument} to the TRIG IN of {li.instrument} (declare it with "
                    f"options: {{trigger_out: {li.instrument}}} on {src.instrument})")
        return None

    def steps(self, params: Mapping[str, Any]) -> list[MapStep]:
        return [MapStep(float(i), float(b)) for i in params["biases"] for b in params["fields"]]

    @staticmethod
    def frequencies(params: Mapping[str, Any]) -> np.ndarray:
        return np.linspace(params["freq_start"], params["freq_stop"], params["freq_points"])

    def setup(self, roles: Roles, params: Mapping[str, Any]) -> None:
        src, li = roles.rf_source, roles.lock_in
        am = params["modulation"] == "am"
        _role, what, modulator = self.MODULATORS[params["modulation"]]
        for obj, method, what in ((src, modulator, f"an RF source with {what}"),
                                  (li, "use_external_reference", "a lock-in with an external reference input")):
            if not hasattr(obj, method):
                raise CheckError(f"spin-diode-map needs {what} ({type(obj).__name__} has no {method})")
        src.set_power_dbm(params["power_dbm"])
        src.set_frequency(params["freq_start"])
        if am:
            src.set_amplitude_modulation(params["modulation_frequency"], params["am_depth"])
        else:
            src.set_pulse_modulation(params["modulation_frequency"], 0.5)
        li.use_external_reference()
        li.set_time_constant(params["time_constant"])
        li.set_sensitivity(params["sensitivity"])
        src.enable()

    def measure(self, roles: Roles, params: Mapping[str, Any], step: MapStep) -> list[dict[str, Any]]:
        src, li = roles.rf_source, roles.lock_in
        smu = roles.get("source_meter")
        if smu is not None:
            smu.source_current(step.bias)
            smu.enable()
        roles.field_x.set_field(step.field)
        freqs = self.frequencies(params)
        buffered = params["buffered"] != "false" and self.why_not_buffered(
            roles.capabilities, lambda role, protocol: conforms(roles[role], protocol)) is None
        if buffered:
            xs, ys = self._swept_row(src, li, params, freqs)
        else:
            xs, ys = [], []
            for f in freqs:
                src.set_frequency(float(f))
                li.settle()
                x, y = li.read_xy()
                xs.append(x)
                ys.append(y)
        return [{"bias": step.bias, "field": step.field, "frequency": float(f), "x": float(x), "y": float(y),
                 "buffered": int(buffered)} for f, x, y in zip(freqs, xs, ys)]

    @staticmethod
    def _swept_row(src: Any, li: Any, params: Mapping[str, Any], freqs: np.ndarray):
        """One step sweep over ``freqs``, dwell = the lock-in's settling time, one triggered
        sample per point."""
        dwell = max(li.settling_time(), 1e-3)
        src.configure_step_sweep(float(freqs[0]), float(freqs[-1]), len(freqs), dwell)
        li.arm_triggered_storage()
        src.run_sweep()
        xs, ys = li.read_storage(len(freqs))
        src.set_cw_mode()
        return xs, ys

    def teardown(self, roles: Roles) -> None:
        roles.rf_source.disable()
        for modulator in ("set_pulse_modulation", "set_amplitude_modulation"):
            if hasattr(roles.rf_source, modulator):
                getattr(roles.rf_source, modulator)(None)
