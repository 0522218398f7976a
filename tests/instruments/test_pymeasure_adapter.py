"""``driver: pymeasure``: pymeasure's stock Keithley6221 fills ``current_source`` on the simulated
``sot-hallbar`` through a map declared in the bench file (instruments/pymeasure_adapter.py).

Oracles (independent of the simulator's code): the anomalous Hall law of a Hall cross,
``R_xy = (V(+I) - V(-I)) / 2I = R_AHE m_z + R_0`` with the preset's R_AHE = 2 ohm and R_0 = 0.05 ohm
(sim_backend/physics/presets.py SotHallBarParams), and the Stoner-Wohlfarth tilt of a
perpendicular macrospin in an in-plane field, ``m_z = +-sqrt(1 - (B_x / B_K,eff)^2)``
(B_K,eff = 0.15 T); SOT switching reverses m_z with the sign of the write current.
"""
import math

import numpy as np
import pytest
import pyvisa
import yaml

from spinbench.analysis.switching import analyze_loop

from spinbench.instruments import Bench
from spinbench.instruments.bench import BenchError
from spinbench.instruments.limits import LimitError
from spinbench.protocols.runner import run
from spinbench.protocols.runstore import RunReader, RunStatus
from spinbench.protocols.switching import SwitchingLoop

pytest.importorskip("spinbench.sim_backend.visa_library")

R_AHE, R_0, B_K = 2.0, 0.05, 0.15
MAP = {"set_current": "source_current", "current": "source_current",
       "enable": "enable_source", "disable": "disable_source",
       "set_compliance_voltage": "source_compliance"}


def _bench(tmp_path, options=None, *, stock=False) -> Bench:
    """sot-hallbar with only a current source, the 2182A and the x magnet; the source is the
    stock pymeasure Keithley6221 through the adapter, or (``stock``) our keithley_6221 driver."""
    raw = yaml.safe_load(Bench.load("sot-hallbar").path.read_text())
    pulser = {"driver": "pymeasure", "address": "GPIB0::12::INSTR",
              "limits": {"max_current": 0.02, "compliance_voltage": 40.0},
              "options": options if options is not None else {
                  "class": "pymeasure.instruments.keithley.Keithley6221",
                  "role": "current_source", "map": dict(MAP)}}
    if stock:
        pulser = raw["instruments"]["pulser"]
    raw["instruments"] = {"pulser": pulser, "nanovoltmeter": raw["instruments"]["nanovoltmeter"],
                          "magnet_x": raw["instruments"]["magnet_x"]}
    raw["roles"] = {"current_source": "pulser", "voltmeter": "nanovoltmeter", "field_x": "magnet_x"}
    path = tmp_path / ("stock-bench.yaml" if stock else "pm-bench.yaml")
    path.write_text(yaml.safe_dump(raw))
    return Bench.load(path)


def _hall_resistance(source, meter, read=1e-3):
    source.set_current(read)
    source.enable()
    v_plus = meter.read_voltage()
    source.set_current(-read)
    v_minus = meter.read_voltage()
    return (v_plus - v_minus) / (2 * read)


def test_stock_pymeasure_6221_measures_hall_and_switches_through_the_adapter(tmp_path):
    bench = _bench(tmp_path)
    caps = bench.capabilities("current_source")
    assert caps.current.high == pytest.approx(0.02) and caps.pulse_width.low == pytest.approx(10e-3)
    with bench.open(sim_clock="sleep", sim_fresh=True) as lab:
        world = pyvisa.ResourceManager(lab.visa_library).visalib.world
        source, meter, magnet = lab.role("current_source"), lab.role("voltmeter"), lab.role("field_x")
        assert type(source).__name__ == "PymeasureKeithley6221AsCurrentSource"
        meter.set_integration_time(1 / 60)
        # zero field, m_z = +1 (preset m0): R_xy = R_AHE + R_0
        assert _hall_resistance(source, meter) == pytest.approx(R_AHE + R_0, rel=0.01)
        assert source.current() == pytest.approx(-1e-3)
        sent = [m.strip() for m in world.messages("GPIB0::12::INSTR")]
        # the bench compliance went out before the output first turned on
        assert sent.index(":SOUR:CURR:COMP 40") < sent.index("OUTPUT ON")

        # limits refuse (never clip) before anything is sent
        before = len(world.messages("GPIB0::12::INSTR"))
        with pytest.raises(LimitError, match=r"0\.03 A .*\[-0\.02 A, 0\.02 A\].*max_current"):
            source.set_current(0.03)
        with pytest.raises(LimitError, match="pulse amplitude|current"):
            source.pulse(-0.025, 0.02)
        assert len(world.messages("GPIB0::12::INSTR")) == before

        # SOT switching at B_x = 20 mT: write pulses of +-15 mA reverse the tilted m_z
        magnet.set_field(0.02)
        m_z = math.sqrt(1 - (0.02 / B_K) ** 2)
        hall = []
        for amplitude in (0.015, -0.015, 0.015):
            source.pulse(amplitude, 0.02)
            hall.append(_hall_resistance(source, meter))
        up, down = sorted({round(h, 3) for h in hall}, reverse=True)
        assert hall[0] == pytest.approx(hall[2], abs=0.01)           # reproducible state
        assert (hall[0] - R_0) * (hall[1] - R_0) < 0                  # reversed by the pulse
        assert up == pytest.approx(R_0 + R_AHE * m_z, abs=0.01)
        assert down == pytest.approx(R_0 - R_AHE * m_z, abs=0.01)
        snap = lab.snapshot()["instruments"]["pulser"]["settings"]
        assert snap["class"].endswith("Keithley6221") and "6221" in snap["idn"]
    # the bench ended safe: output off
    assert sent and world.messages("GPIB0::12::INSTR")[-1].strip() == "OUTPUT OFF"


@pytest.mark.parametrize("options, message", [
    ({"class": "numpy.ndarray", "role": "current_source", "map": MAP}, "must be a pymeasure class"),
    ({"class": "pymeasure.instruments.keithley.NoSuch", "role": "current_source", "map": MAP},
     "cannot be imported"),
    ({"class": "pymeasure.instruments.keithley.Keithley6221", "role": "teleporter", "map": MAP},
     "not a known role"),
    ({"class": "pymeasure.instruments.keithley.Keithley6221", "role": "current_source",
      "map": {**MAP, "levitate": "source_current"}}, r"map\.levitate.*not a method of role"),
    ({"class": "pymeasure.instruments.keithley.Keithley6221", "role": "current_source",
      "map": {**MAP, "current": "no_such_property"}}, "has no property or method 'no_such_property'"),
    ({"class": "pymeasure.instruments.keithley.Keithley6221", "role": "current_source",
      "map": {"current": "source_current"}}, "needs 'pulse'.*set_current, enable, disable"),
    ({"class": "pymeasure.instruments.keithley.Keithley2400", "role": "voltmeter",
      "map": {"read_voltage": "voltage"}}, "also needs integration_time"),
    ({"class": "pymeasure.instruments.keithley.Keithley6221", "role": "current_source"},
     "needs option 'map'"),
])
def test_bad_adapter_declarations_are_refused_when_the_bench_loads(tmp_path, options, message):
    with pytest.raises(BenchError, match=r"instruments\.pulser\.options: .*" + message):
        _bench(tmp_path, options)


def _loop_switching_points(bench, tmp_path, seed):
    """Per-loop switching currents |I| (up branch and down branch) of a staircase
    switching-loop run by the runner (virtual clock), 10 ms write pulses at B_x = -10 mT."""
    params = {"current_max": 7e-3, "current_step": 0.1e-3, "pulse_width": 10e-3,
              "field_x": -10e-3, "loops": LOOPS}
    result = run(SwitchingLoop, bench, params, out_dir=tmp_path, seed=seed, progress=False)
    assert result.status == RunStatus.COMPLETE
    with RunReader(result.path) as reader:
        df = reader.to_dataframe()
    points = []
    for _, one in df.groupby("loop"):
        loop = analyze_loop(one)
        points += [loop.up, -loop.down]
    return np.array(points)


LOOPS = 6


def test_software_timed_pulses_switch_under_the_runners_virtual_clock_as_our_driver_does(tmp_path):
    """The adapter's pulse (output on, wait, output off) holds for its width on the simulated
    bench's clock, so the runner (virtual clock: host sleeps do not exist there) sees the same
    switching currents through the stock pymeasure 6221 as through our driver's instrument-timed
    pulse.  Oracle: the run through keithley_6221 (list-sweep pulse of the 6221 manual); the two
    samples of per-loop switching points must agree within their statistical error."""
    adapted = _loop_switching_points(_bench(tmp_path), tmp_path / "pm", seed=11)
    ours = _loop_switching_points(_bench(tmp_path, stock=True), tmp_path / "ours", seed=12)
    assert np.isfinite(adapted).all() and np.isfinite(ours).all()     # every loop switched
    # W (xi_DL < 0) at B_x < 0: positive writes give m_z = +1 near the 10 ms I50 (~5.2 mA)
    assert 4e-3 < ours.mean() < 6e-3
    error = math.sqrt(adapted.var(ddof=1) / adapted.size + ours.var(ddof=1) / ours.size)
    print(f"switching current: pymeasure adapter {adapted.mean() * 1e3:.3f} mA, keithley_6221 "
          f"{ours.mean() * 1e3:.3f} mA, difference {(adapted.mean() - ours.mean()) * 1e3:+.3f} "
          f"+- {error * 1e3:.3f} mA")
    assert abs(adapted.mean() - ours.mean()) < 3 * error + 0.05e-3       # + half a step
