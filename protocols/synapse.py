"""Multi-state synapse protocols: ``ctc-states`` and ``potentiation-depression``.

Both run as pulse trains with a read after every pulse on a
:class:`~instruments.roles.PulseReadSequencer` (role ``pulse_sequencer``, or the
``current_source`` when that instrument fills it, as a Keithley 6221 with a linked 2182A does):
a 6221 list sweep runs up to 512 pulse/read pairs whose readings the 2182A buffers, so 11 states
x 1,000 cycles cost a few hundred VISA round trips, not one per pulse. One runner step is a
block of ``cycles_per_step`` whole cycles, and every cycle starts with a saturating reset, so a resumed run starts
every step from the same device state (contracts §6).

``ctc-states`` (cycle-to-cycle variation of an L-state scheme)
    For each cycle: for an *amplitude-coded* scheme, for k = 1 .. L-1: reset, read (state 0),
    one write pulse of amplitude I_k, read (state k); for a *count-coded* scheme: reset, read
    (state 0), then L-1 identical pulses with a read after each (state k after k pulses). Every
    read is a row with its cycle and state index.

``potentiation-depression`` (LTP / LTD)
    For each cycle: reset to the depressed state, read, ``n_pulses`` identical potentiating
    pulses then ``n_pulses`` identical depressing pulses, a read after every pulse.

The weight read is the Hall resistance R_xy = V / I_read of the Hall-cross synapse (column
``r_hall``; for a junction read-out it would be the conductance). Fits and figures live in
:mod:`analysis.synapse` (registered per protocol name).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from spinbench.instruments.capabilities import PulseSequencerCapabilities
from spinbench.instruments.roles import CurrentSource, PulseReadSequencer
from spinbench.protocols.base import (BenchLike, CheckError, Column, MeasurementProtocol, Param, Roles,
                                      optional)

__all__ = ["CtcStates", "PotentiationDepression", "write_amplitudes", "sequencer_role"]

def sequencer_role(roles: Mapping[str, Any]) -> str:
    """The role whose instrument runs the pulse trains: ``pulse_sequencer`` if the bench has
    one, else ``current_source`` (a 6221 + 2182A fills both)."""
    return "pulse_sequencer" if "pulse_sequencer" in roles else "current_source"


def _capabilities(bench: BenchLike) -> PulseSequencerCapabilities:
    """The pulse/read sequencer's capabilities; refuses a bench without one."""
    role = sequencer_role(bench.roles)
    if not bench.fills(role, PulseReadSequencer):
        raise CheckError(f"bench {bench.name!r} has no pulse/read sequencer (a 'pulse_sequencer' "
                         f"role, or a current_source such as a 6221 + 2182A that runs buffered "
                         f"pulse trains)")
    caps = bench.capabilities(role, PulseReadSequencer)
    if not isinstance(caps, PulseSequencerCapabilities):
        raise CheckError(f"{caps.instrument} ({caps.driver}) declares no pulse/read sequencer "
                         f"capabilities: the pulse widths it times are unknown")
    return caps


def _sequencer(roles: Roles) -> Any:
    return roles[sequencer_role(roles)]


def write_amplitudes(params: Mapping[str, Any]) -> np.ndarray:
    """The L-1 write amplitudes I_1 .. I_(L-1) of an amplitude-coded scheme, evenly spaced from
    ``write_min`` to ``write_max`` (state 0 is the reset state)."""
    return np.linspace(params["write_min"], params["write_max"], params["n_states"] - 1)


_COMMON_PARAMS = (
    Param("width", "s", default=1e-3, bounds=(1e-3, 10.0), doc="write pulse width"),
    Param("reset_current", "A", default=12e-3, bounds=(1e-6, 0.105),
          doc="saturating reset pulse amplitude (sign opposite to the writes)"),
    Param("reset_width", "s", default=1e-3, bounds=(1e-3, 10.0), doc="reset pulse width"),
    Param("read_current", "A", default=500e-6, bounds=(1e-9, 10e-3), doc="read current"),
    Param("settle", "s", default=30e-6, bounds=(0.0, 1.0),
          doc="from setting the read level to the start of the conversion"),
    Param("cycles_per_step", "", int, default=25, bounds=(1, 100_000),
          doc="cycles per runner step (a resume rewinds one step)"),
)


class _SynapseTrain(MeasurementProtocol):
    """Shared: roles, checks, blocks of cycles, reading and rows."""

    roles = {"current_source": CurrentSource, "pulse_sequencer": optional(PulseReadSequencer)}

    def _write_signs(self, params: Mapping[str, Any]) -> set[float]:
        raise NotImplementedError

    def _check_common(self, params: Mapping[str, Any], bench: BenchLike, amps: Sequence[float]) -> None:
        caps = _capabilities(bench)
        for a in amps:
            self.require_within_limit(bench, "current_source", "max_current", a, "write amplitude")
            caps.current.require(a, "write amplitude")
        for name in ("reset_current", "read_current"):
            self.require_within_limit(bench, "current_source", "max_current", params[name], name)
            caps.current.require(params[name], name)
        if any(a == 0 for a in amps):
            raise CheckError("write amplitudes must be non-zero")
        for name in ("width", "reset_width"):
            caps.pulse_width.require(params[name], name)
        if params["settle"] + caps.read_aperture > min(params["width"], params["reset_width"]):
            raise CheckError(f"settle = {params['settle']:.3g} s + the read aperture "
                             f"{caps.read_aperture:.3g} s must fit in the write and reset pulses")

    def steps(self, params: Mapping[str, Any]) -> Sequence[tuple[int, int]]:
        """Blocks of ``cycles_per_step`` whole cycles ``(first cycle, cycles)``: a resume
        rewinds one block; the sequencer buffers a block in as few sweeps as it can."""
        per_step = params["cycles_per_step"]
        return [(c, min(per_step, params["cycles"] - c)) for c in range(0, params["cycles"], per_step)]

    def _reset(self, params: Mapping[str, Any], write_sign: float) -> float:
        return -write_sign * params["reset_current"]

    def _run(self, roles: Roles, params: Mapping[str, Any], amps: list[float],
             widths: list[float]) -> np.ndarray:
        volts = _sequencer(roles).pulse_read(np.asarray(amps), np.asarray(widths),
                                             params["read_current"], params["settle"])
        return np.asarray(volts, dtype=float) / params["read_current"]


class CtcStates(_SynapseTrain):
    """Cycle-to-cycle variation of every state of an L-state scheme."""

    name = "ctc-states"
    description = ("cycle-to-cycle variation of an L-state synapse: reset, write state k "
                   "(amplitude- or count-coded), read; every read with its cycle and state")
    params = (
        Param("n_states", "", int, default=11, bounds=(2, 256), doc="L, states including the reset state 0"),
        Param("cycles", "", int, default=100, bounds=(1, 1_000_000), doc="C, cycles of all L states"),
        Param("coding", "", str, default="amplitude", choices=("amplitude", "count"),
              doc="amplitude: one pulse of I_k; count: k identical pulses of count_amplitude"),
        Param("write_min", "A", default=4.85e-3, bounds=(-0.105, 0.105), doc="I_1 (amplitude coding)"),
        Param("write_max", "A", default=8.6e-3, bounds=(-0.105, 0.105), doc="I_(L-1) (amplitude coding)"),
        Param("count_amplitude", "A", default=5.6e-3, bounds=(-0.105, 0.105),
              doc="amplitude of the identical pulses (count coding)"),
        *_COMMON_PARAMS,
    )
    columns = (
        Column("cycle", "", "i8", doc="cycle index"),
        Column("state", "", "i8", doc="state index k (0 = the reset state)"),
        Column("pulses", "", "i8", doc="write pulses since the reset"),
        Column("amplitude", "A", doc="amplitude of the last write pulse (0 for the reset read)"),
        Column("r_hall", "ohm", doc="Hall resistance read after the pulse (V / I_read)"),
        Column("reset_current", "A", doc="signed reset pulse amplitude"),
    )

    def _amps(self, params: Mapping[str, Any]) -> np.ndarray:
        if params["coding"] == "count":
            return np.array([params["count_amplitude"]])
        return write_amplitudes(params)

    def check(self, params: Mapping[str, Any], bench: Any) -> None:
        amps = self._amps(params)
        self._check_common(params, bench, amps)
        if len({math.copysign(1.0, a) for a in amps}) > 1:
            raise CheckError("write amplitudes must all have one sign (the reset has the other)")

    def measure(self, roles: Roles, params: Mapping[str, Any],
                step: tuple[int, int]) -> list[dict[str, Any]]:
        first, n_cycles = step
        amps = self._amps(params)
        sign = math.copysign(1.0, float(amps[0]))
        reset = self._reset(params, sign)
        n = params["n_states"] - 1
        pulses, widths, labels = [], [], []   # labels: (state, pulses since reset, amplitude)
        for _ in range(n_cycles):
            if params["coding"] == "amplitude":
                for k, a in enumerate(amps, start=1):
                    pulses += [reset, float(a)]
                    widths += [params["reset_width"], params["width"]]
                    labels += [(0, 0, 0.0), (k, 1, float(a))]
            else:
                a = float(amps[0])
                pulses += [reset] + [a] * n
                widths += [params["reset_width"]] + [params["width"]] * n
                labels += [(0, 0, 0.0)] + [(k, k, a) for k in range(1, n + 1)]
        r = self._run(roles, params, pulses, widths)
        per = len(labels) // n_cycles
        return [{"cycle": first + i // per, "state": s, "pulses": p, "amplitude": a,
                 "r_hall": float(r[i]), "reset_current": reset}
                for i, (s, p, a) in enumerate(labels)]



class PotentiationDepression(_SynapseTrain):
    """LTP / LTD: trains of identical potentiating then depressing pulses, read after each."""

    name = "potentiation-depression"
    description = ("LTP/LTD: trains of identical positive then negative pulses, many cycles, "
                   "the weight read after every pulse")
    params = (
        Param("n_pulses", "", int, default=40, bounds=(1, 100_000), doc="pulses per train"),
        Param("cycles", "", int, default=10, bounds=(1, 100_000), doc="LTP + LTD cycles"),
        Param("amplitude_p", "A", default=6.1e-3, bounds=(-0.105, 0.105), doc="potentiating pulse"),
        Param("amplitude_d", "A", default=-6.1e-3, bounds=(-0.105, 0.105), doc="depressing pulse"),
        *_COMMON_PARAMS,
    )
    columns = (
        Column("cycle", "", "i8", doc="cycle index"),
        Column("pulse", "", "i8", doc="pulse index in the cycle (0 = the read after the reset)"),
        Column("phase", "", "i8", doc="+1 potentiation, -1 depression, 0 the reset read"),
        Column("amplitude", "A", doc="amplitude of the pulse before the read"),
        Column("r_hall", "ohm", doc="Hall resistance read after the pulse (V / I_read)"),
    )

    def check(self, params: Mapping[str, Any], bench: Any) -> None:
        amps = (params["amplitude_p"], params["amplitude_d"])
        self._check_common(params, bench, amps)
        if math.copysign(1.0, amps[0]) == math.copysign(1.0, amps[1]):
            raise CheckError("amplitude_p and amplitude_d must have opposite signs")

    def measure(self, roles: Roles, params: Mapping[str, Any],
                step: tuple[int, int]) -> list[dict[str, Any]]:
        first, n_cycles = step
        ap, ad, n = params["amplitude_p"], params["amplitude_d"], params["n_pulses"]
        reset = self._reset(params, math.copysign(1.0, ap))
        pulses, widths, labels = [], [], []
        for _ in range(n_cycles):
            pulses += [reset] + [ap] * n + [ad] * n
            widths += [params["reset_width"]] + [params["width"]] * (2 * n)
            labels += [(0, 0, reset)] + [(k, 1, ap) for k in range(1, n + 1)] \
                + [(n + k, -1, ad) for k in range(1, n + 1)]
        r = self._run(roles, params, pulses, widths)
        per = len(labels) // n_cycles
        return [{"cycle": first + i // per, "pulse": k, "phase": ph, "amplitude": a,
                 "r_hall": float(r[i])} for i, (k, ph, a) in enumerate(labels)]

