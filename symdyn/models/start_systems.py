"""Start systems of parameter homotopies: all solutions of a parametrised polynomial system at one random complex
parameter point p₀, computed once per shape and then read from disk.

A parametrised system F(x; p) = 0 has, for generic p, the same number K of isolated solutions; carrying the K
solutions at p₀ along a path p(t) from p₀ to the data reaches every isolated solution at the data (the
parameter-homotopy theorem of Morgan & Sommese 1989).  The solutions at p₀ (found by monodromy) are stored as
``<name>.npz`` with the arrays ``p0``, ``sols`` and integer bookkeeping (``loops``, ``paths``, ``failed``,
``count_check``...), shipped in ``symdyn/data/strata`` (``make strata``) or written to the user cache
(``$SYMDYN_CACHE/strata``, default ``~/.cache/symdyn/strata``).  Every load checks the residuals first.

Example
-------
>>> from symdyn.models.start_systems import known_count
>>> known_count("m3_rank1_s0")                    # shipped: the 2m = 6 rank-1 solutions at m = 3
6
"""
from __future__ import annotations

import os
import warnings
from typing import Callable

import numpy as np

from ..user_cache import user_cache_dir

__all__ = ["SHIPPED", "cache_paths", "known_count", "load_or_compute"]

SHIPPED = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "strata")


def cache_paths(name: str) -> list:
    """[shipped file, user-cache file] of the start system ``name``.

    Examples
    --------
    >>> import os
    >>> shipped, user = cache_paths("m3_rank2_s0")
    >>> os.path.relpath(shipped, SHIPPED), os.path.basename(os.path.dirname(user))
    ('m3_rank2_s0.npz', 'strata')
    """
    return [os.path.join(SHIPPED, name + ".npz"), os.path.join(user_cache_dir("strata"), name + ".npz")]


def known_count(name: str) -> int | None:
    """The generic solution count K of the start system ``name`` if it is on disk (shipped or cached), else None
    (computing it is the expensive step).

    Examples
    --------
    >>> known_count("m3_rank2_s0"), known_count("not-computed")
    (30, None)
    """
    for path in cache_paths(name):
        if os.path.exists(path):
            return int(np.load(path)["sols"].shape[0])
    return None


def load_or_compute(name: str, residual: Callable, compute: Callable, arrays: tuple = ()) -> tuple:
    """(p₀, solutions (K, N) complex, info) of the start system ``name``.

    ``residual(sols, p0, *arrays)`` is the largest relative residual of the stored solutions (a file must pass
    ``residual ≤ 1e-8``, else it is recomputed with a warning); ``compute()`` returns (p₀, sols, info) with integer
    info values, and the arrays named in ``arrays`` (e.g. the chart the solutions are written in), written to the
    user cache.  ``info`` also carries ``count`` (K) and ``source`` (the file).

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> before = os.environ.get("SYMDYN_CACHE")
    >>> os.environ["SYMDYN_CACHE"] = tempfile.mkdtemp()     # a fresh user cache
    >>> def compute():                                       # x² = p₀ at p₀ = 4: the start system {2, −2}
    ...     return np.array([4.0 + 0j]), np.array([[2.0 + 0j], [-2.0 + 0j]]), {"loops": 1}
    >>> residual = lambda sols, p0: float(np.abs(sols[:, 0] ** 2 - p0[0]).max())
    >>> p0, sols, info = load_or_compute("squares", residual, compute)
    >>> again = load_or_compute("squares", residual, lambda: None)      # read back from disk, checked
    >>> info["count"], again[2]["source"] == info["source"], again[2]["loops"]
    (2, True, 1)
    >>> _ = os.environ.pop("SYMDYN_CACHE") if before is None else os.environ.update(SYMDYN_CACHE=before)
    """
    for path in cache_paths(name):
        if os.path.exists(path):
            data = np.load(path)
            p0, sols = data["p0"], data["sols"]
            if any(a not in data.files for a in arrays):
                warnings.warn(f"start system {path} lacks {arrays}; recomputing", RuntimeWarning)
                continue
            extra = [data[a] for a in arrays]
            res = residual(sols, p0, *extra) if len(sols) else 0.0
            if res <= 1e-8:
                info = {k: int(data[k]) for k in data.files if k not in ("p0", "sols") + tuple(arrays)}
                info.update(zip(arrays, extra))
                return p0, sols, dict(info, count=len(sols), source=path)
            warnings.warn(f"start system {path} fails its residual check ({res:.2g}); recomputing", RuntimeWarning)
    p0, sols, info = compute()
    user = cache_paths(name)[1]
    try:
        os.makedirs(os.path.dirname(user), exist_ok=True)
        np.savez(user, p0=p0, sols=sols, **{k: (np.asarray(v) if k in arrays else int(v)) for k, v in info.items()
                                             if k not in ("count", "source")})
    except OSError:
        pass
    return p0, sols, dict(info, count=len(sols), source=user)
