"""Faults injected at the VISA layer of the simulated bench, met by the runner's policy:
transient faults are retried and the run completes with every point; a lost instrument stops
the run as failed with the points kept and every instrument safe."""
from __future__ import annotations

import numpy as np
import pytest
import pyvisa
import yaml

from spinbench.instruments.bench import Bench
from spinbench.protocols import registry
from spinbench.protocols.runner import run
from spinbench.protocols.runstore import RunReader
from spinbench.sim_backend.faults import FaultError, parse_faults

PARAMS = {"current_step": "1mA", "current_max": "8mA"}
NVM = "GPIB0::7::INSTR"


def _bench_with(tmp_path, faults):
    data = yaml.safe_load(Bench.load("sot-hallbar").path.read_text())
    data["sim"]["faults"] = faults
    path = tmp_path / "faulty.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _run(bench, path):
    return run(registry.get("switching-loop")(), str(bench), PARAMS, path=path, seed=3,
               progress=False)


def _columns(path):
    with RunReader(path) as r:
        return {c.name: r.column(c.name) for c in r.columns}, r.status.value, r.error


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    path = tmp_path_factory.mktemp("ref") / "ref.h5"
    _run(_bench_with(path.parent, []), path)
    return _columns(path)[0]


@pytest.mark.parametrize("kind", ["timeout", "garbled", "truncated"])
def test_a_transient_fault_is_retried_and_the_run_completes(kind, tmp_path, reference, capsys):
    bench = _bench_with(tmp_path, [{"instrument": NVM, "kind": kind, "at_command": 25}])
    result = _run(bench, tmp_path / "run.h5")
    assert "retry 1/3" in capsys.readouterr().err
    cols, status, _ = _columns(result.path)
    assert status == "complete" and result.n_points == len(reference["pulse_current"])
    np.testing.assert_array_equal(cols["pulse_current"], reference["pulse_current"])
    # the switching states are those of the fault-free run (the repeated step re-reads the state)
    np.testing.assert_array_equal(np.sign(cols["hall_resistance"]), np.sign(reference["hall_resistance"]))


def test_a_dropped_instrument_fails_the_run_keeping_its_points_and_leaves_the_bench_safe(tmp_path):
    bench = _bench_with(tmp_path, [{"instrument": NVM, "kind": "drop", "at_command": 40}])
    with pytest.raises(pyvisa.errors.VisaIOError):
        _run(bench, tmp_path / "run.h5")
    cols, status, error = _columns(tmp_path / "run.h5")
    assert status == "failed" and "connection lost" in error
    assert 0 < len(cols["pulse_current"]) < 34
    world = pyvisa.ResourceManager(f"{bench}@spinbench").visalib.world
    assert world.sources == {} or all(a == 0 for _, a in world.sources.values())   # outputs off
    assert all(abs(c.setpoint) < 1e-12 for c in world.coils.values())               # magnets to zero


def test_an_instrument_reset_mid_run_gets_the_run_settings_back(tmp_path, reference):
    """The 2182A power-cycles (back to *RST defaults) once; the step fails or reads wrongly is
    repeated with the protocol's settings re-applied, and the loop equals the fault-free one."""
    bench = _bench_with(tmp_path, [{"instrument": NVM, "kind": "reset", "at_command": 30},
                                   {"instrument": NVM, "kind": "timeout", "at_command": 30}])
    result = _run(bench, tmp_path / "run.h5")
    cols, status, _ = _columns(result.path)
    assert status == "complete"
    np.testing.assert_array_equal(np.sign(cols["hall_resistance"]), np.sign(reference["hall_resistance"]))


@pytest.mark.parametrize("entry, message", [
    ({"instrument": NVM, "kind": "melt", "at_command": 3}, "kind 'melt' is unknown"),
    ({"instrument": NVM, "kind": "timeout"}, "exactly one trigger"),
    ({"instrument": NVM, "kind": "timeout", "probability": 2.0}, "allowed (0, 1]"),
    ({"kind": "timeout", "at_command": 1}, "instrument"),
])
def test_malformed_fault_declarations_are_refused(entry, message):
    with pytest.raises(FaultError, match=message.replace("(", r"\(").replace("]", r"\]")):
        parse_faults([entry])
