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

Each throughput is measured ``--repeats`` times, the layers interleaved (ours, then each peer,
then ours again ...), and the best rate of each is compared: on a machine shared with other
work, a single measurement says more about the neighbours than about the code.

Usage: ``python benchmarks/bench_runstore.py [--points 100000] [--qcodes-points 20000]
[--rows 10000000] [--repeats 3]``. qcodes is slow per call: it is measured on fewer points and
its rate compared (calls/s), which is what the ratio means.
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


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _rates(n: int, t0: tuple[float, float]) -> tuple[float, float]:
    """Points per second of wall time and of this process's CPU time since ``t0``."""
    wall, cpu = _now()
    return n / (wall - t0[0]), n / max(cpu - t0[1], 1e-9)


def _points(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, 3))


def spinbench_per_call(folder: Path, data: np.ndarray) -> float:
    w = RunWriter.create(folder / "per_call.h5", protocol="bench", params={}, columns=COLUMNS,
                         flush_every=1000, flush_seconds=1.0)
    rows = data.tolist()          # a protocol's point holds Python floats
    t0 = _now()
    for i, (a, b, c) in enumerate(rows):
        w.append(i, {"current": a, "voltage": b, "field": c})
    w.finish(RunStatus.COMPLETE)
    rates = _rates(len(data), t0)
    w.close()
    return rates


def spinbench_batched(folder: Path, data: np.ndarray, batch: int = 1000) -> float:
    w = RunWriter.create(folder / f"batched{batch}.h5", protocol="bench", params={}, columns=COLUMNS,
                         flush_every=batch, flush_seconds=60.0)
    t0 = _now()
    for step, start in enumerate(range(0, len(data), batch)):
        chunk = data[start:start + batch]
        w.append_columns(step, {"current": chunk[:, 0], "voltage": chunk[:, 1], "field": chunk[:, 2]})
    w.finish(RunStatus.COMPLETE)
    rates = _rates(len(data), t0)
    w.close()
    return rates


def h5py_rows(folder: Path, data: np.ndarray) -> float:
    with h5py.File(folder / "rows.h5", "w", libver="latest") as f:
        ds = [f.create_dataset(n, (0,), maxshape=(None,), chunks=(1024,), dtype="f8")
              for n in ("current", "voltage", "field")]
        rows_ = data.tolist()
        t0 = _now()
        for i, row in enumerate(rows_):
            for d, v in zip(ds, row):
                d.resize((i + 1,))
                d[i] = v
        f.flush()
        return _rates(len(data), t0)


def h5py_batched(folder: Path, data: np.ndarray, batch: int = 1000) -> float:
    with h5py.File(folder / f"raw_batched{batch}.h5", "w", libver="latest") as f:
        ds = [f.create_dataset(n, (0,), maxshape=(None,), chunks=(1024,), dtype="f8")
              for n in ("current", "voltage", "field")]
        t0 = _now()
        for start in range(0, len(data), batch):
            chunk = data[start:start + batch]
            end = start + len(chunk)
            for k, d in enumerate(ds):
                d.resize((end,))
                d[start:end] = chunk[:, k]
            f.flush()
        return _rates(len(data), t0)


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
        t0 = _now()
        for a, b, c in rows:
            saver.add_result((current, a), ("voltage", b), ("field", c))
        saver.flush_data_to_database()
        rates = _rates(len(data), t0)
    return rates


def pymeasure_per_call(folder: Path, data: np.ndarray) -> float:
    from pymeasure.experiment import Procedure, Results
    from pymeasure.experiment.parameters import FloatParameter

    class Demo(Procedure):
        amplitude = FloatParameter("amplitude", units="A", default=1e-3)
        DATA_COLUMNS = ["current", "voltage", "field"]

    results = Results(Demo(), str(folder / "pm.csv"))
    # the Recorder writes results.format(point) + newline per emitted point (one file handle)
    rows = data.tolist()
    t0 = _now()
    with open(results.data_filename, "a") as f:   # the Recorder's FileHandler: one line per point
        for a, b, c in rows:
            f.write(results.format({"current": a, "voltage": b, "field": c}) + "\n")
    return _rates(len(data), t0)


def write_big(path: Path, rows: int) -> None:
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


def column_read(path: Path) -> dict[str, tuple[float, float]]:
    """Seconds and peak traced MB of: one column as an array, the mean of one column read in
    blocks, and the whole table as a DataFrame."""
    def blocks_mean(reader: RunReader) -> float:
        total, count = 0.0, 0
        for block in reader.column_blocks("voltage"):
            total += float(block.sum())
            count += block.size
        return total / count

    out = {}
    for label, fn in (("one column (array)", lambda r: r.column("voltage")),
                      ("one column in blocks", blocks_mean),
                      ("whole table", lambda r: r.to_dataframe())):
        tracemalloc.start()
        t0 = time.perf_counter()
        with RunReader(path) as reader:
            fn(reader)
        seconds = time.perf_counter() - t0
        out[label] = (seconds, tracemalloc.get_traced_memory()[1] / 1e6)
        tracemalloc.stop()
    return out


def best_rates(layers: dict, repeats: int) -> dict[str, tuple[float, float]]:
    """Best (wall, CPU) rates of each ``name -> fn(folder) -> rates`` over ``repeats``
    interleaved rounds."""
    best = {name: (0.0, 0.0) for name in layers}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeats):
            for name, fn in layers.items():
                folder = Path(tmp) / f"{name}-{r}"
                folder.mkdir()
                wall, cpu = fn(folder)
                best[name] = (max(best[name][0], wall), max(best[name][1], cpu))
    return best


def _row(label: str, rates: tuple[float, float], peer: tuple[float, float] | None = None,
         target: str = "") -> str:
    line = f"  {label:27s}: {rates[0]:12,.0f} /s wall {rates[1]:12,.0f} /s CPU"
    if peer is not None:
        line += f"   ours/this {ours_rates[0] / rates[0]:6.2f}x wall {ours_rates[1] / rates[1]:6.2f}x CPU"
    return line + (f"  ({target})" if target else "")


def main() -> None:
    global ours_rates
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--qcodes-points", type=int, default=20_000)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeats", type=int, default=3, help="interleaved rounds per throughput")
    args = ap.parse_args()
    data = _points(args.points)
    rates = best_rates({
        "ours": lambda d: spinbench_per_call(d, data),
        "pymeasure": lambda d: pymeasure_per_call(d, data),
        "qcodes": lambda d: qcodes_per_call(d, data[: args.qcodes_points]),
    }, args.repeats)
    with tempfile.TemporaryDirectory() as tmp:
        rows = h5py_rows(Path(tmp), data[: args.qcodes_points])
    ours_rates = rates["ours"]
    print(f"per-call appends, {args.points:,} points x 3 columns, best of {args.repeats} interleaved "
          "rounds, points per second of wall time and of process CPU time")
    print(_row("spinbench RunWriter.append", ours_rates))
    print(_row("pymeasure Results (CSV)", rates["pymeasure"], ours_rates, "target >= 2x"))
    print(_row("qcodes DataSaver (SQLite)", rates["qcodes"], ours_rates, "target >= 40x"))
    print(_row("h5py one row at a time", rows, ours_rates, "one round"))
    for batch in (1_000, 10_000):
        rates = best_rates({"ours": lambda d: spinbench_batched(d, data, batch),
                            "raw": lambda d: h5py_batched(d, data, batch)}, max(args.repeats, 5))
        ours_rates = rates["ours"]
        print(f"batched appends, {batch:,} points per call (ours: SWMR, step and timestamp columns, "
              "two flushes per batch for kill safety; raw: 3 columns, one flush)")
        print(_row("spinbench append_columns", ours_rates))
        print(_row("raw batched h5py", rates["raw"], ours_rates, "target ours/raw >= 0.75"))
    with tempfile.TemporaryDirectory() as tmp:
        print("reading one column vs the whole table (seconds, peak traced MB)")
        for rows_ in (args.rows // 10, args.rows):
            path = Path(tmp) / f"big{rows_}.h5"
            write_big(path, rows_)
            for label, (seconds, peak) in column_read(path).items():
                print(f"  {rows_:>11,} rows  {label:22s}: {seconds:8.3f} s  {peak:9.2f} MB")
            path.unlink()
        print(f"  (a column's values take {8 * args.rows / 1e6:.0f} MB at {args.rows:,} rows; the "
              "block reader's peak stays one block)")


if __name__ == "__main__":
    main()
