"""What a new user hit with the switching family (issue 8, bugs 1, 2, 6, 7, 8): each test
failed before its fix."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from spinbench.protocols import cli
from spinbench.protocols.runstore import RunReader, RunWriter
from spinbench.protocols.base import Column

REPO = Path(__file__).resolve().parents[2]
SMALL = ["--param", "current_max=3mA", "current_step=1mA"]


@pytest.fixture(scope="module")
def complete_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("complete")
    assert cli.main(["run", "switching-loop", "--bench", "sot-hallbar", "--out", str(out),
                     "--no-progress", *SMALL]) == 0
    (path,) = out.glob("*.h5")
    return path


_CUTS = """
import sys, time
from pathlib import Path
from spinbench.protocols import cli
src = Path(sys.argv[1]); data = src.read_bytes()
for label, size in (("2k", 2048), ("half", len(data) // 2), ("short100", len(data) - 100)):
    cut = src.with_name(f"cut_{label}.h5"); cut.write_bytes(data[:size])
    for command in ("show", "analyze"):
        t0 = time.monotonic(); code = cli.main([command, str(cut)])
        print(label, command, code, round(time.monotonic() - t0, 3), flush=True)
"""


def test_a_truncated_run_file_is_refused_quickly_and_clearly(complete_run):
    # before the fix HDF5's SWMR reader retried its checksum reads forever: the subprocess
    # would hit the timeout (Ctrl-C did nothing)
    done = subprocess.run([sys.executable, "-c", _CUTS, str(complete_run)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "MPLBACKEND": "Agg"})
    rows = [line.split() for line in done.stdout.splitlines()]
    assert len(rows) == 6, done.stderr
    for label, command, code, seconds in rows:
        assert int(code) == cli.EXIT_USAGE, (label, command)
        assert float(seconds) < 2.0, (label, command, seconds)
    errors = done.stderr.splitlines()
    assert len(errors) == 6
    for line, (label, *_rest) in zip(errors, rows):
        assert f"cut_{label}.h5" in line and "truncated" in line
    missing = int(errors[-1].split("(")[1].split()[0])
    assert missing == 100                       # says how much is missing


def test_an_empty_run_is_reported_as_having_no_points(tmp_path, capsys):
    path = tmp_path / "empty.h5"
    RunWriter.create(path, protocol="switching-loop", params={}, columns=[Column("x")]).finish()
    code = cli.main(["analyze", str(path)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_FAILED
    assert "has no points" in err and "Traceback" not in err and "numpy" not in err


def test_summary_json_is_strict_json_without_nan(complete_run, tmp_path):
    assert cli.main(["analyze", str(complete_run), "--out", str(tmp_path)]) == 0
    (summary,) = tmp_path.glob("*_summary.json")
    text = summary.read_text()
    assert "NaN" not in text and "Infinity" not in text
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert data["fields"][0]["i50_pos"] is None          # not measured (no resets): null


def test_param_before_the_protocol_name_is_not_swallowed(tmp_path):
    code = cli.main(["run", "--param", "current_max=3mA", "switching-loop", "--param",
                     "current_step=1mA", "loops=1", "--bench", "sot-hallbar", "--out",
                     str(tmp_path), "--no-progress"])
    assert code == 0
    (path,) = tmp_path.glob("*.h5")
    with RunReader(path) as reader:
        assert reader.params["current_max"] == 3e-3 and reader.params["current_step"] == 1e-3


def test_show_lists_instruments_seed_source_and_survives_a_closed_pipe(complete_run):
    from io import StringIO

    out = StringIO()
    cli._cmd_show(type("A", (), {"run": str(complete_run)})(), out)
    text = out.getvalue()
    instruments = next(line for line in text.splitlines() if line.startswith("instruments:"))
    assert "pulser" in instruments and "nanovoltmeter" in instruments
    assert "snapshot_json" not in instruments and "bench" not in instruments.split(":", 1)[1]
    seed = next(line for line in text.splitlines() if line.startswith("seed:"))
    assert "sim.seed = 1" in seed                       # the stream that was in use
    # `spinbench show RUN.h5 | head -1`: no BrokenPipe traceback
    script = ("import sys; from spinbench.protocols.cli import main; sys.exit(main(sys.argv[1:]))")
    show = subprocess.Popen([sys.executable, "-c", script, "show", str(complete_run)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    show.stdout.close()                                 # the reader is gone before any output
    err = show.stderr.read().decode()
    show.wait(timeout=30)
    assert "BrokenPipe" not in err and "Traceback" not in err
    assert "reproduces" in " ".join(cli.build_parser()._subparsers._group_actions[0]
                                   .choices["run"].format_help().split())


def _wait_for_steps(path: Path, n: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert proc.poll() is None, proc.stderr.read()
        if path.exists():
            try:
                with RunReader(path) as reader:
                    if len(reader.completed_steps) >= n:
                        return
            except Exception:
                pass
        time.sleep(0.1)
    raise AssertionError("the run wrote no steps")


def test_after_sigkill_show_says_the_writer_is_gone_and_resume_refuses_another_bench(tmp_path):
    path = tmp_path / "killed.h5"
    script = ("import sys; from spinbench.protocols.runner import run;"
              "from spinbench.protocols.switching import SwitchingLoop;"
              "run(SwitchingLoop, 'sot-hallbar', {'current_max': 8e-3, 'current_step': 0.1e-3,"
              " 'loops': 5}, path=sys.argv[1], progress=False, flush_every=1)")
    proc = subprocess.Popen([sys.executable, "-c", script, str(path)], stderr=subprocess.PIPE,
                            text=True)
    try:
        _wait_for_steps(path, 5, proc)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    from io import StringIO

    out = StringIO()
    cli._cmd_show(type("A", (), {"run": str(path)})(), out)
    text = out.getvalue()
    status = next(line for line in text.splitlines() if line.startswith("status:"))
    assert "gone" in status and "no live process" in status
    assert f"--resume {path}" in text and "--bench sot-hallbar" in text
    # resuming on another bench mixes two devices in one file: refused, naming both
    code = cli.main(["run", "switching-loop", "--bench", "spinloss-low", "--resume", str(path),
                     "--no-progress"])
    assert code == cli.EXIT_USAGE
    with RunReader(path) as reader:
        assert reader.n_points >= 5 and reader.attrs["bench_name"] == "sot-hallbar"


def test_resume_on_another_bench_names_both(tmp_path, capsys):
    path = tmp_path / "aborted.h5"
    from spinbench.protocols.runner import run

    with pytest.raises(KeyboardInterrupt):
        _interrupting_run(run, path)
    capsys.readouterr()
    code = cli.main(["run", "switching-loop", "--bench", "spinloss-low", "--resume", str(path),
                     "--no-progress"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    assert "'sot-hallbar'" in err and "'spinloss-low'" in err
    with RunReader(path) as reader:       # nothing appended
        assert reader.status.value == "aborted"


def _interrupting_run(run, path):
    """A small sot-hallbar run stopped by a KeyboardInterrupt at its third step."""
    from spinbench.protocols.switching import SwitchingLoop

    class Stopping(SwitchingLoop):
        calls = 0

        def measure(self, roles, params, step):
            Stopping.calls += 1
            if Stopping.calls == 3:
                raise KeyboardInterrupt
            return super().measure(roles, params, step)

    run(Stopping(), "sot-hallbar", {"current_max": 3e-3, "current_step": 1e-3}, path=path,
        progress=False)


def test_an_unknown_device_parameter_is_reported_against_the_bench_file(tmp_path, capsys):
    import yaml

    src = REPO / "sim_backend" / "benches" / "sot-hallbar.yaml"
    spec = yaml.safe_load(src.read_text())
    spec["sim"]["device"]["params"] = {"bogus": 1}
    bench = tmp_path / "bad.yaml"
    bench.write_text(yaml.safe_dump(spec))
    code = cli.main(["run", "switching-loop", "--bench", str(bench), "--out", str(tmp_path),
                     "--no-progress", *SMALL])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    assert "sim.device" in err and "'bogus'" in err and "docs/devices.md" in err
    assert "GPIB0::12" not in err and "keithley_6221" not in err
