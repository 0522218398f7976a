"""Keithley 6221 Delta and Pulse Delta runs (manual section 5), written as timeline actions
(:mod:`sim_backend.timeline`): generators of waits whose A/D conversions are the linked 2182A's
own actions (``trigger_link.convert`` answers one), so the emulators couple only through the
world.  ``INIT:IMM`` starts them on the timeline (a :class:`~sim_backend.timeline.ActionProcess`).

Pulse Delta (manual 5-21..5-34): one cycle of INT power-line cycles (fixed output) or of the
sweep delay (sweep output) is, on the first three line-cycle edges, a low, a high and a low
pulse of ``WIDT``; the 2182A converts channel 1 from ``SDEL`` into each pulse to the pulse's end
(aperture = WIDT - SDEL, at least 34 us; a longer aperture runs past the pulse and integrates
the low level for the rest); between pulses and for the rest of the cycle the output sits at
the low level.  Readings (figure 5-9): 3-point ``B - (A + C)/2``; 2-point (``LME 2``) ``B - A``.
Delta (manual 5-13): alternate high and low every ``DELT:DEL``; readings
``(A - 2B + C)/4 * (-1)^n`` (figure 5-7).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..timeline import Action

if TYPE_CHECKING:  # pragma: no cover
    from .keithley_6221 import Keithley6221

NAN = 9.9e37
#: shortest 2182A conversion inside a pulse (s): 12 ms max width - 11.966 ms max source delay
MIN_PULSE_APERTURE = 34e-6


def _store(dev: "Keithley6221", reading: float, t: float, source: float, comp: bool) -> None:
    """One Delta / Pulse Delta reading into the 6221's buffer, with its measurement event bits
    (figure 11-6: reading available, buffer 1/4, 1/2, 3/4 full, full, trace notify)."""
    from .keithley_6221 import B3QF, BAV, BFL, BHF, BQF, RAV, TN

    s = dev.settings
    if len(dev.buffer) >= s["trac_poin"]:
        return
    dev.buffer.append({"READ": reading, "TST": t, "RNUM": float(len(dev.buffer)),
                       "SOUR": source, "COMP": 1.0 if comp else 0.0, "AVOL": NAN})
    n, size = len(dev.buffer), s["trac_poin"]
    bits = RAV | (BAV if n >= 1 else 0) | (BQF if n >= size / 4 else 0) \
        | (BHF if n >= size / 2 else 0) | (B3QF if n >= 3 * size / 4 else 0) | (BFL if n >= size else 0)
    if n == s["trac_not"]:
        bits |= TN
    dev.meas_event |= bits
    dev.meas_cond |= bits & ~RAV


def _units(dev: "Keithley6221", volts: float, d_amps: float, high: float, duty: float) -> float:
    """Convert a delta voltage to ``UNIT`` (V, OHMS = V/I, SIEM = I/V, W = I V (x duty))."""
    if volts == NAN:
        return NAN
    unit = dev.settings["unit"]
    if unit == "OHMS":
        return volts / d_amps if d_amps else NAN
    if unit == "SIEMENS":
        return d_amps / volts if volts else NAN
    if unit == "W":
        p = abs(high) * volts
        return p * duty if dev.settings["unit_pow"] == "AVERAGE" else p
    return volts


def _align_to_line(dev: "Keithley6221") -> Action:
    phase = (dev.world.now * dev.line_frequency) % 1.0
    if phase > 1e-9:
        yield (1.0 - phase) * dev.plc


def _pulse(dev: "Keithley6221", amps: float, low: float, width: float, sdel: float,
           measure: bool, comp: float) -> Action:
    """One pulse of ``width`` at ``amps`` starting now; the 2182A converts from ``sdel``."""
    nv = dev.nanovoltmeter
    _, limited = yield from dev._drive_steps(amps, comp)
    wait = max(sdel - dev.RISE_TIME, 0.0)
    if wait > 0:
        yield wait
    v = math.nan
    aperture = max(width - sdel, MIN_PULSE_APERTURE)
    inside = max(width - sdel, 0.0)
    if measure:
        if aperture <= inside + 1e-12:
            v = yield from nv.pulse_conversion(aperture)
        else:  # the conversion outlasts the pulse: the rest integrates the low level
            v1 = (yield from nv.pulse_conversion(inside)) if inside > 0 else 0.0
            yield from dev._drive_steps(low, comp)
            v2 = yield from nv.pulse_conversion(aperture - inside)
            v = NAN if NAN in (v1, v2) else (v1 * inside + v2 * (aperture - inside)) / aperture
    elif inside > 0:
        yield inside
    yield from dev._drive_steps(low, comp)
    return v, limited


def _hold_until(world, t: float) -> Action:
    if t > world.now:
        yield t - world.now


def pulse_delta(dev: "Keithley6221") -> Action:
    """Pulse Delta cycles; one reading per cycle into the 6221's buffer."""
    s = dev.settings
    world = dev.world
    low, width, sdel = s["pdel_low"], s["pdel_widt"], s["pdel_sdel"]
    if s["pdel_swe"]:
        points = dev._sweep_points()
        reps = int(s["swe_coun"]) if math.isfinite(s["swe_coun"]) else 1
        highs = [(p, dev._point_delay(i), dev._point_comp(i))
                 for _ in range(reps) for i, p in enumerate(points)]
    else:
        count = s["pdel_coun"]
        n = int(count) if math.isfinite(count) else int(s["trac_poin"])
        highs = [(s["pdel_high"], s["pdel_int"] * dev.plc, s["comp"])] * n
    n = min(len(highs), int(s["trac_poin"]))
    three = s["pdel_lme"] == 3
    dev.last_conversions = []
    yield from _align_to_line(dev)
    t_first = world.now
    t_prev = t_first
    plc = dev.plc
    for k in range(n):
        high, period, comp = highs[k]
        period = max(math.ceil(period * dev.line_frequency - 1e-9), 3) * plc
        t0 = world.now
        a, lim_a = yield from _pulse(dev, low, low, width, sdel, True, comp)
        yield from _hold_until(world, t0 + plc)
        b, lim_b = yield from _pulse(dev, high, low, width, sdel, True, comp)
        yield from _hold_until(world, t0 + 2 * plc)
        c, lim_c = yield from _pulse(dev, low, low, width, sdel, three, comp)
        if NAN in (a, b) or (three and c == NAN):
            reading = NAN
        else:
            reading = b - (a + c) / 2 if three else b - a
        dev.last_conversions.append((a, b, c) if three else (a, b))
        value = _units(dev, reading, high - low, high, width / period)
        t = (t0 - t_first) if s["trac_tst"] == "ABSOLUTE" else (t0 - t_prev)
        t_prev = t0
        _store(dev, value, t, high, lim_a or lim_b or lim_c)
        yield from _hold_until(world, t0 + period)
    # after the last cycle the output stays at the low level until SOUR:SWE:ABOR


def delta(dev: "Keithley6221") -> Action:
    """Delta: alternate high/low; a reading from every three A/D conversions."""
    s = dev.settings
    world = dev.world
    nv = dev._require_nv()
    high, low, delay = s["delt_high"], s["delt_low"], s["delt_del"]
    count = s["delt_coun"]
    n = int(count) if math.isfinite(count) else int(s["trac_poin"])
    n = min(n, int(s["trac_poin"]))
    aperture = nv.delta_aperture()
    conv: list[float] = []
    times: list[float] = []
    limited_any = False
    dev.last_conversions = []
    t_first = None
    t_prev = 0.0
    for i in range(n + 2):
        _, limited = yield from dev._drive_steps(high if i % 2 == 0 else low)
        limited_any |= limited
        if limited and s["delt_cab"]:
            break
        yield delay
        times.append(world.now)
        conv.append((yield from nv.pulse_conversion(aperture)))
        if len(conv) >= 3:
            j = len(conv) - 3
            a, b, c = conv[j:]
            reading = NAN if NAN in (a, b, c) else (a - 2 * b + c) / 4 * (-1) ** j
            dev.last_conversions.append((a, b, c))
            t_first = times[j] if t_first is None else t_first
            t = times[j] - (t_first if s["trac_tst"] == "ABSOLUTE" else t_prev)
            t_prev = times[j]
            _store(dev, _units(dev, reading, (high - low) / 2, high, 1.0), t, high, limited_any)
    yield from dev._drive_steps(low)
