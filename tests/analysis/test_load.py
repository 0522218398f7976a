"""analysis.load: a run file back as a DataFrame with units and its metadata."""

from __future__ import annotations

import numpy as np
import pytest

from spinbench.analysis.load import load_run
from spinbench.protocols.base import Column, Trace
from spinbench.protocols.runstore import RunStoreError, RunWriter


def _write(path, finish: bool = True):
    rng = np.random.default_rng(5)
    field = np.linspace(-0.1, 0.1, 9)
    hall = 2.0 * np.tanh(field / 0.02) + 0.01 * rng.standard_normal(9)
    freq = np.linspace(1e9, 4e9, 4)
    writer = RunWriter.create(
        path, protocol="hall_loop", params={"field_max": 0.1, "num": 9},
        param_units={"field_max": "T", "num": ""},
        columns=[Column("field", "T"), Column("hall_resistance", "ohm")],
        traces=[Trace("psd", "dBm", "frequency", "Hz", 4)],
        snapshots={"magnet": {"idn": "KEPCO,BOP 20-10", "tesla_per_amp": 0.05}},
        bench_text="name: sot-hallbar\n", n_steps=9, seed=5, flush_every=4)
    for k in range(9):
        writer.append(k, {"field": field[k], "hall_resistance": hall[k],
                          "psd": (freq, -90.0 + k * np.ones(4))})
    if finish:
        writer.finish()
    else:
        writer.flush()
    return field, hall, writer


def test_load_run_gives_identical_numbers_units_and_metadata(tmp_path):
    path = tmp_path / "loop.h5"
    field, hall, _ = _write(path)
    frame, meta = load_run(path)
    np.testing.assert_array_equal(frame["field"], field)
    np.testing.assert_array_equal(frame["hall_resistance"], hall)
    assert frame.attrs["units"]["hall_resistance"] == "ohm"
    assert frame.attrs["units"]["field"] == "T"
    assert meta.complete and meta.protocol == "hall_loop" and meta.n_points == 9
    assert meta.params == {"field_max": 0.1, "num": 9} and meta.param_units["field_max"] == "T"
    assert meta.snapshots["magnet"]["tesla_per_amp"] == 0.05 and meta.seed == 5
    assert meta.completed_steps == frozenset(range(9))
    psd = meta.traces["psd"]
    assert (psd.unit, psd.axis_name, psd.axis_unit) == ("dBm", "frequency", "Hz")
    np.testing.assert_array_equal(psd.axis, np.linspace(1e9, 4e9, 4))
    np.testing.assert_array_equal(psd.values[:, 0], -90.0 + np.arange(9))
    # a quick physics check on what came back: the loop saturates at +-2 ohm
    assert frame["hall_resistance"].iloc[-1] == pytest.approx(2.0, abs=0.05)
    _, no_traces = load_run(path, traces=False)
    assert no_traces.traces == {}


def test_load_run_while_the_run_is_still_writing(tmp_path):
    path = tmp_path / "live.h5"
    field, _, writer = _write(path, finish=False)
    frame, meta = load_run(path)
    assert meta.status == "running" and not meta.complete and meta.ended_at == ""
    np.testing.assert_array_equal(frame["field"], field)
    writer.finish()


def test_load_run_refuses_a_non_run_file(tmp_path):
    import h5py
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = [1, 2]
    with pytest.raises(RunStoreError, match="not a spinbench run file"):
        load_run(other)
