"""Suite-wide setup.

The spinbench pytest plugin is normally loaded through its installed entry point (``pytest11``);
an install made before the entry point existed lacks it, so register it here if it is missing.
(tests/examples runs a lab's test in a fresh process that relies on the entry point alone.)
"""
import importlib


def pytest_configure(config):
    plugin = importlib.import_module("spinbench.sim_backend.pytest_plugin")
    if not config.pluginmanager.is_registered(plugin):
        config.pluginmanager.register(plugin, "spinbench")
