"""RF benchmarks on the simulated bench: a spin-diode map (frequency x field) through the
spin-diode-map protocol, and spectrum-analyzer trace transfer (1,001 points, binary REAL,64)
through @spinbench with the stock qcodes N9030B driver, next to an ASCII transfer of the same
trace as the peer measured in the same run.

    python benchmarks/bench_rf.py [--freqs 201] [--fields 51] [--traces 200]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

os.environ.setdefault("SPINBENCH_CLOCK", "virtual")


def spin_diode_map(n_freq: int, n_field: int) -> None:
    from spinbench.instruments.bench import Bench
    from spinbench.protocols.runner import run
    from spinbench.protocols.spin_diode_map import SpinDiodeMap

    params = {"fields": tuple(np.linspace(0.02, 0.2, n_field)), "freq_start": 3e9, "freq_stop": 12e9,
              "freq_points": n_freq, "power_dbm": -25.0}
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        res = run(SpinDiodeMap, Bench.load("rf-mtj"), params, out_dir=d, seed=1, progress=False)
        dt = time.perf_counter() - t
    n = n_freq * n_field
    print(f"spin-diode map {n_freq} freq x {n_field} fields ({n} points, {res.status.value}): {dt:.1f} s, "
          f"{1e3 * dt / n:.2f} ms/point (target: 201 x 51 < 20 s)")


def trace_transfer(n: int) -> None:
    import pyvisa
    from qcodes.instrument_drivers.Keysight import KeysightN9030B

    addr = "TCPIP0::192.168.0.30::hislip0::INSTR"
    sa = KeysightN9030B("bench_sa", addr, visalib="sto-spectrum@spinbench")
    try:
        h = sa.visa_handle
        h.write(":INIT:CONT OFF;:SWE:POIN 1001;:FREQ:CENT 5e9;:FREQ:SPAN 1e9;:BAND 1e6;:AVER OFF")
        h.write(":FORM REAL,64;:FORM:BORD SWAP")
        t = time.perf_counter()
        for _ in range(n):
            y = h.query_binary_values(":READ:SAN1?", datatype="d", is_big_endian=False, container=np.array)
        binary = n / (time.perf_counter() - t)
        assert len(y) == 2002
        h.write(":FORM ASC")
        t = time.perf_counter()
        for _ in range(max(1, n // 4)):
            h.query_ascii_values(":READ:SAN1?", container=np.array)
        ascii_ = max(1, n // 4) / (time.perf_counter() - t)
    finally:
        sa.close()
    print(f"analyzer trace transfer, 1001 points via qcodes KeysightN9030B @spinbench: binary REAL,64 "
          f"{binary:.0f} traces/s, ASCII {ascii_:.0f} traces/s (ratio {binary / ascii_:.1f}); target >= 500/s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--freqs", type=int, default=201)
    ap.add_argument("--fields", type=int, default=51)
    ap.add_argument("--traces", type=int, default=200)
    a = ap.parse_args()
    trace_transfer(a.traces)
    spin_diode_map(a.freqs, a.fields)


if __name__ == "__main__":
    main()
