"""harmonic-hall on the simulated sot-hallbar: the fitted damping-like and field-like fields
against the preset's, computed here from their definition B = hbar xi J / (2 e Ms t_F)
(Liu et al., Science 336, 555 (2012)), and refusals before anything opens."""
import math

import pytest
import yaml

from spinbench.analysis.harmonic_hall import fit_harmonic_hall
from spinbench.instruments.bench import Bench
from spinbench.protocols.base import CheckError
from spinbench.protocols.harmonic_hall import HarmonicHall
from spinbench.protocols.runner import run
from spinbench.protocols.runstore import RunReader
from spinbench.sim_backend import benches

HBAR, E = 1.054571817e-34, 1.602176634e-19
# the sot_hallbar preset (sim_backend/physics/presets.py SotHallBarParams)
MS, T_F, WIDTH, T_HM, XI_DL, XI_FL = 1.1e6, 1e-9, 2e-6, 5e-9, -0.30, -0.10


def _fast_magnets(folder) -> Bench:
    """sot-hallbar with 10x the magnets' ramp-rate limit: the Kepco driver paces its ramps in
    wall time (each step a sleep), which would dominate this test; the physics is unchanged (the
    coils still slew at their L/R limit)."""
    spec = yaml.safe_load((benches.builtin_dir() / "sot-hallbar.yaml").read_text())
    for name in ("magnet_x", "magnet_y", "magnet_z"):
        spec["instruments"][name]["limits"]["max_ramp_rate"] *= 10
    path = folder / "sot-hallbar-fast-magnets.yaml"
    path.write_text(yaml.safe_dump(spec))
    return Bench.load(path)


def test_fitted_sot_fields_recover_the_preset_for_both_states(tmp_path):
    params = {"states": "both", "points": 11, "time_constant": 0.01, "current_rms": 1e-3}
    result = run(HarmonicHall, _fast_magnets(tmp_path), params, out_dir=tmp_path / "runs",
                 progress=False)
    with RunReader(result.path) as reader:
        df = reader.to_dataframe()
        values = reader.params
    assert len(df) == 2 * 2 * 2 * 11 and not df["overload"].any()
    fits = fit_harmonic_hall(df, current_rms=values["current_rms"], width=values["channel_width"],
                             hm_thickness=values["hm_thickness"], ms=values["ms"],
                             thickness=values["thickness"], r_phe_ratio=values["r_phe_ratio"])
    j = math.sqrt(2) * 1e-3 / (WIDTH * T_HM)
    b_dl = HBAR * XI_DL * j / (2 * E * MS * T_F)             # -12.7 mT
    b_fl = HBAR * XI_FL * j / (2 * E * MS * T_F)             # -4.2 mT
    assert [f.state for f in fits] == [-1, 1]
    for fit in fits:
        assert fit.b_dl == pytest.approx(b_dl, rel=0.10), fit
        assert fit.b_fl == pytest.approx(b_fl, rel=0.10), fit
        assert fit.xi_dl == pytest.approx(XI_DL, rel=0.10)
    # the longitudinal field flips with m_z (damping-like), the transverse one does not
    down, up = fits
    assert 0.5 * (up.r_ahe + down.r_ahe) == pytest.approx(2.0, rel=0.01)    # R_AHE of the preset
    assert down.b_l_per_a == pytest.approx(-up.b_l_per_a, rel=0.05)
    assert down.b_t_per_a == pytest.approx(up.b_t_per_a, rel=0.05)


@pytest.mark.parametrize("bad, match", [
    ({"time_constant": 0.2}, r"time_constant = 0.2 s is not a time constant"),
    ({"current_rms": 0.01}, r"current_rms x excitation_resistance"),
    ({"field_max": 0.5}, r"field_max = .* exceeds the bench limit"),
])
def test_bad_settings_are_refused_before_anything_opens(bad, match, tmp_path):
    with pytest.raises(CheckError, match=match):
        run(HarmonicHall, Bench.load("sot-hallbar"), bad, out_dir=tmp_path, progress=False)
    assert not list(tmp_path.iterdir())
