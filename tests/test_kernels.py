"""Kernel: batched evaluation agrees with SymPy, parameters, and clear errors."""
import numpy as np
import pytest
import sympy as sp

from symdyn import VectorField

x, y, z, a, b = sp.symbols("x y z a b")
VF = VectorField([x, y, z], [a * x * y - z ** 3, sp.sin(y) + b, x * z - a], params=[a, b])


def _sympy_eval(expr_matrix, point, params):
    subs = dict(zip((x, y, z), point)) | params
    return np.array(expr_matrix.subs(subs).evalf(), dtype=float)


@pytest.mark.parametrize("batch", [(), (4,), (2, 3)])
def test_batched_f_and_jacobian_match_sympy(batch):
    k = VF.lambdify()
    rng = np.random.default_rng(0)
    X = rng.standard_normal(batch + (3,))
    F = k.f(X, a=0.3, b=-1.2)
    J = k.jacobian(X, a=0.3, b=-1.2)
    assert F.shape == batch + (3,) and J.shape == batch + (3, 3)
    flat_X, flat_F, flat_J = X.reshape(-1, 3), F.reshape(-1, 3), J.reshape(-1, 3, 3)
    for p, fv, jv in zip(flat_X, flat_F, flat_J):
        params = {a: 0.3, b: -1.2}
        assert np.allclose(fv, _sympy_eval(VF.rhs, p, params).ravel(), rtol=1e-12, atol=1e-12)
        assert np.allclose(jv, _sympy_eval(VF.jacobian(), p, params), rtol=1e-12, atol=1e-12)


def test_bound_and_per_row_parameters():
    k = VF.lambdify(a=0.5)
    X = np.random.default_rng(1).standard_normal((6, 3))
    bs = np.linspace(-1, 1, 6)
    F = k.f(X, b=bs)
    for i in range(6):
        assert np.allclose(F[i], VF.lambdify().f(X[i], a=0.5, b=bs[i]))
    assert k.param_names == ["b"]


def test_constant_components_broadcast():
    vf = VectorField([x, y], [sp.Integer(1), -y])
    out = vf.lambdify().f(np.zeros((5, 2)))
    assert np.array_equal(out[:, 0], np.ones(5))


def test_errors_name_the_argument():
    k = VF.lambdify(a=1.0, b=0.0)
    with pytest.raises(ValueError, match=r"x: expected trailing dimension D=3"):
        k.f(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="x: contains NaN"):
        k.f(np.array([np.nan, 0, 0]))
    with pytest.raises(ValueError, match="x: cannot be cast"):
        k.f(np.array(["a", "b", "c"]))
    with pytest.raises(ValueError, match=r"missing parameter values for \['b'\]"):
        VF.lambdify(a=1.0).f(np.zeros(3))
    with pytest.raises(ValueError, match="c: not a parameter"):
        VF.lambdify(c=1.0)
    with pytest.raises(ValueError, match="b: contains NaN"):
        VF.lambdify(a=1.0).f(np.zeros(3), b=np.inf)


def test_compilation_is_shared_between_bindings(monkeypatch):
    from symdyn import compiled

    calls = []
    real = compiled.CompiledExpressions._build
    monkeypatch.setattr(compiled.CompiledExpressions, "_build", lambda *a, **k: calls.append(1) or real(*a, **k))
    field = VectorField(VF.states, VF.rhs, VF.params)   # a fresh field: nothing compiled yet
    k1 = field.lambdify(a=1.0, b=2.0)
    k2 = field.lambdify(a=3.0, b=2.0)
    x = np.array([0.3, -0.2, 0.5])
    f1 = k1.f(x)
    assert len(calls) == 1                                # f compiled once ...
    f2 = k2.f(x)
    assert len(calls) == 1                                # ... and reused by the other binding
    assert np.allclose(f2, field.lambdify().f(x, a=3.0, b=2.0)) and not np.allclose(f1, f2)


def test_mpmath_jacobian_agrees():
    k = VF.lambdify(a=0.3, b=0.1)
    p = np.array([0.2, -0.4, 1.1])
    Jmp = k.jacobian_mp(p, dps=40)
    assert np.allclose(np.array(Jmp.tolist(), dtype=float), k.jacobian(p), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("size", [1, 15, 64, 65, 300, 8192, 8193, 20000])
def test_all_finite_agrees_with_the_entrywise_test_in_every_size_tier(size):
    """all_finite (Python sum / entry-wise scan / BLAS sum of squares by size) is exactly np.isfinite(a).all(),
    including sums that overflow (1e308 entries) and ±inf pairs whose sum is NaN."""
    from symdyn._validate import all_finite

    rng = np.random.default_rng(size)
    for special in (None, np.nan, np.inf, -np.inf, 1e308, -1e308, 1e200):
        a = rng.standard_normal(size)
        if special is not None:
            a[rng.integers(size, size=max(1, size // 7))] = special
        assert all_finite(a) == bool(np.isfinite(a).all())
        assert all_finite(a.reshape(1, -1)[:, ::-1]) == bool(np.isfinite(a).all())  # a non-contiguous view
    b = np.full(size, 1e308)
    b[-1] = -np.inf
    assert not all_finite(b)


def test_specialise_compiles_the_bound_values_in_and_agrees_with_the_bound_kernel():
    """Kernel.specialise: the same f, J and mpmath J as the bound kernel, the states as the only arguments; refused
    (naming what is not bound) while a parameter is free or bound to an array; more sets of values than are kept
    still each give their own field."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((7, 3))
    for a_val in (0.3, -1.7, 2.5, 0.0, 1e-3, 4.0, -0.2, 0.9, 1.1, 3.3):  # more than SPECIALISED_KEPT sets of values
        bound = VF.lambdify(a=a_val, b=-1.2)
        spec = bound.specialise()
        assert spec.param_names == [] and len(spec._args()) == 3
        for pts in (X, X[0]):
            assert np.allclose(spec.f(pts), bound.f(pts), rtol=1e-12, atol=1e-12)
            assert np.allclose(spec.jacobian(pts), bound.jacobian(pts), rtol=1e-12, atol=1e-12)
        want = _sympy_eval(VF.jacobian(), X[1], {a: a_val, b: -1.2})
        assert np.allclose(np.array(spec.jacobian_mp(X[1], 30).tolist(), dtype=float), want, rtol=1e-14)
    with pytest.raises(ValueError, match=r"specialise: .*free: \['b'\]"):
        VF.lambdify(a=1.0).specialise()
    with pytest.raises(ValueError, match=r"bound to arrays: \['a'\]"):
        VF.lambdify(a=np.array([1.0, 2.0]), b=0.0).specialise()


def test_specialise_of_a_matrix_form_kernel_compiles_the_values_into_its_compiled_route():
    from symdyn import LinearSSL
    from symdyn.instances import random_moments

    model = LinearSSL(2, 3, *random_moments(2, 0), lam=0.1)  # kappa symbolic: a kernel parameter
    bound = model.field("ema").lambdify(kappa=0.7)
    spec = bound.specialise()
    X = np.random.default_rng(0).standard_normal((5, model.state_dimension("ema")))
    for pts in (X, X[0]):
        assert np.allclose(spec.f(pts), bound.f(pts), rtol=1e-12, atol=1e-12)
        assert np.allclose(spec.jacobian(pts), bound.jacobian(pts), rtol=1e-12, atol=1e-12)
    ref = model.field("ema").lambdify(form="entrywise")
    assert np.allclose(spec.f(X), ref.f(X, kappa=0.7), rtol=1e-12, atol=1e-12)


def test_one_state_field_batches_have_the_batch_shape():
    """A one-state field on a batch (N, 1): f is (N, 1) and J (N, 1, 1), each row the single-point value (SymEngine
    returned (N, 1, 1) for f, and x + ηf(x) then broadcast to (N, N, 1))."""
    import sympy as sp

    from symdyn import VectorField

    x = sp.Symbol("x", real=True)
    k = VectorField([x], [x - x ** 3]).lambdify()
    X = np.array([[0.5], [2.0], [-1.5]])
    assert k.f(X).shape == (3, 1) and k.jacobian(X).shape == (3, 1, 1)
    np.testing.assert_allclose(k.f(X)[:, 0], X[:, 0] - X[:, 0] ** 3, rtol=1e-15)
    np.testing.assert_allclose(k.jacobian(X)[:, 0, 0], 1 - 3 * X[:, 0] ** 2, rtol=1e-15)
