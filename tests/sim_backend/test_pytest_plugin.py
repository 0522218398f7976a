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
