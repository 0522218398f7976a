"""2450 averaging filter (noise falls as 1/sqrt(count), time grows as count), buffer statistics
against numpy over the buffer's own readings, per-function output-off states (2450 Reference
Manual, section 6: :SENSe:<function>:AVERage, :TRACe:STATistics, :OUTPut:<function>:SMODe)."""
from __future__ import annotations

import numpy as np
import pytest

from spinbench.sim_backend import benches

from emu_io import ask, scpi_errors, spine_bench_copy

SMU = "USB0::0x05E6::0x2450::04096331::0::INSTR"


@pytest.fixture
def bench(tmp_path):
    return benches.build(str(spine_bench_copy(tmp_path)))


def readings(emu, n: int) -> tuple[np.ndarray, float]:
    """``n`` readings into a cleared defbuffer1; returns them and the virtual time they took."""
    world = emu.world
    ask(emu, f":TRAC:CLE;:SENS:COUN {n}")
    t0 = world.now
    ask(emu, ":READ?")
    elapsed = world.now - t0
    data = np.array([float(v) for v in ask(emu, f":TRAC:DATA? 1, {n}").split(",")])
    return data, elapsed


def test_repeating_filter_divides_the_noise_by_sqrt_count(bench):
    emu = bench.emulators[SMU]
    ask(emu, ":SOUR:FUNC CURR;:SOUR:CURR 1e-6;:SENS:FUNC 'VOLT';:SENS:VOLT:RANG 0.2;:OUTP ON")
    raw, t_raw = readings(emu, 200)
    ask(emu, ":SENS:VOLT:AVER:TCON REP;:SENS:VOLT:AVER:COUN 16;:SENS:VOLT:AVER ON")
    assert scpi_errors(emu) == []
    assert ask(emu, ":SENS:VOLT:AVER?") == "1"
    assert ask(emu, ":SENS:VOLT:AVER:TCON?") == "REP"
    filt, t_filt = readings(emu, 200)
    # independent white noise per conversion: the mean of 16 has 1/4 of the spread
    ratio = filt.std(ddof=1) / raw.std(ddof=1)
    assert ratio == pytest.approx(0.25, rel=0.25)
    assert filt.mean() == pytest.approx(raw.mean(), abs=3 * raw.std(ddof=1) / np.sqrt(200))
    assert t_filt / t_raw == pytest.approx(16, rel=0.1)   # 16 conversions per reading


def test_moving_filter_starts_unbiased_and_smooths(bench):
    emu = bench.emulators[SMU]
    ask(emu, ":SOUR:FUNC CURR;:SOUR:CURR 1e-6;:SENS:FUNC 'VOLT';:SENS:VOLT:RANG 0.2;:OUTP ON")
    raw, t_raw = readings(emu, 200)
    ask(emu, ":SENS:VOLT:AVER:TCON MOV;:SENS:VOLT:AVER:COUN 10;:SENS:VOLT:AVER ON")
    filt, t_filt = readings(emu, 200)
    # the first reading fills the stack: no pull toward zero
    assert filt[0] == pytest.approx(raw.mean(), abs=5 * raw.std(ddof=1))
    assert filt[20:].std(ddof=1) < 0.6 * raw.std(ddof=1)
    assert t_filt / t_raw == pytest.approx(1, rel=0.1)    # one conversion per reading
    ask(emu, ":SENS:VOLT:AVER:COUN 101")
    assert scpi_errors(emu) == [-222]


def test_buffer_statistics_are_those_of_the_readings(bench):
    emu = bench.emulators[SMU]
    ask(emu, ":SOUR:FUNC CURR;:SOUR:CURR 1e-6;:SENS:FUNC 'VOLT';:OUTP ON")
    data, _ = readings(emu, 25)
    # TRAC:DATA? prints 7 significant digits: the oracle carries that quantisation q
    q = 10.0 ** (np.floor(np.log10(np.abs(data).max())) - 6)
    assert float(ask(emu, ":TRAC:STAT:AVER?")) == pytest.approx(data.mean(), abs=q)
    assert float(ask(emu, ":TRAC:STAT:STDD?")) == pytest.approx(data.std(ddof=1), abs=q)
    assert float(ask(emu, ":TRAC:STAT:MIN? 'defbuffer1'")) == pytest.approx(data.min(), abs=q)
    assert float(ask(emu, ":TRAC:STAT:MAX?")) == pytest.approx(data.max(), abs=q)
    assert float(ask(emu, ":TRAC:STAT:PK2P?")) == pytest.approx(data.max() - data.min(), abs=2 * q)
    ask(emu, ":TRAC:CLE")
    ask(emu, ":TRAC:STAT:AVER?")
    assert scpi_errors(emu) == [-230]


def test_output_off_state_is_kept_per_source_function(bench):
    emu = bench.emulators[SMU]
    assert ask(emu, ":OUTP:CURR:SMOD?") == "NORM"
    ask(emu, ":OUTP:CURR:SMOD HIMP;:OUTP:VOLT:SMOD GUAR")
    assert (ask(emu, ":OUTP:CURR:SMOD?"), ask(emu, ":OUTP:VOLT:SMOD?")) == ("HIMP", "GUAR")
    ask(emu, ":OUTP:CURR:SMOD OPEN")
    assert scpi_errors(emu) == [-224]
    ask(emu, "*RST")
    assert ask(emu, ":OUTP:VOLT:SMOD?") == "NORM"
