"""Inference of a trained RF spintronic network through the instruments of an ``rf-network`` bench.

The network file (``.npz`` of ``analysis.rf_network_device.save_network``) holds the frequency
plan, the neurons' thresholds and power tables, and the trained gains, biases and test inputs;
the bench's junctions hold the trained resonances and the neurons sit on their frequency slots
(``sim_backend.rf_network_bench``). The neurons' RF output is the second layer's input: on the
bench their oscillators feed the output chains' line through an amplifier, nothing is re-emitted
by the script. One runner step is one test input:

1. input tone k of value x is switched on at ``input_power_dbm + 10 log10 x`` (off for x = 0);
2. each first-layer chain's DC voltage V1_j is read (2182A across the chain);
3. every neuron j is biased at ``I_j = zeta_j I_th,j``, ``zeta_j = gain V1_j / volts_per_unit_1 +
   bias_j`` held within the neurons' drive range (the network file's zeta grid, as in the
   offline model): its oscillation, and so its emitted power, follows;
4. each output chain's voltage V2_o is read; the class is the largest ``out_gain V2_o /
   volts_per_unit_2``;
5. (``monitor``) one analyzer trace over the neurons' slots: each neuron's power in its slot
   (less the trace with every neuron unbiased), and its activation, that power over the same
   measured at the reference supercriticality in ``setup``, times the table's activation there.

``network`` left empty takes the ``.npz`` of the bench file's name beside it (the built-in
``rf-network`` bench ships ``rf-network.npz``); the run file records the path used.

Rows: one per hidden node (layer 1: V1, zeta, activation, slot power) and per output (layer 2:
V2), with the sample's predicted class on each.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from spinbench.instruments.capabilities import RFSourceCapabilities
from spinbench.instruments.roles import FieldController, RFSource, SourceMeter, SpectrumAnalyzer, Voltmeter
from spinbench.protocols.base import CheckError, Column, MeasurementProtocol, Param, Roles, optional

__all__ = ["RfNetworkInference", "load_rf_network", "MAX_INPUTS", "MAX_HIDDEN", "MAX_OUTPUTS"]

MAX_INPUTS, MAX_HIDDEN, MAX_OUTPUTS = 8, 8, 4
_KEYS = ("f_in", "f_hidden", "i_th", "gain", "bias", "out_gain", "zeta", "activation", "input_power_dbm",
         "volts_per_unit_1", "volts_per_unit_2", "inputs", "field", "resonance_2", "neuron_b_bias")


def load_rf_network(path: str | Path) -> dict[str, np.ndarray]:
    """The arrays of a network file, checked for the keys inference needs."""
    try:
        with np.load(Path(path)) as f:
            net = {k: f[k] for k in f.files}
    except (OSError, ValueError) as exc:
        raise CheckError(f"network = {str(path)!r}: cannot read it as .npz ({exc})") from None
    missing = [k for k in _KEYS if k not in net]
    if missing:
        raise CheckError(f"network = {str(path)!r} lacks {', '.join(missing)} (write it with "
                         f"analysis.rf_network_device.save_network)")
    return net


def _roles(n_in: int, n_hidden: int, n_out: int) -> dict[str, list[str]]:
    return {"inputs": [f"rf_source_in_{i}" for i in range(n_in)], "chains_1": [f"voltmeter_c1_{j}" for j in range(n_hidden)],
            "neurons": [f"source_meter_n_{j}" for j in range(n_hidden)],
            "chains_2": [f"voltmeter_c2_{o}" for o in range(n_out)]}


def _sizes(net: Mapping[str, np.ndarray]) -> tuple[int, int, int]:
    return len(net["f_in"]), len(net["f_hidden"]), int(net["resonance_2"].shape[0])


class RfNetworkInference(MeasurementProtocol):
    """A trained two-layer RF network evaluated on the bench's junctions, one input per step."""

    name = "rf-network-inference"
    description = ("RF spintronic network inference through the bench: input tones -> synapse chains "
                   "(2182A) -> oscillator neurons (2450 bias) whose RF output feeds the output chains")
    roles = {"spectrum_analyzer": optional(SpectrumAnalyzer), "field_x": FieldController,
             **{f"rf_source_in_{i}": optional(RFSource) for i in range(MAX_INPUTS)},
             **{f"voltmeter_c1_{j}": optional(Voltmeter) for j in range(MAX_HIDDEN)},
             **{f"source_meter_n_{j}": optional(SourceMeter) for j in range(MAX_HIDDEN)},
             **{f"voltmeter_c2_{o}": optional(Voltmeter) for o in range(MAX_OUTPUTS)}}
    params = (
        Param("network", "", str, default="",
              doc="the trained network file (.npz, save_network); empty: the bench file's name with .npz"),
        Param("samples", "", int, default=1, bounds=(1, 100_000), doc="first N test inputs of the file"),
        Param("monitor", "", bool, default=True, doc="one analyzer trace per input: each neuron's power in its slot"),
        Param("rbw", "Hz", default=3e6, bounds=(1.0, 8e6), doc="analyzer resolution bandwidth (monitor)"),
        Param("points", "", int, default=1001, bounds=(101, 40001), doc="trace points over the neurons' slots"),
        Param("averages", "", int, default=10, bounds=(1, 10000), doc="RMS-averaged sweeps per trace (monitor)"),
    )
    columns = (
        Column("sample", "", "i8", doc="test input index"),
        Column("layer", "", "i8", doc="1: hidden neuron, 2: output chain"),
        Column("node", "", "i8", doc="neuron j or output o"),
        Column("voltage", "V", doc="DC voltage of the node's synapse chain"),
        Column("zeta", "", doc="neuron supercriticality I/I_th applied (layer 1)"),
        Column("activation", "", doc="neuron slot power / its reference x the table's activation there (layer 1)"),
        Column("power", "W", doc="neuron power in its slot, less the unbiased trace (layer 1, monitor)"),
        Column("predicted", "", "i8", doc="class of the sample (largest output)"),
    )

    def resolve_params(self, params: dict[str, Any], bench: Any) -> dict[str, Any]:
        """An empty ``network`` names the ``.npz`` beside the bench file, with its name."""
        if not params["network"]:
            params = {**params, "network": self.beside_bench(bench, "network")}
        return params

    def check(self, params: Mapping[str, Any], bench: Any) -> None:
        net = load_rf_network(params["network"])
        n_in, n_hidden, n_out = _sizes(net)
        if n_in > MAX_INPUTS or n_hidden > MAX_HIDDEN or n_out > MAX_OUTPUTS:
            raise CheckError(f"network {n_in}-{n_hidden}-{n_out}: at most {MAX_INPUTS}-{MAX_HIDDEN}-{MAX_OUTPUTS}")
        if params["samples"] > len(net["inputs"]):
            raise CheckError(f"samples = {params['samples']} but the file holds {len(net['inputs'])} inputs")
        missing = [r for kind in _roles(n_in, n_hidden, n_out).values() for r in kind if r not in bench.roles]
        if params["monitor"] and "spectrum_analyzer" not in bench.roles:
            missing.append("spectrum_analyzer (monitor = true; or monitor=false)")
        if missing:
            raise CheckError(f"network {n_in}-{n_hidden}-{n_out} needs roles the bench lacks: {', '.join(missing)}")
        for k, f in enumerate(net["f_in"]):
            caps = bench.capabilities(f"rf_source_in_{k}", RFSource)
            if isinstance(caps, RFSourceCapabilities):
                caps.frequency.require(float(f), f"rf_source_in_{k} frequency", caps.about("frequency"))
                caps.power_dbm.require(float(net["input_power_dbm"]), f"rf_source_in_{k} power", caps.about("power"))
        i_th = np.broadcast_to(net["i_th"], (n_hidden,))
        for j in range(n_hidden):
            self.require_within_limit(bench, f"source_meter_n_{j}", "max_current", float(net["zeta"].max() * i_th[j]),
                                      f"neuron {j} current (zeta max x I_th)")
        self.require_within_limit(bench, "field_x", "max_field", float(net["field"]), "network field")

    def steps(self, params: Mapping[str, Any]) -> list[int]:
        return list(range(params["samples"]))

    # ------------------------------------------------------------------ neurons
    def _bias_neurons(self, roles: Roles, zeta) -> None:
        for role, z, i_th in zip(self._names["neurons"], zeta, self._i_th):
            roles[role].source_current(float(z * i_th))

    def _slot_powers(self, roles: Roles) -> np.ndarray:
        """Each neuron's power in its slot (+- half a slot spacing) less the dark trace [W, up to
        the RBW's noise-bandwidth factor, which cancels in the activation]."""
        f, p_dbm = roles.spectrum_analyzer.read_trace()
        lin = 1e-3 * 10.0 ** (np.asarray(p_dbm) / 10.0) - self._dark
        df = float(f[1] - f[0])
        return np.array([np.sum(lin[(f >= lo) & (f < hi)]) * df / self._rbw for lo, hi in self._windows])

    def setup(self, roles: Roles, params: Mapping[str, Any]) -> None:
        net = self._net = load_rf_network(params["network"])
        n_in, n_hidden, n_out = _sizes(net)
        self._names = _roles(n_in, n_hidden, n_out)
        self._i_th = np.broadcast_to(np.asarray(net["i_th"], dtype=float), (n_hidden,))
        roles.field_x.set_field(float(net["field"]))
        for role, f in zip(self._names["inputs"], net["f_in"]):
            roles[role].disable()
            roles[role].set_frequency(float(f))
        for role in self._names["neurons"]:
            roles[role].source_current(0.0)
            roles[role].enable()
        if params["monitor"]:
            slots = np.asarray(net["f_hidden"], dtype=float)
            half = 0.5 * float(np.min(np.diff(slots))) if len(slots) > 1 else 50e6
            self._windows = [(f - half, f + half) for f in slots]
            self._rbw = params["rbw"]
            kwargs = {"averages": params["averages"]} if params["averages"] > 1 else {}
            roles.spectrum_analyzer.configure(float(slots.mean()), float(np.ptp(slots) + 2 * half), params["rbw"],
                                              params["points"], **kwargs)
            self._dark = 0.0
            f, p_dbm = roles.spectrum_analyzer.read_trace()
            self._dark = 1e-3 * 10.0 ** (np.asarray(p_dbm) / 10.0)
            act = np.atleast_2d(net["activation"])
            k_ref = int(np.argmax(act.max(axis=0)))
            self._z_ref, self._h_ref = float(net["zeta"][k_ref]), np.broadcast_to(act[:, k_ref], (n_hidden,))
            self._bias_neurons(roles, np.full(n_hidden, self._z_ref))
            self._ref = self._slot_powers(roles)
            self._bias_neurons(roles, np.zeros(n_hidden))

    @staticmethod
    def _emit(src: Any, base_dbm: float, level: float) -> None:
        """Tone at ``base_dbm + 10 log10(level)``, or output off for no power."""
        if level <= 1e-9:
            src.disable()
            return
        src.set_power_dbm(base_dbm + 10.0 * float(np.log10(level)))
        src.enable()

    def measure(self, roles: Roles, params: Mapping[str, Any], step: int) -> list[dict[str, Any]]:
        net, names = self._net, self._names
        x = net["inputs"][step]
        for role, xi in zip(names["inputs"], x):
            self._emit(roles[role], float(net["input_power_dbm"]), float(xi))
        v1 = np.array([roles[r].read_voltage() for r in names["chains_1"]])
        zeta = float(net["gain"]) * v1 / float(net["volts_per_unit_1"]) + net["bias"]
        zeta = np.clip(zeta, net["zeta"][0], net["zeta"][-1])        # the neurons' drive range
        self._bias_neurons(roles, zeta)
        v2 = np.array([roles[r].read_voltage() for r in names["chains_2"]])
        nan = np.full(len(v1), np.nan)
        powers, h = nan, nan
        if params["monitor"]:
            powers = self._slot_powers(roles)
            h = np.maximum(powers / self._ref, 0.0) * self._h_ref
        out = float(net["out_gain"]) * v2 / float(net["volts_per_unit_2"])
        cls = int(np.argmax(out))
        rows = [{"sample": step, "layer": 1, "node": j, "voltage": float(v1[j]), "zeta": float(zeta[j]),
                 "activation": float(h[j]), "power": float(powers[j]), "predicted": cls} for j in range(len(v1))]
        rows += [{"sample": step, "layer": 2, "node": o, "voltage": float(v2[o]), "zeta": float("nan"),
                  "activation": float("nan"), "power": float("nan"), "predicted": cls} for o in range(len(v2))]
        return rows

    def teardown(self, roles: Roles) -> None:
        names = getattr(self, "_names", None) or {}
        for role in names.get("inputs", []):
            roles[role].disable()
        for role in names.get("neurons", []):
            roles[role].source_current(0.0)
            roles[role].disable()
