"""Neel-Brown maximum-likelihood fits, Sun's law and energy per switch on synthetic outcomes."""
import math

import numpy as np
import pandas as pd
import pytest

from spinbench.analysis.switching_probability import (energy_per_switch, fit_neel_brown, fit_sun,
                                            fit_width_i50, sun_critical_current)
from spinbench.sim_backend.physics.analytic import sun_switching_time
from spinbench.sim_backend.physics.thermal import thermal_switching_probability


def _outcomes(rng, ic0, delta, tau0, n, widths, x_grid, repeats):
    rows = []
    for t in widths:
        for x in x_grid:
            p = float(thermal_switching_probability(t, x, delta, tau0, n))
            rows.append({"width": t, "amplitude": x * ic0, "n": repeats,
                         "k": int(rng.binomial(repeats, p))})
    return pd.DataFrame(rows)


def test_joint_fit_recovers_ic0_and_delta_within_its_error_bars():
    rng = np.random.default_rng(1)
    widths = (1e-4, 1e-3, 1e-2)
    x = np.linspace(0.62, 0.85, 12)
    pulls = []
    for _ in range(5):
        data = _outcomes(rng, 3e-3, 50.0, 1e-9, 1.0, widths, x, 200)
        fit = fit_neel_brown(data)
        assert fit.ic0 == pytest.approx(3e-3, rel=0.03)
        assert fit.delta == pytest.approx(50.0, rel=0.06)
        pulls += [(fit.ic0 - 3e-3) / fit.ic0_err, (fit.delta - 50.0) / fit.delta_err]
    assert np.all(np.abs(pulls) < 3.5)                 # Fisher errors are honest
    assert 0.3 < np.std(pulls) < 2.0


def test_fit_frees_tau0_when_n_is_two_and_widths_span_decades():
    rng = np.random.default_rng(2)
    x = np.linspace(0.3, 0.9, 16)
    data = _outcomes(rng, 1e-3, 40.0, 1e-9, 2.0, (1e-7, 1e-5, 1e-3, 1e-1), x, 400)
    fit = fit_neel_brown(data, n=2.0, tau0=1e-8, fit_tau0=True)
    assert fit.ic0 == pytest.approx(1e-3, rel=0.05)
    assert fit.delta == pytest.approx(40.0, rel=0.15)
    assert math.log10(fit.tau0) == pytest.approx(-9.0, abs=0.7)


def test_per_width_i50_and_energy_follow_the_law():
    rng = np.random.default_rng(3)
    data = _outcomes(rng, 2e-3, 60.0, 1e-9, 1.0, (1e-3,), np.linspace(0.7, 0.85, 10), 300)
    i50 = fit_width_i50(data)["i50"].iloc[0]
    x50 = 1 - math.log(1e-3 / (1e-9 * math.log(2))) / 60.0
    assert i50 == pytest.approx(2e-3 * x50, rel=0.01)
    fit = fit_neel_brown(data)
    energy = energy_per_switch(fit, [1e-3], resistance=1500.0)
    assert energy["energy50"].iloc[0] == pytest.approx(energy["i50"].iloc[0] ** 2 * 1500 * 1e-3)
    assert energy["i99"].iloc[0] > energy["i50"].iloc[0]


def test_sun_law_is_the_inverse_of_the_physics_switching_time_and_fits():
    tau_d, theta0, ic0 = 0.5e-9, 0.05, 1.2e-3
    widths = np.array([1e-9, 2e-9, 5e-9, 10e-9, 30e-9])
    tau_p = tau_d * math.log(math.pi / (2 * theta0))
    ic = sun_critical_current(widths, ic0, tau_p)
    assert np.allclose(sun_switching_time(ic / ic0, tau_d, theta0), widths)
    rng = np.random.default_rng(4)
    noisy = ic * (1 + 0.005 * rng.standard_normal(ic.size))
    fit = fit_sun(widths, noisy, 0.005 * ic)
    assert fit.ic0 == pytest.approx(ic0, rel=0.03)
    assert fit.tau_p == pytest.approx(tau_p, rel=0.05)
    assert abs(fit.ic0 - ic0) < 4 * fit.ic0_err
