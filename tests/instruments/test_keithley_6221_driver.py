"""Transcripts of the Keithley 6221 driver against the 622x Reference Manual sequences."""
import numpy as np
import pytest
from pymeasure.instruments.keithley import Keithley6221 as PM6221

from instr_fakes import TranscriptAdapter
from spinbench.instruments.keithley_6221 import Keithley6221
from spinbench.instruments.limits import LimitError, Limits
from spinbench.instruments.roles import CurrentSource, PulseDeltaSystem

LIMITS = Limits(max_current=0.02, compliance_voltage=20.0)


def make(replies=None, limits=LIMITS, options=None):
    adapter = TranscriptAdapter(replies)
    driver = Keithley6221("pulser", PM6221(adapter), limits, options)
    driver._hold = lambda s: adapter.written.append(f"<hold {s:g}>")
    return driver, adapter


def test_satisfies_roles():
    driver, adapter = make()
    assert isinstance(driver, CurrentSource)
    assert isinstance(driver, PulseDeltaSystem)
    assert adapter.written == []          # constructing talks to nothing


def test_dc_set_current_enable_disable():
    driver, adapter = make({":SOUR:CURR?": "1.5E-3"})
    driver.set_current(1.5e-3)
    driver.enable()
    driver.enable()                       # compliance is sent once per session
    driver.disable()
    assert driver.current() == pytest.approx(1.5e-3)
    assert adapter.written == [
        ":SOUR:CURR 0.0015",
        ":SOUR:CURR:COMP 20",
        "OUTPUT ON",
        "OUTPUT ON",
        "OUTPUT OFF",
        ":SOUR:CURR?",
    ]


def test_pulse_is_a_one_point_list_sweep_timed_by_the_instrument():
    driver, adapter = make({"*OPC?": "1"})
    driver.pulse(0.01, 2e-3)
    assert adapter.written == [
        ":SOUR:CURR:COMP 20",
        "SOUR:SWE:ABOR;:SOUR:CURR 0;:SOUR:SWE:SPAC LIST;:SOUR:LIST:CURR 0.01;:SOUR:LIST:DEL 0.002;"
        ":SOUR:LIST:COMP 20;:SOUR:SWE:COUN 1;:SOUR:SWE:CAB OFF;:SOUR:SWE:RANG BEST;"
        ":SOUR:SWE:ARM;:INIT:IMM",
        "*OPC?", "SOUR:SWE:ABOR",
    ]


def test_pulse_low_level_is_the_bias_and_short_pulses_are_refused():
    driver, adapter = make({"*OPC?": "1"})
    driver.pulse(-0.01, 1e-3, low_A=1e-4)
    assert ";:SOUR:CURR 0.0001;" in adapter.written[1]
    assert ":SOUR:LIST:CURR -0.01;" in adapter.written[1]
    n = len(adapter.written)
    with pytest.raises(LimitError, match=r"pulse width .*1.*ms|pulse width"):
        driver.pulse(0.01, 0.5e-3)
    assert len(adapter.written) == n


@pytest.mark.parametrize("call", [
    lambda d: d.pulse(0.025, 1e-3),                   # over max_current 0.02 A
    lambda d: d.pulse(0.01, 1e-3, low_A=-0.03),
    lambda d: d.set_current(-0.021),
    lambda d: d.set_current(float("nan")),
    lambda d: d.set_compliance_voltage(25.0),         # over compliance_voltage 20 V
    lambda d: d.pulse_delta(0.03, 0.0, 1e-4, 10, 5e-5),
    lambda d: d.pulse_delta(0.01, 0.0, 20e-3, 10, 5e-5),   # width over 12 ms
    lambda d: d.pulse_delta(0.01, 0.0, 1e-4, 0, 5e-5),     # count below 1
    lambda d: d.pulse_sweep([0.001, 0.019, 0.021], 0.0, 1e-4, 0.1),
])
def test_limits_refuse_and_send_nothing(call):
    driver, adapter = make()
    with pytest.raises(LimitError):
        call(driver)
    assert adapter.written == []


def test_limit_message_names_instrument_quantity_value_and_range():
    driver, _ = make()
    with pytest.raises(LimitError) as err:
        driver.pulse(0.025, 1e-3)
    msg = str(err.value)
    assert "pulser" in msg and "pulse amplitude" in msg and "0.025 A" in msg
    assert "[-0.02 A, 0.02 A]" in msg and "max_current" in msg


def test_hardware_range_applies_without_bench_limit():
    driver, adapter = make(limits=Limits())
    with pytest.raises(LimitError, match=r"instrument range"):
        driver.set_current(0.2)              # pymeasure would silently truncate to 0.105
    assert adapter.written == []


def test_pulse_delta_sequence_and_buffer():
    readings = "1.0E-5,1.1E-5,+9.9E37,1.2E-5"
    driver, adapter = make({
        "SOUR:PDEL:NVPR?": "1",
        "TRAC:POIN:ACT?": ["0", "2", "4"],
        "TRAC:DATA?": readings,
    })
    data = driver.pulse_delta(0.01, -0.001, 110e-6, 4, 60e-6)
    np.testing.assert_allclose(data, [1.0e-5, 1.1e-5, np.nan, 1.2e-5])
    assert adapter.written == [
        "SOUR:PDEL:NVPR?",
        ":SOUR:CURR:COMP 20",
        "SOUR:PDEL:HIGH 0.01",
        "SOUR:PDEL:LOW -0.001",
        "SOUR:PDEL:WIDT 0.00011",
        "SOUR:PDEL:SDEL 6e-05",
        "SOUR:PDEL:COUN 4",
        "SOUR:PDEL:RANG BEST",
        "SOUR:PDEL:SWE OFF",
        "SOUR:PDEL:INT 5",
        "SOUR:PDEL:LME 2",
        "FORM:ELEM READ",
        "TRAC:CLE",
        "TRAC:POIN 4",
        "SOUR:PDEL:ARM",
        "INIT:IMM",
        "TRAC:POIN:ACT?", "<hold 0.01>",
        "TRAC:POIN:ACT?", "<hold 0.01>",
        "TRAC:POIN:ACT?",
        "SOUR:SWE:ABOR",
        "TRAC:DATA?",
    ]


def test_pulse_delta_without_2182a_is_refused_before_arming():
    driver, adapter = make({"SOUR:PDEL:NVPR?": "0"})
    with pytest.raises(RuntimeError, match="no 2182A"):
        driver.pulse_delta(0.01, 0.0, 110e-6, 4, 60e-6)
    assert adapter.written == ["SOUR:PDEL:NVPR?"]


def test_pulse_delta_timeout_counts_polls_and_aborts():
    driver, adapter = make({"SOUR:PDEL:NVPR?": "1", "TRAC:POIN:ACT?": "1"},
                           options={"max_polls": 3})
    with pytest.raises(TimeoutError, match="1 of 4 readings after 3 polls"):
        driver.pulse_delta(0.01, 0.0, 110e-6, 4, 60e-6)
    assert adapter.written.count("TRAC:POIN:ACT?") == 3
    assert adapter.written[-1] == "SOUR:SWE:ABOR"


def test_pulse_sweep_sequence_with_list_chunks():
    amps = np.linspace(-0.015, 0.015, 150)
    driver, adapter = make({
        "SOUR:PDEL:NVPR?": "1",
        "TRAC:POIN:ACT?": "150",
        "TRAC:DATA?": ",".join(["2.5E-6"] * 150),
    })
    data = driver.pulse_sweep(amps, 0.0, 200e-6, 0.05)
    assert data.shape == (150,) and np.all(data == 2.5e-6)
    w = adapter.written
    assert w[:3] == ["SOUR:PDEL:NVPR?", ":SOUR:CURR:COMP 20", "SOUR:SWE:SPAC LIST"]
    assert w[3].startswith("SOUR:LIST:CURR -0.015,") and w[3].count(",") == 99
    assert w[4].startswith("SOUR:LIST:CURR:APP ") and w[4].count(",") == 49
    assert w[5] == "SOUR:LIST:DEL " + ",".join(["0.05"] * 100)
    assert w[6] == "SOUR:LIST:DEL:APP " + ",".join(["0.05"] * 50)
    sent = [float(v) for v in (w[3].split(" ")[1] + "," + w[4].split(" ")[1]).split(",")]
    np.testing.assert_allclose(sent, amps, rtol=1e-5)
    # a list sweep's points use the list compliance (manual: SOUR:LIST:COMP), the bench's 20 V
    assert w[7] == "SOUR:LIST:COMP " + ",".join(["20"] * 100)
    assert w[8] == "SOUR:LIST:COMP:APP " + ",".join(["20"] * 50)
    assert w[9:] == [
        "SOUR:SWE:RANG BEST",
        "SOUR:SWE:COUN 1",
        "SOUR:SWE:CAB OFF",
        "SOUR:PDEL:LOW 0",
        "SOUR:PDEL:WIDT 0.0002",
        "SOUR:PDEL:SWE ON",
        "SOUR:PDEL:LME 2",
        "FORM:ELEM READ",
        "TRAC:CLE",
        "TRAC:POIN 150",
        "SOUR:PDEL:ARM",
        "INIT:IMM",
        "TRAC:POIN:ACT?",
        "SOUR:SWE:ABOR",
        "TRAC:DATA?",
    ]


def test_snapshot_and_shutdown():
    driver, adapter = make({
        "*IDN?": "KEITHLEY INSTRUMENTS INC.,MODEL 6221,4102157,D03  /700x",
        "OUTP?": "1", ":SOUR:CURR?": "1.0E-3", ":SOUR:CURR:COMP?": "20",
        ":SOUR:CURR:RANG?": "2.0E-3", "SOUR:PDEL:NVPR?": "1",
    })
    snap = driver.snapshot()
    assert snap["output_enabled"] is True and snap["current_A"] == 1e-3
    assert snap["compliance_V"] == 20.0 and snap["nanovoltmeter_present"] is True
    adapter.written.clear()
    driver.shutdown()
    assert adapter.written == ["SOUR:SWE:ABOR", "OUTPUT OFF", ":SOUR:CURR 0"]
