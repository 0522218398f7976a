"""injection-locking on the simulated rf-mtj bench (RF source tone into the biased junction, N9030B
on the same RF port): the locking half range measured per injected power matches the device's
(rf_mtj: Adler band F sqrt(1 + nu^2)/sqrt(p0)) to within half a frequency step and grows as P^(1/2)."""
from __future__ import annotations

import numpy as np
import pytest

from spinbench.analysis.injection import locking_ranges
from spinbench.instruments.bench import Bench
from spinbench.protocols.injection_locking import InjectionLocking
from spinbench.protocols.runner import RunStatus, run
from spinbench.protocols.runstore import RunReader
from spinbench.sim_backend.physics.presets import make_device

FIELD = np.array([0.05, 0.0, 0.0])
CABLE_LOSS_DB = 1.0            # rf-mtj bench file: the rf_source (N5183B) cable_loss_db


def test_locking_range_follows_the_device_and_sqrt_power(tmp_path):
    dev = make_device("rf_mtj", {})
    bias = 1.2 * dev.oscillator(FIELD).threshold
    f0 = dev.oscillation(FIELD, bias)["frequency"]
    step = 5e6
    freqs = tuple(f0 + k * step for k in range(-10, 11))
    powers = (-60.0, -48.0)
    result = run(InjectionLocking, Bench.load("rf-mtj"),
                 {"bias": bias, "powers_dbm": powers, "frequencies": freqs, "center": f0, "span": 300e6,
                  "rbw": 300e3, "points": 751}, out_dir=tmp_path, seed=1, progress=False)
    assert result.status == RunStatus.COMPLETE, result.error
    with RunReader(result.path) as reader:
        c = {k: reader.column(k) for k in ("power_dbm", "injected", "frequency", "power")}
    fit = locking_ranges(c["power_dbm"], c["injected"], c["frequency"], c["power"])
    for p, half in zip(fit.powers_dbm, fit.half_ranges):
        true = dev.locking(FIELD, bias, (f0, p - CABLE_LOSS_DB, 0.0))["half_range"]
        assert abs(half - true) <= step / 2     # each band edge midway between two scan points
    # 12 dB more power: about 4 x the range (P^(1/2)), within the grid's resolution
    assert fit.half_ranges[1] > 3.0 * fit.half_ranges[0]
    assert fit.exponent == pytest.approx(0.5, abs=0.1)
