"""Offline model of the two-layer RF spintronic neural network (Ross, Leroux et al., "Multilayer
spintronic neural networks with radiofrequency connections", Nat. Nanotechnol. 18, 1273 (2023)),
for training and evaluation (numpy only).

Physics of one layer (the rf_mtj spin diode, :func:`sim_backend.physics.rf.spin_diode_lineshape`):

* input k is an RF tone at frequency ``f_in[k]`` whose power encodes the value ``x_k`` (>= 0);
* a synapse chain (one per output neuron) holds two spin-diode junctions per input in series
  on the RF line, of opposite polarity (+1, -1: the junction's orientation in the chain), tuned
  near ``f_in[k]``; the chain's DC voltage is the sum of every junction's rectified voltage for
  every tone: ``V_j = sum_k x_k sum_junctions s A_d (L(f_k - f_r) )`` with the lineshape
  ``L = S + r A`` (symmetric + a fraction r of antisymmetric), half width w. The weight of input
  k is the difference of the two junctions' responses, set by their resonance frequencies, the
  trained parameters, each confined to ``f_in[k] +- tuning_range`` (f_r = f_in + R tanh(theta));
  cross-talk from the neighbouring tones (within ``crosstalk`` bins) is included;
* device-to-device variability: the damping of every junction drawn once (``variability``,
  relative spread, seeded), which sets its width ``w_d = w (1 + d)`` and, the area of a
  spin-diode line ``V_S w`` being independent of the damping (linear response), its amplitude
  ``A_d = 1 / (1 + d)``; noise: Gaussian on each chain voltage (``noise``, relative to the
  largest weight);
* neuron (hidden layer): the chain voltage, amplified (gain g) into a DC current with an offset
  (bias b_j), drives a spin-torque oscillator, whose emitted power is the activation:
  ``a = soft(zeta - 1)/(zeta + Q)`` with ``zeta = g V + b`` the supercriticality and ``soft`` a
  thermally rounded ramp (softplus of sharpness ``beta``) -- Slavin's p0 = (zeta - 1)/(zeta + Q);
  or (``activation=(zeta, power)``) a measured emitted power vs supercriticality, interpolated
  linearly and held at its ends outside the table (the neuron's drive range); ``power`` is one
  table for every neuron or one row per neuron.
  Each hidden oscillator emits at its own frequency into the second layer's chains;
* output layer: chains again; the class is the chain with the largest voltage (softmax
  cross-entropy for training, Adam, minibatches).

:class:`SoftwareMLP` is the same-size software network (ReLU hidden layer) for comparison.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spinbench.sim_backend.physics.rf import lorentzian_antisymmetric, lorentzian_symmetric

__all__ = ["RFLayer", "RFNetwork", "SoftwareMLP", "xor_band_task", "train", "accuracy"]


def _softmax_xent(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    n = len(y)
    loss = float(-np.log(p[np.arange(n), y] + 1e-12).mean())
    g = p
    g[np.arange(n), y] -= 1.0
    return loss, g / n


class _Adam:
    def __init__(self, params: dict[str, np.ndarray], lr: float):
        self.lr, self.t = lr, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, params, grads, b1=0.9, b2=0.999, eps=1e-8):
        self.t += 1
        for k in params:
            self.m[k] = b1 * self.m[k] + (1 - b1) * grads[k]
            self.v[k] = b2 * self.v[k] + (1 - b2) * grads[k] ** 2
            mh = self.m[k] / (1 - b1 ** self.t)
            vh = self.v[k] / (1 - b2 ** self.t)
            params[k] -= self.lr * mh / (np.sqrt(vh) + eps)


@dataclass
class RFLayer:
    """Synapse chains from ``n_in`` RF tones to ``n_out`` DC voltages (two junctions per input)."""

    f_in: np.ndarray                  #: input tone frequencies [Hz]
    n_out: int
    width: float = 10e6               #: junction HWHM [Hz]
    tuning_range: float = 30e6        #: resonance tunable within f_in +- this [Hz]
    antisym: float = 0.3              #: V_A / V_S of the junctions
    variability: float = 0.05
    crosstalk: int = 3                #: neighbouring tones included on each side
    seed: int = 0
    theta: np.ndarray = field(init=False)

    def __post_init__(self):
        rng = np.random.default_rng(self.seed)
        n_in = len(self.f_in)
        #: relative damping deviation of each junction (n_out, n_in, 2): width x (1 + d), amplitude / (1 + d)
        self.spread = np.clip(self.variability * rng.standard_normal((self.n_out, n_in, 2)), -0.5, 0.5)
        self.amp = 1.0 / (1.0 + self.spread)
        self.w = self.width * (1.0 + self.spread)
        # start: the + junction on resonance-ish, the - junction detuned (small random weights)
        self.theta = 0.3 * rng.standard_normal((self.n_out, n_in, 2))
        self.sign = np.array([1.0, -1.0])
        offs = np.arange(-self.crosstalk, self.crosstalk + 1)
        self._nbr = np.clip(np.arange(n_in)[:, None] + offs[None, :], 0, n_in - 1)     # (n_in, K)
        self._valid = ((np.arange(n_in)[:, None] + offs[None, :]) >= 0) & \
                      ((np.arange(n_in)[:, None] + offs[None, :]) < n_in)

    def resonances(self, theta=None) -> np.ndarray:
        t = self.theta if theta is None else theta
        return self.f_in[None, :, None] + self.tuning_range * np.tanh(t)

    def _terms(self):
        fr = self.resonances()                                       # (o, i, 2)
        fk = self.f_in[self._nbr]                                    # (i, K)
        d = fk[None, :, None, :] - fr[..., None]                     # (o, i, 2, K)
        w = self.w[..., None]
        s = lorentzian_symmetric(d, 0.0, w)
        a = lorentzian_antisymmetric(d, 0.0, w)
        return d, w, s, a

    def weights(self) -> np.ndarray:
        """(n_out, n_in) weight matrix: voltage per unit input power."""
        d, w, s, a = self._terms()
        resp = self.amp[..., None] * self.sign[None, None, :, None] * (s + self.antisym * a) * self._valid[None, :, None, :]
        wm = np.zeros((self.n_out, len(self.f_in)))
        contrib = resp.sum(axis=2)                                   # (o, i, K): junctions of input i on tone nbr
        for k in range(self._nbr.shape[1]):
            np.add.at(wm, (slice(None), self._nbr[:, k]), contrib[:, :, k] * self._valid[None, :, k])
        return wm

    def grad_theta(self, g_w: np.ndarray) -> np.ndarray:
        """dLoss/dtheta from dLoss/dW (n_out, n_in)."""
        d, w, s, a = self._terms()
        # d/d f_r of S(f - f_r) and A(f - f_r): dS/dd = -2 d w^2/(d^2+w^2)^2, dA/dd = w (w^2-d^2)/(d^2+w^2)^2
        den = (d * d + w * w) ** 2
        ds_dd = -2 * d * w * w / den
        da_dd = w * (w * w - d * d) / den
        dresp_dfr = -(self.amp[..., None] * self.sign[None, None, :, None] * (ds_dd + self.antisym * da_dd))
        gk = g_w[:, self._nbr] * self._valid[None, :, :]             # (o, i, K)
        dfr = (dresp_dfr * gk[:, :, None, :]).sum(axis=3)            # (o, i, 2)
        return dfr * self.tuning_range * (1 - np.tanh(self.theta) ** 2)


def _activation(zeta, q, beta):
    """Thermally rounded Slavin power: softplus_beta(zeta - 1)/(zeta + Q) and its derivative."""
    x = beta * (zeta - 1.0)
    sp = np.where(x > 30, x, np.log1p(np.exp(np.minimum(x, 30)))) / beta
    sig = 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))
    den = np.maximum(zeta + q, 1e-3)
    return sp / den, (sig * den - sp) / den ** 2


#: half-window of the surrogate slope of a tabulated activation, in units of zeta
SURROGATE_WINDOW = 0.1


def _table_activation(zeta, grid, power, window=None):
    """Tabulated neuron power vs supercriticality (linear interpolation, held outside the table)
    and a surrogate slope for training: the centred difference over +-``window`` (default
    :data:`SURROGATE_WINDOW`), which spreads the steep rise of an oscillator at its threshold
    over the window so that neurons just off it still learn (a surrogate gradient, as in
    spiking networks; the forward value is the table's)."""
    d = SURROGATE_WINDOW if window is None else window
    power = np.asarray(power, dtype=float)
    if power.ndim == 1:
        h = np.interp(zeta, grid, power)
        return h, (np.interp(zeta + d, grid, power) - np.interp(zeta - d, grid, power)) / (2 * d)
    zeta = np.asarray(zeta, dtype=float)        # one table per neuron: power (n_hidden, grid)
    h, dh = np.empty_like(zeta), np.empty_like(zeta)
    for j, pj in enumerate(power):
        h[..., j], dh[..., j] = _table_activation(zeta[..., j], grid, pj, d)
    return h, dh


class RFNetwork:
    """Input tones -> [hidden STO neurons] -> output chains; ``hidden=0`` is the one-layer network
    (chains straight to the outputs)."""

    def __init__(self, n_in: int, n_hidden: int, n_out: int, *, f0: float = 2e9, spacing: float = 40e6,
                 q: float = 0.5, beta: float = 20.0, noise: float = 0.0, seed: int = 0,
                 activation: tuple | None = None, **layer):
        self.n_hidden = n_hidden
        self.q, self.beta, self.noise = q, beta, noise
        self.f0, self.spacing = f0, spacing
        #: (zeta grid, emitted power) of a measured neuron, or None for the Slavin law
        self.activation = None if activation is None else tuple(np.asarray(a, dtype=float) for a in activation)
        self.rng = np.random.default_rng(seed + 1000)
        f_in = f0 + spacing * np.arange(n_in)
        if n_hidden:
            self.l1 = RFLayer(f_in, n_hidden, seed=seed, **layer)
            f_hid = f0 + spacing * np.arange(n_hidden)       # each oscillator at its own frequency
            self.l2 = RFLayer(f_hid, n_out, seed=seed + 1, **layer)
            self.gain = np.array([2.0])
            self.bias = np.full(n_hidden, 1.0)
        else:
            self.l1 = None
            self.l2 = RFLayer(f_in, n_out, seed=seed, **layer)
        self.out_gain = np.array([5.0])

    def neuron(self, zeta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Activation (the oscillator's emitted power) and its slope at supercriticality ``zeta``."""
        if self.activation is None:
            return _activation(zeta, self.q, self.beta)
        return _table_activation(zeta, *self.activation)

    def hidden(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(chain voltages v1, supercriticalities zeta) of the hidden layer for inputs ``x``."""
        v1 = x @ self.l1.weights().T
        return v1, self.gain[0] * v1 + self.bias

    def params(self) -> dict[str, np.ndarray]:
        p = {"t2": self.l2.theta, "og": self.out_gain}
        if self.l1 is not None:
            p.update(t1=self.l1.theta, g=self.gain, b=self.bias)
        return p

    def forward(self, x: np.ndarray, noisy: bool = False):
        cache = {}
        if self.l1 is not None:
            w1 = self.l1.weights()
            v1 = x @ w1.T
            if noisy and self.noise:
                v1 = v1 + self.noise * np.abs(w1).max() * self.rng.standard_normal(v1.shape)
            zeta = self.gain[0] * v1 + self.bias
            h, dh = self.neuron(zeta)
            cache.update(w1=w1, v1=v1, dh=dh, x=x)
        else:
            h = x
        w2 = self.l2.weights()
        v2 = h @ w2.T
        if noisy and self.noise:
            v2 = v2 + self.noise * np.abs(w2).max() * self.rng.standard_normal(v2.shape)
        cache.update(h=h, w2=w2)
        return self.out_gain[0] * v2, v2, cache

    def grads(self, x, y):
        z, v2, c = self.forward(x, noisy=True)
        loss, gz = _softmax_xent(z, y)
        g = {"og": np.array([(gz * v2).sum()])}
        gv2 = gz * self.out_gain[0]
        g["t2"] = self.l2.grad_theta(gv2.T @ c["h"])
        if self.l1 is not None:
            gh = gv2 @ c["w2"]
            gzeta = gh * c["dh"]
            g["b"] = gzeta.sum(axis=0)
            g["g"] = np.array([(gzeta * c["v1"]).sum()])
            g["t1"] = self.l1.grad_theta((gzeta * self.gain[0]).T @ c["x"])
        return loss, g

    def predict(self, x: np.ndarray, noisy: bool = False) -> np.ndarray:
        return np.argmax(self.forward(x, noisy)[0], axis=1)


class SoftwareMLP:
    """Same-size software network: n_in -> n_hidden (ReLU) -> n_out (or linear if n_hidden = 0)."""

    def __init__(self, n_in, n_hidden, n_out, seed=0):
        rng = np.random.default_rng(seed)
        self.n_hidden = n_hidden
        if n_hidden:
            self.p = {"w1": rng.standard_normal((n_in, n_hidden)) / np.sqrt(n_in), "b1": np.zeros(n_hidden),
                      "w2": rng.standard_normal((n_hidden, n_out)) / np.sqrt(n_hidden), "b2": np.zeros(n_out)}
        else:
            self.p = {"w2": rng.standard_normal((n_in, n_out)) / np.sqrt(n_in), "b2": np.zeros(n_out)}

    def params(self):
        return self.p

    def forward(self, x):
        if self.n_hidden:
            a = x @ self.p["w1"] + self.p["b1"]
            h = np.maximum(a, 0)
            return h @ self.p["w2"] + self.p["b2"], (a, h)
        return x @ self.p["w2"] + self.p["b2"], (None, x)

    def grads(self, x, y):
        z, (a, h) = self.forward(x)
        loss, gz = _softmax_xent(z, y)
        g = {"w2": h.T @ gz, "b2": gz.sum(axis=0)}
        if self.n_hidden:
            gh = (gz @ self.p["w2"].T) * (a > 0)
            g.update(w1=x.T @ gh, b1=gh.sum(axis=0))
        return loss, g

    def predict(self, x, noisy=False):
        return np.argmax(self.forward(x)[0], axis=1)


def train(model, x, y, *, epochs: int = 100, batch: int = 64, lr: float = 0.05, seed: int = 0) -> list[float]:
    """Adam on minibatches; returns the loss per epoch."""
    rng = np.random.default_rng(seed)
    opt = _Adam(model.params(), lr)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        tot = 0.0
        for s in range(0, len(x), batch):
            idx = order[s:s + batch]
            loss, g = model.grads(x[idx], y[idx])
            opt.step(model.params(), g)
            tot += loss * len(idx)
        losses.append(tot / len(x))
    return losses


def accuracy(model, x, y, noisy: bool = False) -> float:
    return float((model.predict(x, noisy) == y).mean())


def xor_band_task(n: int = 400, n_bands: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The embedded nonlinear RF task: ``n_bands`` input tones, each on (power 0.6..1) or off
    (0..0.15) at random; the class is (band 0 on) XOR (band 1 on) -- not linearly separable, the
    other bands are distractors."""
    rng = np.random.default_rng(seed)
    on = rng.random((n, n_bands)) < 0.5
    x = np.where(on, rng.uniform(0.6, 1.0, (n, n_bands)), rng.uniform(0.0, 0.15, (n, n_bands)))
    y = (on[:, 0] ^ on[:, 1]).astype(int)
    return x, y
