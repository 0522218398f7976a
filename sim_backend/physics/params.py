"""Parameter sets of the device models (frozen dataclasses, SI units), documented in
:mod:`.presets`; here so that the adapters and the presets' factory both import them without
importing each other."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from .constants import MU0


@dataclass(frozen=True)
class SotHallBarParams:
    """PMA SOT Hall cross: W(5 nm)/CoFeB(1 nm)/MgO, current along x, Hall voltage along y.

    Sources: spin Hall angle of beta-W ~ -0.3 (Pai et al., APL 101, 122404 (2012));
    CoFeB Ms ~ 1.1e6 A/m and interfacial PMA (Ikeda et al. 2010); damping 0.02; the
    macrospin (Lee et al., APL 102, 112410 (2013)) critical current density
    ``J_c = (2e/hbar)(Ms t_F/xi_DL)(B_K,eff/2 - B_x/sqrt 2)`` reduced by Néel–Brown thermal
    activation over an activation volume with barrier ``delta_300`` (n = 1: Lee et al., APL
    104, 072413 (2014)). With these values J_c0 ~ 8e11 A/m^2 (I ~ 8 mA) at 0 K, ~6 mA for ms
    pulses. Hall resistances are typical of um-size Hall crosses.
    """

    ms: float = 1.1e6                   #: saturation magnetization [A/m]
    thickness: float = 1.0e-9           #: free layer t_F [m] (or the FM carrying the current, spinloss)
    b_k_eff: float = 0.15               #: effective PMA field 2K/Ms - mu0 Ms [T]
    alpha: float = 0.02                 #: Gilbert damping
    xi_dl: float = -0.30                #: damping-like SOT efficiency (W: negative)
    xi_fl: float = -0.10                #: field-like SOT efficiency
    delta_300: float = 60.0             #: barrier of the activation volume at 300 K [kB T]
    tau0: float | None = None           #: attempt time [s]; None: Brown's, from the device (Ms, V, alpha, T)
    n_sot: float = 1.0                  #: Néel–Brown exponent of the current factor
    width: float = 2e-6                 #: channel width [m]
    hm_thickness: float = 5e-9          #: thickness carrying the charge current [m]
    r_ahe: float = 2.0                  #: anomalous Hall resistance [ohm]
    r_phe: float = 0.2                  #: planar Hall (+ transverse SMR) resistance [ohm]
    r_offset: float = 0.05              #: Hall-cross offset [ohm]
    r_xx: float = 1200.0                #: longitudinal resistance between the xx probes [ohm]
    r_amr: float = 0.5                  #: AMR amplitude in r_xx [ohm]
    r_smr: float = 1.2                  #: SMR amplitude in r_xx [ohm]
    r_channel: float = 1500.0           #: two-terminal channel resistance [ohm]
    r_hall_port: float = 400.0          #: two-terminal resistance of the Hall arms [ohm]
    r_thermal: float = 2.0e4            #: laser heating [K/W] of the lumped thermal model
    r_thermal_channel: float = 100.0    #: Joule heating of the channel [K/W]: T = T_bath + r I^2 R_channel
    curie_temperature: float = 750.0    #: T_C of the free layer [K] (Bloch's law for Ms(T), Delta(T), R_AHE(T))
    llg_max_pulse: float = 5e-9         #: intervals up to this (with drive) use the sLLG [s]
    llg_dt: float = 1e-12               #: sLLG time step [s]
    pulse_edge: float = 1e-9            #: linear rise/fall of current changes on the sLLG path [s]
    m0: float = 1.0                     #: initial m_z sign

    @property
    def volume(self) -> float:
        """Activation volume V = 2 Delta kB T / (Ms B_K,eff) at 300 K [m^3]."""
        return 2.0 * self.delta_300 * 1.380649e-23 * 300.0 / (self.ms * self.b_k_eff)

    @property
    def k_u(self) -> float:
        """Interface anisotropy K_u with B_K,eff = 2 K_u / Ms - mu0 Ms [J/m^3]."""
        return 0.5 * self.ms * (self.b_k_eff + MU0 * self.ms)


def spinloss_params(absorption: float = 0.5, **overrides) -> SotHallBarParams:
    """Ferromagnet / antiferromagnetic-insulator "spin-loss" bilayer (KIST 2025 mechanism).

    The charge current flows in the ferromagnet itself; the spin current it generates that is
    absorbed by the AFI (fraction ``absorption``) exerts a reaction damping-like torque on the
    ferromagnet, so the efficiency grows with absorption:
    ``xi_DL = xi_0 (1 + (sqrt(3) - 1) a)``, a three-fold lower switching energy at a = 1 than
    at a = 0 for equal pulse width and resistance. Spin pumping into the AFI adds damping
    ``alpha = 0.015 + 0.005 a`` (illustrative). Han et al., Nat. Commun. (2025).
    """
    if not 0.0 <= absorption <= 1.0:
        raise ValueError(f"absorption must be in [0, 1], got {absorption}")
    xi0 = -0.12
    base = dict(thickness=1.5e-9, hm_thickness=1.5e-9, xi_dl=xi0 * (1 + (math.sqrt(3) - 1) * absorption),
                xi_fl=0.3 * xi0, alpha=0.015 + 0.005 * absorption, b_k_eff=0.12, delta_300=50.0,
                r_channel=2500.0, r_xx=2000.0, r_ahe=1.0)
    base.update(overrides)
    return SotHallBarParams(**base)


@dataclass(frozen=True)
class PmtjParams:
    """CoFeB/MgO perpendicular MTJ (Ikeda et al., Nat. Mater. 9, 721 (2010)), reference along +z.

    STT critical current ``I_c0 = (2e/hbar)(alpha/eta) Ms B_K,eff V`` (Sun 2000) ~ 54 uA with
    these values; P->AP needs (1 + lambda) times it, AP->P (1 - lambda) times it
    (eta(theta) = eta/(1 + lambda cos theta), Slonczewski). Positive current favours P.
    """

    diameter: float = 40e-9             #: pillar diameter [m]
    thickness: float = 1.3e-9           #: free layer [m]
    ms: float = 1.1e6                   #: [A/m]
    b_k_eff: float = 0.30               #: [T]
    alpha: float = 0.02
    eta: float = 0.6                    #: STT efficiency
    stt_lambda: float = 0.2             #: angular asymmetry
    tmr0: float = 1.2                   #: zero-bias TMR (120 %)
    v_half: float = 0.5                 #: bias halving the TMR [V]
    ra: float = 10e-12                  #: resistance-area product in P [ohm m^2]
    v_breakdown: float = 1.2            #: dielectric breakdown of the MgO barrier [V]
    r_short: float = 200.0              #: resistance of a broken-down junction [ohm]
    r_thermal: float = 5.0e4            #: laser heating [K/W]
    llg_max_pulse: float = 5e-9         #: intervals up to this (with drive) use the sLLG [s]
    llg_dt: float = 1e-12               #: [s]
    m0: float = 1.0                     #: initial state (+1 = P)

    @property
    def area(self) -> float:
        return math.pi * (self.diameter / 2) ** 2

    @property
    def volume(self) -> float:
        return self.area * self.thickness

    @property
    def r_p(self) -> float:
        return self.ra / self.area

    @property
    def k_u(self) -> float:
        return 0.5 * self.ms * (self.b_k_eff + MU0 * self.ms)


@dataclass(frozen=True)
class GrainHallBarParams:
    """Multi-domain W/CoFeB Hall cross for analog synapses (see :mod:`.grains`).

    ``seed`` draws the grains (device-to-device variation); ``tilt_deg`` > 0 is the field-free
    synapse with an easy axis tilted toward x (You et al., PNAS 112, 10310 (2015)). In this
    thermal-activation model the tilt enters phenomenologically, as a built-in symmetry-breaking
    field ``B_K,eff sin(2 tilt)/2`` that sets the polarity (grains.tilt_bias_field); it is not
    derived from the sLLG, which writes no polarity with the axis tilted toward x (the two-fold
    rotation about y stays a symmetry) and writes ``sign(xi J u.sigma)`` with it tilted toward
    sigma = y (:mod:`.synapse_tilt`; the ``synapse_tilted`` preset takes both from there).
    """

    n_grains: int = 200
    seed: int = 0
    delta_mean: float = 45.0
    delta_spread: float = 0.2
    b_k_eff: float = 0.20
    b_k_spread: float = 0.1
    ms: float = 1.1e6
    thickness: float = 1.0e-9
    xi_dl: float = -0.30
    jc_spread: float = 0.1
    size_spread: float = 0.3
    tau0: float = 1e-9
    n_sot: float = 1.0
    tilt_deg: float = 0.0
    width: float = 2e-6
    hm_thickness: float = 5e-9
    r_ahe: float = 2.0
    r_phe: float = 0.2
    r_offset: float = 0.05
    r_xx: float = 1200.0
    r_channel: float = 1500.0
    r_hall_port: float = 400.0
    r_thermal: float = 2.0e4
    m0: float = -1.0                    #: initial state of every grain


@dataclass(frozen=True)
class InPlaneMtjParams:
    """In-plane CoFeB/MgO/CoFeB MTJ for spin-torque FMR / diode work (parameters only).

    Elliptical 150 x 70 nm, free layer 1.8 nm; Ms 1.0e6 A/m, in-plane shape+crystal
    anisotropy B_K 10 mT along x, alpha 0.01, eta 0.5, TMR 150 %, RA 5 ohm um^2
    (Tulapurkar et al., Nature 438, 339 (2005); Sankey et al., Nat. Phys. 4, 67 (2008)).
    Kittel: f = gamma/2pi sqrt((B + B_K)(B + B_K + mu0 Ms)) ~ 3-10 GHz for B = 10-100 mT.
    """

    length: float = 150e-9
    width: float = 70e-9
    thickness: float = 1.8e-9
    ms: float = 1.0e6
    b_k: float = 0.010
    alpha: float = 0.01
    eta: float = 0.5
    tmr0: float = 1.5
    ra: float = 5e-12
    demag_factors: tuple = (0.015, 0.035, 0.95)


@dataclass(frozen=True)
class VortexMtjParams:
    """Vortex-state MTJ oscillator / thermoelectric device (parameters only).

    NiFe or FeB disk, diameter 300 nm, thickness 5 nm; Ms 8.0e5 A/m (NiFe), alpha 0.01;
    gyrotropic frequency f_G ~ (10/9)(gamma mu0 Ms/2pi)(t/R) ~ 100-300 MHz (Guslienko, J.
    Nanosci. Nanotechnol. 8, 2745 (2008)); TMR 100 %; tunnel magneto-Seebeck coefficient
    difference ~ 10 uV/K between P and AP (Walter et al., Nat. Mater. 10, 742 (2011)).
    """

    diameter: float = 300e-9
    thickness: float = 5e-9
    ms: float = 8.0e5
    alpha: float = 0.01
    tmr0: float = 1.0
    ra: float = 3e-12
    seebeck_p: float = -50e-6
    seebeck_ap: float = -60e-6

    @property
    def gyrotropic_frequency(self) -> float:
        """Two-vortices side-charge-free estimate f = (10/9) gamma mu0 Ms (t/R) / (2 pi) [Hz]."""
        from .constants import GAMMA_E
        return (10.0 / 9.0) * GAMMA_E * MU0 * self.ms * (self.thickness / (self.diameter / 2)) / (2 * math.pi)
