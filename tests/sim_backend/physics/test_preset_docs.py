"""docs/devices.md lists every parameter a bench file may give each preset (issue 8: the
device parameters were documented nowhere a user looks)."""
from pathlib import Path

from spinbench.sim_backend.physics import preset_docs

DOC = Path(__file__).resolve().parents[3] / "docs" / "devices.md"


def test_devices_page_lists_every_parameter_with_its_default():
    text = DOC.read_text()
    for model in preset_docs.PRESET_PARAMS:
        assert f"## `{model}`" in text
        section = text.split(f"## `{model}`", 1)[1].split("\n## ", 1)[0]
        rows = preset_docs.parameter_rows(model)
        assert len(rows) >= 5
        for name, default, _ in rows:
            assert f"| `{name}` | {default} |" in section, (model, name)
