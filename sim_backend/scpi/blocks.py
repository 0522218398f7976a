"""IEEE 488.2 definite-length arbitrary blocks (``#<n><len><bytes>``, IEEE 488.2 7.7.6 / 8.7.9)."""
from __future__ import annotations

from .errors import ScpiError


# ----------------------------------------------------------------------------------------------
# binary blocks


def definite_block(payload: bytes) -> bytes:
    """IEEE 488.2 definite-length arbitrary block: ``#<n><length><payload>``."""
    n = str(len(payload))
    if len(n) > 9:
        raise ValueError("block too long for a definite-length header")
    return b"#" + str(len(n)).encode() + n.encode() + payload


def parse_block(data: bytes, start: int = 0) -> tuple[bytes, int]:
    """Parse a definite (``#n...``) or indefinite (``#0...``+END) block; return payload and end index."""
    if data[start : start + 1] != b"#":
        raise ScpiError(-160, "block must start with #")
    try:
        ndig = int(data[start + 1 : start + 2])
    except ValueError:
        raise ScpiError(-160, "bad block header") from None
    if ndig == 0:  # indefinite: to the end of the message, less the terminator
        payload = data[start + 2 :]
        return payload.rstrip(b"\n"), len(data)
    length_text = data[start + 2 : start + 2 + ndig]
    if len(length_text) != ndig or not length_text.isdigit():
        raise ScpiError(-160, "bad block length")
    length = int(length_text)
    begin = start + 2 + ndig
    if begin + length > len(data):
        raise ScpiError(-160, "block shorter than its header says")
    return data[begin : begin + length], begin + length
