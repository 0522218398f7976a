"""The HDF5 run file (DESIGN.md "Run files"): the writer, and the entry point of the format.

The format is owned by three modules together: :mod:`protocols.runfile` (the layout,
constants, status, encoding), this one (:class:`RunWriter`) and :mod:`protocols.runreader`
(:class:`RunReader`); import any of their names from here.

The layout of the file is documented once, in :mod:`protocols.runfile`.

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

import json
import operator
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from spinbench.protocols.base import Column, Trace
from spinbench.protocols.runfile import (FORMAT, FORMAT_VERSION, RESERVED_COLUMNS, RunStatus,
                                         RunStoreError, _LIBVER, _Layout, _append_1d,
                                         _column_fill, _write_snapshots, now_iso,
                                         software_versions, to_json)
from spinbench.protocols.runreader import RunReader

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "RESERVED_COLUMNS",
    "RunReader",
    "RunStatus",
    "RunStoreError",
    "RunWriter",
    "software_versions",
]


class RunWriter:
    """Appends points to a run file under SWMR; see the module docstring for the layout.

    Use :meth:`create` for a new run or :meth:`resume` to continue one, then :meth:`append`
    whole steps and :meth:`finish` once. As a context manager, an exception leaving the block
    marks the run ``aborted`` (KeyboardInterrupt) or ``failed`` (anything else).
    """

    def __init__(self, f: h5py.File, path: Path, *, flush_every: int, flush_seconds: float,
                 completed_steps: Iterable[int] = ()) -> None:
        # Use create() or resume(): the file must already hold the full layout.
        self._f = f
        self.path = Path(path)
        self.flush_every = max(1, int(flush_every))
        self.flush_seconds = float(flush_seconds)
        self.columns = [Column(**c) for c in json.loads(f.attrs["columns"])]
        self.traces = [Trace(**t) for t in json.loads(f.attrs["traces"])]
        self._names = {c.name for c in self.columns} | {t.name for t in self.traces}
        #: steps whose points are all in the file (and in /run/steps_done)
        self._completed: set[int] = set(int(s) for s in completed_steps)
        #: steps whose points are all buffered or written, not yet in /run/steps_done
        self._pending_steps: list[int] = []
        self._axis_written = {t.name: not np.isnan(f["traces"][t.name]["axis"][...]).all()
                              for t in self.traces if not t.axis_per_point}
        self._n_points = int(f["data/step"].shape[0])
        # dataset handles, dtypes and fill values, looked up once (a flush per step appends to
        # every column: the high-level h5py lookups and selections cost more than the data)
        data = f["data"]
        self._column_ds = [(c.name, data[c.name].id, data[c.name].dtype,
                            _column_fill(data[c.name].dtype)) for c in self.columns]
        self._scalar_names = [c.name for c in self.columns]
        self._ncols = len(self._scalar_names)
        self._fills = tuple(fill for _, _, _, fill in self._column_ds)
        #: a point's scalar values in column order (KeyError if one is missing), as a tuple
        self._getter = _row_getter(self._scalar_names)
        # Buffered points, column values flat and row-major (one row of len(columns) values per
        # point), with the step and time stamp of each: a point costs three list operations
        # and keeps no dict alive; a flush turns the rows into arrays in one C-level pass.
        self._values: list[Any] = []
        self._point_steps: list[int] = []
        self._stamps: list[float] = []
        #: per buffered point, the items it gives for each trace (None: none); only with traces
        self._trace_items: list[tuple[Any, ...] | None] | None = [] if self.traces else None
        self._all_float = all(data[c.name].dtype == np.float64 for c in self.columns)
        self._timestamp_ds = data["timestamp"].id
        self._step_ds = data["step"].id
        self._steps_done_ds = f["run/steps_done"].id
        #: wall time of the last flush (the clock the points' time stamps are read from)
        self._last_flush = time.time()
        self._closed = False
        f.swmr_mode = True

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        protocol: str,
        params: Mapping[str, Any],
        columns: Sequence[Column],
        traces: Sequence[Trace] = (),
        param_units: Mapping[str, str] | None = None,
        snapshots: Mapping[str, Any] | None = None,
        bench_text: str = "",
        bench_name: str = "",
        description: str = "",
        n_steps: int = -1,
        seed: int | None = None,
        flush_every: int = 10,
        flush_seconds: float = 1.0,
    ) -> RunWriter:
        """Create a new run file (refuses to overwrite) with every dataset, then start SWMR.

        Parameters
        ----------
        path
            The ``.h5`` file to create; its folder is created if missing.
        protocol, description
            Protocol name and one-line description.
        params, param_units
            Validated parameters (JSON-able) and their units.
        columns, traces
            Declared data (``step`` and ``timestamp`` are added by the store).
        snapshots
            The bench snapshot: instrument name -> identity and settings dict, or
            ``OpenBench.snapshot()``'s ``{"instruments": {...}, ...}``.
        bench_text, bench_name
            The bench file as text, and its name or path.
        n_steps
            Number of steps planned (``-1`` if unknown).
        seed
            Seed of the run, if any.
        flush_every, flush_seconds
            Flush after this many buffered points or this much time, whichever comes first.
        """
        path = Path(path)
        names = [c.name for c in columns] + [t.name for t in traces]
        clash = [n for n in names if n in RESERVED_COLUMNS]
        if clash or len(set(names)) != len(names):
            raise RunStoreError(f"column/trace names must be unique and not {RESERVED_COLUMNS}: "
                                f"{names}")
        if path.exists():
            raise RunStoreError(f"{path} exists; refusing to overwrite a run file")
        path.parent.mkdir(parents=True, exist_ok=True)
        f = h5py.File(path, "w-", libver=_LIBVER)
        try:
            attrs = f.attrs
            attrs["format"] = FORMAT
            attrs["format_version"] = FORMAT_VERSION
            attrs["protocol"] = protocol
            attrs["description"] = description
            attrs["params"] = to_json(dict(params))
            attrs["param_units"] = to_json(dict(param_units or {}))
            attrs["columns"] = to_json([asdict(c) for c in columns])
            attrs["traces"] = to_json([asdict(t) for t in traces])
            attrs["n_steps"] = int(n_steps)
            attrs["seed"] = -1 if seed is None else int(seed)
            attrs["bench_name"] = bench_name
            attrs["bench_text"] = bench_text
            attrs["versions"] = to_json(software_versions())
            attrs["started_at"] = now_iso()
            attrs["ended_at"] = ""
            attrs["status"] = RunStatus.RUNNING.value
            attrs["error"] = ""
            _write_snapshots(f.create_group("instruments"), snapshots or {})
            f.create_group("resumes")
            _Layout.create(f, columns, traces)
            return cls(f, path, flush_every=flush_every, flush_seconds=flush_seconds)
        except BaseException:
            f.close()
            path.unlink(missing_ok=True)
            raise

    @classmethod
    def resume(
        cls,
        path: str | os.PathLike[str],
        *,
        snapshots: Mapping[str, Any] | None = None,
        flush_every: int = 10,
        flush_seconds: float = 1.0,
    ) -> RunWriter:
        """Reopen an ``aborted``, ``failed`` or dead ``running`` run to append to it.

        The consistent content (points of the steps in ``/run/steps_done``) is copied into a
        fresh file that atomically replaces ``path``; the status goes back to ``running``.
        :attr:`completed_steps` tells the caller which steps to skip.

        Raises
        ------
        RunStoreError
            If the run is complete, or still being written by a live process.
        """
        path = Path(path)
        if not path.exists():
            raise RunStoreError(f"{path}: no such run file")
        tmp = path.with_name(path.name + ".tmp")
        tmp.unlink(missing_ok=True)
        with RunReader(path) as old:
            if old.status == RunStatus.COMPLETE:
                raise RunStoreError(f"{path}: run is already complete; nothing to resume")
            if old.status == RunStatus.RUNNING and old.writer_alive():
                raise RunStoreError(f"{path}: still being written by process {old.writer_pid}")
            done = sorted(old.completed_steps)
            keep = np.isin(old.column("step"), done)
            new = h5py.File(tmp, "w-", libver=_LIBVER)
            try:
                for key, value in old.raw_attrs.items():
                    new.attrs[key] = value
                new.attrs["status"] = RunStatus.RUNNING.value
                new.attrs["ended_at"] = ""
                new.attrs["error"] = ""
                old._f.copy(old._f["instruments"], new, "instruments")
                old._f.copy(old._f["resumes"], new, "resumes")
                session = new["resumes"].create_group(str(len(new["resumes"])))
                session.attrs["at"] = now_iso()
                session.attrs["previous_status"] = old.status.value
                session.attrs["previous_error"] = old.error
                session.attrs["steps_done_before"] = len(done)
                _write_snapshots(session.create_group("instruments"), snapshots or {})
                _Layout.create(new, old.columns, old.traces)
                _copy_points(old, new, keep, done)
            except BaseException:
                new.close()
                tmp.unlink(missing_ok=True)
                raise
        new.close()
        os.replace(tmp, path)
        f = h5py.File(path, "r+", libver=_LIBVER)
        return cls(f, path, flush_every=flush_every, flush_seconds=flush_seconds,
                   completed_steps=done)

    # -- writing ---------------------------------------------------------------------------
    @property
    def completed_steps(self) -> frozenset[int]:
        """Steps whose points are in the file or buffered for it."""
        return frozenset(self._completed.union(self._pending_steps))

    @property
    def n_points(self) -> int:
        """Points appended so far, flushed or not (including those before a resume)."""
        return self._n_points + len(self._stamps)

    def append(self, step: int, points: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> None:
        """Buffer the point(s) of one whole step; flush if the batch is due.

        A point maps declared column names to scalars and trace names to arrays of the
        trace's length, or to ``(axis, values)``. Missing columns are stored as NaN (0 for
        integers); unknown names raise :class:`RunStoreError`. (A whole step of many points
        given column-wise is cheaper through :meth:`append_columns`.)
        """
        if self._closed:
            self._check_open()
        step = int(step)
        stamp = time.time()
        if type(points) is dict and len(points) == self._ncols:
            # the hot case: one point giving every column and nothing else (all the declared
            # names are there and there are no others, so there is nothing to refuse)
            try:
                row = self._getter(points)
            except KeyError:
                row = None
            if row is None:
                self._buffer(step, stamp, points)
            else:
                self._values.extend(row)
                self._point_steps.append(step)
                self._stamps.append(stamp)
                if self._trace_items is not None:
                    self._trace_items.append(None)
        else:
            if isinstance(points, Mapping):
                points = (points,)
            elif not isinstance(points, (list, tuple)):
                points = list(points)               # read twice below: a generator only once
            names = self._names
            for point in points:                    # refuse before buffering any of them
                if not names.issuperset(point):
                    self._refuse(point)
            for point in points:
                self._buffer(step, stamp, point)
        self._pending_steps.append(step)
        # one clock read per call: the point's stamp also times the flush (a clock stepped
        # back flushes at once rather than waiting for it to catch up)
        if len(self._stamps) >= self.flush_every or not (
                0.0 <= stamp - self._last_flush < self.flush_seconds):
            self.flush()

    def _buffer(self, step: int, stamp: float, point: Mapping[str, Any]) -> None:
        """Buffer one point that may miss columns (their fill value) or give traces."""
        if not self._names.issuperset(point):
            self._refuse(point)
        get = point.get
        self._values.extend([get(name, fill) for name, fill in zip(self._scalar_names, self._fills)])
        self._point_steps.append(step)
        self._stamps.append(stamp)
        if self._trace_items is not None:
            items = tuple(get(t.name) for t in self.traces)
            self._trace_items.append(None if all(i is None for i in items) else items)

    def _refuse(self, point: Mapping[str, Any]) -> None:
        raise RunStoreError(f"point has undeclared names {sorted(set(point) - self._names)}; "
                            f"declared: {sorted(self._names)}")

    def append_columns(self, step: int, columns: Mapping[str, Any]) -> None:
        """Append one whole step given column-wise and write it at once (kill-safe as
        :meth:`flush`): ``name -> (n,)`` array per scalar column, ``name -> (n, length)`` per
        trace (values only; a shared axis comes from an earlier point or stays NaN).
        Columns not given are stored as NaN (0 for integers)."""
        self._check_open()
        unknown = set(columns) - self._names
        if unknown:
            raise RunStoreError(f"undeclared names {sorted(unknown)}; declared: {sorted(self._names)}")
        arrays = {name: np.asarray(value) for name, value in columns.items()}
        lengths = {a.shape[0] if a.ndim else -1 for a in arrays.values()}
        if len(lengths) != 1 or -1 in lengths:
            raise RunStoreError(f"append_columns: every column needs the same number of points; "
                                f"got {({k: a.shape for k, a in arrays.items()})}")
        n = lengths.pop()
        if self._stamps or self._pending_steps:
            self.flush()
        start = self._n_points
        for name, ds, dtype, fill in self._column_ds:
            given = arrays.get(name)
            _append_1d(ds, start, np.full(n, fill, dtype) if given is None
                       else np.asarray(given, dtype=dtype))
        for trace in self.traces:
            given = arrays.get(trace.name)
            self._write_trace(trace, start, [None] * n if given is None else list(given))
        _append_1d(self._timestamp_ds, start, np.full(n, time.time()))
        _append_1d(self._step_ds, start, np.full(n, int(step), dtype=np.int64))
        self._f.flush()
        self._n_points += n
        self._pending_steps.append(int(step))
        self.flush()

    def flush(self) -> None:
        """Write buffered points, then record their steps as done (two HDF5 flushes)."""
        self._check_open()
        n = len(self._stamps)
        if n:
            self._write_points(n)
            self._f.flush()
            self._n_points += n
            self._values.clear()
            self._point_steps.clear()
            self._stamps.clear()
            if self._trace_items is not None:
                self._trace_items.clear()
        if self._pending_steps:
            done = self._steps_done_ds
            _append_1d(done, done.shape[0], np.asarray(self._pending_steps, dtype=np.int64))
            self._completed.update(self._pending_steps)
            self._pending_steps = []
        self._f.flush()
        self._last_flush = time.time()

    def _write_points(self, n: int) -> None:
        """Write the ``n`` buffered points at the end of every column."""
        start = self._n_points
        values, ncols = self._values, self._ncols
        table = None
        if ncols and self._all_float:
            try:          # the common case, every column given as a number: one C-level pass
                table = np.array(values, dtype=np.float64).reshape(n, ncols)
            except (TypeError, ValueError):
                table = None
        for k, (name, ds, dtype, fill) in enumerate(self._column_ds):
            column = table[:, k] if table is not None else np.asarray(values[k::ncols], dtype=dtype)
            _append_1d(ds, start, column)
        items = self._trace_items
        if items is not None:
            for j, trace in enumerate(self.traces):
                self._write_trace(trace, start, [None if it is None else it[j] for it in items])
        _append_1d(self._timestamp_ds, start, np.asarray(self._stamps, dtype=np.float64))
        _append_1d(self._step_ds, start, np.asarray(self._point_steps, dtype=np.int64))

    def _write_trace(self, trace: Trace, start: int, given: list[Any]) -> None:
        group = self._f["traces"][trace.name]
        values = np.full((len(given), trace.length), np.nan)
        axes = np.full((len(given), trace.length), np.nan)
        for row, item in enumerate(given):
            if item is None:
                continue
            if isinstance(item, tuple) and len(item) == 2:
                axes[row] = self._trace_row(trace, item[0], "axis")
                item = item[1]
            values[row] = self._trace_row(trace, item, "values")
        group["values"].resize((start + len(given), trace.length))
        group["values"][start:] = values
        if trace.axis_per_point:
            group["axis"].resize((start + len(given), trace.length))
            group["axis"][start:] = axes
        elif not self._axis_written[trace.name]:
            given_axes = [a for a in axes if not np.isnan(a).all()]
            if given_axes:
                group["axis"][...] = given_axes[0]
                self._axis_written[trace.name] = True

    @staticmethod
    def _trace_row(trace: Trace, array: Any, what: str) -> np.ndarray:
        row = np.asarray(array, dtype="f8").ravel()
        if row.shape != (trace.length,):
            raise RunStoreError(f"trace {trace.name}: {what} has {row.size} samples, "
                                f"declared length is {trace.length}")
        return row

    def set_status(self, status: RunStatus, error: str = "") -> None:
        """Record a status (and error text) in the live ``/run`` datasets and root attrs."""
        self._check_open()
        status = RunStatus(status)
        run = self._f["run"]
        run["status"][()] = np.bytes_(status.value)
        encoded = np.frombuffer(error.encode("utf-8"), dtype="u1")
        run["error"].resize((encoded.size,))
        run["error"][:] = encoded
        ended = "" if status == RunStatus.RUNNING else now_iso()
        run["ended_at"][()] = np.bytes_(ended)
        self._f.attrs.modify("status", status.value)
        self._f.attrs.modify("error", error)
        self._f.attrs.modify("ended_at", ended)
        self._f.flush()

    def finish(self, status: RunStatus = RunStatus.COMPLETE, error: str = "") -> None:
        """Flush everything, record the final status and close the file (idempotent)."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            try:
                self.set_status(status, error)
            finally:
                self.close()

    def close(self) -> None:
        """Close the file without changing its status (a later resume can continue it)."""
        if not self._closed:
            self._closed = True
            self._f.close()

    def _check_open(self) -> None:
        if self._closed:
            raise RunStoreError(f"{self.path}: writer is closed")

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: Any) -> None:
        if exc_type is None:
            self.finish(RunStatus.COMPLETE)
        elif issubclass(exc_type, KeyboardInterrupt):
            self.finish(RunStatus.ABORTED, "interrupted (KeyboardInterrupt)")
        else:
            self.finish(RunStatus.FAILED, f"{exc_type.__name__}: {exc}")


def _row_getter(names: Sequence[str]) -> Any:
    """``point -> tuple of point[name] for names`` (``operator.itemgetter``, which returns a
    bare value rather than a 1-tuple for one name)."""
    if len(names) > 1:
        return operator.itemgetter(*names)
    if len(names) == 1:
        name = names[0]
        return lambda point: (point[name],)
    return lambda point: ()


def _copy_points(old: RunReader, new: h5py.File, keep: np.ndarray, done: Sequence[int]) -> None:
    """Copy the kept points of ``old`` into the fresh layout of ``new``."""
    count = int(keep.sum())
    for name in new["data"]:
        ds = new["data"][name]
        ds.resize((count,))
        ds[:] = old.column(name)[keep]
    for trace in old.traces:
        axis, values = old.trace(trace.name)
        group = new["traces"][trace.name]
        group["values"].resize((count, trace.length))
        group["values"][:] = values[keep]
        if trace.axis_per_point:
            group["axis"].resize((count, trace.length))
            group["axis"][:] = axis[keep]
        else:
            group["axis"][...] = axis
    steps_done = new["run/steps_done"]
    steps_done.resize((len(done),))
    steps_done[:] = np.asarray(done, dtype="i8")
