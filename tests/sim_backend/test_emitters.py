"""RF emitted by the devices: a spin-torque oscillator's line seen by the swept analyzer however
narrow it is, and a line's ``emitters`` (an oscillator's output feeding other devices through an
amplifier) checked when the bench loads."""
from __future__ import annotations

import math

import numpy as np
import pytest

from spinbench.instruments.bench import Bench
from spinbench.sim_backend.benches import builtin_dir
from spinbench.sim_backend.netlist import NetlistError, parse_lines
from spinbench.sim_backend.physics.presets import make_device

#: a junction whose auto-oscillation line (HWHM ~ 0.6 MHz at 1.5 I_th) is far narrower than the
#: analyzer's grid of a wide span: the neuron stack of the rf-network bench in 0.25 T
NARROW = "{model: rf_mtj, params: {b_perp: 1.1, b_bias: 0.2}}"


@pytest.fixture
def narrow_bench(tmp_path):
    text = (builtin_dir() / "sto-spectrum.yaml").read_text()
    text = text.replace("device: {model: rf_mtj, params: {}}", f"device: {NARROW}").replace("clock: sleep", "clock: virtual")
    path = tmp_path / "narrow.yaml"
    path.write_text(text)
    return path


def _line(field_t: float):
    dev = make_device("rf_mtj", {"b_perp": 1.1, "b_bias": 0.2})
    b = np.array([field_t + 0.2, 0.0, 0.0])
    i = 1.5 * dev.oscillator(b).threshold
    return i, dev.oscillation(b, i)


def test_a_line_narrower_than_the_trace_grid_keeps_its_power(narrow_bench):
    """The line's power integrated over the trace (less the floor, over the Gaussian RBW's noise
    bandwidth 1.0645 RBW) is the line's total power wherever it falls between the trace points
    (2 MHz apart, the line ~1 MHz wide); the peak of a line far inside the RBW reads its power
    (a CW tone's displayed level). Before the analyzer filtered lines exactly, a line sampled on
    the RBW/4 grid lost or gained up to 30 % with its place on the grid."""
    i, osc = _line(0.05)
    assert osc["hwhm"] < 1e6 and osc["power"] > 1e-10
    found = []
    with Bench.open(Bench.load(str(narrow_bench)), sim_clock="virtual") as lab:
        lab.role("field_x").set_field(0.05)
        src, sa = lab.role("current_source"), lab.role("spectrum_analyzer")
        for shift in (0.0, 0.3e6, 0.7e6, 1.1e6, 1.6e6):       # the line against the 2 MHz grid
            sa.configure(osc["frequency"] + shift, 2e9, 3e6, 1001, averages=400)
            src.set_current(0.0)
            src.enable()
            _, floor = sa.read_trace()
            src.set_current(i)
            f, p = sa.read_trace()
            excess = 10 ** (p / 10) - 10 ** (floor / 10)
            found.append(float(np.sum(excess) * (f[1] - f[0]) / (1.0645 * 3e6)) * 1e-3)
        sa.configure(osc["frequency"], 200e6, 8e6, 1001, averages=16)
        f, p = sa.read_trace()
        src.set_current(0.0)
    # the Lorentzian wings beyond +-1 GHz are 0.04 %; the floor (as large as the line over 2 GHz)
    # and the share of a line that fluctuates in the RBW leave ~1 % after 400 averages
    assert np.array(found) == pytest.approx(osc["power"], rel=0.04)
    assert np.mean(found) == pytest.approx(osc["power"], rel=0.02)
    # Voigt peak of a 0.6 MHz line through an 8 MHz Gaussian: Re w(i hw / (sigma sqrt 2)) = 0.87
    sigma = 8e6 / (2 * math.sqrt(2 * math.log(2)))
    from scipy.special import wofz
    expect = 10 * math.log10(osc["power"] / 1e-3 * float(np.real(wofz(1j * osc["hwhm"] / (sigma * math.sqrt(2))))))
    assert float(np.max(p)) == pytest.approx(expect, abs=0.3)


def test_emitters_are_checked_when_the_bench_loads():
    devices = {"a": make_device("rf_mtj", {}), "b": make_device("rf_mtj", {}), "hb": make_device("sot_hallbar", {})}
    ok = parse_lines({"bus": {"devices": ["a"], "emitters": {"devices": ["b"], "port": "rf", "gain_db": 30}}}, devices)
    assert ok["bus"].emitters == ("b",) and ok["bus"].gain_db == 30.0
    for spec, message in (
            ({"devices": ["zz"]}, "unknown emitter 'zz'"),
            ({"devices": ["b"], "gain": 3}, "unknown keys gain"),
            ({"devices": ["b"], "gain_db": 300}, r"gain_db = 300 must be a number in \[-100, 100\] dB"),
            ({"devices": ["hb"]}, "device 'hb' emits no RF at port 'rf'"),
            ({"devices": []}, "emitters needs devices")):
        with pytest.raises(NetlistError, match=message):
            parse_lines({"bus": {"devices": ["a"], "emitters": spec}}, devices)



def test_a_destroyed_emitter_emits_nothing(tmp_path):
    """A neuron blown by over-voltage (an open circuit) feeds no tone to the line it fed; the
    output chains read as with the neuron unbiased and the bench shuts down (the fault matrix's
    rf-network x breakdown cell crashed on it)."""
    import pyvisa
    import yaml

    spec = yaml.safe_load((builtin_dir() / "rf-network.yaml").read_text())
    spec["sim"]["faults"] = [{"device": "n_0", "kind": "breakdown", "voltage": 0.1}]
    path = tmp_path / "fragile.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    with Bench.open(Bench.load(str(path)), sim_clock="virtual") as lab:
        lab.role("field_x").set_field(0.05)
        chain = lab.role("voltmeter_c2_0")
        dark = chain.read_voltage()
        n0 = lab.role("source_meter_n_0")
        n0.source_current(0.6e-3)            # ~0.2 V across the junction: over its 0.1 V
        n0.enable()
        after = chain.read_voltage()
        world = pyvisa.ResourceManager(f"{path}@spinbench").visalib.world
        assert "n_0" in world.destroyed
    assert after == pytest.approx(dark, abs=2e-7)      # the 2182A's noise on the chain


BROAD = """
name: broad-line
visa_library: "@spinbench"
instruments:
  smu: {driver: keithley_2450, address: "USB0::0x05E6::0x2450::04000001::INSTR",
        limits: {max_current: 0.001, compliance_voltage: 0.7}}
  nvm: {driver: keithley_2182a, address: "GPIB0::7::INSTR"}
  magnet: {driver: kepco_bop, address: "GPIB0::6::INSTR",
           options: {tesla_per_amp: 0.05, axis: x, ramp_step_time: 0.002, poll_interval: 0.0},
           limits: {max_field: 0.1, max_ramp_rate: 1.0}}
roles: {source_meter: smu, voltmeter: nvm, field_x: magnet}
sim:
  seed: 1
  clock: virtual
  temperature: 300.0
  devices:
    osc: {model: rf_mtj, params: {}}
    syn: {model: rf_mtj, params: {}}
  lines:
    bus: {devices: [syn], emitters: {devices: [osc], port: rf, gain_db: 30.0}}
  magnets:
    coil_x: {axis: [1, 0, 0], tesla_per_amp: 0.05, inductance: 0.05, resistance: 1.0}
  instruments:
    "USB0::0x05E6::0x2450::04000001::INSTR": {model: keithley_2450, connect: {output: osc.junction, sense: osc.junction}}
    "GPIB0::7::INSTR": {model: keithley_2182a, connect: {channel1: syn.junction}}
    "GPIB0::6::INSTR": {model: kepco_bop, connect: {output: coil_x}}
"""


def test_a_broad_emitted_line_rectifies_as_its_spectrum_not_as_a_tone(tmp_path):
    """An oscillator below threshold emits a thermal line ~40 MHz wide (HWHM) near the synapse's
    85 MHz resonance: the synapse's rectified voltage is the tone response integrated over the
    line's Lorentzian spectrum -- computed here by numerical quadrature of the single-tone law,
    against the simulator's analytic continuation (susceptibility at w - i 2 pi hwhm) -- and
    differs from what one tone at the line's centre would give."""
    import pyvisa

    path = tmp_path / "broad.yaml"
    path.write_text(BROAD)
    with Bench.open(Bench.load(str(path)), sim_clock="virtual") as lab:
        lab.role("field_x").set_field(0.05)
        nvm = lab.role("voltmeter")
        dark = np.mean([nvm.read_voltage() for _ in range(4)])
        smu = lab.role("source_meter")
        world = pyvisa.ResourceManager(f"{path}@spinbench").visalib.world
        osc_dev, syn_dev = world._devices["osc"], world._devices["syn"]
        i = 0.5 * osc_dev.oscillator(np.array([0.05, 0.0, 0.0])).threshold
        smu.source_current(i)
        smu.enable()
        lit = np.mean([nvm.read_voltage() for _ in range(4)])
        ((fc, power, hw),) = osc_dev.emission_lines("rf", world._drive_of("osc"))
        smu.source_current(0.0)
    assert 20e6 < hw < 80e6
    dbm = 10 * np.log10(power / 1e-3) + 30.0
    b = np.array([0.05, 0.0, 0.0])                       # the synapse in the bench field
    # quadrature over +-400 HWHM (the Lorentzian's weight outside: 0.16 %, renormalized)
    f = fc + hw * np.linspace(-400, 400, 40001)
    weight = (hw / np.pi) / ((f - fc) ** 2 + hw * hw)
    weight /= np.trapezoid(weight, f)
    tone = syn_dev.rectified_voltage(f, dbm, b)          # per frequency, the whole power as a tone
    expected = float(np.trapezoid(weight * tone, f))
    centre = float(syn_dev.rectified_voltage([fc], dbm, b)[0])
    assert abs(centre - expected) > 0.15 * abs(expected)           # the width matters here
    assert lit - dark == pytest.approx(expected, rel=0.02)
