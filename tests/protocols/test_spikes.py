"""spike-statistics on the thermo-mtj bench: counted rates follow the preset's Arrhenius law
(ThermoMtjParams: E_s, I_s, f0 -- the oracle) within Poisson tolerances; the detector on a
synthetic record with known spike times."""
import json

import numpy as np
import pytest

from spinbench.analysis.spikes import detect_spikes
from spinbench.instruments.bench import Bench
from spinbench.protocols.runner import analyze, run
from spinbench.sim_backend.physics.constants import E_CHARGE
from spinbench.sim_backend.physics.thermo_mtj import ThermoMtjParams, spike_rate


def test_detector_finds_known_spikes_in_noise():
    rng = np.random.default_rng(2)
    t = np.arange(20_000) * 0.2e-6
    v = 0.3 + 100e-6 * rng.standard_normal(len(t))
    true = np.sort(rng.choice(len(t) - 50, 25, replace=False))
    true = true[np.r_[True, np.diff(true) > 30]]               # resolvable (>= 6 us apart)
    for k in true:
        v[k:] += 2e-3 * np.exp(-(t[k:] - t[k]) / 1e-6)
    found = detect_spikes(t, np.round(v / 39e-6) * 39e-6)       # 8-bit-like quantisation
    assert len(found) == len(true)
    np.testing.assert_allclose(found, t[true], atol=0.4e-6)


def test_spike_rates_follow_the_presets_arrhenius_law(tmp_path):
    res = run(__import__("spinbench.protocols.spikes", fromlist=["SpikeStatistics"]).SpikeStatistics(),
              Bench.load("thermo-mtj"), {"captures": 6, "biases": "0.6e-3,1.0e-3", "powers": "0,0.04"},
              out_dir=tmp_path, progress=False)
    assert res.status == "complete" and res.n_points == 24
    files = analyze(res.path, tmp_path)
    out = json.loads(next(f for f in files if f.suffix == ".json").read_text())
    p = ThermoMtjParams()
    for r in out["rates"]:
        t_j = 300.0 + 1200.0 * r["power"]
        expected = float(spike_rate(t_j, r["bias"], p.spike_f0, p.spike_energy, p.spike_current)) * r["time"]
        assert r["count"] == pytest.approx(expected, abs=4 * np.sqrt(expected) + 0.05 * expected + 2), r
    fit = out["arrhenius"]
    # statistical tolerance: 3 standard errors of the fit (+ 5 % for the detector's dead time)
    e_true = p.spike_energy / E_CHARGE
    assert abs(fit["e_spike_eV"] - e_true) < 3 * fit["e_spike_eV_err"] + 0.05 * e_true
    assert fit["e_spike_eV_err"] < 0.2 * e_true                 # and the fit says something
    assert any(f.suffix == ".png" for f in files)
