"""The bench file (docs/contracts.md section 1): load, validate, open, shut down safely.

``Bench.load`` parses and validates a bench file without opening anything; ``Bench.open()``
is a context manager that opens every instrument through ONE pyvisa ResourceManager and, on
any exit (normal, exception, KeyboardInterrupt), shuts every instrument down (outputs off,
field ramped to zero, laser off) and closes the resources and the manager::

    bench = Bench.load("sot-hallbar")              # built-in sim bench, or a path
    with bench.open() as lab:
        source = lab.role("current_source")
        source.pulse(5e-3, 1e-3)

A name without a path separator or ``.yaml``/``.yml`` suffix is a built-in simulated bench,
``sim_backend/benches/<name>.yaml``, located by :mod:`pyvisa_spinbench.bench_files` (the file is
read; no simulator code is imported here).
``visa_library: "@spinbench"`` means "this very file is the sim bench": the library string
becomes ``"<absolute bench file path>@spinbench"``.
"""
from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pyvisa
import yaml
from pyvisa_spinbench import bench_files

from .capabilities import RoleCapabilities, Unknown
from . import qcodes_station
from .driver_base import Driver
from .limits import LIMIT_KEYS, Limits
from .registry import DRIVERS, UnknownDriverError, get_driver
from .roles import ROLE_TYPES, missing_members, role_type

log = logging.getLogger(__name__)

__all__ = ["Bench", "BenchError", "OpenBench", "InstrumentSpec", "builtin_benches"]

TOP_LEVEL_KEYS = ("name", "description", "visa_library", "instruments", "roles", "sim",
                  "qcodes_station", "protocols")
#: qcodes_station / instrument: an instrument of a qcodes Station YAML (instruments.qcodes_station)
INSTRUMENT_KEYS = ("driver", "address", "limits", "options", "qcodes_station", "instrument")


class BenchError(ValueError):
    """A bench file that cannot be used, or a bench that could not be opened or shut down."""


@dataclass(frozen=True)
class InstrumentSpec:
    """One validated entry of a bench file's ``instruments:`` section."""

    name: str
    driver: str
    address: str
    limits: Limits
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def driver_class(self) -> type[Driver]:
        """The driver class; a driver configured by its options (``driver: pymeasure``) gives
        the class its ``for_options`` builds for this entry."""
        cls = DRIVERS[self.driver]
        specialize = getattr(cls, "for_options", None)
        return cls if specialize is None else specialize(self.options)


def builtin_benches() -> list[str]:
    """Names of the built-in simulated benches (:mod:`pyvisa_spinbench.bench_files`)."""
    return list(bench_files.builtin_bench_files())


def _resolve(path_or_name: str | os.PathLike) -> Path:
    if bench_files.is_path(path_or_name):
        path = Path(os.fspath(path_or_name)).expanduser().resolve()
        if not path.is_file():
            raise BenchError(f"{path}: no such bench file")
        return path
    try:
        return bench_files.find_builtin(os.fspath(path_or_name)).resolve()
    except LookupError as exc:
        raise BenchError(str(exc)) from None


class Bench:
    """A validated bench file.  Nothing is opened until :meth:`open`."""

    def __init__(self, path: Path, name: str, description: str, visa_library: str,
                 instruments: dict[str, InstrumentSpec], roles: dict[str, str],
                 raw: dict[str, Any], text: str | None = None) -> None:
        self.path = path
        self._text = text
        self.name = name
        self.description = description
        self.visa_library = visa_library
        self.instruments = instruments
        self.roles = roles
        self.raw = raw

    # ---- loading -----------------------------------------------------------------------------
    @classmethod
    def load(cls, path_or_name: str | os.PathLike) -> "Bench":
        """Parse and validate a bench file (a path, or the name of a built-in sim bench).

        Raises :class:`BenchError` naming the file, the key and what is allowed.
        """
        path = _resolve(path_or_name)

        def fail(key: str, message: str) -> BenchError:
            return BenchError(f"{path}: {key}: {message}")

        try:
            text = path.read_text(encoding="utf-8")
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc)
            raise BenchError(f"{path}: malformed YAML{where}: {problem}") from None
        except OSError as exc:
            raise BenchError(f"{path}: cannot read: {exc}") from None
        if not isinstance(raw, dict):
            raise BenchError(f"{path}: a bench file is a mapping with keys "
                             f"{', '.join(TOP_LEVEL_KEYS)}; got {type(raw).__name__}")
        for key in raw:
            if key not in TOP_LEVEL_KEYS:
                raise fail(str(key), f"unknown key; allowed: {', '.join(TOP_LEVEL_KEYS)}")

        name = raw.get("name", path.stem)
        if not isinstance(name, str) or not name:
            raise fail("name", f"must be a non-empty string, got {name!r}")
        description = raw.get("description", "")
        if not isinstance(description, str):
            raise fail("description", f"must be a string, got {description!r}")
        if "visa_library" not in raw:
            raise fail("visa_library", "missing; use '@spinbench' (this file is a simulated "
                                       "bench), '@ivi' or '@py' at a real bench")
        visa_library = raw["visa_library"]
        if not isinstance(visa_library, str):
            raise fail("visa_library", f"must be a pyvisa library spec such as '@spinbench', "
                                       f"'@ivi', '@py' or '<path>@<backend>', got {visa_library!r}")

        instruments = cls._load_instruments(raw.get("instruments"), fail, path.parent,
                                            raw.get("qcodes_station"))
        roles = cls._load_roles(raw.get("roles"), instruments, fail)
        protocols = raw.get("protocols") or {}
        if not isinstance(protocols, dict) or not all(
                isinstance(k, str) and isinstance(v, dict) and all(isinstance(n, str) for n in v)
                for k, v in protocols.items()):
            raise fail("protocols", "must map protocol names to {parameter: value} (this bench's "
                                    "defaults, e.g. critical-current-vs-width: {reset_current: 8mA})")
        return cls(path, name, description, visa_library, instruments, roles, raw, text)

    def protocol_defaults(self, protocol: str) -> dict[str, Any]:
        """The parameter values this bench file sets for ``protocol`` (its ``protocols:`` entry:
        what suits its device where the protocol's own defaults do not); a run's own parameters
        override them. Checked against the protocol by the runner."""
        return dict((self.raw.get("protocols") or {}).get(protocol) or {})

    @staticmethod
    def _load_instruments(section: Any, fail, base: Path | None = None,
                          default_station: Any = None) -> dict[str, InstrumentSpec]:
        if section is None:
            raise fail("instruments", "missing; map instrument names to "
                                      "{driver, address, limits, options}")
        if not isinstance(section, dict) or not section:
            raise fail("instruments", "must be a non-empty mapping of instrument name -> "
                                      "{driver, address, limits, options}")
        specs: dict[str, InstrumentSpec] = {}
        addresses: dict[str, str] = {}
        for name, entry in section.items():
            key = f"instruments.{name}"
            if not isinstance(name, str) or not name:
                raise fail(key, "instrument names must be non-empty strings")
            if not isinstance(entry, dict):
                raise fail(key, f"must be a mapping with keys {', '.join(INSTRUMENT_KEYS)}")
            for sub in entry:
                if sub not in INSTRUMENT_KEYS:
                    raise fail(f"{key}.{sub}", f"unknown key; allowed: {', '.join(INSTRUMENT_KEYS)}")
            entry = qcodes_station.resolve(entry, base or Path.cwd(), default_station, fail, key)
            if "driver" not in entry:
                raise fail(f"{key}.driver", f"missing; known drivers: {', '.join(sorted(DRIVERS))}")
            try:
                driver_cls = get_driver(entry["driver"])
            except UnknownDriverError as exc:
                raise fail(f"{key}.driver", str(exc)) from None
            address = entry.get("address")
            if address is None:
                raise fail(f"{key}.address", "missing; give the VISA resource name, e.g. "
                                             "GPIB0::12::INSTR or ASRL3::INSTR")
            if not isinstance(address, str) or not address.strip():
                raise fail(f"{key}.address", f"must be a VISA resource name string, got {address!r}")
            if address in addresses:
                raise fail(f"{key}.address", f"{address} is already used by instrument "
                                             f"{addresses[address]!r}")
            addresses[address] = name
            try:
                limits = Limits.from_dict(entry.get("limits"))
            except ValueError as exc:
                raise fail(f"{key}.limits", str(exc)) from None
            for required in getattr(driver_cls, "REQUIRED_LIMITS", ()):
                if getattr(limits, required) is None:
                    raise fail(f"{key}.limits.{required}",
                               f"missing; driver {driver_cls.driver_name} needs it "
                               f"({LIMIT_KEYS[required][1]}, in {LIMIT_KEYS[required][0]})")
            options = entry.get("options") or {}
            if not isinstance(options, dict):
                raise fail(f"{key}.options", f"must be a mapping, got {options!r}")
            try:
                driver_cls(name, None, limits, options)     # validates options; no I/O
            except ValueError as exc:
                raise fail(f"{key}.options", str(exc)) from None
            specs[name] = InstrumentSpec(name, driver_cls.driver_name, address, limits,
                                         dict(options))
        for name, spec in specs.items():      # options naming another instrument of the bench
            for option, drivers in spec.driver_class.INSTRUMENT_OPTIONS.items():
                if option not in spec.options:
                    continue
                target = spec.options[option]
                key = f"instruments.{name}.options.{option}"
                if target not in specs:
                    raise fail(key, f"names instrument {target!r}, which is not in instruments; "
                                    f"instruments: {', '.join(specs)}")
                if specs[target].driver not in drivers:
                    raise fail(key, f"names instrument {target!r} (driver "
                                    f"{specs[target].driver}); it must be one of: "
                                    f"{', '.join(drivers)}")
        return specs

    @staticmethod
    def _load_roles(section: Any, instruments: dict[str, InstrumentSpec],
                    fail) -> dict[str, str]:
        if section is None:
            return {}
        if not isinstance(section, dict):
            raise fail("roles", "must be a mapping of role name -> instrument name")
        roles: dict[str, str] = {}
        for role, target in section.items():
            key = f"roles.{role}"
            protocol = role_type(str(role))
            if protocol is None:
                raise fail(key, f"unknown role; known roles: {', '.join(ROLE_TYPES)} "
                                f"(optionally suffixed, e.g. field_x)")
            if target not in instruments:
                raise fail(key, f"names instrument {target!r}, which is not in instruments; "
                                f"instruments: {', '.join(instruments)}")
            spec = instruments[target]
            lacking = missing_members(spec.driver_class, protocol)
            if lacking:
                raise fail(key, f"instrument {target!r} (driver {spec.driver}) cannot fill role "
                                f"{protocol.__name__}: it lacks {', '.join(lacking)}")
            roles[str(role)] = target
        return roles

    # ---- queries -------------------------------------------------------------------------------
    def instrument_for(self, role: str) -> InstrumentSpec:
        """The instrument spec behind ``role``."""
        if role not in self.roles:
            raise KeyError(f"bench {self.name!r} has no role {role!r}; roles: "
                           f"{', '.join(self.roles) or 'none'}")
        return self.instruments[self.roles[role]]

    def limits(self, role: str) -> dict[str, float]:
        """The safety limits of the instrument filling ``role`` (only the ones set)."""
        return self.instrument_for(role).limits.as_dict()

    def capabilities(self, role: str, protocol: type | None = None) -> RoleCapabilities:
        """What the instrument filling ``role`` can do as role ``protocol`` (default: the
        role's own type, e.g. ``FieldController`` for ``field_x``; the 6221 in
        ``current_source`` asked as a ``WriteReadSequencer``), from its driver class, the
        bench limits and options (:mod:`instruments.capabilities`) -- nothing is opened.

        Raises ``KeyError`` if the bench has no such role.
        """
        spec = self.instrument_for(role)
        protocol = protocol if protocol is not None else role_type(role)
        if protocol is None:
            return Unknown(spec.name, spec.driver)
        return spec.driver_class.capabilities(protocol, spec.name, spec.limits, dict(spec.options))

    def for_device(self, device: str) -> "Bench":
        """The same bench (same file, same simulated world) with every role named
        ``<role>_<device>`` standing in for ``<role>``: a protocol written for one device runs
        on device ``device`` of a many-device bench. Raises :class:`BenchError` if no role
        carries the suffix."""
        suffix = f"_{device}"
        mapped = {r[: -len(suffix)]: inst for r, inst in self.roles.items() if r.endswith(suffix)}
        if not mapped:
            devices = sorted({r.rsplit("_", 1)[1] for r in self.roles if "_" in r})
            raise BenchError(f"{self.path}: no roles for device {device!r} (roles named "
                             f"'<role>_{device}'); suffixes on this bench: {', '.join(devices) or 'none'}")
        roles = {**self.roles, **mapped}
        return Bench(self.path, f"{self.name}[{device}]", self.description, self.visa_library,
                     self.instruments, roles, self.raw, self._text)

    def fills(self, role: str, protocol: type) -> bool:
        """Whether the instrument behind ``role`` also fills role ``protocol`` (the 6221 in
        ``current_source`` is a write/read sequencer too); ``False`` without the role."""
        if role not in self.roles:
            return False
        return not missing_members(self.instrument_for(role).driver_class, protocol)

    @property
    def text(self) -> str:
        """The bench file as loaded (stored in every run file)."""
        if self._text is None:
            self._text = self.path.read_text(encoding="utf-8")
        return self._text

    def visa_library_spec(self, override: str | None = None, sim_clock: str | None = None,
                          sim_fresh: bool = False) -> str:
        """The pyvisa library string: ``"@spinbench"`` becomes ``"<this file>@spinbench"``.

        Options for a simulated bench (a real bench ignores them): ``sim_clock`` (``virtual``,
        ``sleep`` or ``wall``) is how the script's own wall time counts (README, "Time on the
        simulated bench"); ``sim_fresh`` starts from the state the bench file describes when no
        other client is using the bench (a simulated bench otherwise keeps its state between
        sessions, as a real one does)."""
        lib = self.visa_library if override is None else override
        if lib == "@spinbench":
            lib = f"{self.path}@spinbench"
        options = ([f"clock={sim_clock}"] if sim_clock is not None else []) + (
            ["fresh=1"] if sim_fresh else [])
        if options and lib.endswith("@spinbench"):
            lib = f"{lib[:-len('@spinbench')]}?{'&'.join(options)}@spinbench"
        return lib

    # ---- opening -------------------------------------------------------------------------------
    @contextmanager
    def open(self, visa_library: str | None = None, sim_clock: str | None = None,
             sim_fresh: bool = False) -> Iterator["OpenBench"]:
        """Open every instrument; on any exit shut them down and close everything.

        ``sim_clock``, ``sim_fresh``: options of a simulated bench (:meth:`visa_library_spec`);
        the protocol runner asks for ``virtual`` and a fresh bench, so a seed reproduces a run."""
        lab = OpenBench(self, self.visa_library_spec(visa_library, sim_clock, sim_fresh))
        restore = _sigterm_as_exit()
        try:
            lab._open_all()
            yield lab
        except BaseException as exc:
            try:
                lab.close()
            except BaseException as close_exc:   # never mask the original error
                log.error("bench %s: error during shutdown: %s", self.name, close_exc)
                exc.add_note(f"while shutting the bench down: {close_exc!r}")
            raise
        else:
            lab.close()
        finally:
            restore()

    def __repr__(self) -> str:
        return f"<Bench {self.name!r} from {self.path}>"


class OpenBench:
    """A bench whose instruments are open.  Obtained from :meth:`Bench.open`."""

    def __init__(self, bench: Bench, visa_library: str) -> None:
        self.bench = bench
        self.visa_library = visa_library
        self._rm: pyvisa.ResourceManager | None = None
        self._drivers: dict[str, Driver] = {}
        self._closed = False

    def _open_all(self) -> None:
        try:
            self._rm = pyvisa.ResourceManager(self.visa_library)
        except Exception as exc:
            raise BenchError(f"{self.bench.path}: the VISA library {self.visa_library!r} "
                             f"cannot start: {exc}") from exc
        for name, spec in self.bench.instruments.items():
            try:
                driver = spec.driver_class.connect(name, spec.address, self.visa_library,
                                                   spec.limits, spec.options)
            except Exception as exc:
                raise BenchError(f"{self.bench.path}: instruments.{name}: cannot open "
                                 f"{spec.address} with driver {spec.driver}: {exc}") from exc
            self._drivers[name] = driver
        for name, driver in self._drivers.items():   # links between instruments (options)
            try:
                driver.attach(dict(self._drivers))
            except Exception as exc:
                raise BenchError(f"{self.bench.path}: instruments.{name}: cannot attach: "
                                 f"{exc}") from exc

    # ---- access --------------------------------------------------------------------------------
    @property
    def instruments(self) -> dict[str, Driver]:
        """Instrument name -> open driver."""
        return dict(self._drivers)

    def instrument(self, name: str) -> Driver:
        if name not in self._drivers:
            raise KeyError(f"bench {self.bench.name!r} has no open instrument {name!r}; "
                           f"instruments: {', '.join(self._drivers)}")
        return self._drivers[name]

    def role(self, name: str) -> Any:
        """The instrument filling role ``name``, checked against the role protocol."""
        if self._closed:
            raise RuntimeError(f"bench {self.bench.name!r} is closed")
        target = self.bench.instrument_for(name).name
        driver = self.instrument(target)
        protocol = role_type(name)
        lacking = missing_members(driver, protocol) if protocol is not None else []
        if lacking:
            raise TypeError(f"instrument {target!r} ({type(driver).__name__}) does not "
                            f"satisfy role {name!r} ({protocol.__name__}): it lacks "
                            f"{', '.join(lacking)}")
        return driver

    def snapshot(self) -> dict[str, Any]:
        """Identity and queried settings of every instrument, plus the bench description."""
        return {
            "bench": self.bench.name,
            "file": str(self.bench.path),
            "visa_library": self.visa_library,
            "roles": dict(self.bench.roles),
            "instruments": {
                name: {
                    "driver": spec.driver,
                    "address": spec.address,
                    "limits": spec.limits.as_dict(),
                    "options": dict(spec.options),
                    "settings": self._drivers[name].snapshot(),
                }
                for name, spec in self.bench.instruments.items() if name in self._drivers
            },
        }

    def recover(self) -> None:
        """After a transient I/O fault: device-clear every instrument (stale replies and
        half-received messages are discarded, as SDC does at a real bench)."""
        for driver in self._drivers.values():
            resource = driver.resource
            if resource is None:
                continue
            try:
                with driver.lock:
                    resource.clear()
            except Exception:                 # a lost instrument fails again on the retry
                log.warning("%s: device clear failed", driver.name, exc_info=True)

    def checkpoint(self, index: int) -> None:
        """Set ``VI_ATTR_USER_DATA`` to ``index`` on every open resource.

        Harmless on real VISA; the simulator uses it to make resumed runs reproducible.
        """
        value = int(index)
        for driver in self._drivers.values():
            resource = driver.resource
            if resource is None:
                continue
            with driver.lock:
                try:
                    resource.set_visa_attribute(pyvisa.constants.ResourceAttribute.user_data,
                                                value)
                except (pyvisa.errors.Error, NotImplementedError) as exc:
                    log.debug("%s: VI_ATTR_USER_DATA not supported: %s", driver.name, exc)

    # ---- closing -------------------------------------------------------------------------------
    def close(self) -> None:
        """Shut every instrument down (sources, then magnets, then meters), close every
        resource and the ResourceManager.  Keeps going past failures and Ctrl-C, then
        re-raises the interrupt or a :class:`BenchError` listing what failed."""
        if self._closed:
            return
        self._closed = True
        errors: list[str] = []
        interrupt: BaseException | None = None
        drivers = sorted(self._drivers.values(), key=lambda d: d.shutdown_order)
        for driver in drivers:
            try:
                driver.shutdown()
            except (KeyboardInterrupt, SystemExit) as exc:
                interrupt = interrupt or exc
            except Exception as exc:
                log.exception("%s: shutdown failed", driver.name)
                errors.append(f"{driver.name}: shutdown failed: {exc!r}")
        for driver in drivers:
            try:
                driver.close()
            except (KeyboardInterrupt, SystemExit) as exc:
                interrupt = interrupt or exc
            except Exception as exc:
                errors.append(f"{driver.name}: close failed: {exc!r}")
        if self._rm is not None:
            try:
                self._rm.close()
            except Exception as exc:
                errors.append(f"ResourceManager: close failed: {exc!r}")
        if interrupt is not None:
            raise interrupt
        if errors:
            raise BenchError(f"bench {self.bench.name!r}: " + "; ".join(errors))


def _sigterm_as_exit():
    """While a bench is open, SIGTERM (``kill``, a batch system's stop) raises ``SystemExit(143)``
    in the main thread instead of killing the process outright, so the bench's shutdown (laser
    off, outputs off, field to zero) runs as for Ctrl-C.  Only when SIGTERM has its default
    action (a handler someone installed is left alone).  Returns the function that restores it."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    try:
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return lambda: None

        def _raise(signum, frame):
            raise SystemExit(128 + signum)

        signal.signal(signal.SIGTERM, _raise)
    except (ValueError, OSError):      # pragma: no cover - no signals here
        return lambda: None

    def restore() -> None:
        if signal.getsignal(signal.SIGTERM) is _raise:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)

    return restore
