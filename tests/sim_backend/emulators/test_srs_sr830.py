"""SR830 emulator: command syntax and status bits per the manual, demodulation of the device's
response at the reference harmonic, the output filter on the world clock, noise in the ENBW,
the data buffer; pymeasure's unmodified SR830 through pyvisa."""
from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from spinbench.sim_backend import benches
from spinbench.sim_backend.devices import KB
from spinbench.sim_backend.emulators import make_emulator
from spinbench.sim_backend.world import SimWorld

LIA = "GPIB0::8::INSTR"
BOP = "GPIB0::6::INSTR"
R_SERIES = 1e4
R_SINE_OUT = 50.0


@pytest.fixture
def bench():
    return benches.build("lockin-hallbar")


def lockin(bench):
    return bench.emulators[LIA]


def ask(emu, text: str) -> bytes:
    emu.write(text.encode() + b"\n")
    out = b""
    while True:
        chunk, end = emu.read(1 << 20)
        out += chunk
        if end or not chunk:
            return out


def q(emu, text: str) -> str:
    return ask(emu, text).decode().strip()


def hall_transfer(world) -> float:
    """V_hall / I for the spine Hall bar in the present state (R_AHE m_z + R_offset)."""
    return world.port_voltage("hall", world.drive(current=1.0))


def i_rms(world, slvl: float = 1.0) -> float:
    return slvl / (R_SERIES + R_SINE_OUT + world.port_resistance("channel"))


# ---------------------------------------------------------------------------- syntax and status
def test_identity_syntax_and_separate_terminators(bench):
    emu = lockin(bench)
    assert q(emu, "*IDN?") == "Stanford_Research_Systems,SR830,s/n86325,ver1.07"
    # four-letter mnemonics, any case, embedded spaces ignored, each answer its own LF
    assert ask(emu, "freq?; H A R M ?;SLVL?") == b"1000\n1\n1.000\n"
    assert q(emu, "OFLT?;SENS?;OFSL?;RMOD?;ISRC?;FMOD?") .split() == ["8", "26", "1", "1", "0", "1"]
    emu.write(b"SLVL0.5\n")                      # pymeasure's form: no space
    assert q(emu, "SLVL?") == "0.500"
    assert q(emu, "*ESR?") == "0"


def test_errors_set_esr_bits_and_leave_settings(bench):
    emu = lockin(bench)
    emu.write(b"FOOO 1\n")                       # unknown: CMD bit 5
    assert q(emu, "*ESR?") == "32"
    emu.write(b"OFLT 25\n")                      # out of range: EXE bit 4, ignored
    emu.write(b"SLVL 6\n")
    assert q(emu, "*ESR?") == "16"
    assert q(emu, "OFLT?;SLVL?").split() == ["8", "1.000"]
    emu.write(b"HARM 200\n")                     # 200 x 1 kHz > 102 kHz
    assert q(emu, "*ESR? 4") == "1" and q(emu, "HARM?") == "1"
    emu.write(b"*OPC\n")                         # not an SR830 command
    assert q(emu, "*ESR?") == "32"
    assert q(emu, "PHAS 400;PHAS?") == "40.00"   # wrapped into +-180
    assert emu.read(10) == (b"", False)


def test_reset_restores_standard_settings(bench):
    emu = lockin(bench)
    emu.write(b"SENS 3;OFLT 12;SLVL 2;HARM 3;PHAS 10;DDEF 1,1,0\n")
    emu.write(b"*RST\n")
    assert q(emu, "SENS?;OFLT?;SLVL?;HARM?;PHAS?;DDEF? 1").split() == \
        ["26", "8", "1.000", "1", "0.00", "0,0"]


# ---------------------------------------------------------------------------- physics
def test_first_harmonic_is_hall_transfer_times_ac_current(bench):
    emu, world = lockin(bench), bench.world
    emu.write(b"OFLT 10;OFSL 1;SENS 16\n")      # 1 s, 12 dB/oct, 500 uV
    world.advance(20.0)
    x, y, r, theta = map(float, q(emu, "SNAP? 1,2,3,4").split(","))
    expected = i_rms(world) * hall_transfer(world)        # ~ 86.6 uA x 2.05 ohm = 177.5 uV
    sigma = emu.noise_density() * math.sqrt(1 / 8)        # ENBW 1/(8 tau)
    assert expected == pytest.approx(177.5e-6, rel=1e-3)
    assert abs(x - expected) < 5 * sigma
    assert abs(y) < 5 * sigma
    assert r == pytest.approx(expected, abs=5 * sigma)
    assert abs(theta) < math.degrees(5 * sigma / expected)
    # the reference phase rotates the outputs: theta_ref = 90 deg -> X ~ 0, Y ~ -R
    emu.write(b"PHAS 90\n")
    world.advance(20.0)
    x, y = map(float, q(emu, "SNAP? 1,2").split(","))
    assert abs(x) < 5 * sigma and y == pytest.approx(-expected, abs=5 * sigma)
    # sign follows the magnetisation: flip m and the Hall voltage changes sign
    world.device.m = -world.device.m
    emu.write(b"PHAS 0\n")
    world.advance(20.0)
    assert float(q(emu, "OUTP? 1")) == pytest.approx(i_rms(world) * hall_transfer(world), abs=5 * sigma)
    assert float(q(emu, "OUTP? 1")) < 0


class QuadraticHall:
    """A device whose Hall port answers V = R1 I + R2 I^2 (a thermal second-harmonic Hall
    voltage): the lock-in must find R1 I_rms at the first harmonic and -R2 I0^2/(2 sqrt 2)
    in Y at the second."""

    ports = ("channel", "hall")

    def __init__(self, r1=2.0, r2=3.0e3):
        self.r1, self.r2 = r1, r2

    def evolve(self, dt, drive, rng):
        pass

    def voltage(self, port, drive):
        i = drive.current
        return self.r1 * i + self.r2 * i * i if port == "hall" else 1000.0 * i

    def resistance(self, port):
        return {"channel": 1000.0, "hall": 400.0}[port]

    def state(self):
        return {}


def test_second_harmonic_captures_device_nonlinearity():
    world = SimWorld(QuadraticHall(), seed=3)
    emu = make_emulator("srs_sr830", world, LIA,
                        {"connect": {"sine_out": "channel", "input": "hall", "series_resistance": 1e4}})
    emu.write(b"SLVL 2;OFLT 10;SENS 20\n")
    world.advance(20.0)
    i0 = math.sqrt(2) * 2.0 / (1e4 + 50 + 1000)
    sigma = emu.noise_density() * math.sqrt(1 / 8)
    x1, y1 = map(float, q(emu, "SNAP? 1,2").split(","))
    assert x1 == pytest.approx(2.0 * i0 / math.sqrt(2), abs=5 * sigma)
    assert abs(y1) < 5 * sigma
    emu.write(b"HARM 2\n")
    world.advance(20.0)
    x2, y2 = map(float, q(emu, "SNAP? 1,2").split(","))
    assert abs(x2) < 5 * sigma
    assert y2 == pytest.approx(-3.0e3 * i0 ** 2 / (2 * math.sqrt(2)), abs=5 * sigma)  # ~ -17.6 uV


@pytest.mark.parametrize("ofsl, approached", [(0, 1 - math.exp(-1)),                   # 6 dB/oct
                                              (3, 1 - math.exp(-1) * (1 + 1 + 1 / 2 + 1 / 6))])
def test_reading_one_tau_after_a_step(bench, ofsl, approached):
    emu, world = lockin(bench), bench.world
    emu.write(f"OFLT 10;OFSL {ofsl};SENS 18\n".encode())   # tau = 1 s
    world.advance(30.0)
    x0 = float(q(emu, "OUTP? 1"))
    emu.write(b"SLVL 2\n")                       # the excitation doubles: X -> 2 x0
    t_step = world.now
    world.advance(1.0 - (world.now - t_step))
    x = float(q(emu, "OUTP? 1"))
    elapsed = world.now - t_step                 # 1 s plus the query's bus time
    assert elapsed == pytest.approx(1.0, abs=2e-3)
    assert (x - x0) / x0 == pytest.approx(approached, abs=3e-3)
    world.advance(30.0)
    assert float(q(emu, "OUTP? 1")) == pytest.approx(2 * x0, rel=1e-3)


def test_a_change_by_another_instrument_is_dated_at_its_command(bench):
    """The magnet flips the Hall bar while the lock-in is not addressed: the world tells the
    lock-in of every change of drive, so its filter steps at the magnet's command (within the
    coil's L/R slew), not at the lock-in's next message nor at other traffic meanwhile.
    Oracle: the first-order step response 1 - exp(-(t - t_flip)/tau) with t_flip between the
    command and the end of the slew (3 A into 50 mH at >= 17 V of headroom: < 10 ms)."""
    emu, world, bop = lockin(bench), bench.world, bench.emulators[BOP]
    emu.write(b"OFLT 9;OFSL 0;SENS 18\n")        # tau = 0.3 s, 6 dB/oct
    world.advance(10.0)
    x_up = float(q(emu, "OUTP? 1"))
    bop.write(b"FUNC:MODE CURR;CURR -3;OUTP ON\n")   # -30 mT along z: beyond the 20 mT coercivity
    t_cmd = world.log[-1].t
    world.advance(0.1)
    q(bop, "MEAS:CURR?")                          # a poll of the supply: it changes nothing
    world.advance(0.2)
    assert world.device.m == -1.0
    x = float(q(emu, "OUTP? 1"))
    x_down = -i_rms(world) * (world.device.r_ahe * 1.0 - world.device.r_offset)
    t_read = emu._t                              # the instant the reading was taken (before the reply's transfer)
    step = [x_up + (x_down - x_up) * (1 - math.exp(-(t_read - t_flip) / 0.3))
            for t_flip in (t_cmd, t_cmd + 0.01)]
    assert min(step) - 1e-7 <= x <= max(step) + 1e-7
    t_poll = [r.t for r in world.log if r.address == BOP][-1]
    late = x_up + (x_down - x_up) * (1 - math.exp(-(t_read - t_poll) / 0.3))
    assert abs(x - late) > 0.1 * abs(x_down - x_up)  # what dating at the last message would give


def test_noise_falls_as_one_over_root_enbw(bench):
    emu, world = lockin(bench), bench.world
    emu.write(b"SENS 17\n")
    density = emu.noise_density()
    r_hall = world.port_resistance("hall")
    assert density == pytest.approx(math.sqrt(4 * KB * 300 * r_hall + 6e-9 ** 2))

    def std_of_x(oflt: int, ofsl: int, n: int = 300) -> float:
        emu.write(f"OFLT {oflt};OFSL {ofsl}\n".encode())
        tau = 10.0 ** ((oflt - 4) // 2) * (3e-3 if oflt % 2 else 1e-3)
        xs = []
        for _ in range(n):
            world.advance(20 * tau)              # independent readings
            xs.append(float(q(emu, "OUTP? 1")))
        return float(np.std(xs, ddof=1))

    s_fast = std_of_x(6, 0)                      # 10 ms, 6 dB: ENBW 25 Hz
    s_slow = std_of_x(10, 0)                     # 1 s, 6 dB: ENBW 0.25 Hz
    s_slow24 = std_of_x(10, 3)                   # 1 s, 24 dB: ENBW 5/64 Hz
    assert s_fast == pytest.approx(density * math.sqrt(25.0), rel=0.15)
    assert s_fast / s_slow == pytest.approx(10.0, rel=0.15)
    assert s_slow / s_slow24 == pytest.approx(math.sqrt(0.25 / (5 / 64)), rel=0.15)


def test_overload_unlock_range_and_tc_bits(bench):
    emu, world = lockin(bench), bench.world
    assert q(emu, "LIAS?") == "0"
    emu.write(b"SENS 14\n")                      # 100 uV full scale < X = 177 uV
    world.advance(1.0)
    q(emu, "OUTP? 1")
    assert int(q(emu, "LIAS?")) == 0b100         # output overload only (20 dB reserve)
    assert int(q(emu, "LIAS?")) == 0b100         # read clears, but the overload persists
    emu.write(b"SENS 26\n")
    q(emu, "LIAS?")
    assert q(emu, "LIAS?") == "0"                # gone with the overload
    emu.write(b"RMOD 2;SENS 10\n")               # 5 uV, low noise (0 dB): input overload
    assert q(emu, "LIAS? 0") == "1"
    emu.write(b"SENS 26\n")
    q(emu, "LIAS? 0")
    assert q(emu, "LIAS? 0") == "0"
    emu.write(b"SENS 26;FMOD 0\n")               # external reference: nothing wired -> unlock
    world.advance(2.0)
    assert q(emu, "LIAS? 3") == "1"
    assert abs(float(q(emu, "OUTP? 1"))) < 1e-7
    emu.write(b"FMOD 1;*CLS\n")
    emu.write(b"OFLT 15\n")                      # 100 s at 1 kHz: refused
    assert q(emu, "*ESR?") == "16" and q(emu, "OFLT?") == "8"
    emu.write(b"FREQ 100\n")                     # below 200 Hz: range bit
    assert q(emu, "LIAS?") == str(1 << 4)
    emu.write(b"OFLT 15;FREQ 1000\n")            # back up: time constant forced to 30 s
    assert q(emu, "OFLT?") == "13" and int(q(emu, "LIAS?")) == (1 << 4) | (1 << 5)
    # serial poll: LIA summary bit follows LIAE
    emu.write(b"SENS 0\n")
    q(emu, "OUTP? 1")
    emu.write(b"LIAE 2,1\n")
    assert emu.status_byte() & 0b1000
    assert q(emu, "*STB? 3") == "1"


# ---------------------------------------------------------------------------- data storage
def test_buffer_sampling_formats_and_one_shot(bench):
    emu, world = lockin(bench), bench.world
    emu.write(b"OFLT 6;REST;SRAT 10;SEND 0;STRT\n")   # 64 Hz
    world.advance(1.0)
    assert q(emu, "SPTS?") == "65"               # samples at 0, 1/64, ..., 1 s
    text = q(emu, "TRCA? 1,0,3")
    assert text.endswith(",") and text.count(",") == 3
    ascii_values = [float(v) for v in text.split(",")[:-1]]
    binary = ask(emu, "TRCB? 1,0,3")
    assert len(binary) == 12                     # 4 bytes per point, no terminator
    assert np.allclose(struct.unpack("<3f", binary), ascii_values, rtol=1e-6)
    packed = ask(emu, "TRCL? 1,0,3")
    decoded = [m * 2.0 ** (e - 124) for m, e, _ in struct.iter_unpack("<hBB", packed)]
    assert np.allclose(decoded, ascii_values, rtol=1e-4)
    assert np.mean(ascii_values) == pytest.approx(i_rms(world) * hall_transfer(world), rel=1e-2)
    ask(emu, "TRCA? 1,60,10")                    # beyond the stored points: EXE, no answer
    assert q(emu, "*ESR?") == "16"
    emu.write(b"SRAT 13\n")                      # not while scanning
    assert q(emu, "*ESR?") == "16"
    emu.write(b"PAUS;SRAT 13;REST;STRT\n")       # 512 Hz, one shot: stops when full
    world.advance(40.0)
    assert q(emu, "SPTS?") == "16383"
    assert emu.status_byte() & 1                 # SCN: no scan in progress


def test_loop_mode_and_triggered_samples(bench):
    emu, world = lockin(bench), bench.world
    emu.write(b"REST;SRAT 13;SEND 1;STRT\n")
    world.advance(40.0)                          # 20480 samples at 512 Hz
    assert q(emu, "SPTS?") == "16383"            # wrapped, the latest 16383 points kept
    emu.write(b"REST;SRAT 14;TSTR 0;STRT\n")
    for _ in range(3):
        emu.write(b"TRIG\n")
    emu.trigger()                                # GET acts as TRIG
    assert q(emu, "SPTS?") == "4"
    assert q(emu, "LIAS? 6") == "1"


# ---------------------------------------------------------------------------- through pyvisa
def test_pymeasure_sr830_through_spinbench():
    pyvisa = pytest.importorskip("pyvisa")
    from pymeasure.instruments.srs import SR830

    rm = pyvisa.ResourceManager("lockin-hallbar@spinbench")
    try:
        lia = SR830(LIA, visa_library="lockin-hallbar@spinbench")
        world = rm.visalib.world
        assert lia.id.startswith("Stanford_Research_Systems,SR830")
        lia.time_constant = 0.3
        lia.sensitivity = 500e-6
        assert lia.time_constant == 0.3 and lia.sensitivity == 500e-6
        world.advance(5.0)
        expected = i_rms(world) * hall_transfer(world)
        sigma = rm.visalib.bench.emulators[LIA].noise_density() * math.sqrt(1 / (8 * 0.3))
        x, y = lia.xy
        assert x == pytest.approx(expected, abs=5 * sigma)
        assert abs(y) < 5 * sigma
        assert lia.x == pytest.approx(expected, abs=5 * sigma)
        assert lia.magnitude == pytest.approx(expected, abs=5 * sigma)
        assert int(lia.lia_status) == 0
        lia.sample_frequency = 64
        lia.start_scan()
        world.advance(0.5)
        lia.pause_buffer()
        n = lia.buffer_count
        assert n == 33
        ch1 = lia.get_buffer(1, 0, n)            # TRCB? binary, read to the end
        assert ch1.shape == (n,) and np.allclose(ch1, expected, rtol=1e-2)
        lia.adapter.close()
    finally:
        rm.close()
