"""Any pymeasure driver class in a role, declared in the bench file (no code to write).

A bench entry ``driver: pymeasure`` names a pymeasure ``Instrument`` subclass, the role it fills
and, for each of the role's methods, the pymeasure property or method that does it::

    instruments:
      pulser:
        driver: pymeasure
        address: GPIB0::12::INSTR
        limits: {max_current: 0.02, compliance_voltage: 40}
        options:
          class: pymeasure.instruments.keithley.Keithley6221
          role: current_source
          map: {set_current: source_current, current: source_current,
                enable: enable_source, disable: disable_source,
                set_compliance_voltage: source_compliance}
          kwargs: {}                       # optional constructor keywords

How a map entry acts (the role method's signature, :mod:`instruments.roles`, decides):

* a role method without arguments mapped to a *property* reads it (``current()`` ->
  ``inst.source_current``); with one argument it writes it (``set_current(I)`` ->
  ``inst.source_current = I``);
* mapped to a pymeasure *method*, the role method calls it with its own arguments
  (``enable()`` -> ``inst.enable_source()``).

Everything is checked when the bench file loads (``Bench.load``), before anything opens: the class
imports and is a pymeasure ``Instrument``, the role is known, every map key is a member of the role
and every value an attribute of the class (a setter needs a writable property), and the role's
members are all covered -- mapped, or derived here: ``pulse`` (one DC pulse made by toggling the
output, software-timed as labs do, :class:`~instruments.roles.CurrentSource` /
:class:`~instruments.roles.SourceMeter`) from the set/enable/disable entries.

The wait of a software-timed pulse is host time, which the device sees on a real bench.  The
simulated bench's clock sees host time only in its ``sleep``/``wall`` modes, so the wait goes to
the VISA library when it offers ``hold(seconds)`` (the ``@spinbench`` library does: under the
runner's ``virtual`` clock the wait is a step of the world clock, so the pulse has its width at
the device); any other library gets a host sleep.

Limits refuse, never clip: a set-point role method in :data:`LIMIT_CHECKS` (``set_current``,
``source_current``, ``set_compliance_voltage``, ``set_field``, ``set_power``, ``set_power_dbm``,
``set_frequency``, ``set_sine_amplitude``) is checked against the bench limits
(:mod:`instruments.limits`) before the property is written; pymeasure's own (possibly truncating)
validator then never sees an out-of-limit value.  ``enable()`` sends the bench compliance first
when ``set_compliance_voltage`` is mapped (the :class:`~instruments.roles.CurrentSource` contract).
"""
from __future__ import annotations

import importlib
import inspect
import json
from functools import lru_cache
from typing import Any, Callable

from .capabilities import CurrentSourceCapabilities, Span, Unknown, tighter
from .driver_base import Driver, OptionError
from .limits import (Limits, check_compliance_voltage, check_current, check_field,
                     check_frequency, check_laser_power, check_range, check_rf_power_dbm)
from .roles import CurrentSource, SourceMeter, role_members, role_type

__all__ = ["PymeasureAdapter", "LIMIT_CHECKS"]

#: role method -> check(instrument name, value, limits) -> value, run before the property is set
LIMIT_CHECKS: dict[str, Callable[[str, float, Limits], float]] = {
    "set_current": lambda n, v, lim: check_current(n, v, lim),
    "source_current": lambda n, v, lim: check_current(n, v, lim),
    "set_compliance_voltage": lambda n, v, lim: check_compliance_voltage(n, v, lim),
    "set_field": lambda n, v, lim: check_field(n, v, lim),
    "set_power": lambda n, v, lim: check_laser_power(n, v, lim),
    "set_power_dbm": lambda n, v, lim: check_rf_power_dbm(n, v, lim),
    "set_frequency": lambda n, v, lim: check_frequency(n, v, lim),
    "set_sine_amplitude": lambda n, v, lim: check_range(
        n, "sine amplitude", v, 0.0, lim.max_voltage if lim.max_voltage is not None else float("inf"),
        "Vrms", "bench limit max_voltage"),
}

#: map keys allowed besides the role's methods: the compliance ``enable()`` sends first
EXTRA_METHODS = ("set_compliance_voltage",)

#: shortest software-timed pulse the adapter offers (s): host and bus latency are ~ms
SOFT_PULSE_MIN = 10e-3
SOFT_PULSE_MAX = 3600.0


class PymeasureAdapter(Driver):
    """``driver: pymeasure``: a pymeasure class in one role.  The bench uses the subclass
    :meth:`for_options` builds for each entry (its role methods generated from ``map``)."""

    driver_name = "pymeasure"
    shutdown_order = 1
    OPTIONS = {
        "class": (str, "dotted path of a pymeasure Instrument subclass, e.g. "
                       "pymeasure.instruments.keithley.Keithley6221"),
        "role": (str, "the role it fills, e.g. current_source"),
        "map": (dict, "role method -> pymeasure property or method name"),
        "kwargs": (dict, "keyword arguments of the pymeasure constructor"),
        "axis": (str, "lab-frame axis x, y or z (role field: FieldController.axis)"),
    }
    REQUIRED_OPTIONS = ("class", "role", "map")

    #: filled on generated subclasses
    _pm_class: Any = None
    _role: type | None = None
    _map: dict[str, str] = {}

    # ---- validation (Bench.load) ---------------------------------------------------------
    @classmethod
    def check_options(cls, options: dict[str, Any] | None) -> dict[str, Any]:
        options = super().check_options(options)
        _analyse(json.dumps(options, sort_keys=True))      # raises OptionError
        return options

    @classmethod
    def for_options(cls, options: dict[str, Any]) -> type["PymeasureAdapter"]:
        """The generated driver class for one bench entry's options (cached)."""
        return _specialize(json.dumps(dict(options), sort_keys=True))

    # ---- opening -------------------------------------------------------------------------
    @classmethod
    def connect(cls, name, address, visa_library, limits, options):
        if cls._pm_class is None:
            cls = cls.for_options(options)
        inner = cls._pm_class(address, visa_library=visa_library, **dict(options.get("kwargs") or {}))
        return cls(name, inner, limits, options)

    def __init__(self, name, inner, limits=None, options=None):
        super().__init__(name, inner, limits, options)
        self._compliance_sent = False

    @classmethod
    def capabilities(cls, role, name, limits, options):
        """A current source: the bench ``max_current`` and compliance, software-timed pulses
        from :data:`SOFT_PULSE_MIN`; other roles: :class:`Unknown` (the limits still refuse at
        set time)."""
        if role is CurrentSource and cls._role is CurrentSource:
            current = tighter(Span(-float("inf"), float("inf"), "A", "pymeasure class"),
                              limits.max_current, "max_current")
            compliance = tighter(Span(0.0, float("inf"), "V", "pymeasure class"),
                                 limits.compliance_voltage, "compliance_voltage", symmetric=False)
            pulse = Span(SOFT_PULSE_MIN, SOFT_PULSE_MAX, "s",
                         "software-timed pulse of the pymeasure adapter")
            return CurrentSourceCapabilities(name, cls.driver_name, current, pulse, compliance)
        return Unknown(name, cls.driver_name)

    # ---- the mapped calls ------------------------------------------------------------------
    def _call(self, method: str, *args: Any) -> Any:
        target = self._map[method]
        attr = inspect.getattr_static(self._pm_class, target)
        with self.lock:
            if method == "enable":
                self._ensure_compliance()
            if _is_property(attr):
                if args:
                    value = args[0]
                    if method in LIMIT_CHECKS:
                        value = LIMIT_CHECKS[method](self.name, value, self.limits)
                    setattr(self._inner, target, value)
                    return None
                return getattr(self._inner, target)
            if method in LIMIT_CHECKS and args:
                args = (LIMIT_CHECKS[method](self.name, args[0], self.limits),) + args[1:]
            return getattr(self._inner, target)(*args)

    def _ensure_compliance(self) -> None:
        if (not self._compliance_sent and "set_compliance_voltage" in self._map
                and self.limits.compliance_voltage is not None):
            self._call("set_compliance_voltage", self.limits.compliance_voltage)
            self._compliance_sent = True

    def _soft_pulse(self, setter: str, amplitude: float, width_s: float, low: float) -> None:
        """Level ``amplitude`` for ``width_s`` (software-timed), then ``low`` (0: output off).
        Every level is checked before the first command is sent."""
        check = LIMIT_CHECKS[setter]
        check(self.name, amplitude, self.limits)
        check(self.name, low, self.limits)
        check_range(self.name, "pulse width", width_s, SOFT_PULSE_MIN, SOFT_PULSE_MAX, "s",
                    "software-timed pulse of the pymeasure adapter")
        with self.lock:
            self._call(setter, amplitude)
            self._call("enable")
            self._hold(width_s)
            self._call(setter, low)
            if low == 0.0:
                self._call("disable")

    def snapshot(self) -> dict[str, Any]:
        info: dict[str, Any] = {"class": f"{self._pm_class.__module__}.{self._pm_class.__name__}"}
        try:
            info["idn"] = str(self._inner.id).strip()
        except Exception as exc:          # not every pymeasure class has *IDN?
            info["idn"] = f"unavailable ({type(exc).__name__})"
        return info

    def shutdown(self) -> None:
        """Level to zero (a mapped current/power setter), then the output off."""
        for setter in ("set_current", "source_current", "set_power"):
            if setter in self._map:
                self._call(setter, 0.0)
        if "ramp_to_zero" in self._map:
            self._call("ramp_to_zero")
        if "disable" in self._map:
            self._call("disable")


def _is_property(attr: Any) -> bool:
    return isinstance(attr, property) or (
        hasattr(attr, "__get__") and hasattr(attr, "__set__") and not inspect.isfunction(attr))


def _arity(protocol: type, method: str) -> tuple[int, int]:
    """(required, total) positional arguments of a role method, ``self`` excluded."""
    sig = inspect.signature(getattr(protocol, method, None) or getattr(SourceMeter, method))
    params = [p for p in sig.parameters.values() if p.name != "self"]
    return sum(p.default is p.empty for p in params), len(params)


#: derived role members: member -> (the entries it needs, the setter it uses)
_DERIVED: dict[type, dict[str, tuple[tuple[str, ...], str]]] = {
    CurrentSource: {"pulse": (("set_current", "enable", "disable"), "set_current")},
    SourceMeter: {"pulse": (("source_current", "enable", "disable"), "source_current")},
}


@lru_cache(maxsize=None)
def _analyse(key: str) -> tuple[Any, type, dict[str, str]]:
    """Validate the options (JSON ``key``): (pymeasure class, role protocol, map)."""
    options = json.loads(key)
    path = options["class"]
    module_name, _, class_name = path.rpartition(".")
    if not module_name.startswith("pymeasure.") and module_name != "pymeasure":
        raise OptionError(f"option class {path!r} must be a pymeasure class "
                          f"(pymeasure.instruments.<maker>.<Model>)")
    try:
        pm_class = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise OptionError(f"option class {path!r} cannot be imported: {exc}") from None
    from pymeasure.instruments import Instrument as _PmInstrument

    if not (isinstance(pm_class, type) and issubclass(pm_class, _PmInstrument)):
        raise OptionError(f"option class {path!r} is not a pymeasure Instrument subclass")
    protocol = role_type(options["role"])
    if protocol is None:
        from .roles import ROLE_TYPES

        raise OptionError(f"option role {options['role']!r} is not a known role; known roles: "
                          f"{', '.join(ROLE_TYPES)}")
    members = [m for m in role_members(protocol) if callable(getattr(protocol, m, None))]
    mapping = options["map"]
    for method, target in mapping.items():
        where = f"option map.{method}"
        if method not in members and method not in EXTRA_METHODS:
            raise OptionError(f"{where}: {method!r} is not a method of role {protocol.__name__}; "
                              f"its methods: {', '.join(members)} (and {', '.join(EXTRA_METHODS)})")
        if not isinstance(target, str):
            raise OptionError(f"{where}: must name a property or method of {class_name}, "
                              f"got {target!r}")
        try:
            attr = inspect.getattr_static(pm_class, target)
        except AttributeError:
            raise OptionError(f"{where}: {class_name} has no property or method "
                              f"{target!r}") from None
        required, total = _arity(protocol, method)
        if _is_property(attr):
            if required > 1:
                raise OptionError(f"{where}: {protocol.__name__}.{method} takes {required} "
                                  f"arguments; map it to a method of {class_name}, not the "
                                  f"property {target!r}")
            if required == 1 and getattr(attr, "fset", True) is None:
                raise OptionError(f"{where}: property {class_name}.{target} is read-only; "
                                  f"{method} needs one it can set")
            if required == 0 and getattr(attr, "fget", True) is None:
                raise OptionError(f"{where}: property {class_name}.{target} cannot be read")
        elif not callable(attr):
            raise OptionError(f"{where}: {class_name}.{target} is neither a property nor a method")
    derived = _DERIVED.get(protocol, {})
    for member, (needs, _setter) in derived.items():
        if member not in mapping and not all(n in mapping for n in needs):
            raise OptionError(f"option map: role {protocol.__name__} needs {member!r}: map it, "
                              f"or map {', '.join(needs)} so it is made from them")
    lacking = [m for m in members if m not in mapping and m not in derived]
    if lacking:
        raise OptionError(f"option map: role {protocol.__name__} also needs "
                          f"{', '.join(lacking)} (map each to a property or method of "
                          f"{class_name})")
    return pm_class, protocol, dict(mapping)


def _make_method(method: str, protocol: type) -> Callable[..., Any]:
    def role_method(self: PymeasureAdapter, *args: Any, **kwargs: Any) -> Any:
        args = args + tuple(kwargs.values())
        _required, total = _arity(protocol, method)
        return self._call(method, *args[:max(total, 0)])

    role_method.__name__ = method
    role_method.__doc__ = f"{protocol.__name__}.{method}, mapped in the bench file."
    return role_method


def _make_pulse(setter: str) -> Callable[..., None]:
    def pulse(self: PymeasureAdapter, amplitude_A: float, width_s: float, low_A: float = 0.0) -> None:
        """One DC pulse by toggling the output (software-timed, from 10 ms)."""
        self._soft_pulse(setter, amplitude_A, width_s, low_A)
    return pulse


@lru_cache(maxsize=None)
def _specialize(key: str) -> type[PymeasureAdapter]:
    pm_class, protocol, mapping = _analyse(key)
    namespace: dict[str, Any] = {"_pm_class": pm_class, "_role": protocol, "_map": mapping,
                                 "__module__": __name__}
    for method in mapping:
        namespace[method] = _make_method(method, protocol)
    for member, (_needs, setter) in _DERIVED.get(protocol, {}).items():
        if member not in mapping:
            namespace[member] = _make_pulse(setter)
    if protocol is CurrentSource or protocol is SourceMeter:
        namespace["shutdown_order"] = 0
    if "axis" in json.loads(key):
        namespace["axis"] = json.loads(key)["axis"]
    return type(f"Pymeasure{pm_class.__name__}As{protocol.__name__}", (PymeasureAdapter,), namespace)
