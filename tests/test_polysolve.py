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
