"""Switching probability of a perpendicular Hall bar: every write/read cycle recorded.

For each (write amplitude, write width) of a grid, ``repeats`` cycles of
``read (before) -> write -> read (after) -> reset`` (one grid point is one runner step).  Every
cycle is one row of the run file: amplitude, width, repeat, Hall resistances and states before
and after, and whether the write switched -- never only the fraction, so the analysis can fit
the binomial outcomes by maximum likelihood (:mod:`analysis.switching_probability`).

Instrument-timed, buffered cycles
---------------------------------
The cycles run on a :class:`~instruments.roles.WriteReadSequencer` (role ``sequencer``, or the
``current_source`` when that instrument fills it, as the Keithley 6221 does): a batch of up to
256 cycles is one list sweep whose readings the linked 2182A buffers, so a map costs a few VISA
round trips per grid point instead of several per pulse.  Which instrument times the write
pulse is chosen by width (:func:`write_path`):

* ``width >= 1 ms`` -- the 6221 list sweep (dwell >= 1 ms);
* ``50 us <= width < 1 ms`` -- the 6221 pulse-delta sweep (50 us .. 12 ms);
* ``width < 50 us`` -- a ``pulse_generator`` role (a Keysight 33500B, ns .. us pulses), when
  the bench has one: the write comes from the generator and reads/resets from the source and
  voltmeter (one round trip per cycle, until a triggered generator path exists); a bench without
  one refuses such widths in :meth:`check`, before any instrument is opened.

Reproducible resume
-------------------
The simulated bench re-seeds its random stream at every step (``Bench.checkpoint``).  For a
resumed run to reproduce an uninterrupted one, every step must also start from the same device
state and send the same commands: :meth:`setup` (which runs before the first checkpoint) leaves
the device in the reset state and sends the once-per-session settings, and every cycle ends
with the reset pulse, so each step starts in the reset state and its command sequence depends
only on the parameters.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from spinbench.instruments.capabilities import PulseGeneratorCapabilities, SequencerCapabilities
from spinbench.instruments.roles import (CurrentSource, FieldController, PulseGenerator, SourceMeter,
                                         Voltmeter, WriteReadSequencer)
from spinbench.protocols.base import (BenchLike, CheckError, Column, MeasurementProtocol, Param, Roles,
                                      optional)

__all__ = ["OUTCOME_COLUMNS", "SwitchingProbability", "write_path", "sequencer_of",
           "sequencer_role", "calibrate_states", "outcome_rows"]

def write_path(width: float, sequencer: SequencerCapabilities,
               generator: PulseGeneratorCapabilities | None) -> str:
    """Which instrument times a write of ``width`` s: ``"list"`` or ``"pulse_delta"`` (the
    sequencer's own paths, from its capabilities) or ``"pulse_generator"``; raises
    :class:`CheckError` naming the ranges if nothing on this bench can."""
    path = sequencer.write_path(width)
    if path is not None:
        return path
    if generator is not None and width in generator.width:
        return "pulse_generator"
    ranges = (f"{sequencer.about('writes')}: list sweeps {sequencer.list_width.text()}, "
              f"pulse delta {sequencer.pulse_delta_width.text()}")
    if generator is None:
        raise CheckError(f"write width {width:.3g} s: no instrument on this bench times it ({ranges}); "
                         f"shorter writes need a bench with a 'pulse_generator' role "
                         f"(e.g. a Keysight 33500B)")
    raise CheckError(f"widths = {width:.3g} s is outside every write path of this bench: {ranges}; "
                     f"{generator.about('pulse width')} {generator.width.text()}")


def sequencer_role(roles: Mapping[str, Any]) -> str:
    """The role whose instrument runs the write/read sequences: ``sequencer`` if the bench
    has one, else ``current_source`` (a 6221 + 2182A fills both)."""
    return "sequencer" if "sequencer" in roles else "current_source"


def _capabilities(bench: BenchLike) -> tuple[SequencerCapabilities, PulseGeneratorCapabilities | None]:
    seq = bench.capabilities(sequencer_role(bench.roles), WriteReadSequencer)
    if not isinstance(seq, SequencerCapabilities):
        raise CheckError(f"{seq.instrument} ({seq.driver}) declares no write/read sequencer "
                         f"capabilities: the write widths it times are unknown")
    gen = None
    if "pulse_generator" in bench.roles:
        caps = bench.capabilities("pulse_generator", PulseGenerator)
        gen = caps if isinstance(caps, PulseGeneratorCapabilities) else None
    return seq, gen


def sequencer_of(roles: Roles) -> Any:
    """The :class:`WriteReadSequencer` of the bench: role ``sequencer`` or the current source."""
    seq = roles.get("sequencer")
    if seq is None:
        seq = roles.current_source
    if not hasattr(seq, "write_read"):
        raise CheckError(f"{type(seq).__name__} cannot run write/read sequences "
                         f"(no WriteReadSequencer on this bench)")
    return seq


def check_sequence(protocol: MeasurementProtocol, params: Mapping[str, Any], bench: BenchLike,
                   widths: Sequence[float], amplitudes: Sequence[float]) -> None:
    """Refuse, before any instrument is opened, what the write/read sequence cannot do (the
    bench limits, and the capabilities of the sequencer and the pulse generator)."""
    if not bench.fills(sequencer_role(bench.roles), WriteReadSequencer):
        raise CheckError(f"bench {bench.name!r} has no write/read sequencer "
                         f"(a 'sequencer' role, or a current_source such as a 6221 + 2182A)")
    for a in amplitudes:
        protocol.require_within_limit(bench, "current_source", "max_current", a, "amplitudes")
    signs = {math.copysign(1.0, a) for a in amplitudes if a != 0}
    if len(signs) > 1 or any(a == 0 for a in amplitudes):
        raise CheckError("write amplitudes must be non-zero and of one sign (the reset pulse "
                         "has the opposite sign)")
    protocol.require_within_limit(bench, "current_source", "max_current", params["reset_current"],
                                  "reset_current")
    protocol.require_within_limit(bench, "current_source", "max_current", params["read_current"],
                                  "read_current")
    seq, gen = _capabilities(bench)
    seq.reset_width.require(params["reset_width"], "reset_width", seq.about("reset pulse width"))
    settle = params["settle"]
    for w in widths:
        path = write_path(w, seq, gen)
        if path == "pulse_generator" and "source_meter" not in bench.roles:
            raise CheckError(f"a {w:.3g} s write comes from the pulse generator, whose current "
                             f"is set by the two-terminal load it drives: the bench needs a "
                             f"'source_meter' role (2-wire) to measure it")
        if path == "pulse_generator" and gen is not None:
            top = max(abs(a) for a in amplitudes)
            if top > gen.max_current():    # even into a short: no device resistance can help
                raise CheckError(f"amplitudes up to {top:.4g} A at {w:.3g} s: "
                                 f"{gen.about('output')} drives at most "
                                 f"{gen.max_open_circuit_voltage:.3g} V / "
                                 f"{gen.output_impedance:g} ohm = {gen.max_current():.4g} A "
                                 f"into any load")
        if path == "list" and settle + seq.read_aperture > min(w, params["reset_width"]):
            raise CheckError(f"settle = {settle:.3g} s + the {seq.about('read aperture')} "
                             f"{seq.read_aperture:.3g} s must fit in the write ({w:.3g} s) and "
                             f"reset pulses")
        if path == "pulse_delta":
            low = seq.pulse_delta_settle.low
            high = min(seq.pulse_delta_settle.high, w - seq.pulse_delta_min_aperture)
            if not low <= settle <= high:
                raise CheckError(f"pulse-delta write of {w:.3g} s: settle (the source delay) "
                                 f"must lie in [{low:.3g}, {high:.3g}] s "
                                 f"({seq.about('pulse-delta source delay')})")
    field = params.get("field_x", 0.0)
    if field:
        if "field_x" not in bench.roles:
            raise CheckError(f"field_x = {field:g} T needs a field controller in role 'field_x'")
        protocol.require_within_limit(bench, "field_x", "max_field", field, "field_x")


def calibrate_states(seq: Any, polarity: float, params: Mapping[str, Any],
                     list_min_width: float) -> tuple[float, float]:
    """Hall resistances of the reset state and of the written state, from strong writes.

    Two cycles with a write of ``polarity * reset_current`` (sure to switch) between reads; the
    first puts the device in the reset state whatever its state was, the second is measured;
    both writes are at least ``list_min_width`` long (the sequencer's list path).
    The device ends in the reset state.  Returns ``(r_reset, r_written)`` in ohm.
    """
    read = params["read_current"]
    reset = -polarity * params["reset_current"]
    width = max(params["reset_width"], list_min_width)
    volts = seq.write_read(np.array([-reset, -reset]), width, reset, params["reset_width"], read,
                           params["settle"])
    r_reset, r_written = (volts[1] / read).tolist()
    return r_reset, r_written


def outcome_rows(volts: np.ndarray, read_current: float, threshold: float, reset_state: int,
                 common: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per cycle: Hall resistances, states (+1 above ``threshold``, -1 below),
    ``switched`` (left the reset state), ``valid_reset`` (started in it)."""
    r = np.asarray(volts, dtype=float) / read_current
    states = np.where(r > threshold, 1, -1)
    rows = []
    for k in range(r.shape[0]):
        before, after = int(states[k, 0]), int(states[k, 1])
        rows.append({**common, "repeat": k, "r_before": float(r[k, 0]), "r_after": float(r[k, 1]),
                     "state_before": before, "state_after": after,
                     "valid_reset": before == reset_state,
                     "switched": before == reset_state and after != reset_state})
    return rows


#: columns every switching-probability style run writes per cycle
OUTCOME_COLUMNS = (
    Column("width", "s", doc="write pulse width"),
    Column("amplitude", "A", doc="write pulse amplitude"),
    Column("repeat", "", "i8", doc="cycle index at this grid point / probe"),
    Column("r_before", "ohm", doc="Hall resistance read before the write (V / I_read)"),
    Column("r_after", "ohm", doc="Hall resistance read after the write"),
    Column("state_before", "", "i8", doc="+1 / -1: Hall resistance above / below the threshold"),
    Column("state_after", "", "i8", doc="state after the write"),
    Column("valid_reset", "", "bool", doc="the cycle started in the reset state"),
    Column("switched", "", "bool", doc="started in the reset state and left it"),
    Column("reset_current", "A", doc="signed reset pulse amplitude"),
    Column("r_threshold", "ohm", doc="state threshold (midway between the calibrated states)"),
    Column("channel_resistance", "ohm", doc="4-wire channel resistance (2182A channel 2)"),
    Column("load_resistance", "ohm",
           doc="two-terminal resistance the pulse generator drives (source meter, 2-wire); NaN if unused"),
    Column("field_x", "T", doc="in-plane assist field set point"),
)

#: parameters shared by the switching-probability style protocols
SEQUENCE_PARAMS = (
    Param("reset_current", "A", default=12e-3, bounds=(1e-6, 0.105),
          doc="reset pulse amplitude (sign opposite to the writes); must switch surely"),
    Param("reset_width", "s", default=1e-3, bounds=(1e-3, 10.0),
          doc="reset pulse width (pulse-delta writes: the reset has the write width)"),
    Param("read_current", "A", default=100e-6, bounds=(1e-9, 10e-3), doc="read current"),
    Param("settle", "s", default=30e-6, bounds=(0.0, 1.0),
          doc="from setting the read level to the start of the 2182A conversion"),
    Param("field_x", "T", default=10e-3, bounds=(-2.0, 2.0), doc="in-plane assist field"),
)


class SequenceProtocol(MeasurementProtocol):
    """Shared setup: field, channel resistance, state calibration, reset state."""

    roles = {"current_source": CurrentSource, "sequencer": optional(WriteReadSequencer),
             "field_x": optional(FieldController), "voltmeter": optional(Voltmeter),
             #: ns .. us writes (Keysight 33500B): used only for widths below 50 us, with the
             #: two-terminal load it drives measured 2-wire by the source meter
             "pulse_generator": optional(PulseGenerator), "source_meter": optional(SourceMeter)}

    def _polarity(self, params: Mapping[str, Any]) -> float:
        return 1.0

    def setup(self, roles: Roles, params: Mapping[str, Any]) -> None:
        if "field_x" in roles:
            roles.field_x.set_field(params["field_x"])
        seq = sequencer_of(roles)
        self._resistance = float(seq.channel_resistance(params["read_current"]))
        self._load = float("nan")
        if "pulse_generator" in roles and "source_meter" in roles:
            self._load = two_terminal_resistance(roles.source_meter, params["read_current"])
            self._check_generator_drive(roles, params)
        polarity = self._polarity(params)
        caps = roles.capabilities(sequencer_role(roles), WriteReadSequencer)
        r_reset, r_written = calibrate_states(seq, polarity, params, caps.list_width.low)
        if abs(r_written - r_reset) < 1e-3 * max(abs(r_reset), abs(r_written), 1e-9):
            raise RuntimeError(f"a {polarity * params['reset_current']:.3g} A pulse does not switch "
                               f"the device (Hall resistance {r_reset:.4g} -> {r_written:.4g} ohm): "
                               f"raise reset_current or use a non-zero field_x")
        self._threshold = 0.5 * (r_reset + r_written)
        self._reset_state = 1 if r_reset > self._threshold else -1

    def _widths(self, params: Mapping[str, Any]) -> Sequence[float]:
        return params["widths"]

    def _largest_write(self, params: Mapping[str, Any]) -> float:
        """The largest |write amplitude| the run may ask for (A)."""
        raise NotImplementedError

    def _check_generator_drive(self, roles: Roles, params: Mapping[str, Any]) -> None:
        """Once the two-terminal load R is measured (before the run file exists): refuse writes
        the generator cannot drive, EMF = I (R_out + R) above its largest open-circuit voltage."""
        gen = roles.capabilities("pulse_generator")
        seq = roles.capabilities(sequencer_role(roles), WriteReadSequencer)
        if not isinstance(gen, PulseGeneratorCapabilities) or not math.isfinite(self._load):
            return
        short = [w for w in self._widths(params) if write_path(w, seq, gen) == "pulse_generator"]
        top = self._largest_write(params)
        reach = gen.max_open_circuit_voltage / (gen.output_impedance + self._load)
        if short and top > reach:
            raise CheckError(f"writes up to {top:.4g} A at {min(short):.3g} s come from "
                             f"{gen.about('output')}: into the measured two-terminal load "
                             f"{self._load:.4g} ohm its {gen.max_open_circuit_voltage:g} V "
                             f"open-circuit maximum behind {gen.output_impedance:g} ohm drives at "
                             f"most {reach:.4g} A; lower the amplitudes or use longer widths")

    def _cycles(self, roles: Roles, params: Mapping[str, Any], amplitude: float, width: float,
                repeats: int) -> np.ndarray:
        reset = -math.copysign(params["reset_current"], amplitude)
        gen = roles.capabilities("pulse_generator") if "pulse_generator" in roles else None
        path = write_path(width, roles.capabilities(sequencer_role(roles), WriteReadSequencer), gen)
        if path == "pulse_generator":
            return _generator_cycles(roles, params, amplitude, width, repeats, reset, self._load)
        return sequencer_of(roles).write_read(np.full(repeats, amplitude), width, reset,
                                              params["reset_width"], params["read_current"],
                                              params["settle"])

    def _rows(self, volts: np.ndarray, params: Mapping[str, Any], amplitude: float, width: float,
              **extra: Any) -> list[dict[str, Any]]:
        common = {"width": width, "amplitude": amplitude,
                  "reset_current": -math.copysign(params["reset_current"], amplitude),
                  "r_threshold": self._threshold, "channel_resistance": self._resistance,
                  "load_resistance": self._load,
                  "field_x": params["field_x"], **extra}
        return outcome_rows(volts, params["read_current"], self._threshold, self._reset_state,
                            common)


def two_terminal_resistance(smu: SourceMeter, current: float) -> float:
    """Two-terminal resistance at the source meter's terminals (wired to the device's current
    channel, 2-wire), by current reversal: what a pulse generator on the same channel drives."""
    smu.source_current(current)
    smu.enable()
    try:
        v_plus = smu.measure_voltage()
        smu.source_current(-current)
        v_minus = smu.measure_voltage()
    finally:
        smu.disable()
        smu.source_current(0.0)
    return (v_plus - v_minus) / (2.0 * current)


def _generator_cycles(roles: Roles, params: Mapping[str, Any], amplitude: float, width: float,
                      repeats: int, reset: float, resistance: float) -> np.ndarray:
    """Short writes from a ``pulse_generator`` role (:class:`instruments.roles.PulseGenerator`:
    the level that drives ``amplitude`` into the two-terminal load ``resistance`` (the channel
    and its leads as the generator sees them, not the 4-wire channel resistance), from
    ``voltage_for``), reads by the voltmeter at a DC read current from the current source,
    resets by the current source: one round trip per cycle (a triggered burst interleaved with
    the 6221 list sweep is the buffered path still to build with the generator's driver)."""
    gen, src, vm = roles["pulse_generator"], roles.current_source, roles.get("voltmeter")
    if vm is None:
        raise CheckError("pulse-generator writes need a 'voltmeter' role for the reads")
    read = params["read_current"]
    volts = gen.voltage_for(amplitude, resistance)
    gen.enable()
    out = np.empty((repeats, 2))
    for k in range(repeats):
        src.set_current(read)
        src.enable()
        out[k, 0] = vm.read_voltage()
        src.disable()
        gen.pulse(volts, width)
        src.enable()
        out[k, 1] = vm.read_voltage()
        src.disable()
        src.pulse(reset, params["reset_width"], 0.0)
        src.disable()
    gen.disable()
    return out


class SwitchingProbability(SequenceProtocol):
    """Switching probability map: every outcome of ``repeats`` cycles per (amplitude, width)."""

    name = "switching-probability"
    description = ("switching probability map: reset -> write -> read cycles on an (amplitude, "
                   "width) grid, every outcome recorded")
    params = (
        Param("amplitudes", "A", default=(5.0e-3, 5.15e-3, 5.3e-3, 5.45e-3, 5.6e-3, 5.75e-3, 5.9e-3),
              bounds=(-0.105, 0.105), sequence=True, doc="write pulse amplitudes (one sign)"),
        Param("widths", "s", default=(1e-3, 10e-3), bounds=(1e-12, 10.0), sequence=True,
              doc="write pulse widths"),
        Param("repeats", "", int, default=100, bounds=(1, 1_000_000),
              doc="write/read cycles per grid point"),
        *SEQUENCE_PARAMS,
    )
    columns = OUTCOME_COLUMNS

    def check(self, params: Mapping[str, Any], bench: Any) -> None:
        check_sequence(self, params, bench, params["widths"], params["amplitudes"])

    def _polarity(self, params: Mapping[str, Any]) -> float:
        return math.copysign(1.0, params["amplitudes"][0])

    def _largest_write(self, params: Mapping[str, Any]) -> float:
        return max(abs(a) for a in params["amplitudes"])

    def steps(self, params: Mapping[str, Any]) -> Sequence[tuple[float, float]]:
        return [(w, a) for w in params["widths"] for a in params["amplitudes"]]

    def measure(self, roles: Roles, params: Mapping[str, Any],
                step: tuple[float, float]) -> list[dict[str, Any]]:
        width, amplitude = step
        volts = self._cycles(roles, params, amplitude, width, params["repeats"])
        return self._rows(volts, params, amplitude, width)
