"""Wall time of a 1,000-pulse switching loop on the simulated bench, through the whole stack
(protocol -> roles -> pymeasure drivers -> pyvisa -> @spinbench -> emulators -> physics -> HDF5).

Peer, measured in the same run: the same number of pulse+read cycles written as a bare pyvisa
script (no protocol, no run file, no role layer) on the same simulated bench, i.e. the cost of
the VISA round trips alone.  Target: the whole loop in under 2 s.

    python benchmarks/bench_switching_loop.py [--pulses 1000]
"""
from __future__ import annotations

import argparse
import tempfile
import time

import pyvisa

t_start = time.perf_counter()
from spinbench.instruments.bench import Bench  # noqa: E402
from spinbench.protocols.runner import run
from spinbench.protocols.runstore import RunReader
from spinbench.protocols.switching import SwitchingLoop


def warm_imports() -> float:
    """Import the driver stack (pymeasure, qcodes) and the simulator's physics (scipy) once,
    outside the timing: a session pays it once per process, not per loop."""
    t0 = time.perf_counter()
    import spinbench.instruments.keithley_2450  # noqa: F401  (qcodes)
    import spinbench.sim_backend.benches  # noqa: F401
    import spinbench.sim_backend.physics.adapters  # noqa: F401  (scipy)
    return time.perf_counter() - t0


def protocol_loop(pulses: int) -> tuple[float, int, float]:
    """(total wall s incl. opening the bench, points, wall s of the loop itself from the run
    file's per-point timestamps)."""
    steps_per_branch = pulses // 2
    n = (steps_per_branch - 1) // 2
    params = {"current_max": 5e-3, "current_step": 5e-3 / n, "field_x": 10e-3}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = run(SwitchingLoop, Bench.load("sot-hallbar"), params, out_dir=tmp, progress=False)
        total = time.perf_counter() - t0
        stamps = RunReader(result.path).column("timestamp")
        loop = (stamps[-1] - stamps[0]) * len(stamps) / (len(stamps) - 1)
        return total, result.n_points, loop


def bare_pyvisa(pulses: int) -> float:
    # the virtual clock, as the protocol runner uses: the machine's load never enters the
    # simulated clock (in the default sleep mode, gaps > 1 ms between calls would count)
    rm = pyvisa.ResourceManager("sot-hallbar?clock=virtual@spinbench")
    src = rm.open_resource("GPIB0::12::INSTR", read_termination="\n")
    nv = rm.open_resource("GPIB0::7::INSTR", read_termination="\n")
    t0 = time.perf_counter()
    for k in range(pulses):
        amps = 5e-3 if k % 2 else -5e-3
        src.write(f"SOUR:SWE:SPAC LIST;:SOUR:LIST:CURR {amps};:SOUR:LIST:DEL 1e-3")
        src.write("SOUR:SWE:ARM")
        src.write("INIT:IMM")
        src.query("*OPC?")
        src.write("SOUR:SWE:ABOR")
        src.write("SOUR:CURR 1e-4;:OUTP ON")
        float(nv.query(":READ?"))
        src.write("SOUR:CURR -1e-4")
        float(nv.query(":READ?"))
    dt = time.perf_counter() - t0
    rm.close()
    return dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pulses", type=int, default=1000)
    args = ap.parse_args()
    t_import = warm_imports() + (time.perf_counter() - t_start)
    t_proto, n, t_loop = protocol_loop(args.pulses)
    t_bare = bare_pyvisa(n)
    print(f"switching loop, {n} pulses (pulse + 2 reads each); driver imports {t_import:.2f} s, once")
    print(f"  spinbench protocol, run file and all : {t_proto:7.3f} s  (incl. opening the bench and building the sim world)")
    print(f"  of which the loop (pulses, reads, HDF5): {t_loop:7.3f} s  ({t_loop / n * 1e3:.3f} ms/pulse)")
    print(f"  bare pyvisa loop, same commands      : {t_bare:7.3f} s  ({t_bare / n * 1e3:.3f} ms/pulse)")
    print(f"  ratio loop / bare                    : {t_loop / t_bare:7.2f}")
    print(f"  target < 2 s for the loop            : {'met' if t_loop < 2.0 else 'NOT met'}"
          f" (whole run {'under' if t_proto < 2.0 else 'over'} 2 s)")


if __name__ == "__main__":
    main()
