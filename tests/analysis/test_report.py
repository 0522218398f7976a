"""`spinbench report`: a self-contained HTML page per run or campaign, rendered in headless chromium."""
from __future__ import annotations

import re
import sys
from pathlib import Path

from spinbench.protocols import cli

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from browser import dump_dom  # noqa: E402


def _run(tmp_path: Path, field: str, capsys) -> Path:
    code = cli.main(["run", "switching-loop", "--bench", "sot-hallbar", "--out", str(tmp_path),
                     "--param", "current_step=1mA", f"field_x={field}", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    return Path(next(line for line in out.splitlines() if line.endswith(".h5")))


def test_report_of_two_runs_renders_every_figure_in_chromium(tmp_path, capsys):
    runs = [_run(tmp_path / "a", "10mT", capsys), _run(tmp_path / "b", "-10mT", capsys)]
    page = tmp_path / "campaign.html"
    assert cli.main(["report", *map(str, runs), "--out", str(page), "--title", "two fields"]) == 0
    text = page.read_text()
    # self-contained: the figures are data URIs, nothing else is fetched
    assert not re.search(r'src="(?!data:)', text)
    assert text.count('<img alt=') >= 2
    for run in runs:
        assert run.name in text
    assert "current_max" in text and "8 mA" not in text and "0.008 A" in text   # SI units shown
    assert "coercive" in text                                   # the fit table of the summary
    assert "GPIB0::12::INSTR" in text or "KEITHLEY" in text     # instrument settings snapshot
    for _ in range(3):             # a loaded machine may dump before the images are decoded
        dom = dump_dom(page.as_uri(), budget_ms=10_000)
        if "data-figures-rendered=" in dom:
            break
    figures = int(re.search(r'data-figures="(\d+)"', dom).group(1))
    rendered = int(re.search(r'data-figures-rendered="(\d+)"', dom).group(1))
    assert figures >= 2 and rendered == figures


def test_report_of_a_missing_file_is_a_usage_error(tmp_path, capsys):
    assert cli.main(["report", str(tmp_path / "nope.h5")]) == 2
    assert "no such run file" in capsys.readouterr().err


def test_report_shows_the_fit_values_of_every_summary_the_analysis_wrote(tmp_path, capsys):
    """Top-level results (potentiation-depression's nonlinearities) and summaries not named
    ``*_summary.json`` (spike-statistics' ``<stem>_spikes.json``: the Arrhenius fit)."""
    runs = []
    for protocol, bench, params in (
            ("potentiation-depression", "tilted-synapse", ["cycles=2"]),
            ("spike-statistics", "thermo-mtj", ["captures=2", "biases=0.6e-3,1.0e-3", "powers=0,0.04"])):
        argv = ["run", protocol, "--bench", bench, "--out", str(tmp_path / protocol), "--no-progress"]
        for p in params:
            argv += ["--param", p]
        assert cli.main(argv) == 0
        runs.append(next(ln for ln in capsys.readouterr().out.splitlines() if ln.endswith(".h5")))
    page = tmp_path / "report.html"
    assert cli.main(["report", *runs, "--out", str(page)]) == 0
    text = page.read_text()
    assert "nonlinearity_ltp" in text and "dynamic_range" in text
    assert "e_spike_eV" in text
