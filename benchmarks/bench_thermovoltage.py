"""Laser-pulse thermovoltage benchmarks on the simulated thermo-mtj bench, in one run:

1. waveform transfer of one 10k-point record through ``@spinbench``: our DSOX3000T driver
   (``read_waveform``: WORD block + preamble), a raw pyvisa ``query_binary_values`` of the same
   block (the floor: no driver), and the stock pymeasure ``KeysightDSOX1102G.waveform_data``
   (ASCII, the peer a user without our driver would have); the same for the Tektronix DPO7254C
   (our driver vs the stock qcodes ``TektronixDPO7000`` trace).  Target: >= 200 traces/s.
2. the full thermovoltage map (2 states x 21 biases x 5 powers, 16 averaged traces each, the
   protocol's defaults) through the runner.  Target: < 30 s.

    python benchmarks/bench_thermovoltage.py [-n 300] [--skip-map]
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

SCOPE = "USB0::0x2A8D::0x1770::MY12345678::INSTR"
TEK = "TCPIP0::192.168.0.20::inst0::INSTR"


def _rate(call, n: int) -> float:
    """Calls per second of ``call()`` over ``n`` calls."""
    start = time.perf_counter()
    for _ in range(n):
        call()
    return n / (time.perf_counter() - start)


def _ready(scope) -> None:
    """A 10k-point record on channel 1 (line trigger), read once."""
    scope.set_record_length(10_000)
    scope.configure(1, 0.05, 1e-4, 0.0, trigger_source="line")
    scope.acquire((1,))
    t, v = scope.read_waveform(1)
    assert len(v) == 10_000, len(v)


def transfer(n: int) -> dict[str, float]:
    from spinbench.instruments.bench import Bench

    rates = {}
    with Bench.load("thermo-mtj").open() as lab:
        scope = lab.role("scope")
        _ready(scope)
        rates["spinbench driver (WORD + preamble)"] = _rate(lambda: scope.read_waveform(1), n)
        raw = scope.resource
        raw.write(":WAV:FORM BYTE")
        rates["raw pyvisa BYTE block (floor)"] = _rate(
            lambda: raw.query_binary_values(":WAV:DATA?", datatype="B", container=np.array), n)
        stock = scope._inner                      # pymeasure KeysightDSOX1102G on the same session
        assert len(stock.waveform_data) == 10_000
        rates["stock pymeasure waveform_data (ASCII)"] = _rate(lambda: stock.waveform_data, max(3, n // 20))
    rates.update(transfer_tek(n))
    return rates


def transfer_tek(n: int) -> dict[str, float]:
    """The same 10k-point record through the Tektronix DPO7254C: our driver (``WFMOutpre?`` +
    16-bit ``CURVe?``) and the stock qcodes ``channel1.waveform.trace()`` on the same session."""
    import yaml

    from spinbench.instruments.bench import Bench

    spec = yaml.safe_load(open(Bench.load("thermo-mtj").path))
    spec["instruments"]["tek"] = {"driver": "tektronix_dpo7000", "address": TEK}
    spec["roles"]["scope"] = "tek"
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "thermo-tek.yaml"
        path.write_text(yaml.safe_dump(spec))
        with Bench.load(str(path)).open() as lab:
            scope = lab.role("scope")
            _ready(scope)
            rates["Tek driver (WFMOutpre? + 16-bit CURVe?)"] = _rate(lambda: scope.read_waveform(1), n)
            stock = scope._inner                    # qcodes TektronixDPO7000 on the same session
            stock.waveform.is_binary(True)
            assert len(stock.channel1.waveform.trace()) == 10_000
            rates["stock qcodes Tek channel1.waveform.trace()"] = _rate(stock.channel1.waveform.trace,
                                                                       max(3, n // 10))
    return rates


def full_map() -> tuple[float, int]:
    from spinbench.instruments.bench import Bench
    from spinbench.protocols.runner import run
    from spinbench.protocols.thermovoltage import ThermovoltageMap

    with tempfile.TemporaryDirectory() as out:
        bench = Bench.load("thermo-mtj")
        start = time.perf_counter()
        result = run(ThermovoltageMap(), bench, {}, out_dir=out, progress=False)
        return time.perf_counter() - start, result.n_points


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=300, help="transfers per path")
    ap.add_argument("--skip-map", action="store_true")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    import warnings
    warnings.filterwarnings("ignore")
    rates = transfer(args.n)
    ours = rates["spinbench driver (WORD + preamble)"]
    print("10k-point waveform transfer through @spinbench (traces/s):")
    for name, rate in rates.items():
        print(f"  {name:40s} {rate:9.1f}   ours/this = {ours / rate:5.2f}")
    tek = rates["Tek driver (WFMOutpre? + 16-bit CURVe?)"]
    print(f"  target >= 200 traces/s: DSOX {'met' if ours >= 200 else 'NOT met'}, "
          f"Tek {'met' if tek >= 200 else 'NOT met'}")
    if not args.skip_map:
        seconds, points = full_map()
        print(f"full thermovoltage map (2 states x 21 biases x 5 powers, 16 averages): {points} points "
              f"in {seconds:.1f} s ({1e3 * seconds / points:.0f} ms/point); target < 30 s: "
              f"{'met' if seconds < 30 else 'NOT met'}")


if __name__ == "__main__":
    main()
