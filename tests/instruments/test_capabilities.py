"""Role capabilities: what each instrument can do, from its manual's ranges, the bench limits and
options, read from the bench file and the driver class without opening anything."""
import math

import pytest
import pyvisa

from spinbench.instruments.bench import Bench
from spinbench.instruments.capabilities import (CapabilityError, CurrentSourceCapabilities,
                                                PulseDeltaCapabilities, SequencerCapabilities,
                                                Span, Unknown)
from spinbench.instruments.keithley_2182a import Keithley2182A
from spinbench.instruments.keysight_33500b import Keysight33500B
from spinbench.instruments.limits import Limits
from spinbench.instruments.roles import (PulseGenerator, RFSource, Voltmeter, WriteReadSequencer,
                                         conforms, missing_members)


@pytest.fixture
def no_visa(monkeypatch):
    """Any attempt to open a VISA library fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("capabilities opened a VISA resource manager")

    monkeypatch.setattr(pyvisa, "ResourceManager", refuse)


def test_the_6221_capabilities_are_the_manuals_ranges_cut_by_the_bench(no_visa):
    bench = Bench.load("sot-hallbar")
    source = bench.capabilities("current_source")
    assert isinstance(source, CurrentSourceCapabilities)
    # 6221 Reference Manual: +-105 mA, list-sweep delay 1 ms .. 999999.999 s; bench: 20 mA
    assert (source.current.low, source.current.high) == (-0.02, 0.02)
    assert "max_current" in source.current.source
    assert (source.pulse_width.low, source.pulse_width.high) == (1e-3, 999999.999)
    pdel = bench.capabilities("pulse_delta")
    assert isinstance(pdel, PulseDeltaCapabilities)
    # manual section 5: width 50 us .. 12 ms, source delay 16 us .. 11.966 ms, 65535 points;
    # the shortest cycle is 3 PLC: 60 ms at 50 Hz (no line_frequency option: the longer PLC)
    assert (pdel.width.low, pdel.width.high) == (50e-6, 12e-3)
    assert (pdel.source_delay.low, pdel.source_delay.high) == (16e-6, 11.966e-3)
    assert pdel.max_points == 65535 and pdel.min_period == pytest.approx(0.06)
    seq = bench.capabilities("current_source", WriteReadSequencer)
    assert isinstance(seq, SequencerCapabilities)
    assert seq.write_path(2e-3) == "list" and seq.write_path(100e-6) == "pulse_delta"
    assert seq.write_path(10e-6) is None
    assert seq.read_aperture == pytest.approx(0.01 / 50)          # 0.01 PLC at 50 Hz


def test_options_select_the_mains_and_the_model():
    at_60 = Keithley2182A.capabilities(Voltmeter, "dvm", Limits(), {"line_frequency": 60})
    # 2182A manual: 0.01 .. 60 PLC at 60 Hz
    assert at_60.integration_time.low == pytest.approx(0.01 / 60)
    assert at_60.integration_time.high == pytest.approx(1.0)
    slow = Keysight33500B.capabilities(PulseGenerator, "gen", Limits(max_voltage=4.0),
                                       {"model": "33510B"})
    # 33500B guide: 20 MHz models have a 50 ns shortest period; 16 ns shortest width
    assert slow.period.low == pytest.approx(50e-9) and slow.width.low == pytest.approx(16e-9)
    assert slow.max_open_circuit_voltage == 4.0                   # the bench limit, not 10 V


def test_a_span_refuses_naming_the_parameter_and_the_range():
    span = Span(16e-9, 1e6, "s", "33500B pulse width")
    assert span.require(1e-6, "widths") == 1e-6
    with pytest.raises(CapabilityError, match=r"widths = 1e-09 s is outside the allowed range "
                                              r"\[1\.6e-08, 1e\+06\] s \(33500B pulse width\)"):
        span.require(1e-9, "widths")
    assert math.nan not in span and "x" not in span


def test_a_role_the_driver_says_nothing_about_is_unknown():
    bench = Bench.load("sot-hallbar")
    caps = bench.capabilities("gaussmeter", RFSource)   # a 425 asked as an RF source
    assert isinstance(caps, Unknown) and caps.instrument == "gaussmeter"
    with pytest.raises(KeyError):
        bench.capabilities("rf_source")


def test_one_conformance_check_for_classes_and_instances_reads_no_property():
    class Meter:
        reads = 0

        def read_voltage(self):
            return 0.0

        def integration_time(self):
            return 0.1

        def set_integration_time(self, seconds):
            pass

        @property
        def set_settle_delay(self):          # a property: must not be evaluated
            Meter.reads += 1
            return lambda seconds: None

    assert missing_members(Meter, Voltmeter) == [] and conforms(Meter(), Voltmeter)
    assert Meter.reads == 0
    assert missing_members(object(), Voltmeter) == sorted(
        ["integration_time", "read_voltage", "set_integration_time", "set_settle_delay"])
    bench = Bench.load("sot-hallbar")
    assert bench.fills("current_source", WriteReadSequencer)       # the 6221
    assert not bench.fills("voltmeter", WriteReadSequencer)        # the 2182A


def test_a_pulse_generator_drives_at_most_its_emf_over_its_output_impedance():
    gen = Keysight33500B.capabilities(PulseGenerator, "gen", Limits(max_voltage=4.0), {})
    # 50 ohm source: a short draws EMF / 50 ohm
    assert gen.output_impedance == 50.0 and gen.max_current() == pytest.approx(4.0 / 50.0)
