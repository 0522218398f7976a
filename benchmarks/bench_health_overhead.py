"""What the runner's per-batch instrument checks (protocols.benchhealth) cost a fault-free run.

Issue 12: retries and checks must cost nothing measurable -- the 1,000-pulse switching loop and
the 200k-cycle switching-probability map stay within 5 % of their speed without them.  Both
are run here in one process, alternating the checks on and off (off: the runner's guard
watches no instrument, i.e. the runner as before the checks), several rounds each, and the
median wall times and their ratio are printed with the number of check queries a run made.

    python benchmarks/bench_health_overhead.py [--rounds 5] [--map-rounds 2] [--repeats 1000]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from contextlib import contextmanager

import numpy as np

from spinbench.protocols import benchhealth
from spinbench.protocols.runner import run
from spinbench.protocols.switching import SwitchingLoop
from spinbench.protocols.switching_probability import SwitchingProbability

_init = benchhealth.BatchGuard.__init__
_queries = [0]


@contextmanager
def checks(enabled: bool):
    """The runner with its instrument checks (``True``) or without (``False``); counts
    the ``health`` calls made."""
    def init(self, instruments, *args, **kwargs):
        _init(self, instruments if enabled else [], *args, **kwargs)
        reports = self._reports

        def counted():
            _queries[0] += len(self.instruments)
            return reports()
        self._reports = counted

    benchhealth.BatchGuard.__init__ = init
    try:
        yield
    finally:
        benchhealth.BatchGuard.__init__ = _init


def loop_run(pulses: int) -> float:
    n = (pulses // 2 - 1) // 2
    params = {"current_max": 5e-3, "current_step": 5e-3 / n, "field_x": 10e-3}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run(SwitchingLoop, "sot-hallbar", params, out_dir=tmp, progress=False)
        return time.perf_counter() - t0


def map_run(repeats: int) -> float:
    params = {"amplitudes": tuple(np.round(np.linspace(4.8e-3, 6.2e-3, 20), 9)),
              "widths": tuple(np.round(np.geomspace(1e-3, 10e-3, 10), 6)),
              "repeats": repeats, "field_x": 10e-3}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run(SwitchingProbability, "sot-hallbar", params, out_dir=tmp, seed=1, progress=False)
        return time.perf_counter() - t0


def query_cost(n: int = 200) -> float:
    """Mean wall time (s) of one instrument's health() on the opened sot-hallbar bench."""
    from spinbench.instruments.bench import Bench

    with Bench.load("sot-hallbar").open(sim_clock="virtual") as lab:
        drivers = [lab.role(r) for r in ("current_source", "voltmeter", "field_x", "gaussmeter")]
        samples = []
        for _ in range(n // len(drivers)):
            for d in drivers:
                t0 = time.perf_counter()
                d.health()
                samples.append(time.perf_counter() - t0)
    return statistics.fmean(samples)


def compare(name: str, job, rounds: int, warm=None) -> None:
    times: dict[bool, list[float]] = {True: [], False: []}
    queries = 0
    (warm or job)()                                  # warm: imports, bench file, caches
    for k in range(rounds):
        for enabled in ((True, False) if k % 2 else (False, True)):
            _queries[0] = 0
            with checks(enabled):
                times[enabled].append(job())
            if enabled:
                queries = _queries[0]
    on, off = statistics.median(times[True]), statistics.median(times[False])
    print(f"{name}: {rounds} rounds each, alternating")
    print(f"  without checks (runner as before): median {off:7.3f} s  {sorted(round(t, 3) for t in times[False])}")
    print(f"  with checks                      : median {on:7.3f} s  {sorted(round(t, 3) for t in times[True])}")
    cost = query_cost()
    print(f"  instrument health queries per run: {queries}, {cost * 1e3:.3f} ms each (mean, "
          f"same conditions): {queries * cost / off * 100:.2f} % of the run without checks")
    best_on, best_off = min(times[True]), min(times[False])
    print(f"  ratio with / without, medians    : {on / off:7.3f}  (target <= 1.05: "
          f"{'met' if on / off <= 1.05 else 'NOT met'})")
    print(f"  ratio with / without, best of {rounds}  : {best_on / best_off:7.3f}  (target <= 1.05: "
          f"{'met' if best_on / best_off <= 1.05 else 'NOT met'}; the best run is the least "
          f"disturbed by the machine's other load)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--map-rounds", type=int, default=2)
    ap.add_argument("--pulses", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=1000)
    args = ap.parse_args()
    compare(f"switching loop, {args.pulses} pulses", lambda: loop_run(args.pulses), args.rounds)
    compare(f"switching-probability map, 200 x {args.repeats} cycles",
            lambda: map_run(args.repeats), args.map_rounds, warm=lambda: map_run(5))


if __name__ == "__main__":
    main()
