"""Isolated solutions of square polynomial systems p_1(s) = ... = p_N(s) = 0, s in C^N.

Two independent methods, so that each can check the other:

* :func:`solve_groebner` — **exact and complete** for zero-dimensional ideals with rational
  coefficients.  A random integer linear form ``t = c·s`` is adjoined so the lexicographic
  Gröbner basis is in *shape position* ``{s_i - g_i(t), p(t)}`` (shape lemma).  Real roots of the
  eliminant ``p`` are isolated exactly by SymPy (``Poly.intervals``: certified isolating
  intervals) and refined to ``digits`` significant digits; ``s_i = g_i(t)`` follows.  The number
  of distinct complex solutions is ``deg(sqf(p))``.  Cost grows quickly with N: meant for N <= 3.

* :func:`solve_homotopy` — **numeric, probability-one complete** total-degree homotopy
  continuation ``H(s, t) = (1 - t)·γ·G(s) + t·P(s)`` with start system ``G_i = s_i^{d_i} - 1`` and a
  random complex ``γ`` (the "gamma trick": for all but finitely many γ no path meets a
  singularity for t in [0, 1), so every isolated solution of P is the end point of some path).
  Paths are tracked all at once (vectorised predictor–corrector with per-path step control);
  paths whose norm exceeds ``diverge_norm`` are reported as going to infinity.  End points are
  polished with Newton's method and de-duplicated.  Used for N > 3.

Both return a :class:`PolySolution` with the real solutions, the count of finite complex
solutions found, the method and its residuals.
"""
from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from ._validate import choice, finite_real, positive_int, seed_value, tolerance

__all__ = ["PolySolution", "PositiveDimensionalError", "solve_groebner", "solve_homotopy", "CertifiedRoot",
           "certify_roots", "distinct_roots", "deflated_newton", "ALPHA0", "track_parameters",
           "track_segment", "monodromy_solve", "krawczyk", "solution_count_mod_p", "distinct_rows", "PREDICTOR_TOL",
           "safe_solve", "safe_inverse", "same_point"]


class PositiveDimensionalError(ValueError):
    """The polynomial system has a positive-dimensional solution set (not finitely many roots).

    Examples
    --------
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> try:
    ...     solve_groebner([x - y, 2 * x - 2 * y], [x, y])
    ... except PositiveDimensionalError as exc:
    ...     print(exc)
    eqs: the solution set is positive-dimensional (infinitely many roots)
    """


@dataclass
class PolySolution:
    """Solutions of a square polynomial system.

    Attributes
    ----------
    real : list of np.ndarray
        Real solutions, shape (N,) each, float64 (polished).
    complex_count : int
        Number of distinct finite complex solutions (exact for Gröbner; found paths for homotopy).
    method : str
        ``"groebner (exact, certified real-root isolation)"`` or ``"homotopy (numeric)"``.
    residuals : list of float
        max_i |p_i(s)| at each real solution (float64 evaluation).
    diverged : int
        Homotopy paths that went to infinity (0 for Gröbner).
    real_hp : list of list of mpmath.mpf
        High-precision real solutions (Gröbner only; empty otherwise).
    failed : int
        Homotopy paths that neither reached t = 1 nor diverged (step size collapsed or max_steps hit):
        solutions may be missing; a warning is emitted.
    endpoints : np.ndarray (E, N) complex
        Homotopy: every finite path end point (with repetitions: a root of multiplicity μ ends μ paths).

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> eqs = [x**2 + y**2 - 5, x * y - 2]                 # four real roots (±1, ±2), (±2, ±1)
    >>> sol = solve_groebner(eqs, [x, y])
    >>> sol.method, len(sol.real), max(sol.residuals) < 1e-20
    ('groebner (exact, certified real-root isolation)', 4, True)
    """

    real: list
    complex_count: int
    method: str
    residuals: list = field(default_factory=list)
    diverged: int = 0
    real_hp: list = field(default_factory=list)
    failed: int = 0
    endpoints: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=complex))


def _as_polys(eqs, unknowns, method: str):
    polys = []
    for i, e in enumerate(eqs):
        try:
            polys.append(sp.Poly(sp.expand(e), *unknowns))
        except sp.PolynomialError as exc:
            raise ValueError(f"eqs: {method} needs polynomial equations in the unknowns; equation {i} ({e}) is not "
                             f"({exc}). Use a numeric root finder (scipy.optimize.root) for such systems") from None
    if len(polys) != len(unknowns):
        raise ValueError(f"eqs: need a square system, got {len(polys)} equations in {len(unknowns)} unknowns")
    return polys


def _residual_fn(polys):
    """max_i |p_i(s)| at a numeric point s for the Polys of :func:`_as_polys`, from their terms (exponent and
    coefficient arrays: no code generation, which cost 0.1 s per system)."""
    terms = []
    for p in polys:
        monoms, coeffs = zip(*p.terms()) if not p.is_zero else (((0,) * len(p.gens),), (0,))
        terms.append((np.array(monoms, dtype=int), np.array([complex(c) for c in coeffs])))

    def resid(s):
        s = np.asarray(s, dtype=complex)
        return max((float(abs(c @ np.prod(s ** e, axis=1))) for e, c in terms), default=0.0)
    return resid


def solve_groebner(eqs: Sequence[sp.Expr], unknowns: Sequence[sp.Symbol], *, seed: int = 0, digits: int = 30,
                   tries: int = 4) -> PolySolution:
    """Exact solution of a zero-dimensional system with rational coefficients.

    Parameters
    ----------
    eqs : sequence of sympy expressions, polynomial in ``unknowns`` with rational coefficients.
    unknowns : sequence of sympy Symbols (N of them).
    seed : int
        Seed of the random linear form used to reach shape position.
    digits : int
        Precision of the refined real roots.

    Raises
    ------
    PositiveDimensionalError
        If the ideal is not zero-dimensional.
    ValueError
        If a coefficient is not rational (convert floats with ``sympy.Rational`` first).

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> eqs = [x**2 + y**2 - 5, x * y - 2]                 # four real roots (±1, ±2), (±2, ±1)
    >>> sol = solve_groebner(eqs, [x, y])
    >>> sol.complex_count, sorted(tuple(float(v) for v in r) for r in sol.real)
    (4, [(-2.0, -1.0), (-1.0, -2.0), (1.0, 2.0), (2.0, 1.0)])
    >>> solve_groebner([x - y, 2 * x - 2 * y], [x, y])      # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    PositiveDimensionalError: eqs: the solution set is positive-dimensional (infinitely many roots)
    """
    seed = seed_value(seed)
    digits, tries = positive_int(digits, "digits"), positive_int(tries, "tries")
    unknowns = list(unknowns)
    polys = _as_polys(eqs, unknowns, "solve_groebner (Gröbner basis)")
    for p in polys:
        if not p.domain.is_QQ and not p.domain.is_ZZ:
            raise ValueError(f"eqs: Gröbner solving needs rational coefficients, got domain {p.domain}")
    rng = np.random.default_rng(seed)
    t = sp.Dummy("t")
    resid = _residual_fn(polys)
    for _ in range(tries):
        c = [int(v) for v in rng.integers(1, 7, size=len(unknowns))]
        link = t - sum(ci * si for ci, si in zip(c, unknowns))
        # grevlex first (fast), then FGLM to lex: far cheaper than a direct lex basis
        G = sp.groebner([p.as_expr() for p in polys] + [link], *unknowns, t, order="grevlex")
        if G.exprs == [1]:
            return PolySolution([], 0, "groebner (exact, certified real-root isolation)")
        if not G.is_zero_dimensional:
            raise PositiveDimensionalError("eqs: the solution set is positive-dimensional (infinitely many roots)")
        G = G.fglm("lex")
        shape = shape_position(G.exprs, unknowns, t)
        if shape is None:
            continue
        g, p_t = shape
        p_sqf = sp.Poly(p_t, t).sqf_part()
        real, real_hp, res = [], [], []
        with mpmath.workdps(digits + 10):
            g_coeffs = [[_mp_rational(c) for c in sp.Poly(gi, t).all_coeffs()] for gi in g]
            for root in _real_roots_certified(p_sqf, digits):  # every real root, exact isolation
                real_hp.append([mpmath.polyval(c, root) for c in g_coeffs])
                x = np.array([float(v) for v in real_hp[-1]])
                real.append(x)
                res.append(resid(x))
        return PolySolution(real, p_sqf.degree(), "groebner (exact, certified real-root isolation)", res, 0, real_hp)
    raise ValueError("eqs: could not bring the Gröbner basis into shape position (non-radical ideal?); "
                     "use solve_homotopy")


def _mp_rational(q) -> mpmath.mpf:
    """An exact rational (SymPy) as an mpmath number at the working precision."""
    q = sp.Rational(q)
    return mpmath.mpf(int(q.p)) / int(q.q)


def _real_roots_certified(p: sp.Poly, digits: int) -> list:
    """The real roots of the square-free rational polynomial p, ascending, each to ``digits`` significant digits and
    certified: exact isolating intervals (a, b) (``Poly.intervals``), then a bracketing solver in mpmath inside
    (a, b), and an exact sign change of p between r ∓ δ (δ = 10^−(digits+2)·max(1, |r|), rationals strictly inside
    (a, b)) proves the interval's root is within δ of r.  A root that fails the check (e.g. closer to a or b than δ)
    is refined by SymPy's exact bisection instead (``CRootOf.evalf``), as all were before: same answer, 5–10×
    slower.  Returns mpmath numbers (at the caller's working precision).

    Examples
    --------
    >>> import sympy as sp, mpmath
    >>> t = sp.Symbol("t")
    >>> with mpmath.workdps(30):
    ...     roots = _real_roots_certified(sp.Poly(t**4 - 2, t), 25)
    >>> [mpmath.nstr(r, 20) for r in roots]                 # ±2^(1/4)
    ['-1.1892071150027210667', '1.1892071150027210667']
    """
    coeffs = [_mp_rational(c) for c in p.all_coeffs()]
    out = []
    for i, ((a, b), _) in enumerate(p.intervals()):
        a, b = sp.Rational(a), sp.Rational(b)
        if a == b:  # an exact rational root
            out.append(_mp_rational(a))
            continue
        root = None
        try:
            r = mpmath.findroot(lambda x: mpmath.polyval(coeffs, x), (_mp_rational(a), _mp_rational(b)),
                                solver="anderson")
            man, exp = mpmath.mpf(r).man_exp
            rq = sp.Rational(int(man)) * sp.Integer(2) ** int(exp) if man else sp.Integer(0)
            delta = sp.Rational(1, 10 ** (digits + 2)) * max(1, abs(rq))
            lo, hi = rq - delta, rq + delta
            if a < lo and hi < b and p.eval(lo) * p.eval(hi) < 0:
                root = mpmath.mpf(r)
        except (ValueError, ZeroDivisionError):  # the solver did not converge: exact bisection below
            pass
        if root is None:
            root = mpmath.mpf(str(sp.CRootOf(p, i).evalf(digits + 5)))
        out.append(root)
    return out


def solution_count_mod_p(eqs: Sequence[sp.Expr], unknowns: Sequence[sp.Symbol], prime: int = 32003,
                         max_count: int = 100_000) -> int:
    """The number of solutions, with multiplicity, of a zero-dimensional polynomial system over the algebraic
    closure of GF(p): the number of standard monomials of a grevlex Gröbner basis (the dimension of the quotient
    ring, its Hilbert count).  Integer (or dyadic rational) coefficients; for a prime not dividing the
    denominators or any of finitely many resultants this is the count over ℂ, so a random large prime gives the
    characteristic-0 count with high probability.  Raises PositiveDimensionalError if the ideal is not
    zero-dimensional; ValueError beyond ``max_count`` standard monomials.

    Examples
    --------
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> solution_count_mod_p([x**2 - 2, x*y - 1], [x, y])
    2
    >>> solution_count_mod_p([x**2 - 0.5, y - x], [x, y])  # floats are exact dyadic rationals
    2
    """
    unknowns = list(unknowns)
    integral = []
    for e in eqs:  # exact rational coefficients (a float is a dyadic rational), denominators cleared over ℚ
        try:
            poly = sp.Poly(sp.nsimplify(sp.expand(e), rational=True), *unknowns, domain="QQ")
        except (sp.PolificationFailed, sp.CoercionFailed, sp.GeneratorsNeeded) as err:
            raise ValueError(f"eqs: expected polynomials in the unknowns with rational coefficients ({err})") from None
        integral.append(poly.clear_denoms()[1].as_expr())
    G = sp.groebner(integral, *unknowns, order="grevlex", modulus=prime)
    if not G.is_zero_dimensional:
        raise PositiveDimensionalError("eqs: the ideal is not zero-dimensional over GF(%d)" % prime)
    lead = [sp.Poly(g, *unknowns, modulus=prime).monoms(order="grevlex")[0] for g in G.exprs]
    N = len(unknowns)
    count, frontier, seen = 0, [(0,) * N], {(0,) * N}
    while frontier:  # breadth-first over the monomials outside the leading-term ideal (a finite order ideal)
        nxt = []
        for mon in frontier:
            if any(all(mon[i] >= lm[i] for i in range(N)) for lm in lead):
                continue
            count += 1
            if count > max_count:
                raise ValueError(f"max_count: more than {max_count} standard monomials")
            for i in range(N):
                up = mon[:i] + (mon[i] + 1,) + mon[i + 1:]
                if up not in seen:
                    seen.add(up)
                    nxt.append(up)
        frontier = nxt
    return count


def shape_position(exprs, unknowns, t):
    """Return ([g_1(t), ..., g_N(t)], p(t)) if the lex basis is {s_i - g_i(t)} ∪ {p(t)}, else None."""
    univariate = [e for e in exprs if e.free_symbols <= {t}]
    if len(univariate) != 1 or len(exprs) != len(unknowns) + 1:
        return None
    g = []
    for s in unknowns:
        rows = [e for e in exprs if s in e.free_symbols]
        lin = [e for e in rows if e.free_symbols <= {s, t} and sp.Poly(e, s).degree() == 1]
        if not lin:
            return None
        a, b = sp.Poly(lin[0], s).all_coeffs()  # a·s + b with a, b in ℚ[t]: s = −b/a (no general solver)
        if a == 0:
            return None
        g.append(sp.expand(-b / a) if a.is_number else sp.cancel(-b / a))
    return g, univariate[0]


def safe_inverse(M: np.ndarray) -> np.ndarray:
    """Batched inverse of M (P, N, N); rows with a singular or non-finite M give NaN.

    Examples
    --------
    >>> import numpy as np
    >>> safe_inverse(np.array([[[2.0, 0.0], [0.0, 4.0]], [[1.0, 1.0], [1.0, 1.0]]])).tolist()
    [[[0.5, 0.0], [0.0, 0.25]], [[nan, nan], [nan, nan]]]
    """
    with np.errstate(all="ignore"):
        bad = ~np.isfinite(M).all(axis=(1, 2))
        try:
            out = np.linalg.inv(np.where(bad[:, None, None], np.eye(M.shape[-1]), M))
        except np.linalg.LinAlgError:
            out = np.empty(M.shape, dtype=np.result_type(M, float))
            for i in range(M.shape[0]):
                try:
                    out[i] = np.linalg.inv(M[i]) if not bad[i] else np.nan
                except np.linalg.LinAlgError:
                    bad[i] = True
    out[bad] = np.nan
    return out


def safe_solve(M: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Batched solve of M x = v, (P, N, N) and (P, N); rows with a singular M give NaN.  A tall M (P, E, N),
    E > N (a consistent overdetermined system), is solved in the least-squares sense.

    Examples
    --------
    >>> import numpy as np
    >>> M = np.array([[[2.0, 0.0], [0.0, 4.0]], [[1.0, 1.0], [1.0, 1.0]]])  # the second is singular
    >>> safe_solve(M, np.array([[2.0, 4.0], [1.0, 1.0]])).tolist()
    [[1.0, 1.0], [nan, nan]]
    """
    if M.shape[-2] != M.shape[-1]:
        with np.errstate(all="ignore"):
            bad = ~np.isfinite(M).all(axis=(1, 2)) | ~np.isfinite(v).all(axis=1)
            M = np.where(bad[:, None, None], 0.0, M)
            out = np.einsum("pij,pj->pi", np.linalg.pinv(M), np.where(bad[:, None], 0.0, v))
        out[bad] = np.nan
        return out
    try:
        return np.linalg.solve(M, v[..., None])[..., 0]
    except np.linalg.LinAlgError:
        out = np.full(v.shape, np.nan, dtype=np.result_type(M, v, float))
        for i in range(M.shape[0]):
            try:
                out[i] = np.linalg.solve(M[i], v[i])
            except np.linalg.LinAlgError:
                pass
        return out


def _compile_system(polys, unknowns, homogenize: bool = False):
    """F(X) (P, N') and JF(X) (P, N', N') of the system (SymPy Polys from :func:`_as_polys`), vectorised over P
    points; with ``homogenize`` the equations are homogenised with a leading variable x₀ (X = (x₀, x), N' = N + 1
    unknowns, N equations)."""
    degrees = [p.total_degree() for p in polys]
    vars_ = list(unknowns)
    if homogenize:
        x0 = sp.Dummy("x0")
        exprs = [p.homogenize(x0).as_expr() for p in polys]
        vars_ = [x0] + vars_
    else:
        exprs = [p.as_expr() for p in polys]
    jac = sp.Matrix(exprs).jacobian(vars_)
    f = sp.lambdify([vars_], exprs, modules="numpy", cse=True)
    jf = sp.lambdify([vars_], jac.tolist(), modules="numpy", cse=True)
    rows, cols = len(exprs), len(vars_)

    def F(X):  # X: (P, N') complex -> (P, rows)
        out = np.empty((X.shape[0], rows), dtype=complex)
        for i, c in enumerate(f(X.T)):
            out[:, i] = c
        return out

    def JF(X):  # (P, rows, N')
        out = np.empty((X.shape[0], rows, cols), dtype=complex)
        for i, row in enumerate(jf(X.T)):
            for j, v in enumerate(row):
                out[:, i, j] = v
        return out

    return F, JF, degrees


def homotopy_paths(eqs, unknowns) -> int:
    """The number of total-degree homotopy paths Π deg p_i (computed without solving)."""
    return int(np.prod([p.total_degree() for p in _as_polys(eqs, list(unknowns), "homotopy_paths")]))


PREDICTOR_TOL = 1e-3  # the parameter homotopies' bound on the predictor's relative error (path jumping)
LOOSE_CORRECTOR = 1e-5  # with a predictor bound: the corrector's accuracy accepted near ill-conditioned points
# a path whose step stays below CRAWL_STEP for CRAWL_ITERATIONS iterations stalls (it approaches a singular point:
# crawling on would cost max_steps iterations of the whole batch and end stalled anyway)
CRAWL_PROGRESS, CRAWL_ITERATIONS = 1e-4, 200
NEWTON_STEPS = 3  # corrector iterations at most (a row stops when its correction is below tol)
TAYLOR_ORDER = 3  # order of the Taylor predictor (:func:`_taylor_predictor`)


def _taylor_predictor(H, Ht, x0, t0, h, rows, J0, order: int = TAYLOR_ORDER):
    """x(t₀ + h) ≈ Σ_{k ≤ order} x_k h^k, the Taylor polynomial at t₀ of the path x(t) with H(x(t), t) = 0, from one
    Jacobian J = H_x(x₀, t₀) (P, N, N) and values of H only.

    x₁ = −J⁻¹H_t, and x_k = −J⁻¹c_k with c_k the s^k coefficient of g_k(s) = H(x₀ + Σ_{i<k} x_i s^i, t₀ + s)
    (its coefficients 1 … k − 1 vanish by the choice of x₁ … x_{k−1}).  g_k is a polynomial in s (H is polynomial in
    x and t), so c_k is read off from n = order + 1 values on the circle |s| = h, s_j = hω^j, ω = e^{2πi/n}:
    (1/n) Σ_j g_k(s_j) ω^{−kj} = Σ_{l ≡ k (mod n)} c_l h^l = c_k h^k + O(h^{k+n}) for k < n (the constant H(x₀)
    aliases only onto multiples of n).  Working with c_k h^k directly keeps the rounding error absolute, ε times the
    size of H's terms, whatever h is.  The t-values s_j are complex: H must accept complex t (it does for every
    polynomial homotopy).  Cost: one H_t, one inversion of J and ``order`` − 1 evaluations of H at n·P points,
    instead of RK4's three more Jacobians and four solves.  Rows are vectorised over the P paths; returns (P, N).
    """
    n = order + 1
    P = len(x0)
    omega = np.exp(2j * np.pi * np.arange(n) / n)
    Jinv = safe_inverse(J0)  # ``order`` solves with one J: one inversion and products (a solve costs ~½ an inverse)
    coeffs = [x0, -np.einsum("pij,pj->pi", Jinv, Ht(x0, t0, rows)) * h[:, None]]  # x_k h^k
    rows_n = np.tile(rows, n)
    t_n = (t0[None, :] + h[None, :] * omega[:, None]).ravel()
    for k in range(2, order + 1):
        xs = sum(omega[:, None, None] ** i * coeffs[i][None] for i in range(k))  # (n, P, N): x at s_j
        g = H(xs.reshape(n * P, -1), t_n, rows_n).reshape(n, P, -1)
        ck = np.einsum("j,jpe->pe", omega ** (-k) / n, g)  # c_k h^k
        coeffs.append(-np.einsum("pij,pj->pi", Jinv, ck))
    return sum(coeffs)


def _track(H, Hx, Ht, X, max_steps: int, h0: float = 0.01, hmax: float = 0.1, tol: float = 1e-8,
           predictor_tol: float | None = None, diverge_norm: float = np.inf, leave=None, rechart=None,
           indexed: bool = False, max_recharts: int = 50, stop=None, predictor: str = "taylor"):
    """Predictor – corrector (Newton, at most ``NEWTON_STEPS`` steps) tracking of all paths at once from t = 0 to
    t = 1, with per-path step control.  ``predictor="taylor"``: the path's Taylor polynomial of order
    ``TAYLOR_ORDER`` from the Jacobian at the current point and values of H (:func:`_taylor_predictor`);
    ``"rk4"``: RK4 on dx/dt = −H_x⁻¹H_t (three more Jacobians per step).  A step is accepted when the error left
    by the corrector is below ``tol`` (relative to 1 + |x|) and, with ``predictor_tol``, the first correction (the
    predictor's error) is below ``predictor_tol``·|x|: a predictor that lands far off its path may converge onto
    another path (path jumping), so its step is cut instead; a step that passes this bound is accepted with a last
    correction up to ``LOOSE_CORRECTOR``·(1 + |x|) (near an ill-conditioned point Newton's accuracy is cond·ε, and
    demanding ``tol`` there stalls the path although it is followed).  With ``predictor_tol`` the next step is
    chosen from the predictor's error e (e ∝ h^{q+1} for a predictor of order q: 4 for RK4),
    h ← h·clip(0.8(bound/e)^{1/(q+1)}, 0.2, 2) (at least 1 after an accepted
    step, at most 1/2 after a rejected one), and a path stalls when it advances less than ``CRAWL_PROGRESS`` in t
    over ``CRAWL_ITERATIONS`` iterations (a path crawling at steps of 1e-8 for thousands of iterations cost most of
    a run's time; one that gets through such a stretch at all does it faster than that); without it a step grows by
    1.5 after a success and halves after a failure.
    Newton stops per row once the error left after its correction is below ``tol``: |dx| for the first correction,
    θ|dx| for later ones when they contract (θ = |dx|/|dx_prev| < 1/2), which saves the Jacobian of a confirming
    step; the Jacobian of its last step (at most one loose
    correction away from the accepted point) is the next predictor's Jacobian.  A path with |x| > ``diverge_norm``,
    or for which ``leave(x, t)`` (a boolean per row, e.g. "the coordinates left their chart") is true, stops
    (stalled).  With ``rechart(rows, x, t)`` -> x a path for which ``leave`` is true continues instead, from the
    coordinates ``rechart`` gives its point (e.g. in a chart centred at it; at most ``max_recharts`` times per path,
    then it stalls); such coordinates belong to the row, so with ``indexed`` H, Hx and Ht are called as
    H(x, t, rows) with the rows' indices in X.  ``stop(rows, X)`` -> bool, called when more paths have reached
    t = 1 (``rows``: all of them so far; once a sixteenth of the paths not yet reported has ended), ends the run
    when true (e.g. every solution the caller needs is reached);
    the paths still active then count as stalled.  Returns (X, t, stalled): a path whose step fell below 1e-14
    stalls."""
    P = X.shape[0]
    if not indexed:
        H0, Hx0, Ht0 = H, Hx, Ht
        H, Hx, Ht = (lambda x, tt, rows: H0(x, tt)), (lambda x, tt, rows: Hx0(x, tt)), (lambda x, tt, rows: Ht0(x, tt))
    recharts = np.zeros(P, dtype=int)
    t = np.zeros(P)
    h = np.full(P, h0)
    active = np.ones(P, dtype=bool)
    stalled = np.zeros(P, dtype=bool)
    crawl = np.zeros(P, dtype=int)  # iterations since t_mark, where the path was CRAWL_ITERATIONS ago at most
    t_mark = np.zeros(P)
    n_done = 0
    J = None  # the Jacobian at X (rows with ``have``)
    have = np.zeros(P, dtype=bool)

    def velocity(x, tt, rows, Jx=None):
        return -safe_solve(Hx(x, tt, rows) if Jx is None else Jx, Ht(x, tt, rows))

    def rk4(x0, t0, hh, rows, J0):
        k1 = velocity(x0, t0, rows, J0)
        k2 = velocity(x0 + 0.5 * hh[:, None] * k1, t0 + 0.5 * hh, rows)
        k3 = velocity(x0 + 0.5 * hh[:, None] * k2, t0 + 0.5 * hh, rows)
        k4 = velocity(x0 + hh[:, None] * k3, t0 + hh, rows)
        return x0 + hh[:, None] / 6 * (k1 + 2 * k2 + 2 * k3 + k4)

    def taylor(x0, t0, hh, rows, J0):
        return _taylor_predictor(H, Ht, x0, t0, hh, rows, J0, TAYLOR_ORDER)

    predict, order = (taylor, TAYLOR_ORDER) if predictor == "taylor" else (rk4, 4)

    for _ in range(max_steps):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        x0, t0, hh = X[idx], t[idx], np.minimum(h[idx], 1.0 - t[idx])
        with np.errstate(all="ignore"):
            need = idx[~have[idx]]
            if need.size:
                Jn = Hx(X[need], t[need], need)
                if J is None:
                    J = np.full((P,) + Jn.shape[1:], np.nan, dtype=complex)
                J[need], have[need] = Jn, True
            x1 = predict(x0, t0, hh, idx, J[idx])
            t1 = t0 + hh
            finite = np.isfinite(x1).all(axis=1)
            close = finite.copy()
            err = np.full(idx.size, np.inf)
            last = np.full(idx.size, np.inf)
            Jlast = np.full((idx.size,) + J.shape[1:], np.nan, dtype=complex)
            going = finite.copy()
            for it in range(NEWTON_STEPS):  # Newton corrector at fixed t1, per row until converged
                sub = np.flatnonzero(going)
                if not sub.size:
                    break
                Jn = Hx(x1[sub], t1[sub], idx[sub])
                dx = safe_solve(Jn, H(x1[sub], t1[sub], idx[sub]))
                size = np.linalg.norm(dx, axis=1)
                if it == 0:
                    err[sub] = size
                    if predictor_tol is not None:
                        close[sub] = size <= predictor_tol * np.linalg.norm(x1[sub], axis=1) + tol
                x1[sub] -= dx
                Jlast[sub] = Jn
                if it:  # the error left after this correction: θ·|dx| with the contraction θ = |dx|/|dx_prev| < 1/2
                    with np.errstate(all="ignore"):
                        theta = size / last[sub]
                    size = np.where(theta < 0.5, theta * size, size)
                last[sub] = size
                fin = np.isfinite(x1[sub]).all(axis=1)
                finite[sub] &= fin
                going[sub] = fin & close[sub] & ~(size <= tol * (1.0 + np.linalg.norm(x1[sub], axis=1)))
            scale = 1.0 + np.linalg.norm(x1, axis=1)
            ok = finite & close
            # NaN compares False; with a predictor bound (on the path) a correction limited by the conditioning passes
            ok &= last <= (tol if predictor_tol is None else LOOSE_CORRECTOR) * scale
        acc = idx[ok]
        X[acc], t[acc], J[acc] = x1[ok], t1[ok], Jlast[ok]
        have[acc] = np.isfinite(Jlast[ok]).all(axis=(1, 2))
        if predictor_tol is None:
            h[acc] = np.minimum(h[acc] * 1.5, hmax)
            h[idx[~ok]] *= 0.5
        else:
            bound = predictor_tol * np.linalg.norm(x1, axis=1) + tol
            with np.errstate(all="ignore"):
                factor = np.clip(0.8 * (bound / np.maximum(err, 1e-300)) ** (1 / (order + 1)), 0.2, 2.0)
            factor = np.where(np.isfinite(factor), factor, 0.5)
            factor[~ok & close] = 0.5  # the predictor was fine, Newton was not: halve
            factor[ok] = np.maximum(factor[ok], 1.0)  # an accepted step never shrinks the next one...
            factor[~ok] = np.minimum(factor[~ok], 0.5)  # ... and a rejected one at least halves
            h[idx] = np.minimum(hh * factor, hmax)
        far = np.zeros(P, dtype=bool)
        far[acc] = np.linalg.norm(x1[ok], axis=1) > diverge_norm
        if leave is not None and ok.any():
            out = np.asarray(leave(x1[ok], t1[ok]), dtype=bool)
            if rechart is not None and out.any():
                rows = acc[out & (recharts[acc] < max_recharts)]
                if rows.size:
                    with np.errstate(all="ignore"):
                        X[rows] = rechart(rows, X[rows], t[rows])
                    recharts[rows] += 1
                    have[rows] = False  # the cached Jacobian is in the old coordinates
                    out[np.isin(acc, rows)] = ~np.isfinite(X[rows]).all(axis=1)
            far[acc] |= out
        if predictor_tol is not None:
            crawl[idx] += 1
            window = crawl >= CRAWL_ITERATIONS
            far |= window & (t - t_mark < CRAWL_PROGRESS)
            t_mark[window], crawl[window] = t[window], 0
        stalled |= ((h < 1e-14) | far) & active
        active &= (h >= 1e-14) & (t < 1.0) & ~far
        if stop is not None:
            done = np.flatnonzero((t >= 1.0) & ~stalled)
            # ask when a sixteenth of the paths not yet asked about has ended (every new end point in the last
            # sixteen), so a run of P paths asks O(16 log P) times instead of up to P times
            if done.size >= n_done + max(1, (P - n_done) // 16):
                n_done = done.size
                if active.any() and stop(done, X):
                    break
    return X, t, stalled | active  # max_steps exhausted counts as stalled


def solve_homotopy(eqs: Sequence[sp.Expr], unknowns: Sequence[sp.Symbol], *, seed: int = 0, max_steps: int = 20000,
                   diverge_norm: float = 1e8, dedupe_tol: float = 1e-6, real_tol: float = 1e-7, max_paths: int = 4096,
                   projective: bool = True) -> PolySolution:
    """Total-degree homotopy continuation (numeric). See the module docstring.

    Parameters
    ----------
    eqs, unknowns : the square polynomial system (numeric coefficients allowed).
    seed : int
        Seed of the random γ (and of the random projective chart) and of nothing else.
    max_steps : int
        Cap on predictor–corrector steps per path.
    diverge_norm : float
        A finite end point whose |s| exceeds this is counted as at infinity.
    dedupe_tol, real_tol : float
        Relative tolerances for merging end points and for calling a solution real (use
        :func:`certify_roots` for certified answers).
    max_paths : int
        Refuse (ValueError, before allocating) when the Bézout number of paths exceeds this.
    projective : bool
        Track in projective space: the equations are homogenised with x₀ and the paths live on a random affine
        chart c·(x₀, x) = 1, so a path whose end point lies at infinity stays bounded and ends with x₀ ≈ 0
        (counted in ``diverged``) instead of stalling.  Systems with positive-dimensional solution sets at
        infinity (most systems with structure) need it; ``False`` tracks in affine space (the old behaviour).

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> eqs = [x**2 + y**2 - 5, x * y - 2]                 # four real roots (±1, ±2), (±2, ±1)
    >>> sol = solve_homotopy(eqs, [x, y])
    >>> sol.complex_count, sorted(tuple(round(float(np.real(v)), 9) for v in r) for r in sol.real)
    (4, [(-2.0, -1.0), (-1.0, -2.0), (1.0, 2.0), (2.0, 1.0)])
    """
    seed = seed_value(seed)
    max_steps, max_paths = positive_int(max_steps, "max_steps"), positive_int(max_paths, "max_paths")
    diverge_norm = finite_real(diverge_norm, "diverge_norm", low=1.0, low_open=True)
    dedupe_tol, real_tol = tolerance(dedupe_tol, "dedupe_tol"), tolerance(real_tol, "real_tol")
    if not isinstance(projective, (bool, np.bool_)):
        raise TypeError(f"projective: expected a bool, got {type(projective).__name__}")
    unknowns = list(unknowns)
    polys = _as_polys(eqs, unknowns, "solve_homotopy (total-degree homotopy)")
    degrees = [p.total_degree() for p in polys]
    N = len(unknowns)
    paths = int(np.prod(degrees))
    if paths > max_paths:
        mem = paths * N * 16 * 60 / 2 ** 30
        raise ValueError(f"eqs: total-degree homotopy needs {' * '.join(map(str, degrees))} = {paths} paths (> max_paths="
                         f"{max_paths}); estimated working memory {mem:.2g} GiB and hours of tracking. Refused")
    F, JF, deg = _compile_system(polys, unknowns, homogenize=projective)
    rng = np.random.default_rng(seed)
    gamma = np.exp(2j * np.pi * rng.uniform())
    deg_arr = np.array(deg)
    roots = [np.exp(2j * np.pi * np.arange(d) / d) for d in deg]
    starts = np.array(list(itertools.product(*roots)), dtype=complex).reshape(-1, N)  # (P, N)
    P = starts.shape[0]
    if projective:
        chart = rng.standard_normal(N + 1) + 1j * rng.standard_normal(N + 1)
        X = np.concatenate([np.ones((P, 1)), starts], axis=1)
        X /= (X @ chart)[:, None]

        def G(X):
            return X[:, 1:] ** deg_arr - X[:, :1] ** deg_arr

        def JG(X):
            out = np.zeros((X.shape[0], N, N + 1), dtype=complex)
            out[:, :, 0] = -deg_arr * X[:, :1] ** (deg_arr - 1)
            out[:, np.arange(N), np.arange(N) + 1] = deg_arr * X[:, 1:] ** (deg_arr - 1)
            return out

        def H(X, t):
            core = (1 - t)[:, None] * gamma * G(X) + t[:, None] * F(X)
            return np.concatenate([core, (X @ chart - 1.0)[:, None]], axis=1)

        def Hx(X, t):
            core = (1 - t)[:, None, None] * gamma * JG(X) + t[:, None, None] * JF(X)
            return np.concatenate([core, np.broadcast_to(chart, (X.shape[0], 1, N + 1))], axis=1)

        def Ht(X, t):
            return np.concatenate([F(X) - gamma * G(X), np.zeros((X.shape[0], 1))], axis=1)
    else:
        X = starts.copy()

        def H(X, t):
            return (1 - t)[:, None] * gamma * (X ** deg_arr - 1.0) + t[:, None] * F(X)

        def Hx(X, t):
            JG = np.einsum("pi,ij->pij", deg_arr * X ** (deg_arr - 1), np.eye(N))
            return (1 - t)[:, None, None] * gamma * JG + t[:, None, None] * JF(X)

        def Ht(X, t):
            return F(X) - gamma * (X ** deg_arr - 1.0)

    X, t, stalled = _track(H, Hx, Ht, X, max_steps)
    if projective:
        # a path ending (or stalling within 1e-3 of t = 1) with x₀ ≈ 0 goes to a solution at infinity
        rel0 = np.abs(X[:, 0]) / np.maximum(np.linalg.norm(X, axis=1), 1e-300)
        with np.errstate(all="ignore"):
            aff = X[:, 1:] / X[:, :1]
        far = (rel0 < 1e-6) | ~np.isfinite(aff).all(axis=1) | (np.linalg.norm(np.nan_to_num(aff), axis=1) > diverge_norm)
        diverged = far & ((t >= 1.0) | (stalled & (t > 1.0 - 1e-3)))
        failed = stalled & ~diverged
        done = (t >= 1.0) & ~diverged & ~failed
        ends = aff[done]
        Fa, JFa, _ = _compile_system(polys, unknowns)  # the affine system, for the polish at t = 1
    else:
        big = np.linalg.norm(X, axis=1) > diverge_norm
        diverged = big.copy()
        failed = stalled & ~big
        done = (t >= 1.0) & ~diverged & ~failed
        reach = 1e2 * (1.0 + (np.median(np.linalg.norm(X[done], axis=1)) if done.any() else 1.0))
        far = failed & (t > 1.0 - 1e-3) & (np.linalg.norm(X, axis=1) > reach)
        diverged |= far
        failed &= ~far
        ends = X[(t >= 1.0) & ~diverged & ~failed]
        Fa, JFa = F, JF
    # Newton polish at t = 1
    with np.errstate(all="ignore"):
        for _ in range(5):
            if len(ends) == 0:
                break
            new = ends - safe_solve(JFa(ends), Fa(ends))
            keep = np.isfinite(new).all(axis=1)  # a singular end point keeps its tracked value
            ends = np.where(keep[:, None], new, ends)
    distinct: list[np.ndarray] = []
    for e in ends:
        if not any(np.linalg.norm(e - d) <= dedupe_tol * (1 + np.linalg.norm(d)) for d in distinct):
            distinct.append(e)
    resid = _residual_fn(polys)
    real, res = [], []
    for d in distinct:
        if np.max(np.abs(d.imag)) <= real_tol * (1 + np.max(np.abs(d.real))):
            x = d.real.copy()
            real.append(x)
            res.append(resid(x))
    if failed.any():
        warnings.warn(f"solve_homotopy: {int(failed.sum())} of {P} paths failed (step size collapsed or max_steps "
                      "reached); solutions may be missing", RuntimeWarning, stacklevel=2)
    return PolySolution(real, len(distinct), "homotopy (numeric" + (", projective)" if projective else ")"), res,
                        int(diverged.sum()), [], int(failed.sum()), np.array(ends, dtype=complex).reshape(-1, N))


# ---- parameter homotopies and monodromy ----------------------------------------------------------------
def track_parameters(F: Callable, Fx: Callable, Ft: Callable, X: np.ndarray, max_steps: int = 20000, hmax: float = 0.1,
                     tol: float = 1e-8, predictor_tol: float | None = None, return_t: bool = False,
                     diverge_norm: float = np.inf, leave: Callable | None = None, rechart: Callable | None = None,
                     indexed: bool = False, max_recharts: int = 50, stop: Callable | None = None,
                     predictor: str = "taylor") -> tuple:
    """Track solutions X (P, N) of F(x, t) = 0 from t = 0 to t = 1 (a parameter homotopy).

    F(X, t) (P, E), Fx(X, t) (P, E, N), Ft(X, t) (P, E): the system along the path, its x-Jacobian and its
    t-derivative, vectorised over the P paths (t has shape (P,)).  E ≥ N: a consistent overdetermined system is
    tracked in the least-squares sense.  ``predictor_tol`` bounds the predictor's relative error (guards against
    path jumping; None: no bound); a path with |x| > ``diverge_norm``, or with ``leave(x, t)`` true (a boolean per
    row: the point left the region where the coordinates are trusted), stops, unless ``rechart(rows, x, t)`` gives
    it new coordinates to continue in (then, with ``indexed``, F, Fx and Ft take the rows' indices as a third
    argument: :func:`_track`); ``stop(rows, X)`` ends the run early when true (:func:`_track`).  ``predictor``:
    "taylor" (default: one Jacobian per predictor step, :func:`_taylor_predictor`; H must accept complex t, as every
    polynomial homotopy does) or "rk4" (four).  Returns (X, ok): the
    end points and which paths reached t = 1; with ``return_t``
    (X, ok, t), t where each path stopped.

    Examples
    --------
    >>> import numpy as np
    >>> H = lambda X, t: X**2 - (1 + 3 * t)[:, None]       # x² = 1 + 3t: from x = 1 at t = 0 to x = 2 at t = 1
    >>> Hx = lambda X, t: (2 * X)[:, :, None]
    >>> Ht = lambda X, t: np.full(X.shape, -3.0)
    >>> X, ok = track_parameters(H, Hx, Ht, np.array([[1.0 + 0j]]))
    >>> X.real.round(12).tolist(), ok.tolist()
    ([[2.0]], [True])
    """
    X, t, stalled = _track(F, Fx, Ft, np.array(X, dtype=complex), max_steps, hmax=hmax, tol=tol,
                           predictor_tol=predictor_tol, diverge_norm=diverge_norm, leave=leave, rechart=rechart,
                           indexed=indexed, max_recharts=max_recharts, stop=stop,
                           predictor=choice(predictor, "predictor", ("rk4", "taylor")))
    ok = (t >= 1.0) & ~stalled & np.isfinite(X).all(axis=1)
    return (X, ok, t) if return_t else (X, ok)


def track_segment(F: Callable, Fx: Callable, Fp: Callable, X: np.ndarray, pa: np.ndarray, pb: np.ndarray, *,
                  linear: bool = True, **kwargs: Any) -> tuple:
    """Track solutions X of F(x, pa) = 0 along the straight parameter path p(t) = pa + t(pb − pa) to t = 1
    (:func:`track_parameters`).  F(X, P), Fx(X, P) as in :func:`monodromy_solve`; ∂F/∂t = Fp(X, pb − pa) for a
    system linear in p (``linear=True``), else Fp(X, P, dP), the derivative at P in the direction dP.  With
    ``indexed=True`` each of them takes the rows' indices as a last argument (per-path coordinates: ``rechart``),
    and ``pa`` may be one start parameter per path ((P, q): several homotopies, e.g. with independent γ, in one
    batched run).  Returns (X, ok).

    Examples
    --------
    >>> import numpy as np
    >>> F = lambda X, P: X**2 - P                           # x² = p, p from 1 to 4
    >>> Fx = lambda X, P: (2 * X)[:, :, None]
    >>> Fp = lambda X, dP: -dP
    >>> X, ok = track_segment(F, Fx, Fp, np.array([[1.0 + 0j], [-1.0 + 0j]]), np.array([1.0]), np.array([4.0]))
    >>> X.real.round(12).tolist(), ok.tolist()
    ([[2.0], [-2.0]], [True, True])
    """
    pa, pb = np.asarray(pa), np.asarray(pb)
    if pa.ndim == 2 and not kwargs.get("indexed"):
        raise ValueError("pa: one start parameter per path needs indexed=True (the rows' indices)")

    def start(rows):
        return pa[rows[0]] if pa.ndim == 2 else pa

    def p_at(t, rows):
        a = start(rows)
        return a + t[:, None] * (pb - a)

    def H(x, t, *rows):
        return F(x, p_at(t, rows), *rows)

    def Hx(x, t, *rows):
        return Fx(x, p_at(t, rows), *rows)

    def Ht(x, t, *rows):
        a = start(rows)
        dp = np.broadcast_to(pb - a, (x.shape[0], pb.size))
        return Fp(x, dp, *rows) if linear else Fp(x, p_at(t, rows), dp, *rows)
    return track_parameters(H, Hx, Ht, X, **kwargs)


class ProjectivePatch:
    """A system homogenised in some of its unknowns, on a random affine patch: unknowns y = (x₀, x).

    ``sysm`` evaluates the homogenised system G(x, p, x₀) (G(x, p, 1) = F(x, p)), homogeneous in (x₀, x[:n_hom]):
    ``sysm.F(X, p, x0)``, ``sysm.Fx(X, p, x0)``, ``sysm.Fx0(X, p, x0)`` (∂G/∂x₀), ``sysm.Fp(X, p, dp, x0)`` and
    ``sysm.N`` (optionally ``sysm.Fx_and_Fx0(X, p, x0)``, both Jacobians from one evaluation).  The patch
    c·y[:1 + n_hom] = 1 (c random complex) closes the system.  A root is y ∝ (1, x); a path that would go to
    infinity in x[:n_hom] stays bounded and ends with x₀ = 0, so tracking does not stall short of t = 1 there, and
    large finite roots are ordinary points (:meth:`affine` divides back).

    Examples
    --------
    >>> import numpy as np
    >>> class Line:  # G(x, x₀) = x − 2x₀: the root x = 2
    ...     N = 1
    ...     def F(self, X, p, x0): return X - 2 * x0[:, None]
    ...     def Fx(self, X, p, x0): return np.ones((len(X), 1, 1))
    ...     def Fx0(self, X, p, x0): return np.full((len(X), 1), -2.0)
    >>> patch = ProjectivePatch(Line(), c=np.array([1.0, 1.0]))
    >>> Y = patch.lift(np.array([[2.0]]))
    >>> Y.real.tolist(), patch.affine(Y).real.tolist(), float(np.abs(patch.F(Y, None)).max())
    ([[0.3333333333333333, 0.6666666666666666]], [[2.0]], 0.0)
    """

    def __init__(self, sysm, n_hom: int | None = None, seed: int = 0, c: np.ndarray | None = None):
        self.sysm = sysm
        self.n_hom = sysm.N if n_hom is None else n_hom
        h = 1 + self.n_hom
        if c is None:
            rng = np.random.default_rng(seed)
            c = (rng.standard_normal(h) + 1j * rng.standard_normal(h)) / np.sqrt(2 * h)
        self.c = np.asarray(c)

    def normalise(self, Y) -> np.ndarray:
        """Y with its homogeneous part (x₀, x[:n_hom]) rescaled onto the patch."""
        Y = np.array(Y, dtype=complex)
        h = 1 + self.n_hom
        Y[:, :h] /= (Y[:, :h] @ self.c)[:, None]
        return Y

    def lift(self, X) -> np.ndarray:
        """y on the patch of the affine points X (n, N)."""
        return self.normalise(np.concatenate([np.ones((len(X), 1)), X], axis=1))

    def affine(self, Y) -> np.ndarray:
        """x of the points y (x[:n_hom]/x₀; inf or nan at infinity)."""
        X = np.array(Y[:, 1:], dtype=complex)
        with np.errstate(all="ignore"):
            X[:, : self.n_hom] /= Y[:, :1]
        return X

    def at_infinity(self, Y) -> np.ndarray:
        """|x₀| / |y_hom| per point (0 at infinity; inf for non-finite points)."""
        h = 1 + self.n_hom
        with np.errstate(all="ignore"):
            return np.where(np.isfinite(Y).all(axis=1), np.abs(Y[:, 0]) / np.linalg.norm(Y[:, :h], axis=1), np.inf)

    def F(self, Y, p, *rows):
        h = 1 + self.n_hom
        return np.concatenate([self.sysm.F(Y[:, 1:], p, Y[:, 0], *rows), (Y[:, :h] @ self.c - 1.0)[:, None]], axis=1)

    def Fx(self, Y, p, *rows):
        X, x0 = Y[:, 1:], Y[:, 0]
        if hasattr(self.sysm, "Fx_and_Fx0"):  # one evaluation of the shared intermediate quantities
            Jx, J0 = self.sysm.Fx_and_Fx0(X, p, x0, *rows)
        else:
            Jx, J0 = self.sysm.Fx(X, p, x0, *rows), self.sysm.Fx0(X, p, x0, *rows)
        J = np.concatenate([J0[..., None], Jx], axis=2)
        row = np.concatenate([self.c, np.zeros(Y.shape[1] - len(self.c))])
        return np.concatenate([J, np.broadcast_to(row, (len(Y), 1, len(row)))], axis=1)

    def Fp(self, Y, p, dp, *rows):
        return np.concatenate([self.sysm.Fp(Y[:, 1:], p, dp, Y[:, 0], *rows), np.zeros((len(Y), 1))], axis=1)


def distinct_rows(X: np.ndarray, radii: ArrayLike | None = None, rtol: float = 1e-8) -> tuple:
    """(indices of distinct rows of X, indices of the others), first occurrence kept.  Rows i and j are one point
    when |x_i − x_j| ≤ max(2(r_i + r_j), rtol·max(1, |x_i|)), with r the optional per-row radii (e.g. the α-test's
    β: each root lies within 2β of its row).

    Examples
    --------
    >>> import numpy as np
    >>> distinct_rows(np.array([[1.0, 2.0], [1.0 + 1e-12, 2.0], [3.0, 0.0]]))
    ([0, 2], [1])
    """
    X = np.asarray(X).reshape(len(X), -1)
    radii = np.zeros(len(X)) if radii is None else np.asarray(radii, dtype=float)
    keep: list = []
    dup: list = []
    for i in range(len(X)):  # greedy, first occurrence kept: row i against the rows kept so far (one vector op)
        (dup if keep and same_point(X[keep], radii[keep], X[i], radii[i], rtol).any() else keep).append(i)
    return keep, dup


def same_point(X: np.ndarray, radii: ArrayLike | None, x: np.ndarray, radius: float = 0.0,
               rtol: float = 1e-8) -> np.ndarray:
    """Which rows of X (n, ...) are the point x (radius r) by the rule of :func:`distinct_rows`:
    |x_i − x| ≤ max(2(r_i + r), rtol·max(1, |x|)).  (n,) bool.

    Examples
    --------
    >>> import numpy as np
    >>> same_point(np.array([[1.0, 2.0], [1.0 + 1e-12, 2.0], [3.0, 0.0]]), np.zeros(3), np.array([1.0, 2.0])).tolist()
    [True, True, False]
    """
    X = np.asarray(X).reshape(len(X), -1)
    floor = rtol * max(1.0, float(np.linalg.norm(x)))
    return np.linalg.norm(X - np.ravel(x), axis=1) <= np.maximum(2 * (np.asarray(radii, dtype=float) + radius), floor)


def monodromy_solve(F: Callable, Fx: Callable, Fp: Callable, x0: np.ndarray, p0: np.ndarray, *, seed: int = 0,
                    stable_loops: int = 5, max_loops: int = 200, dedupe_tol: float = 1e-6, linear: bool = True,
                    track: Callable | None = None) -> tuple[np.ndarray, dict]:
    """All isolated solutions of F(x, p0) = 0 by monodromy from one solution x0 (on x0's irreducible component).

    Loops p0 → p1 → p2 → p0 through random complex parameter points permute the solutions over the parameter
    space; every solution found is carried round the next loops, and new end points are added.  Stops after
    ``stable_loops`` consecutive loops found nothing new (Duff, Hill, Jensen, Lee, Leykin & Sommars 2019).
    F(X, P) (M, E), Fx(X, P) (M, E, N), Fp(X, dP) (M, E): the system, its x-Jacobian and its derivative in the
    direction dP (the data part; parameter-free rows such as slices give 0), vectorised over M points; for a system
    not linear in p (``linear=False``) Fp(X, P, dP) is the derivative at P.  ``track(X, pa, pb)`` -> (X, ok)
    replaces the default tracker (:func:`track_segment`, hmax 0.02, tol 1e-10), e.g. one that changes charts.

    Returns (solutions (K, N) complex, {"loops", "paths", "failed"}).  The count is a lower bound: a loop whose
    paths fail finds less, so with many failures more ``stable_loops`` are needed before "nothing new" means much.

    Examples
    --------
    >>> import numpy as np
    >>> F = lambda X, P: X**3 - P                           # the three cube roots of p, from the one x = 1 at p = 1
    >>> Fx = lambda X, P: (3 * X**2)[:, :, None]
    >>> Fp = lambda X, dP: -dP
    >>> sols, info = monodromy_solve(F, Fx, Fp, np.array([1.0 + 0j]), np.array([1.0 + 0j]))
    >>> np.sort_complex(sols[:, 0].round(9)).tolist(), info["failed"]
    ([(-0.5-0.866025404j), (-0.5+0.866025404j), (1+0j)], 0)
    """
    rng = np.random.default_rng(seed)
    sols = np.array(x0, dtype=complex).reshape(1, -1)
    p0 = np.asarray(p0, dtype=complex)
    quiet, loops, paths, failed = 0, 0, 0, 0
    size = np.linalg.norm(p0) / np.sqrt(p0.size)
    while quiet < stable_loops and loops < max_loops:
        loops += 1
        p1, p2 = ((rng.standard_normal(p0.size) + 1j * rng.standard_normal(p0.size)) * size for _ in range(2))
        X, ok = sols.copy(), np.ones(len(sols), dtype=bool)
        for pa, pb in ((p0, p1), (p1, p2), (p2, p0)):
            if track is None:
                Y, okk = track_segment(F, Fx, Fp, X[ok], pa, pb, hmax=0.02, tol=1e-10, linear=linear)
            else:
                Y, okk = track(X[ok], pa, pb)
            X[ok], ok[ok] = Y, okk
        paths += len(sols)
        failed += int((~ok).sum())
        new = 0
        for x in X[ok]:
            if not np.any(np.linalg.norm(sols - x, axis=1) <= dedupe_tol * (1 + np.linalg.norm(x))):
                sols = np.vstack([sols, x])
                new += 1
        quiet = 0 if new else quiet + 1
    return sols, {"loops": loops, "paths": paths, "failed": failed}


# ---- a-posteriori certificates (Smale's α-theory) ---------------------------------------------------------
ALPHA0 = (13 - 3 * np.sqrt(17)) / 4  # ≈ 0.1577: α(F, x) < ALPHA0 ⇒ Newton from x converges quadratically to a root


@dataclass
class CertifiedRoot:
    """A root of a square polynomial system certified by Smale's α-test (``method="alpha"``), or by the Krawczyk
    test in double-precision ball arithmetic (``method="krawczyk"``: the box x ± ρ holds exactly one root, which is
    real; β = √N·ρ/2, so that the root lies within 2β of x as for the α-test, and γ, α are NaN).

    Attributes
    ----------
    x : list of mpmath numbers
        the polished approximation (high precision)
    beta : float
        ‖DF(x)⁻¹F(x)‖; the root lies within 2β of x
    gamma : float
        an upper bound of γ(F, x) = sup_k ‖DF(x)⁻¹DᵏF(x)/k!‖^{1/(k−1)}
    alpha : float
        βγ
    certified : bool
        α < ALPHA0
    real : bool
        certified real (the α-test passed at Re x in real arithmetic, so Newton's iterates and their limit are
        real; or the Krawczyk test passed on a real box)
    method : str
        "alpha" or "krawczyk"

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> eqs = [x**2 + y**2 - 5, x * y - 2]                 # four real roots (±1, ±2), (±2, ±1)
    >>> root = certify_roots(eqs, [x, y], [np.array([2.01, 0.99])])[0]
    >>> root.certified, bool(root.alpha < ALPHA0), root.as_array().real.round(12).tolist()
    (True, True, [2.0, 1.0])
    """

    x: list
    beta: float
    gamma: float
    alpha: float
    certified: bool
    real: bool
    method: str = "alpha"

    def as_array(self) -> np.ndarray:
        return np.array([complex(v) for v in self.x])


class MPSystem:
    """F, DF and the derivative tensors DᵏF (k ≥ 2) of a square polynomial system, evaluated in mpmath.

    f(*x) -> [F_i], jac(*x) -> [[∂F_i/∂x_j]], tensors [(k, fn)] with fn(*x) -> the flat list of all k-th partials of
    every equation (a constant list for k = degree).  :meth:`from_equations` builds them from SymPy expressions
    once; a model with a closed form passes its own (no SymPy at certification time)."""

    def __init__(self, f, jac, tensors: list, N: int):
        self.f, self.jac, self.tensors, self.N = f, jac, list(tensors), N
        self.degree = max([k for k, _ in self.tensors], default=1)

    @classmethod
    def from_equations(cls, eqs, unknowns) -> "MPSystem":
        unknowns = list(unknowns)
        polys = _as_polys(eqs, unknowns, "the α-test")
        exprs = [p.as_expr() for p in polys]
        degree = max((p.total_degree() for p in polys), default=1)
        f = sp.lambdify(unknowns, exprs, modules="mpmath")
        jac = sp.lambdify(unknowns, sp.Matrix(exprs).jacobian(unknowns).tolist(), modules="mpmath")
        tensors = []
        for k in range(2, degree + 1):
            entries = [sp.diff(e, *combo) for e in exprs for combo in itertools.product(unknowns, repeat=k)]
            tensors.append((k, sp.lambdify(unknowns, entries, modules="mpmath")))
        return cls(f, jac, tensors, len(unknowns))

    def newton(self, x, steps: int):
        """At most ``steps`` Newton steps, stopping once a step, or the next one as the contraction
        θ = |dx|/|dx_prev| < 1/2 predicts it (θ|dx|), is below the working precision."""
        tiny = mpmath.mpf(10) ** (5 - mpmath.mp.dps)
        prev = None
        for _ in range(steps):
            J = mpmath.matrix(self.jac(*x))
            F = mpmath.matrix(self.f(*x))
            try:
                dx = mpmath.lu_solve(J, F)
            except ZeroDivisionError:
                break
            x = [xi - dxi for xi, dxi in zip(x, dx)]
            step = mpmath.norm(dx, 2)
            left = step * step / prev if prev is not None and 0 < prev and step < prev / 2 else step
            if left <= tiny * (1 + mpmath.norm(mpmath.matrix(x), 2)):
                break
            prev = step
        return x

    def alpha(self, x):
        """(β, γ bound, α) at x (mpmath numbers)."""
        J = mpmath.matrix(self.jac(*x))
        F = mpmath.matrix(self.f(*x))
        try:
            Jinv = mpmath.inverse(J)
        except ZeroDivisionError:
            return mpmath.inf, mpmath.inf, mpmath.inf
        beta = mpmath.norm(Jinv * F, 2)
        nJinv = mpmath.mnorm(Jinv, "f")  # ≥ the operator 2-norm
        gamma = mpmath.mpf(0)
        for k, fn in self.tensors:
            # ‖DᵏF‖ as a k-linear map ≤ the Frobenius norm of the tensor
            tk = mpmath.sqrt(mpmath.fsum(abs(v) ** 2 for v in fn(*x)))
            gamma = max(gamma, (nJinv * tk / mpmath.factorial(k)) ** (mpmath.mpf(1) / (k - 1)))
        return beta, gamma, beta * gamma


def certify_roots(eqs: Sequence[sp.Expr], unknowns: Sequence[sp.Symbol], approximations: Sequence[ArrayLike], *,
                  dps: int = 50, newton_steps: int = 12, system: MPSystem | None = None) -> list:
    """Polish each approximate root with Newton's method at ``dps`` digits and certify it (α-test).

    ``system`` (an :class:`MPSystem`) replaces the SymPy equations ``eqs, unknowns`` (then ignored) when the model
    has the system in closed form.  Returns a list of :class:`CertifiedRoot` (same order).  A root is certified
    real when the α-test also passes at Re x in real arithmetic (the Newton sequence from a real point stays real).

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> eqs = [x**2 + y**2 - 5, x * y - 2]                 # four real roots (±1, ±2), (±2, ±1)
    >>> root = certify_roots(eqs, [x, y], [np.array([1.01, 1.99])])[0]   # α-test after Newton at 50 digits
    >>> root.certified, root.real, root.as_array().real.round(12).tolist()
    (True, True, [1.0, 2.0])
    """
    system = system or MPSystem.from_equations(eqs, unknowns)
    out = []
    with mpmath.workdps(dps):
        for a in approximations:
            a = np.ravel(np.asarray(a, dtype=complex))
            if np.abs(a.imag).max(initial=0.0) <= 1e-8 * max(1.0, np.abs(a).max(initial=0.0)):
                # near-real: the α-test at a real point certifies a real root by itself (Newton from a real point
                # stays real), so try that first and skip the complex test when it passes
                xr = system.newton([mpmath.mpf(float(v.real)) for v in a], newton_steps)
                br, gr, ar = system.alpha(xr)
                if ar < ALPHA0:
                    out.append(CertifiedRoot(xr, float(br), float(gr), float(ar), True, True))
                    continue
            x = system.newton([mpmath.mpc(complex(v)) for v in a], newton_steps)
            beta, gamma, alpha = system.alpha(x)
            ok = bool(alpha < ALPHA0)
            real = False
            scale = max(abs(v) for v in x) if x else 0
            if ok and max(abs(mpmath.im(v)) for v in x) <= 4 * beta + 1e-6 * scale:  # near-real: try the real test
                xr = system.newton([mpmath.re(v) for v in x], 2)
                br, gr, ar = system.alpha(xr)
                if ar < ALPHA0 and max(abs(mpmath.im(v)) for v in x) <= 2 * beta + 2 * br:
                    x, beta, gamma, alpha, real = xr, br, gr, ar, True
            out.append(CertifiedRoot(x, float(beta), float(gamma), float(alpha), ok, real))
    return out


def distinct_roots(roots: list) -> list:
    """Certified roots with duplicates removed: two certified roots are one when their 2β-balls meet (both
    balls then hold the unique root of the smaller-α ball's neighbourhood).

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> eqs = [x**2 + y**2 - 5, x * y - 2]                 # four real roots (±1, ±2), (±2, ±1)
    >>> roots = certify_roots(eqs, [x, y], [np.array([1.0, 2.0]), np.array([1.1, 1.9]), np.array([2.1, 0.9])])
    >>> len(distinct_roots(roots))                         # two approximations of (1, 2) are one root
    2
    """
    kept: list = []
    for r in roots:
        if not r.certified:
            continue
        xr = r.as_array()
        if not any(np.linalg.norm(xr - k.as_array()) <= 2 * (r.beta + k.beta) + 1e-300 for k in kept):
            kept.append(r)
    return kept


def deflated_newton(eqs: Sequence[sp.Expr], unknowns: Sequence[sp.Symbol], known: list, starts: Sequence[ArrayLike], *,
                    dps: int = 50, max_iter: int = 60) -> list:
    """Real roots not in ``known`` (CertifiedRoot list), by Newton's method in real arithmetic on the deflated
    system M(x)F(x), M(x) = Π_r (‖r‖²/‖x − r‖² + 1) over the known roots (scaled to each root's size) (Farrell, Birkisson & Funke 2015),
    from each real start; each result is polished and certified on the original system.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> eqs = [x**2 + y**2 - 5, x * y - 2]                 # four real roots (±1, ±2), (±2, ±1)
    >>> known = certify_roots(eqs, [x, y], [np.array([1.0, 2.0])])
    >>> new = deflated_newton(eqs, [x, y], known, [np.array([2.2, 0.9]), np.array([-1.1, -2.1])])
    >>> [r.as_array().real.round(9).tolist() for r in new]
    [[2.0, 1.0], [-1.0, -2.0]]
    """
    system = MPSystem.from_equations(eqs, unknowns)
    found: list = []
    with mpmath.workdps(dps):
        for s in starts:
            x = [mpmath.mpf(float(np.real(v))) for v in np.ravel(s)]
            for _ in range(max_iter):
                F = mpmath.matrix(system.f(*x))
                J = mpmath.matrix(system.jac(*x))
                M, grad = mpmath.mpf(1), mpmath.matrix(len(x), 1)
                for r in known + found:
                    d = [xi - mpmath.re(ri) for xi, ri in zip(x, r.x)]
                    n2 = mpmath.fsum(v ** 2 for v in d)
                    if n2 == 0:
                        break
                    s2 = max(mpmath.fsum(abs(v) ** 2 for v in r.x), mpmath.mpf(10) ** (-2 * dps))  # root's own scale
                    m_r = s2 / n2 + 1
                    grad = grad * m_r + mpmath.matrix([-2 * s2 * v / n2 ** 2 for v in d]) * M
                    M = M * m_r
                try:
                    dx = mpmath.lu_solve(J * M + F * grad.T, F * M)
                except ZeroDivisionError:
                    break
                x = [xi - dxi for xi, dxi in zip(x, dx)]
                if mpmath.norm(dx, 2) <= mpmath.mpf(10) ** (10 - dps) * (1 + mpmath.norm(mpmath.matrix(x), 2)):
                    break
            cand = certify_roots(eqs, unknowns, [np.array([float(v) for v in x])], dps=dps)[0]
            if cand.certified and all(np.linalg.norm(cand.as_array() - k.as_array()) > 2 * (cand.beta + k.beta)
                                      for k in known + found):
                found.append(cand)
    return found


# ---- interval certificates (Krawczyk) -------------------------------------------------------------------------
def krawczyk(F: Callable, J: Callable, x: Sequence[float], radius: float | Sequence[float], *, dps: int = 40,
             Y: ArrayLike | None = None) -> dict:
    """Certify a unique root of a square system in the box X = x ± radius by the Krawczyk test.

    K(X) = x − Y F(x) + (I − Y J(X))(X − x) with Y ≈ J(x)⁻¹; if K(X) ⊂ interior(X), then X holds exactly one
    root of F (Krawczyk 1969; Moore 1977) — real, when F is real and X a real box.

    Parameters
    ----------
    F : callable(list of mpmath.iv.mpf) -> mpmath.iv.matrix (N × 1) — an interval extension of the system
    J : callable(list of mpmath.iv.mpf) -> mpmath.iv.matrix (N × N) — an interval extension of its Jacobian
        (evaluated on the box it encloses the Jacobian at every point of the box)
    x : sequence of N real numbers (mpmath or float) — the centre (an approximate root, already polished)
    radius : float or sequence — half-widths of the box
    dps : int — working precision of the interval arithmetic
    Y : (N, N) array, optional — the approximate inverse of the Jacobian at x to use (any non-singular Y gives a
        valid test; one already at hand saves an interval Jacobian); default: the inverse of J's midpoint at x

    Returns
    -------
    {"certified": bool, "box": [(lo, hi)] (mpmath.mpf), "width": max relative half-width (float)}

    Examples
    --------
    >>> import mpmath
    >>> F = lambda v: mpmath.iv.matrix([[v[0] ** 2 - 2]])
    >>> J = lambda v: mpmath.iv.matrix([[2 * v[0]]])
    >>> cert = krawczyk(F, J, [1.41421356], 1e-6)            # a box of half-width 1e-6 about √2's approximation
    >>> cert["certified"], cert["box"][0][0] < mpmath.sqrt(2) < cert["box"][0][1]
    (True, True)
    >>> krawczyk(F, J, [1.5], 1e-6)["certified"]              # no root in 1.5 ± 1e-6
    False
    """
    iv = mpmath.iv
    N = len(x)
    rad = list(radius) if np.ndim(radius) else [radius] * N
    saved = iv.dps
    iv.dps = dps
    try:
        return _krawczyk(F, J, x, rad, N, dps, iv, Y)
    finally:
        iv.dps = saved


def _krawczyk(F, J, x, rad, N, dps, iv, Yapprox=None):
    with mpmath.workdps(dps):
        xm = [mpmath.mpf(v) for v in x]
        X = [iv.mpf([xi - mpmath.mpf(ri), xi + mpmath.mpf(ri)]) for xi, ri in zip(xm, rad)]
        if Yapprox is not None:
            Ym = mpmath.matrix(np.asarray(Yapprox, dtype=float).tolist())
        else:
            Jmid = J([iv.mpf(v) for v in xm])
            Jm = mpmath.matrix(N, N)
            for i in range(N):
                for j in range(N):
                    Jm[i, j] = Jmid[i, j].mid
            try:
                Ym = mpmath.inverse(Jm)
            except ZeroDivisionError:
                return {"certified": False, "box": [(v.a, v.b) for v in X], "width": float("inf")}
        Y = iv.matrix(N, N)
        for i in range(N):
            for j in range(N):
                Y[i, j] = iv.mpf(Ym[i, j])
        Fx = F([iv.mpf(v) for v in xm])
        JX = J(X)
        M = iv.eye(N) - Y * JX
        D = iv.matrix([[X[i] - xm[i]] for i in range(N)])
        Kx = Y * Fx
        KD = M * D
        ok = True
        for i in range(N):
            k = iv.mpf(xm[i]) - Kx[i, 0] + KD[i, 0]
            ok &= bool(k.a > X[i].a and k.b < X[i].b)
        width = max(float(r) / max(float(abs(v)), 1e-300) for r, v in zip(rad, xm))
    return {"certified": ok, "box": [(v.a, v.b) for v in X], "width": width}
