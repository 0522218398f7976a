"""Spin-loss comparison (KIST 2025): critical current density and energy per switch against
spin absorption, from one ``critical-current-vs-width`` run per bench.

Han et al., Nat. Commun. 16 (2025), "Magnetization switching driven by magnonic spin
dissipation": the spin current a ferromagnet / antiferromagnetic-insulator bilayer absorbs
exerts a reaction damping-like torque, so the switching efficiency grows with absorption.
Each run is fitted jointly (Neel-Brown, :func:`analysis.switching_probability.fit_neel_brown`)
and its energy per switch I^2 R t at 50 % and 99 % tabulated against absorption.
``spinbench compare-spinloss`` runs the benches (:mod:`protocols.spinloss_comparison`) and
calls this through :func:`analysis.registry.compare`.
"""
from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from spinbench.analysis.registry import register_comparison
from spinbench.analysis.switching_probability import energy_per_switch, fit_neel_brown
from spinbench.protocols.runstore import RunReader

__all__ = ["format_table", "summarize_spinloss"]


@register_comparison("spinloss")
def summarize_spinloss(runs: Sequence[tuple[str, float, Path]], out_dir: Path, *,
                       cross_section: float = 2e-6 * 1.5e-9) -> dict[str, Any]:
    """Fit each ``(bench, absorption, run file)`` and tabulate against absorption.

    Returns ``rows`` (one dict per bench and width), ``ratio_50`` (energy at 50 % of the
    lowest-absorption bench over the highest, per width), and the ``csv`` and ``figure``
    paths written into ``out_dir``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    for bench, absorption, path in runs:
        with RunReader(path) as reader:
            df = reader.to_dataframe()
        fit = fit_neel_brown(df)
        resistance = float(np.nanmedian(df["channel_resistance"]))
        energy = energy_per_switch(fit, sorted(df["width"].unique()), resistance)
        for rec in energy.to_dict("records"):
            rows.append({"bench": bench, "absorption": absorption,
                         "width_s": rec["width"], "ic0_A": fit.ic0, "ic0_err_A": fit.ic0_err,
                         "delta": fit.delta, "delta_err": fit.delta_err,
                         "jc0_A_per_m2": fit.ic0 / cross_section,
                         "i50_A": rec["i50"], "j50_A_per_m2": rec["i50"] / cross_section,
                         "energy50_J": rec["energy50"], "energy99_J": rec["energy99"],
                         "resistance_ohm": resistance, "run_file": str(path)})
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
    return {"rows": rows, "ratio_50": ratios, "csv": csv_path, "figure": figure,
            "table": format_table(rows, ratios)}


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
        line, = ax2.plot(a, [r["energy50_J"] * 1e6 for r in at], "o-", label=f"E50, {width * 1e3:.3g} ms")
        ax2.plot(a, [r["energy99_J"] * 1e6 for r in at], "s--", color=line.get_color(),
                 label=f"E99, {width * 1e3:.3g} ms")
    ax1.set_xlabel("spin absorption fraction")
    ax1.set_ylabel("Jc0 (A/m²)")
    ax2.set_xlabel("spin absorption fraction")
    ax2.set_ylabel("energy per switch (µJ)")
    ax2.set_yscale("log")
    ax2.legend(fontsize=7)
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3, which="both")
    fig.suptitle("Spin-loss switching: critical current density and energy per switch", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
