"""Device-aware post-training quantization (PTQ) onto a synapse's measured levels, with CTC noise.

A weight tensor ``w`` is mapped onto the device's L conductance (here: Hall-resistance) levels
``l_0 < ... < l_(L-1)``, normalised to [0, 1] over the switching window
(:func:`analysis.synapse.measured_levels`) -- the measured, generally non-uniform levels, not an
assumed uniform grid. A range ``[lo, hi]`` (per tensor, or per output channel = axis 0) maps the
level set affinely onto the weight axis, ``w_k = lo + (hi - lo) l_k``; each weight is programmed
to the nearest level. Observers choose the range:

* ``minmax``: ``[min w, max w]`` of the tensor / channel;
* ``mse``: ``[a min w, a max w]`` with the ``a`` in (0, 1] (a grid of 64) that minimises the
  mean squared quantization error of the tensor / channel (weights beyond the range clip to
  the end levels), e.g. Nagel et al., "A white paper on neural network quantization" (2021).

Programming is stochastic: every programmed weight (one programming event) lands at
``l_k + sigma_k z`` with ``z ~ N(0, 1)`` drawn per weight and per draw, ``sigma_k`` the CTC of
level k as a fraction of the window (the ``window`` CTC definition; one number or one per
level). Accuracy is then a Monte-Carlo mean +- standard deviation over seeded draws.

Works on a dict of numpy weight arrays (any model that takes such a dict, e.g. the embedded
:class:`analysis.digits_cnn.DigitsCNN`) and, when PyTorch is installed (extra ``torch``), on a
``torch.nn.Module``'s ``Conv*d`` and ``Linear`` weights (:func:`quantize_module`).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["OBSERVERS", "GRANULARITIES", "QuantConfig", "observe_range", "quantize", "quantize_weights",
           "quantize_weights_many", "monte_carlo_accuracy", "ptq_table", "ctc_sweep", "uniform_levels", "quantize_module",
           "plot_ctc_sweep"]

OBSERVERS = ("minmax", "mse")
GRANULARITIES = ("per_tensor", "per_channel")
_MSE_GRID = np.linspace(1.0 / 64, 1.0, 64)


def uniform_levels(n: int) -> np.ndarray:
    """The ideal, evenly spaced n-level grid on [0, 1]."""
    return np.linspace(0.0, 1.0, int(n))


def _check_levels(levels) -> np.ndarray:
    lv = np.sort(np.asarray(levels, dtype=float).ravel())
    if lv.size < 2 or not np.all(np.isfinite(lv)) or lv[-1] <= lv[0]:
        raise ValueError(f"levels must be >= 2 finite values spanning a window, got {lv}")
    return (lv - lv[0]) / (lv[-1] - lv[0])


def _nearest(u: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Index of the nearest level to each normalised value ``u`` (clipped to the window)."""
    mids = 0.5 * (levels[1:] + levels[:-1])
    return np.searchsorted(mids, u)


def _rows(w: np.ndarray, granularity: str) -> np.ndarray:
    return w.reshape(w.shape[0], -1) if granularity == "per_channel" and w.ndim > 1 else w.reshape(1, -1)


def observe_range(w: np.ndarray, levels, granularity: str = "per_channel",
                  observer: str = "minmax") -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)`` per row (one row per output channel, or one for the tensor), shape (R, 1)."""
    if observer not in OBSERVERS:
        raise ValueError(f"observer must be one of {OBSERVERS}, got {observer!r}")
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {GRANULARITIES}, got {granularity!r}")
    lv = _check_levels(levels)
    rows = _rows(np.asarray(w, dtype=float), granularity)
    lo, hi = rows.min(axis=1, keepdims=True), rows.max(axis=1, keepdims=True)
    hi = np.where(hi > lo, hi, lo + 1e-12)
    if observer == "minmax":
        return lo, hi
    best_err = np.full(lo.shape, np.inf)
    best_lo, best_hi = lo.copy(), hi.copy()
    for a in _MSE_GRID:
        l_a, h_a = a * lo, a * hi
        if np.any(h_a <= l_a):
            continue
        err = np.mean((_dequantize(rows, l_a, h_a, lv, None, None) - rows) ** 2, axis=1, keepdims=True)
        better = err < best_err
        best_err = np.where(better, err, best_err)
        best_lo = np.where(better, l_a, best_lo)
        best_hi = np.where(better, h_a, best_hi)
    return best_lo, best_hi


def _dequantize(rows, lo, hi, lv, sigma, rng) -> np.ndarray:
    u = np.clip((rows - lo) / (hi - lo), 0.0, 1.0)
    k = _nearest(u, lv)
    val = lv[k]
    if sigma is not None and rng is not None:
        sig = np.asarray(sigma, dtype=float)
        s = sig[k] if sig.ndim else sig
        val = val + s * rng.standard_normal(val.shape)
    return lo + (hi - lo) * val


def quantize(w, levels, granularity: str = "per_channel", observer: str = "minmax",
             sigma=None, rng: np.random.Generator | None = None,
             ranges: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Quantize one tensor onto ``levels`` (see the module docstring); with ``sigma`` and
    ``rng``, each weight is one stochastic programming event. ``ranges`` skips the observer."""
    w = np.asarray(w, dtype=float)
    lv = _check_levels(levels)
    lo, hi = ranges if ranges is not None else observe_range(w, lv, granularity, observer)
    if sigma is not None and np.ndim(sigma) and np.size(sigma) != lv.size:
        raise ValueError(f"sigma has {np.size(sigma)} values; the level set has {lv.size}")
    return _dequantize(_rows(w, granularity), lo, hi, lv, sigma, rng).reshape(w.shape)


@dataclass(frozen=True)
class QuantConfig:
    """One PTQ setting: levels (normalised), granularity, observer, CTC (fraction of window)."""

    levels: np.ndarray
    granularity: str = "per_channel"
    observer: str = "minmax"
    sigma: Any = None
    label: str = ""


def quantize_weights(weights: Mapping[str, np.ndarray], cfg: QuantConfig,
                     rng: np.random.Generator | None = None,
                     ranges: Mapping[str, tuple] | None = None) -> dict[str, np.ndarray]:
    """Quantize every tensor of ``weights`` under ``cfg`` (one draw of programming noise)."""
    return {k: quantize(w, cfg.levels, cfg.granularity, cfg.observer, cfg.sigma, rng,
                        None if ranges is None else ranges[k]) for k, w in weights.items()}


def quantize_weights_many(weights: Mapping[str, np.ndarray], cfg: QuantConfig, seeds: Sequence[Any],
                          ranges: Mapping[str, tuple] | None = None) -> dict[str, np.ndarray]:
    """:func:`quantize_weights` for many programming-noise draws at once: tensor ``k`` of the
    result has shape ``(len(seeds), *weights[k].shape)``, draw ``d`` equal to
    ``quantize_weights(weights, cfg, np.random.default_rng(seeds[d]), ranges)`` bit for bit
    (the same normals in the same order); the nearest level is found once per tensor."""
    rngs = [np.random.default_rng(s) for s in seeds]
    lv = _check_levels(cfg.levels)
    sig = None if cfg.sigma is None else np.asarray(cfg.sigma, dtype=float)
    if sig is not None and sig.ndim and sig.size != lv.size:
        raise ValueError(f"sigma has {sig.size} values; the level set has {lv.size}")
    out = {}
    for name, w in weights.items():
        w = np.asarray(w, dtype=float)
        rows = _rows(w, cfg.granularity)
        lo, hi = ranges[name] if ranges is not None else observe_range(w, lv, cfg.granularity, cfg.observer)
        k = _nearest(np.clip((rows - lo) / (hi - lo), 0.0, 1.0), lv)
        val = np.broadcast_to(lv[k], (len(rngs),) + rows.shape)
        if sig is not None:
            z = np.stack([r.standard_normal(rows.shape) for r in rngs])
            val = val + (sig[k] if sig.ndim else sig) * z
        out[name] = (lo + (hi - lo) * val).reshape((len(rngs),) + w.shape)
    return out


def monte_carlo_accuracy(evaluate: Callable[[dict[str, np.ndarray]], float],
                         weights: Mapping[str, np.ndarray], cfg: QuantConfig, draws: int = 100,
                         seed: int = 0, chunk: int = 10) -> dict[str, Any]:
    """Accuracy mean +- std over ``draws`` seeded programming-noise draws (one draw if the
    config has no noise). ``evaluate(quantized_weights) -> accuracy``. Observers run once.

    When ``evaluate`` has a method ``many(stacked) -> accuracies`` (the weights of ``chunk``
    draws stacked on a leading axis, :func:`quantize_weights_many`; e.g.
    :meth:`analysis.digits_cnn.DigitsCNN.evaluator`), the draws are quantized and evaluated
    ``chunk`` at a time: the same draws (seeds ``[seed, d]``) as one call per draw."""
    ranges = {k: observe_range(w, cfg.levels, cfg.granularity, cfg.observer) for k, w in weights.items()}
    noisy = cfg.sigma is not None and np.any(np.asarray(cfg.sigma) > 0)
    n = draws if noisy else 1
    many = getattr(evaluate, "many", None)
    if many is not None and n > 1:
        accs = np.concatenate([
            np.asarray(many(quantize_weights_many(weights, cfg, [[seed, d] for d in range(d0, min(d0 + chunk, n))],
                                                  ranges)), dtype=float)
            for d0 in range(0, n, max(int(chunk), 1))])
    else:
        accs = np.array([evaluate(quantize_weights(weights, cfg, np.random.default_rng([seed, d]), ranges))
                         for d in range(n)])
    return {"label": cfg.label, "granularity": cfg.granularity, "observer": cfg.observer,
            "n_levels": int(np.size(cfg.levels)), "draws": int(n),
            "sigma": float(np.mean(cfg.sigma)) if noisy else 0.0,
            "mean": float(accs.mean()), "std": float(accs.std(ddof=1)) if n > 1 else 0.0}


def ptq_table(evaluate, weights, device_levels, device_sigma, fp32_accuracy: float,
              draws: int = 100, seed: int = 0) -> list[dict[str, Any]]:
    """The paper's table shape: FP32; ideal L levels (uniform, no noise); the device's measured
    levels with its CTC -- each for per-tensor / per-channel and min-max / MSE."""
    rows = [{"label": "FP32", "granularity": "-", "observer": "-", "n_levels": 0, "draws": 1,
             "sigma": 0.0, "mean": float(fp32_accuracy), "std": 0.0}]
    n = int(np.size(device_levels))
    for label, lv, sig in (("ideal", uniform_levels(n), None), ("device", device_levels, device_sigma)):
        for gran in GRANULARITIES:
            for obs in OBSERVERS:
                rows.append(monte_carlo_accuracy(evaluate, weights,
                                                 QuantConfig(lv, gran, obs, sig, label), draws, seed))
    return rows


def ctc_sweep(evaluate, weights, levels, sigmas: Sequence[float], granularity: str = "per_channel",
              observer: str = "minmax", draws: int = 100, seed: int = 0) -> list[dict[str, Any]]:
    """Accuracy vs injected CTC (the same seeds at every sigma: common random numbers)."""
    return [monte_carlo_accuracy(evaluate, weights, QuantConfig(levels, granularity, observer,
                                                                float(s), f"ctc {s:g}"), draws, seed)
            for s in sigmas]


def plot_ctc_sweep(sweep: Sequence[Mapping[str, Any]], path, fp32: float | None = None):
    """Accuracy (mean +- std) against the injected CTC (percent of the window)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = np.array([r["sigma"] for r in sweep]) * 100
    m = np.array([r["mean"] for r in sweep]) * 100
    e = np.array([r["std"] for r in sweep]) * 100
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.errorbar(s, m, yerr=e, fmt="o-", capsize=3, label="device levels, per-channel")
    if fp32 is not None:
        ax.axhline(100 * fp32, color="0.5", ls="--", label="FP32")
    ax.set_xlabel("injected CTC (% of window)")
    ax.set_ylabel("accuracy (%)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


# --------------------------------------------------------------------------- torch
def quantize_module(module, cfg: QuantConfig, rng: np.random.Generator | None = None):
    """A deep copy of ``module`` (torch) whose ``Conv1d/2d/3d`` and ``Linear`` weights are
    quantized under ``cfg`` (output channel = axis 0, as torch stores them). Needs torch."""
    import copy

    import torch

    out = copy.deepcopy(module)
    with torch.no_grad():
        for sub in out.modules():
            if isinstance(sub, (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d, torch.nn.Linear)):
                w = sub.weight.detach().cpu().numpy().astype(np.float64)
                q = quantize(w, cfg.levels, cfg.granularity, cfg.observer, cfg.sigma, rng)
                sub.weight.copy_(torch.from_numpy(q).to(sub.weight.dtype))
    return out
