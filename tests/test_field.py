"""VectorField: validation, Jacobian (against finite differences), curl / gradient test, LaTeX."""
import numpy as np
import pytest
import sympy as sp

from symdyn import VectorField
from tests.helpers import finite_difference_jacobian

x, y, z, a, b = sp.symbols("x y z a b")


def test_rejects_bad_construction():
    with pytest.raises(TypeError, match="states"):
        VectorField(["x", y], [x, y])
    with pytest.raises(ValueError, match="rhs"):
        VectorField([x, y], [x])
    with pytest.raises(ValueError, match="neither states nor params"):
        VectorField([x, y], [x * a, y])
    with pytest.raises(ValueError, match="params"):
        VectorField([x, y], [x, y], params=[x])


def test_jacobian_matches_finite_differences():
    vf = VectorField([x, y, z], [sp.sin(x) * y - a * z ** 2, x * y * z + sp.exp(-y), sp.cos(z) * x], params=[a])
    k = vf.lambdify(a=0.7)
    rng = np.random.default_rng(0)
    for _ in range(5):
        p = rng.standard_normal(3)
        J = k.jacobian(p)
        Jfd = finite_difference_jacobian(k.f, p)
        assert np.allclose(J, Jfd, rtol=1e-7, atol=1e-8)


def test_gradient_of_a_potential_is_detected_symbolically():
    rng = np.random.default_rng(1)
    monomials = [x ** i * y ** j * z ** k for i in range(3) for j in range(3) for k in range(3)]
    V = sum(sp.Rational(int(c), 7) * mnm for c, mnm in zip(rng.integers(-5, 6, len(monomials)), monomials)) + a * x * y
    vf = VectorField([x, y, z], [-sp.diff(V, v) for v in (x, y, z)], params=[a])
    check = vf.is_gradient()
    assert check.is_gradient and check.method == "symbolic"
    assert check.curl.is_zero_matrix


def test_rotation_is_not_a_gradient_and_curl_is_antisymmetric_part():
    vf = VectorField([x, y], [-x + a * y, -a * x - y], params=[a])
    check = vf.is_gradient()
    assert not check.is_gradient
    J = vf.jacobian()
    assert sp.simplify(check.curl - (J - J.T) / 2).is_zero_matrix
    w = check.witness
    assert abs(complex(check.curl[w["entry"]].subs(w["point"]))) > 0


def test_non_polynomial_gradient_uses_simplification():
    V = sp.sin(x) * sp.cos(y) + sp.exp(x * y)
    vf = VectorField([x, y], [-sp.diff(V, x), -sp.diff(V, y)])
    assert vf.is_gradient().is_gradient
    vf2 = VectorField([x, y], [sp.sin(y), sp.cos(x) + x])
    assert not vf2.is_gradient().is_gradient


def test_latex_and_subs():
    vf = VectorField([x, y], [-a * x, x * y], params=[a], latex_names={a: r"\alpha"})
    tex = vf.latex()
    assert r"\dot{x}" in tex and r"\alpha" in tex
    vf2 = vf.subs({a: 2})
    assert vf2.params == () and vf2.rhs[0] == -2 * x
    with pytest.raises(ValueError, match="not parameters"):
        vf.subs({b: 1})


def test_rhs_may_be_derived_on_first_use():
    x, y = sp.symbols("x y")
    calls = []

    def derive():
        calls.append(1)
        return [-x + y ** 2, -y]

    vf = VectorField([x, y], derive)
    assert calls == []                                   # nothing derived yet
    assert vf.jacobian() == sp.Matrix([[-1, 2 * y], [0, -1]]) and calls == [1]
    assert vf.rhs[0] == -x + y ** 2 and calls == [1]     # derived once
    bad = VectorField([x, y], lambda: [x])
    with pytest.raises(ValueError, match="rhs: expected 2 components"):
        bad.rhs


def test_user_objective_with_stop_gradient_in_a_few_lines():
    a, b, c, lam = sp.symbols("a b c lam")
    F = (b * a - c) ** 2 / 2 + lam * (a ** 2 + b ** 2) / 2
    sg = VectorField.from_objective(F, [a, b], [lam], stop_gradient={c: a})
    gf = VectorField.from_objective(F.subs(c, a), [a, b], [lam])
    assert not sg.is_gradient().is_gradient and gf.is_gradient().is_gradient
    assert sp.expand(sg.rhs[0] - (-(b * a - a) * b - lam * a)) == 0   # c frozen, then c = a
    with pytest.raises(ValueError, match="stop_gradient"):
        VectorField.from_objective(F, [a, b], [lam], stop_gradient={b: a})


def test_user_model_bad_input_names_the_argument():
    a, b, lam = sp.symbols("a b lam")
    with pytest.raises(ValueError, match=r"states: \['b'\] do not appear in the objective"):
        VectorField.from_objective(a ** 2, [a, b])
    with pytest.raises(ValueError, match="rhs: symbols \\['lam'\\] are neither states nor params"):
        VectorField([a, b], [-lam * a, -b])
    vf = VectorField([a, b], [-lam * a, -b], [lam])
    with pytest.raises(ValueError, match=r"missing parameter values for \['lam'\]"):
        vf.lambdify().f(np.zeros(2))


def test_subs_reaches_the_matrix_form_and_keeps_the_matrix_kernel():
    from symdyn import LinearSSL
    from symdyn.matrix_kernels import MatrixKernel

    model = LinearSSL(1, 2, [[2.0]], [[0.5]])                     # lam stays a parameter
    vf = model.field("sg")
    assert r"\lambda" in vf.latex()
    fixed = vf.subs({"lam": 0.1})
    assert r"\lambda" not in fixed.latex() and fixed.params == ()
    k = fixed.lambdify()
    assert isinstance(k, MatrixKernel)                            # not a silent fall-back to the entry-wise kernel
    x = np.random.default_rng(2).standard_normal(6)
    want = LinearSSL(1, 2, [[2.0]], [[0.5]], lam=0.1).kernel("sg").f(x)
    assert np.allclose(k.f(x), want, rtol=1e-13, atol=1e-15)
    assert np.allclose(fixed.lambdify(form="entrywise").f(x), want, rtol=1e-12, atol=1e-14)
