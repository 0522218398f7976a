"""The example lab scripts run unmodified against @spinbench and see the magnetization switch."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from spinbench.sim_backend.physics.presets import make_device

ROOT = Path(__file__).resolve().parents[2]
# -12, +1, +12, -1, -12, +12 mA at Bx = +10 mT on W/CoFeB (xi_DL < 0: m_z = -sign(I Bx)); 1 mA does nothing
EXPECTED_SIGNS = [+1, +1, -1, -1, +1, -1]


def run_example(name: str) -> list[tuple[float, float]]:
    env = dict(os.environ, PYVISA_LIBRARY="sot-hallbar@spinbench", MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / name)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = re.findall(r"pulse\s+([+-][\d.]+) mA -> R_H = ([+-][\d.]+) ohm", proc.stdout)
    assert len(rows) == len(EXPECTED_SIGNS), proc.stdout
    return [(float(i), float(r)) for i, r in rows]


@pytest.mark.parametrize("script", ["pymeasure_switching.py", "qcodes_switching.py"])
def test_unmodified_script_sees_current_induced_switching(script):
    dev = make_device("sot_hallbar", {})                   # the sot-hallbar bench's device
    assert dev.critical_current(0.01) < 12e-3 and dev.switching_current_50(0.01, 1.0) > 1e-3
    mz = (1 - (0.01 / dev.p.b_k_eff) ** 2) ** 0.5           # tilt by the 10 mT in-plane field
    for (amps, r_hall), sign in zip(run_example(script), EXPECTED_SIGNS):
        assert r_hall == pytest.approx(sign * dev.p.r_ahe * mz + dev.p.r_offset, abs=0.01), (amps, r_hall)


def test_lab_ci_example_passes_with_the_installed_pytest_plugin():
    """examples/test_lab_switching.py is a lab's own test: it needs only the installed plugin."""
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           str(ROOT / "examples" / "test_lab_switching.py")],
                          env=dict(os.environ, MPLBACKEND="Agg"), cwd=ROOT / "examples",
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert re.search(r"\b1 passed\b", proc.stdout), proc.stdout[-2000:]
