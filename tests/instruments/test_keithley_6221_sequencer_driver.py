"""Write/read sequences of the 6221 with the linked 2182A on its own GPIB address
(option ``nanovoltmeter``): transcripts of both instruments, the bench option's validation and
the attach hook of ``Bench.open()``."""
import struct
import textwrap

import numpy as np
import pytest
from pymeasure.instruments.keithley import Keithley2182 as PM2182
from pymeasure.instruments.keithley import Keithley6221 as PM6221

from instr_fakes import TranscriptAdapter
from spinbench.instruments import Bench, BenchError
from spinbench.instruments.keithley_2182a import Keithley2182A
from spinbench.instruments.keithley_6221 import Keithley6221
from spinbench.instruments.limits import Limits

LIMITS = Limits(max_current=0.02, compliance_voltage=20.0)

NV_SETUP = (":ABOR;:SENS:FUNC 'VOLT';:SENS:CHAN 1;:SENS:VOLT:CHAN1:RANG 0.1;"
            ":SENS:VOLT:NPLC 0.01;:SENS:VOLT:DFIL OFF;:SYST:AZER OFF;:SYST:FAZ OFF;"
            ":TRIG:SOUR EXT;:TRIG:DEL 0.0001;:SAMP:COUN 1")


class FakeResource:
    """The pyvisa resource of the 2182A: ``query_binary_values`` decodes a "#0" SREal block."""

    def __init__(self, written: list[str], values) -> None:
        self.written = written
        self.values = list(values)

    def query_binary_values(self, command, datatype, is_big_endian, data_points,
                            expect_termination, container):
        assert (datatype, is_big_endian, expect_termination) == ("f", False, True)
        self.written.append(f"{command} <binary {data_points}>")
        block = b"#0" + struct.pack("<" + "f" * data_points, *self.values[:data_points])
        return container(struct.unpack("<" + "f" * data_points, block[2:]))


def make(nv_values=None, binary=True, attached=True):
    src_adapter = TranscriptAdapter({"*OPC?": "1", "SOUR:PDEL:NVPR?": "1"})
    nv_adapter = TranscriptAdapter({":TRAC:DATA?": ",".join(f"{v:+.9E}" for v in nv_values or []),
                                    ":READ?": ["+2.0E-3", "-1.0E-3"]})
    if binary:
        nv_adapter.connection = FakeResource(nv_adapter.written, nv_values or [])
    nv = Keithley2182A("nanovoltmeter", PM2182(nv_adapter))
    options = {"nanovoltmeter": "nanovoltmeter"} if attached else {}
    src = Keithley6221("pulser", PM6221(src_adapter), LIMITS, options)
    src.attach({"pulser": src, "nanovoltmeter": nv})
    return src, src_adapter.written, nv_adapter.written


def test_list_sequence_reads_the_2182a_buffer_over_gpib_in_binary():
    values = [1.0, 9.0, 2.0, 9.0, 3.0, 9.0, 4.0, 9.0]        # read, write, read, reset x 2
    src, written, nv_written = make(values)
    out = src.write_read([-5e-3, -5e-3], 1e-3, 12e-3, 1e-3, 100e-6, 100e-6)
    np.testing.assert_array_equal(out, [[1.0, 2.0], [3.0, 4.0]])
    assert written == [
        "SOUR:SWE:ABOR;:SOUR:CURR 0",
        "SOUR:SWE:SPAC LIST",
        "SOUR:LIST:CURR 0.0001,-0.005,0.0001,0.012",
        "SOUR:LIST:DEL 0.001,0.001,0.001,0.001",
        "SOUR:LIST:COMP 20,20,20,20",
        ":SOUR:SWE:COUN 2;:SOUR:SWE:CAB OFF;:SOUR:SWE:RANG BEST;:TRIG:OUTP SOUR",
        "SOUR:SWE:ARM",
        "INIT:IMM",
        "*OPC?",
        "SOUR:SWE:ABOR",
        "SOUR:SWE:ABOR",
        "TRIG:OUTP NONE",
    ]                                        # no SYST:COMM:SER:SEND / :ENT? on the 6221
    assert nv_written == [
        NV_SETUP + ";:FORM:DATA SRE;:FORM:BORD SWAP",
        ":TRAC:CLE;:TRAC:POIN 8;:TRAC:FEED SENS;:TRAC:FEED:CONT NEXT;:TRIG:COUN 8;:INIT",
        ":TRAC:DATA? <binary 8>",
        ":TRIG:SOUR IMM;:TRIG:COUN 1;:FORM:DATA ASC",   # READ? answers in ASCII again
    ]


def test_overflow_in_a_binary_buffer_is_nan():
    src, _, _ = make([1.0, 0.0, 9.9e37, 0.0])
    out = src.write_read([-5e-3], 1e-3, 12e-3, 1e-3, 100e-6, 100e-6)
    assert out[0, 0] == pytest.approx(1.0) and np.isnan(out[0, 1])


def test_without_a_pyvisa_resource_the_buffer_is_read_in_ascii():
    src, _, nv_written = make([1.0, 9.0, 2.0, 9.0], binary=False)
    out = src.write_read([-5e-3], 1e-3, 12e-3, 1e-3, 100e-6, 100e-6)
    np.testing.assert_allclose(out, [[1.0, 2.0]])
    assert nv_written[0] == NV_SETUP
    assert nv_written[2:] == [":TRAC:DATA?", ":TRIG:SOUR IMM;:TRIG:COUN 1"]


def test_without_the_option_the_rs232_pass_through_is_used():
    src, written, nv_written = make(attached=False)
    assert src._nv is None
    # the transcript fake answers any message with '?': the SEND carries the 2182A's reply,
    # which the 6221's SYST:COMM:SER:ENT? then reads
    src._inner.adapter._replies.table.update({'SYST:COMM:SER:SEND ":TRAC:DATA?"': "1,9,2,9",
                                              "SYST:COMM:SER:ENT?": "unused"})
    out = src.write_read([-5e-3], 1e-3, 12e-3, 1e-3, 100e-6, 100e-6)
    np.testing.assert_allclose(out, [[1.0, 2.0]])
    assert written[1] == f'SYST:COMM:SER:SEND "{NV_SETUP}"'
    assert written[-5:] == ['SYST:COMM:SER:SEND ":TRAC:DATA?"', "SYST:COMM:SER:ENT?",
                            "SOUR:SWE:ABOR", 'SYST:COMM:SER:SEND ":TRIG:SOUR IMM;:TRIG:COUN 1"',
                            "TRIG:OUTP NONE"]
    assert nv_written == []


def test_channel_resistance_reads_channel_2_over_gpib():
    src, written, nv_written = make()
    assert src.channel_resistance(1e-3) == pytest.approx((2e-3 + 1e-3) / 2e-3)
    assert nv_written == [":ABOR;:TRIG:SOUR IMM;:TRIG:COUN 1;:SENS:CHAN 2;:SENS:VOLT:NPLC 1",
                          ":READ?", ":READ?", ":SENS:CHAN 1"]
    assert not any("SER" in c or "NVPR" in c for c in written)


def test_attach_refuses_a_missing_or_wrong_instrument():
    src = Keithley6221("pulser", None, LIMITS, {"nanovoltmeter": "nvm"})
    with pytest.raises(ValueError, match="'nvm'"):
        src.attach({"pulser": src})
    with pytest.raises(ValueError, match="'nvm'"):
        src.attach({"pulser": src, "nvm": src})


BENCH = """\
name: t-bench
visa_library: "@py"
instruments:
  pulser:
    driver: keithley_6221
    address: GPIB0::12::INSTR
    options: {{nanovoltmeter: {target}}}
  nvm: {{driver: keithley_2182a, address: GPIB0::7::INSTR}}
  smu: {{driver: keithley_2450, address: GPIB0::18::INSTR}}
"""


def _bench(tmp_path, target):
    path = tmp_path / "bench.yaml"
    path.write_text(textwrap.dedent(BENCH.format(target=target)))
    return Bench.load(path)


def test_bench_option_is_validated(tmp_path):
    assert _bench(tmp_path, "nvm").instruments["pulser"].options == {"nanovoltmeter": "nvm"}
    with pytest.raises(BenchError, match=r"instruments.pulser.options.nanovoltmeter: names "
                                         r"instrument 'nanovoltmeter', which is not in"):
        _bench(tmp_path, "nanovoltmeter")
    with pytest.raises(BenchError, match=r"'smu' \(driver keithley_2450\).*keithley_2182a"):
        _bench(tmp_path, "smu")
    with pytest.raises(BenchError, match="option nanovoltmeter.*must be a string"):
        _bench(tmp_path, "1")


def test_sim_bench_open_attaches_the_2182a_driver():
    bench = Bench.load("sot-hallbar")
    assert bench.instruments["pulser"].options["nanovoltmeter"] == "nanovoltmeter"
    with bench.open() as lab:
        assert lab.role("current_source")._nv is lab.instrument("nanovoltmeter")
        resistance = lab.role("current_source").channel_resistance(100e-6)
        assert resistance > 0
        assert lab.role("voltmeter").read_voltage() == pytest.approx(0.0, abs=1e-3)
