"""``spinbench serve``: a simulated bench as raw-socket SCPI servers on 127.0.0.1 (issue 16),
driven with pyvisa's pure-Python ``@py`` backend from other processes: one bench, one
magnetization for every client, a clean stop on SIGTERM."""
from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import textwrap

import pytest
import pyvisa

from spinbench.sim_backend.server import BenchServer, message_end
from spinbench.sim_backend.server import main as server_main

pytest.importorskip("pyvisa_py")


def test_a_message_ends_at_its_newline_but_not_inside_a_block():
    assert message_end(b"VOLT 1\n") == 6
    assert message_end(b"VOLT 1") == -1
    block = b"DATA #15a\nb\nc\n"                      # '#1' '5' then 5 bytes holding newlines
    assert message_end(block) == len(block) - 1
    assert message_end(b"DATA #15a\nb") == -1           # the block is not complete yet


def _start(bench="sot-hallbar"):
    proc = subprocess.Popen([sys.executable, "-m", "spinbench.protocols.cli", "serve", bench,
                             "--port", "0", "--clock", "virtual"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ports, lines = {}, []
    for line in proc.stdout:
        lines.append(line)
        m = re.match(r"\s*(TCPIP0::127\.0\.0\.1::\d+::SOCKET)\s+(\S+)", line)
        if m:
            ports[m.group(2)] = m.group(1)
        if line.startswith("ready"):
            return proc, ports
    proc.kill()
    raise AssertionError("server did not start: " + "".join(lines) + proc.stderr.read())


CLIENT = textwrap.dedent("""
    import sys, pyvisa
    rm = pyvisa.ResourceManager("@py")
    src = rm.open_resource(sys.argv[1], read_termination="\\n", write_termination="\\n")
    nvm = rm.open_resource(sys.argv[2], read_termination="\\n", write_termination="\\n")
    src.write("SOUR:CURR 1E-4;:OUTP ON")
    print(float(nvm.query(":SENS:CHAN 1;:SENS:VOLT:NPLC 1;:READ?")))
    src.write("OUTP OFF")
    rm.close()
""")


def test_two_processes_drive_one_bench_over_raw_sockets():
    server, ports = _start()
    try:
        assert {"GPIB0::12::INSTR", "GPIB0::7::INSTR", "GPIB0::5::INSTR", "ASRL3::INSTR"} <= set(ports)
        rm = pyvisa.ResourceManager("@py")
        src = rm.open_resource(ports["GPIB0::12::INSTR"], read_termination="\n", write_termination="\n")
        nvm = rm.open_resource(ports["GPIB0::7::INSTR"], read_termination="\n", write_termination="\n")
        mag = rm.open_resource(ports["GPIB0::5::INSTR"], read_termination="\n", write_termination="\n")
        gauss = rm.open_resource(ports["ASRL3::INSTR"], read_termination="\r\n", write_termination="\r\n")
        assert "MODEL 6221" in src.query("*IDN?") and "MODEL425" in gauss.query("*IDN?")
        src.write("SOUR:CURR 1E-4;:OUTP ON")
        up = float(nvm.query(":SENS:CHAN 1;:SENS:VOLT:NPLC 1;:READ?"))
        src.write("OUTP OFF")
        assert up > 0                                           # m_z up: positive anomalous Hall
        mag.write("FUNC:MODE CURR;CURR -5;OUTP ON")             # -0.1 T: switch the magnet down
        for target in (-5.0, 0.0):
            for _ in range(2000):
                if abs(float(mag.query("MEAS:CURR?")) - target) < 5e-3:
                    break
            else:
                raise AssertionError(f"coil did not reach {target} A")
            mag.write("CURR 0")
        # a second process, another client of the same bench, sees the switched magnet
        other = subprocess.run([sys.executable, "-c", CLIENT, ports["GPIB0::12::INSTR"],
                                ports["GPIB0::7::INSTR"]], capture_output=True, text=True, timeout=60)
        assert other.returncode == 0, other.stderr
        down = float(other.stdout.strip().splitlines()[-1])
        assert down < 0 and abs(down + up) < 0.1 * up           # -R_AHE I: the same device, flipped
        # and its writes reach this one: the source it left on is off for every client
        assert int(src.query("OUTP?")) == 0
        rm.close()
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=20)
    assert server.returncode == 0, err
    assert "stopped" in out


def test_an_unknown_bench_is_refused_with_the_known_names(capsys):
    assert server_main(["no-such-bench", "--port", "0"]) == 2
    assert "sot-hallbar" in capsys.readouterr().err


def test_a_busy_port_is_refused_with_a_hint():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(OSError, match="--port 0"):
            BenchServer("sot-hallbar", port=port)
