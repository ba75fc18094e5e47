"""Deep linear networks (neighbours.md §2): mode fields, conservation, closed form, the full field and DeepLinear."""
import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

from symdyn import stability
from symdyn.models.deep_linear import conserved_quantities, full_field, mode_field, symmetric_closed_form
from tests.helpers import finite_difference_jacobian


def test_deep_linear_mode_equilibria_and_conservation():
    vf = mode_field(2, s=2, tau=1)
    k = vf.lambdify()
    rep = stability(k, np.array([1.0, 2.0]), manifold_dim=1)   # on the hyperbola ab = 2
    assert rep.verdict == "asymptotically stable" and rep.normally_hyperbolic
    assert np.isclose(min(rep.eigenvalues.real), -5.0)          # −(a² + b²)/τ
    origin = stability(k, np.zeros(2))
    assert origin.verdict == "saddle" and np.allclose(sorted(origin.eigenvalues.real), [-2, 2])
    for _, dI in conserved_quantities(mode_field(4)):
        assert dI == 0


def test_symmetric_closed_form_solves_the_ode_and_matches_integration():
    u, residual, (t, s, tau, u0) = symmetric_closed_form()
    assert residual == 0 and sp.simplify(u.subs(t, 0) - u0) == 0
    f = sp.lambdify(t, u.subs({s: 1, tau: 1, u0: 1e-4}))
    ts = np.linspace(0, 20, 81)
    sol = solve_ivp(lambda _, y: 2 * y * (1 - y), (0, 20), [1e-4], t_eval=ts, rtol=1e-12, atol=1e-14)
    assert np.abs(sol.y[0] - f(ts)).max() < 1e-8


def test_full_two_layer_field_matrix_kernel():
    rng = np.random.default_rng(0)
    S31 = rng.standard_normal((3, 4))
    vf = full_field(np.eye(4), S31, hidden=2)
    k = vf.lambdify()
    x = rng.standard_normal(vf.dimension)
    W21, W32 = x[:8].reshape(2, 4), x[8:].reshape(3, 2)
    R = S31 - W32 @ W21
    assert np.allclose(k.f(x), np.concatenate([(W32.T @ R).ravel(), (R @ W21.T).ravel()]))
    assert np.allclose(k.jacobian(x), finite_difference_jacobian(k.f, x), atol=1e-7)


def test_full_two_layer_flow_learns_modes_in_order_as_in_the_note():
    # neighbours.md §2.4: N1 = N2 = 5, N3 = 4, s = (3, 2, 1, 0.5), decoupled start at ε = 1e-3, t = 6
    from symdyn.flows import integrate

    rng = np.random.default_rng(0)
    s = np.array([3.0, 2.0, 1.0, 0.5])
    U, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    V, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    k = full_field(np.eye(5), U @ np.diag(s) @ V[:, :4].T, hidden=5).lambdify()
    eps = 1e-3
    W21, W32 = np.sqrt(eps) * V.T, np.sqrt(eps) * np.c_[U, np.zeros(4)]
    tr = integrate(k, np.r_[W21.ravel(), W32.ravel()], 6.0, t_eval=[6.0])
    W21, W32 = tr.x[-1, :25].reshape(5, 5), tr.x[-1, 25:].reshape(4, 5)
    learned = np.diag(U.T @ W32 @ W21 @ V[:, :4])
    assert np.allclose(learned, [3.00000, 2.00000, 0.99390, 0.22352], atol=1e-5)
    u, _, (t, s_, tau, u0) = symmetric_closed_form()
    closed = [float(u.subs({t: 6, s_: si, tau: 1, u0: eps})) for si in s]
    assert np.allclose(learned, closed, atol=1e-8)


def test_depth_n_full_field_and_balanced_mode_equation():
    from symdyn.models.deep_linear import balanced_mode_equation

    rng = np.random.default_rng(0)
    S11, S31 = np.eye(4) + 0.1 * np.ones((4, 4)), rng.standard_normal((3, 4))
    k = full_field(S11, S31, [3, 2], tau=2.0).lambdify()
    x = rng.standard_normal(k.dimension)
    W1, W2, W3 = x[:12].reshape(3, 4), x[12:18].reshape(2, 3), x[18:].reshape(3, 2)
    G = S31 - W3 @ W2 @ W1 @ S11                       # −∂E/∂P for P = W3 W2 W1
    want = np.r_[((W3 @ W2).T @ G).ravel(), (W3.T @ G @ W1.T).ravel(), (G @ (W2 @ W1).T).ravel()] / 2.0
    assert np.allclose(k.f(x), want, atol=1e-12)
    assert np.allclose(k.jacobian(x), finite_difference_jacobian(k.f, x), atol=1e-6)
    u, s, tau = sp.symbols("u s tau", positive=True)
    for depth in (2, 3, 5):                              # Saxe et al. Eq. 13 with N_l − 1 = depth matrices
        udot, residuals = balanced_mode_equation(depth)
        assert all(r == 0 for r in residuals)
        assert sp.simplify(udot - depth / tau * u ** (2 - sp.Rational(2, depth)) * (s - u)) == 0
    with pytest.raises(ValueError, match="sigma11: must be symmetric"):
        full_field(np.triu(np.ones((3, 3))), np.ones((2, 3)), 2)
    with pytest.raises(ValueError, match="hidden: expected"):
        full_field(np.eye(3), np.ones((2, 3)), [2, 0])
