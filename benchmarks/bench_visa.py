"""Per-query overhead of the ``@spinbench`` VISA library against pyvisa-sim, measured in one run.

Layers, each answering ``*IDN?`` through a GPIB resource:

* the emulator alone (``emu.write(b"*IDN?\\n"); emu.read(...)``, no VISA);
* a raw pyvisa ``query("*IDN?")``;
* a pymeasure ``Instrument.measurement("*IDN?")`` property read;
* a qcodes parameter ``get`` (``get_cmd="*IDN?"``);

on ``<bench>@spinbench`` and, as the peer, on pyvisa-sim's YAML backend (``<file>@sim``) with a
device that answers the same query.  Prints median and minimum microseconds per query and the
ratio spinbench / pyvisa-sim.  The spinbench world holds the physics ``sot_hallbar`` device
(issue 7's bench); bus and parsing time change no drive, so the world banks it
(``SimWorld.idle``) and a query integrates nothing.  Targets (issue 7): raw pyvisa query >= 2x
faster than pyvisa-sim, pymeasure property read and qcodes get >= 1.5x faster.

    python benchmarks/bench_visa.py [-n 20000] [--profile]
"""
from __future__ import annotations

import argparse
import gc
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pyvisa  # noqa: E402

from spinbench.sim_backend import emulators as emulators_pkg  # noqa: E402
from spinbench.sim_backend.scpi import Emulator  # noqa: E402

ADDRESS = "GPIB0::12::INSTR"
IDN = "SPINBENCH,BENCH-EMULATOR,1,1.0"


class IdnEmulator(Emulator):
    """Only the IEEE 488.2 common commands: what every emulator answers ``*IDN?`` with."""

    IDN = IDN


SPINBENCH_YAML = f"""\
name: bench-visa
sim:
  seed: 1
  device: {{model: sot_hallbar, params: {{}}}}
  instruments:
    {ADDRESS}: {{model: bench_idn}}
"""

PYVISA_SIM_YAML = f"""\
spec: "1.1"
devices:
  idn:
    eom:
      GPIB INSTR:
        q: "\\n"
        r: "\\n"
    error: ERROR
    dialogues:
      - q: "*IDN?"
        r: "{IDN}"
resources:
  {ADDRESS}:
    device: idn
"""


class StaticDevice:
    """A device with no physics: isolates the VISA library and SCPI engine from the device model."""

    ports = ("channel", "hall", "xx")

    def evolve(self, dt, drive, rng) -> None:
        pass

    def voltage(self, port, drive) -> float:
        return 0.0

    def resistance(self, port) -> float:
        return 1e3

    def state(self) -> dict:
        return {}


def make_static(world) -> None:
    world.device = StaticDevice()


def timed(fns: list, n: int, block: int = 500) -> list[tuple[float, float]]:
    """Median and minimum of ``n`` calls of each function, in microseconds.

    The functions are measured in interleaved blocks, so a machine busy with something else
    slows all of them alike and the ratios stay fair.
    """
    for fn in fns:  # warm-up
        for _ in range(min(n // 10, 1000)):
            fn()
    clock = time.perf_counter_ns
    samples: list[list[int]] = [[] for _ in fns]
    gc.disable()
    try:
        done = 0
        while done < n:
            k = min(block, n - done)
            for fn, out in zip(fns, samples):
                append = out.append
                for _ in range(k):
                    t0 = clock()
                    fn()
                    append(clock() - t0)
            done += k
    finally:
        gc.enable()
    return [(statistics.median(s) / 1e3, min(s) / 1e3) for s in samples]


def emulator_alone(bench_file: Path):
    from spinbench.sim_backend.benches import build

    bench = build(str(bench_file))
    if "static" in bench_file.name:
        make_static(bench.world)
    emu = bench.emulators[ADDRESS]

    def query():
        emu.write(b"*IDN?\n")
        data, end = emu.read(20480)
        assert end and data == b"SPINBENCH,BENCH-EMULATOR,1,1.0\n"

    return query


def static_world(spec: str, rm) -> None:
    if spec.endswith("@spinbench") and "static" in spec:
        make_static(rm.visalib.world)


def raw_pyvisa(spec: str):
    rm = pyvisa.ResourceManager(spec)
    inst = rm.open_resource(ADDRESS, read_termination="\n", write_termination="\n")
    static_world(spec, rm)

    def query():
        assert inst.query("*IDN?") == IDN

    return query


def pymeasure_property(spec: str):
    from pymeasure.instruments import Instrument

    class Idn(Instrument):
        identity = Instrument.measurement("*IDN?", "Identification fields.", cast=str)

        def __init__(self, adapter, **kwargs):
            super().__init__(adapter, "bench", includeSCPI=False, **kwargs)

    inst = Idn(ADDRESS, visa_library=spec, read_termination="\n", write_termination="\n")
    static_world(spec, inst.adapter.manager)

    fields = IDN.split(",")

    def query():
        assert inst.identity == fields

    return query


_qcodes_count = 0


def qcodes_parameter(spec: str):
    global _qcodes_count
    from qcodes.instrument import VisaInstrument

    class Idn(VisaInstrument):
        default_terminator = "\n"

        def __init__(self, name, address, **kwargs):
            super().__init__(name, address, **kwargs)
            self.identity = self.add_parameter("identity", get_cmd="*IDN?")

    _qcodes_count += 1
    inst = Idn(f"bench_visa_{_qcodes_count}", ADDRESS, visalib=spec)
    static_world(spec, inst.visa_handle.visalib.resource_manager)

    def query():
        assert inst.identity() == IDN

    return query


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=20_000, help="queries per layer (>= 10000 for the record)")
    ap.add_argument("--profile", action="store_true", help="profile the raw @spinbench query")
    args = ap.parse_args(argv)
    logging.disable(logging.CRITICAL)  # pyvisa/qcodes debug logging is not part of the path

    emulators_pkg.EMULATORS["bench_idn"] = f"{__name__}:IdnEmulator"
    tmp = Path(tempfile.mkdtemp(prefix="bench_visa_"))
    bench_file = tmp / "bench-visa.yaml"
    bench_file.write_text(SPINBENCH_YAML)
    static_file = tmp / "bench-visa-static.yaml"
    static_file.write_text(SPINBENCH_YAML)
    sim_file = tmp / "pyvisa-sim.yaml"
    sim_file.write_text(PYVISA_SIM_YAML)
    spin, static, peer = f"{bench_file}@spinbench", f"{static_file}@spinbench", f"{sim_file}@sim"

    if args.profile:
        import cProfile
        import pstats

        fn = raw_pyvisa(spin)
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.n):
            fn()
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        return

    rows = [("emulator alone", emulator_alone(bench_file), emulator_alone(static_file), None)]
    for label, make in (("raw pyvisa query", raw_pyvisa), ("pymeasure property", pymeasure_property),
                        ("qcodes parameter get", qcodes_parameter)):
        rows.append((label, make(spin), make(static), make(peer)))

    print(f"*IDN? round trip over GPIB, {args.n} queries per layer, microseconds per query "
          f"(python {sys.version.split()[0]}, pyvisa {pyvisa.__version__})")
    print("spinbench: physics sot_hallbar device (bus and parsing time banked by world.idle); static: a device with no physics")
    head = (f"{'layer':<21} {'spinbench':>16} {'static device':>16} {'pyvisa-sim':>16} "
            f"{'ratio':>6} {'ratio static':>13}")
    print(head)
    print(f"{'':<21} {'med / min':>16} {'med / min':>16} {'med / min':>16} {'med':>6} {'med':>13}")
    print("-" * len(head))

    def cell(med_min):
        return f"{med_min[0]:7.2f} /{med_min[1]:7.2f}"

    for label, spin_fn, static_fn, peer_fn in rows:
        if peer_fn is None:
            s, st = timed([spin_fn, static_fn], args.n)
            print(f"{label:<21} {cell(s):>16} {cell(st):>16} {'-':>16} {'-':>6} {'-':>13}")
            continue
        s, st, p = timed([spin_fn, static_fn, peer_fn], args.n)
        print(f"{label:<21} {cell(s):>16} {cell(st):>16} {cell(p):>16} {s[0] / p[0]:>6.2f} {st[0] / p[0]:>13.2f}")
    print("ratio = spinbench / pyvisa-sim median (below 1: spinbench is faster)")


if __name__ == "__main__":
    main()
