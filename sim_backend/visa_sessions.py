"""Sessions and the per-bench state behind the ``@spinbench`` VISA library
(:mod:`sim_backend.visa_library`): resource names, attribute defaults, resource locks (VPP-4.3
3.6), the world and emulators every library instance of one bench file shares, and the
library-spec options (``"<bench>?clock=virtual@spinbench"``)."""
from __future__ import annotations

import dataclasses
import threading
import weakref
from pathlib import Path
from typing import Any

from pyvisa import attributes, errors, rname
from pyvisa.constants import InterfaceType, StatusCode

from . import benches
from .clock import MODES


def _io_error(code: StatusCode, detail: str = "") -> errors.VisaIOError:
    """A ``VisaIOError`` whose message also says what was asked (pyvisa's names only the code)."""
    exc = errors.VisaIOError(code)
    if detail:
        exc.args = (f"{exc.args[0]} {detail}",)
    return exc


_RESOURCE_CLASSES = ("INSTR", "INTFC", "SOCKET", "BACKPLANE", "MEMACC", "SERVANT", "RAW")


def _parse(resource_name: str) -> rname.ResourceName:
    """pyvisa's parser, with the resource class in any case (VISA names are case-insensitive)."""
    parts = resource_name.strip().split("::")
    if parts[-1].upper() in _RESOURCE_CLASSES:
        parts[-1] = parts[-1].upper()
    return rname.parse_resource_name("::".join(parts))


def _key(parsed: rname.ResourceName) -> tuple:
    """Case- and radix-insensitive identity of a parsed resource name."""
    out: list[Any] = [type(parsed).__name__]
    for f in dataclasses.fields(parsed):
        value = getattr(parsed, f.name)
        if isinstance(value, str):
            try:
                value = int(value, 0)
            except ValueError:
                value = value.upper()
        out.append(value)
    return tuple(out)


def _default_attributes(interface: InterfaceType, resource_class: str) -> dict[int, Any]:
    """The attribute defaults pyvisa documents for one resource type (``pyvisa.attributes``)."""
    out: dict[int, Any] = {}
    for key in ((interface, resource_class), attributes.AllSessionTypes):
        for attr in attributes.AttributesPerResource[key]:
            if attr.default is not attributes.NotAvailable:
                out[int(attr.attribute_id)] = attr.default
    return out


_WRITABLE: frozenset[int] = frozenset(
    int(a.attribute_id) for a in attributes.AttributesByID.values() if a.write)
_KNOWN: frozenset[int] = frozenset(int(i) for i in attributes.AttributesByID)


# ------------------------------------------------------------------------------ shared bench


class _ResourceLock:
    """The lock state of one resource (VPP-4.3 3.6): exclusive holder, shared key and holders."""

    __slots__ = ("exclusive", "exclusive_count", "shared_key", "shared")

    def __init__(self) -> None:
        self.exclusive: _Session | None = None
        self.exclusive_count = 0
        self.shared_key: str | None = None
        self.shared: dict[_Session, int] = {}

    def allows(self, s: "_Session") -> bool:
        if self.exclusive is not None:
            return self.exclusive is s
        return not self.shared or s in self.shared


class _SharedBench:
    """What all library instances of one bench file share: the world, its emulators, the device
    input buffers, resource locks, and one lock that makes every operation on them atomic."""

    _registry: dict[Path, "_SharedBench"] = {}
    _registry_lock = threading.Lock()

    def __init__(self, path: Path):
        self.path = path
        self.lock = threading.RLock()
        self.unlocked = threading.Condition(self.lock)
        self.bench: benches.SimBench | None = None
        self.spec: dict[str, Any] | None = None
        self.rm_sessions = 0
        #: device address -> bytes of a program message still waiting for its end
        self.partial: dict[str, bytes] = {}
        #: canonical resource name -> lock state
        self.locks: dict[str, _ResourceLock] = {}
        #: the library instances (SpinbenchVisaLibrary) of this bench path
        self.libraries: weakref.WeakSet[Any] = weakref.WeakSet()
        self._keys: tuple[benches.SimBench, dict[tuple, str]] | None = None

    @classmethod
    def get(cls, path: Path) -> "_SharedBench":
        with cls._registry_lock:
            shared = cls._registry.get(path)
            if shared is None:
                shared = cls._registry[path] = cls(path)
            return shared

    def built(self) -> benches.SimBench:
        bench = self.bench
        if bench is None:
            bench = self.bench = benches.build(str(self.path))
            self.spec = bench.spec
            for lib in list(self.libraries):
                lib._rebind(bench)
        return bench

    def discard(self) -> None:
        self.bench = None
        self.partial.clear()

    def reset(self) -> None:
        """Discard the world; rebuild it at once when sessions are open (they rebind).  Every
        client's wall-time accounting restarts with the new world's clock."""
        with self.lock:
            open_sessions = any(lib._sessions for lib in self.libraries)
            self.discard()
            for lib in list(self.libraries):
                lib._restart_clock()
            if open_sessions:
                self.built()

    def sim_clock(self) -> str | None:
        """The bench file's ``sim.clock`` (the default mode of its clients' clocks)."""
        if self.spec is None:
            self.spec = benches.load_spec(str(self.path))[1]
        value = (self.spec.get("sim") or {}).get("clock")
        return None if value is None else str(value)

    def by_key(self) -> dict[tuple, str]:
        """Normalised resource identity -> the bench's canonical name."""
        bench = self.built()
        keys = self._keys
        if keys is None or keys[0] is not bench:
            table = {}
            for name in bench.emulators:
                try:
                    table[_key(_parse(name))] = name
                except rname.InvalidResourceName:
                    pass
            keys = self._keys = (bench, table)
        return keys[1]

    def aliases(self) -> dict[str, str]:
        """Bench-file instrument name -> canonical address (VISA aliases)."""
        if self.spec is None:
            self.spec = benches.load_spec(str(self.path))[1]
        out = {}
        for name, cfg in (self.spec.get("instruments") or {}).items():
            if isinstance(cfg, dict) and cfg.get("address"):
                out[str(name)] = benches.canonical(str(cfg["address"]))
        return out


def _split_options(spec: str) -> tuple[str, dict[str, str]]:
    """``"<bench>?clock=virtual"`` -> (``"<bench>"``, ``{"clock": "virtual"}``): options a
    client gives in its library spec (``"<bench>?clock=virtual@spinbench"``)."""
    if "?" not in spec:
        return spec, {}
    spec, _, query = spec.rpartition("?")
    options: dict[str, str] = {}
    for item in filter(None, query.split("&")):
        key, sep, value = item.partition("=")
        if not sep or key not in _OPTIONS or value not in _OPTIONS[key]:
            raise ValueError(f"@spinbench library option {item!r} not understood; options: "
                             + ", ".join(f"{k}=<{'|'.join(v)}>" for k, v in _OPTIONS.items()))
        options[key] = value
    return spec, options


_OPTIONS = {"clock": MODES, "fresh": ("1",)}


def reset_benches() -> None:
    """Reset every simulated bench of this process to the state its bench file describes (a
    fresh world, fresh instruments, the file's seed): what a test suite does between tests."""
    with _SharedBench._registry_lock:
        shared = list(_SharedBench._registry.values())
    for bench in shared:
        bench.reset()


# ------------------------------------------------------------------------------------ sessions


class _Session:
    """One VISA session to an instrument resource."""

    __slots__ = ("handle", "rm", "name", "parsed", "emu", "attrs", "serial", "find",
                 "events", "ren", "__weakref__")

    def __init__(self, handle: int, rm: int, name: str, parsed: rname.ResourceName, emu: Any,
                 attrs: dict[int, Any]):
        self.handle = handle
        self.rm = rm
        self.name = name
        self.parsed = parsed
        self.attrs = attrs
        self.serial = parsed.interface_type_const == InterfaceType.asrl
        self.events: set[int] = set()
        self.ren: int | None = None
        self.bind(emu)

    def bind(self, emu: Any) -> None:
        self.emu = emu
        self.find = getattr(emu, "find_output", None)
