"""Provenance of a result: what produced it (versions, command line, seed, time), stored with every results JSON.

A number in a paper should say where it came from.  :func:`provenance` is the one block every JSON writer adds
(``verify``, the experiments, ``continue``, the benchmarks) under the key ``"provenance"``; comparisons of results
(e.g. one worker against two) leave that key aside, as it holds the time and the command line.
"""
from __future__ import annotations

import datetime
import platform
import sys
from importlib import metadata
from typing import Any

__all__ = ["provenance", "without_provenance"]

_PACKAGES = ("symdyn", "numpy", "scipy", "sympy", "mpmath", "symengine")


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def provenance(seed: int | None = None, command: list[str] | None = None, **settings: Any) -> dict:
    """The provenance block: {"symdyn", "numpy", "scipy", "sympy", "mpmath", "symengine" (versions), "python",
    "platform", "command" (the command line, ``sys.argv`` by default), "seed", "created" (UTC, ISO 8601), plus any
    ``settings`` given (e.g. workers)}.

    Examples
    --------
    >>> p = provenance(seed=3, command=["symdyn", "verify"])
    >>> p["seed"], p["command"], sorted(k for k in ("numpy", "sympy") if p[k])
    (3, 'symdyn verify', ['numpy', 'sympy'])
    """
    argv = sys.argv if command is None else command
    out = {name: _version(name) for name in _PACKAGES}
    out.update({"python": platform.python_version(), "platform": platform.platform(),
                "command": " ".join(str(a) for a in argv), "seed": seed,
                "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")})
    out.update(settings)
    return out


def without_provenance(result: dict) -> dict:
    """``result`` without its provenance block (to compare two runs' results).

    Examples
    --------
    >>> without_provenance({"trials": 10, "provenance": {"seed": 0, "time": "2026-11-24T23:00:00"}})
    {'trials': 10}
    """
    return {k: v for k, v in result.items() if k != "provenance"}
