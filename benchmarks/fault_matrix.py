"""Fault matrix: every fault kind x every protocol, each on its simulated bench.

For each protocol the script first runs it without a fault (the reference: its simulated
duration T and its points), then once per fault kind with that fault injected at T/2 on the
instrument of the role it concerns (a meter's reply lost, garbled or cut; an error pushed into
the source's (else the meter's) queue; the magnet supply -- else the meter -- power-cycled silently; a slow reply;
the meter's cable pulled; the magnet supply tripping on its voltage protection; the device
destroyed by over-voltage at 70 % of the largest voltage the reference run applied to it).
When the faulty run did not complete, it is resumed on the same bench without the fault.
The faulty runs check their instruments after every step (``flush_seconds=0``), so the points
a run keeps do not depend on the machine's speed.

Printed per cell: whether the fault fired, the faulty run's status, the points it kept (and
whether every one of them is still in the file after the resume), ``spinbench check``'s
verdict, the resumed status, the bench's final state (sources off, magnets at zero, lasers
and RF off), the extremes the simulator saw and whether any output exceeded its instrument's
limit in the bench file.  ``--markdown FILE`` writes the table.

Usage: ``python benchmarks/fault_matrix.py [--protocols switching-loop ...] [--faults drop ...]``.
Target (issue 12): every cell keeps its completed points, resumes to complete, ends safe and
never exceeds a limit.
"""
from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyvisa
import yaml

from spinbench.instruments import Bench
from spinbench.protocols import registry
from spinbench.protocols.runcheck import check_run
from spinbench.protocols.runner import run
from spinbench.protocols.runstore import RunReader
from spinbench.sim_backend.benches import builtin_dir, canonical
from spinbench.sim_backend.visa_library import reset_benches

#: protocol -> (bench, small parameters)
PROTOCOLS: dict[str, tuple[str, dict[str, Any]]] = {
    "switching-loop": ("sot-hallbar", {"current_step": "1mA", "current_max": "8mA"}),
    "field-loop": ("sot-hallbar", {"field_max": "60mT", "field_step": "10mT"}),
    "switching-probability": ("sot-hallbar", {"amplitudes": "5mA,6mA", "widths": "1ms",
                                              "repeats": 20}),
    "critical-current-vs-width": ("sot-hallbar", {"widths": "1ms,2ms", "repeats": 10}),
    "harmonic-hall": ("sot-hallbar", {"states": "up", "points": 5, "time_constant": 0.01,
                                      "current_rms": 1e-3}),
    "thermovoltage-map": ("thermo-mtj", {"n_bias": 3, "powers": "0.02", "averages": 2,
                                         "points": 500}),
    "spike-statistics": ("thermo-mtj", {"captures": 2, "biases": "0.6e-3", "powers": "0,0.04"}),
    "ctc-states": ("tilted-synapse", {"cycles": 4}),
    "potentiation-depression": ("tilted-synapse", {"cycles": 1, "n_pulses": 8,
                                                   "amplitude_p": 5.2e-3, "amplitude_d": -5.2e-3}),
    "spin-diode-map": ("rf-mtj", {"fields": "0.05,0.1", "freq_start": 4.4e9, "freq_stop": 11.6e9,
                                  "freq_points": 21, "power_dbm": -25.0}),
    "emission-spectra": ("sto-spectrum", {"fields": "0.05", "averages": 2}),
    "injection-locking": ("rf-mtj", {"powers_dbm": "-30,-20", "points": 201}),
    "rf-network-inference": ("rf-network", {"samples": 4, "averages": 1, "points": 401,
                                            "network": str(builtin_dir() / "rf-network.npz")}),
}
#: roles whose instrument reads (first present is "the meter"), drives, or makes the field
METERS = ("voltmeter", "lock_in", "spectrum_analyzer", "scope", "source_meter", "gaussmeter")
SOURCES = ("current_source", "source_meter", "rf_source", "laser")
MAGNETS = ("field_x", "field_z", "field_y")
FAULTS = ("timeout", "garbled", "truncated", "error in queue", "reset (silent power cycle)",
          "slow reply", "dropped connection", "magnet supply trip", "device breakdown")


class Cell(dict):
    """One row of the table."""


def _roles_of(protocol: Any, bench: Bench) -> dict[str, str]:
    """role -> canonical address of the instruments the protocol uses on this bench."""
    names = [*protocol.required_roles(), *protocol.optional_roles()]
    return {r: canonical(bench.instruments[bench.roles[r]].address) for r in names if r in bench.roles}


def _faults(kind: str, roles: dict[str, str], t: float, bench: Bench, ref: dict) -> list[dict] | None:
    source = next((roles[r] for r in SOURCES if r in roles), None)
    # a protocol that reads through its source (a synapse's 6221 + linked 2182A): the source
    meter = next((roles[r] for r in METERS if r in roles), source)
    magnet = next((roles[r] for r in MAGNETS if r in roles), None)
    kepco = magnet if magnet and _model(bench, magnet) == "kepco_bop" else None
    at = {"at_time": round(t, 6)}
    table = {
        "timeout": meter and [{"instrument": meter, "kind": "timeout", **at}],
        "garbled": meter and [{"instrument": meter, "kind": "garbled", **at}],
        "truncated": meter and [{"instrument": meter, "kind": "truncated", **at}],
        "error in queue": (source or meter) and [{"instrument": source or meter, "kind": "error",
                                                  "code": -350, **at}],
        "reset (silent power cycle)": (magnet or meter) and [{"instrument": magnet or meter,
                                                             "kind": "reset", **at}],
        "slow reply": meter and [{"instrument": meter, "kind": "slow", "delay": 2.0, **at}],
        "dropped connection": meter and [{"instrument": meter, "kind": "drop", **at}],
        "magnet supply trip": kepco and [{"instrument": kepco, "kind": "trip", **at}],
        "device breakdown": ref["voltage"] > 0 and [{"device": ref["device"], "kind": "breakdown",
                                                     "voltage": 0.7 * ref["voltage"]}],
    }
    return table[kind] or None


def _model(bench: Bench, address: str) -> str:
    sim = (bench.raw.get("sim") or {}).get("instruments") or {}
    for addr, cfg in sim.items():
        if canonical(addr) == address:
            return str(cfg.get("model"))
    return ""


def _bench_file(folder: Path, name: str, faults: list[dict]) -> Path:
    data = yaml.safe_load(Bench.load(name).path.read_text())
    data["sim"]["faults"] = faults
    path = folder / f"{name}-{abs(hash(str(faults)))}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _world(bench_path: Path) -> Any:
    return pyvisa.ResourceManager(f"{bench_path}@spinbench").visalib


def _safe(world: Any) -> bool:
    return (all(a == 0 for _, a in world.sources.values())
            and all(abs(c.setpoint) < 1e-12 for c in world.coils.values())
            and not world.lasers and not world.rf_sources)


def _exceeded(world: Any, bench: Bench) -> list[str]:
    """Outputs over their own instrument's limit (bench file), e.g. ``pulser current``."""
    sim = (bench.raw.get("sim") or {}).get("instruments") or {}
    coil_of = {canonical(a): (c.get("connect") or {}).get("output") for a, c in sim.items()}
    over = []
    for name, spec in bench.instruments.items():
        lim, addr = spec.limits, canonical(spec.address)
        checks = [("current", addr, lim.max_current), ("voltage", addr, lim.compliance_voltage),
                  ("field", coil_of.get(addr), lim.max_field),
                  ("laser_power", addr, lim.max_laser_power),
                  ("rf_power_dbm", addr, lim.max_rf_power_dbm)]
        for what, key, bound in checks:
            seen = world.extremes.each.get((what, key))
            if bound is not None and seen is not None and seen > bound * (1 + 1e-9) + 1e-15:
                over.append(f"{name} {what} {seen:.4g} > {bound:.4g}")
    return over


def _steps(path: Path) -> dict[int, int]:
    with RunReader(path) as r:
        steps = r.column("step")[: r.n_points]
    return dict(zip(*np.unique(steps, return_counts=True)))


def reference(protocol: str, folder: Path) -> dict:
    bench_name, params = PROTOCOLS[protocol]
    reset_benches()
    bench_path = _bench_file(folder, bench_name, [])
    path = folder / f"{protocol}-ref.h5"
    t0 = time.perf_counter()
    result = run(registry.get(protocol)(), str(bench_path), params, path=path, seed=1, progress=False)
    lib = _world(bench_path)
    world = lib.world
    devices = list(world.devices)
    return {"T": world.now, "points": result.n_points, "wall": time.perf_counter() - t0,
            "voltage": max((v for (w, _), v in world.extremes.each.items() if w == "voltage"),
                           default=0.0), "device": devices[0], "status": result.status.value}


def cell(protocol: str, kind: str, ref: dict, folder: Path) -> Cell:
    bench_name, params = PROTOCOLS[protocol]
    bench = Bench.load(bench_name)
    proto = registry.get(protocol)()
    faults = _faults(kind, _roles_of(proto, bench), 0.5 * ref["T"], bench, ref)
    if faults is None:
        return Cell(status="n/a")
    reset_benches()
    bench_path = _bench_file(folder, bench_name, faults)
    path = folder / f"{protocol}-{kind.split()[0]}.h5"
    error = ""
    try:
        # instruments checked after every step: the points kept do not depend on the load
        run(proto, str(bench_path), params, path=path, seed=1, progress=False, flush_seconds=0.0)
    except Exception as exc:
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:70]}"
    lib = _world(bench_path)
    world = lib.world
    fired = ("dut" in world.destroyed or bool(world.destroyed)) if kind == "device breakdown" else any(
        f.fired for e in lib.bench.emulators.values() for f in getattr(e, "faults", ()))
    safe, over = _safe(world), _exceeded(world, bench)
    ext = world.extremes
    report = check_run(path) if path.exists() else None
    kept = _steps(path) if report and report.verdict != "damaged" else {}
    status = report.status if report else "no file"
    resumed, all_kept = "-", True
    if status not in ("complete", "no file"):
        clean = _bench_file(folder, bench_name, [])
        try:
            run(registry.get(protocol)(), str(clean), None, resume=path, progress=False)
            with RunReader(path) as r:
                resumed = r.status.value
        except Exception as exc:
            resumed = f"failed ({type(exc).__name__})"
        after = _steps(path)
        all_kept = all(after.get(k, 0) >= n for k, n in kept.items())
    return Cell(status=status, fired=fired, kept=sum(kept.values()), all_kept=all_kept,
                check=report.verdict if report else "-", resumed=resumed, safe=safe,
                max_I_mA=ext.current * 1e3, max_V=ext.voltage, max_B_mT=ext.field * 1e3,
                max_laser_mW=ext.laser_power * 1e3,
                max_rf_dBm=ext.rf_power_dbm, exceeded="; ".join(over) or "no", error=error)


def green(c: Cell, kind: str = "") -> bool:
    """Fired, kept its points, resumed to complete, ended safe, within limits -- and a destroyed
    device was noticed (a run that completes over an open circuit recorded noise as data)."""
    if c["status"] == "n/a":
        return True
    if kind == "device breakdown" and c["status"] == "complete":
        return False
    return (c["fired"] and c["safe"] and c["exceeded"] == "no" and c["all_kept"]
            and c["check"] != "damaged" and c["resumed"] in ("-", "complete"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--protocols", nargs="*", default=list(PROTOCOLS))
    ap.add_argument("--faults", nargs="*", default=list(FAULTS))
    ap.add_argument("--markdown", help="also write the table to this file")
    args = ap.parse_args()
    rows: list[tuple[str, str, Cell]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for protocol in args.protocols:
            ref = reference(protocol, folder)
            print(f"{protocol}: reference {ref['status']}, {ref['points']} points, "
                  f"{ref['T']:.2f} s simulated, {ref['wall']:.1f} s wall; largest voltage on "
                  f"the device {ref['voltage']:.3g} V", flush=True)
            for kind in args.faults:
                c = cell(protocol, kind, ref, folder)
                rows.append((protocol, kind, c))
                if c["status"] == "n/a":
                    print(f"  {kind:27s} n/a (no instrument of that kind in its roles)", flush=True)
                    continue
                rf = "-" if not math.isfinite(c["max_rf_dBm"]) else f"{c['max_rf_dBm']:.1f}"
                print(f"  {kind:27s} {'GREEN' if green(c, kind) else 'RED  '} fired={c['fired']!s:5s} "
                      f"status={c['status']:8s} kept={c['kept']:5d} all-kept={c['all_kept']!s:5s} "
                      f"check={c['check']:9s} resumed={c['resumed']:9s} safe={c['safe']!s:5s} "
                      f"maxI={c['max_I_mA']:.3g}mA maxV={c['max_V']:.3g}V maxB={c['max_B_mT']:.3g}mT "
                      f"maxP={c['max_laser_mW']:.3g}mW maxRF={rf}dBm exceeded={c['exceeded']} "
                      f"{c['error']}", flush=True)
    bad = [(p, k) for p, k, c in rows if not green(c, k)]
    n = sum(1 for *_, c in rows if c["status"] != "n/a")
    print(f"\n{len(rows)} cells ({n} applicable): {n - len(bad)} fire, keep their points, "
          f"resume to complete, end safe and stay within limits; failing cells: {bad or 'none'}")
    if args.markdown:
        _markdown(Path(args.markdown), rows)


def _markdown(path: Path, rows: list[tuple[str, str, Cell]]) -> None:
    head = ("| protocol | fault | ok | status | kept | all kept | check | resumed | safe | "
            "max I (mA) | max V (V) | max B (mT) | limit exceeded | error |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for p, k, c in rows:
        if c["status"] == "n/a":
            lines.append(f"| {p} | {k} | n/a | | | | | | | | | | | |")
            continue
        lines.append(f"| {p} | {k} | {'yes' if green(c, k) else 'NO'} | {c['status']} | {c['kept']} | "
                     f"{c['all_kept']} | {c['check']} | {c['resumed']} | {c['safe']} | "
                     f"{c['max_I_mA']:.3g} | {c['max_V']:.3g} | {c['max_B_mT']:.3g} | "
                     f"{c['exceeded']} | {c['error']} |")
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
