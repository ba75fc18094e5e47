"""Kernel: a VectorField compiled to batched NumPy functions.

``f(x)`` maps ``(..., D) -> (..., D)`` and ``jacobian(x)`` maps ``(..., D) -> (..., D, D)``, for
any leading batch shape.  Both are produced by ``sympy.lambdify`` with common-subexpression
elimination (``cse=True``); only the structurally non-zero Jacobian entries are compiled.
Parameters stay symbols in the compiled code, so a parameter scan never recompiles: values are
given as keyword arguments per call or bound once with :meth:`Kernel.bind`, and may be arrays
that broadcast against the batch shape (one parameter set per trajectory).
"""
from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from ._validate import as_float_array, as_square_matrix  # noqa: F401  (re-exported: older imports)

__all__ = ["Kernel"]


class Kernel:
    """Batched NumPy evaluation of a :class:`~symdyn.field.VectorField` and its Jacobian.

    Attributes
    ----------
    field : VectorField
    dimension : int — D
    param_names : list of str — the parameters still to be given (not bound)

    Examples
    --------
    >>> import sympy as sp, numpy as np
    >>> from symdyn import VectorField
    >>> x, y, a = sp.symbols("x y a")
    >>> k = VectorField([x, y], [-a * x, x * y], params=[a]).lambdify(a=2.0)
    >>> k.f(np.ones((5, 2))).shape, k.jacobian(np.ones((5, 2))).shape
    ((5, 2), (5, 2, 2))
    """

    def __init__(self, field, _shared: dict | None = None, _bound: dict | None = None):
        self.field = field
        self.dimension = field.dimension
        self._shared = _shared if _shared is not None else {}
        self._bound = dict(_bound or {})
        self._all_params = tuple(str(p) for p in field.params)  # names read once, not per call
        self.param_names = [p for p in self._all_params if p not in self._bound]

    def __repr__(self) -> str:
        return (f"Kernel({self.field.name!r}, D={self.dimension}, bound={sorted(self._bound)}, "
                f"free={self.param_names})")

    # ---- compilation (once per field, shared by every bound copy) -------------------------------
    def _args(self):
        return list(self.field.states) + list(self.field.params)

    def _compiled_f(self):
        if "f" not in self._shared:
            self._shared["f"] = sp.lambdify(self._args(), list(self.field.rhs), modules="numpy", cse=True)
        return self._shared["f"]

    def _compiled_jacobian(self):
        if "J" not in self._shared:
            J = self.field.jacobian()
            index = [(i, j) for i in range(J.rows) for j in range(J.cols) if J[i, j] != 0]
            fn = sp.lambdify(self._args(), [J[i, j] for i, j in index], modules="numpy", cse=True)
            self._shared["J"] = (index, fn)
        return self._shared["J"]

    # ---- parameters ---------------------------------------------------------------------------
    def bind(self, **params) -> "Kernel":
        """A kernel with some parameter values fixed (no recompilation)."""
        for k in params:
            if k not in self._all_params:
                raise ValueError(f"{k}: not a parameter of {self.field.name}; parameters are {sorted(self._all_params)}")
        checked = {k: as_float_array(v, k) for k, v in params.items()}
        return Kernel(self.field, self._shared, {**self._bound, **checked})

    def _param_arrays(self, given: dict) -> list:
        if not given and not self.param_names:  # the common case: everything bound
            return [self._bound[p] for p in self._all_params]
        values = dict(self._bound)
        for k, v in given.items():
            if k not in self._all_params:
                raise ValueError(f"{k}: not a parameter of {self.field.name}; parameters are {sorted(self._all_params)}")
            values[k] = as_float_array(v, k)
        missing = [p for p in self._all_params if p not in values]
        if missing:
            raise ValueError(f"missing parameter values for {missing} (pass them as keyword arguments "
                             f"or bind them with Kernel.bind)")
        return [values[p] for p in self._all_params]

    def _state(self, x) -> np.ndarray:
        x = as_float_array(x, "x")
        if x.ndim == 0 or x.shape[-1] != self.dimension:
            raise ValueError(f"x: expected trailing dimension D={self.dimension} (shape (..., {self.dimension})), "
                             f"got shape {x.shape}")
        return x

    # ---- evaluation ---------------------------------------------------------------------------
    def f(self, x, **params) -> np.ndarray:
        """f(x): (..., D) -> (..., D)."""
        x = self._state(x)
        p = self._param_arrays(params)
        batch = np.broadcast_shapes(x.shape[:-1], *[np.shape(v) for v in p])
        cols = self._compiled_f()(*(x[..., i] for i in range(self.dimension)), *p)
        out = np.empty(batch + (self.dimension,))
        for i, c in enumerate(cols):
            out[..., i] = c
        return out

    def jacobian(self, x, **params) -> np.ndarray:
        """J(x) = ∂f/∂x: (..., D) -> (..., D, D)."""
        x = self._state(x)
        p = self._param_arrays(params)
        batch = np.broadcast_shapes(x.shape[:-1], *[np.shape(v) for v in p])
        index, fn = self._compiled_jacobian()
        out = np.zeros(batch + (self.dimension, self.dimension))
        vals = fn(*(x[..., i] for i in range(self.dimension)), *p) if index else []
        for (i, j), v in zip(index, vals):
            out[..., i, j] = v
        return out

    def jacobian_mp(self, x, dps: int = 50, **params) -> mpmath.matrix:
        """J(x) evaluated in mpmath at ``dps`` digits, for a single point x of shape (D,)."""
        x = self._state(x)
        if x.ndim != 1:
            raise ValueError(f"x: jacobian_mp takes one point of shape ({self.dimension},), got {x.shape}")
        p = self._param_arrays(params)
        if any(np.ndim(v) for v in p):
            raise ValueError("params: jacobian_mp takes scalar parameter values")
        if "J_mp" not in self._shared:
            self._shared["J_mp"] = sp.lambdify(self._args(), self.field.jacobian(), modules="mpmath")
        with mpmath.workdps(dps):
            J = self._shared["J_mp"](*[mpmath.mpf(float(v)) for v in x], *[mpmath.mpf(float(v)) for v in p])
            return mpmath.matrix(J)
