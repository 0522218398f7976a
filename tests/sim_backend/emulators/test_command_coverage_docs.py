"""Every emulator says which of its manual's commands it omits (module docstring), and a sample
of those omissions really is refused the way the instrument refuses an unknown header (the
Command Error bit of ``*ESR?``), so the docstring and the table cannot drift apart silently."""
from __future__ import annotations

from importlib import import_module

import pytest

from spinbench.sim_backend import benches
from spinbench.sim_backend.emulators import EMULATORS

import yaml

from emu_io import exchange
from stock_bench import INSTRUMENTS, bench_spec

CME = 1 << 5

#: model -> commands its docstring lists as not emulated
OMITTED = {
    "keithley_6221": ["SOUR:DCON:STAR 1e-6", "SENS:AVER ON", "SOUR:WAVE:EXTR ON", "*OPT?"],
    "keithley_2182a": ["CALC3:LIM:UPP 1", "OUTP ON", "TRAC:TST:FORM ABS", "*OPT?"],
    "keithley_2450": [":SENS:CURR:RANG:AUTO:LLIM 1e-6", ":SENS:VOLT:REL:STAT ON", ":TRAC:FILL:MODE ONCE", "*OPT?"],
    "kepco_bop": ["LIST:CLE", "VOLT:LIM 1", "SYST:KLOC 1", "*SAV 1"],
    "keysight_33500b": ["AM:STAT ON", "SWE:TIME 1", "APPL:SIN", "*SAV 1"],
    "lakeshore_425": ["ANALOG 1", "PRBSNUM?"],
    "keysight_n5183b": [":FM:STAT ON", ":LIST:FREQ 1e9", ":INIT:CONT ON", "*SAV 1"],
    "rohde_schwarz_sgs100a": [":SOUR:POW:LIM 10", ":SOUR:CORR:STAT ON", "*SAV 1", ":SOUR:AM:STAT ON"],
    "rohde_schwarz_fsv": ["CALC:MARK:STAT ON", "CALC:LIM:STAT ON", "*SAV 1"],
    "tektronix_dpo7000": ["FASTACQ:STATE ON", "MASK:STANDARD NONE", "ZOOM:STATE ON", "*SAV 1"],
}


@pytest.mark.parametrize("model", sorted(EMULATORS))
def test_docstring_lists_what_is_not_emulated(model):
    module = import_module(f"spinbench.sim_backend.emulators.{EMULATORS[model].split(':')[0]}")
    doc = module.__doc__ or ""
    assert any(key in doc for key in ("Not emulated", "Left out", "cross-checked")), model


@pytest.mark.parametrize("model", sorted(OMITTED))
def test_listed_omissions_are_refused(model, tmp_path):
    path = tmp_path / "stock.yaml"
    path.write_text(yaml.safe_dump(bench_spec()))
    bench = benches.build(str(path))
    emu = bench.emulators[benches.canonical(INSTRUMENTS[model][0])]
    for cmd in OMITTED[model]:
        exchange(emu, "*ESR?")
        exchange(emu, cmd)
        assert int(exchange(emu, "*ESR?")) & CME, cmd
