"""`spinbench run --live`: the page plots the run file as it is written (headless chromium)."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from browser import chromium, dump_dom  # noqa: E402


def _state(url: str) -> tuple[str, int]:
    dom = dump_dom(url, budget_ms=1500)
    status = re.search(r'data-status="(\w+)"', dom).group(1)
    points = int(re.search(r'data-points="(\d+)"', dom).group(1))
    return status, points


def test_live_page_follows_a_simulated_run_while_it_writes(tmp_path):
    chromium()                                    # skip early where there is no browser
    env = dict(os.environ, MPLBACKEND="Agg")
    # a long loop (1 uA steps: ~32k pulses); interrupted once the page has been seen to update
    proc = subprocess.Popen([sys.executable, "-m", "spinbench.protocols.cli", "run", "switching-loop",
                             "--bench", "sot-hallbar", "--out", str(tmp_path), "--no-progress",
                             "--param", "current_step=1uA", "--live"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stderr.readline()
        url = re.search(r"live view: (http://127\.0\.0\.1:\d+/)", line).group(1)
        seen = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status, points = _state(url)
            if status == "running" and points > 0:
                seen.append(points)
            if len(seen) >= 2 and seen[-1] > seen[0]:
                break
            time.sleep(0.5)
        assert len(seen) >= 2 and seen[-1] > seen[0], seen
        # the JSON the page plots is what the file holds: the loop's current column, in A
        data = json.loads(urllib.request.urlopen(url + "data.json", timeout=10).read())
        assert data["protocol"] == "switching-loop" and data["status"] == "running"
        assert "pulse_current" in data["names"]
        assert data["units"]["pulse_current"] == "A" and data["units"]["hall_resistance"] == "ohm"
        assert len(data["columns"]["pulse_current"]) == len(data["columns"]["step"]) == data["n_points"]
        assert max(abs(v) for v in data["columns"]["pulse_current"] if v is not None) <= 8e-3 + 1e-9
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    assert proc.returncode == 130                            # interrupted: aborted, points kept
