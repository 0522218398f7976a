"""The ``@spinbench`` VISA library: pyvisa, pymeasure and qcodes talking to emulators."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import pyvisa
from pyvisa import constants
from pyvisa.constants import StatusCode
from pyvisa.errors import VisaIOError

import spinbench.sim_backend.emulators as emulators_pkg
from spinbench.sim_backend.scpi import Cmd, Emulator, Numeric, definite_block, setting, system_error_commands

#: a payload whose binary block holds LF and CR bytes (and every other byte value)
BLOB = bytes(range(256)) * 3


class EchoEmulator(Emulator):
    """A tiny SCPI instrument: a numeric setting, a binary trace and a random reading."""

    IDN = "ACME,ECHO-1,4242,1.0"
    COMMANDS = [
        setting("[SOURce]:VOLTage[:LEVel]", "volt", Numeric(-10, 10, default=0.0, unit="V")),
        Cmd("TRACe:DATA", query=lambda d, a: definite_block(BLOB)),
        Cmd("MEASure:NOISe", query=lambda d, a: float(d.world.rng.standard_normal())),
        *system_error_commands(),
    ]

    def reset(self) -> None:
        self.settings["volt"] = 0.0


class SerialEchoEmulator(EchoEmulator):
    IDN = "ACME,SERIAL-2,77,2.0"
    TERMINATOR = b"\r\n"


BENCH_YAML = """\
name: toy
description: test bench for the VISA library
instruments:
  source: {driver: none, address: "GPIB0::12::INSTR"}
sim:
  seed: 5
  device: {model: sot_hallbar_spine, params: {}}
  instruments:
    GPIB0::12::INSTR: {model: echo}
    GPIB0::7::INSTR: {model: echo}
    "USB0::0x05E6::0x2450::04096331::INSTR": {model: echo}
    ASRL3::INSTR: {model: serial_echo}
"""


@pytest.fixture
def bench_path(tmp_path, monkeypatch) -> Path:
    monkeypatch.setitem(emulators_pkg.EMULATORS, "echo", f"{__name__}:EchoEmulator")
    monkeypatch.setitem(emulators_pkg.EMULATORS, "serial_echo", f"{__name__}:SerialEchoEmulator")
    path = tmp_path / "toy.yaml"
    path.write_text(BENCH_YAML)
    return path


@pytest.fixture
def rm(bench_path):
    manager = pyvisa.ResourceManager(f"{bench_path}@spinbench")
    yield manager
    manager.close()


def errors_of(inst) -> list[int]:
    out = []
    while True:
        code = int(inst.query("SYST:ERR?").split(",")[0])
        if code == 0:
            return out
        out.append(code)


# ------------------------------------------------------------------------------ basics


def test_idn_round_trip_and_backend(rm):
    assert type(rm.visalib).__name__ == "SpinbenchVisaLibrary"
    inst = rm.open_resource("GPIB0::12::INSTR", read_termination="\n")
    assert inst.query("*IDN?") == "ACME,ECHO-1,4242,1.0"
    assert inst.last_status == StatusCode.success_termination_character_read
    assert rm.visalib.world.messages("GPIB0::12::INSTR") == ["*IDN?\r\n"]


@pytest.mark.parametrize("spelling", ["GPIB::12", "GPIB0::12", "gpib0::12::INSTR", "GPIB0::12::INSTR", "source"])
def test_any_spelling_opens_the_canonical_resource(rm, spelling):
    inst = rm.open_resource(spelling)
    assert inst.resource_name == "GPIB0::12::INSTR"
    assert inst.interface_type == constants.InterfaceType.gpib
    assert inst.primary_address == 12
    assert inst.query("*IDN?").startswith("ACME,ECHO-1")


def test_resource_info_for_pymeasure_and_qcodes(rm):
    info = rm.resource_info("USB0::0x05E6::0x2450::04096331::INSTR")
    assert info.interface_type == constants.InterfaceType.usb
    assert info.interface_board_number == 0
    assert info.resource_class == "INSTR"
    assert info.resource_name == "USB0::0x05E6::0x2450::04096331::0::INSTR"
    assert rm.resource_info("ASRL3::INSTR").interface_board_number == 3
    assert rm.resource_info("source").alias == "source"
    lower = rm.resource_info("usb0::0x5e6::0x2450::04096331::instr")
    assert lower.resource_name == "USB0::0x05E6::0x2450::04096331::0::INSTR"
    plain, status = rm.visalib.parse_resource(rm.session, "GPIB::7")
    assert status == StatusCode.success and plain.resource_class is None


def test_list_resources_with_filters(rm):
    everything = set(rm.list_resources())
    assert everything == {"GPIB0::12::INSTR", "GPIB0::7::INSTR", "ASRL3::INSTR",
                          "USB0::0x05E6::0x2450::04096331::0::INSTR"}
    assert set(rm.list_resources("GPIB?*")) == {"GPIB0::12::INSTR", "GPIB0::7::INSTR"}
    assert rm.list_resources("ASRL?*::INSTR") == ("ASRL3::INSTR",)
    assert rm.list_resources("?*0x2450?*") == ("USB0::0x05E6::0x2450::04096331::0::INSTR",)
    assert set(rm.list_resources("(ASRL|USB)?*")) == {"ASRL3::INSTR", "USB0::0x05E6::0x2450::04096331::0::INSTR"}
    with pytest.raises(VisaIOError) as err:
        rm.list_resources("TCPIP?*")
    assert err.value.error_code == StatusCode.error_resource_not_found


def test_unknown_resource_error_names_it(rm):
    with pytest.raises(VisaIOError) as err:
        rm.open_resource("GPIB0::22::INSTR")
    assert err.value.error_code == StatusCode.error_resource_not_found
    assert "GPIB0::22::INSTR" in str(err.value) and "GPIB0::12::INSTR" in str(err.value)


def test_unknown_bench_fails_at_resource_manager():
    with pytest.raises(Exception, match="unknown sim bench 'no-such-bench'"):
        pyvisa.ResourceManager("no-such-bench@spinbench")


# ------------------------------------------------------------------------------ reads


def test_read_ends_at_end_without_termchar(rm):
    inst = rm.open_resource("GPIB0::12::INSTR")  # read_termination None: END only
    inst.write("*IDN?")
    assert inst.read_raw() == b"ACME,ECHO-1,4242,1.0\n"
    assert inst.last_status == StatusCode.success


def test_byte_count_reads(rm):
    inst = rm.open_resource("GPIB0::12::INSTR")
    inst.write("*IDN?")
    assert inst.read_bytes(4) == b"ACME"
    assert inst.last_status == StatusCode.success_max_count_read
    with inst.ignore_warning(StatusCode.success_max_count_read):
        data, status = rm.visalib.read(inst.session, 6)
    assert (data, status) == (b",ECHO-", StatusCode.success_max_count_read)
    assert inst.read_raw() == b"1,4242,1.0\n"
    assert inst.last_status == StatusCode.success


def test_termchar_stops_a_read_before_the_count(rm):
    inst = rm.open_resource("GPIB0::12::INSTR")
    inst.set_visa_attribute(constants.ResourceAttribute.termchar, ord(","))
    inst.set_visa_attribute(constants.ResourceAttribute.termchar_enabled, True)
    inst.write("*IDN?")
    assert rm.visalib.read(inst.session, 100) == (b"ACME,", StatusCode.success_termination_character_read)
    inst.set_visa_attribute(constants.ResourceAttribute.termchar_enabled, False)
    assert rm.visalib.read(inst.session, 100) == (b"ECHO-1,4242,1.0\n", StatusCode.success)


@pytest.mark.parametrize("termination", ["\n", None])
def test_binary_block_with_lf_and_cr_survives(rm, termination):
    inst = rm.open_resource("GPIB0::12::INSTR", read_termination=termination)
    values = inst.query_binary_values("TRAC:DATA?", datatype="B", container=bytes)
    assert values == BLOB
    assert inst.query("*IDN?").strip() == "ACME,ECHO-1,4242,1.0"  # nothing left over


def test_read_with_nothing_pending_raises_at_once(rm):
    inst = rm.open_resource("GPIB0::12::INSTR", read_termination="\n", timeout=5000)
    t0 = time.perf_counter()
    with pytest.raises(VisaIOError) as err:
        inst.read()
    assert time.perf_counter() - t0 < 2.5         # not the 5 s timeout waited out (load-proof margin)
    assert err.value.error_code == StatusCode.error_timeout
    assert "no response pending" in str(err.value)
    assert errors_of(inst) == [-420]


def test_serial_line_has_no_end(rm):
    inst = rm.open_resource("ASRL3::INSTR", baud_rate=57600, data_bits=7,
                            parity=constants.Parity.odd, stop_bits=constants.StopBits.one,
                            flow_control=constants.ControlFlow.none,
                            read_termination="\r\n", write_termination="\r\n")
    assert (inst.baud_rate, inst.data_bits, inst.parity) == (57600, 7, constants.Parity.odd)
    assert inst.query("*IDN?") == "ACME,SERIAL-2,77,2.0"
    # END_IN = termchar is how a serial read ends; with END_IN none and no termchar a read of a
    # whole response finds no end and times out (as on a real serial line) -- at once.
    inst.read_termination = None
    inst.end_input = constants.SerialTermination.none
    inst.write("*IDN?")
    with pytest.raises(VisaIOError) as err:
        inst.read_raw()
    assert err.value.error_code == StatusCode.error_timeout
    # the instrument does not see a serial read: nothing pending -> timeout, no -420 queued
    inst.end_input = constants.SerialTermination.termination_char
    inst.read_termination = "\r\n"
    with pytest.raises(VisaIOError):
        inst.read()
    assert errors_of(inst) == []


def test_serial_end_out_termchar_appends_the_terminator(rm):
    inst = rm.open_resource("ASRL3::INSTR", write_termination="", read_termination="\n")
    inst.end_output = constants.SerialTermination.termination_char
    assert inst.query("*IDN?") == "ACME,SERIAL-2,77,2.0\r"
    assert rm.visalib.world.messages("ASRL3::INSTR")[-1] == "*IDN?\n"


def test_message_without_end_waits_for_its_rest(rm):
    inst = rm.open_resource("GPIB0::12::INSTR", write_termination="", read_termination="\n")
    inst.send_end = False
    inst.write("*ID")
    assert inst.stb & 0x10 == 0  # nothing executed yet: no message available
    inst.send_end = True
    assert inst.query("N?") == "ACME,ECHO-1,4242,1.0"


def test_clear_discards_a_pending_response(rm):
    inst = rm.open_resource("GPIB0::12::INSTR", read_termination="\n")
    inst.write("*IDN?")
    assert inst.read_stb() & 0x10  # MAV
    inst.clear()
    assert inst.read_stb() & 0x10 == 0
    with pytest.raises(VisaIOError):
        inst.read()


def test_flush_empties_a_serial_receive_buffer(rm):
    inst = rm.open_resource("ASRL3::INSTR", read_termination="\r\n")
    inst.write("*IDN?")
    assert inst.bytes_in_buffer == len(b"ACME,SERIAL-2,77,2.0\r\n")
    inst.flush(constants.BufferOperation.discard_read_buffer | constants.BufferOperation.discard_receive_buffer)
    assert inst.bytes_in_buffer == 0


def test_trigger_and_ren(rm):
    inst = rm.open_resource("GPIB0::12::INSTR")
    inst.assert_trigger()
    inst.control_ren(constants.RENLineOperation.asrt_address)
    assert rm.visalib.world.messages("GPIB0::12::INSTR") == ["<GET>"]


def test_attributes_have_defaults_and_roundtrip(rm):
    inst = rm.open_resource("USB0::0x05E6::0x2450::04096331::INSTR")
    assert inst.timeout == 2000
    inst.timeout = 7500
    assert inst.timeout == 7500
    inst.timeout = None
    assert inst.timeout == float("inf")
    assert inst.send_end is True
    assert (inst.manufacturer_id, inst.model_code, inst.serial_number) == (0x05E6, 0x2450, "04096331")
    assert (inst.manufacturer_name, inst.model_name) == ("ACME", "ECHO-1")
    assert inst.resource_class == "INSTR"
    with pytest.raises(VisaIOError) as err:
        inst.set_visa_attribute(constants.ResourceAttribute.resource_name, "x")
    assert err.value.error_code == StatusCode.error_attribute_read_only


def test_user_data_reseeds_the_world(rm):
    a = rm.open_resource("GPIB0::12::INSTR", read_termination="\n")
    b = rm.open_resource("GPIB0::7::INSTR", read_termination="\n")
    a.set_visa_attribute(constants.ResourceAttribute.user_data, 3)
    first = [float(a.query("MEAS:NOIS?")) for _ in range(3)]
    b.set_visa_attribute(constants.ResourceAttribute.user_data, 4)
    b.set_visa_attribute(constants.ResourceAttribute.user_data, 3)  # back to step 3: same draws
    assert [float(a.query("MEAS:NOIS?")) for _ in range(3)] == first
    b.set_visa_attribute(constants.ResourceAttribute.user_data, 4)
    assert [float(a.query("MEAS:NOIS?")) for _ in range(3)] != first
    assert rm.visalib.world.rng.bit_generator.seed_seq.entropy == [5, 4]


def test_locks_exclusive_and_shared(rm):
    a = rm.open_resource("GPIB0::12::INSTR", read_termination="\n")
    b = rm.open_resource("GPIB0::12::INSTR", read_termination="\n")
    a.lock_excl()
    with pytest.raises(VisaIOError) as err:
        b.write("*IDN?")
    assert err.value.error_code == StatusCode.error_resource_locked
    with pytest.raises(VisaIOError) as err:
        b.lock_excl(timeout=0)
    assert err.value.error_code == StatusCode.error_timeout
    assert a.lock_state == constants.AccessModes.exclusive_lock
    assert a.query("*IDN?").startswith("ACME")
    a.unlock()
    key = a.lock(requested_key="plot")
    assert key == "plot"
    assert b.lock(requested_key=key) == "plot"
    assert b.query("*IDN?").startswith("ACME")
    c = rm.open_resource("GPIB0::12::INSTR")
    with pytest.raises(VisaIOError):
        c.write("*IDN?")
    a.unlock()
    b.unlock()
    assert c.query("*IDN?").startswith("ACME")
    with pytest.raises(VisaIOError) as err:
        c.unlock()
    assert err.value.error_code == StatusCode.error_session_not_locked


def test_exclusive_lock_waits_for_release_in_another_thread(rm):
    a = rm.open_resource("GPIB0::12::INSTR")
    b = rm.open_resource("GPIB0::12::INSTR")
    a.lock_excl()
    threading.Timer(0.05, a.unlock).start()
    t0 = time.perf_counter()
    b.lock_excl(timeout=2000)
    assert 0.03 < time.perf_counter() - t0 < 1.9     # waited for the release, not for the 2 s timeout
    b.unlock()


def test_open_with_exclusive_access_mode(rm):
    a = rm.open_resource("GPIB0::7::INSTR", access_mode=constants.AccessModes.exclusive_lock)
    b = rm.open_resource("GPIB0::7::INSTR")
    with pytest.raises(VisaIOError):
        b.query("*IDN?")
    a.close()  # closing releases the lock
    assert b.query("*IDN?").startswith("ACME")


def test_service_request_event(rm):
    inst = rm.open_resource("GPIB0::12::INSTR", read_termination="\n")
    inst.enable_event(constants.EventType.service_request, constants.EventMechanism.queue)
    with pytest.raises(VisaIOError):  # no SRQ can come: at once, not after the timeout
        inst.wait_on_event(constants.EventType.service_request, 5000)
    inst.write("*SRE 16")  # request service when a message is available
    inst.write("*IDN?")
    response = inst.wait_on_event(constants.EventType.service_request, 5000)
    assert response.event.event_type == constants.EventType.service_request
    assert inst.read().startswith("ACME")
    inst.disable_event(constants.EventType.service_request, constants.EventMechanism.queue)


def test_threads_on_two_instruments_do_not_interleave(rm):
    insts = [rm.open_resource(a, read_termination="\n") for a in ("GPIB0::12::INSTR", "GPIB0::7::INSTR")]
    failures = []

    def hammer(inst, volts):
        for k in range(300):
            inst.write(f"VOLT {volts}")
            got = float(inst.query("VOLT?"))
            if got != volts:
                failures.append((inst.resource_name, k, got))

    threads = [threading.Thread(target=hammer, args=(i, v)) for i, v in zip(insts, (1.5, -2.5))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert all(errors_of(i) == [] for i in insts)


# ------------------------------------------------------------------------------ world lifetime


def test_resource_managers_of_one_bench_share_one_world(bench_path):
    rm1 = pyvisa.ResourceManager(f"{bench_path}@spinbench")
    # another spelling of the same file is another pyvisa library instance, same bench
    other = os.path.join(str(bench_path.parent), ".", bench_path.name)
    rm2 = pyvisa.ResourceManager(f"{other}@spinbench")
    assert rm1.visalib is not rm2.visalib
    assert rm1.visalib.world is rm2.visalib.world
    a = rm1.open_resource("GPIB0::12::INSTR", read_termination="\n")
    b = rm2.open_resource("GPIB::12", read_termination="\n")
    a.write("VOLT 2.5")
    assert float(b.query("VOLT?")) == 2.5
    # a second resource-manager session of the same library (what a second VISA RM is)
    session, _ = rm1.visalib.open_default_resource_manager()
    rm1.visalib.close(session)
    assert float(a.query("VOLT?")) == 2.5
    rm1.close()
    world = rm2.visalib.world
    assert float(b.query("VOLT?")) == 2.5  # rm2 still open: the world lives on
    rm2.close()
    rm3 = pyvisa.ResourceManager(f"{bench_path}@spinbench")
    assert rm3.visalib.world is world  # every resource manager closed: the bench stays as it is
    c = rm3.open_resource("GPIB0::12::INSTR", read_termination="\n")
    assert float(c.query("VOLT?")) == 2.5
    rm3.close()
    # a client asking for a fresh bench while nobody else uses it gets the file's state
    rm4 = pyvisa.ResourceManager(f"{bench_path}?fresh=1@spinbench")
    assert rm4.visalib.world is not world
    assert float(rm4.open_resource("GPIB0::12::INSTR", read_termination="\n").query("VOLT?")) == 0.0
    rm4.close()


def test_reset_gives_open_sessions_a_fresh_world(rm):
    inst = rm.open_resource("GPIB0::12::INSTR", read_termination="\n")
    inst.write("VOLT 1")
    world = rm.visalib.world
    rm.visalib.reset()
    assert rm.visalib.world is not world
    assert float(inst.query("VOLT?")) == 0.0


def test_closing_the_resource_manager_closes_its_sessions(rm):
    session, _ = rm.open_bare_resource("GPIB0::12::INSTR")
    rm.close()
    with pytest.raises(VisaIOError):
        rm.visalib.write(session, b"*IDN?\n")


def test_pyvisa_library_environment_variable(bench_path):
    script = textwrap.dedent(f"""
        import spinbench.sim_backend.emulators as e
        e.EMULATORS["echo"] = "{__name__}:EchoEmulator"
        e.EMULATORS["serial_echo"] = "{__name__}:SerialEchoEmulator"
        import pyvisa
        rm = pyvisa.ResourceManager()
        print(type(rm.visalib).__name__, rm.open_resource("GPIB::12", read_termination="\\n").query("*IDN?"))
    """)
    env = dict(os.environ, PYVISA_LIBRARY=f"{bench_path}@spinbench")
    here = Path(__file__).resolve()
    env["PYTHONPATH"] = os.pathsep.join([str(here.parents[2]), str(here.parent), env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "SpinbenchVisaLibrary ACME,ECHO-1,4242,1.0"


# ------------------------------------------------------------------------------ drivers


def test_pymeasure_instrument_over_spinbench(bench_path):
    from pymeasure.adapters import VISAAdapter
    from pymeasure.instruments import Instrument

    class Echo(Instrument):
        identity = Instrument.measurement("*IDN?", "Identity fields.", cast=str)
        voltage = Instrument.control("VOLT?", "VOLT %g", "Voltage (V).")

        def __init__(self, adapter, **kwargs):
            super().__init__(adapter, "Echo", includeSCPI=False, **kwargs)

    spec = f"{bench_path}@spinbench"
    one = Echo(VISAAdapter("GPIB0::12::INSTR", visa_library=spec))
    two = Echo("ASRL3::INSTR", visa_library=spec, asrl={"baud_rate": 57600}, read_termination="\r\n")
    assert one.identity == ["ACME", "ECHO-1", "4242", "1.0"]
    assert two.identity == ["ACME", "SERIAL-2", "77", "2.0"]
    assert two.adapter.connection.baud_rate == 57600
    one.voltage = 3.25
    assert one.voltage == 3.25
    assert one.adapter.manager.visalib.world is two.adapter.manager.visalib.world
    one.adapter.close()
    two.adapter.close()
    one.adapter.manager.close()


def test_qcodes_instrument_over_spinbench(bench_path):
    from qcodes.instrument import VisaInstrument

    class Echo(VisaInstrument):
        default_terminator = "\n"

        def __init__(self, name, address, **kwargs):
            super().__init__(name, address, **kwargs)
            self.voltage = self.add_parameter("voltage", get_cmd="VOLT?", set_cmd="VOLT {}",
                                              get_parser=float, unit="V")

    inst = Echo("echo_vl", "USB0::0x05E6::0x2450::04096331::INSTR", visalib=f"{bench_path}@spinbench")
    try:
        assert inst.get_idn() == {"vendor": "ACME", "model": "ECHO-1", "serial": "4242", "firmware": "1.0"}
        inst.voltage(-1.5)
        assert inst.voltage() == -1.5
        inst.timeout(3.0)
        assert inst.timeout() == 3.0
    finally:
        inst.close()


# ------------------------------------------------------------------------------ built-in bench


def test_every_registered_emulator_module_exists():
    for model, target in emulators_pkg.EMULATORS.items():
        module = target.split(":")[0]
        assert importlib.util.find_spec(f"spinbench.sim_backend.emulators.{module}") is not None, model


def test_builtin_sot_hallbar_every_instrument_answers_idn():
    expected = {"GPIB0::12::INSTR": "MODEL 6221", "GPIB0::7::INSTR": "MODEL 2182A",
                "USB0::0x05E6::0x2450::04096331::0::INSTR": "MODEL 2450", "GPIB0::6::INSTR": "BOP 20-20M", "GPIB0::5::INSTR": "BOP 20-20M",
                "GPIB0::4::INSTR": "BOP 20-20M", "GPIB0::8::INSTR": "SR830",
                "ASRL3::INSTR": "MODEL425", "USB0::0x0957::0x2C07::MY12345678::0::INSTR": "33522B"}
    rm = pyvisa.ResourceManager("sot-hallbar@spinbench")
    try:
        assert set(rm.list_resources()) == set(expected)
        for name, model in expected.items():
            term = "\r\n" if name.startswith("ASRL") else "\n"
            inst = rm.open_resource(name, read_termination=term, write_termination=term)
            fields = inst.query("*IDN?").split(",")
            assert len(fields) == 4 and fields[1] == model, (name, fields)
        # the bench file's instrument names are VISA aliases
        assert rm.open_resource("smu", read_termination="\n").query("*IDN?").split(",")[1] == "MODEL 2450"
    finally:
        rm.close()
