"""Independent oracle for the SOT switching protocols: the macrospin critical current and the
Neel-Brown / Sharrock law evaluated here from the preset's parameters (issue 8: tests of
protocols must not take the simulator's own ``escape_time`` / ``switching_current_50``).

* Lee et al., APL 102, 112410 (2013): ``J_c(B_x) = (2e/hbar)(Ms t_F/|xi_DL|)(B_K/2 - |B_x|/sqrt 2)``,
  ``I_c0 = J_c w t_HM``;
* Stoner-Wohlfarth barrier with an in-plane field: ``Delta(B_x) = Delta_300 (1 - |B_x|/B_K)^2``;
* Brown (1963), high-barrier escape time at zero drive:
  ``tau0 = tau_N sqrt(pi) Delta^-3/2 (1 + 1/Delta)``, ``tau_N = Ms V (1 + alpha^2)/(2 alpha gamma kB T)``;
* Neel-Brown with a linear current factor (n = 1, Lee et al., APL 104, 072413 (2014)):
  ``tau(I) = tau0 exp(Delta (1 - I/I_c0))``, ``P = 1 - exp(-t/tau)``, and Sharrock's
  ``I50(t) = I_c0 (1 - ln(t / (tau0 ln 2)) / Delta)``.

Constants come from scipy.constants, not from the simulator.  The device runs without the
channel's Joule heating (``r_thermal_channel = 0``), so the law at the bath temperature holds.
"""
import math

import yaml
from scipy import constants as C

from spinbench.instruments.bench import Bench
from spinbench.sim_backend.physics.presets import SotHallBarParams

GAMMA_E = C.physical_constants["electron gyromag. ratio"][0]     # s^-1 T^-1
T_BATH = 300.0


def bench_without_joule_heating(tmp_path) -> Bench:
    """The built-in sot-hallbar with its device's channel heating off."""
    raw = yaml.safe_load(Bench.load("sot-hallbar").path.read_text())
    raw["name"] = "sot-hallbar-cold"
    raw["sim"]["device"]["params"] = {"r_thermal_channel": 0.0}
    path = tmp_path / "sot-hallbar-cold.yaml"
    path.write_text(yaml.safe_dump(raw))
    return Bench.load(path)


def critical_current(p: SotHallBarParams, b_x: float) -> float:
    jc = (2 * C.e / C.hbar) * p.ms * p.thickness / abs(p.xi_dl) * (p.b_k_eff / 2 - abs(b_x) / math.sqrt(2))
    return jc * p.width * p.hm_thickness


def barrier(p: SotHallBarParams, b_x: float) -> float:
    return p.delta_300 * (1 - abs(b_x) / p.b_k_eff) ** 2


def attempt_time(p: SotHallBarParams) -> float:
    volume = 2 * p.delta_300 * C.k * T_BATH / (p.ms * p.b_k_eff)
    tau_n = p.ms * volume * (1 + p.alpha**2) / (2 * p.alpha * abs(GAMMA_E) * C.k * T_BATH)
    d = p.delta_300
    return tau_n * math.sqrt(math.pi) * d**-1.5 * (1 + 1 / d)


def switching_probability(p: SotHallBarParams, current: float, width: float, b_x: float) -> float:
    x = abs(current) / critical_current(p, b_x)
    tau = attempt_time(p) * math.exp(barrier(p, b_x) * max(0.0, 1 - x))
    return -math.expm1(-width / tau)


def sharrock_i50(p: SotHallBarParams, width: float, b_x: float) -> float:
    return critical_current(p, b_x) * (1 - math.log(width / (attempt_time(p) * math.log(2)))
                                       / barrier(p, b_x))
