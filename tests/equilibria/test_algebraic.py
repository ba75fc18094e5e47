"""equilibrium_components: real components only, certified, against independent solvers."""
import warnings

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, strategies as st

from symdyn import OjaFlow, VectorField
from symdyn.equilibria import equilibrium_components
from symdyn.polysolve import certify_roots, solve_homotopy

x, y, z = sp.symbols("x y z")


def _points(comps):
    return sorted(tuple(np.round(c.point, 8)) for c in comps)


def _field_residual(vf, p):
    return max(abs(float(e.subs(dict(zip(vf.states, p))))) for e in vf.rhs)


def test_complex_roots_are_never_listed():
    # −4x³ − x² − 2x + 1 has one real root (discriminant < 0); x⁴ + 1 has none
    vf = VectorField([x], [-4 * x ** 3 - x ** 2 - 2 * x + 1])
    comps = equilibrium_components(vf)
    real = [complex(r) for r in sp.Poly(vf.rhs[0], x).nroots() if abs(complex(r).imag) < 1e-12]
    assert len(comps) == len(real) == 1
    assert abs(comps[0].point[0] - real[0].real) < 1e-12 and comps[0].certified
    assert equilibrium_components(VectorField([x], [x ** 4 + 1])) == []
    assert equilibrium_components(VectorField([x], [x ** 4 + 1])).certified


def test_quintic_root_is_found_and_certified():
    comps = equilibrium_components(VectorField([x], [x ** 5 - x + 1]))
    (root,) = [float(r) for r in sp.real_roots(x ** 5 - x + 1)]
    assert len(comps) == 1 and abs(comps[0].point[0] - root) < 1e-14 and root < -1.16
    assert isinstance(comps[0].equations[0], sp.Expr) and comps[0].dimension == 0


def test_two_variable_system_agrees_with_homotopy():
    eqs = [x ** 3 - 2 * x * y + y ** 3 - 1, x ** 2 * y ** 2 + x - 3 * y]
    comps = equilibrium_components(VectorField([x, y], eqs))
    h = solve_homotopy(eqs, [x, y], seed=3)
    certified = [r for r in certify_roots(eqs, [x, y], h.endpoints) if r.certified and r.real]
    homotopy_real = sorted({tuple(np.round(r.as_array().real, 8)) for r in certified})
    assert _points(comps) == homotopy_real and len(comps) == 2
    for c in comps:
        assert _field_residual(VectorField([x, y], eqs), c.point) < 1e-12


def test_zero_field_and_common_factors_are_positive_dimensional():
    (whole,) = equilibrium_components(VectorField([x, y], [0, 0]))
    assert whole.dimension == 2 and whole.certified
    comps = equilibrium_components(VectorField([x, y], [x * (x - 1) * y, x * (x - 1) * (y - 2)]))
    assert [c.dimension for c in comps] == [1, 1]  # the lines x = 0 and x = 1; y = 0 = y − 2 is empty
    assert sorted(round(float(c.point[0]), 12) for c in comps) == [0.0, 1.0]


def test_real_dimension_differs_from_complex_dimension():
    # x² + y² = 0 is a complex curve whose real points are only the origin; x² + y² + 1 = 0 has none
    (origin,) = equilibrium_components(VectorField([x, y], [x ** 2 + y ** 2, 0]))
    assert origin.dimension == 0 and origin.complex_dimension == 1 and np.allclose(origin.point, 0)
    assert equilibrium_components(VectorField([x, y], [x ** 2 + y ** 2 + 1, 0])) == []


def test_points_on_a_positive_dimensional_component_are_not_listed_twice():
    r2 = x ** 2 + y ** 2 + z ** 2 - 1
    comps = equilibrium_components(VectorField([x, y, z], [x * r2, y * r2, (z - 3) * r2]))
    assert [c.dimension for c in comps] == [2, 0]  # the unit sphere and (0, 0, 3)
    assert np.allclose(np.linalg.norm(comps[0].points, axis=1), 1.0)
    assert np.allclose(comps[1].point, [0, 0, 3])


def test_float_coefficients_are_read_exactly():
    comps = equilibrium_components(VectorField([x], [0.5 * x ** 2 - 0.125]))
    assert _points(comps) == [(-0.5,), (0.5,)]


def test_sizes_beyond_the_method_are_refused_before_any_work():
    vf = VectorField([x, y, z], [x ** 4 + y - 1, y ** 4 + z - 2, z ** 4 + x - 3])
    with pytest.raises(ValueError, match=r"Bézout number 4 \* 4 \* 4 = 64"):
        equilibrium_components(vf)
    with pytest.raises(ValueError, match="states"):
        equilibrium_components(VectorField(list(sp.symbols("a0:7")), list(sp.symbols("a0:7"))))


@given(st.lists(st.integers(-6, 6), min_size=2, max_size=6).filter(lambda c: c[-1] != 0))
def test_univariate_against_sympy_real_roots(coeffs):
    p = sum(c * x ** i for i, c in enumerate(coeffs))
    comps = equilibrium_components(VectorField([x], [p]))
    expected = sorted(float(r) for r in set(sp.real_roots(p)))
    assert [c.point[0] for c in comps] == pytest.approx(expected, rel=1e-12, abs=1e-14)
    assert all(c.certified and c.dimension == 0 for c in comps)


_monomials = [1, x, y, x * y, x ** 2, y ** 2, x ** 2 * y, x * y ** 2]


@given(st.lists(st.integers(-4, 4), min_size=16, max_size=16))
def test_two_variable_systems_against_certified_homotopy(coeffs):
    eqs = [sum(c * m for c, m in zip(coeffs[:8], _monomials)) + x ** 3,
           sum(c * m for c, m in zip(coeffs[8:], _monomials)) + y ** 3]
    comps = equilibrium_components(VectorField([x, y], eqs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = solve_homotopy(eqs, [x, y], seed=1)
    found = certify_roots(eqs, [x, y], h.endpoints)
    independent = sorted({tuple(np.round(r.as_array().real, 7)) for r in found if r.certified and r.real})
    ours = sorted(tuple(np.round(c.point, 7)) for c in comps)
    assert all(c.dimension == 0 and c.certified for c in comps)
    assert set(independent) <= set(ours)
    for c in comps:  # every listed point is a real solution
        assert _field_residual(VectorField([x, y], eqs), c.point) < 1e-9 * (1 + np.abs(c.point).max()) ** 3
    if not h.failed and all(r.certified for r in found):  # only simple roots, no failed path: complete too
        assert ours == independent


def test_equilibrium_components_keep_non_isolated_and_isolated_ones():
    comps = equilibrium_components(OjaFlow(np.diag([1.0, 1.0, 2.0])).field())
    dims = sorted(c.dimension for c in comps)
    assert dims == [0, 0, 0, 1]                         # the origin, ±e3, and the unit circle in the λ=1 plane
    x1, x2, x3 = sp.symbols("x_1 x_2 x_3", real=True)
    circle = [c for c in comps if c.dimension == 1][0]
    assert set(circle.equations) == {x1 ** 2 + x2 ** 2 - 1, x3}
    points = {tuple(sp.solve(c.equations, [x1, x2, x3], dict=True)[0].values()) for c in comps if c.dimension == 0}
    assert points == {(0, 0, 0), (0, 0, 1), (0, 0, -1)}
    with pytest.raises(ValueError, match="polynomial"):
        x, y = sp.symbols("x y")
        equilibrium_components(VectorField([x, y], [sp.sin(x), y]))


def test_isolated_equilibria_are_described_exactly_not_up_to_sign():
    a, b, c = sp.symbols("a b c", real=True)
    vf = VectorField.from_objective((b * a - c) ** 2 / 2 + (a ** 2 + b ** 2) / 20, [a, b], stop_gradient={c: a})
    comps = equilibrium_components(vf)
    assert len(comps) == 5 and all(cp.dimension == 0 for cp in comps)
    for cp in comps:
        sols = sp.solve(cp.equations, [a, b], dict=True)
        assert len(sols) == 1                                   # the equations define one point ...
        assert all(sp.simplify(f.subs(sols[0])) == 0 for f in vf.rhs)   # ... and it is an equilibrium
