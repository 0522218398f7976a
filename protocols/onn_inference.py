"""Optical-neural-network inference through the bench: one junction, time-multiplexed.

A trained network (:mod:`spinbench.analysis.optical_nn`, saved as ``.npz`` with ``currents``
(outputs x inputs+1, A), ``images`` (samples x inputs, 0..1) and the law it was trained on) is
evaluated on the bench's junction: for every sample, output k and lit pixel j (plus the always-lit
bias pixel) the junction is biased at ``I_kj``, the laser pulses at ``p_max x_j`` and the
laser-induced voltage is measured as in ``thermovoltage-map`` (plateau minus dark of one scope
record triggered on the laser).  The analysis sums the voltages per output (the series readout)
and compares the bench's outputs and class with the offline model's. ``network`` left empty
takes the ``.npz`` of the bench file's name beside it (``thermo-mtj.npz`` for the built-in bench).
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from spinbench.instruments.roles import CurrentSource, FieldController, PulsedLaser, TriggeredScope, Voltmeter
from spinbench.protocols.base import CheckError, Column, Param, Roles
from spinbench.protocols.thermovoltage import _LaserPulseProtocol, laser_checks

__all__ = ["OnnInference", "load_network"]


def load_network(path: str | Path) -> dict[str, np.ndarray]:
    """The ``.npz`` of a trained network (keys ``currents``, ``images``; optional ``labels``)."""
    try:
        with np.load(Path(path)) as f:
            net = {k: f[k] for k in f.files}
    except (OSError, ValueError) as exc:
        raise CheckError(f"network = {str(path)!r}: cannot read it as .npz ({exc})") from None
    for key in ("currents", "images"):
        if key not in net:
            raise CheckError(f"network = {str(path)!r} has no {key!r} array")
    if net["currents"].shape[1] != net["images"].shape[1] + 1:
        raise CheckError(f"network: currents {net['currents'].shape} do not fit images {net['images'].shape} "
                         f"(inputs + 1 bias column)")
    return net


class OnnInference(_LaserPulseProtocol):
    """Inference of a trained optical network on the bench's junction, one synapse per step."""

    name = "onn-inference"
    description = ("optical neural network inference through the bench: per sample, output and lit "
                   "pixel, bias I_kj + laser pulse p_max x_j, the laser-induced voltage (summed in analysis)")
    roles = {"laser": PulsedLaser, "scope": TriggeredScope, "current_source": CurrentSource,
             "voltmeter": Voltmeter, "field_x": FieldController}
    params = (
        Param("network", "", str, default="",
              doc="the trained network (.npz: currents, images); empty: the bench file's name with .npz"),
        Param("samples", "", int, default=1, bounds=(1, 100_000), doc="first N images of the file"),
        Param("state", "", str, default="AP", choices=("P", "AP"), doc="magnetic state the law was fitted in"),
        Param("p_max", "W", default=0.02, bounds=(0.0, 10.0), doc="laser power of a white pixel"),
        Param("pulse_period", "s", default=1e-3, bounds=(2e-6, 100.0), doc="laser pulse period"),
        Param("pulse_width", "s", default=300e-6, bounds=(1e-6, 100.0), doc="laser pulse width"),
        Param("pre_trigger", "s", default=50e-6, bounds=(0.0, 1.0), doc="record time before the laser edge"),
        Param("points", "", int, default=400, bounds=(100, 100_000), doc="samples per scope record"),
        Param("volts_per_div", "V", default=5e-3, bounds=(1e-3, 5.0), doc="scope scale around the dark level"),
        Param("plateau_fraction", "", default=0.2, bounds=(0.01, 1.0), doc="last fraction of the pulse averaged"),
        Param("scope_channel", "", int, default=1, bounds=(1, 4), doc="scope channel on the junction"),
        Param("state_field", "T", default=0.05, bounds=(0.0, 10.0), doc="field that writes P (+) / AP (-)"),
    )
    columns = (
        Column("sample", "", "i8", doc="image index"),
        Column("output", "", "i8", doc="output neuron k"),
        Column("pixel", "", "i8", doc="input j (the last one: the always-lit bias pixel)"),
        Column("bias", "A", doc="I_kj"),
        Column("power", "W", doc="p_max x_j"),
        Column("v_laser", "V", doc="laser-induced voltage of the synapse"),
    )

    def resolve_params(self, params: dict[str, Any], bench: Any) -> dict[str, Any]:
        """An empty ``network`` names the ``.npz`` beside the bench file, with its name (the
        built-in ``thermo-mtj`` bench ships the digits network of examples/optical_nn_digits.py)."""
        if not params["network"]:
            params = {**params, "network": self.beside_bench(bench, "network")}
        return params

    def check(self, params: Mapping[str, Any], bench: Any) -> None:
        net = load_network(params["network"])
        if params["samples"] > len(net["images"]):
            raise CheckError(f"samples = {params['samples']} but the file holds {len(net['images'])} images")
        top = float(np.abs(net["currents"]).max())
        self.require_within_limit(bench, "current_source", "max_current", top, "network currents")
        self.require_within_limit(bench, "field_x", "max_field", params["state_field"], "state_field")
        laser_checks(params, bench, [params["p_max"]])
        span = 2 * params["pre_trigger"] + params["pulse_width"]
        if span >= params["pulse_period"]:
            raise CheckError("pre_trigger + pulse_width + pre_trigger must fit in one pulse_period")
        scope = bench.capabilities("scope", TriggeredScope)
        scope.time_per_div.require(span / 10, "record span / 10")
        scope.volts_per_div.require(params["volts_per_div"], "volts_per_div")

    def steps(self, params: Mapping[str, Any]) -> list[tuple[int, int, int, float, float]]:
        net = load_network(params["network"])
        cur, imgs = net["currents"], net["images"][: params["samples"]]
        out = []
        for s, x in enumerate(imgs):
            xb = np.r_[x, 1.0]
            for k in range(cur.shape[0]):
                for j in np.nonzero(xb > 0)[0]:
                    out.append((s, k, int(j), float(cur[k, j]), float(params["p_max"] * xb[j])))
        return out

    def setup(self, roles: Roles, params: Mapping[str, Any]) -> None:
        self._laser_setup(roles, params, float(params["p_max"]))
        roles.scope.set_record_length(int(params["points"]))
        roles.scope.set_averaging(1)

    def measure(self, roles: Roles, params: Mapping[str, Any], step) -> dict[str, Any]:
        s, k, j, bias, power = step
        self._set_state(roles, params, params["state"])
        self._set_laser(roles, power)
        self._set_bias(roles, bias)
        v_dc = roles.voltmeter.read_voltage()
        span = 2 * params["pre_trigger"] + params["pulse_width"]
        tdiv = span / 10
        ch = params["scope_channel"]
        roles.scope.configure(ch, params["volts_per_div"], tdiv, 1.0, offset_V=v_dc, trigger_source="ext",
                              position_s=5 * tdiv - params["pre_trigger"])
        roles.scope.acquire((ch,))
        t, v = roles.scope.read_waveform(ch)
        width = params["pulse_width"]
        dark = float(v[t < 0].mean())
        on = v[(t >= (1 - params["plateau_fraction"]) * width) & (t < width)]
        return {"sample": s, "output": k, "pixel": j, "bias": bias, "power": power,
                "v_laser": float(on.mean()) - dark}

