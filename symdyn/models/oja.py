"""Oja flows (``shared/papers/attention.md`` §2).

* ``OjaFlow(V)``:  ẋ = V x − (xᵀ V x) x = P_x V x on S^{d−1}; for symmetric V its equilibria are the
  unit eigenvectors, and at v_k the tangent linearisation has eigenvalues λ_j − λ_k (j ≠ k).
* ``MultiAgentOja(V, weights)``:  ẋ_i = Σ_j a_ij (V x_j − (x_iᵀ V x_j) x_i) = P_{x_i} V Σ_j a_ij x_j
  with fixed row-stochastic weights a_ij ≥ 0 (self-attention (SA) is this with softmax weights a_ij(X)).

``V=None`` gives symbolic entries ``v_pq`` (parameters of the field).
"""
from __future__ import annotations

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from ..field import VectorField
from .._validate import as_float_array

__all__ = ["OjaFlow", "MultiAgentOja"]


def _value_matrix(V, d: int | None):
    if V is None:
        if d is None:
            raise ValueError("d: give V or the dimension d for a symbolic V")
        return sp.Matrix(d, d, lambda p, q: sp.Symbol(f"v_{p + 1}{q + 1}", real=True)), None
    arr = as_float_array(V, "V")
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"V: expected a square matrix, got shape {arr.shape}")
    return sp.Matrix(arr.shape[0], arr.shape[0], lambda p, q: sp.Rational(float(arr[p, q]))), arr


class OjaFlow:
    """ẋ = P_x V x on S^{d−1}.  ``V``: (d, d) array or None (symbolic, then give ``d``).

    Examples
    --------
    >>> import numpy as np
    >>> k = OjaFlow(np.diag([2.0, 1.0])).field().lambdify()
    >>> k.f(np.array([[1.0, 0.0], [0.6, 0.8]])).round(3)
    array([[ 0.   ,  0.   ],
           [ 0.384, -0.288]])
    """

    def __init__(self, V: ArrayLike | None = None, d: int | None = None):
        self.Vsym, self.V = _value_matrix(V, d)
        self.d = self.Vsym.rows

    def field(self) -> VectorField:
        """The VectorField of ẋ = Vx − (xᵀVx)x, with its matrix form for display."""
        x = sp.Matrix(self.d, 1, lambda p, _: sp.Symbol(f"x_{p + 1}", real=True))
        params = sorted(self.Vsym.free_symbols, key=str)
        # numeric V: the entry-wise components are derived from the matrix form only when needed
        rhs = None if self.V is not None else [sp.expand(e) for e in self.Vsym * x - (x.T * self.Vsym * x)[0, 0] * x]
        xs, Vs = sp.MatrixSymbol("x", self.d, 1), sp.MatrixSymbol("V", self.d, self.d)
        return VectorField(list(x), rhs, params, name=f"Oja flow (d={self.d})",
                           matrix_form={xs: Vs * xs - xs * (xs.T * Vs * xs)},
                           matrix_values={"V": self.V} if self.V is not None else None)


class MultiAgentOja:
    """ẋ_i = P_{x_i} V Σ_j a_ij x_j for n agents on S^{d−1} with fixed row-stochastic ``weights`` (n, n).

    Examples
    --------
    >>> import numpy as np
    >>> MultiAgentOja(np.diag([1.0, 0.5]), np.full((3, 3), 1 / 3)).field().dimension   # 3 agents in R²
    6
    """

    def __init__(self, V: ArrayLike, weights: ArrayLike):
        self.Vsym, self.V = _value_matrix(V, None)
        W = as_float_array(weights, "weights")
        if W.ndim != 2 or W.shape[0] != W.shape[1]:
            raise ValueError(f"weights: expected a square (n, n) matrix, got shape {W.shape}")
        if np.any(W < 0) or not np.allclose(W.sum(axis=1), 1.0, atol=1e-12):
            raise ValueError("weights: must be non-negative with rows summing to 1 (row-stochastic)")
        self.weights = W
        self.n, self.d = W.shape[0], self.Vsym.rows

    def field(self) -> VectorField:
        """The VectorField on the n·d states x_i_p (token-major)."""
        n, d = self.n, self.d
        X = [sp.Matrix(d, 1, lambda p, _, i=i: sp.Symbol(f"x_{i + 1}_{p + 1}", real=True)) for i in range(n)]
        W = sp.Matrix(n, n, lambda i, j: sp.Rational(float(self.weights[i, j])))
        rhs = []
        for i in range(n):
            xbar = sum((W[i, j] * X[j] for j in range(n)), sp.zeros(d, 1))
            m = self.Vsym * xbar
            rhs.extend(sp.expand(e) for e in m - (X[i].T * m)[0, 0] * X[i])
        return VectorField([s for x in X for s in x], rhs, name=f"multi-agent Oja (n={n}, d={d})")
