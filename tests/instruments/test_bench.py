"""Bench.load validation (nothing opened) and Bench.open life cycle on pyvisa-sim."""
import textwrap
from pathlib import Path

import pytest

from spinbench.instruments import Bench, BenchError
from spinbench.instruments.bench import OpenBench
from spinbench.instruments.keithley_6221 import Keithley6221
from spinbench.instruments.kepco_bop import KepcoBOP

GOOD = """\
name: t-bench
description: test bench
visa_library: "@py"
instruments:
  pulser:
    driver: keithley_6221
    address: GPIB0::12::INSTR
    limits: {max_current: 0.02, compliance_voltage: 20.0}
  nvm: {driver: keithley_2182a, address: GPIB0::7::INSTR}
  magnet:
    driver: kepco_bop
    address: GPIB0::6::INSTR
    options: {tesla_per_amp: 0.05, axis: x}
    limits: {max_field: 0.3, max_ramp_rate: 0.5}
roles:
  current_source: pulser
  pulse_delta: pulser
  voltmeter: nvm
  field_x: magnet
"""


def write(tmp_path: Path, text: str, name="bench.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_load_good_bench_opens_nothing(tmp_path):
    bench = Bench.load(write(tmp_path, GOOD))
    assert bench.name == "t-bench" and set(bench.instruments) == {"pulser", "nvm", "magnet"}
    assert bench.limits("current_source") == {"max_current": 0.02, "compliance_voltage": 20.0}
    assert bench.limits("field_x")["max_ramp_rate"] == 0.5
    assert bench.visa_library_spec() == "@py"
    with pytest.raises(KeyError, match="no role 'laser'"):
        bench.limits("laser")


def test_spinbench_library_string_is_the_absolute_file_path(tmp_path):
    path = write(tmp_path, GOOD.replace('"@py"', '"@spinbench"'))
    bench = Bench.load(str(path))
    assert bench.visa_library_spec() == f"{path.resolve()}@spinbench"


def test_builtin_bench_by_name():
    bench = Bench.load("sot-hallbar")
    assert bench.path.name == "sot-hallbar.yaml" and bench.path.is_absolute()
    assert bench.visa_library_spec().endswith("sot-hallbar.yaml@spinbench")
    with pytest.raises(BenchError, match="not a built-in sim bench.*sot-hallbar"):
        Bench.load("no-such-bench")


def test_example_lab_bench_is_valid():
    path = Path(__file__).parents[2] / "examples" / "lab_bench.yaml"
    bench = Bench.load(path)
    assert bench.visa_library_spec() == "@ivi"


@pytest.mark.parametrize("old, new, where, what", [
    ("roles:", "roles: [", "malformed YAML at line", "expected ',' or ']'"),
    ("driver: keithley_6221", "driver: keithley_6220", "instruments.pulser.driver",
     "unknown driver 'keithley_6220'; known drivers: keithley_2182a, keithley_2450, keithley_6221, "),
    ("  voltmeter: nvm", "  thermometer: nvm", "roles.thermometer",
     "unknown role; known roles: current_source, voltmeter"),
    ("  voltmeter: nvm", "  voltmeter: dmm", "roles.voltmeter",
     "names instrument 'dmm', which is not in instruments; instruments: pulser, nvm, magnet"),
    ("  voltmeter: nvm", "  voltmeter: magnet", "roles.voltmeter",
     "instrument 'magnet' (driver kepco_bop) cannot fill role Voltmeter: it lacks"),
    ("{driver: keithley_2182a, address: GPIB0::7::INSTR}", "{driver: keithley_2182a}",
     "instruments.nvm.address", "missing; give the VISA resource name"),
    ("address: GPIB0::6::INSTR", "address: GPIB0::12::INSTR", "instruments.magnet.address",
     "already used by instrument 'pulser'"),
    ("max_current: 0.02,", "max_current: -0.02,", "instruments.pulser.limits",
     "max_current must be > 0 A"),
    ("{max_field: 0.3, max_ramp_rate: 0.5}", "{max_field: 0.3}",
     "instruments.magnet.limits.max_ramp_rate", "driver kepco_bop needs it"),
    ("{tesla_per_amp: 0.05, axis: x}", "{axis: x}", "instruments.magnet.options",
     "needs option 'tesla_per_amp'"),
    ('visa_library: "@py"\n', "", "visa_library", "missing; use '@spinbench'"),
    ("description: test bench", "descripton: test bench", "descripton",
     "unknown key; allowed: name, description"),
])
def test_load_failures_name_file_key_and_what_is_allowed(tmp_path, old, new, where, what):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(BenchError) as err:
        Bench.load(path)
    msg = str(err.value)
    assert str(path) in msg and where in msg and what in msg, msg


def test_missing_file(tmp_path):
    with pytest.raises(BenchError, match="no such bench file"):
        Bench.load(tmp_path / "nope.yaml")


# ---- open / close on pyvisa-sim (the @spinbench simulator has its own integration tests) ----

SIM_DEVICES = """\
spec: "1.1"
devices:
  k6221:
    eom: {GPIB INSTR: {q: "\\r\\n", r: "\\n"}}
    dialogues:
      - {q: "*IDN?", r: "KEITHLEY INSTRUMENTS INC.,MODEL 6221,1,D03"}
      - {q: "OUTP?", r: "0"}
      - {q: ":SOUR:CURR?", r: "0"}
      - {q: ":SOUR:CURR:COMP?", r: "20"}
      - {q: ":SOUR:CURR:RANG?", r: "0.002"}
      - {q: "SOUR:PDEL:NVPR?", r: "1"}
      - {q: "SOUR:SWE:ABOR"}
      - {q: "OUTPUT OFF"}
      - {q: ":SOUR:CURR 0"}
  k2182:
    eom: {GPIB INSTR: {q: "\\r\\n", r: "\\n"}}
    dialogues:
      - {q: "*IDN?", r: "KEITHLEY INSTRUMENTS INC.,MODEL 2182A,2,C02"}
      - {q: ":SENS:CHAN?", r: "1"}
      - {q: ":SENS:VOLT:NPLC?", r: "5"}
      - {q: ":SENS:VOLT:CHAN1:RANG?", r: "0.1"}
      - {q: ":SENS:VOLT:CHAN1:RANG:AUTO?", r: "1"}
      - {q: ":SYST:LFR?", r: "50"}
resources:
  GPIB0::12::INSTR: {device: k6221}
  GPIB0::7::INSTR: {device: k2182}
"""

SIM_BENCH = """\
name: pyvisa-sim-bench
visa_library: "{lib}@sim"
instruments:
  pulser: {{driver: keithley_6221, address: GPIB0::12::INSTR, limits: {{max_current: 0.01}}}}
  nvm: {{driver: keithley_2182a, address: GPIB0::7::INSTR}}
roles:
  current_source: pulser
  voltmeter: nvm
"""


@pytest.fixture
def sim_bench(tmp_path, monkeypatch):
    lib = write(tmp_path, SIM_DEVICES, "devices.yaml")
    bench = Bench.load(write(tmp_path, SIM_BENCH.format(lib=lib)))
    calls = []
    real = Keithley6221.shutdown
    monkeypatch.setattr(Keithley6221, "shutdown",
                        lambda self: (calls.append(self.name), real(self))[1])
    return bench, calls


def test_open_roles_snapshot_checkpoint_and_shutdown(sim_bench):
    bench, calls = sim_bench
    with bench.open() as lab:
        assert isinstance(lab, OpenBench)
        source = lab.role("current_source")
        assert isinstance(source, Keithley6221)
        with pytest.raises(KeyError, match="no role 'field'"):
            lab.role("field")
        snap = lab.snapshot()
        assert snap["instruments"]["pulser"]["settings"]["idn"].startswith("KEITHLEY")
        assert snap["instruments"]["nvm"]["address"] == "GPIB0::7::INSTR"
        lab.checkpoint(3)                # unsupported by pyvisa-sim: harmless
        resource = source.resource
        rm = resource.visalib.resource_manager            # ONE ResourceManager for the bench
        assert lab.instrument("nvm").resource.visalib.resource_manager is rm
        assert {r.resource_name for r in rm.list_opened_resources()} == {
            "GPIB0::12::INSTR", "GPIB0::7::INSTR"}
    assert calls == ["pulser"]
    with pytest.raises(Exception):       # closed with the bench
        resource.query("*IDN?")


@pytest.mark.parametrize("exc", [RuntimeError("protocol failed"), KeyboardInterrupt()])
def test_shutdown_runs_on_exception_and_ctrl_c(sim_bench, exc):
    bench, calls = sim_bench
    with pytest.raises(type(exc)):
        with bench.open() as lab:
            lab.role("current_source")
            raise exc
    assert calls == ["pulser"]


def test_limit_error_inside_bench_still_shuts_down(sim_bench):
    bench, calls = sim_bench
    from spinbench.instruments.limits import LimitError
    with pytest.raises(LimitError, match=r"\[-0.01 A, 0.01 A\]"):
        with bench.open() as lab:
            lab.role("current_source").pulse(0.05, 1e-3)
    assert calls == ["pulser"]


def test_open_failure_names_instrument_and_closes_the_rest(tmp_path, sim_bench):
    bench, calls = sim_bench
    text = bench.path.read_text().replace("GPIB0::7::INSTR", "NOT_A_VISA_NAME")
    broken = Bench.load(write(tmp_path, text, "broken.yaml"))
    with pytest.raises(BenchError, match=r"instruments.nvm: cannot open NOT_A_VISA_NAME with driver keithley_2182a"):
        with broken.open():
            pass
    assert calls == ["pulser"]


def test_shutdown_order_sources_before_magnets():
    assert Keithley6221.shutdown_order < KepcoBOP.shutdown_order
