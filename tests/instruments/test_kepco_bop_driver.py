"""Transcripts of the Kepco BOP field controller: rate-limited ramps, polling, refusals."""
import pytest

from instr_fakes import TranscriptAdapter
from spinbench.instruments.kepco_bop import KepcoBOP, _BOPConnection
from spinbench.instruments.limits import LimitError, Limits
from spinbench.instruments.roles import FieldController

LIMITS = Limits(max_field=0.3, max_ramp_rate=0.5, compliance_voltage=20.0)
OPTIONS = {"tesla_per_amp": 0.05, "axis": "z", "ramp_step_time": 0.1}


class Coil:
    """Canned BOP: the measured current follows the programmed one after `lag` polls."""

    def __init__(self, adapter_ref, output="0", lag=1):
        self.output, self.lag, self.setpoint, self.measured, self.pending = output, lag, 0.0, 0.0, 0
        self.ref = adapter_ref

    def replies(self):
        return {"OUTP?": lambda q: self.output, "CURR?": lambda q: f"{self.setpoint:g}",
                "MEAS:CURR?": self.meas, "FUNC:MODE?": lambda q: "CURR",
                "VOLT?": lambda q: "20", "*IDN?": lambda q: "KEPCO,BOP 20-10M,E1234,1.0"}

    def meas(self, q):
        last = [c for c in self.ref[0].written if c.startswith("CURR ")]
        target = float(last[-1].split()[1]) if last else self.setpoint
        if target != self.setpoint:
            self.setpoint, self.pending = target, self.lag
        if self.pending:
            self.pending -= 1
        else:
            self.measured = self.setpoint
        return f"{self.measured:g}"


def make(output="0", lag=1, options=OPTIONS, limits=LIMITS):
    ref = []
    coil = Coil(ref, output, lag)
    adapter = TranscriptAdapter(coil.replies())
    ref.append(adapter)
    driver = KepcoBOP("magnet", _BOPConnection(adapter), limits, options)
    driver._hold = lambda s: adapter.written.append(f"<hold {s:g}>")
    return driver, adapter, coil


def test_set_field_ramps_in_rate_limited_steps_and_polls():
    driver, adapter, coil = make()
    driver.set_field(0.1)                 # 2 A; 0.5 T/s * 0.1 s / 0.05 T/A = 1 A per step
    assert isinstance(driver, FieldController) and driver.axis == "z"
    assert adapter.written == [
        "OUTP?", "FUNC:MODE CURR", "CURR 0", "VOLT 20", "OUTP ON",
        "CURR?",
        "CURR 1", "<hold 0.1>", "MEAS:CURR?",         # intermediate: may lag one step
        "CURR 2", "<hold 0.1>", "MEAS:CURR?", "<hold 0.02>", "MEAS:CURR?",   # final: settle
    ]
    assert driver.field() == pytest.approx(0.1)


def test_field_over_limit_is_refused_before_anything_is_sent():
    driver, adapter, _ = make()
    with pytest.raises(LimitError) as err:
        driver.set_field(-0.35)
    assert "magnet: field -0.35 T" in str(err.value) and "[-0.3 T, 0.3 T]" in str(err.value)
    assert adapter.written == []


def test_magnet_current_limit_checked_too():
    driver, adapter, _ = make(limits=Limits(max_field=0.3, max_ramp_rate=0.5, max_current=3.0))
    with pytest.raises(LimitError, match="magnet current 4 A"):
        driver.set_field(0.2)
    assert adapter.written == []


def test_settle_timeout_counts_polls():
    driver, adapter, _ = make(lag=10**6, options={**OPTIONS, "max_polls": 4})
    with pytest.raises(TimeoutError, match="within 4 polls"):
        driver.set_field(0.02)            # one step of 0.4 A; never settles
    assert adapter.written.count("MEAS:CURR?") == 4


def test_ramp_to_zero_and_shutdown_when_output_on():
    driver, adapter, coil = make(output="1", lag=0)
    coil.setpoint = coil.measured = 1.5
    driver.shutdown()
    assert adapter.written == [
        "OUTP?", "CURR?",
        "CURR 0.75", "<hold 0.1>", "MEAS:CURR?",
        "CURR 0", "<hold 0.1>", "MEAS:CURR?",
        "OUTP OFF",
    ]


def test_shutdown_when_output_off_does_not_ramp():
    driver, adapter, _ = make(output="0")
    driver.shutdown()
    assert adapter.written == ["OUTP?", "CURR 0", "OUTP OFF"]


def test_options_are_validated():
    with pytest.raises(ValueError, match="needs option 'tesla_per_amp'"):
        KepcoBOP("m", None, LIMITS, {})
    with pytest.raises(ValueError, match="axis must be x, y or z"):
        KepcoBOP("m", None, LIMITS, {"tesla_per_amp": 0.05, "axis": "w"})
    with pytest.raises(ValueError, match="unknown option 'tpa'"):
        KepcoBOP("m", None, LIMITS, {"tesla_per_amp": 0.05, "tpa": 1})
