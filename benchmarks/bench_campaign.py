"""Campaign throughput: N short simulated runs on a 2-worker Dask LocalCluster vs the same runs
one after another in this process (same machine, same run).

Usage: ``python benchmarks/bench_campaign.py [--runs 200] [--workers 2]``. Prints both wall
times, the speed-up (target >= 1.7x on 2 cores) and the scheduler's overhead per task (the
cluster's wall time minus the tasks' own time divided by the workers, per task).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from spinbench.protocols import campaign as cp

CAMPAIGN = """
name: bench
protocol: switching-loop
bench: sot-hallbar
params: {{current_step: 4mA, current_max: 12mA, field_x: 20mT}}
seeds: {seeds}
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "c.yaml").write_text(CAMPAIGN.format(seeds=list(range(args.runs))))
        serial = cp.load_campaign(tmp / "c.yaml", out=tmp / "serial")
        t0 = time.perf_counter()
        own = 0.0
        for task in serial.tasks:
            t1 = time.perf_counter()
            row = cp.run_task(task)
            own += time.perf_counter() - t1
            assert row["status"] == "complete", row
        t_serial = time.perf_counter() - t0
        par = cp.load_campaign(tmp / "c.yaml", out=tmp / "dask")
        t0 = time.perf_counter()
        rows = cp.run_campaign(par, workers=args.workers, progress=False)
        t_dask = time.perf_counter() - t0
        assert all(r["status"] == "complete" for r in rows.values())
    n = args.runs
    print(f"{n} runs of switching-loop (short) on sot-hallbar")
    print(f"  one process, one after another : {t_serial:7.2f} s ({t_serial / n * 1e3:.0f} ms/run)")
    print(f"  Dask LocalCluster, {args.workers} workers   : {t_dask:7.2f} s (cluster start included)")
    print(f"  speed-up                       : {t_serial / t_dask:7.2f}x (target >= 1.7x)")
    overhead = (t_dask - own / args.workers) / n
    print(f"  scheduler overhead per task    : {overhead * 1e3:7.1f} ms")


if __name__ == "__main__":
    main()
