"""Laser-heated magnetic tunnel junction: tunnel magneto-Seebeck (TMS) voltages under bias.

Pure functions (SI units) plus the device model :class:`ThermoMTJ` (preset ``thermo_mtj``) of the
hybrid opto-electrical experiment of Oberbauer et al., Commun. Phys. 8 (2025),
doi:10.1038/s42005-025-02257-0 ("MTJs driven by hybrid optical-electrical signals as a flexible
neuromorphic computing platform"): laser pulses heat the junction while a DC bias flows; the
laser-induced voltage differs between P and AP, has linear and cubic parts in the bias current,
and shows spikes.

Model (each law is a function below; the device only composes them):

* **Lumped heating, two time constants** (:func:`heating_step`, :func:`heating_response`).  The
  temperature difference across the barrier is ``dT = theta_f + theta_s`` with
  ``tau_k d theta_k/dt = R_k P_abs - theta_k`` for a fast (junction stack, k = f) and a slow
  (substrate, k = s) component, ``P_abs = absorptance * P_laser``.  Over an interval of constant
  power the update is exact: ``theta(t+dt) = R P + (theta - R P) exp(-dt/tau)``.  The junction's
  mean temperature is ``T_j = T_bath + rise_per_gradient * dT``.  (Two-pole lumped model of a
  pillar on a substrate; microsecond thermovoltage transients: Boehnke et al., Rev. Sci.
  Instrum. 84, 063905 (2013).)
* **Thermovoltage under bias** (:func:`laser_voltage`):
  ``V_laser = dT (-S + b1 I + b3 I^3)`` per magnetic state: the Seebeck term and the
  bias-enhanced terms (bias-enhanced TMS, Boehnke et al., Nat. Commun. 8, 1626 (2017); the
  cubic law measured by Oberbauer et al. 2025).  ``b1`` collects the heating-induced change of
  the junction resistance (dR/dT), ``b3`` the nonlinear (Brinkman/Simmons-like) part.
* **Intermediate angles** (:func:`seebeck_angle`): P- and AP-like channels conduct in parallel,
  ``G(theta) = G_P (1 + cos)/2 + G_AP (1 - cos)/2`` (Slonczewski, PRB 39, 6995 (1989)), so the
  Seebeck coefficient is the conductance-weighted mean
  ``S(theta) = [G_P S_P (1 + cos) + G_AP S_AP (1 - cos)] / (2 G(theta))``; the bias coefficients
  are weighted the same way.
* **TMR(T)** (:func:`tmr_temperature`): spin-wave depolarisation ``P(T) = P0 (1 - a T^1.5)``
  (Shang et al., PRB 58, R2917 (1998)) in Julliere's ``TMR = 2 P^2 / (1 - P^2)``.
* **Spikes** (:func:`spike_rate`): thermally activated (Barkhausen / vortex) events with the
  Arrhenius rate ``r = f0 exp(-E_s (1 - |I|/I_s) / (k_B T_j))``: it rises with heating and bias.
  A spike adds ``A_state exp(-(t - t_i)/tau_spike)`` to the voltage.
* **Laser-induced switching** (:func:`switching_rate`): Neel-Brown over the free-layer barrier
  ``E_b(T) (1 - h)^2 / (k_B T_j)``, ``E_b(T) = E_b0 (1 - T/T_c)`` (Ms^2 falling linearly,
  assumed), ``h = field along the escape direction / B_k``; heating lowers it until the state
  flips.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .constants import KB
from .readout import junction_conductance

STATES = {"P": 1.0, "AP": -1.0}


# ---------------------------------------------------------------------------------- heating
def heating_step(theta, power_abs, r_th, tau, dt):
    """Exact first-order update over ``dt`` at constant absorbed power: ``R P + (theta - R P) e^{-dt/tau}``."""
    target = np.asarray(r_th) * np.asarray(power_abs)
    return target + (np.asarray(theta) - target) * np.exp(-np.asarray(dt) / np.asarray(tau))


def heating_response(t, power_abs, r_f, tau_f, r_s, tau_s, width=math.inf):
    """Barrier temperature difference (K) for a rectangular pulse of ``power_abs`` starting at t = 0.

    ``dT(t) = sum_k R_k P [1 - exp(-t/tau_k)]`` during the pulse, and after it (t > width)
    ``sum_k R_k P [1 - exp(-width/tau_k)] exp(-(t - width)/tau_k)``.
    """
    t = np.asarray(t, dtype=float)
    out = np.zeros_like(t)
    for r, tau in ((r_f, tau_f), (r_s, tau_s)):
        on = r * power_abs * -np.expm1(-np.clip(t, 0, width) / tau)
        out += np.where(t > width, on * np.exp(-(t - width) / tau), on)
    return np.where(t < 0, 0.0, out)


def filter_record(theta0, powers, r_th, tau, dt):
    """``theta`` after each of ``len(powers)`` intervals of ``dt`` (exact recurrence, vectorised).

    ``theta_{k+1} = a theta_k + (1 - a) R P_k`` with ``a = exp(-dt/tau)``; returns the values at
    the *start* of each interval and the final value.
    """
    from scipy.signal import lfilter
    a = math.exp(-dt / tau)
    x = (1.0 - a) * r_th * np.asarray(powers, dtype=float)
    y, _ = lfilter([1.0], [1.0, -a], x, zi=[a * theta0])
    starts = np.concatenate(([theta0], y[:-1]))
    return starts, float(y[-1])


# ---------------------------------------------------------------------------------- readout
def tmr_temperature(temperature, p0, a_sw):
    """Julliere TMR with spin-wave depolarisation ``P = P0 (1 - a T^1.5)``: ``2 P^2 / (1 - P^2)``."""
    p = np.asarray(p0) * (1.0 - np.asarray(a_sw) * np.asarray(temperature, dtype=float) ** 1.5)
    return 2 * p * p / (1 - p * p)


def seebeck_angle(cos_theta, s_p, s_ap, tmr):
    """Conductance-weighted Seebeck coefficient at relative angle theta (V/K)."""
    c = np.asarray(cos_theta, dtype=float)
    g_p, g_ap = 1.0, 1.0 / (1.0 + np.asarray(tmr))
    return (g_p * s_p * (1 + c) + g_ap * s_ap * (1 - c)) / (2.0 * junction_conductance(c, g_p, tmr))


def laser_voltage(delta_t, current, seebeck, b1, b3):
    """Laser-induced voltage ``dT (-S + b1 I + b3 I^3)`` (V)."""
    i = np.asarray(current, dtype=float)
    return np.asarray(delta_t) * (-np.asarray(seebeck) + np.asarray(b1) * i + np.asarray(b3) * i ** 3)


def tms_ratio(s_p, s_ap):
    """TMS ratio ``(S_P - S_AP) / min(|S_P|, |S_AP|)`` (Walter et al., Nat. Mater. 10, 742 (2011))."""
    return (s_p - s_ap) / min(abs(s_p), abs(s_ap))


# ---------------------------------------------------------------------------------- stochastic
def spike_rate(temperature, current, f0, e_spike, i_spike):
    """Arrhenius spike rate (1/s): ``f0 exp(-E_s max(0, 1 - |I|/I_s) / (k_B T))``."""
    barrier = e_spike * np.clip(1.0 - np.abs(np.asarray(current, dtype=float)) / i_spike, 0.0, None)
    return f0 * np.exp(-barrier / (KB * np.asarray(temperature, dtype=float)))


def switching_rate(temperature, h, f0, e_b0, t_curie):
    """Neel-Brown rate (1/s) of leaving the present state: ``f0 exp(-E_b(T)(1-h)^2 / k_B T)``,
    ``E_b(T) = E_b0 max(0, 1 - T/T_c)``; ``h >= 1`` switches at once (infinite rate)."""
    t = np.asarray(temperature, dtype=float)
    eb = e_b0 * np.clip(1.0 - t / t_curie, 0.0, None)
    hh = np.asarray(h, dtype=float)
    return np.where(hh >= 1.0, np.inf, f0 * np.exp(-eb * np.clip(1.0 - hh, 0.0, None) ** 2 / (KB * t)))


# ---------------------------------------------------------------------------------- preset
@dataclass(frozen=True)
class ThermoMtjParams:
    """CoFeB/MgO/CoFeB in-plane MTJ pillar under a laser spot (preset ``thermo_mtj``).

    Magnitudes follow Oberbauer et al. 2025 (thermovoltages of tens of mV under bias, strong P/AP
    contrast, cubic bias law); Seebeck coefficients of tens of uV/K as measured in laser-heated
    CoFeB/MgO junctions (Walter et al., Nat. Mater. 10, 742 (2011); Liebing et al., PRL 107,
    177201 (2011): ~100 uV/K spin-dependent part); thermal time constants in the us regime of
    laser-modulated TMS (Boehnke et al., RSI 84, 063905 (2013)).  Values marked "assumed" are
    ours, chosen inside the ranges those papers report.
    """

    r_p: float = 300.0            #: P resistance at low bias [ohm] (RA 10 ohm um^2, ~200 nm pillar; assumed)
    tmr_p0: float = 0.608         #: zero-T spin polarisation P0 (TMR 100 % at 300 K with a_sw; Shang 1998 form)
    tmr_a_sw: float = 9.6e-6      #: spin-wave depolarisation coefficient a [K^-1.5] (Shang et al. 1998 order)
    v_half: float = 0.5           #: bias halving the TMR [V] (typical MgO, Ikeda 2010)
    v_breakdown: float = 1.2      #: MgO breakdown [V]; beyond it the junction is a short
    r_short: float = 50.0         #: broken-down junction [ohm]
    seebeck_p: float = -50e-6     #: S_P [V/K] (Walter 2011 / Liebing 2011 magnitudes)
    seebeck_ap: float = -80e-6    #: S_AP [V/K] (TMS ratio 60 %; Walter 2011 order)
    b1_p: float = 0.30            #: linear bias coefficient in P [V/(A K)] = [ohm/K] (dR_P/dT; assumed)
    b1_ap: float = 0.80           #: linear bias coefficient in AP [ohm/K] (assumed)
    b3_p: float = 1.0e6           #: cubic bias coefficient in P [V/(A^3 K)] (tens of mV at 1 mA; Oberbauer 2025)
    b3_ap: float = 2.5e6          #: cubic bias coefficient in AP [V/(A^3 K)] (Oberbauer 2025 magnitudes)
    absorptance: float = 0.6      #: fraction of the incident laser power absorbed (ITO top contact; assumed)
    r_fast: float = 600.0         #: fast (junction) thermal resistance to dT [K/W] (assumed)
    tau_fast: float = 2e-6        #: fast time constant [s] (Boehnke 2013: us regime)
    r_slow: float = 400.0         #: slow (substrate) thermal resistance to dT [K/W] (assumed)
    tau_slow: float = 40e-6       #: slow time constant [s] (assumed, substrate)
    rise_per_gradient: float = 4.0  #: junction mean temperature rise per K across the barrier (assumed)
    spike_f0: float = 1e9         #: spike attempt frequency [1/s] (Neel-Brown order)
    spike_energy: float = 0.40 * 1.602176634e-19  #: spike activation energy E_s [J] (0.40 eV; assumed)
    spike_current: float = 4e-3   #: bias at which the spike barrier vanishes, I_s [A] (assumed)
    spike_amp_p: float = 2e-3     #: spike amplitude in P [V] (Oberbauer 2025: mV spikes)
    spike_amp_ap: float = 4e-3    #: spike amplitude in AP [V] (assumed larger, as the TMS voltage)
    spike_tau: float = 1e-6       #: spike decay time [s] (assumed, the fast thermal scale)
    switch_f0: float = 1e9        #: attempt frequency of the free layer [1/s]
    switch_energy: float = 50 * KB * 300.0  #: free-layer barrier E_b0 at T -> 0 scaled [J] (Delta ~ 50 at 300 K)
    t_curie: float = 1000.0       #: temperature where the barrier vanishes [K] (CoFeB ~ 1000 K)
    b_k: float = 0.02             #: free-layer switching field at 0 K along x [T] (in-plane, assumed)
    m0: float = 1.0               #: initial state: +1 P, -1 AP


class ThermoMTJ:
    """Two-terminal laser-heated MTJ (port ``junction``, driven by the current on it).

    ``voltage = I R(theta, T_bath, V) + V_laser + spikes``; the free layer is along +-x, the
    reference along +x: ``cos theta = m``.  The state is the free-layer direction ``m`` (+1 P,
    -1 AP), the two thermal components, the spike tail and the device's own time.
    """

    ports = ("junction",)
    drive_port = "junction"

    def __init__(self, params: ThermoMtjParams | None = None):
        self.p = params or ThermoMtjParams()
        self.m = 1.0 if self.p.m0 >= 0 else -1.0
        self.theta_f = 0.0
        self.theta_s = 0.0
        self.spike_v = 0.0          #: present spike tail (V)
        self.spikes = 0             #: spikes so far
        self.switches = 0
        self.broken = False
        self.t = 0.0

    # -------------------------------------------------------------- laws of this device
    @property
    def delta_t(self) -> float:
        return self.theta_f + self.theta_s

    def delta_t_per_watt(self) -> float:
        """Steady-state barrier dT per watt of *incident* laser power [K/W]."""
        p = self.p
        return p.absorptance * (p.r_fast + p.r_slow)

    def junction_temperature(self, t_bath: float, delta_t: float | np.ndarray | None = None):
        dt = self.delta_t if delta_t is None else delta_t
        return t_bath + self.p.rise_per_gradient * np.asarray(dt)

    def tmr(self, temperature: float) -> float:
        return float(tmr_temperature(temperature, self.p.tmr_p0, self.p.tmr_a_sw))

    def coefficients(self, cos_theta: float | None = None, temperature: float = 300.0) -> dict[str, float]:
        """S, b1, b3 at ``cos_theta`` (default: the present state), conductance-weighted."""
        c = self.m if cos_theta is None else cos_theta
        p = self.p
        tmr = self.tmr(temperature)
        return {"seebeck": float(seebeck_angle(c, p.seebeck_p, p.seebeck_ap, tmr)),
                "b1": float(seebeck_angle(c, p.b1_p, p.b1_ap, tmr)),
                "b3": float(seebeck_angle(c, p.b3_p, p.b3_ap, tmr))}

    def resistance_at(self, current: float, temperature: float) -> float:
        """Junction resistance at bias (TMR(T) and TMR(V), self-consistent ``V = I R``)."""
        if self.broken:
            return self.p.r_short
        p = self.p
        tmr0 = self.tmr(temperature)
        g_p = 1.0 / p.r_p
        r = 1.0 / float(junction_conductance(self.m, g_p, tmr0))
        for _ in range(30):
            v = current * r
            r_new = 1.0 / float(junction_conductance(self.m, g_p, tmr0 / (1 + (v / p.v_half) ** 2)))
            if abs(r_new - r) < 1e-9 * r:
                return r_new
            r = 0.5 * (r + r_new)
        return r

    def _coef_now(self, drive) -> tuple[float, float, float]:
        c = self._coef_cache
        key = (self.m, drive.temperature)
        if c is None or c[0] != key:
            k = self.coefficients(self.m, drive.temperature)
            c = self._coef_cache = (key, (k["seebeck"], k["b1"], k["b3"]))
        return c[1]

    _coef_cache = None

    def _h(self, drive) -> float:
        """Reduced field along the escape direction (+x field pushes AP -> P)."""
        return -self.m * float(drive.field[0]) / self.p.b_k

    def _spike_amp(self) -> float:
        return self.p.spike_amp_p if self.m > 0 else self.p.spike_amp_ap

    # -------------------------------------------------------------- DeviceModel
    def evolve(self, dt: float, drive, rng: np.random.Generator) -> None:
        if dt <= 0:
            return
        p = self.p
        i = float(drive.current)
        if not self.broken and abs(i * self.resistance_at(i, drive.temperature)) > p.v_breakdown:
            self.broken = True
        p_abs = p.absorptance * float(drive.laser_power)
        # mean dT over the interval (exact for the exponential approach) for the stochastic rates
        mean_dt = 0.0
        for r, tau, th in ((p.r_fast, p.tau_fast, self.theta_f), (p.r_slow, p.tau_slow, self.theta_s)):
            target = r * p_abs
            mean_dt += target + (th - target) * (tau / dt) * -math.expm1(-dt / tau)
        self.theta_f = float(heating_step(self.theta_f, p_abs, p.r_fast, p.tau_fast, dt))
        self.theta_s = float(heating_step(self.theta_s, p_abs, p.r_slow, p.tau_slow, dt))
        t_j = float(self.junction_temperature(drive.temperature, mean_dt))
        self.spike_v *= math.exp(-dt / p.spike_tau)
        rate = float(spike_rate(t_j, i, p.spike_f0, p.spike_energy, p.spike_current))
        if rate > 0:
            n = rng.poisson(rate * dt)
            if n:
                self.spikes += int(n)
                # events uniform in the interval; their tails at its end
                ages = rng.random(n) * dt
                self.spike_v += self._spike_amp() * float(np.exp(-ages / p.spike_tau).sum())
        sw = float(switching_rate(t_j, self._h(drive), p.switch_f0, p.switch_energy, p.t_curie))
        if sw == math.inf or (sw > 0 and rng.random() < -math.expm1(-sw * dt)):
            self.m = -self.m
            self.switches += 1
        self.t += dt

    def voltage(self, port: str, drive) -> float:
        if port != "junction":
            raise KeyError(f"device has no port {port!r}; ports: junction")
        i = float(drive.current)
        v = i * self.resistance_at(i, drive.temperature)
        if self.broken:
            return v
        s, b1, b3 = self._coef_now(drive)
        return v + float(laser_voltage(self.delta_t, i, s, b1, b3)) + self.spike_v

    def resistance(self, port: str) -> float:
        if port != "junction":
            raise KeyError(f"device has no port {port!r}; ports: junction")
        return self.resistance_at(0.0, 300.0) if not self.broken else self.p.r_short

    def state(self) -> dict[str, Any]:
        return {"m": self.m, "state": "P" if self.m > 0 else "AP", "delta_t": self.delta_t,
                "spikes": self.spikes, "switches": self.switches, "broken": self.broken}

    # -------------------------------------------------------------- fast paths
    def voltage_record(self, port: str, drive, powers: np.ndarray, dt: float,
                       rng: np.random.Generator) -> np.ndarray:
        """Noise-free samples of the voltage at the start of ``len(powers)`` intervals of ``dt``,
        the laser power on the device in interval k being ``powers[k]`` (W), other drives
        constant; advances the device as ``evolve`` would, interval by interval (vectorised:
        the same exact heating recurrence, spikes drawn per interval, at most a few switches)."""
        if port != "junction":
            raise KeyError(f"device has no port {port!r}; ports: junction")
        p = self.p
        powers = np.asarray(powers, dtype=float)
        n = len(powers)
        out = np.empty(n)
        i = float(drive.current)
        start = 0
        while start < n:
            seg = powers[start:]
            p_abs = p.absorptance * seg
            th_f, end_f = filter_record(self.theta_f, p_abs, p.r_fast, p.tau_fast, dt)
            th_s, end_s = filter_record(self.theta_s, p_abs, p.r_slow, p.tau_slow, dt)
            d_t = th_f + th_s
            t_j = self.junction_temperature(drive.temperature, d_t)
            sw = switching_rate(t_j, self._h(drive), p.switch_f0, p.switch_energy, p.t_curie)
            hazard = np.cumsum(np.where(np.isinf(sw), 1e300, sw * dt))
            k_sw = int(np.searchsorted(hazard, rng.exponential())) if hazard[-1] > 0 else len(seg)
            m = min(k_sw + 1, len(seg))           # intervals in this state (the switch ends one)
            v_base = i * self.resistance_at(i, drive.temperature)
            if self.broken:
                out[start:start + m] = v_base
            else:
                s, b1, b3 = self._coef_now(drive)
                rate = spike_rate(t_j[:m], i, p.spike_f0, p.spike_energy, p.spike_current)
                counts = rng.poisson(rate * dt)
                a = math.exp(-dt / p.spike_tau)
                from scipy.signal import lfilter
                kicks = self._spike_amp() * counts.astype(float)
                tail, _ = lfilter([1.0], [1.0, -a], kicks, zi=[a * self.spike_v])
                tail_start = np.concatenate(([self.spike_v], tail[:-1]))
                out[start:start + m] = v_base + laser_voltage(d_t[:m], i, s, b1, b3) + tail_start
                self.spikes += int(counts.sum())
                self.spike_v = float(tail[-1])
            if m == len(seg):
                self.theta_f, self.theta_s = end_f, end_s
            else:
                self.theta_f = float(heating_step(th_f[m - 1], p_abs[m - 1], p.r_fast, p.tau_fast, dt))
                self.theta_s = float(heating_step(th_s[m - 1], p_abs[m - 1], p.r_slow, p.tau_slow, dt))
            if k_sw < len(seg):
                self.m = -self.m
                self.switches += 1
            self.t += m * dt
            start += m
        return out

    def periodic_voltage(self, port: str, drive, period: float, width: float, power_on: float,
                         phases: np.ndarray) -> np.ndarray:
        """Steady-state voltage (noise- and spike-free) at ``phases`` (rad) of a square laser
        modulation of ``period``, on for ``width`` from phase 0 at ``power_on`` W (what a lock-in
        referenced to the modulation demodulates).

        Each thermal component's periodic steady state of a square drive: at the start of the
        on phase ``theta_0 = R P (1 - e^{-w/tau}) e^{-(T-w)/tau} / (1 - e^{-T/tau})``, then the
        exact exponential approach during on and off.
        """
        p = self.p
        t = (np.asarray(phases, dtype=float) % (2 * math.pi)) / (2 * math.pi) * period
        p_abs = p.absorptance * power_on
        d_t = np.zeros_like(t)
        for r, tau in ((p.r_fast, p.tau_fast), (p.r_slow, p.tau_slow)):
            rp = r * p_abs
            th0 = rp * -math.expm1(-width / tau) * math.exp(-(period - width) / tau) / -math.expm1(-period / tau)
            th_w = rp + (th0 - rp) * math.exp(-width / tau)
            d_t += np.where(t < width, rp + (th0 - rp) * np.exp(-t / tau), th_w * np.exp(-(t - width) / tau))
        i = float(drive.current)
        s, b1, b3 = self._coef_now(drive)
        v_base = i * self.resistance_at(i, drive.temperature)
        return v_base + laser_voltage(d_t, i, s, b1, b3)
