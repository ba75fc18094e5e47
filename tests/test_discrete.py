"""Discrete-time maps (symdyn.discrete): verdicts from multipliers, the Euler step limit against iteration, the EMA
map's Jacobian against finite differences, attraction-region dimensions (GD vs LSGD, periodic schedules) against
Sylvester's law of inertia and the table of neighbours.md §6.3."""
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symdyn.discrete import (DiscreteMap, attraction_dimension, euler_step_limit, lsgd_preconditioner, map_stability,
                             periodic_laplacian)
from symdyn.field import VectorField


def _linear_field(J):
    xs = sp.symbols(f"x0:{len(J)}")
    return VectorField(list(xs), list(sp.Matrix(J) * sp.Matrix(xs)))


def _stable_matrix(rng, n):
    """A real matrix with eigenvalues in the open left half plane, some complex."""
    Q = rng.standard_normal((n, n))
    D = np.diag(-rng.uniform(0.2, 3.0, n))
    D[0, 1], D[1, 0] = 1.5, -1.5  # a complex pair
    return Q @ D @ np.linalg.inv(Q)


def test_euler_step_limit_matches_iteration():
    rng = np.random.default_rng(3)
    J = _stable_matrix(rng, 4)
    eta_c = euler_step_limit(J)
    nu = np.linalg.eigvals(J)
    assert np.isclose(eta_c, np.min(-2 * nu.real / np.abs(nu) ** 2))
    kernel = _linear_field(J).lambdify()
    x0 = rng.standard_normal((1, 4))
    for factor, grows in ((0.95, False), (1.05, True)):  # x_k = (I + ηJ)^k x0, iterated by the map
        xs, diverged = DiscreteMap.euler(kernel, factor * eta_c).iterate(x0, 4000, blowup=1e12)
        assert (diverged[0] or np.linalg.norm(xs[0]) > 1e3) == grows
        if not grows:
            assert np.linalg.norm(xs[0]) < 1e-3
    m = DiscreteMap.euler(kernel, 0.5 * eta_c)
    assert abs(m.step_limit(lambda e: DiscreteMap.euler(kernel, e), np.zeros(4)) - eta_c) < 1e-8 * eta_c
    with pytest.raises(ValueError, match="J"):
        euler_step_limit(-J)


def test_map_verdicts():
    assert map_stability(np.diag([0.5, -0.9])).verdict == "asymptotically stable"
    assert map_stability(np.diag([0.5, 1.5])).verdict == "saddle"
    assert map_stability(np.diag([2.0, -1.5])).verdict == "unstable"
    assert map_stability(np.diag([0.5, -1.0])).verdict == "inconclusive"  # a multiplier on the unit circle
    rep = map_stability(np.diag([1.0, 0.3]), tangent=[[1.0, 0.0]])  # a line of fixed points
    assert rep.verdict == "asymptotically stable" and rep.manifold_dim == 1
    assert map_stability(np.eye(2) * 0.5, residual=1.0).verdict == "not an equilibrium"
    with pytest.raises(ValueError, match="tangent"):
        map_stability(np.diag([0.9, 0.3]), tangent=[[1.0, 0.0]])


def test_ema_map_jacobian_matches_finite_differences():
    from symdyn.models.ssl_linear import LinearSSL, random_moments

    Sx, Syx, Sy = random_moments(2, 4)
    model = LinearSSL(2, 2, Sx, Syx, Sy, 0.05, kappa=1.0)
    kernel = model.field("ema").lambdify()
    nm, online = 4, 8
    m = DiscreteMap.ema(kernel, 0.1, 0.7, online, slice(0, nm), slice(online, online + nm))
    x = np.random.default_rng(0).standard_normal(m.dimension)
    h = 1e-6
    fd = np.array([(m(x + h * e) - m(x - h * e)) / (2 * h) for e in np.eye(m.dimension)]).T
    assert np.abs(m.jacobian(x) - fd).max() < 1e-7 * (1 + np.abs(fd).max())


def test_ema_map_at_alpha_zero_has_the_sg_limit():
    from symdyn.models.ssl_linear import LinearSSL, random_moments

    Sx, Syx, Sy = random_moments(2, 0)
    model = LinearSSL(2, 3, Sx, Syx, Sy, 0.05, kappa=1.0)
    comp = model.equilibria("sg")[-1]
    x = comp.sample(0)
    eta_sg = euler_step_limit(model.kernel("sg").jacobian(x), tangent=comp.tangent_basis(x))
    ce = model.equilibria("ema")[-1]
    xe = ce.sample(0)
    kema = model.kernel("ema")

    def build(eta):
        return DiscreteMap.ema(kema, eta, 0.0, 15, slice(0, 6), slice(15, 21))

    lim = build(0.01).step_limit(build, xe, tangent=ce.tangent_basis(xe))
    assert abs(lim - eta_sg) < 1e-8 * eta_sg
    assert build(0.99 * lim).stability(xe, tangent=ce.tangent_basis(xe)).verdict == "asymptotically stable"
    assert build(1.01 * lim).stability(xe, tangent=ce.tangent_basis(xe)).verdict in ("saddle", "unstable")


def test_lsgd_operator_spectrum_and_the_table():
    n = 7
    for sigma in (0.5, 3.0):
        A = np.eye(n) - sigma * periodic_laplacian(n)
        expected = np.sort(1 + 4 * sigma * np.sin(np.pi * np.arange(n) / n) ** 2)  # neighbours.md §6.1
        assert np.allclose(np.sort(np.linalg.eigvalsh(A)), expected)
        assert np.allclose(lsgd_preconditioner(n, sigma) @ A, np.eye(n))
    rng = np.random.default_rng(0)
    Q = np.linalg.qr(rng.standard_normal((n, n)))[0]
    B = Q @ np.diag([-1.0, 1, 2, 3, 4, 5, 6]) @ Q.T
    for P in (np.eye(n), lsgd_preconditioner(n, 1.0), lsgd_preconditioner(n, 10.0)):  # the §6.3 table: 6, 6, 6
        d = attraction_dimension(np.eye(n) - 0.05 * P @ B)
        assert (d["stable"], d["unstable"], d["undecided"]) == (6, 1, 0)
    mats = [np.eye(n) - 0.05 * lsgd_preconditioner(n, s) @ B for s in (0.0, 2.0, 9.0)]
    d = attraction_dimension(mats)
    assert np.allclose(d["monodromy"], mats[2] @ mats[1] @ mats[0]) and d["stable"] == 6
    with pytest.raises(ValueError, match="M_or_sequence"):
        attraction_dimension([])


@settings(max_examples=30, deadline=None)
@given(st.integers(3, 8), st.integers(0, 3), st.floats(0.0, 10.0), st.integers(0, 10 ** 6))
def test_property_sylvester_constant_sigma(n, negatives, sigma, seed):
    """Constant-σ LSGD keeps the inertia of B: for small η the stable dimension is n − #(negative eigenvalues)."""
    negatives = min(negatives, n - 1)
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((n, n)))[0]
    ev = np.r_[-rng.uniform(0.1, 2, negatives), rng.uniform(0.1, 5, n - negatives)]
    B = Q @ np.diag(ev) @ Q.T
    eta = 0.5 / ev.max()
    d = attraction_dimension(np.eye(n) - eta * lsgd_preconditioner(n, sigma) @ B)
    assert d["stable"] == n - negatives and d["unstable"] == negatives


def test_bad_input():
    kernel = _linear_field(-np.eye(2)).lambdify()
    with pytest.raises(ValueError, match="P"):
        DiscreteMap.preconditioned(kernel, 0.1, np.eye(3))
    with pytest.raises(ValueError, match="eta"):
        DiscreteMap.euler(kernel, -0.1)
    with pytest.raises(ValueError, match="x"):
        DiscreteMap.euler(kernel, 0.1).stability(np.zeros(3))
    with pytest.raises(TypeError, match="field"):
        DiscreteMap.euler("not a field", 0.1)
