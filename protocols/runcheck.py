"""``spinbench check RUN.h5``: is a run file consistent, and what does it hold?

Checks, on any run file (one whose writer was killed included; a truncated file is refused by
:class:`~protocols.runreader.RunReader` without hanging):

- every data column and trace is at least as long as the consistent points (``n_points``, the
  shortest), and any excess is a flush cut by a kill (reported, not damage: resume drops it);
- every step in ``/run/steps_done`` has its points within the consistent points, and no
  consistent point belongs to a step that is not recorded done (a half-written step);
- steps are unique in ``steps_done``; the status is coherent with the rest: ``complete`` has
  every planned step done and an end time, ``failed``/``aborted`` carry an error text and an
  end time, ``running`` has a live writer (else: killed).

The verdict is ``ok`` (complete and consistent), ``resumable`` (consistent, not complete: aborted,
failed or killed; ``spinbench resume`` continues it) or ``damaged`` (exit code 1).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from spinbench.protocols.runfile import RunStoreError
from spinbench.protocols.runreader import RunReader

__all__ = ["RunCheck", "check_run"]


@dataclass
class RunCheck:
    """What :func:`check_run` found."""

    path: Path
    verdict: str = "damaged"                 # ok | resumable | damaged
    status: str = ""
    protocol: str = ""
    points: int = 0
    steps_done: int = 0
    steps_total: int = -1
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.verdict != "damaged"

    def lines(self) -> list[str]:
        head = f"{self.path}: {self.verdict}"
        if self.protocol:
            total = f"/{self.steps_total}" if self.steps_total >= 0 else ""
            head += (f" ({self.protocol}, status {self.status}, {self.points} points, "
                     f"{self.steps_done}{total} steps)")
        return [head] + [f"  problem: {p}" for p in self.problems] + [f"  note: {n}" for n in self.notes]


def check_run(path: str | os.PathLike[str]) -> RunCheck:
    """Check one run file (see the module docstring); never raises for a bad file."""
    report = RunCheck(Path(path))
    try:
        reader = RunReader(path)
    except RunStoreError as exc:
        report.problems.append(str(exc))
        return report
    except Exception as exc:             # h5py raises RuntimeError for some corrupt superblocks
        report.problems.append(f"cannot open as HDF5: {type(exc).__name__}: {exc}")
        return report
    try:
        with reader:
            _check(reader, report)
    except (RunStoreError, OSError, KeyError, ValueError) as exc:
        report.problems.append(f"{type(exc).__name__}: {exc}")
    if report.problems:
        report.verdict = "damaged"
    return report


def _check(reader: RunReader, report: RunCheck) -> None:
    f = reader._f
    report.protocol = reader.protocol
    status = reader.status.value
    n = reader.n_points
    report.points = n
    report.steps_total = reader.n_steps
    lengths = {name: ds.shape[0] for name, ds in f["data"].items()}
    for trace in reader.traces:
        lengths[f"trace {trace.name}"] = f["traces"][trace.name]["values"].shape[0]
    excess = {k: v - n for k, v in lengths.items() if v > n}
    if excess:
        report.notes.append(f"a flush cut short left {max(excess.values())} extra value(s) in "
                            f"{', '.join(sorted(excess))}; resume drops them")
    done = f["run/steps_done"][:].astype(np.int64)
    if len(np.unique(done)) != len(done):
        report.problems.append("steps_done lists a step twice")
    report.steps_done = len(np.unique(done))
    steps = f["data/step"][:n].astype(np.int64)
    done_set = set(done.tolist())
    orphans = sorted(set(np.unique(steps).tolist()) - done_set)
    if orphans:
        # the last flush may be cut between the data and steps_done: only its steps may be orphans
        tail = set(steps[np.searchsorted(steps, orphans[0]):].tolist()) if orphans else set()
        if set(orphans) <= tail and status == "running":
            report.notes.append(f"{len(orphans)} step(s) written but not recorded done (killed "
                                f"during a flush); resume repeats them")
        else:
            report.problems.append(f"points of step(s) {orphans[:5]} are in the file but the steps "
                                   f"are not recorded done (half-written)")
    missing = sorted(done_set - set(np.unique(steps).tolist()))
    if missing and reader.n_points:
        # a step may legitimately produce no point; flag only steps beyond the data's range
        beyond = [s for s in missing if steps.size and s > steps.max()]
        if beyond:
            report.problems.append(f"step(s) {beyond[:5]} recorded done but their points are not "
                                   f"in the file")
    ended = reader.ended_at
    if status == "running":
        if reader.writer_alive():
            report.notes.append("the writer is still running (read-only check of a live run)")
            status = "running"
        else:
            status = "killed"
            report.notes.append("the writer is gone (killed or crashed); resume with: "
                                f"spinbench resume {report.path}")
    elif status == "complete":
        if reader.n_steps >= 0 and report.steps_done < reader.n_steps and \
                report.protocol not in _adaptive_names():
            report.problems.append(f"status complete but only {report.steps_done}/{reader.n_steps} "
                                   f"steps done")
        if not ended:
            report.problems.append("status complete but no end time")
    elif status in ("failed", "aborted"):
        if not ended:
            report.problems.append(f"status {status} but no end time")
        if status == "failed" and not reader.error:
            report.problems.append("status failed but no error text")
        if reader.error:
            report.notes.append(f"{status}: {reader.error.strip().splitlines()[-1]}")
    report.status = status
    report.verdict = "ok" if status == "complete" else "resumable"


def _adaptive_names() -> frozenset[str]:
    """Adaptive protocols stop before their maximum number of steps: complete with fewer is fine."""
    from spinbench.protocols import registry
    from spinbench.protocols.base import AdaptiveProtocol

    return frozenset(name for name, cls in registry.all_protocols().items()
                     if issubclass(cls, AdaptiveProtocol))
