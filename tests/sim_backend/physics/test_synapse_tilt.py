"""The tilted-anisotropy synapse: field-free writing comes from the macrospin dynamics.

Independent check: the stochastic LLG (physics.llg, a separate numerical solution of the
equation of motion, no escape law) of one grain at zero applied field, against the polarity
rule and threshold table the grain model uses, and the symmetry argument (a tilt toward the
current leaves the two-fold rotation about y, so no polarity)."""
import numpy as np
import pytest

from spinbench.sim_backend.devices import Drive
from spinbench.sim_backend.physics.presets import make_device
from spinbench.sim_backend.physics.synapse_tilt import (TILT_THRESHOLD, switches_to, tilt_polarity,
                                                        tilted_axis)


def test_a_tilt_toward_sigma_writes_by_the_current_sign_in_the_sllg_at_300_k():
    """16 grains (Delta = 80), 15 deg toward +y, 1.5 J_c0, W (xi_DL < 0): from either well the
    pulse ends in the well sign(xi J u.sigma), every time."""
    u = tilted_axis(15.0)
    for sign in (1.0, -1.0):
        want = tilt_polarity(sign, -0.3, u)
        assert want == -sign                               # W, tilt toward +y
        for start in (1.0, -1.0):
            end = switches_to(np.full(16, 1.5 * sign), 15.0, start=start, temperature=300.0, seed=4)
            assert np.all(end == want), (sign, start, end)


def test_a_tilt_toward_the_current_gives_no_polarity():
    """15 deg toward +x: the two-fold rotation about y maps the dynamics from -u onto that from
    +u, so the sLLG outcome is mirrored between the wells (the pulse never chooses a well by its
    sign), and the grain model, following it, writes no polarity either."""
    for sign in (1.0, -1.0):
        down = switches_to(np.full(8, 1.5 * sign), 15.0, "xz", start=-1.0, temperature=300.0, seed=5)
        up = switches_to(np.full(8, 1.5 * sign), 15.0, "xz", start=1.0, temperature=300.0, seed=5)
        assert np.mean(down == -1.0) == pytest.approx(np.mean(up == 1.0), abs=0.26)   # mirrored
    assert tilt_polarity(1.0, -0.3, tilted_axis(15.0, "xz")) == 0.0
    dev = make_device("synapse_tilted", {"n_grains": 2000, "tilt_plane": "xz", "ctc_sigma": 0.0})
    rng = np.random.default_rng(8)
    dev.s[:] = -1.0
    dev.evolve(1e-3, Drive(current=14e-3), rng)
    dev.evolve(1e-3, Drive(current=0.0), rng)
    assert 0.35 < dev.switched_fraction() < 0.65


@pytest.mark.parametrize("tilt", [5.0, 15.0])
def test_the_threshold_table_is_the_sllg_threshold(tilt):
    """5 % below the tabulated J / J_c0 the T = 0 pulse does not write, 5 % above it does."""
    ratio = TILT_THRESHOLD[tilt]
    start = -tilt_polarity(1.0, -0.3, tilted_axis(tilt))
    assert switches_to(0.95 * ratio, tilt, start=start)[0] == start
    assert switches_to(1.05 * ratio, tilt, start=start)[0] == -start


def test_the_grain_model_takes_the_tilt_threshold_and_its_polarity():
    """The preset (-15 deg, toward -y) writes up with positive pulses; its 50 % current for 1 ms
    follows the sLLG threshold: I_50 = r I_c0 (1 - ln(t / (tau0 ln 2)) / Delta) (Néel-Brown with
    n = 1) for identical grains."""
    dev = make_device("synapse_tilted", {"n_grains": 400, "ctc_sigma": 0.0, "jc_window": 0.0,
                                         "delta_spread": 0.0, "size_spread": 0.0, "b_k_spread": 0.0})
    p = dev.p
    from spinbench.sim_backend.physics.analytic import sot_critical_current_density

    ic0 = float(sot_critical_current_density(p.ms, p.thickness, p.xi_dl, p.b_k_eff, 0.0)) * p.width * p.hm_thickness
    i50 = TILT_THRESHOLD[15.0] * ic0 * (1 - np.log(1e-3 / (p.tau0 * np.log(2))) / p.delta_mean)
    grid = np.linspace(0.9 * i50, 1.1 * i50, 81)
    f = np.array([np.mean(dev.level_probabilities(i, 1e-3)) for i in grid])
    assert np.interp(0.5, f, grid) == pytest.approx(i50, rel=2e-3)
    assert np.all(dev.level_probabilities(-2 * i50, 1e-3) < 1e-12)   # negative pulses never raise
