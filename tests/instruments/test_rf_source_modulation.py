"""RF source modulation as the lock-in reference of a spin diode (N5183B: pulse, option UNW, and
sine AM, option UNT; SR830 on REF IN): the lock-in reads the Fourier components of the rectified
voltage under the envelope -- for a junction whose rectified voltage is linear in power, the
AM envelope (1 + m sin)^2 gives 2 m dV on the fundamental and m^2/2 dV on the second harmonic,
the 50 % pulse train 2 dV / pi (Fourier series: independent of the device model). Limits refuse:
an AM depth whose envelope peak is over max_rf_power_dbm, AM without option UNT."""
from __future__ import annotations

import math

import pytest
import yaml

from spinbench.instruments.bench import Bench
from spinbench.instruments.limits import LimitError
from spinbench.sim_backend.physics.presets import make_device

SRC, LIA = "GPIB0::19::INSTR", "GPIB0::8::INSTR"
FIELD = 0.05


def bench_file(tmp_path, options="1E1,520,UNT,UNW"):
    spec = {
        "name": "am-diode", "visa_library": "@spinbench",
        "instruments": {
            "rf": {"driver": "keysight_n5183b", "address": SRC, "options": {"trigger_out": "lockin"},
                   "limits": {"max_rf_power_dbm": -22.0}},
            "lockin": {"driver": "srs_sr830", "address": LIA, "options": {"poll_interval": 0.0},
                       "limits": {"max_voltage": 2.0, "min_frequency": 1.0, "max_frequency": 100000.0}},
            "magnet_x": {"driver": "kepco_bop", "address": "GPIB0::6::INSTR",
                         "options": {"tesla_per_amp": 0.05, "axis": "x", "ramp_step_time": 0.002,
                                     "poll_interval": 0.0},
                         "limits": {"max_field": 0.25, "max_ramp_rate": 1.0}},
        },
        "roles": {"rf_source": "rf", "lock_in": "lockin", "field_x": "magnet_x"},
        "sim": {"seed": 2, "clock": "virtual", "temperature": 300.0, "device": {"model": "rf_mtj", "params": {}},
                "magnets": {"coil_x": {"axis": [1, 0, 0], "tesla_per_amp": 0.05, "inductance": 0.05,
                                       "resistance": 1.0}},
                "instruments": {SRC: {"model": "keysight_n5183b", "options": options,
                                      "connect": {"rf_out": "rf", "trigger_out": LIA}},
                                LIA: {"model": "srs_sr830", "connect": {"input": "junction", "reference": SRC}},
                                "GPIB0::6::INSTR": {"model": "kepco_bop", "connect": {"output": "coil_x"}}}},
    }
    path = tmp_path / "am-diode.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def _read(li, harmonic=1):
    li._write(f"HARM {harmonic}")
    li.settle()
    return li.read_xy()


def test_am_and_pulse_references_give_the_fourier_components_of_the_envelope(tmp_path):
    dev = make_device("rf_mtj", {})
    f0 = float(dev.kittel_frequency(FIELD))
    with Bench.load(str(bench_file(tmp_path))).open() as lab:
        src, li = lab.role("rf_source"), lab.role("lock_in")
        lab.role("field_x").set_field(FIELD)
        src.set_frequency(f0)
        src.set_power_dbm(-30.0)
        li.use_external_reference()
        li.set_time_constant(3e-3)
        li.set_sensitivity(1e-3)
        src.set_pulse_modulation(10e3, 0.5)
        src.enable()
        x_pulse, y_pulse = _read(li)
        src.set_pulse_modulation(None)
        m = 0.5
        src.set_amplitude_modulation(10e3, m)
        x_am, y_am = _read(li)
        x2, y2 = _read(li, 2)
    assert abs(x_pulse) > 1e-6 and abs(y_pulse) < 0.01 * abs(x_pulse)
    dv = x_pulse * math.sqrt(2) * math.pi / 2            # pulse fundamental = 2 dV / pi (rms / sqrt 2)
    assert x_am * math.sqrt(2) == pytest.approx(2 * m * dv, rel=0.02)
    assert abs(y_am) < 0.01 * abs(x_am)
    assert y2 * math.sqrt(2) == pytest.approx(-m * m / 2 * dv, rel=0.03)    # -(m^2/2) cos(2 phi)
    assert abs(x2) < 0.05 * abs(y2)


def test_am_depth_over_the_power_limit_is_refused_before_anything_is_sent(tmp_path):
    with Bench.load(str(bench_file(tmp_path))).open() as lab:
        src = lab.role("rf_source")
        src.set_power_dbm(-25.0)
        with pytest.raises(LimitError, match="AM envelope peak"):
            src.set_amplitude_modulation(1e3, 0.5)           # -25 + 3.5 dB > -22 dBm
        src.set_amplitude_modulation(1e3, 0.3)              # peak -22.7 dBm: allowed
        with pytest.raises(LimitError, match="AM envelope peak"):
            src.set_power_dbm(-23.0)                        # with AM on, the peak counts
        with pytest.raises(LimitError, match="AM depth"):
            src.set_amplitude_modulation(1e3, 1.5)
        with pytest.raises(LimitError, match="AM rate"):
            src.set_amplitude_modulation(5e6, 0.3)
        with pytest.raises(LimitError, match="frequency"):
            src.set_frequency(25e9)


def test_am_needs_option_unt(tmp_path):
    with Bench.load(str(bench_file(tmp_path, options="1E1,520,UNW"))).open() as lab:
        with pytest.raises(LimitError, match="option UNT"):
            lab.role("rf_source").set_amplitude_modulation(1e3, 0.3)


def test_spin_diode_map_on_the_am_reference_finds_the_kittel_line(tmp_path):
    from spinbench.analysis.spin_diode import fit_lineshape
    from spinbench.protocols.runner import RunStatus, run
    from spinbench.protocols.runstore import RunReader
    from spinbench.protocols.spin_diode_map import SpinDiodeMap

    dev = make_device("rf_mtj", {})
    f0, w = float(dev.kittel_frequency(FIELD)), float(dev.linewidth(FIELD))
    params = {"fields": (FIELD,), "freq_start": f0 - 6 * w, "freq_stop": f0 + 6 * w, "freq_points": 41,
              "power_dbm": -30.0, "modulation": "am", "am_depth": 0.5}
    result = run(SpinDiodeMap, Bench.load(str(bench_file(tmp_path))), params, out_dir=tmp_path, seed=1,
                 progress=False)
    assert result.status == RunStatus.COMPLETE, result.error
    with RunReader(result.path) as reader:
        line = fit_lineshape(reader.column("frequency"), reader.column("x"))
    assert line.f0 == pytest.approx(f0, rel=0.005)          # the analytic Kittel law
    assert line.width == pytest.approx(w, rel=0.02)         # alpha gamma (B1 + B2) / 4 pi
