"""One simulated bench holding every emulated model with a stock driver (the stock-driver
sweep and the command-coverage tests share it; independent of the built-in benches)."""
from __future__ import annotations

from typing import Any


#: model -> (VISA address, bench entry); one bench holds every model
INSTRUMENTS: dict[str, tuple[str, dict[str, Any]]] = {
    "keithley_6221": ("GPIB0::12::INSTR", {"connect": {"output": "channel", "rs232": "GPIB0::7::INSTR"}}),
    "keithley_2182a": ("GPIB0::7::INSTR", {"connect": {"channel1": "hall", "channel2": "xx"}}),
    "keithley_2450": ("USB0::0x05E6::0x2450::04096331::INSTR", {"connect": {"output": "channel", "sense": "hall"}}),
    # pymeasure's only Kepco driver is written for the BOP 36-12M: the emulator is that model here
    "kepco_bop": ("GPIB0::6::INSTR", {"model_name": "BOP 36-12M", "connect": {"output": "coil_x"}}),
    "lakeshore_425": ("ASRL3::INSTR", {"connect": {"probe": "x"}}),
    "keysight_33500b": ("USB0::0x0957::0x2C07::MY12345678::INSTR", {"model_name": "33522B",
                                                                     "connect": {"output": "channel"}}),
    "srs_sr830": ("GPIB0::8::INSTR", {"connect": {"sine_out": "channel", "input": "hall",
                                                  "series_resistance": 1e4}}),
    "keysight_n5183b": ("GPIB0::19::INSTR", {"options": "1E1,520,UNW", "connect": {"rf_out": "rf"}}),
    "keysight_n9030b": ("TCPIP0::192.168.0.30::hislip0::INSTR", {"connect": {"input": "rf"}}),
    "rohde_schwarz_fsv": ("TCPIP0::192.168.0.31::inst0::INSTR", {"connect": {"input": "rf"}}),
    "rohde_schwarz_sgs100a": ("TCPIP0::192.168.0.40::inst0::INSTR", {"options": "SGS-B112,SGS-B26,SGS-K22",
                                                                     "connect": {"rf_out": "rf"}}),
    # inputs left open (front-end noise): this bench's Hall bar has no record fast path, and the
    # sweep asks ~400 measurements of fresh records; trace physics: tests/instruments
    "tektronix_dpo7000": ("TCPIP0::192.168.0.20::inst0::INSTR", {"connect": {}}),
}


def bench_spec() -> dict[str, Any]:
    return {
        "name": "stock-drivers",
        "sim": {
            "seed": 1, "clock": "virtual", "temperature": 300.0,
            "device": {"model": "sot_hallbar_spine", "params": {}},
            "magnets": {"coil_x": {"axis": [1, 0, 0], "tesla_per_amp": 0.01, "inductance": 0.05,
                                   "resistance": 1.0}},
            "instruments": {addr: {"model": model, **entry} for model, (addr, entry) in INSTRUMENTS.items()},
        },
    }
