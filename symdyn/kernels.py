"""Kernel: a VectorField compiled to native code, evaluated on any batch shape.

``f(x)`` maps ``(..., D) -> (..., D)`` and ``jacobian(x)`` maps ``(..., D) -> (..., D, D)``, for any leading batch
shape (a single point is the batch shape ``()``).  Both are compiled by :class:`~symdyn.compiled.CompiledExpressions`
(SymEngine's LLVM ``Lambdify``, common subexpressions eliminated): f from the D components, J from its structurally
non-zero entries ∂f_i/∂x_j, differentiated by SymEngine only against the states that occur in f_i (so the build
grows with the number of non-zero entries).  Expressions SymEngine cannot take fall back to ``sympy.lambdify``
(NumPy, CSE on); :attr:`Kernel.route` says what ran.  Parameters stay symbols in the compiled code, so a parameter
scan never recompiles: values are given as keyword arguments per call or bound once with :meth:`Kernel.bind`, and
may be arrays that broadcast against the batch shape (one parameter set per trajectory).  A kernel used many times at
one set of values can have them compiled in (:meth:`Kernel.specialise`: one more compilation, no parameter columns
to copy per call).
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import mpmath
import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from ._validate import all_finite, as_float_array, as_square_matrix  # noqa: F401  (as_square_matrix: older imports)
from .compiled import CompiledExpressions, sparse_jacobian, substitute

if TYPE_CHECKING:
    from .field import VectorField

__all__ = ["Kernel"]

#: J is compiled as the full D×D list (zeros included: the compiled code writes the whole output, faster than
#: scattering into a zeroed array) when D² is at most this, or at least a quarter of J is structurally non-zero;
#: larger sparse Jacobians compile their non-zero entries only (build time grows with them, not with D²).
DENSE_MAX_ENTRIES = 10_000
DENSE_FILL = 0.25
#: specialisations (:meth:`Kernel.specialise`) kept per field: the most recent sets of parameter values
SPECIALISED_KEPT = 8


class Kernel:
    """Compiled evaluation of a :class:`~symdyn.field.VectorField` and its Jacobian.

    Parameters
    ----------
    field : VectorField
    backend : "auto" (SymEngine LLVM, falling back to SymEngine's lambda backend, then NumPy), "llvm",
        "lambda" or "numpy" (``sympy.lambdify``, CSE on) — see :class:`~symdyn.compiled.CompiledExpressions`

    Attributes
    ----------
    field : VectorField
    dimension : int — D
    param_names : list of str — the parameters still to be given (not bound)
    route : str or None — how the last call was evaluated: "llvm", "lambda" or "numpy" (None before any call)

    Examples
    --------
    >>> import sympy as sp, numpy as np
    >>> from symdyn import VectorField
    >>> x, y, a = sp.symbols("x y a")
    >>> k = VectorField([x, y], [-a * x, x * y], params=[a]).lambdify(a=2.0)
    >>> k.f(np.ones((5, 2))).shape, k.jacobian(np.ones((5, 2))).shape
    ((5, 2), (5, 2, 2))
    >>> k.jacobian(np.array([1.0, 3.0])), k.route
    (array([[-2.,  0.],
           [ 3.,  1.]]), 'llvm')
    """

    def __init__(self, field: VectorField, _shared: dict | None = None, _bound: dict | None = None, *,
                 backend: str = "auto"):
        if backend not in ("auto", "llvm", "lambda", "numpy"):
            raise ValueError(f"backend: expected 'auto', 'llvm', 'lambda' or 'numpy', got {backend!r}")
        self.field = field
        self.dimension = field.dimension
        self._shared = _shared if _shared is not None else {"backend": backend}
        self._bound = dict(_bound or {})
        self._fixed = self._shared.get("fixed", {})  # parameter values compiled in (specialise)
        # the parameters the compiled code takes, by name (read once, not per call)
        # the parameters the compiled code takes: the field's, then those of a shared template (a matrix-form
        # kernel's matrix entries, :meth:`MatrixKernel._compiled_route`), less those compiled in
        self._all_params = tuple(p for p in [str(q) for q in field.params] + self._shared.get("extra_params", [])
                                 if p not in self._fixed)
        self.param_names = [p for p in self._all_params if p not in self._bound]
        self.route = None
        self._local = threading.local()
        scalars = all(np.ndim(v) == 0 for v in self._bound.values())
        self._pvec = (np.array([float(self._bound[p]) for p in self._all_params])
                      if not self.param_names and scalars else None)  # the common case: all bound, scalar

    def __repr__(self) -> str:
        return (f"Kernel({self.field.name!r}, D={self.dimension}, bound={sorted(self._bound)}, "
                f"free={self.param_names})")

    # ---- compilation (once per field, shared by every bound copy) -------------------------------
    def _args(self):
        extra = [sp.Symbol(p) for p in self._shared.get("extra_params", [])]
        return list(self.field.states) + [p for p in list(self.field.params) + extra if str(p) not in self._fixed]

    def _components(self) -> list:
        """f_1 … f_D: the field's SymPy components, or SymEngine expressions a matrix-form kernel derived from its
        plan (``_shared["rhs_exprs"]``, :func:`~symdyn.matrix_codegen.symbolic_components`); parameters compiled in
        (:meth:`specialise`) substituted."""
        comps = self._shared.get("rhs_exprs") or list(self.field.rhs)
        return substitute(comps, self._fixed) if self._fixed else comps

    def _compiled_f(self) -> CompiledExpressions:
        if "f" not in self._shared:
            self._shared["f"] = CompiledExpressions(self._args(), self._components(),
                                                    backend=self._shared["backend"])
        return self._shared["f"]

    def _jacobian_entries(self) -> tuple[list, list]:
        """(index [(i, j)], entries) of the structurally non-zero ∂f_i/∂x_j: SymEngine's derivatives, or the
        field's SymPy Jacobian when SymEngine cannot represent f."""
        if "jac_entries" in self._shared:  # chosen by the matrix-form kernel that made this one
            index, entries = self._shared["jac_entries"]
            return (index, substitute(entries, self._fixed)) if self._fixed else (index, entries)
        if self._shared["backend"] != "numpy":
            try:
                return sparse_jacobian(self._components(), self.field.states)
            except TypeError:
                pass
        J = self.field.jacobian()
        index = [(i, j) for i in range(J.rows) for j in range(J.cols) if J[i, j] != 0]
        entries = [J[i, j] for i, j in index]
        return index, (substitute(entries, self._fixed) if self._fixed else entries)

    def _compiled_jacobian(self) -> tuple:
        """(index, flat positions or None when dense, compiled entries)."""
        if "J" not in self._shared:
            D = self.dimension
            index, entries = self._jacobian_entries()
            if D * D <= DENSE_MAX_ENTRIES or len(index) >= DENSE_FILL * D * D:
                full = [0] * (D * D)
                for (i, j), e in zip(index, entries):
                    full[i * D + j] = e
                flat, entries = None, full
            else:
                flat = np.array([i * D + j for i, j in index], dtype=np.intp)
            self._shared["J"] = (index, flat, CompiledExpressions(self._args(), entries,
                                                                  backend=self._shared["backend"]))
        return self._shared["J"]

    # ---- parameters ---------------------------------------------------------------------------
    def bind(self, **params: ArrayLike) -> "Kernel":
        """A kernel with some parameter values fixed (no recompilation)."""
        for k in params:
            if k not in self._all_params:
                raise ValueError(f"{k}: not a parameter of {self.field.name}; parameters are {sorted(self._all_params)}")
        checked = {k: as_float_array(v, k) for k, v in params.items()}
        return type(self)(self.field, self._shared, {**self._bound, **checked})

    def specialise(self) -> "Kernel":
        """This kernel with its bound parameter values compiled in as constants.

        A bound kernel passes its parameter values to the compiled code as extra argument columns, copied next to
        the states on every call (Lorenz-96, D = 50, 1000 points: ~20 µs of a 0.1 ms call); the specialised kernel
        takes the states alone.  It costs one more compilation (the specialisations of a field are kept, the 8 most
        recent sets of values), so it pays for a kernel called many times at one set of values, not for a scan.
        Every parameter must be bound to a scalar.

        >>> import sympy as sp, numpy as np
        >>> from symdyn import VectorField
        >>> x, a = sp.symbols("x a")
        >>> k = VectorField([x], [-a * x], params=[a]).lambdify(a=2.0).specialise()
        >>> k.f(np.array([3.0])), k.param_names
        (array([-6.]), [])
        """
        if self.param_names or self._pvec is None:
            raise ValueError(f"specialise: every parameter must be bound to a scalar first (free: "
                             f"{self.param_names or 'none'}; bound to arrays: "
                             f"{sorted(k for k, v in self._bound.items() if np.ndim(v)) or 'none'})")
        if not self._all_params:
            return self
        cache = self._shared.setdefault("specialised", {})
        key = self._pvec.tobytes()
        if key not in cache:
            if len(cache) >= SPECIALISED_KEPT:
                cache.pop(next(iter(cache)))
            fixed = {**self._fixed, **dict(zip(self._all_params, self._pvec.tolist()))}
            shared = {k: v for k, v in self._shared.items() if k in ("backend", "rhs_exprs", "jac_entries", "extra_params")}
            cache[key] = {**shared, "fixed": fixed}
        return Kernel(self.field, cache[key])

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

    def _inputs(self, x, params: dict) -> np.ndarray:
        """The compiled functions' argument array (..., D + P): states, then parameters broadcast to the batch."""
        x = self._state(x)
        D = self.dimension
        if not params and self._pvec is not None:
            if not len(self._pvec):
                return x
            if x.ndim == 1:
                return np.concatenate((x, self._pvec))
            inp = self._buffer(x.shape[:-1] + (D + len(self._pvec),))
            inp[..., :D] = x
            inp[..., D:] = self._pvec
            return inp
        p = self._param_arrays(params)
        batch = np.broadcast_shapes(x.shape[:-1], *[np.shape(v) for v in p])
        inp = np.empty(batch + (D + len(p),))
        inp[..., :D] = x
        for k, v in enumerate(p):
            inp[..., D + k] = v
        return inp

    def _buffer(self, shape: tuple) -> np.ndarray:
        """A reusable argument array of this shape, one per thread (the compiled code reads it whole before the call
        returns, so reuse is safe): a fresh array of a few hundred kB per call costs more in page faults than the
        copy into it."""
        buf = getattr(self._local, "buf", None)
        if buf is None or buf.shape != shape:
            buf = np.empty(shape)
            self._local.buf = buf
        return buf

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_local", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._local = threading.local()

    def _point(self, x) -> np.ndarray | None:
        """The argument vector (D + P,) of a single float64 point when every parameter is bound to a scalar (the
        call an ODE solver or Newton's method makes), else None.  A NaN or inf is refused like everywhere else."""
        if (type(x) is not np.ndarray or x.dtype != np.float64 or x.shape != (self.dimension,)
                or self._pvec is None):
            return None
        if not all_finite(x):
            raise ValueError("x: contains NaN or inf")
        return np.concatenate((x, self._pvec)) if len(self._pvec) else np.ascontiguousarray(x)

    # ---- evaluation ---------------------------------------------------------------------------
    def _run(self, fn: CompiledExpressions, x, params: dict) -> tuple[np.ndarray, tuple]:
        """(fn's values (..., K), batch shape): one point through the low-overhead path, else the batch."""
        self.route = fn.backend
        inp = None if params else self._point(x)
        if inp is not None:
            return fn.point(inp), ()
        inp = self._inputs(x, params)
        return fn(inp), inp.shape[:-1]

    def f(self, x: ArrayLike, **params: ArrayLike) -> np.ndarray:
        """f(x): (..., D) -> (..., D)."""
        return self._run(self._compiled_f(), x, params)[0]

    def jacobian(self, x: ArrayLike, **params: ArrayLike) -> np.ndarray:
        """J(x) = ∂f/∂x: (..., D) -> (..., D, D)."""
        index, flat, fn = self._compiled_jacobian()
        D = self.dimension
        vals, batch = self._run(fn, x, params)
        if flat is None:
            return vals.reshape(batch + (D, D))
        out = np.zeros(batch + (D * D,))
        if len(flat):
            out[..., flat] = vals
        return out.reshape(batch + (D, D))

    def jacobian_mp(self, x: ArrayLike, dps: int = 50, **params: ArrayLike) -> mpmath.matrix:
        """J(x) evaluated in mpmath at ``dps`` digits, for a single point x of shape (D,)."""
        x = self._state(x)
        if x.ndim != 1:
            raise ValueError(f"x: jacobian_mp takes one point of shape ({self.dimension},), got {x.shape}")
        p = self._param_arrays(params)
        if any(np.ndim(v) for v in p):
            raise ValueError("params: jacobian_mp takes scalar parameter values")
        if "J_mp" not in self._shared:  # every parameter an argument, those compiled in too (their double values)
            self._shared["J_mp"] = sp.lambdify(list(self.field.states) + list(self.field.params),
                                               self.field.jacobian(), modules="mpmath")
        values = {**self._fixed, **dict(zip(self._all_params, p))}
        with mpmath.workdps(dps):
            J = self._shared["J_mp"](*[mpmath.mpf(float(v)) for v in x],
                                     *[mpmath.mpf(float(values[str(q)])) for q in self.field.params])
            return mpmath.matrix(J)
