"""Tektronix DPO7254C oscilloscope (DPO70000/DPO7000/MSO5000 Series Programmer Manual, command
groups in its order: Acquisition, Channel (vertical), Data / Waveform transfer (DATa, CURVe,
WFMOutpre), Horizontal, Trigger, Miscellaneous / Status).  Enough for qcodes'
``TektronixDPO7000xx`` and our :mod:`spinbench.instruments.tektronix_dpo7000` driver unmodified.

The acquisition physics (sampling the wired device ports, the laser's pulse train on the AUX
trigger input, the analog bandwidth, Johnson and front-end noise) is the DSOX3024T emulator's
engine (:class:`~sim_backend.emulators.keysight_dsox3000t.KeysightDSOX3000T`, inherited); this
file holds the Tektronix command set and its data encoding:

* vertical: ``CH<x>:SCAle`` (V/div), ``CH<x>:OFFSet`` (V at the centre), ``CH<x>:POSition``
  (divisions); the 8-bit digitizer has 25 levels per division over 10.24 divisions (codes
  -128..127), 16-bit data (``DATa:WIDth 2``, averaged or high-res records) 6400 levels per
  division; the preamble gives ``value = (code - YOFf) YMUlt + YZEro`` with ``YMUlt = scale/25``
  (1 byte) or ``scale/6400`` (2 bytes), ``YOFf = 25 position`` (+128 / +32768 for the unsigned
  RP formats), ``YZEro = offset``;
* horizontal: 10 divisions; ``HORizontal:MODE AUTO|CONStant`` set ``HORizontal:MODE:SCAle`` and
  keep the record length (the sample rate follows), ``MANual`` sets
  ``HORizontal:MODE:RECOrdlength`` / ``:SAMPLERate`` (the scale follows);
  ``HORizontal:POSition`` is the trigger position in percent of the record;
  ``WFMOutpre:PT_Off`` the trigger sample, ``XZEro = -PT_Off XINcr``;
* acquisition: ``ACQuire:MODe SAMple|PEAKdetect|HIRes|AVErage``, ``ACQuire:NUMAVg``,
  ``ACQuire:STOPAfter SEQuence`` + ``ACQuire:STATE RUN`` acquires one (averaged) record and
  stops (``*OPC?`` then answers at once: the acquisition is done); ``RUNSTop`` runs: each
  ``CURVe?`` then reads a fresh record;
* trigger A edge: ``TRIGger:A:EDGE:SOUrce CH<x>|AUXiliary|LINE``, ``:SLOpe RISe|FALL``,
  ``TRIGger:A:LEVel``, ``TRIGger:A:MODe AUTO|NORMal``; AUX is wired to the laser controller's
  modulation (``connect: {aux_trigger: <laser address>}``);
* data: ``DATa:SOUrce``, ``DATa:STARt``/``:STOP`` (1-based, inclusive), ``DATa:ENCdg``
  (ASCIi, RIBinary, RPBinary, FPBinary, SRIbinary, SRPbinary, SFPbinary, FAStest = RIBinary),
  ``DATa:WIDth 1|2``; ``CURVe?`` answers a definite-length block ``#<x><yyy><data>`` (+ LF) or
  comma-separated codes.

* measurements (``MEASUrement:MEAS<x>``, ``:IMMed``, statistics): computed from the record,
  :mod:`.tektronix_dpo7000_measure`; cursors (``CURSor:FUNCtion|STATE|VBArs|HBArs``) stored;
  the B (delayed) trigger's settings stored (the sim triggers on A);
* acquisitions take their time on the world's timeline (``ACQuire:STATE RUN`` with
  ``STOPAfter SEQuence``): ``BUSY?`` answers 1 until the sequence is done, ``*OPC?`` waits.

Responses are in the long form (``VERBose ON``, the default).  Left out (refused as undefined
headers): ``FASTAcq``, ``MASK``, ``HIStogram``, ``ZOOm``, ``SAVe``/``RECAll``, ``MATH<x>``
definitions, ``*SAV``.  Assumed: responses are
always without headers (``HEADer`` is stored; a real unit after ``HEADer ON`` prefixes them),
``VERBose OFF`` is stored but answers stay long; no math, reference or digital waveforms, no
FastFrame.  Analog bandwidth 2.5 GHz (DPO7254C),
``CH<x>:BANdwidth`` limits it; front-end noise as for the DSOX engine.
"""
from __future__ import annotations

import numpy as np

from ..scpi import Args, Boolean, Choice, Cmd, Numeric, ScpiError, system_error_commands
from .keysight_dsox3000t import KeysightDSOX3000T
from .tektronix_dpo7000_measure import MEASUREMENT_COMMANDS, Measurements

LEVELS_8 = 25.0          #: digitizing levels per division, 8-bit data
LEVELS_16 = 6400.0       #: per division, 16-bit data (25 x 256)
RECORD_LENGTHS = (500, 10_000_000)     #: record length range (sim memory bound: 100 000)
MAX_RECORD = 100_000
SAMPLE_RATE_MAX = 40e9   #: S/s (DPO7254C, one channel)
ENCODINGS = ("ASCIi", "FAStest", "RIBinary", "RPBinary", "FPBinary", "SRIbinary", "SRPbinary",
             "SFPbinary")
ACQ_MODES = {"SAMPLE": "NORMAL", "PEAKDETECT": "PEAK", "HIRES": "HRESOLUTION", "AVERAGE": "AVERAGE",
             "ENVELOPE": "PEAK", "WFMDB": "NORMAL"}


class TektronixDPO7000(KeysightDSOX3000T):
    """Tektronix DPO7254C, 4 channels, 2.5 GHz (the DSOX engine's acquisition physics)."""

    IDN = "TEKTRONIX,DPO7254C,C012345,CF:91.1CT FV:10.8.3 Build 3"
    ANALOG_BANDWIDTH = 2.5e9
    ERROR_QUEUE_DEPTH = 30

    def __init__(self, world, address, config=None):
        cfg = dict(config or {})
        connect = dict(cfg.get("connect") or {})
        if "aux_trigger" in connect:          # the Tek AUX IN is the DSOX engine's EXT input
            connect["ext_trigger"] = connect["aux_trigger"]
        connect.update({f"channel{n}": connect.get(f"ch{n}", connect.get(f"channel{n}")) for n in range(1, 5)})
        cfg["connect"] = connect
        super().__init__(world, address, cfg)

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """``*RST`` (manual "Factory default"): 100 mV/div, 4 us/div, 5000 points, AUTO horizontal
        mode, trigger at 50 %, edge on CH1 at 0 V, sample mode, running."""
        super().reset()
        for c in range(1, 5):
            self.channels[c].update(scale=0.1, position=0.0, bandwidth=self.ANALOG_BANDWIDTH)
        self.settings.update(record_length=5000, hmode="AUTO", hpos=50.0, tscale=4e-6, reference="CENTER",
                             data_source=1, data_start=1, data_stop=10_000_000, encoding="RIBINARY", width=1,
                             stop_after="RUNSTOP", acq_type="NORMAL", acq_count=16, header=False, verbose=True,
                             trig_source="CHANNEL1", trig_slope="POSITIVE", trig_sweep="AUTO", running=True,
                             tek_mode="SAMPLE", roll="AUTO", cursor_function="SCREEN", cursor_state=False,
                             vbars=[-1e-6, 1e-6], hbars=[-0.3, 0.3])
        for c in range(1, 5):
            self.channels[c].update(threshold=0.0, vterm_bias=0.0)
        #: the A and B edge triggers' stored settings (A also drives the engine's trigger)
        self.triggers = {k: {"type": "EDGE", "coupling": "DC", "slope": "RISE", "source": "CH1", "level": 0.0}
                         for k in ("A", "B")}
        self.measurements = Measurements()
        self._place_trigger()

    def _place_trigger(self) -> None:
        """The DSOX engine's time origin from the Tek horizontal position (percent of record)."""
        s = self.settings
        s["position"] = 5 * s["tscale"] - s["hpos"] / 100.0 * 10 * s["tscale"]

    def _acq_points(self) -> int:
        return int(min(self.settings["record_length"], MAX_RECORD))

    def _adc(self, c: int, volts: np.ndarray, bits: int) -> np.ndarray:
        """8-bit: 25 levels/div over 10.24 div; finer modes: 6400 levels/div (16-bit data)."""
        ch = self.channels[c]
        levels = LEVELS_8 if bits <= 8 else LEVELS_16
        lim = 128 if bits <= 8 else 32768
        div = (volts - ch["offset"]) / ch["scale"] + ch["position"]
        codes = np.clip(np.round(div * levels), -lim, lim - 1)
        return (codes / levels - ch["position"]) * ch["scale"] + ch["offset"]

    # ------------------------------------------------------------------ waveform transfer
    def _record(self) -> tuple[int, np.ndarray]:
        c = self.settings["data_source"]
        if self.ports[c] is None:
            return c, self._unwired_record(c)
        self.wait_for_operations()          # CURVe? during a sequence: after it (assumed)
        if self.settings["running"]:
            self.acquire([c])
        if c not in self.records:
            raise ScpiError(-200, f"no waveform for CH{c}")
        return c, self.records[c]

    def _span(self, n: int) -> tuple[int, int]:
        s = self.settings
        start = max(1, min(s["data_start"], n))
        stop = max(start, min(s["data_stop"], n))
        return start, stop

    def _format(self) -> tuple[str, int, bool, float]:
        """(BN_Fmt, bytes per point, big endian, code offset of the format) of DATa:ENCdg."""
        enc = self.settings["encoding"]
        if enc in ("FASTEST", "ASCII"):
            enc = "RIBINARY"
        swapped = enc.startswith("S")
        fmt = (enc[1:] if swapped else enc)[:2]
        width = 4 if fmt == "FP" else self.settings["width"]
        shift = (128.0 if width == 1 else 32768.0) if fmt == "RP" else 0.0
        return fmt, width, not swapped, shift

    def _codes(self, c: int, volts: np.ndarray) -> np.ndarray:
        ch = self.channels[c]
        levels = LEVELS_8 if self._format()[1] == 1 else LEVELS_16
        return np.round(((volts - ch["offset"]) / ch["scale"] + ch["position"]) * levels)

    def q_curve(self, args: Args) -> bytes:
        args.none()
        c, rec = self._record()
        start, stop = self._span(len(rec))
        codes = self._codes(c, rec[start - 1:stop])
        if self.settings["encoding"] == "ASCII":
            return ",".join(str(int(v)) for v in codes).encode()
        fmt, width, big, shift = self._format()
        order = ">" if big else "<"
        if fmt == "FP":
            payload = codes.astype(order + "f4").tobytes()
        else:
            lim = 128 if width == 1 else 32768
            vals = np.clip(codes, -lim, lim - 1) + shift
            kind = "u" if fmt == "RP" else "i"
            payload = vals.astype(f"{order}{kind}{width}").tobytes()
        digits = str(len(payload))
        return b"#" + str(len(digits)).encode() + digits.encode() + payload

    def preamble(self) -> dict[str, str]:
        c = self.settings["data_source"]
        ch = self.channels[c]
        fmt, width, big, shift = self._format()
        levels = LEVELS_8 if width == 1 else LEVELS_16
        info = self.record_info or {}
        n = len(self.records[c]) if c in self.records else self._acq_points()
        start, stop = self._span(n)
        xinc = info.get("xinc", 10 * self.settings["tscale"] / self._acq_points())
        xorg = info.get("xorigin", -self.settings["hpos"] / 100 * 10 * self.settings["tscale"])
        pt_off = int(round(-xorg / xinc)) - (start - 1)
        ascii_ = self.settings["encoding"] == "ASCII"
        return {
            "BYT_NR": str(width), "BIT_NR": str(8 * width), "ENCDG": "ASCII" if ascii_ else "BINARY",
            "BN_FMT": fmt, "BYT_OR": "MSB" if big else "LSB",
            "WFID": f'"Ch{c}, DC coupling, {ch["scale"]:.3g}V/div, {self.settings["tscale"]:.3g}s/div, '
                    f'{n} points, {self.settings["acq_type"].capitalize()} mode"',
            "NR_PT": str(stop - start + 1), "PT_FMT": "Y", "XUNIT": '"s"', "XINCR": f"{xinc:.6E}",
            "XZERO": f"{-pt_off * xinc:.6E}", "PT_OFF": str(pt_off), "YUNIT": '"V"',
            "YMULT": f"{ch['scale'] / levels:.6E}", "YOFF": f"{ch['position'] * levels + shift:.6E}",
            "YZERO": f"{ch['offset']:.6E}",
        }



    # ------------------------------------------------------------------ measurements
    def measurement_record(self, source: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(s from the trigger, V) of a measurement source: a channel's record (a fresh one while
        running); None for math / reference / histogram sources (not emulated)."""
        if not source.startswith("CH"):
            return None
        c = int(source[2:])
        if self.ports[c] is None:
            rec = self._unwired_record(c)
            return 10 * self.settings["tscale"] / len(rec) * (np.arange(len(rec)) - len(rec) // 2), rec
        self.wait_for_operations()
        if self.settings["running"]:
            self.acquire([c])
        rec = self.records.get(c)
        if rec is None:
            return None
        info = self.record_info or {}
        xinc = info.get("xinc", 10 * self.settings["tscale"] / self._acq_points())
        xorg = info.get("xorigin", 0.0)
        return xorg + np.arange(len(rec)) * xinc, rec

    def record_count(self) -> int:
        return int((self.record_info or {}).get("count", 1))

    def _unwired_record(self, c: int) -> np.ndarray:
        """An open input: the front end's own noise around 0 V, digitized."""
        sigma = max(1e-4, 0.003 * self.channels[c]["scale"])
        return self._adc(c, sigma * self.world.rng.standard_normal(self._acq_points()), 8)


# ---------------------------------------------------------------------------------------------
# handlers (responses in the long form: VERBose ON)

def _set(key: str, ptype, after=None):
    def _s(dev: TektronixDPO7000, args: Args) -> None:
        dev.settings[key] = args.one(ptype, dev.settings.get(key))
        if after:
            after(dev)

    def _q(dev: TektronixDPO7000, args: Args) -> str:
        return ptype.format(dev.settings[key])
    return _s, _q


def _ch(args: Args) -> int:
    c = args.suffix()
    if not 1 <= c <= 4:
        raise ScpiError(-114, f"CH{c}")
    return c


def _chan(key: str, ptype):
    def _s(dev: TektronixDPO7000, args: Args) -> None:
        c = _ch(args)
        dev.channels[c][key] = args.one(ptype, dev.channels[c][key])

    def _q(dev: TektronixDPO7000, args: Args) -> str:
        return ptype.format(dev.channels[_ch(args)][key])
    return _s, _q


def _bandwidth_set(dev: TektronixDPO7000, args: Args) -> None:
    c = _ch(args)
    tok = args.tokens[0].upper() if args.tokens else ""
    if tok in ("FUL", "FULL"):
        dev.channels[c]["bandwidth"] = dev.ANALOG_BANDWIDTH
    else:
        value = args.one(Numeric(1e6, 1e11, unit="HZ"))
        dev.channels[c]["bandwidth"] = min(value, dev.ANALOG_BANDWIDTH)


def _termination_set(dev: TektronixDPO7000, args: Args) -> None:
    value = args.one(Numeric(50.0, 1e6, unit="OHM"))
    if value not in (50.0, 1e6):
        raise ScpiError(-222, "termination is 50 or 1E6 ohm")
    dev.channels[_ch(args)]["impedance"] = "FIFTY" if value == 50.0 else "ONEMEG"


def _hscale_set(dev: TektronixDPO7000, args: Args) -> None:
    s = dev.settings
    if s["hmode"] == "MANUAL":
        raise ScpiError(-221, "horizontal scale is read-only in MANual mode")
    value = args.one(Numeric(1e-12, 1000.0, unit="S"))
    if s["record_length"] / (10 * value) > SAMPLE_RATE_MAX:
        raise ScpiError(-222, "sample rate above 40 GS/s")
    s["tscale"] = value
    dev._place_trigger()


def _record_set(dev: TektronixDPO7000, args: Args) -> None:
    s = dev.settings
    if s["hmode"] != "MANUAL":
        raise ScpiError(-221, "record length is read-only outside MANual mode")
    n = int(args.one(Numeric(RECORD_LENGTHS[0], RECORD_LENGTHS[1], integer=True)))
    if n > MAX_RECORD:
        raise ScpiError(-225, f"record length {n} beyond the simulated memory ({MAX_RECORD})")
    rate = s["record_length"] / (10 * s["tscale"])
    s["record_length"] = n
    s["tscale"] = n / (10 * rate)                 # MANual: the sample rate is kept
    dev._place_trigger()


def _rate_set(dev: TektronixDPO7000, args: Args) -> None:
    """``HORizontal:MODE:SAMPLERate``: in MANual mode the record length is kept (the scale
    follows); in AUTO / CONStant mode the record length is read-only, so the scale follows the
    rate at the present record length (the same relation, 10 div x scale = length / rate)."""
    s = dev.settings
    rate = args.one(Numeric(1.0, SAMPLE_RATE_MAX, unit="HZ"))
    s["tscale"] = s["record_length"] / (10 * rate)
    dev._place_trigger()


def _acq_state_set(dev: TektronixDPO7000, args: Args) -> None:
    tok = args.tokens[0].upper() if args.tokens else ""
    on = tok in ("RUN", "ON", "1") or (tok not in ("STOP", "OFF", "0") and args.one(Boolean()))
    if not on:
        dev.stop_acquisition()
        return
    if dev.settings["stop_after"] == "SEQUENCE":
        dev.start_single([c for c in range(1, 5) if dev.ports[c] is not None] or None)
    else:
        dev.stop_acquisition()
        dev.settings["running"] = True


_ACQ_MODE = Choice(("SAMple", "PEAKdetect", "HIRes", "AVErage", "ENVelope", "WFMDB"), answer_long=True)


def _acq_mode_set(dev: TektronixDPO7000, args: Args) -> None:
    mode = args.one(_ACQ_MODE)
    dev.settings["tek_mode"] = mode
    dev.settings["acq_type"] = ACQ_MODES[mode]


_SOURCES = ("CH1", "CH2", "CH3", "CH4", "AUXiliary", "LINE")
_TO_ENGINE = {"CH1": "CHANNEL1", "CH2": "CHANNEL2", "CH3": "CHANNEL3", "CH4": "CHANNEL4",
              "AUXILIARY": "EXTERNAL", "LINE": "LINE"}
_TRIG_TYPES = ("EDGe", "LOGIc", "PULse", "VIDeo", "I2C", "CAN", "SPI", "COMMunication", "SERIAL", "RS232")
_COUPLINGS = ("AC", "DC", "HFRej", "LFRej", "NOISErej", "ATRIGger")


def _trig(key: str, ptype, engine=None):
    """TRIGger:A|B:<key>; the A trigger's source, slope and level also set the engine's."""
    def make(which: str):
        def _s(dev: TektronixDPO7000, args: Args) -> None:
            value = args.one(ptype)
            if key == "coupling" and which == "A" and value == "ATRIGGER":
                raise ScpiError(-224, "ATRIGger is a B-trigger coupling")
            dev.triggers[which][key] = value
            if which == "A" and engine is not None:
                engine(dev, value)

        def _q(dev: TektronixDPO7000, args: Args) -> str:
            return ptype.format(dev.triggers[which][key])
        return _s, _q
    return make


def _engine_source(dev: TektronixDPO7000, value: str) -> None:
    dev.settings["trig_source"] = _TO_ENGINE[value]


def _engine_slope(dev: TektronixDPO7000, value: str) -> None:
    dev.settings["trig_slope"] = "NEGATIVE" if value == "FALL" else "POSITIVE"


def _engine_level(dev: TektronixDPO7000, value: float) -> None:
    dev.trig_levels[dev.settings["trig_source"]] = value


def _trig_state_q(dev: TektronixDPO7000, args: Args) -> str:
    """ARMED (a sequence waiting for its trigger) / READY (armed, normal mode) / AUTO
    (untriggered auto records) / SAVE (stopped after a triggered sequence)."""
    if dev.acquiring():
        return "ARMED"
    if dev.settings["running"]:
        return "READY" if dev.settings["trig_sweep"] == "NORMAL" else "AUTO"
    return "SAVE" if dev.triggered else "AUTO"


def _data_source_set(dev: TektronixDPO7000, args: Args) -> None:
    src = args.one(Choice(("CH1", "CH2", "CH3", "CH4", "MATH1", "MATH2", "MATH3", "MATH4",
                           "REF1", "REF2", "REF3", "REF4")))
    if not src.startswith("CH"):
        raise ScpiError(-221, f"{src}: math and reference waveforms are not emulated")
    dev.settings["data_source"] = int(src[-1])


def _encoding_set(dev: TektronixDPO7000, args: Args) -> None:
    dev.settings["encoding"] = args.one(Choice(ENCODINGS))
    if dev.settings["encoding"].endswith("FPBINARY"):
        dev.settings["width"] = 4


def _pre(key: str):
    return lambda d, a: (a.none(), d.preamble()[key])[1]


def _wfmo_bn_fmt_set(dev: TektronixDPO7000, args: Args) -> None:
    fmt = args.one(Choice(("RI", "RP", "FP")))
    base = {"RI": "RIBINARY", "RP": "RPBINARY", "FP": "FPBINARY"}[fmt]
    dev.settings["encoding"] = base if dev._format()[2] else "S" + base


def _wfmo_byt_or_set(dev: TektronixDPO7000, args: Args) -> None:
    big = args.one(Choice(("MSB", "LSB"))) == "MSB"
    fmt = dev._format()[0]
    dev.settings["encoding"] = ("" if big else "S") + {"RI": "RIBINARY", "RP": "RPBINARY", "FP": "FPBINARY"}[fmt]


def _wfmo_enc_set(dev: TektronixDPO7000, args: Args) -> None:
    if args.one(Choice(("ASCii", "BINary"))) == "ASCII":
        dev.settings["encoding"] = "ASCII"
    elif dev.settings["encoding"] == "ASCII":
        dev.settings["encoding"] = "RIBINARY"


def _byt_nr_set(dev: TektronixDPO7000, args: Args) -> None:
    """1 or 2 bytes for the integer formats; 4 (single float) for FP."""
    n = int(args.one(Numeric(1, 8, integer=True)))
    if n not in (1, 2, 4, 8) or (n > 2) != (dev._format()[0] == "FP") or n == 8:
        raise ScpiError(-222, f"BYT_Nr {n} does not fit the {dev._format()[0]} format")
    if n <= 2:
        dev.settings["width"] = n


def _wfmo_all_q(dev: TektronixDPO7000, args: Args) -> str:
    p = dev.preamble()
    keys = ("BYT_NR", "BIT_NR", "ENCDG", "BN_FMT", "BYT_OR", "WFID", "NR_PT", "PT_FMT", "XUNIT",
            "XINCR", "XZERO", "PT_OFF", "YUNIT", "YMULT", "YOFF", "YZERO")
    return ";".join(p[k] for k in keys)


def _bars(key: str, index: int, unit: str):
    ptype = _nf(-1e6, 1e6, unit)

    def _s(dev: TektronixDPO7000, args: Args) -> None:
        n = args.suffix()
        if n not in (1, 2):
            raise ScpiError(-114, f"POSITION{n}")
        dev.settings[key][n - 1] = args.one(ptype)

    def _q(dev: TektronixDPO7000, args: Args) -> str:
        n = args.suffix()
        if n not in (1, 2):
            raise ScpiError(-114, f"POSITION{n}")
        return ptype.format(dev.settings[key][n - 1])
    return _s, _q


_nf = lambda lo, hi, unit=None: Numeric(lo, hi, unit=unit, fmt="{:.6E}")  # noqa: E731
_long = lambda *opts: Choice(opts, answer_long=True)  # noqa: E731
TektronixDPO7000.COMMANDS = [
    # -- acquisition
    Cmd("ACQuire:MODe", _acq_mode_set, lambda d, a: d.settings["tek_mode"]),
    Cmd("ACQuire:NUMAVg", *_set("acq_count", Numeric(2, 10_000, integer=True))),
    Cmd("ACQuire:STOPAfter", *_set("stop_after", _long("RUNSTop", "SEQuence"))),
    Cmd("ACQuire:STATE", _acq_state_set,
        lambda d, a: "1" if d.settings["running"] or d.acquiring() else "0"),
    Cmd("ACQuire:NUMACq", query=lambda d, a: str(int(d.record_info.get("count", 0)) if d.record_info else 0)),
    # -- vertical
    Cmd("CH<n>:SCAle", *_chan("scale", _nf(1e-3, 10.0, "V"))),
    Cmd("CH<n>:OFFSet", *_chan("offset", _nf(-100.0, 100.0, "V"))),
    Cmd("CH<n>:POSition", *_chan("position", _nf(-5.0, 5.0, "DIV"))),
    Cmd("CH<n>:TERmination", _termination_set,
        lambda d, a: "5.0000E+01" if d.channels[_ch(a)]["impedance"] == "FIFTY" else "1.0000E+06"),
    Cmd("CH<n>:COUPling", *_chan("coupling", _long("AC", "DC", "DCREJect", "GND"))),
    Cmd("CH<n>:BANdwidth", _bandwidth_set, lambda d, a: f"{d.channels[_ch(a)]['bandwidth']:.4E}"),
    Cmd("CH<n>:THRESHold", *_chan("threshold", _nf(-10.0, 10.0, "V")), doc="digital threshold"),
    Cmd("CH<n>:VTERm:BIAS", *_chan("vterm_bias", _nf(-2.0, 2.0, "V")), doc="termination voltage"),
    Cmd("SELect:CH<n>", *_chan("display", Boolean())),
    # -- cursors
    Cmd("CURSor:FUNCtion", *_set("cursor_function", _long("OFF", "HBArs", "VBArs", "SCREEN", "WAVEform"))),
    Cmd("CURSor:STATE", *_set("cursor_state", Boolean())),
    Cmd("CURSor:VBArs:POSITION<n>", *_bars("vbars", 0, "S")),
    Cmd("CURSor:HBArs:POSITION<n>", *_bars("hbars", 0, "V")),
    # -- data / waveform transfer
    Cmd("DATa:SOUrce", _data_source_set, lambda d, a: f"CH{d.settings['data_source']}"),
    Cmd("DATa:STARt", *_set("data_start", Numeric(1, 10_000_000, integer=True))),
    Cmd("DATa:STOP", *_set("data_stop", Numeric(1, 10_000_000, integer=True))),
    Cmd("DATa:ENCdg", _encoding_set, lambda d, a: d.settings["encoding"]),
    Cmd("DATa:WIDth", *_set("width", Numeric(1, 2, integer=True))),
    Cmd("CURVe", query=TektronixDPO7000.q_curve, doc="the waveform of DATa:SOUrce, DATa:STARt..STOP"),
    Cmd("WFMOutpre", query=_wfmo_all_q, doc="the whole preamble"),
    Cmd("WFMOutpre:BYT_Nr", _byt_nr_set, _pre("BYT_NR")),
    Cmd("WFMOutpre:BIT_Nr", query=_pre("BIT_NR")),
    Cmd("WFMOutpre:ENCdg", _wfmo_enc_set, _pre("ENCDG")),
    Cmd("WFMOutpre:BN_Fmt", _wfmo_bn_fmt_set, _pre("BN_FMT")),
    Cmd("WFMOutpre:BYT_Or", _wfmo_byt_or_set, _pre("BYT_OR")),
    *[Cmd(f"WFMOutpre:{name}", query=_pre(key)) for name, key in (
        ("WFId", "WFID"), ("NR_Pt", "NR_PT"), ("PT_Fmt", "PT_FMT"), ("XUNit", "XUNIT"),
        ("XINcr", "XINCR"), ("XZEro", "XZERO"), ("PT_Off", "PT_OFF"), ("YUNit", "YUNIT"),
        ("YMUlt", "YMULT"), ("YOFf", "YOFF"), ("YZEro", "YZERO"))],
    # -- horizontal
    Cmd("HORizontal:MODE", *_set("hmode", _long("AUTO", "CONStant", "MANual"))),
    Cmd("HORizontal:MODE:SCAle", _hscale_set, lambda d, a: f"{d.settings['tscale']:.6E}"),
    Cmd("HORizontal:MODE:RECOrdlength", _record_set, lambda d, a: str(d.settings["record_length"])),
    Cmd("HORizontal:MODE:SAMPLERate", _rate_set,
        lambda d, a: f"{d.settings['record_length'] / (10 * d.settings['tscale']):.6E}"),
    Cmd("HORizontal:POSition", *_set("hpos", _nf(0.0, 100.0), after=TektronixDPO7000._place_trigger)),
    Cmd("HORizontal:MAIn:UNIts", query=lambda d, a: '"s"'),
    Cmd("HORizontal:ROLL", *_set("roll", _long("AUTO", "OFF", "ON"))),
    # -- trigger (A: the engine's trigger; B: stored)
    *[cmd for which in ("A", "B") for cmd in (
        Cmd(f"TRIGger:{which}:TYPe", *_trig("type", _long(*_TRIG_TYPES))(which)),
        Cmd(f"TRIGger:{which}:EDGE:SOUrce", *_trig("source", _long(*_SOURCES), _engine_source)(which)),
        Cmd(f"TRIGger:{which}:EDGE:SLOpe", *_trig("slope", _long("RISe", "FALL", "EITHer"), _engine_slope)(which)),
        Cmd(f"TRIGger:{which}:EDGE:COUPling", *_trig("coupling", _long(*_COUPLINGS))(which)),
        Cmd(f"TRIGger:{which}:LEVel", *_trig("level", _nf(-1e3, 1e3, "V"), _engine_level)(which)),
        Cmd(f"TRIGger:{which}:READY", query=lambda d, a: "1" if d.acquiring() or d.settings["running"] else "0"),
    )],
    Cmd("TRIGger:A:MODe", *_set("trig_sweep", _long("AUTO", "NORMal"))),
    Cmd("TRIGger:STATE", query=_trig_state_q),
    # -- measurements
    *MEASUREMENT_COMMANDS,
    # -- miscellaneous / status
    Cmd("HEADer", *_set("header", Boolean())),
    Cmd("VERBose", *_set("verbose", Boolean())),
    Cmd("BUSY", query=lambda d, a: "1" if d.acquiring() else "0", doc="1 while a sequence acquires"),
    *system_error_commands(),
]
