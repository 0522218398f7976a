"""Fault matrix: every injected fault type x every protocol on the simulated sot-hallbar bench.

For each cell the script runs the protocol with one fault injected at the VISA layer (the
fault's instrument and command count below), then, if the run did not complete, resumes it on
the same bench without the fault (the cable plugged back in), and prints: the points the faulty
run kept, whether the resume completed the run, the instruments' final state (sources off,
magnets at zero), the extremes the simulator saw and whether any exceeded the bench's limits.

Usage: ``python benchmarks/fault_matrix.py [--protocols switching-loop field-loop ...]``.
Target (issue 12): every cell keeps its completed points, ends safe, never exceeds a limit.
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pyvisa
import yaml

from spinbench.instruments import Bench
from spinbench.protocols import registry
from spinbench.protocols.runcheck import check_run
from spinbench.protocols.runner import run
from spinbench.protocols.runstore import RunReader
from spinbench.sim_backend.visa_library import reset_benches

NVM, PULSER, MAGNET = "GPIB0::7::INSTR", "GPIB0::12::INSTR", "GPIB0::6::INSTR"
FAULTS = {
    "timeout": [{"instrument": NVM, "kind": "timeout", "at_command": 30}],
    "garbled": [{"instrument": NVM, "kind": "garbled", "at_command": 30}],
    "truncated": [{"instrument": NVM, "kind": "truncated", "at_command": 30}],
    "error in queue": [{"instrument": PULSER, "kind": "error", "at_command": 20}],
    "reset (power cycle)": [{"instrument": NVM, "kind": "reset", "at_command": 30},
                            {"instrument": NVM, "kind": "timeout", "at_command": 30}],
    "slow reply": [{"instrument": NVM, "kind": "slow", "at_command": 30, "delay": 2.0}],
    "dropped connection": [{"instrument": NVM, "kind": "drop", "at_command": 40}],
    "magnet supply lost": [{"instrument": MAGNET, "kind": "drop", "at_command": 6}],
}
PROTOCOLS = {
    "switching-loop": {"current_step": "1mA", "current_max": "8mA"},
    "field-loop": {"field_max": "60mT", "field_step": "10mT"},
    "switching-probability": {"amplitudes": "5mA,6mA", "widths": "1ms", "repeats": 20},
}
LIMITS = {"current": 0.02, "field": 0.15}


def _bench(folder: Path, faults: list[dict]) -> Path:
    data = yaml.safe_load(Bench.load("sot-hallbar").path.read_text())
    data["sim"]["faults"] = faults
    path = folder / f"bench_{abs(hash(str(faults)))}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def cell(protocol: str, params: dict, faults: list[dict], folder: Path) -> dict:
    reset_benches()
    bench = _bench(folder, faults)
    path = folder / f"{protocol}_{abs(hash(str(faults)))}.h5"
    error = ""
    try:
        run(registry.get(protocol)(), str(bench), params, path=path, seed=1, progress=False)
    except Exception as exc:
        error = f"{type(exc).__name__}"
    world = pyvisa.ResourceManager(f"{bench}@spinbench").visalib.world
    safe = (all(a == 0 for _, a in world.sources.values())
            and all(abs(c.setpoint) < 1e-12 for c in world.coils.values()))
    ext = world.extremes.as_dict()
    kept = check_run(path) if path.exists() else None
    points = kept.points if kept else 0
    status = kept.status if kept else "no file"
    resumed = "-"
    if status not in ("complete", "no file"):
        clean = _bench(folder, [])
        try:
            run(registry.get(protocol)(), str(clean), None, resume=path, progress=False)
            with RunReader(path) as r:
                resumed = r.status.value
        except Exception as exc:
            resumed = f"failed ({type(exc).__name__})"
    exceeded = ext["current"] > LIMITS["current"] + 1e-12 or ext["field"] > LIMITS["field"] + 1e-12
    return {"status": status, "error": error, "points kept": points, "resumed": resumed,
            "safe": safe, "max I (mA)": ext["current"] * 1e3, "max B (mT)": ext["field"] * 1e3,
            "limit exceeded": exceeded, "check": kept.verdict if kept else "-"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--protocols", nargs="*", default=list(PROTOCOLS))
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for protocol in args.protocols:
            for fault, spec in FAULTS.items():
                r = cell(protocol, PROTOCOLS[protocol], spec, Path(tmp))
                rows.append((protocol, fault, r))
                print(f"{protocol:22s} {fault:20s} status={r['status']:9s} kept={r['points kept']:4d} "
                      f"check={r['check']:9s} resumed={r['resumed']:9s} safe={r['safe']!s:5s} "
                      f"maxI={r['max I (mA)']:6.2f} mA maxB={r['max B (mT)']:6.1f} mT "
                      f"exceeded={r['limit exceeded']} {r['error']}", flush=True)
    bad = [(p, f) for p, f, r in rows if not r["safe"] or r["limit exceeded"] or r["check"] == "damaged"
           or r["resumed"] not in ("-", "complete")]
    print(f"\n{len(rows)} cells; {len(rows) - len(bad)} keep their points, end safe, stay within "
          f"limits and resume to complete; failing cells: {bad or 'none'}")


if __name__ == "__main__":
    main()
