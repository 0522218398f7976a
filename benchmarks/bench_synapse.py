"""Synapse benchmarks: ctc-states (11 states x 1,000 cycles) on the simulated tilted-anisotropy
bench, ctc-states on one device of the four-device synapse-array, and quantize-and-evaluate of
the digits CNN with 100 Monte-Carlo CTC draws.

1. ``ctc-states``, amplitude-coded, 11 states x 1,000 cycles (20,000 pulse/read pairs on the
   6221 list sweep + 2182A buffer), timed end to end (run file included; wall and CPU seconds:
   on a shared machine the wall time is the CPU time stretched by the load). Peer: the same
   pulses and reads one VISA round trip each through the role drivers (``CurrentSource.pulse``
   + ``Voltmeter.read_voltage``), a slice timed and extrapolated.
2. ``ctc-states`` on device d1 of ``synapse-array`` (4 devices): the world integrates only the
   driven device, the idle ones bank their time (``SimWorld.BANK_IDLE_DEVICES``). Peer: the
   same run with every device integrated at every step (``BANK_IDLE_DEVICES = False``).
3. Device-aware PTQ of the digits CNN (per-channel, min-max, the measured levels of run 1 with
   their CTC): 100 programming-noise draws, each quantize + evaluate on the 359 test images,
   batched (draws stacked, one forward pass per chunk). Peers: one draw at a time (quantize,
   forward pass), and 100 FP32 evaluations (the network alone).

    python benchmarks/bench_synapse.py [--cycles 1000] [--slice 20] [--draws 100] [--array-cycles 100]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time


def ctc_buffered(cycles: int, out_dir: str):
    from spinbench.analysis.device_ptq import levels_from_run
    from spinbench.analysis.synapse import ctc
    from spinbench.protocols.runner import run
    from spinbench.protocols.runstore import RunReader
    from spinbench.protocols.synapse import CtcStates

    t0, c0 = time.perf_counter(), time.process_time()
    res = run(CtcStates, "tilted-synapse", {"cycles": cycles}, out_dir=out_dir, seed=1, progress=False)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    with RunReader(res.path) as reader:
        window = ctc(reader.to_dataframe(), "window")["mean"]
    return wall, cpu, res.n_points, window, levels_from_run(res.path)


def ctc_array(cycles: int, bank: bool) -> tuple[float, int]:
    """CPU seconds of ctc-states on d1 of synapse-array, and the device integrations it took."""
    from spinbench.instruments.bench import Bench
    from spinbench.protocols.runner import run
    from spinbench.protocols.synapse import CtcStates
    from spinbench.sim_backend.physics.synapse import SynapseHallBar
    from spinbench.sim_backend.world import SimWorld

    calls = [0]
    evolve = SynapseHallBar.evolve

    def counted(self, *args):
        calls[0] += 1
        return evolve(self, *args)

    SimWorld.BANK_IDLE_DEVICES, SynapseHallBar.evolve = bank, counted
    try:
        with tempfile.TemporaryDirectory() as out:
            c0 = time.process_time()
            run(CtcStates, Bench.load("synapse-array").for_device("d1"), {"cycles": cycles}, out_dir=out,
                seed=1, progress=False)
            return time.process_time() - c0, calls[0]
    finally:
        SimWorld.BANK_IDLE_DEVICES, SynapseHallBar.evolve = True, evolve


def ctc_per_pulse(cycles: int) -> float:
    """Wall seconds per cycle with a round trip per pulse and per read."""
    from spinbench.instruments.bench import Bench
    from spinbench.protocols.synapse import CtcStates, write_amplitudes

    bench = Bench.load("tilted-synapse")
    amps = write_amplitudes({p.name: p.default for p in CtcStates.params})
    with bench.open() as lab:
        source, meter = lab.role("current_source"), lab.role("voltmeter")
        meter.set_integration_time(0.01 / 50)

        def read() -> float:
            source.set_current(500e-6)
            source.enable()
            return meter.read_voltage()

        t0 = time.perf_counter()
        for _ in range(cycles):
            for a in amps:
                source.pulse(-12e-3, 1e-3)
                read()
                source.pulse(float(a), 1e-3)
                read()
        return (time.perf_counter() - t0) / cycles


def ptq(levels, sigma, draws: int):
    import numpy as np

    from spinbench.analysis.digits_cnn import pretrained_digits_cnn
    from spinbench.analysis.quantization import QuantConfig, monte_carlo_accuracy

    model, (_, _, x, y) = pretrained_digits_cnn()
    cfg = QuantConfig(np.asarray(levels), "per_channel", "minmax", np.asarray(sigma))
    ev = model.evaluator(x, y)
    ev(None)
    t0 = time.perf_counter()
    r = monte_carlo_accuracy(ev, model.weights(), cfg, draws=draws)
    t_q = time.perf_counter() - t0
    cache: dict = {}
    t0 = time.perf_counter()       # peer: one quantize + forward pass per draw, as before
    r_seq = monte_carlo_accuracy(lambda w: model.accuracy(x, y, w, cache), model.weights(), cfg, draws=draws)
    t_seq = time.perf_counter() - t0
    assert r_seq["mean"] == r["mean"], (r_seq, r)       # the same draws, batched or not
    t0 = time.perf_counter()
    for _ in range(draws):
        model.accuracy(x, y, None, cache)
    return t_q, t_seq, time.perf_counter() - t0, r, ev(None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--slice", type=int, default=20)
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--array-cycles", type=int, default=100)
    args = parser.parse_args()
    print(f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall = CPU stretched by it)")
    with tempfile.TemporaryDirectory() as out:
        wall, cpu, n, window, (levels, sigma) = ctc_buffered(args.cycles, out)
    per_cycle = ctc_per_pulse(args.slice)
    print(f"ctc-states 11 states x {args.cycles} cycles ({n} reads): buffered {wall:.1f} s wall "
          f"({cpu:.1f} s CPU); per-pulse round trips ({args.slice}-cycle slice extrapolated) "
          f"{per_cycle * args.cycles:.1f} s; ratio {per_cycle * args.cycles / wall:.1f}x; "
          f"measured CTC (window) {100 * window:.2f} %")
    banked, n_banked = ctc_array(args.array_cycles, True)
    eager, n_eager = ctc_array(args.array_cycles, False)
    print(f"synapse-array, ctc-states on d1 of 4 devices, {args.array_cycles} cycles: idle devices banked "
          f"{banked:.2f} s CPU ({n_banked} device integrations); every device every step {eager:.2f} s CPU "
          f"({n_eager}); ratio {eager / banked:.2f}x")
    t_q, t_seq, t_fp, r, fp32 = ptq(levels, sigma, args.draws)
    print(f"PTQ digits CNN, {args.draws} CTC draws (per-channel, min-max, measured levels): batched {t_q:.2f} s "
          f"(accuracy {100 * r['mean']:.2f} +- {100 * r['std']:.2f} %, FP32 {100 * fp32:.2f} %); "
          f"one draw at a time {t_seq:.2f} s (ratio {t_seq / t_q:.1f}x); "
          f"{args.draws} FP32 evaluations {t_fp:.2f} s (ratio {t_q / t_fp:.2f}x)")


if __name__ == "__main__":
    main()
