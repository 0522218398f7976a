"""Live view of a run as it is written: ``spinbench run ... --live``.

A small HTTP server on 127.0.0.1 (loopback unless the user asks otherwise) serves one page and
``/data.json``. The data come from the run file (a SWMR reader opened per request), never from
the instruments, so the view cannot disturb the measurement and shows exactly what is on disk.
The page polls every half second, plots any column against any other (default: the first two
declared columns) on a canvas, and shows status, points and rate. It needs no network: no
script or font is fetched from anywhere.

The page records what it shows in ``<body data-status=... data-points=...>`` so a headless
browser can check it updates (tests do).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np

from spinbench.protocols.runstore import RunReader, RunStoreError

__all__ = ["LiveServer", "snapshot"]

#: at most this many (most recent) points are sent per poll
MAX_POINTS = 20_000

_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>spinbench live: __NAME__</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5em}canvas{border:1px solid #ccc}
#info span{margin-right:1.5em}select{margin-right:1em}</style></head>
<body data-status="waiting" data-points="0"><h1>__NAME__</h1>
<div id="info"><span id="status">waiting for the run file</span><span id="points"></span>
<span id="rate"></span></div>
<p>x <select id="x"></select> y <select id="y"></select></p>
<canvas id="plot" width="900" height="480"></canvas>
<script>
const cv = document.getElementById('plot'), ctx = cv.getContext('2d');
const sx = document.getElementById('x'), sy = document.getElementById('y');
let last = null, lastN = 0, lastT = Date.now();
function options(names, units) {
  if (sx.options.length) return;
  names.forEach((n, i) => {
    for (const s of [sx, sy]) { const o = document.createElement('option');
      o.value = n; o.text = units[n] ? n + ' [' + units[n] + ']' : n; s.add(o); }
  });
  sx.value = names[0]; sy.value = names[Math.min(1, names.length - 1)];
}
function draw(d) {
  ctx.clearRect(0, 0, cv.width, cv.height);
  const xs = d.columns[sx.value] || [], ys = d.columns[sy.value] || [];
  if (!xs.length) return;
  const fin = v => Number.isFinite(v);
  const xf = xs.filter(fin), yf = ys.filter(fin);
  if (!xf.length || !yf.length) return;
  let x0 = Math.min(...xf), x1 = Math.max(...xf), y0 = Math.min(...yf), y1 = Math.max(...yf);
  if (x1 === x0) { x0 -= 1; x1 += 1; } if (y1 === y0) { y0 -= 1; y1 += 1; }
  const m = 50, W = cv.width - 2 * m, H = cv.height - 2 * m;
  ctx.strokeStyle = '#888'; ctx.strokeRect(m, m, W, H);
  ctx.fillStyle = '#333'; ctx.font = '12px sans-serif';
  ctx.fillText(x0.toPrecision(4), m, cv.height - m + 15);
  ctx.fillText(x1.toPrecision(4), m + W - 40, cv.height - m + 15);
  ctx.fillText(y1.toPrecision(4), 2, m + 10); ctx.fillText(y0.toPrecision(4), 2, m + H);
  ctx.fillStyle = '#1f77b4';
  for (let i = 0; i < xs.length; i++) {
    if (!fin(xs[i]) || !fin(ys[i])) continue;
    ctx.fillRect(m + (xs[i] - x0) / (x1 - x0) * W - 1.5, m + H - (ys[i] - y0) / (y1 - y0) * H - 1.5, 3, 3);
  }
}
async function poll() {
  let d;
  try { d = await (await fetch('data.json', {cache: 'no-store'})).json(); }
  catch (e) { document.getElementById('status').textContent = 'server gone'; return; }
  document.body.dataset.status = d.status;
  document.body.dataset.points = d.n_points;
  document.getElementById('status').textContent = 'status: ' + d.status;
  document.getElementById('points').textContent = 'points: ' + d.n_points +
      (d.n_steps > 0 ? ' (steps ' + d.steps_done + '/' + d.n_steps + ')' : '');
  const now = Date.now();
  if (d.n_points > lastN) document.getElementById('rate').textContent =
      ((d.n_points - lastN) / ((now - lastT) / 1000)).toFixed(1) + ' points/s';
  lastN = d.n_points; lastT = now;
  if (d.names && d.names.length) { options(d.names, d.units); last = d; draw(d); }
  if (d.status === 'waiting' || d.status === 'running') setTimeout(poll, 500);
}
sx.onchange = sy.onchange = () => last && draw(last);
poll();
</script></body></html>"""


def snapshot(path: Path, max_points: int = MAX_POINTS) -> dict[str, Any]:
    """What ``/data.json`` answers: status, counts, units and the last ``max_points`` values of
    every scalar column (NaN as null)."""
    if not Path(path).exists():
        return {"status": "waiting", "n_points": 0, "names": [], "columns": {}, "units": {}}
    try:
        with RunReader(path) as reader:
            n = reader.n_points
            status = reader.status.value
            names = [c.name for c in reader.columns]
            start = max(0, n - max_points)
            columns = {}
            for name in names + ["step", "timestamp"]:
                values = np.asarray(reader.column(name, start)[: n - start], dtype=float)
                columns[name] = [None if not np.isfinite(v) else float(v) for v in values]
            return {"status": status, "protocol": reader.protocol, "n_points": n,
                    "n_steps": reader.n_steps, "steps_done": len(reader.completed_steps),
                    "names": names, "units": reader.units, "columns": columns}
    except (RunStoreError, OSError, KeyError) as exc:
        # a file being created (before SWMR is on) is not readable for a moment
        return {"status": "waiting", "n_points": 0, "names": [], "columns": {}, "units": {},
                "note": str(exc)}


class LiveServer:
    """Serves the live page of one run file in a background thread.

    Parameters
    ----------
    path
        The run file (it may not exist yet: the page waits for it).
    host, port
        Where to listen; ``127.0.0.1`` by default, port 0 picks a free one (see :attr:`url`).
    """

    def __init__(self, path: str | Path, host: str = "127.0.0.1", port: int = 0):
        self.path = Path(path)
        page = _PAGE.replace("__NAME__", self.path.name).encode("utf-8")
        run_path = self.path

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                route = urlparse(self.path)
                if route.path in ("/", "/index.html"):
                    body, kind = page, "text/html; charset=utf-8"
                elif route.path == "/data.json":
                    limit = int(parse_qs(route.query).get("max", [MAX_POINTS])[0])
                    body = json.dumps(snapshot(run_path, min(limit, MAX_POINTS))).encode()
                    kind = "application/json"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:   # quiet: the run's terminal is for the run
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="spinbench-live",
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
