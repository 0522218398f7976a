"""An index of run files: one row per run (``spinbench ls DIR``, campaign tables).

A row is read from the run file's header and live status (never its data), plus the key fit
values of the analysis summary written next to it (``<stem>_summary.json``), so listing a
folder of large runs costs a few milliseconds per file. A file that cannot be read gets a row
that says why instead of stopping the listing.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spinbench.protocols.runstore import RunReader, RunStoreError

__all__ = ["RunRow", "format_rows", "index_runs", "key_results", "read_row", "run_results"]

#: at most this many fit values per row in the one-line listing
KEY_VALUES = 3
#: summary sections searched, in order, for scalar fit values
_RESULT_SECTIONS = ("key_results", "result", "fit", "results")


@dataclass(frozen=True)
class RunRow:
    """One run file, as ``spinbench ls`` shows it."""

    path: Path
    started: str = ""
    protocol: str = ""
    bench: str = ""
    status: str = "unreadable"
    points: int = 0
    steps: str = ""
    #: name -> value (SI units as in the summary)
    results: dict[str, float] = field(default_factory=dict)
    #: why the file could not be read ("" if it could)
    problem: str = ""


def _scalars(section: Any, prefix: str = "") -> Iterator[tuple[str, float]]:
    if isinstance(section, dict):
        for key, value in section.items():
            if isinstance(value, bool):
                continue
            if isinstance(value, (int, float)):
                if math.isfinite(value):
                    yield f"{prefix}{key}", float(value)
            elif isinstance(value, list) and len(value) == 2 and isinstance(value[0], (int, float)) \
                    and isinstance(value[1], str) and prefix == "" and math.isfinite(value[0]):
                yield key, float(value[0])        # key_results: name -> [value, unit]


#: keys of an analysis summary that hold no fit results (inputs, bookkeeping, raw tables)
_NOT_RESULTS = frozenset({"params", "param_units", "units", "unit", "protocol", "status", "bench",
                          "p_table", "n_cycles", "k_sigma", "energy_unit"})
#: a list of records longer than this is a data table (per point, per state), not results
_MAX_RECORDS = 8


def _nested(value: Any, name: str, in_table: bool = False) -> Iterator[tuple[str, float, bool]]:
    """Finite scalars anywhere in ``value``: ``(dotted path, value, whether it sits in a list
    of records)``.  Dicts are walked (skipping :data:`_NOT_RESULTS`), short lists of records
    indexed (``fields[0].up``); lists of numbers (traces, per-point arrays) and long tables are
    not results."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, (int, float)):
        if math.isfinite(value):
            yield name, float(value), in_table
    elif isinstance(value, dict):
        for key, item in value.items():
            if str(key) not in _NOT_RESULTS:
                yield from _nested(item, f"{name}.{key}" if name else str(key), in_table)
    elif isinstance(value, list) and 0 < len(value) <= _MAX_RECORDS \
            and all(isinstance(v, dict) for v in value):
        for k, item in enumerate(value):
            yield from _nested(item, f"{name}[{k}]" if len(value) > 1 else name,
                               in_table or len(value) > 1)


def key_results(summary_path: Path, inputs: Collection[str] = ()) -> dict[str, float]:
    """Finite scalar fit values of an analysis summary (a JSON file the analysis wrote).

    ``key_results`` first (name -> value or [value, unit]), then the top-level scalars of
    ``result``, ``fit``, ``results``; a summary with none of these gives every finite scalar of
    its nested fit results (``ctc.std_over_range``, ``neel_brown.ic0``, ``fields[1].i50_pos``,
    see :func:`_nested`), those of fit sections before those of tables of records (a fit's
    parameters before per-line or per-rate rows).  ``{}`` if there is no readable summary or
    it holds no finite value.  ``inputs`` (the run's parameter names) are not results where a
    summary echoes them at its top level."""
    try:
        data = json.loads(summary_path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    for section in _RESULT_SECTIONS:
        found = dict(_scalars(data.get(section)))
        if found:
            return found
    found = list(_nested({k: v for k, v in data.items() if k not in inputs}, ""))
    return {k: v for k, v, in_table in sorted(found, key=lambda item: item[2])}


def run_results(path: Path, inputs: Collection[str] = ()) -> dict[str, float]:
    """Key results of a run file from the analysis summaries written next to it
    (``<stem>_summary.json``, then any other ``<stem>_*.json``)."""
    summary = path.with_name(f"{path.stem}_summary.json")
    found = key_results(summary, inputs)
    for other in sorted(path.parent.glob(f"{path.stem}_*.json")):
        if found:
            break
        if other != summary:
            found = key_results(other, inputs)
    return found


def read_row(path: str | os.PathLike[str]) -> RunRow:
    """The index row of one run file (never raises for a damaged file: see ``problem``)."""
    path = Path(path)
    try:
        with RunReader(path) as reader:
            attrs = reader.attrs
            status = reader.status.value
            if status == "running" and not reader.writer_alive():
                status = "killed"          # writer gone: resume with `spinbench run --resume`
            n_steps = reader.n_steps
            done = len(reader.completed_steps)
            row = RunRow(path=path, started=str(attrs.get("started_at", "")),
                         protocol=reader.protocol, bench=str(attrs.get("bench_name", "")),
                         status=status, points=reader.n_points,
                         steps=f"{done}/{n_steps}" if n_steps >= 0 else str(done),
                         results=run_results(path, reader.params))
    except (RunStoreError, OSError, KeyError, ValueError) as exc:
        return RunRow(path=path, problem=f"{type(exc).__name__}: {exc}")
    return row


def index_runs(folder: str | os.PathLike[str], *, recursive: bool = False) -> list[RunRow]:
    """Rows of every ``*.h5`` run file in ``folder`` (sorted by start time, then name)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    files = folder.rglob("*.h5") if recursive else folder.glob("*.h5")
    rows = [read_row(p) for p in files]
    return sorted(rows, key=lambda r: (r.started or "~", r.path.name))


def _fmt_value(value: float) -> str:
    return f"{value:.4g}"


def format_rows(rows: Iterable[RunRow]) -> list[str]:
    """Aligned text lines: time, protocol, bench, status, points, steps, key values, file."""
    rows = list(rows)
    table = []
    for r in rows:
        if r.problem:
            table.append(("-", "-", "-", "unreadable", "-", "-", r.problem, r.path.name))
            continue
        values = "  ".join(f"{k}={_fmt_value(v)}" for k, v in list(r.results.items())[:KEY_VALUES])
        started = r.started.replace("T", " ")[:19]
        table.append((started, r.protocol, r.bench or "-", r.status, str(r.points), r.steps,
                      values or "-", r.path.name))
    header = ("started", "protocol", "bench", "status", "points", "steps", "key results", "file")
    widths = [max(len(h), *(len(t[i]) for t in table)) if table else len(h)
              for i, h in enumerate(header)]
    fmt = lambda cols: "  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip()  # noqa: E731
    return [fmt(header)] + [fmt(t) for t in table]
