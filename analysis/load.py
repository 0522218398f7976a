"""Load run files for analysis: a thin layer over :class:`protocols.runstore.RunReader`.

Analysis code reads files only; it never talks to instruments or the simulated bench.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spinbench.protocols.runstore import RunReader

__all__ = ["RunMetadata", "TraceData", "load_run"]


@dataclass(frozen=True)
class TraceData:
    """One trace of a run: ``values`` ``(N, L)`` against ``axis`` ``(L,)`` (or ``(N, L)``)."""

    name: str
    axis: np.ndarray
    values: np.ndarray
    unit: str
    axis_name: str
    axis_unit: str


@dataclass(frozen=True)
class RunMetadata:
    """Everything about a run except its columns (which go in the DataFrame)."""

    path: Path
    protocol: str
    status: str
    params: dict[str, Any]
    param_units: dict[str, str]
    units: dict[str, str]
    n_points: int
    n_steps: int
    completed_steps: frozenset[int]
    seed: int | None
    started_at: str
    ended_at: str
    error: str
    bench_text: str
    versions: dict[str, str]
    snapshots: dict[str, dict[str, Any]]
    traces: dict[str, TraceData] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Whether the run finished all its steps."""
        return self.status == "complete"


def load_run(path: str | os.PathLike[str], *, traces: bool = True) -> tuple[pd.DataFrame, RunMetadata]:
    """Read a run file (also one still being written) into a DataFrame and its metadata.

    Parameters
    ----------
    path
        The ``.h5`` run file.
    traces
        Also load the traces (set false to skip large ones).

    Returns
    -------
    frame : pandas.DataFrame
        ``step``, ``timestamp`` and the protocol's columns; ``frame.attrs["units"]`` maps
        column -> unit, ``frame.attrs["params"]`` holds the parameters.
    metadata : RunMetadata
        Parameters, status, snapshots, versions and (optionally) traces.

    Raises
    ------
    protocols.runstore.RunStoreError
        If the file is missing or not a spinbench run file.
    """
    with RunReader(path) as reader:
        frame = reader.to_dataframe()
        loaded = {}
        if traces:
            for trace in reader.traces:
                axis, values = reader.trace(trace.name)
                unit, axis_name, axis_unit = reader.trace_units(trace.name)
                loaded[trace.name] = TraceData(trace.name, axis, values, unit, axis_name,
                                               axis_unit)
        attrs = reader.attrs
        metadata = RunMetadata(
            path=Path(path), protocol=reader.protocol, status=reader.status.value,
            params=reader.params, param_units=reader.param_units, units=reader.units,
            n_points=len(frame), n_steps=reader.n_steps, completed_steps=reader.completed_steps,
            seed=reader.seed, started_at=attrs["started_at"], ended_at=reader.ended_at,
            error=reader.error, bench_text=reader.bench_text, versions=reader.versions,
            snapshots=reader.snapshots, traces=loaded)
    return frame, metadata
