"""Matrix calculus: the closed-form flow (matrix_flow) equals the entry-wise derivation of the same objective."""
import numpy as np
import sympy as sp
from hypothesis import given, settings, strategies as st

from symdyn import LinearSSL, VectorField
from symdyn.matrix_calculus import matrix_flow


def _entries(name, r, c):
    return sp.Matrix(r, c, lambda i, j: sp.Symbol(f"{name}{i}{j}", real=True))


def test_stop_gradient_and_ema_flows_agree_with_entrywise_differentiation():
    n, m = 2, 2
    A, B, C = sp.MatrixSymbol("A", n, m), sp.MatrixSymbol("B", n, n), sp.MatrixSymbol("C", n, m)
    F = sp.Trace(B * A * A.T * B.T) / 2 - sp.Trace(B * A * C.T) + sp.Trace(A * A.T) / 4
    a, b, c = _entries("a", n, m), _entries("b", n, n), _entries("c", n, m)
    subs = {A: a, B: b, C: c}
    kappa = sp.Symbol("kappa", positive=True)
    closed = matrix_flow(F, [A, B], stop_gradient={C: A})
    with_ema = matrix_flow(F, [A, B], ema={C: (A, kappa)})
    # entry-wise: the same objective with explicit matrices, differentiated with c frozen, then c = a
    Fe = sp.expand(sp.Matrix(F.xreplace(subs).doit())[0] if isinstance(F.xreplace(subs).doit(), sp.MatrixBase)
                   else F.xreplace(subs).doit())
    sg = VectorField.from_objective(Fe, list(a) + list(b), stop_gradient=dict(zip(c, a)))
    ema = VectorField.from_objective(Fe, list(a) + list(b), [kappa], ema={ci: (ai, kappa) for ci, ai in zip(c, a)})
    flat = lambda form: [sp.expand(e) for X in form for e in sp.Matrix(form[X].xreplace(subs).doit())]  # noqa: E731
    assert all(sp.expand(p - q) == 0 for p, q in zip(flat(closed), sg.rhs))
    assert all(sp.expand(p - q) == 0 for p, q in zip(flat(with_ema), ema.rhs))


def test_from_objective_with_matrix_states_gives_the_models_field():
    model = LinearSSL(1, 2)
    kappa = model.kappa_symbol
    vf = VectorField.from_objective(model.objective(), [model.A, model.B], [model.lam_symbol, kappa],
                                    ema={model.C: (model.A, kappa)}, symmetric=(model.Sx, model.Sy))
    assert vf.matrix_form == model.matrix_field("ema")
    x = np.random.default_rng(0).standard_normal(vf.dimension)
    sub = VectorField.from_objective(model.objective(), [model.A, model.B], [model.lam_symbol],
                                     stop_gradient={model.C: model.A}, symmetric=(model.Sx, model.Sy),
                                     matrix_values={r"\Sigma_{x}": [[2.0]], r"\Sigma_{yx}": [[0.5]]})
    numeric = LinearSSL(1, 2, [[2.0]], [[0.5]], lam=0.1)
    assert np.allclose(sub.lambdify(lam=0.1).f(x[:6]), numeric.kernel("sg").f(x[:6]), rtol=1e-13, atol=1e-14)


@settings(max_examples=30)
@given(st.lists(st.sampled_from(["X", "Xt", "P", "Pt", "Q"]), min_size=2, max_size=5),
       st.integers(-3, 3), st.integers(0, 2 ** 32 - 1))
def test_trace_product_rule_equals_the_entrywise_derivative(word, coeff, seed):
    """∂/∂X of c·tr(F₁ ⋯ F_n) (factors X, Xᵀ, P, Pᵀ, Q: 3 × 3, as words over them) by the trace product rule of
    matrix_gradient against the entry-wise derivative ∂/∂x_ij of the explicit trace (Q symmetric: Qᵀ → Q), at
    random numeric matrices.  (SymPy's own matrix derivative is no reference here: it raises on c·tr(XᵀXᵀ).)"""
    import numpy as np

    from symdyn.matrix_calculus import matrix_gradient

    X, P, Q = (sp.MatrixSymbol(n, 3, 3) for n in "XPQ")
    table = {"X": X, "Xt": X.T, "P": P, "Pt": P.T, "Q": Q}
    c = sp.Symbol("c")
    term = (coeff + c) * sp.Trace(sp.MatMul(*[table[w] for w in word]))
    got = matrix_gradient(term, X, symmetric=[Q])
    rng = np.random.default_rng(seed)
    x, pm, q = rng.standard_normal((3, 3)), rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    q = q + q.T
    xs = _entries("x", 3, 3)
    explicit = {"X": xs, "Xt": xs.T, "P": sp.Matrix(pm), "Pt": sp.Matrix(pm.T), "Q": sp.Matrix(q)}
    prod = sp.eye(3)
    for w in word:
        prod = prod * explicit[w]
    scalar = (coeff + 0.7) * prod.trace()
    at = {xs[i, j]: x[i, j] for i in range(3) for j in range(3)}
    want = np.array([[float(sp.diff(scalar, xs[i, j]).subs(at)) for j in range(3)] for i in range(3)])
    g = got.subs({X: sp.Matrix(x), P: sp.Matrix(pm), Q: sp.Matrix(q), c: 0.7}).doit()
    g = np.zeros((3, 3)) if isinstance(g, sp.ZeroMatrix) else np.array(g.as_explicit(), dtype=float)
    assert np.abs(g - want).max() <= 1e-10 * (1 + np.abs(want).max())
