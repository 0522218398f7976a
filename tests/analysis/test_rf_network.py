"""Offline RF spintronic network (analysis.rf_network): gradients against finite differences, the
embedded XOR-like band task (one layer fails, two succeed), and an HDF5 dataset with
X_train/Y_train/X_test/Y_test trained next to a same-size software MLP (small generated data)."""
from __future__ import annotations

import h5py
import numpy as np
import pytest

from spinbench.analysis.rf_network import RFNetwork, SoftwareMLP, accuracy, train, xor_band_task


def test_gradients_match_finite_differences():
    net = RFNetwork(5, 3, 2, seed=3, crosstalk=2)
    x, y = xor_band_task(20, 5, seed=2)
    _, g = net.grads(x, y)
    for key in ("t1", "t2", "b", "g", "og"):
        p = net.params()[key]
        idx = (0,) * p.ndim
        old = p[idx]
        p[idx] = old + 1e-5
        lp, _ = net.grads(x, y)
        p[idx] = old - 1e-5
        lm, _ = net.grads(x, y)
        p[idx] = old
        assert g[key][idx] == pytest.approx((lp - lm) / 2e-5, rel=1e-4, abs=1e-9)


def test_weights_follow_the_detuning_within_the_tuning_range():
    net = RFNetwork(3, 0, 1, seed=0, variability=0.0, crosstalk=0, antisym=0.0)
    layer = net.l2
    layer.theta[:] = np.array([[[0.0, 5.0], [5.0, 0.0], [5.0, 5.0]]])   # + on, - on, both detuned
    w = layer.weights()[0]
    detuned = 1.0 / (1.0 + (layer.tuning_range * np.tanh(5.0) / layer.width) ** 2)   # S at the range edge
    assert w == pytest.approx([1 - detuned, detuned - 1, 0.0], abs=1e-12)
    assert np.all(np.abs(layer.resonances() - layer.f_in[None, :, None]) <= layer.tuning_range)


def test_two_layers_solve_the_band_xor_one_layer_cannot():
    x, y = xor_band_task(400, seed=0)
    xt, yt = xor_band_task(400, seed=1)
    one = RFNetwork(4, 0, 2, seed=0)
    train(one, x, y, epochs=40, batch=32, lr=0.1)
    two = RFNetwork(4, 8, 2, seed=0)
    train(two, x, y, epochs=80, batch=32, lr=0.1)
    assert accuracy(one, xt, yt) < 0.8          # XOR is not linearly separable
    assert accuracy(two, xt, yt) > 0.95
    noisy = RFNetwork(4, 8, 2, seed=0, noise=0.02)
    train(noisy, x, y, epochs=80, batch=32, lr=0.1)
    assert accuracy(noisy, xt, yt, noisy=True) > 0.9     # trained and evaluated with voltage noise


def test_hdf5_dataset_next_to_a_software_mlp(tmp_path):
    rng = np.random.default_rng(0)
    n_bins, n_cls = 32, 4
    centers = rng.uniform(0.1, 0.9, (n_cls, n_bins))
    def draw(n):
        yy = rng.integers(0, n_cls, n)
        return np.clip(centers[yy] + 0.08 * rng.standard_normal((n, n_bins)), 0.001, 0.99), yy
    path = tmp_path / "spectra.h5"
    with h5py.File(path, "w") as f:
        for split, n in (("train", 200), ("test", 100)):
            xx, yy = draw(n)
            f[f"X_{split}"], f[f"Y_{split}"] = xx, yy
    with h5py.File(path, "r") as f:
        x, y, xt, yt = (np.asarray(f[k]) for k in ("X_train", "Y_train", "X_test", "Y_test"))
    net = RFNetwork(n_bins, 8, n_cls, seed=0, crosstalk=2)
    train(net, x, y, epochs=40, batch=64, lr=0.08)
    mlp = SoftwareMLP(n_bins, 8, n_cls, seed=0)
    train(mlp, x, y, epochs=40, batch=64, lr=0.016)
    assert accuracy(mlp, xt, yt) > 0.9
    assert accuracy(net, xt, yt) > accuracy(mlp, xt, yt) - 0.05


def test_network_units_from_measured_spectra_match_the_junction(tmp_path):
    """units_from_runs: a spin-diode-map run (rf-mtj, 1 dB cable) and an emission-spectra run
    (sto-spectrum) give the network units of the junction's own laws (device_units, whose line is
    the analytic Kittel law and FMR width) -- device parameters taken from fitted spectra."""
    from spinbench.analysis.rf_network_device import device_units, units_from_runs
    from spinbench.instruments.bench import Bench
    from spinbench.protocols.emission_spectra import EmissionSpectra
    from spinbench.protocols.runner import RunStatus, run
    from spinbench.protocols.spin_diode_map import SpinDiodeMap

    truth = device_units(0.05)
    f0, w = truth.f_ref, truth.width
    sdm = run(SpinDiodeMap, Bench.load("rf-mtj"),
              {"fields": (0.05,), "freq_start": f0 - 6 * w, "freq_stop": f0 + 6 * w, "freq_points": 61,
               "power_dbm": -25.0}, out_dir=tmp_path / "sdm", seed=1, progress=False)
    zetas = (0.4, 0.55, 0.7, 0.85, 1.1, 1.3, 1.6)
    emi = run(EmissionSpectra, Bench.load("sto-spectrum"),
              {"currents": [z * truth.i_th for z in zetas], "fields": (0.05,), "averages": 8,
               "loop_field": 0.0},     # no resistance loop (it would shift the per-step noise draws)
              out_dir=tmp_path / "emi", seed=2, progress=False)
    assert sdm.status == RunStatus.COMPLETE and emi.status == RunStatus.COMPLETE
    got = units_from_runs(sdm.path, emi.path, 0.05, line_loss_db=1.0)
    assert got.f_ref == pytest.approx(truth.f_ref, rel=0.005)
    assert got.width == pytest.approx(truth.width, rel=0.03)
    assert got.antisym == pytest.approx(truth.antisym, rel=0.05)
    assert got.volts_per_watt == pytest.approx(truth.volts_per_watt, rel=0.05)
    assert got.i_th == pytest.approx(truth.i_th, rel=0.05)
    # the measured neuron table is the oscillator's emitted power at each current (the law)
    from spinbench.sim_backend.physics.presets import make_device
    dev = make_device("rf_mtj", {})
    currents = got.zeta[1:] * got.i_th
    law = np.array([dev.oscillation(np.array([0.05, 0.0, 0.0]), i)["power"] for i in currents])
    assert got.activation[1:] * got.peak_power == pytest.approx(law, rel=0.10)
