"""The oscillator's normalized power p from an emission-spectra run (analysis.sto_power): the
resistance loop, the junction voltages and the emission lines, measured through the instruments
of the simulated sto-spectrum bench, give p within 10 % of the device's own mean normalized power
(rf_mtj preset, 50 mT: subcritical, Q < 0, the orbit jumps to p ~ 0.15-0.22 above threshold)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from spinbench.analysis.sto_power import Readout, fit_loop, orbits
from spinbench.instruments.bench import Bench
from spinbench.protocols.emission_spectra import EmissionSpectra
from spinbench.protocols.runner import RunStatus, analyze, run
from spinbench.protocols.runstore import RunReader
from spinbench.sim_backend.physics.constants import GAMMA_E
from spinbench.sim_backend.physics.presets import make_device

FIELD = np.array([0.05, 0.0, 0.0])


def test_small_orbits_follow_the_analytic_ellipse():
    """Independent oracle for the orbit code: for small orbits p = (phi_a^2/4) sqrt(B1/B2),
    omega -> gamma sqrt(B1 B2), dR_1 = |dR/dphi| phi_a = R0^2 G1 sin(psi) phi_a, and the
    readout's TMR from the loop resistances is (G0 + G1)/(G0 - G1) - 1."""
    b, b_k, m_eff = 0.05, 0.03, 0.45
    b1, b2 = b + b_k, b + b_k + m_eff
    omega0 = GAMMA_E * math.sqrt(b1 * b2)
    g_p, tmr, psi = 1 / 250.0, 1.0, math.radians(150.0)
    g_ap = g_p / (1 + tmr)
    g0, g1 = (g_p + g_ap) / 2, (g_p - g_ap) / 2
    rd = Readout(g0, g1, psi)
    assert rd.tmr == pytest.approx(tmr, rel=1e-12)
    amps = np.array([0.01, 0.02, 0.04])
    orb = orbits(b, b_k, m_eff, rd, omega0, amplitudes=amps)
    assert orb.p == pytest.approx(amps ** 2 / 4 * math.sqrt(b1 / b2), rel=2e-3)
    assert orb.omega == pytest.approx(omega0, rel=2e-3)
    r0 = 1 / (g0 + g1 * math.cos(psi))
    assert orb.r_first == pytest.approx(r0 ** 2 * g1 * math.sin(psi) * amps, rel=5e-3)


def test_emission_run_recovers_the_normalized_power(tmp_path):
    dev = make_device("rf_mtj", {})
    law = dev.oscillator(FIELD)
    ith = law.threshold
    zetas = (0.4, 0.55, 0.7, 0.85, 1.1, 1.2, 1.3)
    currents = [z * ith for z in zetas]
    params = {"currents": currents, "fields": (0.05,), "averages": 4, "points": 601, "loop_field": 0.06, "loop_points": 41,
              "reference_angle_deg": dev.p.p_angle_deg}
    result = run(EmissionSpectra, Bench.load("sto-spectrum"), params, out_dir=tmp_path, seed=2, progress=False)
    assert result.status == RunStatus.COMPLETE, result.error
    with RunReader(result.path) as reader:
        sel = reader.column("stage") == 1
        loop = fit_loop(reader.column("field")[sel], reader.column("voltage")[sel], 20e-6)
    # the loop: the two easy-axis states and the reversal at B_K (Stoner-Wohlfarth), within a step
    m_x = np.array([1.0, 0.0, 0.0])
    assert loop.r_plus == pytest.approx(float(dev.resistance_of(m_x)), rel=0.01)
    assert loop.r_minus == pytest.approx(float(dev.resistance_of(-m_x)), rel=0.01)
    assert loop.b_k == pytest.approx(dev.p.b_k, abs=0.002)
    files = analyze(result.path, tmp_path / "fits")
    import json
    summary = json.loads(next(p for p in files if p.name.endswith("_sto_fits.json")).read_text())
    pw = summary["0.05"]["normalized_power"]
    assert pw["tmr"] == pytest.approx(dev.p.tmr0, rel=0.05)
    rows = pw["p_table"]
    assert len(rows) == 3
    for row in rows:
        truth = dev.oscillation(FIELD, row["current"])
        print(row, truth["p"])
        assert row["p"] == pytest.approx(truth["p"], rel=0.10)
    print({k: pw[k] for k in ("tmr", "b_k", "f0", "m_eff", "q", "s")}, law.q, law.s, dev.p.mu0_m_eff)
    assert pw["q"] == pytest.approx(law.q, rel=0.15)
    assert summary["key_results"]["q_50mT"][0] == pw["q"]
