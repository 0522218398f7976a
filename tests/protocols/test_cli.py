"""The spinbench console script: listings, run/show/analyze, user errors and exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fake_bench import FakeBench, IVSweep
from spinbench.protocols import cli, registry

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake(monkeypatch):
    """Register the test protocol and make ``--bench fake`` load a FakeBench."""
    registry.register(IVSweep)
    benches: list[FakeBench] = []

    def load(name):
        if name != "fake":
            raise FileNotFoundError(f"no bench {name!r}")
        benches.append(FakeBench())
        return benches[-1]

    monkeypatch.setattr(cli, "load_bench", load)
    return benches


def test_benches_lists_name_then_description_one_per_line():
    expected = []
    for path in sorted((REPO / "sim_backend" / "benches").glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        expected.append((data["name"], " ".join(data["description"].split())))
    assert "sot-hallbar" in [name for name, _ in expected]
    script = ("import sys; from spinbench.protocols.cli import main; code = main(['benches']); "
              "print('sim_backend imported:', 'spinbench.sim_backend' in sys.modules); sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == ""
    *lines, imported = done.stdout.splitlines()
    assert imported == "sim_backend imported: False"  # the listing reads data files only
    assert len(lines) == len(expected)
    width = max(len(name) for name, _ in expected)
    for line, (name, description) in zip(lines, sorted(expected), strict=True):
        assert line == f"{name:<{width}}  {description}"
        assert line.split()[0] == name


def test_bad_param_exits_2_with_a_short_message_and_touches_no_bench(fake, tmp_path, capsys):
    code = cli.main(["run", "iv_sweep", "--bench", "fake", "--out", str(tmp_path),
                     "--param", "num=1", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == "spinbench: error: num = 1 is out of range [2, 10000]\n"
    assert fake[0].calls == [] and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv, message", [
    (["run", "nope", "--bench", "fake"], "unknown protocol 'nope'; known protocols: "),
    (["run", "iv_sweep", "--bench", "nowhere"], "no bench 'nowhere'"),
    (["run", "iv_sweep", "--bench", "fake", "--param", "num"], "--param expects name=value"),
    (["run", "iv_sweep", "--bench", "fake", "--param", "stop=50mA"],
     "stop = 0.05 A exceeds the bench limit source.max_current = 0.01 A"),
    (["run", "iv_sweep", "--bench", "fake", "--param", "width=1ms"],
     "unknown parameter 'width'"),
    (["show", "missing.h5"], "missing.h5: no such run file"),
])
def test_user_errors_exit_2_without_traceback(fake, tmp_path, capsys, argv, message):
    code = cli.main([*argv, "--out", str(tmp_path)] if argv[0] == "run" else argv)
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("spinbench: error: ") and message in err
    assert "Traceback" not in err


def test_usage_error_from_argparse_returns_2(capsys):
    assert cli.main(["run"]) == 2
    assert "usage: spinbench run" in capsys.readouterr().err


def test_run_writes_file_and_figure_then_show_and_analyze(fake, tmp_path, capsys):
    code = cli.main(["run", "iv_sweep", "--bench", "fake", "--out", str(tmp_path),
                     "--param", "num=5", "stop=2mA", "--seed", "4", "--no-progress"])
    run_path, png = (Path(line) for line in capsys.readouterr().out.splitlines())
    assert code == 0
    assert run_path.parent == tmp_path and run_path.name.endswith("_iv_sweep.h5")
    assert png == run_path.with_suffix(".png") and png.read_bytes()[:4] == b"\x89PNG"

    assert cli.main(["show", str(run_path)]) == 0
    shown = capsys.readouterr().out
    assert "status:    complete" in shown and "points:    5" in shown
    assert "steps:     5/5" in shown and "  stop = 0.002 A" in shown and "seed:      4" in shown

    png.unlink()
    other = tmp_path / "figs"
    assert cli.main(["analyze", str(run_path), "--out", str(other)]) == 0
    assert Path(capsys.readouterr().out.strip()) == other / png.name
    assert (other / png.name).exists()


def test_ctrl_c_exits_130_keeps_the_file_and_resume_completes(fake, tmp_path, capsys,
                                                             monkeypatch):
    monkeypatch.setattr(registry, "get", lambda name: (lambda: IVSweep(interrupt_at=3)))
    code = cli.main(["run", "iv_sweep", "--bench", "fake", "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 130
    [path] = tmp_path.glob("*.h5")
    assert captured.out.strip() == str(path)
    assert "3/11 steps kept" in captured.err and f"--resume {path}" in captured.err
    monkeypatch.undo()
    registry.register(IVSweep)
    monkeypatch.setattr(cli, "load_bench", lambda name: FakeBench())
    assert cli.main(["run", "iv_sweep", "--bench", "fake", "--resume", str(path)]) == 0
    assert cli.main(["show", str(path)]) == 0
    assert "points:    11" in capsys.readouterr().out


def test_failed_run_exits_1_and_names_the_file(fake, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(registry, "get", lambda name: (lambda: IVSweep(fail_at=2)))
    code = cli.main(["run", "iv_sweep", "--bench", "fake", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert "run failed: RuntimeError: instrument said no" in err and "(marked failed)" in err


def test_protocols_lists_params_with_units_defaults_and_ranges(fake, capsys):
    assert cli.main(["protocols"]) == 0
    out = capsys.readouterr().out
    assert "iv_sweep  Current sweep, voltage read-back" in out
    assert "    roles: source, voltmeter, gaussmeter (optional)" in out
    assert "    start [A] = -0.001  range [-0.1, 0.1] A  first current" in out
    assert "    num = 11  range [2, 10000]  number of steps" in out
