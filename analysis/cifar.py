"""ResNet-18 / CIFAR-10 path of device-aware PTQ (runs when the user supplies the data and model).

The CIFAR-10 "python version" (Krizhevsky 2009, https://www.cs.toronto.edu/~kriz/cifar.html) is a
set of pickled dicts: ``b"data"`` a (N, 3072) uint8 array, rows of 1024 red, 1024 green, 1024 blue
values of a 32x32 image in row-major order, and ``b"labels"`` a list of N ints in 0..9
(``data_batch_1`` .. ``data_batch_5``, ``test_batch``). :func:`load_cifar_batch` reads one such
file into (N, 3, 32, 32) float32 in [0, 1]; :func:`evaluate_torch` and :func:`resnet18_ptq_table`
need PyTorch (extra ``torch``) and a trained ``torch.nn.Module`` (e.g. a torchvision ResNet-18
adapted to 32x32 inputs) that the user provides: nothing is downloaded here.
"""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np

from .quantization import GRANULARITIES, OBSERVERS, QuantConfig, quantize_module, uniform_levels

__all__ = ["load_cifar_batch", "load_cifar10_test", "evaluate_torch", "resnet18_ptq_table",
           "CIFAR10_MEAN", "CIFAR10_STD"]

#: per-channel mean and std of the CIFAR-10 training set (the customary normalisation)
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)


def load_cifar_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 python batch file -> ``(x, y)``: x (N, 3, 32, 32) float32 in [0, 1], y int64.

    Raises ValueError naming the file when it is not a CIFAR batch (missing keys, wrong width)."""
    path = Path(path)
    with path.open("rb") as fh:
        batch = pickle.load(fh, encoding="bytes")
    if not isinstance(batch, dict):
        raise ValueError(f"{path}: not a CIFAR batch (a pickled dict), got {type(batch).__name__}")
    data = batch.get(b"data", batch.get("data"))
    labels = batch.get(b"labels", batch.get("labels"))
    if data is None or labels is None:
        raise ValueError(f"{path}: a CIFAR batch needs keys b'data' and b'labels'; has {sorted(map(str, batch))}")
    data = np.asarray(data)
    if data.ndim != 2 or data.shape[1] != 3072:
        raise ValueError(f"{path}: b'data' must be (N, 3072) uint8, got {data.shape}")
    y = np.asarray(labels, dtype=np.int64)
    if y.shape != (data.shape[0],) or y.min(initial=0) < 0 or y.max(initial=0) > 9:
        raise ValueError(f"{path}: b'labels' must be N ints in 0..9")
    x = data.reshape(-1, 3, 32, 32).astype(np.float32) / 255.0
    return x, y


def load_cifar10_test(data_dir: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """``test_batch`` of an extracted ``cifar-10-batches-py`` folder."""
    path = Path(data_dir) / "test_batch"
    if not path.is_file():
        raise FileNotFoundError(f"no CIFAR-10 test_batch in {data_dir} (extract cifar-10-python.tar.gz there)")
    return load_cifar_batch(path)


def evaluate_torch(model, x: np.ndarray, y: np.ndarray, batch: int = 500, normalize: bool = True) -> float:
    """Top-1 accuracy of a torch classifier on (N, 3, H, W) images in [0, 1] (CPU)."""
    import torch

    model.eval()
    mean = np.asarray(CIFAR10_MEAN, dtype=np.float32).reshape(1, 3, 1, 1)
    std = np.asarray(CIFAR10_STD, dtype=np.float32).reshape(1, 3, 1, 1)
    correct = 0
    with torch.no_grad():
        for s in range(0, len(y), batch):
            xb = x[s:s + batch]
            if normalize:
                xb = (xb - mean) / std
            pred = model(torch.from_numpy(np.ascontiguousarray(xb, dtype=np.float32))).argmax(1).numpy()
            correct += int(np.sum(pred == y[s:s + batch]))
    return correct / len(y)


def resnet18_ptq_table(model, data_dir: str | Path, device_levels, device_sigma, draws: int = 5,
                       seed: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
    """The paper's table for a user's trained ResNet-18 on CIFAR-10: FP32, ideal L levels and
    the device's levels with CTC, per-tensor / per-channel x min-max / MSE (mean +- std over
    ``draws``; ``limit`` evaluates only the first images, for a quick look)."""
    x, y = load_cifar10_test(data_dir)
    if limit:
        x, y = x[:limit], y[:limit]
    rows = [{"label": "FP32", "granularity": "-", "observer": "-", "mean": evaluate_torch(model, x, y), "std": 0.0}]
    n = int(np.size(device_levels))
    for label, lv, sig in (("ideal", uniform_levels(n), None), ("device", device_levels, device_sigma)):
        for gran in GRANULARITIES:
            for obs in OBSERVERS:
                cfg = QuantConfig(np.asarray(lv), gran, obs, sig, label)
                k = draws if sig is not None else 1
                accs = [evaluate_torch(quantize_module(model, cfg, np.random.default_rng([seed, d])), x, y)
                        for d in range(k)]
                rows.append({"label": label, "granularity": gran, "observer": obs,
                             "mean": float(np.mean(accs)), "std": float(np.std(accs, ddof=1)) if k > 1 else 0.0})
    return rows
