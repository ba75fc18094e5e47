"""VectorField: an autonomous ODE  ẋ = f(x; p)  written once in SymPy.

``states`` x = (x_1, ..., x_D) and ``params`` p are SymPy Symbols; ``rhs`` is the D×1 SymPy
Matrix f.  Everything else is derived: the Jacobian ``J_ij = ∂f_i/∂x_j`` (D×D), its antisymmetric
part (the "curl" ``(J − Jᵀ)/2``, which vanishes identically iff f is locally a gradient field,
by Schwarz's theorem on mixed partials), LaTeX, and the compiled :class:`~symdyn.kernels.Kernel`.

An optional ``matrix_form`` keeps the closed matrix expression (``{MatrixSymbol: MatrixExpr}``),
which is what :meth:`VectorField.latex` shows; the entry-wise ``rhs`` is what is compiled.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from ._validate import finite_real, positive_int, seed_value

if TYPE_CHECKING:
    from .kernels import Kernel

__all__ = ["VectorField", "GradientCheck"]


@dataclass
class GradientCheck:
    """Result of :meth:`VectorField.is_gradient`.

    Attributes
    ----------
    is_gradient : bool
        True iff the curl (J − Jᵀ)/2 vanishes identically.
    curl : sympy.Matrix
        The antisymmetric part of the Jacobian, D×D, simplified entry-wise.
    method : str
        ``"symbolic"`` (every entry simplified to 0, or a non-zero polynomial entry was found) or
        ``"numeric"`` (simplification could not decide; evaluated at random points).
    witness : dict or None
        For a non-gradient field, a point (states and params) where a curl entry is non-zero,
        together with ``entry=(i, j)`` and ``value``.

    Examples
    --------
    >>> import sympy as sp
    >>> from symdyn import VectorField
    >>> x, y = sp.symbols("x y", real=True)
    >>> bool(VectorField([x, y], [-2 * x, -y]).is_gradient())
    True
    >>> rotation = VectorField([x, y], [-y, x]).is_gradient()
    >>> bool(rotation), rotation.curl                       # ½(J − Jᵀ) ≠ 0: no potential
    (False, Matrix([
    [0, -1],
    [1,  0]]))
    """

    is_gradient: bool
    curl: sp.Matrix
    method: str
    witness: dict | None = None

    def __bool__(self) -> bool:
        return self.is_gradient

    def __repr__(self) -> str:
        nz = sum(1 for e in self.curl if e != 0)
        return (f"GradientCheck(is_gradient={self.is_gradient}, method={self.method!r}, "
                f"nonzero_curl_entries={nz})")


def _check_symbols(name: str, syms) -> tuple:
    syms = tuple(syms)
    for s in syms:
        if not isinstance(s, sp.Symbol):
            raise TypeError(f"{name}: expected sympy Symbols, got {type(s).__name__} {s!r}")
    if len(set(syms)) != len(syms):
        raise ValueError(f"{name}: symbols must be distinct")
    return syms


class VectorField:
    r"""The autonomous field ẋ = f(x; p).

    Parameters
    ----------
    states : sequence of sympy.Symbol, length D
    rhs : sympy Matrix or sequence of expressions, length D — f(x; p); or a callable returning them,
        called on first use (for models whose entry-wise derivation is costly and often not needed)
    params : sequence of sympy.Symbol — symbols that stay free (values given at evaluation)
    name : str — used in LaTeX and reprs
    matrix_form : mapping MatrixSymbol -> matrix expression, optional — the closed form of the
        same field (e.g. ``{A: -B.T*(B*A*Σx - C*Σyx) - λ*A}``), for display and checks.
    latex_names : mapping Symbol -> LaTeX string, optional (e.g. ``{lam: r"\lambda"}``).
    matrix_values : mapping (name or symbol) -> number or array, optional — numeric values of the
        non-state symbols of ``matrix_form`` (e.g. Σx, λ), which makes the matrix-form kernel available.
    entrywise_refusal : str, optional — with ``rhs=None``: the reason to refuse deriving the entry-wise
        components (too large for symbolic work); everything matrix-form still works.

    Examples
    --------
    >>> import sympy as sp
    >>> x, y, a = sp.symbols("x y a")
    >>> vf = VectorField([x, y], [-x + a * y, -y], params=[a])
    >>> vf.jacobian()
    Matrix([
    [-1,  a],
    [ 0, -1]])
    >>> bool(vf.is_gradient())
    False
    """

    def __init__(self, states: Sequence[sp.Symbol],
                 rhs: Sequence[sp.Expr] | sp.Matrix | Callable[[], Sequence[sp.Expr]], params: Sequence[sp.Symbol] = (),
                 name: str = "f", matrix_form: Mapping | None = None, latex_names: Mapping | None = None,
                 matrix_values: Mapping | None = None, entrywise_refusal: str | None = None):
        if not isinstance(name, str):
            raise TypeError(f"name: expected a string, got {type(name).__name__}")
        self.states = _check_symbols("states", states)
        self.params = _check_symbols("params", params)
        if set(self.states) & set(self.params):
            raise ValueError("params: a symbol cannot be both a state and a parameter")
        self.name = name
        self.matrix_form = dict(matrix_form) if matrix_form else None
        self.matrix_values = {str(k): v for k, v in (matrix_values or {}).items()}
        self._refusal = entrywise_refusal
        self._rhs_factory = None
        if rhs is None:  # entry-wise components derived from the matrix form on first use
            if not self.matrix_form:
                raise ValueError("rhs: give the components, or a matrix_form to derive them from")
            self._rhs = None
        elif callable(rhs) and not isinstance(rhs, (sp.Basic, sp.MatrixBase)):  # derived on first use
            self._rhs, self._rhs_factory = None, rhs
        else:
            self._rhs = self._checked_rhs(rhs)
        self.latex_names = dict(latex_names or {})
        self._jacobian = None
        self._kernel = None
        self._matrix_kernel = None
        self._matrix_capable = None  # whether the matrix form can be compiled (decided on first lambdify)

    def _checked_rhs(self, rhs) -> sp.Matrix:
        for i, e in enumerate(list(rhs)):
            if isinstance(e, (bool, sp.core.relational.Relational, sp.logic.boolalg.BooleanAtom,
                              sp.logic.boolalg.BooleanFunction)):
                raise TypeError(f"rhs: component {i} is a relation or boolean ({e}); give the expression f_i, not f_i = g")
            if isinstance(e, (str, bytes)):
                raise TypeError(f"rhs: component {i} is a string ({e!r}); give a SymPy expression")
            try:
                e = sp.sympify(e)
            except (sp.SympifyError, TypeError):
                raise TypeError(f"rhs: component {i} ({e!r}) is not a SymPy expression") from None
            if isinstance(e, sp.MatrixBase) or not isinstance(e, sp.Expr):
                raise TypeError(f"rhs: component {i} is a {type(e).__name__}, not a scalar expression")
            if e.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
                raise ValueError(f"rhs: component {i} contains nan or an infinity ({e})")
            if e.has(sp.I):
                raise ValueError(f"rhs: component {i} has a complex coefficient ({e}); fields are real")
        rhs = sp.Matrix(rhs).reshape(len(rhs) if not isinstance(rhs, sp.MatrixBase) else rhs.rows * rhs.cols, 1)
        if rhs.rows != len(self.states):
            raise ValueError(f"rhs: expected {len(self.states)} components (one per state), got {rhs.rows}")
        free = set().union(*[e.free_symbols for e in rhs]) if rhs.rows else set()
        unknown = free - set(self.states) - set(self.params)
        if unknown:
            raise ValueError(f"rhs: symbols {sorted(map(str, unknown))} are neither states nor params")
        return rhs

    @property
    def rhs(self) -> sp.Matrix:
        """f as a D×1 SymPy Matrix (derived from the matrix form by substitution when not given)."""
        if self._rhs is None and self._rhs_factory is not None:
            self._rhs = self._checked_rhs(self._rhs_factory())
        if self._rhs is None:
            if self._refusal:
                raise ValueError(self._refusal)
            subs, off = {}, 0
            for S in self.matrix_form:
                k = S.rows * S.cols
                subs[S] = sp.Matrix(S.rows, S.cols, list(self.states[off:off + k]))
                off += k
            scalars = {}
            for expr in self.matrix_form.values():
                for sym in expr.free_symbols:
                    v = self.matrix_values.get(str(sym))
                    if v is None or sym in subs:
                        continue
                    if isinstance(sym, sp.MatrixSymbol):
                        arr = np.asarray(v, dtype=float)
                        subs[sym] = sp.Matrix(sym.rows, sym.cols, lambda i, j: sp.Rational(float(arr[i, j])))
                    else:
                        scalars[sym] = sp.Rational(float(v))
            comps = []
            for expr in self.matrix_form.values():
                M = sp.Matrix(expr.xreplace(subs).doit()).xreplace(scalars)
                comps.extend(sp.expand(e) for e in M)
            self._rhs = self._checked_rhs(comps)
        return self._rhs

    @classmethod
    def from_objective(cls, objective: sp.Expr, states: Sequence, params: Sequence[sp.Symbol] = (),
                       stop_gradient: Mapping | None = None, name: str | None = None, *, ema: Mapping | None = None,
                       rates: Mapping | None = None, symmetric: Sequence = (), **kwargs: Any) -> "VectorField":
        """The training flow ẋ = −rate·∂objective/∂x, with optional stop-gradient and EMA targets.

        ``stop_gradient`` maps target symbols (frozen copies, not states) to the states they copy: the objective is
        differentiated with the targets held fixed, *then* each target is replaced by its state (the SG construction
        of BYOL/SimSiam).  ``ema`` maps a target to ``(source, kappa)``: the target becomes a state following its
        source, ṫ = κ(source − t) (a target network).  ``rates`` maps a state to its learning-rate factor.
        ``name`` defaults to what the flow is: "gradient flow", "stop-gradient flow", "EMA flow" or
        "stop-gradient EMA flow".

        States may be scalar Symbols (entry-wise field) or MatrixSymbols (closed matrix form, differentiated by
        :func:`symdyn.matrix_calculus.matrix_flow`; the entry states ``X_i_j`` are generated, ``symmetric`` lists
        the matrices with Mᵀ = M, and ``matrix_values`` (a keyword passed on) gives the non-state matrices'
        values, which makes the matrix-form kernel available).  Remaining free scalar symbols must be in ``params``.

        Examples
        --------
        >>> import sympy as sp
        >>> a, b, c, lam = sp.symbols("a b c lam")
        >>> F = (b * a - c) ** 2 / 2 + lam * (a ** 2 + b ** 2) / 2        # c: the target branch
        >>> vf = VectorField.from_objective(F, [a, b], [lam], stop_gradient={c: a})
        >>> bool(vf.is_gradient())
        False
        >>> A, B, C = sp.MatrixSymbol("A", 2, 1), sp.MatrixSymbol("B", 2, 2), sp.MatrixSymbol("C", 2, 1)
        >>> ema = VectorField.from_objective(sp.Trace(B*A*A.T*B.T)/2 - sp.Trace(B*A*C.T), [A, B],
        ...                                  [sp.Symbol("kappa")], ema={C: (A, sp.Symbol("kappa"))})
        >>> ema.dimension, list(ema.matrix_form)
        (8, [A, B, C])
        """
        from .matrix_calculus import matrix_flow

        states = list(states)
        sg = dict(stop_gradient or {})
        targets = dict(ema or {})
        if name is None:
            name = {(False, False): "gradient flow", (True, False): "stop-gradient flow",
                    (False, True): "EMA flow", (True, True): "stop-gradient EMA flow"}[bool(sg), bool(targets)]
        rates = dict(rates or {})
        if states and all(isinstance(S, sp.MatrixSymbol) for S in states):
            form = matrix_flow(objective, states, symmetric=symmetric, stop_gradient=sg, ema=targets, rates=rates)
            entries = [sp.Symbol(f"{S.name}_{i}_{j}") for S in form for i in range(S.rows) for j in range(S.cols)]
            return cls(entries, None, params, name=name, matrix_form=form, **kwargs)
        states = list(_check_symbols("states", states))
        for t, src in list(sg.items()) + [(t, v[0]) for t, v in targets.items()]:
            if t in states:
                raise ValueError(f"stop_gradient, ema: the target {t} must not be a state")
            if src not in states:
                raise ValueError(f"stop_gradient, ema: {src} (copied by {t}) is not a state")
        objective = sp.sympify(objective)
        absent = [str(x) for x in states if x not in objective.free_symbols]
        if absent:
            raise ValueError(f"states: {absent} do not appear in the objective (their flow would be identically 0)")
        rhs = [sp.expand(-rates.get(x, 1) * sp.diff(objective, x).xreplace(sg)) for x in states]
        rhs += [sp.expand(kappa * (src - t)) for t, (src, kappa) in targets.items()]
        return cls(states + list(targets), rhs, params, name=name, **kwargs)

    @property
    def dimension(self) -> int:
        """D, the number of states."""
        return len(self.states)

    def __repr__(self) -> str:
        return f"VectorField({self.name!r}, D={self.dimension}, params={[str(p) for p in self.params]})"

    def polynomial_rhs(self) -> tuple | None:
        """(ring, [f_1, ..., f_D]) as elements of SymPy's sparse polynomial ring over states and params,
        or None when some f_i is not polynomial in them.  Differentiation there is ~100× faster than
        on expression trees, which is what makes entry-wise Jacobians of D ≈ 50–100 affordable."""
        if not hasattr(self, "_poly_cache"):
            try:
                self._poly_cache = sp.sring(list(self.rhs), *self.states, *self.params) if self.rhs.rows else None
            except sp.PolynomialError:
                self._poly_cache = None
        return self._poly_cache

    @property
    def is_polynomial(self) -> bool:
        """True when every component of f is a polynomial in the states and params."""
        return self.polynomial_rhs() is not None

    def jacobian(self) -> sp.Matrix:
        """J = ∂f/∂x, a D×D SymPy Matrix (computed once, cached).

        The structurally non-zero entries are differentiated by SymEngine (:func:`~symdyn.compiled.sparse_jacobian`:
        only against the states occurring in f_i, so the cost grows with the non-zero entries) and converted
        back to SymPy; SymPy differentiates when SymEngine cannot represent f."""
        if self._jacobian is None:
            from .compiled import sparse_jacobian, to_sympy

            D = self.dimension
            try:
                index, entries = sparse_jacobian(list(self.rhs), self.states)
            except TypeError:
                self._jacobian = self.rhs.jacobian(self.states)
            else:
                flat = [sp.S.Zero] * (D * D)
                for (i, j), e in zip(index, to_sympy(entries, list(self.states) + list(self.params))):
                    flat[i * D + j] = e
                self._jacobian = sp.Matrix(D, D, flat)
        return self._jacobian

    def _ring_jacobian(self) -> list:
        """∂f_i/∂x_j as polynomial-ring elements (polynomial fields only; cached)."""
        if getattr(self, "_ring_jac", None) is None:
            R, fs = self.polynomial_rhs()
            gens = R.gens[: self.dimension]
            self._ring_jac = [[f.diff(g) for g in gens] for f in fs]
        return self._ring_jac

    def curl(self) -> sp.Matrix:
        """The antisymmetric part (J − Jᵀ)/2 of the Jacobian, D×D."""
        J = self.jacobian()
        return (J - J.T) / 2

    def is_gradient(self, samples: int = 8, seed: int = 0, tol: float = 1e-9) -> GradientCheck:
        """Decide whether f = −∇V for some smooth V (Schwarz: iff the curl vanishes identically).

        Each curl entry is expanded and, if needed, simplified.  A polynomial entry that expands to a
        non-zero polynomial is a symbolic proof of non-integrability; a non-polynomial entry that
        ``simplify`` cannot decide is evaluated at ``samples`` random points (states and params
        drawn from N(0, 1), seed ``seed``) and judged non-zero if |entry| > tol there.
        """
        samples = positive_int(samples, "samples")
        seed = seed_value(seed)
        tol = finite_real(tol, "tol", low=0.0, low_open=True)
        variables = list(self.states) + list(self.params)
        if self.is_polynomial:  # exact: a polynomial is identically zero iff all its coefficients vanish
            RJ = self._ring_jacobian()
            D = self.dimension
            curl = sp.Matrix(D, D, lambda i, j: (RJ[i][j] - RJ[j][i]).as_expr() / 2 if i != j else 0)
            nonzero = [(i, j) for i in range(D) for j in range(i + 1, D) if curl[i, j] != 0]
            if not nonzero:
                return GradientCheck(True, curl, "symbolic")
            return GradientCheck(False, curl, "symbolic", self._witness(curl, nonzero[0], seed, variables))
        curl = self.curl()
        simplified = sp.zeros(*curl.shape)
        undecided = []
        witness_entry = None
        for i in range(curl.rows):
            for j in range(i + 1, curl.cols):
                e = sp.expand(curl[i, j])
                if e != 0 and not e.is_polynomial(*variables):
                    e = sp.simplify(e)
                    if e != 0:
                        undecided.append((i, j))
                elif e != 0 and witness_entry is None:
                    witness_entry = (i, j)
                simplified[i, j], simplified[j, i] = e, -e
        if witness_entry is not None:
            return GradientCheck(False, simplified, "symbolic",
                                 self._witness(simplified, witness_entry, seed, variables))
        if not undecided:
            return GradientCheck(True, simplified, "symbolic")
        rng = np.random.default_rng(seed)
        for _ in range(samples):
            point = {v: float(rng.standard_normal()) for v in variables}
            for (i, j) in undecided:
                val = complex(simplified[i, j].evalf(subs=point))
                if abs(val) > tol:
                    return GradientCheck(False, simplified, "numeric",
                                         {"point": point, "entry": (i, j), "value": val})
        return GradientCheck(True, simplified, "numeric")

    @staticmethod
    def _witness(curl, entry, seed, variables):
        rng = np.random.default_rng(seed)
        e = curl[entry]
        for _ in range(20):
            point = {v: float(rng.standard_normal()) for v in variables}
            val = complex(e.evalf(subs=point))
            if abs(val) > 1e-9:
                return {"point": point, "entry": entry, "value": val}
        return {"point": None, "entry": entry, "value": None}

    def subs(self, values: Mapping) -> "VectorField":
        """A new field with some parameters replaced by values (symbols or numbers).

        The substitution reaches every form of the field: the entry-wise components (substituted on first use
        when they are derived lazily), the closed matrix form (so its LaTeX no longer shows the parameter) and
        the matrix values (kept, so the matrix-form kernel stays available)."""
        by_name = {str(p): p for p in self.params}  # a name means the parameter of that name, whatever its assumptions
        values = {(by_name.get(k, sp.Symbol(k)) if isinstance(k, str) else k): v for k, v in values.items()}
        bad = [str(k) for k in values if k not in self.params]
        if bad:
            raise ValueError(f"values: {bad} are not parameters of {self.name}; parameters are "
                             f"{[str(p) for p in self.params]}")
        exact = {}
        for k, v in values.items():
            if isinstance(v, sp.Basic):
                exact[k] = v
            else:
                finite_real(v, str(k))  # real and finite; ints stay exact Integers
                exact[k] = sp.sympify(v.item() if isinstance(v, np.generic) else v)
        rest = [p for p in self.params if p not in exact]
        if self._rhs is not None:
            rhs = self._rhs.xreplace(exact)
        elif self._rhs_factory is not None or not self._refusal:
            rhs = lambda: self.rhs.xreplace(exact)  # noqa: E731  (derived on first use, like the original)
        else:
            rhs = None
        form = {S: e.xreplace(exact) for S, e in self.matrix_form.items()} if self.matrix_form else None
        substituted = {str(s) for s in exact}
        values_left = {k: v for k, v in self.matrix_values.items() if k not in substituted}
        return VectorField(self.states, rhs, rest, self.name, form, self.latex_names, values_left,
                           self._refusal)

    def latex(self) -> str:
        """LaTeX of the field: the closed matrix form when present, else ẋ_i = f_i entry-wise
        (an ``aligned`` environment, ready for a ``\\begin{equation}``)."""
        from .latex.document import latex

        def tex(e):
            return latex(e, self.latex_names)

        lines = []
        if self.matrix_form:
            for X, expr in self.matrix_form.items():
                lines.append(rf"\dot{{{tex(X)}}} &= {tex(expr)}")
        else:
            for x, fx in zip(self.states, self.rhs):
                lines.append(rf"\dot{{{tex(x)}}} &= {tex(fx)}")
        return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"

    def _repr_latex_(self) -> str:
        """Jupyter: the field as displayed mathematics (:meth:`latex`)."""
        return "$$" + self.latex() + "$$"

    def lambdify(self, form: str = "auto", **param_values: ArrayLike) -> "Kernel":
        """Compile f and J into a batched NumPy :class:`~symdyn.kernels.Kernel`.

        form : "entrywise" (sympy.lambdify of the D components and the non-zero Jacobian entries, CSE
            on), "matrix" (:class:`~symdyn.matrix_kernels.MatrixKernel`: batched matmuls from the
            matrix form, Jacobian as Kronecker blocks) or "auto" (matrix when the field has a matrix form
            with all its matrix values, else entry-wise).

        The compiled functions are cached on the field; parameter values given here are bound
        (without recompiling) and may be scalars or arrays broadcasting against the batch shape.
        """
        from .kernels import Kernel
        from .matrix_kernels import MatrixKernel, supports_matrix_form

        if form not in ("auto", "matrix", "entrywise"):
            raise ValueError(f"form: expected 'auto', 'matrix' or 'entrywise', got {form!r}")
        if form != "entrywise" and self._matrix_kernel is None and self._matrix_capable is None:
            self._matrix_capable = supports_matrix_form(self)  # a SymPy expansion: decided once per field
        if form == "auto":
            form = "matrix" if self._matrix_capable else "entrywise"
        if form == "matrix":
            if self._matrix_kernel is None:
                if not self._matrix_capable:
                    raise ValueError(f"form: {self.name} has no matrix form with values for all its matrix symbols")
                self._matrix_kernel = MatrixKernel(self)
            k = self._matrix_kernel
        else:
            if self._kernel is None:
                self._kernel = Kernel(self)
            k = self._kernel
        return k.bind(**param_values) if param_values else k
