"""The lumped heating law of the laser-heated junction, written from its equations as the thermo
tests' oracle (not imported from the simulator): each component k (fast junction, slow
substrate) is first order, ``d theta_k/dt = (R_k a P(t) - theta_k) / tau_k``, dT = sum_k theta_k."""
from __future__ import annotations

import math

import numpy as np


def step_delta_t(p, tau: np.ndarray, p_device: float) -> np.ndarray:
    """dT (K) a time ``tau`` after the light (``p_device`` W on the device) is switched on from
    dark (zero for tau < 0)."""
    tau = np.maximum(tau, 0.0)
    pa = p.absorptance * p_device
    return pa * (p.r_fast * -np.expm1(-tau / p.tau_fast) + p.r_slow * -np.expm1(-tau / p.tau_slow))


def periodic_delta_t(p, t: np.ndarray, period: float, width: float, p_on: float) -> np.ndarray:
    """dT (K) in the periodic steady state of a square light train (``p_on`` W on the device for
    ``width`` from each rising edge), at times ``t`` from an edge: each component starts a pulse
    at ``theta_0 = R a P (1 - e^{-w/tau}) e^{-(T-w)/tau} / (1 - e^{-T/tau})``, then relaxes."""
    tm = np.mod(t, period)
    pa = p.absorptance * p_on
    out = np.zeros_like(tm, dtype=float)
    for r, tau in ((p.r_fast, p.tau_fast), (p.r_slow, p.tau_slow)):
        th0 = r * pa * -math.expm1(-width / tau) * math.exp(-(period - width) / tau) / -math.expm1(-period / tau)
        thw = r * pa + (th0 - r * pa) * math.exp(-width / tau)
        out += np.where(tm < width, r * pa + (th0 - r * pa) * np.exp(-tm / tau), thw * np.exp(-(tm - width) / tau))
    return out


def bin_means(x: np.ndarray, n: int) -> np.ndarray:
    """Means of consecutive groups of ``n`` samples (the tail that does not fill one is dropped)."""
    return x[: len(x) // n * n].reshape(-1, n).mean(axis=1)
