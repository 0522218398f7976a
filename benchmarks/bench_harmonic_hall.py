"""Harmonic Hall scan through the whole stack: 41 fields x 2 directions, 300 ms lock-in time
constant, 5 time constants of settling per reading (first and second harmonic), on the
simulated ``sot-hallbar`` bench's virtual clock.

Prints the wall time of the scan (target: < 20 s), the virtual (instrument) time it stands for
-- what the same scan takes at a real bench, the peer this is measured against in the same
run -- their ratio, the lock-in messages per reading (the settle waits once, timed by VISA,
instead of polling ``SPTS?`` thousands of times), and the fitted damping-like / field-like
fields against the preset's.

    python benchmarks/bench_harmonic_hall.py
"""
from __future__ import annotations

import math
import tempfile
import time

import pyvisa

from spinbench.analysis.harmonic_hall import fit_harmonic_hall
from spinbench.instruments.bench import Bench
from spinbench.protocols.harmonic_hall import HarmonicHall
from spinbench.protocols.runner import run
from spinbench.protocols.runstore import RunReader
from spinbench.sim_backend.physics.presets import SotHallBarParams

HBAR, E = 1.054571817e-34, 1.602176634e-19


def main() -> None:
    params = {"states": "up", "points": 41, "time_constant": 0.3, "settle_time_constants": 5}
    bench = Bench.load("sot-hallbar")
    lib = pyvisa.ResourceManager(bench.visa_library).visalib
    world = lib.world
    lockin = lib.emulator(bench.instruments[bench.roles["lock_in"]].address).address
    logged = len(world.log)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = run(HarmonicHall, bench, params, out_dir=tmp, progress=False)
        wall = time.perf_counter() - start
        with RunReader(result.path) as reader:
            df = reader.to_dataframe()
            values = reader.params
    messages = sum(1 for r in list(world.log)[logged:] if r.address == lockin)
    readings = len(df)
    real_bench = readings * params["settle_time_constants"] * params["time_constant"]   # + sweep starts
    print(f"harmonic-hall scan: 41 fields x 2 directions x 2 harmonics = {readings} lock-in readings")
    print(f"  wall time                       {wall:8.2f} s   (target < 20 s)")
    print(f"  settling a real SR830 needs     {real_bench:8.1f} s   (5 tau x 0.3 s per reading)")
    print(f"  ratio real bench / simulated    {real_bench / wall:8.1f} x")
    print(f"  lock-in messages per reading    {messages / readings:8.1f}     (polling SPTS?: ~3,500)")
    (fit,) = fit_harmonic_hall(df, current_rms=values["current_rms"], width=values["channel_width"],
                               hm_thickness=values["hm_thickness"], ms=values["ms"],
                               thickness=values["thickness"], r_phe_ratio=values["r_phe_ratio"])
    p = SotHallBarParams()
    j = math.sqrt(2) * values["current_rms"] / (p.width * p.hm_thickness)
    true_dl = HBAR * p.xi_dl * j / (2 * E * p.ms * p.thickness)
    true_fl = HBAR * p.xi_fl * j / (2 * E * p.ms * p.thickness)
    print(f"  B_DL fitted {fit.b_dl * 1e3:+.3f} mT, preset {true_dl * 1e3:+.3f} mT "
          f"({100 * (fit.b_dl / true_dl - 1):+.1f} %)")
    print(f"  B_FL fitted {fit.b_fl * 1e3:+.3f} mT, preset {true_fl * 1e3:+.3f} mT "
          f"({100 * (fit.b_fl / true_fl - 1):+.1f} %)")
    print(f"  xi_DL fitted {fit.xi_dl:+.3f}, preset {p.xi_dl:+.3f}")


if __name__ == "__main__":
    main()
