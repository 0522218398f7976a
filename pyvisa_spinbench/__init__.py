"""pyvisa finds the ``@spinbench`` backend by importing ``pyvisa_spinbench`` and reading WRAPPER_CLASS.

``WRAPPER_CLASS`` is imported on first access (PEP 562), so :mod:`pyvisa_spinbench.bench_files`,
the finder of the built-in bench files, loads no simulator code.
"""
from typing import Any


def __getattr__(name: str) -> Any:
    if name == "WRAPPER_CLASS":
        from spinbench.sim_backend.visa_library import SpinbenchVisaLibrary

        return SpinbenchVisaLibrary
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
