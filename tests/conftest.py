"""Suite-wide setup.

* The spinbench pytest plugin is normally loaded through its installed entry point (``pytest11``);
  an install made before the entry point existed lacks it, so register it here if it is missing.
  (tests/examples runs a lab's test in a fresh process that relies on the entry point alone.)
* ``SPINBENCH_CLOCK=virtual``: a script's wall time between VISA calls never moves the simulated
  clock in tests (tests of the sleep-aware and real-time modes ask for them explicitly);
* every simulated bench is reset before each test: a bench outlives its resource managers (as a
  real one does), so without this one test would inherit the coil current or magnetization the
  previous one left.
"""
from __future__ import annotations

import importlib
import os

import pytest

os.environ["SPINBENCH_CLOCK"] = "virtual"


def pytest_configure(config):
    plugin = importlib.import_module("spinbench.sim_backend.pytest_plugin")
    if not config.pluginmanager.is_registered(plugin):
        config.pluginmanager.register(plugin, "spinbench")


@pytest.fixture(autouse=True)
def _fresh_simulated_benches():
    from spinbench.sim_backend.visa_library import reset_benches

    reset_benches()
    yield
