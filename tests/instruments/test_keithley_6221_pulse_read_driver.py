"""Pulse trains with a read after every pulse (PulseReadSequencer) on the 6221 + linked 2182A:
the transcript of both instruments, and refusals before anything is sent."""
import numpy as np
import pytest

from spinbench.instruments.limits import LimitError
from test_keithley_6221_sequencer_driver import NV_SETUP, make


def test_pulse_train_is_one_list_sweep_and_keeps_the_reads_after_each_pulse():
    values = [9.0, 1.0, 9.0, 2.0, 9.0, 3.0]            # pulse, read x 3
    src, written, nv_written = make(values)
    out = src.pulse_read([-12e-3, 5e-3, 6e-3], [2e-3, 1e-3, 1e-3], 100e-6, 100e-6)
    np.testing.assert_array_equal(out, [1.0, 2.0, 3.0])
    assert written == [
        "SOUR:SWE:ABOR;:SOUR:CURR 0",
        "SOUR:SWE:SPAC LIST",
        "SOUR:LIST:CURR -0.012,0.0001,0.005,0.0001,0.006,0.0001",
        "SOUR:LIST:DEL 0.002,0.001,0.001,0.001,0.001,0.001",
        "SOUR:LIST:COMP 20,20,20,20,20,20",
        ":SOUR:SWE:COUN 1;:SOUR:SWE:CAB OFF;:SOUR:SWE:RANG BEST;:TRIG:OUTP SOUR",
        "SOUR:SWE:ARM",
        "INIT:IMM",
        "*OPC?",
        "SOUR:SWE:ABOR",
        "SOUR:SWE:ABOR",
        "TRIG:OUTP NONE",
    ]
    assert nv_written == [
        NV_SETUP + ";:FORM:DATA SRE;:FORM:BORD SWAP",
        ":TRAC:CLE;:TRAC:POIN 6;:TRAC:FEED SENS;:TRAC:FEED:CONT NEXT;:TRIG:COUN 6;:INIT",
        ":TRAC:DATA? <binary 6>",
        ":TRIG:SOUR IMM;:TRIG:COUN 1;:FORM:DATA ASC",
    ]


@pytest.mark.parametrize("amps, widths, read, match", [
    ([5e-3, 30e-3], 1e-3, 100e-6, "max_current"),       # over the bench limit of 20 mA
    ([5e-3], 0.5e-3, 100e-6, "pulse width"),             # below the 1 ms list-sweep delay
    ([5e-3], 1e-3, 0.0, "read current"),
])
def test_bad_trains_are_refused_before_anything_is_sent(amps, widths, read, match):
    src, written, nv_written = make([])
    with pytest.raises(LimitError, match=match):
        src.pulse_read(amps, widths, read, 100e-6)
    assert written == [] and nv_written == []
