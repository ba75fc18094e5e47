"""Self-attention dynamics of n tokens on the sphere S^{d-1} (``shared/papers/attention.md`` §1, §5).

    (SA)   ẋ_i = P_{x_i} m_i,   m_i = Σ_j a_ij(X) V x_j,   P_x = I_d − x xᵀ,
           a_ij = exp(ℓ_ij) / Z_i,   ℓ_ij = β x_iᵀ M x_j,   Z_i = Σ_k exp(ℓ_ik)     (normalization="softmax")
    (USA)  the same with a_ij = exp(ℓ_ij) / n                                           (normalization="uniform")

Only M = QᵀK enters.  Shapes: a configuration X is (..., n, d) with unit rows; the flat state is
vec_r(X), D = n·d.  The tangent space of (S^{d−1})^n at X is ⊕_i x_i^⊥ (dimension n(d−1)); Jacobians
are restricted to it with orthonormal bases of each x_i^⊥ so that normal directions do not appear as
spurious eigenvalues (§5).

Ambient derivative (§5; c_ij = V x_j − m_i for softmax, c_ij = V x_j for uniform):

    ∂f_i/∂x_k = P_i [a_ik V + β a_ik c_ik (Mᵀx_i)ᵀ] + δ_ik ( P_i β Σ_j a_ij c_ij (M x_j)ᵀ − (x_iᵀm_i) I − x_i m_iᵀ ).
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from ..field import VectorField
from ..flows import sphere_rk4
from .._validate import as_float_array, choice, positive_int, real_scalar, seed_value, tolerance

if TYPE_CHECKING:
    from scipy.sparse.linalg import LinearOperator

__all__ = ["qk_modes", "SelfAttention", "SimulationResult", "RefineResult", "tangent_bases", "NORMALIZATIONS",
           "consensus_spectrum", "bipartite_spectrum", "bipartite_quantities",
           "consensus_spectrum_symbolic", "bipartite_spectrum_symbolic"]

NORMALIZATIONS = ("softmax", "uniform")


def _square(value, name: str, d: int) -> np.ndarray:
    arr = as_float_array(value, name)
    if arr.shape != (d, d):
        raise ValueError(f"{name}: expected a square matrix of shape ({d}, {d}), got {arr.shape}")
    return arr


def tangent_bases(X: np.ndarray) -> np.ndarray:
    """Orthonormal bases of x_i^⊥: X (..., n, d) unit rows -> (..., n, d, d−1) (Householder columns).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0, 0], [0, 0, 1.0]])
    >>> T = tangent_bases(X)                                 # (n, d, d − 1), columns ⟂ x_i
    >>> T.shape, float(np.abs(np.einsum("nd,ndk->nk", X, T)).max())
    ((2, 3, 2), 0.0)
    """
    X = np.asarray(X, dtype=float)
    d = X.shape[-1]
    s = np.where(X[..., 0] >= 0, 1.0, -1.0)
    v = X.copy()
    v[..., 0] += s
    H = np.eye(d) - 2.0 * v[..., :, None] * v[..., None, :] / np.sum(v * v, axis=-1)[..., None, None]
    return H[..., :, 1:]  # H e_1 = −s x, so the remaining columns span x^⊥


def tangent_coordinates(X: np.ndarray, T) -> np.ndarray:
    """Directions T (k, n·d) or (k, n, d) tangent at the unit rows X (n, d), in the coordinates of
    :func:`tangent_bases` (those of :meth:`SelfAttention.tangent_jacobian`): (k, n(d−1))."""
    n, d = X.shape
    T = np.asarray(T, dtype=float).reshape(-1, n, d)
    return np.einsum("ipa,kip->kia", tangent_bases(X), T).reshape(len(T), n * (d - 1))


@dataclass
class SimulationResult:
    """X: (B, n, d) end points; converged: (B,) residual ≤ tol reached; t: (B,) time reached;
    residual: (B,) max_i ‖f_i‖ at the end point; evaluations: (B,) field evaluations spent per trajectory.

    Examples
    --------
    >>> import numpy as np
    >>> model = SelfAttention(4, 3, V=np.diag([1.0, 0.5, -0.5]), beta=1.0)
    >>> X0 = np.random.default_rng(0).standard_normal((2, 4, 3))
    >>> res = model.simulate(X0 / np.linalg.norm(X0, axis=-1, keepdims=True), t_max=200.0)
    >>> res.converged.tolist(), np.abs(res.X[..., 0]).round(6).tolist()    # consensus on ±e₁ (Theorem A)
    ([True, True], [[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
    """

    X: np.ndarray
    converged: np.ndarray
    t: np.ndarray
    residual: np.ndarray
    evaluations: np.ndarray | None = None

    def __repr__(self) -> str:
        return (f"SimulationResult(batch={len(self.X)}, converged={int(self.converged.sum())}, "
                f"max_residual={float(self.residual.max()):.3g})")


@dataclass
class RefineResult:
    """X: (n, d) refined point; residual: max_i ‖f_i‖; converged: residual ≤ tol; iterations.

    Examples
    --------
    >>> import numpy as np
    >>> model = SelfAttention(4, 3, V=np.diag([1.0, 0.5, -0.5]), beta=1.0)
    >>> res = model.refine(np.tile([1.0, 1e-3, 0.0], (4, 1)), normalize=True)   # Newton onto consensus on e₁
    >>> res.converged, res.residual < 1e-12, np.abs(res.X).round(12).tolist()[0]
    (True, True, [1.0, 0.0, 0.0])
    """

    X: np.ndarray
    residual: float
    converged: bool
    iterations: int


class SelfAttention:
    """Self-attention dynamics (SA)/(USA) on (S^{d−1})^n.

    Parameters
    ----------
    n, d : int — number of tokens and their dimension
    Q, K : (d, d) arrays, optional — M = QᵀK (give both, or M, or neither for M = I)
    V : (d, d) array, optional — the value matrix (default I)
    beta : float ≥ 0 — inverse temperature (β < 0 only with ``allow_negative_beta=True``)
    normalization : "softmax" (SA) or "uniform" (USA)
    M : (d, d) array, optional — the bilinear form QᵀK given directly

    Examples
    --------
    >>> import numpy as np
    >>> model = SelfAttention(3, 2, V=np.diag([1.0, 0.5]), beta=1.0)
    >>> X = np.tile([1.0, 0.0], (3, 1))           # consensus on the principal eigenvector
    >>> float(model.residual(X))
    0.0
    """

    def __init__(self, n: int, d: int, Q: ArrayLike | None = None, K: ArrayLike | None = None,
                 V: ArrayLike | None = None, beta: float = 1.0, normalization: str = "softmax",
                 M: ArrayLike | None = None, allow_negative_beta: bool = False):
        n, d = positive_int(n, "n"), positive_int(d, "d")
        if d < 2:
            raise ValueError(f"d: tokens live on S^(d-1); need d >= 2, got {d}")
        self.n, self.d = int(n), int(d)
        normalization = choice(normalization, "normalization", NORMALIZATIONS)
        self.normalization = normalization
        b = real_scalar(beta, "beta")
        if b < 0 and not allow_negative_beta:
            raise ValueError(f"beta: must be >= 0 (the papers take beta >= 0), got {float(b)}; "
                             "pass allow_negative_beta=True to study beta < 0")
        self.beta = float(b)
        self.V = np.eye(d) if V is None else _square(V, "V", d)
        if M is not None:
            if Q is not None or K is not None:
                raise ValueError("M: give either M or (Q, K), not both")
            self.M = _square(M, "M", d)
        elif Q is not None or K is not None:
            if Q is None or K is None:
                raise ValueError("Q, K: give both Q and K (M = Q^T K), or M directly")
            self.M = _square(Q, "Q", d).T @ _square(K, "K", d)
        else:
            self.M = np.eye(d)

    @classmethod
    def from_row_convention(cls, n: int, d: int, W_q: ArrayLike | None = None, W_k: ArrayLike | None = None,
                            W_v: ArrayLike | None = None, beta: float = 1.0, normalization: str = "softmax",
                            **kwargs: Any) -> "SelfAttention":
        """The model of a code that stores tokens as *rows* and multiplies weights on the right: logits
        ℓ_ij = β (x_i W_q)(x_j W_k)ᵀ and update Σ_j a_ij x_j W_v (projected on the sphere).  Since
        (x_i W_q)(x_j W_k)ᵀ = x_iᵀ (W_q W_kᵀ) x_j and x_j W_v = (W_vᵀ x_j)ᵀ, it is this model with

            M = W_q W_kᵀ,    V = W_vᵀ

        (here V acts on columns, V x_j, and M = QᵀK for Q = W_qᵀ, K = W_kᵀ).  Give both W_q and W_k or neither.

        >>> import numpy as np
        >>> Wv = np.array([[1.0, 2.0], [0.0, 1.0]])
        >>> SelfAttention.from_row_convention(3, 2, W_v=Wv).V.tolist()
        [[1.0, 0.0], [2.0, 1.0]]
        """
        if (W_q is None) != (W_k is None):
            raise ValueError("W_q, W_k: give both (M = W_q W_k^T) or neither")
        M = None if W_q is None else _square(W_q, "W_q", d) @ _square(W_k, "W_k", d).T
        V = None if W_v is None else _square(W_v, "W_v", d).T
        return cls(n, d, V=V, M=M, beta=beta, normalization=normalization, **kwargs)

    @property
    def field_scale(self) -> float:
        """‖V‖₂: the size of the field (f_i = P_i Σ_j a_ij V x_j with Σ_j a_ij = 1 for softmax); the residual
        tolerances of ``simulate``, ``refine`` and :func:`symdyn.classify` are relative to it."""
        return max(float(np.linalg.norm(self.V, 2)), np.finfo(float).tiny)

    def __repr__(self) -> str:
        return f"SelfAttention(n={self.n}, d={self.d}, beta={self.beta}, normalization={self.normalization!r})"

    # ---- validation -----------------------------------------------------------------------------
    def _config(self, X, normalize: bool = False, name: str = "X") -> np.ndarray:
        X = as_float_array(X, name)
        if X.ndim < 2 or X.shape[-2:] != (self.n, self.d):
            raise ValueError(f"{name}: expected shape (..., {self.n}, {self.d}), got {X.shape}")
        norms = np.linalg.norm(X, axis=-1)
        if normalize:
            if np.any(norms == 0):
                raise ValueError(f"{name}: a token is zero and cannot be normalised")
            return X / norms[..., None]
        if np.any(np.abs(norms - 1.0) > 1e-8):
            raise ValueError(f"{name}: rows must have unit norm (max |‖x_i‖ − 1| = {np.abs(norms - 1).max():.2g}); "
                             "pass normalize=True to project them onto the sphere")
        return X

    # ---- field ----------------------------------------------------------------------------------
    def attention(self, X: ArrayLike) -> np.ndarray:
        """A(X) = [a_ij]: (..., n, n); row-stochastic for softmax, exp(ℓ_ij)/n for uniform."""
        L = (X @ (self.beta * self.M)) @ np.swapaxes(X, -1, -2)   # ℓ_ij = β x_iᵀ M x_j
        if self.normalization == "softmax":  # in place: L is a fresh array
            L -= L.max(axis=-1, keepdims=True)
            np.exp(L, out=L)
            L /= L.sum(axis=-1, keepdims=True)
            return L
        np.exp(L, out=L)
        L /= self.n
        return L

    def _parts(self, X):
        A = self.attention(X)
        VX = X @ self.V.T                        # rows V x_j
        m = A @ VX                               # rows m_i
        return A, VX, m

    def ambient_f(self, X: ArrayLike) -> np.ndarray:
        """The formula of (SA), f_i = m_i − (x_iᵀm_i) x_i, on all of R^{n×d} (..., n, d) without the unit-norm check:
        the integrator's inner loop, and the field whose derivative :meth:`jacobian` is (e.g. for finite
        differences off the sphere)."""
        _, _, m = self._parts(X)
        return m - np.sum(X * m, axis=-1, keepdims=True) * X

    def f(self, X: ArrayLike, normalize: bool = False) -> np.ndarray:
        """The field f(X): (..., n, d) -> (..., n, d) (tangent to the sphere at unit X)."""
        return self.ambient_f(self._config(X, normalize))

    def residual(self, X: ArrayLike, normalize: bool = False) -> np.ndarray:
        """max_i ‖f_i(X)‖: (..., n, d) -> (...)."""
        return np.linalg.norm(self.f(X, normalize), axis=-1).max(axis=-1)

    def jacobian(self, X: ArrayLike, normalize: bool = False) -> np.ndarray:
        """Ambient derivative DF(X) on R^{nd}: X (n, d) -> (n·d, n·d) (module docstring)."""
        X = self._config(X, normalize)
        if X.ndim != 2:
            raise ValueError(f"X: jacobian takes one configuration of shape ({self.n}, {self.d}), got {X.shape}")
        n, d, beta = self.n, self.d, self.beta
        A, VX, m = self._parts(X)
        C = VX[None, :, :] - (m[:, None, :] if self.normalization == "softmax" else 0.0)  # c_ij: (n, n, d)
        MTx = X @ self.M                          # rows Mᵀ x_i
        Mx = X @ self.M.T                         # rows M x_j
        P = np.eye(d) - X[:, :, None] * X[:, None, :]
        G = A[:, :, None, None] * (self.V[None, None] + beta * C[:, :, :, None] * MTx[:, None, None, :])
        G[np.arange(n), np.arange(n)] += beta * np.einsum("ijp,jq->ipq", A[:, :, None] * C, Mx)
        DF = np.einsum("ipq,ikqr->ipkr", P, G, optimize=True)
        xm = np.sum(X * m, axis=-1)
        DF[np.arange(n), :, np.arange(n), :] -= xm[:, None, None] * np.eye(d) + X[:, :, None] * m[:, None, :]
        return DF.reshape(n * d, n * d)

    def tangent_jacobian(self, X: ArrayLike, normalize: bool = False) -> np.ndarray:
        """J_T = Bᵀ DF(X) B on ⊕ x_i^⊥: (n(d−1), n(d−1)), B block-diagonal orthonormal bases (§5).  Contracted one
        basis at a time (O(n²d³), no n²d⁴ three-operand einsum); O(n²d²) memory — above a few thousand tangent
        dimensions use :meth:`tangent_operator`."""
        X = self._config(X, normalize)
        DF = self.jacobian(X).reshape(self.n, self.d, self.n, self.d)
        Bs = tangent_bases(X)
        right = np.einsum("ipkq,kqb->ipkb", DF, Bs)          # DF B: (n, d, n, d−1)
        JT = np.einsum("ipa,ipkb->iakb", Bs, right)           # Bᵀ (DF B)
        k = self.n * (self.d - 1)
        return JT.reshape(k, k)

    def ambient_jvp(self, X: ArrayLike, U: ArrayLike) -> np.ndarray:
        """DF(X)[U], the derivative of :meth:`ambient_f` at X in the direction U, without forming DF:
        X (n, d), U (..., n, d) -> (..., n, d) in O(n²d) per direction (the module docstring's derivative applied
        to U).  With dℓ_ij = β(u_iᵀMx_j + x_iᵀMu_j), da_ij = a_ij(dℓ_ij − Σ_k a_ik dℓ_ik) (softmax; a_ij dℓ_ij
        uniform), dm_i = Σ_j da_ij Vx_j + a_ij Vu_j:  df_i = dm_i − (u_iᵀm_i + x_iᵀdm_i) x_i − (x_iᵀm_i) u_i."""
        A, VX, m = self._parts(X)
        bM = self.beta * self.M
        dL = (U @ bM) @ X.T + (X @ bM) @ np.swapaxes(U, -1, -2)     # dℓ: (..., n, n)
        dA = A * dL
        if self.normalization == "softmax":
            dA -= A * dA.sum(axis=-1, keepdims=True)
        dm = dA @ VX + A @ (U @ self.V.T)
        xm = np.sum(X * m, axis=-1)[..., None]
        return dm - (np.sum(U * m, axis=-1) + np.sum(X * dm, axis=-1))[..., None] * X - xm * U

    def tangent_operator(self, X: ArrayLike, normalize: bool = False) -> LinearOperator:
        """J_T as a ``scipy.sparse.linalg.LinearOperator`` on tangent coordinates (n(d−1),): δ ↦ Bᵀ DF(X)[B δ]
        by :meth:`ambient_jvp` (O(n²d) per product, O(n² + nd²) memory: no (n, d, n, d) array), for matrix-free
        eigenvalue solvers.  Agrees with :meth:`tangent_jacobian` to rounding."""
        from scipy.sparse.linalg import LinearOperator

        X = self._config(X, normalize)
        if X.ndim != 2:
            raise ValueError(f"X: tangent_operator takes one configuration of shape ({self.n}, {self.d})")
        n, d = self.n, self.d
        Bs = tangent_bases(X)
        k = n * (d - 1)

        def matmat(V):
            V = np.asarray(V, dtype=float).reshape(k, -1)
            U = np.einsum("ipa,iab->bip", Bs, V.reshape(n, d - 1, -1))          # (p, n, d) ambient directions
            W = self.ambient_jvp(X, U)
            return np.einsum("ipa,bip->iab", Bs, W).reshape(k, -1)

        return LinearOperator((k, k), matvec=lambda v: matmat(v)[:, 0], matmat=matmat, dtype=float)

    def field(self) -> VectorField:
        """The entry-wise symbolic VectorField (states x_i_k, i < n, k < d) of the same (SA)/(USA) —
        for small n, d (n·d ≤ 30); V, M, β enter as exact rationals of their float values."""
        if self.n * self.d > 30:
            raise ValueError(f"n, d: the entry-wise symbolic field for n*d = {self.n * self.d} > 30 is too large "
                             "for SymPy work; use the matrix-form kernel model.f")
        n, d = self.n, self.d
        X = sp.Matrix(n, d, lambda i, k: sp.Symbol(f"x_{i + 1}_{k + 1}", real=True))
        V = sp.Matrix(d, d, lambda p, q: sp.Rational(float(self.V[p, q])))
        M = sp.Matrix(d, d, lambda p, q: sp.Rational(float(self.M[p, q])))
        beta = sp.Rational(self.beta)
        rows = [X[i, :].T for i in range(n)]
        rhs = []
        for i in range(n):
            w = [sp.exp(beta * (rows[i].T * M * rows[j])[0, 0]) for j in range(n)]
            Z = sum(w) if self.normalization == "softmax" else sp.Integer(n)
            m = sum((w[j] * (V * rows[j]) for j in range(n)), sp.zeros(d, 1)) / Z
            f = m - (rows[i].T * m)[0, 0] * rows[i]
            rhs.extend(list(f))
        return VectorField(list(X), rhs, name=f"self-attention ({self.normalization}, n={n}, d={d})")

    # ---- finding equilibria -----------------------------------------------------------------------
    def random_configurations(self, count: int, seed: int = 0) -> np.ndarray:
        """``count`` configurations with i.i.d. uniform tokens on the sphere: (count, n, d)."""
        rng = np.random.default_rng(seed_value(seed))
        X = rng.standard_normal((positive_int(count, "count"), self.n, self.d))
        return X / np.linalg.norm(X, axis=-1, keepdims=True)

    def simulate(self, X0: ArrayLike, t_max: float = 1500.0, dt: float = 0.05, tol: float = 1e-9,
                 normalize: bool = False, callback: Callable[[float, int], None] | None = None,
                 method: str = "adaptive", rtol: float = 1e-6) -> SimulationResult:
        """Integrate (SA)/(USA) on (S^{d−1})^n, batched over initial conditions X0 (B, n, d) or (n, d).

        ``method="adaptive"`` (default): projected Dormand–Prince 5(4) with error control per trajectory
        (:func:`symdyn.flows.sphere_dopri`: local error at most ``rtol`` times each step's displacement; ``dt`` is
        the first step); ``"rk4"``: projected RK4
        with the fixed step ``dt`` (:func:`symdyn.flows.sphere_rk4`; every stage renormalised).  A trajectory stops
        when max_i ‖f_i‖ < tol·‖V‖₂ (relative to the field's scale).  Trajectories that never reach tol by t_max
        (e.g. rotating tokens for a non-symmetric V with complex dominant eigenvalues) are reported with
        ``converged=False`` (warned).  ``evaluations`` counts the field evaluations per trajectory.
        ``callback(t, active_count)`` is called every 100 steps (e.g. a progress bar).
        """
        from ..flows import sphere_dopri

        X = self._config(X0, normalize, name="X0")
        tol = tolerance(tol, "tol") * self.field_scale
        method = choice(method, "method", ("adaptive", "rk4"))
        single = X.ndim == 2
        X = X[None] if single else X
        if method == "rk4":
            X, t, res, evals = sphere_rk4(self.ambient_f, X, t_max, dt, tol, callback, return_evaluations=True)
        else:
            X, t, res, evals = sphere_dopri(self.ambient_f, X, t_max, tol, rtol=tolerance(rtol, "rtol"), h0=dt,
                                            callback=callback)
        out = SimulationResult(X, res < tol, t, res, evals)
        if not out.converged.all():
            rotating = ""
            if self.d <= 16:  # the rigid-rotation fit is cheap at these sizes
                from ..classify import relative_equilibrium

                k = sum(relative_equilibrium(self, X[i], rtol=1e-4).found for i in np.flatnonzero(~out.converged))
                rotating = f"; {k} of them rotate rigidly (symdyn.classify.relative_equilibrium)" if k else ""
            warnings.warn(f"simulate: {int((~out.converged).sum())} of {len(X)} trajectories did not reach the residual "
                          f"tol·‖V‖₂ = {tol:.3g} by t_max = {t_max:g} (see SimulationResult.converged){rotating}",
                          RuntimeWarning, stacklevel=2)
        if single:
            out = SimulationResult(X[0], out.converged[:1], t[:1], res[:1], evals[:1])
        return out

    def refine(self, X: ArrayLike, tol: float = 1e-12, max_iter: int = 30, normalize: bool = False) -> RefineResult:
        """Gauss–Newton on the sphere: solve J_T δ = −Bᵀ f in least squares (zero modes of continuous
        symmetries make J_T singular), retract x_i ← (x_i + B_i δ_i)/‖·‖; stop at max_i ‖f_i‖ ≤ tol·‖V‖₂
        (``tol`` is relative to the field's scale ‖V‖₂, the same convention as :func:`symdyn.classify`).
        Non-convergence warns and shows in ``converged``."""
        X = np.array(self._config(X, normalize), copy=True)
        if X.ndim != 2:
            raise ValueError(f"X: refine takes one configuration of shape ({self.n}, {self.d})")
        tol = tolerance(tol, "tol") * self.field_scale
        max_iter = positive_int(max_iter, "max_iter")
        r = float(self.residual(X))
        it = 0
        for it in range(1, max_iter + 1):
            if r <= tol:
                it -= 1
                break
            Bs = tangent_bases(X)
            g = np.einsum("ipa,ip->ia", Bs, self.f(X)).ravel()
            JT = self.tangent_jacobian(X)
            delta = np.linalg.lstsq(JT, -g, rcond=1e-12)[0].reshape(self.n, self.d - 1)
            step = np.einsum("ipa,ia->ip", Bs, delta)
            # damped: halve the step until the residual does not grow
            for _ in range(20):
                Y = X + step
                Y /= np.linalg.norm(Y, axis=-1, keepdims=True)
                r_new = float(self.residual(Y))
                if r_new <= r or r_new <= tol:
                    break
                step *= 0.5
            X, r = Y, r_new
        if r > tol:
            warnings.warn(f"refine: not converged after {max_iter} Gauss–Newton iterations (residual {r:.3g} > "
                          f"{tol:.3g} = tol·‖V‖₂)", RuntimeWarning, stacklevel=2)
        return RefineResult(X, r, r <= tol, it)


# ---- closed forms: Theorems A and B (attention.md §4) --------------------------------------------
def consensus_spectrum(lam: float, other_eigenvalues: ArrayLike, n: int, gamma: float = 0.0,
                       normalization: str = "softmax") -> np.ndarray:
    """Theorem A: spectrum of J_T at consensus on the eigenvector v (V v = λ v).

    Eigenvalues: λ_k − λ for each other eigenvalue λ_k (synchronous modes) and −λ with multiplicity
    (n − 1)(d − 1) (disagreement modes).  With the 1/n normalisation ("uniform", USA) every weight is e^γ/n,
    γ = β vᵀMv, and each eigenvalue is multiplied by e^γ (the same stability condition, rates scaled; the
    bipartite formula with n_− = 0).  Returns a (n(d−1),) array.

    Examples
    --------
    >>> consensus_spectrum(1.0, [0.5, -0.5], n=3).real.tolist()   # λ_k − λ, then −λ (n − 1)(d − 1) = 4 times
    [-0.5, -1.5, -1.0, -1.0, -1.0, -1.0]
    """
    other = np.asarray(other_eigenvalues, dtype=complex).ravel()
    scale = 1.0 if choice(normalization, "normalization", NORMALIZATIONS) == "softmax" else float(np.exp(gamma))
    return scale * np.concatenate([other - lam, np.full((n - 1) * other.size, -lam, dtype=complex)])


def bipartite_quantities(gamma: float, n_plus: int, n_minus: int, normalization: str = "softmax") -> dict:
    """The weights of Theorem B for γ = β vᵀMv and group sizes n_±: p_± (total weight a ± token gives its own
    group), q_± (to the other group) and d_± = p_± − q_± (the normal component of m_i/λ).

    softmax: p_+ = n_+e^γ/(n_+e^γ + n_−e^{−γ}), p_− = n_−e^γ/(n_−e^γ + n_+e^{−γ}), q_± = 1 − p_± (so d_± = 2p_± − 1);
    uniform (1/n, USA): p_± = n_±e^γ/n, q_± = n_∓e^{−γ}/n.

    Examples
    --------
    >>> q = bipartite_quantities(0.0, 2, 2)                   # γ = 0, equal groups: every weight ½
    >>> float(q["p_plus"]), float(q["q_minus"]), float(q["d_plus"])
    (0.5, 0.5, 0.0)
    """
    ep, em = np.exp(gamma), np.exp(-gamma)
    if choice(normalization, "normalization", NORMALIZATIONS) == "softmax":
        p_plus = n_plus * ep / (n_plus * ep + n_minus * em)
        p_minus = n_minus * ep / (n_minus * ep + n_plus * em)
        q_plus, q_minus = 1 - p_plus, 1 - p_minus
    else:
        n = n_plus + n_minus
        p_plus, p_minus = n_plus * ep / n, n_minus * ep / n
        q_plus, q_minus = n_minus * em / n, n_plus * em / n
    return {"p_plus": p_plus, "p_minus": p_minus, "q_plus": q_plus, "q_minus": q_minus,
            "d_plus": p_plus - q_plus, "d_minus": p_minus - q_minus}


def bipartite_spectrum(lam: float, other_eigenvalues: ArrayLike, gamma: float, n_plus: int, n_minus: int,
                       normalization: str = "softmax") -> dict:
    """Theorem B: spectrum of J_T at x_i = s_i v (n_+ tokens at v, n_− at −v), softmax (SA) or 1/n (USA)
    attention (:func:`bipartite_quantities`).

    Eigenvalues: −λ d_+ ((n_+ − 1)(d − 1) times), −λ d_− ((n_− − 1)(d − 1) times), and the two
    eigenvalues of B_k = λ_k [[p_+, q_+], [q_−, p_−]] − λ diag(d_+, d_−) for every other λ_k (one, λ_k p_+ − λ d_+,
    when n_− = 0).  Stable ⟺ λd_± > 0 (n_± ≥ 2), tr B_k < 0 and det B_k = λ_k²(p_+p_− − q_+q_−) −
    λλ_k(p_+d_− + p_−d_+) + λ²d_+d_− > 0.  The USA form was derived by the same computation as the softmax one (the
    weights' derivative multiplies V x_j ∥ v, normal to the sphere) and checked against the numerical Jacobian.
    Returns {"eigenvalues", "stable" (the four conditions), "conditions", "trace" and "det" (of each B_k, (d − 1,);
    at consensus the eigenvalue λ_kp_+ − λd_+ and 1), and the weights}.

    Examples
    --------
    >>> import numpy as np
    >>> out = bipartite_spectrum(1.0, [0.5], gamma=1.0, n_plus=2, n_minus=1)   # d = 2: one other eigenvalue
    >>> np.round(out["eigenvalues"].real, 6).tolist(), out["stable"]
    ([-0.873242, -0.419077, -0.166333], True)
    >>> bool(np.isclose(out["eigenvalues"].real[0], -out["d_plus"]))        # −λd₊, (n₊ − 1)(d − 1) = 1 time
    True
    """
    q = bipartite_quantities(gamma, n_plus, n_minus, normalization)
    pp, pm, qp, qm, dp, dm = q["p_plus"], q["p_minus"], q["q_plus"], q["q_minus"], q["d_plus"], q["d_minus"]
    other = np.asarray(other_eigenvalues, dtype=float).ravel()
    k = other.size  # d − 1
    eig = [np.full((n_plus - 1) * k, -lam * dp), np.full(max(n_minus - 1, 0) * k, -lam * dm)]
    for lk in other:
        if n_minus:
            eig.append(np.linalg.eigvals(lk * np.array([[pp, qp], [qm, pm]]) - lam * np.diag([dp, dm])))
        else:
            eig.append(np.array([lk * pp - lam * dp]))
    if n_minus:
        tr = other * (pp + pm) - lam * (dp + dm)
        det = other ** 2 * (pp * pm - qp * qm) - lam * other * (pp * dm + pm * dp) + lam ** 2 * dp * dm
    else:  # consensus: one eigenvalue per λ_k
        tr, det = other * pp - lam * dp, np.ones_like(other)
    cond = {"within_plus": bool(n_plus < 2 or lam * dp > 0), "within_minus": bool(n_minus < 2 or lam * dm > 0),
            "trace": bool(np.all(tr < 0)), "det": bool(np.all(det > 0))}
    return {"eigenvalues": np.concatenate([np.asarray(e, dtype=complex) for e in eig]),
            "stable": all(cond.values()), "conditions": cond, "trace": tr, "det": det, **q}


def consensus_spectrum_symbolic() -> dict:
    """SymPy form of Theorem A: (eigenvalue expressions, multiplicities) in symbols λ, λ_k, n, d.

    Examples
    --------
    >>> consensus_spectrum_symbolic()
    {'synchronous': (-lambda + lambda_k, 1), 'disagreement': (-lambda, (d - 1)*(n - 1))}
    """
    lam, lk, n, d = sp.symbols("lambda lambda_k n d")
    return {"synchronous": (lk - lam, 1), "disagreement": (-lam, (n - 1) * (d - 1))}


def bipartite_spectrum_symbolic(normalization: str = "softmax") -> dict:
    """SymPy form of Theorem B: p_±, q_±, d_±, B_k, tr B_k, det B_k in symbols γ, n_±, λ, λ_k (softmax, or the 1/n
    normalisation with ``normalization="uniform"``).

    Examples
    --------
    >>> import sympy as sp
    >>> th = bipartite_spectrum_symbolic()
    >>> g = sp.Symbol("gamma", real=True)
    >>> sp.simplify(th["p_plus"] + th["q_plus"])            # a token's weights sum to one
    1
    """
    g, npl, nmi, lam, lk = sp.symbols("gamma n_+ n_- lambda lambda_k", real=True)
    if choice(normalization, "normalization", NORMALIZATIONS) == "softmax":
        pp = npl * sp.exp(g) / (npl * sp.exp(g) + nmi * sp.exp(-g))
        pm = nmi * sp.exp(g) / (nmi * sp.exp(g) + npl * sp.exp(-g))
        qp, qm = 1 - pp, 1 - pm
    else:
        pp, pm = npl * sp.exp(g) / (npl + nmi), nmi * sp.exp(g) / (npl + nmi)
        qp, qm = nmi * sp.exp(-g) / (npl + nmi), npl * sp.exp(-g) / (npl + nmi)
    dp, dm = pp - qp, pm - qm
    Bk = lk * sp.Matrix([[pp, qp], [qm, pm]]) - lam * sp.diag(dp, dm)
    return {"p_plus": pp, "p_minus": pm, "q_plus": qp, "q_minus": qm, "d_plus": dp, "d_minus": dm, "B_k": Bk,
            "trace": sp.simplify(Bk.trace()), "det": sp.simplify(Bk.det()), "within": (-lam * dp, -lam * dm)}


def qk_modes(Wq: ArrayLike, Wk: ArrayLike) -> dict:
    """Query–key modes (Pan et al. 2024; ``neighbours.md`` §4): SVD W_qᵀW_k = U Σ Vᵀ.

    Returns {"sigma", "U", "V", "cos" (u_n·v_n per mode), "cos_avg" (σ-weighted mean), "symmetric_fraction"
    (‖A_s‖/‖A‖ with A_s = (A + Aᵀ)/2)}.  Invariant to the gauge W_q → GᵀW_q, W_k → G⁻¹W_k.

    Examples
    --------
    >>> import numpy as np
    >>> modes = qk_modes(np.eye(3), 2 * np.eye(3))          # W_qᵀW_k = 2I: symmetric, aligned modes
    >>> modes["sigma"].tolist(), modes["cos_avg"], modes["symmetric_fraction"]
    ([2.0, 2.0, 2.0], 1.0, 1.0)
    """
    Wq = as_float_array(Wq, "Wq")
    Wk = as_float_array(Wk, "Wk")
    if Wq.ndim != 2 or Wq.shape != Wk.shape:
        raise ValueError(f"Wq, Wk: expected two matrices of one shape (d_k, d), got {Wq.shape} and {Wk.shape}")
    A = Wq.T @ Wk
    U, sig, Vt = np.linalg.svd(A)
    r = min(Wq.shape)
    U, sig, V = U[:, :r], sig[:r], Vt[:r].T
    cos = np.einsum("in,in->n", U, V)
    return {"sigma": sig, "U": U, "V": V, "cos": cos, "cos_avg": float(sig @ cos / sig.sum()) if sig.sum() else 0.0,
            "symmetric_fraction": float(np.linalg.norm((A + A.T) / 2) / max(np.linalg.norm(A), 1e-300))}
