"""Limits parse strictly and refuse (never clip) with a message naming the range."""
import math

import pytest

from spinbench.instruments.limits import (LimitError, Limits, check_current, check_field,
                                check_frequency, check_laser_power, check_rf_power_dbm)


def test_parse_and_as_dict():
    lim = Limits.from_dict({"max_current": 0.02, "compliance_voltage": 20, "max_rf_power_dbm": -5})
    assert lim.max_current == 0.02 and lim.compliance_voltage == 20.0
    assert lim.as_dict() == {"max_current": 0.02, "compliance_voltage": 20.0,
                             "max_rf_power_dbm": -5.0}


@pytest.mark.parametrize("data, message", [
    ({"max_curent": 0.02}, "unknown limit 'max_curent'; allowed: max_current"),
    ({"max_current": "20mA"}, "max_current must be a number in A"),
    ({"max_field": -0.1}, "max_field must be > 0 T"),
    ({"max_current": math.inf}, "must be finite"),
    ({"min_frequency": 2e9, "max_frequency": 1e9}, "must be below max_frequency"),
    ([0.02], "limits must be a mapping"),
])
def test_bad_limits(data, message):
    with pytest.raises(ValueError, match=message):
        Limits.from_dict(data)


def test_checks_refuse_with_range_in_message():
    lim = Limits(max_current=0.01, max_field=0.2, max_laser_power=0.005, max_rf_power_dbm=10,
                 min_frequency=1e9, max_frequency=20e9)
    assert check_current("src", -0.01, lim) == -0.01           # the edge is allowed
    with pytest.raises(LimitError, match=r"src: current 0.0100001 A is outside the allowed "
                                         r"range \[-0.01 A, 0.01 A\] \(bench limit max_current\)"):
        check_current("src", 0.0100001, lim)
    with pytest.raises(LimitError, match=r"mag: field 0.3 T .*\[-0.2 T, 0.2 T\]"):
        check_field("mag", 0.3, lim)
    with pytest.raises(LimitError, match=r"laser power 0.01 W .*\[0 W, 0.005 W\]"):
        check_laser_power("laser", 0.01, lim)
    with pytest.raises(LimitError, match=r"RF power 12 dBm .*\[-inf dBm, 10 dBm\]"):
        check_rf_power_dbm("rf", 12, lim)
    with pytest.raises(LimitError, match=r"frequency 2.5e\+10 Hz .*\[1e\+09 Hz, 2e\+10 Hz\]"):
        check_frequency("rf", 25e9, lim)
    with pytest.raises(LimitError, match="sets no max_field"):
        check_field("mag", 0.01, Limits())
    assert issubclass(LimitError, ValueError)
