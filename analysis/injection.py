"""Injection-locking fits: locking range per injected power and its power law.

A trace is locked when its peak sits within two trace bins of the injected frequency; the
locking half range at one power is half the width of the locked band, each edge of the band
taken midway between the last locked and the first unlocked injected frequency (the spread of
the locked frequencies alone is short by up to one step: on a 10 MHz grid the default run read
5, 15, 35 MHz for Adler ranges near 10, 20, 40 MHz, and a P^0.70 law).  The
range grows as ``P^(1/2)`` (the external force is proportional to the RF current; Slavin &
Tiberkevich, IEEE Trans. Magn. 45, 1875 (2009)): the exponent is fitted in log-log.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from spinbench.analysis.registry import register
from spinbench.analysis.strict_json import write_summary

__all__ = ["LockingFit", "locking_ranges", "analyze_run"]


@dataclass
class LockingFit:
    powers_dbm: list
    half_ranges: list     #: Hz
    centers: list         #: Hz, middle of the locked band
    exponent: float       #: d ln(range) / d ln(P)


def locking_ranges(power_dbm, injected, frequency, power) -> LockingFit:
    power_dbm, injected, frequency, power = (np.asarray(a, dtype=float) for a in (power_dbm, injected, frequency, power))
    pw, halves, centers = [], [], []
    for p in np.unique(power_dbm):
        scan = np.unique(injected[power_dbm == p])
        locked = []
        for fi in scan:
            sel = (power_dbm == p) & (injected == fi)
            f, y = frequency[sel], power[sel]
            bin_ = float(np.median(np.diff(np.sort(f))))
            if abs(f[int(np.argmax(y))] - fi) <= 2 * bin_:
                locked.append(fi)
        pw.append(float(p))
        if not locked:
            halves.append(0.0)
            centers.append(float("nan"))
            continue
        lo, hi = min(locked), max(locked)
        # each edge midway to the next unlocked frequency of the scan (none beyond its ends)
        below, above = scan[scan < lo], scan[scan > hi]
        edge_lo = 0.5 * (lo + below.max()) if len(below) else lo
        edge_hi = 0.5 * (hi + above.min()) if len(above) else hi
        halves.append(0.5 * (edge_hi - edge_lo))
        centers.append(0.5 * (edge_hi + edge_lo))
    ok = np.array(halves) > 0
    exponent = float("nan")
    if ok.sum() >= 2:
        watts = 1e-3 * 10 ** (np.array(pw)[ok] / 10)
        exponent = float(np.polyfit(np.log(watts), np.log(np.array(halves)[ok]), 1)[0])
    return LockingFit(pw, halves, centers, exponent)


@register("injection-locking")
def analyze_run(reader, outdir: Path) -> list[Path]:
    """``<stem>_injection_fits.json`` and a locking-range plot (``<stem>_locking_range.png``)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    c = {k: reader.column(k) for k in ("power_dbm", "injected", "frequency", "power")}
    fit = locking_ranges(c["power_dbm"], c["injected"], c["frequency"], c["power"])
    stem = Path(reader.path).stem
    out = outdir / f"{stem}_injection_fits.json"
    write_summary(out, asdict(fit))
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot(fit.powers_dbm, np.array(fit.half_ranges) / 1e6, "o-")
    ax.set_xlabel("injected power (dBm)")
    ax.set_ylabel("locking half range (MHz)")
    ax.set_title(f"range ~ P^{fit.exponent:.2f}")
    path = outdir / f"{stem}_locking_range.png"
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return [out, path]
