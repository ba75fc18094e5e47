"""Oja's subspace flow on the Stiefel manifold and its Grassmannian closed form (``neighbours.md`` §7.2).

For a symmetric (d, d) "contrast" matrix M and W ∈ ℝ^{d×h} (h ≤ d), the objective is
L(W) = ½ tr(WᵀMW), maximised.  Both fields are derived by SymPy from L:

* **naive (unconstrained)**:  Ẇ = ∇_W L = MW, solved by W(t) = e^{Mt} W₀.  Every column is pulled
  onto the top eigenvector: σ₂/σ₁(W(t)) ~ e^{−(λ₁−λ₂)t}, the effective rank collapses to 1.
* **constrained (Riemannian gradient on St(d, h), embedded metric)**:  Ẇ = G − W sym(WᵀG) with
  G = ∇_W L, which SymPy reduces to  Ẇ = (I − WWᵀ) M W.  WᵀW = I is invariant, and the projector
  P = WWᵀ follows the Grassmannian flow Ṗ = (I − P)MP + PM(I − P), solved in closed form by

      P(t) = E (EᵀE)⁻¹ Eᵀ,   E = e^{Mt} W₀

  (Ė = ME gives Ṗ = MP + PM − 2PMP; checked symbolically in the tests).

Equilibria on the Grassmannian: the C(d, h) spans of h eigenvectors U_S (S ⊂ {1..d}, |S| = h).  On
the horizontal space {U_⊥K} the linearisation is K̇ = Λ_⊥K − KΛ_S, so the spectrum is
{λ_j − λ_i : j ∉ S, i ∈ S}: the top-h span is the only attractor (with an eigengap), the bottom-h
span is a repeller (all eigenvalues positive: "unstable", not a saddle), every other span a saddle.
In the ambient ℝ^{d×h} the equilibria through U_S form the orbit {U_S Q : Q ∈ O(h)} of dimension
h(h−1)/2, transversally attracting the constraint when λ_i + λ_j > 0 for i, j ∈ S
(d/dt(I − WᵀW) = −(I − WᵀW)WᵀMW − WᵀMW(I − WᵀW)).
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from ..field import VectorField
from .._validate import as_float_array, as_square_matrix
from ..stability import StabilityReport, linear_stability
from ..matrix_calculus import matrix_gradient, ring_matmul

__all__ = ["OjaSubspaceFlow", "projector_ode_residual"]


def _orthonormal_complement(U: np.ndarray) -> np.ndarray:
    """(d, d−h) orthonormal basis of the orthogonal complement of the columns of U (d, h)."""
    Q, _ = np.linalg.qr(np.c_[U, np.eye(U.shape[0])])
    return Q[:, U.shape[1]:U.shape[0]]


class OjaSubspaceFlow:
    """Ẇ = (I − WWᵀ)MW (constrained) or Ẇ = MW (naive) for W (d, h); see the module docstring.

    ``M``: symmetric (d, d) array.  ``h``: number of columns, 1 ≤ h ≤ d.

    Examples
    --------
    >>> import numpy as np
    >>> flow = OjaSubspaceFlow(np.diag([3.0, 2.0, 1.0]), h=2)
    >>> [str(e) for e in flow.field().matrix_form.values()]
    ['M*W - W*W.T*M*W']
    >>> sorted(flow.grassmann_spectrum((1, 2)).tolist())   # top span {2, 3} (indices of ascending eigenvalues): 1 − 3, 1 − 2
    [-2.0, -1.0]
    """

    def __init__(self, M: ArrayLike, h: int):
        M = as_square_matrix(M, "M", symmetric=True)   # the flow is the gradient of ½tr(WᵀMW)
        if isinstance(h, bool) or not isinstance(h, (int, np.integer)) or not 1 <= h <= M.shape[0]:
            raise ValueError(f"h: expected an integer in [1, {M.shape[0]}], got {h!r}")
        self.M, self.d, self.h = (M + M.T) / 2, M.shape[0], int(h)
        self.eigenvalues, self.eigenvectors = np.linalg.eigh(self.M)   # ascending
        self._fields: dict = {}

    # ---- fields ----------------------------------------------------------------------------------
    def field(self, constrained: bool = True) -> VectorField:
        """The derived field on the d·h states W_i_j (row-major), in matrix form (MatrixKernel)."""
        if constrained not in self._fields:
            d, h = self.d, self.h
            W, M = sp.MatrixSymbol("W", d, h), sp.MatrixSymbol("M", d, d)
            G = matrix_gradient(sp.Trace(W.T * M * W) / 2, W, (M,))          # Euclidean gradient of L
            rhs = G
            if constrained:  # Riemannian gradient on the Stiefel manifold (embedded metric)
                rhs = (G - W * (W.T * G + G.T * W) / 2).xreplace({M.T: M}).doit().expand()
            states = [sp.Symbol(f"W_{i}_{j}") for i in range(d) for j in range(h)]
            name = "Oja subspace flow" if constrained else "naive subspace flow"
            self._fields[constrained] = VectorField(states, None, name=f"{name} (d={d}, h={h})",
                                                    matrix_form={W: rhs}, matrix_values={"M": self.M})
        return self._fields[constrained]

    def _check_W(self, W, name: str = "W0") -> np.ndarray:
        W = as_float_array(W, name)
        if W.shape != (self.d, self.h):
            raise ValueError(f"{name}: expected shape ({self.d}, {self.h}), got {W.shape}")
        return W

    # ---- closed forms ----------------------------------------------------------------------------
    def naive_solution(self, W0: ArrayLike, t: float) -> np.ndarray:
        """W(t) = e^{Mt}W₀ (d, h), the solution of Ẇ = MW."""
        W0 = self._check_W(W0)
        lam, V = self.eigenvalues, self.eigenvectors
        return V @ (np.exp(lam * float(t))[:, None] * (V.T @ W0))

    def projector(self, W0: ArrayLike, t: float) -> np.ndarray:
        """P(t) = E(EᵀE)⁻¹Eᵀ with E = e^{Mt}W₀ (d, d); W₀ must have rank h.

        P depends only on span(E) = span(E G) for any invertible G.  In eigen-coordinates E = e^{Λt}C
        (C = VᵀW₀); with S the h rows chosen greedily from the top eigenvalue down (the rows that
        dominate), E·(e^{Λ_S t}C_S)⁻¹ has entries e^{(λ_j − λ_{S_k})t}(C C_S⁻¹)_{jk}, none of them
        growing, so neither overflow nor the cancellation of a plain QR of e^{Mt}W₀ occurs at large t."""
        W0 = self._check_W(W0)
        lam, V = self.eigenvalues, self.eigenvectors
        C = V.T @ W0
        tol = 1e-10 * np.linalg.norm(C, 2)
        S: list[int] = []
        for j in np.argsort(-lam, kind="stable"):
            if np.linalg.matrix_rank(C[S + [j]], tol=tol) == len(S) + 1:
                S.append(int(j))
            if len(S) == self.h:
                break
        if len(S) < self.h:
            raise ValueError("W0: must have full column rank h")
        coef = C @ np.linalg.inv(C[S])                                       # (d, h), identity on rows S
        expo = np.minimum((lam[:, None] - lam[S][None, :]) * float(t), 0.0)   # rows outside the span decay
        Q, _ = np.linalg.qr(V @ (coef * np.where(np.abs(coef) > 0, np.exp(expo), 0.0)))
        return Q @ Q.T

    @staticmethod
    def singular_ratio(W: ArrayLike) -> float:
        """σ₂/σ₁ of W (d, h) with h ≥ 2: the effective-rank measure of the naive flow."""
        s = np.linalg.svd(as_float_array(W, "W"), compute_uv=False)
        if s.size < 2:
            raise ValueError("W: σ₂/σ₁ needs at least two columns")
        return float(s[1] / s[0])

    # ---- equilibria and their stability ----------------------------------------------------------
    def invariant_subspaces(self) -> list[tuple[tuple[int, ...], np.ndarray]]:
        """All C(d, h) spans of h eigenvectors: (S, U_S (d, h)), S indexing ascending eigenvalues."""
        if math.comb(self.d, self.h) > 5000:
            raise ValueError(f"h: C({self.d}, {self.h}) subspaces is too many to enumerate (limit 5000)")
        return [(S, self.eigenvectors[:, list(S)]) for S in itertools.combinations(range(self.d), self.h)]

    def grassmann_spectrum(self, S: ArrayLike) -> np.ndarray:
        """Closed-form linearisation spectrum at span(U_S): {λ_j − λ_i : j ∉ S, i ∈ S}, (d−h)·h values."""
        S = tuple(int(i) for i in S)
        if len(set(S)) != self.h or not all(0 <= i < self.d for i in S):
            raise ValueError(f"S: expected {self.h} distinct indices in [0, {self.d}), got {S}")
        lam = self.eigenvalues
        rest = [j for j in range(self.d) if j not in S]
        return np.array([lam[j] - lam[i] for j in rest for i in S])

    def grassmann_jacobian(self, W: ArrayLike) -> np.ndarray:
        """The derived field's Jacobian restricted to the horizontal space {U_⊥K} at W (WᵀW = I).

        Basis: vec(U_⊥ e_j e_kᵀ) (orthonormal in the Frobenius product), so the result is the
        ((d−h)h, (d−h)h) matrix Bᵀ J B; at an equilibrium the horizontal space is J-invariant."""
        W = self._check_W(W, "W")
        if not np.allclose(W.T @ W, np.eye(self.h), atol=1e-8):
            raise ValueError("W: expected orthonormal columns (WᵀW = I)")
        J = self.field().lambdify().jacobian(W.ravel())
        Up = _orthonormal_complement(W)
        B = np.stack([np.outer(Up[:, j], np.eye(self.h)[k]).ravel()
                      for j in range(self.d - self.h) for k in range(self.h)], axis=1)
        return B.T @ J @ B

    def grassmann_stability(self, W: ArrayLike, **tolerances: float | None) -> StabilityReport:
        """Stability of span(W) as an (isolated) equilibrium of the Grassmannian flow."""
        return linear_stability(self.grassmann_jacobian(W), 0, **tolerances)


def projector_ode_residual(d: int = 3, h: int = 2) -> sp.Matrix:
    """Ṗ − [(I − P)MP + PM(I − P)] for P = E(EᵀE)⁻¹Eᵀ with generic symbolic E (d×h), symmetric M and
    Ė = ME (chain rule entry by entry), computed as g⁻² times a polynomial matrix (P = N/g with N = E adj(EᵀE)Eᵀ,
    g = det EᵀE) expanded in a polynomial ring over ℚ: the zero matrix proves that the closed form solves the
    Grassmannian flow for this (d, h).

    Examples
    --------
    >>> projector_ode_residual(2, 1)                        # the closed form solves the flow: zero for (d, h) = (2, 1)
    Matrix([
    [0, 0],
    [0, 0]])
    """
    if not (1 <= h <= d <= 4):
        raise ValueError(f"d, h: expected 1 <= h <= d <= 4 for the symbolic proof, got d={d}, h={h}")
    E = sp.Matrix(d, h, lambda i, j: sp.Symbol(f"e_{i}{j}", real=True))
    M = sp.zeros(d, d)
    for i in range(d):
        for j in range(i, d):
            M[i, j] = M[j, i] = sp.Symbol(f"m_{i}{j}", real=True)
    # P = N/g with N = E adj(EᵀE) Eᵀ and g = det(EᵀE), polynomials: g²(Ṗ − (I − P)MP − PM(I − P)) =
    # Ṅg − Nġ − (gI − N)MN − NM(gI − N), a polynomial matrix, expanded in a polynomial ring (no rational cancel)
    gens = list(E) + [M[i, j] for i in range(d) for j in range(i, d)]
    R, *_ = sp.ring(gens, sp.QQ)
    def to_ring(A):
        return [[R(A[i, j]) for j in range(A.cols)] for i in range(A.rows)]

    Er, Mr = to_ring(E), to_ring(M)
    G = E.T * E
    Nr = to_ring((E * G.adjugate() * E.T).expand())
    g = R(G.det())
    dE = ring_matmul(Mr, Er)
    gen = {(i, j): R.gens[i * h + j] for i in range(d) for j in range(h)}

    def along(f):  # the derivative of f along Ė = ME
        return sum(f.diff(gen[i, j]) * dE[i][j] for i in range(d) for j in range(h))

    gI_N = [[(g if i == j else R(0)) - Nr[i][j] for j in range(d)] for i in range(d)]
    left, right = ring_matmul(ring_matmul(gI_N, Mr), Nr), ring_matmul(ring_matmul(Nr, Mr), gI_N)
    dg = along(g)
    num = [[along(Nr[i][j]) * g - Nr[i][j] * dg - left[i][j] - right[i][j] for j in range(d)] for i in range(d)]
    g2 = g.as_expr() ** 2
    return sp.Matrix(d, d, lambda i, j: 0 if num[i][j] == 0 else sp.cancel(num[i][j].as_expr() / g2))
