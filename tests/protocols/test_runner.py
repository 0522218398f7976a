"""The runner: refusal before the bench opens, Ctrl-C and errors leave a safe bench and an
honest file, resume completes a run with every step exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from fake_bench import FakeBench, IVSweep, Spectra
from spinbench.protocols.base import CheckError, ParamError
from spinbench.protocols.runner import (TRANSITIONS, RunInterrupted, RunState, RunnerError, _Machine,
                              default_run_path, run)
from spinbench.protocols.runstore import RunReader, RunStatus, RunStoreError

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{Path(__file__).parent}"}


def test_complete_run_writes_every_step_with_bench_snapshot_and_checkpoints(tmp_path):
    bench = FakeBench()
    result = run(IVSweep, bench, {"num": "5", "start": "-1mA", "stop": "1 mA"},
                 path=tmp_path / "iv.h5", seed=3, progress=False)
    assert result.status == RunStatus.COMPLETE
    assert (result.n_points, result.steps_done, result.steps_total) == (5, 5, 5)
    assert bench.calls[0] == "open" and bench.calls[-1] == "close"
    # checkpoint token: the run seed in the upper 32 bits, the step below
    assert [c for c in bench.calls if c.startswith("checkpoint")] == [
        f"checkpoint:{(3 << 32) | i}" for i in range(5)]
    assert "role:gaussmeter" in bench.calls  # optional role asked for, absent, run fine
    assert bench.last_opened.source.output is False  # bench closed -> source off
    with RunReader(result.path) as reader:
        assert reader.status == RunStatus.COMPLETE
        assert reader.params == {"start": -1e-3, "stop": 1e-3, "num": 5, "points_per_step": 1}
        assert reader.param_units["start"] == "A"
        assert reader.snapshots["dvm"] == {"idn": "FAKE,DVM,2", "nplc": 1.0}
        assert reader.bench_text == FakeBench.text and reader.seed == 3
        frame = reader.to_dataframe()
        np.testing.assert_allclose(frame["current"], [-1e-3, -5e-4, 0.0, 5e-4, 1e-3])
        np.testing.assert_allclose(frame["voltage"], 100 * frame["current"], atol=5e-6)
        assert frame.attrs["units"]["voltage"] == "V"


@pytest.mark.parametrize("params, error, match", [
    ({"num": "1"}, ParamError, r"num = 1 is out of range \[2, 10000\]"),
    ({"num": "many"}, ParamError, "num = 'many': not a number"),
    ({"nmu": "3"}, ParamError, "unknown parameter 'nmu'; known parameters: start, stop"),
    ({"stop": "20mA"}, CheckError, r"stop = 0.02 A exceeds the bench limit "
                                   r"source.max_current = 0.01 A"),
])
def test_refuses_bad_params_before_any_bench_method(tmp_path, params, error, match):
    bench = FakeBench()
    with pytest.raises(error, match=match):
        run(IVSweep, bench, params, out_dir=tmp_path, progress=False)
    assert bench.calls == []  # never opened, no role, no snapshot
    assert list(tmp_path.iterdir()) == []  # and no run file


def test_refuses_bench_without_a_required_role(tmp_path):
    bench = FakeBench()
    bench.roles = {"voltmeter": "dvm"}
    with pytest.raises(CheckError, match="no role 'source'"):
        run(IVSweep, bench, out_dir=tmp_path)
    assert bench.calls == []


def test_ctrl_c_at_step_k_aborts_keeps_points_and_resume_completes(tmp_path):
    bench = FakeBench()
    protocol = IVSweep(interrupt_at=6)
    with pytest.raises(RunInterrupted) as caught:
        run(protocol, bench, {"num": 11, "points_per_step": 2}, out_dir=tmp_path,
            flush_every=3, progress=False)
    result = caught.value.result
    assert isinstance(caught.value, KeyboardInterrupt)
    assert result.status == RunStatus.ABORTED and result.n_points == 12
    assert protocol.torn_down and bench.calls[-1] == "close"
    assert bench.last_opened.source.output is False
    with RunReader(result.path) as reader:
        assert reader.status == RunStatus.ABORTED
        assert "KeyboardInterrupt" in reader.error and reader.ended_at
        assert reader.completed_steps == frozenset(range(6))
        assert reader.to_dataframe()["step"].tolist() == [s for s in range(6) for _ in (0, 1)]

    again = FakeBench()
    resumed = IVSweep()
    final = run(resumed, again, resume=result.path, progress=False)
    assert resumed.measured == [6, 7, 8, 9, 10]  # only the missing steps
    assert "checkpoint:5" not in again.calls and "checkpoint:6" in again.calls
    assert final.status == RunStatus.COMPLETE and final.path == result.path
    with RunReader(final.path) as reader:
        frame = reader.to_dataframe()
        assert reader.status == RunStatus.COMPLETE and reader.error == ""
        assert frame["step"].tolist() == [s for s in range(11) for _ in (0, 1)]
        assert frame["repeat"].tolist() == [0, 1] * 11
        np.testing.assert_allclose(frame["current"][::2], np.linspace(-1e-3, 1e-3, 11))
        assert reader.resumes[0]["previous_status"] == "aborted"


def test_error_in_measure_marks_failed_with_traceback_and_closes_bench(tmp_path):
    bench = FakeBench()
    with pytest.raises(RuntimeError, match="instrument said no") as caught:
        run(IVSweep(fail_at=3), bench, out_dir=tmp_path, flush_every=100, progress=False)
    assert bench.calls[-1] == "close"
    [path] = tmp_path.iterdir()
    assert any(str(path) in note for note in caught.value.__notes__)
    with RunReader(path) as reader:
        assert reader.status == RunStatus.FAILED
        assert "Traceback" in reader.error and "instrument said no" in reader.error
        assert reader.n_points == 3  # the points before the error were flushed on finish
    final = run(IVSweep(), FakeBench(), resume=path)
    assert final.status == RunStatus.COMPLETE and final.n_points == 11


def test_resume_refuses_other_protocol_changed_params_and_complete_runs(tmp_path):
    with pytest.raises(RunInterrupted) as caught:
        run(IVSweep(interrupt_at=2), FakeBench(), out_dir=tmp_path)
    path = caught.value.result.path
    with pytest.raises(RunnerError, match="is a 'iv_sweep' run, not 'spectra'"):
        run(Spectra, FakeBench(), resume=path)
    with pytest.raises(RunnerError, match="cannot change num"):
        run(IVSweep, FakeBench(), {"num": 5}, resume=path)
    run(IVSweep, FakeBench(), {"num": 11}, resume=path)  # same value: fine
    with pytest.raises(RunStoreError, match="already complete"):
        run(IVSweep, FakeBench(), resume=path)


def test_traces_through_the_runner(tmp_path):
    result = run(Spectra, FakeBench(), {"num": 4}, out_dir=tmp_path)
    with RunReader(result.path) as reader:
        axis, values = reader.trace("spectrum")
        np.testing.assert_allclose(axis, np.linspace(1e9, 8e9, 8))
        np.testing.assert_allclose(values[:, 0], -49.0 + np.arange(4))


def test_state_table_is_explicit_and_enforced():
    terminal = {RunState.COMPLETE, RunState.ABORTED, RunState.FAILED}
    for state, targets in TRANSITIONS.items():
        if state in terminal:
            assert targets == frozenset()
        else:
            assert {RunState.FAILED, RunState.ABORTED} <= targets
    machine = _Machine()
    with pytest.raises(RuntimeError, match="created -> measuring"):
        machine.advance(RunState.MEASURING)


def test_default_run_path_is_timestamped_and_unique(tmp_path):
    from datetime import datetime
    when = datetime(2026, 1, 2, 3, 4, 5)
    first = default_run_path(tmp_path, "iv_sweep", when)
    assert first.name == "20260102-030405_iv_sweep.h5"
    first.touch()
    assert default_run_path(tmp_path, "iv_sweep", when).name == "20260102-030405_iv_sweep-1.h5"


RUNNER_CHILD = r"""
import sys, time
from fake_bench import FakeBench, IVSweep
from spinbench.protocols.runner import run

class Slow(IVSweep):
    def measure(self, roles, params, step):
        time.sleep(0.003)
        return super().measure(roles, params, step)

run(Slow(), FakeBench(), {"num": 400}, path=sys.argv[1], flush_every=4, flush_seconds=60)
"""


def test_sigkilled_runner_keeps_flushed_points_and_resume_runs_each_step_once(tmp_path):
    path = tmp_path / "killed.h5"
    child = subprocess.Popen([sys.executable, "-c", RUNNER_CHILD, str(path)], env=ENV)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with RunReader(path) as reader:
                    if reader.n_points >= 20:
                        break
            except (RunStoreError, OSError, KeyError):
                pass
            time.sleep(0.02)
    finally:
        child.kill()
        child.wait()
    with RunReader(path) as reader:
        assert reader.status == RunStatus.RUNNING
        kept = reader.n_points
        assert 20 <= kept < 400 and kept % 4 == 0
        np.testing.assert_array_equal(reader.column("step"), np.arange(kept))
    resumed = IVSweep()
    final = run(resumed, FakeBench(), resume=path)
    assert resumed.measured[0] == kept and len(resumed.measured) == 400 - kept
    with RunReader(path) as reader:
        assert reader.status == RunStatus.COMPLETE
        np.testing.assert_array_equal(reader.column("step"), np.arange(400))
        np.testing.assert_allclose(reader.column("current"), np.linspace(-1e-3, 1e-3, 400))
    assert final.n_points == 400


def test_role_check_is_static_and_never_reads_a_property():
    from typing import Protocol

    from spinbench.protocols.runner import _checked_role

    class Field(Protocol):
        @property
        def field(self) -> float: ...

        def ramp_to(self, tesla: float) -> None: ...

    class Magnet:
        reads = 0

        @property
        def field(self) -> float:  # a real driver would query the instrument here
            Magnet.reads += 1
            return 0.0

        def ramp_to(self, tesla: float) -> None:
            pass

    magnet = Magnet()
    assert _checked_role(magnet, "field", Field) is magnet and Magnet.reads == 0
    with pytest.raises(RunnerError, match="does not implement Field"):
        _checked_role(object(), "field", Field)


def test_ctrl_c_while_writing_a_batch_is_held_until_the_batch_is_written():
    import signal

    from spinbench.protocols.runner import _sigint_deferred

    done = []
    with pytest.raises(KeyboardInterrupt):
        with _sigint_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            done.append("batch written")
    assert done == ["batch written"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_progress_bar_shows_steps_points_rate_and_eta(tmp_path, capsys):
    result = run(IVSweep, FakeBench(), {"num": "5", "start": "-1mA", "stop": "1 mA"},
                 path=tmp_path / "iv.h5", progress=True, flush_every=1)
    assert result.status == RunStatus.COMPLETE
    last = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert "5/5" in last and "5 points" in last                 # steps done and rows written
    assert "step/s" in last or "s/step" in last                  # rate
    assert "<00:00" in last                                      # elapsed<remaining (ETA)
