"""Runs a protocol on a bench: validation, limits check, run file, progress, Ctrl-C, resume.

The runner is a small state machine (:class:`RunState`, :data:`TRANSITIONS`)::

    CREATED -> VALIDATED -> CHECKED -> BENCH_OPEN -> MEASURING -> COMPLETE
                   |            |           |            +------> ABORTED (Ctrl-C)
                   +------------+-----------+------------+------> FAILED  (any other error)

Nothing touches the bench before ``CHECKED``: bad parameters and limit violations are refused
while every instrument is still closed. Once the bench is open, every exit path goes through
``bench.close()`` (the bench makes outputs safe) and, once the run file exists, through
:meth:`RunWriter.finish` with the matching status.
"""

from __future__ import annotations

import enum
import logging
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from spinbench.instruments.capabilities import CapabilityError
from spinbench.instruments.roles import missing_members
from spinbench.protocols.base import (AdaptiveProtocol, BenchLike, CheckError, MeasurementProtocol, ParamError,
                                      OpenBenchLike, Roles, validate_params)
from spinbench.protocols.benchhealth import BatchGuard, BenchFault, is_transient
from spinbench.protocols.runstore import RunStatus, RunWriter, RunReader, RunStoreError, _column_fill

__all__ = [
    "History",
    "RunInterrupted",
    "RunResult",
    "RunState",
    "RunnerError",
    "TRANSITIONS",
    "analyze",
    "compare",
    "default_run_path",
    "load_bench",
    "run",
]


log = logging.getLogger(__name__)

#: a step failing with a transient I/O fault is repeated this many times at most ...
RETRIES = 3
#: ... after waiting RETRY_BACKOFF * 2**attempt seconds, a device clear of every instrument and
#: the protocol's setup again (an instrument reset to its defaults gets the run's settings back)
RETRY_BACKOFF = 0.05


def _say(warn: str) -> None:
    log.warning(warn)
    print(f"spinbench: {warn}", file=sys.stderr)


def _keep_if_healthy(exc: BaseException, guard: BatchGuard, pending: list, commit: Any) -> None:
    """A step failed for good: write its unverified predecessors if the instruments are
    healthy, else drop them (the fault may predate them) and tell what the instruments say."""
    if not pending or isinstance(exc, BenchFault):
        return
    try:
        bad = guard.check()
    except BenchFault as fault:
        exc.add_note(f"the instruments report: {fault}")
        return
    except Exception:       # an instrument cannot answer (the fault itself): keep the points
        commit()
        return
    if bad:
        exc.add_note(f"the instruments report: {guard.describe(bad)}")
    else:
        commit()


def _recover(opened: Any) -> None:
    recover = getattr(opened, "recover", None)
    if callable(recover):
        recover()


def _retrying(opened: Any, label: str, call: Any, again: Any = None) -> Any:
    """``call()`` under the runner's policy for transient bus faults (a timeout, a lost or
    garbled reply): up to :data:`RETRIES` retries, each after a backoff, a device clear of every
    instrument and ``again()`` (re-applying the run's settings); anything else is raised."""
    for attempt in range(RETRIES + 1):
        try:
            return call()
        except Exception as exc:
            if attempt == RETRIES or not is_transient(exc):
                raise
            _say(f"{label}: {type(exc).__name__}: {exc}; retry {attempt + 1}/{RETRIES}")
            time.sleep(RETRY_BACKOFF * 2 ** attempt)
            _recover(opened)
            if again is not None:
                again()


class RunnerError(RuntimeError):
    """A run that cannot start as asked (resume mismatch, missing role): a user error."""


class RunState(enum.Enum):
    """Where a run is."""

    CREATED = "created"
    VALIDATED = "validated"
    CHECKED = "checked"
    BENCH_OPEN = "bench_open"
    MEASURING = "measuring"
    COMPLETE = "complete"
    ABORTED = "aborted"
    FAILED = "failed"


#: Allowed transitions; anything else is a bug in the runner.
TRANSITIONS: Mapping[RunState, frozenset[RunState]] = {
    RunState.CREATED: frozenset({RunState.VALIDATED, RunState.FAILED, RunState.ABORTED}),
    RunState.VALIDATED: frozenset({RunState.CHECKED, RunState.FAILED, RunState.ABORTED}),
    RunState.CHECKED: frozenset({RunState.BENCH_OPEN, RunState.FAILED, RunState.ABORTED}),
    RunState.BENCH_OPEN: frozenset({RunState.MEASURING, RunState.FAILED, RunState.ABORTED}),
    RunState.MEASURING: frozenset({RunState.COMPLETE, RunState.FAILED, RunState.ABORTED}),
    RunState.COMPLETE: frozenset(),
    RunState.ABORTED: frozenset(),
    RunState.FAILED: frozenset(),
}

_FINAL_STATUS = {
    RunState.COMPLETE: RunStatus.COMPLETE,
    RunState.ABORTED: RunStatus.ABORTED,
    RunState.FAILED: RunStatus.FAILED,
}


@dataclass(frozen=True)
class RunResult:
    """What a run left behind."""

    #: Run file (``None`` if the run stopped before creating it).
    path: Path | None
    #: Final status.
    status: RunStatus
    #: Points in the file.
    n_points: int
    #: Steps recorded in the file, out of ``steps_total``.
    steps_done: int
    steps_total: int
    #: Error text (traceback for ``failed``), ``""`` if none.
    error: str = ""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped the run: the file is marked ``aborted`` and the bench is safe.

    A ``KeyboardInterrupt`` (so scripts stop as usual) carrying the :class:`RunResult`.
    """

    def __init__(self, result: RunResult) -> None:
        super().__init__(f"run aborted: {result.path}")
        self.result = result


def default_run_path(out_dir: str | os.PathLike[str], protocol: str,
                     when: datetime | None = None) -> Path:
    """``<out_dir>/<YYYYmmdd-HHMMSS>_<protocol>.h5``, with ``-<k>`` added if that exists."""
    stamp = (when or datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = Path(out_dir) / f"{stamp}_{protocol}"
    path, k = base.with_suffix(".h5"), 1
    while path.exists():
        path, k = Path(f"{base}-{k}.h5"), k + 1
    return path


def load_bench(name_or_path: str | os.PathLike[str]) -> BenchLike:
    """The not-yet-opened ``instruments.Bench`` for a built-in name or a bench file path."""
    from spinbench.instruments import Bench  # the instruments room owns Bench.load

    return Bench.load(name_or_path)


class _Machine:
    """Holds the run state and enforces :data:`TRANSITIONS`."""

    def __init__(self) -> None:
        self.state = RunState.CREATED

    def advance(self, new: RunState) -> None:
        if new not in TRANSITIONS[self.state]:
            raise RuntimeError(f"runner bug: transition {self.state.value} -> {new.value}")
        self.state = new


@contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold Ctrl-C while a batch of points is written; raise it right after.

    Keeps HDF5 from being interrupted between resizing a dataset and filling it. Only the
    main thread can install signal handlers; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


def _resolve_roles(protocol: MeasurementProtocol, bench: BenchLike, opened: OpenBenchLike) -> Roles:
    """The protocol's roles from an opened bench; optional roles the bench lacks are left out."""
    found: dict[str, Any] = {}
    for name, cls in protocol.required_roles().items():
        found[name] = _checked_role(opened.role(name), name, cls)
    for name, cls in protocol.optional_roles().items():
        try:
            obj = opened.role(name)
        except (KeyError, LookupError, ValueError):
            continue
        if obj is not None:
            found[name] = _checked_role(obj, name, cls)
    declared = {**protocol.optional_roles(), **protocol.required_roles()}

    def capabilities(role: str, as_role: type | None = None) -> Any:
        if as_role is None and getattr(declared.get(role), "_is_protocol", False):
            as_role = declared[role]
        return bench.capabilities(role, as_role)

    return Roles(found, capabilities)


def _checked_role(obj: Any, name: str, cls: type) -> Any:
    """``obj`` if it fills role ``cls`` (:func:`instruments.roles.missing_members`: members
    looked up statically, so no property -- no instrument I/O -- is read)."""
    lacking = missing_members(obj, cls)
    if lacking:
        raise RunnerError(f"role {name!r}: {type(obj).__name__} does not implement "
                          f"{getattr(cls, '__name__', cls)} (lacks {', '.join(lacking)})")
    return obj


#: the points of each completed step of an adaptive run, in step order: ``history[k]`` is the
#: list of points (declared column -> Python scalar) of step ``k``, exactly as the file holds them
History = list[list[dict[str, Any]]]


def _as_recorded(protocol: MeasurementProtocol, points: Any) -> list[dict[str, Any]]:
    """Points as the run file holds them: every declared column, converted to its dtype and
    back to a Python scalar (missing ones filled as the file fills them); traces left out."""
    import numpy as np

    if isinstance(points, Mapping):
        points = [points]
    out = []
    for point in points:
        row = {}
        for col in protocol.columns:
            dtype = np.dtype(col.dtype)
            row[col.name] = np.asarray(point.get(col.name, _column_fill(dtype)), dtype=dtype).item()
        out.append(row)
    return out


def _history_from_file(protocol: MeasurementProtocol, path: Path) -> History:
    """The :data:`History` of a run file's completed steps (for resuming an adaptive run)."""
    with RunReader(path) as reader:
        done = sorted(reader.completed_steps)
        if done != list(range(len(done))):
            raise RunStoreError(f"{path}: an adaptive run's completed steps must be 0..k-1, "
                                f"found {done[:10]}")
        frame = reader.to_dataframe()
    history: History = [[] for _ in done]
    names = [c.name for c in protocol.columns]
    steps = frame["step"].to_numpy()
    for k, row in zip(steps, frame[names].itertuples(index=False, name=None), strict=True):
        if 0 <= k < len(history):
            history[int(k)].append({n: (v.item() if hasattr(v, "item") else v)
                                    for n, v in zip(names, row, strict=True)})
    return history


def run(
    protocol: MeasurementProtocol | type[MeasurementProtocol],
    bench: BenchLike | str | os.PathLike[str],
    params: Mapping[str, Any] | None = None,
    *,
    out_dir: str | os.PathLike[str] = "runs",
    path: str | os.PathLike[str] | None = None,
    resume: str | os.PathLike[str] | None = None,
    seed: int | None = None,
    progress: bool | None = None,
    flush_every: int = 10,
    flush_seconds: float = 1.0,
) -> RunResult:
    """Run ``protocol`` on ``bench`` and write a run file.

    Parameters
    ----------
    protocol
        A protocol instance or class.
    bench
        A not-yet-opened bench (:class:`~protocols.base.BenchLike`: ``instruments.Bench`` or
        a test fake), or a bench name/path, loaded with :func:`load_bench`.
    params
        Parameter values or CLI strings; defaults fill the rest. With ``resume`` they are
        read from the file (giving different ones is an error).
    out_dir, path
        Where the run file goes: ``path`` if given, else :func:`default_run_path`.
    resume
        An ``aborted``/``failed``/dead ``running`` run file to continue: its completed steps
        are skipped and new points appended.
    seed
        Recorded in the file; also sets the protocol's ``seed`` parameter if it has one, and
        goes to the bench's per-step checkpoint (:func:`checkpoint_token`): on a simulated bench
        it selects the random stream, so the same seed reproduces a run and another one gives a
        new realisation. A resumed run keeps the seed its file records.
    progress
        Show a tqdm bar on stderr; ``None``: only if stderr is a terminal.
    flush_every, flush_seconds
        Run-file flush batch (points) and interval (s); the instruments are checked
        (:mod:`protocols.benchhealth`) every ``flush_seconds`` too, and points reach the file
        once a check after them found the bench healthy.

    Returns
    -------
    RunResult
        For a complete run.

    Raises
    ------
    ParamError, CheckError, RunnerError, RunStoreError
        Refused before any instrument was opened (no run file is written).
    RunInterrupted
        On Ctrl-C: file marked ``aborted``, bench closed; carries the result.
    Exception
        Any other error, after marking the file ``failed`` with the traceback and closing
        the bench; a note on the exception names the run file.
    """
    if isinstance(protocol, type):
        protocol = protocol()
    if isinstance(bench, (str, os.PathLike)):
        bench = load_bench(bench)
    machine = _Machine()

    given = dict(params or {})
    if resume is not None and seed is None:
        with RunReader(resume) as reader:     # a resumed run keeps its seed
            seed = reader.seed
    if seed is not None and not 0 <= int(seed) < 2**31:
        raise RunnerError(f"seed = {seed} is out of range [0, 2147483647]")
    if seed is not None and "seed" in {p.name for p in protocol.params} and "seed" not in given:
        given["seed"] = seed
    if resume is not None:
        _check_resume_bench(Path(resume), bench)
        given = _params_for_resume(protocol, Path(resume), given)
    else:
        given = {**_bench_defaults(protocol, bench), **given}
    values = validate_params(protocol.params, given)
    machine.advance(RunState.VALIDATED)

    available = set(bench.roles)
    missing = [r for r in protocol.required_roles() if r not in available]
    if missing:
        raise CheckError(f"bench has no role {missing[0]!r} needed by {protocol.name} "
                         f"(bench roles: {', '.join(sorted(available)) or 'none'})")
    try:
        values = protocol.resolve_params(values, bench)
        protocol.check(values, bench)
    except CapabilityError as exc:      # what no instrument on the bench can do
        raise CheckError(str(exc)) from None
    adaptive = isinstance(protocol, AdaptiveProtocol)
    steps: list[Any] = [] if adaptive else list(protocol.steps(values))
    total = protocol.max_steps(values) if adaptive else len(steps)
    history: History = []
    if adaptive and resume is not None:
        history = _history_from_file(protocol, Path(resume))
    machine.advance(RunState.CHECKED)

    writer: RunWriter | None = None
    bar: tqdm | None = None
    error = ""
    try:
        # a simulated bench opens with its clock in ``virtual`` mode and from the state its file
        # describes: a run's waits are timed by its instruments (never the script's wall time),
        # and a seed reproduces the run whatever ran before it in the same process
        with bench.open(sim_clock="virtual", sim_fresh=True) as opened:
            machine.advance(RunState.BENCH_OPEN)
            roles = _resolve_roles(protocol, bench, opened)
            try:
                def setup() -> None:
                    protocol.setup(roles, values)

                _retrying(opened, f"{protocol.name}: setup", setup)
                snapshots = dict(_retrying(opened, f"{protocol.name}: settings snapshot",
                                           opened.snapshot) or {})
                writer = _open_writer(protocol, bench, values, total, snapshots, out_dir, path,
                                      resume, seed, flush_every, flush_seconds)
                machine.advance(RunState.MEASURING)
                done = writer.completed_steps
                enabled = sys.stderr.isatty() if progress is None else progress
                bar = tqdm(total=total, initial=len(done), desc=protocol.name,
                           unit="step", file=sys.stderr, disable=not enabled, leave=True)

                def measure(index: int, step: Any) -> Any:
                    def once() -> Any:
                        opened.checkpoint(checkpoint_token(seed, index))
                        return protocol.measure(roles, values, step)

                    return _retrying(opened, f"{protocol.name}: step {index}", once, setup)

                guard = BatchGuard(roles.values(), flush_seconds)
                guard.baseline()
                #: measured, not yet verified by a check of the instruments: (index, points)
                pending: list[tuple[int, Any]] = []

                def commit() -> None:
                    with _sigint_deferred():
                        for k, pts in pending:
                            writer.append(k, pts)
                    bar.set_postfix_str(f"{writer.n_points} points", refresh=False)
                    bar.update(len(pending))
                    pending.clear()

                def verified() -> int:
                    """Check the instruments: commit the pending points (0), or drop them and
                    re-apply the settings, returning how many steps to measure again."""
                    bad = guard.check()
                    if not bad:
                        commit()
                        return 0
                    return again(bad, f"after step {pending[-1][0]}")

                def again(bad: list, where: str, failed: int = 0) -> int:
                    """Drop the unverified points and re-apply the settings; returns how many
                    steps to rewind (``failed``: the failed step, measured again too)."""
                    redo = len(pending)
                    _say(f"{protocol.name}: {where}: {guard.describe(bad)}; settings re-applied, "
                         f"the last {redo + failed} step(s) measured again")
                    pending.clear()
                    guard.reapply(bad, opened, lambda: protocol.setup(roles, values))
                    return redo

                def explained(exc: Exception, k: int) -> int | None:
                    """Step ``k`` failed for good: ask the instruments why.  A silent power
                    cycle explains it (a magnet back at its defaults never settles): settings
                    re-applied, the unverified steps and this one measured again -- returns
                    how many steps to rewind.  A fatal condition replaces the error with the
                    instrument's own account; otherwise ``None`` (the unverified points are
                    kept if the bench is healthy, else dropped)."""
                    if is_transient(exc) or not guard.instruments:
                        return None
                    try:
                        bad = guard.check()
                    except BenchFault as fault:
                        pending.clear()
                        raise fault from exc
                    except Exception:
                        return None
                    if any(r.power_on for r in bad):
                        return again(bad, f"step {k}: {type(exc).__name__}: {exc}", failed=1)
                    if bad:
                        exc.add_note(f"the instruments report: {guard.describe(bad)}")
                        pending.clear()
                    else:
                        commit()
                    return None

                todo = [] if adaptive else [i for i in range(len(steps)) if i not in done]
                if todo and todo[0] > 0 and todo[0] - 1 in done:
                    # a resumed hysteretic protocol re-approaches its first step along the
                    # branch that led there (unrecorded; the same per-step streams)
                    start = protocol.replay_from(values, steps, todo[0])
                    for j in range(start, todo[0]):
                        measure(j, steps[j])
                    if start < todo[0]:
                        _say(f"{protocol.name}: resumed at step {todo[0]}, re-approached from "
                             f"step {start} (not recorded)")
                pos, index = 0, len(history)
                try:
                    while True:
                        if adaptive:    # each decision is a step: resume continues mid-way
                            step = protocol.next_step(values, history) if index < total else None
                        else:
                            step = steps[todo[pos]] if pos < len(todo) else None
                        if step is not None:
                            k = index if adaptive else todo[pos]
                            try:
                                points = measure(k, step)
                            except Exception as exc:
                                back = explained(exc, k)
                                if back is None:
                                    raise
                                if adaptive:
                                    del history[len(history) - back:]
                                    index -= back
                                else:
                                    pos -= back
                                continue
                            pending.append((k, points))
                            if adaptive:
                                history.append(_as_recorded(protocol, points))
                                index += 1
                            else:
                                pos += 1
                            if not guard.due(len(pending)):
                                continue
                        redo = verified() if pending else 0
                        if adaptive:
                            del history[len(history) - redo:]
                            index -= redo
                        else:
                            pos -= redo
                        if step is None and not redo:
                            break
                except KeyboardInterrupt:
                    commit()        # the user stopped a healthy run: keep what it measured
                    raise
                except BaseException as exc:
                    _keep_if_healthy(exc, guard, pending, commit)
                    raise
                with _sigint_deferred():
                    writer.flush()
            finally:
                _teardown(protocol, roles)
        machine.advance(RunState.COMPLETE)
    except KeyboardInterrupt:
        machine.advance(RunState.ABORTED)
        error = "interrupted by the user (KeyboardInterrupt)"
        result = _finish(writer, machine.state, error, total)
        raise RunInterrupted(result) from None
    except BaseException as exc:
        machine.advance(RunState.FAILED)
        error = traceback.format_exc()
        result = _finish(writer, machine.state, error, total)
        if result.path is not None:
            exc.add_note(f"run file: {result.path} (marked failed)")
        raise
    finally:
        if bar is not None:
            bar.close()
    return _finish(writer, machine.state, error, total)


def _device(bench_name: str) -> str:
    """The device of a one-device view of a bench (``Bench.for_device``: ``"name[device]"``)."""
    return bench_name[bench_name.rindex("["):] if bench_name.endswith("]") and "[" in bench_name else ""


def _check_resume_bench(resume: Path, bench: Any) -> None:
    """Refuse to continue a run on another bench than the one it started on: one run file
    holds one bench's (one device's) data.  Compared by the bench file's text (the same
    built-in bench may be named by name or by path), else by name."""
    name, text = str(getattr(bench, "name", "") or ""), str(getattr(bench, "text", "") or "")
    with RunReader(resume) as old:
        old_name = str(old.attrs.get("bench_name") or "")
        old_text = old.bench_text
    if old_text and text:
        same = _bench_identity(old_text) == _bench_identity(text) and _device(old_name) == _device(name)
    else:
        same = not old_name or not name or old_name == name
    if not same:
        if old_name and name and old_name != name:
            why = f"it was recorded on bench {old_name!r}, not on {name!r}"
        else:
            why = f"the bench file {name or old_name!r} has changed since the run started"
        raise RunnerError(f"cannot resume {resume} on this bench: {why} (a run file holds the "
                          f"data of one bench; resume with --bench {old_name or '<its bench>'}, "
                          f"or start a new run)")


def _bench_identity(text: str) -> Any:
    """A bench file's content without its simulated faults (``sim.faults``): injecting or
    removing a fault does not make another bench (a real bench has no such section)."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(data, dict) and isinstance(data.get("sim"), dict):
        data["sim"] = {k: v for k, v in data["sim"].items() if k != "faults"}
    return data


def _bench_defaults(protocol: MeasurementProtocol, bench: BenchLike) -> dict[str, Any]:
    """The bench file's defaults for ``protocol`` (``protocols:``), checked against it: an
    unknown name or a value out of range names the bench file's key."""
    named = (getattr(bench, "raw", None) or {}).get("protocols") or {}
    if named:
        from spinbench.protocols import registry

        known = registry.all_protocols()
        unknown = sorted(str(n) for n in named if n not in known)
        if unknown:
            raise CheckError(f"{getattr(bench, 'path', bench)}: protocols.{unknown[0]}: unknown protocol; "
                             f"known: {', '.join(sorted(known))}")
    defaults = getattr(bench, "protocol_defaults", lambda _name: {})(protocol.name)
    declared = {p.name: p for p in protocol.params}
    where = f"{getattr(bench, 'path', bench)}: protocols.{protocol.name}"
    for name, value in defaults.items():
        if name not in declared:
            raise CheckError(f"{where}: unknown parameter {name!r}; known parameters: {', '.join(declared)}")
        try:
            declared[name].validate(value)
        except ParamError as exc:
            raise CheckError(f"{where}: {exc}") from None
    return defaults


def _params_for_resume(protocol: MeasurementProtocol, resume: Path,
                       given: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters stored in a run file to resume, checked against the protocol."""
    with RunReader(resume) as old:
        if old.protocol != protocol.name:
            raise RunnerError(f"{resume} is a {old.protocol!r} run, not {protocol.name!r}")
        stored = old.params
    stored_valid = validate_params(protocol.params, stored)
    for key, value in validate_params(protocol.params, {**stored, **given}).items():
        if key in given and value != stored_valid[key]:
            raise RunnerError(f"cannot change {key} when resuming (file has "
                              f"{stored_valid[key]!r}, given {value!r})")
    return stored


def checkpoint_token(seed: int | None, index: int) -> int:
    """What the bench's ``checkpoint`` receives before step ``index``: the step, and the run's
    seed in the upper 32 bits when one is given (``--seed``), so a simulated bench draws a
    stream of its own per (seed, step) -- the same again when the run is resumed."""
    if seed is None:
        return int(index)
    return (int(seed) << 32) | int(index)


def _open_writer(protocol: MeasurementProtocol, bench: BenchLike, values: Mapping[str, Any],
                 n_steps: int, snapshots: Mapping[str, Any],
                 out_dir: str | os.PathLike[str], path: str | os.PathLike[str] | None,
                 resume: str | os.PathLike[str] | None, seed: int | None,
                 flush_every: int, flush_seconds: float) -> RunWriter:
    if resume is not None:
        writer = _resume_writer(resume, snapshots, flush_every, flush_seconds)
        if writer.completed_steps - set(range(n_steps)):
            writer.close()
            raise RunStoreError(f"{resume}: holds steps the protocol does not plan "
                                f"(steps changed since the run started?)")
        return writer
    target = Path(path) if path is not None else default_run_path(out_dir, protocol.name)
    return RunWriter.create(
        target, protocol=protocol.name, description=protocol.description, params=values,
        param_units=protocol.param_units(), columns=protocol.columns, traces=protocol.traces,
        snapshots=snapshots, bench_text=bench.text, bench_name=bench.name, n_steps=n_steps,
        seed=seed, flush_every=flush_every, flush_seconds=flush_seconds)


#: how long a resume waits for another process's open of the run file to end (s)
RESUME_LOCK_WAIT = 10.0


def _resume_writer(resume: str | os.PathLike[str], snapshots: Mapping[str, Any],
                   flush_every: int, flush_seconds: float) -> RunWriter:
    """:meth:`RunWriter.resume`, waiting up to :data:`RESUME_LOCK_WAIT` s while another process
    (``spinbench check``, a live plot opening it) holds the HDF5 file lock."""
    deadline = time.monotonic() + RESUME_LOCK_WAIT
    while True:
        try:
            return RunWriter.resume(resume, snapshots=snapshots, flush_every=flush_every,
                                    flush_seconds=flush_seconds)
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise RunnerError(f"cannot resume {resume}: another process keeps the file open "
                                  f"(close its live plot or reader, then resume)") from None
            time.sleep(0.2)


def _teardown(protocol: MeasurementProtocol, roles: Roles) -> None:
    """Protocol teardown; its own error must not hide the error that ended the run."""
    pending = sys.exc_info()[1]
    try:
        protocol.teardown(roles)
    except Exception as exc:
        if pending is None:
            raise
        pending.add_note(f"teardown also failed: {exc!r}")


def _finish(writer: RunWriter | None, state: RunState, error: str, total: int) -> RunResult:
    """Record the final status in the file (if any) and summarize."""
    status = _FINAL_STATUS[state]
    if writer is None:
        return RunResult(None, status, 0, 0, total, error)
    writer.finish(status, error)
    return RunResult(writer.path, status, writer.n_points, len(writer.completed_steps),
                     total, error)


def analyze(path: str | os.PathLike[str], outdir: str | os.PathLike[str] | None = None) -> list[Path]:
    """The fits and figures registered for the run's protocol (:mod:`analysis.registry`;
    a protocol without one gets the default column plot), written into ``outdir`` (default:
    next to the run file).  The runner's one door to analysis: protocols never import it."""
    from spinbench.analysis import registry

    path = Path(path)
    with RunReader(path) as reader:
        return registry.analyze(reader, Path(outdir) if outdir is not None else path.parent)


def report(runs: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str] | None = None,
           title: str | None = None) -> Path:
    """One self-contained HTML page for the run files (:mod:`analysis.report`); returns its path."""
    from spinbench.analysis.report import write_report

    return write_report(runs, out, title)


def compare(name: str, runs: Sequence[Any], out_dir: str | os.PathLike[str],
            **kwargs: Any) -> dict[str, Any]:
    """A comparison of several runs registered in :mod:`analysis.registry` (e.g. ``spinloss``)."""
    from spinbench.analysis import registry

    return registry.compare(name, runs, Path(out_dir), **kwargs)
