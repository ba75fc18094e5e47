"""Matrix calculus for fields written with MatrixSymbols: the shared SymPy helpers of the field layer.

* :func:`matrix_gradient` — ∂objective/∂X of a scalar trace expression, term by term.
* :func:`matrix_flow` — the training flow derived from an objective: Ẋ = −rate_X ∂F/∂X for each state X, with
  stop-gradient targets (differentiate, *then* substitute target = source: the SG construction of BYOL/SimSiam)
  and EMA targets (the target becomes a state with Ṫ = κ(source − T)).  :meth:`symdyn.VectorField.from_objective`
  uses it for matrix states, and every matrix model derives its field through it.
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

from typing import Mapping, Sequence

import numpy as np
import sympy as sp

__all__ = ["matrix_gradient", "matrix_flow", "exact_matrix", "symbol_matrix"]


def matrix_gradient(objective: sp.Expr, X: sp.MatrixSymbol, symmetric: Sequence[sp.MatrixSymbol] = ()) -> sp.MatrixExpr:
    """∂objective/∂X for a scalar matrix-trace expression, term by term.

    (SymPy's ``Add.diff`` on sums of traces returns 0 in SymPy 1.14, so each additive term is
    differentiated separately.)  Matrices listed in ``symmetric`` have Mᵀ replaced by M.
    """
    terms = sp.Add.make_args(sp.expand(objective))
    grad = sp.Add(*[t.diff(X) for t in terms])
    grad = grad.xreplace({M.T: M for M in symmetric})
    return grad.doit()


def matrix_flow(objective: sp.Expr, states: Sequence[sp.MatrixSymbol], *, symmetric: Sequence[sp.MatrixSymbol] = (),
                stop_gradient: Mapping | None = None, ema: Mapping | None = None,
                rates: Mapping | None = None) -> dict:
    """{X: Ẋ} for the flow Ẋ = −rate_X ∂F/∂X (X in ``states``), derived from the objective F.

    stop_gradient : {target: source} — targets are frozen copies: F is differentiated with them fixed, then each
        target is replaced by its source (SG).
    ema : {target: (source, kappa)} — targets are states following their source: Ṫ = κ(source − T) (appended).
    rates : {X: rate} — a learning-rate factor per state (default 1).
    symmetric : matrices with Mᵀ = M (second moments).
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


def exact_matrix(M: np.ndarray) -> sp.Matrix:
    """Exact rational copy of a float matrix (every binary float is a dyadic rational)."""
    M = np.asarray(M, dtype=float)
    return sp.Matrix(M.shape[0], M.shape[1], lambda i, j: sp.Rational(float(M[i, j])))


def symbol_matrix(prefix: str, m: int, symmetric: bool = False) -> sp.Matrix:
    """An m×m matrix of real symbols ``prefix_ij`` (1-based); symmetric: one symbol per pair i ≤ j."""
    if symmetric:
        M = sp.zeros(m, m)
        for i in range(m):
            for j in range(i, m):
                M[i, j] = M[j, i] = sp.Symbol(f"{prefix}_{i + 1}{j + 1}", real=True)
        return M
    return sp.Matrix(m, m, lambda i, j: sp.Symbol(f"{prefix}_{i + 1}{j + 1}", real=True))
