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


MAGNET = "GPIB0::6::INSTR"


def test_a_silent_power_cycle_of_the_magnet_is_detected_and_the_points_repeated(tmp_path, reference,
                                                                               capsys, monkeypatch):
    """The x magnet supply is power-cycled mid-run with no error reply: its output is off and
    the in-plane field that makes SOT switching deterministic is gone.  The runner's batch
    check reads PON in *ESR?, re-applies the settings and measures the batch again: the loop
    equals the fault-free one.  Without the check (the guard disabled) the same fault leaves
    points measured at zero field in the file, which differ."""
    faults = [{"instrument": MAGNET, "kind": "reset", "at_time": 2.0}]
    result = _run(_bench_with(tmp_path, faults), tmp_path / "run.h5")
    assert "power-cycled" in capsys.readouterr().err
    cols, status, _ = _columns(result.path)
    assert status == "complete"
    np.testing.assert_array_equal(cols["pulse_current"], reference["pulse_current"])
    np.testing.assert_allclose(cols["field_measured"], reference["field_measured"], atol=2e-4)
    np.testing.assert_array_equal(np.sign(cols["hall_resistance"]), np.sign(reference["hall_resistance"]))

    from spinbench.protocols import benchhealth
    monkeypatch.setattr(benchhealth.BatchGuard, "check", lambda self: [])
    blind = _run(_bench_with(tmp_path, faults), tmp_path / "blind.h5")
    cols, _, _ = _columns(blind.path)
    assert np.abs(cols["field_measured"]).min() < 1e-3 < np.abs(reference["field_measured"]).min()


def test_an_error_in_a_queue_repeats_the_batch_and_the_run_completes(tmp_path, reference, capsys):
    bench = _bench_with(tmp_path, [{"instrument": "GPIB0::12::INSTR", "kind": "error",
                                    "at_command": 60, "code": -350}])
    result = _run(bench, tmp_path / "run.h5")
    assert '-350,"Queue overflow"' in capsys.readouterr().err
    cols, status, _ = _columns(result.path)
    assert status == "complete"
    np.testing.assert_array_equal(cols["pulse_current"], reference["pulse_current"])


def test_a_magnet_trip_fails_the_run_clearly_and_it_resumes_to_complete(tmp_path, reference):
    bench = _bench_with(tmp_path, [{"instrument": MAGNET, "kind": "trip", "at_time": 2.0}])
    from spinbench.protocols.benchhealth import BenchFault
    with pytest.raises(BenchFault, match=r"magnet_x: the supply tripped \(304"):
        run(registry.get("switching-loop")(), str(bench), PARAMS, path=tmp_path / "run.h5",
            seed=3, progress=False, flush_seconds=0.0)       # checked after every step
    cols, status, error = _columns(tmp_path / "run.h5")
    assert status == "failed" and "304" in error
    n = len(cols["pulse_current"])
    assert 0 < n < len(reference["pulse_current"])
    # every point kept was measured in the field: none after the trip
    np.testing.assert_allclose(cols["field_measured"], reference["field_measured"][:n], atol=2e-4)
    world = pyvisa.ResourceManager(f"{bench}@spinbench").visalib.world
    assert all(a == 0 for _, a in world.sources.values())
    assert all(abs(c.setpoint) < 1e-12 for c in world.coils.values())
    clean = _bench_with(tmp_path, [])
    run(registry.get("switching-loop")(), str(clean), None, resume=tmp_path / "run.h5", progress=False)
    cols, status, _ = _columns(tmp_path / "run.h5")
    assert status == "complete"
    np.testing.assert_array_equal(np.sort(cols["pulse_current"]), np.sort(reference["pulse_current"]))


def test_a_device_blown_by_over_voltage_fails_the_run_without_retrying_forever(tmp_path):
    """Breakdown at 8.5 V; write pulses of 4..7 mA (and 4.5 mA, 5 s resets: tau(4.5 mA) =
    0.44 s at 10 mT, a sure switch below the breakdown; a 1 ms, 4 mA reset switches with
    P ~ 7e-5) into the 1500 ohm channel.  The 6221 is in compliance from then on; the run fails naming it.  Checked after
    every step here (``flush_seconds=0``), it keeps exactly the steps before the first pulse
    over the breakdown voltage (Ohm's law: (|I| + the lock-in's sine peak) x 1500 ohm), and the
    bench never saw more than its compliance voltage."""
    bench = _bench_with(tmp_path, [{"device": "dut", "kind": "breakdown", "voltage": 8.5}])
    amplitudes = np.array([4e-3, 5e-3, 6e-3, 7e-3])
    params = {"amplitudes": "4mA,5mA,6mA,7mA", "widths": "1ms", "repeats": 10,
              "reset_current": "4.5mA", "reset_width": "5s"}
    from spinbench.protocols.benchhealth import BenchFault
    with pytest.raises(BenchFault, match="compliance"):
        run(registry.get("switching-probability")(), str(bench), params, path=tmp_path / "run.h5",
            seed=3, progress=False, flush_every=1, flush_seconds=0.0)
    cols, status, error = _columns(tmp_path / "run.h5")
    assert status == "failed" and "device destroyed" in error
    sine_peak = np.sqrt(2) * 1.0 / 3550.0
    first_over = int(np.argmax((amplitudes + sine_peak) * 1500.0 > 8.5))
    assert first_over == 2
    np.testing.assert_allclose(np.unique(np.abs(cols["amplitude"])), amplitudes[:first_over])
    world = pyvisa.ResourceManager(f"{bench}@spinbench").visalib.world
    assert "dut" in world.destroyed and world.extremes.voltage <= 40.0 + 1e-9


def _map_with_a_lost_reply(tmp_path, at_time):
    """A small switching-probability map whose 2182A loses one reply at ``at_time`` (world s)."""
    params = {"amplitudes": "5mA,6mA", "widths": "1ms", "repeats": 20}
    bench = _bench_with(tmp_path, [{"instrument": NVM, "kind": "timeout", "at_time": at_time}])
    return run(registry.get("switching-probability")(), str(bench), params, path=tmp_path / "r.h5",
               seed=1, progress=False, flush_seconds=0.0)


def test_a_reply_lost_mid_map_repeats_the_batch(tmp_path, capsys):
    """The 2182A's reply is lost mid-run of a buffered map (its next exchanges are the buffer
    read and the runner's own status query): the batch is measured again, the run completes."""
    result = _map_with_a_lost_reply(tmp_path, at_time=0.3)
    assert result.status.value == "complete" and result.n_points == 40
    assert "measured again" in capsys.readouterr().err


def test_a_reply_lost_while_the_protocol_sets_up_is_retried(tmp_path, capsys):
    """The 2182A's reply is lost during the protocol's setup (the state calibration, the first
    0.2 s of this run's world time): the runner's retry policy covers setup as it covers steps
    (device clear, setup again) and the run completes with every point."""
    result = _map_with_a_lost_reply(tmp_path, at_time=0.15)
    assert result.status.value == "complete" and result.n_points == 40
    assert "setup: VisaIOError" in capsys.readouterr().err


def test_the_guard_counts_a_failed_status_query_as_a_bad_check_and_a_lost_one_as_fatal():
    from pyvisa.constants import StatusCode

    from spinbench.protocols.benchhealth import BatchGuard, BenchFault

    class Meter:
        name = "meter"

        def __init__(self, code):
            self.code = code

        def health(self):
            raise pyvisa.errors.VisaIOError(self.code)

    guard = BatchGuard([Meter(StatusCode.error_timeout)], interval=0.0)
    (bad,) = guard.check()
    assert bad.name == "meter" and "status query failed: VisaIOError" in bad.errors[0]
    guard.check()
    with pytest.raises(BenchFault, match="3 checks in a row"):
        guard.check()
    with pytest.raises(pyvisa.errors.VisaIOError):
        BatchGuard([Meter(StatusCode.error_connection_lost)]).check()


@pytest.mark.parametrize("wait", [10.0, -1.0])
def test_a_resume_waits_while_another_process_has_the_file_open(tmp_path, monkeypatch, wait):
    """A reader (`spinbench check`, a live plot) opening the file between the resume's copy and
    its opening for writing holds HDF5's file lock (the kill soak met it: errno 11): the resume
    tries again for RESUME_LOCK_WAIT s (``-1``: it fails at once, naming why)."""
    from spinbench.protocols import runner as runner_module
    from spinbench.protocols.runstore import RunWriter

    bench = _bench_with(tmp_path, [{"instrument": NVM, "kind": "drop", "at_command": 40}])
    with pytest.raises(pyvisa.errors.VisaIOError):
        _run(bench, tmp_path / "run.h5")
    real, calls = RunWriter.resume, []

    def locked_twice(*args, **kwargs):
        calls.append(1)
        if len(calls) <= 2:
            raise BlockingIOError(11, "Unable to synchronously open file (unable to lock file)")
        return real(*args, **kwargs)

    monkeypatch.setattr(RunWriter, "resume", locked_twice)
    monkeypatch.setattr(runner_module, "RESUME_LOCK_WAIT", wait)
    resume = lambda: run(registry.get("switching-loop")(), str(_bench_with(tmp_path, [])), None,  # noqa: E731
                         resume=tmp_path / "run.h5", progress=False)
    if wait > 0:
        assert resume().status.value == "complete" and len(calls) == 3
    else:
        with pytest.raises(runner_module.RunnerError, match="keeps the file open"):
            resume()


def test_a_magnet_power_cycled_mid_ramp_is_re_set_and_the_step_repeated(tmp_path, capsys):
    """The field magnet loses power while a step ramps it: the ramp never settles (the step
    fails for good); asked why, the supply answers PON, so the runner re-applies the settings
    and measures the step again instead of failing the run."""
    data = yaml.safe_load(Bench.load("rf-mtj").path.read_text())
    magnet = data["instruments"][data["roles"]["field_x"]]["address"]
    data["sim"]["faults"] = [{"instrument": magnet, "kind": "reset", "at_time": 0.22}]
    bench = tmp_path / "rf.yaml"
    bench.write_text(yaml.safe_dump(data))
    params = {"fields": "0.05,0.1", "freq_start": 4.4e9, "freq_stop": 11.6e9, "freq_points": 21,
              "power_dbm": -25.0}
    result = run(registry.get("spin-diode-map")(), str(bench), params, path=tmp_path / "r.h5",
                 seed=1, progress=False)
    err = capsys.readouterr().err
    assert "did not settle" in err and "power-cycled" in err
    assert result.status.value == "complete" and result.n_points == 42


def test_a_garbled_binary_block_is_transient():
    """pyvisa's block parser rejects a garbled IEEE 488.2 header (ValueError from pyvisa.util):
    a reply cut or mangled on the bus, retried like a garbled number."""
    from pyvisa import util

    from spinbench.protocols.benchhealth import is_transient

    with pytest.raises(ValueError) as garbled:
        util.from_ieee_block(b"#A" + b"\x00" * 12)
    assert is_transient(garbled.value)
    assert not is_transient(ValueError("Header length in IEEE format, raised by our own code"))


def test_harmonic_hall_on_an_open_channel_fails_instead_of_recording_noise(tmp_path):
    """The lock-in's sine output (1 mA rms through 3550 ohm, 2.1 V peak across the 1500 ohm
    channel) blows a channel that breaks down at 1 V: it has no compliance to report, so the
    protocol checks its signal before the first sweep -- in phase and halving with half the
    drive, as a Hall voltage does -- and fails naming the open channel. The same run on the
    healthy bench passes that check and completes (the fault matrix's red cell of session 3)."""
    from spinbench.protocols.benchhealth import BenchFault

    params = {"states": "up", "points": 5, "time_constant": 0.01, "current_rms": 1e-3}
    ok = run(registry.get("harmonic-hall")(), str(_bench_with(tmp_path, [])), params, path=tmp_path / "ok.h5",
             seed=1, progress=False)
    assert ok.status.value == "complete" and ok.n_points == 20
    broken = _bench_with(tmp_path, [{"device": "dut", "kind": "breakdown", "voltage": 1.0}])
    with pytest.raises(BenchFault, match="no anomalous Hall signal at zero field"):
        run(registry.get("harmonic-hall")(), str(broken), params, path=tmp_path / "open.h5", seed=1, progress=False)
    cols, status, error = _columns(tmp_path / "open.h5")
    assert status == "failed" and "open" in error and len(cols["x"]) == 0
    world = pyvisa.ResourceManager(f"{broken}@spinbench").visalib.world
    assert "dut" in world.destroyed
