"""Measure a synapse's levels and CTC (ctc-states), then quantize a network onto them.

    python examples/synapse_ptq.py [BENCH] [CYCLES]     # default: tilted-synapse, 200 cycles

Writes the run file, its figures, ``ptq_digits.txt`` (the table: FP32, ideal 11 levels, measured
levels with CTC; per-tensor / per-channel x min-max / MSE) and ``ptq_ctc_sweep.png`` to ``runs/``.
"""
import sys

from spinbench.analysis.device_ptq import digits_ptq_report, format_table, levels_from_run
from spinbench.protocols.runner import analyze, run
from spinbench.protocols.synapse import CtcStates

bench = sys.argv[1] if len(sys.argv) > 1 else "tilted-synapse"
cycles = int(sys.argv[2]) if len(sys.argv) > 2 else 200
result = run(CtcStates, bench, {"cycles": cycles}, out_dir="runs", seed=1)
analyze(result.path, "runs")
levels, sigma = levels_from_run(result.path)
report = digits_ptq_report(levels, sigma, outdir="runs", draws=100)
print(format_table(report["table"]))
