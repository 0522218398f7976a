"""A world of many devices (issue 7 part 2): named devices, DEVICE.PORT terminals, lines in
series and in parallel, RF tones to every device on a line, magnets reaching some devices.

Oracles are independent of the simulator: the macrospin SOT critical current of Lee et al.
(physics.analytic) with the Neel-Brown law solved here by hand; Kirchhoff / Millman for lines;
a Lorentzian spin-diode model defined in this file for the RF line.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from spinbench.sim_backend.physics.presets import make_device

from spinbench.sim_backend import benches
from spinbench.sim_backend.devices import Drive
from spinbench.sim_backend.emulators import make_emulator
from spinbench.sim_backend.netlist import Line, NetlistError
from spinbench.sim_backend.physics.analytic import sot_critical_current_density
from spinbench.sim_backend.physics.presets import SotHallBarParams
from spinbench.sim_backend.world import Coil, SimWorld

from emulators.emu_io import ask

SRC1, SRC2 = "GPIB0::12::INSTR", "GPIB0::13::INSTR"
BX = 0.02            # T, the in-plane field that sets the SOT polarity
PULSE = 1e-3         # s, list-sweep point = pulse width
BK = {"hb1": 0.15, "hb2": 0.25}


def two_hallbar_bench(tmp_path: Path) -> Path:
    spec = {"name": "two-hallbars", "sim": {
        "seed": 5, "temperature": 300.0,
        # Joule heating off: the oracle is the Neel-Brown law at the bath temperature
        "devices": {name: {"model": "sot_hallbar", "params": {"b_k_eff": bk, "r_thermal_channel": 0.0}}
                    for name, bk in BK.items()},
        "magnets": {"coil_x": {"axis": [1, 0, 0], "tesla_per_amp": 0.01, "inductance": 0.05, "resistance": 1.0}},
        "instruments": {
            SRC1: {"model": "keithley_6221", "connect": {"output": "hb1.channel"}},
            SRC2: {"model": "keithley_6221", "connect": {"output": "hb2.channel"}},
            "GPIB0::6::INSTR": {"model": "kepco_bop", "connect": {"output": "coil_x"}},
        }}}
    path = tmp_path / "two-hallbars.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def _tau0(p: SotHallBarParams) -> float:
    """The preset's attempt time: given, or Brown's from the device (``tau0: None``)."""
    return p.tau0 if p.tau0 is not None else make_device("sot_hallbar", {"b_k_eff": p.b_k_eff}).attempt_time(300.0)


def i50_oracle(b_k_eff: float) -> float:
    """Current switching with probability 1/2 in one pulse: J_c(B_x) from Lee et al. times the
    Neel-Brown factor.  P = 1 - exp(-t/tau), tau = tau0 exp(Delta F (1 - I/I_c)), F = (1 - B_x/B_K)^2
    the in-plane field's barrier factor, so I_50 = I_c (1 - ln(t / (tau0 ln 2)) / (Delta F))."""
    p = SotHallBarParams(b_k_eff=b_k_eff)
    jc0 = float(sot_critical_current_density(p.ms, p.thickness, p.xi_dl, b_k_eff, 0.0))
    jc = jc0 * (1 - math.sqrt(2) * BX / b_k_eff)
    delta_f = p.delta_300 * (1 - BX / b_k_eff) ** 2
    return jc * p.width * p.hm_thickness * (1 - math.log(PULSE / (_tau0(p) * math.log(2))) / delta_f)


def p_oracle(b_k_eff: float, current: float) -> float:
    """P(switch) in one pulse of PULSE at ``current`` (the same Neel-Brown law, by hand)."""
    p = SotHallBarParams(b_k_eff=b_k_eff)
    jc0 = float(sot_critical_current_density(p.ms, p.thickness, p.xi_dl, b_k_eff, 0.0))
    ic = jc0 * (1 - math.sqrt(2) * BX / b_k_eff) * p.width * p.hm_thickness
    tau = _tau0(p) * math.exp(p.delta_300 * (1 - BX / b_k_eff) ** 2 * (1 - current / ic))
    return 1 - math.exp(-PULSE / tau)


def test_two_hallbars_each_switch_at_their_own_critical_current(tmp_path):
    bench = benches.build(str(two_hallbar_bench(tmp_path)))
    w = bench.world
    assert list(w.devices) == ["hb1", "hb2"]
    magnet = bench.emulators["GPIB0::6::INSTR"]
    magnet.write(b"FUNC:MODE CURR;CURR 2.0;OUTP ON\n")
    w.advance(0.5)
    assert w.drive(port="hb2.channel").field[0] == pytest.approx(BX)
    i50 = {name: i50_oracle(bk) for name, bk in BK.items()}
    assert i50["hb2"] > 1.3 * i50["hb1"]               # distinct thresholds
    src = {"hb1": bench.emulators[SRC1], "hb2": bench.emulators[SRC2]}
    for emu in src.values():
        ask(emu, "*RST;:SOUR:CURR:COMP 100;:SOUR:CURR 0;:SOUR:SWE:SPAC LIST;:SOUR:LIST:DEL 1e-3;:SOUR:LIST:COMP 100")
    ratios = (0.94, 1.0, 1.06)
    trials = 40
    switched = {(name, r): 0 for name in BK for r in ratios}
    for r in ratios:
        for _ in range(trials):
            # both devices in one run: reset (negative current -> m_z = +1), then the test pulse,
            # interleaved between the two sources
            for name in BK:
                ask(src[name], f"SOUR:LIST:CURR {-1.5 * i50[name]:.6e},0;:SOUR:SWE:ARM;:INIT;*OPC?")
            assert all(w.devices[n].state()["mz"] > 0 for n in BK)
            for name in BK:
                ask(src[name], f"SOUR:LIST:CURR {r * i50[name]:.6e},0;:SOUR:SWE:ARM;:INIT;*OPC?")
            for name in BK:
                switched[(name, r)] += w.devices[name].state()["mz"] < 0
    for name in BK:
        for r in ratios:
            p = p_oracle(BK[name], r * i50[name])
            assert abs(switched[(name, r)] / trials - p) <= 3 * math.sqrt(p * (1 - p) / trials) + 1 / trials, \
                (name, r, p, switched)
        assert switched[(name, 0.94)] < switched[(name, 1.06)]
    # the other device's threshold would not do: hb2 at hb1's I_50 x 1.06 never switches
    ask(src["hb2"], f"SOUR:LIST:CURR {-1.5 * i50['hb2']:.6e},0;:SOUR:SWE:ARM;:INIT;*OPC?")
    ask(src["hb2"], f"SOUR:LIST:CURR {1.06 * i50['hb1']:.6e},0;:SOUR:SWE:ARM;:INIT;*OPC?")
    assert w.devices["hb2"].state()["mz"] > 0


class LorentzDiode:
    """Test-only spin-torque diode: V_dc = sum over tones of A P_mW / (1 + ((f - f0)/w)^2)."""

    ports = ("rf", "dc")
    drive_port = "dc"

    def __init__(self, f0: float, width: float = 0.2e9, amp: float = 1e-3, r: float = 1000.0):
        self.f0, self.width, self.amp, self.r = f0, width, amp, r
        self.steps = 0

    def rectified(self, tones) -> float:
        return sum(self.amp * 10 ** (p / 10) / (1 + ((f - self.f0) / self.width) ** 2) for f, p, _ in tones)

    def evolve(self, dt, drive, rng):
        self.steps += 1

    def voltage(self, port, drive):
        return drive.current * self.r + (self.rectified(drive.rf_tones) if port == "dc" else 0.0)

    def resistance(self, port):
        return self.r

    def state(self):
        return {}


def rf_world(connection="series"):
    devices = {"d1": LorentzDiode(4e9), "d2": LorentzDiode(6e9, r=2000.0), "d3": LorentzDiode(8e9, r=500.0)}
    lines = {"chain": Line("chain", ("d1", "d2", "d3"), "dc", connection, {"d1": 0.0, "d2": 1.0, "d3": 3.0})}
    return SimWorld(devices, seed=2, lines=lines)


def test_rf_line_delivers_every_tone_to_every_device_and_series_voltages_add():
    w = rf_world()
    gens = {}
    for addr, f, p in (("GPIB0::19::INSTR", 4.05e9, -3.0), ("GPIB0::20::INSTR", 7.9e9, 0.0)):
        gens[addr] = make_emulator("keysight_n5183b", w, addr, {"connect": {"rf_out": "chain"}})
        ask(gens[addr], f"FREQ {f};POW {p};OUTP ON")
    nv = make_emulator("keithley_2182a", w, "GPIB0::7::INSTR", {"connect": {"channel1": "chain"}})
    tones = {"d1": [(4.05e9, -3.0), (7.9e9, 0.0)], "d2": [(4.05e9, -4.0), (7.9e9, -1.0)],
             "d3": [(4.05e9, -6.0), (7.9e9, -3.0)]}
    f0 = {"d1": 4e9, "d2": 6e9, "d3": 8e9}
    expect = {}
    for name, ts in tones.items():
        assert [(f, p) for f, p, _ in w.drive(port=f"{name}.dc").rf_tones] == ts
        # independent Lorentzian sum in mW
        expect[name] = sum(1e-3 * 10 ** (p / 10) / (1 + ((f - f0[name]) / 0.2e9) ** 2) for f, p in ts)
        assert w.port_voltage(f"{name}.dc") == pytest.approx(expect[name], rel=1e-12)
    # each device follows the tone near its own resonance: d1 -> tone 1, d3 -> tone 2, d2 neither
    assert expect["d1"] > 0.4e-3 and expect["d3"] > 0.4e-3 and expect["d2"] < 0.02e-3
    assert w.drive(port="d1.dc").rf_frequency == 7.9e9   # legacy field: the strongest tone
    total = sum(expect.values())
    assert w.port_voltage("chain") == pytest.approx(total, rel=1e-12)
    assert w.port_resistance("chain") == 3500.0
    v = float(ask(nv, "MEAS:VOLT?"))                      # through the 2182A: the sum, plus noise
    assert v == pytest.approx(total, abs=2e-6)
    # a 6221 on the series chain: the same current through every device, voltages add
    w.set_source("src", "chain", 1e-4)
    assert w.port_voltage("chain") == pytest.approx(total + 1e-4 * 3500.0, rel=1e-12)
    ask(gens["GPIB0::20::INSTR"], "OUTP OFF")
    assert [(f, p) for f, p, _ in w.drive(port="d3.dc").rf_tones] == [(4.05e9, -6.0)]


def test_parallel_line_splits_current_by_conductance_and_reads_millman():
    w = rf_world("parallel")
    w.set_source("src", "chain", 7e-3)
    g = np.array([1 / 1000, 1 / 2000, 1 / 500])
    shares = 7e-3 * g / g.sum()
    for name, share in zip(("d1", "d2", "d3"), shares):
        assert w.drive(port=f"{name}.dc").current == pytest.approx(share, rel=1e-12)
    assert w.port_resistance("chain") == pytest.approx(1 / g.sum())
    assert w.port_voltage("chain") == pytest.approx(7e-3 / g.sum(), rel=1e-12)  # no emf: I R_parallel


def test_magnets_reach_only_the_devices_they_name(tmp_path):
    spec = {"sim": {"devices": {"a": {"model": "sot_hallbar_spine"}, "b": {"model": "sot_hallbar_spine"}},
                    "magnets": {"near_a": {"axis": [0, 0, 1], "tesla_per_amp": 0.01, "reaches": {"a": 1.0, "b": 0.25}},
                                "only_b": {"axis": [1, 0, 0], "tesla_per_amp": 0.01, "reaches": ["b"]},
                                "room": {"axis": [0, 1, 0], "tesla_per_amp": 0.01}},
                    "instruments": {"GPIB0::12::INSTR": {"model": "keithley_6221", "connect": {"output": "b.channel"}}}}}
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(spec))
    w = benches.build(str(path)).world
    for coil in ("near_a", "only_b", "room"):
        w.set_coil_setpoint(coil, 1.0)
    w.advance(1.0)
    assert w.drive(port="a.channel").field == pytest.approx([0.0, 0.01, 0.01])
    assert w.drive(port="b.channel").field == pytest.approx([0.01, 0.01, 0.0025])


def test_bad_netlists_are_refused_naming_what_exists(tmp_path):
    def build(sim):
        path = tmp_path / "bad.yaml"
        path.write_text(yaml.safe_dump({"sim": sim}))
        return benches.build(str(path))
    devs = {"a": {"model": "sot_hallbar_spine"}, "b": {"model": "sot_hallbar_spine"}}
    with pytest.raises(benches.SimBenchError, match="devices: a, b"):
        build({"devices": devs, "instruments": {"GPIB0::1::INSTR": {"model": "keithley_6221", "connect": {"output": "channel"}}}})
    with pytest.raises(benches.SimBenchError, match="unknown device 'c'"):
        build({"devices": devs, "lines": {"l": {"devices": ["a", "c"]}}})
    with pytest.raises(benches.SimBenchError, match="has no port 'gate'"):
        build({"devices": devs, "instruments": {"GPIB0::1::INSTR": {"model": "keithley_6221", "connect": {"output": "a.gate"}}}})
    with pytest.raises(benches.SimBenchError, match="either 'device'"):
        build({"devices": devs, "device": {"model": "sot_hallbar_spine"}})
    with pytest.raises(NetlistError, match="series or parallel"):
        from spinbench.sim_backend.netlist import parse_lines
        parse_lines({"l": {"devices": ["a"], "connection": "star"}}, {"a": object()})
