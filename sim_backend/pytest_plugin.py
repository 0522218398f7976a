"""pytest plugin for a lab's own CI: test your pymeasure/qcodes/pyvisa scripts on ``@spinbench``.

Installed with spinbench (entry point ``pytest11``), so in any project that has spinbench the
fixtures below exist with no import:

``spinbench_bench``
    A factory: ``sim = spinbench_bench("sot-hallbar")`` (a built-in name or a bench-file path)
    builds that simulated bench afresh, points ``PYVISA_LIBRARY`` at it for the rest of the test
    (so a script's plain ``pyvisa.ResourceManager()`` or a pymeasure/qcodes driver given no
    library lands on it) and returns a :class:`SimBenchHandle`: the resource manager, the world,
    the command log and the physical extremes.
``spinbench_sim``
    ``spinbench_bench`` with the bench named by the ``--spinbench-bench`` option, a
    ``@pytest.mark.spinbench_bench("name")`` marker, or ``sot-hallbar``.

Example (a lab script's test)::

    def test_my_loop_never_exceeds_5_mA(spinbench_bench):
        sim = spinbench_bench("sot-hallbar")
        my_lab_script.main()                          # opens pyvisa.ResourceManager() itself
        assert sim.commands("GPIB0::12::INSTR")       # what the script sent the 6221
        assert sim.extremes()["current"] <= 5e-3       # the largest current ever applied

Every fixture resets the simulated bench it opens, so tests do not see each other's state.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

__all__ = ["SimBenchHandle"]


class SimBenchHandle:
    """One open simulated bench, for assertions in tests."""

    def __init__(self, name: str, rm: Any):
        self.name = name
        #: the pyvisa ResourceManager on ``<name>@spinbench``
        self.rm = rm

    @property
    def world(self) -> Any:
        """The :class:`~spinbench.sim_backend.world.SimWorld` every instrument of the bench acts on."""
        return self.rm.visalib.world

    def commands(self, address: str | None = None) -> list[str]:
        """Program messages received (by one instrument address, or by all), oldest first,
        without their termination characters."""
        return [m.rstrip("\r\n") for m in self.world.messages(address)]

    def emulator(self, address: str) -> Any:
        """The emulator behind a VISA address (any spelling pyvisa accepts)."""
        return self.rm.visalib.emulator(address)

    def extremes(self) -> dict[str, float]:
        """The largest magnitudes the bench ever applied since it was opened
        (:class:`~spinbench.sim_backend.extremes.Extremes`): ``current`` (A, any source into any
        terminal), ``voltage`` (V, I R at a source's terminals), ``field`` (T, one coil at its set
        point), ``coil_current`` (A), ``laser_power`` (W), ``rf_power_dbm`` (-inf: no RF)."""
        return self.world.extremes.as_dict()


def _open(name: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimBenchHandle]:
    import pyvisa

    spec = f"{name}@spinbench"
    rm = pyvisa.ResourceManager(spec)
    rm.visalib.reset()                           # a fresh world: no state from an earlier test
    monkeypatch.setenv("PYVISA_LIBRARY", spec)
    try:
        yield SimBenchHandle(name, rm)
    finally:
        rm.close()


@pytest.fixture
def spinbench_bench(monkeypatch: pytest.MonkeyPatch):
    """Factory fixture: ``spinbench_bench(name_or_path) -> SimBenchHandle`` (see module doc)."""
    opened: list[Iterator[SimBenchHandle]] = []

    def factory(name: str) -> SimBenchHandle:
        gen = _open(str(name), monkeypatch)
        handle = next(gen)
        opened.append(gen)
        return handle

    yield factory
    for gen in reversed(opened):
        for _ in gen:        # runs the generator's cleanup
            pass


@pytest.fixture
def spinbench_sim(request: pytest.FixtureRequest, spinbench_bench) -> SimBenchHandle:
    """The simulated bench named by the marker, the command-line option, or ``sot-hallbar``."""
    marker = request.node.get_closest_marker("spinbench_bench")
    name = (marker.args[0] if marker and marker.args else None) \
        or request.config.getoption("spinbench_bench", None) or "sot-hallbar"
    return spinbench_bench(name)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("spinbench", "spinbench simulated bench")
    group.addoption("--spinbench-bench", dest="spinbench_bench", default=None,
                    help="built-in bench name or bench file for the spinbench_sim fixture")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "spinbench_bench(name): the simulated bench that the "
                            "spinbench_sim fixture opens (built-in name or bench file)")
