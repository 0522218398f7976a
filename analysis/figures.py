"""The default figure of a run whose protocol registers no analysis."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from spinbench.protocols.runstore import RunReader

__all__ = ["plot_columns"]


def plot_columns(reader: RunReader, outdir: Path) -> Path:
    """Every numeric column against the first declared column, to
    ``<outdir>/<run file stem>.png``; returns that path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = reader.to_dataframe()
    units = frame.attrs.get("units", {})
    data_names = [c for c in frame.columns if c not in ("step", "timestamp")]
    numeric = [c for c in data_names if frame[c].dtype.kind in "biuf"]
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / f"{Path(reader.path).stem}.png"
    x_name = numeric[0] if len(numeric) > 1 else None
    y_names = numeric[1:] if x_name else numeric
    fig, axes = plt.subplots(max(1, len(y_names)), 1, sharex=True, squeeze=False,
                             figsize=(6, 1.0 + 2.2 * max(1, len(y_names))))
    x = frame[x_name].to_numpy() if x_name else frame.index.to_numpy()
    for ax, name in zip(axes[:, 0], y_names, strict=False):
        ax.plot(x, frame[name].to_numpy(), ".", ms=3)
        ax.set_ylabel(f"{name} ({units.get(name, '')})")
    axes[-1, 0].set_xlabel(f"{x_name} ({units.get(x_name, '')})" if x_name else "point")
    axes[0, 0].set_title(f"{reader.protocol} — {reader.status}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
