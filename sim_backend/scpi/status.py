"""SCPI status registers (SCPI-99 vol. 1, 9): event/enable/condition commands, PRESet, *CLS."""
from __future__ import annotations

from typing import Any, Callable, Sequence

from .commands import Args, Cmd
from .params import Numeric


#: the three SCPI event registers of SCPI-99 vol. 1, 9 (attributes <abbr>_event / <abbr>_enable)
SCPI_STATUS_REGISTERS = ("MEASurement", "OPERation", "QUEStionable")


def _register_attrs(name: str) -> tuple[str, str]:
    abbr = name[:4].lower()
    return f"{abbr}_event", f"{abbr}_enable"


def status_register_commands(name: str, condition: Callable[[Any], int] | None = None) -> list[Cmd]:
    """``STATus:<name>[:EVENt]?`` (read and clear), ``:ENABle``, ``:CONDition?`` of one 16-bit
    SCPI event register (SCPI-99 vol. 1, 9.3), kept on the emulator as ``<abbr>_event`` and
    ``<abbr>_enable`` (``meas_event``, ``oper_enable``, ...).  ``condition(dev)`` answers the
    condition register (0 when not given)."""
    event, enable = _register_attrs(name)

    def _event(dev: Any, args: Args) -> int:
        value = getattr(dev, event)
        setattr(dev, event, 0)
        return value

    def _enable(dev: Any, args: Args) -> None:
        setattr(dev, enable, args.one(Numeric(0, 65535, integer=True)))

    def _condition(dev: Any, args: Args) -> int:
        return condition(dev) if condition is not None else 0

    return [Cmd(f"STATus:{name}[:EVENt]", query=_event),
            Cmd(f"STATus:{name}:ENABle", _enable, lambda d, a: getattr(d, enable)),
            Cmd(f"STATus:{name}:CONDition", query=_condition)]


def status_preset_command(names: Sequence[str] = SCPI_STATUS_REGISTERS) -> Cmd:
    """``STATus:PRESet``: the enable registers of ``names`` to 0 (SCPI-99 vol. 1, 9.4)."""

    def _preset(dev: Any, args: Args) -> None:
        args.none()
        for name in names:
            setattr(dev, _register_attrs(name)[1], 0)

    return Cmd("STATus:PRESet", _preset)


def clear_status_registers(dev: Any, names: Sequence[str] = SCPI_STATUS_REGISTERS) -> None:
    """``*CLS`` of the SCPI event registers (IEEE 488.2 10.3): call from ``on_cls``."""
    for name in names:
        setattr(dev, _register_attrs(name)[0], 0)
