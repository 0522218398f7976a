"""Device adapters: the physics presets behind the ``DeviceModel`` protocol of ``sim_backend.devices``.

Each adapter reads only ``drive.current`` [A], ``drive.field`` [T, (3,)], ``drive.temperature``
[K] and ``drive.laser_power`` [W] (lumped heating ``T = T_bath + r_thermal P``), and offers
``evolve(dt, drive, rng)``, ``voltage(port, drive)`` (noise-free mean), ``resistance(port)``
and ``state()``.

How ``evolve`` chooses its physics: an interval no longer than ``llg_max_pulse`` (default 5 ns)
with a drive strong enough to matter (|J| or |I| above 20 % of the 0 K critical value, or a
field above 20 % of B_K,eff) is integrated with the stochastic LLGS (1 ps steps, one
macrospin). Any other interval uses thermal activation, whose cost does not depend on dt: a
1 ms pulse costs the same as a 10 ns one. After a thermal step the moment sits at the
equilibrium of its well for the present field.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import readout
from .analytic import (neel_brown_prefactor_time, precessional_switching_probability, relaxation_time,
                       sot_critical_current_density, sot_field_per_current_density, stt_critical_current)
from .constants import KB, MU0
from .grains import evolve_grains, grain_mz, sample_grains, switched_fraction
from .llg import Drives, MacrospinParams, simulate
from .observe import DriveSchedule, evolve_observed
from .params import GrainHallBarParams, PmtjParams, SotHallBarParams
from .sot_tilt import bloch_ratio, sot_equilibrium
from .thermal import attempt_time, mean_first_passage_time, pma_escape_times, two_state_step


def _temperature(drive, r_thermal: float) -> float:
    return float(getattr(drive, "temperature", 300.0)) + r_thermal * float(getattr(drive, "laser_power", 0.0) or 0.0)


def _field(drive) -> np.ndarray:
    return np.asarray(getattr(drive, "field", np.zeros(3)), dtype=float).reshape(3)


def _field_key(drive) -> bytes:
    """The drive's field as a hashable key (the bytes of :func:`_field`)."""
    f = getattr(drive, "field", None)
    if type(f) is np.ndarray and f.dtype == np.float64 and f.shape == (3,):
        return f.tobytes()
    return _field(drive).tobytes()


def _well_direction(s: float, b: np.ndarray, b_k_eff: float) -> np.ndarray:
    """Equilibrium of a PMA macrospin in well s (+1/-1) tilted by the in-plane field."""
    ip = b[:2] / b_k_eff
    norm = float(np.hypot(*ip))
    if norm >= 1.0:
        return np.array([ip[0] / norm, ip[1] / norm, 0.0])
    return np.array([ip[0], ip[1], s * math.sqrt(1.0 - norm * norm)])


class SotHallBar:
    """Macrospin PMA Hall cross switched by spin-orbit torque (presets ``sot_hallbar``, ``spinloss``).

    Ports: ``channel`` (two-terminal, V = I R_channel), ``hall`` (V = I (R_AHE m_z +
    R_PHE m_x m_y + R_offset)), ``xx`` (V = I (R_xx + R_AMR m_x^2 - R_SMR m_y^2)).
    Switching: sLLG for short driven intervals; otherwise Néel–Brown with Lee's critical
    current (:func:`~sim_backend.physics.thermal.pma_escape_times`). The polarity is
    ``m_z = sign(xi_DL J B_x)`` (W, xi_DL < 0: m_z = -sign(I B_x)); no deterministic switching at
    B_x = 0. Current changes at the start and end of an sLLG interval take ``pulse_edge``
    (linear edge, default 1 ns, like a real pulse generator): an ideal step would leave the
    low-damping moment ringing and pick its final well at random.
    """

    ports = ("channel", "hall", "xx")

    def __init__(self, params: SotHallBarParams | None = None):
        self.p = params or SotHallBarParams()
        self.m = np.array([0.0, 0.0, 1.0 if self.p.m0 >= 0 else -1.0])
        self._relaxed = True             # m sits at a well equilibrium (thermal path)
        self._j_last = 0.0               # current density of the previous interval
        self.last_path = "none"

    # -- laws implied by the parameters
    def current_density(self, current: float) -> float:
        """J in the current-carrying layer [A/m^2]."""
        return current / (self.p.width * self.p.hm_thickness)

    def critical_current_density(self, b_x: float = 0.0) -> float:
        """0 K macrospin J_c(B_x) (Lee et al. 2013) [A/m^2]."""
        p = self.p
        return float(sot_critical_current_density(p.ms, p.thickness, p.xi_dl, p.b_k_eff, b_x))

    def critical_current(self, b_x: float = 0.0) -> float:
        return self.critical_current_density(b_x) * self.p.width * self.p.hm_thickness

    def escape_time(self, state: float, current: float, b, temperature: float = 300.0) -> float:
        """Mean time [s] to leave state ``state`` (+1/-1) under ``current`` [A] and field ``b`` [T]
        at bath ``temperature`` [K] (the channel's Joule heating added): the thermal path's law
        (:func:`~.thermal.pma_escape_times`)."""
        t_k = self.channel_temperature(current, temperature)
        return float(pma_escape_times(np.array([state]), **self._escape_kw(self.current_density(current),
                                                                           np.asarray(b, dtype=float), t_k))[0])

    def channel_temperature(self, current: float, bath: float = 300.0, laser_power: float = 0.0) -> float:
        """Device temperature [K]: bath + laser heating + Joule heating ``r I^2 R_channel``."""
        p = self.p
        return float(bath) + p.r_thermal * float(laser_power or 0.0) + p.r_thermal_channel * current * current * p.r_channel

    def ms_ratio(self, temperature: float) -> float:
        """``Ms(T) / Ms(300 K)`` (Bloch's law, :func:`~.sot_tilt.bloch_ratio`)."""
        return bloch_ratio(temperature, self.p.curie_temperature)

    def _escape_kw(self, j: float, b: np.ndarray, t_k: float) -> dict:
        """Keyword arguments of :func:`~.thermal.pma_escape_times` at device temperature
        ``t_k``: Delta(T) = Delta_300 (300/T) Ms(T)/Ms(300) and J_c0 proportional to Ms(T)."""
        p = self.p
        ratio = self.ms_ratio(t_k)
        return dict(j=j, b=b, temperature=t_k, delta_300=p.delta_300 * ratio, b_k_eff=p.b_k_eff,
                    jc0=self.critical_current_density(0.0) * ratio, tau0=self.attempt_time(t_k),
                    n_sot=p.n_sot, xi_dl=p.xi_dl)

    def sot_fields(self, current: float, temperature: float = 300.0) -> tuple[float, float, float]:
        """``(B_DL, B_FL, B_Oe,y)`` [T] of a current [A] at device temperature [K]:
        ``xi hbar J / (2 e Ms(T) t_F)`` and ``-mu0 t_HM J / 2``."""
        p = self.p
        j = self.current_density(current)
        per_j = float(sot_field_per_current_density(p.ms * self.ms_ratio(temperature), p.thickness, 1.0)) * j
        return p.xi_dl * per_j, p.xi_fl * per_j, -MU0 * p.hm_thickness / 2.0 * j

    def rest_direction(self, s: float, current: float, b, temperature: float = 300.0) -> np.ndarray:
        """Rest direction of the moment in well ``s`` under ``current`` [A] (damping-like,
        field-like and Oersted fields, :func:`~.sot_tilt.sot_equilibrium`) and field ``b`` [T]
        at device temperature [K]; the field-only equilibrium when the current is zero."""
        b = np.asarray(b, dtype=float)
        if current == 0.0:
            return _well_direction(s, b, self.p.b_k_eff)
        key = ("rest", s > 0, float(current), b.tobytes(), float(temperature))
        memo = self._memo()
        m = memo.get(key)
        if m is None:
            b_dl, b_fl, b_oe = self.sot_fields(current, temperature)
            sign = 1.0 if s > 0 else -1.0
            m = np.array(sot_equilibrium(sign, tuple(b), self.p.b_k_eff, b_dl, (0.0, b_fl + b_oe, 0.0)))
            if m[2] * sign <= 0.0:
                # above the 0 K threshold the well has no rest point (the torque pulls m over
                # the equator); the escape law decides the well, the moment stays on its side
                m = np.array([m[0], m[1], sign * max(abs(m[2]), 1e-6)])
                m /= np.linalg.norm(m)
            m.flags.writeable = False
            memo[key] = m
        return m

    def attempt_time(self, temperature: float = 300.0) -> float:
        """Néel-Brown attempt time tau0 [s] of the thermal path at ``temperature``: the
        parameter ``tau0`` if set, else derived from the device so that the zero-drive escape
        time ``tau0 exp(Delta)`` is the macrospin's exact mean first-passage time out of its
        well (Brown's Fokker-Planck equation, :func:`~.thermal.attempt_time`; for high
        barriers ``tau_N sqrt(pi) Delta^(-3/2) (1 + 1/Delta)``, Brown 1963), with
        ``tau_N = Ms V (1 + alpha^2) / (2 alpha gamma kB T)``: the sLLG path's own time scale."""
        p = self.p
        if p.tau0 is not None:
            return float(p.tau0)
        t = max(float(temperature), 1e-3)
        memo = self._memo()
        key = ("tau0", t)
        tau0 = memo.get(key)
        if tau0 is None:
            delta = p.delta_300 * 300.0 / t
            tau_n = float(neel_brown_prefactor_time(p.alpha, p.ms, p.volume, t))
            tau0 = memo[key] = float(attempt_time(delta, tau_n))
        return tau0

    def switching_current_50(self, b_x: float, width: float, temperature: float = 300.0) -> float:
        """|I| switching the disfavoured state with probability 1/2 in one pulse of ``width``
        at in-plane field ``b_x``: the root of ``1 - exp(-width / tau(I)) = 1/2`` for the same
        escape time the thermal path uses (:func:`~.thermal.pma_escape_times`)."""
        from scipy.optimize import brentq

        b = (b_x, 0.0, 0.0)
        target = width / math.log(2.0)
        i_c = self.critical_current(b_x)
        state = -float(np.sign(self.p.xi_dl * b_x)) or 1.0   # the state the current leaves
        f = lambda i: math.log(self.escape_time(state, i, b, temperature)) - math.log(target)  # noqa: E731
        return float(brentq(f, 1e-9 * i_c, i_c, xtol=1e-9 * i_c))

    def switching_field_50(self, width: float, temperature: float = 300.0) -> float:
        """Out-of-plane field |B_z| reversing the magnet with probability 1/2 within ``width``
        (no current): the coercive field of a field loop dwelling ``width`` per step."""
        from scipy.optimize import brentq

        target = width / math.log(2.0)
        bk = self.p.b_k_eff
        f = lambda bz: math.log(self.escape_time(1.0, 0.0, (0.0, 0.0, -bz), temperature)) - math.log(target)  # noqa: E731
        return float(brentq(f, 1e-9 * bk, bk, xtol=1e-9 * bk))

    def macrospin(self, b_ext=(0.0, 0.0, 0.0), temperature: float = 300.0) -> MacrospinParams:
        """The sLLG macrospin at device ``temperature`` (Ms(T); B_K,eff held, so K_eff V / kT
        follows the thermal path's Delta(T))."""
        p = self.p
        ms = p.ms * self.ms_ratio(temperature) if temperature != 300.0 else p.ms
        k_u = 0.5 * ms * (p.b_k_eff + MU0 * ms)
        return MacrospinParams(ms=ms, volume=p.volume, thickness=p.thickness, alpha=p.alpha, k_u=k_u,
                               b_ext=tuple(b_ext), xi_dl=p.xi_dl, xi_fl=p.xi_fl,
                               sot_polarization=(0.0, 1.0, 0.0),
                               b_oe_per_j=(0.0, -MU0 * p.hm_thickness / 2, 0.0))

    # -- DeviceModel
    #: entries kept by the thermal-step and readout memos before they are emptied
    _MEMO_SIZE = 4096

    def _memo(self) -> dict:
        """Per-parameter-set memo of thermal steps and readout (emptied when ``p`` changes)."""
        memo = self.__dict__.get("_memo_store")
        if memo is None or memo[0] is not self.p or len(memo[1]) > self._MEMO_SIZE:
            memo = (self.p, {})
            self._memo_store = memo
        return memo[1]

    #: ports whose resistance does not depend on the magnetization (``xx`` has AMR/SMR)
    fixed_resistance_ports = ("channel", "hall")

    def evolve(self, dt: float, drive, rng: np.random.Generator) -> None:
        """One interval of constant ``drive``.

        Fast path of the thermal step: the same law, the same single uniform draw and the same
        result as :meth:`_evolve`, with the escape probability of (J, B, T, dt, state) and the
        well directions memoized (a list sweep repeats a few drives many times)."""
        if dt <= 0:
            return
        if self._relaxed:
            mz = self.m[2]
            if mz != 0:
                entry = self._entry(dt, drive, 1.0 if mz > 0 else -1.0)
                if entry is not False:
                    p_flip, m_stay, m_flip, j = entry
                    self.m = m_flip if rng.random() < p_flip else m_stay
                    self._j_last = j
                    self.last_path = "thermal"
                    return
                # the sLLG integrates m in place: not the memo's read-only well direction
                self.m = np.array(self.m)
        self._evolve(dt, drive, rng)

    def evolve_schedule(self, dts, drives, rng: np.random.Generator, observe=None):
        """Consecutive intervals ``dts[k]`` of constant ``drives[k]`` in one call, equal to
        :meth:`evolve` per interval bit for bit (:func:`sim_backend.devices.evolve_schedule`,
        whose ``observe`` it takes).

        When every interval takes the thermal step from a relaxed well, the schedule is one
        two-state Markov chain (:func:`~.thermal.two_state_step`): the escape times and well
        directions of each distinct drive are looked up once, the flip probabilities of all
        intervals computed at once with the same array operations as one step, the uniforms
        (one per interval with dt > 0, in order) drawn at once, and the wells followed in a
        tight loop; the observed voltages come from a (drive, well) table."""
        chain = self._thermal_chain(dts, drives)
        if chain is None:
            return evolve_observed(self, dts, drives, rng, observe)
        uniq, idx, pos, p_plus, p_minus = chain
        n_pos = len(p_plus)
        m_start = self.m
        w = 0 if self.m[2] > 0 else 1                 # 0: well +1, 1: well -1
        wells = [w]
        if n_pos:
            u = rng.random(n_pos)
            from_plus = (u < p_plus).tolist()        # the well after a step from +1 (1: flipped)
            from_minus = (u >= p_minus).tolist()     # ... from -1 (0: flipped back to +1)
            append = wells.append
            for a, b in zip(from_plus, from_minus):
                w = b if w else a
                append(w)
            last = int(idx[pos[-1]])
            d = uniq[last]
            s_final = 1.0 if w == 0 else -1.0
            ep = self._entry(float(dts[pos[-1]]), d, s_final)
            self.m = ep[1]                            # the rest direction of the final well
            self._j_last = ep[3]
            self.last_path = "thermal"
        if observe is None:
            return None
        port, intervals = observe
        k = np.asarray(intervals, dtype=np.intp)
        if not len(k):
            return [], [], []
        positive = np.zeros(len(idx), dtype=np.intp)
        positive[pos] = 1
        count = np.cumsum(positive)                   # steps taken up to and including k
        ws = np.asarray(wells, dtype=np.intp)
        after, before = ws[count[k]], ws[count[k] - positive[k]]
        dk = idx[k]
        # the moment after interval k rests in its well under the drive of the last interval
        # with dt > 0 up to k (a zero-length interval moves nothing): its resistance there
        stepped = count[k] > 0
        dr = np.where(stepped, idx[pos[np.maximum(count[k] - 1, 0)]] if n_pos else 0, 0)
        table_v = np.empty((len(uniq), 2))
        table_r = np.empty((len(uniq), 2))
        for di in np.unique(np.concatenate((dk, dr[stepped]))).tolist():
            for well in (0, 1):
                table_v[di, well], table_r[di, well] = self._well_readout(1.0 - 2.0 * well, uniq[di], port)
        saved = self.m
        self.m = m_start
        try:
            r_start = self.resistance(port)               # no step yet: the moment as it was
        finally:
            self.m = saved
        r_end = np.where(stepped, table_r[dr, after], r_start)
        return table_v[dk, before], table_v[dk, after], r_end

    def _entry(self, dt: float, drive, s: float):
        """The thermal step from well ``s`` over ``dt`` under ``drive``: ``(P(flip), m if it
        stays, m if it flips, J)``, or False (the interval takes the sLLG).  The well's escape
        rates and rest directions are memoized per (J, B, T, well); P(flip) =
        ``a/(a+b) (1 - exp(-(a+b) dt))`` (:func:`~.thermal.two_state_step`) is computed per
        call (intervals on the timeline differ in their last bits at almost every step)."""
        key = ("well", float(drive.current), _field_key(drive), self._temperature(drive), s > 0)
        memo = self._memo()
        well = memo.get(key)
        if well is None:
            well = memo[key] = self._thermal_well(drive, s)
        share, neg_tot, m_stay, m_flip, j, strong, flips = well
        if strong and dt <= self.p.llg_max_pulse:
            return False
        p_flip = flips.get(dt)
        if p_flip is None:
            if len(flips) > 256:
                flips.clear()
            p_flip = flips[dt] = float(share * -np.expm1(neg_tot * dt)) if neg_tot < 0 else 0.0
        return p_flip, m_stay, m_flip, j

    def _thermal_chain(self, dts, drives):
        """``(distinct drives, drive index per interval, indices of the intervals with dt > 0,
        P(flip from +1), P(flip from -1) per such interval)`` when the moment sits relaxed in a
        well and every interval takes the thermal step (:meth:`_entry`); else None."""
        if not self._relaxed or self.m[2] == 0:
            return None
        p = self.p
        if isinstance(drives, DriveSchedule):
            uniq, idx = drives.distinct, drives.which
        else:
            uniq, ids, idx = [], {}, []
            for d in drives:
                i = ids.get(id(d))
                if i is None:
                    i = ids[id(d)] = len(uniq)
                    uniq.append(d)
                idx.append(i)
        idx = np.asarray(idx, dtype=np.intp)
        dt_all = np.asarray(dts, dtype=float)
        pos = np.flatnonzero(dt_all > 0)
        inv_p, inv_m, strong = [], [], []
        jc0 = self.critical_current_density(0.0)
        for d in uniq:
            b = _field(d)
            t_k = self._temperature(d)
            j = self.current_density(float(d.current))
            strong.append(abs(j) > 0.2 * jc0 or np.linalg.norm(b) > 0.2 * p.b_k_eff)
            m_p = self.rest_direction(1.0, float(d.current), b, t_k)
            m_m = self.rest_direction(-1.0, float(d.current), b, t_k)
            if not m_p[2] > 0 > m_m[2]:
                return None                           # in-plane saturated: no wells
            r_plus, r_minus = self._escape_rates(j, b, t_k)
            inv_p.append(r_plus)
            inv_m.append(r_minus)
        di = idx[pos]
        dt = dt_all[pos]
        if np.any(np.asarray(strong)[di] & (dt <= p.llg_max_pulse)):
            return None                               # an interval takes the sLLG
        a_p, a_m = np.asarray(inv_p)[di], np.asarray(inv_m)[di]
        # the operations of _entry, elementwise: a/(a+b) (1 - exp(-(a+b) dt))
        tot_p, tot_m = a_p + a_m, a_m + a_p
        with np.errstate(invalid="ignore", divide="ignore"):
            p_plus = np.where(tot_p > 0, a_p / tot_p * -np.expm1(-tot_p * dt), 0.0)
            p_minus = np.where(tot_m > 0, a_m / tot_m * -np.expm1(-tot_m * dt), 0.0)
        return uniq, idx, pos, p_plus, p_minus

    def _well_readout(self, s: float, drive, port: str) -> tuple[float, float]:
        """(voltage, resistance) at ``port`` with the moment at rest in well ``s`` under
        ``drive`` (what :meth:`voltage` / :meth:`resistance` return after a thermal step
        there); the state is left as it was."""
        saved = self.m
        try:
            self.m = self.rest_direction(s, float(drive.current), _field(drive), self._temperature(drive))
            return self.voltage(port, drive), self.resistance(port)
        finally:
            self.m = saved

    def _escape_rates(self, j: float, b: np.ndarray, t_k: float) -> tuple[np.float64, np.float64]:
        """``(1/tau(+1), 1/tau(-1))``: the rates of leaving each well
        (:func:`~.thermal.pma_escape_times`), memoized per (J, B, T)."""
        tkey = ("rates", j, b.tobytes(), t_k)
        memo = self._memo()
        rates = memo.get(tkey)
        if rates is None:
            kw = self._escape_kw(j, b, t_k)
            state = np.array([1.0])
            rates = memo[tkey] = (1.0 / np.asarray(pma_escape_times(state, **kw), dtype=float)[0],
                                  1.0 / np.asarray(pma_escape_times(-state, **kw), dtype=float)[0])
        return rates

    def _thermal_well(self, drive, s: float):
        """``(a / (a + b), -(a + b), m if it stays, m if it flips, J, strong, {dt: P(flip)})`` of
        well ``s`` under ``drive`` -- a the rate of leaving it, b of coming back (the two-state
        step of :func:`~.thermal.two_state_step`, as :meth:`_evolve` takes it); ``strong``: a
        drive whose short intervals take the sLLG."""
        p = self.p
        b = _field(drive)
        t_k = self._temperature(drive)
        i = float(drive.current)
        j = self.current_density(i)
        strong = abs(j) > 0.2 * self.critical_current_density(0.0) or np.linalg.norm(b) > 0.2 * p.b_k_eff
        r_plus, r_minus = self._escape_rates(j, b, t_k)
        a, back = (r_plus, r_minus) if s > 0 else (r_minus, r_plus)
        m_stay = np.array(self.rest_direction(s, i, b, t_k))
        m_flip = np.array(self.rest_direction(-s, i, b, t_k))
        m_stay.flags.writeable = False
        m_flip.flags.writeable = False
        tot = a + back
        return (a / tot if tot > 0 else 0.0), -tot, m_stay, m_flip, j, bool(strong), {}

    def _evolve(self, dt: float, drive, rng: np.random.Generator) -> None:
        p = self.p
        b = _field(drive)
        t_k = self._temperature(drive)
        j = self.current_density(float(drive.current))
        strong = abs(j) > 0.2 * self.critical_current_density(0.0) or np.linalg.norm(b) > 0.2 * p.b_k_eff
        if dt <= p.llg_max_pulse and strong:
            n = max(1, int(math.ceil(dt / p.llg_dt)))
            res = simulate(self.macrospin(b, t_k), self.m[None, :], dt, dt / n, temperature=t_k,
                           drives=self._edge_drive(j), rng=rng, noise="quantized")
            self.m = res.m[0]
            self._j_last = j
            self._relaxed = False
            self.last_path = "llg"
            return
        if not self._relaxed:
            # after an sLLG pulse the final well is decided by the ringing-down trajectory, not by
            # the sign of m_z at the end of the pulse: follow it with the sLLG for ~5 tau_D
            t_relax = min(dt, 5.0 * float(relaxation_time(p.alpha, p.b_k_eff)))
            n = max(1, int(math.ceil(t_relax / p.llg_dt)))
            self.m = simulate(self.macrospin(b, t_k), self.m[None, :], t_relax, t_relax / n, temperature=t_k,
                              drives=self._edge_drive(j), rng=rng, noise="quantized").m[0]
            self._relaxed = True
            dt -= t_relax
            if dt <= 0:
                self.last_path = "llg"
                return
        self._j_last = j
        s = 1.0 if self.m[2] > 0 else -1.0 if self.m[2] < 0 else float(rng.choice([-1.0, 1.0]))
        kw = self._escape_kw(j, b, t_k)
        state = np.array([s])
        s = float(two_state_step(state, dt, pma_escape_times(state, **kw), rng,
                                 tau_return=pma_escape_times(-state, **kw))[0])
        self.m = np.array(self.rest_direction(s, float(drive.current), b, t_k))
        self._relaxed = True
        self.last_path = "thermal"

    def _edge_drive(self, j: float) -> Drives:
        """J(t) moving linearly from the previous interval's value to ``j`` over ``pulse_edge``."""
        j0, edge = self._j_last, self.p.pulse_edge

        def shape(t: float) -> float:
            f = min(t / edge, 1.0) if edge > 0 else 1.0
            return j0 + (j - j0) * f
        return Drives(j_hm=1.0, j_hm_waveform=shape)

    def _temperature(self, drive) -> float:
        """Device temperature under ``drive``: bath, laser and Joule heating."""
        return self.channel_temperature(float(drive.current), float(getattr(drive, "temperature", 300.0)),
                                        float(getattr(drive, "laser_power", 0.0) or 0.0))

    def _m_now(self, drive) -> np.ndarray:
        if self._relaxed:
            return self.rest_direction(1.0 if self.m[2] >= 0 else -1.0, float(drive.current),
                                       _field(drive), self._temperature(drive))
        return self.m

    def voltage(self, port: str, drive) -> float:
        i = float(drive.current)
        if self._relaxed and (port == "hall" or port == "xx"):
            # relaxed: the resistance depends only on the well, the field, the current (its
            # torques tilt m; its heat lowers Ms) and the temperature (memoized)
            t_k = self._temperature(drive)
            key = (port, self.m[2] >= 0, _field_key(drive), i, t_k)
            memo = self._memo()
            r = memo.get(key)
            if r is None:
                m, p = self._m_now(drive), self.p
                r = memo[key] = (float(readout.hall_resistance(m, p.r_ahe * self.ms_ratio(t_k), p.r_phe,
                                                               p.r_offset))
                                 if port == "hall" else
                                 float(readout.longitudinal_resistance(m, p.r_xx, p.r_amr, p.r_smr)))
            return i * r
        m = self._m_now(drive)
        p = self.p
        if port == "hall":
            r_ahe = p.r_ahe * self.ms_ratio(self._temperature(drive))
            return i * float(readout.hall_resistance(m, r_ahe, p.r_phe, p.r_offset))
        if port == "xx":
            return i * float(readout.longitudinal_resistance(m, p.r_xx, p.r_amr, p.r_smr))
        if port == "channel":
            return i * p.r_channel
        raise KeyError(f"device has no port {port!r}; ports: {', '.join(self.ports)}")

    def resistance(self, port: str) -> float:
        p = self.p
        if port == "xx":
            return float(readout.longitudinal_resistance(self.m, p.r_xx, p.r_amr, p.r_smr))
        try:
            return {"hall": p.r_hall_port, "channel": p.r_channel}[port]
        except KeyError:
            raise KeyError(f"device has no port {port!r}; ports: {', '.join(self.ports)}") from None

    def state(self) -> dict[str, Any]:
        return {"m": self.m.tolist(), "mz": float(self.m[2]), "path": self.last_path}


class PerpendicularMTJ:
    """Perpendicular STT-MTJ (preset ``pmtj``); reference layer along +z, positive current favours P.

    Port ``junction``: V = I R(theta, V) with the conductance-form TMR and its bias dependence,
    solved self-consistently. A bias beyond ``v_breakdown`` destroys the barrier for good
    (resistance ``r_short``, no TMR). Switching: sLLGS for short driven intervals; otherwise the
    exact axial escape time (1-D Fokker–Planck, :func:`~sim_backend.physics.thermal.mean_first_passage_time`,
    Néel–Brown with n = 2) combined with the precessional channel.
    """

    ports = ("junction",)
    #: the port whose current drives the junction (SimWorld sums the sources on it)
    drive_port = "junction"

    def __init__(self, params: PmtjParams | None = None):
        self.p = params or PmtjParams()
        self.m = np.array([0.0, 0.0, 1.0 if self.p.m0 >= 0 else -1.0])
        self.broken = False
        self.last_path = "none"

    def critical_current(self) -> float:
        """Zero-temperature I_c0 with constant eta (the lambda asymmetry excluded) [A]."""
        p = self.p
        return float(stt_critical_current(p.alpha, p.eta, p.ms, p.b_k_eff, p.volume))

    def delta(self, temperature: float = 300.0) -> float:
        p = self.p
        return 0.5 * p.ms * p.b_k_eff * p.volume / (KB * temperature)

    def macrospin(self, b_ext=(0.0, 0.0, 0.0)) -> MacrospinParams:
        p = self.p
        return MacrospinParams(ms=p.ms, volume=p.volume, thickness=p.thickness, alpha=p.alpha, k_u=p.k_u,
                               b_ext=tuple(b_ext), stt_eta=p.eta, stt_lambda=p.stt_lambda,
                               stt_polarization=(0.0, 0.0, 1.0))

    def _drive_ratios(self, s: float, current: float, b) -> tuple[float, float]:
        """``(x, h)`` of the axial Fokker-Planck potential for leaving state ``s``: the STT
        drive ratio (I > 0 pushes AP to P with I_c0 (1 - lambda), I < 0 pushes P to AP with
        I_c0 (1 + lambda)) and the reduced field along the state, ``s B_z / B_K,eff``."""
        p = self.p
        ic0 = self.critical_current()
        x = (-current / (ic0 * (1 + p.stt_lambda))) if s > 0 else (current / (ic0 * (1 - p.stt_lambda)))
        return x, s * float(np.asarray(b, dtype=float)[2]) / p.b_k_eff

    def escape_time(self, state: float, current: float, b, temperature: float = 300.0) -> float:
        """Mean time [s] to leave state ``state`` (+1 P / -1 AP) under ``current`` [A] and field
        ``b`` [T] at ``temperature`` [K]: the exact axial first-passage time of Brown's
        Fokker-Planck equation (:func:`~.thermal.mean_first_passage_time`, prefactor
        ``tau_N`` from the device) from the well bottom to the point midway between the barrier
        top and the other well's bottom, ``((x - h) - 1) / 2`` (m_z = -0.5 at zero drive, as
        :func:`~.thermal.attempt_time`): a moment there has fallen into the other well, which
        is what the sLLG path calls a switch.  (The barrier top itself would count each escape
        about twice: from there the moment returns with probability 1/2.)"""
        p = self.p
        x, h = self._drive_ratios(1.0 if state >= 0 else -1.0, current, b)
        delta = self.delta(temperature)
        tau_n = float(neel_brown_prefactor_time(p.alpha, p.ms, p.volume, temperature))
        x_end = min(max(0.5 * ((x - h) - 1.0), -0.999), 0.999)
        return float(mean_first_passage_time(delta, tau_n, 1.0, x_end, x_ratio=x, h=h))

    def _check_breakdown(self, current: float) -> None:
        if not self.broken and abs(self.voltage("junction", _Bias(current))) > self.p.v_breakdown:
            self.broken = True

    def evolve(self, dt: float, drive, rng: np.random.Generator) -> None:
        if dt <= 0:
            return
        p = self.p
        i = float(drive.current)
        self._check_breakdown(i)
        b = _field(drive)
        t_k = _temperature(drive, p.r_thermal)
        ic0 = self.critical_current()
        strong = abs(i) > 0.2 * ic0 or np.linalg.norm(b) > 0.2 * p.b_k_eff
        if self.broken:
            i = 0.0                       # the shorted barrier carries no spin-polarized current
        if dt <= p.llg_max_pulse and strong:
            n = max(1, int(math.ceil(dt / p.llg_dt)))
            res = simulate(self.macrospin(b), self.m[None, :], dt, dt / n, temperature=t_k,
                           drives=Drives(current=i), rng=rng, noise="quantized")
            self.m = res.m[0]
            self.last_path = "llg"
            return
        if self.last_path == "llg":
            t_relax = min(dt, 5.0 * float(relaxation_time(p.alpha, p.b_k_eff)))
            n = max(1, int(math.ceil(t_relax / p.llg_dt)))
            self.m = simulate(self.macrospin(b), self.m[None, :], t_relax, t_relax / n, temperature=t_k,
                              drives=Drives(current=i), rng=rng, noise="quantized").m[0]
            self.last_path = "llg-relax"
            dt -= t_relax
            if dt <= 0:
                return
        s = 1.0 if self.m[2] >= 0 else -1.0
        x, h = self._drive_ratios(s, i, b)
        delta = self.delta(t_k)
        if delta * max(0.0, 1.0 + h - x) ** 2 > 600.0:
            p_sw = 0.0
        else:
            tau = self.escape_time(s, i, b, t_k)
            p_th = -math.expm1(-dt / tau) if tau > 0.0 else 1.0
            p_pr = float(precessional_switching_probability(dt, x - h, delta, relaxation_time(p.alpha, p.b_k_eff)))
            p_sw = 1.0 - (1.0 - p_th) * (1.0 - p_pr)
        if rng.random() < p_sw:
            s = -s
        self.m = _well_direction(s, b, p.b_k_eff)
        self.last_path = "thermal"

    def resistance(self, port: str = "junction", voltage: float = 0.0) -> float:
        if port != "junction":
            raise KeyError(f"device has no port {port!r}; ports: junction")
        p = self.p
        if self.broken:
            return p.r_short
        return float(readout.junction_resistance(self.m[2], p.r_p, p.tmr0, voltage, p.v_half))

    def voltage(self, port: str, drive) -> float:
        if port != "junction":
            raise KeyError(f"device has no port {port!r}; ports: junction")
        p = self.p
        i = float(drive.current)
        if self.broken:
            return i * p.r_short
        return float(readout.junction_voltage(i, self.m[2], p.r_p, p.tmr0, p.v_half))

    def state(self) -> dict[str, Any]:
        return {"m": self.m.tolist(), "mz": float(self.m[2]), "state": "P" if self.m[2] >= 0 else "AP",
                "broken": self.broken, "path": self.last_path}


class _Bias:
    """Minimal drive carrying only a current (for the breakdown check)."""

    def __init__(self, current: float):
        self.current = current


class GrainHallBar:
    """Multi-domain Hall cross (presets ``grain_hallbar``, ``tilted_synapse``): analog states.

    Ports as :class:`SotHallBar`; the Hall resistance is ``R_AHE <m_z> + R_offset`` with
    <m_z> the area-weighted grain average. Every interval uses thermal activation per grain
    (:mod:`sim_backend.physics.grains`), so cycle-to-cycle variation is the binomial spread of
    the grains' stochastic switching and device-to-device variation is the ``seed``.
    """

    ports = ("channel", "hall", "xx")

    def __init__(self, params: GrainHallBarParams | None = None):
        self.p = params or GrainHallBarParams()
        p = self.p
        self.grains = sample_grains(p.n_grains, np.random.default_rng(p.seed), delta_mean=p.delta_mean,
                                    delta_spread=p.delta_spread, b_k_eff=p.b_k_eff, b_k_spread=p.b_k_spread,
                                    ms=p.ms, thickness=p.thickness, xi_dl=p.xi_dl, jc_spread=p.jc_spread,
                                    size_spread=p.size_spread, tau0=p.tau0, n_sot=p.n_sot,
                                    tilt_deg=p.tilt_deg)
        self.s = np.full(p.n_grains, 1.0 if p.m0 >= 0 else -1.0)

    def current_density(self, current: float) -> float:
        return current / (self.p.width * self.p.hm_thickness)

    def evolve(self, dt: float, drive, rng: np.random.Generator) -> None:
        if dt <= 0:
            return
        self.s = evolve_grains(self.grains, self.s, dt, j=self.current_density(float(drive.current)),
                               b=_field(drive), temperature=_temperature(drive, self.p.r_thermal), rng=rng)

    def mz(self, drive=None) -> float:
        b = _field(drive) if drive is not None else np.zeros(3)
        return float(grain_mz(self.grains, self.s, b))

    def voltage(self, port: str, drive) -> float:
        i = float(drive.current)
        p = self.p
        if port == "hall":
            b = _field(drive)
            mxmy = (b[0] / p.b_k_eff) * (b[1] / p.b_k_eff)
            return i * (p.r_ahe * self.mz(drive) + p.r_phe * mxmy + p.r_offset)
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
        return {"mz": self.mz(), "switched_fraction": float(switched_fraction(self.s, -1.0)),
                "n_grains": int(self.p.n_grains)}


__all__ = ["SotHallBar", "PerpendicularMTJ", "GrainHallBar", "sot_field_per_current_density"]
