"""Input fuzzing (hypothesis): out-of-range protocol parameters and malformed bench files get a
clear error naming the field, and no command reaches an instrument (the simulator's log)."""
from __future__ import annotations

import math
from pathlib import Path

import pytest
import pyvisa
import yaml

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from spinbench.instruments.bench import Bench, BenchError  # noqa: E402
from spinbench.protocols import registry  # noqa: E402
from spinbench.protocols.base import CheckError, ParamError  # noqa: E402
from spinbench.protocols.runner import RunnerError, run  # noqa: E402
from spinbench.sim_backend.visa_library import reset_benches  # noqa: E402

BENCH = "sot-hallbar"
PROTOCOLS = ["switching-loop", "field-loop", "switching-probability", "critical-current-vs-width"]
FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _bounded(protocol: str):
    cls = registry.get(protocol)
    return [p for p in cls.params if p.bounds is not None and p.type in (int, float)]


@st.composite
def out_of_range(draw):
    """(protocol, parameter, a value outside its declared bounds or a malformed string)."""
    protocol = draw(st.sampled_from(PROTOCOLS))
    param = draw(st.sampled_from(_bounded(protocol)))
    low, high = param.bounds
    options = []
    if high is not None:
        options.append(st.floats(min_value=high * 1.001 + 1e-12, max_value=high * 1e6 + 1.0,
                                 allow_nan=False))
    if low is not None:
        below = low - abs(low) * 0.5 - 1e-6 if low != 0 else -1.0
        options.append(st.floats(min_value=-1e6, max_value=below, allow_nan=False))
    options.append(st.sampled_from(["", "abc", "1e", "3 furlongs", "nan", "inf", "--1"]))
    value = draw(st.one_of(*options))
    if param.type is int and isinstance(value, float):
        value = int(value) if math.isfinite(value) and abs(value) < 1e15 else value
        if low is not None and high is not None and low <= value <= high:
            value = high + 1
    return protocol, param.name, value


@FUZZ
@given(case=out_of_range())
def test_out_of_range_parameters_are_refused_before_any_command(case, tmp_path):
    protocol, name, value = case
    reset_benches()
    world = pyvisa.ResourceManager(f"{BENCH}@spinbench").visalib.world
    path = tmp_path / f"{protocol}.h5"
    with pytest.raises((ParamError, CheckError, RunnerError)) as err:
        run(registry.get(protocol)(), BENCH, {name: value}, path=path, progress=False)
    assert name in str(err.value), (name, value, str(err.value))
    assert not path.exists()
    assert list(world.log) == [], f"{protocol} {name}={value!r} reached an instrument"


@FUZZ
@given(current=st.floats(min_value=0.0201, max_value=0.105))
def test_a_current_beyond_the_bench_limit_is_refused_naming_the_limit(current, tmp_path):
    """Within the protocol's own range but above the bench's 20 mA pulser limit."""
    reset_benches()
    world = pyvisa.ResourceManager(f"{BENCH}@spinbench").visalib.world
    with pytest.raises((CheckError, ParamError)) as err:
        run(registry.get("switching-loop")(), BENCH, {"current_max": current},
            path=tmp_path / "x.h5", progress=False)
    assert "current_max" in str(err.value) and "0.02" in str(err.value)
    assert list(world.log) == []


def _builtin_text() -> dict:
    return yaml.safe_load(Path(Bench.load(BENCH).path).read_text())


#: (key path, replacement) -> the key the error must name
MUTATIONS = [
    (("instruments", "pulser", "driver"), "keithley_9999"),
    (("instruments", "pulser", "limits", "max_current"), -0.02),
    (("instruments", "pulser", "limits", "max_current"), "lots"),
    (("instruments", "pulser", "address"), None),
    (("instruments", "magnet_x", "limits", "max_field"), -1.0),
    (("instruments", "nanovoltmeter"), "not a mapping"),
    (("roles", "voltmeter"), "ghost"),
    (("roles", "no_such_role"), "pulser"),
    (("instruments",), []),
    (("bogus_top_level",), 1),
]


@FUZZ
@given(mutation=st.sampled_from(MUTATIONS), second=st.sampled_from(MUTATIONS))
def test_malformed_bench_files_are_refused_naming_the_key(mutation, second, tmp_path):
    data = _builtin_text()
    named = []
    for keys, value in (mutation, second):
        node = data
        for k in keys[:-1]:
            if not isinstance(node, dict):
                break
            node = node.setdefault(k, {})
        else:
            if isinstance(node, dict):
                node[keys[-1]] = value
                named.append(".".join(keys))
    path = tmp_path / "bench.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(BenchError) as err:
        Bench.load(path)
    message = str(err.value)
    assert str(path) in message
    assert any(key in message or key.split(".")[0] in message for key in named), message
