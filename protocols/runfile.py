"""The HDF5 run file's layout and the helpers its writer and reader share.

The run file format is owned by three modules together: this one (format constants, status,
the datasets' layout, JSON and snapshot encoding), :mod:`protocols.runstore` (the writer, and
the public entry point that re-exports everything) and :mod:`protocols.runreader` (the reader).

Layout (``format = "spinbench-run"``, ``format_version = 1``)::

    /                         attrs: format, format_version, protocol, description,
                                     params (JSON), param_units (JSON), columns (JSON),
                                     traces (JSON), n_steps, seed (-1: none), bench_name,
                                     bench_text, versions (JSON), started_at, ended_at,
                                     status, error            (the last three mirror /run)
    /run/status               scalar S16: running | complete | aborted | failed (live)
    /run/ended_at             scalar S40: ISO time, "" while running            (live)
    /run/error                (E,) u1: UTF-8 error text / traceback, empty if none (live)
    /run/steps_done           (S,) i8: step indices whose points are all flushed
                              attrs: writer_pid, writer_host
    /instruments              attrs: bench-level snapshot entries, snapshot_json (all of it)
    /instruments/<name>       group per instrument; attrs: snapshot entries (scalars as is,
                              the rest as JSON) and snapshot_json (that instrument's dict)
    /resumes/<k>              attrs: at (ISO time); /resumes/<k>/instruments/<name> as above
    /data/step                (N,) i8: step index of each point
    /data/timestamp           (N,) f8, units "s": Unix time of each point
    /data/<column>            (N,) declared dtype; attrs units, doc
    /traces/<name>/values     (N, L); attrs units, doc
    /traces/<name>/axis       (L,) or (N, L) if per point; attrs name, units

Every data dataset is chunked and resizable along its first axis. The writer creates all of
them, then turns SWMR on (HDF5 allows no new objects after that), so another process can
read while the run writes. Root attributes are not refreshed by an open SWMR reader, so the
live status lives in the small ``/run`` datasets; root attributes are mirrored when the run
ends, for tools that only read attributes.

Points are buffered and flushed every ``flush_every`` points or ``flush_seconds`` seconds,
always between whole steps, and on finish. Each flush writes the data, flushes the file,
then records the steps in ``/run/steps_done`` and flushes again: a run killed at any moment
keeps every point flushed before it, and ``steps_done`` never names a step whose points are
not all on disk.

A file whose writer was killed still has HDF5's "open for write" flag set and can only be
opened by SWMR readers; :meth:`RunWriter.resume` therefore copies its consistent content into
a fresh file (``<path>.tmp``, then an atomic rename) and continues appending there.
"""

from __future__ import annotations

import enum
import json
import os
import socket
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from importlib import metadata
from typing import Any

import h5py
import numpy as np

from spinbench.protocols.base import Column, Trace

FORMAT = "spinbench-run"
FORMAT_VERSION = 1
#: Columns the store writes itself.
RESERVED_COLUMNS = ("step", "timestamp")
_LIBVER = "latest"
#: Rows per chunk of a 1-D column (64 KiB of float64): measured with benchmarks/bench_runstore.py
#: against 1024, 4096 and 16384, the best for per-point appends flushed every 1,000 points and
#: for batches of 1,000 and 10,000 points (fewer, larger chunk writes per flush), and a column
#: read touches few chunks.
_COLUMN_CHUNK = 8192


class RunStatus(enum.StrEnum):
    """Status of a run file."""

    RUNNING = "running"
    COMPLETE = "complete"
    ABORTED = "aborted"
    FAILED = "failed"


class RunStoreError(RuntimeError):
    """A run file that cannot be written, read or resumed as asked."""


def now_iso() -> str:
    """Local time with UTC offset, ISO 8601, to the millisecond."""
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="milliseconds")


def software_versions() -> dict[str, str]:
    """Versions of spinbench and the libraries that shape a run file's content."""
    versions = {}
    for package in ("spinbench", "numpy", "h5py", "pyvisa", "pymeasure", "qcodes"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    versions["hdf5"] = h5py.version.hdf5_version
    versions["python"] = ".".join(map(str, __import__("sys").version_info[:3]))
    return versions


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=str)
    if isinstance(obj, enum.Enum):
        return obj.value
    return str(obj)


def to_json(obj: Any) -> str:
    """JSON text of ``obj``; NumPy values, tuples, paths and enums become plain JSON."""
    return json.dumps(obj, default=_json_default, allow_nan=True)


def _decode(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.generic):
        return value.item()
    return value


def _write_snapshots(group: h5py.Group, snapshot: Mapping[str, Any]) -> None:
    """Write a bench snapshot: one sub-group per instrument, bench-level entries as attrs.

    Accepts ``{instrument: {...}}`` or ``instruments.OpenBench.snapshot()``'s shape
    ``{"bench": ..., "instruments": {instrument: {...}}, ...}``. The whole snapshot is also
    kept as JSON (``snapshot_json``) so the reader returns exactly what was given.
    """
    snapshot = dict(snapshot or {})
    group.attrs["snapshot_json"] = to_json(snapshot)
    per_instrument = snapshot.get("instruments")
    if isinstance(per_instrument, Mapping):
        header = {k: v for k, v in snapshot.items() if k != "instruments"}
    else:
        per_instrument = {k: v for k, v in snapshot.items() if isinstance(v, Mapping)}
        header = {k: v for k, v in snapshot.items() if not isinstance(v, Mapping)}
    _write_attrs(group, header)
    for name, entry in per_instrument.items():
        sub = group.create_group(str(name).replace("/", "_"))
        entry = dict(entry) if isinstance(entry, Mapping) else {"value": entry}
        sub.attrs["snapshot_json"] = to_json(entry)
        _write_attrs(sub, entry)


def _write_attrs(target: h5py.Group, entries: Mapping[str, Any]) -> None:
    for key, value in entries.items():
        value = _decode(value)
        if isinstance(value, (str, int, float, bool)):
            target.attrs[str(key)] = value
        else:
            target.attrs[str(key)] = to_json(value)


def _read_snapshots(group: h5py.Group) -> dict[str, Any]:
    return json.loads(_decode(group.attrs["snapshot_json"]))


def _column_fill(dtype: np.dtype) -> Any:
    if dtype.kind == "f":
        return np.nan
    if dtype.kind == "b":
        return False
    return 0


def _append_1d(ds: h5py.h5d.DatasetID, start: int, values: np.ndarray) -> None:
    """Grow a 1-D chunked dataset to ``start + len(values)`` and write ``values`` (of the
    dataset's dtype) at ``start``: ``Dataset.resize`` + ``ds[start:] = values`` through the
    low-level API."""
    values = np.ascontiguousarray(values)
    count = values.shape[0]
    ds.set_extent((start + count,))
    if count == 0:
        return
    fspace = ds.get_space()
    fspace.select_hyperslab((start,), (count,))
    ds.write(h5py.h5s.create_simple((count,)), fspace, values)


class _Layout:
    """Creates the datasets of a run file (shared by :meth:`RunWriter.create` and resume)."""

    @staticmethod
    def create(f: h5py.File, columns: Sequence[Column], traces: Sequence[Trace]) -> None:
        run = f.create_group("run")
        run.create_dataset("status", data=np.bytes_(RunStatus.RUNNING.value), dtype="S16")
        run.create_dataset("ended_at", data=np.bytes_(""), dtype="S40")
        # UTF-8 bytes in a resizable dataset: variable-length strings are not SWMR-safe
        run.create_dataset("error", shape=(0,), maxshape=(None,), dtype="u1", chunks=(4096,))
        run.create_dataset("steps_done", shape=(0,), maxshape=(None,), dtype="i8",
                           chunks=(_COLUMN_CHUNK,))
        run.attrs["writer_pid"] = os.getpid()
        run.attrs["writer_host"] = socket.gethostname()
        data = f.create_group("data")
        for column in (Column("step", "", "i8", "step index of the point"),
                       Column("timestamp", "s", "f8", "Unix time of the point"), *columns):
            dtype = np.dtype(column.dtype)
            ds = data.create_dataset(column.name, shape=(0,), maxshape=(None,), dtype=dtype,
                                     chunks=(_COLUMN_CHUNK,), fillvalue=_column_fill(dtype))
            ds.attrs["units"] = column.unit
            ds.attrs["doc"] = column.doc
        group = f.create_group("traces")
        for trace in traces:
            sub = group.create_group(trace.name)
            rows = max(1, min(64, 2**18 // max(1, trace.length)))
            values = sub.create_dataset("values", shape=(0, trace.length),
                                        maxshape=(None, trace.length), dtype="f8",
                                        chunks=(rows, trace.length), fillvalue=np.nan)
            values.attrs["units"] = trace.unit
            values.attrs["doc"] = trace.doc
            if trace.axis_per_point:
                axis = sub.create_dataset("axis", shape=(0, trace.length),
                                          maxshape=(None, trace.length), dtype="f8",
                                          chunks=(rows, trace.length), fillvalue=np.nan)
            else:
                axis = sub.create_dataset("axis", shape=(trace.length,), dtype="f8",
                                          fillvalue=np.nan)
            axis.attrs["name"] = trace.axis_name
            axis.attrs["units"] = trace.axis_unit
