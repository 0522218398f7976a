"""Lake Shore 425 emulator: coil field, resolution, units, overload, ESR-bit errors; pymeasure driver."""
from __future__ import annotations

import pytest
from spinbench.sim_backend import benches

from emu_io import ask as _ask, settle_coil as _settle_coil, spine_bench_copy as sot_hallbar_file

BOP = "GPIB0::6::INSTR"
GAUSS = "ASRL3::INSTR"


@pytest.fixture
def bench(tmp_path):
    return benches.build(str(sot_hallbar_file(tmp_path)))


def ask(bench, addr, text):
    return _ask(bench.emulators[benches.canonical(addr)], text)


def settle_coil(bench, amps):
    _settle_coil(bench.emulators[BOP], amps)


def test_reads_coil_field_within_resolution(bench):
    assert ask(bench, GAUSS, "*IDN?") == "LSCI,MODEL425,LSA1234,1.4"
    assert ask(bench, GAUSS, "TYPE?;UNIT?;RANGE?") == "40;1;2"  # HSE probe, gauss, 350 G range
    ask(bench, GAUSS, "ZPROBE")  # zero in zero field
    assert abs(float(ask(bench, GAUSS, "RDGFIELD?"))) <= 0.01
    settle_coil(bench, 1.0)  # 1 A * 0.01 T/A = 10 mT = 100 G along x
    res = 350 / 35000
    readings = [float(ask(bench, GAUSS, "RDGFIELD?")) for _ in range(20)]
    assert all(abs(r - 100.0) <= res for r in readings)
    assert all(abs(r / res - round(r / res)) < 1e-6 for r in readings)  # quantised to the range
    assert float(ask(bench, GAUSS, "UNIT 2;RDGFIELD?")) == pytest.approx(0.01, abs=1e-6)
    assert float(ask(bench, GAUSS, "UNIT 4;RDGFIELD?")) == pytest.approx(0.01 / 4e-7 / 3.141592653589793, rel=1e-3)


def test_overload_and_autorange(bench):
    settle_coil(bench, 1.0)
    ask(bench, GAUSS, "RANGE 1")  # 35 G
    assert ask(bench, GAUSS, "RDGFIELD?") == "OL"
    assert int(ask(bench, GAUSS, "OPST?")) & 2  # field overload bit
    ask(bench, GAUSS, "AUTO 1")
    assert float(ask(bench, GAUSS, "RDGFIELD?")) == pytest.approx(100.0, abs=0.05)
    assert ask(bench, GAUSS, "RANGE?;AUTO?") == "2;1"


def test_errors_set_esr_bits_and_are_ignored(bench):
    assert ask(bench, GAUSS, "*ESR?") == "0"
    ask(bench, GAUSS, "RANGE 7")
    assert ask(bench, GAUSS, "*ESR?;RANGE?") == "16;2"  # execution error, range unchanged
    ask(bench, GAUSS, "SYST:ERR?")  # no SCPI error queue on the 425
    assert ask(bench, GAUSS, "*ESR?") == "32"  # command error
    ask(bench, GAUSS, "AUTO")  # the manual's syntax is AUTO <off/on>
    assert ask(bench, GAUSS, "*ESR?;AUTO?") == "32;0"
    ask(bench, GAUSS, "RDGMODE 2,0,1")
    assert ask(bench, GAUSS, "RDGMODE?") == "2,0,1"


def test_repeat_last_query(bench):
    first = ask(bench, GAUSS, "UNIT?")
    assert ask(bench, GAUSS, "?") == first == "1"


def test_pymeasure_driver_over_spinbench(tmp_path):
    from pymeasure.adapters import VISAAdapter
    from pymeasure.instruments.lakeshore import LakeShore425

    lib = f"{sot_hallbar_file(tmp_path)}@spinbench"
    gauss = LakeShore425(VISAAdapter(GAUSS, visa_library=lib))
    import pyvisa

    bop = pyvisa.ResourceManager(lib).open_resource(BOP, read_termination="\n", write_termination="\n")
    try:
        gauss.write("ZPROBE")
        bop.write("FUNC:MODE CURR;CURR 1;OUTP ON")
        while abs(float(bop.query("MEAS:CURR?")) - 1.0) > 2e-3:
            pass
        assert gauss.unit == "G" and gauss.range == 350 and gauss.mode == (1, 0, 1)
        assert gauss.field == pytest.approx(100.0, abs=0.01)
        gauss.unit = "T"
        assert gauss.field == pytest.approx(0.01, abs=1e-6)
    finally:
        bop.write("OUTP OFF")
        bop.close()
        gauss.adapter.close()
