"""One lock per instrument: a query's write+read stays paired under concurrent threads."""
import threading
import time

from pymeasure.instruments.keithley import Keithley2182 as PM2182

from instr_fakes import TranscriptAdapter
from spinbench.instruments.keithley_2182a import Keithley2182A


class SlowAdapter(TranscriptAdapter):
    """Yields the GIL between a query's write and its read, as a real bus does."""

    def _write(self, command, **kwargs):
        super()._write(command, **kwargs)
        time.sleep(0.001)


def test_concurrent_queries_get_their_own_replies():
    adapter = SlowAdapter({":READ?": "1.0", ":SENS:VOLT:NPLC?": "5", ":SYST:LFR?": "50"})
    driver = Keithley2182A("nvm", PM2182(adapter), None, {"channel": 1})
    driver._configured = True
    results = {"read": [], "nplc": []}

    def reader():
        for _ in range(30):
            results["read"].append(driver.read_voltage())

    def plotter():
        for _ in range(30):
            results["nplc"].append(driver.integration_time())

    threads = [threading.Thread(target=reader), threading.Thread(target=plotter)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results["read"] == [1.0] * 30
    assert results["nplc"] == [0.1] * 30
