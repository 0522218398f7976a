"""Physical constants (SI, CODATA 2018) shared by the physics modules.

Fields inside ``sim_backend.physics`` are flux densities ``B = mu0 H`` in tesla unless a name
says otherwise; :data:`GAMMA_E` is then the electron gyromagnetic ratio in rad/(s T), and
``gamma0 = GAMMA_E * MU0`` (m/(A s)) is the same ratio for fields in A/m.
"""

from __future__ import annotations

import math

#: Vacuum permeability [T m / A].
MU0: float = 1.25663706212e-6
#: Electron gyromagnetic ratio |gamma_e| [rad / (s T)].
GAMMA_E: float = 1.76085963023e11
#: Gyromagnetic ratio for fields in A/m, gamma0 = gamma_e * mu0 [m / (A s)].
GAMMA0: float = GAMMA_E * MU0
#: Boltzmann constant [J / K].
KB: float = 1.380649e-23
#: Reduced Planck constant [J s].
HBAR: float = 1.054571817e-34
#: Elementary charge [C].
E_CHARGE: float = 1.602176634e-19
#: Bohr magneton [J / T].
MU_B: float = 9.2740100783e-24
#: 2 pi, for angular <-> cyclic frequency.
TWO_PI: float = 2.0 * math.pi
