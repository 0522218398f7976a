"""Transcripts of the Lake Shore 425 driver (Lake Shore command set, not SCPI)."""
import pytest
from pymeasure.instruments.lakeshore import LakeShore425 as PM425

from instr_fakes import TranscriptAdapter
from spinbench.instruments.lakeshore_425 import LakeShore425, OverRangeError
from spinbench.instruments.limits import LimitError
from spinbench.instruments.roles import Gaussmeter


def make(replies=None):
    adapter = TranscriptAdapter(replies)
    return LakeShore425("gm", PM425(adapter), None, {"axis": "x"}), adapter


def test_read_field_converts_units_to_tesla():
    driver, adapter = make({"UNIT?": "1", "RDGFIELD?": ["1234.5", "-10.0"]})
    assert driver.read_field() == pytest.approx(0.12345)     # gauss -> T
    assert driver.read_field() == pytest.approx(-1e-3)
    assert adapter.written == ["UNIT?", "RDGFIELD?", "RDGFIELD?"]
    assert isinstance(driver, Gaussmeter)


def test_set_unit_and_range_strictly():
    driver, adapter = make({"RDGFIELD?": "0.25", "TYPE?": "40"})
    driver.set_unit("T")
    assert driver.read_field() == pytest.approx(0.25)
    with pytest.raises(LimitError, match="not a range of this probe"):
        driver.set_range(1.0)                                # not rounded to 3.5 T
    driver.set_range(0.35)
    driver.auto_range()
    assert adapter.written == ["UNIT 2", "RDGFIELD?", "TYPE?", "RANGE 3", "AUTO 1"]


def test_overload_is_an_error_not_a_number():
    driver, adapter = make({"UNIT?": "2", "RDGFIELD?": "OL"})
    with pytest.raises(OverRangeError, match="over range"):
        driver.read_field()
