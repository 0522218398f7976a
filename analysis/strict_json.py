"""Summary files of an analysis: strict JSON (RFC 8259), which has no NaN or Infinity.

Python's ``json`` writes bare ``NaN`` by default, which other JSON readers (``jq``, browsers,
``JSON.parse``) reject; a value that was not measured or not found is written ``null``.
"""
from __future__ import annotations

import dataclasses
import enum
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["json_safe", "write_summary"]


def json_safe(obj: Any) -> Any:
    """``obj`` as plain JSON values: NumPy scalars and arrays, tuples, sets, paths, enums and
    dataclasses converted; NaN and infinities become ``None``."""
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else None
    if isinstance(obj, str) or obj is None:
        return obj
    if isinstance(obj, Mapping):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return json_safe(dataclasses.asdict(obj))
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, enum.Enum):
        return json_safe(obj.value)
    if isinstance(obj, Path):
        return str(obj)
    return str(obj)


def write_summary(path: str | Path, summary: Mapping[str, Any]) -> Path:
    """Write ``summary`` as indented strict JSON (``null`` for NaN) and return the path."""
    path = Path(path)
    path.write_text(json.dumps(json_safe(summary), indent=2, allow_nan=False))
    return path
