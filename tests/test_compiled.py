"""The compiled backend (symdyn.compiled, Kernel, MatrixKernel dispatch) against SymPy-derived references.

References are independent of SymEngine: ``sympy.lambdify`` of the field's SymPy components and of SymPy's own
``Matrix.jacobian`` (SymPy differentiation), and central finite differences."""
import pickle

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from benchmarks import peers
from symdyn import LinearSSL, OjaFlow, VectorField
from symdyn.compiled import CompiledExpressions, sparse_jacobian
from symdyn.instances import random_moments
from symdyn.matrix_kernels import MatrixKernel
from tests.helpers import finite_difference_jacobian


def _rel(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def _sympy_reference(field, values):
    """f and J by sympy.lambdify of SymPy's components and SymPy's Jacobian (no SymEngine involved)."""
    subs = {p: values[str(p)] for p in field.params}
    rhs = sp.Matrix([e.xreplace(subs) for e in field.rhs])
    xs = list(field.states)
    f = sp.lambdify([xs], list(rhs), modules="numpy")
    J = sp.lambdify([xs], rhs.jacobian(xs).tolist(), modules="numpy")
    return (lambda x: np.array(f(x), dtype=float)), (lambda x: np.array(J(x), dtype=float))


def _cases():
    Sx, Syx, Sy = random_moments(2, 0)
    kf, _ = peers.kuramoto(12)
    cf, _ = peers.sparse_cubic(30)
    return [("lorenz96", peers.lorenz96(20), {"F": 8.0}),
            ("kuramoto", kf, {"K": 1.7}),
            ("sparse cubic", cf, {}),
            ("oja", OjaFlow(np.random.default_rng(3).standard_normal((6, 6))).field(), {}),
            ("ssl sg", LinearSSL(2, 3, Sx, Syx, Sy, lam=0.05).field("sg"), {}),
            ("ssl ema", LinearSSL(2, 3, Sx, Syx, Sy, lam=0.05).field("ema"), {"kappa": 0.4})]


@pytest.mark.parametrize("name,field,values", _cases(), ids=[c[0] for c in _cases()])
def test_kernels_agree_with_the_sympy_reference(name, field, values):
    """Batch and single point, f and J: compiled kernels within 1e-12 (relative) of SymPy's own derivation."""
    fr, Jr = _sympy_reference(field, values)
    k = field.lambdify(**values)
    X = 0.4 * np.random.default_rng(7).standard_normal((5, field.dimension))
    F, J = k.f(X), k.jacobian(X)
    assert k.route in ("llvm", "matrix")
    for i, x in enumerate(X):
        assert _rel(F[i], fr(x)) < 1e-12 and _rel(J[i], Jr(x)) < 1e-12
        assert _rel(k.f(x), fr(x)) < 1e-12 and _rel(k.jacobian(x), Jr(x)) < 1e-12   # the single-point path
    assert _rel(J[0], finite_difference_jacobian(k.f, X[0])) < 1e-6


def test_field_jacobian_equals_sympy_differentiation():
    """VectorField.jacobian (SymEngine's derivatives, converted back) is SymPy's Jacobian entry for entry, and keeps
    the states' assumptions."""
    x, y = sp.symbols("x y", real=True)
    a = sp.Symbol("a", positive=True)
    rhs = [sp.sin(x * y) - a * x ** 3, sp.exp(-y) * x + sp.Rational(1, 3) * y ** 2 + sp.Float(0.25) * a]
    vf = VectorField([x, y], rhs, [a])
    J = vf.jacobian()
    ref = sp.Matrix(rhs).jacobian([x, y])
    assert all(sp.simplify(J[i, j] - ref[i, j]) == 0 for i in range(2) for j in range(2))
    assert J.free_symbols <= {x, y, a}
    L = peers.lorenz96(9)
    assert (L.jacobian() - L.rhs.jacobian(L.states)).expand() == sp.zeros(9, 9)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 7), st.integers(1, 4), st.integers(0, 10 ** 6))
def test_random_polynomial_fields(D, terms, seed):
    """Random sparse polynomial fields: the compiled f and J equal SymPy's, at random points."""
    rng = np.random.default_rng(seed)
    x = sp.symbols(f"x0:{D}")
    rhs = []
    for _ in range(D):
        e = sp.Integer(0)
        for _ in range(terms):
            e += sp.Rational(int(rng.integers(-9, 10)), int(rng.integers(1, 5))) * \
                sp.Mul(*[x[int(j)] for j in rng.integers(0, D, size=int(rng.integers(0, 4)))])
        rhs.append(e)
    vf = VectorField(x, rhs)
    fr, Jr = _sympy_reference(vf, {})
    k = vf.lambdify()
    pts = rng.standard_normal((3, D))
    for p in pts:
        assert np.allclose(k.f(p), fr(p), rtol=1e-12, atol=1e-12)
        assert np.allclose(k.jacobian(p), Jr(p), rtol=1e-12, atol=1e-12)
    assert np.allclose(k.jacobian(pts), np.array([Jr(p) for p in pts]), rtol=1e-12, atol=1e-12)


def test_sparse_jacobian_skips_absent_variables_and_zero_derivatives():
    x, y, z = sp.symbols("x y z")
    index, entries = sparse_jacobian([x * y, z, x + 2 * y - y], [x, y, z])
    assert index == [(0, 0), (0, 1), (1, 2), (2, 0), (2, 1)]
    assert [str(e) for e in entries] == ["y", "x", "1", "1", "1"]


def test_fallbacks_say_why_and_stay_right():
    x = sp.Symbol("x")
    c = CompiledExpressions([x], [sp.sinc(x), sp.besselj(0, x)])  # SymEngine cannot compile these
    assert c.backend == "numpy" and "llvm" in c.fallback_reason
    assert np.allclose(c(np.array([[0.7], [1.3]]))[:, 1], [float(sp.besselj(0, v).evalf()) for v in (0.7, 1.3)],
                       rtol=1e-13)
    assert np.allclose(c.point(np.array([0.7])), [float(sp.sinc(0.7).evalf()), float(sp.besselj(0, 0.7).evalf())])
    with pytest.raises(TypeError, match="no backend can compile"):
        CompiledExpressions([x], [sp.Function("g")(x)])
    with pytest.raises(TypeError, match="not arguments"):
        CompiledExpressions([x], [x + sp.Symbol("y")], backend="llvm")
    with pytest.raises(ValueError, match="backend: expected"):
        CompiledExpressions([x], [x], backend="gcc")
    k = VectorField([x], [sp.Heaviside(x) - x]).lambdify()
    assert np.allclose(k.f(np.array([[0.5], [-0.5]])), [[0.5], [0.5]]) and k.route == "numpy"


def test_compiled_functions_pickle():
    x, y = sp.symbols("x y")
    c = CompiledExpressions([x, y], [x * y, x - y])
    c2 = pickle.loads(pickle.dumps(c))
    p = np.array([2.0, 5.0])
    assert np.array_equal(c2.point(p), c.point(p)) and np.array_equal(c2(p[None]), c(p[None]))


def test_single_point_path_refuses_bad_input():
    k = peers.lorenz96(6).lambdify(F=8.0)
    bad = np.zeros(6)
    bad[2] = np.nan
    with pytest.raises(ValueError, match="x: contains NaN or inf"):
        k.f(bad)
    bad[2] = np.inf
    with pytest.raises(ValueError, match="x: contains NaN or inf"):
        k.jacobian(bad)
    big = np.full(6, 1e200)  # finite, although x·x overflows
    assert np.isfinite(k.jacobian(big)).all()
    with pytest.raises(ValueError, match="x: expected trailing dimension"):
        k.f(np.zeros(5))


@pytest.mark.parametrize("kind", ["sg", "ema"])
def test_matrix_kernel_routes_agree(kind):
    """Pinned routes (compiled entry-wise / matrix form) and the calibrated dispatch give the same numbers."""
    Sx, Syx, Sy = random_moments(2, 1)
    vf = LinearSSL(2, 3, Sx, Syx, Sy, lam=0.03, kappa=0.5).field(kind)
    kc, km = MatrixKernel(vf, dispatch="compiled"), MatrixKernel(vf, dispatch="matrix")
    auto = vf.lambdify()
    X = np.random.default_rng(0).standard_normal((40, vf.dimension))
    for x in (X, X[3]):
        assert _rel(kc.f(x), km.f(x)) < 1e-12 and _rel(kc.jacobian(x), km.jacobian(x)) < 1e-12
        assert kc.route == "llvm" and km.route == "matrix"
        assert _rel(auto.f(x), km.f(x)) < 1e-12 and auto.route in ("llvm", "matrix")
    assert set(auto._shared["crossover"]) == {"f"}  # estimated per evaluation, once
    with pytest.raises(ValueError, match="dispatch: expected"):
        MatrixKernel(vf, dispatch="fastest")


def test_an_argument_absent_from_every_expression_is_not_overwritten():
    """SymEngine's CSE names temporaries x0, x1, … avoiding only symbols that occur; x3 occurs nowhere here, and
    without the guard 3/2·x0·x1 evaluated as 3/2·x3 (the CSE temporary for x0·x1 took the argument's name)."""
    x = sp.symbols("x0:5")
    exprs = [sp.Integer(3), -2 * x[0] * x[1] * x[2], x[0] * x[4] / 2, 7 * x[1] ** 2, sp.Rational(3, 2) * x[0] * x[1]]
    p = np.array([0.3, -0.7, 1.1, 0.5, 0.9])
    want = [float(e.subs(dict(zip(x, p)))) for e in exprs]
    c = CompiledExpressions(list(x), exprs)
    assert c.backend == "llvm"
    assert np.allclose(c(p), want, rtol=1e-15) and np.allclose(c.point(p), want, rtol=1e-15)


def test_generated_matrix_code_is_straight_line_numpy():
    V = np.random.default_rng(0).standard_normal((4, 4))
    k = MatrixKernel(OjaFlow(V).field(), dispatch="matrix")
    src = k.source("f")
    assert src.startswith("def f(x, scalars):") and "for " not in src and "sympy" not in src
    assert k.source("J").startswith("def jacobian(x, scalars):")
    with pytest.raises(ValueError, match="what: expected"):
        k.source("g")
    x = np.random.default_rng(1).standard_normal(4)
    assert _rel(k.f(x), V @ x - (x @ V @ x) * x) < 1e-13 and k.route == "matrix"


@pytest.mark.parametrize("kind", ["sg", "ema", "gf"])
def test_compiled_route_is_built_from_the_plan_without_sympy(kind):
    """The small-D route of a matrix-form field compiles components evaluated from the plan in SymEngine: the
    field's SymPy entry-wise derivation is never made, and the numbers equal it (computed afterwards)."""
    Sx, Syx, Sy = random_moments(2, 3)
    vf = LinearSSL(2, 3, Sx, Syx, Sy, lam=0.04, kappa=0.6).field(kind)
    k = MatrixKernel(vf, dispatch="compiled")
    X = 0.5 * np.random.default_rng(4).standard_normal((6, vf.dimension))
    F, J = k.f(X), k.jacobian(X)
    assert vf._rhs is None and k.route == "llvm"  # no SymPy components were derived
    fr, Jr = _sympy_reference(vf, {})
    for i, x in enumerate(X):
        assert _rel(F[i], fr(x)) < 1e-12 and _rel(J[i], Jr(x)) < 1e-12


@pytest.mark.parametrize("kind", ["sg", "ema"])
def test_models_of_one_shape_share_one_compiled_template_with_their_own_data(kind):
    """Within shape_templates() the compiled route of matrix-form kernels is compiled once per matrix form and value
    shapes, with the data as parameters: three SSL models of one shape and different moments, λ, κ share it, and each
    kernel's f and J agree with SymPy's derivation from that model's own numbers (no value of another model leaks
    in).  A fourth model used outside the context compiles its own numbers in, and agrees too."""
    from symdyn.matrix_kernels import shape_templates

    kernels, refs = [], []
    for seed in range(4):
        Sx, Syx, Sy = random_moments(2, seed)
        model = LinearSSL(2, 3, Sx, Syx, Sy, lam=0.01 * (seed + 1), kappa=0.3 + seed)
        field = model.field(kind)
        kernels.append(model.kernel(kind))
        refs.append(_sympy_reference(field, {}))
    X = np.random.default_rng(11).standard_normal((4, kernels[0].dimension))
    for n, (k, (fr, Jr)) in enumerate(zip(kernels, refs)):
        if n < 3:
            with shape_templates():
                F, J = k.f(X), k.jacobian(X)
        else:   # outside the context: its own numbers compiled in
            F, J = k.f(X), k.jacobian(X)
        assert k.route == "llvm"
        for i, x in enumerate(X):
            assert _rel(F[i], fr(x)) < 1e-12 and _rel(J[i], Jr(x)) < 1e-12
            assert _rel(k.jacobian(x), Jr(x)) < 1e-12
    shared = [k._shared["entrywise"] for k in kernels]
    assert shared[0] is shared[1] is shared[2] and "J" in shared[0]   # one compiled Jacobian for the three
    assert shared[3] is not shared[0] and not shared[3].get("extra_params")
    assert _rel(refs[0][1](X[0]), refs[1][1](X[0])) > 1e-3             # and the data do differ
