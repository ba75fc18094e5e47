"""Matrix-form kernels agree with the entry-wise kernels and with hand-written NumPy (1e-10 relative)."""
import numpy as np
import pytest
import sympy as sp

from symdyn import LinearSSL, OjaFlow, SelfAttention, VectorField
from symdyn.matrix_kernels import COMPILED_MAX_D, MatrixKernel, matrix_terms, supports_matrix_form
from symdyn.models.ssl_linear import random_moments
from tests.helpers import finite_difference_jacobian


def _rel(a, b):
    return np.abs(a - b).max() / max(np.abs(b).max(), 1e-300)


@pytest.mark.parametrize("m,n", [(1, 1), (1, 3), (2, 4), (3, 5)])
@pytest.mark.parametrize("kind", ["sg", "ema", "gf"])
def test_ssl_matrix_kernel_equals_entrywise(m, n, kind):
    Sx, Syx, Sy = random_moments(m, m + n)
    model = LinearSSL(m, n, Sx, Syx, Sy, lam=0.03, kappa=0.4)
    vf = model.field(kind)
    assert supports_matrix_form(vf)
    km, ke = MatrixKernel(vf, dispatch="matrix"), vf.lambdify(form="entrywise")
    auto = vf.lambdify(form="matrix")
    assert isinstance(auto, MatrixKernel) and isinstance(vf.lambdify(), MatrixKernel)
    X = np.random.default_rng(0).standard_normal((3, 2, vf.dimension))
    assert _rel(km.f(X), ke.f(X)) < 1e-12 and km.route == "matrix" and ke.route == "llvm"
    assert _rel(km.jacobian(X), ke.jacobian(X)) < 1e-12
    assert _rel(km.jacobian(X[0, 0]), finite_difference_jacobian(km.f, X[0, 0])) < 1e-7
    # the automatic dispatch: compiled entry-wise for a small state, the same numbers
    assert _rel(auto.jacobian(X), km.jacobian(X)) < 1e-12
    assert auto.route == ("llvm" if vf.dimension <= COMPILED_MAX_D else "matrix")


def test_ssl_matrix_kernel_equals_handwritten_numpy():
    m, n = 8, 16
    Sx, Syx, Sy = random_moments(m, 1)
    model = LinearSSL(m, n, Sx, Syx, Sy, lam=0.02, kappa=0.5)
    rng = np.random.default_rng(2)
    A, B, C = rng.standard_normal((50, n, m)), rng.standard_normal((50, n, n)), rng.standard_normal((50, n, m))
    k = model.kernel("ema")
    assert isinstance(k, MatrixKernel)
    R = B @ A @ Sx - C @ Syx
    want = model.pack(-np.swapaxes(B, -1, -2) @ R - 0.02 * A, -R @ np.swapaxes(A, -1, -2) - 0.02 * B, 0.5 * (A - C))
    assert _rel(k.f(model.pack(A, B, C)), want) < 1e-10


@pytest.mark.parametrize("d", [3, 10, 50])
def test_oja_matrix_kernel_equals_handwritten_numpy(d):
    rng = np.random.default_rng(d)
    V = rng.standard_normal((d, d))
    X = rng.standard_normal((20, d))
    k = OjaFlow(V).field().lambdify()
    assert isinstance(k, MatrixKernel)
    VX = X @ V.T
    f = VX - np.sum(X * VX, -1, keepdims=True) * X
    J = V - np.sum(X * VX, -1)[:, None, None] * np.eye(d) - X[:, :, None] * (X @ (V + V.T))[:, None, :]
    for kk in (k, MatrixKernel(OjaFlow(V).field(), dispatch="matrix")):  # whatever the dispatch, and the matrix form
        assert _rel(kk.f(X), f) < 1e-12 and _rel(kk.jacobian(X), J) < 1e-12
        assert _rel(kk.f(X[0]), f[0]) < 1e-12 and _rel(kk.jacobian(X[0]), J[0]) < 1e-12
    if d <= 10:  # the entry-wise derivation, built lazily from the matrix form, agrees too
        ke = OjaFlow(V).field().lambdify(form="entrywise")
        assert _rel(ke.jacobian(X), J) < 1e-10


def test_attention_matrix_kernel_equals_handwritten_numpy():
    rng = np.random.default_rng(0)
    n, d = 16, 8
    V, M = rng.standard_normal((2, d, d))
    model = SelfAttention(n, d, V=V, M=M, beta=1.5)
    X = model.random_configurations(5, seed=1)
    out = np.empty_like(X)
    for b in range(5):  # the most literal loop: f_i = P_i Σ_j softmax_j(β x_iᵀ M x_j) V x_j
        for i in range(n):
            logits = np.array([1.5 * X[b, i] @ M @ X[b, j] for j in range(n)])
            w = np.exp(logits - logits.max())
            w /= w.sum()
            mi = sum(w[j] * V @ X[b, j] for j in range(n))
            out[b, i] = mi - (X[b, i] @ mi) * X[b, i]
    assert _rel(model.f(X), out) < 1e-10


def test_matrix_terms_and_errors():
    A = sp.MatrixSymbol("A", 3, 2)
    B = sp.MatrixSymbol("B", 3, 3)
    terms = matrix_terms((B * A).T * B - 2 * A.T)
    assert [len(lv) for _, lv in terms] and all(isinstance(c, sp.Basic) for c, _ in terms)
    x, y = sp.symbols("x y")
    vf = VectorField([x, y], [-x, -y])
    with pytest.raises(ValueError, match="form: .* has no matrix form"):
        vf.lambdify(form="matrix")
    with pytest.raises(ValueError, match="form: expected"):
        vf.lambdify(form="fast")


def test_matrix_kernel_bad_input_and_parameters():
    model = LinearSSL(2, 3, *random_moments(2, 0), lam=0.1)  # kappa symbolic: a kernel parameter
    k = model.field("ema").lambdify(form="matrix")
    x = np.zeros(model.state_dimension("ema"))
    with pytest.raises(ValueError, match=r"missing parameter values for \['kappa'\]"):
        k.f(x)
    with pytest.raises(ValueError, match="x: expected trailing dimension D=21"):
        k.f(np.zeros(5), kappa=1.0)
    kk = np.array([0.5, 1.0, 2.0])
    X = np.random.default_rng(0).standard_normal((3, x.size))
    got = k.f(X, kappa=kk)
    for i in range(3):
        assert np.allclose(got[i], model.field("ema").lambdify(form="entrywise").f(X[i], kappa=kk[i]))


@pytest.mark.parametrize("kind", ["sg", "ema"])
@pytest.mark.parametrize("m,n", [(2, 4), (3, 5)])
def test_kernels_agree_with_the_benchmark_baselines(kind, m, n):
    """The hand-written references in benchmarks/baselines.py are what `make bench` compares against."""
    from benchmarks import baselines

    Sx, Syx, Sy = random_moments(m, 4)
    model = LinearSSL(m, n, Sx, Syx, Sy, lam=0.05, kappa=0.3)
    X = np.random.default_rng(1).standard_normal((6, model.state_dimension(kind)))
    kap = 0.3 if kind == "ema" else None
    for form in ("matrix", "entrywise"):
        k = model.field(kind).lambdify(form=form)
        assert _rel(k.f(X), baselines.ssl_f(X, n, m, Sx, Syx, 0.05, kap)) < 1e-10
        assert _rel(k.jacobian(X), baselines.ssl_J(X, n, m, Sx, Syx, 0.05, kap)) < 1e-10
    V = np.random.default_rng(2).standard_normal((7, 7))
    x = np.random.default_rng(3).standard_normal((4, 7))
    k = OjaFlow(V).field().lambdify()
    assert _rel(k.f(x), baselines.oja_f(x, V)) < 1e-10 and _rel(k.jacobian(x), baselines.oja_J(x, V)) < 1e-10
    att = SelfAttention(5, 3, V=V[:3, :3], M=V[3:6, :3], beta=2.0)
    Xa = att.random_configurations(4, seed=0)
    assert _rel(att.f(Xa), baselines.attention_f(Xa, att.V, att.M, 2.0)) < 1e-10


def test_vector_state_jacobian_updates_regrouped_at_build_time_agree_with_the_entrywise_derivation():
    """Two vector states with several rank-one Jacobian terms per block (columns x, y, A·x; transposed and
    untransposed pairings; the identity): the generated code regroups them per column and drops the outer products
    it no longer reads, and still agrees with SymPy's entry-wise derivation, batch and single point."""
    d = 4
    xs, ys = sp.MatrixSymbol("x", d, 1), sp.MatrixSymbol("y", d, 1)
    A, B, C = (sp.MatrixSymbol(s, d, d) for s in "ABC")
    form = {xs: A * xs * (ys.T * B * xs) - xs * (xs.T * C * ys) + ys * (xs.T * xs) - 3 * xs,
            ys: xs * (ys.T * ys) - B * ys * (xs.T * A * xs) + A.T * xs * (ys.T * xs)}
    rng = np.random.default_rng(7)
    values = {s: rng.standard_normal((d, d)) for s in "ABC"}
    states = [sp.Symbol(f"x{i}") for i in range(d)] + [sp.Symbol(f"y{i}") for i in range(d)]
    vf = VectorField(states, None, name="two vectors", matrix_form=form, matrix_values=values)
    k = MatrixKernel(vf, dispatch="matrix")
    ke = vf.lambdify(form="entrywise")
    X = rng.standard_normal((6, 2 * d))
    assert _rel(k.f(X), ke.f(X)) < 1e-12 and _rel(k.jacobian(X), ke.jacobian(X)) < 1e-12
    assert _rel(k.f(X[0]), ke.f(X[0])) < 1e-12 and _rel(k.jacobian(X[0]), ke.jacobian(X[0])) < 1e-12
    assert k.route == "matrix"
    # and J is the derivative of f (central differences), independently of either derivation
    assert _rel(k.jacobian(X[0]), finite_difference_jacobian(k.f, X[0])) < 1e-7


def test_dispatch_is_decided_from_counts_not_timings():
    """The route never depends on a timing (results must not depend on load or worker): fresh kernels of the same
    field get the same crossover; Oja's f at d = 20 (bigger matrices: BLAS per point) goes to the matrix form above a
    small batch, J and SSL's many tiny matrices stay compiled; the two routes agree to rounding."""
    V = np.random.default_rng(20).standard_normal((20, 20))
    k1, k2 = OjaFlow(V).field().lambdify(), OjaFlow(V).field().lambdify()
    X = np.random.default_rng(1).standard_normal((500, 20))
    for k in (k1, k2):
        k.f(X[0])
    assert k1._shared["crossover"] == k2._shared["crossover"]
    assert 1 <= k1._shared["crossover"]["f"] < 500 and k1._crossover("J") == float("inf")
    f_big = k1.f(X)
    assert k1.route == "matrix"
    f_one = k1.f(X[0])
    assert k1.route == "llvm" and _rel(f_one, f_big[0]) < 1e-12
    model = LinearSSL(2, 3, *random_moments(2, 0), lam=0.02)
    ks = model.field("sg").lambdify()
    ks.f(np.zeros((4000, ks.dimension)))
    assert ks.route == "llvm" and ks._shared["crossover"]["f"] == float("inf")
