"""Where symdyn keeps what it computes once per machine: ``$SYMDYN_CACHE/<kind>`` (default ``~/.cache/symdyn/<kind>``).

Two kinds live there: start systems of the rank strata (``strata``, :mod:`symdyn.models.start_systems`) and
compiled kernels (``kernels``, :mod:`symdyn.complex_codegen`).  Everything read back from it is checked before use
(residuals of start systems, values of kernels), so a stale or foreign file costs a recomputation, never a wrong
answer.

Examples
--------
>>> import os, tempfile
>>> before = os.environ.get("SYMDYN_CACHE")
>>> os.environ["SYMDYN_CACHE"] = root = tempfile.mkdtemp()
>>> user_cache_dir("kernels") == os.path.join(root, "kernels")
True
>>> _ = os.environ.pop("SYMDYN_CACHE") if before is None else os.environ.update(SYMDYN_CACHE=before)
"""
from __future__ import annotations

import os

__all__ = ["user_cache_dir"]


def user_cache_dir(kind: str) -> str:
    """The directory of the user cache for ``kind`` (not created here): ``$SYMDYN_CACHE/kind``, default
    ``~/.cache/symdyn/kind``, read when called (so a test or a worker may point it elsewhere)."""
    root = os.environ.get("SYMDYN_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "symdyn"))
    return os.path.join(root, kind)
