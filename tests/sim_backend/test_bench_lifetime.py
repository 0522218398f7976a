"""A simulated bench outlives its sessions (issue 16): closing resources or every resource
manager leaves coil currents, outputs and the magnetization as they are; only the instrument's
own *RST (its settings and outputs) or the bench-level reset changes them."""
from __future__ import annotations

import pyvisa

from spinbench.sim_backend.visa_library import reset_benches

BENCH = "sot-hallbar@spinbench"
SOURCE, NVM, MAG_X, MAG_Z = "GPIB0::12::INSTR", "GPIB0::7::INSTR", "GPIB0::6::INSTR", "GPIB0::5::INSTR"


def _settle(magnet, amps: float) -> float:
    """Poll the supply's output current until it reaches ``amps`` (the coil slews)."""
    for _ in range(200):
        got = float(magnet.query("MEAS:CURR?"))             # read back with ~1 mA noise
        if abs(got - amps) < 5e-3:
            return got
    raise AssertionError(f"coil did not settle at {amps} A (last {got} A)")


def _hall(nvm) -> float:
    return float(nvm.query(":SENS:CHAN 1;:SENS:VOLT:NPLC 1;:READ?"))


def _open(rm, name):
    return rm.open_resource(name, read_termination="\n", write_termination="\n")


def test_state_survives_closing_every_resource_manager():
    rm = pyvisa.ResourceManager(BENCH)
    world = rm.visalib.world
    assert world.device.state()["mz"] == 1.0                    # the file's initial state: up
    src, nvm, mx, mz = (_open(rm, a) for a in (SOURCE, NVM, MAG_X, MAG_Z))
    src.write("SOUR:CURR 1E-4;:OUTP ON")
    hall_up = _hall(nvm)
    mz.write("FUNC:MODE CURR;CURR -5;OUTP ON")                  # -0.1 T out of plane: switch down
    _settle(mz, -5.0)
    mz.write("CURR 0")
    _settle(mz, 0.0)
    mx.write("FUNC:MODE CURR;CURR 1.5;OUTP ON")                 # 15 mT in plane, left on
    _settle(mx, 1.5)
    hall_down = _hall(nvm)
    assert hall_up > 0 > hall_down                              # anomalous Hall follows m_z
    t_closed = world.now
    for inst in (src, nvm, mx, mz):
        inst.close()
    rm.close()

    rm2 = pyvisa.ResourceManager(BENCH)                        # a new session, same process
    src, nvm, mx = (_open(rm2, a) for a in (SOURCE, NVM, MAG_X))
    assert rm2.visalib.world is world and world.now >= t_closed
    assert int(src.query("OUTP?")) == 1                         # the source kept its output
    assert float(src.query("SOUR:CURR?")) == 1e-4
    assert abs(float(mx.query("MEAS:CURR?")) - 1.5) < 5e-3      # the magnet kept its current
    assert world.coil_current("coil_x") == 1.5
    assert world.device.state()["mz"] < -0.9                    # the device kept its state
                                                                # (tilted by the in-plane field)
    assert _hall(nvm) < 0 and abs(_hall(nvm) - hall_down) < 0.05 * abs(hall_down)

    src.write("*RST")                                           # the instrument's own reset:
    assert int(src.query("OUTP?")) == 0                         # its output off ...
    assert world.source_current() == 0.0
    assert world.device.state()["mz"] < -0.9                    # ... the device untouched
    assert world.coil_current("coil_x") == 1.5                  # ... and the other supply too
    rm2.close()

    reset_benches()                                             # the bench-level reset
    rm3 = pyvisa.ResourceManager(BENCH)
    world3 = rm3.visalib.world
    assert world3 is not world and world3.now < 0.01
    assert world3.device.state()["mz"] == 1.0 and world3.coil_current("coil_x") == 0.0
    assert abs(float(_open(rm3, MAG_X).query("MEAS:CURR?"))) < 5e-3
    rm3.close()


def test_the_library_reset_rebinds_open_sessions_to_a_fresh_bench():
    rm = pyvisa.ResourceManager(BENCH)
    mx = _open(rm, MAG_X)
    mx.write("FUNC:MODE CURR;CURR 1;OUTP ON")
    _settle(mx, 1.0)
    rm.visalib.reset()
    assert rm.visalib.world.coil_current("coil_x") == 0.0
    assert abs(float(mx.query("MEAS:CURR?"))) < 5e-3            # same session, fresh supply
    rm.close()
