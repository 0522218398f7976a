"""The built-in simulated benches: where their files are.  THE one finder, used by
``instruments.Bench.load`` (a name -> its file), ``spinbench benches`` (name + description) and
the ``@spinbench`` VISA library (``"<name>@spinbench"``).

It only locates data files -- ``sim_backend/benches/<name>.yaml`` of the installed
``spinbench.sim_backend`` package, found with ``importlib.util.find_spec`` (which imports no
simulator code) -- so instruments and protocols may use it while they never import the
simulator, and the simulator may use it while it never imports instruments or protocols.
It lives here, in the package that names the ``@spinbench`` library, because that is the seam
both sides already share.
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import yaml

__all__ = ["bench_dir", "builtin_bench_files", "builtin_benches", "find_builtin", "is_path"]


def bench_dir() -> Path | None:
    """The folder of the built-in bench files (``None`` if the simulator is not installed)."""
    try:
        spec = importlib.util.find_spec("spinbench.sim_backend")
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(location) / "benches"
        if folder.is_dir():
            return folder
    return None


def builtin_bench_files() -> dict[str, Path]:
    """Built-in bench name (the file stem) -> its file, sorted by name."""
    folder = bench_dir()
    if folder is None:
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}


def builtin_benches() -> list[tuple[str, str]]:
    """``(name, one-line description)`` of each built-in bench, sorted by name (a file that
    does not parse is listed with the reason)."""
    found = []
    for stem, path in builtin_bench_files().items():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            found.append((stem, f"(unreadable bench file: {exc.__class__.__name__})"))
            continue
        if not isinstance(data, dict):
            found.append((stem, "(unreadable bench file: not a mapping)"))
            continue
        name = str(data.get("name") or stem)
        found.append((name, " ".join(str(data.get("description", "")).split())))
    return sorted(found)


def is_path(name_or_path: str | os.PathLike[str]) -> bool:
    """Whether ``name_or_path`` is a file path (a path object, a separator, or a ``.yaml`` /
    ``.yml`` suffix) rather than the name of a built-in bench."""
    if isinstance(name_or_path, os.PathLike):
        return True
    text = str(name_or_path)
    return "/" in text or os.sep in text or text.endswith((".yaml", ".yml"))


def find_builtin(name: str) -> Path:
    """The file of built-in bench ``name``.

    Raises
    ------
    LookupError
        Naming the bench and listing the built-in ones.
    """
    files = builtin_bench_files()
    if name in files:
        return files[name]
    known = ", ".join(files) or "none installed"
    raise LookupError(f"{name!r} is not a built-in sim bench; built-in benches: {known}; "
                      f"give a path to use a bench file")
