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
from dataclasses import dataclass, field

import mpmath
import numpy as np
import sympy as sp

from ._validate import finite_real, positive_int, seed_value, tolerance

__all__ = ["PolySolution", "PositiveDimensionalError", "solve_groebner", "solve_homotopy", "CertifiedRoot",
           "certify_roots", "distinct_roots", "deflated_newton", "ALPHA0"]


class PositiveDimensionalError(ValueError):
    """The polynomial system has a positive-dimensional solution set (not finitely many roots)."""


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


def _residual_fn(eqs, unknowns):
    f = sp.lambdify(unknowns, list(eqs), modules="numpy", cse=True)
    return lambda s: float(np.max(np.abs(np.asarray(f(*s), dtype=complex)))) if len(eqs) else 0.0


def solve_groebner(eqs, unknowns, *, seed: int = 0, digits: int = 30, tries: int = 4) -> PolySolution:
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
    resid = _residual_fn(eqs, unknowns)
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
            for i in range(p_sqf.count_roots()):  # real roots, exact count
                root = sp.CRootOf(p_sqf, i).evalf(digits + 5)
                vals = [sp.N(gi.subs(t, root), digits) for gi in g]
                real_hp.append([mpmath.mpf(str(v)) for v in vals])
                x = np.array([float(v) for v in vals])
                real.append(x)
                res.append(resid(x))
        return PolySolution(real, p_sqf.degree(), "groebner (exact, certified real-root isolation)", res, 0, real_hp)
    raise ValueError("eqs: could not bring the Gröbner basis into shape position (non-radical ideal?); "
                     "use solve_homotopy")


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
        sol = sp.solve(lin[0], s)
        if len(sol) != 1:
            return None
        g.append(sp.expand(sol[0]))
    return g, univariate[0]


def _safe_solve(M: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Batched solve of M x = v, (P, N, N) and (P, N); rows with a singular M give NaN."""
    try:
        return np.linalg.solve(M, v[..., None])[..., 0]
    except np.linalg.LinAlgError:
        out = np.full(v.shape, np.nan, dtype=complex)
        for i in range(M.shape[0]):
            try:
                out[i] = np.linalg.solve(M[i], v[i])
            except np.linalg.LinAlgError:
                pass
        return out


def _compile_system(eqs, unknowns):
    polys = _as_polys(eqs, unknowns, "solve_homotopy (total-degree homotopy)")
    exprs = [p.as_expr() for p in polys]
    jac = sp.Matrix(exprs).jacobian(unknowns)
    f = sp.lambdify([unknowns], exprs, modules="numpy", cse=True)
    jf = sp.lambdify([unknowns], jac.tolist(), modules="numpy", cse=True)
    degrees = [p.total_degree() for p in polys]
    N = len(unknowns)

    def F(X):  # X: (P, N) complex -> (P, N)
        cols = f(X.T)
        return np.stack([np.broadcast_to(np.asarray(c, dtype=complex), X.shape[:1]) for c in cols], axis=-1)

    def JF(X):  # (P, N, N)
        rows = jf(X.T)
        out = np.empty((X.shape[0], N, N), dtype=complex)
        for i in range(N):
            for j in range(N):
                out[:, i, j] = rows[i][j]
        return out

    return F, JF, degrees


def homotopy_paths(eqs, unknowns) -> int:
    """The number of total-degree homotopy paths Π deg p_i (computed without solving)."""
    return int(np.prod([p.total_degree() for p in _as_polys(eqs, list(unknowns), "homotopy_paths")]))


def solve_homotopy(eqs, unknowns, *, seed: int = 0, max_steps: int = 20000, diverge_norm: float = 1e8,
                   dedupe_tol: float = 1e-6, real_tol: float = 1e-7, max_paths: int = 4096) -> PolySolution:
    """Total-degree homotopy continuation (numeric). See the module docstring.

    Parameters
    ----------
    eqs, unknowns : the square polynomial system (numeric coefficients allowed).
    seed : int
        Seed of the random γ and of nothing else.
    max_steps : int
        Cap on predictor–corrector steps per path.
    diverge_norm : float
        A path whose |s| exceeds this is counted as going to infinity.
    dedupe_tol, real_tol : float
        Relative tolerances for merging end points and for calling a solution real (use
        :func:`certify_roots` for certified answers).
    max_paths : int
        Refuse (ValueError, before allocating) when the Bézout number of paths exceeds this.
    """
    seed = seed_value(seed)
    max_steps, max_paths = positive_int(max_steps, "max_steps"), positive_int(max_paths, "max_paths")
    diverge_norm = finite_real(diverge_norm, "diverge_norm", low=1.0, low_open=True)
    dedupe_tol, real_tol = tolerance(dedupe_tol, "dedupe_tol"), tolerance(real_tol, "real_tol")
    unknowns = list(unknowns)
    F, JF, deg = _compile_system(eqs, unknowns)
    N = len(unknowns)
    paths = int(np.prod(deg))
    if paths > max_paths:
        mem = paths * N * 16 * 60 / 2 ** 30
        raise ValueError(f"eqs: total-degree homotopy needs {' * '.join(map(str, deg))} = {paths} paths (> max_paths="
                         f"{max_paths}); estimated working memory {mem:.2g} GiB and hours of tracking. Refused")
    rng = np.random.default_rng(seed)
    gamma = np.exp(2j * np.pi * rng.uniform())
    deg_arr = np.array(deg)
    roots = [np.exp(2j * np.pi * np.arange(d) / d) for d in deg]
    X = np.array(list(itertools.product(*roots)), dtype=complex)  # (P, N)
    P = X.shape[0]

    def G(X):
        return X ** deg_arr - 1.0

    def JG(X):
        return np.einsum("pi,ij->pij", deg_arr * X ** (deg_arr - 1), np.eye(N))

    def H(X, t):
        return (1 - t)[:, None] * gamma * G(X) + t[:, None] * F(X)

    def Hx(X, t):
        return (1 - t)[:, None, None] * gamma * JG(X) + t[:, None, None] * JF(X)

    def Ht(X):
        return F(X) - gamma * G(X)

    def velocity(X, t):
        return -_safe_solve(Hx(X, t), Ht(X))

    t = np.zeros(P)
    h = np.full(P, 0.01)
    active = np.ones(P, dtype=bool)
    diverged = np.zeros(P, dtype=bool)
    failed = np.zeros(P, dtype=bool)
    for _ in range(max_steps):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        x0, t0, hh = X[idx], t[idx], np.minimum(h[idx], 1.0 - t[idx])
        with np.errstate(all="ignore"):
            # RK4 predictor along dx/dt = -Hx^{-1} Ht
            k1 = velocity(x0, t0)
            k2 = velocity(x0 + 0.5 * hh[:, None] * k1, t0 + 0.5 * hh)
            k3 = velocity(x0 + 0.5 * hh[:, None] * k2, t0 + 0.5 * hh)
            k4 = velocity(x0 + hh[:, None] * k3, t0 + hh)
            x1 = x0 + hh[:, None] / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            t1 = t0 + hh
            ok = np.ones(idx.size, dtype=bool)
            for _ in range(3):  # Newton corrector at fixed t1
                dx = _safe_solve(Hx(x1, t1), H(x1, t1))
                x1 = x1 - dx
                ok &= np.isfinite(x1).all(axis=1)
            scale = 1.0 + np.linalg.norm(x1, axis=1)
            ok &= np.linalg.norm(dx, axis=1) <= 1e-8 * scale  # NaN compares False
        X[idx[ok]] = x1[ok]
        t[idx[ok]] = t1[ok]
        h[idx[ok]] = np.minimum(h[idx[ok]] * 1.5, 0.1)
        h[idx[~ok]] *= 0.5
        big = np.linalg.norm(X, axis=1) > diverge_norm
        diverged |= big & active
        stalled = h < 1e-14
        failed |= stalled & active & ~big
        active &= ~big & ~stalled & (t < 1.0)
    failed |= active  # max_steps exhausted
    # a path that stalls within 1e-3 of t = 1, 100× farther out than the typical finite end point, is on its way to
    # infinity
    # (solutions at infinity of positive dimension; no projective endgame here)
    done = (t >= 1.0) & ~diverged & ~failed
    reach = 1e2 * (1.0 + (np.median(np.linalg.norm(X[done], axis=1)) if done.any() else 1.0))
    far = failed & (t > 1.0 - 1e-3) & (np.linalg.norm(X, axis=1) > reach)
    diverged |= far
    failed &= ~far
    ends = X[(t >= 1.0) & ~diverged & ~failed]
    # Newton polish at t = 1
    with np.errstate(all="ignore"):
        for _ in range(5):
            if len(ends) == 0:
                break
            new = ends - _safe_solve(JF(ends), F(ends))
            keep = np.isfinite(new).all(axis=1)  # a singular end point keeps its tracked value
            ends = np.where(keep[:, None], new, ends)
    distinct: list[np.ndarray] = []
    for e in ends:
        if not any(np.linalg.norm(e - d) <= dedupe_tol * (1 + np.linalg.norm(d)) for d in distinct):
            distinct.append(e)
    resid = _residual_fn(eqs, unknowns)
    real, res = [], []
    for d in distinct:
        if np.max(np.abs(d.imag)) <= real_tol * (1 + np.max(np.abs(d.real))):
            x = d.real.copy()
            real.append(x)
            res.append(resid(x))
    if failed.any():
        warnings.warn(f"solve_homotopy: {int(failed.sum())} of {P} paths failed (step size collapsed or max_steps "
                      "reached); solutions may be missing", RuntimeWarning, stacklevel=2)
    return PolySolution(real, len(distinct), "homotopy (numeric)", res, int(diverged.sum()), [], int(failed.sum()),
                        np.array(ends, dtype=complex).reshape(-1, N))


# ---- a-posteriori certificates (Smale's α-theory) ---------------------------------------------------------
ALPHA0 = (13 - 3 * np.sqrt(17)) / 4  # ≈ 0.1577: α(F, x) < ALPHA0 ⇒ Newton from x converges quadratically to a root


@dataclass
class CertifiedRoot:
    """A root of a square polynomial system certified by Smale's α-test.

    x : list of mpmath numbers — the polished approximation (high precision)
    beta : float — ‖DF(x)⁻¹F(x)‖; the root lies within 2β of x
    gamma : float — an upper bound of γ(F, x) = sup_k ‖DF(x)⁻¹DᵏF(x)/k!‖^{1/(k−1)}
    alpha : float — βγ
    certified : bool — α < ALPHA0
    real : bool — certified real (the α-test passed at Re x in real arithmetic, so Newton's iterates and their
        limit are real)
    """

    x: list
    beta: float
    gamma: float
    alpha: float
    certified: bool
    real: bool

    def as_array(self) -> np.ndarray:
        return np.array([complex(v) for v in self.x])


class _MPSystem:
    """F, DF and the derivative tensors DᵏF of a polynomial system, compiled for mpmath (built once)."""

    def __init__(self, eqs, unknowns):
        unknowns = list(unknowns)
        polys = _as_polys(eqs, unknowns, "the α-test")
        exprs = [p.as_expr() for p in polys]
        self.N = len(unknowns)
        self.degree = max((p.total_degree() for p in polys), default=1)
        self.f = sp.lambdify(unknowns, exprs, modules="mpmath")
        jac = sp.Matrix(exprs).jacobian(unknowns)
        self.jac = sp.lambdify(unknowns, jac.tolist(), modules="mpmath")
        self.tensors = []  # (k, function returning the flat list of all k-th partials of every equation)
        for k in range(2, self.degree + 1):
            entries = [sp.diff(e, *combo) for e in exprs for combo in itertools.product(unknowns, repeat=k)]
            self.tensors.append((k, sp.lambdify(unknowns, entries, modules="mpmath")))

    def newton(self, x, steps: int):
        """At most ``steps`` Newton steps, stopping once a step is below the working precision."""
        tiny = mpmath.mpf(10) ** (5 - mpmath.mp.dps)
        for _ in range(steps):
            J = mpmath.matrix(self.jac(*x))
            F = mpmath.matrix(self.f(*x))
            try:
                dx = mpmath.lu_solve(J, F)
            except ZeroDivisionError:
                break
            x = [xi - dxi for xi, dxi in zip(x, dx)]
            if mpmath.norm(dx, 2) <= tiny * (1 + mpmath.norm(mpmath.matrix(x), 2)):
                break
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


def certify_roots(eqs, unknowns, approximations, *, dps: int = 50, newton_steps: int = 12) -> list:
    """Polish each approximate root with Newton's method at ``dps`` digits and certify it (α-test).

    Returns a list of :class:`CertifiedRoot` (same order).  A root is certified real when the α-test also
    passes at Re x in real arithmetic (the Newton sequence from a real point stays real).
    """
    system = _MPSystem(eqs, unknowns)
    out = []
    with mpmath.workdps(dps):
        for a in approximations:
            x = system.newton([mpmath.mpc(complex(v)) for v in np.ravel(a)], newton_steps)
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
    balls then hold the unique root of the smaller-α ball's neighbourhood)."""
    kept: list = []
    for r in roots:
        if not r.certified:
            continue
        xr = r.as_array()
        if not any(np.linalg.norm(xr - k.as_array()) <= 2 * (r.beta + k.beta) + 1e-300 for k in kept):
            kept.append(r)
    return kept


def deflated_newton(eqs, unknowns, known: list, starts, *, dps: int = 50, max_iter: int = 60) -> list:
    """Real roots not in ``known`` (CertifiedRoot list), by Newton's method in real arithmetic on the deflated
    system M(x)F(x), M(x) = Π_r (‖r‖²/‖x − r‖² + 1) over the known roots (scaled to each root's size) (Farrell, Birkisson & Funke 2015),
    from each real start; each result is polished and certified on the original system."""
    system = _MPSystem(eqs, unknowns)
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
