"""Device-aware PTQ: level mapping, observers, per-event CTC noise, the digits table and sweep,
the CIFAR-10 loader. Oracles: the level set itself, direct MSE, the configured sigma, FP32."""
import pickle

import numpy as np
import pytest

from spinbench.analysis.cifar import load_cifar_batch
from spinbench.analysis.quantization import (QuantConfig, ctc_sweep, monte_carlo_accuracy, observe_range,
                                             quantize, uniform_levels)

LEVELS = np.array([0.0, 0.08, 0.2, 0.45, 0.7, 1.0])      # non-uniform, like a measured device


def test_weights_land_on_the_measured_levels_of_each_channel():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 3, 3, 3)) * np.array([0.1, 1.0, 3.0, 0.01])[:, None, None, None]
    q = quantize(w, LEVELS, "per_channel", "minmax")
    for c in range(4):
        lo, hi = w[c].min(), w[c].max()
        grid = lo + (hi - lo) * LEVELS
        dist = np.abs(q[c].ravel()[:, None] - grid[None, :]).min(axis=1)
        assert dist.max() < 1e-12                               # every weight on a level
        # nearest level: no grid point closer to the original weight than the chosen one
        chosen = np.abs(q[c].ravel() - w[c].ravel())
        best = np.abs(w[c].ravel()[:, None] - grid[None, :]).min(axis=1)
        assert np.allclose(chosen, best)
    qt = quantize(w, LEVELS, "per_tensor", "minmax")
    assert len(np.unique(np.round(qt, 12))) <= LEVELS.size
    # per-tensor ranges crush the small channels onto one or two levels
    assert len(np.unique(qt[3])) <= 2 < len(np.unique(q[3]))


def test_mse_observer_lowers_the_error_of_heavy_tailed_weights():
    rng = np.random.default_rng(1)
    w = rng.standard_normal((8, 500))
    w[:, 0] = 8.0                                           # one outlier per channel
    levels = uniform_levels(11)
    err = {obs: np.mean((quantize(w, levels, "per_channel", obs) - w) ** 2) for obs in ("minmax", "mse")}
    assert err["mse"] < 0.75 * err["minmax"]
    lo, hi = observe_range(w, levels, "per_channel", "mse")
    assert np.all(hi[:, 0] < w.max(axis=1))                 # outliers are clipped


def test_programming_noise_is_drawn_per_event_with_the_configured_sigma():
    rng = np.random.default_rng(2)
    w = rng.uniform(-1, 1, size=(1, 200_000))
    ranges = observe_range(w, LEVELS, "per_tensor", "minmax")
    clean = quantize(w, LEVELS, "per_tensor", ranges=ranges)
    noisy = quantize(w, LEVELS, "per_tensor", sigma=0.02, rng=np.random.default_rng(3), ranges=ranges)
    dev = (noisy - clean) / (ranges[1] - ranges[0])
    assert np.std(dev) == pytest.approx(0.02, rel=0.02) and abs(np.mean(dev)) < 2e-4
    # per-level sigma: only the weights on level 3 spread
    per_level = np.zeros(LEVELS.size)
    per_level[3] = 0.05
    noisy = quantize(w, LEVELS, "per_tensor", sigma=per_level, rng=np.random.default_rng(4), ranges=ranges)
    moved = np.abs(noisy - clean) > 0
    on3 = np.isclose(clean, ranges[0] + (ranges[1] - ranges[0]) * LEVELS[3])
    assert np.array_equal(moved, on3)


def test_monte_carlo_is_seeded():
    w = {"a": np.random.default_rng(5).standard_normal((3, 50))}
    ev = lambda q: float(np.mean(q["a"]))  # noqa: E731
    cfg = QuantConfig(LEVELS, sigma=0.05)
    a = monte_carlo_accuracy(ev, w, cfg, draws=10, seed=1)
    assert a == monte_carlo_accuracy(ev, w, cfg, draws=10, seed=1)
    assert a["mean"] != monte_carlo_accuracy(ev, w, cfg, draws=10, seed=2)["mean"]
    assert a["draws"] == 10 and a["std"] > 0


@pytest.fixture(scope="module")
def digits():
    from spinbench.analysis.digits_cnn import pretrained_digits_cnn

    model, (_, _, x, y) = pretrained_digits_cnn()
    return model, model.evaluator(x, y)


def test_batched_draws_are_the_one_at_a_time_draws(digits):
    """Oracle: the plain per-draw loop (quantize_weights with rng [seed, d], then the model's
    own forward pass). The batched path (draws stacked, one GEMM) gives the same weights and
    the same accuracy for every draw."""
    from spinbench.analysis.quantization import quantize_weights, quantize_weights_many

    model, ev = digits
    x, y = digits_test_set()
    cfg = QuantConfig(LEVELS, "per_channel", "mse", np.linspace(0.0, 0.1, LEVELS.size))
    w = model.weights()
    stacked = quantize_weights_many(w, cfg, [[7, d] for d in range(5)])
    accs = ev.many(stacked)
    for d in range(5):
        one = quantize_weights(w, cfg, np.random.default_rng([7, d]))
        for k in w:
            assert np.array_equal(stacked[k][d], one[k])
        assert accs[d] == model.accuracy(x, y, one)
    assert len(set(accs.tolist())) > 1                      # the draws differ
    seq = monte_carlo_accuracy(lambda q: model.accuracy(x, y, q), w, cfg, draws=7, seed=3)
    assert monte_carlo_accuracy(ev, w, cfg, draws=7, seed=3, chunk=3) == seq


def digits_test_set():
    from spinbench.analysis.digits_cnn import load_digits_split

    return load_digits_split(0)[2:]


@pytest.fixture(scope="module")
def tilted_levels(tmp_path_factory):
    """Measured levels and CTC of the simulated tilted-anisotropy synapse (ctc-states run)."""
    from spinbench.analysis.device_ptq import levels_from_run
    from spinbench.instruments.bench import Bench
    from spinbench.protocols.runner import run
    from spinbench.protocols.synapse import CtcStates

    out = tmp_path_factory.mktemp("ptq")
    res = run(CtcStates, Bench.load("tilted-synapse"), {"cycles": 60}, out_dir=out, seed=5, progress=False)
    return levels_from_run(res.path)


def test_digits_table_per_channel_beats_per_tensor_and_device_levels_stay_near_fp32(digits, tilted_levels):
    from spinbench.analysis.quantization import ptq_table

    model, ev = digits
    levels, sigma = tilted_levels
    assert levels.size == 11 and np.all(np.diff(levels) > 0.03)
    assert 0.01 < np.median(sigma[1:-1]) < 0.03                 # the device's ~2 % CTC
    fp32 = ev(None)
    assert fp32 > 0.97
    rows = {(r["label"], r["granularity"], r["observer"]): r
            for r in ptq_table(ev, model.weights(), levels, sigma, fp32, draws=12, seed=0)}
    for obs in ("minmax", "mse"):
        assert rows[("ideal", "per_channel", obs)]["mean"] >= rows[("ideal", "per_tensor", obs)]["mean"]
        assert rows[("device", "per_channel", obs)]["mean"] >= rows[("device", "per_tensor", obs)]["mean"]
        assert rows[("device", "per_channel", obs)]["mean"] > fp32 - 0.02
        assert rows[("device", "per_channel", obs)]["draws"] == 12


def test_accuracy_falls_monotonically_as_injected_ctc_grows(digits, tilted_levels):
    model, ev = digits
    levels, _ = tilted_levels
    sweep = ctc_sweep(ev, model.weights(), levels, (0.0, 0.05, 0.1, 0.2, 0.3, 0.5), draws=12, seed=0)
    means = np.array([r["mean"] for r in sweep])
    assert np.all(np.diff(means) < 0)
    assert means[0] > 0.95 and means[-1] < 0.5


def test_cifar_loader_reads_a_tiny_file_in_the_cifar_format(tmp_path):
    rng = np.random.default_rng(6)
    data = rng.integers(0, 256, size=(5, 3072), dtype=np.uint8)
    labels = [3, 0, 9, 1, 1]
    path = tmp_path / "test_batch"
    with path.open("wb") as fh:
        pickle.dump({b"batch_label": b"testing batch 1 of 1", b"labels": labels, b"data": data,
                     b"filenames": [b"a.png"] * 5}, fh)
    x, y = load_cifar_batch(path)
    assert x.shape == (5, 3, 32, 32) and x.dtype == np.float32
    assert list(y) == labels
    # channel-major rows: the first 1024 bytes are the red plane, row by row
    assert x[2, 0, 0, 5] == pytest.approx(data[2, 5] / 255.0)
    assert x[2, 1, 1, 0] == pytest.approx(data[2, 1024 + 32] / 255.0)
    assert x[2, 2, 31, 31] == pytest.approx(data[2, 3071] / 255.0)
    bad = tmp_path / "bad"
    with bad.open("wb") as fh:
        pickle.dump({b"data": data[:, :100], b"labels": labels}, fh)
    with pytest.raises(ValueError, match="3072"):
        load_cifar_batch(bad)


def test_torch_module_conv_and_linear_weights_are_quantized():
    torch = pytest.importorskip("torch")
    from spinbench.analysis.quantization import quantize_module

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                              torch.nn.Linear(4 * 6 * 6, 10))
    q = quantize_module(net, QuantConfig(LEVELS, "per_channel", "minmax"))
    for orig, new in ((net[0], q[0]), (net[3], q[3])):
        w, wq = orig.weight.detach().numpy(), new.weight.detach().numpy()
        assert np.allclose(wq, quantize(w.astype(np.float64), LEVELS, "per_channel", "minmax"), atol=1e-6)
        assert np.array_equal(orig.bias.detach().numpy(), new.bias.detach().numpy())
    assert not np.array_equal(net[0].weight.detach().numpy(), q[0].weight.detach().numpy())
