"""Batched evolution (issue 7 part 4): a device evolves over a schedule of piecewise-constant
drive intervals in one call, and that call equals the per-interval evolution bit for bit (the
same states and the same random stream) -- seeded property test over random schedules; a
query that changes no drive integrates nothing."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spinbench.sim_backend import benches
from spinbench.sim_backend.devices import Drive, evolve_schedule, make_device

from emulators.emu_io import SPINE_BENCH, ask

MODELS = {
    "sot_hallbar": ((-12e-3, 12e-3), (0.0, 0.02)),     # current range (A), |Bx| range (T)
    "sot_hallbar_spine": ((-12e-3, 12e-3), (0.0, 0.02)),
    "pmtj": ((-120e-6, 120e-6), (0.0, 0.0)),
    "grain_hallbar": ((-12e-3, 12e-3), (0.0, 0.02)),
}

interval = st.tuples(
    st.sampled_from([0.0, 2e-9, 3e-6, 1e-4, 1e-3, 5e-3]),   # dt: sLLG-length, rise, command, pulse
    st.floats(-1.0, 1.0),                                 # current, as a fraction of the range
    st.sampled_from([0.0, 0.5, 1.0]),                     # Bx, as a fraction of the range
)


def drives_for(model, schedule):
    (i_lo, i_hi), (_, bmax) = MODELS[model]
    out = []
    for _, x, b in schedule:
        field = np.array([b * bmax, 0.0, 0.0])
        field.flags.writeable = False
        out.append(Drive(current=float(x * (i_hi if x > 0 else -i_lo)), field=field))
    return out


def state_of(dev):
    return repr(dev.state())


@pytest.mark.parametrize("model", sorted(MODELS))
@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(schedule=st.lists(interval, min_size=1, max_size=8), seed=st.integers(0, 2**32 - 1))
def test_batched_schedule_is_the_per_interval_evolution_bit_for_bit(model, schedule, seed):
    a, b = make_device(model, {}), make_device(model, {})
    drives = drives_for(model, schedule)
    dts = [dt for dt, _, _ in schedule]
    ra, rb = np.random.default_rng(seed), np.random.default_rng(seed)
    evolve_schedule(a, dts, drives, ra)
    for dt, d in zip(dts, drives):
        b.evolve(dt, d, rb)
    assert state_of(a) == state_of(b)
    assert ra.random() == rb.random()                    # the same draws were consumed


@settings(max_examples=6, deadline=None, derandomize=True)
@given(levels=st.lists(st.floats(-9e-3, 9e-3), min_size=1, max_size=10),
       dts=st.lists(st.sampled_from([3e-6, 1e-4, 1e-3]), min_size=10, max_size=10))
def test_world_source_schedule_is_set_source_and_advance(levels, dts):
    w1, w2 = benches.build("sot-hallbar", seed=4).world, benches.build("sot-hallbar", seed=4).world
    for w in (w1, w2):
        coil = w.coils["coil_x"]
        w.set_coil_setpoint("coil_x", 0.01 / coil.tesla_per_amp)
        w.advance(1.0)
    dts = dts[:len(levels)]
    w1.source_schedule("src", "channel", levels, dts)
    for amps, dt in zip(levels, dts):
        w2.set_source("src", "channel", amps)
        w2.advance(dt)
    assert w1.now == w2.now
    assert repr(w1.device.state()) == repr(w2.device.state())
    assert w1.rng.random() == w2.rng.random()
    assert w1.drive().current == w2.drive().current


def test_a_query_that_changes_no_drive_integrates_nothing():
    bench = benches.build(SPINE_BENCH)
    w = bench.world
    calls = []
    dev = w.device
    real = dev.evolve
    dev.evolve = lambda dt, drive, rng: (calls.append(dt), real(dt, drive, rng))
    nv = bench.emulators["GPIB0::7::INSTR"]
    t0 = w.now
    for _ in range(50):
        assert ask(nv, "*IDN?").startswith("KEITHLEY")
        ask(nv, "SENS:VOLT:NPLC?")
    assert calls == [] and w.now > t0                     # time passed, nothing integrated
    w.set_source("src", "channel", 1e-3)                  # a drive change integrates the banked time once
    assert len(calls) == 1 and calls[0] == pytest.approx(w.now - t0)


thermal_interval = st.tuples(
    st.sampled_from([0.0, 3e-6, 1e-4, 1e-3, 5e-3]),          # no sLLG-length interval
    st.floats(-1.0, 1.0),
    st.sampled_from([0.0, 0.5, 1.0]),
)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(schedule=st.lists(thermal_interval, min_size=1, max_size=30), seed=st.integers(0, 2**32 - 1),
       picks=st.lists(st.integers(0, 29), max_size=6), port=st.sampled_from(["hall", "xx"]))
def test_the_observed_chain_is_the_observed_per_interval_evolution(schedule, seed, picks, port):
    """SotHallBar's batched chain (every interval thermal) with observations against the
    per-interval definition (:func:`physics.observe.evolve_observed`): the same state, draws
    and observed voltages and resistances, bit for bit; drives given as a DriveSchedule."""
    from spinbench.sim_backend.physics.observe import DriveSchedule, evolve_observed

    a, b = make_device("sot_hallbar", {}), make_device("sot_hallbar", {})
    drives = drives_for("sot_hallbar", schedule)
    dts = [dt for dt, _, _ in schedule]
    intervals = sorted({k for k in picks if k < len(dts)})
    ra, rb = np.random.default_rng(seed), np.random.default_rng(seed)
    got = evolve_schedule(a, dts, DriveSchedule(drives, list(range(len(drives)))), ra,
                          (port, intervals))
    want = evolve_observed(b, dts, drives, rb, (port, intervals))
    assert state_of(a) == state_of(b)
    assert ra.random() == rb.random()
    for x, y in zip(got, want):
        assert list(map(float, x)) == list(map(float, y))
