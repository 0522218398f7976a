"""emission-spectra on the simulated sto-spectrum bench (6221 bias, N9030B on the bias tee's RF
port) and its fits: threshold, tunability df/dI and emitted power recover the device's
(rf_mtj preset: auto-oscillator law checked against the sLLGS in tests/sim_backend/physics)."""
from __future__ import annotations

import numpy as np
import pytest

from spinbench.analysis.sto import fit_line, fit_oscillator
from spinbench.instruments.bench import Bench
from spinbench.protocols.emission_spectra import EmissionSpectra
from spinbench.protocols.runner import RunStatus, analyze, run
from spinbench.protocols.runstore import RunReader
from spinbench.sim_backend.physics import rf
from spinbench.sim_backend.physics.presets import make_device

FIELD = np.array([0.05, 0.0, 0.0])


def test_line_fit_recovers_a_synthetic_lorentzian():
    f = np.linspace(4e9, 6e9, 1001)
    rbw = 3e6
    s = rf.lorentzian_psd(f, 1e-9, 5e9, 40e6) + 1e-18
    p_dbm = rf.watts_to_dbm(s * 1.0645 * rbw)
    ln = fit_line(f, p_dbm, rbw)
    assert (ln.power, ln.frequency, ln.hwhm) == pytest.approx((1e-9, 5e9, 40e6), rel=2e-3)


def test_emission_spectra_recover_threshold_tunability_and_power(tmp_path):
    dev = make_device("rf_mtj", {})                        # the bench's device
    law = dev.oscillator(FIELD)
    ith = law.threshold
    zetas = (0.4, 0.55, 0.7, 0.85, 1.1, 1.2, 1.3)
    currents = [z * ith for z in zetas]
    result = run(EmissionSpectra, Bench.load("sto-spectrum"),
                 {"currents": currents, "fields": (0.05,), "averages": 8,
                  "loop_field": 0.0},     # no resistance loop (it would shift the per-step noise draws)
                 out_dir=tmp_path, seed=2,
                 progress=False)
    assert result.status == RunStatus.COMPLETE, result.error
    with RunReader(result.path) as reader:
        c = {k: reader.column(k) for k in ("current", "frequency", "power", "rbw")}
    lines = []
    for i in currents:
        sel = np.isclose(c["current"], i)
        lines.append(fit_line(c["frequency"][sel], c["power"][sel], float(c["rbw"][sel][0]), 0.05, i))
    fit = fit_oscillator(lines)
    assert fit.threshold_inverse_power == pytest.approx(ith, rel=0.10)
    assert fit.threshold == pytest.approx(ith, rel=0.10)
    above = currents[4:]
    true_dfdi = np.polyfit(above, [dev.oscillation(FIELD, i)["frequency"] for i in above], 1)[0]
    assert fit.df_di == pytest.approx(true_dfdi, rel=0.10)
    for ln in lines:                                   # the analyzer chain measures the emitted power
        assert ln.power == pytest.approx(dev.oscillation(FIELD, ln.current)["power"], rel=0.10)
    files = analyze(result.path, tmp_path / "fits")
    assert any(p.suffix == ".png" for p in files)


def test_a_source_meter_biases_the_junction_on_the_rf_mtj_bench(tmp_path):
    """rf-mtj has no current source: its 2450 (bias tee DC side) biases the junction and reads
    the junction voltage; the thermal lines below threshold give the threshold within 10 % and
    the voltages the junction's resistance (conductance law G = G_P (1 + cos)/2 + G_AP (1 - cos)/2
    of the free layer along +x against the reference at 150 deg, R_P = RA / area)."""
    dev = make_device("rf_mtj", {})
    ith = dev.oscillator(FIELD).threshold
    currents = [z * ith for z in (0.4, 0.55, 0.7, 0.85)]
    result = run(EmissionSpectra, Bench.load("rf-mtj"),
                 {"currents": currents, "averages": 8, "loop_field": 0.0}, out_dir=tmp_path, seed=2, progress=False)
    assert result.status == RunStatus.COMPLETE, result.error
    with RunReader(result.path) as reader:
        c = {k: reader.column(k) for k in ("current", "frequency", "power", "rbw", "voltage")}
    lines = [fit_line(c["frequency"][np.isclose(c["current"], i)], c["power"][np.isclose(c["current"], i)],
                      float(c["rbw"][0]), 0.05, i) for i in currents]
    assert fit_oscillator(lines).threshold_inverse_power == pytest.approx(ith, rel=0.10)
    p = dev.p
    r_p = p.ra / (np.pi / 4 * p.length * p.width)
    # G_AP = G_P / (1 + TMR): R = R_P (1 + TMR) / (1 + TMR (1 + cos)/2)
    cos = np.cos(np.radians(p.p_angle_deg))
    r_expect = r_p * (1 + p.tmr0) / (1 + p.tmr0 * (1 + cos) / 2)
    for i in currents:
        v = c["voltage"][np.isclose(c["current"], i)][0]
        assert v / i == pytest.approx(r_expect, rel=0.02)


def test_emission_spectra_needs_a_bias_role(tmp_path):
    from spinbench.protocols.base import CheckError

    with pytest.raises(CheckError, match="needs a bias: role current_source or source_meter"):
        run(EmissionSpectra, _no_bias_bench(tmp_path), {}, out_dir=tmp_path, progress=False)


def _no_bias_bench(tmp_path):
    import yaml
    from spinbench.sim_backend.benches import builtin_dir

    spec = yaml.safe_load((builtin_dir() / "sto-spectrum.yaml").read_text())
    del spec["roles"]["current_source"]
    path = tmp_path / "no-bias.yaml"
    path.write_text(yaml.safe_dump(spec))
    return Bench.load(str(path))
