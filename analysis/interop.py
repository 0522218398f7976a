"""Run files for the tools labs already use: xarray, netCDF and qcodes datasets.

A run file is the single source of truth; these are views and exports of it.

- :func:`to_xarray` gives an :class:`xarray.Dataset` with one ``point`` dimension for the scalar
  columns (``step`` and ``timestamp`` as coordinates) and, for every trace, a ``(point, <axis>)``
  variable whose axis is a coordinate (a shared axis) or a ``(point, <axis>)`` variable of its own
  (an axis per point). Units sit in each variable's ``units`` attribute; the protocol, status,
  bench name, seed and the parameters (as JSON, with their units) sit in the dataset's attributes.
- :func:`to_netcdf` writes that dataset to netCDF-4 (HDF5 underneath, through ``h5netcdf``).
- :func:`to_qcodes` writes the run into a qcodes database as a qcodes dataset (one result per
  point: the point index as the setpoint, every column and trace as a dependent parameter), so
  plottr and qcodes users see it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from spinbench.protocols.runstore import RESERVED_COLUMNS, RunReader

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = ["to_netcdf", "to_qcodes", "to_xarray"]

#: dimension of the scalar columns: one entry per recorded point
POINT = "point"


def _axis_dim(name: str, used: set[str]) -> str:
    dim = name or "index"
    while dim in used:
        dim += "_"
    return dim


def to_xarray(path: str | os.PathLike[str], *, traces: bool = True) -> xr.Dataset:
    """A run file as an :class:`xarray.Dataset` (axes as coordinates, units as attributes).

    Parameters
    ----------
    path
        The ``.h5`` run file (also one still being written: what is flushed is read).
    traces
        Also load the traces; ``False`` reads only the scalar columns.
    """
    import xarray as xr

    with RunReader(path) as reader:
        units = reader.units
        n = reader.n_points
        coords: dict[str, Any] = {POINT: np.arange(n)}
        data_vars: dict[str, Any] = {}
        for name in RESERVED_COLUMNS:
            coords[name] = ((POINT,), reader.column(name), {"units": units[name]})
        for col in reader.columns:
            data_vars[col.name] = ((POINT,), reader.column(col.name),
                                   {"units": units[col.name], "long_name": col.doc or col.name})
        if traces:
            used = {POINT, *coords, *data_vars}
            for trace in reader.traces:
                axis, values = reader.trace(trace.name)
                unit, axis_name, axis_unit = reader.trace_units(trace.name)
                dim = _axis_dim(axis_name if not trace.axis_per_point else f"{trace.name}_index", used)
                used.add(dim)
                attrs = {"units": unit, "long_name": trace.doc or trace.name}
                data_vars[trace.name] = ((POINT, dim), values, attrs)
                axis_attrs = {"units": axis_unit, "long_name": axis_name}
                if trace.axis_per_point:
                    axis_var = _axis_dim(f"{trace.name}_{axis_name}", used)
                    used.add(axis_var)
                    data_vars[axis_var] = ((POINT, dim), axis, axis_attrs)
                else:
                    coords[dim] = ((dim,), axis, axis_attrs)
        attrs = {
            "protocol": reader.protocol,
            "status": reader.status.value,
            "bench_name": str(reader.attrs.get("bench_name", "")),
            "seed": -1 if reader.seed is None else reader.seed,
            "params_json": json.dumps(reader.params),
            "param_units_json": json.dumps(reader.param_units),
            "started_at": reader.attrs["started_at"],
            "ended_at": reader.ended_at,
            "source_file": str(Path(path).resolve()),
        }
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def to_netcdf(path: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """Write a run file as netCDF-4 (readable by xarray, ncdump, MATLAB, ...); returns ``out``."""
    out = Path(out)
    to_xarray(path).to_netcdf(out, engine="h5netcdf", invalid_netcdf=False)
    return out


def to_qcodes(path: str | os.PathLike[str], db: str | os.PathLike[str], *,
              experiment: str = "spinbench", sample: str | None = None) -> int:
    """Write a run file into the qcodes database ``db`` (created if missing) as a qcodes dataset.

    The point index is the setpoint; every column (``timestamp`` included) and every trace is a
    parameter depending on it (traces as ``array`` parameters, their axis as a second array when
    the axis differs per point). Units and the run's metadata (protocol, parameters as JSON, the
    source file) go along. Returns the dataset's ``run_id``.
    """
    from qcodes.dataset import (Measurement, initialise_or_create_database_at,
                                load_or_create_experiment)
    from qcodes.parameters import ManualParameter

    initialise_or_create_database_at(str(db))
    with RunReader(path) as reader:
        units = reader.units
        n = reader.n_points
        protocol = reader.protocol
        exp = load_or_create_experiment(experiment, sample_name=sample or protocol)
        meas = Measurement(exp=exp, name=f"{protocol}: {Path(path).name}")
        point = ManualParameter(POINT, label="point", unit="")
        meas.register_parameter(point, paramtype="numeric")
        scalars = ["timestamp", "step"] + [c.name for c in reader.columns]
        for name in scalars:
            meas.register_custom_parameter(name, unit=units[name], setpoints=(point,),
                                           paramtype="numeric")
        trace_data = []
        for trace in reader.traces:
            axis, values = reader.trace(trace.name)
            unit, axis_name, axis_unit = reader.trace_units(trace.name)
            meas.register_custom_parameter(trace.name, unit=unit, setpoints=(point,),
                                           paramtype="array")
            axis_param = f"{trace.name}__{axis_name}"
            meas.register_custom_parameter(axis_param, unit=axis_unit, setpoints=(point,),
                                           paramtype="array")
            trace_data.append((trace.name, axis_param, axis, values))
        columns = {name: reader.column(name) for name in scalars}
        with meas.run() as saver:
            ds = saver.dataset
            ds.add_metadata("spinbench_protocol", protocol)
            ds.add_metadata("spinbench_params", json.dumps(reader.params))
            ds.add_metadata("spinbench_source", str(Path(path).resolve()))
            for i in range(n):
                result: list[tuple[Any, Any]] = [(point, i)]
                result += [(name, columns[name][i]) for name in scalars]
                for name, axis_param, axis, values in trace_data:
                    result.append((name, values[i]))
                    result.append((axis_param, axis[i] if axis.ndim == 2 else axis))
                saver.add_result(*result)
            run_id = ds.run_id
    return run_id
