"""R&S SGS100A modulation: pulse (option SGS-K22) and I/Q from external inputs, no analog AM. The
driver has no ``set_amplitude_modulation`` (it fills the pulse-modulated role, not the AM one);
asking for it names the instrument and what to use instead, with no command sent.  The emulator
answers an ``:AM`` header as the instrument does: -113 "Undefined header" in the error queue,
the RF output untouched."""
from __future__ import annotations

import pytest
import pyvisa
import yaml

from spinbench.instruments.bench import Bench
from spinbench.instruments.rohde_schwarz_sgs100a import RohdeSchwarzSGS100A
from spinbench.instruments.roles import (AmplitudeModulatedRFSource, PulseModulatedRFSource,
                                         SteppedSweepRFSource, conforms)

SGS = "TCPIP0::192.168.0.40::inst0::INSTR"


def _bench(tmp_path):
    spec = {
        "name": "sgs-only", "visa_library": "@spinbench",
        "instruments": {"sgs": {"driver": "rohde_schwarz_sgs100a", "address": SGS,
                                "limits": {"max_rf_power_dbm": 0.0}}},
        "roles": {"rf_source": "sgs"},
        "sim": {"seed": 1, "clock": "virtual", "temperature": 300.0,
                "device": {"model": "rf_mtj", "params": {}},
                "instruments": {SGS: {"model": "rohde_schwarz_sgs100a", "options": "SGS-B112,SGS-B26,SGS-K22",
                                      "connect": {"rf_out": "rf"}}}},
    }
    path = tmp_path / "sgs.yaml"
    path.write_text(yaml.safe_dump(spec))
    return Bench.load(str(path))


def test_the_driver_fills_pulse_modulation_and_not_am():
    assert conforms(RohdeSchwarzSGS100A, PulseModulatedRFSource)
    assert not conforms(RohdeSchwarzSGS100A, AmplitudeModulatedRFSource)
    assert not conforms(RohdeSchwarzSGS100A, SteppedSweepRFSource)


def test_asking_for_am_names_the_instrument_and_the_alternatives_before_any_command(tmp_path):
    with _bench(tmp_path).open() as lab:
        sgs = lab.role("rf_source")
        world = sgs.resource.visalib.world
        before = list(world.messages(SGS))
        assert not hasattr(sgs, "set_amplitude_modulation")
        with pytest.raises(AttributeError, match=r"sgs: the R&S SGS100A has no amplitude modulation "
                                                 r".*set_pulse_modulation \(option SGS-K22\).*N5183B"):
            sgs.set_amplitude_modulation(1e3, 0.5)
        assert world.messages(SGS) == before
        with pytest.raises(AttributeError, match="no attribute 'set_fm'"):
            sgs.set_fm(1e3)                                   # other names: the usual error


def test_the_emulator_answers_an_am_header_with_undefined_header(tmp_path):
    with _bench(tmp_path).open() as lab:
        sgs = lab.role("rf_source")
        sgs.set_power_dbm(-10.0)
        sgs.enable()
        for cmd in ("SOUR:AM:STAT ON", ":AM:DEPT 50", "SOURce:AM:INTernal:FREQuency 1kHz"):
            sgs._write(cmd)
            code, _, message = sgs._ask("SYST:ERR?").partition(",")
            assert int(code) == -113 and "Undefined header" in message, cmd
        assert sgs._ask("SYST:ERR?").startswith("0")
        with pytest.raises(pyvisa.errors.VisaIOError):
            sgs._ask("SOUR:AM:STAT?")                         # no reply to an undefined query
        assert sgs._ask("SYST:ERR?").startswith("-113")
        assert sgs._ask("OUTP:STAT?") == "1" and sgs.power_dbm() == pytest.approx(-10.0)
