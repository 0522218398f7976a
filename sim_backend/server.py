"""``spinbench serve BENCH``: a simulated bench as a process of raw-socket SCPI servers (issue 16).

Every emulated instrument of the bench listens on its own TCP port (``TCPIP0::<host>::<port>::SOCKET``,
the LAN "raw socket" of SCPI instruments, port 5025 by convention), so any VISA client -- pyvisa
with ``@py`` or ``@ivi``, NI-VISA, LabVIEW, MATLAB -- and several processes at once talk to one
persistent bench: one world, one clock, one magnetization.  Bound to 127.0.0.1 unless asked
otherwise (the bench has no authentication).  SIGINT/SIGTERM shut it down cleanly.

The server is one more client of the ``@spinbench`` VISA library (:mod:`sim_backend.visa_library`):
each connection is a VISA session on the bench, a message is a newline-terminated program message
(definite-length blocks may contain newlines), and whatever the instrument answers is sent back at
once.  Its clock mode (``--clock``; default the bench file's ``sim.clock``, ``sleep``) is that of
the library: in ``sleep`` mode the wall time between any two messages (from any client) longer
than 1 ms moves the bench's clock, so the clients' sleeps count.

    python -m spinbench.sim_backend.server sot-hallbar [--host 127.0.0.1] [--port 5025] [--clock sleep]
"""
from __future__ import annotations

import argparse
import selectors
import signal
import socket
import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

from pyvisa import constants

from . import benches
from .visa_library import SpinbenchVisaLibrary

#: the conventional SCPI raw-socket port; further instruments take the next ones
DEFAULT_PORT = 5025
CHUNK = 65536


def message_end(buf: bytes | bytearray, start: int = 0) -> int:
    """Index of the newline that ends the first program message in ``buf`` (skipping IEEE 488.2
    definite-length blocks ``#<n><len><bytes>``), or -1 while the message is incomplete."""
    i, n = start, len(buf)
    while i < n:
        c = buf[i]
        if c == 0x0A:
            return i
        if c == 0x23 and i + 1 < n and 0x31 <= buf[i + 1] <= 0x39:   # '#1'..'#9'
            digits = buf[i + 1] - 0x30
            head_end = i + 2 + digits
            if head_end > n:
                return -1
            try:
                length = int(bytes(buf[i + 2:head_end]))
            except ValueError:
                i += 1
                continue
            i = head_end + length
            continue
        i += 1
    return -1


@dataclass
class _Listener:
    address: str                 #: the bench's VISA address of the instrument
    sock: socket.socket
    port: int


@dataclass
class _Connection:
    sock: socket.socket
    address: str
    session: int
    inbuf: bytearray = field(default_factory=bytearray)


class BenchServer:
    """The raw-socket servers of one simulated bench (see the module docstring)."""

    def __init__(self, bench: str, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                 clock: str | None = None):
        spec = bench if clock is None else f"{bench}?clock={clock}"
        self.lib = SpinbenchVisaLibrary(spec)
        self.rm, _ = self.lib.open_default_resource_manager()
        self.host = host
        self.selector = selectors.DefaultSelector()
        self.listeners: list[_Listener] = []
        self.connections: dict[socket.socket, _Connection] = {}
        self._stop = False
        names = list(self.lib.bench.emulators)
        try:
            for k, address in enumerate(names):
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    sock.bind((host, 0 if port == 0 else port + k))
                except OSError as exc:
                    sock.close()
                    raise OSError(f"cannot listen for {address} on {host}:{port + k}: {exc} "
                                  "(another server running? --port 0 picks free ports)") from None
                sock.listen(8)
                sock.setblocking(False)
                listener = _Listener(address, sock, sock.getsockname()[1])
                self.listeners.append(listener)
                self.selector.register(sock, selectors.EVENT_READ, listener)
        except BaseException:
            self.close()
            raise

    @property
    def world(self):
        return self.lib.world

    def resources(self) -> list[tuple[str, str]]:
        """(VISA resource of the server socket, the bench's address of the instrument)."""
        return [(f"TCPIP0::{self.host}::{ln.port}::SOCKET", ln.address) for ln in self.listeners]

    def describe(self) -> str:
        aliases = {v: k for k, v in self.lib._shared.aliases().items()}
        lines = [f"spinbench serve: bench {self.lib._shared.path.stem!r}, clock {self.lib.clock_mode}"]
        for resource, address in self.resources():
            name = aliases.get(address, "")
            lines.append(f"  {resource:<36} {address}" + (f"  ({name})" if name else ""))
        return "\n".join(lines)

    # ------------------------------------------------------------------ serving
    def stop(self, *_: Any) -> None:
        """Ask the loop to end (a signal handler)."""
        self._stop = True

    def serve_forever(self, poll: float = 0.2) -> None:
        while not self._stop:
            for key, _ in self.selector.select(timeout=poll):
                if isinstance(key.data, _Listener):
                    self._accept(key.data)
                else:
                    self._receive(key.data)

    def _accept(self, listener: _Listener) -> None:
        try:
            sock, _ = listener.sock.accept()
        except BlockingIOError:
            return
        sock.setblocking(True)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        session, _ = self.lib.open(self.rm, listener.address)
        # a raw socket has no END: a message ends at its newline, replies end at theirs
        self.lib.set_attribute(session, constants.ResourceAttribute.send_end_enabled, True)
        conn = _Connection(sock, listener.address, session)
        self.connections[sock] = conn
        self.selector.register(sock, selectors.EVENT_READ, conn)

    def _receive(self, conn: _Connection) -> None:
        try:
            data = conn.sock.recv(CHUNK)
        except (ConnectionError, OSError):
            data = b""
        if not data:
            self._drop(conn)
            return
        conn.inbuf += data
        while True:
            end = message_end(conn.inbuf)
            if end < 0:
                return
            message = bytes(conn.inbuf[:end + 1])
            del conn.inbuf[:end + 1]
            if not message.strip():
                continue
            try:
                self._execute(conn, message)
            except (ConnectionError, OSError):
                self._drop(conn)
                return

    def _execute(self, conn: _Connection, message: bytes) -> None:
        lib = self.lib
        lib.write(conn.session, message)
        emu = lib._sessions[conn.session].emu
        out = bytearray()
        while emu.pending():
            chunk, _ = lib.read(conn.session, CHUNK)
            out += chunk
        if out:
            conn.sock.sendall(bytes(out))

    def _drop(self, conn: _Connection) -> None:
        self.connections.pop(conn.sock, None)
        try:
            self.selector.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.sock.close()
        self.lib.close(conn.session)          # the instrument keeps its state

    def close(self) -> None:
        for conn in list(self.connections.values()):
            self._drop(conn)
        for ln in self.listeners:
            try:
                self.selector.unregister(ln.sock)
            except (KeyError, ValueError):
                pass
            ln.sock.close()
        self.listeners = []
        self.selector.close()
        if self.rm in self.lib._rm_sessions:
            self.lib.close(self.rm)


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="spinbench serve", description=(
        "Serve a simulated bench: every instrument a raw-socket SCPI server "
        "(TCPIP0::<host>::<port>::SOCKET) for any VISA client and several processes at once."))
    parser.add_argument("bench", help="built-in sim bench name or bench YAML file")
    parser.add_argument("--host", default="127.0.0.1",
                        help="interface to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"first port (default {DEFAULT_PORT}; the next instruments take the "
                             "next ports; 0: free ports chosen by the system)")
    parser.add_argument("--clock", choices=("virtual", "sleep", "wall"), default=None,
                        help="how the clients' waiting counts (default: the bench file's sim.clock)")
    args = parser.parse_args(argv)
    try:
        server = BenchServer(args.bench, args.host, args.port, args.clock)
    except (benches.SimBenchError, OSError, ValueError) as exc:
        print(f"spinbench serve: {exc}", file=sys.stderr)
        return 2
    previous = {sig: signal.signal(sig, server.stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(server.describe(), file=out)
        print("ready (Ctrl-C or SIGTERM to stop)", file=out, flush=True)
        server.serve_forever()
    finally:
        server.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        print("spinbench serve: stopped", file=out, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
