"""Shared helpers for the emulator tests: byte-level exchanges and a Hall-bar bench whose device
is the simple analytic spine model, so instrument behaviour is tested against closed-form
voltages and thresholds (the physics presets have their own tests in tests/sim_backend/physics).
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import yaml

from spinbench.sim_backend import benches


def _spine_bench() -> Path:
    spec = yaml.safe_load((benches.builtin_dir() / "sot-hallbar.yaml").read_text())
    spec["name"] = "spine-hallbar"
    spec["sim"]["device"] = {"model": "sot_hallbar_spine", "params": {}}
    # the spine model's coercive field (20 mT) sits well inside the x/z magnets' range
    folder = Path(tempfile.mkdtemp(prefix="spinbench-emu-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "spine-hallbar.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


#: the sot-hallbar instruments and wiring with the spine device model
SPINE_BENCH = str(_spine_bench())
#: its pyvisa library string
SPINE_LIB = f"{SPINE_BENCH}@spinbench"


def spine_bench_copy(folder: Path) -> Path:
    """A fresh copy of :data:`SPINE_BENCH` (a path of its own: a world of its own over VISA)."""
    path = Path(folder) / "spine-hallbar.yaml"
    shutil.copy(SPINE_BENCH, path)
    return path


def exchange(emu, text: str | bytes, terminator: bytes = b"\n") -> bytes:
    """Write one message to an emulator and read its whole response (until END)."""
    data = text if isinstance(text, bytes) else text.encode()
    emu.write(data + terminator)
    out = b""
    while True:
        chunk, end = emu.read(1 << 20)
        out += chunk
        if end or not chunk:
            return out


def ask(emu, text: str | bytes) -> str:
    """:func:`exchange`, decoded and stripped."""
    return exchange(emu, text).decode("latin-1").strip()


def scpi_errors(emu) -> list[int]:
    """Drain ``SYST:ERR?``: the codes in the queue, oldest first."""
    codes = []
    while True:
        code = int(ask(emu, "SYST:ERR?").split(",")[0])
        if code == 0:
            return codes
        codes.append(code)


def open_lf(rm, name: str):
    """A message-based pyvisa resource with LF read and write termination."""
    return rm.open_resource(name, read_termination="\n", write_termination="\n")


def settle_coil(bop, amps: float, tolerance: float = 2e-3, max_polls: int = 10_000) -> None:
    """Drive a Kepco BOP emulator to ``amps`` in current mode and poll ``MEAS:CURR?`` until the
    coil has slewed there (virtual time passes with each poll); fail rather than hang."""
    ask(bop, f"FUNC:MODE CURR;CURR {amps};OUTP ON")
    for _ in range(max_polls):
        if abs(float(ask(bop, "MEAS:CURR?")) - amps) <= tolerance:
            return
    raise AssertionError(f"coil current did not reach {amps} A in {max_polls} polls")
