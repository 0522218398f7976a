"""Macrospin physics of spinbench: pure functions and arrays (no VISA, no instruments).

Modules (one job each):

- :mod:`.constants` -- SI constants (fields are flux densities in tesla internally).
- :mod:`.waveforms` -- drive shapes: constant, trapezoidal pulse, sine, ramp, sum.
- :mod:`.llg` (with :mod:`.llg_system`, :mod:`.llg_integrate`) -- batched stochastic LLGS integrator (Heun/Stratonovich, Brown thermal field),
  arrays of shape (N, 3), O(N) memory; Zeeman, tilted uniaxial anisotropy, demag, SOT
  (damping- and field-like), Slonczewski STT with angular efficiency, interlayer exchange,
  Oersted and RF fields.
- :mod:`.analytic` -- closed-form laws: Kittel, Stoner–Wohlfarth, STT I_c0, Lee's SOT J_c,
  Sun's law and the thermal-cone precessional switching probability, Brown's times, Boltzmann.
- :mod:`.thermal` -- Néel–Brown activation, exact axial escape times (1-D Fokker–Planck),
  regime choice by pulse width, two-state Markov steps, SOT+field escape times of PMA magnets.
- :mod:`.readout` -- TMR (conductance form, bias dependence), AHE/PHE/SMR, Johnson, shot and
  1/f noise densities.
- :mod:`.grains` -- multi-domain (grain-ensemble) Hall bars with emergent cycle-to-cycle and
  device-to-device variation.
- :mod:`.params` -- the device parameter sets (frozen dataclasses).
- :mod:`.presets` -- the documented presets and ``make_device(model, params)``.
- :mod:`.adapters` -- ``SotHallBar``, ``PerpendicularMTJ``, ``GrainHallBar`` behind the
  ``sim_backend.devices.DeviceModel`` protocol.
- :mod:`.observe` -- a device's evolution over a schedule, observed at a port, one interval at
  a time (the definition batched schedules must equal).
"""
