"""EquilibriumComponent: one component of the equilibrium set {f = 0} of a field, isolated or not.

One type for every source of equilibria: the exact solver (:func:`symdyn.equilibrium_components`: real
points, defining equations, a certificate) and the models' closed forms (e.g. the O(n)-orbits of
:meth:`symdyn.LinearSSL.equilibria`: a parametrisation to sample from and a tangent space).  Whatever is
known is filled in; whatever is derived from it (a point, residuals, the stability verdict) is computed on
request.  The field residual of a point is relative (:func:`symdyn.stability.relative_residual`):

    residual(x) = ‖f(x)‖₂ / max(‖J(x)‖₂ · ‖x‖₂, tiny)      (0 when f(x) = 0),

scale-free for polynomial fields.

Examples
--------
>>> import numpy as np, sympy as sp
>>> from symdyn import VectorField, equilibrium_components
>>> x, y = sp.symbols("x y")
>>> circle, = [c for c in equilibrium_components(VectorField([x, y], [x * (1 - x**2 - y**2), y * (1 - x**2 - y**2)]))
...            if c.dimension == 1]
>>> circle.dimension, circle.certified, bool(abs(np.linalg.norm(circle.point) - 1) < 1e-9)
(1, True, True)
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from ..stability import StabilityReport, relative_residual, stability

if TYPE_CHECKING:
    from ..kernels import Kernel

__all__ = ["EquilibriumComponent", "EquilibriumSet", "EquilibriumVariety"]


class EquilibriumComponent:
    """One real component of {f = 0}.

    Parameters
    ----------
    dimension : int — its real (local) dimension k
    equations : list of SymPy expressions (= 0) in the field's states, or a callable returning them (built on
        first use: symbolic equations are costly and most numeric work never reads them)
    charts : list of dict — for a point {state: exact value}; for a positive-dimensional component the charts of
        ``sympy.solve`` on its equations (possibly empty)
    points : (P, D) array — real points on the component (one for an isolated point)
    complex_dimension : int, optional — the Krull dimension of the branch over ℂ (≥ dimension; default dimension)
    method : str — how it was obtained
    certified : bool — an exact certificate (real-root isolation, or a proof that real points exist)
    name : str — a label (e.g. "sg full-rank branch 2/2")
    kernel : Kernel, optional — the compiled field (all parameters bound); needed by ``residual``/``stability``
    sampler : callable(np.random.Generator) -> (D,), optional — a point drawn from the parametrisation
    tangent : callable(x) -> (k', D), optional — a spanning set of the tangent space at x
    parametrization : str — LaTeX of the parametrisation
    info : dict — model-specific data (e.g. ``S``, ``rank``, ``kind`` for the SSL model)

    Examples
    --------
    >>> from symdyn import LinearSSL
    >>> outer = LinearSSL(1, 2, [[1.0]], [[0.8]], lam=0.12).equilibrium_set("sg")[-1]
    >>> outer.name, outer.dimension, outer.certified
    ('sg full-rank branch 2/2', 1, True)
    >>> x = outer.sample(0)
    >>> outer.residual(x) < 1e-12, outer.stability().verdict
    (True, 'asymptotically stable')
    """

    def __init__(self, dimension: int, equations: Sequence | Callable = (), charts: Sequence = (),
                 points: ArrayLike | None = None, complex_dimension: int | None = None, method: str = "",
                 certified: bool = False, *, name: str = "", kernel: Kernel | None = None,
                 sampler: Callable | None = None, tangent: Callable | None = None, parametrization: str = "",
                 info: dict | None = None):
        self.dimension = int(dimension)
        self._equations = equations if callable(equations) else list(equations)
        self.charts = list(charts)
        self.points = np.zeros((0, 0)) if points is None else np.atleast_2d(np.asarray(points, dtype=float))
        self.complex_dimension = self.dimension if complex_dimension is None else int(complex_dimension)
        self.method = method
        self.certified = bool(certified)
        self.name = name
        self.kernel = kernel
        self._sampler = sampler
        self._tangent = tangent
        self.parametrization = parametrization
        self.info = dict(info or {})
        self._equation_fn = None

    @property
    def equations(self) -> list:
        """The defining equations (= 0), built on first use when given as a callable."""
        if callable(self._equations):
            self._equations = list(self._equations())
        return self._equations

    def __getattr__(self, key):
        """Deprecated: model data read as attributes (``component.S``); use ``component.info["S"]``."""
        info = self.__dict__.get("info", {})
        if key in info:
            warnings.warn(f"component.{key} is deprecated; use component.info[{key!r}]", DeprecationWarning,
                          stacklevel=2)
            return info[key]
        raise AttributeError(f"{type(self).__name__} has no attribute {key!r}")

    def _latex_row(self) -> str:
        """name & dimension & what pins it down & certified, for the LaTeX tables of Jupyter."""
        what = self.parametrization
        if "S" in self.info:  # SSL: the root S = AᵀA that tells the components apart
            what = r"\operatorname{spec} S = \{" + ", ".join(f"{v:.4g}" for v in np.linalg.eigvalsh(self.info["S"])) + r"\}"
        elif not what and not callable(self._equations) and self._equations:
            from ..latex.document import latex

            what = r",\ ".join(latex(e) + " = 0" for e in self._equations[:3]) + (r",\ \dots" if len(self._equations) > 3 else "")
        name = (self.name or "component").replace("_", r"\_")
        return rf"\text{{{name}}} & {self.dimension} & {what} & \text{{{'yes' if self.certified else 'no'}}}"

    def _repr_latex_(self) -> str:
        """Jupyter: name, dimension, its root or equations (never built just for display), certified."""
        return (r"$$\begin{array}{llll}\text{component} & \dim & & \text{certified} \\ \hline "
                + self._latex_row() + r"\end{array}$$")

    def __repr__(self) -> str:
        if self.name:
            return f"EquilibriumComponent({self.name!r}, dimension={self.dimension}, certified={self.certified})"
        return (f"EquilibriumComponent(dimension={self.dimension}, equations={self.equations}, "
                f"certified={self.certified})")

    # ---- points ----------------------------------------------------------------------------------
    @property
    def point(self) -> np.ndarray:
        """A real point of the component (D,): the first known point, else one sampled with seed 0."""
        if self.points.size:
            return self.points[0]
        if self._sampler is not None:
            return self.sample(0)
        raise ValueError(f"{self.name or 'component'}: no real point is known")

    def sample(self, seed: int | np.random.Generator | None = 0) -> np.ndarray:
        """A point of the component (flat state, shape (D,)), from the parametrisation (or a known point)."""
        if self._sampler is None:
            if self.points.size:
                rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
                return self.points[int(rng.integers(len(self.points)))]
            raise NotImplementedError(f"{self.name or 'component'}: no parametrisation to sample from")
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        return self._sampler(rng)

    # ---- residuals -------------------------------------------------------------------------------
    def _require_kernel(self):
        if self.kernel is None:
            raise ValueError(f"{self.name or 'component'}: no kernel attached (give kernel= when constructing)")
        return self.kernel

    def residual(self, x: ArrayLike) -> float:
        """Relative field residual at x (module docstring)."""
        return relative_residual(self._require_kernel(), x)

    def equation_residual(self, x: ArrayLike) -> float:
        """max |g(x)| over the defining equations g = 0 (absolute)."""
        if self._equation_fn is None:  # compiled once per component
            self._equation_fn = sp.lambdify(self._require_kernel().field.states, self.equations, modules="numpy")
        return float(np.max(np.abs(np.asarray(self._equation_fn(*np.asarray(x, dtype=float)), dtype=float))))

    # ---- geometry and stability ------------------------------------------------------------------
    def tangent_basis(self, x: ArrayLike) -> np.ndarray:
        """Orthonormal basis (k, D) of the tangent space at x (from the model's tangent generators)."""
        if self._tangent is None:
            raise NotImplementedError(f"{self.name or 'component'}: no tangent generators known")
        T = np.atleast_2d(self._tangent(np.asarray(x, dtype=float)))
        u, s, vt = np.linalg.svd(T, full_matrices=False)
        rank = int(np.sum(s > 1e-10 * max(s.max(initial=0.0), 1e-300)))
        return vt[:rank]

    def stability(self, seed: int = 0, **kwargs: Any) -> StabilityReport:
        """Stability verdict at a point of the component (sampled with ``seed`` when a parametrisation is known).

        When the tangent space is known and spans ``dimension`` directions it is projected out and the rest of
        the spectrum judged on its own scale (so a slowest rate far below ‖J‖, e.g. −λ at tiny weight decay, is
        still decided); else manifold_dim = dimension."""
        kernel = self._require_kernel()
        x = self.sample(seed) if self._sampler is not None else self.point
        if self._tangent is not None and "manifold_dim" not in kwargs and "tangent" not in kwargs:
            T = self.tangent_basis(x)
            if T.shape[0] == self.dimension:
                return stability(kernel, x, tangent=T, **kwargs)
        kwargs.setdefault("manifold_dim", self.dimension)
        return stability(kernel, x, **kwargs)


EquilibriumVariety = EquilibriumComponent  # the former name of the same concept (kept for user scripts)


class EquilibriumSet(list):
    """A list of :class:`EquilibriumComponent` with ``certified`` (every component certified, and no branch left
    undecided), ``complex_count`` (distinct isolated complex solutions, real or not; None when not counted),
    ``notes`` (what could not be certified, and why), ``complete`` ("proven": an exact count; "checked": every
    homotopy path accounted for; "unchecked"; None when not assessed) and ``strata`` (per stratum, e.g. rank).

    Examples
    --------
    >>> from symdyn import LinearSSL
    >>> es = LinearSSL(1, 2, [[1.0]], [[0.8]], lam=0.12).equilibrium_set("sg")
    >>> len(es), es.complete, [c.dimension for c in es]      # the origin and the two spheres r² = 0.04, 0.36
    (3, 'proven', [0, 1, 1])
    >>> [round(float(c.info["S"][0, 0]), 6) for c in es]
    [0.0, 0.04, 0.36]
    """

    def __init__(self, comps: Sequence[EquilibriumComponent], certified: bool, complex_count: int | None,
                 notes: Sequence[str] = (), *, complete: str | None = None, strata: dict | None = None):
        super().__init__(comps)
        self.certified = certified
        self.complex_count = complex_count
        self.notes = list(notes)
        self.complete = complete  # "proven" | "checked" | "unchecked" (None: not assessed)
        self.strata = dict(strata or {})  # per rank (SSL): {"count", "method", "complete", ...}

    def _repr_latex_(self) -> str:
        """Jupyter: one row per component, then completeness and certification."""
        rows = r" \\ ".join(c._latex_row() for c in self)
        foot = (rf"\text{{{len(self)} components; complete: {self.complete or 'not assessed'}; certified: "
                rf"{'yes' if self.certified else 'no'}}}")
        return (r"$$\begin{array}{llll}\text{component} & \dim & & \text{certified} \\ \hline "
                + rows + r" \\ \hline \multicolumn{4}{l}{" + foot + r"}\end{array}$$")
