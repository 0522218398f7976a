"""Device presets (documented parameter sets) and the ``make_device`` factory.

``make_device(model, params)`` builds a :class:`~sim_backend.devices.DeviceModel`-compatible
object; ``params`` overrides any field of the preset's parameter dataclass (unknown keys are
refused). Unknown model names raise ``KeyError`` (``sim_backend.devices.make_device`` then
falls back to its spine models).

=================  =====================================  =========================================
model              class / parameters                     notes
=================  =====================================  =========================================
``sot_hallbar``    SotHallBar / SotHallBarParams          W/CoFeB/MgO PMA Hall cross, SOT + Hx
``spinloss``       SotHallBar / spinloss_params(a)        FM/AFI bilayer, ``absorption`` a in 0..1
``tilted_synapse`` GrainHallBar / GrainHallBarParams      field-free SOT, tilt as a bias (phenomenol.)
``pmtj``           PerpendicularMTJ / PmtjParams          CoFeB/MgO p-MTJ, STT, bias-dependent TMR
``grain_hallbar``  GrainHallBar / GrainHallBarParams      multi-domain Hall cross (analog states)
``synapse_*``      SynapseHallBar / SynapseParams         field-free multi-state synapses (physics/
                                                          synapse.py): ``synapse_tilted`` (tilt toward
                                                          the SOT's sigma: polarity and threshold from
                                                          the sLLG, thermal activation Neel-Brown),
                                                          ``synapse_orange_peel``
                                                          and ``synapse_idmi`` (real effective
                                                          in-plane fields from the stack)
``thermo_mtj``     ThermoMTJ / ThermoMtjParams            laser-heated MTJ, TMS + bias terms, spikes
``rf_mtj``         RfMtj / RfMtjParams (physics.rf_mtj)   in-plane MTJ: spin diode + STO
=================  =====================================  =========================================

Parameter sets without a device adapter yet: :class:`InPlaneMtjParams` (RF / spin-torque
diode) and :class:`VortexMtjParams` (vortex oscillator, thermoelectric work).

Key parameters (SI; see each dataclass for all):

* SotHallBarParams: ``ms`` 1.1e6 A/m, ``thickness`` 1.0 nm, ``b_k_eff`` 0.15 T, ``alpha`` 0.02,
  ``xi_dl`` -0.30 (W), ``xi_fl`` -0.10, ``delta_300`` 60, ``tau0`` from the device (Brown's
  prefactor: 0.44 ns at 300 K), ``n_sot`` 1,
  ``width`` 2 um, ``hm_thickness`` 5 nm, ``r_ahe`` 2 ohm, ``r_phe`` 0.2 ohm,
  ``r_offset`` 0.05 ohm, ``r_xx`` 1200 ohm, ``r_channel`` 1500 ohm, ``llg_max_pulse`` 5 ns.
* spinloss: as above with the current in the 1.5 nm FM itself and
  ``xi_dl(a) = xi_0 (1 + (sqrt(3) - 1) a)``: at a = 1 the critical current is sqrt(3) lower,
  the switching energy I^2 R t three times lower (Han et al., Nat. Commun. 16 (2025),
  "Magnetization switching driven by magnonic spin dissipation"; KIST press release
  2025-08-25: "up to three times" the energy efficiency; the linear form in a is ours).
* PmtjParams: diameter 40 nm, ``thickness`` 1.3 nm, ``ms`` 1.1e6 A/m, ``b_k_eff`` 0.30 T
  (Delta ~ 65 at 300 K), ``alpha`` 0.02, ``eta`` 0.6, ``stt_lambda`` 0.2, TMR0 120 %,
  ``v_half`` 0.5 V, RA 10 ohm um^2 (R_P ~ 8 kohm), ``v_breakdown`` 1.2 V (Ikeda et al.,
  Nat. Mater. 9, 721 (2010): I_c0 ~ 50 uA, Delta ~ 40-60, TMR ~ 120 %).
* GrainHallBarParams: 200 grains, mean Delta 45, spreads 20 % (barrier), 10 % (B_K, J_c),
  30 % (size), ``tilt_deg`` 0 (``tilted_synapse``: 15 deg, no field needed).
"""

from __future__ import annotations

from dataclasses import fields, replace

from .params import (GrainHallBarParams, InPlaneMtjParams, PmtjParams,  # noqa: F401  (re-exported)
                     SotHallBarParams, VortexMtjParams, spinloss_params)


def _apply(cls_params, overrides: dict):
    known = {f.name for f in fields(cls_params)}
    bad = set(overrides) - known
    if bad:
        raise ValueError(f"unknown parameter(s) {sorted(bad)} for {type(cls_params).__name__}; "
                         f"known: {sorted(known)} (meanings and defaults: docs/devices.md)")
    return replace(cls_params, **overrides)


def _sot_hallbar(params: dict):
    from .adapters import SotHallBar
    return SotHallBar(_apply(SotHallBarParams(), params))


def _spinloss(params: dict):
    from .adapters import SotHallBar
    params = dict(params)
    a = float(params.pop("absorption", 0.5))
    known = {f.name for f in fields(SotHallBarParams)}
    bad = set(params) - known
    if bad:
        raise ValueError(f"unknown parameter(s) {sorted(bad)} for spinloss")
    return SotHallBar(spinloss_params(a, **params))


def _pmtj(params: dict):
    from .adapters import PerpendicularMTJ
    return PerpendicularMTJ(_apply(PmtjParams(), params))


def _grain_hallbar(params: dict):
    from .adapters import GrainHallBar
    return GrainHallBar(_apply(GrainHallBarParams(), params))


def _thermo_mtj(params: dict):
    from .thermo_mtj import ThermoMTJ, ThermoMtjParams
    return ThermoMTJ(_apply(ThermoMtjParams(), params))


def _tilted_synapse(params: dict):
    from .adapters import GrainHallBar
    return GrainHallBar(_apply(GrainHallBarParams(tilt_deg=15.0), params))


def _synapse(preset: str):
    def factory(params: dict):
        from .synapse import make_synapse
        return make_synapse(preset, params)
    return factory


#: model name -> factory(params) (read by sim_backend.devices.make_device)
PRESETS = {
    "synapse_tilted": _synapse("synapse_tilted"),
    "synapse_orange_peel": _synapse("synapse_orange_peel"),
    "synapse_idmi": _synapse("synapse_idmi"),
    "sot_hallbar": _sot_hallbar,
    "spinloss": _spinloss,
    "pmtj": _pmtj,
    "grain_hallbar": _grain_hallbar,
    "tilted_synapse": _tilted_synapse,
    "thermo_mtj": _thermo_mtj,
}


def _rf_mtj(params: dict):
    from .rf_mtj import RfMtj, RfMtjParams
    params = dict(params)
    if "demag_factors" in params:
        params["demag_factors"] = tuple(params["demag_factors"])
    return RfMtj(_apply(RfMtjParams(), params))


PRESETS["rf_mtj"] = _rf_mtj


def make_device(model: str, params: dict | None = None):
    """Build a device model by preset name; ``params`` override the preset's fields.

    Raises
    ------
    KeyError
        ``model`` is not a preset name.
    ValueError
        A parameter name is unknown or a value is out of range.
    """
    if model not in PRESETS:
        raise KeyError(model)
    return PRESETS[model](dict(params or {}))
