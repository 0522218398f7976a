"""SCPI engine: the manual's notation, parsing rules, error queue and binary blocks."""
import math

import numpy as np
import pytest

from spinbench.sim_backend.devices import make_device
from spinbench.sim_backend.scpi import (Boolean, Choice, Cmd, Emulator, Numeric, ScpiError, String, definite_block,
                              parse_block, parse_number, setting, split_params, split_units,
                              system_error_commands)
from spinbench.sim_backend.world import SimWorld


class Toy(Emulator):
    IDN = "ACME,TOY,1,1.0"
    COMMANDS = [
        setting("[SOURce[1]]:CURRent[:LEVel][:IMMediate][:AMPLitude]", "curr",
                Numeric(-0.105, 0.105, default=0.0, unit="A")),
        setting("[SOURce[1]]:CURRent:COMPliance", "comp", Numeric(0.1, 105, default=10.0, unit="V")),
        setting("OUTPut[1][:STATe]", "out", Boolean()),
        setting("SENSe:FUNCtion", "func", Choice(("VOLTage", "TEMPerature"))),
        setting("SYSTem:NAME", "name", String()),
        setting("CALCulate<n>:STATe", "calc", Boolean()),
        Cmd("TRACe:DATA", set=lambda d, a: d.settings.__setitem__("blob", a.blocks[0]),
            query=lambda d, a: definite_block(d.settings["blob"])),
        *system_error_commands(),
    ]

    def reset(self):
        self.settings.update(curr=0.0, comp=10.0, out=False, func="VOLTAGE", name="", calc=False, blob=b"")


@pytest.fixture
def toy():
    return Toy(SimWorld(make_device("sot_hallbar_spine"), seed=1), "GPIB0::1::INSTR")


def ask(dev, text: str | bytes) -> bytes:
    dev.write(text.encode() if isinstance(text, str) else text)
    out = b""
    while dev.pending():
        chunk, _ = dev.read(7)
        out += chunk
    return out


def errors(dev):
    out = []
    while True:
        e = ask(dev, "SYST:ERR?\n").decode().strip()
        if e.startswith("0,"):
            return out
        out.append(int(e.split(",")[0]))


@pytest.mark.parametrize("text", ["SOUR:CURR 1e-3", "source:current 1e-3", "SOURCE1:CURR:LEV:IMM:AMPL 1E-3",
                                  ":sour1:curr:lev 0.001", "CURR 1mA", "curr 1MA", "CURR:LEV 1000uA"])
def test_short_long_case_and_units_accepted(toy, text):
    toy.write(text.encode() + b"\n")
    assert toy.settings["curr"] == pytest.approx(1e-3)
    assert errors(toy) == []


@pytest.mark.parametrize("text, code", [
    ("SOURC:CURR 1e-3", -113),      # neither short nor long form
    ("CURRE 1e-3", -113),
    ("CURR 0.2", -222),             # out of range: refused, never clipped
    ("CURR abc", -104),
    ("CURR", -109),
    ("CURR 1,2", -108),
    ("CURR 1V", -131),
    ("SENS:FUNC 'RES'", -224),
    ("OUTP maybe", -104),
    ("CURR? ;", 0),                 # empty unit is ignored
])
def test_rejections_go_to_the_error_queue(toy, text, code):
    ask(toy, text + "\n")
    assert toy.settings["curr"] == 0.0
    assert errors(toy) == ([code] if code else [])


def test_chains_relative_paths_and_multiple_responses(toy):
    out = ask(toy, "SOUR:CURR 2e-3;CURR:COMP 20;:OUTP ON;:SOUR:CURR?;CURR:COMP?;:OUTP?\n")
    assert out == b"2.000000E-03;2.000000E+01;1\n"
    assert errors(toy) == []


def test_min_max_def_and_queries(toy):
    assert ask(toy, "CURR? MAX\n") == b"1.050000E-01\n"
    ask(toy, "CURR MIN\n")
    assert toy.settings["curr"] == -0.105
    ask(toy, "CURR DEF\n")
    assert toy.settings["curr"] == 0.0


def test_numeric_suffix_captured(toy):
    ask(toy, "CALC2:STAT ON\n")
    assert toy.settings["calc"] is True


def test_command_error_aborts_rest_of_message(toy):
    ask(toy, "BOGUS;CURR 1e-3\n")
    assert toy.settings["curr"] == 0.0
    assert errors(toy) == [-113]


def test_error_queue_overflow_and_esr(toy):
    for _ in range(15):
        toy.write(b"BOGUS\n")
    assert len(toy.errors) == Toy.ERROR_QUEUE_DEPTH
    assert toy.errors[-1][0] == -350
    assert int(ask(toy, "*ESR?\n")) & 32  # CME
    assert int(ask(toy, "*ESR?\n")) == 0  # read clears
    ask(toy, "*CLS\n")
    assert errors(toy) == []


def test_unread_response_is_interrupted(toy):
    toy.write(b"*IDN?\n")
    toy.write(b"CURR 1e-3\n")
    assert errors(toy) == [-410]


def test_status_byte_reports_error_and_message(toy):
    toy.write(b"BOGUS\n")
    assert toy.status_byte() & 0x04
    toy.write(b"*IDN?\n")
    assert toy.status_byte() & 0x10


def test_binary_block_round_trip_with_terminators_inside(toy):
    payload = bytes(range(256)) + b"\n\r\n;,\"'#"
    toy.write(b"TRAC:DATA " + definite_block(payload) + b"\n")
    assert toy.settings["blob"] == payload
    reply = ask(toy, "TRAC:DATA?\n")
    assert reply.endswith(b"\n")
    got, end = parse_block(reply, 0)
    assert got == payload and end == len(reply) - 1


def test_string_parameters_and_splitting():
    assert split_units(b"A 'x;y';B") == [b"A 'x;y'", b"B"]
    tokens, blocks = split_params(b"1, 'a,b', #13abc")
    assert tokens == ["1", "'a,b'", "#BLOCK0"] and blocks == [b"abc"]
    assert String().parse("'it''s'") == "it's"
    with pytest.raises(ScpiError):
        String().parse("bare")


@pytest.mark.parametrize("token, unit, value", [
    ("1e-3", None, 1e-3), ("5 us", "S", 5e-6), ("2MA", "A", 2e-3), ("3 kHz", "HZ", 3e3), ("5MHZ", "HZ", 5e6), ("1 mohm", "OHM", 1e6), ("-.5", None, -0.5)])
def test_parse_number_units(token, unit, value):
    assert parse_number(token, unit) == pytest.approx(value)


def test_every_command_costs_virtual_time(toy):
    t0 = toy.world.now
    ask(toy, "*IDN?\n")
    assert toy.world.now - t0 >= Toy.BUS_TIME_PER_TRANSFER * 2 + Toy.COMMAND_TIME


def test_infinite_and_nan_numbers():
    assert Numeric().parse("INF") == math.inf
    with pytest.raises(ScpiError) as exc:
        Numeric(0, 1).parse("INF")
    assert exc.value.code == -222


def test_common_command_after_root_colon_and_cls_hook(toy):
    seen = []
    toy.on_cls = lambda: seen.append(True)
    toy.write(b"BOGUS\n")
    ask(toy, "*RST;:*CLS\n")
    assert seen == [True]
    assert errors(toy) == []


def test_scpi_status_registers_read_clear_preset_and_cls():
    from spinbench.sim_backend.scpi import clear_status_registers, status_preset_command, status_register_commands

    class WithStatus(Toy):
        COMMANDS = [*Toy.COMMANDS, *status_register_commands("MEASurement", lambda d: d.meas_cond),
                    *status_register_commands("OPERation"), *status_register_commands("QUEStionable"),
                    status_preset_command()]

        def reset(self):
            super().reset()
            self.meas_event = self.oper_event = self.ques_event = 0
            self.meas_enable = self.oper_enable = self.ques_enable = 0
            self.meas_cond = 0

        def on_cls(self):
            clear_status_registers(self)

    dev = WithStatus(SimWorld(make_device("sot_hallbar_spine"), seed=1), "GPIB0::2::INSTR")
    dev.meas_event, dev.meas_cond, dev.oper_event = 0b1010, 0b1000, 4
    assert ask(dev, "STAT:MEAS?;MEAS:COND?\n") == b"10;8\n"
    assert ask(dev, "STAT:MEAS:EVEN?\n") == b"0\n"            # reading cleared it
    ask(dev, "STAT:OPER:ENAB 512;:STAT:QUES:ENAB 7\n")
    assert (dev.oper_enable, dev.ques_enable) == (512, 7)
    ask(dev, "STAT:PRES\n")
    assert (dev.oper_enable, dev.ques_enable) == (0, 0)
    ask(dev, "*CLS\n")
    assert dev.oper_event == 0 and errors(dev) == []


def test_a_repeated_message_is_executed_afresh_each_time(toy):
    """The engine remembers how a message parses, never what it did: a repeated query answers
    the present state, a repeated bad unit queues its error every time, and a bytearray write
    is the same message as the bytes."""
    assert ask(toy, "SOUR:CURR?;CURR:COMP?\n") == b"0.000000E+00;1.000000E+01\n"
    ask(toy, "SOUR:CURR 2e-3;CURR:COMP 20\n")
    assert ask(toy, "SOUR:CURR?;CURR:COMP?\n") == b"2.000000E-03;2.000000E+01\n"
    assert ask(toy, bytearray(b"SOUR:CURR?;CURR:COMP?\n")) == b"2.000000E-03;2.000000E+01\n"
    for _ in range(3):
        ask(toy, "BOGUS;CURR 1e-3\n")
    assert toy.settings["curr"] == 2e-3
    assert errors(toy) == [-113, -113, -113]
    for _ in range(2):
        ask(toy, "SOUR:CURR 1;CURR:COMP 30\n")          # 1 A is out of range: -222, the rest runs
    assert toy.settings["curr"] == 2e-3 and toy.settings["comp"] == 30.0
    assert errors(toy) == [-222, -222]
