"""thermovoltage-map with the 33522B as the laser's modulator (modulator = 'generator'): the
generator's pulse train reaches the laser through the bench's cable to MOD IN (a netlist
connection), and the thermovoltage is the one of the laser's own QCW pulses and of the lumped
heating law at zero bias: -S_P x absorptance x coupling x P x (R_fast + R_slow)."""
import pytest
import pyvisa
import yaml

from spinbench.instruments.bench import Bench
from spinbench.protocols.base import CheckError
from spinbench.protocols.runner import run
from spinbench.protocols.runstore import RunReader
from spinbench.protocols.thermovoltage import ThermovoltageMap
from spinbench.sim_backend.physics.thermo_mtj import ThermoMtjParams

GRID = {"states": "P", "n_bias": 3, "bias_max": 1e-3, "powers": "0.02", "averages": 4, "points": 1500}


def v_laser(tmp_path, name, modulator):
    res = run(ThermovoltageMap(), Bench.load("thermo-mtj"), {**GRID, "modulator": modulator},
              out_dir=tmp_path / name, progress=False)
    assert res.status == "complete" and res.n_points == 3
    with RunReader(res.path) as reader:
        frame = reader.to_dataframe()
    return frame.set_index("bias")["v_laser"], res.path


def test_generator_modulated_map_matches_the_laser_timed_one_and_the_heating_law(tmp_path):
    gen, _ = v_laser(tmp_path, "gen", "generator")
    # the generator, not the laser, timed the pulses: the bench outlives the run (issue 16), so
    # its command log shows the train sent to the 33522B and the laser gated by MOD IN
    rm = pyvisa.ResourceManager("thermo-mtj@spinbench")
    try:
        log = rm.visalib.world.messages()
    finally:
        rm.close()
    assert any("FUNC:PULS:PER 0.001" in m for m in log)
    assert any("SOUR:AM:SOUR EXT" in m for m in log)
    qcw, _ = v_laser(tmp_path, "qcw", "laser")
    p = ThermoMtjParams()
    plateau = -p.seebeck_p * p.absorptance * 0.5 * 0.02 * (p.r_fast + p.r_slow)   # 300 us >> tau
    assert gen[0.0] == pytest.approx(plateau, rel=0.05)
    for bias in (-1e-3, 1e-3):
        assert gen[bias] == pytest.approx(qcw[bias], rel=0.05)


def test_generator_modulation_needs_a_modulator_role(tmp_path):
    spec = yaml.safe_load(open(Bench.load("thermo-mtj").path))
    del spec["roles"]["laser_modulator"]
    path = tmp_path / "no-modulator.yaml"
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(CheckError, match="laser_modulator"):
        run(ThermovoltageMap(), Bench.load(str(path)), {**GRID, "modulator": "generator"},
            out_dir=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_the_tektronix_scope_is_an_alternative_scope_for_the_map(tmp_path):
    """The bench file names the DPO7254C as its scope (AUX IN on the laser): the zero-bias
    thermovoltage is the heating law's plateau, as with the DSOX."""
    spec = yaml.safe_load(open(Bench.load("thermo-mtj").path))
    spec["instruments"]["tek"] = {"driver": "tektronix_dpo7000", "address": "TCPIP0::192.168.0.20::inst0::INSTR"}
    spec["roles"]["scope"] = "tek"
    path = tmp_path / "thermo-tek.yaml"
    path.write_text(yaml.safe_dump(spec))
    res = run(ThermovoltageMap(), Bench.load(str(path)), GRID, out_dir=tmp_path / "out", progress=False)
    assert res.status == "complete"
    with RunReader(res.path) as reader:
        frame = reader.to_dataframe()
    p = ThermoMtjParams()
    plateau = -p.seebeck_p * p.absorptance * 0.5 * 0.02 * (p.r_fast + p.r_slow)
    assert frame.set_index("bias")["v_laser"][0.0] == pytest.approx(plateau, rel=0.05)
    assert frame["triggered"].eq(1.0).all()
