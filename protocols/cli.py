"""The ``spinbench`` console script.

::

    spinbench run <protocol> --bench <name|path> [--out DIR] [--param k=v ...]
                  [--resume RUN.h5] [--seed N] [--no-progress | --progress]
    spinbench benches                  built-in simulated benches
    spinbench protocols                protocols with their parameters
    spinbench analyze RUN.h5 [--out DIR]
    spinbench show RUN.h5

Exit codes: 0 success, 1 the run or its analysis failed, 2 bad input (unknown protocol or
bench, bad parameter, limit refused, unreadable file), 130 interrupted by Ctrl-C (the run file
is kept, marked ``aborted``, and can be resumed).
"""

from __future__ import annotations

import argparse
import subprocess
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import yaml
from pyvisa_spinbench import bench_files

from spinbench.protocols import registry
from spinbench.instruments.capabilities import CapabilityError
from spinbench.protocols.base import CheckError, ParamError
from spinbench.protocols.runner import RunInterrupted, RunnerError, analyze, load_bench, run
from spinbench.protocols.runstore import RunReader, RunStoreError

__all__ = ["EXIT_ABORTED", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "builtin_benches", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_ABORTED = 130

_USER_ERRORS: tuple[type[BaseException], ...] = (
    ParamError, CheckError, CapabilityError, RunnerError, RunStoreError, registry.UnknownProtocol,
    FileNotFoundError, IsADirectoryError,
)


class UsageError(Exception):
    """Bad command-line input."""


def _bench_errors() -> tuple[type[BaseException], ...]:
    """``instruments.BenchError`` (unknown bench, bad bench file) if the package is there."""
    try:
        from spinbench.instruments import BenchError
    except Exception:  # the instruments room may not be importable yet
        return ()
    return (BenchError,)


# -- built-in benches ------------------------------------------------------------------------
def builtin_benches() -> list[tuple[str, str]]:
    """``(name, description)`` of each built-in simulated bench, sorted by name
    (:func:`pyvisa_spinbench.bench_files.builtin_benches`: data files only, no simulator code)."""
    return bench_files.builtin_benches()


# -- sub-commands ----------------------------------------------------------------------------
def _parse_param_args(items: Sequence[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param expects name=value, got {item!r}")
        params[key.strip()] = value.strip()
    return params


#: fit values printed per summary file after a run (the rest stay in the file)
KEY_RESULTS_SHOWN = 8
#: seconds the live view keeps serving after the run ended (the page polls every 0.5 s)
LIVE_LINGER = 1.5


def _start_live(args: argparse.Namespace, protocol: str):
    """The live-view server of ``--live`` (started, URL on stderr), or ``None``."""
    if not getattr(args, "live", False):
        return None
    from spinbench.protocols.live import LiveServer
    from spinbench.protocols.runner import default_run_path

    path = Path(args.resume) if args.resume else default_run_path(args.out, protocol)
    server = LiveServer(path, host=args.live_host, port=args.live_port).start()
    print(f"live view: {server.url}", file=sys.stderr, flush=True)
    return server


def _cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    protocol_cls = registry.get(args.protocol)
    params = _parse_param_args(args.param)
    bench = load_bench(args.bench)
    if getattr(args, "device", None):
        bench = bench.for_device(args.device)
    live = _start_live(args, args.protocol)
    try:
        result = run(protocol_cls(), bench, params, out_dir=args.out, resume=args.resume,
                     seed=args.seed, progress=args.progress,
                     path=None if live is None or args.resume else live.path)
    except RunInterrupted as exc:
        path = exc.result.path
        print(f"interrupted: {exc.result.steps_done}/{exc.result.steps_total} steps kept", file=sys.stderr)
        if path is not None:
            print(path, file=out)
            device = f" --device {args.device}" if getattr(args, "device", None) else ""
            print(f"resume with: spinbench run {args.protocol} --bench {args.bench}{device} "
                  f"--resume {path}", file=sys.stderr)
        return EXIT_ABORTED
    except _USER_ERRORS + _bench_errors():
        raise
    except Exception as exc:
        notes = getattr(exc, "__notes__", [])
        print(f"spinbench: run failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        for note in notes:
            print(f"  {note}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        if live is not None:
            time.sleep(LIVE_LINGER)        # the page's last poll sees the final status
            live.stop()
    print(result.path, file=out)
    return _analyze(result.path, result.path.parent, out)


def _analyze(path: Path, outdir: Path, out: TextIO) -> int:
    """The fits and figures registered for the run's protocol (``analysis.registry``)."""
    with RunReader(path) as reader:     # a readable run file, or a user error
        inputs = tuple(reader.params)
        if reader.n_points == 0:
            print(f"spinbench: {path} has no points (status: {reader.status.value}, "
                  f"{len(reader.completed_steps)}/{reader.n_steps} steps); nothing to analyze",
                  file=sys.stderr)
            return EXIT_FAILED
    try:
        written = analyze(path, outdir)
    except Exception as exc:
        print(f"spinbench: analysis failed ({type(exc).__name__}: {exc}); "
              f"the run file is intact: {path}", file=sys.stderr)
        return EXIT_FAILED
    for item in written:
        print(item, file=out)
    _print_key_results(written, inputs)
    return EXIT_OK


def _print_key_results(written: Sequence[Path], inputs: Sequence[str] = ()) -> None:
    """The fit values of the analysis summaries (every JSON file the analysis wrote), for the
    person at the terminal (stderr: stdout stays the list of files written, for scripts)."""
    from spinbench.protocols.runindex import key_results

    for item in written:
        if Path(item).suffix == ".json":
            found = key_results(Path(item), inputs)
            if found:
                text = ", ".join(f"{k} = {v:.5g}" for k, v in list(found.items())[:KEY_RESULTS_SHOWN])
                more = len(found) - KEY_RESULTS_SHOWN
                tail = f" (+{more} more in {Path(item).name})" if more > 0 else ""
                print(f"key results (SI units): {text}{tail}", file=sys.stderr)


def _cmd_analyze(args: argparse.Namespace, out: TextIO) -> int:
    path = Path(args.run)
    return _analyze(path, Path(args.out) if args.out else path.parent, out)


def _cmd_benches(args: argparse.Namespace, out: TextIO) -> int:
    benches = builtin_benches()
    width = max((len(name) for name, _ in benches), default=0)
    for name, description in benches:
        print(f"{name:<{width}}  {description}".rstrip(), file=out)
    return EXIT_OK


def _cmd_protocols(args: argparse.Namespace, out: TextIO) -> int:
    for name, cls in registry.all_protocols().items():
        print(f"{name}  {cls.description}".rstrip(), file=out)
        roles = [*cls.required_roles(), *(f"{r} (optional)" for r in cls.optional_roles())]
        if roles:
            print(f"    roles: {', '.join(roles)}", file=out)
        for param in cls.params:
            print(f"    {param.describe()}", file=out)
    for module, error in registry.import_errors().items():
        print(f"spinbench: warning: {module} not loaded ({error})", file=sys.stderr)
    return EXIT_OK


def _format_value(value: Any, unit: str) -> str:
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return f"{text} {unit}".rstrip()


def _instrument_names(snapshot: Any) -> list[str]:
    """Instrument names of a run's bench snapshot (``OpenBench.snapshot()``'s
    ``{"instruments": {...}, ...}`` or a flat ``{name: {...}}``), with their model if known."""
    if not isinstance(snapshot, dict):
        return []
    per = snapshot.get("instruments")
    if not isinstance(per, dict):
        per = {k: v for k, v in snapshot.items() if isinstance(v, dict)}
    names = []
    for name, entry in per.items():
        idn = entry.get("idn") if isinstance(entry, dict) else None
        model = ",".join(str(idn).split(",")[:2]).strip() if idn else ""
        names.append(f"{name} ({model})" if model else str(name))
    return names


def _bench_seed(bench_text: str) -> Any:
    """``sim.seed`` of a simulated bench file's text, ``None`` if it has none."""
    try:
        spec = yaml.safe_load(bench_text) if bench_text else None
    except yaml.YAMLError:
        return None
    sim = spec.get("sim") if isinstance(spec, dict) else None
    return sim.get("seed") if isinstance(sim, dict) else None


def _cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    with RunReader(args.run) as reader:
        attrs = reader.attrs
        status = reader.status.value
        gone = reader.status.value == "running" and not reader.writer_alive()
        if gone:
            status = (f"running, but its writer (process {reader.writer_pid}) is gone: no live "
                      f"process holds the file (killed?)")
        seed = str(reader.seed) if reader.seed is not None else "-"
        sim_seed = _bench_seed(reader.bench_text)
        if sim_seed is not None:
            seed += (f" (no --seed; the simulated bench's sim.seed = {sim_seed} sets the random "
                     f"stream)" if reader.seed is None else f" (with the bench's sim.seed = {sim_seed})")
        lines = [
            f"file:      {reader.path}",
            f"protocol:  {reader.protocol}",
            f"status:    {status}",
            f"started:   {attrs['started_at']}",
            f"ended:     {reader.ended_at or ('- (never: the writer died)' if gone else '-')}",
            f"bench:     {attrs.get('bench_name') or '-'}",
            f"seed:      {seed}",
            f"points:    {reader.n_points}",
            f"steps:     {len(reader.completed_steps)}/{reader.n_steps}",
            f"columns:   {', '.join(f'{n} [{u}]' if u else n for n, u in reader.units.items())}",
        ]
        if reader.traces:
            lines.append(f"traces:    {', '.join(t.name for t in reader.traces)}")
        lines.append(f"instruments: {', '.join(_instrument_names(reader.snapshots)) or '-'}")
        units = reader.param_units
        lines.append("params:")
        lines += [f"  {k} = {_format_value(v, units.get(k, ''))}" for k, v in reader.params.items()]
        if reader.error:
            last = reader.error.strip().splitlines()[-1]
            lines.append(f"error:     {last}")
        if gone or reader.status.value in ("aborted", "failed"):
            bench = str(attrs.get("bench_name") or "BENCH")
            device = _device_of(bench)
            if device:
                bench = f"{bench[:bench.rindex('[')]} --device {device}"
            lines.append(f"resume:    spinbench run {reader.protocol} --bench {bench} "
                         f"--resume {reader.path}")
    print("\n".join(lines), file=out)
    return EXIT_OK


def _cmd_ls(args: argparse.Namespace, out: TextIO) -> int:
    from spinbench.protocols.runindex import format_rows, index_runs

    rows = index_runs(args.folder, recursive=args.recursive)
    if not rows:
        print(f"{args.folder}: no run files", file=out)
        return EXIT_OK
    print("\n".join(format_rows(rows)), file=out)
    return EXIT_OK


def _cmd_report(args: argparse.Namespace, out: TextIO) -> int:
    from spinbench.protocols.runner import report

    missing = [r for r in args.runs if not Path(r).is_file()]
    if missing:
        raise UsageError(f"report: no such run file: {', '.join(missing)}")
    print(report(args.runs, args.out, args.title), file=out)
    return EXIT_OK


def _cmd_campaign(args: argparse.Namespace, out: TextIO) -> int:
    from spinbench.protocols import campaign as cp

    try:
        if args.action == "run":
            plan = cp.load_campaign(args.target, out=args.out)
            cp.check_devices(plan)
            only = None
        else:
            plan, only = cp.missing_tasks(args.target)
    except cp.CampaignError as exc:
        raise UsageError(str(exc)) from None
    if only is not None:
        print(f"campaign {plan.name}: {len(only)} of {len(plan.tasks)} tasks to run", file=sys.stderr)
    if args.workers < 1:
        raise UsageError(f"--workers = {args.workers}: at least 1")
    rows = cp.run_campaign(plan, workers=args.workers, scheduler=args.scheduler, only=only,
                           progress=args.progress is not False)
    failed = [r for r in rows.values() if r.get("status") != "complete"]
    print(plan.out / cp.INDEX, file=out)
    for row in failed:
        print(f"  failed {row['task']}: {row.get('error') or row.get('status')}", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


def _cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    from spinbench.protocols.runcheck import check_run

    worst = EXIT_OK
    for path in args.runs:
        report = check_run(path)
        print("\n".join(report.lines()), file=out)
        if not report.ok:
            worst = EXIT_FAILED
    return worst


def _cmd_resume(args: argparse.Namespace, out: TextIO) -> int:
    """Continue a run from its file alone: protocol, parameters, bench file and seed."""
    path = Path(args.run)
    with RunReader(path) as reader:
        status, protocol_name = reader.status.value, reader.protocol
        bench_text, alive = reader.bench_text, reader.writer_alive()
        device = _device_of(str(reader.attrs.get("bench_name") or ""))
    if status == "complete":
        print(f"{path}: already complete; nothing to resume", file=sys.stderr)
        return EXIT_OK
    if status == "running" and alive:
        raise UsageError(f"{path}: its writer is still running; stop it first")
    if not bench_text.strip():
        raise UsageError(f"{path}: the file holds no bench file text; use spinbench run "
                         f"{protocol_name} --bench BENCH --resume {path}")
    bench_file = path.with_name(f"{path.stem}.bench.yaml")
    if not bench_file.exists() or bench_file.read_text(encoding="utf-8") != bench_text:
        bench_file.write_text(bench_text, encoding="utf-8")
    args = argparse.Namespace(protocol=protocol_name, bench=str(bench_file), param=[], device=device,
                              resume=str(path), seed=None, progress=args.progress, out=str(path.parent),
                              live=False)
    return _cmd_run(args, out)


def _device_of(bench_name: str) -> str | None:
    """``"rf-network[n_0]"`` (a run on one device of a many-device bench) -> ``"n_0"``."""
    if bench_name.endswith("]") and "[" in bench_name:
        return bench_name[bench_name.rindex("[") + 1:-1] or None
    return None


# -- parser ----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for docs and tests)."""
    parser = argparse.ArgumentParser(prog="spinbench", description="Measure spintronic devices "
                                     "on a real or simulated bench.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p_run = sub.add_parser("run", help="run a protocol and analyze the result")
    p_run.add_argument("protocol", help="protocol name (see `spinbench protocols`)")
    p_run.add_argument("--bench", required=True, help="built-in bench name or bench file path")
    p_run.add_argument("--out", default="runs", help="folder for the run file (default: runs)")
    p_run.add_argument("--param", action="extend", nargs=1, default=[], metavar="NAME=VALUE",
                       help="parameter, e.g. pulse_width=1ms (repeatable)")
    p_run.add_argument("--device", metavar="DEVICE",
                       help="one device of a many-device bench: its roles <role>_DEVICE stand in for <role> "
                            "(e.g. --bench rf-network --device n_0: that neuron's source_meter_n_0)")
    p_run.add_argument("--resume", metavar="RUN.h5", help="continue an interrupted run")
    p_run.add_argument("--seed", type=int, help="seed of the run's random stream: on a simulated "
                       "bench it selects the realisation (together with the bench's sim.seed); "
                       "the same seed reproduces a run, another gives a new one; kept in the "
                       "run file and reused by --resume")
    p_run.add_argument("--live", action="store_true",
                       help="serve a live plot of the run file on http://127.0.0.1 while it runs")
    p_run.add_argument("--live-port", type=int, default=0, metavar="PORT",
                       help="port of the live view (default: a free one, printed at start)")
    p_run.add_argument("--live-host", default="127.0.0.1", metavar="HOST",
                       help="address the live view listens on (default: loopback only)")
    progress = p_run.add_mutually_exclusive_group()
    progress.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                          help="no progress bar")
    progress.add_argument("--progress", dest="progress", action="store_true",
                          help="progress bar even when stderr is not a terminal")
    p_run.set_defaults(func=_cmd_run)

    sub.add_parser("benches", help="list the built-in simulated benches").set_defaults(
        func=_cmd_benches)
    sub.add_parser("protocols", help="list protocols and their parameters").set_defaults(
        func=_cmd_protocols)

    p_analyze = sub.add_parser("analyze", help="re-run a protocol's analysis on a run file")
    p_analyze.add_argument("run", metavar="RUN.h5")
    p_analyze.add_argument("--out", help="folder for figures (default: next to the run file)")
    p_analyze.set_defaults(func=_cmd_analyze)

    p_show = sub.add_parser("show", help="summarize a run file")
    p_show.add_argument("run", metavar="RUN.h5")
    p_show.set_defaults(func=_cmd_show)

    p_ls = sub.add_parser("ls", help="one line per run file in a folder: time, protocol, bench, "
                          "status, points, key fit values")
    p_ls.add_argument("folder", nargs="?", default="runs", help="folder of run files (default: runs)")
    p_ls.add_argument("-r", "--recursive", action="store_true", help="also list sub-folders")
    p_ls.set_defaults(func=_cmd_ls)

    p_report = sub.add_parser("report", help="one self-contained HTML page for one or more runs "
                              "(parameters, instruments, figures, fit tables)")
    p_report.add_argument("runs", nargs="+", metavar="RUN.h5")
    p_report.add_argument("--out", help="HTML file to write (default: the first run's name .html)")
    p_report.add_argument("--title", help="page title (default: the run's file name)")
    p_report.set_defaults(func=_cmd_report)

    p_check = sub.add_parser("check", help="check run files' consistency (also killed ones); "
                             "exit 1 if any is damaged")
    p_check.add_argument("runs", nargs="+", metavar="RUN.h5")
    p_check.set_defaults(func=_cmd_check)

    p_resume = sub.add_parser("resume", help="continue an aborted, failed or killed run with the "
                              "protocol, parameters, bench file and seed its file records")
    p_resume.add_argument("run", metavar="RUN.h5")
    p_resume.add_argument("--no-progress", dest="progress", action="store_false", default=None)
    p_resume.set_defaults(func=_cmd_resume)

    p_camp = sub.add_parser("campaign", help="many runs of one protocol (grid, random draws, "
                            "device parameters, seeds) on Dask: run FILE | resume DIR")
    p_camp.add_argument("action", choices=("run", "resume"))
    p_camp.add_argument("target", metavar="FILE|DIR", help="campaign file (run) or folder (resume)")
    p_camp.add_argument("--out", help="output folder (run; default: the file's out:)")
    p_camp.add_argument("--workers", type=int, default=2,
                        help="processes of the local Dask cluster (default 2)")
    p_camp.add_argument("--scheduler", metavar="ADDRESS",
                        help="use an existing Dask scheduler, e.g. tcp://host:8786")
    p_camp.add_argument("--no-progress", dest="progress", action="store_false", default=None)
    p_camp.set_defaults(func=_cmd_campaign)

    p_spin = sub.add_parser("compare-spinloss", help="critical current and energy per switch "
                            "vs spin absorption on the spinloss-* benches (table + figure)")
    p_spin.add_argument("--bench", action="extend", nargs="+", default=[], metavar="BENCH",
                        help="benches to compare (default: spinloss-low, -mid, -high)")
    p_spin.add_argument("--out", default="runs", help="folder for runs, table and figure")
    p_spin.add_argument("--param", action="extend", nargs=1, default=[], metavar="NAME=VALUE",
                        help="critical-current-vs-width parameter (repeatable)")
    p_spin.add_argument("--seed", type=int, help="seed of the runs' random streams (selects "
                        "the realisation on simulated benches; kept in the run files)")
    p_spin.set_defaults(func=_cmd_compare_spinloss)

    p_serve = sub.add_parser("serve", help="serve a simulated bench: every instrument a raw-socket "
                             "SCPI server (TCPIP0::127.0.0.1::<port>::SOCKET) for any VISA client")
    p_serve.add_argument("bench", help="built-in bench name or bench file path")
    p_serve.add_argument("--host", default="127.0.0.1",
                         help="interface to listen on (default 127.0.0.1: this machine only)")
    p_serve.add_argument("--port", type=int, default=5025,
                         help="first port (default 5025; next instruments the next ports; 0: free ports)")
    p_serve.add_argument("--clock", choices=("virtual", "sleep", "wall"),
                         help="how the clients' waiting counts (default: the bench file's sim.clock)")
    p_serve.set_defaults(func=_cmd_serve)
    return parser


def _cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    """Run the simulator's server as this very process (``exec``): protocols never import the
    simulator, and signals (Ctrl-C, SIGTERM) reach the server directly."""
    argv = [sys.executable, "-m", "spinbench.sim_backend.server", args.bench,
            "--host", args.host, "--port", str(args.port)]
    if args.clock:
        argv += ["--clock", args.clock]
    out.flush()
    if os.name == "posix":
        os.execv(sys.executable, argv)
    return subprocess.call(argv)  # pragma: no cover - Windows has no exec


def _cmd_compare_spinloss(args: argparse.Namespace, out: TextIO) -> int:
    from spinbench.protocols.spinloss_comparison import DEFAULT_BENCHES, compare_spinloss

    compare_spinloss(args.bench or DEFAULT_BENCHES, args.out, _parse_param_args(args.param),
                     seed=args.seed, out=out)
    return EXIT_OK


def _split_param_values(argv: Sequence[str]) -> list[str]:
    """``--param`` takes one or more ``NAME=VALUE``; a word without ``=`` after it is the next
    positional argument (``run --param k=v switching-loop`` keeps the protocol name), so each
    value is given its own ``--param``."""
    out: list[str] = []
    taking = 0                 # words taken since the last --param (0: not after --param)
    for item in argv:
        if item == "--param":
            taking = 1
            continue
        if taking and not item.startswith("-") and (taking == 1 or "=" in item):
            out += ["--param", item]     # the first word is --param's value, whatever it is
            taking += 1
            continue
        taking = 0
        out.append(item)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``spinbench`` console script; returns the exit code."""
    try:
        return _main(argv)
    except BrokenPipeError:   # `spinbench show RUN.h5 | head`: the reader left, not an error
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_OK


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(_split_param_values(argv))
    except SystemExit as exc:  # --help or an argparse usage error (already printed)
        return int(exc.code or 0)
    try:
        return int(args.func(args, sys.stdout))
    except KeyboardInterrupt:
        print("spinbench: interrupted", file=sys.stderr)
        return EXIT_ABORTED
    except (UsageError, *_USER_ERRORS, *_bench_errors()) as exc:
        print(f"spinbench: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
