"""SR830 output filter and output noise (SR830 manual, chapter 3 "SR830 Basics": "Time
Constants and Filter Slope", "Noise Measurements"; ENBW table, 3-21).

The output filter is ``OFSL`` + 1 cascaded identical RC stages of time constant ``OFLT``.  Its
input (the demodulated X + iY the device produces) is piecewise constant between changes of the
world's drive (:meth:`SimWorld.on_drive_change`), so the filter is integrated *exactly*: for a
constant input u over dt, stage k (0-based) relaxes as

    s_k(t + dt) = u + e^{-x} sum_{j<=k} (s_j(t) - u) x^{k-j} / (k-j)!,   x = dt / tau

(the response of a chain of first-order lags; a step read 1 tau later at 6 dB/oct has moved
1 - 1/e of the way, at 24 dB/oct 1 - e^{-1}(1 + 1 + 1/2 + 1/6)).

Noise: the input noise density in the equivalent noise bandwidth of the filter (1/(4 tau),
1/(8 tau), 3/(32 tau), 5/(64 tau) for 6..24 dB/oct) as an Ornstein-Uhlenbeck process of
correlation time 1/(4 ENBW), one per output (X and Y).  The OU process is independent of the
signal, so it is advanced exactly from one reading to the next (one normal draw per output per
reading, from the world's seeded stream): a change of drive elsewhere on the bench draws
nothing.
"""
from __future__ import annotations

import math

import numpy as np

#: filter order (OFSL + 1) -> ENBW x tau (manual 3-21)
ENBW_TAU = {1: 1 / 4, 2: 1 / 8, 3: 3 / 32, 4: 5 / 64}
#: beyond this many time constants every stage has reached the input (e^-60 ~ 1e-26)
SETTLED_X = 60.0


class OutputFilter:
    """The four RC stages (the first ``order`` are in use) and the OU noise of X and Y."""

    __slots__ = ("stages", "z", "t_noise")

    def __init__(self, u: complex = 0j):
        self.stages = [u] * 4
        self.z = np.zeros(2)
        self.t_noise = -math.inf     #: no reading yet: the first one draws from the stationary law

    def output(self, order: int) -> complex:
        """The noise-free output X + iY (the last stage in use)."""
        return self.stages[order - 1]

    def reorder(self, order: int) -> None:
        """A new slope starts every stage from the present output (``OFSL``)."""
        self.stages = [self.stages[order - 1]] * 4

    def step(self, dt: float, u: complex, tau: float, order: int) -> None:
        """Exact response of ``order`` identical RC stages to the constant input ``u`` over ``dt``."""
        if dt <= 0:
            return
        x = dt / tau
        if x > SETTLED_X:
            self.stages = [u] * 4
            return
        e = [s - u for s in self.stages]
        decay = math.exp(-x)
        new = []
        for k in range(order):
            acc = 0j
            for j in range(k + 1):
                acc += e[j] * x ** (k - j) / math.factorial(k - j)
            new.append(u + decay * acc)
        self.stages = new + [new[-1]] * (4 - order)

    def noise(self, t: float, enbw: float, sigma: float, rng: np.random.Generator) -> complex:
        """The OU noise of X + iY at world time ``t`` (advanced exactly from the last reading),
        of standard deviation ``sigma`` and correlation time 1/(4 ENBW)."""
        dt = t - self.t_noise
        if dt > 0:
            a = math.exp(-dt * 4.0 * enbw)
            self.z = a * self.z + math.sqrt(max(0.0, 1.0 - a * a)) * rng.standard_normal(2)
            self.t_noise = t
        return sigma * complex(self.z[0], self.z[1])
