"""`spinbench ls`: one row per run file, from its header, live status and analysis summary."""
from __future__ import annotations

import json

import h5py

from spinbench.protocols import cli
from spinbench.protocols.base import Column
from spinbench.protocols.runindex import index_runs, key_results
from spinbench.protocols.runstore import RunStatus, RunWriter


def _run(path, protocol, status, n, bench="sot-hallbar"):
    w = RunWriter.create(path, protocol=protocol, params={}, columns=[Column("current", "A")],
                         bench_name=bench, n_steps=4)
    for step in range(n):
        w.append(step, {"current": step * 1e-3})
    w.finish(status, "stopped by the user" if status is RunStatus.ABORTED else "")
    w.close()


def test_ls_lists_each_run_with_status_points_and_key_results(tmp_path, capsys):
    _run(tmp_path / "a.h5", "switching-loop", RunStatus.COMPLETE, 4)
    (tmp_path / "a_summary.json").write_text(json.dumps(
        {"result": {"up": 0.00525, "down": -0.00525, "switching": True, "verdict": "x"}}))
    _run(tmp_path / "b.h5", "field-loop", RunStatus.ABORTED, 2, bench="rf-mtj")
    with h5py.File(tmp_path / "c.h5", "w") as f:      # an HDF5 file that is no run file
        f["x"] = [1, 2]
    rows = {r.path.name: r for r in index_runs(tmp_path)}
    assert rows["a.h5"].status == "complete" and rows["a.h5"].points == 4
    assert rows["a.h5"].steps == "4/4" and rows["a.h5"].results == {"up": 0.00525, "down": -0.00525}
    assert rows["b.h5"].status == "aborted" and rows["b.h5"].points == 2 and rows["b.h5"].results == {}
    assert rows["c.h5"].status == "unreadable" and "not a spinbench run file" in rows["c.h5"].problem

    assert cli.main(["ls", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["started", "protocol", "bench", "status"]
    by_file = {line.split()[-1]: line for line in lines[1:]}
    assert set(by_file) == {"a.h5", "b.h5", "c.h5"}
    assert by_file["a.h5"].split()[2:6] == ["switching-loop", "sot-hallbar", "complete", "4"]
    assert "up=0.00525" in by_file["a.h5"] and "down=-0.00525" in by_file["a.h5"]
    assert by_file["b.h5"].split()[2:6] == ["field-loop", "rf-mtj", "aborted", "2"]
    assert "unreadable" in by_file["c.h5"]


def test_key_results_prefers_key_results_and_skips_nan(tmp_path):
    p = tmp_path / "s.json"
    p.write_text('{"key_results": {"ic0": [0.00755, "A"], "delta": [52.6, ""]}, "result": {"x": 1}}')
    assert key_results(p) == {"ic0": 0.00755, "delta": 52.6}
    p.write_text('{"result": {"i50": NaN, "shift": 1e-5}}')
    assert key_results(p) == {"shift": 1e-5}
    assert key_results(tmp_path / "missing.json") == {}


def test_ls_of_a_missing_folder_is_a_clear_error(tmp_path, capsys):
    assert cli.main(["ls", str(tmp_path / "nope")]) != 0
    assert "nope: no such folder" in capsys.readouterr().err


def test_a_finished_run_prints_its_key_results(tmp_path, capsys):
    assert cli.main(["run", "switching-loop", "--bench", "sot-hallbar", "--out", str(tmp_path),
                     "--param", "current_step=1mA", "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert all(line.startswith(str(tmp_path)) for line in captured.out.splitlines())
    line = next(l for l in captured.err.splitlines() if l.startswith("key results"))
    coercive = float(line.split("coercive = ")[1].split(",")[0])
    assert 3e-3 < coercive < 8e-3          # the loop switches inside its +-8 mA sweep
