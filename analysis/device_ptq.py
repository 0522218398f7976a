"""Device-aware PTQ report: a ctc-states run's measured levels and CTC applied to a network.

``levels_from_run`` turns a ``ctc-states`` run file into the normalised level set and the
per-level CTC (``window`` definition, :mod:`analysis.synapse`); ``digits_ptq_report`` runs the
embedded digits CNN (:mod:`analysis.digits_cnn`) through :mod:`analysis.quantization`: the
paper's table (FP32; ideal L levels; measured levels with CTC; per-tensor / per-channel x
min-max / MSE, Monte-Carlo mean +- std) and an injected-CTC sweep with its figure.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from spinbench.analysis.strict_json import write_summary

from .quantization import ctc_sweep, plot_ctc_sweep, ptq_table
from .synapse import state_stats

__all__ = ["levels_from_run", "levels_from_frame", "digits_ptq_report", "format_table", "DEFAULT_SWEEP"]

#: injected CTC values of the sweep (fraction of the window)
DEFAULT_SWEEP = (0.0, 0.03, 0.06, 0.1, 0.15, 0.2, 0.3, 0.5)


def levels_from_frame(df) -> tuple[np.ndarray, np.ndarray]:
    """``(levels, sigma)``: state means normalised to [0, 1] over the window (sorted by mean)
    and each state's standard deviation as a fraction of the window."""
    st = state_stats(df).sort_values("mean")
    mu, sd = st["mean"].to_numpy(), st["std"].fillna(0.0).to_numpy()
    window = mu[-1] - mu[0]
    return (mu - mu[0]) / window, sd / window


def levels_from_run(path) -> tuple[np.ndarray, np.ndarray]:
    """:func:`levels_from_frame` of a ``ctc-states`` run file."""
    from spinbench.protocols.runstore import RunReader

    with RunReader(path) as reader:
        if reader.protocol != "ctc-states":
            raise ValueError(f"{path}: a ctc-states run is needed, this is {reader.protocol!r}")
        return levels_from_frame(reader.to_dataframe())


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """The table as aligned text (accuracy in percent, mean +- std)."""
    lines = [f"{'levels':8s} {'granularity':12s} {'observer':8s} {'accuracy (%)':>16s}"]
    for r in rows:
        acc = f"{100 * r['mean']:.2f} +- {100 * r['std']:.2f}"
        lines.append(f"{r['label']:8s} {r['granularity']:12s} {r['observer']:8s} {acc:>16s}")
    return "\n".join(lines)


def digits_ptq_report(levels, sigma, outdir: str | Path | None = None, draws: int = 100, seed: int = 0,
                      sweep: Sequence[float] = DEFAULT_SWEEP) -> dict[str, Any]:
    """The digits CNN at FP32, ideal and measured levels (table), and vs injected CTC (sweep,
    per-channel min-max on the measured levels). With ``outdir``: ``ptq_digits.json``,
    ``ptq_digits.txt`` and ``ptq_ctc_sweep.png``."""
    from .digits_cnn import pretrained_digits_cnn

    model, (_, _, x, y) = pretrained_digits_cnn()
    evaluate = model.evaluator(x, y)
    fp32 = evaluate(None)
    weights = model.weights()
    table = ptq_table(evaluate, weights, np.asarray(levels), np.asarray(sigma), fp32, draws, seed)
    sw = ctc_sweep(evaluate, weights, np.asarray(levels), sweep, draws=draws, seed=seed)
    report = {"fp32": fp32, "n_levels": int(np.size(levels)), "levels": np.asarray(levels).tolist(),
              "sigma": np.asarray(sigma).tolist(), "draws": draws, "table": table, "ctc_sweep": sw}
    if outdir is not None:
        out = Path(outdir)
        out.mkdir(parents=True, exist_ok=True)
        write_summary(out / "ptq_digits.json", report)
        (out / "ptq_digits.txt").write_text(format_table(table) + "\n")
        plot_ctc_sweep(sw, out / "ptq_ctc_sweep.png", fp32)
    return report
