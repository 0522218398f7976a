"""IEEE 488.2 common commands (section 10) and the SCPI SYSTem:ERRor subsystem."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .commands import Args, Cmd, CommandTable
from .errors import ESR_OPC
from .params import Numeric

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Emulator


# ----------------------------------------------------------------------------------------------
# IEEE 488.2 common commands (section 10)


def _idn(dev: Emulator, args: Args) -> str:
    args.none()
    return dev.IDN


def _rst(dev: Emulator, args: Args) -> None:
    args.none()
    dev.reset()


def _cls(dev: Emulator, args: Args) -> None:
    args.none()
    dev.errors.clear()
    dev.esr = 0
    dev.on_cls()


def _esr_q(dev: Emulator, args: Args) -> int:
    value, dev.esr = dev.esr, 0
    return value


def _ese(dev: Emulator, args: Args) -> None:
    dev.ese = args.one(Numeric(0, 255, integer=True))


def _sre(dev: Emulator, args: Args) -> None:
    dev.sre = args.one(Numeric(0, 255, integer=True))


def _opc(dev: Emulator, args: Args) -> None:
    """``*OPC``: the OPC event bit is set when all pending operations are done (488.2 12.5.2)."""
    if dev.operations():
        dev._opc_armed = True
    else:
        dev.esr |= ESR_OPC


def _opc_q(dev: Emulator, args: Args) -> int:
    """``*OPC?``: answers 1 when all pending operations are done (488.2 12.5.3)."""
    dev.wait_for_operations()
    return 1


def _trg(dev: Emulator, args: Args) -> None:
    dev.on_trigger()


def _wai(dev: Emulator, args: Args) -> None:
    """``*WAI``: no further command runs before pending operations are done (488.2 10.39)."""
    dev.wait_for_operations()


def _tst(dev: Emulator, args: Args) -> int:
    return 0


COMMON_TABLE = CommandTable([
    Cmd("*IDN", query=_idn, doc="identification"),
    Cmd("*RST", set=_rst, doc="reset to defaults"),
    Cmd("*CLS", set=_cls, doc="clear status and error queue"),
    Cmd("*ESR", query=_esr_q, doc="read and clear the standard event status register"),
    Cmd("*ESE", set=_ese, query=lambda d, a: d.ese, doc="event status enable"),
    Cmd("*SRE", set=_sre, query=lambda d, a: d.sre, doc="service request enable"),
    Cmd("*STB", query=lambda d, a: d.status_byte(), doc="status byte"),
    Cmd("*OPC", set=_opc, query=_opc_q, doc="operation complete"),
    Cmd("*WAI", set=_wai, doc="wait to continue"),
    Cmd("*TRG", set=_trg, doc="bus trigger"),
    Cmd("*TST", query=_tst, doc="self test"),
])


def system_error_commands() -> list[Cmd]:
    """``SYSTem:ERRor[:NEXT]?``, ``:ALL?``, ``:COUNt?``, ``:CLEar`` for SCPI instruments."""

    def _all(dev: Emulator, args: Args) -> str:
        if not dev.errors:
            return '0,"No error"'
        items = []
        while dev.errors:
            items.append(dev.pop_error())
        return ",".join(items)

    def _clear(dev: Emulator, args: Args) -> None:
        dev.errors.clear()

    return [
        Cmd("SYSTem:ERRor[:NEXT]", query=lambda d, a: d.pop_error()),
        Cmd("SYSTem:ERRor:ALL", query=_all),
        Cmd("SYSTem:ERRor:COUNt", query=lambda d, a: len(d.errors)),
        Cmd("SYSTem:ERRor:CLEar", set=_clear),
        Cmd("SYSTem:CLEar", set=_clear),
        Cmd("SYSTem:VERSion", query=lambda d, a: "1999.0"),
    ]
