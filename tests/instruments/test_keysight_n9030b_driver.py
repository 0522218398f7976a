"""Transcripts of the N9030B driver (X-Series SA mode SCPI) and a trace through the sim bench."""
import numpy as np
import pytest

from instr_fakes import FakeQcodesInstrument
from spinbench.instruments.bench import Bench
from spinbench.instruments.keysight_n9030b import KeysightN9030B
from spinbench.instruments.limits import LimitError
from spinbench.instruments.roles import SpectrumAnalyzer


class FakeHandle:
    def __init__(self, written, pairs):
        self.written, self.pairs, self.timeout = written, pairs, 2000.0

    def query_binary_values(self, command, datatype, is_big_endian, container):
        self.written.append(f"{command} <{datatype},{'big' if is_big_endian else 'little'},{self.timeout:g} ms>")
        return container(self.pairs)


def make():
    inner = FakeQcodesInstrument({":SWE:TIME?": "1.5E-01"})
    inner.visa_handle = FakeHandle(inner.written, [1e9, -90.0, 2e9, -91.0])
    return KeysightN9030B("sa", inner), inner


def test_configure_and_read_transcript():
    driver, inner = make()
    driver.configure(1.5e9, 1e9, 1e6, 2, averages=20, attenuation_db=6)
    f, p = driver.read_trace()
    assert inner.written == [
        ":INIT:CONT OFF", ":FREQ:CENT 1500000000", ":FREQ:SPAN 1000000000", ":BAND 1e+06",
        ":SWE:POIN 2", ":POW:ATT 6", ":AVER:TYPE RMS", ":DET:TRAC AVER", ":AVER:COUN 20",
        ":AVER ON", ":SWE:TIME?", ":READ:SAN1? <d,little,8000 ms>",
    ]
    assert f.tolist() == [1e9, 2e9] and p.tolist() == [-90.0, -91.0]
    assert inner.visa_handle.timeout == 2000.0                   # restored
    assert isinstance(driver, SpectrumAnalyzer)


@pytest.mark.parametrize("kwargs", [
    dict(center_Hz=26.99e9, span_Hz=1e8, rbw_Hz=1e6, points=101),
    dict(center_Hz=1e9, span_Hz=5, rbw_Hz=1e6, points=101),
    dict(center_Hz=1e9, span_Hz=1e6, rbw_Hz=9e6, points=101),
    dict(center_Hz=1e9, span_Hz=1e6, rbw_Hz=1e3, points=40002),
    dict(center_Hz=1e9, span_Hz=1e6, rbw_Hz=1e3, points=101.5),
    dict(center_Hz=1e9, span_Hz=1e6, rbw_Hz=1e3, points=101, averages=0),
])
def test_out_of_range_is_refused_before_sending(kwargs):
    driver, inner = make()
    with pytest.raises(LimitError):
        driver.configure(**kwargs)
    assert inner.written == []


def test_read_trace_on_the_sim_bench():
    with Bench.load("sto-spectrum").open() as lab:
        sa = lab.role("spectrum_analyzer")
        sa.configure(3e9, 2e8, 3e5, 401, averages=50)
        f, p = sa.read_trace()
        assert f.shape == p.shape == (401,)
        assert f[[0, -1]] == pytest.approx([2.9e9, 3.1e9])
        kt_danl = 10 * np.log10((1.380649e-23 * 300 + 1e-18) * 1.0645 * 3e5) + 30
        assert np.mean(p) == pytest.approx(kt_danl, abs=1.0)
        assert lab.snapshot()["instruments"]["analyzer"]["settings"]["points"] == 401
