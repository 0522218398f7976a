"""field-loop against an independent numerical solution: the coercive fields of the measured
loop against the escape rates of Brown's Fokker-Planck equation with an axial field, solved in
the test by finite volumes (not the simulator's Neel-Brown law)."""
import math

import numpy as np
import pytest
import pyvisa
from scipy.linalg import eigh_tridiagonal

from spinbench.analysis.switching import analyze_loop
from spinbench.instruments.bench import Bench
from spinbench.protocols.runner import run
from spinbench.protocols.runstore import RunReader
from spinbench.protocols.switching import FieldLoop
from spinbench.sim_backend.physics.presets import SotHallBarParams

GAMMA, KB = 1.76085963e11, 1.380649e-23


def escape_rate(delta: float, h: float, n: int = 3000) -> float:
    """Lowest non-zero eigenvalue (1/tau_N) of ``2 tau_N dW/dt = d/dx[(1-x^2) e^{-U} d/dx(e^U W)]``,
    U = -Delta (x^2 + 2 h x): the relaxation rate, i.e. the escape rate from the metastable well."""
    edges = np.linspace(-1.0, 1.0, n + 1)
    hstep = edges[1] - edges[0]
    x = 0.5 * (edges[1:] + edges[:-1])
    u = -delta * (x**2 + 2 * h * x)
    f = edges[1:-1]
    uf = -delta * (f**2 + 2 * h * f)
    shift = u.max()
    d = (1 - f**2) * np.exp(-(uf - shift))
    off = 0.5 * d * np.exp(0.5 * (u[1:] + u[:-1]) - shift) / hstep**2
    diag = np.zeros(n)
    diag[:-1] += 0.5 * d * np.exp(u[:-1] - shift) / hstep**2
    diag[1:] += 0.5 * d * np.exp(u[1:] - shift) / hstep**2
    return float(eigh_tridiagonal(diag, -off, select="i", select_range=(1, 1), eigvals_only=True)[0])


def test_field_loop_coercive_fields_follow_the_fokker_planck_escape_rates(tmp_path):
    step, b_max = 1e-3, 0.1
    result = run(FieldLoop, Bench.load("sot-hallbar"), {"field_max": b_max, "field_step": step},
                 out_dir=tmp_path, progress=False)
    df = RunReader(result.path).to_dataframe()
    loop = analyze_loop(df, x="field_set")
    world = pyvisa.ResourceManager("sot-hallbar@spinbench").visalib.world
    dwell = world.now / len(df)                  # virtual time per field step
    p = SotHallBarParams()
    volume = 2 * p.delta_300 * KB * 300 / (p.ms * p.b_k_eff)
    tau_n = p.ms * volume * (1 + p.alpha**2) / (2 * p.alpha * GAMMA * KB * 300)
    # up branch: from -B_max the moment is down; each step j gives it exp(-rate(h_j) dwell)
    fields = np.arange(-b_max, b_max + step / 2, step)
    hazard = np.array([escape_rate(p.delta_300, b / p.b_k_eff) / tau_n * dwell if b > 0 else 0.0
                       for b in fields])
    survive = np.exp(-np.cumsum(hazard))
    first = np.concatenate(([1.0], survive[:-1])) * -np.expm1(-hazard)
    expected = float(np.sum(first * (fields - step / 2)) / np.sum(first))
    assert 0.03 < expected < 0.09
    assert loop.up == pytest.approx(expected, abs=4e-3)
    assert loop.down == pytest.approx(-expected, abs=4e-3)
