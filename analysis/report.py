"""``spinbench report``: one self-contained HTML page for a run or a campaign of runs.

The page holds, per run: status and times, the protocol's parameters with units, every
instrument's identity and settings snapshot, the fit values of the analysis summary as tables,
and the analysis figures embedded as PNG data URIs (no file beside the page is needed: it can be
mailed or attached to an ELN entry). Figures are (re)made by the protocol's registered analysis
into a temporary folder; a run whose analysis fails still gets its page, with the error shown.

A small script at the end of the page marks ``<body data-figures-rendered="N"
data-figures="M">`` once the browser has decoded the images, so a headless browser can check
that every figure really renders (tests do).
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from spinbench.analysis import registry
from spinbench.protocols.runstore import RunReader, RunStoreError

__all__ = ["render_report", "write_report"]

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.5em}h2{font-size:1.25em;border-bottom:1px solid #ccc;margin-top:2em}
h3{font-size:1.05em;margin-bottom:.3em}
table{border-collapse:collapse;margin:.4em 0 1em}td,th{border:1px solid #ddd;padding:2px 8px;
text-align:left;vertical-align:top}th{background:#f4f4f4}td.num{text-align:right;
font-variant-numeric:tabular-nums}.status-complete{color:#176617}.status-failed,.status-killed
{color:#a31515}.status-aborted,.status-running{color:#8a5a00}figure{margin:1em 0}
figure img{max-width:100%;border:1px solid #eee}pre{background:#f8f8f8;padding:.5em;
overflow:auto;max-height:20em}nav a{margin-right:1em}
"""

_SCRIPT = """
<script>
(function(){
  const imgs = Array.from(document.querySelectorAll('figure img'));
  document.body.dataset.figures = imgs.length;
  Promise.all(imgs.map(i => i.decode().then(() => i.naturalWidth > 0, () => false)))
    .then(ok => { document.body.dataset.figuresRendered = ok.filter(Boolean).length; });
})();
</script>
"""


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _fmt(value: Any, unit: str = "") -> str:
    if isinstance(value, float):
        text = "NaN" if math.isnan(value) else f"{value:.6g}"
    elif isinstance(value, (list, tuple)):
        text = ", ".join(_fmt(v) for v in value)
    else:
        text = str(value)
    if text == "":
        return "-"                      # an empty value, not its unit alone
    return f"{text} {unit}".rstrip()


def _table(rows: Iterable[Sequence[Any]], header: Sequence[str]) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for cell in row:
            cls = ' class="num"' if isinstance(cell, (int, float)) and not isinstance(cell, bool) else ""
            cells.append(f"<td{cls}>{_esc(_fmt(cell))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _flat(value: Any, prefix: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _flat(v, f"{prefix}{k}." if not isinstance(v, (int, float, str, bool))
                             or isinstance(v, dict) else f"{prefix}{k}")
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for i, v in enumerate(value):
            yield from _flat(v, f"{prefix}{i}.")
    else:
        yield prefix.rstrip("."), value


def _summary_tables(summary: Any) -> str:
    """One table per fit section of an analysis summary, and its top-level scalars in one."""
    if not isinstance(summary, dict):
        return ""
    skip = ("protocol", "params", "status")
    scalars = [(k, v) for k, v in summary.items() if k not in skip
               and isinstance(v, (int, float, str)) and not isinstance(v, bool)]
    parts = ["<h3>results</h3>" + _table(scalars, ("quantity", "value"))] if scalars else []
    for section, content in summary.items():
        if section in skip or content in (None, [], {}):
            continue
        if isinstance(content, dict) or (isinstance(content, list) and content
                                         and all(isinstance(v, dict) for v in content)):
            rows = [(k, v) for k, v in _flat(content) if not isinstance(v, (dict, list)) or
                    (isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v))]
            if rows:
                parts.append(f"<h3>{_esc(section)}</h3>" + _table(rows, ("quantity", "value")))
    return "".join(parts)


def _figure(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure><img alt="{_esc(path.stem)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{_esc(path.name)}</figcaption></figure>")


def _instrument_rows(snapshots: dict[str, Any]) -> Iterable[tuple[str, str, str]]:
    for name, snap in snapshots.items():
        if not isinstance(snap, dict):
            yield name, "", _fmt(snap)
            continue
        for key, value in snap.items():
            text = json.dumps(value, default=str) if isinstance(value, (dict, list)) else _fmt(value)
            yield name, key, text


def _run_section(path: Path, anchor: str) -> str:
    try:
        with RunReader(path) as reader:
            attrs = reader.attrs
            status = reader.status.value
            if status == "running" and not reader.writer_alive():
                status = "killed"
            units = reader.param_units
            params = [(k, _fmt(v, units.get(k, ""))) for k, v in reader.params.items()]
            head = [("protocol", reader.protocol), ("bench", attrs.get("bench_name") or "-"),
                    ("status", status), ("started", attrs.get("started_at", "")),
                    ("ended", reader.ended_at or "-"), ("points", reader.n_points),
                    ("steps", f"{len(reader.completed_steps)}/{reader.n_steps}"),
                    ("seed", "-" if reader.seed is None else reader.seed)]
            snapshots = reader.snapshots
            error = reader.error
            versions = reader.versions
            with tempfile.TemporaryDirectory() as tmp:
                try:
                    written = registry.analyze(reader, Path(tmp))
                    analysis_error = ""
                except Exception as exc:  # the page still shows what the file holds
                    written, analysis_error = [], f"{type(exc).__name__}: {exc}"
                figures = "".join(_figure(Path(p)) for p in written if Path(p).suffix == ".png")
                summaries = [json.loads(Path(p).read_text()) for p in written
                             if Path(p).suffix == ".json"]
    except RunStoreError as exc:
        return f'<section id="{anchor}"><h2>{_esc(path.name)}</h2><p>unreadable: {_esc(exc)}</p></section>'
    parts = [f'<section id="{anchor}"><h2>{_esc(path.name)}</h2>',
             _table(head, ("run", "")).replace(f"<td>{_esc(status)}</td>",
                                               f'<td class="status-{_esc(status)}">{_esc(status)}</td>', 1)]
    if error:
        parts.append(f"<h3>error</h3><pre>{_esc(error)}</pre>")
    parts.append("<h3>parameters</h3>" + _table(params, ("parameter", "value")))
    if figures:
        parts.append("<h3>figures</h3>" + figures)
    for summary in summaries:
        parts.append(_summary_tables(summary))
    if analysis_error:
        parts.append(f"<h3>analysis</h3><p>analysis failed: {_esc(analysis_error)}</p>")
    parts.append("<h3>instruments</h3>" + _table(_instrument_rows(snapshots),
                                                   ("instrument", "setting", "value")))
    parts.append("<details><summary>software versions</summary>"
                 + _table(versions.items(), ("package", "version")) + "</details></section>")
    return "".join(parts)


def render_report(runs: Sequence[str | os.PathLike[str]], title: str | None = None) -> str:
    """The HTML text of a report on one or more run files."""
    paths = [Path(r) for r in runs]
    if not paths:
        raise ValueError("report: give at least one run file")
    title = title or (paths[0].name if len(paths) == 1 else f"{len(paths)} runs")
    sections = [_run_section(p, f"run{i}") for i, p in enumerate(paths)]
    nav = ""
    if len(paths) > 1:
        nav = "<nav>" + "".join(f'<a href="#run{i}">{_esc(p.name)}</a>'
                                for i, p in enumerate(paths)) + "</nav>"
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>spinbench report: {_esc(title)}</title><style>{_CSS}</style></head>"
            f"<body><h1>spinbench report: {_esc(title)}</h1>{nav}{''.join(sections)}"
            f"{_SCRIPT}</body></html>")


def write_report(runs: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str] | None = None,
                 title: str | None = None) -> Path:
    """Write :func:`render_report` to ``out`` (default: ``<first run>.html``); returns the path."""
    paths = [Path(r) for r in runs]
    target = Path(out) if out is not None else paths[0].with_suffix(".html")
    target.write_text(render_report(paths, title), encoding="utf-8")
    return target
