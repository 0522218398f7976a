"""The thermo-mtj bench at the VISA layer: the SR830 locked to the laser's pulse train reads the
fundamental of the thermovoltage (first-order thermal filters, computed here independently), and
the DSOX3024T triggered on the laser captures the two-time-constant transient."""
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import pyvisa

sys.path.insert(0, str(Path(__file__).parent))
from thermo_oracle import bin_means, periodic_delta_t  # noqa: E402

LIB = "thermo-mtj@spinbench"
SCOPE = "USB0::0x2A8D::0x1770::MY12345678::INSTR"
LASER = "USB0::0x1313::0x804A::M00123456::INSTR"
OPEN = dict(read_termination="\n", write_termination="\n")


@pytest.fixture
def bench():
    rm = pyvisa.ResourceManager(LIB)
    yield rm, rm.visalib.world
    rm.close()


def pulsed_laser(rm, period, width, current=0.1):
    laser = rm.open_resource(LASER, **OPEN)
    laser.write(f"SOUR:CURR:LIM 0.2;:SOUR:CURR {current};:SOUR:PULS:WIDT {width};"
                f":SOUR:PULS:PER {period};:SOUR:FUNC:SHAP PULS")        # width < 1 ms default period first
    assert laser.query("SYST:ERR?").lstrip("+").startswith("0")
    laser.write("OUTP ON")
    return 0.5 * 0.8 * (current - 0.03)                  # on power at the device (coupling 0.5)


def test_lockin_on_the_laser_reference_reads_the_thermal_fundamental(bench):
    rm, world = bench
    dev = world.device
    p = dev.p
    period = 1e-4                                         # 10 kHz, 50 % duty
    p_on = pulsed_laser(rm, period, period / 2)
    source = rm.open_resource("GPIB0::12::INSTR", **OPEN)
    bias = 0.8e-3
    source.write(f"SOUR:CURR:COMP 5;:SOUR:CURR {bias};:OUTP ON")
    li = rm.open_resource("GPIB0::8::INSTR", **OPEN)
    assert li.query("LIAS? 3") == "0"
    li.write("RSLP 1;FMOD 0;SENS 22;OFLT 5;OFSL 3")       # 50 mV, 3 ms, 24 dB/oct
    li.write("REST;SRAT 13;SEND 0;STRT")
    while int(li.query("SPTS?")) < 20:                    # 39 ms > 10 tau on the instrument clock
        pass
    x, y = (float(v) for v in li.query("SNAP? 1,2").split(","))
    assert float(li.query("FREQ?")) == pytest.approx(1e4)
    assert li.query("LIAS? 3") == "0"                     # locked
    # oracle: square wave 0..P (50 %) has fundamental (2P/pi) sin(wt); each thermal component
    # is a first-order low-pass R_k/(1 + i w tau_k); V = dT (-S + b1 I + b3 I^3)
    w = 2 * math.pi / period
    h = sum(r / (1 + 1j * w * tau) for r, tau in ((p.r_fast, p.tau_fast), (p.r_slow, p.tau_slow)))
    k = dev.coefficients(1.0)
    coef = -k["seebeck"] + k["b1"] * bias + k["b3"] * bias ** 3
    amp = 2 * p.absorptance * p_on / math.pi * coef
    b, a = amp * h.real, amp * h.imag                    # v = b sin + a cos
    assert x == pytest.approx(b / math.sqrt(2), rel=0.03)
    assert y == pytest.approx(a / math.sqrt(2), rel=0.05, abs=2e-5)
    # unwired / no train: unlocked
    rm.open_resource(LASER, **OPEN).write("OUTP OFF")
    li.query("SNAP? 1,2")
    assert li.query("LIAS? 3") == "1"


def test_scope_triggered_on_the_laser_captures_the_heating_transient(bench):
    rm, world = bench
    dev = world.device
    p = dev.p
    period, width = 400e-6, 150e-6
    p_on = pulsed_laser(rm, period, width)
    scope = rm.open_resource(SCOPE, **OPEN)
    for _ in range(3):                                   # let the slow component reach its periodic state
        scope.write(":TRIG:SOUR EXT;:TIM:REF LEFT;:TIM:SCAL 4e-5;:TIM:POS 0;:CHAN1:SCAL 1e-3;"
                    ":CHAN1:OFFS 0;:WAV:POIN:MODE RAW;:WAV:POIN 4000;:ACQ:TYPE AVER;:ACQ:COUN 64")
        scope.write(":DIG CHAN1")
    scope.write(":WAV:SOUR CHAN1;:WAV:FORM WORD;:WAV:BYT MSBF;:WAV:UNS ON")
    pre = [float(v) for v in scope.query(":WAV:PRE?").split(",")]
    codes = scope.query_binary_values(":WAV:DATA?", datatype="H", is_big_endian=True, container=np.array)
    t_rec = np.arange(len(codes)) * pre[4] + pre[5]
    v = (codes - pre[9]) * pre[7] + pre[8]
    t = np.mod(t_rec, period)                            # the record starts 1 div before the edge
    # oracle: periodic steady state of each first-order component under the pulse train
    dt_exp = periodic_delta_t(p, t, period, width, p_on)
    expected = -dev.coefficients(1.0)["seebeck"] * dt_exp
    # 8-bit records averaged: compare 40-sample means (noise ~ 0.5 mV / sqrt(64 x 40))
    assert scope.query(":SYST:ERR?").lstrip("+").startswith("0")
    assert np.abs(bin_means(v, 40) - bin_means(expected, 40)).max() < 0.05 * np.ptp(expected)
    assert np.ptp(expected) > 0.5e-3                     # a real transient: rise and decay
    assert t_rec[0] < 0 < t_rec[-1]
