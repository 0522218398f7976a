"""The spinbench drivers against the @spinbench emulators, through pyvisa only.

Uses the built-in ``sot-hallbar`` bench reduced to the instruments each test needs (the file
list is read; no simulator code is imported here).  Physics is asserted loosely:
the gaussmeter sees the field the magnet supply set, the SMU sees a finite device voltage.
"""
from importlib.resources import files

import pytest
import yaml

from spinbench.instruments import Bench
from spinbench.instruments.limits import LimitError

pytest.importorskip("spinbench.sim_backend.visa_library")


def _bench_with_available_emulators(tmp_path, keep: set[str]) -> Bench:
    """The built-in bench reduced to the instruments in ``keep`` whose emulator exists."""
    builtin = Bench.load("sot-hallbar")
    raw = yaml.safe_load(builtin.path.read_text())
    emulators = {p.name[:-3] for p in (files("sim_backend") / "emulators").iterdir()
                 if p.name.endswith(".py")}
    sim_instruments = raw["sim"]["instruments"]
    for name, entry in list(raw["instruments"].items()):
        if name not in keep or sim_instruments[entry["address"]]["model"] not in emulators:
            del raw["instruments"][name]
            del sim_instruments[entry["address"]]
    raw["roles"] = {r: i for r, i in raw["roles"].items() if i in raw["instruments"]}
    path = tmp_path / "bench.yaml"
    path.write_text(yaml.safe_dump(raw))
    return Bench.load(path)


def test_field_loop_and_snapshot_on_the_simulated_bench(tmp_path):
    bench = _bench_with_available_emulators(tmp_path, {"magnet_x", "gaussmeter"})
    assert {"field_x", "gaussmeter"} <= set(bench.roles)
    with bench.open() as lab:
        magnet, probe = lab.role("field_x"), lab.role("gaussmeter")   # the probe reads x
        probe.auto_range(True)
        for target in (0.05, -0.03, 0.0):
            magnet.set_field(target)
            assert magnet.field() == pytest.approx(target, abs=2e-4)
            assert probe.read_field() == pytest.approx(target, abs=5e-4)
        with pytest.raises(LimitError, match=r"\[-0.1 T, 0.1 T\]"):
            magnet.set_field(0.2)
        lab.checkpoint(7)
        snap = lab.snapshot()
        assert snap["instruments"]["magnet_x"]["settings"]["idn"]
        assert snap["instruments"]["magnet_x"]["settings"]["output_enabled"] is True


def test_source_meter_and_voltmeter_on_the_simulated_bench(tmp_path):
    bench = _bench_with_available_emulators(tmp_path, {"smu", "nanovoltmeter"})
    assert {"source_meter", "voltmeter"} <= set(bench.roles)
    with bench.open() as lab:
        smu, nvm = lab.role("source_meter"), lab.role("voltmeter")
        smu.source_current(1e-3)
        smu.enable()
        v = smu.measure_voltage()
        assert 0 < abs(v) < 40.0
        nvm.set_integration_time(1 / 60)
        assert nvm.integration_time() == pytest.approx(1 / 60, rel=1e-3)
        assert abs(nvm.read_voltage()) < 1.0


def test_pulse_delta_and_pulse_sweep_on_the_simulated_bench(tmp_path):
    bench = _bench_with_available_emulators(tmp_path, {"pulser", "nanovoltmeter"})
    assert "pulse_delta" in bench.roles
    import numpy as np
    with bench.open() as lab:
        system = lab.role("pulse_delta")
        fixed = system.pulse_delta(1e-3, 0.0, 110e-6, 5, 60e-6)
        amps = np.linspace(-2e-3, 2e-3, 5)
        swept = system.pulse_sweep(amps, 0.0, 200e-6, 0.05)
    assert fixed.shape == (5,) and swept.shape == (5,)
    slope, offset = np.polyfit(amps, swept, 1)          # ohmic readout at these currents
    assert abs(offset) < 0.05 * abs(slope) * 2e-3
    assert np.mean(fixed) == pytest.approx(slope * 1e-3, rel=0.05)
