"""Every stock pymeasure and qcodes driver of every emulated model, property by property.

For each emulated instrument model and each stock driver for it in the installed pymeasure and
qcodes, every property is read and written back with the value just read, and ``*ESR?`` is
checked for command / execution / query / device-dependent errors after each
(:mod:`stock_sweep`).  At least ``REQUIRED`` of the properties must work per driver, the
documented driver bugs (:data:`DRIVER_BUGS`, each citing the manual page that shows the driver is
wrong) being left out of the denominator.

Before the sweep a driver is put in the state a lab script would have reached (``PREPARE``): a
buffer holding real readings before its statistics are asked for, a delta run before its
readings are read back, the output on before a qcodes 2450 measurement (the driver refuses
otherwise), a sweep set up before a qcodes sweep is read.  Nothing there bypasses the driver's
own commands except buffer fills, which go through the same VISA session.

Emulated models without any stock driver in pymeasure or qcodes are listed in
:data:`NO_STOCK_DRIVER`; an emulator added to ``EMULATORS`` must join one of the two tables.
"""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
import stock_sweep  # noqa: E402

from spinbench.sim_backend.emulators import EMULATORS  # noqa: E402

REQUIRED = 0.98

# ---------------------------------------------------------------------------------- the bench

from stock_bench import INSTRUMENTS, bench_spec  # noqa: E402


@pytest.fixture(scope="module")
def visa_library(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("stock") / "stock-drivers.yaml"
    path.write_text(yaml.safe_dump(bench_spec()))
    return f"{path}@spinbench"


# ---------------------------------------------------------------------------------- drivers


def _pymeasure(module: str, name: str) -> Callable[[str, str], Any]:
    def _open(address: str, library: str) -> Any:
        mod = __import__(module, fromlist=[name])
        return getattr(mod, name)(address, visa_library=library)
    return _open


def _qcodes(module: str, name: str) -> Callable[[str, str], Any]:
    def _open(address: str, library: str) -> Any:
        mod = __import__(module, fromlist=[name])
        logging.getLogger("qcodes").setLevel(logging.CRITICAL)
        return getattr(mod, name)(f"stock_{name}_{time.monotonic_ns()}", address, visalib=library)
    return _open


#: (model, driver label) -> opener; the driver label is "<package>.<class>"
DRIVERS: dict[tuple[str, str], Callable[[str, str], Any]] = {
    ("keithley_6221", "pymeasure.Keithley6221"): _pymeasure("pymeasure.instruments.keithley", "Keithley6221"),
    ("keithley_2182a", "pymeasure.Keithley2182"): _pymeasure("pymeasure.instruments.keithley", "Keithley2182"),
    ("keithley_2450", "pymeasure.Keithley2450"): _pymeasure("pymeasure.instruments.keithley", "Keithley2450"),
    ("keithley_2450", "qcodes.Keithley2450"): _qcodes("qcodes.instrument_drivers.Keithley", "Keithley2450"),
    ("kepco_bop", "pymeasure.KepcoBOP3612"): _pymeasure("pymeasure.instruments.kepco", "KepcoBOP3612"),
    ("lakeshore_425", "pymeasure.LakeShore425"): _pymeasure("pymeasure.instruments.lakeshore", "LakeShore425"),
    ("keysight_33500b", "pymeasure.Agilent33500"): _pymeasure("pymeasure.instruments.agilent", "Agilent33500"),
    ("keysight_33500b", "qcodes.Keysight33522B"): _qcodes("qcodes.instrument_drivers.Keysight", "Keysight33522B"),
    ("srs_sr830", "pymeasure.SR830"): _pymeasure("pymeasure.instruments.srs", "SR830"),
    ("srs_sr830", "qcodes.SR830"): _qcodes("qcodes.instrument_drivers.stanford_research", "SR830"),
    ("keysight_n5183b", "qcodes.KeysightN5183B"): _qcodes("qcodes.instrument_drivers.Keysight", "KeysightN5183B"),
    ("keysight_n9030b", "qcodes.KeysightN9030B"): _qcodes("qcodes.instrument_drivers.Keysight", "KeysightN9030B"),
    # no stock driver names the FSV; pymeasure's FS-series driver (FSL) speaks the family's commands
    ("rohde_schwarz_fsv", "pymeasure.FSL"): _pymeasure("pymeasure.instruments.rohdeschwarz", "FSL"),
    ("rohde_schwarz_sgs100a", "qcodes.RohdeSchwarzSGS100A"): _qcodes("qcodes.instrument_drivers.rohde_schwarz",
                                                                      "RohdeSchwarzSGS100A"),
    ("tektronix_dpo7000", "qcodes.TektronixDPO7000"): _qcodes("qcodes.instrument_drivers.tektronix",
                                                                "TektronixDPO7000"),
}

#: emulated models for which neither pymeasure nor qcodes ships a driver (checked in this run:
#: pymeasure has a DSOX1102G and qcodes Infiniium scopes, not the InfiniiVision 3000T; neither
#: has a Thorlabs ITC4000-series driver)
NO_STOCK_DRIVER = {
    "keysight_dsox3000t": "no stock InfiniiVision 3000 X-series driver (pymeasure: DSOX1102G only)",
    "thorlabs_itc4001": "no stock Thorlabs ITC4000-series driver in pymeasure or qcodes",
}

# ---------------------------------------------------------------------------------- driver bugs

#: (driver label, property path) -> why the stock driver is wrong (with the manual page); these
#: fail on the real instrument too and are left out of the denominator
DRIVER_BUGS: dict[tuple[str, str], str] = {
    # pymeasure's generic SCPIMixin.options sends *OPT?, which the Keithley instruments do not
    # have: 622x Reference Manual section 14, "Common commands" table (*CLS .. *WAI, no *OPT?);
    # 2182A User's Manual section 12 "Common commands" table; 2450 Reference Manual appendix B
    # ("Common commands": *CLS, *ESE, *ESR?, *IDN?, *LANG, *OPC, *RST, *SRE, *STB?, *TRG, *TST?,
    # *WAI).  The real instruments answer -113 "Undefined header".
    ("pymeasure.Keithley6221", "options"): "*OPT? not a 6221 common command (622x manual sec. 14)",
    ("pymeasure.Keithley2182", "options"): "*OPT? not a 2182A common command (2182A manual sec. 12)",
    ("pymeasure.Keithley2450", "options"): "*OPT? not a 2450 common command (2450 manual app. B)",
    # pymeasure's Keithley6221.standard_event_enabled sends "ESE?" / "ESE %d" without the '*' of
    # the IEEE 488.2 common command (622x manual sec. 14, "Common commands": *ESE <NRf>, *ESE?).
    ("pymeasure.Keithley6221", "standard_event_enabled"): "sends ESE? instead of *ESE? (622x manual sec. 14)",
    # waveform_duration_time/_cycles truncate to 999999.999 s / 99999999900 cycles and write
    # "%g", which rounds them to 1e+06 / 1e+11: beyond the 6221's ranges (622x manual sec. 14,
    # SOUR:WAVE:DUR:TIME 100e-9 .. 999999.999 | INF, :DUR:CYCL 0.001 .. 99999999999 | INF,
    # both *RST INF), so the *RST value read back (INF, +9.9E37) is refused (-222) on write.
    ("pymeasure.Keithley6221", "waveform_duration_time"): "'%g' writes 1e+06 > 999999.999 s (622x manual sec. 14)",
    ("pymeasure.Keithley6221", "waveform_duration_cycles"): "'%g' writes 1e+11 > 99999999999 (622x manual sec. 14)",
    # pymeasure's SR830 channel1/channel2 read DDEF? and map the whole "<display>,<ratio>" pair
    # (SR830 manual p. 5-7: "DDEF? i" answers "j,k") through a one-value map: it cannot parse it.
    ("pymeasure.SR830", "channel1"): "DDEF? answers 'j,k' (SR830 manual p. 5-7); the driver maps a pair",
    ("pymeasure.SR830", "channel2"): "DDEF? answers 'j,k' (SR830 manual p. 5-7); the driver maps a pair",
    # pymeasure's Keithley2450.current_filter_state offers 'ON'/'OFF' unmapped, but the query
    # answers the <Boolean> as 0 or 1 (2450 manual sec. 6, [:SENSe[1]]:<function>:AVERage[:STATe]?).
    ("pymeasure.Keithley2450", "current_filter_state"): "AVER? answers 0|1 (2450 manual sec. 6); values ON/OFF",
    # qcodes' Keithley2450 nplc and delay have no get_parser: the query answers <NR3> text
    # (2450 manual sec. 6, [:SENSe[1]]:<function>:NPLCycles? and :SOURce[1]:<function>:DELay?),
    # which the Numbers validator refuses when written back.
    ("qcodes.Keithley2450", "_sense_current.nplc"): "no float get_parser (2450 manual sec. 6, NPLCycles?)",
    ("qcodes.Keithley2450", "_sense_resistance.nplc"): "no float get_parser (2450 manual sec. 6, NPLCycles?)",
    ("qcodes.Keithley2450", "_sense_voltage.nplc"): "no float get_parser (2450 manual sec. 6, NPLCycles?)",
    ("qcodes.Keithley2450", "_source_current.delay"): "no float get_parser (2450 manual sec. 6, DELay?)",
    ("qcodes.Keithley2450", "_source_voltage.delay"): "no float get_parser (2450 manual sec. 6, DELay?)",
    # qcodes' KeysightN5183B fixes min_power=-20 dBm, but the instrument with the step
    # attenuator (option 1E1, which it reports in *OPT? and the driver reads) goes down to
    # -130 dBm and presets there (N5183B MXG data sheet, "Output power", option 1E1).
    ("qcodes.KeysightN5183B", "power"): "vals -20..19 dBm ignore option 1E1 (-130 dBm, N5183B data sheet)",
    # qcodes' Keithley2450.terminals validates Enum("rear", "front") but maps nothing: the query
    # answers FRON or REAR (2450 manual sec. 6, :ROUTe:TERMinals?), which it cannot write back.
    ("qcodes.Keithley2450", "terminals"): "ROUT:TERM? answers FRON|REAR (2450 manual sec. 6); Enum('rear','front')",
    # qcodes' TektronixDPO7000xx validates with case-sensitive Enums that the instrument's long-
    # form upper-case answers (DPO70000 Programmer Manual: VERBose ON, the default, answers the
    # full keyword; <Boolean> queries answer 0|1) can never satisfy when written back:
    ("qcodes.TektronixDPO7000", "acquisition.state"): "ACQuire:STATE? answers 0|1 (DPO70000 manual); Enum ON/OFF/RUN/STOP",
    ("qcodes.TektronixDPO7000", "data.encoding"): "DATa:ENCdg? answers RIBINARY (DPO70000 manual); Enum 'RIBinary'",
    ("qcodes.TektronixDPO7000", "horizontal.roll"): "HORizontal:ROLL? answers AUTO (DPO70000 manual); Enum 'Auto'",
    ("qcodes.TektronixDPO7000", "cursor.function"): "get_parser lower() vs Enum('OFF','HBARS',...): never writable",
    ("qcodes.TektronixDPO7000", "cursor.state"): "CURSor:STATE? answers 0|1 (DPO70000 manual); Enum ON/OFF",
    ("qcodes.TektronixDPO7000", "measure_immediate.type"): "get_parser lower() vs Enum('AMPlitude',...): never writable",
}


def _tek_measurement_value(param: Any) -> bool:
    """qcodes' TektronixDPO7000xx measurement values (``measurement<n>.<type>``) refuse every
    set in the driver (``set_raw``: "A measurement cannot be set"): read only by design."""
    return type(param).__name__ == "TektronixDPOMeasurementParameter"


#: driver label -> which of its parameters the driver itself makes read-only (read, not written)
READ_ONLY: dict[str, Callable[[Any], bool]] = {
    "qcodes.TektronixDPO7000": _tek_measurement_value,
}

# ---------------------------------------------------------------------------------- preparation


def _prepare_6221(inst: Any) -> None:
    """A finished Delta run (10 readings) so the delta readback and the buffer hold data."""
    inst.delta_high_source = 1e-4
    inst.delta_delay = 2e-3
    inst.delta_cycles = 10
    inst.delta_measurement_sets = 1
    inst.delta_arm()
    inst.delta_start()
    inst.ask("*OPC?")       # the run is on the instrument's timeline: wait for its end
    inst.delta_abort()


def _prepare_2182(inst: Any) -> None:
    """Ten readings in the buffer before its statistics are asked for (the readings take
    their time on the world's timeline: wait for them, as pymeasure's wait_for_buffer does)."""
    inst.config_buffer(points=10)
    inst.start_buffer()
    inst.wait_for_buffer(interval=0)


def _prepare_pm2450(inst: Any) -> None:
    """Output on at 1 uA and five readings in defbuffer1 (buffer statistics)."""
    inst.write(":SOUR:FUNC CURR;:SOUR:CURR 1e-6;:OUTP ON;:SENS:COUN 5")
    inst.ask(":READ?")
    inst.write(":SENS:COUN 1")


def _prepare_qc2450(inst: Any) -> None:
    inst.output_enabled(True)
    for name in ("_source_current", "_source_voltage", "_sense_current", "_sense_resistance",
                 "_sense_voltage"):
        inst.submodules[name].user_number(1)
    _before_qc2450(inst, "")


def _before_qc2450(inst: Any, path: str) -> None:
    """Writing ``source_function`` back resets the driver's sweep set-up: set it up again; a
    sense module's sweep is read with that sense function selected (the driver sets the sweep's
    set-points when the function changes)."""
    for name in ("_source_current", "_source_voltage"):
        if inst.submodules[name]._sweep_arguments is None:
            inst.submodules[name].sweep_setup(0, 1e-7, 3)
    if path.startswith("_sense_") and path.endswith(".sweep"):
        function = path[len("_sense_"):-len(".sweep")]
        if inst.sense_function() != function:
            inst.sense_function(function)


def _prepare_qcsr830(inst: Any) -> None:
    """A few triggered points in the buffer, read out the way qcodes asks."""
    inst.buffer_SR("Trigger")
    inst.buffer_trig_mode("ON")
    inst.buffer_reset()
    inst.buffer_start()
    for _ in range(10):   # as many points as the driver's default sweep set-points
        inst.write("TRIG")
    inst.buffer_pause()
    _before_qcsr830(inst, "ch1_databuffer")
    _before_qcsr830(inst, "ch2_databuffer")


def _before_qcsr830(inst: Any, path: str) -> None:
    """Writing ``buffer_SR`` back un-prepares the buffer readout: prepare it again."""
    if path in ("ch1_databuffer", "ch2_databuffer"):
        getattr(inst, path).prepare_buffer_readout()


def _prepare_qctek(inst: Any) -> None:
    """The driver sleeps 0.1 s of wall time after each measurement type change so that the real
    scope's display catches up (``_minimum_adjustment_time``); the emulator computes a
    measurement when it is asked: no wait (the sweep changes the type ~400 times)."""
    for m in inst.measurement:
        m._minimum_adjustment_time = 0.0


PREPARE: dict[str, Callable[[Any], None]] = {
    "qcodes.TektronixDPO7000": _prepare_qctek,
    "pymeasure.Keithley6221": _prepare_6221,
    "pymeasure.Keithley2182": _prepare_2182,
    "pymeasure.Keithley2450": _prepare_pm2450,
    "qcodes.Keithley2450": _prepare_qc2450,
    "qcodes.SR830": _prepare_qcsr830,
}

BEFORE: dict[str, Callable[[Any, str], None]] = {
    "qcodes.Keithley2450": _before_qc2450,
    "qcodes.SR830": _before_qcsr830,
}

#: write-only pymeasure settings that declare no values: the value a script would write
SETTING_VALUES: dict[tuple[str, str], Any] = {
    ("pymeasure.Agilent33500", "display"): "spinbench",
}


# ---------------------------------------------------------------------------------- the test


def sweep_driver(model: str, label: str, library: str) -> stock_sweep.Sweep:
    address = INSTRUMENTS[model][0]
    inst = DRIVERS[(model, label)](address, library)
    try:
        prepare = PREPARE.get(label)
        if prepare is not None:
            prepare(inst)
        if label.startswith("pymeasure."):
            values = {p: v for (d, p), v in SETTING_VALUES.items() if d == label}
            return stock_sweep.sweep_pymeasure(inst, values)
        before = BEFORE.get(label)
        return stock_sweep.sweep_qcodes(inst, None if before is None else (lambda path: before(inst, path)),
                                        read_only=READ_ONLY.get(label, lambda p: False))
    finally:
        if label.startswith("pymeasure."):
            inst.adapter.close()
        else:
            inst.close()


def test_every_emulator_is_covered() -> None:
    """An emulator added later must join the sweep (or say why no stock driver exists)."""
    covered = {model for model, _ in DRIVERS} | set(NO_STOCK_DRIVER)
    assert set(EMULATORS) <= covered, f"emulators without a stock-driver entry: {set(EMULATORS) - covered}"
    assert set(INSTRUMENTS) == {model for model, _ in DRIVERS}


def test_driver_bug_list_is_short() -> None:
    """At most a handful of documented driver bugs per driver."""
    per_driver: dict[str, int] = {}
    for label, _ in DRIVER_BUGS:
        per_driver[label] = per_driver.get(label, 0) + 1
    assert max(per_driver.values()) <= 6, per_driver


@pytest.mark.parametrize("model,label", sorted(DRIVERS), ids=lambda v: v)
def test_stock_driver_properties(model: str, label: str, visa_library: str, capsys) -> None:
    sweep = sweep_driver(model, label, visa_library)
    bugs = {path for (d, path) in DRIVER_BUGS if d == label}
    # a documented bug must exist in the driver and really fail (else it is no bug: remove it)
    for path in bugs:
        assert path in sweep.results, f"{label}: documented bug {path!r} is not a property"
        assert sweep.results[path] is not None, f"{label}: documented bug {path!r} works: remove it"
    ok, counted = sweep.coverage(bugs)
    with capsys.disabled():
        print(f"\n[coverage] {model:18s} {label:26s} {ok:3d}/{counted:3d} = {100 * ok / counted:5.1f} %"
              f" (+{len(bugs)} documented driver bugs)")
    failures = sweep.failures(bugs)
    assert counted > 0
    assert ok / counted >= REQUIRED, f"{label}: {ok}/{counted}; failing: {failures}"
