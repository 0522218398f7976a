"""Spin-loss comparison (KIST 2025): the same critical-current protocol on benches whose devices
differ only in the spin-absorption fraction, and a table of critical current density and energy
per switch against absorption.

Han et al., Nat. Commun. 16 (2025), "Magnetization switching driven by magnonic spin
dissipation" (KIST press release 2025-08-25): in a ferromagnet / antiferromagnetic-insulator
bilayer, the spin current the charge current generates in the ferromagnet and that the AFI
absorbs ("spin loss") exerts a reaction damping-like torque, so the switching efficiency grows
with absorption -- up to three times less energy per switch.  The simulated benches
``spinloss-low`` / ``-mid`` / ``-high`` use the physics preset ``spinloss`` with absorption
0, 0.5, 1 (``xi_DL = xi_0 (1 + (sqrt(3) - 1) a)``: Ic down by sqrt(3), I^2 R t down by 3 at
a = 1; the linear form in a is the preset's).

This module only orchestrates runs (through :func:`protocols.runner.run`); the fits, table and
figure are the ``spinloss`` comparison of :mod:`analysis.spinloss`, reached through
:func:`protocols.runner.compare` (protocols never import analysis).  ``spinbench
compare-spinloss`` calls :func:`compare_spinloss`.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

__all__ = ["DEFAULT_BENCHES", "DEFAULT_PARAMS", "compare_spinloss"]

DEFAULT_BENCHES = ("spinloss-low", "spinloss-mid", "spinloss-high")
#: the protocol parameters of the comparison (one set for every bench: same widths, bracket,
#: reset); the reset must switch surely yet stay below ~2 Ic at the highest absorption, where
#: a strongly supercritical pulse pulls the moment in plane and it relaxes up or down at random
DEFAULT_PARAMS: dict[str, Any] = {"widths": (1e-3, 10e-3), "current_low": 0.5e-3,
                                  "current_high": 8e-3, "reset_current": 8e-3,
                                  "repeats": 60, "bisections": 7,
                                  "refine": (-0.06, -0.03, 0.0, 0.03, 0.06)}


def _absorption(bench_name: str) -> float:
    """The spin-absorption fraction a bench's sample is labelled with (``sim.device.params``)."""
    from spinbench.instruments import Bench

    raw = Bench.load(bench_name).raw
    try:
        return float(raw["sim"]["device"]["params"]["absorption"])
    except (KeyError, TypeError):
        return math.nan


def compare_spinloss(benches: Sequence[str] = DEFAULT_BENCHES, out_dir: str | Path = "runs",
                     params: Mapping[str, Any] | None = None, *, cross_section: float = 2e-6 * 1.5e-9,
                     seed: int | None = None, out: TextIO | None = None) -> dict[str, Any]:
    """Run ``critical-current-vs-width`` on each bench, fit, and tabulate against absorption.

    Parameters
    ----------
    benches
        Bench names or paths; each bench file labels its sample with
        ``sim: device: params: absorption`` (NaN if absent).
    params
        Protocol parameters (defaults :data:`DEFAULT_PARAMS`).
    cross_section
        Cross-section (m^2) of the current-carrying layer for the current density (the spinloss
        sample: 2 um x 1.5 nm).
    out
        Where the table is printed (``None``: not printed).

    Returns
    -------
    dict
        ``rows`` (one dict per bench and width), ``ratio_50`` (energy at 50 % of the
        lowest-absorption bench over the highest, per width), ``csv`` and ``figure`` paths.
    """
    from spinbench.protocols.critical_current import CriticalCurrentVsWidth
    from spinbench.protocols.runner import compare, run

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    values = {**DEFAULT_PARAMS, **dict(params or {})}
    runs = []
    for bench in benches:
        result = run(CriticalCurrentVsWidth, bench, values, out_dir=out_dir, seed=seed,
                     progress=False)
        runs.append((bench, _absorption(bench), result.path))
    summary = compare("spinloss", runs, out_dir, cross_section=cross_section)
    if out is not None:
        out.write(summary["table"] + "\n")
        out.write(f"table: {summary['csv']}\nfigure: {summary['figure']}\n")
    return summary
