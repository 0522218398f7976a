"""Simulation campaigns on a 2-process Dask LocalCluster: grid x device parameter x seeds,
resume after an interruption, failed tasks recorded, run files equal to runs made alone."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("dask.distributed")

from spinbench.protocols import campaign as cp  # noqa: E402
from spinbench.protocols import cli  # noqa: E402
from spinbench.protocols.runstore import RunReader  # noqa: E402

CAMPAIGN = """
name: demo
protocol: switching-loop
bench: sot-hallbar
out: out
params: {current_step: 2mA, current_max: 14mA}
grid:
  field_x: [10mT, 20mT]
  sim.device.params.b_k_eff: [0.12, 0.15, 0.18]
seeds: [1, 2]
"""


def _columns(path) -> dict[str, np.ndarray]:
    with RunReader(path) as reader:
        return {c.name: reader.column(c.name) for c in reader.columns}


@pytest.fixture(scope="module")
def client():
    """One LocalCluster with 2 worker processes for the module (as `--workers 2` makes)."""
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def finished(tmp_path_factory, client):
    """The 2 x 3 x 2 campaign, interrupted after 5 tasks and resumed."""
    folder = tmp_path_factory.mktemp("campaign")
    (folder / "c.yaml").write_text(CAMPAIGN)
    plan = cp.load_campaign(folder / "c.yaml")
    assert len(plan.tasks) == 12 and plan.axes == ["field_x", "sim.device.params.b_k_eff"]
    first = [t.task_id for t in plan.tasks[:5]]
    cp.run_campaign(plan, only=first, progress=False, client=client)     # "interrupted"
    kept = {t: (plan.out / "runs" / f"{t}.h5").stat().st_mtime_ns for t in first}
    again, todo = cp.missing_tasks(plan.out)
    assert sorted(todo) == sorted(t.task_id for t in plan.tasks[5:])    # only the rest
    assert sorted(cp.run_campaign(again, only=todo, progress=False, client=client)) == \
        sorted(t.task_id for t in plan.tasks)                            # resumed: all in the index
    for t, mtime in kept.items():                                        # not run again
        assert (plan.out / "runs" / f"{t}.h5").stat().st_mtime_ns == mtime
    return plan


def test_index_matches_the_run_files(finished):
    frame = cp.load_index(finished.out)
    assert len(frame) == 12 and set(frame["status"]) == {"complete"}
    assert sorted(frame["seed"]) == [1] * 6 + [2] * 6
    for row in frame.to_dict("records"):
        with RunReader(row["file"]) as reader:
            assert reader.status.value == "complete" and reader.n_points == row["points"]
            assert reader.params["field_x"] == pytest.approx(float(row["field_x"].rstrip("mT")) * 1e-3)
            assert reader.seed == row["seed"]
            assert f"b_k_eff: {row['sim.device.params.b_k_eff']}" in reader.bench_text
    ds = cp.index_to_xarray(finished.out)
    assert dict(ds.sizes) == {"field_x": 2, "sim.device.params.b_k_eff": 3, "seed": 2}
    assert (ds["status"] == "complete").all()


def test_a_run_equals_the_same_run_made_alone(finished, tmp_path, capsys):
    task = finished.tasks[7]
    bench = tmp_path / "bench.yaml"
    bench.write_text(task.bench_text)
    args = ["run", "switching-loop", "--bench", str(bench), "--out", str(tmp_path), "--seed",
            str(task.seed), "--no-progress"]
    for key, value in task.params.items():
        args += ["--param", f"{key}={value}"]
    assert cli.main(args) == 0
    alone = next(tmp_path.glob("*.h5"))
    ours, theirs = _columns(task.run_path), _columns(alone)
    assert ours.keys() == theirs.keys()
    for name in ours:
        np.testing.assert_array_equal(ours[name], theirs[name], err_msg=name)


def test_the_anisotropy_axis_changes_the_switching_current(finished):
    """Physics through the campaign: a larger effective anisotropy field needs more current
    (Ic ~ B_k_eff/2 at a small in-plane field, Lee et al. APL 102, 112410): the loop's
    coercive current grows with b_k_eff at each field."""
    frame = cp.load_index(finished.out)
    for field in ("10mT", "20mT"):
        sub = frame[(frame["field_x"] == field) & (frame["seed"] == 1)]
        sub = sub.sort_values("sim.device.params.b_k_eff")
        coercive = sub["fit.coercive"].to_numpy()
        assert np.all(np.diff(coercive) >= 0) and coercive[-1] > coercive[0], coercive


def test_a_refused_task_is_recorded_failed_and_the_others_complete(tmp_path, client):
    (tmp_path / "c.yaml").write_text(CAMPAIGN.replace(
        "grid:\n  field_x: [10mT, 20mT]\n  sim.device.params.b_k_eff: [0.12, 0.15, 0.18]\nseeds: [1, 2]",
        "grid:\n  current_max: [10mA, 30mA]\nseeds: [1]"))
    plan = cp.load_campaign(tmp_path / "c.yaml")
    rows = cp.run_campaign(plan, progress=False, client=client)
    by_max = {r["current_max"]: r for r in rows.values()}
    assert by_max["10mA"]["status"] == "complete"
    assert by_max["30mA"]["status"] == "failed"
    assert "0.02" in by_max["30mA"]["error"] and "current" in by_max["30mA"]["error"]


def test_a_bad_campaign_is_refused_before_any_task(tmp_path, capsys):
    (tmp_path / "c.yaml").write_text(CAMPAIGN.replace("field_x: [10mT, 20mT]", "field_x: [10mT, 5T]"))
    assert cli.main(["campaign", "run", str(tmp_path / "c.yaml")]) == 2
    assert "field_x" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    (tmp_path / "d.yaml").write_text(CAMPAIGN.replace("b_k_eff", "no_such_param"))
    assert cli.main(["campaign", "run", str(tmp_path / "d.yaml")]) == 2
    assert "no_such_param" in capsys.readouterr().err
    assert not (tmp_path / "out" / "runs").exists()


def test_cli_resume_of_a_finished_campaign_runs_nothing(finished, capsys):
    assert cli.main(["campaign", "resume", str(finished.out), "--no-progress"]) == 0
    assert "0 of 12 tasks to run" in capsys.readouterr().err
