"""A 33522B modulating the ITC4001 laser through a bench-file cable (MOD IN, a world input): the
laser's light follows the generator's pulse train, and the scope (EXT TRIG) and the lock-in
(REF IN) lock to it; the drivers' commands for it."""
import numpy as np
import pytest
import pyvisa
import yaml

from spinbench.instruments.bench import Bench
from spinbench.instruments.limits import LimitError

LASER = "USB0::0x1313::0x804A::M00123456::INSTR"
GEN = "USB0::0x0957::0x2C07::MY12345678::INSTR"
OPEN = dict(read_termination="\n", write_termination="\n")


@pytest.fixture
def bench_file(tmp_path):
    spec = yaml.safe_load(open(Bench.load("thermo-mtj").path))
    spec["instruments"]["modulator"] = {"driver": "keysight_33500b", "address": GEN,
                                        "options": {"channel": 1, "load": "INF"},
                                        "limits": {"max_voltage": 5.0}}
    spec["roles"]["pulse_generator"] = "modulator"
    spec["sim"]["instruments"][GEN] = {"model": "keysight_33500b", "model_name": "33522B",
                                       "connect": {"mod_out": LASER}}
    path = tmp_path / "thermo-modulated.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_generator_train_gates_the_laser_and_references_scope_and_lockin(bench_file):
    rm = pyvisa.ResourceManager(f"{bench_file}@spinbench")
    world = rm.visalib.world
    laser = rm.open_resource(LASER, **OPEN)
    gen = rm.open_resource(GEN, **OPEN)
    laser.write("SOUR:FUNC:MODE POW;:SOUR:POW 0.04;:SOUR:AM:SOUR EXT;:SOUR:AM ON;:OUTP ON")
    assert world.laser_power == 0.0                      # nothing on MOD IN yet: dark
    gen.write("OUTP:LOAD INF;:FUNC PULS;:FUNC:PULS:PER 1e-3;:FUNC:PULS:WIDT 3e-4;:VOLT:LOW 0;:VOLT:HIGH 5")
    assert world.laser_power == 0.0                      # generator output still off
    gen.write("OUTP ON")
    assert gen.query("SYST:ERR?").lstrip("+").startswith("0")
    assert world.laser_power == pytest.approx(0.5 * 0.04 * 0.3)   # coupling 0.5, duty 0.3
    mod = world.links.read("USB0::0x1313::0x804A::M00123456::0::INSTR", "modulation")   # canonical name
    assert mod["train"][1:3] == pytest.approx((1e-3, 3e-4))
    # the lock-in on REF IN locks at the generator's frequency
    li = rm.open_resource("GPIB0::8::INSTR", **OPEN)
    li.write("RSLP 1;FMOD 0")
    li.query("SNAP? 1,2")
    assert float(li.query("FREQ?")) == pytest.approx(1000.0) and li.query("LIAS? 3") == "0"
    # the scope on EXT TRIG captures the heating edge at t = 0
    scope = rm.open_resource("USB0::0x2A8D::0x1770::MY12345678::INSTR", **OPEN)
    scope.write(":TRIG:SOUR EXT;:TIM:REF LEFT;:TIM:SCAL 5e-5;:TIM:POS 0;:CHAN1:SCAL 1e-3;"
                ":CHAN1:OFFS 0;:WAV:POIN:MODE RAW;:WAV:POIN 2000;:ACQ:TYPE AVER;:ACQ:COUN 16")
    scope.write(":DIG CHAN1")
    scope.write(":WAV:SOUR CHAN1;:WAV:FORM WORD;:WAV:BYT MSBF;:WAV:UNS ON")
    pre = [float(v) for v in scope.query(":WAV:PRE?").split(",")]
    codes = scope.query_binary_values(":WAV:DATA?", datatype="H", is_big_endian=True, container=np.array)
    t = np.arange(len(codes)) * pre[4] + pre[5]
    v = (codes - pre[9]) * pre[7] + pre[8]
    before, during = v[t < -2e-6].mean(), v[(t > 2.4e-4) & (t < 2.9e-4)].mean()
    p = world.device.p
    dt_ss = p.absorptance * 0.02 * (p.r_fast + p.r_slow)            # 20 mW at the device
    assert during - before == pytest.approx(-p.seebeck_p * dt_ss * 0.95, rel=0.1)
    # generator off: the laser goes dark again
    gen.write("OUTP OFF")
    assert world.laser_power == 0.0
    rm.close()


def test_drivers_program_the_modulated_laser(bench_file):
    with Bench.load(str(bench_file)).open() as lab:
        gen, laser = lab.role("pulse_generator"), lab.role("laser")
        world = lab._rm.visalib.world
        with pytest.raises(LimitError):
            gen.modulation_train(1e-3, 3e-4, high_V=6.0)           # bench max_voltage 5 V
        laser.set_power(0.04)
        laser.set_external_modulation()
        laser.enable()
        gen.modulation_train(1e-3, 3e-4, high_V=5.0)
        assert world.laser_power == pytest.approx(0.5 * 0.04 * 0.3)
    assert world.laser_power == 0.0                                  # bench exit: laser off
