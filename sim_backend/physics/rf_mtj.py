"""In-plane CoFeB/MgO/CoFeB MTJ for RF work (preset ``rf_mtj``): spin diode and spin-torque
oscillator from one set of parameters.

Physics (all from :mod:`.macrospin_rf`, one torque for everything):

* Spin diode. An RF current ``I1 cos(wt)`` (from each tone of ``drive.rf_tones``, peak current
  :func:`.rf.rf_current_amplitude` of the tone's available power into the junction) drives the
  free layer by the damping-like and field-like STT; the rectified voltage is the time average
  ``<I(t) R(m(t))> - I_dc R(m_eq)``. Two paths compute it:
  ``mode="linear"`` (default): the analytic susceptibility of the LLG linearized about the
  equilibrium, ``delta = (i w - J)^-1 b I1``, giving ``V = I1/2 Re(g . delta)`` (g = dR/d delta)
  plus the bias term ``I_dc <delta^T H_R delta>/2``; it is a sum of a symmetric and an
  antisymmetric Lorentzian at the Kittel frequency, width alpha gamma (B1 + B2)/4pi. An
  incoherent Lorentzian line on the RF port (``drive.rf_lines``: another oscillator's output)
  rectifies as the susceptibility at ``w - i 2 pi hwhm``: the tone response averaged over
  the line's spectrum.
  :meth:`RfMtj.rectified_voltage_llg`: the nonlinear LLG integrated in time (RK4, T = 0),
  tested against the linear path.
* Spin-torque oscillator. The reference layer points at ``p_angle_deg`` (default 150 deg) from
  the free layer's easy axis, so a positive current lowers the effective damping. The
  auto-oscillator parameters come from conservative orbits of the same free layer
  (:func:`.macrospin_rf.orbit_table`): ``Gamma_G``, ``Q``, the STT gain ``sigma``, ``N``, the
  resistance oscillation. The stationary power and linewidth come from the stationary
  distribution of the stochastic auto-oscillator (Kim, Tiberkevich & Slavin, PRL 100, 017207
  (2008)): ``P(p) ~ exp(-(1/eta) int_0^p (1 - Gamma_-/Gamma_+) dp')`` with ``eta = gamma k_B T
  / (2 Ms V omega0)`` the thermal power; far above threshold the mean is ``p0 = (zeta - 1)/(zeta
  + Q)`` (gain slope S = 1; the orbit value of S is used). Emission into 50 ohm through the TMR:
  ``P = (I dR_1)^2/2 Z0/(R + Z0)^2`` with R the orbit-mean resistance (the junction's source
  impedance, what V/I reads above threshold). Injection locking (Adler) to a tone near the generation
  frequency, half range ``F sqrt(1 + nu^2)/sqrt(p0)``, F from the linear response at I = 0.

Parameters (:class:`RfMtjParams`, SI): elliptical 150 x 70 nm pillar, free layer CoFeB 1.8 nm,
Ms = 1.0e6 A/m, alpha = 0.01, eta = 0.5, TMR 100 %, RA 2 ohm um^2 (Tulapurkar et al., Nature
438, 339 (2005); Sankey et al., Nat. Phys. 4, 67 (2008); Kubota et al., Nat. Phys. 4, 37
(2008): beta ~ 0.2); demagnetizing factors of the ellipse (Osborn, Phys. Rev. 67, 351
(1945), thin-ellipsoid values); interfacial PMA B_perp = 0.70 T (Ikeda et al., Nat. Mater.
9, 721 (2010)), giving mu0 M_eff ~ 0.45 T. Kittel f0 ~ 4-11 GHz for B = 20-200 mT.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import rf
from .constants import GAMMA_E, KB, MU0, TWO_PI
from .macrospin_rf import Macrospin, equilibrium, linearize, orbit_table, rk4_llg
from .readout import junction_resistance


@dataclass(frozen=True)
class RfMtjParams:
    """In-plane MTJ for spin-diode / spin-torque-oscillator work (see module doc for sources)."""

    length: float = 150e-9              #: ellipse long axis (easy axis, x) [m]
    width: float = 70e-9                #: ellipse short axis [m]
    thickness: float = 1.8e-9           #: free layer [m]
    ms: float = 1.0e6                   #: saturation magnetization [A/m]
    alpha: float = 0.01                 #: Gilbert damping
    b_kc: float = 0.005                 #: crystalline in-plane uniaxial field along x [T]
    demag_factors: tuple = (0.015, 0.035, 0.95)   #: (Nx, Ny, Nz) of the ellipse
    b_perp: float = 0.70                #: interfacial perpendicular anisotropy field [T]
    eta: float = 0.5                    #: STT efficiency (spin polarization)
    beta: float = 0.2                   #: field-like / damping-like STT ratio
    p_angle_deg: float = 150.0          #: reference-layer direction in the plane, from +x [deg]
    tmr0: float = 1.0                   #: TMR (R_AP - R_P)/R_P
    ra: float = 2e-12                   #: resistance-area product in P [ohm m^2]
    v_breakdown: float = 0.8            #: MgO breakdown [V]
    gamma: float = GAMMA_E              #: gyromagnetic ratio [rad/(s T)]
    mode: str = "linear"                #: spin-diode path: "linear" (susceptibility) or "llg"
    b_bias: float = 0.0                 #: local field along +x (own bias magnet; places the resonance) [T]
    polarity: float = 1.0               #: +1, or -1: wired the other way round (rectified voltage reversed)

    @property
    def area(self) -> float:
        return math.pi / 4 * self.length * self.width

    @property
    def volume(self) -> float:
        return self.area * self.thickness

    @property
    def r_p(self) -> float:
        return self.ra / self.area

    @property
    def b_k(self) -> float:
        """Total in-plane uniaxial field B_K = B_Kc + mu0 Ms (Ny - Nx) [T]."""
        n = self.demag_factors
        return self.b_kc + MU0 * self.ms * (n[1] - n[0])

    @property
    def mu0_m_eff(self) -> float:
        """Effective demagnetizing field mu0 Ms (Nz - Ny) - B_perp [T]."""
        n = self.demag_factors
        return MU0 * self.ms * (n[2] - n[1]) - self.b_perp

    @property
    def p_ref(self) -> tuple:
        a = math.radians(self.p_angle_deg)
        return (math.cos(a), math.sin(a), 0.0)


#: HWHM of an injection-locked line [Hz]: the phase follows the (ideal) source; what remains is
#: the analyzer's resolution (simplification: no noise pedestal)
LOCKED_LINEWIDTH = 1e3

#: orbit tables by (parameters, field, equilibrium): pure functions of them, shared across worlds
_ORBITS: dict = {}


@dataclass
class OscillatorLaw:
    """Auto-oscillator parameters at one field (Slavin & Tiberkevich 2009 notation)."""

    omega0: float          #: linear frequency at I = 0 [rad/s]
    gamma_g: float         #: Gamma_G [1/s]
    q: float               #: nonlinear damping coefficient Q
    sigma: float           #: STT gain Gamma_-(0)/I [1/(s A)]
    s: float               #: gain slope (Gamma_- = sigma I (1 - s p))
    n: float               #: nonlinear frequency shift N [rad/s]
    eta: float             #: thermal power k_B T / E_1 at the model temperature
    force_per_amp: float   #: external force on the amplitude per RF current [1/(s A)]
    table: Any

    @property
    def threshold(self) -> float:
        """I_th = Gamma_G / sigma [A]."""
        return self.gamma_g / self.sigma

    def p0(self, current: float) -> float:
        """Deterministic stationary power (0 K): the root of ``Gamma_+(p) = I Gamma_-(p)/I`` on
        the orbit table (near threshold ``(zeta - 1)/(zeta s + Q)``, Slavin's law); 0 below."""
        t = self.table
        net = t.gamma_plus - current * t.gain_per_i
        if current <= self.threshold:
            return 0.0
        k = np.flatnonzero(net > 0)
        if len(k) == 0:
            return float(t.p[-1])
        k = int(k[0])
        if k == 0:
            return float(t.p[0] * max(current / self.threshold - 1, 0) / max(1e-12, (1 - net[0] / t.gamma_plus[0])))
        return float(np.interp(0.0, net[k - 1:k + 1], t.p[k - 1:k + 1]))

    def slavin_p0(self, current: float) -> float:
        """Slavin's near-threshold law ``p0 = (zeta - 1)/(zeta s + Q)`` (0 below threshold)."""
        z = current / self.threshold
        return float(max(z - 1.0, 0.0) / (z * self.s + self.q))


class RfMtj:
    """Device model of :class:`RfMtjParams` (ports ``junction`` (DC, bias tee) and ``rf`` (its RF
    side)); reads ``drive.current``, ``drive.field``, ``drive.temperature`` and the RF tones."""

    ports = ("junction", "rf")
    drive_port = "junction"

    def __init__(self, params: RfMtjParams | None = None):
        self.p = params or RfMtjParams()
        n = self.p.demag_factors
        self.spin = Macrospin(ms=self.p.ms, volume=self.p.volume, alpha=self.p.alpha, b_kc=self.p.b_kc,
                              n_eff=(n[0], n[1], n[2] - self.p.b_perp / (MU0 * self.p.ms)),
                              eta=self.p.eta, beta=self.p.beta, p_ref=self.p.p_ref, gamma=self.p.gamma)
        self.m = np.array([1.0, 0.0, 0.0])
        self.broken = False
        self._eq_cache: dict = {}
        self._osc_cache: dict = {}
        self._v_cache: dict = {}
        self._osc_state_cache: dict = {}
        self._readout_cache: dict = {}
        self._last_drive: tuple | None = None
        self._r_max = self.p.r_p * (1 + self.p.tmr0)      #: AP resistance (breakdown check)

    # ------------------------------------------------------------------ readout
    def resistance_of(self, m) -> np.ndarray:
        """Junction resistance for m (3, ...) [ohm] (conductance form, zero-bias TMR)."""
        m = np.asarray(m, dtype=float)
        cos = np.tensordot(np.asarray(self.p.p_ref), m, axes=(0, 0))
        return junction_resistance(cos, self.p.r_p, self.p.tmr0)

    # ------------------------------------------------------------------ equilibrium + linear
    def state_at(self, field, current: float):
        """(m_eq, Linearization) for a field (3,) [T] and DC current [A], cached."""
        b = np.asarray(field, dtype=float).reshape(3)
        key = (b.tobytes(), round(float(current), 12), self.m.round(6).tobytes())
        hit = self._eq_cache.get(key)
        if hit is None:
            m_eq = equilibrium(self.spin, b, float(current), self.m)
            hit = (m_eq, linearize(self.spin, b, float(current), m_eq))
            if len(self._eq_cache) > 4096:
                self._eq_cache.clear()
            self._eq_cache[key] = hit
        return hit

    def kittel_frequency(self, b) -> np.ndarray:
        """f0 [Hz] of the analytic Kittel law for a field along +x (the parameters' truth)."""
        return rf.kittel_in_plane(b, self.p.b_k, self.p.mu0_m_eff, self.p.gamma)

    def linewidth(self, b) -> np.ndarray:
        """FMR HWHM [Hz] of the analytic law for a field along +x."""
        return rf.fmr_linewidth(b, self.p.b_k, self.p.mu0_m_eff, self.p.alpha, self.p.gamma)

    def _tones(self, drive) -> list[tuple[float, float, float]]:
        tones = getattr(drive, "rf_tones", None)
        if tones is not None:
            return [tuple(t) for t in tones if np.isfinite(t[1])]
        f = float(getattr(drive, "rf_frequency", 0.0) or 0.0)
        pw = float(getattr(drive, "rf_power_dbm", -math.inf))
        return [(f, pw, 0.0)] if f > 0 and np.isfinite(pw) else []

    def rectified_voltage(self, frequencies, power_dbm, field, current: float = 0.0,
                          hwhm: float = 0.0) -> np.ndarray:
        """Spin-diode DC voltage [V] (linear path) for tones at ``frequencies`` [Hz] of available
        power ``power_dbm`` [dBm], field (3,) [T], DC bias current [A]; with ``hwhm`` > 0, for
        incoherent Lorentzian lines of that half width [Hz] and total power ``power_dbm``: the
        response, linear in the power, averaged over the line's spectrum, which is the
        susceptibility at ``omega - i 2 pi hwhm`` (the bias term ``I_dc <delta H delta>``, second
        order in the response, is taken at the line's centre)."""
        lin, r0, g, hr = self._readout(field, current)
        i1 = rf.rf_current_amplitude(power_dbm, r0)
        omega = TWO_PI * np.asarray(frequencies, dtype=float)
        resp = lin.response(omega - 1j * TWO_PI * hwhm if hwhm > 0 else omega)    # (2, K) per amp
        v = 0.5 * i1 * i1 * np.real(g @ resp)
        if current:
            centre = lin.response(omega) if hwhm > 0 else resp
            quad = np.real(np.einsum("ik,ij,jk->k", centre.conj(), hr, centre))
            v = v + current * 0.25 * i1 * i1 * quad
        return np.asarray(v)

    def _readout(self, field, current: float):
        """(Linearization, R(m_eq), dR/d delta (2,), d2R/d delta2 (2, 2) or None at zero current)
        about the equilibrium at ``field``, ``current``: the resistance's expansion in the
        tangent plane, by central differences; cached with the equilibrium."""
        b = np.asarray(field, dtype=float).reshape(3)
        key = (b.tobytes(), round(float(current), 12), self.m.round(6).tobytes())
        hit = self._readout_cache.get(key)
        if hit is None:
            from .macrospin_rf import _on_sphere, hessian_2d
            m_eq, lin = self.state_at(b, current)
            r0 = float(self.resistance_of(m_eq))
            h = 1e-6
            g = np.array([(float(self.resistance_of(_on_sphere(m_eq, lin.e1, lin.e2, (h * (k == 0), h * (k == 1)))))
                           - float(self.resistance_of(_on_sphere(m_eq, lin.e1, lin.e2, (-h * (k == 0), -h * (k == 1))))))
                          / (2 * h) for k in range(2)])
            hr = None
            if current:
                hr = hessian_2d(lambda d: float(self.resistance_of(_on_sphere(m_eq, lin.e1, lin.e2, d))), 1e-4)
            if len(self._readout_cache) > 4096:
                self._readout_cache.clear()
            hit = self._readout_cache[key] = (lin, r0, g, hr)
        return hit

    def rectified_voltage_llg(self, frequencies, power_dbm, field, current: float = 0.0, *,
                              duration: float = 15e-9, average: float = 5e-9, dt: float = 1e-12) -> np.ndarray:
        """Spin-diode DC voltage [V] from the nonlinear LLG in time (RK4, T = 0, batched over
        frequencies): ``<I(t) R(m(t))> - I_dc R(m_eq)`` over the last ``average`` seconds."""
        f = np.atleast_1d(np.asarray(frequencies, dtype=float))
        m_eq, _ = self.state_at(field, current)
        r0 = float(self.resistance_of(m_eq))
        i1 = float(rf.rf_current_amplitude(power_dbm, r0))
        w = TWO_PI * f

        def cur(t):
            return current + i1 * np.cos(w * t)

        def observe(t, m, i):       # <I R> - I_dc R0 = <I (R - R0)> (<I> = I_dc over whole periods)
            return i * (self.resistance_of(m) - r0)

        m0 = np.repeat(m_eq[:, None], len(f), axis=1)
        return rk4_llg(self.spin, m0, field, cur, duration, dt, duration - average, observe)

    # ------------------------------------------------------------------ oscillator
    def oscillator(self, field, temperature: float = 300.0) -> OscillatorLaw:
        """The auto-oscillator law at ``field`` (cached per field and temperature)."""
        b = np.asarray(field, dtype=float).reshape(3)
        key = (b.round(7).tobytes(), round(float(temperature), 3), self.m.round(3).tobytes())
        law = self._osc_cache.get(key)
        if law is not None:
            return law
        m_eq, lin = self.state_at(b, 0.0)
        omega0 = lin.omega0
        tkey = (self.p, b.round(7).tobytes(), m_eq.round(6).tobytes())
        table = _ORBITS.get(tkey)
        if table is None:                  # shared by every device with these parameters
            table = orbit_table(self.spin, b, m_eq, self.resistance_of, omega0)
            if len(_ORBITS) > 512:
                _ORBITS.clear()
            _ORBITS[tkey] = table
        gp0, gp1 = table.slope_at_zero(table.gamma_plus)
        gm0, gm1 = table.slope_at_zero(table.gain_per_i)
        w0, w1 = table.slope_at_zero(table.omega)
        eta = self.p.gamma * KB * max(temperature, 1e-9) / (2 * self.p.ms * self.p.volume * omega0)
        # force on the normalized amplitude per unit RF current: linear response at resonance
        resp = lin.response([omega0])[:, 0]
        de = 0.25 * float(np.real(resp.conj() @ lin.hess_e @ resp))
        p_resp = self.p.gamma * de / (2 * omega0)
        force = lin.decay_rate * math.sqrt(max(p_resp, 0.0))
        law = OscillatorLaw(omega0=omega0, gamma_g=gp0, q=gp1 / gp0, sigma=gm0, s=-gm1 / gm0, n=w1,
                            eta=eta, force_per_amp=force, table=table)
        if len(self._osc_cache) > 256:
            self._osc_cache.clear()
        self._osc_cache[key] = law
        return law

    def oscillation(self, field, current: float, temperature: float = 300.0) -> dict[str, float]:
        """Mean normalized power, frequency [Hz], HWHM [Hz], emitted power [W] into 50 ohm, the
        orbit-mean resistance and nu at a DC current (free running, thermal); cached."""
        key = (np.asarray(field, dtype=float).round(9).tobytes(), float(current), float(temperature),
               self.m.round(6).tobytes())
        hit = self._osc_state_cache.get(key)
        if hit is None:
            hit = self._oscillation(field, current, temperature)
            if len(self._osc_state_cache) > 4096:
                self._osc_state_cache.clear()
            self._osc_state_cache[key] = hit
        return dict(hit)

    def _oscillation(self, field, current: float, temperature: float) -> dict[str, float]:
        law = self.oscillator(field, temperature)
        zeta = current / law.threshold
        tab = law.table
        # stationary distribution of p (Kim, Tiberkevich & Slavin 2008) with the orbit rates
        grid = np.unique(np.concatenate([np.geomspace(1e-9, tab.p[-1], 1500), np.linspace(0.0, tab.p[-1], 1500)]))
        g_plus = np.interp(grid, tab.p, tab.gamma_plus)
        g_minus = current * np.interp(grid, tab.p, tab.gain_per_i)
        integrand = (1.0 - g_minus / g_plus) / law.eta
        expo = np.concatenate([[0.0], np.cumsum(0.5 * (integrand[1:] + integrand[:-1]) * np.diff(grid))])
        w = np.exp(-(expo - expo.min()))
        z = np.trapezoid(w, grid)
        pbar = float(np.trapezoid(grid * w, grid) / z)
        p2 = float(np.trapezoid(grid * grid * w, grid) / z)
        ratio = p2 / pbar**2                       # 2 for the thermal (exponential) state, -> 1 above
        weight = float(np.clip(2.0 - ratio, 0.0, 1.0))
        # amplitude relaxation and amplitude-phase coupling at pbar from the local slopes
        dgp = np.gradient(tab.gamma_plus, tab.p)
        dgm = current * np.gradient(tab.gain_per_i, tab.p)
        dw = np.gradient(tab.omega, tab.p)
        gp = float(np.interp(pbar, tab.p, dgp - dgm))
        n_loc = float(np.interp(pbar, tab.p, dw))
        nu = n_loc / gp if gp > 0 else 0.0
        g_at = float(np.interp(pbar, tab.p, tab.gamma_plus))
        hwhm = g_at * law.eta / pbar * ((1 - weight) + weight * (1 + nu * nu) / 2)
        # strongly nonlinear limit (linewidth >> amplitude relaxation): quasi-static spread of the
        # frequency over the power fluctuations, |N| sqrt(<dp^2>) (Kim, Tiberkevich & Slavin 2008)
        spread = abs(n_loc) * math.sqrt(max(p2 - pbar * pbar, 0.0))
        hwhm = min(hwhm, max(spread, g_at * law.eta / pbar * (1 - weight)))
        m_eq, lin = self.state_at(field, current)
        omega_lin = lin.omega0 if lin.decay_rate > 0 else self.state_at(field, 0.0)[1].omega0
        f = (omega_lin + float(np.interp(pbar, tab.p, tab.omega)) - tab.omega0) / TWO_PI
        r_first = float(np.interp(pbar, np.concatenate([[0.0], tab.p]), np.concatenate([[0.0], tab.r_first])))
        r_mean = float(np.interp(pbar, np.concatenate([[0.0], tab.p]),
                                 np.concatenate([[float(self.resistance_of(m_eq))], tab.r_mean])))
        # source impedance at the first harmonic: the orbit-mean resistance (the RF current
        # i = -I dR(t)/(R_mean + Z0) to first order; the equilibrium R differs by up to ~30 %
        # on the large orbits of the subcritical oscillator)
        power = float(rf.delivered_power(current * r_first, r_mean))
        return {"p": pbar, "frequency": f, "hwhm": hwhm / TWO_PI, "power": power, "zeta": zeta,
                "r_mean": r_mean, "nu": nu, "p0": law.p0(current)}

    def locking(self, field, current: float, tone, temperature: float = 300.0) -> dict[str, float]:
        """Injection locking to one tone (Hz, dBm, rad): the half range [Hz] and the resulting
        frequency (Adler)."""
        osc = self.oscillation(field, current, temperature)
        law = self.oscillator(field, temperature)
        m_eq, _ = self.state_at(field, current)
        i1 = float(rf.rf_current_amplitude(tone[1], float(self.resistance_of(m_eq))))
        half = float(rf.locking_range(law.force_per_amp * i1, max(osc["p"], 1e-12), osc["nu"])) / TWO_PI
        f = float(rf.adler_frequency(tone[0], osc["frequency"], half))
        return {"half_range": half, "frequency": f, "locked": abs(tone[0] - osc["frequency"]) <= half}

    # ------------------------------------------------------------------ DeviceModel
    def _local(self, drive) -> tuple[np.ndarray, float]:
        """(field [T], current [A]) the free layer feels: the bench's field plus ``b_bias`` along
        +x, the terminal current times ``polarity``."""
        field = np.asarray(drive.field, dtype=float)
        if self.p.b_bias:
            field = field + np.array([self.p.b_bias, 0.0, 0.0])
        return field, self.p.polarity * float(drive.current)

    def _above_threshold(self, field, cur: float, temperature: float) -> bool:
        if cur <= 0:
            return False
        # cheap linear gate (no orbit table): the STT's share of the damping at this current,
        # 1 - decay(I)/decay(0) = I/I_th; a soft mode (at the reversal field) has no orbits
        m_eq, lin = self.state_at(field, cur)
        lin0 = linearize(self.spin, np.asarray(field, dtype=float), 0.0, m_eq)
        if not lin0.omega0 > 0 or lin.decay_rate >= 0.75 * lin0.decay_rate:
            return False
        return cur > 0.5 * self.oscillator(field, temperature).threshold

    def evolve(self, dt: float, drive, rng: np.random.Generator) -> None:
        """The free layer follows its equilibrium (reversal below -B_K switches it); a bias over
        the breakdown voltage destroys the barrier."""
        if dt <= 0:
            return
        field, cur = self._local(drive)
        key = (field.tobytes(), cur)
        if key == self._last_drive:      # same drive as the last interval: the state is its equilibrium
            return
        self._last_drive = key
        if abs(cur) * self._r_max > self.p.v_breakdown:
            self.broken = True
        m = self.m
        if (cur == 0.0 and field[1] == 0.0 and field[2] == 0.0 and abs(m[0]) > 0.5
                and field[0] * m[0] > -self.p.b_k):
            # no current, field along the easy axis and below the reversal field: the equilibrium
            # is the easy-axis direction of the present branch, exactly
            if m[1] != 0.0 or m[2] != 0.0:
                self.m = np.array([math.copysign(1.0, m[0]), 0.0, 0.0])
            return
        m_eq, lin = self.state_at(field, cur)   # cached per (field, current, m)
        if np.linalg.eigvalsh(lin.hess_e)[0] < 0:
            # past the reversal field the branch is an energy saddle (Newton finds it all the
            # same): the free layer reverses to the stable state (easy axis: the opposite one)
            for start in (-m_eq, np.array([-np.sign(m_eq[0]) or 1.0, 0.0, 0.0])):
                self.m = start / np.linalg.norm(start)
                cand, lin_c = self.state_at(field, cur)
                if np.linalg.eigvalsh(lin_c.hess_e)[0] >= 0:
                    m_eq = cand
                    break
        if float(np.abs(m_eq - self.m).max()) > 1e-3:
            self.m = m_eq

    def voltage(self, port: str, drive) -> float:
        if port not in self.ports:
            raise KeyError(f"device has no port {port!r}; ports: {', '.join(self.ports)}")
        if port == "rf":
            return 0.0          # the RF side of the bias tee carries no DC
        field, cur = self._local(drive)
        if self.broken:
            return float(drive.current) * 200.0
        key = (field.tobytes(), cur, tuple(self._tones(drive)), getattr(drive, "rf_lines", ()),
               float(drive.temperature), self.m.tobytes())
        hit = self._v_cache.get(key)
        if hit is None:
            hit = self.p.polarity * self._junction_voltage(field, cur, drive)
            if len(self._v_cache) > 8192:
                self._v_cache.clear()
            self._v_cache[key] = hit
        return hit

    def _junction_voltage(self, field: np.ndarray, cur: float, drive) -> float:
        m_eq, lin = self.state_at(field, cur)
        v = cur * float(self.resistance_of(m_eq))
        tones = self._tones(drive)
        oscillating = cur > 0 and lin.decay_rate <= 0.0
        if oscillating or self._above_threshold(field, cur, drive.temperature):
            osc = self.oscillation(field, cur, drive.temperature)
            v = cur * osc["r_mean"]
            if osc["zeta"] > 1.0:
                for f, pw, _ in tones:   # locked oscillator: rectification at the locking phase
                    lk = self.locking(field, cur, (f, pw, 0.0), drive.temperature)
                    if lk["locked"] and lk["half_range"] > 0:
                        i1 = float(rf.rf_current_amplitude(pw, float(self.resistance_of(m_eq))))
                        law = self.oscillator(field, drive.temperature)
                        r1 = float(np.interp(osc["p"], law.table.p, law.table.r_first))
                        s = (f - osc["frequency"]) / lk["half_range"]
                        v += 0.5 * i1 * r1 * math.sqrt(max(1 - s * s, 0.0))
                return v
        for f, pw, _ in tones:
            if self.p.mode == "llg":
                v += float(self.rectified_voltage_llg([f], pw, field, cur)[0])
            else:
                v += float(self.rectified_voltage([f], pw, field, cur)[0])
        for f, pw, hw in getattr(drive, "rf_lines", ()):     # incoherent lines (linear path)
            v += float(self.rectified_voltage([f], pw, field, cur, hwhm=hw)[0])
        return v

    def emission_lines(self, port: str, drive) -> list[tuple[float, float, float]]:
        """The lines the junction emits at ``port`` into 50 ohm: ``(centre [Hz], power [W], HWHM
        [Hz])`` (its thermal or auto-oscillation line; a locked line sits at the tone); none
        without a positive bias or at the DC port."""
        field, cur = self._local(drive)
        if port != "rf" or cur <= 0 or self.broken:
            return []
        osc = self.oscillation(field, cur, drive.temperature)
        fc, hw = osc["frequency"], osc["hwhm"]
        for tone in self._tones(drive):
            if osc["zeta"] > 1.0:
                lk = self.locking(field, cur, tone, drive.temperature)
                if lk["locked"]:        # phase-locked: a coherent line at the tone (source-limited)
                    fc, hw = tone[0], LOCKED_LINEWIDTH
                else:
                    fc = lk["frequency"]
                break
        return [(fc, osc["power"], hw)]

    def emission_psd(self, port: str, f, drive) -> np.ndarray:
        """PSD [W/Hz] the junction delivers into 50 ohm at ``port``: its :meth:`emission_lines`
        as Lorentzians (the k_B T floor is the world's)."""
        f = np.asarray(f, dtype=float)
        psd = np.zeros_like(f)
        for fc, power, hw in self.emission_lines(port, drive):
            psd = psd + rf.lorentzian_psd(f, power, fc, hw)
        return psd

    def resistance(self, port: str) -> float:
        if port not in self.ports:
            raise KeyError(f"device has no port {port!r}; ports: {', '.join(self.ports)}")
        return 200.0 if self.broken else float(self.resistance_of(self.m))

    def state(self) -> dict[str, Any]:
        return {"m": self.m.round(6).tolist(), "broken": self.broken}
