"""Instruments couple only through the world (issue 7 part 3): no emulator holds another; the
6221's Trigger Link and RS-232 pass-through are messages on the 2182A's world inputs; a laser's
modulation output is a published world signal a scope's EXT TRIG reads."""
from __future__ import annotations

import pytest

from spinbench.sim_backend import benches
from spinbench.sim_backend.links import LinkError, Links
from spinbench.sim_backend.scpi import Emulator

from emulators.emu_io import SPINE_BENCH, ask

SRC, NV = "GPIB0::12::INSTR", "GPIB0::7::INSTR"


def _holds_emulator(obj, others, depth=0) -> bool:
    if depth > 2:
        return False
    values = vars(obj).values() if hasattr(obj, "__dict__") else ()
    for v in values:
        if any(v is o for o in others):
            return True
        if isinstance(v, (list, tuple, set)):
            if any(any(x is o for o in others) for x in v):
                return True
        elif isinstance(v, dict):
            if any(any(x is o for o in others) for x in v.values()):
                return True
        elif hasattr(v, "__dict__") and not isinstance(v, (Emulator, type)) and type(v).__module__.startswith("spinbench.sim_backend.emulators"):
            if _holds_emulator(v, others, depth + 1):
                return True
    return False


@pytest.mark.parametrize("name", sorted(benches.builtin_benches()))
def test_no_emulator_holds_another(name):
    bench = benches.build(name)
    emus = list(bench.emulators.values())
    for emu in emus:
        others = [o for o in emus if o is not emu]
        assert not _holds_emulator(emu, others), f"{name}: {type(emu).__name__} holds another emulator"


def test_trigger_link_and_rs232_are_world_messages():
    bench = benches.build(SPINE_BENCH)
    w = bench.world
    seen = []
    convert = w.links._inputs[(NV, "trigger_link.convert")]
    w.links.listen(NV, "trigger_link.convert", lambda ap: (seen.append(ap), convert(ap))[1])
    src = bench.emulators[SRC]
    ask(src, "SOUR:PDEL:HIGH 1e-3;LOW 0;WIDT 2e-4;SDEL 5e-5;COUN 2;:SOUR:PDEL:ARM;:INIT;*OPC?")
    assert len(seen) == 3 * 2                                  # three A/Ds per Pulse Delta cycle
    assert all(ap == pytest.approx(1.5e-4) for ap in seen)     # aperture = WIDT - SDEL
    # the RS-232 pass-through reaches the 2182A only through its world input
    ask(src, 'SYST:COMM:SER:SEND "*IDN?"')
    assert ask(src, "SYST:COMM:SER:ENT?").startswith("KEITHLEY INSTRUMENTS INC.,MODEL 2182A")


def test_links_refuse_an_unwired_input_and_latch_signals():
    links = Links()
    with pytest.raises(LinkError, match="listens on 'trigger_link.step'"):
        links.send("GPIB0::7::INSTR", "trigger_link.step")
    assert not links.listens("GPIB0::7::INSTR", "trigger_link.step")
    links.publish("ASRL4::INSTR", "modulation", {"train": (0.0, 1e-3, 1e-4, 0.01)})
    assert links.read("ASRL4::INSTR", "modulation")["train"][1] == 1e-3
    assert links.read(None, "modulation", "none") == "none"
