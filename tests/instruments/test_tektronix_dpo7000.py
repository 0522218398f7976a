"""Tektronix DPO7254C emulator and driver: qcodes' TektronixDPO7000xx unmodified on @spinbench,
the data encodings against the preamble formula of the programmer manual, our driver on a bench
with the Tek as its scope (DC level, and the laser transient against the thermal oracle)."""
import sys
from pathlib import Path

import numpy as np
import pytest
import pyvisa
import yaml

from spinbench.instruments.bench import Bench
from spinbench.instruments.limits import LimitError
from spinbench.instruments.roles import TriggeredScope
from spinbench.instruments.tektronix_dpo7000 import TektronixDPO7000

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sim_backend" / "emulators"))
from thermo_oracle import bin_means, periodic_delta_t  # noqa: E402

LIB = "thermo-mtj@spinbench"
TEK = "TCPIP0::192.168.0.20::inst0::INSTR"
LASER = "USB0::0x1313::0x804A::M00123456::INSTR"
OPEN = dict(read_termination="\n", write_termination="\n")


def bias(rm, amps):
    src = rm.open_resource("GPIB0::12::INSTR", **OPEN)
    src.write(f"SOUR:CURR:COMP 5;:SOUR:CURR {amps};:OUTP ON")


def test_unmodified_qcodes_driver_reads_the_junction_voltage():
    from qcodes.instrument_drivers.tektronix import TektronixDPO7000 as TektronixDPO7000xx

    rm = pyvisa.ResourceManager(LIB)
    bias(rm, 2e-4)                                          # I R_P = 60 mV
    tek = TektronixDPO7000xx("tek_unmodified", TEK, visalib=LIB)
    try:
        assert "DPO7254C" in tek.IDN()["model"]
        ch = tek.channel1
        ch.scale(0.02)
        ch.offset(0.05)
        tek.horizontal.mode("auto")
        tek.horizontal.scale(1e-5)
        tek.acquisition.mode("sample")
        tek.acquisition.stop_after("SEQUENCE")
        tek.acquisition.state("RUN")
        tek.waveform.is_binary(True)
        tek.waveform.bytes_per_sample(1)
        tek.waveform.data_format("signed_integer")
        tek.waveform.is_big_endian(True)
        v = ch.waveform.trace()
        assert len(v) == ch.waveform.length() == 5000
        lsb = 0.02 / 25
        assert np.mean(v) == pytest.approx(2e-4 * 300.0, abs=lsb)
        t = ch.waveform.trace_axis()
        assert t[1] - t[0] == pytest.approx(10 * 1e-5 / 5000, rel=1e-3)
    finally:
        tek.close()
        rm.close()


@pytest.mark.parametrize("enc, width, dtype, big", [
    ("RIBinary", 1, "b", True), ("RPBinary", 1, "B", True), ("SRIbinary", 2, "h", False),
    ("RPBinary", 2, "H", True), ("FPBinary", 4, "f", True)])
def test_encodings_decode_to_the_same_volts_with_the_preamble(enc, width, dtype, big):
    rm = pyvisa.ResourceManager(LIB)
    bias(rm, 3e-4)
    tek = rm.open_resource(TEK, **OPEN)
    tek.write("CH1:SCALE 0.02;:CH1:OFFSET 0.1;:CH1:POSITION -1.5;:HORIZONTAL:MODE:SCALE 1e-6")
    tek.write("ACQUIRE:STOPAFTER SEQUENCE;:ACQUIRE:STATE RUN")
    assert tek.query("*OPC?") == "1"
    tek.write(f"DATA:SOURCE CH1;:DATA:ENCDG {enc};:DATA:WIDTH {min(width, 2)}")
    pre = dict(zip(("BYT_NR", "BIT_NR", "ENCDG", "BN_FMT", "BYT_OR", "WFID", "NR_PT", "PT_FMT", "XUNIT",
                    "XINCR", "XZERO", "PT_OFF", "YUNIT", "YMULT", "YOFF", "YZERO"),
                   tek.query("WFMOUTPRE?").split(";")))
    assert int(pre["BYT_NR"]) == width and pre["BYT_OR"] == ("MSB" if big else "LSB")
    raw = tek.query_binary_values("CURVE?", datatype=dtype, is_big_endian=big, container=np.array)
    volts = (raw - float(pre["YOFF"])) * float(pre["YMULT"]) + float(pre["YZERO"])
    lsb = 0.02 / 25
    assert len(raw) == int(pre["NR_PT"])
    assert np.mean(volts) == pytest.approx(3e-4 * 300.0, abs=lsb)      # I R_P = 90 mV
    rm.close()


def test_refusals_are_the_instruments():
    rm = pyvisa.ResourceManager(LIB)
    tek = rm.open_resource(TEK, **OPEN)
    for bad, code in (("HORIZONTAL:MODE:RECORDLENGTH 20000", "-221"),    # AUTO: read-only
                      ("CH5:SCALE 1", "-114"), ("CH1:TERMINATION 75", "-222"),
                      ("DATA:ENCDG BOGUS", "-224")):
        tek.write(bad)
        assert tek.query("SYSTEM:ERROR?").startswith(code), bad
    rm.close()


def test_driver_on_a_bench_captures_the_laser_transient(tmp_path):
    spec = yaml.safe_load(open(Bench.load("thermo-mtj").path))      # the built-in bench + a Tek
    spec["instruments"]["tek"] = {"driver": "tektronix_dpo7000", "address": TEK}
    spec["roles"]["scope"] = "tek"
    spec["sim"]["instruments"][TEK] = {"model": "tektronix_dpo7000",
                                       "connect": {"ch1": "junction", "aux_trigger": LASER}}
    path = tmp_path / "thermo-tek.yaml"
    path.write_text(yaml.safe_dump(spec))
    with Bench.load(str(path)).open() as lab:
        scope = lab.role("scope")
        assert isinstance(scope, TektronixDPO7000) and isinstance(scope, TriggeredScope)
        with pytest.raises(LimitError):
            scope.set_record_length(200_000)
        laser = lab.role("laser")
        laser.set_power(0.04)                                # 20 mW on the device (coupling 0.5)
        laser.set_pulsed(400e-6, 150e-6)
        laser.enable()
        world = lab._rm.visalib.world
        p = world.device.p
        scope.set_record_length(4000)
        scope.configure(1, 1e-3, 4e-5, 1.0, trigger_source="ext", position_s=5 * 4e-5 - 40e-6)
        scope.set_averaging(64)
        assert scope.acquire((1,)) is True
        t, v = scope.read_waveform(1)
    assert len(t) == 4000 and t[0] == pytest.approx(-40e-6, abs=1e-7)
    period, width, p_on = 400e-6, 150e-6, 0.02
    expected = -p.seebeck_p * periodic_delta_t(p, t, period, width, p_on)
    assert np.abs(bin_means(v, 40) - bin_means(expected, 40)).max() < 0.05 * np.ptp(expected)


def test_measurements_find_the_laser_modulation_frequency_and_open_inputs_have_none():
    """MEASUrement:MEAS<x> on the laser-heated junction: the frequency of the thermovoltage is
    the commanded modulation's (1 / 400 us), within 0.5 %; the mean equals the mean of the
    transferred record; an open input has no period (9.91E37, the instrument's no-value)."""
    rm = pyvisa.ResourceManager(LIB)
    laser = rm.open_resource(LASER, **OPEN)
    laser.write("SOUR:FUNC:SHAP PULS;:SOUR:PULS:PER 400e-6;:SOUR:PULS:WIDT 150e-6;:SOUR:CURR 0.08")
    laser.write("OUTP ON")
    tek = rm.open_resource(TEK, **OPEN)
    tek.write("CH1:SCALE 2e-3;:HORIZONTAL:MODE:SCALE 2e-4;:TRIGGER:A:EDGE:SOURCE AUX")
    tek.write("ACQUIRE:MODE AVERAGE;:ACQUIRE:NUMAVG 16;:ACQUIRE:STOPAFTER SEQUENCE;:ACQUIRE:STATE RUN")
    assert tek.query("*OPC?") == "1"
    tek.write("MEASUREMENT:MEAS1:SOURCE1 CH1;:MEASUREMENT:MEAS1:TYPE FREQUENCY;:MEASUREMENT:MEAS1:STATE ON")
    assert tek.query("MEASUREMENT:MEAS1:TYPE?") == "FREQUENCY"
    assert tek.query("MEASUREMENT:MEAS1:UNITS?") == '"Hz"'
    assert float(tek.query("MEASUREMENT:MEAS1:VALUE?")) == pytest.approx(1 / 400e-6, rel=5e-3)
    tek.write("MEASUREMENT:MEAS2:TYPE MEAN;:MEASUREMENT:MEAS2:STATE ON")
    mean = float(tek.query("MEASUREMENT:MEAS2:VALUE?"))
    tek.write("DATA:SOURCE CH1;:DATA:ENCDG RIBINARY;:DATA:WIDTH 2")
    pre = tek.query("WFMOUTPRE?").split(";")
    raw = tek.query_binary_values("CURVE?", datatype="h", is_big_endian=True, container=np.array)
    volts = (raw - float(pre[14])) * float(pre[13]) + float(pre[15])
    assert mean == pytest.approx(np.mean(volts), abs=2e-3 / 6400 * 2)
    assert abs(mean) > 1e-4                                  # heated: a thermovoltage
    tek.write("MEASUREMENT:MEAS3:SOURCE1 CH3;:MEASUREMENT:MEAS3:TYPE PERIOD")
    assert float(tek.query("MEASUREMENT:MEAS3:VALUE?")) == pytest.approx(9.91e37)
    assert int(tek.query("*ESR?")) & 0x3C == 0
    rm.close()
