"""Device-to-device variation on a many-device synapse bench (``synapse-array``).

Runs ``ctc-states`` on every device of the bench -- each through its own roles
(``<role>_<device>``, :meth:`instruments.bench.Bench.for_device`), on the same simulated world --
then the ``synapse-array`` comparison of :mod:`analysis.synapse` (reached through
:func:`protocols.runner.compare`; protocols never import analysis): per-state spread of the
devices' means relative to the window, spread of the windows, each device's CTC.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["array_devices", "run_array"]


def array_devices(bench) -> list[str]:
    """Device names that have their own roles on ``bench`` (``pulse_sequencer_<name>``)."""
    prefix = "pulse_sequencer_"
    return [r[len(prefix):] for r in bench.roles if r.startswith(prefix)]


def run_array(bench="synapse-array", params: Mapping[str, Any] | None = None,
              out_dir: str | Path = "runs", devices: Sequence[str] | None = None,
              seed: int | None = 0, progress: bool | None = False) -> dict[str, Any]:
    """One ``ctc-states`` run per device, then the comparison; returns its summary (with the
    run paths under ``runs``)."""
    from spinbench.protocols.runner import compare, load_bench, run
    from spinbench.protocols.synapse import CtcStates

    bench = load_bench(bench) if isinstance(bench, (str, Path)) else bench
    names = list(devices) if devices else array_devices(bench)
    if not names:
        raise ValueError(f"bench {bench.name!r} has no per-device roles (pulse_sequencer_<device>)")
    out = Path(out_dir)
    runs = {}
    for name in names:
        res = run(CtcStates, bench.for_device(name), dict(params or {}), out_dir=out,
                  path=out / f"ctc-states_{name}.h5", seed=seed, progress=progress)
        runs[name] = res.path
    summary = compare("synapse-array", list(runs.values()), out, names=names)
    summary["runs"] = {k: str(v) for k, v in runs.items()}
    return summary
