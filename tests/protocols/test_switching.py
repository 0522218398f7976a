"""Switching loop and field loop end to end on the built-in simulated Hall bar."""
import math

import numpy as np
import pytest
import pyvisa

from analysis.switching import analyze_loop
from instruments.bench import Bench
from protocols.base import CheckError
from protocols.runner import run
from protocols.runstore import RunReader, RunStatus
from protocols.switching import FieldLoop, SwitchingLoop
from sim_backend.devices import SotHallBarSpine


@pytest.fixture
def bench():
    return Bench.load("sot-hallbar")


def test_switching_loop_has_the_coercive_currents_the_model_implies(bench, tmp_path):
    params = {"current_max": 3e-3, "current_step": 50e-6, "pulse_width": 2e-3, "field_x": 10e-3}
    result = run(SwitchingLoop, bench, params, out_dir=tmp_path, progress=False)
    assert result.status == RunStatus.COMPLETE
    df = RunReader(result.path).to_dataframe()
    assert len(df) == 2 * (2 * 60 + 1)
    loop = analyze_loop(df)
    dev = SotHallBarSpine()
    i50 = dev.switching_current_50(10e-3, 2e-3)                 # Neel-Brown, one 2 ms pulse
    # a staircase gives every lower step a chance too: the switch lands within ~1.5 steps of I50
    assert loop.up == pytest.approx(i50, abs=1.5 * 50e-6)
    assert loop.down == pytest.approx(-i50, abs=1.5 * 50e-6)
    assert abs(loop.shift) <= 1.5 * 50e-6
    mz = math.sqrt(1 - (10e-3 / dev.bk) ** 2)
    assert loop.amplitude == pytest.approx(2 * dev.r_ahe * mz, rel=0.01)
    assert 0.5 * (loop.r_high + loop.r_low) == pytest.approx(dev.r_offset, abs=0.01)
    # the gaussmeter saw the assist field
    assert np.nanmean(df["field_measured"]) == pytest.approx(10e-3, abs=0.2e-3)


def test_switching_reverses_with_the_in_plane_field(bench, tmp_path):
    params = {"current_max": 3e-3, "current_step": 200e-6, "field_x": -10e-3}
    df = RunReader(run(SwitchingLoop, bench, params, out_dir=tmp_path, progress=False).path).to_dataframe()
    up = df[(df.branch == 1) & (df.pulse_current > 2.5e-3)]
    assert (up.hall_resistance < 0).all()            # positive current now writes m = -1


def test_field_loop_coercive_field_is_thermally_reduced(bench, tmp_path):
    params = {"field_max": 25e-3, "field_step": 0.5e-3}
    result = run(FieldLoop, bench, params, out_dir=tmp_path, progress=False)
    df = RunReader(result.path).to_dataframe()
    loop = analyze_loop(df, x="field_set")
    dev = SotHallBarSpine()
    # dwell per field step lies between 10 ms and 1 s: Bc(t) = Bc0 (1 - ln(t / tau0 ln2) / Delta)
    bc = [dev.bc0 * (1 - math.log(t / (dev.tau0 * math.log(2))) / dev.delta) for t in (1.0, 10e-3)]
    assert bc[0] - 0.5e-3 <= loop.coercive <= bc[1] + 0.5e-3
    assert abs(loop.shift) <= 0.75e-3
    assert np.allclose(df["field"], df["field_set"], atol=0.2e-3)


def test_limits_refuse_before_any_command_reaches_an_instrument(bench, tmp_path):
    rm = pyvisa.ResourceManager(f"{bench.path}@spinbench")
    try:
        world = rm.visalib.world
        with pytest.raises(CheckError, match=r"current_max = 0\.05 A exceeds the bench limit"):
            run(SwitchingLoop, bench, {"current_max": 50e-3}, out_dir=tmp_path, progress=False)
        with pytest.raises(CheckError, match="field_x"):
            run(SwitchingLoop, bench, {"field_x": 0.5}, out_dir=tmp_path, progress=False)
        assert list(world.log) == []
        assert list(tmp_path.iterdir()) == []
    finally:
        rm.close()


def test_interrupted_loop_is_aborted_keeps_points_and_leaves_the_bench_safe(bench, tmp_path, monkeypatch):
    calls = {"n": 0}
    original = SwitchingLoop.measure

    def measure(self, roles, params, step):
        calls["n"] += 1
        if calls["n"] == 15:
            raise KeyboardInterrupt
        return original(self, roles, params, step)

    monkeypatch.setattr(SwitchingLoop, "measure", measure)
    rm = pyvisa.ResourceManager(f"{bench.path}@spinbench")
    try:
        world = rm.visalib.world
        with pytest.raises(KeyboardInterrupt):
            run(SwitchingLoop, bench, {"current_step": 500e-6}, out_dir=tmp_path, progress=False)
        reader = RunReader(next(tmp_path.glob("*.h5")))
        assert reader.status == RunStatus.ABORTED
        assert reader.n_points == 14
        # instruments safe: no current source left on, the magnets ramped to zero
        assert world.sources == {}
        assert np.allclose(world.field, 0.0, atol=1e-6)
    finally:
        rm.close()
    monkeypatch.setattr(SwitchingLoop, "measure", original)
    done = run(SwitchingLoop, bench, resume=reader.path, progress=False)
    assert done.status == RunStatus.COMPLETE
    steps = RunReader(reader.path).to_dataframe()["step"].to_numpy()
    assert sorted(steps) == list(range(len(SwitchingLoop().steps(SwitchingLoop.validate_params({"current_step": 500e-6})))))
