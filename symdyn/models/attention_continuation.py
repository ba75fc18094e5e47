"""Continuation in β of the bipartite equilibria of self-attention on the sphere (``attention.md`` Theorem B).

For an eigenvector v of V (Vv = λv), the configuration x_i = s_i v (n_+ tokens at v, n_− at −v) is an
equilibrium for every β and every M: f_i = P_v Σ_j a_ij V x_j = λ P_v(Σ_j ±a_ij) v = 0.  So each split is a
branch with no unknowns (the reduced problem is empty: the branch is the β-axis), and only its spectrum moves with
β — the tangent Jacobian J_T of the full field (:meth:`.attention.SelfAttention.tangent_jacobian`), with the
directions of a continuous symmetry of (V, M) projected out (:func:`symdyn.classify.symmetry_orbit_tangent`).
:func:`symdyn.continuation.continue_equilibria` locates where its stability changes: a real eigenvalue crossing
(a within-group mode −λd_± or det B_k = 0 of Theorem B) or a complex pair (tr B_k = 0 with det B_k > 0: Hopf).

Examples
--------
>>> import numpy as np
>>> res = continue_attention(np.diag([1.0, -0.5]), np.eye(2), 3, beta_range=(0.0, 3.0))
>>> [(r["n_plus"], r["n_minus"]) for r in res.splits]
[(2, 1), (3, 0)]
"""
from __future__ import annotations

from typing import Any
import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_float_array, positive_int
from ..continuation import ContinuationResult, ReducedProblem, continue_equilibria
from ..stability import linear_stability
from .attention import SelfAttention, tangent_coordinates

__all__ = ["bipartite_configuration", "bipartite_problem", "continue_attention"]


def bipartite_configuration(v: ArrayLike, n_plus: int, n_minus: int) -> np.ndarray:
    """X (n_+ + n_−, d): n_+ rows v/‖v‖, then n_− rows −v/‖v‖.

    Examples
    --------
    >>> import numpy as np
    >>> bipartite_configuration(np.array([0.0, 2.0]), 2, 1).tolist()
    [[0.0, 1.0], [0.0, 1.0], [-0.0, -1.0]]
    """
    v = as_float_array(v, "v").ravel()
    v = v / np.linalg.norm(v)
    return np.vstack([np.tile(v, (n_plus, 1)), np.tile(-v, (n_minus, 1))])


def bipartite_problem(V: ArrayLike, M: ArrayLike, n_plus: int, n_minus: int,
                      v: ArrayLike | None = None) -> ReducedProblem:
    """The β-branch of the split (n_+, n_−) on the eigenvector v of V (default: of the largest real eigenvalue).
    Measure: (n_+ − n_−)/n (one horizontal level per split in the diagram).

    Examples
    --------
    >>> import numpy as np
    >>> problem = bipartite_problem(np.diag([1.0, 0.5]), np.eye(2), 2, 1)    # split (2, 1) on e₁, no unknowns
    >>> problem.judge(np.zeros(0), 0.0).verdict, problem.judge(np.zeros(0), 3.0).verdict
    ('saddle', 'asymptotically stable')
    """
    from ..classify import symmetry_orbit_tangent

    V, M = as_float_array(V, "V"), as_float_array(M, "M")
    d = V.shape[0]
    n_plus, n = positive_int(n_plus, "n_plus"), n_plus + int(n_minus)
    if n_minus < 0:
        raise ValueError(f"n_minus: expected >= 0, got {n_minus}")
    if v is None:
        ev, W = np.linalg.eig(V)
        k = int(np.argmax(ev.real))
        if abs(ev[k].imag) > 1e-12 * max(1.0, abs(ev[k])):
            raise ValueError("V: its eigenvalue of largest real part is not real; give v")
        v = W[:, k].real
    X = bipartite_configuration(v, n_plus, n_minus)
    if np.linalg.norm(V @ X[0] - (X[0] @ V @ X[0]) * X[0]) > 1e-10 * np.linalg.norm(V):
        raise ValueError("v: not an eigenvector of V (x_i = ±v is then not an equilibrium)")
    T = symmetry_orbit_tangent(X, V, M)
    Tt = tangent_coordinates(X, T) if len(T) else None

    def judge(u, beta):
        J = SelfAttention(n, d, V=V, M=M, beta=beta, allow_negative_beta=True).tangent_jacobian(X)
        return linear_stability(J, tangent=Tt)

    empty = np.zeros(0)
    return ReducedProblem(lambda u, b: empty, lambda u, b: np.zeros((0, 0)), lambda u, b: empty, judge=judge,
                          lift=lambda u, b: X.ravel().copy(), measure=lambda u, b: (n_plus - n_minus) / n,
                          dimension=lambda u, b: 0 if Tt is None else len(Tt), param="beta",
                          name=f"bipartite split ({n_plus}, {n - n_plus}) of self-attention (n = {n}, d = {d})")


def continue_attention(V: ArrayLike, M: ArrayLike, n: int, *, beta_range: tuple[float, float] = (0.0, 5.0),
                       v: ArrayLike | None = None, ds: float = 0.05,
                       **kwargs: Any) -> ContinuationResult:
    """Every split n_+ ≥ n_− (n_+ + n_− = n; n_− = 0 is consensus, Theorem A) on v, continued in β over
    ``beta_range`` (each from its lower end).  ``splits`` lists {"n_plus", "n_minus"} per branch; ``kwargs`` go to
    :func:`~symdyn.continuation.continue_equilibria`.

    Examples
    --------
    >>> import numpy as np
    >>> res = continue_attention(np.diag([1.0, 0.1, -0.8]), np.eye(3), 5, beta_range=(0.0, 1.0), ds=0.02)
    >>> [(e.info["split"], round(e.mu, 6)) for e in res.events]   # Theorem B's zeros, see theorem_b_conditions
    [((3, 2), 0.049001), ((3, 2), 0.202733), ((3, 2), 0.259341), ((4, 1), 0.419289), ((4, 1), 0.74616)]
    """
    n = positive_int(n, "n")
    lo, hi = (float(b) for b in beta_range)
    branches, events, splits = [], [], []
    for n_plus in range((n + 1) // 2, n + 1):
        problem = bipartite_problem(V, M, n_plus, n - n_plus, v)
        res = continue_equilibria(problem, np.zeros(0), lo, mu_range=(lo, hi), ds=ds, both_directions=False,
                                  **kwargs)
        for e in res.events:
            e.branch += len(branches)
            e.info["split"] = (n_plus, n - n_plus)
        branches += res.branches
        events += res.events
        splits += [{"n_plus": n_plus, "n_minus": n - n_plus}] * len(res.branches)
    out = ContinuationResult("beta", branches, events, f"bipartite splits of self-attention (n = {n})")
    out.splits = splits
    return out


def theorem_b_conditions(V, M, n_plus: int, n_minus: int, beta_range, v=None, grid: int = 4000) -> list:
    """The β at which a Theorem B quantity of the split (n_+, n_−) vanishes, from the closed form
    (:func:`.attention.bipartite_spectrum`'s d_±, tr B_k and det B_k; independent of the continuation): the within-group
    eigenvalues −λd_± (n_± ≥ 2), tr B_k and det B_k for every other eigenvalue λ_k of V, each located by Brent's
    method between sign changes on a grid of ``grid`` points of γ = β vᵀMv.  Returns [{"kind", "mu" (β), "tex",
    "source"}] ("kind": the event types such a zero can be: a real crossing, or for tr B_k with det B_k > 0 a Hopf
    point)."""
    import scipy.optimize

    from .attention import bipartite_spectrum

    V, M = as_float_array(V, "V"), as_float_array(M, "M")
    ev, W = np.linalg.eig(V)
    if v is None:
        k = int(np.argmax(ev.real))
        v = W[:, k].real
    v = np.asarray(v, dtype=float) / np.linalg.norm(v)
    lam = float(v @ V @ v)
    others = [complex(e) for e in ev]
    others.remove(min(others, key=lambda e: abs(e - lam)))
    c = float(v @ M @ v)
    if c == 0:
        return []
    g_lo, g_hi = sorted(np.array(beta_range, dtype=float) * c)

    def theorem_b(g, lk):  # the closed form (softmax) at γ, for one other eigenvalue λ_k
        return bipartite_spectrum(lam, [lk], g, n_plus, n_minus)

    funcs = []
    if n_plus >= 2:
        funcs.append((r"-\lambda d_+ = 0", lambda g: -lam * theorem_b(g, 0.0)["d_plus"], ("real crossing",)))
    if n_minus >= 2:
        funcs.append((r"-\lambda d_- = 0", lambda g: -lam * theorem_b(g, 0.0)["d_minus"], ("real crossing",)))
    for lk in others:
        if abs(lk.imag) > 1e-12:
            continue
        lk = lk.real

        def tr(g, lk=lk):
            return float(theorem_b(g, lk)["trace"][0])

        def det(g, lk=lk):
            return float(theorem_b(g, lk)["det"][0])
        funcs.append((rf"\det B_k = 0\ (\lambda_k = {lk:.4g})", det, ("real crossing",)))
        funcs.append((rf"\operatorname{{tr}} B_k = 0\ (\lambda_k = {lk:.4g})", tr, ("hopf",), det))
    out = []
    gs = np.linspace(g_lo, g_hi, grid)
    for entry in funcs:
        tex, fn, kinds = entry[:3]
        vals = np.array([fn(g) for g in gs])
        for i in np.flatnonzero(vals[:-1] * vals[1:] < 0):
            g = scipy.optimize.brentq(fn, gs[i], gs[i + 1], xtol=1e-15, rtol=1e-15)
            if len(entry) == 4 and entry[3](g) <= 0:
                continue  # tr B_k = 0 with det B_k ≤ 0: a saddle's eigenvalues, not a crossing pair
            out.append({"kind": kinds[0], "kinds": kinds, "mu": g / c, "tex": tex,
                        "source": f"Theorem B, split ({n_plus}, {n_minus})", "split": (n_plus, n_minus)})
    return sorted(out, key=lambda d: d["mu"])
