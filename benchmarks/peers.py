"""What a user would use instead of symdyn: compiled and NumPy peers for a field's f and J, and the extra fields
of the comparison (Lorenz-96, Kuramoto, a random sparse cubic) with their hand-written NumPy.

Each peer is built independently of symdyn's kernels from the field's SymPy components:

* ``symengine_llvm``: SymEngine's ``Lambdify`` (LLVM backend, ``cse=True``) of f and of the dense Jacobian
  ``Matrix(f).jacobian(x)`` differentiated by SymEngine;
* ``sympy_lambdify``: ``sympy.lambdify(..., cse=True)`` of f and of ``Matrix(f).jacobian(x)`` (SymPy);
* hand-written NumPy (``benchmarks/baselines.py`` and the functions below).
"""
from __future__ import annotations

import numpy as np
import sympy as sp
import symengine as se

from symdyn import VectorField


def symengine_llvm(field, values: dict) -> tuple:
    """(f, J) callables (..., D) -> (..., D) / (..., D, D) from SymEngine LLVM Lambdify, parameters substituted."""
    subs = {p: values[str(p)] for p in field.params}
    rhs = [se.sympify(e.xreplace(subs)) for e in field.rhs]
    xs = [se.Symbol(str(s)) for s in field.states]
    D = len(xs)
    f = se.Lambdify(xs, rhs, backend="llvm", cse=True)
    Jm = se.DenseMatrix(rhs).jacobian(se.DenseMatrix(xs))
    J = se.Lambdify(xs, [Jm[i, j] for i in range(D) for j in range(D)], backend="llvm", cse=True)
    return f, (lambda x: J(x).reshape(x.shape[:-1] + (D, D)))


def sympy_lambdify(field, values: dict) -> tuple:
    """(f, J) callables from ``sympy.lambdify`` with CSE (NumPy), parameters substituted."""
    subs = {p: values[str(p)] for p in field.params}
    rhs = sp.Matrix([e.xreplace(subs) for e in field.rhs])
    xs = list(field.states)
    D = len(xs)
    f = sp.lambdify([xs], list(rhs), modules="numpy", cse=True)
    J = sp.lambdify([xs], rhs.jacobian(xs).tolist(), modules="numpy", cse=True)

    def fv(x):
        cols = f(np.moveaxis(x, -1, 0))
        out = np.empty(x.shape)
        for i, c in enumerate(cols):
            out[..., i] = c
        return out

    def Jv(x):
        rows = J(np.moveaxis(x, -1, 0))
        out = np.empty(x.shape[:-1] + (D, D))
        for i, r in enumerate(rows):
            for j, c in enumerate(r):
                out[..., i, j] = c
        return out
    return fv, Jv


# ---- fields of the comparison that are not symdyn models ----------------------------------------------------
def lorenz96(D: int) -> VectorField:
    """ẋ_i = (x_{i+1} − x_{i−2}) x_{i−1} − x_i + F (indices mod D), forcing F a parameter."""
    x = sp.symbols(f"x0:{D}")
    F = sp.Symbol("F")
    return VectorField(x, [(x[(i + 1) % D] - x[(i - 2) % D]) * x[(i - 1) % D] - x[i] + F for i in range(D)], [F],
                       name=f"Lorenz-96 (D={D})")


def lorenz96_f(X, F):
    return (np.roll(X, -1, -1) - np.roll(X, 2, -1)) * np.roll(X, 1, -1) - X + F


def lorenz96_J(X, F):
    D = X.shape[-1]
    J = np.zeros(X.shape[:-1] + (D, D))
    i = np.arange(D)
    J[..., i, (i + 1) % D] = np.roll(X, 1, -1)
    J[..., i, (i - 2) % D] = -np.roll(X, 1, -1)
    J[..., i, (i - 1) % D] = np.roll(X, -1, -1) - np.roll(X, 2, -1)
    J[..., i, i] = -1.0
    return J


def kuramoto(N: int, seed: int = 0) -> tuple:
    """θ̇_i = ω_i + (K/N) Σ_j sin(θ_j − θ_i) with random natural frequencies ω (seeded) and coupling K a parameter;
    returns (field, ω)."""
    th = sp.symbols(f"t0:{N}")
    K = sp.Symbol("K")
    w = np.random.default_rng(seed).standard_normal(N)
    rhs = [sp.Float(w[i]) + K / N * sum(sp.sin(th[j] - th[i]) for j in range(N) if j != i) for i in range(N)]
    return VectorField(th, rhs, [K], name=f"Kuramoto (N={N})"), w


def kuramoto_f(T, w, K):
    d = T[..., None, :] - T[..., :, None]  # θ_j − θ_i
    return w + K / T.shape[-1] * np.sin(d).sum(-1)


def kuramoto_J(T, w, K):
    N = T.shape[-1]
    c = np.cos(T[..., None, :] - T[..., :, None]) * (K / N)
    J = c.copy()
    i = np.arange(N)
    J[..., i, i] = -(c.sum(-1) - c[..., i, i])
    return J


def sparse_cubic(D: int, terms: int = 3, seed: int = 0) -> tuple:
    """ẋ_i = −x_i + Σ_k c_ik x_a x_b x_c over ``terms`` random monomials of random states (seeded): a sparse cubic
    field; returns (field, (coefficients (D, terms), indices (D, terms, 3)))."""
    rng = np.random.default_rng(seed)
    x = sp.symbols(f"x0:{D}")
    c = rng.standard_normal((D, terms)) / 4
    idx = rng.integers(0, D, size=(D, terms, 3))
    rhs = [-x[i] + sum(sp.Float(c[i, k]) * x[idx[i, k, 0]] * x[idx[i, k, 1]] * x[idx[i, k, 2]] for k in range(terms))
           for i in range(D)]
    return VectorField(x, rhs, name=f"sparse cubic (D={D})"), (c, idx)


def sparse_cubic_f(X, c, idx):
    return -X + (c * X[..., idx[..., 0]] * X[..., idx[..., 1]] * X[..., idx[..., 2]]).sum(-1)


def sparse_cubic_J(X, c, idx):
    D, terms = c.shape
    Xb = X.reshape(-1, D)
    J = np.zeros((len(Xb), D * D))
    i = np.arange(D)
    J[:, i * D + i] = -1.0
    a, b, d = (Xb[:, idx[..., k]] for k in range(3))
    for k in range(terms):
        for pos, val in ((0, b * d), (1, a * d), (2, a * b)):
            np.add.at(J, (slice(None), i * D + idx[:, k, pos]), c[:, k] * val[:, :, k])
    return J.reshape(X.shape[:-1] + (D, D))
