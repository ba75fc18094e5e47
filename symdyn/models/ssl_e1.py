"""The full-rank equilibrium equation (E1) of the linear SSL model (``ssl_linear.md`` §6.1), solved and certified.

    (E1)  (Σx S + λI)(S Σx + λI) = Σyxᵀ S Σyx          (m(m+1)/2 quadratics in the entries of S = AᵀA)

:func:`solve_e1` normalises the data exactly (:func:`e1_scaling`), then solves by exact Gröbner work with certified
real-root isolation (m ≤ 2) or a total-degree homotopy whose end points are polished at high precision and certified
by Smale's α-test (m ≥ 3), and decides each root's positive-definiteness against its certified error.
:meth:`symdyn.LinearSSL.e1_roots` is the public entry point (validation, caching).
"""
from __future__ import annotations

import functools
import operator
import warnings
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import scipy.linalg
import sympy as sp
from numpy.typing import ArrayLike

from .._validate import choice
from ..matrix_calculus import exact_matrix as _exact, symbol_matrix
from ..polysolve import PolySolution, certify_roots, deflated_newton, distinct_roots, solve_groebner, solve_homotopy

__all__ = ["e1_sides", "e1_system", "e1_scaling", "e1_residual", "e2_predictor", "solve_e1", "pack_data", "split_data", "psd_root_bound",
           "LAM_MIN_RELATIVE", "E1_METHODS", "e1_method"]

LAM_MIN_RELATIVE = 1e-40  # normalised λ' below which (E1) is refused (inner roots below double precision)


def e1_sides(Sx: Any, Syx: Any, S: Any, lam: Any, I: Any, mul: Callable = operator.mul) -> tuple:
    """(E1) as its two sides (left, right) = ((ΣxS + λI)(SΣx + λI), ΣyxᵀSΣyx), for any matrix type: SymPy
    MatrixSymbols or explicit matrices (``mul`` the default ``*``) and NumPy arrays (``mul=np.matmul``).

    Examples
    --------
    >>> import sympy as sp
    >>> X, Y, S = (sp.MatrixSymbol(n, 2, 2) for n in "XYS")
    >>> e1_sides(X, Y, S, sp.Symbol("lambda"), sp.Identity(2))
    ((lambda*I + X*S)*(lambda*I + S*X), Y.T*S*Y)
    """
    return mul(mul(Sx, S) + lam * I, mul(S, Sx) + lam * I), mul(mul(Syx.T, S), Syx)


def e1_system(Sx: sp.Matrix, Syx: sp.Matrix, lam: sp.Expr | float, m: int) -> tuple[list, list, sp.Matrix]:
    """(E1) (ΣxS + λI)(SΣx + λI) − ΣyxᵀSΣyx = 0 as m(m+1)/2 equations in the entries s_ij (i ≤ j) of S.

    Examples
    --------
    >>> import sympy as sp
    >>> eqs, unknowns, S = e1_system(sp.Matrix([[1]]), sp.Matrix([[sp.Rational(4, 5)]]), sp.Rational(3, 25), 1)
    >>> eqs, sp.solve(eqs[0], unknowns[0])
    ([s_11**2 - 2*s_11/5 + 9/625], [1/25, 9/25])
    """
    S = symbol_matrix("s", m, symmetric=True)
    unknowns = [S[i, j] for i in range(m) for j in range(i, m)]
    left, right = e1_sides(Sx, Syx, S, lam, sp.eye(m))
    E1 = left - right
    return [sp.expand(E1[i, j]) for i in range(m) for j in range(i, m)], unknowns, S


def e1_scaling(sigma_x: np.ndarray, sigma_yx: np.ndarray, lam: float) -> dict:
    """The exact normalisation of (E1): powers of two a ≈ ‖Σx‖_F, b ≈ ‖Σyx‖_F with

        (Σx, Σyx, λ) = (a Σx', b Σyx', (b²/a) λ')   and   S = (b²/a²) S',

    which maps (E1) onto itself (both sides scale by b⁴/a²).  Powers of two keep the data exact, so the Gröbner
    work on the normalised data is exact for the given data.  Returns {"a", "b", "lam", "S"}: the factors, the
    normalised λ' and the factor b²/a² of S.

    Examples
    --------
    >>> import numpy as np
    >>> e1_scaling(np.diag([3.0, 1.0]), np.eye(2), 0.1)      # a, b powers of two; λ and S rescaled exactly
    {'a': 4.0, 'b': 2.0, 'lam': 0.1, 'S': 0.25}
    """
    a = 2.0 ** round(np.log2(np.linalg.norm(sigma_x)))
    b = 2.0 ** round(np.log2(np.linalg.norm(sigma_yx)))
    return {"a": a, "b": b, "lam": lam * a / b ** 2, "S": b ** 2 / a ** 2}


def e2_predictor(A: ArrayLike, sigma_x: ArrayLike, sigma_yx: ArrayLike, lam: float) -> np.ndarray:
    """(E2): B = A Σyx Aᵀ W⁻¹ with W = A Σx Aᵀ + λ I.  A: (..., n, m) -> (..., n, n) (any n: the reduced
    predictor B̃ of a rank-r stratum is (E2) for A = Vᵀ, n = r).

    Examples
    --------
    >>> import numpy as np
    >>> Sx, Syx, lam = np.array([[1.0]]), np.array([[0.8]]), 0.12    # m = 1: (s + 0.12)² = 0.64 s, s ∈ {0.04, 0.36}
    >>> e2_predictor(np.array([[0.6]]), Sx, Syx, lam).round(12).tolist()    # B = a²τ/(a²ρ + λ) = 0.288/0.48
    [[0.6]]
    """
    A = np.asarray(A)
    At = np.swapaxes(A, -1, -2)
    W = A @ sigma_x @ At + lam * np.eye(A.shape[-2])
    rhs = A @ sigma_yx @ At
    # B W = rhs  <=>  W B^T = rhs^T  (W symmetric)
    return np.swapaxes(np.linalg.solve(W, np.swapaxes(rhs, -1, -2)), -1, -2)


def unvech(v, size: int, matrix=None):
    """The symmetric size×size matrix whose upper triangle, row by row, is v (the order of (E1)'s unknowns s_ij,
    i ≤ j); ``matrix`` is the matrix constructor (default mpmath.matrix; mpmath.iv.matrix for intervals)."""
    M = (matrix or mpmath.matrix)(size, size)
    k = 0
    for i in range(size):
        for j in range(i, size):
            M[i, j] = M[j, i] = v[k]
            k += 1
    return M


@functools.lru_cache(maxsize=None)
def _triu(m: int) -> tuple:
    return np.triu_indices(m)


def split_data(p: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The inverse of :func:`pack_data`, batched: p (P, m(m+1)/2 + m² + 1) -> Σx (P, m, m) symmetric, Σyx (P, m, m),
    λ (P,).

    Examples
    --------
    >>> import numpy as np
    >>> Sx, Syx, lam = split_data(pack_data(np.diag([1.0, 2.0]), np.eye(2), 0.1)[None], 2)
    >>> Sx[0].tolist(), Syx.shape, lam.tolist()
    ([[1.0, 0.0], [0.0, 2.0]], (1, 2, 2), [0.1])
    """
    P = p.shape[0]
    iu = _triu(m)
    k = len(iu[0])
    Sx = np.zeros((P, m, m), dtype=p.dtype)
    Sx[:, iu[0], iu[1]] = p[:, :k]
    Sx[:, iu[1], iu[0]] = p[:, :k]
    return Sx, p[:, k: k + m * m].reshape(P, m, m), p[:, -1]


def pack_data(sigma_x: ArrayLike, sigma_yx: ArrayLike, lam: float) -> np.ndarray:
    """The parameter vector p = (vech Σx, vec Σyx, λ) of (E1) and of the rank strata (R_r).

    Examples
    --------
    >>> import numpy as np
    >>> pack_data(np.diag([1.0, 2.0]), np.eye(2), 0.1).tolist()     # vech Σx (3), vec Σyx (4), λ
    [1.0, 0.0, 2.0, 1.0, 0.0, 0.0, 1.0, 0.1]
    """
    m = sigma_x.shape[0]
    iu = np.triu_indices(m)
    return np.concatenate([np.asarray(sigma_x)[iu], np.ravel(sigma_yx), [lam]])


def degenerate_times(p0, p1, m: int, gamma: complex) -> np.ndarray:
    """The complex t at which the data p(t) = (1 − t)γp₀ + tp₁ (packed by :func:`pack_data`) degenerate:
    det Σx(t) = 0 (the PSD roots are no longer bounded: families of roots escape to infinity), det Σyx(t) = 0 and
    λ(t) = 0.  For M(t) = (1 − t)γM₀ + tM₁, det M(t) = 0 ⇔ γM₀v = −μM₁v with μ = t/(1 − t): the generalised
    eigenvalues, t = μ/(1 + μ) (infinite μ: t = 1, a degenerate target, which no γ avoids, is left out; μ = −1:
    t = ∞)."""
    Sx0, Syx0, l0 = split_data(np.asarray(p0)[None], m)
    Sx1, Syx1, l1 = split_data(np.asarray(p1)[None], m)
    ts = []
    for A, B in ((Sx0[0], Sx1[0]), (Syx0[0], Syx1[0])):
        mu = scipy.linalg.eigvals(gamma * A, -B)
        mu = mu[np.isfinite(mu) & (mu != -1)]  # μ = −1: t = ∞, no degenerate point
        ts.append(mu / (1 + mu))
    den = gamma * l0[0] - l1[0]
    ts.append(np.array([gamma * l0[0] / den]) if den != 0 else np.empty(0))
    return np.concatenate(ts)


def _segment_distance(t) -> float:
    """The distance of the complex points t from the real segment [0, 1] (inf for none)."""
    t = np.asarray(t)
    d = np.where((t.real >= 0) & (t.real <= 1), np.abs(t.imag), np.minimum(np.abs(t), np.abs(t - 1)))
    return float(d.min()) if d.size else np.inf


def homotopy_gamma(rng, p0, p1, m: int, clearance: float = 0.05, tries: int = 64) -> complex:
    """A random γ on the unit circle (from ``rng``) for the parameter homotopy p(t) = (1 − t)γp₀ + tp₁ whose real
    segment t ∈ [0, 1] keeps a distance ≥ ``clearance`` from every :func:`degenerate_times` (a path passing close
    to one of them passes close to roots at infinity, where double precision cannot follow it); after ``tries``
    draws the one with the largest distance.  Still a random γ: every admissible draw is as generic as any.

    Examples
    --------
    >>> import numpy as np
    >>> p0 = pack_data(np.array([[-1.0 + 0j]]), np.array([[1.0 + 0j]]), 1.0 + 0j)  # Σx(t) = t − (1 − t)γ
    >>> p1 = pack_data(np.eye(1), np.eye(1), 1.0)
    >>> _segment_distance(degenerate_times(p0, p1, 1, 1.0))  # γ = 1: det Σx(1/2) = 0, on the segment
    0.0
    >>> g = homotopy_gamma(np.random.default_rng(0), p0, p1, 1)
    >>> _segment_distance(degenerate_times(p0, p1, 1, g)) >= 0.05
    True
    """
    best, best_d = None, -1.0
    for _ in range(tries):
        g = np.exp(2j * np.pi * rng.uniform())
        d = _segment_distance(degenerate_times(p0, p1, m, g))
        if d >= clearance:
            return g
        if d > best_d:
            best, best_d = g, d
    return best


def psd_root_bound(sigma_x: ArrayLike, sigma_yx: ArrayLike, lam: float) -> float:
    """An upper bound of ‖S‖_F over the real PSD solutions S of S·E(S) = 0 (every rank; (E1) for full rank).

    Let U (m × r) be an orthonormal basis of the range of S = UPUᵀ (P ≻ 0).  S·E(S) = 0 ⇔ E(S)U = 0, so with
    L = SΣx + λI, ‖LU‖_F² = tr(UᵀΣyxᵀSΣyxU) ≤ ‖Σyx‖₂² tr S ≤ ‖Σyx‖₂² √m ‖S‖_F, and
    ‖LU‖_F ≥ ‖P UᵀΣxU‖_F − λ√r ≥ σ‖S‖_F − λ√m with σ = λ_min(Σx) > 0.  So u = ‖S‖_F satisfies
    (σu − λ√m)² ≤ c u, c = ‖Σyx‖₂²√m, whence u ≤ (2σλ√m + c + √(c² + 4σλ√m c)) / (2σ²).  Returns inf when Σx
    is not positive definite (no such bound).

    Examples
    --------
    >>> import numpy as np
    >>> round(psd_root_bound(np.eye(1), np.eye(1), 0.0), 12)  # m = 1, λ = 0: S = 1 is the root, bound 1
    1.0
    """
    m = sigma_x.shape[0]
    s = float(np.linalg.eigvalsh(sigma_x)[0])
    if s <= 0:  # Σx not positive definite: PSD roots need not be bounded
        return float("inf")
    c = float(np.linalg.norm(sigma_yx, 2)) ** 2 * np.sqrt(m)
    a = lam * np.sqrt(m)
    return float((2 * s * a + c + np.sqrt(c * c + 4 * s * a * c)) / (2 * s * s))


def e1_residual(sigma_x: ArrayLike, sigma_yx: ArrayLike, lam: float, S: ArrayLike) -> float:
    """‖(ΣxS+λI)(SΣx+λI) − ΣyxᵀSΣyx‖_F / (‖(ΣxS+λI)‖² + ‖Σyx‖²‖S‖), relative.

    Examples
    --------
    >>> import numpy as np
    >>> Sx, Syx, lam = np.array([[1.0]]), np.array([[0.8]]), 0.12    # m = 1: (s + 0.12)² = 0.64 s, s ∈ {0.04, 0.36}
    >>> e1_residual(Sx, Syx, lam, np.array([[0.36]])), e1_residual(Sx, Syx, lam, np.array([[0.5]])) > 0.05
    (0.0, True)
    """
    S = np.asarray(S, dtype=float)
    left, right = e1_sides(sigma_x, sigma_yx, S, lam, np.eye(S.shape[0]), np.matmul)
    L = sigma_x @ S + lam * np.eye(S.shape[0])
    return float(np.linalg.norm(left - right) / max(np.linalg.norm(L) ** 2 + np.linalg.norm(right), 1e-300))


#: |Δ| / τ² below which the m = 1 closed form leaves the sign of Δ = τ² − 4ρλ (two roots, one double, none) to the
#: exact Gröbner route: Δ is computed with a relative error of a few units of 1e-16
M1_TANGENT_RTOL = 1e-12


def _m1_closed_form(rho: float, tau: float, lam: float) -> dict | None:
    """(E1) at m = 1: (ρs + λ)² = τ²s, s = ‖a‖², by the quadratic formula in r = √s: ρr² − |τ|r + λ = 0 (the
    spheres of ``ssl_linear.md`` §6.4, :func:`m1_radii`).  For λ > 0 both real roots are positive (product λ²/ρ²,
    sum (τ² − 2ρλ)/ρ² > 0 when Δ ≥ 0).  None when Δ is within ``M1_TANGENT_RTOL``·τ² of 0 (its sign is not decided
    in double precision)."""
    geo = m1_radii(rho, tau, lam)
    if abs(geo["delta"]) <= M1_TANGENT_RTOL * tau ** 2 or lam <= 0 or rho <= 0:
        return None
    roots = sorted({r ** 2 for r in geo["radii"]}) if geo["exists"] else []
    return {"roots": [np.array([[s]]) for s in roots], "positive_definite": [True] * len(roots),
            "sqrtS": [np.array([[np.sqrt(s)]]) for s in roots], "complex_count": 2,
            "method": "closed form (m = 1: ρr² − |τ|r + λ = 0, cancellation-free)", "diverged": 0, "certified": True,
            "complete": "proven", "notes": [] if roots else ["Δ = τ² − 4ρλ < 0: no real root"]}


def m1_radii(rho, tau, lam) -> dict:
    """Vectorised m = 1 radii: arrays rho, tau, lam -> {"delta", "radii": (r1, r2), "exists"} (NaN-free:
    radii are 0 where Δ < 0 and ``exists`` is False there).

    r2 = (|τ| + √Δ)/(2ρ) and r1 = 2λ/(|τ| + √Δ) (= (|τ| − √Δ)/(2ρ) without the cancellation when 4ρλ ≪ τ²)."""
    rho, tau, lam = (np.asarray(v, dtype=float) for v in (rho, tau, lam))
    delta = tau ** 2 - 4 * rho * lam
    exists = delta >= 0
    sq = np.sqrt(np.where(exists, delta, 0.0))
    big = np.abs(tau) + sq  # no cancellation: r1 r2 = λ/ρ gives r1 = 2λ / (|τ| + √Δ)
    r1 = np.where(exists & (big > 0), 2 * lam / np.where(big > 0, big, 1.0), 0.0)
    r2 = np.where(exists, big / (2 * rho), 0.0)
    if r1.ndim == 0:
        return {"delta": float(delta), "radii": (float(r1), float(r2)), "exists": bool(exists)}
    return {"delta": delta, "radii": (r1, r2), "exists": exists}


E1_METHODS = ("auto", "closed form", "groebner", "homotopy", "parameter")


def e1_method(m: int, method: str = "auto") -> str:
    """The (E1) solver to use at size m: ``method`` checked against :data:`E1_METHODS`, with "auto" resolved to
    "closed form" (m = 1), "groebner" (m = 2), "parameter" (the generic solutions of (E1) at size m are shipped or
    cached) or "homotopy" (total degree).

    Examples
    --------
    >>> e1_method(1), e1_method(2), e1_method(3), e1_method(3, "groebner")
    ('closed form', 'groebner', 'parameter', 'groebner')
    """
    method = choice(method, "method", E1_METHODS)
    if method != "auto":
        return method
    if m <= 2:
        return "closed form" if m == 1 else "groebner"
    from .ssl_e1_homotopy import e1_start_count

    return "parameter" if e1_start_count(m) is not None else "homotopy"


def solve_e1(sigma_x: np.ndarray, sigma_yx: np.ndarray, lam: float, method: str, seed: int, max_paths: int) -> dict:
    """All real symmetric roots of (E1) for the data (Σx, Σyx, λ), certified (see :meth:`LinearSSL.e1_roots`, which
    validates the data and caches the result).  ``method``: one of :data:`E1_METHODS` ("auto": :func:`e1_method`).

    Examples
    --------
    >>> import numpy as np
    >>> Sx, Syx, lam = np.array([[1.0]]), np.array([[0.8]]), 0.12    # m = 1: (s + 0.12)² = 0.64 s, s ∈ {0.04, 0.36}
    >>> out = solve_e1(Sx, Syx, lam, "auto", seed=0, max_paths=4096)
    >>> [round(float(S[0, 0]), 12) for S in out["roots"]], out["positive_definite"], out["complete"]
    ([0.04, 0.36], [True, True], 'proven')
    """
    m = sigma_x.shape[0]
    method = e1_method(m, method)
    if not np.any(sigma_yx):
        S = -lam * np.linalg.inv(sigma_x)
        S = (S + S.T) / 2
        return {"roots": [S], "positive_definite": [False], "sqrtS": [None], "complex_count": None,
                "method": "closed form (Σyx = 0: (SΣx + λI)ᵀ(SΣx + λI) = 0 forces SΣx = −λI)",
                "residuals": [e1_residual(sigma_x, sigma_yx, lam, S)], "diverged": 0, "certified": True, "complete": "proven",
                "notes": ["over ℂ the solution set of (E1) is positive-dimensional; over ℝ it is one point"]}
    if method == "closed form":
        out = _m1_closed_form(float(sigma_x[0, 0]), float(sigma_yx[0, 0]), float(lam)) if m == 1 else None
        if out is not None:
            out["residuals"] = [e1_residual(sigma_x, sigma_yx, lam, S) for S in out["roots"]]
            return out
        method = "groebner"  # m > 1, or Δ too close to 0 to decide its sign in double precision: exact
    sc = e1_scaling(sigma_x, sigma_yx, lam)
    if sc["lam"] < LAM_MIN_RELATIVE:
        raise ValueError(f"lam: λ relative to the data (λ‖Σx‖/‖Σyx‖² ≈ {sc['lam']:.3g}) is below "
                         f"{LAM_MIN_RELATIVE:g}: inner branches have S of relative size ≈ 1e{2 * np.log10(sc['lam']):.0f}, "
                         "below double precision, and exact Gröbner work on such coefficients takes minutes. "
                         "Refused; analyse the λ → 0 limit instead")
    Sxn, Syxn = _exact(sigma_x / sc["a"]), _exact(sigma_yx / sc["b"])
    n_unknowns = m * (m + 1) // 2  # the entries s_ij, i ≤ j; the exact system is built only for the routes using it
    digits = max(30, int(np.ceil(-2 * np.log10(min(sc["lam"], 1.0)))) + 30)
    notes = []
    if method == "parameter":
        from .ssl_e1_homotopy import parameter_roots

        found = parameter_roots(sigma_x / sc["a"], sigma_yx / sc["b"], sc["lam"], seed, digits)
        notes += found["notes"]
        if found["defects"]:
            fallback = 2 ** n_unknowns <= max_paths
            notes.append(f"parameter homotopy: {found['defects']}; " + (
                "solved again by the total-degree homotopy" if fallback else
                f"the total-degree homotopy ({2 ** n_unknowns} paths) exceeds max_paths={max_paths}"))
            warnings.warn(f"(E1): {notes[-1]}", RuntimeWarning, stacklevel=3)
            if fallback:
                method = "homotopy"
        if method == "parameter":
            sol = PolySolution(None, found["complex_count"], found["method"] + ", real roots certified (Krawczyk "
                               "in double-precision balls, else the α-test at %d digits)" % digits,
                               [], found["diverged"], [], 0)
            hp = [[mpmath.re(v) for v in r.x] for r in found["real"]]
            errs = [mpmath.mpf(2 * r.beta) + mpmath.mpf(10) ** (5 - digits) for r in found["real"]]
            complete = "unchecked" if found["defects"] else "checked"
            certified = complete == "checked"
    if method == "groebner":
        eqs, unknowns, _ = e1_system(Sxn, Syxn, sp.Rational(sc["lam"]), m)
        sol = solve_groebner(eqs, unknowns, seed=seed, digits=digits)
        hp = sol.real_hp
        errs = [mpmath.mpf(10) ** (5 - digits) * max(max(abs(v) for v in r), mpmath.mpf(1e-300)) for r in hp]
        complete, certified = "proven", True
    elif method == "homotopy":
        paths = 2 ** n_unknowns
        if paths > max_paths:
            raise ValueError(f"m: (E1) at m = {m} is {n_unknowns} quadrics in the entries of S: 2^{n_unknowns} = "
                             f"{paths} total-degree homotopy paths (> max_paths={max_paths}; about "
                             f"{paths * n_unknowns * 16 * 60 / 2 ** 30:.2g} GiB and hours of tracking). Refused "
                             "before allocating; pass a larger max_paths to e1_roots to try, or compute the "
                             f"generic solutions of (E1) once with symdyn.models.ssl_e1_homotopy.e1_start({m}) "
                             "(monodromy; cached, then method='parameter' is the default)")
        eqs, unknowns, _ = e1_system(Sxn, Syxn, sp.Rational(sc["lam"]), m)
        roots, defects, sol = _homotopy_roots(eqs, unknowns, seed, max_paths, digits, notes)
        if defects:
            # a second homotopy with another random γ: the answer stands when it finds no new root
            more, _, _ = _homotopy_roots(eqs, unknowns, seed + 1, max_paths, digits, [])
            new = [r for r in more if all(np.linalg.norm(r.as_array() - k.as_array()) > 2 * (r.beta + k.beta)
                                          for k in roots)]
            roots += new
            if new:
                notes.append(f"{defects}; a second homotopy (another γ) found {len(new)} more root(s): "
                             "roots may still be missing")
                warnings.warn(f"(E1): {notes[-1]}", RuntimeWarning, stacklevel=3)
            else:
                notes.append(f"{defects}; a second homotopy with another random γ found no further root")
        complete = "checked" if not (defects and new) else "unchecked"
        real = [r for r in roots if r.real]
        hp = [[mpmath.re(v) for v in r.x] for r in real]
        errs = [mpmath.mpf(2 * r.beta) + mpmath.mpf(10) ** (5 - digits) for r in real]
        certified = complete == "checked"
    out = {"roots": [], "positive_definite": [], "sqrtS": [], "complex_count": sol.complex_count,
           "method": sol.method + (", α-certified at %d digits" % digits if method == "homotopy" else ""),
           "residuals": [], "diverged": sol.diverged, "certified": certified, "complete": complete, "notes": notes}
    with mpmath.workdps(digits + 10):
        for r, err in zip(hp, errs):
            Sm = unvech(r, m)
            ev, Q = mpmath.eigsy(Sm)
            ev = [ev[i] for i in range(m)]
            bound = 2 * err  # Weyl: |Δλ| ≤ ‖ΔS‖_F ≤ √2 ‖Δ vech S‖
            if min(ev) > bound:
                pd = True
            elif min(ev) < -bound:
                pd = False
            else:
                pd = False
                notes.append(f"a real root has λ_min(S) = {float(min(ev)):.3g} within its error {float(bound):.1g}: "
                             "treated as singular (not positive definite)")
            S = np.array(Sm.tolist(), dtype=float) * sc["S"]
            root = None
            if pd:
                root = np.array((Q * mpmath.diag([mpmath.sqrt(e) for e in ev]) * Q.T).tolist(), dtype=float)
                root *= np.sqrt(sc["S"])
            out["roots"].append(S)
            out["positive_definite"].append(pd)
            out["sqrtS"].append(root)
            out["residuals"].append(e1_residual(sigma_x, sigma_yx, lam, S))
    return out


def _homotopy_roots(eqs, unknowns, seed: int, max_paths: int, digits: int, notes: list):
    """Certified distinct roots of (E1) from one total-degree homotopy (γ from ``seed``), duplicates of simple
    roots searched again by deflation, a description of what could not be accounted for ('' if nothing), and
    the homotopy's PolySolution."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # failed paths are accounted for below
        sol = solve_homotopy(eqs, unknowns, seed=seed, max_paths=max_paths)
    found = certify_roots(eqs, unknowns, sol.endpoints, dps=digits)
    roots = distinct_roots(found)
    uncertified = sum(not r.certified for r in found)
    surplus = sum(r.certified for r in found) - len(roots)  # paths that ended on an already-found root
    if surplus:
        starts = [r.as_array().real * (1 + 1e-6 * g) for r in found if r.certified
                  for g in np.random.default_rng(seed).standard_normal((3, len(unknowns)))]
        extra = deflated_newton(eqs, unknowns, roots, starts, dps=digits)
        roots += extra
        surplus -= len(extra)
        notes.append(f"{len(extra)} root(s) recovered by deflation after paths ended on the same root")
    defects = ""
    if surplus > 0 or uncertified or sol.failed:
        defects = (f"{max(surplus, 0)} path(s) ended on an already-found simple root, {uncertified} end point(s) "
                   f"failed the α-test, {sol.failed} path(s) failed")
    return roots, defects, sol
