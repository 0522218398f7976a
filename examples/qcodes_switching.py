"""Current-induced switching of a perpendicular Hall bar with a plain qcodes script.

A Keithley 2450 SourceMeter writes with DC current pulses (output on, output off) and reads the
Hall voltage 4-wire with a small current; a Kepco BOP (a generic qcodes VisaInstrument) holds an
in-plane assist field.

Real bench (edit the addresses)::

    python examples/qcodes_switching.py

Simulated bench, unchanged::

    PYVISA_LIBRARY=sot-hallbar@spinbench python examples/qcodes_switching.py
"""
import time

from qcodes.instrument import VisaInstrument
from qcodes.instrument_drivers.Keithley import Keithley2450

READ_CURRENT = 100e-6       # A
WRITE_CURRENTS = [-12e-3, 1e-3, 12e-3, -1e-3, -12e-3, 12e-3]   # A
MAGNET_AMPS = 1.0           # A -> 10 mT along x with this coil (0.01 T/A)

smu = Keithley2450("smu", "USB0::0x05E6::0x2450::04096331::INSTR")
magnet = VisaInstrument("magnet", "GPIB0::6::INSTR", terminator="\n")
try:
    magnet.write(f"FUNC:MODE CURR;CURR {MAGNET_AMPS:g};OUTP ON")
    for _ in range(1000):                   # wait for the coil current to settle
        if abs(float(magnet.ask("MEAS:CURR?")) - MAGNET_AMPS) < 1e-3:
            break
        time.sleep(0.01)

    smu.source_function("current")
    smu.source.limit(30)                    # voltage limit (V) while sourcing current
    smu.sense_function("voltage")
    smu.sense.four_wire_measurement(True)

    def hall_resistance():
        """Current reversal: (V(+I) - V(-I)) / 2I."""
        smu.source.current(READ_CURRENT)
        smu.output_enabled(True)
        v_plus = smu.sense.voltage()
        smu.source.current(-READ_CURRENT)
        v_minus = smu.sense.voltage()
        smu.output_enabled(False)
        return (v_plus - v_minus) / (2 * READ_CURRENT)

    for amps in WRITE_CURRENTS:
        smu.source.current(amps)            # write pulse: DC output on ...
        smu.output_enabled(True)
        time.sleep(0.002)
        smu.output_enabled(False)           # ... and off again
        print(f"pulse {amps * 1e3:+5.1f} mA -> R_H = {hall_resistance():+.3f} ohm")
finally:
    smu.output_enabled(False)
    magnet.write("CURR 0")
    magnet.write("OUTP OFF")
    smu.close()
    magnet.close()
