"""Run file -> xarray / netCDF / qcodes dataset round trips: values, axes and units intact."""
from __future__ import annotations

import json

import numpy as np
import pytest

from spinbench.analysis.interop import to_netcdf, to_qcodes, to_xarray
from spinbench.protocols.base import Column, Trace
from spinbench.protocols.runstore import RunStatus, RunWriter

xr = pytest.importorskip("xarray")

COLUMNS = (Column("current", "A", doc="write current"), Column("voltage", "V"),
           Column("count", "", "i8"))
TRACES = (Trace("spectrum", "dBm", "frequency", "Hz", 5),
          Trace("waveform", "V", "time", "s", 4, axis_per_point=True))
FREQ = np.linspace(1e9, 2e9, 5)


@pytest.fixture
def run_file(tmp_path):
    """A 6-step, 12-point run with both kinds of trace, written through the run store."""
    rng = np.random.default_rng(3)
    path = tmp_path / "run.h5"
    writer = RunWriter.create(path, protocol="demo", params={"pulse_width": 1e-3, "mode": "up"},
                              param_units={"pulse_width": "s", "mode": ""}, columns=COLUMNS,
                              traces=TRACES, bench_name="sot-hallbar", n_steps=6, seed=11)
    expected = []
    for step in range(6):
        points = []
        for k in range(2):
            t = np.arange(4) * 1e-6 + step
            p = {"current": step * 1e-3 + k * 1e-4, "voltage": rng.normal(), "count": step * 2 + k,
                 "spectrum": (FREQ, rng.normal(size=5)), "waveform": (t, rng.normal(size=4))}
            points.append(p)
        writer.append(step, points)
        expected += points
    writer.finish(RunStatus.COMPLETE)
    writer.close()
    return path, expected


def test_xarray_keeps_values_axes_and_units(run_file):
    path, expected = run_file
    ds = to_xarray(path)
    assert ds.sizes["point"] == 12
    np.testing.assert_array_equal(ds["current"].values, [p["current"] for p in expected])
    np.testing.assert_array_equal(ds["count"].values, [p["count"] for p in expected])
    assert ds["count"].dtype == np.int64
    assert ds["current"].attrs["units"] == "A" and ds["current"].attrs["long_name"] == "write current"
    assert ds["step"].attrs["units"] == "" and ds["timestamp"].attrs["units"] == "s"
    np.testing.assert_array_equal(ds["step"].values, np.repeat(np.arange(6), 2))
    # a shared axis is a coordinate with its unit
    assert ds["spectrum"].dims == ("point", "frequency")
    np.testing.assert_array_equal(ds["frequency"].values, FREQ)
    assert ds["frequency"].attrs["units"] == "Hz" and ds["spectrum"].attrs["units"] == "dBm"
    np.testing.assert_array_equal(ds["spectrum"].values, [p["spectrum"][1] for p in expected])
    # an axis per point is a variable of the same shape
    np.testing.assert_array_equal(ds["waveform_time"].values, [p["waveform"][0] for p in expected])
    assert ds["waveform_time"].attrs["units"] == "s"
    # selecting by the physical axis works as xarray users expect
    assert float(ds["spectrum"].sel(frequency=1.5e9).isel(point=3)) == expected[3]["spectrum"][1][2]
    assert ds.attrs["protocol"] == "demo" and ds.attrs["status"] == "complete"
    assert ds.attrs["bench_name"] == "sot-hallbar" and ds.attrs["seed"] == 11
    assert json.loads(ds.attrs["params_json"]) == {"pulse_width": 1e-3, "mode": "up"}


def test_netcdf_round_trip_equals_the_xarray_view(run_file, tmp_path):
    path, _ = run_file
    out = to_netcdf(path, tmp_path / "run.nc")
    with xr.open_dataset(out, engine="h5netcdf") as back:
        back.load()
    xr.testing.assert_identical(back, to_xarray(path))


def test_qcodes_dataset_round_trip(run_file, tmp_path):
    qcodes = pytest.importorskip("qcodes")
    from qcodes.dataset import load_by_id
    path, expected = run_file
    run_id = to_qcodes(path, tmp_path / "runs.db")
    ds = load_by_id(run_id)
    data = ds.get_parameter_data()
    current = data["current"]
    np.testing.assert_array_equal(current["point"], np.arange(12))
    np.testing.assert_array_equal(current["current"], [p["current"] for p in expected])
    np.testing.assert_array_equal(data["count"]["count"], [p["count"] for p in expected])
    np.testing.assert_array_equal(np.stack(data["spectrum"]["spectrum"]),
                                  [p["spectrum"][1] for p in expected])
    np.testing.assert_array_equal(np.stack(data["waveform__time"]["waveform__time"]),
                                  [p["waveform"][0] for p in expected])
    spec = {p.name: p for p in ds.get_parameters()}
    assert spec["current"].unit == "A" and spec["spectrum"].unit == "dBm"
    assert spec["spectrum__frequency"].unit == "Hz"
    assert ds.get_metadata("spinbench_protocol") == "demo"
    assert qcodes is not None
