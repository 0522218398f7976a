"""Bench-file instruments referenced from a qcodes Station YAML (instruments/qcodes_station.py).

The station file declares the sim bench's 2450 (4-wire sense on the Hall arms, `sense: hall`) with qcodes' own driver class and a *different*
``visalib``: the bench must still open it through its own library (``@spinbench``).  Oracle: the
anomalous Hall law on the sot-hallbar cross, ``(V(+I) - V(-I)) / 2I = R_AHE m_z + R_0`` with the
preset's R_AHE = 2 ohm, R_0 = 0.05 ohm, m_z = +1 (SotHallBarParams).
"""
import pytest
import yaml

from spinbench.instruments import Bench
from spinbench.instruments.bench import BenchError
from spinbench.instruments.limits import LimitError

pytest.importorskip("spinbench.sim_backend.visa_library")

ADDRESS = "USB0::0x05E6::0x2450::04096331::INSTR"
STATION = {"instruments": {"smu2450": {
    "type": "qcodes.instrument_drivers.Keithley.Keithley2450", "address": ADDRESS,
    "init": {"visalib": "@py"}, "enable_forced_reconnect": True}}}


def _write(tmp_path, smu_entry, station=STATION, top=None):
    raw = yaml.safe_load(Bench.load("sot-hallbar").path.read_text())
    raw["instruments"] = {"smu": smu_entry}
    raw["roles"] = {"source_meter": "smu"}
    if top is not None:
        raw["qcodes_station"] = top
    (tmp_path / "station.yaml").write_text(yaml.safe_dump(station))
    path = tmp_path / "bench.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_station_instrument_fills_a_role_through_the_bench_library(tmp_path):
    path = _write(tmp_path, {"qcodes_station": "station.yaml", "instrument": "smu2450",
                             "limits": {"max_current": 0.02, "compliance_voltage": 40.0},
                             "options": {"four_wire": True}})
    bench = Bench.load(path)
    spec = bench.instruments["smu"]
    assert (spec.driver, spec.address) == ("keithley_2450", ADDRESS)
    assert bench.capabilities("source_meter").current.high == pytest.approx(0.02)
    with bench.open(sim_fresh=True) as lab:
        assert lab.visa_library.endswith("@spinbench")
        smu = lab.role("source_meter")
        smu.source_current(1e-3)
        smu.enable()
        v_plus = smu.measure_voltage()
        smu.source_current(-1e-3)
        v_minus = smu.measure_voltage()
        assert (v_plus - v_minus) / 2e-3 == pytest.approx(2.0 + 0.05, rel=0.01)
        with pytest.raises(LimitError, match=r"max_current"):
            smu.source_current(0.05)
        assert "2450" in lab.snapshot()["instruments"]["smu"]["settings"]["idn"]


def test_top_level_station_is_the_default(tmp_path):
    path = _write(tmp_path, {"instrument": "smu2450"}, top="station.yaml")
    assert Bench.load(path).instruments["smu"].address == ADDRESS


@pytest.mark.parametrize("entry, station, message", [
    ({"instrument": "smu2450"}, STATION, r"smu\.instrument: .*no station file"),
    ({"qcodes_station": "nowhere.yaml", "instrument": "smu2450"}, STATION,
     r"smu\.qcodes_station: .*nowhere\.yaml does not exist"),
    ({"qcodes_station": "station.yaml", "instrument": "smu9"}, STATION,
     r"smu\.instrument: 'smu9' is not in .*station\.yaml; it declares: smu2450"),
    ({"qcodes_station": "station.yaml", "instrument": "smu2450", "address": "GPIB0::1::INSTR"},
     STATION, r"smu\.address: give either"),
    ({"qcodes_station": "station.yaml", "instrument": "smu2450"}, {"nothing": 1},
     r"has no 'instruments:' mapping"),
    ({"qcodes_station": "station.yaml", "instrument": "smu2450"},
     {"instruments": {"smu2450": {"type": "qcodes.instrument_drivers.Keithley.Keithley2450"}}},
     r"smu2450\.address: missing"),
    ({"qcodes_station": "station.yaml", "instrument": "smu2450"},
     {"instruments": {"smu2450": {"type": "qcodes.instrument_drivers.stanford_research.SR860",
                                  "address": ADDRESS}}}, r"no spinbench driver wraps .*SR860"),
    ({"qcodes_station": "station.yaml", "instrument": "smu2450"},
     {"instruments": {"smu2450": {"type": "qcodes.NoSuchDriver", "address": ADDRESS}}},
     r"cannot be imported"),
    ({"qcodes_station": "station.yaml", "instrument": "smu2450"},
     {"instruments": {"smu2450": {**STATION["instruments"]["smu2450"],
                                  "parameters": {"source.current": {"initial_value": 0.5}}}}},
     r"initial_value: refused"),
])
def test_bad_station_references_are_refused_when_the_bench_loads(tmp_path, entry, station, message):
    with pytest.raises(BenchError, match=message):
        Bench.load(_write(tmp_path, entry, station))
