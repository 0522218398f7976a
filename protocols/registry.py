"""Protocol lookup: name -> protocol class, filled lazily by importing protocol modules.

Every module of the ``protocols`` package except the machinery (:data:`MACHINERY`) is a
protocol module: on first lookup it is imported and each :class:`MeasurementProtocol`
subclass it defines with a non-empty ``name`` is registered. A module that fails to import
(a missing optional dependency, a half-written protocol) is recorded in :func:`import_errors`
and skipped, so one broken protocol never breaks the CLI. Protocols defined elsewhere call
:func:`register`.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from spinbench.protocols.base import MeasurementProtocol

__all__ = ["MACHINERY", "UnknownProtocol", "all_protocols", "get", "import_errors", "register"]

#: Modules of the package that are not protocols.
MACHINERY = frozenset({"base", "runfile", "runreader", "runstore", "runner", "cli", "registry",
                       "runindex", "__main__"})

_PROTOCOLS: dict[str, type[MeasurementProtocol]] = {}
_ERRORS: dict[str, str] = {}
_discovered = False


class UnknownProtocol(LookupError):
    """No protocol of that name (a user error)."""


def register(cls: type[MeasurementProtocol]) -> type[MeasurementProtocol]:
    """Register a protocol class under ``cls.name`` (usable as a class decorator)."""
    if not (isinstance(cls, type) and issubclass(cls, MeasurementProtocol)) or not cls.name:
        raise TypeError(f"{cls!r} is not a named MeasurementProtocol subclass")
    existing = _PROTOCOLS.get(cls.name)
    if existing is not None and existing is not cls:
        raise ValueError(f"protocol name {cls.name!r} is taken by {existing.__module__}."
                         f"{existing.__qualname__}")
    _PROTOCOLS[cls.name] = cls
    return cls


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    _discovered = True
    package_dir = Path(__file__).parent
    for info in sorted(pkgutil.iter_modules([str(package_dir)]), key=lambda m: m.name):
        if info.name in MACHINERY or info.name.startswith("_"):
            continue
        module_name = f"{__package__}.{info.name}"
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:  # one broken protocol module must not break the CLI
            _ERRORS[module_name] = f"{type(exc).__name__}: {exc}"
            continue
        for obj in vars(module).values():
            if (isinstance(obj, type) and issubclass(obj, MeasurementProtocol)
                    and obj.__module__ == module_name and obj.name):
                try:
                    register(obj)
                except ValueError as exc:
                    _ERRORS[module_name] = str(exc)


def all_protocols() -> dict[str, type[MeasurementProtocol]]:
    """Every registered protocol, by name (sorted)."""
    _discover()
    return dict(sorted(_PROTOCOLS.items()))


def get(name: str) -> type[MeasurementProtocol]:
    """The protocol class called ``name``.

    Raises
    ------
    UnknownProtocol
        Listing the known names.
    """
    _discover()
    try:
        return _PROTOCOLS[name]
    except KeyError:
        known = ", ".join(sorted(_PROTOCOLS)) or "none"
        raise UnknownProtocol(f"unknown protocol {name!r}; known protocols: {known}") from None


def import_errors() -> dict[str, str]:
    """Protocol modules that failed to import: module name -> error."""
    _discover()
    return dict(_ERRORS)
