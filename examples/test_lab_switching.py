"""A lab's own CI test of its bench script, on the simulated bench (the spinbench pytest plugin).

Run it where spinbench is installed: ``python -m pytest examples/test_lab_switching.py``.
The ``spinbench_bench`` fixture comes from the installed plugin; it points ``PYVISA_LIBRARY``
at the simulated bench, so the script runs exactly as it does at the real bench.
"""
import re
import runpy
from pathlib import Path

SCRIPT = Path(__file__).with_name("pymeasure_switching.py")


def test_script_switches_and_leaves_the_source_off(spinbench_bench, capsys):
    sim = spinbench_bench("sot-hallbar")
    runpy.run_path(str(SCRIPT), run_name="__main__")

    # what the script reported: the Hall resistance follows the write pulses' sign
    r_hall = [float(r) for r in re.findall(r"R_H = ([+-][\d.]+) ohm", capsys.readouterr().out)]
    assert len(r_hall) == 6
    assert r_hall[0] * r_hall[2] < 0 and r_hall[2] * r_hall[4] < 0      # +-12 mA pulses switch
    assert r_hall[0] * r_hall[1] > 0                                      # 1 mA does not

    # what the script sent: a compliance before the first output, and the output off at the end
    sent = sim.commands("GPIB0::12::INSTR")
    first_on = next(i for i, m in enumerate(sent) if re.search(r"OUTP(UT)?(:STAT(E)?)? (ON|1)", m))
    assert any("COMP" in m for m in sent[:first_on])
    source = sim.rm.open_resource("GPIB0::12::INSTR")
    assert source.query("OUTP?").strip() == "0"

    # what the bench applied: never more than the script's largest write pulse, 12 mA
    extremes = sim.extremes()
    assert abs(extremes["current"] - 12e-3) < 1e-9
    assert extremes["field"] <= 0.0101                 # the 10 mT assist field, nothing more
