"""R&S FSV: the emulator (shared swept-analyzer physics with the N9030B) through pymeasure's FS-series
driver unmodified and through the project's driver: the k_B T + DANL floor in the RBW noise
bandwidth, a spin-torque oscillator's emitted power, little-endian REAL,32 blocks, refusals."""
from __future__ import annotations

import math

import numpy as np
import pytest
import pyvisa
import yaml

from spinbench.analysis.sto import fit_line
from spinbench.instruments.bench import Bench
from spinbench.instruments.limits import LimitError
from spinbench.sim_backend.physics.presets import make_device

ADDR = "TCPIP0::192.168.0.31::inst0::INSTR"
BIAS = "GPIB0::12::INSTR"
KT = 1.380649e-23 * 300.0
NBW = math.sqrt(math.pi / (4 * math.log(2)))       # Gaussian RBW: noise bandwidth / -3 dB width


def floor_dbm(rbw, att_db):
    """k_B T of the matched source + the FSV's -158 dBm/Hz (+ attenuation) in the noise bandwidth."""
    return 10 * np.log10((KT + 1e-3 * 10 ** ((-158 + att_db) / 10)) * NBW * rbw) + 30


@pytest.fixture
def bench_file(tmp_path):
    spec = {
        "name": "fsv-sto", "visa_library": "@spinbench",
        "instruments": {
            "analyzer": {"driver": "rohde_schwarz_fsv", "address": ADDR},
            "bias": {"driver": "keithley_6221", "address": BIAS,
                     "limits": {"max_current": 0.001, "compliance_voltage": 0.7}},
            "magnet_x": {"driver": "kepco_bop", "address": "GPIB0::6::INSTR",
                         "options": {"tesla_per_amp": 0.05, "axis": "x", "ramp_step_time": 0.002, "poll_interval": 0.0},
                         "limits": {"max_field": 0.25, "max_ramp_rate": 1.0}},
        },
        "roles": {"spectrum_analyzer": "analyzer", "current_source": "bias", "field_x": "magnet_x"},
        "sim": {"seed": 4, "clock": "virtual", "temperature": 300.0, "device": {"model": "rf_mtj", "params": {}},
                "magnets": {"coil_x": {"axis": [1, 0, 0], "tesla_per_amp": 0.05, "inductance": 0.05,
                                       "resistance": 1.0}},
                "instruments": {ADDR: {"model": "rohde_schwarz_fsv", "connect": {"input": "rf"}},
                                BIAS: {"model": "keithley_6221", "connect": {"output": "junction"}},
                                "GPIB0::6::INSTR": {"model": "kepco_bop", "connect": {"output": "coil_x"}}}},
    }
    path = tmp_path / "fsv-sto.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_stock_fs_series_driver_reads_the_noise_floor(bench_file):
    from pymeasure.instruments.rohdeschwarz import FSL

    lib = f"{bench_file}@spinbench"
    fsv = FSL(ADDR, visa_library=lib)
    try:
        assert fsv.id.startswith("Rohde&Schwarz,FSV-13")
        fsv.continuous_sweep_enabled = False
        fsv.freq_start, fsv.freq_stop = 1e9, 2e9
        fsv.res_bandwidth = 1e6
        fsv.attenuation = 0
        fsv.trace_mode = "AVER"
        fsv.write("DET RMS;AVER:TYPE POW;SWE:COUN 200")
        fsv.single_sweep()
        f, p = fsv.read_trace()
        assert f[[0, -1]] == pytest.approx([1e9, 2e9]) and len(p) == 691        # *RST: 691 points
        assert np.mean(p) == pytest.approx(floor_dbm(1e6, 0.0), abs=0.5)
        assert np.std(p) < 0.5
        fsv.res_bandwidth = 1e5                                                   # 10 dB per decade
        fsv.single_sweep()
        assert np.mean(fsv.read_trace()[1]) == pytest.approx(floor_dbm(1e5, 0.0), abs=0.5)
        fsv.res_bandwidth = 4e5                                                   # 1-2-3-5 steps
        assert fsv.res_bandwidth == 5e5
        assert fsv.ask("SYST:ERR?").startswith("0,")
    finally:
        fsv.adapter.close()


def test_real32_blocks_are_little_endian_and_unsupported_formats_are_refused(bench_file):
    rm = pyvisa.ResourceManager(f"{bench_file}@spinbench")
    res = rm.open_resource(ADDR, read_termination="\n", write_termination="\n")
    try:
        res.write("INIT:CONT OFF;FREQ:CENT 5e9;FREQ:SPAN 1e8;SWE:POIN 1001;INIT;*WAI")
        res.write("FORM ASC")
        ascii_values = np.array(res.query_ascii_values("TRAC? TRACE1"))
        res.write("FORM REAL,32")
        binary = res.query_binary_values("TRAC? TRACE1", datatype="f", is_big_endian=False, container=np.array)
        assert binary == pytest.approx(ascii_values, abs=1e-4)
        res.write("FORM REAL,64")
        assert res.query("SYST:ERR?").startswith("-224")
        res.write("FREQ:SPAN 0")
        assert res.query("SYST:ERR?").startswith("-221")
    finally:
        res.close()
        rm.close()


def test_driver_measures_the_oscillator_power_and_refuses_before_sending(bench_file):
    dev = make_device("rf_mtj", {})
    field = np.array([0.05, 0.0, 0.0])
    current = 1.2 * dev.oscillator(field).threshold
    bench = Bench.load(str(bench_file))
    with bench.open() as opened:
        world = pyvisa.ResourceManager(opened.visa_library).visalib.world
        sa, src = opened.role("spectrum_analyzer"), opened.role("current_source")
        opened.role("field_x").set_field(0.05)
        sa.configure(4.0e9, 6.0e9, 3e6, 1001, averages=8)
        src.set_current(current)
        src.enable()
        f, p = sa.read_trace()
        line = fit_line(f, p, 3e6)
        osc = dev.oscillation(field, current)
        assert line.power == pytest.approx(osc["power"], rel=0.15)
        assert line.frequency == pytest.approx(osc["frequency"], rel=0.02)
        sent = len(world.messages(ADDR))
        with pytest.raises(LimitError, match="resolution bandwidth .* outside"):
            sa.configure(4e9, 6e9, 20e6, 1001)
        with pytest.raises(LimitError, match="center frequency"):
            sa.configure(13e9, 2e9, 1e6, 1001)
        with pytest.raises(LimitError, match="trace points"):
            sa.configure(4e9, 1e9, 1e6, 50)
        assert len(world.messages(ADDR)) == sent          # nothing reached the instrument
