"""Matrix calculus for fields written with MatrixSymbols: the shared SymPy helpers of the field layer.

* :func:`matrix_gradient` — ∂objective/∂X of a scalar trace expression, term by term.
* :func:`matrix_flow` — the training flow derived from an objective: Ẋ = −rate_X ∂F/∂X for each state X, with
  stop-gradient targets (differentiate, *then* substitute target = source: the SG construction of BYOL/SimSiam)
  and EMA targets (the target becomes a state with Ṫ = κ(source − T)).  :meth:`symdyn.VectorField.from_objective`
  uses it for matrix states, and every matrix model derives its field through it.
* :func:`ring_matmul`, :func:`ring_frobenius`, :func:`evaluate_in_ring` — the same expressions evaluated entry-wise
  in SymPy's sparse polynomial ring (matrices as lists of lists of ring elements): how a model's *one* trace-form
  objective becomes its entry-wise polynomial, ~100× faster to differentiate than expression trees.
* :func:`ring_flow` — the entry-wise twin of :func:`matrix_flow` on ring elements: −∂F/∂x, stop-gradient by
  composition after differentiation, EMA targets.
* :func:`exact_matrix`, :func:`symbol_matrix` — explicit SymPy matrices: the exact rational copy of a float array
  (every binary float is a dyadic rational) and a matrix of real symbols (general or symmetric).

Examples
--------
>>> import sympy as sp
>>> A, B, C = sp.MatrixSymbol("A", 2, 1), sp.MatrixSymbol("B", 2, 2), sp.MatrixSymbol("C", 2, 1)
>>> F = sp.Trace(B * A * A.T * B.T) / 2 - sp.Trace(B * A * C.T)            # ½‖BA‖² − ⟨BA, C⟩
>>> flow = matrix_flow(F, [A, B], stop_gradient={C: A})
>>> flow[A]
B.T*A - B.T*B*A
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np
import sympy as sp

if TYPE_CHECKING:
    from sympy.polys.rings import PolyElement, PolyRing

__all__ = ["matrix_gradient", "matrix_flow", "ring_matmul", "ring_frobenius", "evaluate_in_ring", "ring_flow",
           "exact_matrix", "symbol_matrix"]


def matrix_gradient(objective: sp.Expr, X: sp.MatrixSymbol, symmetric: Sequence[sp.MatrixSymbol] = ()) -> sp.MatrixExpr:
    """∂objective/∂X for a scalar matrix-trace expression, term by term.

    (SymPy's ``Add.diff`` on sums of traces returns 0 in SymPy 1.14, so each additive term is
    differentiated separately.)  Matrices listed in ``symmetric`` have Mᵀ replaced by M.

    Examples
    --------
    >>> import sympy as sp
    >>> A, B = sp.MatrixSymbol("A", 2, 2), sp.MatrixSymbol("B", 2, 2)
    >>> matrix_gradient(sp.Trace(A * B * A.T) / 2, A)                  # ½(AB + ABᵀ)
    (1/2)*A*B + (1/2)*A*B.T
    >>> matrix_gradient(sp.Trace(A * B * A.T) / 2, A, symmetric=[B])
    A*B
    """
    terms = sp.Add.make_args(sp.expand(objective))
    grad = sp.Add(*[_trace_product_gradient(t, X) for t in terms])
    grad = grad.xreplace({M.T: M for M in symmetric})
    return grad.doit()


def _factors(M: sp.MatrixExpr) -> tuple:
    """The factors of a matrix product, positive integer powers written out (XᵀXᵀ is MatPow(Xᵀ, 2) in SymPy)."""
    out: list = []
    for f in (M.args if isinstance(M, sp.MatMul) else (M,)):
        if isinstance(f, sp.MatPow) and f.exp.is_Integer and f.exp > 0:
            out += [f.base] * int(f.exp)
        else:
            out.append(f)
    return tuple(out)


def _trace_product_gradient(term: sp.Expr, X: sp.MatrixSymbol) -> sp.MatrixExpr:
    """∂term/∂X for one additive term.  A term c·tr(F₁ ⋯ F_n) whose factors are matrices free of X, X or Xᵀ gets
    the product rule for traces, Σ over the factors F_k = X of (F_{k+1} ⋯ F_n F₁ ⋯ F_{k−1})ᵀ and over the factors
    F_k = Xᵀ of F_{k+1} ⋯ F_n F₁ ⋯ F_{k−1} (cyclic invariance of the trace), times c (free of X); any other term
    (tr(X), inverses, scalar factors inside the trace, ...) goes to SymPy's matrix derivative (array expressions:
    about 0.1 s a term slower, and it raises on some products, e.g. tr(XᵀXᵀ), which the rule covers)."""
    if not term.has(X):
        return sp.ZeroMatrix(*X.shape)
    coeff, rest = term.as_independent(X, as_Add=False)
    factors = _factors(rest.arg) if isinstance(rest, sp.Trace) else ()
    if len(factors) < 2 or not all(f.is_Matrix and (f == X or f == X.T or not f.has(X)) for f in factors):
        return term.diff(X)
    out = []
    for k, f in enumerate(factors):
        if f == X or f == X.T:
            prod = sp.MatMul(*(factors[k + 1:] + factors[:k]))  # two factors at least
            out.append(sp.Transpose(prod) if f == X else prod)
    return (coeff * sp.MatAdd(*out)).doit() if out else sp.ZeroMatrix(*X.shape)


def matrix_flow(objective: sp.Expr, states: Sequence[sp.MatrixSymbol], *, symmetric: Sequence[sp.MatrixSymbol] = (),
                stop_gradient: Mapping | None = None, ema: Mapping | None = None,
                rates: Mapping | None = None) -> dict:
    """{X: Ẋ} for the flow Ẋ = −rate_X ∂F/∂X (X in ``states``), derived from the objective F.

    stop_gradient : {target: source} — targets are frozen copies: F is differentiated with them fixed, then each
        target is replaced by its source (SG).
    ema : {target: (source, kappa)} — targets are states following their source: Ṫ = κ(source − T) (appended).
    rates : {X: rate} — a learning-rate factor per state (default 1).
    symmetric : matrices with Mᵀ = M (second moments).

    Examples
    --------
    >>> import sympy as sp
    >>> A = sp.MatrixSymbol("A", 2, 2)
    >>> matrix_flow(sp.Trace(A * A.T) / 2, [A], rates={A: sp.Symbol("eta")})   # weight decay: Ȧ = −ηA
    {A: (-eta)*A}
    """
    sg = dict(stop_gradient or {})
    ema = dict(ema or {})
    rates = dict(rates or {})
    for t in list(sg) + list(ema):
        if t in states:
            raise ValueError(f"stop_gradient, ema: the target {t} must not be one of the differentiated states")
    form = {}
    for X in states:
        g = matrix_gradient(objective, X, symmetric)
        if sg:
            g = g.xreplace(sg).doit()
        form[X] = -rates[X] * g if X in rates else -g
    for T, (src, kappa) in ema.items():
        form[T] = kappa * (src - T)
    return form


def ring_matmul(X: list, Y: list) -> list:
    """Product of matrices stored as lists of lists of ring elements.

    Examples
    --------
    >>> import sympy as sp
    >>> R, x, y = sp.ring("x y", sp.QQ)
    >>> ring_matmul([[x, 0], [0, y]], [[1, x], [y, 1]])
    [[x, x**2], [y**2, y]]
    """
    zero = X[0][0].ring.zero if X and X[0] else 0
    return [[sum((X[i][k] * Y[k][j] for k in range(len(Y))), zero) for j in range(len(Y[0]))]
            for i in range(len(X))]


def ring_frobenius(X: list, Y: list) -> PolyElement:
    """⟨X, Y⟩_F = Σ_ij X_ij Y_ij = tr(X Yᵀ) for lists of lists of ring elements.

    Examples
    --------
    >>> import sympy as sp
    >>> R, x, y = sp.ring("x y", sp.QQ)
    >>> ring_frobenius([[x, 0], [0, y]], [[1, x], [y, 1]])             # x·1 + 0·x + 0·y + y·1
    x + y
    """
    zero = X[0][0].ring.zero
    return sum((x * y for rx, ry in zip(X, Y) for x, y in zip(rx, ry)), zero)


def _transpose(X: list) -> list:
    return [list(col) for col in zip(*X)]


def evaluate_in_ring(expr: sp.Expr, env: Mapping, ring: PolyRing) -> PolyElement:
    """Evaluate a matrix-trace expression entry-wise: ``env`` maps each MatrixSymbol to a list of lists of ring
    elements and each scalar Symbol to a ring element; numbers become ring constants.  Supported: traces, sums,
    products, transposes, scalar multiples and integer powers.  tr(X₁⋯X_k) is evaluated as ⟨X₁⋯X_j, (X_{j+1}⋯X_k)ᵀ⟩
    (only the diagonal of the product is formed).

    Examples
    --------
    >>> import sympy as sp
    >>> R, x, y = sp.ring("x y", sp.QQ)
    >>> A = sp.MatrixSymbol("A", 2, 2)
    >>> evaluate_in_ring(sp.Trace(A * A.T), {A: [[x, y], [0, x]]}, R)   # ‖A‖_F²
    2*x**2 + y**2
    """
    def matrix(e):
        if isinstance(e, sp.MatrixSymbol):
            return env[e]
        if isinstance(e, sp.Transpose):
            return _transpose(matrix(e.arg))
        if isinstance(e, sp.MatMul):
            coeff, mats = e.as_coeff_matrices()
            out = matrix(mats[0])
            for M in mats[1:]:
                out = ring_matmul(out, matrix(M))
            c = scalar(coeff)
            return [[c * v for v in row] for row in out]
        if isinstance(e, sp.MatAdd):
            parts = [matrix(a) for a in e.args]
            return [[sum(vals, ring.zero) for vals in zip(*rows)] for rows in zip(*parts)]
        raise TypeError(f"evaluate_in_ring: unsupported matrix expression {e!r} ({type(e).__name__})")

    def trace(e):
        if isinstance(e, sp.MatMul):
            coeff, mats = e.as_coeff_matrices()
            if len(mats) >= 2:
                j = (len(mats) + 1) // 2
                left = matrix(sp.MatMul(*mats[:j])) if j > 1 else matrix(mats[0])
                right = matrix(sp.MatMul(*mats[j:])) if len(mats) - j > 1 else matrix(mats[j])
                return scalar(coeff) * ring_frobenius(left, _transpose(right))
        M = matrix(e)
        return sum((M[i][i] for i in range(len(M))), ring.zero)

    def scalar(e):
        if isinstance(e, sp.Trace):
            return trace(e.arg)
        if isinstance(e, sp.Add):
            return sum((scalar(a) for a in e.args), ring.zero)
        if isinstance(e, sp.Mul):
            out = ring.one
            for a in e.args:
                out = out * scalar(a)
            return out
        if isinstance(e, sp.Pow) and e.exp.is_Integer and e.exp >= 0:
            return scalar(e.base) ** int(e.exp)
        if isinstance(e, sp.Symbol):
            return env[e]
        if e.is_Number:
            return ring(e)
        raise TypeError(f"evaluate_in_ring: unsupported scalar expression {e!r} ({type(e).__name__})")

    return scalar(sp.sympify(expr))


def _pairs(spec) -> list:
    """Mapping or sequence of pairs -> list of pairs (ring generators are not hashable: pairs are accepted too)."""
    if spec is None:
        return []
    return list(spec.items()) if isinstance(spec, Mapping) else list(spec)


def ring_flow(objective: PolyElement, states: Sequence, *, stop_gradient: Sequence[tuple] | None = None,
              ema: Sequence[tuple] | None = None) -> list:
    """[ẋ for x in states] + [ṫ for t in ema] for the flow ẋ = −∂F/∂x of a ring element F (generators as states).

    stop_gradient — pairs (target, source): differentiate with the targets held fixed, then compose target ← source
    (SG); ema — pairs (target, (source, kappa)): ṫ = κ(source − t), appended in order.  (Mappings work too where the
    keys are hashable.)

    Examples
    --------
    >>> import sympy as sp
    >>> R, x, y = sp.ring("x y", sp.QQ)
    >>> ring_flow(x**2 * y / 2 - x, [x, y])                             # −∂F/∂x, −∂F/∂y
    [-x*y + 1, -1/2*x**2]
    """
    sub = _pairs(stop_gradient)
    rhs = []
    for x in states:
        g = objective.diff(x)
        rhs.append(-(g.compose(sub) if sub else g))
    rhs += [kappa * (src - t) for t, (src, kappa) in _pairs(ema)]
    return rhs


def exact_matrix(M: np.ndarray) -> sp.Matrix:
    """Exact rational copy of a float matrix (every binary float is a dyadic rational).

    Examples
    --------
    >>> import numpy as np
    >>> exact_matrix(np.array([[0.5, 0.1]]))                 # 0.1 is not 1/10 in binary
    Matrix([[1/2, 3602879701896397/36028797018963968]])
    """
    M = np.asarray(M, dtype=float)
    return sp.Matrix(M.shape[0], M.shape[1], lambda i, j: sp.Rational(float(M[i, j])))


def symbol_matrix(prefix: str, m: int, symmetric: bool = False) -> sp.Matrix:
    """An m×m matrix of real symbols ``prefix_ij`` (1-based); symmetric: one symbol per pair i ≤ j.

    Examples
    --------
    >>> symbol_matrix("s", 2, symmetric=True)
    Matrix([
    [s_11, s_12],
    [s_12, s_22]])
    """
    if symmetric:
        M = sp.zeros(m, m)
        for i in range(m):
            for j in range(i, m):
                M[i, j] = M[j, i] = sp.Symbol(f"{prefix}_{i + 1}{j + 1}", real=True)
        return M
    return sp.Matrix(m, m, lambda i, j: sp.Symbol(f"{prefix}_{i + 1}{j + 1}", real=True))
