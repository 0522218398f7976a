"""One ``spinbench`` namespace: a lab's own ``instruments.py`` / ``analysis.py`` / ``protocols.py``
beside its script never shadows ours (issue 7, part 1)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py

ROOT = Path(__file__).resolve().parents[1]
SHADOW = "raise ImportError('the lab\\'s own {name}.py was imported instead of spinbench.{name}')\n"


def lab_dir(tmp_path: Path) -> Path:
    for name in ("instruments", "analysis", "protocols", "sim_backend"):
        (tmp_path / f"{name}.py").write_text(SHADOW.format(name=name))
    return tmp_path


def test_cli_runs_from_a_folder_with_its_own_instruments_and_analysis(tmp_path):
    lab = lab_dir(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-m", "spinbench.protocols.cli", "run", "switching-loop",
                           "--bench", "sot-hallbar", "--param", "current_step=1mA", "--out", str(lab / "runs"),
                           "--no-progress"], cwd=lab, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    runs = sorted((lab / "runs").glob("*.h5"))
    assert len(runs) == 1
    with h5py.File(runs[0], "r") as f:
        assert f.attrs["status"] == "complete"


def test_example_script_runs_beside_shadowing_modules(tmp_path):
    lab = lab_dir(tmp_path)
    script = shutil.copy(ROOT / "examples" / "pymeasure_switching.py", lab / "my_script.py")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env |= {"PYVISA_LIBRARY": "sot-hallbar@spinbench", "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(script)], cwd=lab, env=env, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("R_H =") == 6
