"""Stability verdicts on systems whose spectra and stability are known in closed form."""
import numpy as np
import pytest
import sympy as sp

from symdyn import VectorField, stability
from symdyn.stability import classify_spectrum

x, y, z = sp.symbols("x y z")


def _linear(M):
    M = sp.Matrix(M)
    v = sp.Matrix([x, y, z][: M.rows])
    return VectorField(list(v), M * v)


@pytest.mark.parametrize("diag,verdict", [((-1, -2, -3), "asymptotically stable"),
                                          ((1, -2, -3), "saddle"),
                                          ((1, 2, 3), "unstable")])
def test_hyperbolic_linear_systems(diag, verdict):
    rng = np.random.default_rng(0)
    P = sp.Matrix(3, 3, lambda i, j: int(rng.integers(-3, 4))) + 5 * sp.eye(3)  # invertible
    M = P * sp.diag(*diag) * P.inv()
    rep = stability(_linear(M), np.zeros(3))
    assert rep.verdict == verdict
    assert np.allclose(np.sort(rep.eigenvalues.real), np.sort(diag), atol=1e-10)


def test_centre_and_cubic_are_inconclusive():
    rot = VectorField([x, y], [-y, x])
    assert stability(rot, np.zeros(2)).verdict == "inconclusive"
    cubic = VectorField([x], [-x ** 3])   # asymptotically stable, but not by linearisation
    rep = stability(cubic, np.zeros(1))
    assert rep.verdict == "inconclusive" and rep.neutral_count == 1


def test_line_of_equilibria_is_normally_hyperbolic_only_with_the_right_dimension():
    # ẋ = -x(…)… here: the x-axis is a line of equilibria of (ẋ, ẏ) = (x y, -y), attracting in y
    vf = VectorField([x, y], [x * y, -y])
    p = np.array([0.7, 0.0])
    rep = stability(vf, p, manifold_dim=1)
    assert rep.verdict == "asymptotically stable" and rep.normally_hyperbolic
    assert stability(vf, p, manifold_dim=0).verdict == "inconclusive"
    # a repelling line: (ẋ, ẏ) = (x y, y) -> unstable whatever k says
    assert stability(VectorField([x, y], [x * y, y]), p, manifold_dim=1).verdict == "unstable"


def test_mpmath_precision_gives_the_same_spectrum():
    vf = _linear([[-1, 2, 0], [0, -3, 1], [1, 0, -2]])
    rep = stability(vf, np.zeros(3))
    rep_mp = stability(vf, np.zeros(3), precision=40)
    assert rep.verdict == rep_mp.verdict
    exact = np.array([complex(e) for e in sp.Matrix([[-1, 2, 0], [0, -3, 1], [1, 0, -2]]).eigenvals(multiple=True)])
    assert np.allclose(np.sort_complex(rep_mp.eigenvalues), np.sort_complex(exact), atol=1e-14)


def test_tolerances_are_relative_to_scale():
    # the same spectrum scaled by 1e6 gives the same verdict
    mu = np.array([0.0, -1.0, -2.0])
    for s in (1e-6, 1.0, 1e6):
        assert classify_spectrum(mu * s, 1, scale=2 * s).verdict == "asymptotically stable"


def test_bad_arguments():
    vf = _linear([[-1, 0], [0, -1]])
    with pytest.raises(ValueError, match="manifold_dim"):
        stability(vf, np.zeros(2), manifold_dim=-1)
    with pytest.raises(ValueError, match="manifold_dim"):
        stability(vf, np.zeros(2), manifold_dim=3)
    with pytest.raises(ValueError, match="x: expected one point"):
        stability(vf, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="neutral_rtol"):
        stability(vf, np.zeros(2), neutral_rtol=0)
