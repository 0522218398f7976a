"""Simulation campaigns: many independent runs of one protocol on Dask (``spinbench campaign``).

A campaign file (YAML) names a protocol, a bench, fixed parameters, a grid and/or random draws
over protocol parameters and device parameters, seeds and an output folder::

    name: field-anisotropy
    protocol: switching-loop
    bench: sot-hallbar                 # built-in name or bench file (relative to this file)
    out: campaigns/field-anisotropy    # relative to this file
    params: {current_step: 1mA}        # fixed for every run
    grid:                              # every combination (outer product), in this order
      field_x: [5mT, 10mT]
      sim.device.params.b_k: [0.4, 0.5, 0.6]     # a device parameter (on a many-device bench:
                                                 #   sim.devices.NAME.params.KEY)
    random:                            # optional: n draws, seeded, combined with the grid
      n: 4
      seed: 7
      params: {pulse_width: {uniform: [0.5ms, 2ms]}, reset_current: {choice: [0, 8mA]}}
    seeds: [1, 2]                      # run seeds (--seed of `spinbench run`); default [null]

Every run is one task: a pure function of its inputs (protocol, parameters, the bench text with
the device parameters applied, the seed) that writes ``<out>/runs/<task>.h5`` through the same
runner as ``spinbench run``, so re-running a task gives the same data and a run equals the one
made alone. The run files are the single source of truth; ``<out>/index.csv`` (one row per task:
axes, status, error, key fit values) is rewritten as tasks finish, and
``campaign resume DIR`` runs only the tasks whose file is missing or not ``complete``.

Tasks run on ``dask.distributed``: a ``LocalCluster`` of ``--workers`` processes by default, or
an existing scheduler (``--scheduler tcp://host:8786``; dask-jobqueue and Kubernetes clusters
give one). Workers import spinbench themselves; nothing of the client's session goes along.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import math
import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import yaml

from spinbench.protocols import registry
from spinbench.protocols.base import ParamError, validate_params
from spinbench.protocols.runindex import key_results

__all__ = ["Campaign", "CampaignError", "Task", "load_campaign", "load_index", "run_campaign",
           "run_task"]

TOP_KEYS = ("name", "description", "protocol", "bench", "out", "params", "grid", "random", "seeds")
INDEX = "index.csv"
SAVED = "campaign.yaml"
DEVICE_PREFIX = "sim."


class CampaignError(ValueError):
    """A malformed campaign file or folder (raised before any task is submitted)."""


@dataclass(frozen=True)
class Task:
    """One run of a campaign: everything it depends on, and nothing else."""

    task_id: str
    protocol: str
    params: dict[str, Any]          # protocol parameters (CLI strings or numbers)
    device: dict[str, Any]          # "sim.device.params.KEY" -> value
    seed: int | None
    axes: dict[str, Any]            # the grid/random coordinates of this task (for the index)
    bench_text: str                 # the bench file, device parameters applied
    run_path: str


@dataclass
class Campaign:
    """A validated campaign: its file's content and the task list."""

    name: str
    protocol: str
    out: Path
    tasks: list[Task] = field(default_factory=list)
    axes: list[str] = field(default_factory=list)
    #: the campaign file as saved in the output folder (bench as a name or an absolute path)
    saved_text: str = ""


# ---------------------------------------------------------------------------------- loading
def _bench_text(bench: str, base: Path) -> tuple[str, str]:
    """(text, reference) of a built-in bench name or a bench file relative to ``base``; the
    reference is the name, or the file's absolute path."""
    from spinbench.instruments import Bench

    candidate = (base / bench) if not Path(bench).is_absolute() else Path(bench)
    is_file = candidate.suffix in (".yaml", ".yml") and candidate.exists()
    loaded = Bench.load(candidate if is_file else bench)   # BenchError names the file and key
    return loaded.path.read_text(encoding="utf-8"), str(candidate.resolve()) if is_file else bench


def _apply_device(bench_text: str, device: Mapping[str, Any], where: str) -> str:
    """The bench text with ``sim.<...>`` keys set (``sim.device.params.b_k``)."""
    if not device:
        return bench_text
    data = yaml.safe_load(bench_text)
    sim = data.get("sim") if isinstance(data, dict) else None
    for key, value in device.items():
        parts = key.split(".")
        if parts[:2] == ["sim", "device"] and isinstance(sim, dict) and "device" not in sim \
                and isinstance(sim.get("devices"), dict) and len(sim["devices"]) == 1:
            parts = ["sim", "devices", next(iter(sim["devices"]))] + parts[2:]   # the one device
        node = data
        for i, part in enumerate(parts[:-1]):
            nxt = node.get(part) if isinstance(node, dict) else None
            if nxt is None and part == "params" and i == len(parts) - 2:
                nxt = node[part] = {}       # a device given with no params yet
            if not isinstance(nxt, dict):
                raise CampaignError(f"{where}: {key}: the bench has no {'.'.join(parts[:i + 1])} "
                                    f"section to set it in")
            node = nxt
        node[parts[-1]] = value
    return yaml.safe_dump(data, sort_keys=False)


def _draw(spec: Any, rng: np.random.Generator, key: str, where: str) -> Any:
    if not isinstance(spec, dict) or len(spec) != 1:
        raise CampaignError(f"{where}: random.params.{key}: give one of uniform: [lo, hi], "
                            f"loguniform: [lo, hi], choice: [a, b, ...]")
    (kind, args), = spec.items()
    if kind == "choice":
        if not isinstance(args, list) or not args:
            raise CampaignError(f"{where}: random.params.{key}.choice: a non-empty list")
        return args[int(rng.integers(len(args)))]
    if kind in ("uniform", "loguniform"):
        if not isinstance(args, list) or len(args) != 2:
            raise CampaignError(f"{where}: random.params.{key}.{kind}: [lo, hi]")
        return (kind, args)          # numbers resolved after unit parsing (see _resolve_draw)
    raise CampaignError(f"{where}: random.params.{key}: unknown distribution {kind!r}; "
                        f"known: uniform, loguniform, choice")


def _number(protocol_cls, key: str, value: Any, where: str) -> float:
    if key.startswith(DEVICE_PREFIX):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise CampaignError(f"{where}: {key} = {value!r}: device parameters are SI numbers") from None
    try:
        return float(protocol_cls.param(key).validate(value))
    except ParamError as exc:
        raise CampaignError(f"{where}: {exc}") from None
    except KeyError:
        raise CampaignError(f"{where}: {protocol_cls.name} has no parameter {key!r}") from None


def _task_id(index: int, axes: Mapping[str, Any], seed: Any) -> str:
    digest = hashlib.sha1(json.dumps([axes, seed], sort_keys=True, default=str).encode()).hexdigest()
    return f"{index:05d}-{digest[:8]}"


def load_campaign(path: str | os.PathLike[str], out: str | os.PathLike[str] | None = None) -> Campaign:
    """Read and validate a campaign file; every task is built (nothing runs, nothing opens).

    Raises :class:`CampaignError` (or the bench's ``BenchError``) naming the file and the key.
    """
    path = Path(path)
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml.safe_load(text)
    except OSError as exc:
        raise CampaignError(f"{where}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        raise CampaignError(f"{where}: malformed YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise CampaignError(f"{where}: a campaign file is a mapping with keys {', '.join(TOP_KEYS)}")
    for key in raw:
        if key not in TOP_KEYS:
            raise CampaignError(f"{where}: {key}: unknown key; allowed: {', '.join(TOP_KEYS)}")
    for key in ("protocol", "bench"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise CampaignError(f"{where}: {key}: required (a name)")
    try:
        protocol_cls = registry.get(raw["protocol"])
    except Exception as exc:
        raise CampaignError(f"{where}: protocol: {exc}") from None
    bench_text, bench_ref = _bench_text(raw["bench"], path.parent)
    fixed = raw.get("params") or {}
    grid = raw.get("grid") or {}
    rand = raw.get("random") or {}
    for key, section in (("params", fixed), ("grid", grid), ("random", rand)):
        if not isinstance(section, dict):
            raise CampaignError(f"{where}: {key}: must be a mapping")
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise CampaignError(f"{where}: grid.{key}: a non-empty list of values")
    seeds = raw.get("seeds", [None])
    if not isinstance(seeds, list) or not seeds or not all(s is None or (isinstance(s, int)
                                                           and 0 <= s < 2**31) for s in seeds):
        raise CampaignError(f"{where}: seeds: a list of integers in [0, 2147483647] (or null)")
    out_dir = Path(out) if out is not None else path.parent / str(raw.get("out") or
                                                                  f"campaigns/{path.stem}")
    # random draws: seeded, resolved to SI numbers so every task is reproducible
    draws: list[dict[str, Any]] = [{}]
    if rand:
        n = rand.get("n")
        if not isinstance(n, int) or n < 1:
            raise CampaignError(f"{where}: random.n: a positive integer")
        rng = np.random.default_rng(rand.get("seed", 0))
        specs = rand.get("params") or {}
        draws = []
        for _ in range(n):
            one = {}
            for key, spec in specs.items():
                got = _draw(spec, rng, key, where)
                if isinstance(got, tuple):
                    kind, (lo, hi) = got
                    lo, hi = _number(protocol_cls, key, lo, where), _number(protocol_cls, key, hi, where)
                    got = float(rng.uniform(lo, hi) if kind == "uniform"
                                else math.exp(rng.uniform(math.log(lo), math.log(hi))))
                one[key] = got
            draws.append(one)
    axes = list(grid) + [k for k in draws[0] if k not in grid]
    tasks: list[Task] = []
    combos = list(itertools.product(*grid.values())) if grid else [()]
    index = 0
    for combo in combos:
        for drawn in draws:
            point = dict(zip(grid, combo)) | drawn
            params = dict(fixed) | {k: v for k, v in point.items() if not k.startswith(DEVICE_PREFIX)}
            device = {k: v for k, v in (fixed | point).items() if k.startswith(DEVICE_PREFIX)}
            params = {k: v for k, v in params.items() if not k.startswith(DEVICE_PREFIX)}
            try:
                validate_params(protocol_cls.params, params)      # names, units, ranges
            except ParamError as exc:
                raise CampaignError(f"{where}: {exc} (task {point})") from None
            text_i = _apply_device(bench_text, device, where)
            for seed in seeds:
                tid = _task_id(index, point, seed)
                tasks.append(Task(tid, protocol_cls.name, params, device, seed, dict(point),
                                  text_i, str(out_dir / "runs" / f"{tid}.h5")))
                index += 1
    saved = {k: v for k, v in raw.items() if k != "out"} | {"bench": bench_ref}
    return Campaign(str(raw.get("name") or path.stem), protocol_cls.name, out_dir, tasks,
                    axes, yaml.safe_dump(saved, sort_keys=False))


def check_devices(campaign: Campaign) -> None:
    """Build each distinct simulated bench of the campaign once (through pyvisa, as a run
    would): an unknown or out-of-range device parameter is refused here, before any task."""
    import pyvisa

    folder = campaign.out / "benches"
    folder.mkdir(parents=True, exist_ok=True)
    for text in {t.bench_text for t in campaign.tasks if t.device}:
        digest = hashlib.sha1(text.encode()).hexdigest()[:12]
        path = folder / f"{digest}.yaml"
        path.write_text(text, encoding="utf-8")
        if "@spinbench" not in str((yaml.safe_load(text) or {}).get("visa_library", "")):
            raise CampaignError(f"device parameters need a simulated bench; "
                                f"{campaign.name} uses a real one")
        try:
            rm = pyvisa.ResourceManager(f"{path}@spinbench")
            rm.visalib.bench                      # builds the world: make_device checks params
            rm.close()
        except Exception as exc:
            device = next(t.device for t in campaign.tasks if t.bench_text == text)
            raise CampaignError(f"device parameters {device}: {exc}") from None


# ---------------------------------------------------------------------------------- one task
def run_task(task: Task) -> dict[str, Any]:
    """Run one task (on a worker) and return its index row; never raises for a failed run."""
    from spinbench.protocols.runner import analyze, run

    row: dict[str, Any] = {"task": task.task_id, **task.axes, "seed": task.seed,
                           "status": "failed", "error": "", "points": 0, "file": task.run_path}
    run_path = Path(task.run_path)
    run_path.parent.mkdir(parents=True, exist_ok=True)
    bench_file = run_path.with_suffix(".bench.yaml")
    bench_file.write_text(task.bench_text, encoding="utf-8")
    if run_path.exists():
        run_path.unlink()          # a task is re-run whole: its file is its output alone
    try:
        protocol_cls = registry.get(task.protocol)
        result = run(protocol_cls(), str(bench_file), task.params, path=run_path,
                     seed=task.seed, progress=False)
        row.update(status=result.status.value, points=result.n_points)
        for written in analyze(run_path):
            if Path(written).suffix == ".json":
                row.update({f"fit.{k}": v for k, v in key_results(Path(written)).items()})
    except Exception as exc:          # refused by the bench's limits, a failed run, ...
        row["error"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
        if run_path.exists():
            row["points"] = _points(run_path)
    return row


def _points(path: Path) -> int:
    from spinbench.protocols.runstore import RunReader

    try:
        with RunReader(path) as reader:
            return reader.n_points
    except Exception:
        return 0


# ---------------------------------------------------------------------------------- index
def _write_index(out: Path, rows: Mapping[str, dict[str, Any]], campaign: Campaign) -> None:
    names: list[str] = ["task", *campaign.axes, "seed", "status", "error", "points", "file"]
    for row in rows.values():
        names += [k for k in row if k not in names]
    tmp = out / f".{INDEX}.tmp"
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=names)
        writer.writeheader()
        for task in campaign.tasks:
            if task.task_id in rows:
                writer.writerow(rows[task.task_id])
    os.replace(tmp, out / INDEX)


def load_index(folder: str | os.PathLike[str]):
    """The campaign index as a pandas DataFrame (one row per finished task)."""
    import pandas as pd

    path = Path(folder) / INDEX
    if not path.exists():
        raise CampaignError(f"{folder}: no {INDEX}: not a campaign folder, or nothing finished yet")
    return pd.read_csv(path)


def index_to_xarray(folder: str | os.PathLike[str]):
    """The index as an xarray Dataset with the grid axes (and ``seed``) as dimensions."""
    campaign = load_campaign(Path(folder) / SAVED, out=folder)
    frame = load_index(folder)
    dims = [a for a in campaign.axes if a in frame.columns] + ["seed"]
    frame = frame.copy()
    frame["seed"] = frame["seed"].fillna(-1).astype(int)
    values = frame.drop(columns=["task", "file", "error"]).set_index(dims)
    return values.to_xarray()


# ---------------------------------------------------------------------------------- running
def _client(scheduler: str | None, workers: int):
    from dask.distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=40)
    return Client(cluster), cluster


def run_campaign(campaign: Campaign, *, workers: int = 2, scheduler: str | None = None,
                 only: Iterable[str] | None = None, out: TextIO = sys.stderr,
                 progress: bool = True, client: Any = None) -> dict[str, dict[str, Any]]:
    """Run the campaign's tasks (or those named in ``only``) on Dask; return the index rows.

    ``client``: an existing ``dask.distributed.Client`` (a notebook's, or a test's), used and
    left open; otherwise one is made for ``scheduler`` or a local cluster of ``workers``.

    The index is rewritten after every finished task. Ctrl-C cancels the tasks not yet done
    (finished ones are in the index and their run files) and re-raises KeyboardInterrupt.
    """
    from dask.distributed import as_completed

    folder = campaign.out
    (folder / "runs").mkdir(parents=True, exist_ok=True)
    saved = folder / SAVED
    if not saved.exists():
        saved.write_text(campaign.saved_text, encoding="utf-8")
    rows: dict[str, dict[str, Any]] = {}
    if (folder / INDEX).exists():
        for row in load_index(folder).to_dict("records"):
            rows[str(row["task"])] = row
    wanted = set(only) if only is not None else {t.task_id for t in campaign.tasks}
    todo = [t for t in campaign.tasks if t.task_id in wanted]
    if not todo:
        _write_index(folder, rows, campaign)
        return rows
    own = client is None
    if own:
        client, cluster = _client(scheduler, workers)
    futures = []
    t0 = time.monotonic()
    try:
        futures = [client.submit(run_task, t, key=f"spinbench-{campaign.name}-{t.task_id}",
                                 pure=False) for t in todo]
        done = failed = 0
        for fut in as_completed(futures):
            row = fut.result()
            rows[row["task"]] = row
            done += 1
            failed += row["status"] != "complete"
            _write_index(folder, rows, campaign)
            if progress:
                rate = done / max(time.monotonic() - t0, 1e-9)
                eta = (len(todo) - done) / rate if rate else math.inf
                running = sum(1 for f in futures if f.status == "pending")
                print(f"\rcampaign {campaign.name}: {done}/{len(todo)} done, {failed} failed, "
                      f"{min(running, workers)} running, ETA {eta:5.0f} s", end="", file=out,
                      flush=True)
        if progress:
            print(file=out)
    except KeyboardInterrupt:
        client.cancel(futures)
        print(f"\ncampaign {campaign.name}: interrupted; {len(rows)} tasks in the index, "
              f"resume with: spinbench campaign resume {folder}", file=out)
        raise
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()
    return rows


def missing_tasks(folder: str | os.PathLike[str]) -> tuple[Campaign, list[str]]:
    """The saved campaign of ``folder`` and the tasks whose run file is missing or not complete."""
    from spinbench.protocols.runstore import RunReader

    folder = Path(folder)
    if not (folder / SAVED).exists():
        raise CampaignError(f"{folder}: no {SAVED}: not a campaign folder")
    campaign = load_campaign(folder / SAVED, out=folder)
    todo = []
    for task in campaign.tasks:
        try:
            with RunReader(task.run_path) as reader:
                if reader.status.value == "complete":
                    continue
        except Exception:
            pass
        todo.append(task.task_id)
    return campaign, todo
