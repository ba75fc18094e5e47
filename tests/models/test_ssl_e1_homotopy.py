"""(E1) by the parameter homotopy (ssl_e1_homotopy), its generic counts and the PSD-root bound."""
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from symdyn import LinearSSL
from symdyn.instances import random_moments
from symdyn.models.ssl_e1 import e1_sides, e1_system, pack_data, psd_root_bound
from symdyn.models.ssl_e1_homotopy import E1System, e1_start
from symdyn.models.ssl_strata import stratum_count
from symdyn.polysolve import solution_count_mod_p

PRIME = 32003


def crandn(rng, *shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


@pytest.mark.parametrize("m", [2, 3, 4])
@pytest.mark.parametrize("compiled", [True, False])
def test_e1_system_against_e1_sides_finite_differences_and_homogeneity(m, compiled, monkeypatch):
    """F against the matrix formula, homogeneity, and the Jacobians and data derivative against central
    differences; on both routes (compiled kernels, batched NumPy)."""
    from symdyn.models import ssl_e1_homotopy

    monkeypatch.setattr(ssl_e1_homotopy, "COMPILED", compiled)
    rng = np.random.default_rng(m)
    sysm = E1System(m)
    assert (sysm._kernels() is not None) == compiled
    P = 3
    X = crandn(rng, P, sysm.N)
    Sx = crandn(rng, P, m, m)
    Sx = Sx + np.swapaxes(Sx, 1, 2)
    Syx, lam = crandn(rng, P, m, m), crandn(rng, P)
    p = np.stack([pack_data(Sx[i], Syx[i], lam[i]) for i in range(P)])
    dp = crandn(rng, *p.shape)
    x0 = crandn(rng, P)
    S = sysm.matrices(X)
    for i in range(P):  # F against the matrix formula of ssl_e1 (another implementation)
        left, right = e1_sides(Sx[i], Syx[i], S[i], lam[i], np.eye(m), np.matmul)
        assert np.allclose(sysm.F(X, p)[i], (left - right)[np.triu_indices(m)], rtol=1e-12, atol=1e-12)
    # homogeneity of degree 2 in (x0, S) and in the data
    t = 0.7 - 0.3j
    assert np.allclose(sysm.F(t * X, p, t * x0), t ** 2 * sysm.F(X, p, x0), rtol=1e-12, atol=1e-12)
    assert np.allclose(sysm.F(X, t * p), t ** 2 * sysm.F(X, p), rtol=1e-12, atol=1e-12)
    h = 1e-6  # central differences are exact for quadratics up to rounding
    eye = np.eye(sysm.N)
    J = np.stack([(sysm.F(X + h * eye[k], p, x0) - sysm.F(X - h * eye[k], p, x0)) / (2 * h) for k in range(sysm.N)], 2)
    scale = np.abs(sysm.F(X, p, x0)).max() + 1
    assert np.abs(sysm.Fx(X, p, x0) - J).max() < 1e-7 * scale
    d0 = (sysm.F(X, p, x0 + h) - sysm.F(X, p, x0 - h)) / (2 * h)
    assert np.abs(sysm.Fx0(X, p, x0) - d0).max() < 1e-7 * scale
    dP = (sysm.F(X, p + h * dp, x0) - sysm.F(X, p - h * dp, x0)) / (2 * h)
    assert np.abs(sysm.Fp(X, p, dp, x0) - dP).max() < 1e-7 * scale


def test_generic_counts_match_groebner_counts_mod_p():
    # the shipped start systems' counts (monodromy) against exact Hilbert counts over GF(p) for random data
    rng = np.random.default_rng(7)

    def integers(*shape):
        return sp.Matrix(*shape, lambda i, j: int(rng.integers(1, PRIME)))
    m = 3
    A = integers(m, m)
    eqs, unknowns, _ = e1_system(A + A.T, integers(m, m), int(rng.integers(1, PRIME)), m)
    assert solution_count_mod_p(eqs, unknowns, PRIME) == len(e1_start(m)[1]) == 24
    # rank 1, two formulations.  (R_1): v (m), b (S = vvᵀ; v and −v give the same S), saturated by (H + λ)(c·v)
    # (the origin and the component H + λ = 0, whose S = vvᵀ have vᵀΣxv = −λ and are never real PSD)
    for m in (2, 3):
        A = integers(m, m)
        Sx, Syx, lam = A + A.T, integers(m, m), int(rng.integers(1, PRIME))
        v = sp.Matrix(sp.symbols(f"v0:{m}"))
        b, z = sp.symbols("b z")
        G, H, F = (v.T * v)[0], (v.T * Sx * v)[0], (v.T * Syx * v)[0]
        c = [int(rng.integers(1, PRIME)) for _ in range(m)]
        eqs = list(Sx * v * G + lam * v - Syx.T * v * b) + [b * (H + lam) - F,
                                                             z * (H + lam) * sum(ci * vi for ci, vi in zip(c, v)) - 1]
        assert solution_count_mod_p(eqs, list(v) + [b, z], PRIME) == 2 * stratum_count(m, 1) == 4 * m
    # the chart S = p·wwᵀ, w = (1, k) at m = 2: (C_1) saturated by p(p·wᵀΣxw + λ)
    A = integers(2, 2)
    Sx, Syx, lam = A + A.T, integers(2, 2), int(rng.integers(1, PRIME))
    pp, k, z = sp.symbols("p k z")
    w = sp.Matrix([[1, k]])
    S = pp * w.T * w
    L = S * Sx + lam * sp.eye(2)
    E = L.T * L - Syx.T * S * Syx
    eqs = [sp.expand((w * E * w.T)[0]), sp.expand((w * E * sp.Matrix([0, 1]))[0]),
           z * pp * (pp * (w * Sx * w.T)[0] + lam) - 1]
    assert solution_count_mod_p(eqs, [pp, k, z], PRIME) == stratum_count(2, 1) == 4


def test_shipped_e1_start_systems_were_counted_twice():
    for m in (3, 4):
        p0, sols, info = e1_start(m)
        assert info["count_check"] == len(sols)  # the total-degree homotopy's count at p₀
        sysm = E1System(m)
        assert np.abs(sysm.F(sols, np.broadcast_to(p0, (len(sols), p0.size)))).max() < 1e-8 * np.abs(sols).max() ** 2


def test_parameter_homotopy_agrees_with_total_degree_homotopy_m3():
    Sx, Syx, Sy = random_moments(3, 4)
    M = LinearSSL(3, 3, Sx, Syx, Sy, 0.02)
    par, tot = M.e1_roots(method="parameter"), M.e1_roots(method="homotopy")
    assert par["complete"] == tot["complete"] == "checked" and par["certified"]
    assert len(par["roots"]) == len(tot["roots"]) > 0
    for S, pd in zip(par["roots"], par["positive_definite"]):
        j = int(np.argmin([np.linalg.norm(S - T) for T in tot["roots"]]))
        assert np.linalg.norm(S - tot["roots"][j]) < 1e-10 * np.linalg.norm(S)
        assert pd == tot["positive_definite"][j]
        assert M.e1_residual(S) < 1e-14


def test_parameter_homotopy_m4_roots_are_certified_and_psd_ones_bounded():
    Sx, Syx, Sy = random_moments(4, 3)
    M = LinearSSL(4, 4, Sx, Syx, Sy, 0.02)
    out = M.e1_roots()
    assert out["method"].startswith("parameter homotopy") and out["complete"] == "checked" and out["certified"]
    assert sum(out["positive_definite"]) >= 1
    bound = psd_root_bound(Sx, Syx, 0.02)
    for S, pd in zip(out["roots"], out["positive_definite"]):
        assert M.e1_residual(S) < 1e-13
        assert np.allclose(S, S.T)
        assert (np.linalg.eigvalsh(S)[0] > 0) == pd
        if pd:
            assert np.linalg.norm(S) <= bound


def test_psd_root_bound_is_attained_for_m1_at_lambda_zero():
    # m = 1, λ = 0: (ρS)² = τ²S has the root S = τ²/ρ², and the bound is exactly that
    for rho, tau in ((0.5, 1.3), (2.0, -0.7)):
        assert psd_root_bound(np.array([[rho]]), np.array([[tau]]), 0.0) == pytest.approx(tau ** 2 / rho ** 2, rel=1e-12)


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 10_000), st.floats(1e-3, 0.5))
def test_psd_root_bound_holds_on_every_stratum_m2(seed, lam):
    Sx, Syx, Sy = random_moments(2, seed)
    M = LinearSSL(2, 2, Sx, Syx, Sy, lam)
    bound = psd_root_bound(Sx, Syx, lam)
    for c in M.equilibrium_set("sg"):
        assert np.linalg.norm(c.info["S"]) <= bound


def test_psd_root_bound_is_infinite_without_a_positive_definite_sigma_x():
    # Σx = diag(1, 0), Σyx = 0, λ = 0: S = diag(0, s) gives L = SΣx = 0, so S·E(S) = 0 for every s ≥ 0 (unbounded)
    Sx = np.diag([1.0, 0.0])
    for s in (1.0, 1e6):
        S = np.diag([0.0, s])
        L = S @ Sx
        assert np.allclose(S @ (L.T @ L), 0)
    assert psd_root_bound(Sx, np.zeros((2, 2)), 0.0) == np.inf
    assert psd_root_bound(np.diag([1.0, -1.0]), np.eye(2), 0.1) == np.inf


def test_solution_count_mod_p_takes_floats_exactly_and_refuses_irrational_coefficients():
    x, y = sp.symbols("x y")
    assert solution_count_mod_p([x ** 2 - 0.25, x * y - 1.5], [x, y], PRIME) == 2  # x = ±1/2, y = 3/(2x): two roots
    with pytest.raises(ValueError, match="eqs"):
        solution_count_mod_p([x ** 2 - sp.pi, y], [x, y], PRIME)


def test_parameter_method_without_a_start_system_is_refused_at_m5_with_the_reason():
    Sx, Syx, Sy = random_moments(5, 1)
    M = LinearSSL(5, 5, Sx, Syx, Sy, 0.05)
    with pytest.raises(ValueError, match="m: method='parameter' at m = 5"):
        M.e1_roots(method="parameter")
    with pytest.raises(ValueError, match="32768 total-degree homotopy paths"):
        M.e1_roots()


def test_homotopies_failing_on_the_same_root_do_not_make_the_roots_complete(monkeypatch):
    """Every run fails on the path to one root (simulated: that root removed from each run's end points, one failed
    path).  Runs that agree with each other are no evidence then: the roots are incomplete, said in 'defects',
    and after MAX_RUNS homotopies.  With one run that has no failed path the same root set is complete."""
    import symdyn.models.ssl_e1_homotopy as H
    from symdyn.models.ssl_e1 import e1_scaling

    Sx, Syx, _ = random_moments(3, 4)
    sc = e1_scaling(Sx, Syx, 0.02)
    args = (Sx / sc["a"], Syx / sc["b"], sc["lam"], 0, 34)
    honest = H._run
    calls = []

    def losing_one(sysm, *rest, failed=1):
        out = honest(sysm, *rest)
        real = np.flatnonzero(np.linalg.norm(out["X"].imag, axis=1) < 1e-8)
        keep = np.ones(len(out["X"]), dtype=bool)
        keep[real[np.argmax(np.trace(sysm.matrices(out["X"][real].real), axis1=1, axis2=2))]] = False
        calls.append(1)
        return {**out, "X": out["X"][keep], "beta": out["beta"][keep], "alpha": out["alpha"][keep], "failed": failed}

    monkeypatch.setattr(H, "_run", losing_one)
    out = H.parameter_roots(*args)
    assert len(calls) == H.MAX_RUNS and out["runs"] == H.MAX_RUNS
    assert out["complex_count"] == out["count"] - 1 and "roots may be missing" in out["defects"]
    calls.clear()
    monkeypatch.setattr(H, "_run", lambda *a: losing_one(*a, failed=0))
    out = H.parameter_roots(*args)
    assert len(calls) == 1 and not out["defects"] and "every path accounted for" in out["method"]


@settings(max_examples=15)
@given(st.integers(0, 2 ** 32 - 1), st.sampled_from([2, 3]), st.booleans())
def test_e1_ball_system_encloses_the_exact_values(seed, m, complex_):
    """F and J of (E1) in ball arithmetic (real, and complex as the real system (Re E, Im E) in (Re x, Im x)) hold the
    exact values, computed by mpmath at 60 digits, at the centre and at random points and corners of the box."""
    import mpmath

    from symdyn.balls import Ball

    rng = np.random.default_rng(seed)
    Sx = rng.standard_normal((m, m))
    Sx = Sx @ Sx.T + np.eye(m)
    Syx, lam = rng.standard_normal((m, m)), float(rng.uniform(0.01, 0.5))
    sysm = E1System(m)
    N = sysm.N
    F, J = sysm.ball_system(Sx, Syx, lam, complex_=complex_)
    dim = 2 * N if complex_ else N
    c = rng.standard_normal((1, dim))
    rad = np.full((1, dim), 1e-3)
    box = Ball(c, rad)
    FB, JB = F(box), J(box)
    iu = np.triu_indices(m)
    with mpmath.workdps(60):
        for k in range(6):
            pt = c[0] + rad[0] * (rng.uniform(-1, 1, dim) if k < 4 else rng.choice([-1.0, 1.0], dim))
            if k == 0:
                pt = c[0]
            z = [mpmath.mpf(v) for v in pt[:N]]
            if complex_:
                z = [a + 1j * mpmath.mpf(b) for a, b in zip(z, pt[N:])]
            S = mpmath.matrix(m, m)
            for q, (i, j) in enumerate(zip(*iu)):
                S[i, j] = S[j, i] = z[q]
            X, Y = mpmath.matrix(Sx.tolist()), mpmath.matrix(Syx.tolist())
            L = S * X + lam * mpmath.eye(m)
            E = L.T * L - Y.T * S * Y
            vals = [E[i, j] for i, j in zip(*iu)]
            exact = [mpmath.re(v) for v in vals] + ([mpmath.im(v) for v in vals] if complex_ else [])
            assert all(abs(e - FB.mid[0, q]) <= FB.rad[0, q] for q, e in enumerate(exact))
            cols = []
            for q in range(N):  # ∂E/∂s_q = Σx B_q L + (Σx B_q L)ᵀ − Σyxᵀ B_q Σyx
                B = mpmath.matrix(sysm.basis[q].tolist())
                D = X * B * L
                D = D + D.T - Y.T * B * Y
                cols.append([D[i, j] for i, j in zip(*iu)])
            Jm = [[cols[q][i] for q in range(N)] for i in range(N)]
            if complex_:
                full = [[mpmath.re(Jm[i][q]) for q in range(N)] + [-mpmath.im(Jm[i][q]) for q in range(N)] for i in range(N)]
                full += [[mpmath.im(Jm[i][q]) for q in range(N)] + [mpmath.re(Jm[i][q]) for q in range(N)] for i in range(N)]
            else:
                full = [[mpmath.re(v) for v in row] for row in Jm]
            assert all(abs(full[i][j] - JB.mid[0, i, j]) <= JB.rad[0, i, j] for i in range(dim) for j in range(dim))


@pytest.mark.parametrize("m,seed,lam", [(3, 1, 0.1), (3, 2, 0.01)])
def test_double_precision_certificates_match_the_high_precision_alpha_test(m, seed, lam, monkeypatch):
    """(E1)'s real roots certified in balls (method "krawczyk") are the roots the 40-digit α-test certifies when the
    ball route is switched off; complex roots certified in balls have imaginary parts beyond their box; a point off
    every root is certified neither way."""
    from symdyn.models import ssl_e1_homotopy as eh
    from symdyn.models.ssl_e1 import e1_scaling

    Sx, Syx, _ = random_moments(m, seed)
    sc = e1_scaling(Sx, Syx, lam)
    args = (Sx / sc["a"], Syx / sc["b"], sc["lam"], 0, 40)
    balls = eh.parameter_roots(*args)
    monkeypatch.setattr(eh, "BALL_WIDTHS", ())
    alpha = eh.parameter_roots(*args)
    assert balls["defects"] == alpha["defects"] == "" and len(balls["real"]) > 0
    assert all(r.method == "krawczyk" for r in balls["real"]) and all(r.method == "alpha" for r in alpha["real"])
    a = sorted(tuple(r.as_array().real) for r in balls["real"])
    b = sorted(tuple(r.as_array().real) for r in alpha["real"])
    assert len(a) == len(b) and np.abs(np.array(a) - np.array(b)).max() <= 1e-9 * max(1.0, np.abs(np.array(b)).max())
    monkeypatch.undo()
    sysm = E1System(m)
    X = np.array([r.as_array() for r in balls["real"]])
    off = X + 1e-3 * (1 + np.abs(X))  # not roots
    got = eh._certify_balls(sysm, *args[:3], np.concatenate([X + 0j, off + 0j]), np.full(2 * len(X), 1e-14))
    assert all(c is not None and c.real for c in got[: len(X)]) and all(c is None for c in got[len(X):])


def test_complex_roots_are_certified_in_boxes_clear_of_the_reals():
    """Complex roots of (E1) (Newton from random complex starts, kept when converged to a non-real point) are
    certified in complex boxes (method "krawczyk", real False) clear of the real subspace; the same points with their
    imaginary parts shrunk to 1e-13 (a box meeting the reals) are not called complex."""
    from symdyn.models import ssl_e1_homotopy as eh

    m = 3
    Sx, Syx, _ = random_moments(m, 4)
    lam = 0.125
    sysm = E1System(m)
    p = pack_data(Sx, Syx, lam)[None]
    rng = np.random.default_rng(0)
    X = crandn(rng, 40, sysm.N)
    P = np.broadcast_to(p, (len(X), p.shape[1]))
    for _ in range(60):
        X = X - np.linalg.solve(sysm.Fx(X, P), sysm.F(X, P)[..., None])[..., 0]
    res = np.abs(sysm.F(X, P)).max(axis=1)
    keep = (res <= 1e-10) & (np.abs(X.imag).max(axis=1) > 1e-3)
    Z = X[keep]
    assert len(Z) >= 2
    got = eh._certify_balls(sysm, Sx, Syx, lam, Z, np.full(len(Z), 1e-14))
    assert all(c is not None and not c.real and c.method == "krawczyk" for c in got)
    assert all(np.abs(c.as_array() - z).max() <= 1e-12 * (1 + np.abs(z).max()) for c, z in zip(got, Z))
    near = Z.real + 1e-13j * np.sign(Z.imag)
    got = eh._certify_balls(sysm, Sx, Syx, lam, near, np.full(len(Z), 1e-14))
    assert all(c is None or c.real for c in got)


def test_a_real_root_is_never_certified_as_complex(monkeypatch):
    """A real root given as an end point with a tiny imaginary part, with the real test made to fail: the complex
    box around it passes the Krawczyk test but meets the real subspace, so it must not be called non-real."""
    from symdyn.balls import Ball
    from symdyn.models import ssl_e1_homotopy as eh
    from symdyn.models.ssl_e1 import e1_scaling

    Sx, Syx, _ = random_moments(3, 1)
    sc = e1_scaling(Sx, Syx, 0.1)
    args = (Sx / sc["a"], Syx / sc["b"], sc["lam"])
    roots = [r.as_array().real for r in eh.parameter_roots(*args, 0, 40)["real"]]
    assert roots
    sysm = E1System(3)
    real_system = E1System.ball_system

    def no_real_test(self, sx, syx, lam, complex_=False):
        F, J = real_system(self, sx, syx, lam, complex_)
        if complex_:
            return F, J
        return F, (lambda X: Ball(J(X).mid, np.full(J(X).mid.shape, 1e9)))  # a hopeless Jacobian enclosure
    monkeypatch.setattr(E1System, "ball_system", no_real_test)
    X = np.array(roots) + 1e-13j
    got = eh._certify_balls(sysm, *args, X, np.full(len(X), 1e-14))
    assert all(c is None for c in got)


def test_an_end_point_is_certified_only_as_its_own_root():
    """An end point far off the reals whose real part lies on a real root: Newton from Re x reaches that root and its
    box passes, but the root is not the end point's, so nothing is certified for it (it goes to mpmath)."""
    from symdyn.models import ssl_e1_homotopy as eh
    from symdyn.models.ssl_e1 import e1_scaling

    Sx, Syx, _ = random_moments(3, 1)
    sc = e1_scaling(Sx, Syx, 0.1)
    args = (Sx / sc["a"], Syx / sc["b"], sc["lam"])
    roots = np.array([r.as_array().real for r in eh.parameter_roots(*args, 0, 40)["real"]])
    got = eh._certify_balls(E1System(3), *args, roots + 0.05j, np.full(len(roots), 1e-14))
    assert all(c is None for c in got)
    got = eh._certify_balls(E1System(3), *args, roots + 0j, np.full(len(roots), 1e-14))
    assert all(c is not None and c.real for c in got)
