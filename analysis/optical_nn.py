"""Optical neural network on laser-heated MTJs (Oberbauer et al., Commun. Phys. 8 (2025): a
single layer with optically encoded inputs reached 93.7 % on handwritten digits).

Hardware picture: pixel j of an image is a laser pulse of power ``P_j = p_max x_j`` (x in
[0, 1]) on a row of junctions; junction (k, j) carries the bias ``I_kj`` and gives the
thermovoltage ``V_kj = K P_j w(I_kj)`` with the measured cubic law of its state
``w(I) = -S + b1 I + b3 I^3`` (V/K; :mod:`spinbench.analysis.thermovoltage` fits it) and
``K`` the barrier temperature difference per W.  The junctions of output k are read in series,
``o_k = sum_j V_kj`` (+ one always-lit junction per output: the bias term), and the class is
``argmax_k o_k`` (a softmax of ``alpha o`` in training; alpha is the readout gain).

Device constraints in training: ``|I| <= i_max`` (``I = i_max tanh(theta)``), the laser power
``<= p_max``; the noise of a reading (``noise_v`` rms per junction) and the spikes (Poisson,
``spike_rate`` per second of integration, ``spike_area`` V s each, over ``t_int``) are sampled
in every training and test forward pass (seeded).  The software reference is the same single
layer (inputs + bias -> 10 softmax outputs) with unconstrained float weights and the same
optimiser.  Datasets: scikit-learn's 8x8 digits by default; MNIST from the user's IDX files
(:func:`load_idx`).
"""
from __future__ import annotations

import gzip
import struct
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from spinbench.analysis.strict_json import write_summary

__all__ = ["DeviceLaw", "load_idx", "load_dataset", "train_device_network", "train_software_network",
           "device_outputs", "compare"]

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
              0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def load_idx(path: str | Path) -> np.ndarray:
    """An IDX file (MNIST format; ``.gz`` accepted): magic ``0x0000TTNN`` (type TT, NN dims),
    NN big-endian uint32 sizes, then the data in big-endian order (LeCun et al., MNIST page)."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: not an IDX file (magic {raw[:4]!r})")
    dtype, ndim = raw[2], raw[3]
    if dtype not in _IDX_TYPES:
        raise ValueError(f"{path}: unknown IDX data type 0x{dtype:02x}")
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=_IDX_TYPES[dtype], offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {data.size} values for dimensions {dims}")
    return data.reshape(dims)


def _digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits (1797 x 64, values 0..16): its packaged CSV read directly
    (importing scikit-learn costs seconds), else ``sklearn.datasets.load_digits``."""
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    if spec is not None and spec.submodule_search_locations:
        path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "digits.csv.gz"
        if path.exists():
            raw = np.loadtxt(path, delimiter=",")
            return raw[:, :-1], raw[:, -1].astype(int)
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.data, d.target


def load_dataset(images: str | Path | None = None, labels: str | Path | None = None,
                 test_fraction: float = 0.2, seed: int = 0) -> dict[str, np.ndarray]:
    """(X_train, y_train, X_test, y_test) with X in [0, 1] flattened: scikit-learn's digits
    (8x8, 0..16) by default, or MNIST-format IDX images (n, h, w uint8) + labels (n,)."""
    if images is None:
        x, y = _digits()
        x = x / 16.0
    else:
        if labels is None:
            raise ValueError("IDX images need their labels file too")
        imgs, y = load_idx(images), load_idx(labels)
        if len(imgs) != len(y):
            raise ValueError(f"{len(imgs)} images but {len(y)} labels")
        x = imgs.reshape(len(imgs), -1).astype(float) / float(np.iinfo(imgs.dtype).max)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    n_test = int(round(test_fraction * len(x)))
    te, tr = order[:n_test], order[n_test:]
    return {"x_train": x[tr], "y_train": np.asarray(y)[tr].astype(int),
            "x_test": x[te], "y_test": np.asarray(y)[te].astype(int)}


@dataclass(frozen=True)
class DeviceLaw:
    """The junction as a synapse, from a thermovoltage-map fit and the bench."""

    seebeck: float            #: S of the state used (V/K)
    b1: float                 #: linear bias coefficient (V/(A K))
    b3: float                 #: cubic bias coefficient (V/(A^3 K))
    kelvin_per_watt: float    #: barrier dT per W of laser output (K/W)
    p_max: float = 0.02       #: laser power of a white pixel (W)
    i_max: float = 1e-3       #: bias range +-i_max (A)
    noise_v: float = 20e-6    #: rms noise of one junction's reading (V)
    spike_rate: float = 0.0   #: spikes per second per junction (at the working point)
    spike_area: float = 0.0   #: V s per spike (amplitude x decay time)
    t_int: float = 100e-6     #: integration time of a reading (s)

    @classmethod
    def from_fit(cls, fit: dict[str, Any], state: str = "AP", **kw: Any) -> "DeviceLaw":
        """From a ``thermovoltage-map`` ``_fit.json`` (its ``bias_law[state]`` and calibration)."""
        law = fit["bias_law"][state]
        return cls(law["seebeck"], law["b1"], law["b3"], fit["delta_t_per_watt"], **kw)

    def weight(self, current):
        """V per W of laser at bias ``current``: ``K (-S + b1 I + b3 I^3)``."""
        i = np.asarray(current, dtype=float)
        return self.kelvin_per_watt * (-self.seebeck + self.b1 * i + self.b3 * i ** 3)

    def dweight(self, current):
        i = np.asarray(current, dtype=float)
        return self.kelvin_per_watt * (self.b1 + 3 * self.b3 * i ** 2)


def _with_bias(x: np.ndarray) -> np.ndarray:
    return np.hstack([x, np.ones((len(x), 1))])


def device_outputs(law: DeviceLaw, currents: np.ndarray, x: np.ndarray,
                   rng: np.random.Generator | None = None) -> np.ndarray:
    """Series voltages ``o_k = sum_j p_max x_j w(I_kj)`` (+ noise and spikes when ``rng``)."""
    p = law.p_max * _with_bias(x)                      # (n, d+1) W
    out = p @ law.weight(currents).T                   # (n, 10) V
    if rng is not None:
        n_j = currents.shape[1]
        out = out + law.noise_v * np.sqrt(n_j) * rng.standard_normal(out.shape)
        if law.spike_rate > 0:
            counts = rng.poisson(law.spike_rate * law.t_int * n_j, size=out.shape)
            out = out + counts * law.spike_area / law.t_int
    return out


def _softmax_grad(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    n = len(y)
    loss = float(-np.log(p[np.arange(n), y] + 1e-300).mean())
    p[np.arange(n), y] -= 1.0
    return loss, p / n


class _Adam:
    def __init__(self, shapes, lr):
        self.m = [np.zeros(s) for s in shapes]
        self.v = [np.zeros(s) for s in shapes]
        self.lr, self.t = lr, 0

    def step(self, params, grads):
        self.t += 1
        for k, (p, g) in enumerate(zip(params, grads)):
            self.m[k] = 0.9 * self.m[k] + 0.1 * g
            self.v[k] = 0.999 * self.v[k] + 0.001 * g * g
            mh = self.m[k] / (1 - 0.9 ** self.t)
            vh = self.v[k] / (1 - 0.999 ** self.t)
            p -= self.lr * mh / (np.sqrt(vh) + 1e-8)


def train_software_network(data: dict[str, np.ndarray], epochs: int = 300, lr: float = 0.05,
                           l2: float = 1e-4, seed: int = 0) -> dict[str, Any]:
    """Single layer (inputs + bias -> 10 softmax), float weights, full-batch Adam."""
    rng = np.random.default_rng(seed)
    x, y = _with_bias(data["x_train"]), data["y_train"]
    k = int(max(y.max(), data["y_test"].max())) + 1
    w = 0.01 * rng.standard_normal((k, x.shape[1]))
    opt = _Adam([w.shape], lr)
    for _ in range(epochs):
        _, g = _softmax_grad(x @ w.T, y)
        opt.step([w], [g.T @ x + l2 * w])
    acc = float(((_with_bias(data["x_test"]) @ w.T).argmax(axis=1) == data["y_test"]).mean())
    return {"weights": w, "accuracy": acc}


def train_device_network(data: dict[str, np.ndarray], law: DeviceLaw, epochs: int = 300,
                         lr: float = 0.05, seed: int = 0) -> dict[str, Any]:
    """Bias currents ``I = i_max tanh(theta)`` and a readout gain alpha, trained with the
    device's noise and spikes sampled in every forward pass; test accuracy with fresh noise."""
    rng = np.random.default_rng(seed)
    x, y = data["x_train"], data["y_train"]
    k = int(max(y.max(), data["y_test"].max())) + 1
    theta = 0.1 * rng.standard_normal((k, x.shape[1] + 1))
    w_span = float(np.abs(law.weight(np.array([-law.i_max, law.i_max]))).max())
    log_alpha = np.array(np.log(1.0 / (law.p_max * w_span)))   # logits of order one at the start
    opt = _Adam([theta.shape, ()], lr)
    xb = law.p_max * _with_bias(x)
    for _ in range(epochs):
        cur = law.i_max * np.tanh(theta)
        out = device_outputs(law, cur, x, rng)
        alpha = float(np.exp(log_alpha))
        _, g = _softmax_grad(alpha * out, y)               # dL/dlogits
        g_out = alpha * g                                   # dL/do
        g_w = g_out.T @ xb                                  # dL/dw(I_kj)
        g_theta = g_w * law.dweight(cur) * law.i_max * (1 - np.tanh(theta) ** 2)
        g_log_alpha = np.array(float((g * alpha * out).sum()))
        opt.step([theta, log_alpha], [g_theta, g_log_alpha])
    cur = law.i_max * np.tanh(theta)
    test_rng = np.random.default_rng(seed + 1)
    noisy = device_outputs(law, cur, data["x_test"], test_rng)
    clean = device_outputs(law, cur, data["x_test"])
    return {"currents": cur, "alpha": float(np.exp(log_alpha)),
            "accuracy": float((noisy.argmax(axis=1) == data["y_test"]).mean()),
            "accuracy_noise_free": float((clean.argmax(axis=1) == data["y_test"]).mean())}


def _one_blas_thread():
    """Small matrices: a multi-threaded BLAS only spins on a busy machine (30 ms per 1400x65
    product on the shared CI box, 0.1 ms single-threaded)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        import contextlib
        return contextlib.nullcontext()
    return threadpool_limits(1, "blas")


def compare(law: DeviceLaw, data: dict[str, np.ndarray] | None = None, epochs: int = 300,
            seed: int = 0) -> dict[str, Any]:
    """Device network and software single layer of the same shape on the same split."""
    data = load_dataset(seed=seed) if data is None else data
    with _one_blas_thread():
        soft = train_software_network(data, epochs=epochs, seed=seed)
        dev = train_device_network(data, law, epochs=epochs, seed=seed)
    return {"software_accuracy": soft["accuracy"], "device_accuracy": dev["accuracy"],
            "device_accuracy_noise_free": dev["accuracy_noise_free"],
            "gap_points": 100 * (soft["accuracy"] - dev["accuracy"]), "law": asdict(law),
            "currents": dev["currents"], "alpha": dev["alpha"], "n_train": len(data["y_train"]),
            "n_test": len(data["y_test"]), "inputs": data["x_train"].shape[1]}


def save_network(path: str | Path, law: DeviceLaw, currents: np.ndarray, images: np.ndarray,
                 labels: np.ndarray | None = None) -> Path:
    """The ``.npz`` the ``onn-inference`` protocol runs: currents, images (0..1), labels and the
    law (seebeck, b1, b3, kelvin_per_watt, p_max) the network was trained with."""
    path = Path(path)
    extra = {} if labels is None else {"labels": np.asarray(labels)}
    np.savez(path, currents=np.asarray(currents), images=np.asarray(images), seebeck=law.seebeck,
             b1=law.b1, b3=law.b3, kelvin_per_watt=law.kelvin_per_watt, p_max=law.p_max, **extra)
    return path


def bench_outputs(frame) -> np.ndarray:
    """(samples, outputs) sums of the measured synapse voltages (the series readout)."""
    n_s = int(frame["sample"].max()) + 1
    n_k = int(frame["output"].max()) + 1
    out = np.zeros((n_s, n_k))
    np.add.at(out, (frame["sample"].to_numpy().astype(int), frame["output"].to_numpy().astype(int)),
              frame["v_laser"].to_numpy())
    return out


try:
    from spinbench.analysis.registry import register as _register
except ImportError:  # pragma: no cover
    def _register(*names):
        return lambda func: func


@_register("onn-inference")
def analyze_run(reader, outdir: Path) -> list[Path]:
    """Bench outputs vs the offline model's on the same samples; ``<stem>_onn.json`` + figure."""

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    frame = reader.to_dataframe()
    params = reader.params
    with np.load(params["network"]) as f:
        net = {k: f[k] for k in f.files}
    law = DeviceLaw(float(net["seebeck"]), float(net["b1"]), float(net["b3"]), float(net["kelvin_per_watt"]),
                    p_max=float(params["p_max"]))
    bench = bench_outputs(frame)
    n = len(bench)
    offline = device_outputs(law, net["currents"], net["images"][:n])
    spread = np.ptp(offline, axis=1, keepdims=True)
    rel = np.abs(bench - offline) / np.where(spread > 0, spread, 1.0)
    summary = {"samples": n, "bench_class": bench.argmax(axis=1).tolist(),
               "offline_class": offline.argmax(axis=1).tolist(),
               "labels": net["labels"][:n].tolist() if "labels" in net else None,
               "class_agreement": float((bench.argmax(axis=1) == offline.argmax(axis=1)).mean()),
               "max_relative_error": float(rel.max()), "bench_outputs": bench.tolist(),
               "offline_outputs": offline.tolist()}
    stem = Path(reader.path).stem
    js = outdir / f"{stem}_onn.json"
    write_summary(js, summary)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    k = np.arange(bench.shape[1])
    for s in range(min(n, 3)):
        ax.plot(k, offline[s] * 1e3, "o-", label=f"sample {s}: offline")
        ax.plot(k, bench[s] * 1e3, "x--", label=f"sample {s}: bench")
    ax.set_xlabel("output neuron (class)")
    ax.set_ylabel("series thermovoltage (mV)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    png = outdir / f"{stem}.png"
    fig.savefig(png, dpi=100)
    plt.close(fig)
    return [png, js]
