"""Time-dependent drive waveforms: dimensionless shapes ``w(t)`` multiplied by an amplitude.

Every waveform is a small immutable object with ``__call__(t: float) -> float``; the sLLG
integrator (:mod:`sim_backend.physics.llg`) evaluates it once per Heun stage, shared by the
whole batch (per-device amplitudes multiply it). ``is_constant`` lets the integrator fold a
constant drive into its linear operator once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Constant:
    """``w(t) = level``."""

    level: float = 1.0
    is_constant: bool = True

    def __call__(self, t: float) -> float:
        return self.level


@dataclass(frozen=True)
class Pulse:
    """Trapezoidal pulse of unit height.

    ``w`` rises linearly from 0 at ``start`` to 1 at ``start + rise``, stays at 1 until
    ``start + width`` and falls linearly to 0 at ``start + width + fall``. ``width`` is
    measured from the start of the rise to the start of the fall (the flat-top width plus
    the rise), the usual definition of a pulse generator's width at its leading edge.
    """

    width: float
    start: float = 0.0
    rise: float = 0.0
    fall: float = 0.0
    is_constant: bool = False

    @property
    def end(self) -> float:
        """Time at which the pulse has fully returned to zero [s]."""
        return self.start + self.width + self.fall

    def __call__(self, t: float) -> float:
        s = t - self.start
        if s < 0.0 or s > self.width + self.fall:
            return 0.0
        if s < self.rise:
            return s / self.rise
        if s <= self.width:
            return 1.0
        return 1.0 - (s - self.width) / self.fall if self.fall > 0.0 else 0.0


@dataclass(frozen=True)
class Sine:
    """``w(t) = sin(2 pi frequency (t - start) + phase)`` for ``t >= start``, else 0."""

    frequency: float
    phase: float = 0.0
    start: float = 0.0
    is_constant: bool = False

    def __call__(self, t: float) -> float:
        if t < self.start:
            return 0.0
        return math.sin(2.0 * math.pi * self.frequency * (t - self.start) + self.phase)


@dataclass(frozen=True)
class Ramp:
    """Linear ramp from 0 at ``start`` to 1 at ``start + duration``, then held at 1."""

    duration: float
    start: float = 0.0
    is_constant: bool = False

    def __call__(self, t: float) -> float:
        return min(max((t - self.start) / self.duration, 0.0), 1.0)


@dataclass(frozen=True)
class Sum:
    """Sum of waveforms, e.g. a DC bias plus a sinusoid."""

    parts: tuple
    is_constant: bool = False

    def __call__(self, t: float) -> float:
        return float(sum(p(t) for p in self.parts))


def as_waveform(w) -> object:
    """Return ``w`` as a waveform: ``None`` means :class:`Constant` (1), a number a level."""
    if w is None:
        return Constant(1.0)
    if isinstance(w, (int, float)):
        return Constant(float(w))
    if not callable(w):
        raise TypeError(f"not a waveform: {w!r}")
    return w
