"""spin-diode-map chooses its path from what the bench file declares, before anything opens: the
buffered step sweep needs the RF source's trigger output cabled to the lock-in's TRIG IN, which
no instrument can report, so the bench file says so (N5183B option ``trigger_out``).  Without the
cable the default (``buffered = auto``) maps point by point and records it; ``buffered = true``
is refused with no command sent.  A modulation the RF source lacks (AM on the R&S SGS100A) is
refused the same way.  The line the stepped path reads is checked against the device's analytic
Kittel law and FMR linewidth."""
from __future__ import annotations

import numpy as np
import pytest
import pyvisa
import yaml

from spinbench.analysis.spin_diode import fit_lineshape
from spinbench.instruments.bench import Bench
from spinbench.protocols.base import CheckError
from spinbench.protocols.cli import main
from spinbench.protocols.runner import run
from spinbench.protocols.runstore import RunReader
from spinbench.protocols.spin_diode_map import SpinDiodeMap
from spinbench.sim_backend.physics.presets import make_device

FIELD = 0.08


def _uncabled_bench(tmp_path):
    """rf-mtj with the N5183B's TRIG OUT neither cabled (sim) nor declared (bench file)."""
    data = yaml.safe_load(Bench.load("rf-mtj").path.read_text())
    src = data["instruments"][data["roles"]["rf_source"]]
    assert src.pop("options") == {"trigger_out": data["roles"]["lock_in"]}
    del data["sim"]["instruments"][src["address"]]["connect"]["trigger_out"]
    path = tmp_path / "rf-mtj-uncabled.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _line_params():
    dev = make_device("rf_mtj", {})
    f0, w = float(dev.kittel_frequency(FIELD)), float(dev.linewidth(FIELD))
    return f0, w, {"fields": str(FIELD), "freq_start": str(f0 - 6 * w), "freq_stop": str(f0 + 6 * w),
                   "freq_points": "41", "power_dbm": "-25"}


def _cli(bench, out, params, capsys):
    argv = ["run", "spin-diode-map", "--bench", str(bench), "--out", str(out), "--seed", "1",
            "--no-progress"]
    for k, v in params.items():
        argv += ["--param", f"{k}={v}"]
    code = main(argv)
    return code, capsys.readouterr().err


def test_without_the_declared_trigger_cable_the_map_runs_point_by_point(tmp_path, capsys):
    f0, w, params = _line_params()
    code, err = _cli(_uncabled_bench(tmp_path), tmp_path / "runs", params, capsys)
    assert code == 0, err
    (path,) = (tmp_path / "runs").glob("*.h5")
    with RunReader(path) as reader:
        assert reader.params["buffered"] == "auto"
        assert np.all(reader.column("buffered") == 0)           # the stepped path ran, recorded
        fit = fit_lineshape(reader.column("frequency"), reader.column("x"))
    assert fit.f0 == pytest.approx(f0, rel=0.005)               # the analytic Kittel law
    assert fit.width == pytest.approx(w, rel=0.02)              # alpha gamma (B1 + B2) / 4 pi


def test_buffered_true_without_the_cable_is_refused_before_any_command(tmp_path, capsys):
    bench = _uncabled_bench(tmp_path)
    _, _, params = _line_params()
    rm = pyvisa.ResourceManager(f"{bench}@spinbench")
    try:
        world = rm.visalib.world
        before = list(world.messages())
        code, err = _cli(bench, tmp_path / "runs", {**params, "buffered": "true"}, capsys)
        assert code == 2
        assert "buffered = true, but the bench file declares no cable from the trigger output of " \
               "rf_source to the TRIG IN of lockin" in err
        assert "options: {trigger_out: lockin} on rf_source" in err
        assert world.messages() == before                       # not one command reached the bench
    finally:
        rm.close()
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").iterdir())


def test_the_declared_cable_selects_the_buffered_path(tmp_path):
    f0, w, params = _line_params()
    result = run(SpinDiodeMap, Bench.load("rf-mtj"), {**params, "freq_points": "21"}, out_dir=tmp_path,
                 seed=1, progress=False)
    with RunReader(result.path) as reader:
        assert np.all(reader.column("buffered") == 1)
        assert reader.column("x").size == 21


@pytest.mark.parametrize("given, match", [
    ({"modulation": "am"}, r"modulation = am needs amplitude modulation, but role 'rf_source' is "
                           r"rf_source_sgs \(rohde_schwarz_sgs100a\), which has none .*use modulation = "
                           r"pulse or an RF source with amplitude modulation in role 'rf_source' "
                           r"\(keysight_n5183b\)"),
    ({"buffered": "true"}, r"buffered = true, but role 'rf_source' \(rf_source_sgs, "
                           r"rohde_schwarz_sgs100a\) cannot run a step sweep"),
])
def test_what_the_sgs100a_cannot_do_is_refused_before_anything_opens(given, match, tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(Bench, "open", lambda self, *a, **k: opened.append(self))
    bench = Bench.load("rf-mtj").for_device("sgs")              # role rf_source_sgs stands in
    with pytest.raises(CheckError, match=match):
        run(SpinDiodeMap, bench, given, out_dir=tmp_path, progress=False)
    assert opened == [] and list(tmp_path.iterdir()) == []


def test_declared_trigger_cables_agree_with_the_simulated_wiring():
    """Every built-in bench: an instrument's ``trigger_out`` option names the instrument whose
    address its sim ``connect: trigger_out`` is cabled to, and no sim cable goes undeclared."""
    from pyvisa_spinbench import bench_files

    cabled = 0
    for name in bench_files.builtin_bench_files():
        bench = Bench.load(name)
        sim = (bench.raw.get("sim") or {}).get("instruments") or {}
        by_address = {spec.address: spec.name for spec in bench.instruments.values()}
        for spec in bench.instruments.values():
            wired = (sim.get(spec.address) or {}).get("connect", {}).get("trigger_out")
            declared = spec.options.get("trigger_out")
            assert declared == (by_address.get(wired) if wired else None), (name, spec.name)
            cabled += wired is not None
    assert cabled >= 1                                          # rf-mtj's N5183B -> SR830


def test_buffered_is_a_three_state_switch_that_takes_booleans():
    from spinbench.protocols.base import ParamError

    param = SpinDiodeMap.param("buffered")
    assert [param.validate(v) for v in (True, False, "yes", "OFF", "auto")] == ["true", "false", "true",
                                                                               "false", "auto"]
    assert param.parse("on") == "true"
    with pytest.raises(ParamError, match=r"buffered = 'maybe' is not allowed; choose one of: 'auto', "
                                         r"'true', 'false'"):
        param.validate("maybe")
