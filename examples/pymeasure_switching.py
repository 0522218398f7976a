"""Current-induced switching of a perpendicular Hall bar with plain pymeasure drivers.

A lab script as it is written at the bench: a Keithley 6221 sends write pulses by switching its
DC output on and off, a Keithley 2182A reads the Hall voltage with a small read current, a Kepco
BOP (driven as a generic SCPI instrument) holds an in-plane assist field.

Real bench (edit the addresses)::

    python examples/pymeasure_switching.py

Simulated bench, unchanged::

    PYVISA_LIBRARY=sot-hallbar@spinbench python examples/pymeasure_switching.py
"""
import time

from pymeasure.instruments import Instrument
from pymeasure.instruments.keithley import Keithley2182, Keithley6221

READ_CURRENT = 100e-6       # A
WRITE_CURRENTS = [-12e-3, 1e-3, 12e-3, -1e-3, -12e-3, 12e-3]   # A
MAGNET_AMPS = 1.0           # A -> 10 mT along x with this coil (0.01 T/A)

source = Keithley6221("GPIB0::12::INSTR")
meter = Keithley2182("GPIB0::7::INSTR", read_termination="\n")
magnet = Instrument("GPIB0::6::INSTR", "Kepco BOP 20-20M", includeSCPI=False)

magnet.write("FUNC:MODE CURR;CURR {:g};OUTP ON".format(MAGNET_AMPS))
for _ in range(1000):                       # wait for the coil current to settle
    if abs(float(magnet.ask("MEAS:CURR?")) - MAGNET_AMPS) < 1e-3:
        break
    time.sleep(0.01)

source.source_compliance = 30
meter.write(":SENS:FUNC 'VOLT'; :SENS:CHAN 1")


def hall_resistance():
    """Current reversal: (V(+I) - V(-I)) / 2I."""
    source.source_current = READ_CURRENT
    source.enable_source()
    v_plus = float(meter.ask(":READ?"))
    source.source_current = -READ_CURRENT
    v_minus = float(meter.ask(":READ?"))
    source.disable_source()
    return (v_plus - v_minus) / (2 * READ_CURRENT)


try:
    for amps in WRITE_CURRENTS:
        source.source_current = amps        # write pulse: DC output on ...
        source.enable_source()
        time.sleep(0.002)
        source.disable_source()             # ... and off again
        print(f"pulse {amps * 1e3:+5.1f} mA -> R_H = {hall_resistance():+.3f} ohm")
finally:
    source.shutdown()
    magnet.write("CURR 0")
    magnet.write("OUTP OFF")
