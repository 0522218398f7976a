"""SIGKILL soak: kill a long simulated run at random moments, check and resume it each time.

A long ``switching-loop`` on the simulated sot-hallbar bench (``--current-step`` 1 uA: 32,002
steps) is started, and once it is measuring -- its file has gained points since the last kill
-- SIGKILLed after a further seeded random delay (0 .. ``--max-delay`` s), so every kill lands
mid-run; the file is checked (``spinbench check`` logic) and resumed (``spinbench resume``) in a
new process, and killed again, ``--kills`` times; then resumed to the end. After every kill it
checks that nothing flushed before the kill was lost (every step recorded done before is still
done, with the same points) and that the killed file checks ``resumable``. Prints a summary:
kills that landed mid-run, points lost, damaged files, the final status.

Usage: ``python benchmarks/kill_soak.py [--kills 100] [--seed 1] [--current-step 1uA]
[--max-delay 1.0] [--folder DIR]``.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from spinbench.protocols.runcheck import check_run
from spinbench.protocols.runstore import RunReader

RUN = ("from spinbench.protocols.runner import run\nfrom spinbench.protocols import registry\n"
       "run(registry.get('switching-loop')(), 'sot-hallbar', {{'current_step': {step!r}}}, "
       "path={path!r}, seed=7, progress=False, flush_every=5)\n")


def snapshot(path: Path) -> tuple[set[int], dict[str, np.ndarray]]:
    with RunReader(path) as r:
        steps = set(r.completed_steps)
        n = r.n_points
        return steps, {"step": r.column("step")[:n], "pulse_current": r.column("pulse_current")[:n]}


def _points(path: Path) -> int:
    try:
        with RunReader(path) as r:
            return r.n_points
    except Exception:
        return -1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--current-step", default="1uA")
    ap.add_argument("--max-delay", type=float, default=1.0)
    ap.add_argument("--folder")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    folder = Path(args.folder or tempfile.mkdtemp(prefix="kill_soak_"))
    path = folder / "soak.h5"
    env = dict(os.environ, MPLBACKEND="Agg")
    lost = damaged = mid_run = 0
    before: tuple[set[int], dict] | None = None
    t0 = time.monotonic()
    for k in range(args.kills):
        if k == 0:
            cmd = [sys.executable, "-c", RUN.format(path=str(path), step=args.current_step)]
        else:
            cmd = [sys.executable, "-m", "spinbench.protocols.cli", "resume", str(path), "--no-progress"]
        start = _points(path) if path.exists() else 0
        errlog = folder / "child.err"
        with open(errlog, "wb") as err:
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        while proc.poll() is None and _points(path) <= start:   # wait until it is measuring
            time.sleep(0.05)
        time.sleep(float(rng.uniform(0.0, args.max_delay)))
        running = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if running:
            with RunReader(path) as r:
                mid_run += r.status.value == "running"
        else:
            tail = errlog.read_text(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
            print(f"kill {k}: the process had ended before the kill (exit {proc.returncode}): "
                  f"{tail[0][:160]}")
        if not path.exists():
            continue
        report = check_run(path)
        if report.verdict == "damaged":
            damaged += 1
            print(f"kill {k}: DAMAGED {report.problems}")
            continue
        after = snapshot(path)
        if before is not None:
            missing = before[0] - after[0]
            n = len(before[1]["step"])
            same = all(np.array_equal(before[1][c], after[1][c][:n]) for c in before[1])
            if missing or not same:
                lost += 1
                print(f"kill {k}: LOST steps {sorted(missing)[:5]} (points equal: {same})")
        before = after
        print(f"kill {k:3d}: {report.verdict:9s} {report.points:6d} points, "
              f"{report.steps_done} steps", flush=True)
    final = subprocess.run([sys.executable, "-m", "spinbench.protocols.cli", "resume", str(path),
                            "--no-progress"], env=env, capture_output=True, text=True)
    last = check_run(path)
    print(f"\n{args.kills} SIGKILLs in {time.monotonic() - t0:.0f} s, {mid_run} of them mid-run "
          f"(file status 'running', measuring): {lost} lost flushed data, {damaged} damaged "
          f"files; final resume exit {final.returncode}, file {last.verdict} ({last.status}, "
          f"{last.points} points of {last.steps_total} steps)")


if __name__ == "__main__":
    main()
