"""Transcripts of the N5183B driver (SCPI through the qcodes instrument): hardware ranges from
*OPT?, bench limits refuse and send nothing, enable checks the programmed power; the
RFSource role on lockin-hallbar puts the tone into the world with the cable loss."""
import math

import pytest
import yaml

from instr_fakes import FakeQcodesInstrument
from spinbench.instruments import Bench
from spinbench.instruments.bench import BenchError
from spinbench.instruments.keysight_n5183b import KeysightN5183B, ranges_from_options
from spinbench.instruments.limits import LimitError, Limits
from spinbench.instruments.roles import RFSource

LIMITS = Limits(max_rf_power_dbm=10.0, min_frequency=1e6, max_frequency=12e9)


def make(replies=None, limits=LIMITS, opts="1E1,520,UNW"):
    inner = FakeQcodesInstrument(replies)
    return KeysightN5183B("mxg", inner, limits, {}, instrument_options=opts), inner


def test_set_and_query_transcript():
    driver, inner = make({"SOUR:FREQ?": "+5.0000000000E+09", "SOUR:POW?": "-5.00",
                          "OUTP:STAT?": "1"})
    driver.set_frequency(5e9)
    driver.set_power_dbm(-5)
    driver.set_power_dbm(-100)                          # step attenuator installed
    assert driver.frequency() == 5e9 and driver.power_dbm() == -5.0
    driver.enable()
    assert driver.output_enabled() is True
    driver.disable()
    assert inner.written == ["SOUR:FREQ 5000000000.000", "SOUR:POW -5.00", "SOUR:POW -100.00",
                             "SOUR:FREQ?", "SOUR:POW?", "SOUR:POW?", "OUTP:STAT ON",
                             "OUTP:STAT?", "OUTP:STAT OFF"]
    assert isinstance(driver, RFSource)


@pytest.mark.parametrize("call, match", [
    (lambda d: d.set_power_dbm(10.5), r"RF power 10.5 dBm .* \(bench limit max_rf_power_dbm\)"),
    (lambda d: d.set_power_dbm(-131), "RF power -131 dBm is outside"),
    (lambda d: d.set_frequency(13e9), r"frequency 1.3e\+10 Hz is outside .*\[1e\+06 Hz, 1.2e\+10 Hz\]"),
    (lambda d: d.set_frequency(0.5e6), "outside"),
    (lambda d: d.set_frequency(float("nan")), "outside"),
    (lambda d: d.configure_step_sweep(1e9, 13e9, 11, 0.01), "outside"),
    (lambda d: d.configure_step_sweep(1e9, 2e9, 1, 0.01), "sweep points 1"),
    (lambda d: d.configure_step_sweep(1e9, 2e9, 11, 1e-4), "dwell"),
])
def test_refusals_send_nothing(call, match):
    driver, inner = make()
    with pytest.raises(LimitError, match=match):
        call(driver)
    assert inner.written == []


def test_hardware_ranges_follow_the_options():
    assert ranges_from_options("1E1,520,UNW") == (100e3, 20e9, -130.0, 19.0)
    assert ranges_from_options("506") == (100e3, 6e9, -20.0, 19.0)
    with pytest.raises(ValueError, match="no frequency option"):
        ranges_from_options("UNW")
    driver, inner = make(limits=Limits(max_rf_power_dbm=30.0), opts="506")
    with pytest.raises(LimitError, match=r"\[100000 Hz, 6e\+09 Hz\]"):
        driver.set_frequency(7e9)
    with pytest.raises(LimitError, match=r"-25 dBm .* \[-20 dBm, 19 dBm\] \(instrument range\)"):
        driver.set_power_dbm(-25)
    with pytest.raises(LimitError, match="19 dBm"):
        driver.set_power_dbm(20)
    assert inner.written == []


def test_enable_refuses_a_power_programmed_above_the_limit():
    driver, inner = make({"SOUR:POW?": "+15.00"})
    with pytest.raises(LimitError, match="programmed power; output left off"):
        driver.enable()
    assert inner.written == ["SOUR:POW?"]


def test_step_sweep_and_shutdown_transcript():
    driver, inner = make({"*OPC?": "1"})
    freqs = driver.configure_step_sweep(1e9, 2e9, 11, 0.01)
    driver.run_sweep()
    driver.set_cw_mode()
    driver.shutdown()
    assert freqs[1] == pytest.approx(1.1e9)
    assert inner.written == ["SOUR:FREQ:STAR 1000000000.000", "SOUR:FREQ:STOP 2000000000.000",
                             "SOUR:SWE:POIN 11", "SOUR:SWE:DWEL 0.01", "SOUR:LIST:TYPE STEP",
                             "SOUR:FREQ:MODE LIST", "INIT", "*OPC?", "SOUR:FREQ:MODE CW",
                             "OUTP:STAT OFF"]


def test_a_bench_without_an_rf_power_limit_is_refused(tmp_path):
    raw = yaml.safe_load(Bench.load("lockin-hallbar").path.read_text())
    del raw["instruments"]["rf_source"]["limits"]["max_rf_power_dbm"]
    path = tmp_path / "bench.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(BenchError, match="limits.max_rf_power_dbm: missing"):
        Bench.load(path)


def test_rf_source_role_on_the_simulated_bench():
    import pyvisa

    bench = Bench.load("lockin-hallbar")
    with bench.open() as lab:
        rf = lab.role("rf_source")
        world = pyvisa.ResourceManager(lab.visa_library).visalib.world
        rf.set_frequency(8.5e9)
        rf.set_power_dbm(-4.0)
        assert world.rf == (0.0, -math.inf)
        rf.enable()
        assert world.rf == (8.5e9, -6.0)                 # 2 dB cable loss
        with pytest.raises(LimitError):
            rf.set_power_dbm(11.0)
        assert world.rf == (8.5e9, -6.0)
        rf.configure_step_sweep(1e9, 2e9, 6, 0.02)
        t0 = world.now
        rf.run_sweep()
        assert world.now - t0 >= 6 * 0.02 and world.rf == (2e9, -6.0)
        rf.set_cw_mode()
        assert world.rf == (8.5e9, -6.0)
        snap = lab.snapshot()["instruments"]["rf_source"]["settings"]
        assert snap["output_enabled"] is True and snap["power_dBm"] == -4.0
    assert world.rf == (0.0, -math.inf)                  # bench exit: output off
