"""Run-store throughput and column reads against the data layers labs already use.

Measured in one run, on the same machine, for the same points (3 float columns per point):

1. per-call appends: ``RunWriter.append`` one point per call (flushed to disk every 1,000
   points or 1 s, whichever comes first, two HDF5 flushes each for kill safety) vs qcodes' ``DataSaver.add_result`` (SQLite)
   and pymeasure's ``Results`` CSV writer (the ``Recorder`` path: one formatted line per point),
   and vs h5py one row at a time (resize + write per point);
2. batched appends: ``RunWriter.append`` with a whole step of 1,000 points per call vs raw
   h5py writing the same batches into resizable chunked datasets;
3. reading one column of a 10-million-row run: time and peak memory (tracemalloc) of
   ``RunReader.column`` vs loading the whole table (``RunReader.to_dataframe``).

Usage: ``python benchmarks/bench_runstore.py [--points 100000] [--qcodes-points 20000]
[--rows 10000000]``. qcodes is slow per call: it is measured on fewer points and its rate
compared (calls/s), which is what the ratio means.
"""
from __future__ import annotations

import argparse
import csv
import logging
import tempfile
import time
import tracemalloc
from pathlib import Path

import h5py
import numpy as np

from spinbench.protocols.base import Column
from spinbench.protocols.runstore import RunReader, RunStatus, RunWriter

COLUMNS = [Column("current", "A"), Column("voltage", "V"), Column("field", "T")]


def _points(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, 3))


def spinbench_per_call(folder: Path, data: np.ndarray) -> float:
    w = RunWriter.create(folder / "per_call.h5", protocol="bench", params={}, columns=COLUMNS,
                         flush_every=1000, flush_seconds=1.0)
    rows = data.tolist()          # a protocol's point holds Python floats
    t0 = time.perf_counter()
    for i, (a, b, c) in enumerate(rows):
        w.append(i, {"current": a, "voltage": b, "field": c})
    w.finish(RunStatus.COMPLETE)
    dt = time.perf_counter() - t0
    w.close()
    return len(data) / dt


def spinbench_batched(folder: Path, data: np.ndarray, batch: int = 1000) -> float:
    w = RunWriter.create(folder / f"batched{batch}.h5", protocol="bench", params={}, columns=COLUMNS,
                         flush_every=batch, flush_seconds=60.0)
    t0 = time.perf_counter()
    for step, start in enumerate(range(0, len(data), batch)):
        chunk = data[start:start + batch]
        w.append_columns(step, {"current": chunk[:, 0], "voltage": chunk[:, 1], "field": chunk[:, 2]})
    w.finish(RunStatus.COMPLETE)
    dt = time.perf_counter() - t0
    w.close()
    return len(data) / dt


def h5py_rows(folder: Path, data: np.ndarray) -> float:
    with h5py.File(folder / "rows.h5", "w", libver="latest") as f:
        ds = [f.create_dataset(n, (0,), maxshape=(None,), chunks=(1024,), dtype="f8")
              for n in ("current", "voltage", "field")]
        rows_ = data.tolist()
        t0 = time.perf_counter()
        for i, row in enumerate(rows_):
            for d, v in zip(ds, row):
                d.resize((i + 1,))
                d[i] = v
        f.flush()
        return len(data) / (time.perf_counter() - t0)


def h5py_batched(folder: Path, data: np.ndarray, batch: int = 1000) -> float:
    with h5py.File(folder / f"raw_batched{batch}.h5", "w", libver="latest") as f:
        ds = [f.create_dataset(n, (0,), maxshape=(None,), chunks=(1024,), dtype="f8")
              for n in ("current", "voltage", "field")]
        t0 = time.perf_counter()
        for start in range(0, len(data), batch):
            chunk = data[start:start + batch]
            end = start + len(chunk)
            for k, d in enumerate(ds):
                d.resize((end,))
                d[start:end] = chunk[:, k]
            f.flush()
        return len(data) / (time.perf_counter() - t0)


def qcodes_per_call(folder: Path, data: np.ndarray) -> float:
    logging.getLogger("qcodes").setLevel(logging.WARNING)
    from qcodes.dataset import (Measurement, initialise_or_create_database_at,
                                load_or_create_experiment)
    from qcodes.parameters import ManualParameter

    initialise_or_create_database_at(str(folder / "q.db"))
    exp = load_or_create_experiment("bench", sample_name="runstore")
    meas = Measurement(exp=exp)
    current = ManualParameter("current", unit="A")
    meas.register_parameter(current)
    for name, unit in (("voltage", "V"), ("field", "T")):
        meas.register_custom_parameter(name, unit=unit, setpoints=(current,))
    rows = data.tolist()
    with meas.run() as saver:
        t0 = time.perf_counter()
        for a, b, c in rows:
            saver.add_result((current, a), ("voltage", b), ("field", c))
        saver.flush_data_to_database()
        dt = time.perf_counter() - t0
    return len(data) / dt


def pymeasure_per_call(folder: Path, data: np.ndarray) -> float:
    from pymeasure.experiment import Procedure, Results
    from pymeasure.experiment.parameters import FloatParameter

    class Demo(Procedure):
        amplitude = FloatParameter("amplitude", units="A", default=1e-3)
        DATA_COLUMNS = ["current", "voltage", "field"]

    results = Results(Demo(), str(folder / "pm.csv"))
    # the Recorder writes results.format(point) + newline per emitted point (one file handle)
    rows = data.tolist()
    t0 = time.perf_counter()
    with open(results.data_filename, "a") as f:   # the Recorder's FileHandler: one line per point
        for a, b, c in rows:
            f.write(results.format({"current": a, "voltage": b, "field": c}) + "\n")
    return len(data) / (time.perf_counter() - t0)


def column_read(folder: Path, rows: int) -> dict[str, float]:
    path = folder / "big.h5"
    w = RunWriter.create(path, protocol="bench", params={}, columns=COLUMNS,
                         flush_every=1_000_000, flush_seconds=600.0)
    block = 1_000_000
    rng = np.random.default_rng(1)
    for step, start in enumerate(range(0, rows, block)):
        n = min(block, rows - start)
        cols = rng.normal(size=(3, n))
        w.append_columns(step, {"current": cols[0], "voltage": cols[1], "field": cols[2]})
    w.finish(RunStatus.COMPLETE)
    w.close()
    out = {}
    for label, fn in (("one column", lambda r: r.column("voltage")),
                      ("whole table", lambda r: r.to_dataframe())):
        tracemalloc.start()
        t0 = time.perf_counter()
        with RunReader(path) as reader:
            fn(reader)
        out[f"{label} s"] = time.perf_counter() - t0
        out[f"{label} peak MB"] = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--qcodes-points", type=int, default=20_000)
    ap.add_argument("--rows", type=int, default=10_000_000)
    args = ap.parse_args()
    data = _points(args.points)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ours = spinbench_per_call(folder, data)
        pm = pymeasure_per_call(folder, data)
        qc = qcodes_per_call(folder, data[: args.qcodes_points])
        rows = h5py_rows(folder, data[: args.qcodes_points])
        print(f"per-call appends, {args.points:,} points x 3 columns")
        print(f"  spinbench RunWriter.append : {ours:12,.0f} points/s")
        print(f"  pymeasure Results (CSV)    : {pm:12,.0f} points/s   ratio {ours / pm:5.2f}x  (target >= 2x)")
        print(f"  qcodes DataSaver (SQLite)  : {qc:12,.0f} points/s   ratio {ours / qc:5.1f}x  (target >= 40x)")
        print(f"  h5py one row at a time     : {rows:12,.0f} points/s   ratio {ours / rows:5.1f}x")
        for batch in (1_000, 10_000):
            batched = spinbench_batched(folder, data, batch)
            raw = h5py_batched(folder, data, batch)
            print(f"batched appends ({batch:,} points per call; ours flushes twice per batch for kill "
                  "safety, raw once)")
            print(f"  spinbench append_columns   : {batched:12,.0f} points/s")
            print(f"  raw batched h5py           : {raw:12,.0f} points/s   ours/raw {batched / raw:5.2f}"
                  "  (target >= 0.75)")
        reads = column_read(folder, args.rows)
        print(f"reading a {args.rows:,}-row run")
        for key, value in reads.items():
            print(f"  {key:20s}: {value:10.3f}")


if __name__ == "__main__":
    main()
