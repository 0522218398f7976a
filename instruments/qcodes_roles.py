"""Bench roles as qcodes instruments, so ``qcodes.dataset.dond`` can sweep and read them.

Each role of an open bench becomes a :class:`qcodes.Instrument` whose parameters call the role's
methods: a set goes through the role layer, so a set-point outside the bench's limits is refused
(:class:`~spinbench.instruments.limits.LimitError`) before anything is sent, exactly as in a
protocol. The parameters a role gets follow the role protocol it satisfies (one table below):

========================  =========================================================
role protocol             qcodes parameters (unit)
========================  =========================================================
``FieldController``       ``field`` (T; set ramps and waits)
``Gaussmeter``            ``field`` (T, get only)
``CurrentSource``         ``current`` (A)
``SourceMeter``           ``current`` (A, set), ``voltage`` (V, get)
``Voltmeter``             ``voltage`` (V, get), ``integration_time`` (s)
``RFSource``              ``frequency`` (Hz), ``power`` (dBm)
``LockIn``                ``X``, ``Y`` (V, get), ``time_constant`` (s)
``LaserSource``           ``power`` (W)
========================  =========================================================

Usage::

    with Bench.load("sot-hallbar").open() as bench:
        station = qcodes_station(bench)
        dond(LinSweep(station.components["field_z"].field, -0.05, 0.05, 51),
             station.components["voltmeter"].voltage)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from spinbench.instruments import roles as R
from spinbench.instruments.roles import conforms

__all__ = ["PARAMETERS", "RoleInstrument", "qcodes_station"]

Getter = Callable[[Any], Callable[[], Any]] | None
Setter = Callable[[Any], Callable[[Any], None]] | None

#: role protocol -> [(parameter, unit, getter factory, setter factory)]
PARAMETERS: dict[type, list[tuple[str, str, Getter, Setter]]] = {
    R.FieldController: [("field", "T", lambda r: r.field, lambda r: r.set_field)],
    R.Gaussmeter: [("field", "T", lambda r: r.read_field, None)],
    R.CurrentSource: [("current", "A", lambda r: r.current, lambda r: r.set_current)],
    R.SourceMeter: [("current", "A", None, lambda r: r.source_current),
                    ("voltage", "V", lambda r: r.measure_voltage, None)],
    R.Voltmeter: [("voltage", "V", lambda r: r.read_voltage, None),
                  ("integration_time", "s", lambda r: r.integration_time,
                   lambda r: r.set_integration_time)],
    R.RFSource: [("frequency", "Hz", lambda r: r.frequency, lambda r: r.set_frequency),
                 ("power", "dBm", lambda r: r.power_dbm, lambda r: r.set_power_dbm)],
    R.LockIn: [("X", "V", lambda r: (lambda: r.read_xy()[0]), None),
               ("Y", "V", lambda r: (lambda: r.read_xy()[1]), None),
               ("time_constant", "s", lambda r: r.time_constant, lambda r: r.set_time_constant)],
    R.LaserSource: [("power", "W", lambda r: r.power, lambda r: r.set_power)],
}


def _instrument_class():
    from qcodes.instrument import Instrument

    class RoleInstrument(Instrument):
        """A qcodes instrument whose parameters call one bench role (see the module docstring)."""

        def __init__(self, name: str, role: Any, protocols: Iterable[type] | None = None,
                     **kwargs: Any) -> None:
            super().__init__(name, **kwargs)
            self.role = role
            added: set[str] = set()
            for proto in protocols if protocols is not None else PARAMETERS:
                if proto not in PARAMETERS or not conforms(role, proto):
                    continue
                for pname, unit, get, set_ in PARAMETERS[proto]:
                    if pname in added:
                        continue
                    added.add(pname)
                    self.add_parameter(pname, unit=unit, label=f"{name} {pname}",
                                       get_cmd=get(role) if get else False,
                                       set_cmd=set_(role) if set_ else False)
            if not added:
                raise TypeError(f"{name}: {type(role).__name__} satisfies no role protocol with "
                                f"qcodes parameters ({', '.join(p.__name__ for p in PARAMETERS)})")

        def get_idn(self) -> dict[str, str | None]:
            identify = getattr(self.role, "identify", None)
            text = identify() if callable(identify) else ""
            parts = (str(text).split(",") + [None] * 4)[:4]
            return dict(zip(("vendor", "model", "serial", "firmware"), parts))

    return RoleInstrument


def RoleInstrument(name: str, role: Any, **kwargs: Any):  # noqa: N802 - a class factory
    """A :class:`qcodes.Instrument` for ``role`` (qcodes is imported only when used)."""
    return _instrument_class()(name, role, **kwargs)


def qcodes_station(bench: Any, roles: Iterable[str] | None = None, *, prefix: str = ""):
    """A :class:`qcodes.Station` with one :func:`RoleInstrument` per role of an open bench.

    ``roles`` picks some (default: every role the bench maps); components are named by role
    (``prefix`` + role name). Roles with no qcodes parameters are skipped when ``roles`` is not
    given, and refused when they are named.
    """
    from qcodes.station import Station

    station = Station()
    names = list(roles) if roles is not None else list(bench.bench.roles)
    for role_name in names:
        proto = R.role_type(role_name)
        try:
            inst = RoleInstrument(f"{prefix}{role_name}", bench.role(role_name),
                                  protocols=[proto] if proto in PARAMETERS else [])
        except TypeError:
            if roles is not None:
                raise
            continue
        station.add_component(inst)
    return station
