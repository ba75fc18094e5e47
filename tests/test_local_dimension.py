"""local_dimension and stability's measured manifold dimension, on fields whose equilibrium sets are known."""
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, strategies as st

from symdyn import VectorField, stability
from symdyn.local_dimension import local_dimension
from symdyn.stability import linear_stability

x, y, z = sp.symbols("x y z")


def test_not_an_equilibrium_gets_no_verdict():
    rep = stability(VectorField([x, y], [-x, -2 * y]).lambdify(), [1.0, 1.0])
    assert rep.verdict == "not an equilibrium" and not rep.is_equilibrium
    assert rep.residual == pytest.approx(np.sqrt(5) / (2 * np.sqrt(2)))
    # an exact equilibrium at a tiny or huge scale passes the check (the residual is relative)
    for s in (1e-8, 1e8):
        vf = VectorField([x], [-s * (x - s)])
        assert stability(vf.lambdify(), [s]).verdict == "asymptotically stable"


def test_measured_dimension_of_a_sphere_of_equilibria():
    # ẋ = −x(‖x‖² − 1): the unit sphere S² is a normally attracting manifold of equilibria (k = 2)
    r2 = x ** 2 + y ** 2 + z ** 2 - 1
    vf = VectorField([x, y, z], [-x * r2, -y * r2, -z * r2])
    p = np.array([0.6, 0.0, 0.8])
    rep = stability(vf, p)
    assert (rep.manifold_dim, rep.manifold_dim_source, rep.verdict) == (2, "measured", "asymptotically stable")
    assert rep.quotient_eigenvalues.real == pytest.approx([-2.0])
    # with the sign reversed the sphere repels
    assert stability(VectorField([x, y, z], [x * r2, y * r2, z * r2]), p).verdict == "unstable"


def test_degenerate_zero_is_inconclusive_not_stable():
    # ẋ = −x³: the origin is isolated (k = 0) but J = 0; the linearisation cannot decide
    rep = stability(VectorField([x], [-x ** 3]), [0.0])
    assert rep.manifold_dim == 0 and rep.verdict == "inconclusive"
    # ẋ = 0, ẏ = −y³ at (a, 0): the line y = 0 (k = 1) has a degenerate normal direction
    rep = stability(VectorField([x, y], [0 * x, -y ** 3]), [0.5, 0.0])
    assert rep.manifold_dim == 1 and rep.verdict == "inconclusive"


def test_zero_field_is_everything():
    vf = VectorField([x, y], [0 * x, 0 * y])
    loc = local_dimension(vf.lambdify().f, vf.lambdify().jacobian, np.array([0.3, -0.2]))
    assert loc.dimension == 2 == loc.corank


def test_slow_stable_direction_is_not_mistaken_for_a_neutral_one():
    # ẋ = −1e-12 x, ẏ = −y: the origin is isolated and stable; the slow rate is far below ‖J‖·1e-7
    vf = VectorField([x, y], [-sp.Rational(1, 10 ** 12) * x, -y])
    rep = stability(vf, [0.0, 0.0])
    assert rep.local_dimension.dimension == 0
    # the generic tolerance cannot call it, and says so; the known-tangent path is for manifolds
    assert rep.verdict == "inconclusive"


def test_tangent_projection_decides_slow_rates():
    J = np.diag([0.0, -1e-12, -1.0])
    assert linear_stability(J, tangent=[[1.0, 0, 0]]).verdict == "asymptotically stable"
    assert linear_stability(np.diag([0.0, 1e-12, -1.0]), tangent=[[1.0, 0, 0]]).verdict == "saddle"
    with pytest.raises(ValueError, match="tangent: the given directions are not neutral"):
        linear_stability(J, tangent=[[0.0, 0, 1.0]])
    # a Jordan block at 0 off the tangent space is not decided
    assert linear_stability(np.array([[0, 1.0], [0, 0]])).verdict == "inconclusive"


@given(st.lists(st.floats(0.05, 5.0), min_size=2, max_size=5), st.integers(0, 2 ** 16),
       st.lists(st.booleans(), min_size=5, max_size=5))
def test_random_linear_fields_with_known_spectra(magnitudes, seed, signs):
    # f(x) = Q diag(μ) Q⁻¹ x with a random well-conditioned Q: the verdict follows the signs of μ
    D = len(magnitudes)
    mu = np.array([m if s else -m for m, s in zip(magnitudes, signs)])
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((D, D)))[0] @ np.diag(rng.uniform(1.0, 2.0, D))
    A = Q @ np.diag(mu) @ np.linalg.inv(Q)
    xs = sp.symbols(f"u0:{D}")
    vf = VectorField(list(xs), list(sp.Matrix(A.tolist()) * sp.Matrix(xs)))
    rep = stability(vf, np.zeros(D))
    expected = ("asymptotically stable" if (mu < 0).all() else "unstable" if (mu > 0).all() else "saddle")
    assert rep.verdict == expected and rep.manifold_dim == 0
    assert np.sort(rep.eigenvalues.real) == pytest.approx(np.sort(mu), rel=1e-8)


@given(st.integers(1, 3), st.integers(0, 2 ** 16))
def test_gradient_fields_with_known_manifolds(k, seed):
    # V(x) = ½ Σ_{i ≥ k} c_i x_i² on R^4: the coordinate subspace {x_k = … = 0} (dimension k) is a manifold of
    # minima; f = −∇V has measured dimension k and is normally hyperbolic there, after a random rotation
    D = 4
    rng = np.random.default_rng(seed)
    c = np.concatenate([np.zeros(k), rng.uniform(0.5, 3.0, D - k)])
    R = np.linalg.qr(rng.standard_normal((D, D)))[0]
    H = R @ np.diag(c) @ R.T
    us = sp.symbols(f"u0:{D}")
    u = sp.Matrix(us)
    potential = (u.T * sp.Matrix(H.tolist()) * u)[0] / 2
    vf = VectorField(list(us), [-sp.diff(potential, s) for s in us])
    p = R @ np.concatenate([rng.standard_normal(k), np.zeros(D - k)])
    rep = stability(vf, p)
    assert rep.manifold_dim == k and rep.verdict == "asymptotically stable"
    assert np.sort(-rep.quotient_eigenvalues.real) == pytest.approx(np.sort(c[k:]), rel=1e-8)
