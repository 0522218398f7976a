"""Field-free multi-state SOT spin synapses: three designs on one grain-ensemble Hall bar.

The device is a Hall cross over a granular perpendicular free layer (``n_grains`` independent
two-state grains, :mod:`.grains`), written by spin-orbit torque from the heavy-metal channel and
read by the anomalous Hall effect. Each grain switches by thermal activation over its own
barrier (:func:`~.thermal.pma_escape_times`, Stoner-Wohlfarth field factors times the Néel-Brown
current factor with Lee's critical current); the level after a pulse is the area-weighted
fraction of switched grains, so multi-level states come from the distribution of the grains'
thresholds. Damping-like SOT alone cannot choose the polarity of a perpendicular magnet: each
design breaks the symmetry in its own way (Adv. Sci. 2025, "Néel orange-peel, interlayer DMI,
tilted anisotropy" spin synapses):

``orange_peel``  -- an in-plane magnetized layer (M_ref along ``op_angle_deg`` in the plane)
    under a thin spacer. Correlated interface roughness (amplitude h, wavelength lambda) gives
    the Néel ("orange-peel") magnetostatic coupling, a *real* effective in-plane field on the
    free layer (Néel, C. R. Acad. Sci. 255, 1676 (1962); Kools et al., JAP 85, 4466 (1999))::

        B_N = (pi^2 / sqrt 2) (h^2 / (lambda t_F)) mu0 M_ref exp(-2 pi sqrt2 t_s / lambda)

    It enters the grains' dynamics exactly as an applied in-plane field does: it tilts every
    grain, lowers its barrier by (1 - B_N/B_K)^2, lowers J_c (Lee) and fixes the polarity
    sign(xi_DL J B_N). Nothing else is added.

``idmi``  -- an interlayer Dzyaloshinskii-Moriya interaction E/A = -D_inter . (m_F x m_ref)
    with a perpendicular reference layer m_ref = ``ref_state`` z and an in-plane D vector (angle
    ``d_angle_deg``; the in-plane symmetry breaking of the stack). Linear in m_F, it is the
    effective field ``B_iDMI = (m_ref x D) / (M_s t_F)`` (in plane, perpendicular to D), a real
    field in the same energy as the anisotropy (Fernández-Pacheco et al., Nat. Mater. 18, 679
    (2019); Han et al., Nat. Mater. 18, 703 (2019)). The polarity reverses with the reference
    layer's state, which the orange-peel design cannot do.

``tilted``  -- an easy axis tilted by ``tilt_deg`` (You et al., PNAS 112, 10310 (2015)) in the
    plane ``tilt_plane``. The polarity comes out of the macrospin dynamics
    (:mod:`.synapse_tilt`): tilted toward the spin polarization sigma = y of the SOT (plane
    "yz", perpendicular to the current) a supercritical pulse writes the well
    ``sign(xi_DL J (u . sigma))``; tilted toward the current (plane "xz") the two-fold rotation
    about y is a symmetry of the dynamics and no polarity exists (the sLLG of
    :func:`.synapse_tilt.switches_to` checks both). The threshold is the sLLG's
    (:data:`.synapse_tilt.TILT_THRESHOLD`, a fraction of Lee's J_c0). PHENOMENOLOGICAL still:
    1 ms pulses at 300 K switch by thermal activation, beyond the sLLG's reach and with no
    closed-form escape rate for the (non-conservative) SOT dynamics, so each grain keeps the
    Néel-Brown law -- the current factor lowers the barrier of the well the current leaves,
    the preferred well's barrier stays whole (deterministic writing, as the sLLG at 300 K
    shows). No real field is added; the read-out m_z of a grain is cos(tilt).

Cycle-to-cycle (CTC) variation has two sources:

* thermal activation (emerges; nothing added): grains near their threshold switch with
  probability p_i, so a level carries the binomial variance ``sum_i w_i^2 p_i (1 - p_i)``;
* ``ctc_sigma`` (configured): in every programming event (each change of the current) the
  thresholds of all grains move together by ``eps * (threshold window)``,
  ``eps ~ N(0, ctc_sigma)`` (pulse-to-pulse fluctuation of the film's heating and of the
  nucleation/pinning landscape). With thresholds spread uniformly over the window (a thickness
  gradient across the bar: ``threshold_profile = "uniform"``) the interior states then spread
  by ``ctc_sigma`` of the full switching window, the quantity to compare with a measurement
  under the "window" CTC definition, in quadrature with the binomial part.

Device-to-device variation: ``seed`` draws the grains; ``d2d_sigma`` scales the device's
threshold window centre by ``1 + d2d_sigma N(0, 1)`` drawn from the same seed.

Parameters, SI units (preset defaults in :data:`DESIGN_DEFAULTS`)::

    n_grains 1000, delta_mean 80 (kB T at 300 K), delta_spread 0.05, size_spread 0.10,
    b_k_eff 0.20 T, b_k_spread 0.02, ms 1.1e6 A/m, thickness 1.0 nm (free layer),
    xi_dl -0.30 (W), jc_window 0.30 (uniform thresholds jc0 (1 +- 0.30) around Lee's J_c0, times
    the sLLG threshold ratio for the tilted design), ctc_sigma 0.02,
    width 2 um, hm_thickness 5 nm, r_ahe 2 ohm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from .analytic import sot_critical_current_density
from .constants import MU0
from .synapse_tilt import TILT_PLANES, tilt_polarity, tilt_threshold_ratio, tilted_axis
from .thermal import pma_escape_times

__all__ = ["SynapseParams", "SynapseHallBar", "orange_peel_field", "idmi_field", "DESIGN_DEFAULTS",
           "make_synapse"]

DESIGNS = ("tilted", "orange_peel", "idmi")


def orange_peel_field(roughness: float, wavelength: float, spacer: float, t_free: float,
                      ms_ref: float) -> float:
    """Néel orange-peel coupling field on the free layer [T] (Kools et al. 1999, eq. 1)::

        B_N = (pi^2 / sqrt 2) (h^2 / (lambda t_F)) mu0 M_ref exp(-2 pi sqrt 2 t_s / lambda)
    """
    return (math.pi ** 2 / math.sqrt(2.0)) * roughness ** 2 / (wavelength * t_free) * MU0 * ms_ref \
        * math.exp(-2.0 * math.pi * math.sqrt(2.0) * spacer / wavelength)


def idmi_field(d_inter: float, d_angle_deg: float, ref_state: float, ms: float,
               t_free: float) -> np.ndarray:
    """Effective field of the interlayer DMI on the free layer [T], (3,):
    ``B = (m_ref x D) / (M_s t_F)`` for E/A = -D . (m_F x m_ref), m_ref = ref_state z."""
    phi = math.radians(d_angle_deg)
    d = d_inter * np.array([math.cos(phi), math.sin(phi), 0.0])
    m_ref = np.array([0.0, 0.0, 1.0 if ref_state >= 0 else -1.0])
    return np.cross(m_ref, d) / (ms * t_free)


@dataclass(frozen=True)
class SynapseParams:
    """One field-free grain-ensemble synapse (see the module docstring for the physics)."""

    design: str = "tilted"              #: "tilted" | "orange_peel" | "idmi"
    n_grains: int = 1000                #: grains under the Hall cross
    seed: int = 0                       #: draws the grains and the device offset (D2D)
    delta_mean: float = 80.0            #: mean grain barrier at 300 K [kB T]
    delta_spread: float = 0.05          #: relative lognormal spread of the barrier
    size_spread: float = 0.10           #: relative lognormal spread of grain areas
    b_k_eff: float = 0.20               #: effective PMA field [T]
    b_k_spread: float = 0.02            #: relative spread of B_K,eff
    ms: float = 1.1e6                   #: free layer M_s [A/m]
    thickness: float = 1.0e-9           #: free layer t_F [m]
    xi_dl: float = -0.30                #: damping-like SOT efficiency (W)
    tau0: float = 1e-9                  #: attempt time [s]
    n_sot: float = 1.0                  #: Néel-Brown exponent of the current factor
    jc_window: float = 0.30             #: thresholds spread over jc0 (1 -+ jc_window)
    threshold_profile: str = "uniform"  #: "uniform" (wedge) or "normal" (sigma = jc_window/2)
    ctc_sigma: float = 0.02             #: configured per-event threshold shift, fraction of window
    d2d_sigma: float = 0.0              #: relative sigma of the device's threshold centre
    tilt_deg: float = 0.0               #: easy-axis tilt from z (tilted design) [deg], toward +y or +x
    tilt_plane: str = "yz"              #: "yz": toward sigma (field-free writing); "xz": toward the current
    op_roughness: float = 0.35e-9       #: orange peel: correlated roughness amplitude h [m]
    op_wavelength: float = 10e-9        #: orange peel: roughness wavelength lambda [m]
    op_spacer: float = 1.5e-9           #: orange peel: spacer thickness t_s [m]
    op_ms_ref: float = 1.2e6            #: orange peel: in-plane layer M_s [A/m]
    op_angle_deg: float = 180.0         #: orange peel: in-plane layer's M direction [deg from x]
    d_inter: float = 3.0e-5             #: interlayer DMI |D| [J/m^2]
    d_angle_deg: float = 90.0           #: direction of D in the plane [deg from x]
    ref_state: float = 1.0              #: iDMI reference layer state (+1 / -1 along z)
    width: float = 2e-6                 #: channel width [m]
    hm_thickness: float = 5e-9          #: heavy-metal thickness carrying the current [m]
    r_ahe: float = 2.0                  #: anomalous Hall resistance [ohm]
    r_offset: float = 0.05              #: Hall-cross offset [ohm]
    r_xx: float = 1200.0                #: [ohm]
    r_channel: float = 1500.0           #: two-terminal channel resistance [ohm]
    r_hall_port: float = 400.0          #: [ohm]
    r_thermal: float = 2.0e4            #: laser heating [K/W]
    m0: float = -1.0                    #: initial state of every grain

    def __post_init__(self):
        if self.design not in DESIGNS:
            raise ValueError(f"design must be one of {DESIGNS}, got {self.design!r}")
        if self.tilt_plane not in TILT_PLANES:
            raise ValueError(f"tilt_plane must be one of {TILT_PLANES}, got {self.tilt_plane!r}")
        if self.threshold_profile not in ("uniform", "normal"):
            raise ValueError(f"threshold_profile must be 'uniform' or 'normal', got {self.threshold_profile!r}")
        if not 1 <= self.n_grains <= 1_000_000:
            raise ValueError(f"n_grains must be in [1, 1e6], got {self.n_grains}")
        if not 0.0 <= self.jc_window < 1.0:
            raise ValueError(f"jc_window must be in [0, 1), got {self.jc_window}")
        if not 0.0 <= self.ctc_sigma <= 0.5:
            raise ValueError(f"ctc_sigma must be in [0, 0.5], got {self.ctc_sigma}")

    def internal_field(self) -> np.ndarray:
        """The design's real effective field on the free layer [T], (3,) (zero for tilted)."""
        if self.design == "orange_peel":
            b = orange_peel_field(self.op_roughness, self.op_wavelength, self.op_spacer,
                                  self.thickness, self.op_ms_ref)
            phi = math.radians(self.op_angle_deg)
            return np.array([b * math.cos(phi), b * math.sin(phi), 0.0])
        if self.design == "idmi":
            return idmi_field(self.d_inter, self.d_angle_deg, self.ref_state, self.ms, self.thickness)
        return np.zeros(3)

    def easy_axis(self) -> np.ndarray:
        """The grains' easy axis (z unless the tilted design tilts it)."""
        return tilted_axis(self.tilt_deg if self.design == "tilted" else 0.0, self.tilt_plane)

    def threshold_ratio(self) -> float:
        """J_c / J_c0 (Lee, B_x = 0) of the design's symmetry breaking: the sLLG threshold of the
        tilted axis; 1 otherwise (the effective fields enter the escape law as fields)."""
        return tilt_threshold_ratio(self.tilt_deg, self.tilt_plane) if self.design == "tilted" else 1.0


#: the two wells, +1 and -1, broadcasting against per-grain arrays
_BOTH_WELLS = np.array([[1.0], [-1.0]])


def _flip_probability(rate_out: np.ndarray, total: np.ndarray, dt: float) -> np.ndarray:
    """Probability of being found in the other well after ``dt`` of constant rates (out of the
    present well ``rate_out``, both ways ``total``): ``a / (a + r) (1 - exp(-(a + r) dt))``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, rate_out * (-np.expm1(-total * dt) / np.where(total > 0, total, 1.0)), 0.0)


#: preset name -> parameter overrides (``make_device("tilted_synapse_11", ...)`` etc.)
DESIGN_DEFAULTS: dict[str, dict[str, Any]] = {
    # polarity: W (xi_DL < 0) with the symmetry breaking along -x: a positive pulse raises m_z
    # tilted toward -y (sigma side): with xi_DL < 0 a positive pulse writes the +z side
    "synapse_tilted": dict(design="tilted", tilt_deg=-15.0, tilt_plane="yz"),
    "synapse_orange_peel": dict(design="orange_peel", op_angle_deg=180.0),
    "synapse_idmi": dict(design="idmi", d_angle_deg=90.0, ref_state=1.0),
}


class SynapseHallBar:
    """Grain-ensemble Hall cross of one field-free synapse design (``DeviceModel``).

    Ports: ``channel`` (V = I R_channel), ``hall`` (V = I (R_AHE <m_z> + R_offset)), ``xx``.
    """

    ports = ("channel", "hall", "xx")

    def __init__(self, params: SynapseParams | None = None):
        self.p = p = params or SynapseParams()
        rng = np.random.default_rng(p.seed)
        area = rng.lognormal(0.0, p.size_spread, p.n_grains)
        area /= area.mean()
        self.weights = area / area.sum()
        self.delta_300 = p.delta_mean * area * rng.lognormal(0.0, p.delta_spread, p.n_grains)
        self.b_k = p.b_k_eff * np.clip(1.0 + p.b_k_spread * rng.standard_normal(p.n_grains), 0.2, None)
        if p.threshold_profile == "uniform":
            u = rng.uniform(-1.0, 1.0, p.n_grains)
        else:
            u = 0.5 * rng.standard_normal(p.n_grains)
        centre = 1.0 + p.d2d_sigma * rng.standard_normal()
        jc_lee = sot_critical_current_density(p.ms, p.thickness, p.xi_dl, self.b_k, 0.0) * p.threshold_ratio()
        self.jc0 = jc_lee * np.clip(centre + p.jc_window * u, 0.05, None)
        #: the threshold window the configured CTC source is expressed in [A/m^2]
        self.jc_span = 2.0 * p.jc_window * float(np.mean(jc_lee)) * centre
        self.b_int = p.internal_field()
        self.axis = p.easy_axis()
        self.cos_tilt_axis = float(self.axis[2])
        self.s = np.full(p.n_grains, 1.0 if p.m0 >= 0 else -1.0)
        self._i_last = 0.0
        self._eps = 0.0
        self._memo: dict = {}
        self._quiet: dict = {}
        self._still: dict = {}          # the tilt's preferred well at J = 0, per field and T
        self._mz_weights: dict = {}     # area weight x m_z of a grain, per in-plane field
        self._last: tuple | None = None
        #: |J| below which a threshold shift of 5 sigma moves no barrier noticeably (reads)
        self._j_quiet = 0.3 * float(np.min(self.jc0))

    # -- laws implied by the parameters
    def current_density(self, current: float) -> float:
        return current / (self.p.width * self.p.hm_thickness)

    def _escape(self, j: float, eps: float, b: np.ndarray, t_k: float) -> np.ndarray:
        """Mean times to leave +1 (row 0) and -1 (row 1) per grain, shape (2, n_grains), under
        J, the event's threshold shift ``eps`` (fraction of the window) and the total field
        ``b`` (applied + internal)."""
        p = self.p
        jc0 = np.clip(self.jc0 + eps * self.jc_span, 1e-3 * self.jc_span + 1.0, None)
        kw = dict(b=b, temperature=t_k, delta_300=self.delta_300, b_k_eff=self.b_k, jc0=jc0,
                  tau0=p.tau0, n_sot=p.n_sot, xi_dl=p.xi_dl)
        tau = pma_escape_times(_BOTH_WELLS, j=j, **kw)
        pref = tilt_polarity(j, p.xi_dl, self.axis) if p.design == "tilted" else 0.0
        if pref:        # the tilt's preferred well: its barrier is not lowered by the current
            row = 0 if pref > 0 else 1
            key = (row, b.tobytes(), t_k)       # at J = 0 the threshold shift changes nothing
            still = self._still.get(key)
            if still is None:
                if len(self._still) > 64:
                    self._still.clear()
                still = self._still[key] = pma_escape_times(_BOTH_WELLS[row], j=0.0, **kw)
            tau[row] = still
        return tau

    def level_probabilities(self, current: float, width: float, temperature: float = 300.0,
                            field=(0.0, 0.0, 0.0), eps: float = 0.0) -> np.ndarray:
        """Per-grain probability to leave -1 in one pulse (no return), for tests and analysis."""
        b = np.asarray(field, dtype=float) + self.b_int
        tau_dn = self._escape(self.current_density(current), eps, b, temperature)[1]
        return -np.expm1(-width / tau_dn)

    # -- DeviceModel
    def _rates(self, j: float, eps: float, drive) -> tuple:
        """``(key, rates, total, share)``: escape rates 1/tau out of +1 and -1 per grain (2, n),
        their sum a + r and each well's share a / (a + r) (the flip probability after dt is
        ``share (1 - exp(-(a + r) dt))``); memoized (reads repeat, writes carry a new ``eps``)."""
        last = self._last
        if last is not None and last[0] is drive and last[1] == eps and last[2] == j:   # same drive
            return last[3]
        field = getattr(drive, "field", None)
        f = (0.0, 0.0, 0.0) if field is None else tuple(np.ravel(field)[:3].tolist())
        t_k = float(getattr(drive, "temperature", 300.0)) + self.p.r_thermal * float(getattr(drive, "laser_power", 0.0) or 0.0)
        key = (j, eps, f, t_k)
        hit = self._memo.get(key)
        if hit is None:
            rates = 1.0 / self._escape(j, eps, np.asarray(f) + self.b_int, t_k)
            if len(self._memo) > 256:
                self._memo.clear()
                self._quiet.clear()
            tot = rates[0] + rates[1]
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(tot > 0, rates / np.where(tot > 0, tot, 1.0), 0.0)   # a / (a + r)
            hit = self._memo[key] = (key, rates, tot, share)
        self._last = (drive, eps, j, hit)   # holding the drive keeps its identity unique
        return hit

    def _no_flip_bound(self, key, dt: float, rates: np.ndarray, tot: np.ndarray) -> float:
        """``prod_i (1 - max_s p_s,i)``: a lower bound, whatever the grains' states, of the
        probability that no grain flips in ``dt`` (memoized for the repeating quiet drives)."""
        q = self._quiet.get((key, dt))
        if q is None:
            with np.errstate(divide="ignore"):
                q = self._quiet[(key, dt)] = float(np.exp(np.sum(np.log1p(-np.minimum(
                    _flip_probability(np.maximum(rates[0], rates[1]), tot, dt), 1.0)))))
        return q

    def evolve(self, dt: float, drive, rng: np.random.Generator) -> None:
        """Each grain flips with the two-state master-equation probability
        ``p = a / (a + r) (1 - exp(-(a + r) dt))`` (a: its escape rate out of its state, r: back).

        Far below every threshold (reads) flips are rare and one uniform ``u`` decides first:
        no grain flips when ``u < P0 = prod_i (1 - p_i)`` (tested first against a memoized
        lower bound of P0); otherwise ``(u - P0) / (1 - P0)`` picks the first flipping grain by
        inverting ``P(first <= i | some flip) = (1 - prod_(k<=i) (1 - p_k)) / (1 - P0)`` and
        the grains after it draw their own uniforms. Elsewhere every grain draws its uniform.
        Both are the same law (independent Bernoulli flips)."""
        if dt <= 0:
            return
        i = float(drive.current)
        if i != self._i_last:           # a new programming event: a new threshold shift
            self._i_last = i
            self._eps = float(rng.standard_normal()) * self.p.ctc_sigma if (i != 0 and self.p.ctc_sigma > 0) else 0.0
        j = self.current_density(i)
        quiet = abs(j) < self._j_quiet
        key, rates, tot, share = self._rates(j, 0.0 if quiet else self._eps, drive)
        if quiet:
            u = rng.random()
            if u < self._no_flip_bound(key, float(dt), rates, tot):
                return
        prob = np.where(self.s > 0, share[0], share[1]) * -np.expm1(-dt * tot)
        if quiet:
            with np.errstate(divide="ignore"):
                log_keep = np.cumsum(np.log1p(-np.minimum(prob, 1.0)))
            p0 = math.exp(log_keep[-1])
            if u < p0:
                return
            first = -np.expm1(log_keep) / (1.0 - p0)
            k = min(int(np.searchsorted(first, (u - p0) / (1.0 - p0), side="right")), prob.size - 1)
            flip = np.zeros(prob.size, dtype=bool)
            flip[k] = True
            flip[k + 1:] = rng.random(prob.size - k - 1) < prob[k + 1:]
        else:
            flip = rng.random(prob.size) < prob
        if flip.any():
            self.s = np.where(flip, -self.s, self.s)

    def mz(self, drive=None) -> float:
        """Area-weighted m_z: each grain tilted by the in-plane field (applied + internal) and,
        for the tilted design, by its axis."""
        b = self.b_int + (np.asarray(drive.field, dtype=float).reshape(3) if drive is not None else 0.0)
        b_ip = math.hypot(float(b[0]), float(b[1]))
        w = self._mz_weights.get(b_ip)
        if w is None:
            if len(self._mz_weights) > 64:
                self._mz_weights.clear()
            cos_tilt = np.sqrt(np.clip(1.0 - (b_ip / self.b_k) ** 2, 0.0, None)) * self.cos_tilt_axis
            w = self._mz_weights[b_ip] = self.weights * cos_tilt
        return float(w @ self.s)

    def switched_fraction(self) -> float:
        """Area fraction of grains in the +1 state."""
        return float(np.sum(self.weights * (self.s > 0)))

    def voltage(self, port: str, drive) -> float:
        i = float(drive.current)
        p = self.p
        if port == "hall":
            return i * (p.r_ahe * self.mz(drive) + p.r_offset)
        if port == "xx":
            return i * p.r_xx
        if port == "channel":
            return i * p.r_channel
        raise KeyError(f"device has no port {port!r}; ports: {', '.join(self.ports)}")

    def resistance(self, port: str) -> float:
        p = self.p
        try:
            return {"hall": p.r_hall_port, "xx": p.r_xx, "channel": p.r_channel}[port]
        except KeyError:
            raise KeyError(f"device has no port {port!r}; ports: {', '.join(self.ports)}") from None

    def state(self) -> dict[str, Any]:
        return {"mz": self.mz(), "switched_fraction": self.switched_fraction(),
                "n_grains": int(self.p.n_grains), "design": self.p.design}


def make_synapse(preset: str, params: dict) -> SynapseHallBar:
    """Build preset ``preset`` (a key of :data:`DESIGN_DEFAULTS`) with ``params`` overriding."""
    known = {f.name for f in fields(SynapseParams)}
    bad = set(params) - known
    if bad:
        raise ValueError(f"unknown parameter(s) {sorted(bad)} for {preset}; known: {sorted(known)}")
    base = replace(SynapseParams(), **DESIGN_DEFAULTS[preset])
    return SynapseHallBar(replace(base, **params))
