"""Keysight N9030B emulator: the unmodified qcodes driver through @spinbench, the noise floor,
REAL,32 blocks in both byte orders, refusals and the sweep clock."""
import math

import numpy as np
import pytest
import pyvisa

from spinbench.sim_backend import benches

ADDR = "TCPIP0::192.168.0.30::hislip0::INSTR"
KT = 1.380649e-23 * 300.0
NBW = math.sqrt(math.pi / (4 * math.log(2)))


def floor_dbm(rbw, att_db=10.0):
    """k_B T (device) + analyzer noise (-160 dBm/Hz + attenuation) in the RBW noise bandwidth."""
    return 10 * np.log10((KT + 1e-3 * 10 ** ((-160 + att_db) / 10)) * NBW * rbw) + 30


@pytest.fixture
def sa():
    bench = benches.build("sto-spectrum")
    return bench.emulators[ADDR], bench.world


def ask(emu, text):
    emu.write(text.encode())
    out = b""
    while emu.pending():
        chunk, _ = emu.read(4096)
        out += chunk
    return out


def test_qcodes_driver_unmodified_trace_and_noise_floor():
    from qcodes.instrument_drivers.Keysight import KeysightN9030B

    lib = "sto-spectrum@spinbench"
    rm = pyvisa.ResourceManager(lib)
    sa = KeysightN9030B("pxa_test_floor", ADDR, visalib=lib)
    try:
        assert sa.IDN()["model"] == "N9030B"
        sa.sa.setup_swept_sa_sweep(1e9, 2e9, 801)
        sa.sa.res_bw(1e6)
        sa.sa.average_type("RMS")
        sa.sa.detector("AVER")
        sa.write(":AVER:COUN 200;:AVER ON")
        trace = sa.sa.trace()
        assert trace.shape == (801,)
        assert sa.sa.freq_axis()[[0, -1]] == pytest.approx([1e9, 2e9])
        assert np.mean(trace) == pytest.approx(floor_dbm(1e6), abs=1.0)
        assert np.std(trace) < 0.5
        # log-power averaging of noise reads 2.51 dB low (X-Series "Log-Pwr Avg")
        sa.sa.average_type("LOG")
        assert np.mean(sa.sa.trace()) - floor_dbm(1e6) == pytest.approx(-2.51, abs=0.3)
        assert sa.ask("SYST:ERR?").startswith("0,")
    finally:
        sa.close()
        rm.close()


@pytest.mark.parametrize("order,big", [("NORM", True), ("SWAP", False)])
def test_real32_blocks_round_trip_both_byte_orders(order, big):
    lib = "sto-spectrum@spinbench"
    rm = pyvisa.ResourceManager(lib)
    res = rm.open_resource(ADDR, read_termination="\n", write_termination="\n")
    try:
        res.write(":INIT:CONT OFF;:FREQ:CENT 5e9;:FREQ:SPAN 1e8;:SWE:POIN 2001;:INIT:IMM")
        res.write(":FORM ASC")
        ascii_values = np.array(res.query_ascii_values(":TRAC? TRACE1"))
        res.write(f":FORM REAL,32;:FORM:BORD {order}")
        res.write(":TRAC? TRACE1")
        raw = res.read_raw()
        while not raw.endswith(b"\n") or len(raw) < 2001 * 4 + 7:
            raw += res.read_raw()
        assert raw.startswith(b"#48004") and b"\n" in raw[6:-1]   # a LF byte inside the block
        res.write(":TRAC? TRACE1")
        binary = res.read_binary_values(datatype="f", is_big_endian=big, container=np.array)
        assert binary.shape == (2001,)
        np.testing.assert_allclose(binary, ascii_values, atol=1e-4)
        assert res.query(":FORM?") == "REAL,32"
    finally:
        res.close()
        rm.close()


def test_settings_couplings_and_refusals(sa):
    emu, world = sa
    emu.write(b":FREQ:STAR 1e9;:FREQ:STOP 3e9")
    assert float(ask(emu, ":FREQ:CENT?")) == 2e9 and float(ask(emu, ":FREQ:SPAN?")) == 2e9
    assert float(ask(emu, ":BAND?")) == 3e6                      # auto RBW, capped at 3 MHz
    emu.write(b":BAND 1.23e6;:BAND:VID 1e5")
    assert float(ask(emu, ":BAND?")) == 1.2e6                    # rounded to the 10 % steps
    expected = 2.0 * 2e9 / (1.2e6 * 1e5)
    assert float(ask(emu, ":SWE:TIME?")) == pytest.approx(expected)
    emu.write(b":POW:ATT 13")
    assert ask(emu, ":POW:ATT?") == b"14\n"                        # 2 dB steps
    for bad, code in ((":SWE:POIN 40002", b"-222"), (":FREQ:SPAN 0", b"-221"),
                      (":BAND 9e6", b"-222"), (":FORM INT,32", b"-224"), (":INST:SEL PNOISE", b"-224")):
        emu.write(bad.encode())
        assert ask(emu, "SYST:ERR?").startswith(code), bad
    emu.write(b":SWE:POIN 40001")
    assert ask(emu, ":SWE:POIN?") == b"40001\n"


def test_sweeps_advance_the_clock(sa):
    emu, world = sa
    emu.write(b":INIT:CONT OFF;:FREQ:CENT 1e9;:FREQ:SPAN 1e7;:BAND 1e4;:AVER:COUN 10;:AVER ON")
    st = float(ask(emu, ":SWE:TIME?"))
    assert st == pytest.approx(2.0 * 1e7 / 1e8)
    t0 = world.now
    ask(emu, ":INIT:IMM;*OPC?")
    assert world.now - t0 == pytest.approx(10 * st, rel=1e-3)
    assert ask(emu, ":FETC:SAN2?") == b""  # n = 2 (trace 2) is not emulated: no reply, -113
    assert ask(emu, "SYST:ERR?").startswith(b"-113")


def test_init_imm_runs_on_the_timeline_and_reads_the_device_of_its_moment():
    """Issue 16: ``:INIT:IMM`` returns at once; the sweep takes its time on the world clock while
    other commands act; ``*OPC?`` waits for it; a second INIT started after a change sees it."""
    import pyvisa

    rm = pyvisa.ResourceManager("sto-spectrum@spinbench")
    try:
        world = rm.visalib.world
        addr = next(a for a, e in rm.visalib.bench.emulators.items() if type(e).__name__ == "KeysightN9030B")
        sa = rm.open_resource(addr, read_termination="\n", write_termination="\n")
        sa.write(":INIT:CONT OFF;:SWE:TIME 2;:AVER:STAT OFF")
        t0 = world.now
        sa.write(":INIT:IMM")
        assert world.now - t0 < 0.01                      # returned at once
        assert sa.query("*OPC?").strip() == "1"
        assert world.now - t0 >= 2.0                      # *OPC? waited for the 2 s sweep
        sa.write(":INIT:IMM")
        sa.write(":ABOR")
        t1 = world.now
        assert sa.query("*OPC?").strip() == "1" and world.now - t1 < 0.01   # aborted: nothing pending
    finally:
        rm.close()
