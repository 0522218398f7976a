"""Train a two-layer RF spintronic network on the embedded band-XOR task in the units of the rf_mtj
junction, next to the one-layer network of the same junctions, and write the network file and
the rf-network bench that holds it.

    python examples/rf_network_xor.py --out-dir .            # net: rf-network.npz, bench: rf-network.yaml
    python examples/rf_network_xor.py --spin-diode-run MAP.h5 --emission-run STO.h5 --line-loss-db 1
                                      # units from measured spectra instead of the rf_mtj preset
    spinbench run rf-network-inference --bench ./rf-network.yaml --param network=./rf-network.npz --param samples=20

    # neurons measured on a bench (one emission-spectra run per neuron, currents from 0 through
    # its onset), the new bench keeping them:
    for j in 0 1 2 3 4 5; do spinbench run emission-spectra --bench rf-network --device n_$j \
        --param currents=0.05mA,0.1mA,...,0.75mA --param loop_field=0 --param center=5.75GHz --param span=2.5GHz; done
    python examples/rf_network_xor.py --neuron-runs runs/*_emission-spectra.h5 --neurons-from rf-network

The built-in ``rf-network`` bench and its ``rf-network.npz`` (in spinbench/sim_backend/benches/)
were written by this script with its defaults.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from spinbench.analysis.rf_network import accuracy, train, xor_band_task
from spinbench.analysis.rf_network_device import (device_network, device_units, neurons_from_runs, save_network,
                                                  units_from_runs)
from spinbench.sim_backend.rf_network_bench import write_bench


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default=".", help="folder of rf-network.npz and rf-network.yaml")
    ap.add_argument("--field", type=float, default=0.05, help="bench field along the easy axis (T)")
    ap.add_argument("--hidden", type=int, default=6, help="oscillator neurons")
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--test-inputs", type=int, default=50, help="test inputs saved in the network file")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--spin-diode-run", help="a spin-diode-map run file (with --emission-run)")
    ap.add_argument("--emission-run", help="an emission-spectra run file at the same field")
    ap.add_argument("--line-loss-db", type=float, default=0.0, help="source-to-junction loss of the map's bench")
    ap.add_argument("--neuron-runs", nargs="+", help="one emission-spectra run per neuron, in neuron order")
    ap.add_argument("--neurons-from", help="the bench the neurons were measured on (kept in the new bench)")
    args = ap.parse_args()

    if args.spin_diode_run and args.emission_run:
        units = units_from_runs(args.spin_diode_run, args.emission_run, args.field, line_loss_db=args.line_loss_db)
    else:
        units = device_units(args.field)
    print(f"junction at {args.field * 1e3:g} mT: f0 = {units.f_ref / 1e9:.3f} GHz, HWHM = {units.width / 1e6:.1f} MHz, "
          f"V_A/V_S = {units.antisym:.3f}, V_S = {units.volts_per_watt:.1f} V/W; neuron I_th = {units.i_th * 1e3:.3f} mA")
    x, y = xor_band_task(300, seed=args.seed)
    xt, yt = xor_band_task(400, seed=args.seed + 1)
    one = device_network(units, x.shape[1], 0, 2, seed=args.seed)
    train(one, x, y, epochs=args.epochs, batch=32, lr=0.05, seed=args.seed)
    neurons = neurons_from_runs(args.neuron_runs, width=units.width) if args.neuron_runs else None
    hidden = len(args.neuron_runs) if args.neuron_runs else args.hidden
    two = device_network(units, x.shape[1], hidden, 2, seed=args.seed, neurons=neurons)
    train(two, x, y, epochs=args.epochs, batch=32, lr=0.05, seed=args.seed)
    print(f"band XOR, test accuracy: one layer {accuracy(one, xt, yt):.3f}, two layers {accuracy(two, xt, yt):.3f}")
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    npz = save_network(out / "rf-network.npz", two, units, xt[:args.test_inputs], yt[:args.test_inputs])
    bench = write_bench(npz, out / "rf-network.yaml", neurons_from=args.neurons_from)
    print(f"wrote {npz} and {bench}")


if __name__ == "__main__":
    main()
