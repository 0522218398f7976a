"""A device's evolution over a schedule of constant-drive intervals, observed at a port, one
interval at a time: the definition every batched schedule of a device model must equal bit for
bit (:func:`sim_backend.devices.evolve_schedule`)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class DriveSchedule(Sequence):
    """The drives of a schedule as ``distinct[which[k]]``: a sequence (``drives[k]``) that
    does not build one entry per interval, and tells a device's batched schedule which
    intervals share a drive (``distinct``, ``which``)."""

    __slots__ = ("distinct", "which")

    def __init__(self, distinct, which):
        self.distinct = list(distinct)
        self.which = which

    def __len__(self) -> int:
        return len(self.which)

    def __getitem__(self, k):
        return self.distinct[self.which[k]]

    def __iter__(self):
        d = self.distinct
        return (d[i] for i in self.which)


def evolve_observed(device, dts, drives, rng: np.random.Generator, observe=None):
    """``device.evolve`` per interval; with ``observe = (port, intervals)``, the port's voltage
    at the start and end of each listed interval under its drive and its resistance at the
    end, as three lists (the definition of :func:`sim_backend.devices.evolve_schedule`)."""
    step = device.evolve
    if observe is None:
        for dt, d in zip(dts, drives):
            step(dt, d, rng)
        return None
    port, intervals = observe
    want = iter(intervals)
    nxt = next(want, None)
    v0, v1, r1 = [], [], []
    for k, (dt, d) in enumerate(zip(dts, drives)):
        if k == nxt:
            v0.append(device.voltage(port, d))
            step(dt, d, rng)
            v1.append(device.voltage(port, d))
            r1.append(device.resistance(port))
            nxt = next(want, None)
        else:
            step(dt, d, rng)
    return v0, v1, r1
