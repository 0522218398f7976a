"""SimWorld: virtual clock, coils, sources, Johnson noise, reseeding; the spine Hall-bar law."""
import math

import numpy as np
import pytest

from spinbench.sim_backend.benches import SimBenchError, build, builtin_benches
from spinbench.sim_backend.devices import KB, SotHallBarSpine, make_device
from spinbench.sim_backend.world import Coil, SimWorld


def world(**kw):
    coil = Coil(axis=np.array([1.0, 0, 0]), tesla_per_amp=0.01, inductance=0.05, resistance=1.0)
    return SimWorld(make_device("sot_hallbar_spine"), seed=3, coils={"coil_x": coil}, **kw)


def test_coil_slews_at_the_inductive_limit():
    w = world()
    w.set_coil_setpoint("coil_x", 5.0, voltage_limit=20.0)
    # dI/dt <= (V - I R)/L: from 0 to 5 A needs at least L*5/20 = 12.5 ms
    w.advance(0.0125 * 0.9)
    assert w.coil_current("coil_x") < 5.0
    w.advance(0.05)
    assert w.coil_current("coil_x") == pytest.approx(5.0)
    assert w.field == pytest.approx([0.05, 0, 0])


def test_coil_cannot_exceed_voltage_limit_over_resistance():
    w = world()
    w.set_coil_setpoint("coil_x", 30.0, voltage_limit=20.0)
    w.advance(1.0)
    assert w.coil_current("coil_x") == pytest.approx(20.0)


def test_johnson_noise_of_the_measurement_bandwidth():
    w = world()
    aperture = 1 / 60
    v = np.array([w.measure_voltage("hall", aperture) for _ in range(4000)])
    sigma = math.sqrt(4 * KB * 300 * w.device.resistance("hall") / (2 * aperture))
    assert v.mean() == pytest.approx(0.0, abs=4 * sigma / math.sqrt(len(v)))
    assert v.std() == pytest.approx(sigma, rel=0.05)
    assert w.now == pytest.approx(4000 * aperture)


def test_sources_on_one_port_add_and_drive_the_hall_voltage():
    w = world()
    w.set_source("a", "channel", 1e-3)
    w.set_source("b", "channel", 0.5e-3)
    d = w.device
    assert w.drive().current == pytest.approx(1.5e-3)
    assert d.voltage("hall", w.drive()) == pytest.approx(1.5e-3 * (d.r_ahe * d.m + d.r_offset))
    w.set_source_off("a")
    assert w.drive().current == pytest.approx(0.5e-3)
    with pytest.raises(KeyError, match="ports"):
        w.set_source("c", "gate", 1e-3)


def test_checkpoint_reseeds_reproducibly():
    w1, w2 = world(), world()
    w1.rng.random(17)  # different history before the checkpoint
    w1.checkpoint(5)
    w2.checkpoint(5)
    assert np.array_equal(w1.rng.random(4), w2.rng.random(4))
    before = w2.rng.random()
    w2.checkpoint(5)  # idempotent: does not rewind
    assert w2.rng.random() != before


def test_spine_switching_probability_follows_neel_brown():
    """Fraction switched by one 1 ms pulse at the analytic I50 is 1/2 (binomial tolerance)."""
    dev = SotHallBarSpine()
    rng = np.random.default_rng(0)
    from spinbench.sim_backend.devices import Drive
    bx = 0.01
    i50 = dev.switching_current_50(bx, 1e-3)
    n, switched = 2000, 0
    for _ in range(n):
        dev.m = -1.0
        dev.evolve(1e-3, Drive(current=i50, field=np.array([bx, 0, 0])), rng)
        switched += dev.m > 0
    assert switched / n == pytest.approx(0.5, abs=4 * math.sqrt(0.25 / n))
    # polarity: positive current with +Bx drives m to +1; with -Bx to -1; no Bx: no switching
    dev.m = -1.0
    dev.evolve(1e-3, Drive(current=2 * i50, field=np.array([bx, 0, 0])), rng)
    assert dev.m == 1.0
    dev.evolve(1e-3, Drive(current=2 * i50, field=np.array([-bx, 0, 0])), rng)
    assert dev.m == -1.0
    dev.evolve(1.0, Drive(current=2 * i50, field=np.zeros(3)), rng)
    assert dev.m == -1.0


def test_builtin_benches_and_bad_bench(tmp_path):
    assert "sot-hallbar" in builtin_benches()
    with pytest.raises(SimBenchError, match="unknown sim bench 'nope'"):
        build("nope")
    bad = tmp_path / "bad.yaml"
    bad.write_text("sim: {device: {model: no_such_device}}\n")
    with pytest.raises(SimBenchError, match="no_such_device"):
        build(str(bad))
    bad.write_text("sim: [unclosed\n")
    with pytest.raises(SimBenchError, match="not valid YAML"):
        build(str(bad))


def test_every_rf_tone_reaches_the_device_and_the_strongest_stays_the_legacy_tone():
    w = world()
    assert w.drive().rf_tones == () and w.drive().rf_power_dbm == -math.inf
    w.set_rf("gen1", 4.0e9, -20.0)
    w.set_rf("gen2", 6.5e9, -10.0, phase_rad=0.5)
    d = w.drive()
    assert d.rf_tones == ((4.0e9, -20.0, 0.0), (6.5e9, -10.0, 0.5))
    assert (d.rf_frequency, d.rf_power_dbm) == (6.5e9, -10.0)
    assert w.drive(current=1e-3).rf_tones == d.rf_tones
    w.set_rf("gen2", 6.5e9, None)
    assert w.drive().rf_tones == ((4.0e9, -20.0, 0.0),)
    assert (w.drive().rf_frequency, w.drive().rf_power_dbm) == (4.0e9, -20.0)
