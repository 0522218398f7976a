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
    calls = []
    real = world.device.voltage_record                # the thermo_mtj device integrates records
    world.device.voltage_record = lambda port, drive, powers, dt, rng: (
        calls.append((world.now, np.array(powers), dt)), real(port, drive, powers, dt, rng))[1]
    scope.write(":TIM:SCAL 5e-5;:TRIG:EDGE:SOUR EXT;:TRIG:EDGE:LEV 1;:WAV:POIN 1000")
    scope.write(":DIG CHAN1")
    assert scope.query(":TER?") == "+1"
    start, powers, dt = calls[-1]                     # the record (earlier calls: the wait)
    on = np.nonzero(powers > 0.5 * p_on)[0]
    # the laser turns on at the trigger (t = 0 of the record, 5 div from its start) on an edge,
    # stays on for the pulse width, and the wait before it saw the pulse train too
    assert on[0] == 500 and len(on) == round(width / dt)
    phase = ((start + on[0] * dt - t0) / period) % 1
    assert phase == pytest.approx(0.0, abs=1e-6) or phase == pytest.approx(1.0, abs=1e-6)
    assert len(calls) >= 2 and calls[-2][1].max() == pytest.approx(p_on)
    assert world.laser_power == pytest.approx(p_on * 0.1)             # the mean between actions


def test_refusals(bench):
    rm, scope, source, world = bench
    for bad, code in ((":CHAN1:SCAL 10", "-222"), (":CHAN5:SCAL 1", "-114"), (":WAV:FORM REAL", "-224"),
                      (":TRIG:EDGE:LEV 100", "-222")):
        scope.write(bad)
        assert scope.query(":SYST:ERR?").startswith(code), bad


def test_an_open_input_digitizes_the_front_end_noise(bench):
    """Channel 3 exists on the DSOX3024T but nothing is wired to it: digitizing it records the
    front end's own noise around 0 V (3 mdiv x the scale, at least 100 uV), as an open input of a
    real scope does; no error (the Tektronix emulator does the same). It used to answer -241
    "Hardware missing", which the model says of a channel it does not have."""
    rm, scope, source, world = bench
    scope.write(":CHAN3:DISP ON;:CHAN3:SCAL 0.5;:CHAN3:OFFS 0;:TIM:SCAL 1e-5;:WAV:POIN 1000;:ACQ:TYPE HRES")
    scope.write(":DIG CHAN3")
    assert scope.query(":SYST:ERR?").startswith(("+0", "0,"))
    scope.write(":WAV:SOUR CHAN3;:WAV:FORM WORD")
    pre = [float(v) for v in scope.query(":WAV:PRE?").split(",")]
    codes = scope.query_binary_values(":WAV:DATA?", datatype="H", is_big_endian=True, container=np.array)
    volts = (codes - pre[9]) * pre[7] + pre[8]
    sigma = 0.003 * 0.5                 # 3 mdiv at 0.5 V/div; high-resolution mode: 12-bit codes
    assert pre[7] < sigma               # of 2.4 mdiv, that resolve it (8 bits would read one code)
    assert abs(np.mean(volts)) < 5 * sigma / np.sqrt(len(volts)) + pre[7]
    assert np.std(volts) == pytest.approx(np.hypot(sigma, pre[7] / np.sqrt(12)), rel=0.15)
