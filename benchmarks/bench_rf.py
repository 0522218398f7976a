"""RF benchmarks on the simulated bench: a spin-diode map (frequency x field) through the
spin-diode-map protocol -- buffered (the N5183B's step sweep, its TRIG OUT storing one SR830
sample per point) next to the point-by-point path (set frequency, settle, SNAP?) as the peer on
a few fields of the same map -- and spectrum-analyzer trace transfer (1,001 points, binary)
through @spinbench with the stock qcodes N9030B driver (REAL,64 READ:SAN1?: a sweep and its
transfer) and the R&S FSV through spinbench's driver (REAL,32), next to an ASCII transfer of the
same trace as the peer.  Wall-clock figures depend on the machine's load; the CPU-time figure
(process time of this process) is printed next to them.

    python benchmarks/bench_rf.py [--freqs 201] [--fields 51] [--peer-fields 5] [--traces 200]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

os.environ.setdefault("SPINBENCH_CLOCK", "virtual")


def _map(n_freq: int, fields, buffered: bool) -> tuple[float, float, str]:
    from spinbench.instruments.bench import Bench
    from spinbench.protocols.runner import run
    from spinbench.protocols.spin_diode_map import SpinDiodeMap

    params = {"fields": tuple(fields), "freq_start": 3e9, "freq_stop": 12e9, "freq_points": n_freq,
              "power_dbm": -25.0, "buffered": buffered}
    with tempfile.TemporaryDirectory() as d:
        t, c = time.perf_counter(), time.process_time()
        res = run(SpinDiodeMap, Bench.load("rf-mtj"), params, out_dir=d, seed=1, progress=False)
        return time.perf_counter() - t, time.process_time() - c, res.status.value


def spin_diode_map(n_freq: int, n_field: int, n_peer: int) -> None:
    fields = np.linspace(0.02, 0.2, n_field)
    wall, cpu, status = _map(n_freq, fields, True)
    n = n_freq * n_field
    print(f"spin-diode map {n_freq} freq x {n_field} fields ({n} points, {status}), buffered step sweep: "
          f"{wall:.1f} s wall ({1e3 * wall / n:.2f} ms/point), {cpu:.1f} s CPU; target: 201 x 51 < 20 s")
    pw, pc, status = _map(n_freq, fields[:n_peer], False)
    m = n_freq * n_peer
    print(f"  peer: point by point on {n_peer} fields ({status}): {1e3 * pw / m:.2f} ms/point wall, "
          f"{1e3 * pc / m:.2f} ms/point CPU; buffered/peer per point: wall {wall / n / (pw / m):.2f}, "
          f"CPU {cpu / n / (pc / m):.2f}")


def _rate(query, n: int) -> tuple[float, float]:
    t, c = time.perf_counter(), time.process_time()
    for _ in range(n):
        query()
    return n / (time.perf_counter() - t), n / max(time.process_time() - c, 1e-9)


def trace_transfer(n: int) -> None:
    from qcodes.instrument_drivers.Keysight import KeysightN9030B

    addr = "TCPIP0::192.168.0.30::hislip0::INSTR"
    sa = KeysightN9030B("bench_sa", addr, visalib="sto-spectrum@spinbench")
    try:
        h = sa.visa_handle
        h.write(":INIT:CONT OFF;:SWE:POIN 1001;:FREQ:CENT 5e9;:FREQ:SPAN 1e9;:BAND 1e6;:AVER OFF")
        h.write(":FORM REAL,64;:FORM:BORD SWAP")
        y = h.query_binary_values(":READ:SAN1?", datatype="d", is_big_endian=False, container=np.array)
        assert len(y) == 2002
        binary = _rate(lambda: h.query_binary_values(":READ:SAN1?", datatype="d", is_big_endian=False,
                                                     container=np.array), n)
        h.write(":FORM ASC")
        ascii_ = _rate(lambda: h.query_ascii_values(":READ:SAN1?", container=np.array), max(1, n // 4))
    finally:
        sa.close()
    print(f"analyzer trace (sweep + transfer), 1001 points, qcodes KeysightN9030B @spinbench: binary REAL,64 "
          f"{binary[0]:.0f} traces/s wall ({binary[1]:.0f}/s CPU), ASCII {ascii_[0]:.0f}/s wall "
          f"({ascii_[1]:.0f}/s CPU); binary/ASCII {binary[0] / ascii_[0]:.1f}; target >= 500/s")
    fsv_transfer(n)


def fsv_transfer(n: int) -> None:
    import yaml

    from spinbench.instruments.bench import Bench

    addr = "TCPIP0::192.168.0.31::inst0::INSTR"
    spec = {"name": "fsv-bench", "visa_library": "@spinbench",
            "instruments": {"analyzer": {"driver": "rohde_schwarz_fsv", "address": addr}},
            "roles": {"spectrum_analyzer": "analyzer"},
            "sim": {"seed": 1, "clock": "virtual", "temperature": 300.0, "device": {"model": "rf_mtj", "params": {}},
                    "instruments": {addr: {"model": "rohde_schwarz_fsv", "connect": {"input": "rf"}}}}}
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "fsv.yaml")
        with open(path, "w") as fh:
            yaml.safe_dump(spec, fh)
        with Bench.load(path).open() as lab:
            sa = lab.role("spectrum_analyzer")
            sa.configure(5e9, 1e9, 1e6, 1001)
            binary = _rate(sa.read_trace, n)
            res = sa.resource
            res.write("FORM ASC")
            ascii_ = _rate(lambda: (res.write("INIT;*WAI"), res.query_ascii_values("TRAC? TRACE1")), max(1, n // 4))
    print(f"analyzer trace (sweep + transfer), 1001 points, R&S FSV via spinbench driver @spinbench: binary "
          f"REAL,32 {binary[0]:.0f} traces/s wall ({binary[1]:.0f}/s CPU), ASCII {ascii_[0]:.0f}/s wall "
          f"({ascii_[1]:.0f}/s CPU); binary/ASCII {binary[0] / ascii_[0]:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--freqs", type=int, default=201)
    ap.add_argument("--fields", type=int, default=51)
    ap.add_argument("--peer-fields", type=int, default=5)
    ap.add_argument("--traces", type=int, default=200)
    a = ap.parse_args()
    trace_transfer(a.traces)
    spin_diode_map(a.freqs, a.fields, a.peer_fields)


if __name__ == "__main__":
    main()
