"""Exact Gröbner solving and numeric homotopy continuation check each other."""
import numpy as np
import pytest
import sympy as sp

from symdyn.polysolve import PositiveDimensionalError, solve_groebner, solve_homotopy

x, y, z = sp.symbols("x y z")


def _as_set(sols, digits=7):
    return sorted(tuple(np.round(s, digits)) for s in sols)


def test_known_system():
    eqs = [x ** 2 - 1, y ** 2 - 4]
    g = solve_groebner(eqs, [x, y])
    h = solve_homotopy(eqs, [x, y])
    expected = sorted((sx, sy) for sx in (-1.0, 1.0) for sy in (-2.0, 2.0))
    assert _as_set(g.real) == expected == _as_set(h.real)
    assert g.complex_count == h.complex_count == 4


@pytest.mark.parametrize("seed", range(6))
def test_groebner_and_homotopy_agree_on_random_quadrics(seed):
    rng = np.random.default_rng(seed)
    vars_ = [x, y, z]
    monos = [1, x, y, z, x * x, x * y, x * z, y * y, y * z, z * z]
    eqs = [sum(sp.Rational(int(c), 3) * mnm for c, mnm in zip(rng.integers(-4, 5, len(monos)), monos))
           for _ in range(3)]
    g = solve_groebner(eqs, vars_, seed=seed)
    h = solve_homotopy(eqs, vars_, seed=seed)
    assert g.complex_count == h.complex_count
    assert _as_set(g.real, 6) == _as_set(h.real, 6)
    for s in g.real:
        vals = [float(e.subs(dict(zip(vars_, s)))) for e in eqs]
        assert max(map(abs, vals)) < 1e-10


def test_fewer_solutions_than_bezout_are_counted():
    # x*y = 1, x + y = 3: Bézout 2, two real solutions; x*y=1, x*y=2: none (paths diverge)
    g = solve_groebner([x * y - 1, x + y - 3], [x, y])
    assert g.complex_count == 2 and len(g.real) == 2
    h = solve_homotopy([x * y - 1, x * y - 2], [x, y])
    assert h.complex_count == 0 and h.diverged == 4
    assert solve_groebner([x * y - 1, x * y - 2], [x, y]).complex_count == 0


def test_positive_dimensional_and_float_inputs_are_rejected():
    with pytest.raises(PositiveDimensionalError):
        solve_groebner([x * (x - 1), x * (y - 1)], [x, y])
    with pytest.raises(ValueError, match="rational"):
        solve_groebner([x ** 2 - 0.5, y - 1], [x, y])


def test_polynomial_methods_refuse_non_polynomial_systems_by_name():
    import sympy as sp

    from symdyn.polysolve import solve_groebner, solve_homotopy

    x, y = sp.symbols("x y")
    for fn, name in ((solve_groebner, "solve_groebner"), (solve_homotopy, "solve_homotopy")):
        with pytest.raises(ValueError, match=f"eqs: {name} .* needs polynomial equations"):
            fn([sp.sin(x) - y, y ** 2 - 1], [x, y])


def test_krawczyk_certifies_a_root_box_and_refuses_a_box_without_one():
    import mpmath

    from symdyn.polysolve import krawczyk

    iv = mpmath.iv
    F = lambda X: iv.matrix([[X[0] ** 2 - 2], [X[0] * X[1] - 1]])
    J = lambda X: iv.matrix([[2 * X[0], 0], [X[1], X[0]]])
    with mpmath.workdps(50):
        root = [mpmath.sqrt(2), 1 / mpmath.sqrt(2)]
    assert krawczyk(F, J, root, 1e-20)["certified"]
    assert not krawczyk(F, J, [1.4142135623730951, 0.7071067811865476], 1e-20)["certified"]  # double precision is
    # 1e-16 off: the root is outside a 1e-20 box
    assert not krawczyk(F, J, [1.5, 0.7], 1e-3)["certified"]  # no root within 1e-3 of (1.5, 0.7)
    assert iv.dps == 15  # the interval context's precision is restored


# ---- the parameter-homotopy tracker ----------------------------------------------------------------------------
from hypothesis import given, settings, strategies as st  # noqa: E402

from symdyn.polysolve import PREDICTOR_TOL, track_segment  # noqa: E402


def _square_roots_system():
    """F(x, p) = x ⊙ x − p (componentwise): the roots ±√p_i, known in closed form."""
    def F(X, P):
        return X * X - P

    def Fx(X, P):
        return np.einsum("ij,jk->ijk", 2 * X, np.eye(X.shape[1]))

    def Fp(X, dP):
        return -dP
    return F, Fx, Fp


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_parameter_homotopy_ends_at_the_closed_form_roots(seed):
    """x_i² = p_i(t) along p(t) = (1 − t)γp₀ + tp₁ (random complex p₀, p₁, γ): the 2^n start roots ±√(γp₀) end
    at the 2^n roots ±√p₁, one path each (no path jumping), to 1e-10."""
    rng = np.random.default_rng(seed)
    n = 3
    p0, p1 = (rng.standard_normal((2, n)) + 1j * rng.standard_normal((2, n)))
    gamma = np.exp(2j * np.pi * rng.uniform())
    signs = np.array(np.meshgrid(*[[1, -1]] * n)).reshape(n, -1).T
    X0 = signs * np.sqrt(gamma * p0)
    F, Fx, Fp = _square_roots_system()
    X, ok = track_segment(F, Fx, Fp, X0, gamma * p0, p1, predictor_tol=PREDICTOR_TOL, hmax=0.1)
    assert ok.all()
    exact = signs * np.sqrt(p1)
    dist = np.abs(X[:, None, :] - exact[None, :, :]).max(axis=2)  # (end point, root)
    assert np.all(dist.min(axis=1) <= 1e-10 * (1 + np.abs(p1).max()))
    assert sorted(dist.argmin(axis=1)) == list(range(len(signs)))  # a bijection: every root reached once


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_parameter_homotopy_of_a_coupled_system_reaches_every_root(seed):
    """x² + ay = b, y² + cx = d (generic coefficients: 4 roots, the Bézout number): from the 4 roots of a start
    system with random complex coefficients (its roots from the quartic in x), every path reaches t = 1 and the
    end points are 4 distinct roots, each checked against the equations."""
    rng = np.random.default_rng(seed)

    def F(X, P):
        x_, y_ = X[:, 0], X[:, 1]
        return np.stack([x_ ** 2 + P[:, 0] * y_ - P[:, 1], y_ ** 2 + P[:, 2] * x_ - P[:, 3]], axis=1)

    def Fx(X, P):
        J = np.zeros((len(X), 2, 2), dtype=complex)
        J[:, 0, 0], J[:, 0, 1], J[:, 1, 0], J[:, 1, 1] = 2 * X[:, 0], P[:, 0], P[:, 2], 2 * X[:, 1]
        return J

    def Fp(X, dP):
        return np.stack([dP[:, 0] * X[:, 1] - dP[:, 1], dP[:, 2] * X[:, 0] - dP[:, 3]], axis=1)

    def roots(p):  # y = (b − x²)/a into the second equation: x⁴ − 2bx² + ca²x + b² − da² = 0
        a, b, c, d = p
        xs = np.roots([1, 0, -2 * b, c * a * a, b * b - d * a * a])
        return np.stack([xs, (b - xs ** 2) / a], axis=1)
    p0 = rng.standard_normal(4) + 1j * rng.standard_normal(4)
    p1 = rng.standard_normal(4)  # real target data
    X0 = roots(p0)
    assert np.abs(F(X0, np.broadcast_to(p0, (4, 4)))).max() < 1e-8
    X, ok = track_segment(F, Fx, Fp, X0, p0, p1, predictor_tol=PREDICTOR_TOL)  # complex p₀: a generic path
    assert ok.all()
    assert np.abs(F(X, np.broadcast_to(p1, (4, 4)))).max() < 1e-9 * (1 + np.abs(X).max() ** 2)
    gaps = np.abs(X[:, None] - X[None]).max(axis=2) + np.eye(4)
    assert gaps.min() > 1e-6


def _indexed(F, Fx, Fp):
    """The square-roots system with the rows' indices as a last argument (as per-path coordinates need)."""
    return (lambda X, P, rows: F(X, P)), (lambda X, P, rows: Fx(X, P)), (lambda X, dP, rows: Fp(X, dP))


def test_homotopies_with_independent_gamma_in_one_batched_run():
    """Two homotopies of x ⊙ x = p with different γ, stacked as one run (one start parameter per path): each block of
    2^n paths reaches the 2^n roots ±√p₁ once, as two separate runs do."""
    rng = np.random.default_rng(5)
    n = 2
    p0, p1 = (rng.standard_normal((2, n)) + 1j * rng.standard_normal((2, n)))
    signs = np.array(np.meshgrid(*[[1, -1]] * n)).reshape(n, -1).T
    gammas = np.exp(2j * np.pi * rng.uniform(size=2))
    X0 = np.concatenate([signs * np.sqrt(g * p0) for g in gammas])
    pa = np.concatenate([np.broadcast_to(g * p0, signs.shape) for g in gammas])
    F, Fx, Fp = _indexed(*_square_roots_system())
    X, ok = track_segment(F, Fx, Fp, X0, pa, p1, predictor_tol=PREDICTOR_TOL, indexed=True)
    assert ok.all()
    exact = signs * np.sqrt(p1)
    for block in (X[:len(signs)], X[len(signs):]):
        dist = np.abs(block[:, None, :] - exact[None, :, :]).max(axis=2)
        assert np.all(dist.min(axis=1) <= 1e-10)
        assert sorted(dist.argmin(axis=1)) == list(range(len(signs)))
    with pytest.raises(ValueError, match="pa"):
        track_segment(*_square_roots_system(), X0, pa, p1)


def test_stop_ends_a_run_once_the_caller_has_what_it_needs():
    """``stop`` sees the paths that reached t = 1 (they are roots); when it says so the run ends and the paths
    still going are reported as not reached.  x² = p(t): two paths whose segment stays far from the singular p = 0
    (fast) and one passing within 1e-3 of it (slow)."""
    p1 = np.array([1.0 + 0.5j])
    pa = np.array([2 * p1, 3 * p1, -p1 + 1e-3j])  # one start parameter per path
    X0 = np.sqrt(pa)
    seen = []

    def stop(rows, X):
        seen.append(rows.copy())
        assert np.abs(X[rows] ** 2 - p1).max() <= 1e-9  # what it is shown are end points on the roots
        return True

    F, Fx, Fp = _indexed(*_square_roots_system())
    X, ok = track_segment(F, Fx, Fp, X0, pa, p1, predictor_tol=PREDICTOR_TOL, indexed=True, stop=stop)
    assert len(seen) == 1 and list(seen[0]) == [0, 1] and list(ok) == [True, True, False]
    X, ok = track_segment(F, Fx, Fp, X0, pa, p1, predictor_tol=PREDICTOR_TOL, indexed=True)
    assert ok.all() and np.abs(X ** 2 - p1).max() <= 1e-9  # without stop the slow path gets there too


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_taylor_predictor_is_the_paths_taylor_polynomial(seed):
    """x² = a + bt: x(t₀ + h) = √(a' + bh), a' = a + bt₀, has Taylor coefficients √a', b/(2√a'), −b²/(8a'^{3/2}),
    b³/(16a'^{5/2}).  For this H the circle values determine c₂ and c₃ exactly (g_k has degree 2(k − 1) < k + n),
    so the predictor is that cubic to rounding, for any step h, real or complex data; and it is of order 3: the
    distance to the exact √(a' + bh) shrinks like h⁴."""
    from symdyn.polysolve import _taylor_predictor

    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(2) + 1j * rng.standard_normal(2)
    t0 = np.array([rng.uniform(0, 0.5)])
    if abs(b) > 0.25 * abs(a):  # keep the branch point −a'/b well outside the steps used below:
        b = b * 0.25 * abs(a) / abs(b)  # |a'| ≥ |a|(1 − t₀/4) ≥ 7|a|/8, so |b| ≤ 2|a'|/7
    ap = a + b * t0
    x0 = np.sqrt(ap)  # on the path, H(x₀, t₀) = 0 (it was not when b was rescaled after computing x₀)
    H = lambda X, t, rows: X ** 2 - (a + b * t)[:, None]  # noqa: E731
    Ht = lambda X, t, rows: np.full(X.shape, -b)  # noqa: E731
    J0 = (2 * x0)[:, None, None]
    coeffs = [x0, b / (2 * x0), -b ** 2 / (8 * ap ** 1.5), b ** 3 / (16 * ap ** 2.5)]
    errors = []
    for h in (0.1, 0.05, 0.025):
        hh = np.array([h])
        got = _taylor_predictor(H, Ht, x0[:, None], t0, hh, np.arange(1), J0, order=3)[0, 0]
        cubic = sum(c[0] * h ** k for k, c in enumerate(coeffs))
        assert abs(got - cubic) <= 1e-13 * (1 + abs(cubic))
        errors.append(abs(got - np.sqrt(ap[0] + b * h)))
    assert errors[1] / errors[0] < 1 / 12 and errors[2] / errors[1] < 1 / 12  # ≈ 1/16: order 3


@pytest.mark.parametrize("predictor", ["taylor", "rk4"])
def test_both_predictors_reach_every_root(predictor):
    """The square-roots system from random complex data to other data: each predictor reaches the 2^n roots once."""
    rng = np.random.default_rng(11)
    n = 3
    p0, p1 = (rng.standard_normal((2, n)) + 1j * rng.standard_normal((2, n)))
    signs = np.array(np.meshgrid(*[[1, -1]] * n)).reshape(n, -1).T
    X, ok = track_segment(*_square_roots_system(), signs * np.sqrt(p0), p0, p1, predictor_tol=PREDICTOR_TOL,
                          predictor=predictor)
    assert ok.all()
    dist = np.abs(X[:, None, :] - (signs * np.sqrt(p1))[None]).max(axis=2)
    assert np.all(dist.min(axis=1) <= 1e-10) and sorted(dist.argmin(axis=1)) == list(range(len(signs)))
    with pytest.raises(ValueError, match="predictor"):
        track_segment(*_square_roots_system(), signs * np.sqrt(p0), p0, p1, predictor="euler")


@settings(max_examples=25)
@given(st.lists(st.integers(-40, 40), min_size=2, max_size=7), st.integers(1, 6))
def test_certified_real_roots_equal_sympys_exact_refinement(coeffs, rational_root):
    """The real roots of a square-free rational polynomial by exact isolation, mpmath refinement and an exact sign
    change (_real_roots_certified) equal SymPy's exact bisection (CRootOf.evalf) to 30 digits, the count included;
    a factor (t − k/6) puts exact rational roots at the ends of isolating intervals."""
    import mpmath
    import sympy as sp

    from symdyn.polysolve import _real_roots_certified

    t = sp.Symbol("t")
    p = sp.Poly(coeffs, t) * sp.Poly(6 * t - rational_root, t) * sp.Poly(2 * t - 1, t)
    if p.degree() < 1:
        return
    p = p.sqf_part()
    with mpmath.workdps(40):
        got = _real_roots_certified(p, 30)
        want = [mpmath.mpf(str(sp.CRootOf(p, i).evalf(35))) for i in range(p.count_roots())]
        assert len(got) == len(want)
        assert all(abs(g - w) <= mpmath.mpf(10) ** -28 * max(1, abs(w)) for g, w in zip(got, want))
