"""EquilibriumVariety: a component of the equilibrium set of a field, with its parametrisation.

A component is described by its defining equations (SymPy expressions in the field's state
symbols, all = 0), its dimension k, a sampler (``sample(seed)`` -> a flat state on the component,
drawn from the parametrisation) and, where known, a basis of its tangent space at a point.  The
field residual of a point is relative:

    residual(x) = ‖f(x)‖₂ / max(‖J(x)‖₂ · ‖x‖₂, tiny)      (0 when f(x) = 0),

which is scale-free for polynomial fields (f and J·x have the same size away from equilibria).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import sympy as sp

from .stability import StabilityReport, relative_residual, stability

__all__ = ["EquilibriumVariety", "relative_residual"]


class EquilibriumVariety:
    """One component of the equilibrium set.

    Parameters
    ----------
    name : str
    dimension : int — k
    equations : list of sympy expressions (= 0) in the state symbols of ``kernel.field``
    kernel : Kernel — the field whose equilibria these are (all parameters bound)
    sampler : callable(np.random.Generator) -> np.ndarray (D,)
    tangent : callable(x) -> np.ndarray (k', D), optional — spanning set of the tangent space at x
    parametrization : str — LaTeX of the parametrisation
    info : dict — model-specific data (e.g. ``S`` for the SSL model)
    """

    def __init__(self, name: str, dimension: int, equations: Sequence, kernel, sampler: Callable,
                 tangent: Callable | None = None, parametrization: str = "", info: dict | None = None):
        self.name = name
        self.dimension = int(dimension)
        self.equations = list(equations)
        self.kernel = kernel
        self._sampler = sampler
        self._tangent = tangent
        self.parametrization = parametrization
        self.info = dict(info or {})

    def __getattr__(self, key):
        """Model-specific data in ``info`` read as attributes (e.g. ``variety.S`` for the SSL model)."""
        info = self.__dict__.get("info", {})
        if key in info:
            return info[key]
        raise AttributeError(f"{type(self).__name__!s} has no attribute {key!r}")

    def __repr__(self) -> str:
        return f"EquilibriumVariety({self.name!r}, dimension={self.dimension})"

    def sample(self, seed: int | np.random.Generator | None = 0) -> np.ndarray:
        """A point of the component (flat state, shape (D,)), from the parametrisation."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        return self._sampler(rng)

    def residual(self, x) -> float:
        """Relative field residual at x (module docstring)."""
        return relative_residual(self.kernel, x)

    def equation_residual(self, x) -> float:
        """max |g(x)| over the defining equations g = 0 (absolute)."""
        if getattr(self, "_equation_fn", None) is None:  # compiled once per variety
            self._equation_fn = sp.lambdify(self.kernel.field.states, self.equations, modules="numpy")
        return float(np.max(np.abs(np.asarray(self._equation_fn(*np.asarray(x, dtype=float)), dtype=float))))

    def tangent_basis(self, x) -> np.ndarray:
        """Orthonormal basis (k, D) of the tangent space at x (from the model's tangent generators)."""
        if self._tangent is None:
            raise NotImplementedError(f"{self.name}: no tangent generators known")
        T = np.atleast_2d(self._tangent(np.asarray(x, dtype=float)))
        u, s, vt = np.linalg.svd(T, full_matrices=False)
        rank = int(np.sum(s > 1e-10 * max(s.max(initial=0.0), 1e-300)))
        return vt[:rank]

    def stability(self, seed: int = 0, **kwargs) -> StabilityReport:
        """Stability verdict at a sampled point.  When the tangent space is known and spans ``dimension``
        directions it is projected out and the rest of the spectrum judged on its own scale (so a slowest
        rate far below ‖J‖, e.g. −λ at tiny weight decay, is still decided); else manifold_dim = dimension."""
        x = self.sample(seed)
        if self._tangent is not None and "manifold_dim" not in kwargs and "tangent" not in kwargs:
            T = self.tangent_basis(x)
            if T.shape[0] == self.dimension:
                return stability(self.kernel, x, tangent=T, **kwargs)
        kwargs.setdefault("manifold_dim", self.dimension)
        return stability(self.kernel, x, **kwargs)
