"""Kepco BOP bipolar operational power supply (BOP 20-20M with the BIT 4886 digital card).

Command table in the order of the Kepco BOP operator manual's SCPI appendix (B): OUTPut,
[SOURce:]CURRent, [SOURce:]VOLTage, [SOURce:]FUNCtion:MODE, MEASure, STATus, SYSTem.

Behaviour taken from the manual (and from pymeasure's ``KepcoBOP3612``, which was written
against it):

* ``FUNCtion:MODE VOLT|CURR`` selects the main channel; ``FUNC:MODE?`` answers ``0`` (voltage)
  or ``1`` (current).
* In current mode ``CURR`` is the output current set-point and ``VOLT`` the voltage limit
  (compliance) of the complementary channel; in voltage mode the other way round.  A mode
  change sets the new main channel to 0 and its complementary limit to the rated maximum,
  so ``FUNC:MODE CURR;CURR 1;OUTP ON`` drives 1 A at up to the rated voltage.
* A set-point beyond the rating is refused with ``-222,"Data out of range"`` (manual B.17),
  never clipped.
* ``CURR?``/``VOLT?`` answer the programmed values; ``MEAS:CURR?``/``MEAS:VOLT?`` the output
  as it is: the coil current follows the set-point at the inductive slew limit
  ``dI/dt = (V_limit - I R)/L`` (manual 3.3, modelled by :class:`sim_backend.world.Coil`), so a
  field controller must poll ``MEAS:CURR?`` until it settles.
* ``OUTP OFF`` programs zero: the BOP is a four-quadrant supply and actively ramps the coil
  down (sinking its energy) instead of opening the circuit.

* ``DIAGnostic:TST?`` (BIT 4886 operator manual 4.3.3, "BOP test") programs the BOP in voltage
  mode to full-scale positive and then full-scale negative output, then checks the current
  limit in current mode at the rated current with a 1 V voltage limit, and answers 0 (pass) or
  the sum of the failed tests' bits (table 4-1).  A connected coil sees those outputs (the
  manual's caution: disconnect the load first); each step lasts ``SELF_TEST_STEP`` (assumed:
  the manual gives no duration), after which the previous settings are restored.
* Protection trip (:meth:`KepcoBOP.trip`, injected by the ``trip`` fault of
  :mod:`sim_backend.faults`): the BIT 4886 error logic set to turn the output off on a voltage
  protection error (KIT 219-0452 manual, table 5-1, ``DIAG:ERR:VOLT`` bits 6, 3, 2) -- the
  output goes off (the coil ramps down as after ``OUTP OFF``), error ``304,"Voltage above
  Protection limit"`` is queued (DDE in ``*ESR?``) and bit 0 (voltage error, assumed bit
  assignment) of the questionable condition register is set and latched in its event register,
  until ``OUTP ON`` (or ``*RST``) re-arms the output.
* ``model_name:`` (bench option) selects the rating: ``BOP 20-20M`` (default) or another model
  of :data:`RATINGS` (pymeasure's stock driver is written for the ``BOP 36-12M``).

Wiring: ``connect: {output: <coil name>}``.

Not emulated (commands of the BIT 4886 command summary that the emulator answers with -113):
``LIST:*`` (list mode), ``[SOUR:]VOLT/CURR:LIM``, ``:MODE``, ``:TRIG``, ``:PROT``,
``CAL:*``, ``MEM:*``, ``INIT``/``TRIG`` subsystems, ``STAT:OPER:ENAB/EVEN``, ``STAT:QUES:ENAB``,
``SYST:SET``, ``SYST:PASS:*``, ``SYST:KLOC``, ``*RCL``/``*SAV``.
"""
from __future__ import annotations

import math

from ..scpi import Args, Boolean, Choice, Cmd, Emulator, Numeric, ScpiError, system_error_commands

#: operation status condition bits (manual B, STATus:OPERation:CONDition?)
OPER_CV = 1 << 8   #: regulating voltage
OPER_CC = 1 << 10  #: regulating current
#: questionable register bit of a voltage protection error (assumed assignment, see above)
QUES_VE = 1 << 0
#: the BIT 4886 error of a voltage protection trip (KIT 219-0452 manual, table 5-1)
TRIP_ERROR = (304, "Voltage above Protection limit")


#: model -> (rated volts, rated amps) (BOP data sheets)
RATINGS: dict[str, tuple[float, float]] = {
    "BOP 20-20M": (20.0, 20.0), "BOP 36-12M": (36.0, 12.0), "BOP 50-8M": (50.0, 8.0),
    "BOP 100-4M": (100.0, 4.0), "BOP 20-10M": (20.0, 10.0), "BOP 36-6M": (36.0, 6.0),
}


class KepcoBOP(Emulator):
    """Kepco BOP (default the 20-20M: ±20 V, ±20 A), one coil."""

    IDN = "KEPCO,BOP 20-20M,E1234,1.82"
    ERROR_QUEUE_DEPTH = 16
    #: rated output (manual 1.2, model 20-20M)
    V_RATED = 20.0
    I_RATED = 20.0
    #: conversion time of a MEASure query on the BIT 4886 card (assumed, not in the manual)
    MEASURE_TIME = 2e-3
    #: read-back noise, fraction of rating (assumed: 16-bit read-back)
    READBACK_NOISE = 2e-5
    #: duration of each output step of the DIAG:TST? BOP test (s), assumed
    SELF_TEST_STEP = 0.5

    def __init__(self, world, address, config=None):
        model = str((config or {}).get("model_name", "BOP 20-20M")).upper()
        if model not in RATINGS:
            raise KeyError(f"kepco_bop: unknown model_name {model!r}; models: {', '.join(RATINGS)}")
        self.V_RATED, self.I_RATED = RATINGS[model]
        self.IDN = f"KEPCO,{model},E1234,1.82"
        super().__init__(world, address, config)
        self.coil = self.connect.get("output")
        if self.coil is None:
            raise KeyError("kepco_bop needs connect: {output: <coil name>}")
        self.world._coil(self.coil)  # fail early with the list of coils

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """``*RST``: voltage mode, 0 V, current limit at the rating, output off."""
        self.settings.update(mode="VOLTAGE", volt=0.0, curr=self.I_RATED, output=False, remote=False)
        self.tripped = False
        self.ques_event = 0
        if hasattr(self, "coil"):
            self._apply()

    def _apply(self) -> None:
        """Program the coil from the present settings."""
        s = self.settings
        if not s["output"]:
            self.world.set_coil_setpoint(self.coil, 0.0)
            return
        if s["mode"] == "CURRENT":
            self.world.set_coil_setpoint(self.coil, s["curr"], abs(s["volt"]))
        else:
            r = self.world.coils[self.coil].resistance
            amps = max(-abs(s["curr"]), min(abs(s["curr"]), s["volt"] / r))
            self.world.set_coil_setpoint(self.coil, amps, self.V_RATED)

    # ------------------------------------------------------------------ handlers
    def _set_output(self, args: Args) -> None:
        self.settings["output"] = args.one(Boolean())
        if self.settings["output"]:
            self.tripped = False                       # OUTP ON re-arms a tripped output
        self._apply()

    def trip(self) -> None:
        """The voltage protection fires: output off, error 304 queued, questionable bit set."""
        self.tripped = True
        self.settings["output"] = False
        self._apply()
        self.ques_event |= QUES_VE
        self.push_error(TRIP_ERROR[0])
        if self.errors and self.errors[-1][0] == TRIP_ERROR[0]:
            self.errors[-1] = TRIP_ERROR

    def _set_mode(self, args: Args) -> None:
        mode = args.one(Choice(("VOLTage", "CURRent")))
        if mode != self.settings["mode"]:
            self.settings["mode"] = mode
            if mode == "CURRENT":
                self.settings.update(curr=0.0, volt=self.V_RATED)
            else:
                self.settings.update(volt=0.0, curr=self.I_RATED)
            self._apply()

    def _measure_current(self, args: Args) -> str:
        args.none()
        self.world.advance(self.MEASURE_TIME)
        amps = self.world.coil_current(self.coil)
        amps += self.READBACK_NOISE * self.I_RATED * self.world.rng.standard_normal()
        return f"{amps:.5E}"

    def _measure_voltage(self, args: Args) -> str:
        args.none()
        self.world.advance(self.MEASURE_TIME)
        c = self.world.coils[self.coil]
        target = max(-c.voltage_limit / c.resistance, min(c.voltage_limit / c.resistance, c.setpoint))
        if c.current != target:  # slewing: the supply sits at its voltage limit (L dI/dt + I R)
            volts = math.copysign(c.voltage_limit, target - c.current)
        else:
            volts = self.world.coil_voltage(self.coil)
        volts += self.READBACK_NOISE * self.V_RATED * self.world.rng.standard_normal()
        return f"{volts:.5E}"

    def _oper_condition(self, args: Args) -> int:
        if not self.settings["output"]:
            return 0
        c = self.world.coils[self.coil]
        current_limited = abs(c.setpoint) * c.resistance <= c.voltage_limit
        if self.settings["mode"] == "CURRENT":
            return OPER_CC if current_limited else OPER_CV
        return OPER_CV

    def _self_test(self, args: Args) -> int:
        """``DIAG:TST?``: full-scale +V, -V (voltage mode), then rated current with a 1 V limit."""
        args.none()
        world, coil = self.world, self.coil
        r = world.coils[coil].resistance
        for volts in (self.V_RATED, -self.V_RATED):
            amps = max(-self.I_RATED, min(self.I_RATED, volts / r))
            world.set_coil_setpoint(coil, amps, self.V_RATED)
            world.advance(self.SELF_TEST_STEP)
        world.set_coil_setpoint(coil, self.I_RATED, 1.0)
        world.advance(self.SELF_TEST_STEP)
        self._apply()
        return 0

    def _ques_event(self, args: Args) -> int:
        value, self.ques_event = self.ques_event, 0
        return value

    def _set_remote(self, args: Args) -> None:
        self.settings["remote"] = args.optional(Boolean(), True)


def _level(key: str):
    """Set/query handlers of a programmed level, refused (-222) beyond the rating."""
    unit = "A" if key == "curr" else "V"

    def _ptype(dev: "KepcoBOP") -> Numeric:
        rated = dev.I_RATED if key == "curr" else dev.V_RATED
        return Numeric(-rated, rated, unit=unit)

    def _set(dev: "KepcoBOP", args: Args) -> None:
        dev.settings[key] = float(args.one(_ptype(dev)))
        dev._apply()

    def _query(dev: "KepcoBOP", args: Args) -> str:
        value = args.one(_ptype(dev)) if args.tokens else dev.settings[key]
        return f"{value:.4E}"

    return _set, _query


def _cmds() -> list[Cmd]:
    curr_set, curr_q = _level("curr")
    volt_set, volt_q = _level("volt")
    return [
        Cmd("OUTPut[:STATe]", set=KepcoBOP._set_output,
            query=lambda d, a: d.settings["output"], doc="B.13/B.14 output on/off (0|1)"),
        Cmd("[SOURce:]CURRent[:LEVel][:IMMediate][:AMPlitude]", set=curr_set, query=curr_q,
            doc="B.17/B.18 current set-point (current mode) or limit (voltage mode); -222 beyond the rating"),
        Cmd("[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPlitude]", set=volt_set, query=volt_q,
            doc="voltage set-point (voltage mode) or limit (current mode); -222 beyond the rating"),
        Cmd("[SOURce:]FUNCtion:MODE", set=KepcoBOP._set_mode,
            query=lambda d, a: 1 if d.settings["mode"] == "CURRENT" else 0,
            doc="VOLT|CURR; query answers 0 (voltage) or 1 (current)"),
        Cmd("MEASure[:SCALar]:CURRent[:DC]", query=KepcoBOP._measure_current, doc="actual output current"),
        Cmd("MEASure[:SCALar]:VOLTage[:DC]", query=KepcoBOP._measure_voltage, doc="actual output voltage"),
        Cmd("*OPT", query=lambda d, a: str(d.config.get("options", "0")),
            doc="options query (Kepco appendix A; '0': no reportable option, IEEE 488.2 10.20)"),
        Cmd("DIAGnostic:TST", query=KepcoBOP._self_test, doc="4.3.3 BOP test: full-scale outputs, 0 = pass"),
        Cmd("STATus:OPERation:CONDition", query=KepcoBOP._oper_condition, doc="CV (bit 8) / CC (bit 10)"),
        Cmd("STATus:QUEStionable[:EVENt]", query=KepcoBOP._ques_event, doc="latched; read clears"),
        Cmd("STATus:QUEStionable:CONDition", query=lambda d, a: QUES_VE if d.tripped else 0,
            doc="bit 0: voltage protection error (output tripped off)"),
        Cmd("SYSTem:REMote", set=KepcoBOP._set_remote, query=lambda d, a: d.settings["remote"],
            doc="remote mode (needed over RS-232; accepted on GPIB)"),
        *system_error_commands(),
    ]


KepcoBOP.COMMANDS = _cmds()
