"""EquilibriumComponent: one type for solver and model components; lazy equations; residuals and points."""
import warnings

import numpy as np
import pytest
import sympy as sp

from symdyn import EquilibriumComponent, EquilibriumVariety, LinearSSL, VectorField, equilibrium_components, random_moments


def test_model_components_have_lazy_equations_that_vanish_on_them():
    model = LinearSSL(2, 3, *random_moments(2, seed=4), lam=0.01, kappa=0.5)
    comps = model.equilibria("ema")
    assert comps and all(isinstance(c, EquilibriumComponent) for c in comps)
    for c in comps:
        x = c.sample(3)
        assert c.residual(x) < 1e-10                          # the field vanishes (relative)
        scale = 1 + np.abs(x).max() ** 4
        assert c.equation_residual(x) < 1e-9 * scale          # and so do its defining equations, built on demand
        assert len(c.equations) == 4 + 9 + 6                  # AᵀA − S (m²), BW − AΣyxAᵀ (n²), C − A (nm)
        assert np.allclose(c.point, c.sample(0))


def test_solver_and_model_components_are_one_type():
    assert EquilibriumVariety is EquilibriumComponent
    u, v = sp.symbols("u v")
    comps = equilibrium_components(VectorField([u, v], [u * (1 - u ** 2 - v ** 2), v * (1 - u ** 2 - v ** 2)]))
    circle = [c for c in comps if c.dimension == 1][0]
    assert abs(np.linalg.norm(circle.point) - 1) < 1e-9
    with pytest.raises(ValueError, match="no kernel"):
        circle.residual(circle.point)


def test_model_data_read_as_attributes_is_deprecated_but_works():
    model = LinearSSL(1, 2, [[2.0]], [[1.0]], lam=0.1)
    c = model.equilibria("sg")[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        S = c.S
    assert np.array_equal(S, c.info["S"]) and any(issubclass(w.category, DeprecationWarning) for w in caught)
    with pytest.raises(AttributeError):
        c.no_such_attribute
