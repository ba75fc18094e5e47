"""DirectPred (Tian et al. 2021): derived variants, the dictionary to LinearSSL, per-mode pins (neighbours.md §1.5)."""
import numpy as np
import pytest
import sympy as sp

from symdyn import LinearSSL, stability
from symdyn.models.directpred import DirectPred, mode_field, mode_fixed_points
from tests.helpers import finite_difference_jacobian


def _moments(n1, seed):
    rng = np.random.default_rng(seed)
    G, H = rng.standard_normal((2, n1, n1))
    return G @ G.T / n1 + 0.1 * np.eye(n1), H @ H.T / n1


def test_byol_field_equals_the_linear_ssl_ema_field_under_the_dictionary():
    n1, n2 = 3, 4
    X, Xp = _moments(n1, 0)
    dp = DirectPred(n1, n2, X, Xp, alpha_p=1.0, beta=0.7, eta=0.03)
    ssl = LinearSSL(n1, n2, sigma_x=X + Xp, sigma_yx=X, lam=0.03, kappa=0.7)
    x = np.random.default_rng(1).standard_normal((5, ssl.state_dimension("ema")))
    assert np.allclose(dp.field("byol").lambdify().f(x), ssl.kernel("ema").f(x), atol=1e-12)


def test_variants_and_theorem_1_balancing_on_non_isotropic_data():
    n1, n2 = 6, 4
    X, Xp = _moments(n1, 2)
    dp = DirectPred(n1, n2, X, Xp, alpha_p=2.0, beta=0.4, eta=0.05)
    rng = np.random.default_rng(3)
    for variant, D in (("byol", 2 * n1 * n2 + n2 * n2), ("simsiam", n1 * n2 + n2 * n2),
                       ("no_stopgrad", n1 * n2 + n2 * n2), ("no_predictor", n1 * n2)):
        k = dp.field(variant).lambdify()
        x = rng.standard_normal(D)
        assert k.f(x).shape == (D,)
        assert np.allclose(k.jacobian(x), finite_difference_jacobian(k.f, x), atol=1e-6)
    # Theorem 1: d/dt(WWᵀ − W_pᵀW_p/α_p) = −2η(WWᵀ − W_pᵀW_p/α_p), whatever W_a does
    k = dp.field("byol").lambdify()
    x = rng.standard_normal(2 * n1 * n2 + n2 * n2)
    dx = k.f(x)
    W, Wp = x[:24].reshape(4, 6), x[24:40].reshape(4, 4)
    dW, dWp = dx[:24].reshape(4, 6), dx[24:40].reshape(4, 4)
    G = W @ W.T - Wp.T @ Wp / 2.0
    dG = dW @ W.T + W @ dW.T - (dWp.T @ Wp + Wp.T @ dWp) / 2.0
    assert np.allclose(dG, -2 * 0.05 * G, atol=1e-12)


def test_no_predictor_collapses_linearly():
    """W_p = I, W_a = W with stop-gradient: Ẇ = −W(X' + ηI) (the factor multiplies on the right)."""
    X, Xp = _moments(3, 4)
    dp = DirectPred(3, 2, X, Xp, eta=0.05)
    W = np.random.default_rng(0).standard_normal((2, 3))
    assert np.allclose(dp.field("no_predictor").lambdify().f(W.ravel()), (-W @ (Xp + 0.05 * np.eye(3))).ravel())


def test_mode_field_pins_and_symbolic_facts():
    facts = mode_fixed_points()
    assert facts["invariant_decay_residual"] == 0
    # derived facts against the note's printed closed forms (neighbours.md §1.3, §1.5)
    tau_, eta_, s2_, beta_ = sp.Symbol("tau_ema", real=True), *sp.symbols("eta sigma2 beta", positive=True)
    rho = 1 + s2_
    root = sp.sqrt(tau_ ** 2 - 4 * eta_ * rho)
    assert sp.simplify(facts["p_minus"] - (tau_ - root) / (2 * rho)) == 0
    assert sp.simplify(facts["p_plus"] - (tau_ + root) / (2 * rho)) == 0
    assert sp.simplify(facts["eta_c"] - tau_ ** 2 / (4 * rho)) == 0
    assert sp.simplify(facts["tau_collapse"] - beta_ / (beta_ - eta_)) == 0
    p_ = sp.Symbol("p", real=True)
    assert facts["slope_at_zero"] == -eta_ and sp.expand(facts["slope_at_nonzero_roots"] - (2 * eta_ - tau_ * p_)) == 0
    vals = {sp.Symbol("tau_ema", real=True): 1, sp.Symbol("eta", positive=True): sp.Rational(1, 20),
            sp.Symbol("sigma2", positive=True): sp.Rational(1, 2)}
    pm, pp = float(facts["p_minus"].subs(vals)), float(facts["p_plus"].subs(vals))
    assert abs(pm - 0.054446657822) < 1e-10 and abs(pp - 0.612220008845) < 1e-10
    assert facts["eta_c"].subs(vals) == sp.Rational(1, 6)
    slopes = [float(facts["slope_at_nonzero_roots"].subs(vals).subs(p_, r)) for r in (pm, pp)]
    assert np.allclose(slopes, [0.045553, -0.512220], atol=1e-6)          # §1.5: +0.045553 at p*₋, −0.512220 at p*₊
    k2 = mode_field(simsiam=True, alpha_p=1, sigma2=0.5, eta=0.05).lambdify()
    for pt, want, verdict in (([0, 0], [-0.1, -0.05], "asymptotically stable"),
                              ([pm, pm ** 2], [-0.1, 0.045553], "saddle"),
                              ([pp, pp ** 2], [-0.51222, -0.1], "asymptotically stable")):
        rep = stability(k2, np.array(pt))
        assert rep.verdict == verdict and np.allclose(np.sort(rep.eigenvalues.real), np.sort(want), atol=1e-6)
    k3 = mode_field(alpha_p=1, sigma2=0.5, eta=0.05, beta=0.4).lambdify()
    rep = stability(k3, np.array([pp, pp ** 2, 1.0]))
    assert np.allclose(np.sort(rep.eigenvalues.real), [-1.37548, -0.14896, -0.1], atol=1e-5)
    rep = stability(k3, np.array([0.0, 0.0, 8 / 7]))                    # collapse at τ* = β/(β − η)
    assert rep.verdict == "asymptotically stable" and np.allclose(np.sort(rep.eigenvalues.real), [-0.35, -0.1, -0.05])
    line = mode_field(simsiam=True, alpha_p=1, sigma2=0.5, eta=0).lambdify()  # η = 0: a line of equilibria
    rep = stability(line, np.array([2 / 3, 0.3]), manifold_dim=1)
    assert rep.normally_hyperbolic and np.isclose(rep.eigenvalues.real.min(), -0.45)


def test_bad_input():
    X, Xp = _moments(3, 0)
    with pytest.raises(ValueError, match="variant: unknown"):
        DirectPred(3, 2, X, Xp).field("moco")
    with pytest.raises(ValueError, match="X: must be symmetric"):
        DirectPred(3, 2, X + np.triu(np.ones((3, 3)), 1), Xp)
    with pytest.raises(ValueError, match="alpha_p"):
        DirectPred(3, 2, X, Xp, alpha_p=0)


def test_isotropic_reduced_field_is_the_full_field_under_a1_a3_and_is_eq_7():
    from symdyn.models.directpred import isotropic_field

    n, ap, s2, eta, tau = 3, 1.7, 0.4, 0.06, 0.8
    rng = np.random.default_rng(7)
    W = rng.standard_normal((n, n))
    A = rng.standard_normal((n, n))
    Wp = (A + A.T) / 2
    # full byol field (matrix kernel, non-reduced) with X = I, X' = σ²I, W_a = τW
    full = DirectPred(n, n, np.eye(n), s2 * np.eye(n), alpha_p=ap, beta=0.5, eta=eta).field("byol").lambdify()
    dx = full.f(np.r_[W.ravel(), Wp.ravel(), (tau * W).ravel()])
    dW, dWp = dx[:n * n].reshape(n, n), dx[n * n:2 * n * n].reshape(n, n)
    F = W @ W.T
    red = isotropic_field(n, ap, s2, eta, tau).lambdify().f(np.r_[Wp.ravel(), F.ravel()])
    rWp, rF = red[:n * n].reshape(n, n), red[n * n:].reshape(n, n)
    assert np.allclose(rF, dW @ W.T + W @ dW.T, atol=1e-12)          # Ḟ = ẆWᵀ + WẆᵀ
    assert np.allclose(rWp, (dWp + dWp.T) / 2, atol=1e-12)           # symmetrised predictor flow
    # Eq. 7 as printed in neighbours.md §1.2
    rho = 1 + s2
    eq7_Wp = -ap / 2 * rho * (Wp @ F + F @ Wp) + ap * tau * F - eta * Wp
    eq7_F = -rho * (Wp @ Wp @ F + F @ Wp @ Wp) + tau * (Wp @ F + F @ Wp) - 2 * eta * F
    assert np.allclose(rWp, eq7_Wp, atol=1e-12) and np.allclose(rF, eq7_F, atol=1e-12)


def test_theorem_3_alignment_identity_needs_the_symmetrised_predictor():
    from symdyn.models.directpred import alignment_K, alignment_identity, isotropic_field

    assert alignment_identity(2).is_zero_matrix and alignment_identity(3).is_zero_matrix
    # Appendix B's unsymmetrised Ẇ_p breaks the identity (A3 is a hypothesis, not decoration)
    vf = isotropic_field(2, symmetrize=False)
    p0, p1, p3, f0, f1, f3 = sp.symbols("p0 p1 p3 f0 f1 f3")
    Wp, F = sp.Matrix([[p0, p1], [p1, p3]]), sp.Matrix([[f0, f1], [f1, f3]])
    rhs = vf.rhs.xreplace(dict(zip(vf.states, list(Wp) + list(F))))
    dWp, dF = rhs[:4, 0].reshape(2, 2), rhs[4:, 0].reshape(2, 2)
    C = F * Wp - Wp * F
    K = alignment_K(Wp, F, *sp.symbols("alpha_p sigma2 eta tau_ema"))
    assert any(sp.expand(e) != 0 for e in dF * Wp + F * dWp - dWp * F - Wp * dF + C * K + K * C)


def test_isotropic_field_bad_input():
    from symdyn.models.directpred import isotropic_field

    with pytest.raises(ValueError, match="n: "):
        isotropic_field(0)
    with pytest.raises(ValueError, match="n: .*too large"):
        isotropic_field(9)
    with pytest.raises(ValueError, match="eta: expected a finite"):
        isotropic_field(2, eta=float("nan"))


def test_stability_tables_of_section_1_5():
    from symdyn.models.directpred import mode_stability_table

    note = {  # neighbours.md §1.5, σ² = 0.5, η = 0.05, τ = 1, α_p = 1, β = 0.4
        ("2-D (p, s)", "collapse"): ([-0.1, -0.05], "asymptotically stable"),
        ("2-D (p, s)", "p*-"): ([-0.1, 0.045553], "saddle"),
        ("2-D (p, s)", "p*+"): ([-0.51222, -0.1], "asymptotically stable"),
        ("3-D (p, s, tau)", "collapse"): ([-0.35, -0.1, -0.05], "asymptotically stable"),
        ("3-D (p, s, tau)", "p*-"): ([-0.44944, -0.1, 0.04054], "saddle"),
        ("3-D (p, s, tau)", "p*+"): ([-1.37548, -0.14896, -0.1], "asymptotically stable"),
    }
    rows = mode_stability_table()
    assert len(rows) == len(note)
    for r in rows:
        want, verdict = note[(r["system"], r["point"])]
        assert r["verdict"] == verdict and np.allclose(r["eigenvalues"], want, atol=1e-5)
    assert np.isclose(rows[3]["x"][2], 8 / 7)
    with pytest.raises(ValueError, match="eta: the non-trivial branch"):
        mode_stability_table(eta=0.2)
