"""RF spintronic network (offline model) on the drone RF-fingerprint data vs a software MLP of the
same size: prints both test accuracies and the training time.

    python benchmarks/bench_rf_network.py /path/to/rf_drone_fingerprints.h5 [--hidden 16] [--epochs 100] [--seeds 3]

With ``--seeds N`` both networks are trained from N seeds (seed, seed + 1, ...) and the mean
accuracies and their difference are printed after the per-seed lines.

Data: RF fingerprinting spectra of 10 drone/controller classes, from Ross, Leroux et al.,
"Multilayer spintronic neural networks with radiofrequency connections", Nat. Nanotechnol. 18,
1273 (2023), distributed with the authors' code under CC-BY-4.0; the task is inspired by Basak et
al. (COMSNETS 2021). Keep this attribution wherever the data is used or shown.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", help="HDF5 with X_train, Y_train, X_test, Y_test")
    ap.add_argument("--hidden", type=int, default=16)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--lr", type=float, default=0.08)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--noise", type=float, default=0.0, help="relative noise on chain voltages")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--crosstalk", type=int, default=2, help="neighbouring tones each junction responds to")
    ap.add_argument("--seeds", type=int, default=1, help="train from this many seeds and print the means")
    args = ap.parse_args()
    import h5py

    from spinbench.analysis.rf_network import RFNetwork, SoftwareMLP, accuracy, train

    with h5py.File(args.path, "r") as f:
        x, y, xt, yt = (np.asarray(f[k]) for k in ("X_train", "Y_train", "X_test", "Y_test"))
    n_in, n_out = x.shape[1], int(max(y.max(), yt.max()) + 1)
    print(f"data: {x.shape[0]} train, {xt.shape[0]} test, {n_in} bins, {n_out} classes "
          f"(Ross, Leroux et al. 2023, CC-BY-4.0); {os.cpu_count()} cores visible")
    results = []
    for seed in range(args.seed, args.seed + args.seeds):
        t = time.perf_counter()
        net = RFNetwork(n_in, args.hidden, n_out, noise=args.noise, seed=seed, crosstalk=args.crosstalk)
        train(net, x, y, epochs=args.epochs, batch=args.batch, lr=args.lr, seed=seed)
        t_rf = time.perf_counter() - t
        t = time.perf_counter()
        mlp = SoftwareMLP(n_in, args.hidden, n_out, seed=seed)
        train(mlp, x, y, epochs=args.epochs, batch=args.batch, lr=args.lr / 5, seed=seed)
        t_mlp = time.perf_counter() - t
        a_rf, a_mlp = accuracy(net, xt, yt), accuracy(mlp, xt, yt)
        results.append((a_rf, a_mlp))
        print(f"seed {seed}: RF spintronic network {n_in}-{args.hidden}-{n_out}: test accuracy {a_rf:.3f} "
              f"(train {accuracy(net, x, y):.3f}), {args.epochs} epochs in {t_rf:.1f} s")
        print(f"seed {seed}: software MLP          {n_in}-{args.hidden}-{n_out}: test accuracy {a_mlp:.3f} "
              f"(train {accuracy(mlp, x, y):.3f}), {args.epochs} epochs in {t_mlp:.1f} s")
        print(f"seed {seed}: difference: {100 * (a_mlp - a_rf):+.1f} points; RF/MLP training time ratio "
              f"{t_rf / t_mlp:.1f}")
    if len(results) > 1:
        rf_mean, mlp_mean = np.mean(results, axis=0)
        print(f"mean over {len(results)} seeds: RF network {rf_mean:.3f}, software MLP {mlp_mean:.3f}, "
              f"difference {100 * (mlp_mean - rf_mean):+.1f} points (targets: >= 0.97, within 2 points)")

if __name__ == "__main__":
    main()
