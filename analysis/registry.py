"""Fits and figures per protocol name: the runner and the CLI call them, protocols never do.

A protocol module knows nothing of analysis (no ``spinbench.analysis`` or matplotlib import).
An analysis module registers what to do with a protocol's run file::

    from spinbench.analysis.registry import register

    @register("switching-probability", "critical-current-vs-width")
    def analyze_run(reader: RunReader, outdir: Path) -> list[Path]:
        ...   # fit, plot, write files next to the run; return the files written

``spinbench run`` (after the run) and ``spinbench analyze RUN.h5`` call :func:`analyze`, which
looks the run's protocol up here; a protocol without an analysis gets :func:`plot_columns`.
A comparison over several runs (``spinbench compare-spinloss``) registers with
:func:`register_comparison` and is called through :func:`compare`.

Every module of this package is imported on the first lookup (like the protocol registry);
one that fails to import is recorded in :func:`import_errors` and skipped.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spinbench.analysis.figures import plot_columns

if TYPE_CHECKING:  # pragma: no cover
    from spinbench.protocols.runstore import RunReader

__all__ = ["Analyzer", "analyze", "analyzers", "compare", "comparisons", "get", "import_errors",
           "register", "register_comparison"]

#: ``(reader, outdir) -> files written``
Analyzer = Callable[["RunReader", Path], list[Path]]

#: modules of this package that register nothing
_MACHINERY = frozenset({"registry", "figures", "load"})

_ANALYZERS: dict[str, Analyzer] = {}
_COMPARISONS: dict[str, Callable[..., dict[str, Any]]] = {}
_ERRORS: dict[str, str] = {}
_discovered = False


def register(*protocols: str) -> Callable[[Analyzer], Analyzer]:
    """Decorator: ``func(reader, outdir) -> list[Path]`` analyzes runs of ``protocols``."""
    if not protocols:
        raise TypeError("register() needs at least one protocol name")

    def decorate(func: Analyzer) -> Analyzer:
        for name in protocols:
            existing = _ANALYZERS.get(name)
            if existing is not None and existing is not func:
                raise ValueError(f"protocol {name!r} already has an analysis: "
                                 f"{existing.__module__}.{existing.__qualname__}")
            _ANALYZERS[name] = func
        return func

    return decorate


def register_comparison(name: str) -> Callable[[Callable[..., dict[str, Any]]],
                                               Callable[..., dict[str, Any]]]:
    """Decorator: a comparison of several runs, called as ``compare(name, runs, out_dir, **kw)``."""
    def decorate(func: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        _COMPARISONS[name] = func
        return func

    return decorate


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    _discovered = True
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if info.name in _MACHINERY or info.name.startswith("_"):
            continue
        module = f"{__package__}.{info.name}"
        try:
            importlib.import_module(module)
        except Exception as exc:  # one broken analysis must not break the others
            _ERRORS[module] = f"{type(exc).__name__}: {exc}"


def get(protocol: str) -> Analyzer | None:
    """The analysis registered for ``protocol`` (``None``: none)."""
    _discover()
    return _ANALYZERS.get(protocol)


def analyzers() -> dict[str, Analyzer]:
    """Protocol name -> analysis, sorted."""
    _discover()
    return dict(sorted(_ANALYZERS.items()))


def comparisons() -> dict[str, Callable[..., dict[str, Any]]]:
    """Comparison name -> function."""
    _discover()
    return dict(sorted(_COMPARISONS.items()))


def import_errors() -> dict[str, str]:
    """Analysis modules that failed to import: module -> error."""
    _discover()
    return dict(_ERRORS)


def analyze(reader: RunReader, outdir: Path) -> list[Path]:
    """Run the analysis registered for ``reader.protocol`` (or :func:`plot_columns`) and
    return the files written into ``outdir``."""
    func = get(reader.protocol)
    if func is None:
        return [plot_columns(reader, Path(outdir))]
    return list(func(reader, Path(outdir)))


def compare(name: str, runs: Sequence[Any], out_dir: Path, **kwargs: Any) -> dict[str, Any]:
    """Call the comparison registered as ``name`` on ``runs``."""
    _discover()
    try:
        func = _COMPARISONS[name]
    except KeyError:
        known = ", ".join(sorted(_COMPARISONS)) or "none"
        raise LookupError(f"no comparison {name!r}; known: {known}") from None
    return func(runs, Path(out_dir), **kwargs)
