"""Real equilibrium components of a small polynomial field, certified or refused (the exact solver).

``equilibrium_components(field)`` returns the **real** solution set of f(x) = 0 (f polynomial with
rational coefficients — floats are read as the exact binary rationals they are) as a list of
components, each with its real dimension, defining equations, real sample points, the method and
whether the result is certified.  Nothing complex is ever listed.  Method (exact work over ℚ):

1. **Splitting.**  The ideal ⟨f_1, …, f_D⟩ is taken to a reduced grevlex Gröbner basis; while an element
   factors over ℚ, the branch splits into one branch per irreducible factor (V(gh, …) = V(g, …) ∪ V(h, …);
   multiplicities dropped).  This is what finds the components of fields with a common factor.  A basis
   {1} is an empty branch (no complex, hence no real, solution).
2. **Dimension.**  The Krull dimension of each branch is read off the leading monomials (the largest set of
   variables no leading monomial lies in).  The zero field is the whole space.
3. **Zero-dimensional branches** are solved with the shape lemma on the radical: a random integer linear
   form t = c·x is adjoined, the lex basis gives the eliminant p(t), and with its square-free part
   p̃ adjoined (and, when that is not yet radical, the square-free eliminants of every variable: Seidenberg's
   lemma) the ideal is radical and, for a separating t, in shape {x_i − g_i(t)} ∪ {p̃(t)}.  Real
   roots of p̃ are isolated exactly (``CRootOf``: certified isolating intervals); every real point is
   x_i = g_i(t_k) and every real point has a real t.  ``certified=True``.
4. **Positive-dimensional branches** V (codimension c).  Real points, if any, are found by the critical-point
   method: for a random rational point p, every connected component of V(ℝ) contains a point where
   rank[x − p; Jac(G)] ≤ c (its closest point to p, smooth or singular).  When that system is
   zero-dimensional it is solved as in 3 (certified: V(ℝ) is empty iff it has no real solution); otherwise
   Gauss–Newton projection from random starts is used (``certified=False``, with a warning when nothing
   real is found).  The real dimension of a component is the local dimension measured at its real points
   (:func:`symdyn.local_dimension.local_dimension`): x² + y² = 0 in ℝ² is the point 0, not a curve.
5. Points lying on a positive-dimensional component, and branches contained in another, are removed
   (exact ideal-membership tests).

Sizes are checked **before** any algebra: more than ``max_states`` states, a Bézout number Π deg f_i above
``max_bezout`` or more than ``max_branches`` branches raise ``ValueError`` with the numbers (SymPy's
Gröbner bases cannot be interrupted, so the bound is what keeps a call from running for minutes).

Examples
--------
>>> import sympy as sp
>>> from symdyn import VectorField
>>> x, y = sp.symbols("x y")
>>> [c.point.round(6).tolist() for c in equilibrium_components(VectorField([x], [-4*x**3 - x**2 - 2*x + 1]))]
[[0.351436]]
>>> comps = equilibrium_components(VectorField([x, y], [x * (x**2 + y**2 - 1), y * (x**2 + y**2 - 1)]))
>>> [(c.dimension, c.certified) for c in comps]
[(1, True), (0, True)]
"""
from __future__ import annotations

import itertools
import warnings
from typing import TYPE_CHECKING

import numpy as np
import sympy as sp

from .._validate import positive_int, seed_value
from ..local_dimension import local_dimension
from ..polysolve import shape_position
from .component import EquilibriumComponent, EquilibriumSet
from .search import gauss_newton

if TYPE_CHECKING:
    from ..field import VectorField

__all__ = ["equilibrium_components"]


# ---- exact helpers ---------------------------------------------------------------------------------------
def _rational_polys(field):
    """The non-zero components as expressions with rational coefficients (floats read exactly)."""
    out = []
    for i, e in enumerate(field.rhs):
        if e.has(sp.I) or any(not a.is_real for a in e.atoms(sp.Number)):
            raise ValueError(f"field: component {i} has a non-real coefficient ({e}); the field must be real")
        e = e.xreplace({f: sp.Rational(float(f)) for f in e.atoms(sp.Float)})
        e = sp.expand(e)
        if e != 0:
            out.append(e)
    return out


def _krull_dimension(G, gens) -> int:
    """dim ℚ[x]/I from the leading monomials of a Gröbner basis (largest independent set of variables)."""
    lms = [sp.Poly(g, *gens).monoms(order=G.order)[0] for g in G.exprs]
    n = len(gens)
    for size in range(n, -1, -1):
        for S in itertools.combinations(range(n), size):
            if not any(all(m[i] == 0 for i in range(n) if i not in S) for m in lms):
                return size
    return 0


def _reducible(G, gens):
    """(index, [irreducible factors]) of the first basis element that factors over ℚ, or None."""
    for i, g in enumerate(G.exprs):
        facs = [(f, k) for f, k in sp.factor_list(g, *gens)[1] if sp.Poly(f, *gens).total_degree() > 0]
        if len(facs) > 1 or (len(facs) == 1 and facs[0][1] > 1):
            return i, [f for f, _ in facs]
    return None


def _branches(polys, gens, max_branches: int) -> list:
    """Reduced grevlex Gröbner bases of the branches (module docstring, step 1), duplicates removed."""
    work, done, seen = [list(polys)], [], set()
    while work:
        gens_list = work.pop()
        G = sp.groebner(gens_list, *gens, order="grevlex")
        if G.exprs == [1]:
            continue
        key = tuple(sp.srepr(e) for e in G.exprs)
        if key in seen:
            continue
        seen.add(key)
        split = _reducible(G, gens)
        if split is None:
            done.append(G)
        else:
            i, facs = split
            rest = [e for j, e in enumerate(G.exprs) if j != i]
            work.extend(rest + [q] for q in facs)
        if len(done) + len(work) > max_branches:
            raise ValueError(f"field: more than max_branches={max_branches} branches after factor splitting; "
                             "the system is beyond what equilibrium_components finishes (raise max_branches)")
    return done


def _contains(G_small, exprs_big) -> bool:
    """True when every element of exprs_big reduces to 0 modulo G_small (⟨big⟩ ⊆ ⟨small⟩, so V(small) ⊆ V(big))."""
    return all(G_small.reduce(e)[1] == 0 for e in exprs_big)


def _roots_exact(q: sp.Poly):
    """Real roots of an irreducible q ∈ ℚ[t], exactly: radicals for degree ≤ 2, ``CRootOf`` otherwise
    (both from certified isolation)."""
    if q.degree() <= 2:
        return sorted((r for r in sp.roots(q, filter="R")), key=lambda r: float(sp.N(r, 30)))
    return q.real_roots()


def _sqf_eliminant(lex_exprs, v):
    """The square-free part of the univariate element in v of a lex basis whose last variable is v."""
    uni = [e for e in lex_exprs if e.free_symbols <= {v}]
    return sp.Poly(uni[0], v).sqf_part().as_expr()


def _real_points(polys, gens, seed, digits: int = 30, tries: int = 6):
    """Certified real points of a zero-dimensional system (module docstring, step 3).

    Returns (points as lists of exact values, float array (P, N), complex_count)."""
    rng = np.random.default_rng(seed)
    t = sp.Dummy("t")
    for _ in range(tries):
        c = [int(v) for v in rng.integers(1, 9, size=len(gens))]
        G = sp.groebner(list(polys) + [t - sum(ci * s for ci, s in zip(c, gens))], *gens, t, order="grevlex")
        if G.exprs == [1]:
            return [], np.zeros((0, len(gens))), 0
        if not G.is_zero_dimensional:
            raise ValueError("internal: _real_points called on a positive-dimensional system")
        lex = G.fglm("lex")
        lex2 = sp.groebner(list(lex.exprs) + [_sqf_eliminant(lex.exprs, t)], *gens, t, order="lex")
        shape = shape_position(lex2.exprs, gens, t)
        if shape is None:
            # Seidenberg: with a square-free univariate polynomial in every variable the ideal is radical,
            # and a radical zero-dimensional ideal is in shape position for a separating t
            extra = [_sqf_eliminant(sp.groebner(list(lex2.exprs), *[v for v in gens if v != s], t, s,
                                                order="grevlex").fglm("lex").exprs, s) for s in gens]
            lex2 = sp.groebner(list(lex2.exprs) + extra, *gens, t, order="lex")
            shape = shape_position(lex2.exprs, gens, t)
        if shape is None:
            continue
        g, p = shape
        P = sp.Poly(p, t)
        exact, num = [], []
        for q, _ in P.factor_list()[1]:
            for root in _roots_exact(q):
                # g_i reduced modulo the minimal polynomial q of the root, then evaluated exactly
                vals = [sp.radsimp(sp.expand(sp.Poly(gi, t).rem(q).as_expr().subs(t, root))) for gi in g]
                exact.append(vals)
                num.append([float(sp.N(v, digits)) for v in vals])
        order = sorted(range(len(num)), key=lambda i: num[i])
        return ([exact[i] for i in order], np.array([num[i] for i in order], dtype=float).reshape(-1, len(gens)),
                P.degree())
    raise ValueError("field: could not bring the zero-dimensional system into shape position after "
                     f"{tries} random linear forms")


def _critical_system(G_exprs, gens, codim: int, rng):
    """G ∪ {(c+1)-minors of [x − p; Jac G]} for a random rational point p (module docstring, step 4)."""
    p = [sp.Rational(int(rng.integers(-97, 98)), int(rng.integers(7, 31))) for _ in gens]
    J = sp.Matrix(G_exprs).jacobian(gens)
    M = sp.Matrix.vstack(sp.Matrix([[s - pi for s, pi in zip(gens, p)]]), J)
    rows, cols = M.shape
    size = codim + 1
    if size > min(rows, cols):
        return list(G_exprs)
    n_minors = sp.binomial(rows, size) * sp.binomial(cols, size)
    if n_minors > 400:
        return None
    minors = []
    for r in itertools.combinations(range(rows), size):
        for cc in itertools.combinations(range(cols), size):
            d = sp.expand(M.extract(list(r), list(cc)).det())
            if d != 0:
                minors.append(d)
    return list(G_exprs) + minors


def _newton_points(fn, jac, D, rng, starts: int = 60):
    """Real points of {g = 0} by minimum-norm Gauss–Newton (:func:`.search.gauss_newton`) from random starts at
    several scales."""
    X0 = np.stack([rng.standard_normal(D) * (10.0 ** rng.integers(-1, 3)) for _ in range(starts)])

    def f(X):
        return np.stack([np.asarray(fn(x), dtype=float).ravel() for x in X])

    def J(X):
        return np.stack([np.atleast_2d(np.asarray(jac(x), dtype=float)) for x in X])

    X, _, _ = gauss_newton(f, J, X0, max_iter=80, tol=np.inf)
    with np.errstate(all="ignore"):
        F = f(X)
        ok = np.isfinite(X).all(axis=1) & (np.linalg.norm(F, axis=1) <= 1e-10 * (1 + np.linalg.norm(X, axis=1)) ** 3)
    return list(X[ok])


def equilibrium_components(field: VectorField, seed: int = 0, samples: int = 5, *, max_states: int = 6,
                           max_bezout: int = 30, max_branches: int = 64) -> EquilibriumSet:
    """Real components of {f = 0} for a polynomial VectorField without free parameters (module docstring).

    Parameters
    ----------
    field : VectorField — polynomial, real coefficients, no free parameters
    seed : int — seed of the random linear forms, critical-point centres and Newton starts
    samples : int — real points kept per positive-dimensional component (≥ 1)
    max_states, max_bezout, max_branches : int — sizes beyond which the call refuses before any algebra

    Returns
    -------
    EquilibriumSet — a list of EquilibriumComponent, positive-dimensional first; ``.certified``,
    ``.complex_count``, ``.notes``.  A warning is emitted when something could not be certified.

    Examples
    --------
    >>> import sympy as sp
    >>> from symdyn import VectorField
    >>> x, y = sp.symbols("x y", real=True)
    >>> comps = equilibrium_components(VectorField([x, y], [x - x**3, -y]))
    >>> [round(float(c.point[0]), 6) for c in comps], comps.certified
    ([-1.0, 0.0, 1.0], True)
    >>> circle = equilibrium_components(VectorField([x, y], [x * (1 - x**2 - y**2), y * (1 - x**2 - y**2)]))
    >>> [c.dimension for c in circle], circle[0].equations      # the unit circle, then the origin
    ([1, 0], [x**2 + y**2 - 1])
    """
    from ..field import VectorField

    if not isinstance(field, VectorField):
        raise TypeError(f"field: expected a symdyn VectorField, got {type(field).__name__}")
    seed = seed_value(seed)
    samples = positive_int(samples, "samples")
    max_states = positive_int(max_states, "max_states")
    max_bezout = positive_int(max_bezout, "max_bezout")
    max_branches = positive_int(max_branches, "max_branches")
    D = field.dimension
    if D > max_states:
        raise ValueError(f"field: equilibrium_components is for ≤ max_states={max_states} states (got {D}); "
                         "use a model's own equilibria() or numeric continuation")
    if field.params:
        raise ValueError(f"field: give values for the parameters {[str(p) for p in field.params]} first (field.subs)")
    if not field.is_polynomial:
        raise ValueError("field: equilibrium_components needs a polynomial field (Gröbner bases over ℚ)")
    gens = list(field.states)
    polys = _rational_polys(field)
    if not polys:  # the zero field: every point is an equilibrium
        return EquilibriumSet([EquilibriumComponent(D, [], [{}], np.zeros((1, D)), D, "zero field", True)],
                              True, 0, [])
    degrees = [sp.Poly(p, *gens).total_degree() for p in polys]
    bezout = int(np.prod(degrees))
    if bezout > max_bezout:
        raise ValueError(f"field: Bézout number {' * '.join(map(str, degrees))} = {bezout} exceeds max_bezout="
                         f"{max_bezout}; exact Gröbner work on this system may take minutes (raise max_bezout "
                         "to try anyway)")
    rng = np.random.default_rng(seed)
    branches = _branches(polys, gens, max_branches)
    dims = [_krull_dimension(G, gens) for G in branches]
    # a branch contained in another one (its ideal contains the other's) is dropped
    keep = []
    for i, G in enumerate(branches):
        if not any(j != i and dims[j] >= dims[i] and _contains(G, branches[j].exprs)
                   and not (dims[j] == dims[i] and _contains(branches[j], G.exprs) and j > i)
                   for j in range(len(branches))):
            keep.append(i)
    comps, notes, complex_count = [], [], 0
    certified_all = True
    positive = [(branches[i], dims[i]) for i in keep if dims[i] > 0]
    for i in keep:
        G, dim = branches[i], dims[i]
        if dim == 0:
            exact, num, count = _real_points(G.exprs, gens, seed)
            complex_count += count
            on_positive = np.zeros(len(num), dtype=bool)
            for P, _ in positive:  # exact: the points of this branch on P are those of ⟨G, P⟩
                both = sp.groebner(list(G.exprs) + list(P.exprs), *gens, order="grevlex")
                if both.exprs != [1] and len(num):
                    _, shared, _ = _real_points(both.exprs, gens, seed)
                    for q in shared:
                        on_positive |= np.all(np.isclose(num, q, rtol=1e-12, atol=1e-300), axis=1)
            for vals, x, drop in zip(exact, num, on_positive):
                if drop:
                    continue
                eqs = [s - v for s, v in zip(gens, vals)]
                comps.append(EquilibriumComponent(0, eqs, [dict(zip(gens, vals))], x[None, :], 0,
                                                  "Gröbner shape lemma, exact real-root isolation", True))
            continue
        comp, note = _positive_component(G, gens, dim, rng, samples)
        if note:
            notes.append(note)
            certified_all = False
        if comp is not None:
            certified_all &= comp.certified
            comps.append(comp)
    if notes:
        warnings.warn("equilibrium_components: " + "; ".join(notes), RuntimeWarning, stacklevel=2)
    comps.sort(key=lambda c: (-c.dimension, [float(v) for v in c.points[0]]))
    return EquilibriumSet(comps, certified_all, complex_count, notes)


def _positive_component(G, gens, dim: int, rng, samples: int):
    """(component or None, note) for a positive-dimensional branch (module docstring, step 4)."""
    D = len(gens)
    exprs = list(G.exprs)
    fn = sp.lambdify([gens], exprs, modules="numpy")
    jac_expr = sp.Matrix(exprs).jacobian(gens)
    jfn = sp.lambdify([gens], jac_expr.tolist(), modules="numpy")
    certified, pts = False, []
    system = _critical_system(exprs, gens, D - dim, rng)
    if system is not None:
        Gc = sp.groebner(system, *gens, order="grevlex")
        if Gc.exprs == [1]:
            return None, None  # no critical point at all: V(ℝ) is empty (certified)
        if Gc.is_zero_dimensional:
            _, num, _ = _real_points(Gc.exprs, gens, int(rng.integers(2 ** 31)))
            if not len(num):
                return None, None  # certified: no real point
            pts, certified = list(num), True
    if not pts:
        pts = _newton_points(fn, jfn, D, rng)
        if not pts:
            return None, (f"no real point found on the {dim}-dimensional complex component "
                          f"{[str(e) for e in exprs]} (not certified empty)")
    # spread: more real points from further random starts, so that samples are not all critical points
    extra = _newton_points(fn, jfn, D, rng, starts=max(0, 4 * samples - len(pts)))
    pts = pts + extra

    def F(x):
        return np.asarray(fn(x), dtype=float).ravel()

    def J(x):
        return np.atleast_2d(np.asarray(jfn(x), dtype=float))

    local = [local_dimension(F, J, x, seed=int(rng.integers(2 ** 31))).dimension for x in pts]
    real_dim = max(local)
    chosen = [x for x, k in zip(pts, local) if k == real_dim][:samples]
    try:
        charts = sp.solve(exprs, gens, dict=True)
    except NotImplementedError:
        charts = []
    charts = [ch for ch in charts if all(v.is_real is not False for v in ch.values())]
    how = ("critical points (certified real points)" if certified else "Gauss–Newton from random starts")
    return EquilibriumComponent(real_dim, exprs, charts, np.array(chosen), dim,
                                f"Gröbner branch of dimension {dim} over ℂ; real points: {how}; "
                                "real dimension: local dimension test", certified and real_dim == dim), None
