"""docs/ reference pages are generated from the code (docs/generate.py) and committed: they must
match what the code generates now, and say what the code says (units, ranges, preset defaults)."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def generate():
    spec = importlib.util.spec_from_file_location("docs_generate", ROOT / "docs" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_pages_match_the_code(generate):
    stale = generate.stale()
    assert not stale, (f"docs pages out of date with the code: {stale}; "
                       f"run `python docs/generate.py` and commit docs/")


def test_one_page_per_protocol_with_every_parameter_and_unit(generate):
    pages = generate.pages()
    for name, cls in generate.documented_protocols().items():
        text = pages[Path("protocols") / f"{name}.md"]
        table = text.split("## Parameters")[1].split("\n## ")[0]
        for param in cls.params:
            row = next(line for line in table.splitlines() if line.startswith(f"| `{param.name}` |"))
            assert f"| {param.unit or '-'} |" in row
            if param.bounds is not None and param.bounds[1] is not None:
                assert f"{param.bounds[1]:.6g}" in row
        assert "## Real-bench wiring" in text


def test_bench_reference_documents_presets_limits_and_drivers(generate):
    from spinbench.instruments.limits import LIMIT_KEYS
    from spinbench.instruments.registry import DRIVERS
    from spinbench.sim_backend.physics.presets import PRESETS

    text = generate.bench_reference()
    for model in PRESETS:
        assert f"### `{model}`" in text
    for key, (unit, _doc) in LIMIT_KEYS.items():
        assert f"| `{key}` | {unit} |" in text
    for name in DRIVERS:
        assert f"### `{name}`" in text
    # the SOT Hall bar's documented values, as in SotHallBarParams' #: comments
    assert "| `r_ahe` | 2 | ohm | anomalous Hall resistance |" in text
    assert "| `ms` | 1.1e+06 | A/m | saturation magnetization |" in text


def test_field_comments_are_parsed_with_units(generate):
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Example:
        width: float = 2e-6                 #: channel width [m]
        plain: int = 3                      #: a count

    docs = generate.field_docs(Example)
    assert generate._unit_and_meaning(docs["width"]) == ("m", "channel width")
    assert generate._unit_and_meaning(docs["plain"]) == ("-", "a count")


def test_every_protocol_page_has_a_wiring_diagram_naming_its_required_roles(generate):
    pages = generate.pages()
    for name, cls in generate.documented_protocols().items():
        wiring = pages[Path("protocols") / f"{name}.md"].split("## Real-bench wiring")[1]
        assert "```text" in wiring, f"{name}: no wiring diagram"
        missing = [role for role in cls.required_roles() if role not in wiring]
        assert not missing, f"{name}: the wiring diagram does not show roles {missing}"
