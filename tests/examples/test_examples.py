"""The example lab scripts run unmodified against @spinbench and see the magnetization switch."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sim_backend.devices import SotHallBarSpine

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_SIGNS = [-1, -1, +1, +1, -1, +1]   # -5, +0.5, +5, -0.5, -5, +5 mA at Bx = +10 mT


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
    dev = SotHallBarSpine()
    mz = (1 - (0.01 / dev.bk) ** 2) ** 0.5                  # tilt by the 10 mT in-plane field
    for (amps, r_hall), sign in zip(run_example(script), EXPECTED_SIGNS):
        # above the critical current the state follows sign(I * Bx); 0.5 mA leaves it alone
        assert r_hall == pytest.approx(sign * dev.r_ahe * mz + dev.r_offset, abs=0.01), (amps, r_hall)
