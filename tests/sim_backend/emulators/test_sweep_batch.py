"""The 6221 emulator's batched list sweep (``SweepProcess._batch``: runs of points taken in one
call of the world's schedule, ``TRIG:OUTP SOUR`` with the linked 2182A converting at every
point on the physics Hall bar) against the same sweep stepped point by point on the timeline:
the same clock, the same random streams (the devices' and the 2182A's own noise), so the same
device state and 2182A readings bit for bit -- and the fallbacks to the steps when the batch
does not apply."""
from __future__ import annotations

import numpy as np
import pytest

from spinbench.sim_backend import benches
from spinbench.sim_backend.emulators.keithley_6221_sweep import SweepProcess

SRC = "GPIB0::12::INSTR"
NV = "GPIB0::7::INSTR"
BX = 10e-3


def q(bench, addr: str, text: str) -> str:
    emu = bench.emulators[addr]
    emu.write(text.encode() + b"\n")
    out = b""
    while True:
        chunk, end = emu.read(1 << 20)
        out += chunk
        if end or not chunk:
            return out.decode("latin-1").strip()


@pytest.fixture(autouse=True)
def _count_batches(monkeypatch):
    """Count the points each 6221 takes in batches (``src.batched``); a 6221 with
    ``src.no_batch`` set steps every point."""
    original = SweepProcess._batch

    def spy(self, world):
        if getattr(self.src, "no_batch", False):
            return False
        k = self.k
        done = original(self, world)
        self.src.batches = getattr(self.src, "batches", 0) + done
        self.src.batched = getattr(self.src, "batched", 0) + (self.k - k)
        return done
    monkeypatch.setattr(SweepProcess, "_batch", spy)


def make(seed: int, batch: bool, bx: float = BX, settled: bool = True):
    """A sot-hallbar world at ``bx`` whose 6221 counts batched points (``batch=False``: the
    batch path is switched off, every point is stepped on the timeline)."""
    bench = benches.build("sot-hallbar", seed=seed)
    world = bench.world
    coil = world.coils["coil_x"]
    world.set_coil_setpoint("coil_x", bx / coil.tesla_per_amp)
    if settled:
        coil.current = coil.setpoint
        world._drive_cache = world._field_cache = None
    else:
        coil.inductance = 1e4      # still slewing during the sweep
    src = bench.emulators[SRC]
    src.batches = src.batched = 0
    src.no_batch = not batch
    return bench


def sequence(bench, levels, delays, count: int, settle: float = 30e-6, comp: str = "",
             nv_extra: str = "", points: int | None = None) -> None:
    """The write/read configuration of the driver's ``write_read`` list path."""
    n = len(levels) * count
    q(bench, SRC, "SOUR:SWE:ABOR;:SOUR:CURR 0")
    q(bench, NV, ":ABOR;:SENS:FUNC 'VOLT';:SENS:CHAN 1;:SENS:VOLT:CHAN1:RANG 0.1;"
                 ":SENS:VOLT:NPLC 0.01;:SENS:VOLT:DFIL OFF;:SYST:AZER OFF;:SYST:FAZ OFF;"
                 f":TRIG:SOUR EXT;:TRIG:DEL {settle:.6g};:SAMP:COUN 1{nv_extra}")
    q(bench, SRC, "SOUR:SWE:SPAC LIST;:SOUR:LIST:CURR " + ",".join(f"{v:.6g}" for v in levels)
      + ";:SOUR:LIST:DEL " + ",".join(f"{d:.6g}" for d in delays) + comp)
    q(bench, SRC, f":SOUR:SWE:COUN {count};:SOUR:SWE:CAB OFF;:SOUR:SWE:RANG BEST;:TRIG:OUTP SOUR")
    q(bench, NV, f":TRAC:CLE;:TRAC:POIN {points or n};:TRAC:FEED SENS;:TRAC:FEED:CONT NEXT;"
                 f":TRIG:COUN {n};:INIT")
    q(bench, SRC, "SOUR:SWE:ARM")
    q(bench, SRC, "INIT:IMM")
    assert q(bench, SRC, "*OPC?") == "1"
    q(bench, SRC, "SOUR:SWE:ABOR")


def state(bench) -> dict:
    world, src, nv = bench.world, bench.emulators[SRC], bench.emulators[NV]
    dev = world.device
    return {"now": world.now, "rng": str(world.rng.bit_generator.state),
            "m": dev.m.tolist(), "relaxed": dev._relaxed, "j_last": dev._j_last,
            "path": dev.last_path, "sources": dict(world.sources), "delivered": src.delivered,
            "src_regs": (src.meas_cond, src.meas_event, src.oper_event),
            "buffer": list(nv.buffer), "samples": list(nv.samples), "latest": nv.latest,
            "nv_regs": (nv.meas_event, nv._waiting, nv.settings["trac_cont"], nv._fresh)}


READ, RESET, W = 100e-6, 12e-3, 5.4e-3
CASES = {
    # the driver's batch: [read, write, read, reset] x 256 cycles of one amplitude
    "one-amplitude": dict(levels=[READ, -W, READ, RESET], delays=[1e-3, 1e-3, 1e-3, 1e-3],
                          count=256),
    "10ms-writes": dict(levels=[READ, -5.2e-3, READ, RESET], delays=[1e-3, 10e-3, 1e-3, 1e-3],
                        count=64),
    # a list of mixed amplitudes, one pass
    "mixed-list": dict(levels=[v for a in (-5.0e-3, -5.3e-3, -5.6e-3, -5.9e-3) * 8
                               for v in (READ, a, READ, RESET)],
                       delays=[1e-3, 2e-3, 1e-3, 1e-3] * 32, count=1),
    # no 2182A trigger delay: no draw for it
    "no-settle": dict(levels=[READ, -W, READ, RESET], delays=[1e-3] * 4, count=50, settle=0.0),
    # compliance-limited points (3 mA into the channel needs more than 1 V)
    "compliance": dict(levels=[READ, -W, READ, RESET], delays=[1e-3] * 4, count=20,
                       comp=";:SOUR:LIST:COMP 1"),
    # REL on channel 1, and a buffer that fills before the sweep ends
    "rel-and-full-buffer": dict(levels=[READ, -W, READ, RESET], delays=[1e-3] * 4, count=30,
                                nv_extra=";:SENS:VOLT:CHAN1:REF 1e-4;:SENS:VOLT:CHAN1:REF:STAT ON",
                                points=50),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_batched_sweep_is_the_generic_loop_bit_for_bit(case):
    kw = CASES[case]
    fast, slow = make(3, batch=True), make(3, batch=False)
    for bench in (fast, slow):
        sequence(bench, **kw)
        sequence(bench, **kw)      # a second sweep starts from the state the first left
    n = len(kw["levels"]) * kw["count"]
    assert fast.emulators[SRC].batches >= 2 and fast.emulators[SRC].batched >= 2 * n - 8
    a, b = state(fast), state(slow)
    assert a == b
    assert len(a["samples"]) == len(kw["levels"]) * kw["count"]
    if case != "compliance":        # the readings see both states (a map with outcomes)
        reads = np.array(a["samples"][2::4])
        assert len(np.unique(np.sign(reads - np.median(reads)))) > 1 or case == "mixed-list"


def test_batched_sweep_switching_fraction_and_noise_match_the_laws():
    """The batch path's physics, not only its agreement with the generic loop: the switching
    fraction of a 1 ms write near the 50 % current lies within the binomial band of the
    single-pulse law, and the spread of the reset-state readings is the 2182A + Johnson
    noise of a 0.01 PLC conversion."""
    bench = make(5, batch=True)
    dev = bench.world.device
    n = 256
    i50 = dev.switching_current_50(BX, 1e-3)
    levels = [READ, -i50, READ, RESET]
    sequence(bench, levels, [1e-3] * 4, n)
    assert bench.emulators[SRC].batched >= 4 * n - 4
    v = np.array(bench.emulators[NV].buffer).reshape(n, 4)
    v = v[1:]                      # the first cycle starts from the initial state, not a reset
    n -= 1
    before, after = v[:, 0] / READ, v[:, 2] / READ
    r_reset = np.median(before)
    # the two states differ by ~2 R_AHE; the reading noise is milliohms
    assert np.all(np.abs(before - r_reset) < 0.2 * dev.p.r_ahe)    # every cycle starts reset
    switched = np.abs(after - r_reset) > dev.p.r_ahe
    # the write switches with P = 1/2 (binomial, 4 sigma)
    assert abs(switched.mean() - 0.5) < 4 * np.sqrt(0.25 / n)
    # reading noise of the reset-state reads: 20 nV/sqrt(0.01) instrument + Johnson, chi-square
    aperture = 0.01 / 60
    r_port = dev.resistance("hall")
    sigma = np.hypot(20e-9 / np.sqrt(0.01), np.sqrt(4 * 1.380649e-23 * 300 * r_port / (2 * aperture)))
    resid = v[:, 0] - np.mean(v[:, 0])
    chi2 = float(np.sum(resid ** 2) / sigma ** 2)
    dof = n - 1
    assert abs(chi2 - dof) < 5 * np.sqrt(2 * dof)


@pytest.mark.parametrize("why", ["coil-ramping", "auto-range", "llg-interval", "spine-device"])
def test_the_steps_and_the_batch_agree_whichever_applies(why):
    """A slewing coil or an autoranging 2182A: no batch, every point stepped.  An interval
    that takes the sLLG (a 1 ns trigger delay) or a device model without its own batched
    schedule (the spine Hall bar): the batch applies through the per-interval definition of
    the device's schedule.  Either way the same state as the steps."""
    kw = dict(levels=[READ, -W, READ, RESET], delays=[1e-3] * 4, count=8)
    extra = {}
    if why == "llg-interval":
        extra = dict(settle=1e-9)
    if why == "auto-range":
        extra = dict(nv_extra=";:SENS:VOLT:CHAN1:RANG:AUTO ON")
    if why == "spine-device":
        from emu_io import SPINE_BENCH
        fast, slow = benches.build(SPINE_BENCH, seed=3), benches.build(SPINE_BENCH, seed=3)
        for bench, batch in ((fast, True), (slow, False)):
            bench.emulators[SRC].no_batch = not batch
    else:
        fast = make(4, batch=True, settled=why != "coil-ramping")
        slow = make(4, batch=False, settled=why != "coil-ramping")
    for bench in (fast, slow):
        sequence(bench, **kw, **extra)
    batched = getattr(fast.emulators[SRC], "batched", 0)
    assert (batched == 0) if why in ("coil-ramping", "auto-range") else (batched >= 28)
    if why == "spine-device":
        w1, w2 = fast.world, slow.world
        assert (w1.now, w1.device.state(), str(w1.rng.bit_generator.state)) == \
            (w2.now, w2.device.state(), str(w2.rng.bit_generator.state))
        assert fast.emulators[NV].buffer == slow.emulators[NV].buffer
        assert len(fast.emulators[NV].samples) == 32
        return
    assert state(fast) == state(slow)


def test_a_switching_map_is_the_same_with_and_without_the_batch(tmp_path, monkeypatch):
    """End to end through the driver's ``write_read`` and the runner: every outcome and reading."""
    from spinbench.instruments.bench import Bench
    from spinbench.protocols.runner import run
    from spinbench.protocols.runstore import RunReader
    from spinbench.protocols.switching_probability import SwitchingProbability

    params = {"amplitudes": (5.2e-3, 5.5e-3), "widths": (1e-3, 3e-3), "repeats": 60,
              "field_x": BX}
    calls = []
    original = SweepProcess._batch

    def counted(self, world):
        calls.append(original(self, world))
        return calls[-1]
    monkeypatch.setattr(SweepProcess, "_batch", counted)
    bench = Bench.load("sot-hallbar")
    fast = run(SwitchingProbability, bench, params, out_dir=tmp_path / "fast", seed=2,
               progress=False)
    assert sum(calls) >= 4                    # every sweep (one per step) took its points in batches
    monkeypatch.setattr(SweepProcess, "_batch", lambda self, world: False)
    slow = run(SwitchingProbability, bench, params, out_dir=tmp_path / "slow", seed=2,
               progress=False)
    keys = ["step", "repeat", "state_before", "state_after", "switched", "r_before", "r_after",
            "channel_resistance", "r_threshold"]
    with RunReader(fast.path) as a, RunReader(slow.path) as b:
        da, db = a.to_dataframe()[keys], b.to_dataframe()[keys]
    assert len(da) == 4 * 60 and 0.05 < da["switched"].mean() < 0.95
    assert da.equals(db)
