"""A loop is hysteretic: its state at a step depends on the branch that led there.  A run
resumed after the device switched must find it switched, as the uninterrupted run did."""
from __future__ import annotations

import numpy as np
import pytest

from spinbench.protocols import registry
from spinbench.protocols.runner import RunInterrupted, run
from spinbench.protocols.runstore import RunReader

PARAMS = {"current_step": "200uA"}


def _hall(path):
    with RunReader(path) as reader:
        return reader.column("hall_resistance"), reader.column("pulse_current")


def test_a_loop_resumed_after_its_switch_matches_the_uninterrupted_loop(tmp_path, monkeypatch):
    cls = registry.get("switching-loop")
    full = run(cls(), "sot-hallbar", PARAMS, path=tmp_path / "full.h5", seed=5, progress=False)
    ref, current = _hall(full.path)
    # a step on the down branch (current falling from +max) at a quarter of the maximum, far
    # below the switching current: the device still holds the state the up branch switched it
    # into -- not the state a fresh bench starts in -- and this step's pulse cannot set it
    top = int(np.argmax(current))
    cut = top + int(np.argmax(current[top:] <= 0.25 * current[top]))
    assert np.sign(ref[cut]) != np.sign(ref[0]), "the loop must have switched for this test"

    original = cls.measure
    taken = []

    def measure(self, roles, values, step):
        if len(taken) == cut:
            raise KeyboardInterrupt
        taken.append(step)
        return original(self, roles, values, step)

    monkeypatch.setattr(cls, "measure", measure)
    with pytest.raises(RunInterrupted) as caught:
        run(cls(), "sot-hallbar", PARAMS, path=tmp_path / "cut.h5", seed=5, progress=False,
            flush_every=1)
    monkeypatch.setattr(cls, "measure", original)
    assert caught.value.result.steps_done == cut
    resumed = run(cls(), "sot-hallbar", PARAMS, resume=caught.value.result.path, progress=False)
    ours, _ = _hall(resumed.path)
    assert len(ours) == len(ref)
    # every point the same state as the uninterrupted run (the sign of R_xy), and the same
    # value within the read noise (the resumed world's clock and drift differ)
    np.testing.assert_array_equal(np.sign(ours), np.sign(ref))
    np.testing.assert_allclose(ours, ref, rtol=1e-3)
