"""Read-and-write-back sweep of every property of a stock pymeasure or qcodes driver.

What a lab user does to see whether a bench "works": open the stock driver on the instrument,
read every property and write the value just read back to it, and after each property read the
IEEE 488.2 Standard Event Status Register (``*ESR?``, IEEE 488.2 11.5.1): a set Query Error (bit
2), Device-Dependent Error (3), Execution Error (4) or Command Error (5) bit, an exception from the
driver (a VISA timeout on an unanswered query, a reply the driver cannot parse, a value its own
validator refuses) or a read-back that differs from what was written is a failure.

* pymeasure: the properties made by ``Instrument.control`` / ``measurement`` / ``setting`` on the
  instrument class and on each of its channels (children); a ``setting`` (write only) is written
  with the first of its declared values.
* qcodes: every Parameter of the instrument and its submodules (channel lists included) that is
  gettable (read) and settable (the read value written back).
"""
from __future__ import annotations

import contextlib
import logging
import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import pyvisa

#: ESR bits that mean the instrument refused something (QYE, DDE, EXE, CME)
ESR_ERROR_BITS = 0x04 | 0x08 | 0x10 | 0x20
#: how long a read may wait (ms); the simulated bench answers a read with nothing pending at once
SHORT_TIMEOUT_MS = 300


@dataclass
class Sweep:
    """Outcome of one driver's sweep: property path -> None (worked) or why it failed."""

    driver: str
    results: dict[str, str | None] = field(default_factory=dict)

    def failures(self, excluded: Iterator[str] | set[str] = ()) -> dict[str, str]:
        skip = set(excluded)
        return {k: v for k, v in self.results.items() if v is not None and k not in skip}

    def coverage(self, excluded: set[str] = frozenset()) -> tuple[int, int]:
        """(working, counted): documented driver bugs leave the denominator."""
        counted = [k for k in self.results if k not in excluded]
        ok = [k for k in counted if self.results[k] is None]
        return len(ok), len(counted)


def _esr_error(query: Callable[[str], str]) -> str | None:
    try:
        esr = int(float(query("*ESR?")))
    except Exception as exc:  # noqa: BLE001 - any failure of the status read is a failure
        return f"*ESR? failed: {exc}"
    if esr & ESR_ERROR_BITS:
        names = [n for bit, n in ((0x04, "QYE"), (0x08, "DDE"), (0x10, "EXE"), (0x20, "CME")) if esr & bit]
        return f"*ESR?={esr} ({'/'.join(names)})"
    return None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-15)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - arrays etc.: not compared
        return True


def _recover(connection: pyvisa.resources.MessageBasedResource) -> None:
    """After a failure: device clear and *CLS, so the next property starts clean."""
    with contextlib.suppress(Exception):
        connection.clear()
    with contextlib.suppress(Exception):
        connection.write("*CLS")


# ------------------------------------------------------------------------------------ pymeasure


def _pymeasure_kind(prop: Any) -> str | None:
    """'control', 'measurement' or 'setting' for a property made by CommonBase.control."""
    fget = getattr(prop, "fget", None)
    fset = getattr(prop, "fset", None)
    if fget is None or "CommonBase.control" not in getattr(fget, "__qualname__", ""):
        return None
    get_command = fget.__defaults__[0]
    set_command = fset.__defaults__[0] if fset is not None and fset.__defaults__ else None
    if get_command is None:
        return "setting"
    return "control" if set_command is not None else "measurement"


def _pymeasure_children(obj: Any) -> list[tuple[str, Any]]:
    from pymeasure.instruments.common_base import CommonBase

    out: list[tuple[str, Any]] = []
    seen: set[int] = set()
    for name, value in sorted(vars(obj).items()):
        if name.startswith("_") or name == "parent":
            continue
        if isinstance(value, CommonBase) and id(value) not in seen:
            seen.add(id(value))
            out.append((name, value))
    return out


def pymeasure_properties(inst: Any, prefix: str = "") -> list[tuple[str, Any, str, str]]:
    """(path, owner, attribute, kind) for every control/measurement/setting of ``inst`` and its
    channels, recursively, in a stable order."""
    found: list[tuple[str, Any, str, str]] = []
    names: dict[str, Any] = {}
    for klass in reversed(type(inst).__mro__):
        names.update(vars(klass))
    for name in sorted(names):
        kind = _pymeasure_kind(names[name])
        if kind is not None:
            found.append((f"{prefix}{name}", inst, name, kind))
    for child_name, child in _pymeasure_children(inst):
        found.extend(pymeasure_properties(child, f"{prefix}{child_name}."))
    return found


def _first_value(prop: Any) -> Any:
    values = prop.fset.__defaults__[2]
    if isinstance(values, dict):
        return next(iter(values))
    if isinstance(values, (list, tuple, range)) and len(values):
        return values[0]
    raise LookupError("write-only setting with no declared values")


def sweep_pymeasure(inst: Any, setting_values: dict[str, Any] | None = None,
                    only: Callable[[str], bool] = lambda p: True) -> Sweep:
    """Read and write back every property of a pymeasure instrument (see the module doc);
    ``setting_values`` gives the value to write to a write-only setting that declares none."""
    setting_values = dict(setting_values or {})
    connection = inst.adapter.connection
    connection.timeout = SHORT_TIMEOUT_MS
    sweep = Sweep(type(inst).__name__)
    query = connection.query
    _recover(connection)
    for path, owner, name, kind in pymeasure_properties(inst):
        if not only(path):
            continue
        prop = getattr(type(owner), name)
        error: str | None = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if kind == "setting":
                    value = setting_values[path] if path in setting_values else _first_value(prop)
                    setattr(owner, name, value)
                else:
                    value = getattr(owner, name)
                    if kind == "control":
                        setattr(owner, name, value)
                        error = _esr_error(query)
                        if error is None:
                            again = getattr(owner, name)
                            if not _same(again, value):
                                error = f"read back {again!r} after writing {value!r}"
            error = error or _esr_error(query)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded, not raised
            error = f"{type(exc).__name__}: {exc}"
        if error is not None:
            _recover(connection)
        sweep.results[path] = error
    return sweep


# ------------------------------------------------------------------------------------ qcodes


def qcodes_parameters(inst: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(path, parameter) for every parameter of ``inst`` and its submodules, recursively."""
    from qcodes.instrument import ChannelTuple

    out: list[tuple[str, Any]] = [(f"{prefix}{name}", p) for name, p in inst.parameters.items()]
    for name, sub in inst.submodules.items():
        if isinstance(sub, ChannelTuple):
            continue  # its channels are submodules of their own
        out.extend(qcodes_parameters(sub, f"{prefix}{name}."))
    return out


def sweep_qcodes(inst: Any, before: Callable[[str], None] | None = None,
                 only: Callable[[str], bool] = lambda p: True,
                 read_only: Callable[[Any], bool] = lambda p: False) -> Sweep:
    """Read and write back every gettable / settable qcodes parameter (see the module doc);
    ``before(path)`` restores a precondition the driver demands before a parameter (a sweep set
    up again after a source-function write reset it, a buffer readout prepared); a parameter
    for which ``read_only(param)`` holds is one the driver itself refuses to write by design
    (its ``set_raw`` raises before any command): it is read, not written back."""
    connection = inst.visa_handle
    connection.timeout = SHORT_TIMEOUT_MS
    sweep = Sweep(type(inst).__name__)
    query = connection.query
    _recover(connection)
    logging.getLogger("qcodes").setLevel(logging.CRITICAL)
    for path, param in qcodes_parameters(inst):
        if not only(path) or not (param.gettable or param.settable):
            continue
        error: str | None = None
        try:
            if before is not None:
                before(path)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if param.gettable:
                    value = param.get()
                    if param.settable and not read_only(param):
                        param.set(value)
                        error = _esr_error(query)
                        if error is None:
                            again = param.get()
                            if not _same(again, value):
                                error = f"read back {again!r} after writing {value!r}"
                else:
                    continue  # a set-only parameter has no value to write back
                if param.settable and value is None and getattr(param, "get_cmd", "") is None:
                    pass  # a driver-side parameter never set (no instrument command): nothing to write
            error = error or _esr_error(query)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded, not raised
            error = f"{type(exc).__name__}: {str(exc)[:300]}"
        if error is not None:
            _recover(connection)
        sweep.results[path] = error
    return sweep
