"""spinbench instruments: role protocols, safety limits, drivers and the Bench.

Protocols use roles (:mod:`instruments.roles`) obtained from an open :class:`Bench`; they
never import an instrument model.  This package never imports the simulator: it reaches
``@spinbench`` only through pyvisa.
"""
from .bench import Bench, BenchError, OpenBench
from .driver_base import Health, InstrumentReplyError
from .limits import LimitError, Limits
from .registry import DRIVERS
from .roles import (ROLE_TYPES, CurrentSource, FieldController, Gaussmeter, LaserSource,
                    LockIn, Oscilloscope, PulseDeltaSystem, RFSource, SourceMeter,
                    SpectrumAnalyzer, Voltmeter)

__all__ = [
    "Bench", "BenchError", "OpenBench", "Health", "InstrumentReplyError", "LimitError", "Limits", "DRIVERS", "ROLE_TYPES",
    "CurrentSource", "Voltmeter", "SourceMeter", "FieldController", "Gaussmeter",
    "PulseDeltaSystem", "RFSource", "LockIn", "SpectrumAnalyzer", "LaserSource", "Oscilloscope",
]
