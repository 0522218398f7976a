"""50 % switching current against write width, found adaptively.

For each write width (one runner step), the 50 % switching current is located by bisection on
the switching probability, each probe being ``repeats`` reset -> write -> read cycles (a
stochastic bisection: a probe whose fraction is >= 1/2 lowers the upper bracket, otherwise it
raises the lower one), then ``refine`` probes are spread around the bracket's centre so the
analysis has the slope of P(I) too.  Every single outcome is recorded (the columns of
:mod:`protocols.switching_probability`, plus the probe index and stage), and the analysis fits
all widths jointly (Neel-Brown, maximum likelihood) and the short-pulse law (Sun).

Widths span what the bench can time (:func:`protocols.switching_probability.write_path`):
6221 list sweeps from 1 ms, 6221 pulse delta 50 us .. 1 ms, and below 50 us a
``pulse_generator`` role when the bench has one.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from spinbench.protocols.base import CheckError, Column, Param, Roles
from spinbench.protocols.switching_probability import OUTCOME_COLUMNS, SEQUENCE_PARAMS, SequenceProtocol, check_sequence

__all__ = ["CriticalCurrentVsWidth", "bisection_probes"]

#: stage codes of the ``stage`` column
BISECT, REFINE = 0, 1


def bisection_probes(low: float, high: float, fractions: Sequence[float]) -> tuple[float, float]:
    """Bracket after stochastic bisection steps with the given measured fractions (for tests
    and documentation): each fraction >= 1/2 moves ``high`` to the midpoint, else ``low``."""
    for f in fractions:
        mid = 0.5 * (low + high)
        low, high = (low, mid) if f >= 0.5 else (mid, high)
    return low, high


class CriticalCurrentVsWidth(SequenceProtocol):
    """Adaptive search of the 50 % switching current at each write width."""

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

    def check(self, params: Mapping[str, Any], bench: Any) -> None:
        if params["current_low"] >= params["current_high"]:
            raise CheckError(f"current_low = {params['current_low']:g} A must be below "
                             f"current_high = {params['current_high']:g} A")
        top = params["current_high"] * (1 + max(0.0, max(params["refine"])))
        check_sequence(self, params, bench, params["widths"], [params["current_low"], top])

    def steps(self, params: Mapping[str, Any]) -> Sequence[float]:
        return list(params["widths"])

    def measure(self, roles: Roles, params: Mapping[str, Any], step: float) -> list[dict[str, Any]]:
        width = float(step)
        low, high = params["current_low"], params["current_high"]
        rows: list[dict[str, Any]] = []
        probe = 0

        def run_probe(amplitude: float, stage: int) -> float:
            nonlocal probe
            volts = self._cycles(roles, params, amplitude, width, params["repeats"])
            new = self._rows(volts, params, amplitude, width, probe=probe, stage=stage)
            rows.extend(new)
            probe += 1
            valid = [r for r in new if r["valid_reset"]]
            return float(np.mean([r["switched"] for r in valid])) if valid else 0.0

        for _ in range(params["bisections"]):
            mid = 0.5 * (low + high)
            if run_probe(mid, BISECT) >= 0.5:
                high = mid
            else:
                low = mid
        centre = 0.5 * (low + high)
        limit = params["current_high"] * (1 + max(0.0, max(params["refine"])))
        for offset in params["refine"]:
            run_probe(min(centre * (1 + offset), limit), REFINE)
        return rows

    def analyze(self, reader, outdir: Path) -> list[Path]:
        from spinbench.analysis.switching_probability import analyze_run

        return analyze_run(reader, outdir)
