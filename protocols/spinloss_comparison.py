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

This module orchestrates runs (it opens benches through :func:`protocols.runner.run`) and
uses :mod:`analysis.switching_probability` for the fits; ``spinbench compare-spinloss`` calls
:func:`compare_spinloss`.
"""
from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

__all__ = ["DEFAULT_BENCHES", "DEFAULT_PARAMS", "compare_spinloss", "format_table"]

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
    from spinbench.analysis.switching_probability import energy_per_switch, fit_neel_brown
    from spinbench.protocols.critical_current import CriticalCurrentVsWidth
    from spinbench.protocols.runner import run
    from spinbench.protocols.runstore import RunReader

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    values = {**DEFAULT_PARAMS, **dict(params or {})}
    rows: list[dict[str, Any]] = []
    for bench in benches:
        result = run(CriticalCurrentVsWidth, bench, values, out_dir=out_dir, seed=seed,
                     progress=False)
        with RunReader(result.path) as reader:
            df = reader.to_dataframe()
        fit = fit_neel_brown(df)
        resistance = float(np.nanmedian(df["channel_resistance"]))
        energy = energy_per_switch(fit, sorted(df["width"].unique()), resistance)
        for rec in energy.to_dict("records"):
            rows.append({"bench": bench, "absorption": _absorption(bench),
                         "width_s": rec["width"], "ic0_A": fit.ic0, "ic0_err_A": fit.ic0_err,
                         "delta": fit.delta, "delta_err": fit.delta_err,
                         "jc0_A_per_m2": fit.ic0 / cross_section,
                         "i50_A": rec["i50"], "j50_A_per_m2": rec["i50"] / cross_section,
                         "energy50_J": rec["energy50"], "energy99_J": rec["energy99"],
                         "resistance_ohm": resistance, "run_file": str(result.path)})
    rows.sort(key=lambda r: (r["width_s"], r["absorption"]))
    ratios = {}
    for width in sorted({r["width_s"] for r in rows}):
        at = [r for r in rows if r["width_s"] == width]
        low = min(at, key=lambda r: r["absorption"])
        high = max(at, key=lambda r: r["absorption"])
        ratios[width] = low["energy50_J"] / high["energy50_J"]
    csv_path = out_dir / "spinloss_comparison.csv"
    with csv_path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    figure = _plot(rows, out_dir / "spinloss_comparison.png")
    summary = {"rows": rows, "ratio_50": ratios, "csv": csv_path, "figure": figure}
    if out is not None:
        out.write(format_table(rows, ratios) + "\n")
        out.write(f"table: {csv_path}\nfigure: {figure}\n")
    return summary


def format_table(rows: Sequence[Mapping[str, Any]], ratios: Mapping[float, float]) -> str:
    """The comparison as a fixed-width text table plus the energy ratios."""
    head = (f"{'bench':<16}{'absorption':>11}{'width':>10}{'Jc0 (A/m2)':>13}{'Delta':>8}"
            f"{'I50 (mA)':>10}{'E50 (nJ)':>11}{'E99 (nJ)':>11}")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['bench']:<16}{r['absorption']:>11.2f}{r['width_s']:>10.3g}"
                     f"{r['jc0_A_per_m2']:>13.3e}{r['delta']:>8.1f}{r['i50_A'] * 1e3:>10.3f}"
                     f"{r['energy50_J'] * 1e9:>11.1f}{r['energy99_J'] * 1e9:>11.1f}")
    for width, ratio in ratios.items():
        lines.append(f"energy per switch (50 %), lowest / highest absorption at {width:.3g} s: "
                     f"{ratio:.2f}x")
    return "\n".join(lines)


def _plot(rows: Sequence[Mapping[str, Any]], path: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6))
    widths = sorted({r["width_s"] for r in rows})
    # Jc0 is a device property (the same at every width): one curve
    at = sorted((r for r in rows if r["width_s"] == widths[0]), key=lambda r: r["absorption"])
    ax1.plot([r["absorption"] for r in at], [r["jc0_A_per_m2"] for r in at], "o-", color="k")
    for width in widths:
        at = sorted((r for r in rows if r["width_s"] == width), key=lambda r: r["absorption"])
        a = [r["absorption"] for r in at]
        line, = ax2.plot(a, [r["energy50_J"] * 1e9 for r in at], "o-", label=f"E50, {width * 1e3:.3g} ms")
        ax2.plot(a, [r["energy99_J"] * 1e9 for r in at], "s--", color=line.get_color(),
                 label=f"E99, {width * 1e3:.3g} ms")
    ax1.set_xlabel("spin absorption fraction")
    ax1.set_ylabel("Jc0 (A/m²)")
    ax2.set_xlabel("spin absorption fraction")
    ax2.set_ylabel("energy per switch (nJ)")   # the table's unit
    ax2.set_yscale("log")
    ax2.legend(fontsize=7)
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3, which="both")
    fig.suptitle("Spin-loss switching: critical current density and energy per switch", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
