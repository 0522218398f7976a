"""Transcripts of the DSOX3000T driver (InfiniiVision SCPI) and a DC record on thermo-mtj."""
import numpy as np
import pytest

from instr_fakes import FakeQcodesInstrument
from spinbench.instruments.bench import Bench
from spinbench.instruments.keysight_dsox3000t import KeysightDSOX3000T
from spinbench.instruments.limits import LimitError
from spinbench.instruments.roles import Oscilloscope


class Fake(FakeQcodesInstrument):
    def __init__(self, replies, codes):
        super().__init__(replies)
        self.codes = codes

    def query_binary_values(self, command, datatype, is_big_endian, container):
        self.written.append(f"{command} <{datatype},{'MSB' if is_big_endian else 'LSB'}>")
        return container(self.codes)


def make(codes=(32768, 33024, 32512)):
    inner = Fake({":WAV:PRE?": "1,0,3,1,+1.0E-06,-1.5E-06,0,+1.0E-03,+2.0E-01,32768", ":TER?": "+1"}, codes)
    driver = KeysightDSOX3000T("scope", inner)
    driver._query_block = lambda cmd, dtype, big: inner.query_binary_values(cmd, dtype, big, np.array)
    return driver, inner


def test_transcript_and_scaling():
    driver, inner = make()
    driver.configure(2, 0.05, 1e-6, 0.1, offset_V=0.2, trigger_source="ext", slope="negative")
    assert driver.acquire((2,)) is True
    t, v = driver.read_waveform(2)
    assert inner.written == [
        ":CHAN2:DISP ON", ":CHAN2:IMP ONEM", ":CHAN2:SCAL 0.05", ":CHAN2:OFFS 0.2", ":TIM:REF CENT",
        ":TIM:SCAL 1e-06", ":TIM:POS 0", ":TRIG:MODE EDGE", ":TRIG:EDGE:SOUR EXT", ":TRIG:EDGE:LEV 0.1",
        ":TRIG:EDGE:SLOP NEG", ":DIGitize CHAN2", ":TER?", ":WAV:SOUR CHAN2", ":WAV:FORM WORD",
        ":WAV:BYT MSBF", ":WAV:UNS ON", ":WAV:PRE?", ":WAV:DATA? <H,MSB>",
    ]
    assert t == pytest.approx([-1.5e-6, -0.5e-6, 0.5e-6])
    assert v == pytest.approx([0.2, 0.2 + 0.256, 0.2 - 0.256])
    assert isinstance(driver, Oscilloscope)


def test_refusals_send_nothing():
    driver, inner = make()
    for bad in (lambda: driver.configure(5, 0.1, 1e-6, 0.0), lambda: driver.configure(1, 10.0, 1e-6, 0.0),
                lambda: driver.configure(1, 0.1, 1e-6, 1.0), lambda: driver.configure(1, 0.1, 100.0, 0.0),
                lambda: driver.configure(1, 0.1, 1e-6, 0.0, slope="up")):
        with pytest.raises(LimitError):
            bad()
    assert inner.written == []


def test_dc_bias_shows_i_times_r_on_the_sim_bench():
    with Bench.load("thermo-mtj").open() as lab:
        source, scope = lab.role("current_source"), lab.role("scope")
        source.set_current(2e-4)
        source.enable()
        scope.configure(1, 0.05, 2e-6, 0.25, offset_V=0.25)
        scope.acquire((1,))
        t, v = scope.read_waveform(1)
        assert len(t) == 1000 and t[-1] - t[0] == pytest.approx(20e-6 * 999 / 1000)
        lsb = 10 * 0.05 / 256                                   # 8-bit ADC over 10 divisions
        assert np.mean(v) == pytest.approx(2e-4 * 300.0, abs=lsb)     # I R_P of the thermo_mtj preset
