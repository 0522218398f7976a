"""A small convolutional network on scikit-learn's bundled 8x8 digits, in numpy (no torch).

The embedded default of device-aware quantization (:mod:`analysis.quantization`): it trains in a
few seconds on any machine, deterministically under a seed, and its weights are plain arrays
keyed by layer name, so quantization works on it exactly as on any numpy weight dictionary.

Architecture (NHWC inside): conv 3x3, 1 -> C channels (C = 16), padding 1, ReLU -> max-pool
2x2 -> flatten (16 C) -> linear -> H (H = 64), ReLU -> linear H -> 10 -> softmax. Weight layouts follow
torch: conv ``(out, in, kh, kw)``, linear ``(out, in)``; axis 0 is the output channel for
per-channel quantization. Trained with Adam (Kingma & Ba 2015) on cross-entropy, 80/20 split.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["DigitsCNN", "load_digits_split", "train_digits_cnn", "pretrained_digits_cnn", "WEIGHT_NAMES",
           "PRETRAINED"]

#: weights of ``train_digits_cnn(seed=0)`` (30 epochs), shipped so that the default runs in
#: seconds anywhere; ``python -m spinbench.analysis.digits_cnn`` regenerates the file
PRETRAINED = Path(__file__).parent / "data" / "digits_cnn.npz"

#: the quantized weight tensors (biases stay in floating point, as in common PTQ practice)
WEIGHT_NAMES = ("conv1.weight", "fc1.weight", "fc2.weight")


def load_digits_split(seed: int = 0, test_fraction: float = 0.2):
    """Digits (1797 images, 8x8, 0..16) scaled to [0, 1]: ``(x_train, y_train, x_test, y_test)``
    with ``x`` of shape (N, 1, 8, 8); a fixed, seeded permutation."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images / 16.0).astype(np.float64)[:, None, :, :]
    y = d.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = int(round(test_fraction * len(y)))
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def _patches(x: np.ndarray) -> np.ndarray:
    """(N, 1, 8, 8) -> (N, 64, 9) 3x3 patches with zero padding 1 (im2col)."""
    n = x.shape[0]
    xp = np.pad(x[:, 0], ((0, 0), (1, 1), (1, 1)))
    cols = np.stack([xp[:, i:i + 8, j:j + 8] for i in range(3) for j in range(3)], axis=-1)
    return cols.reshape(n, 64, 9)


def _forward_many(cols: np.ndarray, p: dict[str, np.ndarray], stacked: dict[str, np.ndarray]) -> np.ndarray:
    """Logits ``(B, N, 10)`` of B parameter sets at once: each ``stacked[k]`` has a leading
    axis B (e.g. quantized draws); the other tensors of ``p`` are shared. One GEMM for the
    convolution of all B sets, batched matmuls for the linear layers. Max-pooling before the
    bias and ReLU equals the order of the layers (both are monotone, the bias per channel)."""
    b = next(iter(stacked.values())).shape[0]
    n = cols.shape[0]

    def get(name):
        w = stacked.get(name)
        return np.broadcast_to(p[name], (b,) + p[name].shape) if w is None else w

    w1 = get("conv1.weight")
    c = w1.shape[1]
    # matrices this small run fastest on one BLAS thread (two threads spin-wait on a loaded
    # machine: 10x slower measured on 2 shared cores)
    with _blas_controller().limit(limits=1, user_api="blas"):
        return _layers(cols, get, w1, b, n, c)


@lru_cache(maxsize=1)
def _blas_controller():
    """One threadpoolctl controller (inspecting the loaded libraries costs ~1 ms a time)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _layers(cols, get, w1, b, n, c):
    a1 = (cols.reshape(n * 64, 9) @ w1.reshape(b * c, 9).T).reshape(n, 4, 2, 4, 2, b, c)
    pooled = np.maximum(a1.max(axis=(2, 4)) + get("conv1.bias"), 0.0)   # (N, 4, 4, B, C)
    f = pooled.transpose(3, 0, 1, 2, 4).reshape(b, n, 16 * c)            # flatten as (i, j, c)
    h2 = np.maximum(f @ get("fc1.weight").transpose(0, 2, 1) + get("fc1.bias")[:, None, :], 0.0)
    return h2 @ get("fc2.weight").transpose(0, 2, 1) + get("fc2.bias")[:, None, :]


class _Evaluator:
    """``ev(weights) -> accuracy`` of a model on one test set (patches computed once), and
    ``ev.many(stacked) -> accuracies`` for B weight sets stacked on a leading axis
    (:func:`analysis.quantization.monte_carlo_accuracy` batches its draws with it)."""

    def __init__(self, model: "DigitsCNN", x: np.ndarray, y: np.ndarray):
        self.model, self.y = model, np.asarray(y)
        self.cols = _patches(x)

    def __call__(self, weights: dict[str, np.ndarray] | None = None) -> float:
        return self.model.accuracy(None, self.y, weights, {"cols": self.cols})

    def many(self, stacked: dict[str, np.ndarray]) -> np.ndarray:
        logits = _forward_many(self.cols, self.model.params, stacked)
        return np.mean(np.argmax(logits, axis=2) == self.y, axis=1)


@dataclass
class DigitsCNN:
    """Weights by name (torch layouts) and the forward pass."""

    params: dict[str, np.ndarray]

    def logits(self, x: np.ndarray, weights: dict[str, np.ndarray] | None = None,
               cache: dict | None = None) -> np.ndarray:
        """Forward pass; ``weights`` overrides any of :attr:`params` (quantized copies)."""
        cols = _patches(x) if cache is None or "cols" not in cache else cache["cols"]
        if cache is not None:
            cache["cols"] = cols
        w = weights or {"conv1.weight": self.params["conv1.weight"]}
        return _forward_many(cols, self.params, {k: v[None] for k, v in w.items()})[0]

    def accuracy(self, x: np.ndarray, y: np.ndarray, weights: dict[str, np.ndarray] | None = None,
                 cache: dict | None = None) -> float:
        return float(np.mean(np.argmax(self.logits(x, weights, cache), axis=1) == y))

    def evaluator(self, x: np.ndarray, y: np.ndarray) -> _Evaluator:
        """The accuracy on ``(x, y)`` as a callable with a batched ``many`` (:class:`_Evaluator`)."""
        return _Evaluator(self, x, y)

    def weights(self) -> dict[str, np.ndarray]:
        """The quantizable weight tensors (copies)."""
        return {k: self.params[k].copy() for k in WEIGHT_NAMES}


CHANNELS, HIDDEN = 16, 64


def _init(rng: np.random.Generator) -> dict[str, np.ndarray]:
    he = lambda fan_in, shape: rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)  # noqa: E731
    c, h = CHANNELS, HIDDEN
    return {"conv1.weight": he(9, (c, 1, 3, 3)), "conv1.bias": np.zeros(c),
            "fc1.weight": he(16 * c, (h, 16 * c)), "fc1.bias": np.zeros(h),
            "fc2.weight": he(h, (10, h)), "fc2.bias": np.zeros(10)}


def _grads(p: dict[str, np.ndarray], cols: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    """Cross-entropy loss and its gradients (manual backpropagation of :meth:`DigitsCNN.logits`)."""
    n = len(y)
    c = p["conv1.weight"].shape[0]
    w1 = p["conv1.weight"].reshape(c, 9)
    a1 = cols @ w1.T + p["conv1.bias"]
    r1 = np.maximum(a1, 0.0)
    blocks = r1.reshape(n, 4, 2, 4, 2, c)
    pooled = blocks.max(axis=(2, 4))
    f = pooled.reshape(n, 16 * c)
    a2 = f @ p["fc1.weight"].T + p["fc1.bias"]
    h2 = np.maximum(a2, 0.0)
    z = h2 @ p["fc2.weight"].T + p["fc2.bias"]
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    prob = e / e.sum(axis=1, keepdims=True)
    loss = float(-np.mean(np.log(prob[np.arange(n), y] + 1e-12)))
    dz = prob
    dz[np.arange(n), y] -= 1.0
    dz /= n
    g = {"fc2.weight": dz.T @ h2, "fc2.bias": dz.sum(0)}
    dh2 = dz @ p["fc2.weight"]
    da2 = dh2 * (a2 > 0)
    g["fc1.weight"] = da2.T @ f
    g["fc1.bias"] = da2.sum(0)
    dpooled = (da2 @ p["fc1.weight"]).reshape(n, 4, 1, 4, 1, c)
    mask = blocks == pooled.reshape(n, 4, 1, 4, 1, c)
    dr1 = (mask * dpooled).reshape(n, 64, c)
    da1 = dr1 * (a1 > 0)
    g["conv1.weight"] = (da1.reshape(-1, c).T @ cols.reshape(-1, 9)).reshape(c, 1, 3, 3)
    g["conv1.bias"] = da1.sum(axis=(0, 1))
    return loss, g


def train_digits_cnn(seed: int = 0, epochs: int = 30, batch: int = 64, lr: float = 3e-3) -> tuple[DigitsCNN, tuple]:
    """Train the CNN; returns ``(model, (x_train, y_train, x_test, y_test))``. Deterministic."""
    return _train_cached(seed, epochs, batch, lr)


@lru_cache(maxsize=4)
def _train_cached(seed: int, epochs: int, batch: int, lr: float):
    xtr, ytr, xte, yte = load_digits_split(seed)
    rng = np.random.default_rng(seed)
    p = _init(rng)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v2 = {k: np.zeros_like(v) for k, v in p.items()}
    cols_all = _patches(xtr)
    t = 0
    for _ in range(epochs):
        order = rng.permutation(len(ytr))
        for s in range(0, len(order), batch):
            idx = order[s:s + batch]
            _, g = _grads(p, cols_all[idx], ytr[idx])
            t += 1
            for k in p:
                m[k] = 0.9 * m[k] + 0.1 * g[k]
                v2[k] = 0.999 * v2[k] + 0.001 * g[k] ** 2
                p[k] = p[k] - lr * (m[k] / (1 - 0.9 ** t)) / (np.sqrt(v2[k] / (1 - 0.999 ** t)) + 1e-8)
    for v in p.values():
        v.flags.writeable = False
    return DigitsCNN(p), (xtr, ytr, xte, yte)


def pretrained_digits_cnn(seed: int = 0) -> tuple[DigitsCNN, tuple]:
    """The shipped model (:data:`PRETRAINED`) and the digits split it was trained on; trains
    (and does not write) when the file is missing."""
    if not PRETRAINED.is_file():
        return train_digits_cnn(seed)
    with np.load(PRETRAINED) as f:
        params = {k: f[k].astype(np.float64) for k in f.files}
    return DigitsCNN(params), load_digits_split(seed)


if __name__ == "__main__":      # regenerate the shipped weights
    model, (_, _, xte, yte) = train_digits_cnn(0)
    PRETRAINED.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(PRETRAINED, **{k: np.asarray(v, dtype=np.float32) for k, v in model.params.items()})
    print(f"test accuracy {model.accuracy(xte, yte):.4f}; wrote {PRETRAINED}")
