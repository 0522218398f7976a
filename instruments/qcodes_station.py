"""Bench-file instruments declared in a qcodes Station YAML (issue 13, qcodes interop).

A lab that already keeps its instruments in a qcodes station file references them instead of
repeating addresses::

    qcodes_station: station.yaml          # top level: the default station file (optional)
    instruments:
      smu:
        qcodes_station: station.yaml      # or per instrument (relative to the bench file)
        instrument: smu2450               # the name under the station's ``instruments:``
        limits: {max_current: 0.02, compliance_voltage: 40}

The station entry gives the VISA ``address`` and the qcodes ``type``; the spinbench driver is the
one that wraps that qcodes class (:data:`QCODES_DRIVERS`: a ``type`` that is the class or a
subclass of it), or the entry's own ``driver:`` (then only the address is taken from the station).
Limits and options stay in the bench file: a station file sets no safety limits.

The instrument is opened by the spinbench driver through the *bench's* pyvisa library (so on a
simulated bench the qcodes instrument talks to ``@spinbench``), never through the station's
``visalib``.  Station keys that would act on the instrument when it opens -- ``parameters`` with
``initial_value``, ``add_parameters`` -- are refused: a set-point sent from a station file would
bypass the bench limits.  ``init`` keywords are not applied (the spinbench driver builds the qcodes
instrument); other keys (``enable_forced_reconnect``, ``parameters`` labels/units/monitor, ...)
are ignored.

Everything is checked when the bench file loads (:func:`resolve`), before anything opens; errors
name the bench key, the station file and the station key.  Station file format: qcodes'
``Station`` documentation ("Configuring the Station by using a YAML configuration file").
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Callable

import yaml

__all__ = ["QCODES_DRIVERS", "StationEntryError", "resolve", "station_instruments"]

#: spinbench driver name -> the qcodes class it wraps (dotted path)
QCODES_DRIVERS: dict[str, str] = {
    "keithley_2450": "qcodes.instrument_drivers.Keithley.Keithley2450",
    "keysight_33500b": "qcodes.instrument_drivers.Keysight.Keysight33522B",
    "keysight_n5183b": "qcodes.instrument_drivers.Keysight.KeysightN5183B",
    "keysight_n9030b": "qcodes.instrument_drivers.Keysight.KeysightN9030B",
    "rohde_schwarz_sgs100a": "qcodes.instrument_drivers.rohde_schwarz.RohdeSchwarzSGS100A",
}

#: keys of a bench-file instrument entry that reference a station
STATION_KEYS = ("qcodes_station", "instrument")
#: station-entry keys that would send commands when qcodes opens the instrument
_ACTING_KEYS = ("add_parameters",)


class StationEntryError(ValueError):
    """A station reference that cannot be used (the bench loader prefixes the file and key)."""


def _import(path: str) -> Any:
    module, _, name = path.rpartition(".")
    if not module:
        raise ImportError(f"{path!r} is not a dotted path module.Class")
    return getattr(importlib.import_module(module), name)


def station_instruments(path: Path) -> dict[str, Any]:
    """The ``instruments:`` mapping of a qcodes station file (checked to be one)."""
    if not path.is_file():
        raise StationEntryError(f"qcodes station file {path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise StationEntryError(f"qcodes station file {path} is not valid YAML: "
                                f"{getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("instruments"), dict):
        raise StationEntryError(f"qcodes station file {path} has no 'instruments:' mapping "
                                f"(qcodes Station YAML format)")
    return raw["instruments"]


def _driver_for(qcodes_type: str, where: str) -> str:
    try:
        cls = _import(qcodes_type)
    except (ImportError, AttributeError) as exc:
        raise StationEntryError(f"{where}.type: {qcodes_type!r} cannot be imported: "
                                f"{exc}") from None
    for driver, wrapped in QCODES_DRIVERS.items():
        try:
            wrapped_cls = _import(wrapped)
        except (ImportError, AttributeError):       # an older/newer qcodes without it
            continue
        if isinstance(cls, type) and issubclass(cls, wrapped_cls):
            return driver
    raise StationEntryError(
        f"{where}.type: no spinbench driver wraps {qcodes_type}; give the entry a 'driver:' "
        f"(the station then only supplies the address); qcodes classes with a driver: "
        + ", ".join(f"{v} ({k})" for k, v in QCODES_DRIVERS.items()))


def resolve(entry: dict[str, Any], base: Path, default_station: Any,
            fail: Callable[[str, str], Exception], key: str) -> dict[str, Any]:
    """A bench entry referencing a station -> an ordinary entry (driver, address, limits,
    options); ``entry`` without a reference (and no ``instrument:``) is returned unchanged.

    ``base``: the bench file's folder (relative station paths); ``default_station``: the bench's
    top-level ``qcodes_station`` (or ``None``); ``fail(key, message)`` builds the bench error."""
    if "qcodes_station" not in entry and "instrument" not in entry:
        return entry
    station = entry.get("qcodes_station", default_station)
    if station is None:
        raise fail(f"{key}.instrument", "names a qcodes station instrument but no station file "
                                        "is given: add qcodes_station: <file> to the entry or "
                                        "the bench file's top level")
    if not isinstance(station, str) or not station:
        raise fail(f"{key}.qcodes_station", f"must be a path to a qcodes station YAML, "
                                            f"got {station!r}")
    if "address" in entry:
        raise fail(f"{key}.address", "give either an address or a qcodes station instrument, "
                                     "not both (the station supplies the address)")
    name = entry.get("instrument")
    path = (base / station).resolve()
    try:
        declared = station_instruments(path)
    except StationEntryError as exc:
        raise fail(f"{key}.qcodes_station", str(exc)) from None
    if not isinstance(name, str) or not name:
        raise fail(f"{key}.instrument", f"missing: name the instrument of {path}; it declares: "
                                        f"{', '.join(map(str, declared)) or 'none'}")
    if name not in declared:
        raise fail(f"{key}.instrument", f"{name!r} is not in {path}; it declares: "
                                        f"{', '.join(map(str, declared)) or 'none'}")
    spec = declared[name]
    where = f"{path}: instruments.{name}"
    if not isinstance(spec, dict):
        raise fail(f"{key}.instrument", f"{where} must be a mapping with type and address")
    address = spec.get("address")
    if not isinstance(address, str) or not address.strip():
        raise fail(f"{key}.instrument", f"{where}.address: missing or not a VISA resource "
                                        f"name (got {address!r})")
    for acting in _ACTING_KEYS:
        if spec.get(acting):
            raise fail(f"{key}.instrument", f"{where}.{acting}: not supported; spinbench opens "
                                            f"the instrument itself and sends nothing a bench "
                                            f"limit has not checked")
    for pname, pspec in (spec.get("parameters") or {}).items():
        if isinstance(pspec, dict) and "initial_value" in pspec:
            raise fail(f"{key}.instrument", f"{where}.parameters.{pname}.initial_value: refused; "
                                            f"a set-point from the station file would bypass the "
                                            f"bench limits (set it in the protocol)")
    driver = entry.get("driver")
    if driver is None:
        qcodes_type = spec.get("type")
        if not isinstance(qcodes_type, str):
            raise fail(f"{key}.instrument", f"{where}.type: missing (the qcodes driver class)")
        try:
            driver = _driver_for(qcodes_type, where)
        except StationEntryError as exc:
            raise fail(f"{key}.instrument", str(exc)) from None
    resolved = {k: v for k, v in entry.items() if k not in STATION_KEYS}
    resolved.update(driver=driver, address=address.strip())
    return resolved
