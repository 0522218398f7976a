"""A fake, test-only bench and protocols for the runner and run-store tests.

Implements the typed bench interface the runner codes against
(:class:`spinbench.protocols.base.BenchLike`: ``name``, ``text``, ``roles``, ``limits(role)``,
``capabilities(role)``, ``fills(role, protocol)``, ``open()``) and
:class:`~spinbench.protocols.base.OpenBenchLike` (``role(name)``, ``snapshot()``,
``checkpoint(token)``). Every call is logged so tests can assert
that nothing was opened before a refusal and that the bench was closed on every exit.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Protocol, runtime_checkable

import numpy as np

from spinbench.instruments.capabilities import Unknown
from spinbench.instruments.roles import missing_members
from spinbench.protocols.base import Column, MeasurementProtocol, Param, Trace, optional


@runtime_checkable
class Source(Protocol):
    """Minimal current-source role."""

    def set_current(self, amps: float) -> None: ...


class FakeSource:
    """Current source driving a resistor; output off when the bench closes."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.current = 0.0
        self.output = False

    def set_current(self, amps: float) -> None:
        self.current = amps
        self.output = True

    def off(self) -> None:
        self.current = 0.0
        self.output = False


class FakeVoltmeter:
    """Reads R * I + seeded noise."""

    def __init__(self, source: FakeSource, seed: int) -> None:
        self.source = source
        self.rng = np.random.default_rng(seed)

    def read(self) -> float:
        return 100.0 * self.source.current + 1e-6 * self.rng.standard_normal()


class FakeOpenedBench:
    """What ``FakeBench.open()`` yields."""

    def __init__(self, bench: FakeBench) -> None:
        self.bench = bench
        self.source = FakeSource(bench.calls)
        self.objects = {"source": self.source, "voltmeter": FakeVoltmeter(self.source, bench.seed)}

    def role(self, name: str) -> Any:
        self.bench.calls.append(f"role:{name}")
        return self.objects[name]

    def snapshot(self) -> dict[str, dict[str, Any]]:
        self.bench.calls.append("snapshot")
        return {"src": {"idn": "FAKE,SRC,1", "current": self.source.current},
                "dvm": {"idn": "FAKE,DVM,2", "nplc": 1.0}}

    def checkpoint(self, index: int) -> None:
        self.bench.calls.append(f"checkpoint:{index}")

    def close(self) -> None:
        self.source.off()
        self.bench.calls.append("close")


class FakeBench:
    """Not-yet-opened bench: only ``limits``, ``roles``, ``name``, ``text`` before ``open()``."""

    name = "fake"
    text = "name: fake\ndescription: test bench\n"

    def __init__(self, max_current: float = 0.01, seed: int = 7) -> None:
        self.max_current = max_current
        self.seed = seed
        self.calls: list[str] = []
        self.roles = {"source": "src", "voltmeter": "dvm"}
        self.last_opened: FakeOpenedBench | None = None

    def limits(self, role: str) -> dict[str, float]:
        return {"max_current": self.max_current} if role == "source" else {}

    def capabilities(self, role: str, protocol: type | None = None) -> Unknown:
        if role not in self.roles:
            raise KeyError(role)
        return Unknown(self.roles[role], "fake")

    #: role -> class of the object the opened fake gives for it
    ROLE_CLASSES = {"source": FakeSource, "voltmeter": FakeVoltmeter}

    def fills(self, role: str, protocol: type) -> bool:
        return role in self.roles and not missing_members(self.ROLE_CLASSES[role], protocol)

    @contextmanager
    def open(self, *, sim_clock: str | None = None, sim_fresh: bool = False):
        self.calls.append("open")
        opened = FakeOpenedBench(self)
        self.last_opened = opened
        try:
            yield opened
        finally:
            opened.close()


class IVSweep(MeasurementProtocol):
    """I-V sweep: one point per step; optionally Ctrl-C or an error at a given step."""

    name = "iv_sweep"
    description = "Current sweep, voltage read-back"
    roles = {"source": Source, "voltmeter": object, "gaussmeter": optional(object)}
    params = (
        Param("start", "A", default=-1e-3, bounds=(-0.1, 0.1), doc="first current"),
        Param("stop", "A", default=1e-3, bounds=(-0.1, 0.1), doc="last current"),
        Param("num", "", int, default=11, bounds=(2, 10_000), doc="number of steps"),
        Param("points_per_step", "", int, default=1, bounds=(1, 10)),
    )
    columns = (Column("current", "A"), Column("voltage", "V"), Column("repeat", "", "i8"))

    def __init__(self, interrupt_at: int | None = None, fail_at: int | None = None) -> None:
        self.interrupt_at = interrupt_at
        self.fail_at = fail_at
        self.measured: list[int] = []
        self.torn_down = False

    def check(self, params, bench) -> None:
        for key in ("start", "stop"):
            self.require_within_limit(bench, "source", "max_current", params[key], key)

    def steps(self, params):
        return list(np.linspace(params["start"], params["stop"], params["num"]))

    def measure(self, roles, params, step):
        index = int(round((step - params["start"]) / (params["stop"] - params["start"])
                          * (params["num"] - 1)))
        if index == self.interrupt_at:
            raise KeyboardInterrupt
        if index == self.fail_at:
            raise RuntimeError("instrument said no")
        self.measured.append(index)
        roles.source.set_current(step)
        points = [{"current": step, "voltage": roles["voltmeter"].read(), "repeat": k}
                  for k in range(params["points_per_step"])]
        return points[0] if len(points) == 1 else points

    def teardown(self, roles) -> None:
        self.torn_down = True


class Spectra(MeasurementProtocol):
    """One fixed-axis trace per step, for trace round trips."""

    name = "spectra"
    roles = {}
    params = (Param("num", "", int, default=3, bounds=(1, 100)),)
    columns = (Column("power_total", "W"),)
    traces = (Trace("spectrum", "dBm", "frequency", "Hz", 8),)

    def steps(self, params):
        return list(range(params["num"]))

    def measure(self, roles, params, step):
        freq = np.linspace(1e9, 8e9, 8)
        return {"power_total": float(step), "spectrum": (freq, -50.0 + step + freq / 1e9)}
