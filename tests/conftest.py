"""Test-suite wide settings: deterministic simulated benches.

* ``SPINBENCH_CLOCK=virtual``: a script's wall time between VISA calls never moves the simulated
  clock in tests (tests of the sleep-aware and real-time modes ask for them explicitly);
* every simulated bench is reset before each test: a bench outlives its resource managers (as a
  real one does), so without this one test would inherit the coil current or magnetization the
  previous one left.
"""
from __future__ import annotations

import os

import pytest

os.environ["SPINBENCH_CLOCK"] = "virtual"


@pytest.fixture(autouse=True)
def _fresh_simulated_benches():
    from spinbench.sim_backend.visa_library import reset_benches

    reset_benches()
    yield
