"""Ball arithmetic: every result ball holds the exact result (computed at 60 digits with mpmath) for points drawn
from the operands' balls, including their corners; the Krawczyk test certifies boxes around roots and refuses
boxes without one."""
import mpmath
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from symdyn.balls import Ball, krawczyk_balls


def _exact_matmul(A, B):
    with mpmath.workdps(60):
        return mpmath.matrix(A.tolist()) * mpmath.matrix(B.tolist())


def _holds(ball, exact, shape):
    with mpmath.workdps(60):
        for idx in np.ndindex(*shape):
            lo = mpmath.mpf(float(ball.mid[idx])) - mpmath.mpf(float(ball.rad[idx]))
            hi = mpmath.mpf(float(ball.mid[idx])) + mpmath.mpf(float(ball.rad[idx]))
            if not lo <= exact[idx] <= hi:
                return False
    return True


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 5), st.integers(1, 5), st.integers(1, 5),
       st.sampled_from([0.0, 1e-12, 1e-3]), st.sampled_from([1e-8, 1.0, 1e8]))
def test_products_and_sums_hold_the_exact_results(seed, a, k, b, rad, scale):
    rng = np.random.default_rng(seed)
    A = Ball(scale * rng.standard_normal((a, k)), rad * scale * rng.uniform(size=(a, k)))
    B = Ball(rng.standard_normal((k, b)) / 3, rad * rng.uniform(size=(k, b)))
    C = Ball(scale * rng.standard_normal((a, b)), rad * scale * rng.uniform(size=(a, b)))
    AB = A @ B
    results = {"product": AB, "difference": AB - C, "sum, scaled": AB + AB.scale(1 / 3), "entry-wise": AB * C}
    for _ in range(4):  # random points of the balls, corners included
        pick = rng.choice([-1.0, 1.0, 0.0, 0.5], size=3)
        X, Y, Z = (T.mid + p * T.rad for T, p in zip((A, B, C), pick))
        with mpmath.workdps(60):
            XY = _exact_matmul(X, Y)
            Zm = mpmath.matrix(Z.tolist())
            exact = {"product": XY, "difference": XY - Zm, "sum, scaled": XY + XY / 3,
                     "entry-wise": mpmath.matrix([[XY[i, j] * Zm[i, j] for j in range(b)] for i in range(a)])}
        for name, R in results.items():
            E = np.array([[exact[name][i, j] for j in range(b)] for i in range(a)], dtype=object)
            assert _holds(R, E, (a, b)), name


def test_a_ball_from_rounded_arithmetic_is_strictly_wider_than_the_rounding():
    third = Ball(np.array([1.0])).scale(1 / 3)
    with mpmath.workdps(60):
        assert abs(mpmath.mpf(float(third.mid[0])) - mpmath.mpf(1) / 3) <= third.rad[0]
    x = Ball(np.array([0.1])) + Ball(np.array([0.2]))
    assert x.rad[0] > 0 and x.contains(np.array([0.30000000000000004]))[0]


@pytest.mark.parametrize("n", [2, 3])
def test_krawczyk_balls_certifies_roots_of_a_coupled_system(n):
    """x_i² + 0.1 Σ_j x_j = c_i near a known root: boxes of radius 1e-10 certified, a shifted centre refused."""
    rng = np.random.default_rng(n)
    root = 1 + rng.uniform(size=n)
    c = root ** 2 + 0.1 * root.sum()

    def F(X):
        return X * X + X @ Ball(np.full((n, n), 0.1)) - c

    def J(X):
        return Ball(np.eye(n)) * X.scale(2.0)[..., None] + Ball(np.full((n, n), 0.1))
    x = np.stack([root * (1 + 1e-13), root + 0.01])
    assert krawczyk_balls(F, J, x, np.array([1e-10, 1e-10])).tolist() == [True, False]


def test_krawczyk_balls_refuses_non_finite_centres_and_singular_jacobians():
    """A NaN centre, and a centre where J is singular (x = 0 for x² = 2), are refused row by row, not raised."""
    def F(X):
        return X * X - 2.0

    def J(X):
        return X.scale(2.0)[..., None]
    x = np.array([[np.nan], [0.0], [1.41421356]])
    assert krawczyk_balls(F, J, x, np.full(3, 1e-6)).tolist() == [False, False, True]


def test_a_ball_refuses_negative_or_misshapen_radii_by_name():
    with pytest.raises(ValueError, match="rad"):
        Ball(np.ones(2), -1e-3)
    with pytest.raises(ValueError, match="rad"):
        Ball(np.ones(2), np.ones(3))
