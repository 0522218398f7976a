"""A finished run prints its key results for every protocol (issue 13, "Progress and terminal
output"): the CLI reads the fit values of every summary the analysis wrote, nested ones included
(``ctc.std_over_range``, ``neel_brown.ic0``), not only top-level scalars."""
import json
import math
import re
from pathlib import Path

import pytest

from spinbench.protocols import cli, registry
from spinbench.protocols.runindex import key_results


#: protocol -> (built-in bench, small parameters whose analysis still fits)
RUNS = {
    "switching-loop": ("sot-hallbar", {"current_step": "0.5mA"}),
    "field-loop": ("sot-hallbar", {"field_step": "5mT"}),
    "switching-probability": ("sot-hallbar", {"amplitudes": "5mA,5.4mA,5.8mA,6.2mA",
                                              "widths": "1ms", "repeats": "10", "field_x": "10mT"}),
    "critical-current-vs-width": ("sot-hallbar", {"widths": "1ms", "repeats": "8",
                                                  "bisections": "4", "field_x": "10mT"}),
    "harmonic-hall": ("sot-hallbar", {"points": "5", "time_constant": "0.003",
                                      "states": "up", "current_rms": "1mA"}),
    "ctc-states": ("tilted-synapse", {"cycles": "4"}),
    "potentiation-depression": ("tilted-synapse", {"cycles": "2"}),
    "emission-spectra": ("sto-spectrum", {"averages": "2", "points": "401"}),
    "injection-locking": ("rf-mtj", {"powers_dbm": "-60,-48", "points": "401"}),
    "spin-diode-map": ("rf-mtj", {"fields": "0.05,0.1,0.15", "freq_points": "61"}),
    "thermovoltage-map": ("thermo-mtj", {"n_bias": "3", "powers": "0.02", "averages": "2",
                                         "points": "500"}),
    "spike-statistics": ("thermo-mtj", {"captures": "2", "biases": "0.6e-3,1.0e-3",
                                        "powers": "0,0.04"}),
    "onn-inference": ("thermo-mtj", {"samples": "1"}),
    "rf-network-inference": ("rf-network", {"samples": "1", "averages": "1", "points": "201"}),
}


def test_the_table_covers_every_protocol_spinbench_ships():
    shipped = {name for name, cls in registry.all_protocols().items()
               if cls.__module__.startswith("spinbench.protocols.")}   # not test-registered ones
    assert set(RUNS) == shipped


@pytest.mark.parametrize("protocol", sorted(RUNS))
def test_a_finished_run_prints_key_results(protocol, tmp_path, capsys):
    bench, params = RUNS[protocol]
    # onn-inference and rf-network-inference take the network file beside their bench file
    argv = ["run", protocol, "--bench", bench, "--out", str(tmp_path), "--no-progress", "--seed", "1"]
    for name, value in params.items():
        argv += ["--param", f"{name}={value}"]
    assert cli.main(argv) == 0
    captured = capsys.readouterr()
    lines = [ln for ln in captured.err.splitlines() if ln.startswith("key results")]
    assert lines, f"{protocol}: no key results printed; stderr:\n{captured.err}"
    values = [float(v) for ln in lines for v in re.findall(r" = ([-+0-9.eE]+|nan|inf)", ln)]
    assert values and all(math.isfinite(v) for v in values)
    # what is printed is what the summary files hold, and `spinbench ls` finds them next to the
    # run file (every summary is named after its run: two runs in a folder keep their own)
    written = [Path(p) for p in captured.out.split() if p.endswith(".json")]
    assert any(key_results(p) for p in written)
    for p in written:          # strict JSON (RFC 8259): a missing value is null, never NaN / Infinity
        json.loads(p.read_text(), parse_constant=lambda c: pytest.fail(f"{p.name}: {c} in a summary file"))
    run_file = next(Path(p) for p in captured.out.split() if p.endswith(".h5"))
    assert all(p.name.startswith(run_file.stem + "_") for p in written)
    assert cli.main(["ls", str(tmp_path)]) == 0
    row = next(ln for ln in capsys.readouterr().out.splitlines() if run_file.name in ln)
    assert re.search(r"\S+=[-+0-9.eE]+", row), row


def test_nested_fit_results_are_read_and_inputs_are_not(tmp_path):
    p = tmp_path / "run_summary.json"
    p.write_text('{"protocol": "ctc-states", "params": {"cycles": 4, "read_current": 5e-4},'
                 ' "states": [' + ",".join(['{"state": %d, "mean": 1.0}' % k for k in range(11)]) + '],'
                 ' "ctc": {"std_over_range": 0.012, "cv": 0.03},'
                 ' "distinguishable_states": {"0.01": 7},'
                 ' "fields": [{"up": 5e-3, "p_table": [[1, 2, 3]]}, {"up": NaN, "down": -4e-3}],'
                 ' "levels": [1.0, 2.0, 3.0]}')
    found = key_results(p)
    assert found == {"ctc.std_over_range": 0.012, "ctc.cv": 0.03,
                     "distinguishable_states.0.01": 7.0, "fields[0].up": 5e-3,
                     "fields[1].down": -4e-3}
    # fit sections first, rows of record tables after them (the printer shows the first 8)
    assert list(found)[-2:] == ["fields[0].up", "fields[1].down"]


def test_parameters_a_summary_echoes_are_not_results(tmp_path):
    p = tmp_path / "run_fit.json"
    p.write_text('{"delta_t_per_watt": 300, "bias_law": {"P": {"seebeck": -5e-5}}}')
    assert key_results(p, inputs=("delta_t_per_watt", "n_bias")) == {"bias_law.P.seebeck": -5e-5}
    assert "delta_t_per_watt" in key_results(p)
