"""Reproduced experiments: one module per experiment, each a ``run(...)`` function plus a table formatter."""
from __future__ import annotations

import json
from pathlib import Path

__all__ = ["write_json"]


def write_json(result: dict, out: str | Path | None, exclude: tuple = ()) -> dict:
    """Write ``result`` (minus the keys in ``exclude``) as JSON to ``out`` (parents created); record the path."""
    if out:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({k: v for k, v in result.items() if k not in exclude}, indent=2))
        result["written_to"] = str(path)
    return result
