"""DSOX3024T emulator: record length, time axis, vertical scaling of a DC bias, WORD/BYTE
blocks, trigger on the laser's QCW pulses, refusals."""
import numpy as np
import pytest
import pyvisa

from spinbench.sim_backend import benches

LIB = "thermo-mtj@spinbench"
SCOPE = "USB0::0x2A8D::0x1770::MY12345678::INSTR"
LASER = "USB0::0x1313::0x804A::M00123456::INSTR"


@pytest.fixture
def bench():
    rm = pyvisa.ResourceManager(LIB)
    scope = rm.open_resource(SCOPE, read_termination="\n", write_termination="\n")
    source = rm.open_resource("GPIB0::12::INSTR", read_termination="\n", write_termination="\n")
    yield rm, scope, source, rm.visalib.world
    rm.close()


def test_dc_bias_record_time_axis_and_scaling(bench):
    rm, scope, source, world = bench
    source.write("SOUR:CURR:COMP 5;:SOUR:CURR 1e-4;:OUTP ON")         # I R_P = 0.03 V on the MTJ
    scope.write(":CHAN1:SCAL 0.02;:CHAN1:OFFS 0.1;:TIM:SCAL 1e-5;:TIM:POS 2e-6;:WAV:POIN 500")
    t_before = world.now
    scope.write(":DIG CHAN1")
    assert world.now - t_before >= 10 * 1e-5                          # the record took its time
    for fmt, dtype, lsb_bits in (("WORD", "H", 8), ("BYTE", "B", 8)):
        scope.write(f":WAV:SOUR CHAN1;:WAV:FORM {fmt}")
        pre = [float(v) for v in scope.query(":WAV:PRE?").split(",")]
        codes = scope.query_binary_values(":WAV:DATA?", datatype=dtype, is_big_endian=True,
                                          container=np.array)
        assert pre[2] == len(codes) == 500
        assert pre[4] == pytest.approx(10 * 1e-5 / 500) and pre[5] == pytest.approx(2e-6 - 5e-5)
        volts = (codes - pre[9]) * pre[7] + pre[8]
        lsb = 10 * 0.02 / 2 ** lsb_bits
        assert np.mean(volts) == pytest.approx(1e-4 * 300.0, abs=lsb)
    assert scope.query(":TER?") in ("+0", "+1")


def test_ext_trigger_on_laser_pulses_is_edge_aligned(bench):
    rm, scope, source, world = bench
    laser = rm.open_resource(LASER, read_termination="\n", write_termination="\n")
    laser.write("SOUR:CURR:LIM 0.2;:SOUR:CURR 0.1;:SOUR:PULS:PER 1e-3;:SOUR:PULS:WIDT 1e-4;:SOUR:FUNC:SHAP PULS")
    laser.write("OUTP ON")
    emu = rm.visalib.emulator(LASER)
    t0, period, width, p_on = emu.pulse_train()
    seen = []
    real = world.set_laser
    world.set_laser = lambda name, p: (seen.append((world.now, p)), real(name, p))
    scope.write(":TIM:SCAL 5e-5;:TRIG:EDGE:SOUR EXT;:TRIG:EDGE:LEV 1;:WAV:POIN 1000")
    scope.write(":DIG CHAN1")
    assert scope.query(":TER?") == "+1"
    on = [t for t, p in seen if p and p == pytest.approx(p_on)]
    assert len(on) == 1
    # the laser turns on at the trigger (t = 0 of the record, 5 div from its start) on an edge
    assert ((on[0] - t0) / period) % 1 == pytest.approx(0.0, abs=1e-3) or \
        ((on[0] - t0) / period) % 1 == pytest.approx(1.0, abs=1e-3)
    assert world.laser_power == pytest.approx(p_on * 0.1)             # back to the mean after


def test_refusals(bench):
    rm, scope, source, world = bench
    for bad, code in ((":CHAN1:SCAL 10", "-222"), (":CHAN5:SCAL 1", "-114"), (":WAV:FORM REAL", "-224"),
                      (":TRIG:EDGE:LEV 100", "-222"), (":DIG CHAN3", "-241")):
        scope.write(bad)
        assert scope.query(":SYST:ERR?").startswith(code), bad
