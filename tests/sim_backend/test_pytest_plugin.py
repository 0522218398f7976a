"""The installed pytest plugin's fixtures: a fresh simulated bench, its command log, PYVISA_LIBRARY."""
from __future__ import annotations

import os

import pytest
import pyvisa


@pytest.mark.spinbench_bench("rf-mtj")
def test_marker_picks_the_bench_and_scripts_land_on_it(spinbench_sim):
    assert spinbench_sim.name == "rf-mtj"
    assert os.environ["PYVISA_LIBRARY"] == "rf-mtj@spinbench"
    rm = pyvisa.ResourceManager()                     # what a lab script writes
    lockin = rm.open_resource("GPIB0::8::INSTR")
    assert lockin.query("*IDN?").startswith("Stanford_Research_Systems,SR830")
    lockin.write("FREQ 1234.5")
    assert float(lockin.query("FREQ?")) == pytest.approx(1234.5)
    assert spinbench_sim.commands("GPIB0::8::INSTR") == ["*IDN?", "FREQ 1234.5", "FREQ?"]


def test_each_use_starts_from_a_fresh_bench(spinbench_bench):
    sim = spinbench_bench("sot-hallbar")
    pulser = sim.rm.open_resource("GPIB0::12::INSTR")
    pulser.write("SOUR:CURR 1e-3")
    assert sim.commands() == ["SOUR:CURR 1e-3"]
    again = spinbench_bench("sot-hallbar")           # reset: the first one's state is gone
    assert again.commands() == []
    assert float(again.rm.open_resource("GPIB0::12::INSTR").query("SOUR:CURR?")) == 0.0


def test_extremes_record_the_largest_outputs_ever_applied(spinbench_bench):
    sim = spinbench_bench("sot-hallbar")
    pulser = sim.rm.open_resource("GPIB0::12::INSTR")
    for level in ("1e-3", "-7e-3", "2e-3"):
        pulser.write(f"SOUR:CURR {level}; OUTP ON")
    pulser.write("OUTP OFF")
    magnet = sim.rm.open_resource("GPIB0::6::INSTR")          # Kepco BOP on coil_x, 0.01 T/A
    magnet.write("FUNC:MODE CURR; CURR 2.5; OUTP ON")
    ext = sim.extremes()
    # 7 mA into the 1.5 kohm channel needs 10.5 V: the 6221 holds its default 10 V compliance
    # (manual, SOUR:CURR:COMP *RST 10 V), so what reached the device is 10 V / 1.5 kohm
    assert ext["current"] == pytest.approx(10.0 / 1500.0, rel=1e-6)
    assert ext["voltage"] == pytest.approx(10.0, rel=1e-6)
    assert ext["field"] == pytest.approx(0.025) and ext["coil_current"] == pytest.approx(2.5)
    assert ext["laser_power"] == 0.0 and ext["rf_power_dbm"] == float("-inf")
