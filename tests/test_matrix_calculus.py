"""Matrix calculus: the closed-form flow (matrix_flow) equals the entry-wise derivation of the same objective."""
import numpy as np
import sympy as sp

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
