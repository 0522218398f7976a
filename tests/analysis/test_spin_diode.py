"""spin-diode-map on the simulated rf-mtj bench (SGS100A pulse-modulated -> junction, SR830 on the
modulation) and its fits: f0(H), linewidth, Kittel parameters and damping recover the device's
(the analytic Kittel law and FMR linewidth of the rf_mtj preset) within 2 %."""
from __future__ import annotations

import numpy as np
import pytest

from spinbench.analysis.spin_diode import fit_lineshape, fit_map
from spinbench.instruments.bench import Bench
from spinbench.protocols.runner import RunStatus, analyze, run
from spinbench.protocols.runstore import RunReader
from spinbench.protocols.spin_diode_map import SpinDiodeMap
from spinbench.sim_backend.physics import rf
from spinbench.sim_backend.physics.presets import make_device


def test_lineshape_fit_recovers_a_synthetic_line():
    f = np.linspace(4e9, 6e9, 201)
    v = rf.spin_diode_lineshape(f, 3e-6, -1e-6, 5.1e9, 90e6, 2e-8)
    fit = fit_lineshape(f, v)
    assert (fit.v_s, fit.v_a, fit.f0, fit.width) == pytest.approx((3e-6, -1e-6, 5.1e9, 90e6), rel=1e-6)


def test_spin_diode_map_recovers_kittel_and_damping(tmp_path):
    fields = (0.03, 0.08, 0.14, 0.2)
    params = {"fields": fields, "freq_start": 4.4e9, "freq_stop": 11.6e9, "freq_points": 101,
              "power_dbm": -25.0}
    result = run(SpinDiodeMap, Bench.load("rf-mtj"), params, out_dir=tmp_path, seed=1, progress=False)
    assert result.status == RunStatus.COMPLETE, result.error
    with RunReader(result.path) as reader:
        cols = {c: reader.column(c) for c in ("bias", "field", "frequency", "x")}
    lines, kittel = fit_map(cols["bias"], cols["field"], cols["frequency"], cols["x"])
    dev = make_device("rf_mtj", {})                 # the bench's device
    for ln in lines:
        assert ln.f0 == pytest.approx(float(dev.kittel_frequency(ln.field)), rel=0.02)
        assert ln.width == pytest.approx(float(dev.linewidth(ln.field)), rel=0.02)
        assert abs(ln.v_a) > 0.1 * abs(ln.v_s)      # field-like torque: antisymmetric part
    k = kittel[0.0]
    assert k.gamma == pytest.approx(dev.p.gamma, rel=0.02)
    assert k.b_k == pytest.approx(dev.p.b_k, rel=0.02)
    assert k.mu0_m_eff == pytest.approx(dev.p.mu0_m_eff, rel=0.02)
    assert k.alpha == pytest.approx(dev.p.alpha, rel=0.02)
    files = analyze(result.path, tmp_path / "fits")
    assert any(p.suffix == ".png" for p in files) and any(p.suffix == ".json" for p in files)


def test_spin_diode_map_refuses_power_over_the_bench_limit(tmp_path):
    from spinbench.protocols.base import CheckError
    from spinbench.instruments.capabilities import CapabilityError
    with pytest.raises((CheckError, CapabilityError), match="power_dbm"):
        run(SpinDiodeMap, Bench.load("rf-mtj"), {"power_dbm": 5.0}, out_dir=tmp_path, progress=False)


def test_buffered_step_sweep_reads_the_same_line_as_point_by_point(tmp_path):
    """The buffered path (N5183B step sweep, its TRIG OUT storing one SR830 sample per point)
    and the point-by-point path (set frequency, settle, SNAP?) see the same spin-diode line."""
    dev = make_device("rf_mtj", {})
    b = 0.08
    f0, w = float(dev.kittel_frequency(b)), float(dev.linewidth(b))
    fits = {}
    for buffered in (True, False):
        params = {"fields": (b,), "freq_start": f0 - 6 * w, "freq_stop": f0 + 6 * w, "freq_points": 61,
                  "power_dbm": -25.0, "buffered": buffered}
        result = run(SpinDiodeMap, Bench.load("rf-mtj"), params, out_dir=tmp_path / str(buffered), seed=1,
                     progress=False)
        assert result.status == RunStatus.COMPLETE, result.error
        with RunReader(result.path) as reader:
            fits[buffered] = fit_lineshape(reader.column("frequency"), reader.column("x"))
            assert np.all(reader.column("buffered") == int(buffered))     # the path that ran
    for fit in fits.values():
        assert fit.f0 == pytest.approx(f0, rel=0.005) and fit.width == pytest.approx(w, rel=0.02)
    assert fits[True].v_s == pytest.approx(fits[False].v_s, rel=0.02)
    assert fits[True].v_a == pytest.approx(fits[False].v_a, rel=0.05)
