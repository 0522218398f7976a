"""Test-only transports that record every command and answer queries with canned replies.

``TranscriptAdapter`` is a pymeasure ``Adapter`` (pymeasure's ``expected_protocol`` idea,
but recording instead of asserting step by step, so a test can assert the whole transcript
and also that it is empty after a refused set-point).  ``FakeQcodesInstrument`` stands in for
a qcodes ``VisaInstrument`` (``write``/``ask``/``close``).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pymeasure.adapters import Adapter

Reply = str | list[str] | Callable[[str], str]


class _Replies:
    def __init__(self, replies: dict[str, Reply] | None) -> None:
        self.table: dict[str, Any] = {k: (list(v) if isinstance(v, list) else v)
                                      for k, v in (replies or {}).items()}

    def answer(self, query: str) -> str:
        if query not in self.table:
            raise AssertionError(f"unexpected query {query!r}; canned: {sorted(self.table)}")
        reply = self.table[query]
        if callable(reply):
            return str(reply(query))
        if isinstance(reply, list):          # successive answers; the last one repeats
            return str(reply.pop(0) if len(reply) > 1 else reply[0])
        return str(reply)


class TranscriptAdapter(Adapter):
    """Records writes; a query (a message containing '?') queues its canned reply."""

    def __init__(self, replies: dict[str, Reply] | None = None) -> None:
        super().__init__()
        self.written: list[str] = []
        self._replies = _Replies(replies)
        self._pending: list[str] = []

    def _write(self, command: str, **kwargs) -> None:
        self.written.append(command)
        if "?" in command:
            self._pending.append(self._replies.answer(command))

    def _read(self, **kwargs) -> str:
        if not self._pending:
            raise AssertionError("read without a pending query")
        return self._pending.pop(0)

    def close(self) -> None:
        self.closed = True


class FakeQcodesInstrument:
    """The part of a qcodes ``VisaInstrument`` the 2450 driver uses."""

    def __init__(self, replies: dict[str, Reply] | None = None) -> None:
        self.written: list[str] = []
        self._replies = _Replies(replies)
        self.closed = False

    def write(self, command: str) -> None:
        self.written.append(command)

    def ask(self, command: str) -> str:
        self.written.append(command)
        return self._replies.answer(command)

    def close(self) -> None:
        self.closed = True
