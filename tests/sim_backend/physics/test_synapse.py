"""Field-free synapse designs: each switches without an applied field for its own reason, the
effective fields act as real fields, and device-to-device variation follows its configuration."""
import numpy as np
import pytest

from spinbench.sim_backend.devices import Drive
from spinbench.sim_backend.physics.presets import make_device

WIDTH = 1e-3


def _write(dev, current, rng, field=(0.0, 0.0, 0.0), start=-1.0):
    """Set every grain to ``start``, apply one pulse, return the switched area fraction."""
    dev.s[:] = start
    dev.evolve(WIDTH, Drive(current=current, field=np.asarray(field, dtype=float)), rng)
    dev.evolve(WIDTH, Drive(current=0.0, field=np.asarray(field, dtype=float)), rng)
    return dev.switched_fraction() if start < 0 else 1.0 - dev.switched_fraction()


@pytest.mark.parametrize("model", ["synapse_tilted", "synapse_orange_peel", "synapse_idmi"])
def test_each_design_switches_deterministically_without_field(model):
    """+12 mA sets every grain up, -12 mA every grain down, at B = 0 (polarity from the design)."""
    rng = np.random.default_rng(1)
    dev = make_device(model, {"n_grains": 300})
    assert _write(dev, 12e-3, rng, start=-1.0) == pytest.approx(1.0)
    assert _write(dev, -12e-3, rng, start=1.0) == pytest.approx(1.0)
    # the same -12 mA pulse never raises a grain from the down state
    assert _write(dev, -12e-3, rng, start=-1.0) == 0.0


def test_without_the_symmetry_breaking_a_saturating_pulse_picks_no_polarity():
    """Zero roughness (orange peel) / zero D (iDMI): a supercritical pulse leaves grains up or
    down at random (damping-like SOT alone is symmetric), about half each way."""
    rng = np.random.default_rng(2)
    for model, off in [("synapse_orange_peel", {"op_roughness": 0.0}), ("synapse_idmi", {"d_inter": 0.0}),
                       ("synapse_tilted", {"tilt_deg": 0.0})]:
        dev = make_device(model, {"n_grains": 2000, **off})
        f = _write(dev, 14e-3, rng, start=-1.0)
        assert 0.35 < f < 0.65, (model, f)


def test_orange_peel_and_idmi_fields_are_real_fields():
    """An applied field equal and opposite to the design's effective field removes the
    field-free polarity (the internal field acts exactly like an applied one); doubling it by
    an applied field along it lowers the switching current (Lee's J_c(B_x) falls with B_x)."""
    rng = np.random.default_rng(3)
    for model in ("synapse_orange_peel", "synapse_idmi"):
        dev = make_device(model, {"n_grains": 2000, "ctc_sigma": 0.0})
        b = dev.b_int
        assert 0.02 < abs(b[0]) < 0.05 and abs(b[1]) < 1e-9          # tens of mT along x
        assert 0.35 < _write(dev, 14e-3, rng, field=-b) < 0.65
        f1 = _write(dev, 5.5e-3, rng)
        f2 = _write(dev, 5.5e-3, rng, field=b)
        assert f2 > f1 + 0.2


def test_idmi_polarity_follows_the_reference_layer_and_orange_peel_the_in_plane_layer():
    rng = np.random.default_rng(4)
    up = make_device("synapse_idmi", {"n_grains": 300, "ref_state": 1.0})
    down = make_device("synapse_idmi", {"n_grains": 300, "ref_state": -1.0})
    assert _write(up, 12e-3, rng) == pytest.approx(1.0)
    assert _write(down, 12e-3, rng) == 0.0 and _write(down, -12e-3, rng) == pytest.approx(1.0)
    flipped = make_device("synapse_orange_peel", {"n_grains": 300, "op_angle_deg": 0.0})
    assert _write(flipped, -12e-3, rng) == pytest.approx(1.0)


def test_intermediate_pulses_give_many_levels_from_the_threshold_distribution():
    """With the uniform (wedge) threshold profile the mean level rises ~linearly through the
    window: 9 evenly spaced currents inside it give 9 distinct, increasing levels."""
    rng = np.random.default_rng(5)
    dev = make_device("synapse_tilted", {"ctc_sigma": 0.0})
    levels = [_write(dev, i, rng) for i in np.linspace(5.15e-3, 8.25e-3, 9)]
    steps = np.diff(levels)
    assert np.all(steps > 0.05) and np.all(steps < 0.18)


def test_device_to_device_spread_of_the_window_centre_follows_d2d_sigma():
    """d2d_sigma = 5 %: the 50 % currents of 24 devices spread by 5 % (+- 2 % sampling)."""
    rng = np.random.default_rng(6)
    i_grid = np.linspace(3e-3, 10e-3, 141)
    i50 = []
    for seed in range(24):
        dev = make_device("synapse_tilted", {"seed": seed, "d2d_sigma": 0.05, "n_grains": 300, "ctc_sigma": 0.0})
        f = np.array([np.sum(dev.weights * dev.level_probabilities(i, WIDTH)) for i in i_grid])
        i50.append(np.interp(0.5, f, i_grid))
    spread = np.std(i50, ddof=1) / np.mean(i50)
    assert 0.03 < spread < 0.07


def test_bad_parameters_are_refused_with_the_allowed_values():
    with pytest.raises(ValueError, match="design"):
        make_device("synapse_tilted", {"design": "wedge"})
    with pytest.raises(ValueError, match="ctc_sigma"):
        make_device("synapse_tilted", {"ctc_sigma": 2.0})
    with pytest.raises(ValueError, match="unknown parameter"):
        make_device("synapse_idmi", {"dmi": 1.0})


def test_rare_thermal_flips_follow_the_neel_brown_law_through_the_no_flip_shortcut():
    """Zero current and field, every grain's barrier Delta = 20 kT: each flips out of -1 in
    ``dt`` with the two-state master-equation probability p = (1 - exp(-2 dt / tau)) / 2,
    tau = tau0 e^Delta (Néel-Brown, symmetric wells). With n p ~ 1, the no-flip shortcut of
    ``evolve`` decides most intervals; the count of flips must still be binomial(n, p): the
    probability of none (1 - p)^n and the mean n p."""
    n, delta, tau0 = 500, 20.0, 1e-9
    dev = make_device("synapse_tilted", {"n_grains": n, "delta_mean": delta, "delta_spread": 0.0,
                                         "size_spread": 0.0, "ctc_sigma": 0.0, "tau0": tau0})
    tau = tau0 * np.exp(delta)
    dt = tau / n
    p = -np.expm1(-2 * dt / tau) / 2
    rng = np.random.default_rng(7)
    reps = 4000
    counts = np.empty(reps)
    for r in range(reps):
        dev.s[:] = -1.0
        dev.evolve(dt, Drive(current=0.0), rng)
        counts[r] = np.sum(dev.s > 0)
    p_none = (1 - p) ** n
    assert np.mean(counts == 0) == pytest.approx(p_none, abs=4 * np.sqrt(p_none * (1 - p_none) / reps))
    assert np.mean(counts) == pytest.approx(n * p, abs=4 * np.sqrt(n * p / reps))
    assert np.var(counts) == pytest.approx(n * p * (1 - p), rel=0.15)
