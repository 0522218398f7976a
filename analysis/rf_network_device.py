"""The offline RF network (:mod:`.rf_network`) in the units of a real junction, and its export as
a network file that the ``rf-network`` bench and the ``rf-network-inference`` protocol use.

Calibration (:func:`device_units`) takes the junction's laws at the bench field from the
``rf_mtj`` preset (or its parameters), or (:func:`units_from_runs`) from measured spectra (a
``spin-diode-map`` and an ``emission-spectra`` run file): the spin-diode line of one junction (V_S, V_A, f0, HWHM,
fitted with :func:`.spin_diode.fit_lineshape` on the device's rectified voltage, as on a measured
spectrum) and the neuron's emitted power vs supercriticality ``zeta = I / I_th`` (the
auto-oscillator law). The network then lives in these units:

* one unit of chain voltage is the symmetric amplitude ``V_S`` of one junction at the reference
  width fed with the input unit power (``input_power_dbm``): ``V [V] = volts_per_unit v``;
  ``V_S w`` does not depend on the damping, so a junction whose damping is ``1 + d`` times the
  reference has the width ``w (1 + d)`` and the amplitude ``1/(1 + d)`` of the offline layer;
* the neurons (:func:`place_neurons`) are junctions of their own stack (:data:`NEURON_PARAMS`),
  each in the local field that puts its auto-oscillation on its hidden-layer slot; a neuron's
  activation is its emitted power in its slot over the neurons' largest, and its RF output
  reaches the output chains through an amplifier (``hidden_gain_db``) that brings the largest
  to ``hidden_power_dbm``.

The network file (``.npz``, :func:`save_network`) holds the frequency plan, every junction's
resonance, polarity and damping deviation, the neuron law, the trained gains and biases, the
test inputs and the offline model's predictions, so that the bench (``sim_backend.rf_network_bench``)
and the inference protocol need no import of this module.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spinbench.analysis.registry import register
from spinbench.analysis.rf_network import RFNetwork
from spinbench.analysis.spin_diode import fit_lineshape
from spinbench.analysis.strict_json import write_summary
from spinbench.sim_backend.physics import rf

__all__ = ["DeviceUnits", "Neurons", "NEURON_PARAMS", "place_neurons", "neurons_from_runs", "device_units",
           "units_from_runs",
           "device_network", "save_network", "bench_agreement"]


@dataclass(frozen=True)
class DeviceUnits:
    """The junction's laws the network is trained in (see the module docstring)."""

    field: float              #: bench field along the easy axis [T]
    f_ref: float              #: resonance at ``field`` [Hz]
    width: float              #: HWHM at ``field`` [Hz]
    antisym: float            #: V_A / V_S
    volts_per_watt: float     #: V_S per W of available RF power at the junction [V/W]
    i_th: float               #: neuron threshold current [A]
    zeta: np.ndarray          #: neuron supercriticality grid
    activation: np.ndarray    #: neuron emitted power / its largest value on the grid
    peak_power: float         #: the neuron's largest emitted power on the grid [W]
    params: dict              #: the rf_mtj parameters (preset overrides)


def device_units(field: float = 0.05, params: dict | None = None, *, zeta_max: float = 2.0,
                 zeta_points: int = 41, temperature: float = 300.0) -> DeviceUnits:
    """Calibrate the network units on the ``rf_mtj`` junction with ``params`` at ``field``."""
    from spinbench.sim_backend.physics.presets import make_device

    dev = make_device("rf_mtj", dict(params or {}))
    b = np.array([field, 0.0, 0.0])
    f0, w = float(dev.kittel_frequency(field)), float(dev.linewidth(field))
    f = np.linspace(f0 - 8 * w, f0 + 8 * w, 321)
    p_dbm = -30.0
    line = fit_lineshape(f, dev.rectified_voltage(f, p_dbm, b))
    law = dev.oscillator(b, temperature)
    zeta = np.linspace(0.0, zeta_max, zeta_points)
    power = np.array([dev.oscillation(b, z * law.threshold, temperature)["power"] if z > 0 else 0.0
                      for z in zeta])
    return DeviceUnits(field=field, f_ref=line.f0, width=line.width, antisym=line.v_a / line.v_s,
                       volts_per_watt=line.v_s / float(rf.dbm_to_watts(p_dbm)), i_th=law.threshold,
                       zeta=zeta, activation=power / power.max(), peak_power=float(power.max()),
                       params=dict(params or {}))


def units_from_runs(spin_diode_run: str | Path, emission_run: str | Path, field: float, *,
                    line_loss_db: float = 0.0) -> DeviceUnits:
    """The network units from measured spectra instead of the preset: a ``spin-diode-map`` run
    (the line at the field nearest ``field``: f0, HWHM, V_A/V_S and V_S per watt) and an
    ``emission-spectra`` run at that field (the threshold from the I^2/P extrapolation, the
    emitted power per current as the neuron table).

    The lock-in X of the map is converted to the DC rectified voltage by the reference's
    Fourier coefficient: ``pi / sqrt 2`` for the 50 % pulse (fundamental of the on/off square
    wave), ``sqrt 2 / (2 m)`` for sine AM of depth m (fundamental of ``(1 + m sin)^2``).
    ``line_loss_db``: cable and bias-tee loss from the source to the junction.
    """
    from spinbench.analysis.spin_diode import fit_map
    from spinbench.analysis.sto import fit_line, fit_oscillator, spectrum_columns
    from spinbench.protocols.runstore import RunReader

    with RunReader(spin_diode_run) as reader:
        p = reader.params
        cols = {c: reader.column(c) for c in ("bias", "field", "frequency", "x")}
    lines, _ = fit_map(cols["bias"], cols["field"], cols["frequency"], cols["x"])
    lines = [ln for ln in lines if ln.bias == 0.0] or lines
    line = min(lines, key=lambda ln: abs(ln.field - field))
    if p.get("modulation", "pulse") == "am":
        to_dc = math.sqrt(2) / (2 * float(p["am_depth"]))
    else:
        to_dc = math.pi / math.sqrt(2)
    watts = float(rf.dbm_to_watts(float(p["power_dbm"]) - line_loss_db))
    with RunReader(emission_run) as reader:
        c = spectrum_columns(reader)
    at = np.isclose(c["field"], c["field"][np.argmin(np.abs(c["field"] - field))])
    fits = []
    for i in np.unique(c["current"][at]):
        sel = at & np.isclose(c["current"], i)
        fits.append(fit_line(c["frequency"][sel], c["power"][sel], float(c["rbw"][sel][0]), field, float(i)))
    osc = fit_oscillator(fits)
    i_th = osc.threshold_inverse_power
    zeta = np.concatenate([[0.0], np.asarray(osc.currents) / i_th])
    power = np.concatenate([[0.0], np.asarray(osc.powers)])
    return DeviceUnits(field=field, f_ref=line.f0, width=line.width, antisym=line.v_a / line.v_s,
                       volts_per_watt=line.v_s * to_dc / watts, i_th=i_th, zeta=zeta,
                       activation=power / power.max(), peak_power=float(power.max()), params={})


#: the neuron junction: the rf_mtj stack with a near-compensated free layer (B_perp = 1.1 T,
#: mu0 M_eff = 0.05 T). In a local field of 0.2-0.3 T it jumps, at its threshold, onto a large
#: orbit whose frequency hardly moves with the current (~ 10 MHz over the drive range, against
#: the synapses' ~ 85 MHz linewidth at 50 mT), so each neuron stays in its frequency slot while
#: its power (I dR_1)^2/2 Z0/(R + Z0)^2 grows with the current: the activation
NEURON_PARAMS = {"b_perp": 1.1}

#: the supercriticality at which a neuron's line is placed on its slot
ZETA_REF = 1.5

_PLACED: dict = {}


@dataclass(frozen=True)
class Neurons:
    """Oscillator neurons placed on the hidden layer's frequency slots (:func:`place_neurons`)."""

    slots: np.ndarray         #: (n,) slot frequencies [Hz]
    b_bias: np.ndarray        #: (n,) local field of each neuron's bias magnet, along +x [T]
    i_th: np.ndarray          #: (n,) threshold currents [A]
    zeta: np.ndarray          #: (Z,) supercriticality grid (the drive range)
    power: np.ndarray         #: (n, Z) emitted power into 50 ohm [W]
    frequency: np.ndarray     #: (n, Z) line centre [Hz]
    in_slot: np.ndarray       #: (n, Z) the power where the line is within ``width`` of the slot, else 0 [W]
    params: dict              #: the rf_mtj parameters of the neurons (without b_bias)


def place_neurons(slots, field: float, zeta, *, width: float, params: dict | None = None,
                  zeta_ref: float = ZETA_REF, temperature: float = 300.0) -> Neurons:
    """Neurons (``rf_mtj`` junctions with ``params``, default :data:`NEURON_PARAMS`) whose
    auto-oscillation at ``zeta_ref`` sits on each slot: the local field ``b_bias`` (added to the
    bench's ``field``) from the device's own oscillation frequency vs field (a table over
    0.12-0.5 T, then secant steps to within 0.1 MHz), and each neuron's power and frequency vs
    supercriticality on the grid ``zeta``. Below its jump a neuron's weak thermal line sits at
    its Kittel frequency, GHz above the slots: ``in_slot`` counts it as no power."""
    from spinbench.sim_backend.physics.presets import make_device

    params = dict(NEURON_PARAMS if params is None else params)
    slots, zeta = np.asarray(slots, dtype=float), np.asarray(zeta, dtype=float)
    key = (json.dumps(params, sort_keys=True), slots.tobytes(), float(field), zeta.tobytes(), float(width),
           float(zeta_ref), float(temperature))
    hit = _PLACED.get(key)
    if hit is not None:
        return hit
    dev = make_device("rf_mtj", params)

    def state(b_total: float, z: float) -> dict:
        b = np.array([b_total, 0.0, 0.0])
        return dev.oscillation(b, z * dev.oscillator(b, temperature).threshold, temperature)

    grid = np.linspace(0.12, 0.5, 9)
    f_grid = np.array([state(b, zeta_ref)["frequency"] for b in grid])
    if np.any(np.diff(f_grid) <= 0) or slots.min() < f_grid[0] or slots.max() > f_grid[-1]:
        raise ValueError(f"neuron slots {slots.min() / 1e9:.3f}-{slots.max() / 1e9:.3f} GHz: the neurons "
                         f"reach {f_grid[0] / 1e9:.3f}-{f_grid[-1] / 1e9:.3f} GHz (local field 0.12-0.5 T)")
    b_bias, i_th = np.empty(len(slots)), np.empty(len(slots))
    power, freq = np.empty((len(slots), len(zeta))), np.empty((len(slots), len(zeta)))
    for j, target in enumerate(slots):
        b0 = float(np.interp(target, f_grid, grid))
        b1 = b0 + 1e-3
        f0, f1 = state(b0, zeta_ref)["frequency"], state(b1, zeta_ref)["frequency"]
        for _ in range(6):
            if abs(f1 - target) < 1e5:
                break
            b0, f0, b1 = b1, f1, b1 + (target - f1) * (b1 - b0) / (f1 - f0)
            f1 = state(b1, zeta_ref)["frequency"]
        b = np.array([b1, 0.0, 0.0])
        i_th[j] = dev.oscillator(b, temperature).threshold
        for k, z in enumerate(zeta):
            o = state(b1, z) if z > 0 else {"power": 0.0, "frequency": target}
            power[j, k], freq[j, k] = o["power"], o["frequency"]
        b_bias[j] = b1 - field
    in_slot = np.where(np.abs(freq - slots[:, None]) <= width, power, 0.0)
    hit = _PLACED[key] = Neurons(slots=slots, b_bias=b_bias, i_th=i_th, zeta=zeta, power=power, frequency=freq,
                                 in_slot=in_slot, params=params)
    return hit


def neurons_from_runs(runs, zeta_max: float = 2.0, zeta_points: int = 41, *, width: float,
                      min_excess_db: float = 10.0) -> Neurons:
    """Neurons measured instead of placed: one ``emission-spectra`` run per neuron (``spinbench
    run emission-spectra --bench rf-network --device n_j``: currents from 0 up through its
    onset, the analyzer around its slot). Per current the trace's line is fitted
    (:func:`.sto.fit_line`) where it stands ``min_excess_db`` over the trace's median; the
    neuron's slot is its line at the largest current, its power table the fitted power where
    the line is within ``width`` of the slot (else 0), and its current scale ``i_th`` the
    smallest current with a line there (its onset: the network's zeta = I / i_th). ``b_bias``
    is unknown (NaN): the bench holds the neurons (``write_bench(..., neurons_from=BENCH)``)."""
    from spinbench.analysis.sto import fit_line, spectrum_columns
    from spinbench.protocols.runstore import RunReader

    zeta = np.linspace(0.0, zeta_max, zeta_points)
    slots, i_th, tables, freqs = [], [], [], []
    for run in runs:
        with RunReader(run) as reader:
            c = spectrum_columns(reader)
        currents = np.unique(c["current"])
        lines = []
        for i in currents:
            sel = np.isclose(c["current"], i)
            p = c["power"][sel]
            if i <= 0 or float(np.max(p) - np.median(p)) < min_excess_db:
                lines.append(None)
                continue
            try:
                lines.append(fit_line(c["frequency"][sel], p, float(c["rbw"][sel][0]), float(c["field"][sel][0]),
                                      float(i)))
            except RuntimeError:        # the Lorentzian fit did not converge: no line counted
                lines.append(None)
        found = [ln for ln in lines if ln is not None]
        if not found:
            raise ValueError(f"{run}: no line {min_excess_db:g} dB over the trace at any current")
        slot = found[-1].frequency
        power = np.array([ln.power if ln is not None and abs(ln.frequency - slot) <= width else 0.0
                          for ln in lines])
        onset = float(currents[np.argmax(power > 0)])
        slots.append(slot)
        i_th.append(onset)
        tables.append(np.interp(zeta * onset, currents, power, right=power[-1]))
        freqs.append(np.full(len(zeta), slot))
    power = np.array(tables)
    return Neurons(slots=np.array(slots), b_bias=np.full(len(slots), np.nan), i_th=np.array(i_th), zeta=zeta,
                   power=power, frequency=np.array(freqs), in_slot=power.copy(), params={})


def device_network(units: DeviceUnits, n_in: int, n_hidden: int, n_out: int, *,
                   spacing_widths: float = 4.5, range_widths: float = 2.5, variability: float = 0.03,
                   seed: int = 0, neurons: Neurons | None = None, **kwargs) -> RFNetwork:
    """An :class:`RFNetwork` whose frequency plan is centred on the junction's resonance: tones
    ``spacing_widths`` linewidths apart, resonances tunable by ``range_widths`` linewidths, the
    junction's lineshape (width, V_A/V_S) and the neuron's measured activation."""
    spacing = spacing_widths * units.width
    f0 = units.f_ref - spacing * (max(n_in, n_hidden) - 1) / 2
    net = RFNetwork(n_in, n_hidden, n_out, f0=f0, spacing=spacing, width=units.width,
                    tuning_range=range_widths * units.width, antisym=units.antisym,
                    variability=variability, crosstalk=max(n_in, n_hidden, 1) - 1,
                    activation=(units.zeta, units.activation), seed=seed, **kwargs)
    net.neurons = None
    if n_hidden:        # oscillator neurons on the hidden slots; each starts just below its jump
        if neurons is None:
            net.neurons = place_neurons(net.l2.f_in, units.field, units.zeta, width=units.width)
        else:           # measured neurons: their own lines are the hidden layer's slots
            if len(neurons.slots) != n_hidden:
                raise ValueError(f"{len(neurons.slots)} measured neurons for {n_hidden} hidden nodes")
            net.neurons = neurons
            net.l2.f_in = np.asarray(neurons.slots, dtype=float)
        net.activation = (net.neurons.zeta, net.neurons.in_slot / net.neurons.in_slot.max())
        net.gain[:] = 1.0
        on = net.neurons.zeta[np.argmax(net.neurons.in_slot > 0, axis=1)]
        net.bias[:] = on - 0.1
    return net


def save_network(path: str | Path, net: RFNetwork, units: DeviceUnits, inputs: np.ndarray,
                 labels: np.ndarray | None = None, *, input_power_dbm: float = -25.0,
                 hidden_power_dbm: float = -25.0) -> Path:
    """Write the network file of a trained two-layer ``net`` (see the module docstring).

    ``inputs`` (samples x n_in, 0..1) are the test inputs; their offline predictions are saved as
    ``predicted``. Input k of value x is an RF tone of ``input_power_dbm + 10 log10 x`` at the
    junctions; a neuron of activation h (its emitted power over the neurons' largest) reaches
    the output chains at ``hidden_power_dbm + 10 log10 h`` through an amplifier of
    ``hidden_gain_db`` (saved with the neurons' fields ``neuron_b_bias``, thresholds ``i_th``
    and power tables ``activation``).
    """
    if net.l1 is None:
        raise ValueError("save_network needs a two-layer network (n_hidden > 0)")
    inputs = np.asarray(inputs, dtype=float)
    if inputs.ndim != 2 or inputs.shape[1] != len(net.l1.f_in) or inputs.min() < 0 or inputs.max() > 1:
        raise ValueError(f"inputs must be (samples, {len(net.l1.f_in)}) in [0, 1]")
    w_in, w_hid = float(rf.dbm_to_watts(input_power_dbm)), float(rf.dbm_to_watts(hidden_power_dbm))
    neurons = net.neurons
    peak = float(neurons.in_slot.max())
    arrays = {
        "field": units.field, "width": units.width, "i_th": neurons.i_th,
        "neuron_b_bias": neurons.b_bias, "neuron_params": np.array(json.dumps(neurons.params, sort_keys=True)),
        "neuron_peak_power": peak, "hidden_gain_db": hidden_power_dbm - 10.0 * math.log10(peak / 1e-3),
        "f_in": net.l1.f_in, "f_hidden": net.l2.f_in,
        "resonance_1": net.l1.resonances(), "spread_1": net.l1.spread,
        "resonance_2": net.l2.resonances(), "spread_2": net.l2.spread,
        "polarity": net.l1.sign,
        "gain": net.gain[0], "bias": net.bias, "out_gain": net.out_gain[0],
        "zeta": net.activation[0], "activation": net.activation[1],
        "input_power_dbm": input_power_dbm, "hidden_power_dbm": hidden_power_dbm,
        "volts_per_unit_1": units.volts_per_watt * w_in, "volts_per_unit_2": units.volts_per_watt * w_hid,
        "inputs": inputs, "predicted": net.predict(inputs), "outputs": net.forward(inputs)[0],
        "device_params": np.array(json.dumps(units.params, sort_keys=True)),
    }
    if labels is not None:
        arrays["labels"] = np.asarray(labels)
    path = Path(path)
    np.savez(path, **arrays)
    return path


def bench_agreement(reader) -> dict:
    """Compare an ``rf-network-inference`` run with its network file: the bench's class per
    sample, the offline model's (saved in the file), their agreement and, when the file holds
    labels, both accuracies; with the offline outputs saved, the bench's outputs in the same
    units (``out_gain V2 / volts_per_unit_2``) and their largest difference."""
    network = Path(reader.params["network"])
    with np.load(network) as f:
        net = {k: f[k] for k in f.files}
    offline, labels = np.asarray(net["predicted"]), net.get("labels")
    sample, predicted = reader.column("sample"), reader.column("predicted")
    done = np.unique(sample)
    bench = np.array([int(predicted[sample == s][0]) for s in done], dtype=int)
    out = {"network": str(network), "samples": int(len(done)), "bench": bench.tolist(),
           "offline": offline[done].tolist(), "agreement": float(np.mean(bench == offline[done]))}
    if labels is not None:
        out.update(bench_accuracy=float(np.mean(bench == labels[done])),
                   offline_accuracy=float(np.mean(offline[done] == labels[done])))
    if "outputs" in net:
        layer, node, volts = reader.column("layer"), reader.column("node"), reader.column("voltage")
        n_out = net["outputs"].shape[1]
        bench_out = np.full((len(done), n_out), np.nan)
        for k, s in enumerate(done):
            sel = (sample == s) & (layer == 2)
            bench_out[k, node[sel].astype(int)] = volts[sel]
        bench_out *= float(net["out_gain"]) / float(net["volts_per_unit_2"])
        off = np.asarray(net["outputs"])[done]
        out.update(bench_outputs=bench_out.tolist(), offline_outputs=off.tolist(),
                   max_output_difference=float(np.nanmax(np.abs(bench_out - off))),
                   output_scale=float(np.max(np.abs(off))))
    return out


@register("rf-network-inference")
def analyze_run(reader, outdir: Path) -> list[Path]:
    """``<stem>_agreement.json`` (:func:`bench_agreement`) and, with the offline outputs in the
    network file, ``<stem>_outputs.png``: the bench's outputs against the offline model's."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    result = bench_agreement(reader)
    stem = Path(reader.path).stem
    path = outdir / f"{stem}_agreement.json"
    write_summary(path, result)
    files = [path]
    if "bench_outputs" in result:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        b, o = np.asarray(result["bench_outputs"]), np.asarray(result["offline_outputs"])
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
        for k in range(b.shape[1]):
            ax.plot(o[:, k], b[:, k], "o", ms=4, label=f"output {k}")
        lim = float(np.nanmax(np.abs(np.concatenate([b.ravel(), o.ravel()])))) * 1.05
        ax.plot([-lim, lim], [-lim, lim], "k--", lw=0.8)
        ax.set_xlabel("offline model output")
        ax.set_ylabel("bench output (out_gain V2 / V_unit)")
        ax.set_title(f"rf-network: {100 * result['agreement']:.0f} % of {result['samples']} classes agree")
        ax.legend(fontsize=7)
        fig_path = outdir / f"{stem}_outputs.png"
        fig.savefig(fig_path, dpi=120, bbox_inches="tight")
        plt.close(fig)
        files.append(fig_path)
    return files
