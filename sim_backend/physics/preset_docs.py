"""The device parameters of each preset, as the Markdown table in ``docs/devices.md``.

Each preset's parameter dataclass documents a field with a ``#:`` comment on its line; this
module reads them (with the default values) so the user-facing page cannot drift from the
code: ``python -m spinbench.sim_backend.physics.preset_docs > docs/devices.md``.
"""
from __future__ import annotations

import inspect
import re
from dataclasses import MISSING, fields

from . import presets

__all__ = ["PRESET_PARAMS", "parameter_rows", "markdown"]

#: model name -> (parameter dataclass, the defaults the preset starts from, one line)
PRESET_PARAMS = {
    "sot_hallbar": (presets.SotHallBarParams, presets.SotHallBarParams(),
                    "W/CoFeB/MgO perpendicular Hall cross switched by spin-orbit torque"),
    "spinloss": (presets.SotHallBarParams, presets.spinloss_params(0.5),
                 "FM/AFI spin-loss bilayer; extra parameter `absorption` (0..1, default 0.5)"),
    "pmtj": (presets.PmtjParams, presets.PmtjParams(),
             "CoFeB/MgO perpendicular MTJ switched by spin-transfer torque"),
    "grain_hallbar": (presets.GrainHallBarParams, presets.GrainHallBarParams(),
                      "multi-domain (grain ensemble) Hall cross: analog states"),
    "tilted_synapse": (presets.GrainHallBarParams, presets.GrainHallBarParams(tilt_deg=15.0),
                       "grain Hall cross with a tilted easy axis: field-free SOT switching"),
}

_DOC = re.compile(r"^\s*(\w+)\s*:[^=]*=.*?#:\s*(.*)$")


def _field_docs(cls: type) -> dict[str, str]:
    docs = {}
    for line in inspect.getsource(cls).splitlines():
        match = _DOC.match(line)
        if match:
            docs[match.group(1)] = match.group(2).strip()
    return docs


def parameter_rows(model: str) -> list[tuple[str, str, str]]:
    """``(name, default, description)`` of every parameter a bench file may give the preset."""
    cls, defaults, _ = PRESET_PARAMS[model]
    docs = _field_docs(cls)
    rows = []
    for f in fields(cls):
        if f.default is MISSING and f.default_factory is MISSING:   # type: ignore[misc]
            continue
        rows.append((f.name, f"{getattr(defaults, f.name)!r}", docs.get(f.name, "")))
    return rows


def markdown() -> str:
    """The whole ``docs/devices.md`` page."""
    out = ["# Device presets and their parameters", "",
           "A simulated bench file names its device as `sim: device: {model: NAME, params: {...}}`;",
           "`params` overrides any parameter below (SI units; an unknown name is refused with the",
           "list of known ones). Generated from `sim_backend/physics/presets.py` by",
           "`python -m spinbench.sim_backend.physics.preset_docs > docs/devices.md`.", ""]
    for model, (cls, _, line) in PRESET_PARAMS.items():
        out += [f"## `{model}`", "", f"{line} (`{cls.__name__}`).", "",
                "| parameter | default | meaning |", "|---|---|---|"]
        out += [f"| `{name}` | {default} | {doc} |" for name, default, doc in parameter_rows(model)]
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover
    print(markdown())
