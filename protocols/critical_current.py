"""50 % switching current against write width, found adaptively.

For each write width, the 50 % switching current is located by bisection on the switching
probability, each probe (one runner step) being ``repeats`` reset -> write -> read cycles (a
stochastic bisection: a probe whose fraction is >= 1/2 lowers the upper bracket, otherwise it
raises the lower one), then ``refine`` probes are spread around the bracket's centre so the
analysis has the slope of P(I) too.  Every single outcome is recorded (the columns of
:mod:`protocols.switching_probability`, plus the probe index and stage), and the analysis fits
all widths jointly (Neel-Brown, maximum likelihood) and the short-pulse law (Sun).

Each probe's amplitude is decided from the recorded outcomes of the earlier probes at its width
(:meth:`CriticalCurrentVsWidth.next_step`), so the runner checkpoints every decision and a
resumed run continues mid-bisection, reproducing the uninterrupted run under its seed.

Widths span what the bench can time (:func:`protocols.switching_probability.write_path`, from
the capabilities of the sequencer and the pulse generator the bench declares, e.g. 6221 list
sweeps from 1 ms, pulse delta 50 us .. 12 ms, a 33500B from 16 ns).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from spinbench.protocols.base import AdaptiveProtocol, BenchLike, CheckError, Column, Param, Roles
from spinbench.protocols.switching_probability import OUTCOME_COLUMNS, SEQUENCE_PARAMS, SequenceProtocol, check_sequence

__all__ = ["CriticalCurrentVsWidth", "Probe", "bisection_probes", "switched_fraction"]

#: stage codes of the ``stage`` column
BISECT, REFINE = 0, 1


class Probe(NamedTuple):
    """One step: ``repeats`` cycles at one write amplitude (the decision is the amplitude)."""

    width: float
    #: probe index at this width
    probe: int
    #: :data:`BISECT` or :data:`REFINE`
    stage: int
    amplitude: float


def switched_fraction(points: Sequence[Mapping[str, Any]]) -> float:
    """Switched fraction of the cycles that started in the reset state (0 if none did)."""
    valid = [bool(p["switched"]) for p in points if p["valid_reset"]]
    return sum(valid) / len(valid) if valid else 0.0


def bisection_probes(low: float, high: float, fractions: Sequence[float]) -> tuple[float, float]:
    """Bracket after stochastic bisection steps with the given measured fractions (for tests
    and documentation): each fraction >= 1/2 moves ``high`` to the midpoint, else ``low``."""
    for f in fractions:
        mid = 0.5 * (low + high)
        low, high = (low, mid) if f >= 0.5 else (mid, high)
    return low, high


class CriticalCurrentVsWidth(SequenceProtocol, AdaptiveProtocol):
    """Adaptive search of the 50 % switching current at each write width: every probe is a
    step the runner checkpoints (:class:`~protocols.base.AdaptiveProtocol`), so an interrupted
    search resumes at the probe where it stopped."""

    name = "critical-current-vs-width"
    description = "50 % switching current vs write width by stochastic bisection (all outcomes kept)"
    params = (
        Param("widths", "s", default=(100e-6, 1e-3, 10e-3), bounds=(1e-12, 10.0), sequence=True,
              doc="write pulse widths"),
        Param("current_low", "A", default=2e-3, bounds=(1e-6, 0.105),
              doc="lower end of the initial bracket (should not switch)"),
        Param("current_high", "A", default=10e-3, bounds=(1e-6, 0.105),
              doc="upper end of the initial bracket (should switch)"),
        Param("repeats", "", int, default=50, bounds=(1, 100_000), doc="cycles per probe"),
        Param("bisections", "", int, default=7, bounds=(0, 30), doc="bisection probes per width"),
        Param("refine", "", float, default=(-0.04, -0.02, 0.0, 0.02, 0.04), bounds=(-0.9, 0.9),
              sequence=True, doc="relative offsets of the refinement probes around the estimate"),
        *SEQUENCE_PARAMS,
    )
    columns = (*OUTCOME_COLUMNS,
               Column("probe", "", "i8", doc="probe index at this width"),
               Column("stage", "", "i8", doc="0 bisection, 1 refinement"))

    def check(self, params: Mapping[str, Any], bench: BenchLike) -> None:
        if params["current_low"] >= params["current_high"]:
            raise CheckError(f"current_low = {params['current_low']:g} A must be below "
                             f"current_high = {params['current_high']:g} A")
        top = params["current_high"] * (1 + max(0.0, max(params["refine"])))
        check_sequence(self, params, bench, params["widths"], [params["current_low"], top])

    def _largest_write(self, params: Mapping[str, Any]) -> float:
        return params["current_high"] * (1 + max(0.0, max(params["refine"])))

    def max_steps(self, params: Mapping[str, Any]) -> int:
        return len(params["widths"]) * (params["bisections"] + len(params["refine"]))

    def next_step(self, params: Mapping[str, Any],
                  history: Sequence[Sequence[Mapping[str, Any]]]) -> Probe | None:
        """The next probe, from the recorded outcomes of the earlier probes at its width: the
        bracket is replayed by :func:`bisection_probes` over their switched fractions."""
        k = len(history)
        per = params["bisections"] + len(params["refine"])
        if k >= self.max_steps(params):
            return None
        width, j = float(params["widths"][k // per]), k % per
        earlier = history[k - j:k][:params["bisections"]]
        low, high = bisection_probes(params["current_low"], params["current_high"],
                                     [switched_fraction(points) for points in earlier])
        if j < params["bisections"]:
            return Probe(width, j, BISECT, 0.5 * (low + high))
        offset = params["refine"][j - params["bisections"]]
        limit = params["current_high"] * (1 + max(0.0, max(params["refine"])))
        return Probe(width, j, REFINE, min(0.5 * (low + high) * (1 + offset), limit))

    def measure(self, roles: Roles, params: Mapping[str, Any], step: Probe) -> list[dict[str, Any]]:
        volts = self._cycles(roles, params, step.amplitude, step.width, params["repeats"])
        return self._rows(volts, params, step.amplitude, step.width, probe=step.probe,
                          stage=step.stage)
