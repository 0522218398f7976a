"""thermovoltage-map on the simulated thermo-mtj bench: the fitted Seebeck, bias coefficients and
thermal time constants recover the preset's (ThermoMtjParams, the oracle) within 10 %; refusals
before anything opens."""
import json

import pytest

from spinbench.instruments.bench import Bench
from spinbench.protocols.base import CheckError
from spinbench.protocols.runner import run
from spinbench.protocols.runstore import RunReader
from spinbench.protocols.thermovoltage import ThermovoltageMap
from spinbench.sim_backend.physics.thermo_mtj import ThermoMtjParams, tms_ratio


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    out = tmp_path_factory.mktemp("tv")
    res = run(ThermovoltageMap(), Bench.load("thermo-mtj"),
              {"n_bias": 7, "powers": "0.02", "averages": 4, "points": 1500}, out_dir=out,
              progress=False)
    assert res.status == "complete" and res.n_points == 14
    from spinbench.protocols.runner import analyze     # the analysis registered for the protocol
    files = analyze(res.path, out)
    with RunReader(res.path) as reader:
        frame = reader.to_dataframe()
    assert files[0].suffix == ".png" and files[0].stat().st_size > 10_000
    return json.loads(files[1].read_text()), frame


def test_seebeck_and_bias_coefficients_recover_the_preset_within_10_percent(fitted):
    fit, frame = fitted
    p = ThermoMtjParams()
    law = fit["bias_law"]
    for state, (s, b1, b3) in {"P": (p.seebeck_p, p.b1_p, p.b3_p),
                               "AP": (p.seebeck_ap, p.b1_ap, p.b3_ap)}.items():
        assert law[state]["seebeck"] == pytest.approx(s, rel=0.10), state
        assert law[state]["b1"] == pytest.approx(b1, rel=0.10), state
        assert law[state]["b3"] == pytest.approx(b3, rel=0.10), state
    assert law["tms_ratio"]["value"] == pytest.approx(tms_ratio(p.seebeck_p, p.seebeck_ap), rel=0.2)
    # the P/AP contrast and tens of mV at 1 mA, as in Oberbauer et al. 2025
    ap_top = frame[(frame["state"] == -1) & (frame["bias"] == frame["bias"].max())]["v_laser"].max()
    p_top = frame[(frame["state"] == 1) & (frame["bias"] == frame["bias"].max())]["v_laser"].max()
    assert ap_top > 10e-3 and ap_top > 2 * p_top
    assert (frame["triggered"] == 1).all()
    assert frame["lockin_x"].notna().all()


def test_rise_and_decay_time_constants_recover_the_preset(fitted):
    fit, _ = fitted
    p = ThermoMtjParams()
    for state in ("P", "AP"):
        tr = fit["transients"][state]
        assert tr["tau_fast"] == pytest.approx(p.tau_fast, rel=0.15), state
        assert tr["tau_slow"] == pytest.approx(p.tau_slow, rel=0.10), state


@pytest.mark.parametrize("given, message", [
    ({"bias_max": 0.005}, "bias_max"),
    ({"powers": "0.06"}, "max_laser_power"),
    ({"pulse_width": 900e-6, "pulse_period": 1e-3}, "duty cycle"),
    ({"powers": "0.05", "pulse_width": 500e-6, "pulse_period": 1.5e-3}, "max_pulse_energy"),
    ({"post_pulse": 800e-6}, "fit in one"),
])
def test_out_of_range_requests_are_refused_before_anything_opens(given, message, tmp_path):
    with pytest.raises(CheckError, match=message):
        run(ThermovoltageMap(), Bench.load("thermo-mtj"), given, out_dir=tmp_path, progress=False)
    assert not list(tmp_path.iterdir())
