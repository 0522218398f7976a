"""One finder of the built-in benches (pyvisa_spinbench.bench_files) for the Bench, the CLI and
the @spinbench library; it locates files without importing the simulator."""
import subprocess
import sys

import pytest

from pyvisa_spinbench import bench_files
from spinbench.instruments.bench import Bench, BenchError
from spinbench.protocols.cli import builtin_benches
from spinbench.sim_backend import benches as sim_benches


def test_the_bench_the_cli_and_the_simulator_find_the_same_files():
    files = bench_files.builtin_bench_files()
    assert "sot-hallbar" in files and all(p.suffix == ".yaml" for p in files.values())
    for name, path in files.items():
        assert Bench.load(name).path == path.resolve()
        assert sim_benches.resolve(name).resolve() == path.resolve()
    assert [name for name, _ in builtin_benches()] == sorted(files)
    assert sorted(sim_benches.builtin_benches()) == sorted(files)


def test_an_unknown_name_is_refused_listing_the_built_in_benches():
    with pytest.raises(BenchError, match=r"'nope' is not a built-in sim bench; built-in benches: .*sot-hallbar"):
        Bench.load("nope")
    with pytest.raises(sim_benches.SimBenchError, match="sot-hallbar"):
        sim_benches.resolve("nope")
    assert bench_files.is_path("my/bench") and bench_files.is_path("b.yml")
    assert not bench_files.is_path("sot-hallbar")


def test_finding_the_files_imports_no_simulator_code():
    code = ("import sys; from pyvisa_spinbench import bench_files; "
            "assert bench_files.find_builtin('sot-hallbar').is_file(); "
            "assert not [m for m in sys.modules if m.startswith('spinbench.sim_backend.')], "
            "sorted(m for m in sys.modules if m.startswith('spinbench'))")
    subprocess.run([sys.executable, "-c", code], check=True)
