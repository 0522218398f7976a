"""Build hook for the optional compiled sLLGS kernel (everything else lives in pyproject.toml).

``sim_backend.physics._heun`` is a plain C99 CPython extension (no numpy headers). It is
optional: if it fails to compile (no compiler, no Python headers), the install still succeeds
and ``sim_backend.physics.llg`` uses its numpy integrator.
"""
from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "spinbench.sim_backend.physics._heun",
            sources=["sim_backend/physics/_heun.c"],
            extra_compile_args=["-O3", "-std=c99", "-fno-math-errno"],
            optional=True,
        )
    ]
)
