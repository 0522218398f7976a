"""Every emulator says which of its manual's commands it omits (module docstring), and a sample
of those omissions really is refused the way the instrument refuses an unknown header (the
Command Error bit of ``*ESR?``), so the docstring and the table cannot drift apart silently."""
from __future__ import annotations

from importlib import import_module

import pytest

from spinbench.sim_backend import benches
from spinbench.sim_backend.emulators import EMULATORS

from emu_io import exchange

CME = 1 << 5

#: (bench, address, commands the docstring lists as not emulated)
OMITTED = [
    ("sot-hallbar", "GPIB0::12::INSTR", ["SOUR:DCON:STAR 1e-6", "SENS:AVER ON", "SOUR:WAVE:EXTR ON", "*OPT?"]),
    ("sot-hallbar", "GPIB0::7::INSTR", ["CALC3:LIM:UPP 1", "OUTP ON", "TRAC:TST:FORM ABS", "*OPT?"]),
    ("sot-hallbar", "USB0::0x05E6::0x2450::04096331::INSTR",
     [":SENS:CURR:RANG:AUTO:LLIM 1e-6", ":SENS:VOLT:REL:STAT ON", ":TRAC:FILL:MODE ONCE", "*OPT?"]),
    ("sot-hallbar", "GPIB0::6::INSTR", ["LIST:CLE", "VOLT:LIM 1", "SYST:KLOC 1", "*SAV 1"]),
    ("sot-hallbar", "USB0::0x0957::0x2C07::MY12345678::INSTR", ["AM:STAT ON", "SWE:TIME 1", "APPL:SIN", "*SAV 1"]),
    ("sot-hallbar", "ASRL3::INSTR", ["ANALOG 1", "PRBSNUM?"]),
    ("rf-mtj", "GPIB0::19::INSTR", [":AM:STAT ON", ":LIST:FREQ 1e9", ":INIT:CONT ON", "*SAV 1"]),
]


@pytest.mark.parametrize("model", sorted(EMULATORS))
def test_docstring_lists_what_is_not_emulated(model):
    module = import_module(f"spinbench.sim_backend.emulators.{EMULATORS[model].split(':')[0]}")
    doc = module.__doc__ or ""
    assert any(key in doc for key in ("Not emulated", "Left out", "cross-checked")), model


@pytest.mark.parametrize("bench_name,address,commands", OMITTED, ids=[a for _, a, _ in OMITTED])
def test_listed_omissions_are_refused(bench_name, address, commands):
    bench = benches.build(bench_name)
    emu = bench.emulators[benches.canonical(address)]
    for cmd in commands:
        exchange(emu, "*ESR?")
        exchange(emu, cmd)
        assert int(exchange(emu, "*ESR?")) & CME, cmd
