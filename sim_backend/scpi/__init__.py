"""SCPI / IEEE 488.2 message engine shared by the instrument emulators.

An emulator declares its command table as a list of :class:`Cmd` in the order of its manual's
command summary.  Header patterns follow the manuals' notation:

* upper-case letters are the short form, the whole word is the long form
  (``CURRent`` accepts ``CURR`` and ``CURRENT``, any case, and nothing in between);
* ``[...]`` marks an optional node (``[SOURce[1]]:CURRent[:LEVel]``), a trailing ``[1]`` an
  optional numeric suffix that may only be 1;
* ``<n>`` after a node captures a numeric suffix (``CALCulate<n>``, default 1);
* a pattern starting with ``*`` is a common command.

Parsing follows IEEE 488.2 / SCPI-99: program messages split on ``;`` (outside strings and
blocks), a header without a leading ``:`` after ``;`` is relative to the previous header's path
(SCPI-99 vol. 1, 6.2.4), parameters split on ``,`` with quoted strings and definite-length
blocks (``#<n><len><bytes>``).  Errors go to the error queue with the standard codes
(SCPI-99 vol. 2, 21.8) and set the matching Standard Event Status Register bits.

from __future__ import annotations
The engine is split by job: :mod:`.errors` (error codes, ESR and status-byte bits),
:mod:`.params` (parameter types), :mod:`.blocks` (binary blocks), :mod:`.commands` (command
tables and patterns), :mod:`.parser` (message splitting), :mod:`.engine` (the :class:`Emulator`
base), :mod:`.common` (IEEE 488.2 common commands, SYSTem:ERRor) and :mod:`.status` (SCPI
status registers).  Emulators import the names from this package.
"""
from __future__ import annotations

from .blocks import definite_block, parse_block
from .commands import Args, Cmd, CommandTable, setting
from .common import COMMON_TABLE, system_error_commands

_COMMON_TABLE = COMMON_TABLE  # the name emulators with their own dispatch (Lake Shore 425) import
from .engine import Emulator
from .errors import (ERROR_MESSAGES, ESR_CME, ESR_DDE, ESR_EXE, ESR_OPC, ESR_PON, ESR_QYE, ESR_RQC,
                     ESR_URQ, STB_EAV, STB_ESB, STB_MAV, STB_MSS, ScpiError, esr_bit_for)
from .params import Boolean, Choice, Numeric, NumericList, ParamType, String, parse_number
from .parser import split_params, split_units
from .status import (SCPI_STATUS_REGISTERS, clear_status_registers, status_preset_command,
                     status_register_commands)

__all__ = [
    "Args", "Boolean", "COMMON_TABLE", "Choice", "Cmd", "CommandTable", "ERROR_MESSAGES", "ESR_CME",
    "ESR_DDE", "ESR_EXE", "ESR_OPC", "ESR_PON", "ESR_QYE", "ESR_RQC", "ESR_URQ", "Emulator",
    "Numeric", "NumericList", "ParamType", "SCPI_STATUS_REGISTERS", "STB_EAV", "STB_ESB", "STB_MAV",
    "STB_MSS", "ScpiError", "String", "clear_status_registers", "definite_block", "esr_bit_for",
    "parse_block", "parse_number", "setting", "split_params", "split_units",
    "status_preset_command", "status_register_commands", "system_error_commands",
]
