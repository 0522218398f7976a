"""Transcripts of the ITC4001 driver (Series 4000 SCPI) and the laser on the thermo-mtj bench."""
import pytest
from pymeasure.instruments import Instrument

from instr_fakes import TranscriptAdapter
from spinbench.instruments.bench import Bench
from spinbench.instruments.limits import LimitError, Limits
from spinbench.instruments.roles import LaserSource
from spinbench.instruments.thorlabs_itc4001 import ThorlabsITC4001


def make(replies=None):
    adapter = TranscriptAdapter(replies)
    inner = Instrument(adapter, "itc", includeSCPI=False)
    return ThorlabsITC4001("laser", inner, Limits(max_laser_power=0.05), {"current_limit": 0.15}), adapter


def test_transcript_and_refusal_before_sending():
    driver, adapter = make({"OUTP:PROT:KEYL:TRIP?": "0", "OUTP:PROT:INTL:TRIP?": "0",
                            "SOUR:PULS:WIDT?": "1.000000E-04"})
    with pytest.raises(LimitError):
        driver.set_power(0.06)
    assert adapter.written == []
    driver.set_power(0.02)
    driver.enable()
    driver.set_pulsed(2e-3, 5e-4)
    driver.shutdown()
    assert adapter.written == [
        "SOUR:CURR:LIM 0.15", "SOUR:FUNC:MODE POW", "SOUR:POW 0.02",
        "OUTP:PROT:KEYL:TRIP?", "OUTP:PROT:INTL:TRIP?", "OUTP ON",
        "SOUR:PULS:HOLD WIDT", "SOUR:PULS:WIDT?", "SOUR:PULS:PER 0.002", "SOUR:PULS:WIDT 0.0005",
        "SOUR:FUNC:SHAP PULS", "OUTP OFF", "SOUR:POW 0",
    ]
    assert isinstance(driver, LaserSource)


def test_keylock_refuses_enable():
    driver, adapter = make({"OUTP:PROT:KEYL:TRIP?": "1"})
    with pytest.raises(RuntimeError, match="key"):
        driver.enable()
    assert "OUTP ON" not in adapter.written


def test_laser_heats_the_world_on_the_sim_bench():
    with Bench.load("thermo-mtj").open() as lab:
        laser = lab.role("laser")
        world = lab._rm.visalib.world
        laser.set_power(0.04)
        assert world.laser_power == 0.0
        laser.enable()
        assert world.laser_power == pytest.approx(0.5 * 0.04, rel=1e-6)   # coupling 0.5
        assert laser.measured_power() == pytest.approx(0.04, abs=1e-5)
        with pytest.raises(LimitError):
            laser.set_power(0.051)
        assert world.laser_power == pytest.approx(0.02, rel=1e-6)
    assert world.laser_power == 0.0                                       # bench exit: laser off
