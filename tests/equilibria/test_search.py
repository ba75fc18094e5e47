"""The independent equilibrium search (many-start Gauss–Newton, integrations): end points are equilibria of the
field (residual), reach the closed-form m = 1 spheres, and bad arguments are refused."""
import numpy as np
import pytest

from symdyn import LinearSSL
from symdyn.equilibria.search import gauss_newton, search_equilibria


def test_search_reaches_both_m1_spheres_and_only_equilibria():
    M = LinearSSL(1, 2, [[1.0]], [[0.8]], None, 0.05)
    k = M.kernel("sg")
    found = search_equilibria(k, starts=40, seed=0, scales=(0.01, 3.0), integrations=3)
    assert len(found) > 0 and found.tried == 40
    assert np.linalg.norm(k.f(found.points), axis=1).max() < 1e-12
    radii = {round(float(np.linalg.norm(M.unpack(x)[0])), 8) for x in found.points}
    # closed form ‖a‖ = (|τ| ∓ √Δ)/2ρ, Δ = τ² − 4ρλ (and the origin)
    d = np.sqrt(0.8 ** 2 - 4 * 0.05)
    expected = {round((0.8 - d) / 2, 8), round((0.8 + d) / 2, 8)}
    assert expected <= radii <= expected | {0.0}
    assert "integration" in set(found.origin)


def test_gauss_newton_converges_onto_a_circle_of_roots():
    # f(x, y) = x² + y² − 1 (a 1-dimensional manifold of roots): the minimum-norm step lands on it
    f = lambda X: (X[:, 0] ** 2 + X[:, 1] ** 2 - 1)[:, None]
    J = lambda X: 2 * X[:, None, :]
    X, ok, res = gauss_newton(f, J, np.array([[2.0, 0.5], [0.1, -0.3]]))
    assert ok.all() and np.allclose(np.linalg.norm(X, axis=1), 1, atol=1e-14)


def test_search_refuses_bad_arguments():
    k = LinearSSL(1, 1, [[1.0]], [[0.8]], None, 0.05).kernel("sg")
    with pytest.raises(ValueError, match="scales"):
        search_equilibria(k, scales=(1.0, 0.1))
    with pytest.raises(ValueError, match="x0"):
        search_equilibria(k, x0=[[np.nan, 0.0]])
    with pytest.raises(ValueError, match="tol"):
        search_equilibria(k, tol=-1)
