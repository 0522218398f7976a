"""The shape every protocol follows: no analysis, no matplotlib, no instrument model in its
code; refusals before anything opens; adaptive protocols resume mid-way."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

from spinbench.instruments.bench import Bench, OpenBench
from spinbench.instruments.roles import missing_members
from spinbench.protocols import registry
from spinbench.protocols.base import BenchLike, CheckError, OpenBenchLike
from spinbench.protocols.cli import main
from spinbench.protocols.critical_current import CriticalCurrentVsWidth
from spinbench.protocols.runner import run

from fake_bench import FakeBench

PROTOCOLS_DIR = Path(registry.__file__).parent
#: the runner is the one door from protocols to analysis
MACHINERY_WITH_ANALYSIS = {"runner.py"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(PROTOCOLS_DIR.glob("*.py")), ids=lambda p: p.name)
def test_protocol_modules_import_no_analysis_matplotlib_or_instrument_model(path):
    imports = _imports(path)
    if path.name not in MACHINERY_WITH_ANALYSIS:
        assert not {m for m in imports if m.startswith(("spinbench.analysis", "matplotlib"))}
    allowed = {"spinbench.instruments", "spinbench.instruments.roles",
               "spinbench.instruments.capabilities"}
    models = {m for m in imports if m.startswith("spinbench.instruments") and m not in allowed}
    assert not models, f"{path.name} imports instrument models {models}"
    assert not {m for m in imports if m.startswith("spinbench.sim_backend")}


def test_importing_every_protocol_loads_no_analysis_or_matplotlib():
    code = ("import sys\nfrom spinbench.protocols import registry\nregistry.all_protocols()\n"
            "assert not registry.import_errors(), registry.import_errors()\n"
            "bad = [m for m in sys.modules if m.startswith(('spinbench.analysis', 'matplotlib'))]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_real_bench_and_the_fake_implement_the_typed_bench_interface():
    assert isinstance(Bench.load("sot-hallbar"), BenchLike)
    assert missing_members(OpenBench, OpenBenchLike) == []
    fake = FakeBench()
    assert isinstance(fake, BenchLike)
    with fake.open() as opened:
        assert isinstance(opened, OpenBenchLike)


def test_a_width_no_instrument_times_is_refused_before_anything_opens(tmp_path, monkeypatch,
                                                                       capsys):
    opened = []
    monkeypatch.setattr(Bench, "open", lambda self, *a, **k: opened.append(self))
    with pytest.raises(CheckError, match=r"widths = 1e-09 s .*pulsegen \(keysight_33500b\) pulse width \[1\.6e-08"):
        run(CriticalCurrentVsWidth, Bench.load("sot-hallbar"), {"widths": (1e-9,)},
            out_dir=tmp_path, progress=False)
    code = main(["run", "critical-current-vs-width", "--bench", "sot-hallbar",
                 "--param", "widths=1ns", "--out", str(tmp_path), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "widths = 1e-09 s" in err and "[1.6e-08, 1e+06] s" in err
    assert opened == [] and list(tmp_path.iterdir()) == []    # nothing opened, no run file


def test_a_voltmeter_aperture_the_2182a_lacks_is_refused_before_anything_opens(tmp_path,
                                                                                monkeypatch):
    from spinbench.protocols.switching import SwitchingLoop

    opened = []
    monkeypatch.setattr(Bench, "open", lambda self, *a, **k: opened.append(self))
    # 2182A: 0.01 PLC at the longer (50 Hz) cycle = 0.2 ms shortest; the parameter allows 0.1 ms
    with pytest.raises(CheckError, match=r"integration_time = 0\.0001 s is outside the allowed "
                                         r"range \[0\.0002, 1\] s"):
        run(SwitchingLoop, Bench.load("sot-hallbar"), {"integration_time": 1e-4},
            out_dir=tmp_path, progress=False)
    assert opened == [] and list(tmp_path.iterdir()) == []
