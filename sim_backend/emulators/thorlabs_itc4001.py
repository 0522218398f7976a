"""Thorlabs ITC4001 laser diode / TEC controller (Series 4000 SCPI Programmer's Reference,
chapter 3 "Commands by Subsystem": IEEE-488.2, SYSTem, measurement (CONFigure / INITiate /
FETCh / READ / MEASure), LD output (OUTPut[1]), PD input, LD source (SOURce[1]: function, current
limit, current, optical power, amplitude modulation, QCW pulse), PD sense, TEC (OUTPut2 /
SOURce2)).

Physics (documented assumptions, per emulator config ``laser:``):

* L-I curve of the laser diode: ``P = slope (I - I_th)`` above threshold, 0 below
  (defaults ``threshold_A`` 30 mA, ``slope_W_per_A`` 0.8 W/A); forward voltage
  ``V = 1.8 V + I * 2 ohm``;
* the monitor photodiode gives ``I_PD = monitor_A_per_W * P`` (default 0.2 A/W); the
  instrument converts it to power with its responsivity setting (``*RST`` value = the true
  monitor ratio, so the reading is right until a user changes it);
* constant power mode (``SOUR:FUNC:MODE POW``) servoes the current so the PD-derived power is the
  setpoint; either mode is bounded by the current limit (``SOUR:CURR:LIM``), where the output
  sits in limit;
* the device receives ``coupling * P`` (``connect: {optical: device, coupling: 0.5}``) through
  ``world.set_laser(address, ...)``;
* QCW pulses (``SOUR:FUNC:SHAP PULS``, ``SOUR:PULS:PER``/``:WIDT``/``:DCYC``/``:HOLD``): the
  world sees the mean power ``P * width / period`` (what a slow DC meter sees); a digitiser
  wired to this laser as its external trigger (:meth:`pulse_train`, :meth:`set_instantaneous`)
  switches the world between the on and off power while it samples, aligned to the pulse edges.
  Amplitude modulation (``SOUR:AM``) is stored and likewise seen as its mean (no effect);
* keylock and interlock: config ``keylock_open: true`` / ``interlock_open: true`` model a
  turned key / an open interlock: ``OUTP ON`` is then refused (-221, the manual's device error
  numbers are not emulated) and ``OUTP:PROT:KEYL:TRIP?`` / ``:INTL:TRIP?`` answer 1.

Left out: TEC PID and temperature dynamics (the temperature is the setpoint when the TEC is on,
25 C otherwise), thermopile input, the LD-ENABLE input, digital I/O, *SAV/*RCL.
"""
from __future__ import annotations

from ..scpi import Args, Boolean, Choice, Cmd, Emulator, Numeric, ScpiError, system_error_commands

HW_MAX_CURRENT = 1.0      #: A, ITC4001
ROOM_C = 25.0


class ThorlabsITC4001(Emulator):
    """Thorlabs ITC4001 driving a laser diode that heats the device."""

    IDN = "THORLABS,ITC4001,M00123456,1.8.0/1.5.0/2.3.0"
    ERROR_QUEUE_DEPTH = 30
    BUS_TIME_PER_BYTE = 1e-7  # USB-TMC
    BUS_TIME_PER_TRANSFER = 2e-4

    def __init__(self, world, address, config=None):
        cfg = config or {}
        connect = cfg.get("connect") or {}
        self.coupling = float(connect.get("coupling", 1.0))
        #: the device (or line) the beam reaches; ``device`` or none: the first device
        optical = connect.get("optical")
        self.optical = None if optical in (None, "device") else str(optical)
        laser = cfg.get("laser") or {}
        self.threshold = float(laser.get("threshold_A", 0.030))
        self.slope = float(laser.get("slope_W_per_A", 0.8))
        self.monitor = float(laser.get("monitor_A_per_W", 0.2))
        self.keylock_open = bool(cfg.get("keylock_open", False))
        self.interlock_open = bool(cfg.get("interlock_open", False))
        self.pulse_t0 = 0.0
        super().__init__(world, address, cfg)

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """``*RST``: outputs off, current and power set-points 0, DC shape (assumed defaults)."""
        self.settings.update(
            output=False, tec=False, mode="CURRENT", shape="DC", current=0.0, limit=0.1,
            power=0.0, period=1e-3, width=1e-4, hold="WIDTH", am=False, am_source="INTERNAL",
            am_depth=10.0, am_freq=1e3, am_shape="SINUSOID", responsivity=self.monitor,
            temperature=ROOM_C, protection_voltage=5.0, conf="POW2")
        self._apply()

    # ------------------------------------------------------------------ physics
    def drive_current(self) -> float:
        """LD current (A) while emitting (the pulse-on current in QCW)."""
        s = self.settings
        if not s["output"]:
            return 0.0
        if s["mode"] == "CURRENT":
            return min(s["current"], s["limit"])
        # constant power: the PD-derived power equals the setpoint
        true_p = s["power"] * s["responsivity"] / self.monitor
        needed = self.threshold + true_p / self.slope if true_p > 0 else 0.0
        return min(needed, s["limit"])

    def optical_power(self, current: float | None = None) -> float:
        """Laser output power (W) at ``current`` (default: the present drive)."""
        i = self.drive_current() if current is None else current
        return max(0.0, self.slope * (i - self.threshold))

    def duty(self) -> float:
        s = self.settings
        return s["width"] / s["period"] if s["shape"] == "PULSE" else 1.0

    def _apply(self) -> None:
        """The device sees coupling * P (the mean power in QCW)."""
        p = self.optical_power() * self.coupling * self.duty()
        self._emit(p if p > 0 else None)
        # the modulation output (a scope's external trigger input reads it, sim_backend.links)
        self.world.links.publish(self.address, "modulation", {
            "train": self.pulse_train(), "on": self.optical_power() * self.coupling,
            "mean": p, "port": self.optical})

    def _emit(self, watts: float | None) -> None:
        if self.optical is None:
            self.world.set_laser(self.address, watts)
        else:
            self.world.set_laser(self.address, watts, port=self.optical)

    def pulse_train(self) -> tuple[float, float, float, float] | None:
        """``(t0, period, width, on power at the device)`` of the running QCW train, else None.
        Rising edges are at ``t0 + k period``."""
        s = self.settings
        if not s["output"] or s["shape"] != "PULSE":
            return None
        return (self.pulse_t0, s["period"], s["width"], self.optical_power() * self.coupling)

    def set_instantaneous(self, on: bool | None) -> None:
        """For a digitiser sampling across pulses: the on / off power, or (None) the mean again."""
        if on is None:
            self._apply()
            return
        p = self.optical_power() * self.coupling if on else 0.0
        self._emit(p if p > 0 else None)

    # ------------------------------------------------------------------ handlers
    def s_output(self, args: Args) -> None:
        on = args.one(Boolean())
        if on and (self.keylock_open or self.interlock_open):
            raise ScpiError(-221, "keylock or interlock open: LD output cannot be switched on")
        if on and not self.settings["output"]:
            self.pulse_t0 = self.world.now
        self.settings["output"] = on
        self._apply()

    def s_current(self, args: Args) -> None:
        value = args.one(Numeric(0.0, HW_MAX_CURRENT, default=0.0, unit="A"))
        if value > self.settings["limit"] * (1 + 1e-9):
            raise ScpiError(-222, f"{value:g} A above the current limit {self.settings['limit']:g} A")
        self.settings["current"] = value
        self._apply()

    def s_limit(self, args: Args) -> None:
        value = args.one(Numeric(0.0, HW_MAX_CURRENT, default=HW_MAX_CURRENT, unit="A"))
        self.settings["limit"] = value
        self.settings["current"] = min(self.settings["current"], value)
        self._apply()

    def s_power(self, args: Args) -> None:
        self.settings["power"] = args.one(Numeric(0.0, 10.0, default=0.0, unit="W"))
        self._apply()

    def s_pulse(self, key: str):
        def _set(dev: "ThorlabsITC4001", args: Args) -> None:
            s = dev.settings
            if key == "period":
                value = args.one(Numeric(2e-6, 100.0, unit="S"))
                if s["hold"] == "DCYCLE":
                    s["width"] = value * s["width"] / s["period"]
                elif value <= s["width"]:
                    raise ScpiError(-221, "period must exceed the pulse width")
                s["period"] = value
            elif key == "width":
                value = args.one(Numeric(1e-6, 100.0, unit="S"))
                if value >= s["period"]:
                    raise ScpiError(-221, "pulse width must be below the period")
                s["width"] = value
            else:  # duty cycle in percent
                value = args.one(Numeric(0.01, 99.99))
                s["width"] = s["period"] * value / 100
            dev._apply()
        return _set

    def q_measure(self, what: str):
        def _q(dev: "ThorlabsITC4001", args: Args) -> str:
            dev.world.advance(1e-3)  # one conversion (assumed)
            i = dev.drive_current()
            p = dev.optical_power(i) * dev.duty()
            rng = dev.world.rng
            if what == "CURR1":
                value = i * dev.duty() + 1e-6 * rng.standard_normal()
            elif what == "VOLT1":
                value = (1.8 + 2.0 * i) * dev.duty() if i > 0 else 0.0
            elif what == "CURR2":
                value = dev.monitor * p + 1e-9 * rng.standard_normal()
            elif what == "POW2":
                value = dev.monitor * p / dev.settings["responsivity"] + 1e-7 * rng.standard_normal()
            else:  # TEMP
                value = dev.settings["temperature"] if dev.settings["tec"] else ROOM_C
            return f"{value:.6E}"
        return _q


def _store(key: str, ptype, apply: bool = False):
    def _set(dev: ThorlabsITC4001, args: Args) -> None:
        dev.settings[key] = args.one(ptype, dev.settings.get(key))
        if apply:
            dev._apply()
    return _set, (lambda d, a: ptype.format(d.settings[key]))


_num = lambda lo, hi, unit=None: Numeric(lo, hi, unit=unit, fmt="{:.6E}")  # noqa: E731
_MEAS = {"CURR1": "CURRent[1]", "VOLT1": "VOLTage[1]", "CURR2": "CURRent2", "POW2": "POWer2",
         "TEMP": "TEMPerature"}


def _conf(key: str):
    def _set(dev: ThorlabsITC4001, args: Args) -> None:
        args.none()
        dev.settings["conf"] = key
    return _set


ThorlabsITC4001.COMMANDS = [
    *system_error_commands(),
    Cmd("SYSTem:BEEPer[:IMMediate]", set=lambda d, a: None),
    Cmd("SYSTem:LFRequency", query=lambda d, a: "50"),
    Cmd("ABORt", set=lambda d, a: None),
    *[Cmd(f"CONFigure[:SCALar]:{word}", set=_conf(key)) for key, word in _MEAS.items()],
    Cmd("CONFigure", query=lambda d, a: d.settings["conf"]),
    Cmd("INITiate[:IMMediate]", set=lambda d, a: None),
    Cmd("FETCh[:SCALar]", query=lambda d, a: d.q_measure(d.settings["conf"])(d, a)),
    Cmd("READ[:SCALar]", query=lambda d, a: d.q_measure(d.settings["conf"])(d, a)),
    *[Cmd(f"MEASure[:SCALar]:{word}", query=ThorlabsITC4001.q_measure(None, key))  # type: ignore[arg-type]
      for key, word in _MEAS.items()],
    Cmd("OUTPut[1][:STATe]", set=ThorlabsITC4001.s_output,
        query=lambda d, a: "1" if d.settings["output"] else "0", doc="LD output"),
    Cmd("OUTPut[1]:PROTection:VOLTage[:LEVel]", *_store("protection_voltage", _num(0.1, 11.0, "V"))),
    Cmd("OUTPut[1]:PROTection:KEYLock:TRIPped", query=lambda d, a: "1" if d.keylock_open else "0"),
    Cmd("OUTPut[1]:PROTection:INTLock:TRIPped", query=lambda d, a: "1" if d.interlock_open else "0"),
    Cmd("OUTPut[1]:PROTection:OTEMperature:TRIPped", query=lambda d, a: "0"),
    Cmd("OUTPut[1]:PROTection:VOLTage:TRIPped", query=lambda d, a: "0"),
    Cmd("OUTPut2[:STATe]", *_store("tec", Boolean()), doc="TEC output"),
    Cmd("SOURce[1]:FUNCtion[:MODE]", *_store("mode", Choice(("CURRent", "POWer"), answer_long=True), True),
        doc="constant current or constant (PD) power"),
    Cmd("SOURce[1]:FUNCtion:SHAPe", *_store("shape", Choice(("DC", "PULSe"), answer_long=True), True),
        doc="CW or QCW pulses"),
    Cmd("SOURce[1]:CURRent:LIMit[:AMPLitude]", ThorlabsITC4001.s_limit,
        lambda d, a: f"{d.settings['limit']:.6E}", doc="LD current limit"),
    Cmd("SOURce[1]:CURRent[:LEVel][:IMMediate][:AMPLitude]", ThorlabsITC4001.s_current,
        lambda d, a: f"{d.settings['current']:.6E}", doc="LD current set-point (<= limit)"),
    Cmd("SOURce[1]:POWer[:LEVel][:IMMediate][:AMPLitude]", ThorlabsITC4001.s_power,
        lambda d, a: f"{d.settings['power']:.6E}", doc="optical power set-point (constant power mode)"),
    Cmd("SOURce[1]:AM[:STATe]", *_store("am", Boolean(), True)),
    Cmd("SOURce[1]:AM:SOURce", *_store("am_source", Choice(("INTernal", "EXTernal"), answer_long=True))),
    Cmd("SOURce[1]:AM:INTernal[:DEPTh]", *_store("am_depth", _num(0.0, 100.0))),
    Cmd("SOURce[1]:AM:INTernal:FREQuency", *_store("am_freq", _num(0.02, 1e5, "HZ"))),
    Cmd("SOURce[1]:AM:INTernal:SHAPe", *_store("am_shape", Choice(("SINusoid", "SQUare", "TRIangle"),
                                                                  answer_long=True))),
    Cmd("SOURce[1]:PULSe:PERiod", ThorlabsITC4001.s_pulse(None, "period"),  # type: ignore[arg-type]
        lambda d, a: f"{d.settings['period']:.6E}"),
    Cmd("SOURce[1]:PULSe:WIDTh", ThorlabsITC4001.s_pulse(None, "width"),  # type: ignore[arg-type]
        lambda d, a: f"{d.settings['width']:.6E}"),
    Cmd("SOURce[1]:PULSe:DCYCle", ThorlabsITC4001.s_pulse(None, "dcycle"),  # type: ignore[arg-type]
        lambda d, a: f"{100 * d.settings['width'] / d.settings['period']:.6E}"),
    Cmd("SOURce[1]:PULSe:HOLD", *_store("hold", Choice(("WIDTh", "DCYCle"), answer_long=True))),
    Cmd("SOURce2:TEMPerature[:SPOint]", *_store("temperature", _num(-15.0, 150.0))),
    Cmd("SENSe2:CORRection:POWer[:PDIode]:RESPonse", *_store("responsivity", _num(1e-6, 100.0)),
        doc="monitor PD responsivity (A/W) used for the power reading"),
]
