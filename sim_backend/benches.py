"""Built-in simulated benches and building a SimWorld with its emulators from a bench file."""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pyvisa_spinbench import bench_files

from .devices import make_device
from .emulators import make_emulator
from .netlist import NetlistError, parse_lines
from .scpi import Emulator
from .breakdown import breakdown_voltages
from .faults import FaultError, FaultyEmulator, device_faults, parse_faults
from .world import Coil, SimWorld


class SimBenchError(ValueError):
    """A sim bench that cannot be built: names the file, the key and what is allowed."""


def builtin_dir() -> Path:
    """The built-in bench files' folder (:mod:`pyvisa_spinbench.bench_files`, the one finder)."""
    return bench_files.bench_dir() or Path(str(resources.files("spinbench.sim_backend") / "benches"))


def builtin_benches() -> dict[str, str]:
    """Built-in bench name -> one-line description."""
    return dict(bench_files.builtin_benches())


def resolve(name_or_path: str) -> Path:
    """A built-in name (``sot-hallbar``) or a path to a bench YAML file."""
    if bench_files.is_path(name_or_path):
        p = Path(name_or_path)
        if not p.is_file():
            raise SimBenchError(f"sim bench file {name_or_path!r} does not exist")
        return p
    try:
        return bench_files.find_builtin(str(name_or_path))
    except LookupError:
        known = ", ".join(bench_files.builtin_bench_files())
        raise SimBenchError(f"unknown sim bench {name_or_path!r}; built-in benches: {known} "
                            f"(or give a path to a bench file)") from None


def load_spec(name_or_path: str) -> tuple[Path, dict[str, Any]]:
    path = resolve(name_or_path)
    try:
        spec = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise SimBenchError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("sim"), dict):
        raise SimBenchError(f"{path}: a sim bench needs a 'sim:' section (device, instruments)")
    return path, spec


@dataclass
class SimBench:
    path: Path
    spec: dict[str, Any]
    world: SimWorld
    emulators: dict[str, Emulator] = field(default_factory=dict)


def build(name_or_path: str, seed: int | None = None) -> SimBench:
    """Build the world and one emulator per address of a bench file's ``sim:`` section."""
    path, spec = load_spec(name_or_path)
    sim = spec["sim"]
    devices = _devices(path, sim)
    coils, reach = {}, {}
    for name, c in (sim.get("magnets") or {}).items():
        try:
            axis = np.asarray(c.get("axis", [0, 0, 1]), dtype=float)
            axis = axis / np.linalg.norm(axis)
            coils[name] = Coil(axis=axis, tesla_per_amp=float(c["tesla_per_amp"]),
                               inductance=float(c.get("inductance", 0.5)),
                               resistance=float(c.get("resistance", 2.0)))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SimBenchError(f"{path}: sim.magnets.{name}: needs axis (3 numbers) and tesla_per_amp ({exc})") from None
        reaches = c.get("reaches")
        if reaches is not None:
            gains = {str(d): 1.0 for d in reaches} if isinstance(reaches, (list, tuple)) else reaches
            if not isinstance(gains, dict):
                raise SimBenchError(f"{path}: sim.magnets.{name}.reaches: a list of devices or "
                                    f"{{device: gain}} (devices: {', '.join(devices)})")
            for d, g in gains.items():
                if d not in devices:
                    raise SimBenchError(f"{path}: sim.magnets.{name}.reaches: unknown device {d!r}; "
                                        f"devices: {', '.join(devices)}")
                reach.setdefault(d, {})[name] = float(g)
    # a device no 'reaches' names is reached by every coil that declares no 'reaches'
    open_coils = [n for n, c in (sim.get("magnets") or {}).items() if c.get("reaches") is None]
    if reach:
        for d in devices:
            gains = reach.setdefault(d, {})
            for n in open_coils:
                gains.setdefault(n, 1.0)
    try:
        lines = parse_lines(sim.get("lines"), devices)
        world = SimWorld(devices, seed=int(sim.get("seed", 0) if seed is None else seed),
                         temperature=float(sim.get("temperature", 300.0)),
                         clock=str(sim.get("clock", "sleep")), coils=coils, lines=lines,
                         reach=reach or None)
    except NetlistError as exc:
        raise SimBenchError(f"{path}: sim: {exc}") from None
    try:
        world.breakdown = breakdown_voltages(devices, device_faults(sim.get("faults")))
    except ValueError as exc:
        raise SimBenchError(f"{path}: {exc}") from None
    bench = SimBench(path, spec, world)
    for address, cfg in (sim.get("instruments") or {}).items():
        if not isinstance(cfg, dict) or "model" not in cfg:
            raise SimBenchError(f"{path}: sim.instruments.{address}: needs 'model'")
        try:
            bench.emulators[canonical(address)] = make_emulator(cfg["model"], world, canonical(address), cfg)
        except NetlistError as exc:
            raise SimBenchError(f"{path}: sim.instruments.{address}: {exc}") from None
        except KeyError as exc:
            raise SimBenchError(f"{path}: sim.instruments.{address}: {exc.args[0]}") from None
    for emu in bench.emulators.values():
        link = getattr(emu, "link", None)
        if callable(link):
            link(bench.emulators)
    try:
        faults = parse_faults(sim.get("faults"))
    except FaultError as exc:
        raise SimBenchError(f"{path}: {exc}") from None
    for address, plan in faults.items():
        name = canonical(address)
        if name not in bench.emulators:
            raise SimBenchError(f"{path}: sim.faults: no instrument at {address}; instruments: "
                                f"{', '.join(bench.emulators)}")
        bench.emulators[name] = FaultyEmulator(bench.emulators[name], world, name, plan)
    return bench


def _devices(path: Path, sim: dict[str, Any]) -> dict[str, Any]:
    """``sim.devices: {NAME: {model, params}}``, or the one ``sim.device`` (named ``dut``)."""
    if "devices" in sim and "device" in sim:
        raise SimBenchError(f"{path}: sim: give either 'device' (one) or 'devices' (named), not both")
    if "devices" in sim:
        specs = sim["devices"]
        if not isinstance(specs, dict) or not specs:
            raise SimBenchError(f"{path}: sim.devices: a mapping NAME -> {{model, params}}")
        where = {n: f"sim.devices.{n}" for n in specs}
    else:
        specs, where = {"dut": sim.get("device") or {}}, {"dut": "sim.device"}
    devices = {}
    for name, dev in specs.items():
        name = str(name)
        if "." in name:
            raise SimBenchError(f"{path}: {where[name]}: a device name may not contain '.'")
        if not isinstance(dev, dict) or "model" not in dev:
            raise SimBenchError(f"{path}: {where[name]}.model is required")
        try:
            devices[name] = make_device(dev["model"], dev.get("params") or {})
        except (KeyError, TypeError, ValueError) as exc:   # an unknown parameter: ValueError
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            raise SimBenchError(f"{path}: {where[name]} (model {dev['model']!r}): {message}") from None
    return devices


def canonical(address: str) -> str:
    """Canonical VISA resource name (``GPIB::12`` -> ``GPIB0::12::INSTR``)."""
    from pyvisa import rname

    try:
        return str(rname.parse_resource_name(address))
    except rname.InvalidResourceName:
        return address
