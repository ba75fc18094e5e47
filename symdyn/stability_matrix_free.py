"""Linear stability without forming the Jacobian: the rightmost eigenvalues of J from products J·v.

For a state of dimension N in the tens of thousands (self-attention with n = 1024 tokens in d = 64: N = 64 512)
the dense path of :mod:`symdyn.stability` would need an N×N array (33 GB) and an O(N³) eigen-solve.  The verdict
only needs the *rightmost* part of the spectrum: if the eigenvalue with the largest real part, among those not
explained by known neutral directions, has Re μ < 0 the equilibrium is asymptotically stable; if some has
Re μ > 0 it is unstable (Lyapunov).  :func:`matrix_free_stability` finds them with ARPACK's implicitly restarted
Arnoldi method (``scipy.sparse.linalg.eigs``, ``which="LR"``) on the operator

    A v = P J P v − σ Tᵀ T v + c v,     P = I − TᵀT,   σ = 10·s,   c = 2.5·s,

where T (k, N) are orthonormal known neutral directions (J Tᵀ = 0, e.g. the orbit of a continuous symmetry).
In the basis (T, T^⊥) J is block upper triangular with a zero k×k block, so spec A = {−σ}ᵏ ∪ (spec J without
those k zeros), shifted by c: the known neutral directions are moved far to the left and never mistaken for the
rightmost, and an eigenvalue of J at 0 becomes c, which ARPACK's relative convergence test can accept (unshifted it
never accepts a Ritz value at 0, and returns the other rightmost eigenvalues without it).

Verdicts (the same words as :func:`symdyn.stability.stability`), tolerances relative to s, an estimate of ‖J‖₂
(the largest of ‖J z‖/‖z‖ over seeded random z and of |μ| for the largest-magnitude eigenvalue: both lower
bounds of ‖J‖₂):

* ``"saddle"`` / ``"unstable"`` — a computed eigenvalue has Re μ > axis_rtol·s (``"saddle"`` when the leftmost
  eigenvalue of J has Re < −axis_rtol·s);
* ``"asymptotically stable"`` — every one of the ``k_eigs`` rightmost eigenvalues of A has Re μ < −axis_rtol·s
  (so, since ARPACK returns the rightmost, does every other; with known neutral directions this is normal
  hyperbolicity of their manifold);
* ``"inconclusive"`` — a rightmost eigenvalue is neutral (|μ| ≤ neutral_rtol·s: a neutral direction nobody
  declared, which the dense path would measure with :func:`~symdyn.local_dimension.local_dimension`) or on the
  imaginary axis within tolerance, or ARPACK did not converge (warned; the converged part is reported).

Examples
--------
>>> import numpy as np
>>> from scipy.sparse.linalg import aslinearoperator
>>> J = np.diag(-np.arange(1.0, 201.0))
>>> J[0, 0] = 0.0                                   # one neutral direction, e_0, declared below
>>> rep = matrix_free_stability(aslinearoperator(J), tangent=np.eye(200)[:1])
>>> rep.verdict, round(rep.max_real_nonneutral, 6)
('asymptotically stable', -2.0)
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ._validate import nonnegative_int, positive_int, tolerance
from .stability import StabilityReport, _orthonormal_rows, _verdict

if TYPE_CHECKING:
    from scipy.sparse.linalg import LinearOperator

__all__ = ["matrix_free_stability", "estimate_norm"]


def estimate_norm(operator: LinearOperator, seed: int = 0, probes: int = 8) -> float:
    """A lower bound of ‖J‖₂ from products only: max ‖J z‖/‖z‖ over ``probes`` seeded Gaussian z.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.sparse.linalg import aslinearoperator
    >>> s = estimate_norm(aslinearoperator(np.diag(-np.arange(1.0, 101.0))))
    >>> 0 < s <= 100.0                                        # never above ‖J‖₂ = 100
    True
    """
    N = operator.shape[0]
    Z = np.random.default_rng(seed).standard_normal((N, probes))
    W = operator.matmat(Z)
    return float((np.linalg.norm(W, axis=0) / np.linalg.norm(Z, axis=0)).max())


def matrix_free_stability(operator: LinearOperator, tangent: ArrayLike | None = None, *, k_eigs: int = 6,
                          neutral_rtol: float = 1e-7, axis_rtol: float = 1e-7, tol: float = 1e-10, seed: int = 0,
                          maxiter: int | None = None, scale: float | None = None) -> StabilityReport:
    """Stability verdict from the rightmost eigenvalues of J, given only products J·v (module docstring).

    Parameters
    ----------
    operator : ``scipy.sparse.linalg.LinearOperator`` (N, N) — J at an equilibrium (checked by the caller)
    tangent : array (k, N), optional — known neutral directions (J Tᵀ = 0; checked), deflated
    k_eigs : int — how many rightmost eigenvalues to compute (default 6)
    neutral_rtol, axis_rtol : float — tolerances relative to the norm estimate s (default 1e-7)
    tol : float — ARPACK's relative accuracy of the eigenvalues (default 1e-10)
    seed : int — seed of the norm probes and of ARPACK's start vector
    maxiter : int, optional — ARPACK's restarts (default: SciPy's, 10·N)
    scale : float, optional — ‖J‖₂ when known (else :func:`estimate_norm` and the largest |μ|)

    Returns
    -------
    StabilityReport — ``eigenvalues`` holds the computed rightmost eigenvalues of J outside the known neutral
    directions (not the whole spectrum), ``manifold_dim`` the number of known neutral directions,
    ``manifold_dim_source = "tangent"`` and ``method = "matrix-free"``

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.sparse.linalg import aslinearoperator
    >>> J = np.diag(-np.arange(0.0, 100.0))                   # one neutral direction e₀, the rest −1 … −99
    >>> T = np.eye(100)[:1]
    >>> rep = matrix_free_stability(aslinearoperator(J), T)
    >>> rep.verdict, round(rep.max_real_nonneutral, 9), rep.method
    ('asymptotically stable', -1.0, 'matrix-free')
    >>> J[5, 5] = 0.3
    >>> matrix_free_stability(aslinearoperator(J), T).verdict
    'saddle'
    """
    from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigs

    N = operator.shape[0]
    if operator.shape != (N, N):
        raise ValueError(f"operator: expected a square operator, got shape {operator.shape}")
    k_eigs = positive_int(k_eigs, "k_eigs")
    neutral_rtol, axis_rtol, tol = (tolerance(v, name) for v, name in
                                    ((neutral_rtol, "neutral_rtol"), (axis_rtol, "axis_rtol"), (tol, "tol")))
    seed = nonnegative_int(seed, "seed")
    T = _orthonormal_rows(tangent if tangent is not None else np.zeros((0, N)), N, "tangent")
    kT = T.shape[0]
    if N - kT < 3:
        raise ValueError(f"operator: dimension {N} with {kT} neutral directions is too small for Arnoldi; use "
                         "symdyn.stability.linear_stability on the dense Jacobian")
    rng = np.random.default_rng(seed)
    if scale is None:
        scale = estimate_norm(operator, seed)
        try:
            lm = eigs(operator, k=1, which="LM", tol=1e-3, v0=rng.standard_normal(N), return_eigenvectors=False)
            scale = max(scale, float(np.abs(lm).max()))
        except ArpackNoConvergence as exc:
            if len(exc.eigenvalues):
                scale = max(scale, float(np.abs(exc.eigenvalues).max()))
    scale = max(float(scale), np.finfo(float).tiny)
    if kT:
        leak = float(np.linalg.norm(operator.matmat(T.T), 2))
        if leak > max(neutral_rtol * scale, 1e-300) * max(1.0, np.sqrt(kT)):
            raise ValueError(f"tangent: the given directions are not neutral (‖J Tᵀ‖ = {leak:.3g}, "
                             f"scale {scale:.3g})")
    sigma = 10.0 * scale
    # shifted by c = 2.5 s (more than the spectral radius): ARPACK accepts a Ritz value θ when its residual is below
    # tol·|θ|, so an eigenvalue at 0 — exactly the undeclared neutral direction that must not be missed — is never
    # accepted unshifted, and the other rightmost ones are returned without it (seen: diag(0, −1, …) gave −1, …)
    shift = 2.5 * scale

    def shifted(V):  # A V = P J P V − σ TᵀT V + c V (module docstring)
        V = np.asarray(V, dtype=float).reshape(N, -1)
        if not kT:
            return operator.matmat(V) + shift * V
        W = operator.matmat(V - T.T @ (T @ V))
        return W - T.T @ (T @ W) - sigma * (T.T @ (T @ V)) + shift * V

    A = LinearOperator((N, N), matvec=lambda v: shifted(v)[:, 0], matmat=shifted, dtype=float)
    k = min(k_eigs, N - kT - 2)
    ncv = min(N, max(2 * k + 1, 40))
    converged = True
    try:
        mu = eigs(A, k=k, which="LR", tol=tol, ncv=ncv, maxiter=maxiter, v0=rng.standard_normal(N),
                  return_eigenvectors=False) - shift
    except ArpackNoConvergence as exc:
        mu, converged = exc.eigenvalues - shift, False
        warnings.warn(f"matrix_free_stability: ARPACK converged {len(mu)} of {k} rightmost eigenvalues; the verdict "
                      "is inconclusive unless one of them is unstable", RuntimeWarning, stacklevel=2)
    mu = np.asarray(mu, dtype=complex)
    mu = mu[np.argsort(-mu.real, kind="stable")]
    axis, neutral_tol = axis_rtol * scale, neutral_rtol * scale
    neutral = np.abs(mu) <= neutral_tol
    nonneutral = mu[~neutral]
    n_unstable = int(np.sum(nonneutral.real > axis))
    n_centre = int(np.sum(np.abs(nonneutral.real) <= axis))
    max_re = float(nonneutral.real.max()) if nonneutral.size else float("-inf")
    n_stable = 0
    if n_unstable:  # saddle or unstable: is there a decaying direction at all?  the leftmost eigenvalue of J
        try:
            left = eigs(operator, k=1, which="SR", tol=1e-6, v0=rng.standard_normal(N), return_eigenvectors=False)
        except ArpackNoConvergence as exc:
            left = exc.eigenvalues
            if not len(left):
                warnings.warn("matrix_free_stability: the leftmost eigenvalue did not converge; 'unstable' may be a "
                              "saddle", RuntimeWarning, stacklevel=2)
        n_stable = int(np.sum(np.asarray(left).real < -axis))
    elif converged:
        n_stable = int(np.sum(nonneutral.real < -axis))
    verdict, reason = _verdict(n_unstable, n_stable, n_centre, kT + int(neutral.sum()), kT, max_re, N)
    if not converged and not n_unstable:
        verdict, reason = "inconclusive", f"ARPACK converged {len(mu)} of {k} rightmost eigenvalues"
    reason = f"matrix-free ({k} rightmost eigenvalues of {N}, {kT} known neutral directions deflated): {reason}"
    return StabilityReport(mu, kT + int(neutral.sum()), kT, max_re, verdict, reason, scale, neutral_rtol, axis_rtol,
                           n_unstable, manifold_dim_source="tangent", quotient_eigenvalues=mu, method="matrix-free")
