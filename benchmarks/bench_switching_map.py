"""Switching-probability map on the simulated bench: buffered write/read sequences vs one VISA
round trip per pulse.

Map: 20 amplitudes x 10 widths x 1,000 repeats = 200,000 reset -> write -> read cycles with
``spinbench``'s ``switching-probability`` protocol (the 6221 list sweep + 2182A buffer of
:meth:`instruments.keithley_6221.Keithley6221.write_read`), timed end to end (run file
included).  Peer: the same cycles driven one pulse and one reading at a time through unmodified
pymeasure drivers (``Keithley6221`` / ``Keithley2182`` over ``@spinbench``, as a lab script
does): a slice is timed and extrapolated to 200,000 cycles.  Prints both and the ratio.

    python benchmarks/bench_switching_map.py [--repeats 1000] [--slice 300]
"""
from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np


def _world(lib: str):
    import pyvisa
    rm = pyvisa.ResourceManager(lib)        # holds the simulated world open across sessions
    return rm, rm.visalib.world


def buffered_map(repeats: int, out_dir: str) -> tuple[float, float, int]:
    """(wall s, instrument s on the simulated clock, rows) of the whole map."""
    from spinbench.instruments.bench import Bench
    from spinbench.protocols.runner import run
    from spinbench.protocols.switching_probability import SwitchingProbability

    rm, world = _world(f"{Bench.load('sot-hallbar').path}@spinbench")

    # around the 50 % currents of the bench's W/CoFeB Hall bar at Bx = 10 mT (5.2..5.5 mA)
    params = {"amplitudes": tuple(np.round(np.linspace(4.8e-3, 6.2e-3, 20), 9)),
              "widths": tuple(np.round(np.geomspace(1e-3, 10e-3, 10), 6)),
              "repeats": repeats, "field_x": 10e-3}
    try:
        t0, v0 = time.perf_counter(), world.now
        result = run(SwitchingProbability, "sot-hallbar", params, out_dir=out_dir, seed=1,
                     progress=False)
        return time.perf_counter() - t0, world.now - v0, result.n_points
    finally:
        rm.close()


def per_pulse_slice(cycles: int) -> tuple[float, float]:
    """(wall s, instrument s) per reset -> read -> write -> read cycle with one VISA exchange per
    action through the pymeasure-based role drivers: the same instrument-timed 1 ms pulses
    (``CurrentSource.pulse``, a one-point 6221 list sweep) and 2182A reads as the map, but a
    round trip for every pulse and every reading instead of one buffered sweep."""
    from spinbench.instruments.bench import Bench

    bench = Bench.load("sot-hallbar")
    with bench.open() as lab:
        import pyvisa

        world = pyvisa.ResourceManager(bench.visa_library_spec()).visalib.world
        source, meter = lab.role("current_source"), lab.role("voltmeter")
        lab.role("field_x").set_field(10e-3)
        meter.set_integration_time(0.01 / 60)

        def read() -> float:
            source.set_current(100e-6)
            source.enable()
            return meter.read_voltage()

        t0, v0 = time.perf_counter(), world.now
        for _ in range(cycles):
            source.pulse(12e-3, 1e-3)          # reset (the map's default reset current)
            read()                             # before
            source.pulse(-5.5e-3, 1e-3)        # write
            read()                             # after
        return (time.perf_counter() - t0) / cycles, (world.now - v0) / cycles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1000)
    parser.add_argument("--slice", type=int, default=300)
    args = parser.parse_args()
    cycles = 20 * 10 * args.repeats
    with tempfile.TemporaryDirectory() as out:
        wall, virtual, n = buffered_map(args.repeats, out)
    per_cycle, per_cycle_virtual = per_pulse_slice(args.slice)
    peer = per_cycle * cycles
    print(f"map: 20 amplitudes x 10 widths x {args.repeats} repeats = {cycles} cycles "
          f"({n} rows written)")
    print(f"buffered (6221 list sweep + 2182A buffer, switching-probability): {wall:8.1f} s "
          f"wall ({wall / cycles * 1e6:.1f} us/cycle)")
    print(f"per-pulse round trips (pymeasure, {args.slice}-cycle slice extrapolated): "
          f"{peer:8.1f} s ({per_cycle * 1e6:.1f} us/cycle)")
    print(f"ratio per-pulse / buffered (simulator wall time): {peer / wall:.1f}x")
    print(f"instrument time on the simulated clock (bus + instrument actions, what a real bench "
          f"spends): buffered {virtual:.0f} s ({virtual / cycles * 1e3:.2f} ms/cycle, pulse "
          f"widths 1-10 ms included), per-pulse {per_cycle_virtual * cycles:.0f} s "
          f"({per_cycle_virtual * 1e3:.2f} ms/cycle, the same instrument-timed pulses)")


if __name__ == "__main__":
    main()
