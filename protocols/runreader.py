"""Reads a run file, also while another process writes it (SWMR).

Part of the run-file format with :mod:`protocols.runfile` (layout) and
:mod:`protocols.runstore` (writer; re-exports :class:`RunReader`).
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any, Iterator

import h5py
import numpy as np
import pandas as pd

from spinbench.protocols.base import Column, Trace
from spinbench.protocols.runfile import (FORMAT, RESERVED_COLUMNS, RunStatus, RunStoreError,
                                         _LIBVER, _decode, _read_snapshots)

__all__ = ["RunReader", "check_not_truncated"]


#: HDF5 format signature; the superblock sits at 0 or at 512, 1024, 2048, ... (HDF5 File
#: Format Specification, section II.A "Disk Format: Level 0A - Format Signature and Superblock")
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
#: how long a reader waits for a live writer to catch up with the end-of-file address its
#: superblock announces before calling the file truncated (s)
_TRUNCATION_GRACE = 1.0


def _stored_eof(path: Path) -> tuple[int, int, int] | None:
    """``(base address, end-of-file address, consistency flags)`` from the superblock of an
    HDF5 file of superblock version 2 or 3 (what ``libver="latest"`` writes), ``None`` for
    older versions.

    Superblock v2/v3 layout (File Format Specification, II.A): signature (8), version (1),
    size of offsets O (1), size of lengths (1), file consistency flags (1), base address (O),
    superblock extension address (O), end of file address (O), root object header address (O),
    checksum (4).

    Raises
    ------
    RunStoreError
        No HDF5 signature where the format allows one, or a superblock cut short.
    """
    size = path.stat().st_size
    with path.open("rb") as fh:
        offset = 0
        while True:
            if offset + 8 > size:
                raise RunStoreError(f"{path}: not an HDF5 file (no HDF5 signature in its "
                                    f"{size} bytes); a run file cut short or another kind of file")
            fh.seek(offset)
            if fh.read(8) == _HDF5_SIGNATURE:
                break
            offset = 512 if offset == 0 else 2 * offset
        head = fh.read(4)
        if len(head) < 4:
            raise RunStoreError(f"{path}: truncated: the file ends inside its HDF5 superblock "
                                f"({size} bytes)")
        version, width, flags = head[0], head[1], head[3]
        if version < 2:
            return None
        body = fh.read(4 * width)
        if len(body) < 4 * width or width not in (2, 4, 8):
            raise RunStoreError(f"{path}: truncated: the file ends inside its HDF5 superblock "
                                f"({size} bytes)")
        base = int.from_bytes(body[0:width], "little")
        eof = int.from_bytes(body[2 * width:3 * width], "little")
        return base, eof, flags


def check_not_truncated(path: str | os.PathLike[str], grace: float = _TRUNCATION_GRACE) -> None:
    """Refuse, quickly, an HDF5 file shorter than the end-of-file address its superblock records.

    HDF5 checks this itself on a plain open, but not when a reader opens with SWMR (as
    :class:`RunReader` must, to read a live run): there a truncated file makes every metadata
    read fail its checksum and be retried without end.  A live writer may have announced an
    address a moment before its data reach the disk, so a file whose consistency flags say it
    is open for writing gets ``grace`` seconds to catch up.

    Raises
    ------
    RunStoreError
        Naming the file, its size and the size its header records.
    """
    path = Path(path)
    deadline = time.monotonic() + grace
    while True:
        found = _stored_eof(path)
        if found is None:
            return
        base, eof, flags = found
        size = path.stat().st_size
        if size >= base + eof:
            return
        if flags == 0 or time.monotonic() >= deadline:
            raise RunStoreError(
                f"{path}: truncated run file: {size} bytes on disk, its HDF5 header records "
                f"{base + eof} ({base + eof - size} bytes missing); copy it again from the "
                f"original, or resume from an intact copy")
        time.sleep(0.05)


class RunReader:
    """Reads a run file, also while another process writes it (SWMR); :meth:`refresh` to update.

    Parameters
    ----------
    path
        The ``.h5`` run file.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            if self.path.is_dir():
                raise RunStoreError(f"{self.path}: is a folder, not a run file")
            check_not_truncated(self.path)
            self._f = h5py.File(self.path, "r", libver=_LIBVER, swmr=True)
        except FileNotFoundError:
            raise RunStoreError(f"{self.path}: no such run file") from None
        except OSError as exc:
            raise RunStoreError(f"{self.path}: not a readable HDF5 run file ({exc})") from None
        if _decode(self._f.attrs.get("format", "")) != FORMAT:
            self._f.close()
            raise RunStoreError(f"{self.path}: not a spinbench run file")
        self.raw_attrs = dict(self._f.attrs)
        self.columns = [Column(**c) for c in json.loads(self.raw_attrs["columns"])]
        self.traces = [Trace(**t) for t in json.loads(self.raw_attrs["traces"])]
        self._live: dict[str, Any] = {}
        self._read_live()

    # -- live state ------------------------------------------------------------------------
    def refresh(self) -> None:
        """See points and status the writer flushed since opening or the last refresh.

        The status is read before the data are refreshed: the writer flushes data before it
        writes a final status, so a reader that sees ``complete`` sees every point.
        """
        self._read_live()
        for ds in self._datasets():
            ds.refresh()

    def _read_live(self) -> None:
        run = self._f["run"]
        for name in ("status", "ended_at", "error"):
            run[name].refresh()
        self._live["status"] = _decode(run["status"][()])
        self._live["ended_at"] = _decode(run["ended_at"][()])
        self._live["error"] = run["error"][:].tobytes().decode("utf-8", "replace")

    def _datasets(self) -> list[h5py.Dataset]:
        found = [self._f["run/steps_done"]]
        found += list(self._f["data"].values())
        for trace in self.traces:
            found += [self._f["traces"][trace.name]["values"], self._f["traces"][trace.name]["axis"]]
        return found

    @property
    def status(self) -> RunStatus:
        """Live status (``running`` for a run in progress or whose writer was killed)."""
        return RunStatus(self._live["status"])

    @property
    def error(self) -> str:
        """Error text of a failed or aborted run, ``""`` otherwise."""
        return self._live["error"]

    @property
    def ended_at(self) -> str:
        """ISO end time, ``""`` while running."""
        return self._live["ended_at"]

    @property
    def writer_pid(self) -> int:
        """Process id of the last writer."""
        return int(self._f["run"].attrs["writer_pid"])

    def writer_alive(self) -> bool:
        """Whether the last writer process still runs (on this host)."""
        if _decode(self._f["run"].attrs["writer_host"]) != socket.gethostname():
            return True  # cannot tell: assume alive, refuse to take over
        pid = self.writer_pid
        if pid == os.getpid():
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    @property
    def completed_steps(self) -> frozenset[int]:
        """Steps whose points are all flushed."""
        return frozenset(int(s) for s in self._f["run/steps_done"][:])

    @property
    def n_points(self) -> int:
        """Points readable now: the shortest of the data datasets (a kill mid-flush may leave
        some longer than others)."""
        lengths = [ds.shape[0] for ds in self._f["data"].values()]
        lengths += [self._f["traces"][t.name]["values"].shape[0] for t in self.traces]
        return min(lengths)

    # -- header ----------------------------------------------------------------------------
    @property
    def attrs(self) -> dict[str, Any]:
        """Root attributes, decoded (JSON attributes parsed), with the live status fields."""
        out: dict[str, Any] = {}
        for key, value in self.raw_attrs.items():
            value = _decode(value)
            if key in ("params", "param_units", "columns", "traces", "versions"):
                value = json.loads(value)
            out[key] = value
        out.update(status=self.status.value, error=self.error, ended_at=self.ended_at)
        return out

    @property
    def protocol(self) -> str:
        """Protocol name."""
        return _decode(self.raw_attrs["protocol"])

    @property
    def params(self) -> dict[str, Any]:
        """Validated parameters (JSON: sequences come back as lists)."""
        return json.loads(self.raw_attrs["params"])

    @property
    def param_units(self) -> dict[str, str]:
        """Parameter name -> unit."""
        return json.loads(self.raw_attrs["param_units"])

    @property
    def units(self) -> dict[str, str]:
        """Column name -> unit, including ``step`` and ``timestamp``."""
        return {name: _decode(ds.attrs["units"]) for name, ds in self._f["data"].items()}

    @property
    def seed(self) -> int | None:
        """Seed of the run, ``None`` if none was given."""
        seed = int(self.raw_attrs["seed"])
        return None if seed < 0 else seed

    @property
    def n_steps(self) -> int:
        """Planned number of steps (``-1`` if unknown)."""
        return int(self.raw_attrs["n_steps"])

    @property
    def bench_text(self) -> str:
        """The bench file the run used, as text."""
        return _decode(self.raw_attrs["bench_text"])

    @property
    def versions(self) -> dict[str, str]:
        """Software versions at the start of the run."""
        return json.loads(self.raw_attrs["versions"])

    @property
    def snapshots(self) -> dict[str, Any]:
        """The bench snapshot taken when the run started, as given to the writer."""
        return _read_snapshots(self._f["instruments"])

    @property
    def resumes(self) -> list[dict[str, Any]]:
        """One dict per resume: ``at``, ``previous_status``, ..., ``snapshots``."""
        out = []
        for key in sorted(self._f["resumes"], key=int):
            group = self._f["resumes"][key]
            info = {k: _decode(v) for k, v in group.attrs.items()}
            info["snapshots"] = _read_snapshots(group["instruments"])
            out.append(info)
        return out

    # -- data ------------------------------------------------------------------------------
    def column(self, name: str, start: int = 0) -> np.ndarray:
        """One column's values (of the consistent first :attr:`n_points`, from ``start``): only
        that column is read, so memory does not grow with the other columns."""
        return self._f["data"][name][start: self.n_points]

    def column_blocks(self, name: str, rows: int = 1 << 18, start: int = 0) -> Iterator[np.ndarray]:
        """One column (of the consistent first :attr:`n_points`, from ``start``) in consecutive
        blocks of at most ``rows`` values: a reduction over a column of any length (a mean, a
        histogram) holds one block in memory, whatever the number of points."""
        if rows < 1:
            raise ValueError(f"column_blocks: rows must be >= 1; got {rows}")
        ds = self._f["data"][name]
        end = self.n_points
        for first in range(start, end, rows):
            yield ds[first: min(first + rows, end)]

    def to_dataframe(self) -> pd.DataFrame:
        """Columns as a DataFrame (``step``, ``timestamp``, then declared columns); units in
        ``df.attrs["units"]``, protocol and params in ``df.attrs``."""
        n = self.n_points
        names = list(RESERVED_COLUMNS) + [c.name for c in self.columns]
        frame = pd.DataFrame({name: self._f["data"][name][:n] for name in names})
        frame.attrs["units"] = {name: self.units[name] for name in names}
        frame.attrs["protocol"] = self.protocol
        frame.attrs["params"] = self.params
        return frame

    def trace(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(axis, values)`` of a trace: axis ``(L,)`` (or ``(N, L)`` per point), values ``(N, L)``."""
        group = self._f["traces"][name]
        n = self.n_points
        axis = group["axis"][:n] if group["axis"].ndim == 2 else group["axis"][...]
        return axis, group["values"][:n]

    def trace_units(self, name: str) -> tuple[str, str, str]:
        """``(values unit, axis name, axis unit)`` of a trace."""
        group = self._f["traces"][name]
        return (_decode(group["values"].attrs["units"]), _decode(group["axis"].attrs["name"]),
                _decode(group["axis"].attrs["units"]))

    # -- lifetime --------------------------------------------------------------------------
    def close(self) -> None:
        """Close the file."""
        self._f.close()

    def __enter__(self) -> RunReader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
