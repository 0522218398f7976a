"""Lake Shore Model 425 gaussmeter (Model 425 User's Manual, chapter 6 "Computer Interface
Operation").

Not SCPI: flat mnemonics plus the IEEE 488.2 common commands, listed here in the manual's
alphabetical order (section 6.3.1).  Serial link (manual table 6-1): 57600 baud, 7 data bits,
odd parity, 1 stop bit; responses end with CR LF.  There is no error queue: an unknown command
or a malformed parameter sets the Command Error bit (CME, 5) of the Standard Event Status
Register, a parameter out of range the Execution Error bit (EXE, 4); the command is ignored.
``?`` alone re-sends the response to the last query.

Physics: ``RDGFIELD?`` reads the field component along the probe axis (``connect: {probe: x}``,
also ``y``, ``z`` or ``-x`` ...) from :attr:`SimWorld.field`, plus the probe's zero offset less
the stored zero (``ZPROBE`` stores the present reading as zero, as the real zero sequence in a
zero-gauss chamber does; ``ZCLEAR`` forgets it), plus probe noise, rounded to the resolution of
the range (4 3/4 digits).  Ranges per probe type (``TYPE?``; config ``probe: HSE|HST|UHS``):
HSE 35 G, 350 G, 3.5 kG, 35 kG; HST 350 G ... 350 kG; UHS 0.35 G ... 350 G.  A field beyond
the selected range reads ``OL`` and sets the field-overload bit of ``OPST?``; ``AUTO 1`` picks
the lowest range that holds it.  RMS mode reads the AC content of the field, which for the
static fields of this bench is the probe noise.

Not emulated -- commands of the manual's command summary (section 6.3) that the emulator
refuses (CME): the analog output (``ANALOG``), the serial interface settings (``COMM``), the
probe information queries (``PRBSNUM?``, ``PRBTYPE?`` beyond ``TYPE?``), ``*SAV``/``*RCL``.
"""
from __future__ import annotations

import math

from ..scpi import (ESR_CME, ESR_EXE, ESR_QYE, Args, Cmd, CommandTable, Emulator, Numeric, ScpiError,
                    _COMMON_TABLE)

MU0 = 4e-7 * math.pi
#: UNIT code -> gauss per unit
GAUSS_PER_UNIT = {1: 1.0, 2: 1e4, 3: 1.0, 4: 4e-3 * math.pi}  # A/m: B = mu0 H, 1 A/m = 0.01257 G
#: probe type -> (TYPE? code, range full scales in G, DC noise rms in G (assumed))
PROBES = {
    "HSE": (40, (35.0, 350.0, 3.5e3, 35e3), 2e-3),
    "HST": (41, (350.0, 3.5e3, 35e3, 350e3), 2e-2),
    "UHS": (42, (0.35, 3.5, 35.0, 350.0), 2e-5),
}
#: display counts: 4 3/4 digits, so full scale 35000 counts
COUNTS = 35000
#: OPST bits (manual OPST?)
OPST_NO_PROBE, OPST_OVERLOAD, OPST_NEW_READING, OPST_ALARM, OPST_INVALID_PROBE = 1, 2, 4, 8, 16
OPST_CAL_ERROR, OPST_ZERO_DONE = 64, 128
STB_OSB = 1 << 7  #: operation summary bit of the status byte

_INT = lambda lo, hi: Numeric(lo, hi, integer=True)  # noqa: E731


class LakeShore425(Emulator):
    """Lake Shore 425 with a transverse Hall probe on one lab axis."""

    IDN = "LSCI,MODEL425,LSA1234,1.4"
    SCPI_PATHS = False
    TERMINATOR = b"\r\n"
    #: serial: 10 bits per character (start, 7 data, parity, stop) at 57600 baud
    BUS_TIME_PER_BYTE = 10 / 57600
    BUS_TIME_PER_TRANSFER = 0.0
    #: length of the zero-probe sequence (assumed)
    ZERO_TIME = 1.0

    def __init__(self, world, address, config=None):
        probe_axis = str((config or {}).get("connect", {}).get("probe", "x")).strip().lower()
        sign = -1.0 if probe_axis.startswith("-") else 1.0
        try:
            self._axis = "xyz".index(probe_axis.lstrip("+-"))
        except ValueError:
            raise KeyError(f"lakeshore_425: connect.probe must be x, y or z (optionally signed), "
                           f"not {probe_axis!r}") from None
        self._sign = sign
        probe = str((config or {}).get("probe", "HSE")).upper()
        if probe not in PROBES:
            raise KeyError(f"lakeshore_425: probe must be one of {', '.join(PROBES)}, not {probe!r}")
        self.type_code, self.ranges, self.noise = PROBES[probe]
        #: probe zero offset (G) before ZPROBE, seeded
        self.offset = float((config or {}).get("zero_offset", 0.0))
        super().__init__(world, address, config)
        if "zero_offset" not in (config or {}):
            self.offset = 3 * self.noise * float(world.rng.standard_normal())
        # the 425 has the IEEE 488.2 common commands but no *TRG
        self._common = CommandTable([c for c in _COMMON_TABLE if c.pattern != "*TRG"])
        self.opst_latched = 0
        self.opste = 0
        self._last_query: bytes | None = None

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """``*RST``: power-up settings."""
        self.settings.update(unit=1, range=2, auto=False, mode=(1, 0, 1), rel=False, relsp=0.0,
                             mxhold=False, lock=(0, 123), brigt=7, beep=1, prbfcomp=0,
                             alarm=(0, 1, 0.0, 0.0, 1, 0, 0), relay=(0, 1))
        self.zero = getattr(self, "zero", 0.0)
        self.max_reading = 0.0

    # ------------------------------------------------------------------ errors: ESR bits, no queue
    def push_error(self, code: int, detail: str = "") -> None:
        if -199 <= code <= -100:
            self.esr |= ESR_CME
        elif -299 <= code <= -200:
            self.esr |= ESR_EXE
        elif -499 <= code <= -400:
            self.esr |= ESR_QYE
        else:
            self.esr |= ESR_EXE

    def extra_status_bits(self) -> int:
        return STB_OSB if (self.opst_latched | self._opst()) & self.opste else 0

    def write(self, data: bytes) -> None:
        """``?`` alone repeats the last query (manual 6.3.1); everything else as usual."""
        if data.strip() == b"?":
            if self._last_query is None:
                self.world.record(self.address, data)
                self.push_error(-102)
                return
            data = self._last_query
        elif b"?" in data:
            self._last_query = data
        super().write(data)

    # ------------------------------------------------------------------ physics
    def _raw_gauss(self) -> float:
        """Probe output (G) before zero and resolution: field along the axis, offset, noise."""
        b = self._sign * float(self.world.field[self._axis]) * 1e4 + self.offset
        mode, dc_filter, band = self.settings["mode"]
        sigma = self.noise / (3.0 if dc_filter else 1.0)
        if mode == 2:  # RMS of the AC content: only noise for static fields
            return abs(sigma * (1.0 if band == 1 else 0.5) * self.world.rng.standard_normal())
        return b + sigma * self.world.rng.standard_normal()

    def _field_gauss(self) -> float:
        value = self._raw_gauss()
        if self.settings["mode"][0] == 1:
            value -= self.zero
        return value

    def _overloaded(self, gauss: float) -> bool:
        if self.settings["auto"]:
            for i, fs in enumerate(self.ranges):
                if abs(gauss) < fs or i == len(self.ranges) - 1:
                    self.settings["range"] = i + 1
                    break
        return abs(gauss) > self.ranges[self.settings["range"] - 1]

    def _format(self, gauss: float) -> str:
        """Round to the range resolution, convert to the unit, format ``±nnn.nnnE±nn``."""
        resolution = self.ranges[self.settings["range"] - 1] / COUNTS
        gauss = round(gauss / resolution) * resolution
        value = gauss / GAUSS_PER_UNIT[self.settings["unit"]]
        if value == 0:
            return "+0.000E+00"
        exp = 3 * math.floor(math.log10(abs(value)) / 3)
        mant = value / 10 ** exp
        if round(abs(mant), 3) >= 1000:
            exp += 3
            mant /= 1000
        return f"{mant:+.3f}E{exp:+03d}"

    def _read_field(self) -> tuple[float, bool]:
        gauss = self._field_gauss()
        over = self._overloaded(gauss)
        if over:
            self.opst_latched |= OPST_OVERLOAD
        else:
            self.max_reading = max(self.max_reading, abs(gauss))
        return gauss, over

    def _opst(self) -> int:
        bits = OPST_NEW_READING
        if abs(self._sign * float(self.world.field[self._axis]) * 1e4) > self.ranges[self.settings["range"] - 1]:
            bits |= OPST_OVERLOAD
        if self.zero != 0.0:
            bits |= OPST_ZERO_DONE
        return bits

    # ------------------------------------------------------------------ handlers
    def q_rdgfield(self, args: Args) -> str:
        args.none()
        gauss, over = self._read_field()
        return "OL" if over else self._format(gauss)

    def q_rdgrel(self, args: Args) -> str:
        args.none()
        gauss, over = self._read_field()
        if over:
            return "OL"
        return self._format(gauss - self.settings["relsp"] * GAUSS_PER_UNIT[self.settings["unit"]])

    def q_rdgmx(self, args: Args) -> str:
        args.none()
        return self._format(self.max_reading)

    def q_rdgmnmx(self, args: Args) -> str:
        args.none()  # the 425 always answers 0 for the minimum (manual, RDGMNMX?)
        return f"+0.000E+00,{self._format(self.max_reading)}"

    def s_unit(self, args: Args) -> None:
        self.settings["unit"] = args.one(_INT(1, 4))

    def s_range(self, args: Args) -> None:
        self.settings["range"] = args.one(_INT(1, len(self.ranges)))
        self.settings["auto"] = False

    def s_auto(self, args: Args) -> None:
        self.settings["auto"] = bool(args.one(_INT(0, 1)))

    def s_rdgmode(self, args: Args) -> None:
        if len(args) != 3:
            raise ScpiError(-109 if len(args) < 3 else -108)
        mode = _INT(1, 2).parse(args.tokens[0])
        dc_filter = _INT(0, 1).parse(args.tokens[1])
        band = _INT(1, 2).parse(args.tokens[2])
        self.settings["mode"] = (mode, dc_filter, band)

    def s_zprobe(self, args: Args) -> None:
        args.none()
        self.world.advance(self.ZERO_TIME)
        self.zero = self._raw_gauss()
        self.opst_latched |= OPST_ZERO_DONE

    def s_zclear(self, args: Args) -> None:
        args.none()
        self.zero = 0.0

    def s_dflt(self, args: Args) -> None:
        if args.one(_INT(0, 99)) == 99:  # only 99 resets (guards against accidents)
            self.reset()
            self.zero = 0.0

    def q_opstr(self, args: Args) -> int:
        value, self.opst_latched = self.opst_latched | self._opst(), 0
        return value

    def s_mxrst(self, args: Args) -> None:
        args.none()
        self.max_reading = 0.0


def _flag(key: str, doc: str) -> Cmd:
    """An ``<off/on>`` setting: 0|1, answered 0|1."""

    def _set(dev: LakeShore425, args: Args) -> None:
        dev.settings[key] = args.one(_INT(0, 1))

    return Cmd(key.upper(), set=_set, query=lambda d, a: int(d.settings[key]), doc=doc)


def _tuple_setting(key: str, types: tuple, doc: str) -> Cmd:
    def _set(dev: LakeShore425, args: Args) -> None:
        if len(args) != len(types):
            raise ScpiError(-109 if len(args) < len(types) else -108)
        dev.settings[key] = tuple(t.parse(tok) for t, tok in zip(types, args.tokens))

    def _query(dev: LakeShore425, args: Args) -> str:
        return ",".join(t.format(v) if not isinstance(v, float) else f"{v:+.3E}"
                        for t, v in zip(types, dev.settings[key]))

    return Cmd(key.upper(), set=_set, query=_query, doc=doc)


_FIELD = Numeric(-350e3, 350e3, fmt="{:+.3E}")

LakeShore425.COMMANDS = [
    _tuple_setting("alarm", (_INT(0, 1), _INT(1, 2), _FIELD, _FIELD, _INT(1, 2), _INT(0, 1), _INT(0, 1)),
                   "ALARM <off/on>,<mode>,<low>,<high>,<out/in>,<sort>,<audible>"),
    Cmd("ALARMST", query=lambda d, a: "0,0", doc="alarm status <high>,<low>"),
    Cmd("ALMRST", set=lambda d, a: None, doc="clear latched alarms"),
    Cmd("AUTO", set=LakeShore425.s_auto, query=lambda d, a: int(d.settings["auto"]),
        doc="AUTO <off/on>: autorange"),
    _flag("beep", "BEEP <off/on>: alarm beeper"),
    Cmd("BRIGT", set=lambda d, a: d.settings.__setitem__("brigt", a.one(_INT(0, 7))),
        query=lambda d, a: d.settings["brigt"], doc="display brightness 0..7"),
    Cmd("DFLT", set=LakeShore425.s_dflt, doc="DFLT 99: factory defaults"),
    Cmd("KEYST", query=lambda d, a: 0, doc="last key pressed (none)"),
    _tuple_setting("lock", (_INT(0, 1), _INT(0, 999)), "LOCK <off/on>,<code>: keypad lock"),
    _flag("mxhold", "MXHOLD <off/on>: max hold"),
    Cmd("MXRST", set=LakeShore425.s_mxrst, doc="reset the max hold reading"),
    Cmd("OPST", query=lambda d, a: d._opst(), doc="operational status (condition)"),
    Cmd("OPSTE", set=lambda d, a: setattr(d, "opste", a.one(_INT(0, 255))), query=lambda d, a: d.opste,
        doc="operational status enable"),
    Cmd("OPSTR", query=LakeShore425.q_opstr, doc="operational status register (latched, cleared on read)"),
    _flag("prbfcomp", "PRBFCOMP <off/on>: probe field compensation"),
    Cmd("PRBSENS", query=lambda d, a: "+1.000E+00", doc="probe sensitivity"),
    Cmd("RANGE", set=LakeShore425.s_range, query=lambda d, a: d.settings["range"],
        doc="RANGE <1..4>: field range of the probe"),
    Cmd("RDGFIELD", query=LakeShore425.q_rdgfield, doc="field reading in the present unit; OL on overload"),
    Cmd("RDGMNMX", query=LakeShore425.q_rdgmnmx, doc="min (always 0 on the 425), max"),
    Cmd("RDGMODE", set=LakeShore425.s_rdgmode,
        query=lambda d, a: ",".join(str(v) for v in d.settings["mode"]),
        doc="RDGMODE <mode 1=DC 2=RMS>,<DC filter 0|1>,<RMS band 1=wide 2=narrow>"),
    Cmd("RDGMX", query=LakeShore425.q_rdgmx, doc="max reading"),
    Cmd("RDGREL", query=LakeShore425.q_rdgrel, doc="relative reading"),
    _flag("rel", "REL <off/on>: relative mode"),
    _tuple_setting("relay", (_INT(0, 2), _INT(1, 3)), "RELAY <mode>,<alarm type>"),
    Cmd("RELAYST", query=lambda d, a: int(d.settings["relay"][0] == 1), doc="relay status"),
    Cmd("RELSP", set=lambda d, a: d.settings.__setitem__("relsp", a.one(_FIELD)),
        query=lambda d, a: f"{d.settings['relsp']:+.3E}", doc="relative setpoint"),
    Cmd("TYPE", query=lambda d, a: d.type_code, doc="probe type: 40 HSE, 41 HST, 42 UHS"),
    Cmd("UNIT", set=LakeShore425.s_unit, query=lambda d, a: d.settings["unit"],
        doc="UNIT <1 G|2 T|3 Oe|4 A/m>"),
    Cmd("ZCLEAR", set=LakeShore425.s_zclear, doc="clear the probe zero"),
    Cmd("ZPROBE", set=LakeShore425.s_zprobe, doc="zero the probe (present reading becomes zero)"),
]
