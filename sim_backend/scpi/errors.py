"""Standard SCPI errors (SCPI-99 vol. 2, 21.8), the Standard Event Status Register and status byte bits (IEEE 488.2, 11.5)."""
from __future__ import annotations

# ----------------------------------------------------------------------------------------------
# errors

#: Standard SCPI error messages (SCPI-99 vol. 2, 21.8).
ERROR_MESSAGES: dict[int, str] = {
    0: "No error",
    -100: "Command error",
    -101: "Invalid character",
    -102: "Syntax error",
    -103: "Invalid separator",
    -104: "Data type error",
    -108: "Parameter not allowed",
    -109: "Missing parameter",
    -113: "Undefined header",
    -114: "Header suffix out of range",
    -120: "Numeric data error",
    -131: "Invalid suffix",
    -141: "Invalid character data",
    -151: "Invalid string data",
    -160: "Block data error",
    -200: "Execution error",
    -213: "Init ignored",
    -221: "Settings conflict",
    -222: "Data out of range",
    -224: "Illegal parameter value",
    -230: "Data corrupt or stale",
    -241: "Hardware missing",
    -350: "Queue overflow",
    -363: "Input buffer overrun",
    -410: "Query INTERRUPTED",
    -420: "Query UNTERMINATED",
    -430: "Query DEADLOCKED",
}

# Standard Event Status Register bits (IEEE 488.2, 11.5.1)
ESR_OPC, ESR_RQC, ESR_QYE, ESR_DDE, ESR_EXE, ESR_CME, ESR_URQ, ESR_PON = (1 << i for i in range(8))
# Status byte bits
STB_EAV, STB_MAV, STB_ESB, STB_MSS = 1 << 2, 1 << 4, 1 << 5, 1 << 6


class ScpiError(Exception):
    """A command the instrument rejects: ``code`` goes to the error queue."""

    def __init__(self, code: int, detail: str = ""):
        self.code = code
        self.detail = detail
        text = ERROR_MESSAGES.get(code, "Device-specific error")
        super().__init__(f'{code},"{text}{"; " + detail if detail else ""}"')


def esr_bit_for(code: int) -> int:
    """The ESR bit an error code sets (IEEE 488.2, 11.5.1.1)."""
    if -199 <= code <= -100:
        return ESR_CME
    if -299 <= code <= -200:
        return ESR_EXE
    if -399 <= code <= -300 or code > 0:
        return ESR_DDE
    if -499 <= code <= -400:
        return ESR_QYE
    return 0
