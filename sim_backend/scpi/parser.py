"""Splitting program messages into units and parameters (IEEE 488.2 7.3, SCPI-99 6.2)."""
from __future__ import annotations

from .blocks import parse_block
from .errors import ScpiError


# ----------------------------------------------------------------------------------------------
# message splitting


def split_units(message: bytes) -> list[bytes]:
    """Split a program message into message units on ``;`` outside strings and blocks."""
    if b"#" not in message and b'"' not in message and b"'" not in message:
        return message.split(b";")  # nothing to protect: the common case, done in C
    units: list[bytes] = []
    start = 0
    i = 0
    n = len(message)
    quote = 0
    while i < n:
        c = message[i]
        if quote:
            if c == quote:
                quote = 0
        elif c in (0x22, 0x27):  # " '
            quote = c
        elif c == 0x23 and i + 1 < n and 0x30 <= message[i + 1] <= 0x39:  # '#' block
            try:
                _, end = parse_block(message, i)
                i = end
                continue
            except ScpiError:
                pass
        elif c == 0x3B:  # ;
            units.append(message[start:i])
            start = i + 1
        i += 1
    units.append(message[start:])
    return units


def split_params(text: bytes) -> tuple[list[str], list[bytes]]:
    """Split parameter text on ``,`` outside strings/blocks; blocks are returned separately as bytes
    and stand in the token list as ``#BLOCK<k>``."""
    tokens: list[str] = []
    blocks: list[bytes] = []
    buf = bytearray()
    i = 0
    n = len(text)
    quote = 0
    while i < n:
        c = text[i]
        if quote:
            buf.append(c)
            if c == quote:
                quote = 0
        elif c in (0x22, 0x27):
            quote = c
            buf.append(c)
        elif c == 0x23 and i + 1 < n and 0x30 <= text[i + 1] <= 0x39:
            payload, end = parse_block(text, i)
            blocks.append(payload)
            buf += f"#BLOCK{len(blocks) - 1}".encode()
            i = end
            continue
        elif c == 0x2C:
            tokens.append(buf.decode("latin-1").strip())
            buf = bytearray()
        else:
            buf.append(c)
        i += 1
    if quote:
        raise ScpiError(-151, "unterminated string")
    last = buf.decode("latin-1").strip()
    if last or tokens:
        tokens.append(last)
    if any(t == "" for t in tokens):
        raise ScpiError(-109 if tokens[-1] == "" else -103)
    return tokens, blocks
