"""SR830 demodulation: what the lock-in's output filter is fed (SR830 manual, chapter 3 "SR830
Basics": "What does a lock-in measure?", "The Reference Oscillator", "Input Overloads",
"Noise"; specifications "Sine Out", "Voltage Input", "Current Input").

The sine output (``SLVL`` V rms at ``FREQ``) drives the device port ``connect.sine_out`` through
``connect.series_resistance`` plus its own 50 ohm: I(t) = sqrt(2) V / (R_series + 50 +
R_channel) sin(wt).  The input (``connect.input``) is evaluated at K phases of one cycle,
``world.port_voltage(port, world.drive(current=I_dc + I(phi_k)))``, so a device nonlinearity
(a second-harmonic Hall voltage) appears at the harmonics.  The demodulator takes the Fourier
component at ``HARM`` x the reference, rotated by ``PHAS``: X + iY = (b_n + i a_n)/sqrt(2)
e^{-i theta_ref}.  In current mode (``ISRC 2|3``) the input is the port's Norton current.

External reference (``FMOD 0``): the TTL of an RF source's pulse modulation or of a pulsed
laser controller on REF IN (``connect.reference``), or the LF output of an RF source's sine AM,
see :meth:`Demodulator._external_target`.

Input overload (LIA bit 0): the input's rms above the sensitivity times the dynamic reserve
(a fixed factor per ``RMOD``: high reserve 40 dB, normal 20 dB, low noise 0 dB -- assumed; the
real reserve also depends on the sensitivity) or its peak above 1.4 V.  Noise density: the input
port's Johnson noise sqrt(4 k T R) and the input amplifier's 6 nV/sqrt(Hz) (130 / 13 fA/sqrt(Hz)
in current mode), in quadrature.
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ..physics.constants import KB

if TYPE_CHECKING:  # pragma: no cover
    from .srs_sr830 import SR830

#: RMOD -> dynamic reserve in dB (assumed fixed values, see module doc)
RESERVE_DB = {0: 40.0, 1: 20.0, 2: 0.0}
#: input amplifier noise (specifications): voltage, and current per ISRC 2 / 3
AMP_NOISE_V = 6e-9
AMP_NOISE_I = {2: 130e-15, 3: 13e-15}
CURRENT_GAIN = {2: 1e6, 3: 1e8}
INPUT_PEAK_MAX = 1.4
SINE_OUT_IMPEDANCE = 50.0
# LIA status bits set here (manual 5-20)
LIA_INPUT, LIA_UNLOCK = 1 << 0, 1 << 3
#: envelope phases at which the device is read under sine AM (harmonics up to 15 are exact)
AM_PHASES = 32
#: targets and input waveforms remembered (world states of a switching loop, a field sweep, a ramp)
TARGET_MEMO = 256
WAVEFORM_MEMO = 4096


def _remember(memo: dict, key, value, size: int) -> None:
    """``memo[key] = value``, the oldest entry dropped beyond ``size``."""
    if len(memo) >= size:
        memo.pop(next(iter(memo)))
    memo[key] = value


class Demodulator:
    """The demodulation half of :class:`~.srs_sr830.SR830` (a mixin)."""

    def _external_waveform(self: "SR830", train) -> tuple[np.ndarray, np.ndarray]:
        """Input over one cycle of the external (TTL) reference: a laser pulse train
        ``(t0, period, width, power_on)``.  Phase 0 is the rising edge (``RSLP 1``; manual
        "Reference Input").  The device's own periodic steady state when it offers one
        (``periodic_voltage``: thermal lag), else the quasi-static on/off voltage."""
        world = self.world
        _t0, period, width, p_on = train
        k = max(64, 4 * self.settings["harm"] + 4)
        phases = 2 * np.pi * np.arange(k) / k
        base = world.drive()
        periodic = getattr(world.device, "periodic_voltage", None)
        if periodic is not None:
            v = np.asarray(periodic(self.input_port, base, period, width, p_on, phases), dtype=float)
        else:
            on = replace(base, laser_power=p_on)
            off = replace(base, laser_power=0.0)
            v_on, v_off = world.port_voltage(self.input_port, on), world.port_voltage(self.input_port, off)
            v = np.where(phases < 2 * np.pi * width / period, v_on, v_off)
        if self.settings["isrc"] >= 2:
            v = v / world.port_resistance(self.input_port)
        return phases, v

    def _input_waveform(self: "SR830") -> tuple[np.ndarray, np.ndarray]:
        """Phases and input samples (V, or A in current mode) over one reference cycle
        (memoized per world state and excitation, see :meth:`_target`)."""
        s = self.settings
        k = max(32, 4 * s["harm"] + 4)
        phases = 2 * np.pi * np.arange(k) / k
        state = getattr(self, "_state", None)
        wkey = None if state is None else (k, s["slvl"], state)
        memo = self.__dict__.setdefault("_waveform_memo", {})
        v = memo.get(wkey) if wkey is not None else None
        if v is None:
            v = self._sample_input(phases)
            if wkey is not None:
                _remember(memo, wkey, v, WAVEFORM_MEMO)
        if s["isrc"] >= 2:
            v = v / self.world.port_resistance(self.input_port)
        return phases, v

    def _sample_input(self: "SR830", phases: np.ndarray) -> np.ndarray:
        """The input port's voltage at each phase of the sine output's current."""
        world = self.world
        i0 = 0.0
        if self.sine_port is not None:
            r = self.series_resistance + SINE_OUT_IMPEDANCE + world.port_resistance(self.sine_port)
            i0 = math.sqrt(2) * self.settings["slvl"] / r
        base = world.drive(port=self.sine_port or self.input_port)
        if i0 == 0.0:
            return np.full(len(phases), world.port_voltage(self.input_port, base))
        # phases phi and pi - phi carry the same current: each distinct one is evaluated once
        idc = base.current
        sines = np.round(np.sin(phases), 12)
        volts: dict[float, float] = {}
        for x in sines:
            if x not in volts:
                volts[x] = world.port_voltage(self.input_port, replace(base, current=idc + i0 * x))
        return np.array([volts[x] for x in sines])

    def _state_key(self: "SR830") -> tuple | None:
        """What the input depends on besides the settings: the drive at the ports and every
        device's state (its moment), and on the external reference the reference's modulation;
        None if a device has no readable state (nothing is memoized then)."""
        world = self.world
        d = world.drive(port=self.sine_port or self.input_port)
        parts = [d.current, d.field.tobytes(), d.temperature, d.laser_power, d.rf_tones]
        if self.settings["fmod"] == 0:
            parts.append(repr(world.links.read(self.reference_source, "modulation")))
        for dev in world.devices.values():
            m = getattr(dev, "m", None)
            if m is None:
                return None
            parts.append(np.asarray(m, dtype=float).tobytes())
            parts.append(getattr(dev, "_relaxed", None))
        return tuple(parts)

    def _target(self: "SR830") -> complex:
        """Steady-state X + iY for the present world and settings; latches input overload.
        Memoized per world state and settings (a bench that alternates between a few drives --
        pulses of a switching loop -- computes each once), and the input waveform per world
        state and excitation (:meth:`_input_waveform`: both harmonics of a field sweep, and every
        ramp over the same fields, share it)."""
        s = self.settings
        state = self._state = self._state_key()
        key = None if state is None else (s["harm"], s["slvl"], s["isrc"], s["icpl"], s["rmod"],
                                          s["sens"], s["phas"], s["fmod"], state)
        memo = self.__dict__.setdefault("_target_memo", {})
        if key is not None:
            hit = memo.get(key)
            if hit is not None:
                self.lias |= hit[1]
                return hit[0]
        saved, self.lias = self.lias, 0
        u = self._target_now()
        flags, self.lias = self.lias, saved | self.lias
        if key is not None:
            _remember(memo, key, (u, flags & (LIA_INPUT | LIA_UNLOCK)), TARGET_MEMO)
        return u

    def _target_now(self: "SR830") -> complex:
        s = self.settings
        if s["fmod"] == 0:  # external reference: the wired source's modulation, or unlocked
            mod = self.world.links.read(self.reference_source, "modulation") or {}
            if "train" not in mod:
                return self._external_target()
            # a laser controller's pulse train: the device's periodic response to it
            train = mod["train"]
            if train is None or not 1e-3 <= 1.0 / train[1] <= 102000.0:
                self.lias |= LIA_UNLOCK
                return 0j
            s["freq"] = 1.0 / train[1]
            phases, v = self._external_waveform(train)
        else:
            phases, v = self._input_waveform()
        n = s["harm"]
        k = len(phases)
        b = 2.0 / k * float(np.dot(v, np.sin(n * phases)))
        a = 2.0 / k * float(np.dot(v, np.cos(n * phases)))
        ac = v - v.mean() if s["icpl"] == 0 else v
        rms = float(np.sqrt(np.mean(ac * ac)))
        peak = float(np.max(np.abs(v))) * (CURRENT_GAIN.get(s["isrc"], 1.0))
        if rms > self.sensitivity * 10 ** (RESERVE_DB[s["rmod"]] / 20) or peak > INPUT_PEAK_MAX:
            self.lias |= LIA_INPUT
        return complex(b, a) / math.sqrt(2) * complex(math.cos(math.radians(-s["phas"])),
                                                       math.sin(math.radians(-s["phas"])))

    def _external_target(self: "SR830") -> complex:
        """External reference (FMOD 0) on REF IN from an RF source's pulse modulation output
        (``connect.reference``; the source publishes ``modulation = {frequency, duty, on,
        carrier}`` on the world's links).  The lock-in tracks the TTL's frequency (manual 3-3,
        "External reference": locks to the rising edge) and demodulates the input, which is the
        device voltage with the carrier on during the pulse and off between pulses: harmonic n
        of that square wave of duty d, ``a_n = dV sin(2 pi n d)/(pi n)``, ``b_n = dV (1 - cos(2
        pi n d))/(pi n)`` (phase 0 at the rising edge), dV = V_on - V_off."""
        s = self.settings
        mod = self.world.links.read(self.reference_source, "modulation")
        if not mod or not mod.get("on"):
            self.lias |= LIA_UNLOCK
            return 0j
        s["freq"] = float(mod["frequency"])
        world = self.world
        base = world.drive(port=self.input_port)
        carrier = float(mod["carrier"])
        rest = tuple(t for t in base.rf_tones if abs(t[0] - carrier) > 1e-3)
        strongest = max(rest, key=lambda t: t[1]) if rest else (0.0, -math.inf, 0.0)
        off = replace(base, rf_tones=rest, rf_frequency=strongest[0], rf_power_dbm=strongest[1])
        n = s["harm"]
        if mod.get("shape") == "sine":          # AM: the device over the envelope 1 + m sin(phi)
            a, b, v_on, v_off = self._am_components(base, off, carrier, float(mod["depth"]), n)
        else:
            v_on = world.port_voltage(self.input_port, base)
            v_off = world.port_voltage(self.input_port, off)
            dv = v_on - v_off
            if mod.get("inverted"):
                dv = -dv
            if s["isrc"] >= 2:
                dv = dv / world.port_resistance(self.input_port)
            d = float(mod["duty"])
            a = dv * math.sin(2 * math.pi * n * d) / (math.pi * n)
            b = dv * (1 - math.cos(2 * math.pi * n * d)) / (math.pi * n)
        if max(abs(v_on), abs(v_off)) * CURRENT_GAIN.get(s["isrc"], 1.0) > INPUT_PEAK_MAX:
            self.lias |= LIA_INPUT
        return complex(b, a) / math.sqrt(2) * complex(math.cos(math.radians(-s["phas"])),
                                                       math.sin(math.radians(-s["phas"])))

    def _am_components(self: "SR830", base, off, carrier: float, depth: float, n: int):
        """Harmonic ``n`` of the device voltage under a sine AM envelope ``1 + m sin(phi)`` of
        the carrier (the LF output, phase 0 at its positive zero crossing): the device is read at
        ``AM_PHASES`` phases with the carrier's power ``P + 20 log10(1 + m sin(phi))`` (quasi-
        static: the AM rate is far below the device's own rates), the Fourier components
        ``a_n`` (cos) and ``b_n`` (sin) of what differs from the carrier-off voltage."""
        world, port = self.world, self.input_port
        v_off = world.port_voltage(port, off)
        phases = 2 * math.pi * np.arange(AM_PHASES) / AM_PHASES
        volts = np.empty(AM_PHASES)
        for k, phi in enumerate(phases):
            env = 1.0 + depth * math.sin(phi)
            if env <= 0:
                volts[k] = v_off
                continue
            gain = 20 * math.log10(env)
            tones = tuple((f, p + gain, ph) if abs(f - carrier) <= 1e-3 else (f, p, ph)
                          for f, p, ph in base.rf_tones)
            top = max(tones, key=lambda t: t[1])
            volts[k] = world.port_voltage(port, replace(base, rf_tones=tones, rf_frequency=top[0],
                                                        rf_power_dbm=top[1]))
        dv = volts - v_off
        if self.settings["isrc"] >= 2:
            dv = dv / world.port_resistance(port)
        a = 2.0 / AM_PHASES * float(np.sum(dv * np.cos(n * phases)))
        b = 2.0 / AM_PHASES * float(np.sum(dv * np.sin(n * phases)))
        return a, b, float(volts[int(np.argmax(np.abs(volts)))]), v_off

    def noise_density(self: "SR830") -> float:
        """Input noise density: V/sqrt(Hz) (A/sqrt(Hz) in current mode)."""
        r = self.world.port_resistance(self.input_port)
        kt4 = 4 * KB * self.world.temperature
        isrc = self.settings["isrc"]
        if isrc >= 2:
            return math.sqrt(kt4 / r + AMP_NOISE_I[isrc] ** 2)
        return math.sqrt(kt4 * r + AMP_NOISE_V ** 2)

