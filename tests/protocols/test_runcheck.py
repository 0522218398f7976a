"""`spinbench check` and `spinbench resume`: a SIGKILLed simulated run is consistent, resumes from
its file alone and ends equal to an uninterrupted run; damaged files are named and exit 1."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import h5py
import numpy as np
import pytest

from spinbench.protocols import cli
from spinbench.protocols.base import Column
from spinbench.protocols.runcheck import check_run
from spinbench.protocols.runstore import RunReader, RunStatus, RunWriter

PARAMS = ["--param", "current_step=50uA", "--seed", "5"]


def _columns(path):
    with RunReader(path) as reader:
        return {c.name: reader.column(c.name) for c in reader.columns}, reader.status.value


def test_killed_run_checks_resumable_then_resumes_to_the_uninterrupted_result(tmp_path, capsys):
    """The run kills itself (SIGKILL, no cleanup) in the middle of a flush once 40 points are on
    disk: after the points of the flush are written, before their steps are recorded done and
    before the file is flushed -- at a fixed place of the run, whatever the machine's speed (a
    parent polling the file and killing it from outside landed after the run had ended when the
    machine was fast or loaded)."""
    run = tmp_path / "killed.h5"
    env = dict(os.environ, MPLBACKEND="Agg")
    code = ("import os, signal\n"
            "from spinbench.protocols.runner import run\n"
            "from spinbench.protocols import registry, runstore\n"
            "write = runstore.RunWriter._write_points\n"
            "def dying_write(self, n):\n"
            "    write(self, n)\n"
            "    if self._n_points >= 40:\n"
            "        os.kill(os.getpid(), signal.SIGKILL)\n"
            "runstore.RunWriter._write_points = dying_write\n"
            f"run(registry.get('switching-loop')(), 'sot-hallbar', {{'current_step': '50uA'}}, "
            f"path={str(run)!r}, seed=5, progress=False, flush_every=5)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    assert proc.wait(timeout=120) == -signal.SIGKILL
    report = check_run(run)
    assert report.verdict == "resumable" and report.status == "killed", report.lines()
    assert 40 <= report.points < 640
    assert cli.main(["check", str(run)]) == 0
    assert "resumable" in capsys.readouterr().out

    assert cli.main(["resume", str(run), "--no-progress"]) == 0
    capsys.readouterr()
    assert check_run(run).verdict == "ok"
    # the same run made without interruption
    assert cli.main(["run", "switching-loop", "--bench", "sot-hallbar", "--out", str(tmp_path / "ref"),
                     "--no-progress", *PARAMS]) == 0
    ref = next((tmp_path / "ref").glob("*.h5"))
    ours, status = _columns(run)
    theirs, _ = _columns(ref)
    assert status == "complete"
    assert ours.keys() == theirs.keys()
    differ = set()
    for name in theirs:
        # every point is bit-identical but the first reading after the resume, which may differ
        # by the read noise (the world restarted: its clock and drift state differ)
        a, b = ours[name], theirs[name]
        bad = np.flatnonzero(~((a == b) | (np.isnan(a) & np.isnan(b))))
        differ |= set(bad.tolist())
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-3, atol=1e-9, err_msg=name)
    assert len(differ) <= 1 and all(40 <= i <= report.points for i in differ), differ
    np.testing.assert_array_equal(np.sign(ours["hall_resistance"]), np.sign(theirs["hall_resistance"]))


def _small_run(path, status=RunStatus.COMPLETE, steps=4):
    w = RunWriter.create(path, protocol="demo", params={}, columns=[Column("x", "A")], n_steps=4)
    for step in range(steps):
        w.append(step, {"x": float(step)})
    w.finish(status, "" if status is RunStatus.COMPLETE else "stopped")
    w.close()


def test_damaged_files_are_named_and_exit_1(tmp_path, capsys):
    good = tmp_path / "good.h5"
    _small_run(good)
    short = tmp_path / "short.h5"
    _small_run(short, steps=2)                      # "complete" with 2 of 4 steps
    dup = tmp_path / "dup.h5"
    _small_run(dup)
    with h5py.File(dup, "r+", libver="latest") as f:  # a step recorded twice
        ds = f["run/steps_done"]
        ds.resize((ds.shape[0] + 1,))
        ds[-1] = 1
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    assert check_run(good).verdict == "ok"
    assert any("only 2/4 steps" in p for p in check_run(short).problems)
    assert any("twice" in p for p in check_run(dup).problems)
    assert check_run(junk).verdict == "damaged"
    assert cli.main(["check", str(good), str(short), str(dup), str(junk)]) == 1
    out = capsys.readouterr().out
    assert f"{good}: ok" in out and f"{short}: damaged" in out and f"{junk}: damaged" in out


def test_resume_of_a_complete_run_does_nothing(tmp_path, capsys):
    done = tmp_path / "done.h5"
    _small_run(done)
    assert cli.main(["resume", str(done)]) == 0
    assert "already complete" in capsys.readouterr().err
