"""The ``rf-network`` simulated bench, written from a trained network file.

A two-layer RF spintronic network (Ross, Leroux et al., Nat. Nanotechnol. 18, 1273 (2023)) as a
chip of ``rf_mtj`` junctions on a netlist:

* input layer: one RF source per input tone on the line ``in_bus`` (every first-layer synapse
  sees every input tone); hidden neuron j reads the DC voltage of its synapse chain ``c1_j``:
  two junctions per input, in series, wired with opposite polarity, a 2182A across the chain;
* hidden neurons ``n_j``: junctions of their own stack (the file's ``neuron_params``), each in
  the local field ``neuron_b_bias`` that puts its auto-oscillation on its frequency slot,
  biased through a bias tee by their own 2450 (the DC current sets the supercriticality); their
  RF ports are combined on ``neurons`` into one spectrum analyzer (monitor) and, through an
  amplifier of ``hidden_gain_db``, feed the line ``hidden_bus`` (the line's ``emitters``): the
  oscillators' own output is the second layer's input;
* output layer: chains ``c2_o`` of two junctions per hidden neuron on ``hidden_bus``, a 2182A
  across each.

Each synapse's resonance is placed by a local bias field (``b_bias``: the field of the
junction's own bias magnet, the inverse Kittel law of its trained resonance at the bench field)
and its damping is ``alpha (1 + d) w_ref / w(B)``, so that its linewidth is the trained
``w_ref (1 + d)`` whatever field places it (the network file's ``spread``).

The bench file is plain data: ``write_bench(network_npz, out_yaml)`` needs only numpy and the
physics laws, no analysis code.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml

from .physics import rf
from .physics.rf_mtj import RfMtjParams

__all__ = ["write_bench", "role_names"]

#: RF source options: 1 MHz .. 12.75 GHz, -120 dBm (B26), pulse modulation
_SGS_OPTIONS = "SGS-B112,SGS-B26,SGS-K22"


def role_names(n_in: int, n_hidden: int, n_out: int) -> dict[str, list[str]]:
    """The bench's role names by kind (the protocol asks for the same)."""
    return {"inputs": [f"rf_source_in_{i}" for i in range(n_in)],
            "chains_1": [f"voltmeter_c1_{j}" for j in range(n_hidden)],
            "neurons": [f"source_meter_n_{j}" for j in range(n_hidden)],
            "chains_2": [f"voltmeter_c2_{o}" for o in range(n_out)]}


def _synapses(prefix: str, resonance: np.ndarray, spread: np.ndarray, polarity: np.ndarray,
              field: float, p: RfMtjParams, width_ref: float, base: dict) -> tuple[dict, dict]:
    """Devices and chain lines of one layer (resonance: (n_out, n_in, 2) Hz)."""
    devices, chains = {}, {}
    n_out, n_in, _ = resonance.shape
    for o in range(n_out):
        names = []
        for i in range(n_in):
            for k, tag in enumerate("pm"):
                b = float(rf.kittel_field_in_plane(resonance[o, i, k], p.b_k, p.mu0_m_eff, p.gamma))
                w_here = float(rf.fmr_linewidth(b, p.b_k, p.mu0_m_eff, p.alpha, p.gamma))
                alpha = p.alpha * (1.0 + float(spread[o, i, k])) * width_ref / w_here
                name = f"{prefix}_{o}_{i}{tag}"
                devices[name] = {"model": "rf_mtj", "params": {
                    **base, "b_bias": round(b - field, 9), "alpha": round(alpha, 9), "polarity": float(polarity[k])}}
                names.append(name)
        chains[o] = names
    return devices, chains


def write_bench(network: str | Path, path: str | Path, *, name: str = "rf-network", seed: int = 1,
                neurons_from: str | Path | None = None) -> Path:
    """Write the bench file of the trained network file ``network`` (``analysis.rf_network_device
    .save_network``) to ``path``; returns the path. ``neurons_from``: a bench file (or built-in
    name) whose neuron junctions ``n_j`` the new bench keeps, as they are (a network trained on
    neurons measured there, whose fields the network file does not know)."""
    with np.load(Path(network)) as f:
        net = {k: f[k] for k in f.files}
    params = json.loads(str(net["device_params"]))
    p = RfMtjParams(**params)
    field, width = float(net["field"]), float(net["width"])
    n_hidden, n_in = net["resonance_1"].shape[:2]
    n_out = net["resonance_2"].shape[0]
    names = role_names(n_in, n_hidden, n_out)
    dev1, chains1 = _synapses("s1", net["resonance_1"], net["spread_1"], net["polarity"], field, p, width, params)
    dev2, chains2 = _synapses("s2", net["resonance_2"], net["spread_2"], net["polarity"], field, p, width, params)
    if neurons_from is not None:
        from .benches import builtin_dir

        source = Path(neurons_from)
        if not source.is_file():
            source = builtin_dir() / f"{neurons_from}.yaml"
        kept = yaml.safe_load(source.read_text())["sim"]["devices"]
        neurons = {f"n_{j}": kept[f"n_{j}"] for j in range(n_hidden)}
    elif not np.all(np.isfinite(net["neuron_b_bias"])):
        raise ValueError(f"{network}: the neurons' fields are unknown (measured neurons): give neurons_from, "
                         f"the bench they were measured on")
    else:
        neuron_params = json.loads(str(net["neuron_params"]))
        neurons = {f"n_{j}": {"model": "rf_mtj", "params": {**neuron_params, "b_bias": round(float(b), 9)}}
                   for j, b in enumerate(net["neuron_b_bias"])}
    devices = {**dev1, **neurons, **dev2}
    lines = {"in_bus": {"devices": list(dev1)},
             "hidden_bus": {"devices": list(dev2), "emitters": {"devices": list(neurons), "port": "rf",
                                                                 "gain_db": round(float(net["hidden_gain_db"]), 6)}},
             "neurons": {"devices": list(neurons), "port": "rf"}}
    lines.update({f"c1_{j}": {"devices": chains1[j]} for j in range(n_hidden)})
    lines.update({f"c2_{o}": {"devices": chains2[o]} for o in range(n_out)})

    instruments, roles, sim_instr = {}, {}, {}
    top_dbm = float(net["input_power_dbm"])        # the input unit power (x <= 1)
    f_hi = float(net["f_in"].max())

    def rf_source(role: str, k: int, bus: str) -> None:
        addr = f"TCPIP0::192.168.1.{10 + k}::inst0::INSTR"
        instruments[role] = {"driver": "rohde_schwarz_sgs100a", "address": addr,
                             "limits": {"max_rf_power_dbm": top_dbm, "min_frequency": 1e6,
                                        "max_frequency": round(f_hi * 1.5, -6)}}
        sim_instr[addr] = {"model": "rohde_schwarz_sgs100a", "options": _SGS_OPTIONS,
                           "connect": {"rf_out": bus}}

    def voltmeter(role: str, k: int, line: str) -> None:
        addr = f"GPIB0::{10 + k}::INSTR"
        instruments[role] = {"driver": "keithley_2182a", "address": addr}
        sim_instr[addr] = {"model": "keithley_2182a", "connect": {"channel1": line}}

    for i, role in enumerate(names["inputs"]):
        rf_source(role, i, "in_bus")
    for j, role in enumerate(names["chains_1"]):
        voltmeter(role, j, f"c1_{j}")
    for o, role in enumerate(names["chains_2"]):
        voltmeter(role, n_hidden + o, f"c2_{o}")
    i_max = float(net["zeta"].max() * np.max(net["i_th"])) * 1.05
    for j, role in enumerate(names["neurons"]):
        addr = f"USB0::0x05E6::0x2450::0410{j:04d}::INSTR"
        # 1 mA through the AP junction (~490 ohm) stays below the 0.8 V MgO breakdown
        instruments[role] = {"driver": "keithley_2450", "address": addr,
                             "limits": {"max_current": round(max(i_max, 1e-4), 6), "compliance_voltage": 0.7}}
        sim_instr[addr] = {"model": "keithley_2450", "connect": {"output": f"n_{j}.junction", "sense": f"n_{j}.junction"}}
    instruments["analyzer"] = {"driver": "keysight_n9030b", "address": "TCPIP0::192.168.1.30::hislip0::INSTR"}
    sim_instr["TCPIP0::192.168.1.30::hislip0::INSTR"] = {"model": "keysight_n9030b", "connect": {"input": "neurons"}}
    instruments["magnet_x"] = {"driver": "kepco_bop", "address": "GPIB0::6::INSTR",
                               "options": {"tesla_per_amp": 0.05, "axis": "x", "ramp_step_time": 0.002,
                                           "poll_interval": 0.0},
                               "limits": {"max_field": 0.1, "max_ramp_rate": 1.0}}
    sim_instr["GPIB0::6::INSTR"] = {"model": "kepco_bop", "connect": {"output": "coil_x"}}
    for kind in names.values():
        roles.update({r: r for r in kind})
    roles.update(spectrum_analyzer="analyzer", field_x="magnet_x")
    spec = {
        "name": name,
        "description": (f"RF spintronic network {n_in}-{n_hidden}-{n_out} (Ross, Leroux et al. 2023): "
                        f"{len(dev1) + len(dev2)} rf_mtj synapses in series chains on RF lines, "
                        f"{n_hidden} oscillator neurons (2450 bias, N9030B monitor) feeding the output chains "
                        f"through a {float(net['hidden_gain_db']):.1f} dB amplifier, SGS100A input tones, 2182A per chain; "
                        f"network file {Path(network).name}"),
        "visa_library": "@spinbench",
        "instruments": instruments,
        "roles": roles,
        "sim": {"seed": seed, "clock": "virtual", "temperature": 300.0, "devices": devices, "lines": lines,
                "magnets": {"coil_x": {"axis": [1, 0, 0], "tesla_per_amp": 0.05, "inductance": 0.05,
                                       "resistance": 1.0}},
                "instruments": sim_instr},
    }
    path = Path(path)
    header = (f"# written by spinbench.sim_backend.rf_network_bench.write_bench from {Path(network).name};\n"
              f"# synapse resonances = the trained ones (b_bias: inverse Kittel at {field} T)\n")
    path.write_text(header + yaml.safe_dump(spec, sort_keys=False, width=120))
    return path
