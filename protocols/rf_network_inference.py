"""Inference of a trained RF spintronic network through the instruments of an ``rf-network`` bench.

The network file (``.npz`` of ``analysis.rf_network_device.save_network``) holds the frequency
plan, the neuron law and the trained gains, biases and test inputs; the bench's junctions hold
the trained resonances (``sim_backend.rf_network_bench``).  One runner step is one test input:

1. input tone k of value x is switched on at ``input_power_dbm + 10 log10 x`` (off for x = 0);
2. each first-layer chain's DC voltage V1_j is read (2182A across the chain);
3. neuron j is biased at ``I = zeta_j I_th``, ``zeta_j = gain V1_j / volts_per_unit_1 + bias_j``
   held within the neuron's drive range (the network file's zeta grid, as in the offline model);
   its emitted power is the analyzer trace integrated over the span, less the trace with every
   neuron unbiased, divided by the same for the neuron at its reference supercriticality
   (measured in ``setup``): the activation h_j; then the neuron is unbiased again (one at a
   time: their lines overlap in frequency);
4. the hidden RF source j re-emits h_j at ``hidden_power_dbm + 10 log10 h_j`` in its frequency
   slot, and each output chain's voltage V2_o is read; the class is the largest
   ``out_gain V2_o / volts_per_unit_2``.

Rows: one per hidden node (layer 1: V1, zeta, h, integrated power) and per output (layer 2: V2),
with the sample's predicted class on each.
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
         "hidden_power_dbm", "volts_per_unit_1", "volts_per_unit_2", "inputs", "field", "resonance_2")


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
            "neurons": [f"source_meter_n_{j}" for j in range(n_hidden)], "hidden": [f"rf_source_hidden_{j}" for j in range(n_hidden)],
            "chains_2": [f"voltmeter_c2_{o}" for o in range(n_out)]}


def _sizes(net: Mapping[str, np.ndarray]) -> tuple[int, int, int]:
    return len(net["f_in"]), len(net["f_hidden"]), int(net["resonance_2"].shape[0])


class RfNetworkInference(MeasurementProtocol):
    """A trained two-layer RF network evaluated on the bench's junctions, one input per step."""

    name = "rf-network-inference"
    description = ("RF spintronic network inference through the bench: input tones -> synapse chains "
                   "(2182A) -> oscillator neurons (2450 bias, analyzer power) -> re-emitted tones -> output chains")
    roles = {"spectrum_analyzer": SpectrumAnalyzer, "field_x": FieldController,
             **{f"rf_source_in_{i}": optional(RFSource) for i in range(MAX_INPUTS)},
             **{f"voltmeter_c1_{j}": optional(Voltmeter) for j in range(MAX_HIDDEN)},
             **{f"source_meter_n_{j}": optional(SourceMeter) for j in range(MAX_HIDDEN)},
             **{f"rf_source_hidden_{j}": optional(RFSource) for j in range(MAX_HIDDEN)},
             **{f"voltmeter_c2_{o}": optional(Voltmeter) for o in range(MAX_OUTPUTS)}}
    params = (
        Param("network", "", str, doc="path of the trained network file (.npz, save_network)"),
        Param("samples", "", int, default=1, bounds=(1, 100_000), doc="first N test inputs of the file"),
        Param("start", "Hz", default=0.1e9, bounds=(1e6, 26e9), doc="analyzer start frequency (neuron power)"),
        Param("stop", "Hz", default=9.0e9, bounds=(1e6, 26.5e9), doc="analyzer stop frequency"),
        Param("rbw", "Hz", default=3e6, bounds=(1.0, 8e6), doc="analyzer resolution bandwidth"),
        Param("points", "", int, default=1001, bounds=(101, 40001), doc="trace points"),
        Param("averages", "", int, default=4, bounds=(1, 10000), doc="RMS-averaged sweeps per trace"),
    )
    columns = (
        Column("sample", "", "i8", doc="test input index"),
        Column("layer", "", "i8", doc="1: hidden neuron, 2: output chain"),
        Column("node", "", "i8", doc="neuron j or output o"),
        Column("voltage", "V", doc="DC voltage of the node's synapse chain"),
        Column("zeta", "", doc="neuron supercriticality I/I_th applied (layer 1)"),
        Column("activation", "", doc="neuron emitted power / its reference (layer 1)"),
        Column("power", "W", doc="neuron power integrated over the span, less the unbiased trace (layer 1)"),
        Column("predicted", "", "i8", doc="class of the sample (largest output)"),
    )

    def check(self, params: Mapping[str, Any], bench: Any) -> None:
        net = load_rf_network(params["network"])
        n_in, n_hidden, n_out = _sizes(net)
        if n_in > MAX_INPUTS or n_hidden > MAX_HIDDEN or n_out > MAX_OUTPUTS:
            raise CheckError(f"network {n_in}-{n_hidden}-{n_out}: at most {MAX_INPUTS}-{MAX_HIDDEN}-{MAX_OUTPUTS}")
        if params["samples"] > len(net["inputs"]):
            raise CheckError(f"samples = {params['samples']} but the file holds {len(net['inputs'])} inputs")
        if params["stop"] <= params["start"]:
            raise CheckError("stop must be above start")
        missing = [r for kind in _roles(n_in, n_hidden, n_out).values() for r in kind if r not in bench.roles]
        if missing:
            raise CheckError(f"network {n_in}-{n_hidden}-{n_out} needs roles the bench lacks: {', '.join(missing)}")
        top = {"rf_source_in": float(net["input_power_dbm"]), "rf_source_hidden": float(net["hidden_power_dbm"])}
        for prefix, freqs in (("rf_source_in", net["f_in"]), ("rf_source_hidden", net["f_hidden"])):
            for k, f in enumerate(freqs):
                caps = bench.capabilities(f"{prefix}_{k}", RFSource)
                if isinstance(caps, RFSourceCapabilities):
                    caps.frequency.require(float(f), f"{prefix}_{k} frequency", caps.about("frequency"))
                    caps.power_dbm.require(top[prefix], f"{prefix}_{k} power", caps.about("power"))
        i_max = float(net["zeta"].max() * net["i_th"])
        for j in range(n_hidden):
            self.require_within_limit(bench, f"source_meter_n_{j}", "max_current", i_max, "neuron current (zeta max x I_th)")
        self.require_within_limit(bench, "field_x", "max_field", float(net["field"]), "network field")

    def steps(self, params: Mapping[str, Any]) -> list[int]:
        return list(range(params["samples"]))

    # ------------------------------------------------------------------ neurons
    def _power(self, roles: Roles, params: Mapping[str, Any]) -> float:
        """Integrated trace power over the span less the dark trace [W, up to the RBW's noise
        bandwidth factor, which cancels in the activation ratio]."""
        f, p_dbm = roles.spectrum_analyzer.read_trace()
        lin = 1e-3 * 10.0 ** (np.asarray(p_dbm) / 10.0)
        return float(np.sum(lin - self._dark) * (f[1] - f[0]) / params["rbw"])

    def _neuron_power(self, roles: Roles, params: Mapping[str, Any], j: int, zeta: float) -> float:
        smu = roles[f"source_meter_n_{j}"]
        smu.source_current(float(zeta * self._net["i_th"]))
        power = self._power(roles, params)
        smu.source_current(0.0)
        return power

    def setup(self, roles: Roles, params: Mapping[str, Any]) -> None:
        net = self._net = load_rf_network(params["network"])
        n_in, n_hidden, n_out = _sizes(net)
        self._names = _roles(n_in, n_hidden, n_out)
        roles.field_x.set_field(float(net["field"]))
        span = params["stop"] - params["start"]
        kwargs = {"averages": params["averages"]} if params["averages"] > 1 else {}
        roles.spectrum_analyzer.configure(params["start"] + span / 2, span, params["rbw"], params["points"], **kwargs)
        for kind, freqs in (("inputs", net["f_in"]), ("hidden", net["f_hidden"])):
            for role, f in zip(self._names[kind], freqs):
                roles[role].disable()
                roles[role].set_frequency(float(f))
        for role in self._names["neurons"]:
            roles[role].source_current(0.0)
            roles[role].enable()
        self._dark = 0.0
        f, p_dbm = roles.spectrum_analyzer.read_trace()
        self._dark = 1e-3 * 10.0 ** (np.asarray(p_dbm) / 10.0)
        z_ref = float(net["zeta"][int(np.argmax(net["activation"]))])
        self._ref = [self._neuron_power(roles, params, j, z_ref) for j in range(n_hidden)]

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
        zeta = np.clip(zeta, net["zeta"][0], net["zeta"][-1])        # the neuron's drive range
        powers = np.array([self._neuron_power(roles, params, j, float(z)) for j, z in enumerate(zeta)])
        h = np.maximum(powers / np.asarray(self._ref), 0.0)
        for role, hj in zip(names["hidden"], h):
            self._emit(roles[role], float(net["hidden_power_dbm"]), float(hj))
        v2 = np.array([roles[r].read_voltage() for r in names["chains_2"]])
        out = float(net["out_gain"]) * v2 / float(net["volts_per_unit_2"])
        cls = int(np.argmax(out))
        rows = [{"sample": step, "layer": 1, "node": j, "voltage": float(v1[j]), "zeta": float(zeta[j]),
                 "activation": float(h[j]), "power": float(powers[j]), "predicted": cls} for j in range(len(v1))]
        rows += [{"sample": step, "layer": 2, "node": o, "voltage": float(v2[o]), "zeta": float("nan"),
                  "activation": float("nan"), "power": float("nan"), "predicted": cls} for o in range(len(v2))]
        return rows

    def teardown(self, roles: Roles) -> None:
        names = getattr(self, "_names", None) or {}
        for role in names.get("inputs", []) + names.get("hidden", []):
            roles[role].disable()
        for role in names.get("neurons", []):
            roles[role].source_current(0.0)
            roles[role].disable()
