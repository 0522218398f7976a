"""pyvisa finds the ``@spinbench`` backend by importing ``pyvisa_spinbench`` and reading WRAPPER_CLASS."""
from spinbench.sim_backend.visa_library import SpinbenchVisaLibrary as WRAPPER_CLASS  # noqa: F401
