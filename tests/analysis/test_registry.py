"""Fits and figures register per protocol name; a protocol without one gets the column plot."""
import pytest

from spinbench.analysis import registry
from spinbench.protocols import registry as protocols
from spinbench.protocols.base import Column
from spinbench.protocols.runner import analyze
from spinbench.protocols.runstore import RunStatus, RunWriter


def test_every_switching_protocol_has_its_analysis_registered():
    found = registry.analyzers()
    assert not registry.import_errors()
    for name in ("switching-loop", "field-loop", "switching-probability",
                 "critical-current-vs-width"):
        assert name in protocols.all_protocols() and name in found
    assert found["switching-probability"] is found["critical-current-vs-width"]
    assert "spinloss" in registry.comparisons()


def test_a_protocol_name_takes_one_analysis():
    taken = registry.get("switching-loop")
    with pytest.raises(ValueError, match="already has an analysis"):
        registry.register("switching-loop")(lambda reader, outdir: [])
    assert registry.get("switching-loop") is taken


def test_an_unregistered_protocol_gets_the_column_plot(tmp_path):
    path = tmp_path / "run.h5"
    with RunWriter.create(path, protocol="no-analysis-here", params={},
                          columns=(Column("current", "A"), Column("voltage", "V"))) as writer:
        for k in range(5):
            writer.append(k, {"current": 1e-3 * k, "voltage": 0.1 * k})
        writer.finish(RunStatus.COMPLETE)
    assert registry.get("no-analysis-here") is None
    files = analyze(path, tmp_path / "figs")
    assert files == [tmp_path / "figs" / "run.png"] and files[0].stat().st_size > 0
