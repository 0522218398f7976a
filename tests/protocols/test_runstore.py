"""Run-file layout, SWMR reading from another process, kill-safety and resume."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from spinbench.protocols.base import Column, Trace
from spinbench.protocols.runstore import RunReader, RunStatus, RunStoreError, RunWriter

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{Path(__file__).parent}"}

COLUMNS = (Column("current", "A"), Column("voltage", "V"), Column("count", "", "i8"))
TRACES = (Trace("spectrum", "dBm", "frequency", "Hz", 5),
          Trace("waveform", "V", "time", "s", 4, axis_per_point=True))
SNAPSHOTS = {"smu": {"idn": "KEITHLEY INSTRUMENTS,MODEL 2450,04096331,1.7.3",
                     "source_range": 1e-3, "nplc": 1, "output": False,
                     "trigger": {"count": 3, "delay": 0.1}, "spare": None}}


def _create(path: Path, **kwargs) -> RunWriter:
    return RunWriter.create(path, protocol="demo", description="demo run",
                            params={"pulse_width": 1e-3, "amplitudes": (1e-3, 2e-3), "mode": "up"},
                            param_units={"pulse_width": "s", "amplitudes": "A", "mode": ""},
                            columns=COLUMNS, traces=TRACES, snapshots=SNAPSHOTS,
                            bench_text="name: demo\n", bench_name="demo", n_steps=6, seed=11,
                            **kwargs)


def _points(rng: np.random.Generator, step: int) -> list[dict]:
    axis = np.linspace(1e9, 5e9, 5)
    return [{"current": rng.normal(), "voltage": rng.normal(), "count": step * 10 + k,
             "spectrum": (axis, rng.normal(size=5)),
             "waveform": (np.arange(4) * 1e-9 * (step + 1), rng.normal(size=4))}
            for k in range(2)]


def test_round_trip_params_snapshots_units_and_identical_numbers(tmp_path):
    path = tmp_path / "run.h5"
    rng = np.random.default_rng(1)
    written = []
    with _create(path, flush_every=3) as writer:
        for step in range(6):
            points = _points(rng, step)
            written += points
            writer.append(step, points)
    with RunReader(path) as reader:
        assert reader.status == RunStatus.COMPLETE and reader.error == ""
        assert reader.protocol == "demo" and reader.seed == 11 and reader.n_steps == 6
        assert reader.params == {"pulse_width": 1e-3, "amplitudes": [1e-3, 2e-3], "mode": "up"}
        assert reader.param_units["amplitudes"] == "A"
        assert reader.snapshots == SNAPSHOTS | {"smu": {**SNAPSHOTS["smu"],
                                                        "trigger": {"count": 3, "delay": 0.1}}}
        assert reader.bench_text == "name: demo\n"
        assert set(reader.versions) >= {"spinbench", "numpy", "h5py", "pyvisa", "pymeasure",
                                        "qcodes"}
        assert reader.attrs["started_at"] <= reader.attrs["ended_at"]
        assert reader.completed_steps == frozenset(range(6))
        frame = reader.to_dataframe()
        assert list(frame.columns) == ["step", "timestamp", "current", "voltage", "count"]
        assert frame.attrs["units"] == {"step": "", "timestamp": "s", "current": "A",
                                        "voltage": "V", "count": ""}
        assert frame["step"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
        np.testing.assert_array_equal(frame["current"], [p["current"] for p in written])
        np.testing.assert_array_equal(frame["voltage"], [p["voltage"] for p in written])
        assert frame["count"].dtype == np.int64
        assert frame["count"].tolist() == [p["count"] for p in written]
        axis, values = reader.trace("spectrum")
        np.testing.assert_array_equal(axis, np.linspace(1e9, 5e9, 5))
        np.testing.assert_array_equal(values, [p["spectrum"][1] for p in written])
        axis, values = reader.trace("waveform")
        assert axis.shape == values.shape == (12, 4)
        np.testing.assert_array_equal(axis[-1], np.arange(4) * 1e-9 * 6)
        assert reader.trace_units("spectrum") == ("dBm", "frequency", "Hz")
    # the layout is plain HDF5: units as dataset attributes, status mirrored on the root
    with h5py.File(path, "r") as f:
        assert f["data/voltage"].attrs["units"] == "V"
        assert f["data/voltage"].chunks is not None and f["data/voltage"].maxshape == (None,)
        assert f["traces/spectrum/values"].maxshape == (None, 5)
        assert f.attrs["status"] == "complete"
        assert json.loads(f.attrs["params"])["pulse_width"] == 1e-3


def test_writer_refuses_undeclared_names_wrong_trace_length_and_overwrite(tmp_path):
    path = tmp_path / "run.h5"
    writer = _create(path)
    with pytest.raises(RunStoreError, match="undeclared"):
        writer.append(0, {"current": 1.0, "bogus": 2.0})
    writer.append(0, {"spectrum": np.zeros(3)})
    with pytest.raises(RunStoreError, match="3 samples, declared length is 5"):
        writer.flush()
    writer.close()
    with pytest.raises(RunStoreError, match="refusing to overwrite"):
        _create(path)


def test_missing_columns_are_nan_and_batches_flush_every_k_points(tmp_path):
    path = tmp_path / "run.h5"
    writer = _create(path, flush_every=4, flush_seconds=1e9)
    reader = RunReader(path)
    seen = []
    for step in range(6):
        writer.append(step, {"current": float(step)})
        reader.refresh()
        seen.append(reader.n_points)
    assert seen == [0, 0, 0, 4, 4, 4]  # nothing reaches the disk between batches
    writer.finish()
    reader.refresh()
    assert reader.n_points == 6 and reader.status == RunStatus.COMPLETE
    frame = reader.to_dataframe()
    assert np.isnan(frame["voltage"]).all() and (frame["count"] == 0).all()
    reader.close()


READER_SCRIPT = r"""
import sys, time
from spinbench.protocols.runstore import RunReader
reader = RunReader(sys.argv[1])
print("ready", reader.n_points, flush=True)
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    reader.refresh()
    print(reader.n_points, reader.status.value, flush=True)
    if reader.status.value == "complete":
        break
    time.sleep(0.02)
print("sum", repr(float(reader.to_dataframe()["current"].sum())), flush=True)
"""


def test_second_process_sees_points_grow_while_the_run_writes(tmp_path):
    path = tmp_path / "run.h5"
    writer = _create(path, flush_every=2)
    writer.append(0, {"current": 0.0})
    writer.flush()
    reader = subprocess.Popen([sys.executable, "-c", READER_SCRIPT, str(path)], env=ENV,
                              stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline().split() == ["ready", "1"]
    total = 40
    for step in range(1, total):
        writer.append(step, {"current": float(step)})
        time.sleep(0.01)
    writer.finish()
    out, _ = reader.communicate(timeout=30)
    lines = [line.split() for line in out.splitlines()]
    counts = [int(n) for n, _ in lines[:-1]]
    assert counts == sorted(counts), "point count never decreases"
    assert len(set(c for c in counts if 1 < c < total)) >= 3, f"saw growth: {counts}"
    assert lines[-2] == [str(total), "complete"]
    assert float(lines[-1][1]) == sum(range(total))


KILLED_WRITER_SCRIPT = r"""
import sys, time
import numpy as np
from spinbench.protocols.base import Column
from spinbench.protocols.runstore import RunWriter
writer = RunWriter.create(sys.argv[1], protocol="demo", params={}, n_steps=1000,
                          columns=[Column("current", "A")], flush_every=6, flush_seconds=60)
for step in range(1000):
    writer.append(step, [{"current": step * 1e-3}, {"current": -step * 1e-3}])
    time.sleep(0.002)
"""


def _kill_after(path: Path, script: str, min_points: int) -> None:
    child = subprocess.Popen([sys.executable, "-c", script, str(path)], env=ENV)
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            if path.exists():
                try:
                    with RunReader(path) as reader:
                        if reader.n_points >= min_points:
                            break
                except (RunStoreError, OSError, KeyError):
                    pass  # file still being created
            time.sleep(0.02)
        else:
            pytest.fail("writer made no progress")
    finally:
        child.kill()  # SIGKILL: no cleanup, no finish, HDF5 file left "open for write"
        child.wait()


def test_sigkilled_writer_keeps_flushed_points_and_resume_completes(tmp_path):
    path = tmp_path / "killed.h5"
    _kill_after(path, KILLED_WRITER_SCRIPT, min_points=40)
    with pytest.raises(OSError):
        h5py.File(path, "r")  # a plain open refuses: HDF5 still marks it open for write
    with RunReader(path) as reader:
        assert reader.status == RunStatus.RUNNING
        n = reader.n_points
        assert n >= 40 and n % 6 == 0  # whole batches of 3 steps x 2 points
        frame = reader.to_dataframe()
        steps = frame["step"].to_numpy()
        np.testing.assert_array_equal(steps, np.repeat(np.arange(n // 2), 2))
        np.testing.assert_allclose(frame["current"][::2], steps[::2] * 1e-3)
        done = reader.completed_steps
        assert done <= set(steps.tolist()) and len(done) >= n // 2 - 3
        assert not reader.writer_alive()

    writer = RunWriter.resume(path, snapshots={"smu": {"idn": "again"}})
    resumed_from = len(writer.completed_steps)
    for step in range(1000):
        if step not in writer.completed_steps:
            writer.append(step, [{"current": step * 1e-3}, {"current": -step * 1e-3}])
    writer.finish()
    with RunReader(path) as reader:
        assert reader.status == RunStatus.COMPLETE
        frame = reader.to_dataframe()
        np.testing.assert_array_equal(np.sort(frame["step"]), np.repeat(np.arange(1000), 2))
        np.testing.assert_allclose(frame["current"].abs(), frame["step"] * 1e-3)
        [session] = reader.resumes
        assert session["previous_status"] == "running"
        assert session["steps_done_before"] == resumed_from
        assert session["snapshots"] == {"smu": {"idn": "again"}}


def test_resume_refuses_complete_and_live_runs(tmp_path):
    done = tmp_path / "done.h5"
    _create(done).finish()
    with pytest.raises(RunStoreError, match="already complete"):
        RunWriter.resume(done)
    live = tmp_path / "live.h5"
    child = subprocess.Popen([sys.executable, "-c", KILLED_WRITER_SCRIPT, str(live)], env=ENV)
    try:
        deadline = time.monotonic() + 30
        while not live.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)
        with pytest.raises(RunStoreError, match="still being written by process"):
            RunWriter.resume(live)
    finally:
        child.kill()
        child.wait()


def test_open_bench_snapshot_shape_becomes_one_group_per_instrument(tmp_path):
    snapshot = {"bench": "sot-hallbar", "visa_library": "sot-hallbar@spinbench",
                "roles": {"field": "magnet"},
                "instruments": {"magnet": {"driver": "kepco_bop", "limits": {"max_field": 0.3},
                                           "settings": {"current": 0.0, "output": False}},
                                "smu": {"driver": "keithley_2450", "settings": {}}}}
    path = tmp_path / "run.h5"
    RunWriter.create(path, protocol="demo", params={}, columns=COLUMNS,
                     snapshots=snapshot).finish()
    with h5py.File(path, "r") as f:
        assert sorted(f["instruments"]) == ["magnet", "smu"]
        assert f["instruments"].attrs["bench"] == "sot-hallbar"
        assert f["instruments/magnet"].attrs["driver"] == "kepco_bop"
        assert json.loads(f["instruments/magnet"].attrs["limits"]) == {"max_field": 0.3}
    with RunReader(path) as reader:
        assert reader.snapshots == snapshot


def test_append_columns_writes_a_whole_step_column_wise(tmp_path):
    path = tmp_path / "cols.h5"
    w = RunWriter.create(path, protocol="demo", params={}, columns=COLUMNS, traces=TRACES[:1])
    w.append(0, {"current": 1e-3, "voltage": 0.5, "count": 7})
    spectra = np.arange(15.0).reshape(3, 5)
    w.append_columns(1, {"current": [2e-3, 3e-3, 4e-3], "count": np.array([1, 2, 3]),
                         "spectrum": spectra})
    with pytest.raises(RunStoreError, match="same number of points"):
        w.append_columns(2, {"current": [1.0, 2.0], "voltage": [1.0]})
    with pytest.raises(RunStoreError, match=r"undeclared names \['bogus'\]"):
        w.append_columns(2, {"bogus": [1.0]})
    w.finish()
    w.close()
    with RunReader(path) as r:
        assert r.completed_steps == {0, 1}
        np.testing.assert_array_equal(r.column("current"), [1e-3, 2e-3, 3e-3, 4e-3])
        np.testing.assert_array_equal(r.column("count"), [7, 1, 2, 3])
        v = r.column("voltage")
        assert v[0] == 0.5 and np.isnan(v[1:]).all()          # not given: NaN
        np.testing.assert_array_equal(r.column("step"), [0, 1, 1, 1])
        np.testing.assert_array_equal(r.trace("spectrum")[1][1:], spectra)


def test_points_giving_every_column_missing_some_or_adding_traces_mix_in_one_batch(tmp_path):
    """Whole-column points, points missing a column and points with traces share a batch and
    come back in the order appended, missing values as NaN (0 for integers), traces not given
    as NaN rows; a refused point of a step buffers nothing of that step."""
    path = tmp_path / "run.h5"
    rng = np.random.default_rng(5)
    spectrum = rng.normal(size=5)
    given = [{"current": 1e-3, "voltage": 0.25, "count": 3},             # every column
             {"current": 2e-3},                                          # voltage, count missing
             {"current": 3e-3, "voltage": -0.5, "count": 4, "spectrum": spectrum},
             {"voltage": 0.75, "count": 5}]                              # current missing
    writer = _create(path, flush_every=100, flush_seconds=1e9)
    for step, point in enumerate(given):
        writer.append(step, point)
    with pytest.raises(RunStoreError, match="undeclared"):
        writer.append(9, [{"current": 1.0}, {"current": 2.0, "bogus": 1.0}])
    assert writer.n_points == 4 and 9 not in writer.completed_steps
    writer.append(4, ({"current": c} for c in (4e-3, 5e-3)))       # points from a generator
    given += [{"current": 4e-3}, {"current": 5e-3}]
    writer.finish()
    with RunReader(path) as reader:
        assert np.array_equal(reader.column("step"), [0, 1, 2, 3, 4, 4])
        np.testing.assert_array_equal(reader.column("current"),
                                      [1e-3, 2e-3, 3e-3, np.nan, 4e-3, 5e-3])
        np.testing.assert_array_equal(reader.column("voltage"),
                                      [0.25, np.nan, -0.5, 0.75, np.nan, np.nan])
        assert reader.column("count").tolist() == [3, 0, 4, 5, 0, 0]
        _, values = reader.trace("spectrum")
        assert np.isnan(values[[0, 1, 3, 4, 5]]).all()
        np.testing.assert_array_equal(values[2], spectrum)
        assert reader.completed_steps == {0, 1, 2, 3, 4}


def test_a_run_of_one_float_column_keeps_every_value(tmp_path):
    path = tmp_path / "one.h5"
    values = np.random.default_rng(6).normal(size=25)
    writer = RunWriter.create(path, protocol="demo", params={}, columns=[Column("current", "A")],
                              flush_every=7, flush_seconds=1e9)
    for step, value in enumerate(values.tolist()):
        writer.append(step, {"current": value})
    writer.finish()
    with RunReader(path) as reader:
        np.testing.assert_array_equal(reader.column("current"), values)
        assert np.all(np.diff(reader.column("timestamp")) >= 0)


def test_column_blocks_cover_the_column_in_order_and_hold_at_most_one_block(tmp_path):
    path = tmp_path / "blocks.h5"
    values = np.random.default_rng(7).normal(size=(3, 1000))
    writer = RunWriter.create(path, protocol="demo", params={},
                              columns=[Column("current", "A"), Column("voltage", "V")])
    for step in range(3):
        writer.append_columns(step, {"current": values[step], "voltage": -values[step]})
    writer.finish()
    with RunReader(path) as reader:
        blocks = list(reader.column_blocks("voltage", rows=256, start=100))
        assert [b.size for b in blocks] == [256] * 11 + [3000 - 100 - 11 * 256]
        np.testing.assert_array_equal(np.concatenate(blocks), -values.ravel()[100:])
        with pytest.raises(ValueError, match="rows must be >= 1"):
            next(reader.column_blocks("voltage", rows=0))
