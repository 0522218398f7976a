"""Keithley 2450: averaging filter, output-off states and reading-buffer statistics
(2450 Reference Manual, 2450-901-01: "Filtering measurement data" in section 2 /
``[:SENSe[1]]:<function>:AVERage`` in section 6; "Output-off state", p. 2-82 /
``:OUTPut[1]:<function>:SMODe``, p. 6-32; ``:TRACe:STATistics:*`` in section 6).

Averaging filter, per measure function (``AVER`` *RST OFF, ``TCON`` *RST REPeat, ``COUN``
1..100, *RST 10):

* repeating: each reading is the mean of ``COUNT`` fresh conversions (and takes their time);
  the stack is emptied after each reading;
* moving: each reading is the mean of the last ``COUNT`` conversions; a new conversion pushes
  out the oldest.  The first conversion after the filter was (re)configured fills the stack
  (as the manual describes for the moving filter's start), so the first reading is not biased
  toward zero.

Output-off states (the manual's list): NORMal (V-source at 0 V, current limit 10 % of range),
HIMPedance (output relay open), ZERO (V-source at 0 V), GUARd (I-source at 0 A).  In the
simulated world each of them leaves no current flowing into the wired port from the 2450 alone;
they differ only where another source drives the same port (a 0 V source would then sink its
current), which :class:`SimWorld` does not model (documented assumption).  The state is kept and
answered per source function.

Buffer statistics: ``AVERage``, ``MAXimum``, ``MINimum``, ``PK2Pk`` and ``SPAN`` (both
max - min) and ``STDDev`` (sample
standard deviation, n - 1 in the denominator, the Keithley formula) of the readings of a buffer
(``defbuffer1`` unless named); overflowed readings (9.9E37) are left out.  With no reading in
the buffer the query fails with ``-230,"Data corrupt or stale"`` (assumed, as the 2400 series
does: the 2450 manual does not say).
"""
from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING, Callable

from ..scpi import Args, Boolean, Choice, Cmd, Numeric, ScpiError, String
from ..timeline import Action

if TYPE_CHECKING:  # pragma: no cover
    from .keithley_2450 import Keithley2450

OVERFLOW = 9.9e37
FILTER_DEFAULTS = dict(aver=False, aver_tcon="REPEAT", aver_count=10)
OFF_STATES = ("NORMal", "HIMPedance", "ZERO", "GUARd")


def filtered_steps(dev: "Keithley2450", convert: Callable[[], Action]) -> Action:
    """One reading of the active function through its averaging filter (see module doc), as a
    timeline action (:mod:`sim_backend.timeline`): ``convert()`` is one conversion's action."""
    fn = dev.settings["sense_function"]
    sen = dev.sense[fn]
    if not sen["aver"]:
        return (yield from convert())
    count = int(sen["aver_count"])
    if sen["aver_tcon"] == "REPEAT":
        readings = []
        for _ in range(count):
            readings.append((yield from convert()))
        values = [r.value for r in readings]
        last = readings[-1]
    else:
        stack: deque = sen.setdefault("stack", deque(maxlen=count))
        last = yield from convert()
        if not stack:
            stack.extend([last.value] * count)
        else:
            stack.append(last.value)
        values = list(stack)
    if any(v == OVERFLOW for v in values):
        last.value = OVERFLOW
    else:
        last.value = sum(values) / len(values)
    return last


def _sense_target(function: str) -> Callable[["Keithley2450"], dict]:
    return lambda dev: dev.sense[function]


def _filter_rows() -> list[Cmd]:
    rows: list[Cmd] = []
    for fn, word in (("CURR:DC", "CURRent[:DC]"), ("RES", "RESistance"), ("VOLT:DC", "VOLTage[:DC]")):
        base = f"[SENSe[1]]:{word}:AVERage"
        for suffix, key, ptype in (("[:STATe]", "aver", Boolean()),
                                   (":TCONtrol", "aver_tcon", Choice(("REPeat", "MOVing"))),
                                   (":COUNt", "aver_count", Numeric(1, 100, default=10, integer=True))):
            def _set(dev, args, fn=fn, key=key, ptype=ptype):
                sen = dev.sense[fn]
                sen[key] = args.one(ptype)
                sen.pop("stack", None)  # a new filter configuration starts an empty stack

            def _query(dev, args, fn=fn, key=key, ptype=ptype):
                return ptype.format(dev.sense[fn][key])
            rows.append(Cmd(base + suffix, _set, _query, f"averaging filter {key}"))
    return rows


def _off_state_rows() -> list[Cmd]:
    ptype = Choice(OFF_STATES)
    rows = []
    for fn, word in (("CURRENT", "CURRent"), ("VOLTAGE", "VOLTage")):
        def _set(dev, args, fn=fn):
            dev.source[fn]["smode"] = args.one(ptype)

        def _query(dev, args, fn=fn):
            return ptype.format(dev.source[fn]["smode"])
        rows.append(Cmd(f":OUTPut[1]:{word}:SMODe", _set, _query, "output-off state NORM|HIMP|ZERO|GUAR"))
    return rows


def _statistic(name: str) -> Callable[["Keithley2450", Args], str]:
    def _query(dev: "Keithley2450", args: Args) -> str:
        buf = dev._buffer(args.optional(String(), "defbuffer1"))
        data = [r.value for r in buf.readings if r.value != OVERFLOW]
        if not data:
            raise ScpiError(-230, "no readings in the buffer")
        n = len(data)
        mean = sum(data) / n
        value = {
            "AVER": lambda: mean,
            "MAX": lambda: max(data),
            "MIN": lambda: min(data),
            "PK2P": lambda: max(data) - min(data),
            "STDD": lambda: math.sqrt(sum((v - mean) ** 2 for v in data) / (n - 1)) if n > 1 else 0.0,
        }[name]()
        return f"{value:.6E}"
    return _query


def _stat_clear(dev: "Keithley2450", args: Args) -> None:
    """``:TRACe:STATistics:CLEar``: the statistics restart with the next readings; the emulator
    computes them over the buffer, so this empties nothing but is accepted."""
    args.optional(String(), "defbuffer1")


def extra_rows() -> list[Cmd]:
    return [
        *_filter_rows(),
        *_off_state_rows(),
        Cmd(":TRACe:STATistics:AVERage", query=_statistic("AVER"), doc="mean of a buffer's readings"),
        Cmd(":TRACe:STATistics:MAXimum", query=_statistic("MAX")),
        Cmd(":TRACe:STATistics:MINimum", query=_statistic("MIN")),
        Cmd(":TRACe:STATistics:PK2Pk", query=_statistic("PK2P")),
        Cmd(":TRACe:STATistics:SPAN", query=_statistic("PK2P")),
        Cmd(":TRACe:STATistics:STDDev", query=_statistic("STDD"), doc="sample standard deviation"),
        Cmd(":TRACe:STATistics:CLEar", _stat_clear),
    ]
