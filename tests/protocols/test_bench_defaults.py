"""A bench file's ``protocols:`` entry: the parameter values that suit its device where the
protocols' own defaults (made for the sot-hallbar) do not. They fill what a run does not give,
the run file records them, a run's own parameters override them, and a wrong name or value is
refused naming the bench file's key before anything opens."""
from __future__ import annotations

import numpy as np
import pytest
import yaml

from spinbench.instruments.bench import Bench, BenchError
from spinbench.protocols import registry
from spinbench.protocols.base import CheckError
from spinbench.protocols.runner import run
from spinbench.protocols.runstore import RunReader


def _with_protocols(tmp_path, entry):
    data = yaml.safe_load(Bench.load("sot-hallbar").path.read_text())
    data["protocols"] = entry
    path = tmp_path / "bench.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("bench", ["spinloss-high", "spinloss-mid", "spinloss-low"])
def test_the_spinloss_benches_default_switching_probability_spans_the_transition(bench, tmp_path):
    """With the protocol's own defaults (5-5.9 mA, 12 mA reset) every write switched (or every
    reset failed) on these samples and the Neel-Brown fit returned its starting values; with the
    bench's entry the 1 ms switching probability rises from < 20 % to > 80 % across the list."""
    result = run(registry.get("switching-probability")(), bench, {"repeats": 30, "widths": "1ms"},
                 out_dir=tmp_path, seed=1, progress=False)
    assert result.status.value == "complete", result.error
    with RunReader(result.path) as reader:
        a, s = reader.column("amplitude"), reader.column("switched")
        assert reader.params["reset_current"] < 12e-3          # the bench's, not the protocol's
    p = [s[a == v].mean() for v in np.unique(a)]
    assert p[0] < 0.2 and p[-1] > 0.8, p


def test_bench_defaults_fill_record_and_yield_to_the_run(tmp_path):
    path = _with_protocols(tmp_path, {"field-loop": {"field_max": "40mT", "field_step": "10mT"}})
    result = run(registry.get("field-loop")(), str(path), {"field_step": "20mT"}, out_dir=tmp_path, seed=1,
                 progress=False)
    with RunReader(result.path) as reader:
        assert reader.params["field_max"] == pytest.approx(0.04)     # the bench's
        assert reader.params["field_step"] == pytest.approx(0.02)    # the run's own wins


@pytest.mark.parametrize("entry, message", [
    ({"field-loop": {"feld_max": 0.04}}, r"protocols\.field-loop: unknown parameter 'feld_max'; known parameters"),
    ({"field-loop": {"field_max": "9T"}}, r"protocols\.field-loop: field_max"),
    ({"feld-loop": {"field_max": 0.04}}, r"protocols\.feld-loop: unknown protocol; known: .*field-loop"),
])
def test_a_wrong_bench_default_is_refused_naming_its_key(tmp_path, entry, message):
    path = _with_protocols(tmp_path, entry)
    with pytest.raises(CheckError, match=message):
        run(registry.get("field-loop")(), str(path), {}, out_dir=tmp_path, progress=False)
    assert not list(tmp_path.glob("*.h5"))


def test_a_malformed_protocols_section_is_a_bench_error(tmp_path):
    with pytest.raises(BenchError, match=r"protocols: must map protocol names to \{parameter: value\}"):
        Bench.load(str(_with_protocols(tmp_path, {"field-loop": 3})))
