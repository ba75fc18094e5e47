"""Self-attention dynamics: Jacobians against finite differences and SymPy, Theorems A and B on
random instances, the Oja reductions, simulation/refinement, bad input."""
import numpy as np
import pytest
import sympy as sp

from symdyn.models.attention import (SelfAttention, qk_modes, bipartite_spectrum, bipartite_spectrum_symbolic,
                                     consensus_spectrum, consensus_spectrum_symbolic, tangent_bases)
from symdyn.models.oja import MultiAgentOja, OjaFlow
from symdyn.stability import classify_spectrum
from tests.helpers import finite_difference_jacobian


def _random_system(rng, d, symmetric=True):
    G = rng.standard_normal((d, d))
    V = (G + G.T) / 2 if symmetric else G / np.sqrt(d)
    M = rng.standard_normal((d, d))
    return V, M


def _raw_field(model):
    """The ambient field on R^{nd} without the unit-norm check (for finite differences)."""
    def f(x):
        return model.ambient_f(x.reshape(model.n, model.d)).ravel()
    return f


def _sorted(ev):
    ev = np.asarray(ev, dtype=complex)
    return ev[np.lexsort((ev.imag, ev.real))]


@pytest.mark.parametrize("normalization", ["softmax", "uniform"])
@pytest.mark.parametrize("seed", range(4))
def test_jacobian_matches_central_differences(normalization, seed):
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(2, 6)), int(rng.integers(2, 5))
    V, M = _random_system(rng, d, symmetric=bool(seed % 2))
    model = SelfAttention(n, d, V=V, M=M, beta=float(rng.uniform(0, 3)), normalization=normalization)
    X = model.random_configurations(1, seed=seed)[0]
    J = model.jacobian(X)
    Jfd = finite_difference_jacobian(_raw_field(model), X.ravel(), h=1e-5)
    assert np.abs(J - Jfd).max() <= 1e-7 * np.abs(J).max()


@pytest.mark.parametrize("normalization", ["softmax", "uniform"])
def test_symbolic_field_and_jacobian_agree_with_the_matrix_kernel(normalization):
    rng = np.random.default_rng(7)
    n, d = 3, 3
    V, M = _random_system(rng, d)
    model = SelfAttention(n, d, V=V, M=M, beta=0.8, normalization=normalization)
    vf = model.field()
    k = vf.lambdify()
    X = model.random_configurations(4, seed=1)
    assert np.allclose(k.f(X.reshape(4, -1)), model.f(X).reshape(4, -1), rtol=1e-12, atol=1e-13)
    # SymPy's Jacobian of the entry-wise field is an independent derivation of the analytic one
    for x in X:
        assert np.allclose(k.jacobian(x.ravel()), model.jacobian(x), rtol=1e-10, atol=1e-12)


def test_tangent_bases_are_orthonormal_complements():
    X = SelfAttention(5, 4).random_configurations(3, seed=0)
    B = tangent_bases(X)
    assert np.allclose(np.einsum("...pa,...pb->...ab", B, B), np.eye(3), atol=1e-14)
    assert np.allclose(np.einsum("...pa,...p->...a", B, X), 0, atol=1e-14)


THEOREM_SEEDS = range(60)


@pytest.mark.parametrize("seed", THEOREM_SEEDS)
def test_theorem_A_consensus_spectrum(seed):
    rng = np.random.default_rng(100 + seed)
    n, d = int(rng.integers(2, 7)), int(rng.integers(2, 6))
    V, M = _random_system(rng, d)
    model = SelfAttention(n, d, V=V, M=M, beta=float(rng.uniform(0, 6)))
    lam, U = np.linalg.eigh(V)
    j = int(rng.integers(d))
    X = np.tile(U[:, j], (n, 1))
    assert model.residual(X) < 1e-13
    JT = model.tangent_jacobian(X)
    predicted = consensus_spectrum(lam[j], np.delete(lam, j), n)
    assert np.allclose(_sorted(np.linalg.eigvals(JT)), _sorted(predicted), atol=1e-9 * max(1, np.abs(lam).max()))


@pytest.mark.parametrize("normalization", ["softmax", "uniform"])
@pytest.mark.parametrize("seed", THEOREM_SEEDS)
def test_theorem_B_bipartite_spectrum_and_stability(seed, normalization):
    """Theorem B for softmax and (derived here) for 1/n attention, against the numerical tangent Jacobian."""
    rng = np.random.default_rng(200 + seed)
    n, d = int(rng.integers(2, 9)), int(rng.integers(2, 6))
    V, M = _random_system(rng, d)
    beta = float(rng.uniform(0, 4))
    model = SelfAttention(n, d, V=V, M=M, beta=beta, normalization=normalization)
    lam, U = np.linalg.eigh(V)
    j = int(rng.integers(d))
    v = U[:, j]
    n_plus = int(rng.integers(1, n)) if n > 1 else 1
    signs = np.array([1] * n_plus + [-1] * (n - n_plus))
    rng.shuffle(signs)
    X = signs[:, None] * v
    assert model.residual(X) < 1e-12
    JT = model.tangent_jacobian(X)
    pred = bipartite_spectrum(lam[j], np.delete(lam, j), beta * v @ M @ v, n_plus, n - n_plus, normalization)
    ev = np.linalg.eigvals(JT)
    assert np.allclose(_sorted(ev), _sorted(pred["eigenvalues"]), atol=1e-9 * max(1, np.abs(ev).max()))
    verdict = classify_spectrum(ev, 0, np.linalg.norm(JT, 2)).verdict
    if verdict != "inconclusive":
        assert (verdict == "asymptotically stable") == pred["stable"]


def test_symbolic_closed_forms_match_the_numeric_ones():
    S = bipartite_spectrum_symbolic()
    g, npl, nmi, lam, lk = sp.symbols("gamma n_+ n_- lambda lambda_k", real=True)
    rng = np.random.default_rng(3)
    for _ in range(10):
        vals = {g: rng.uniform(-2, 2), npl: int(rng.integers(1, 6)), nmi: int(rng.integers(1, 6)),
                lam: rng.uniform(-2, 2), lk: rng.uniform(-2, 2)}
        num = bipartite_spectrum(vals[lam], [vals[lk]], vals[g], vals[npl], vals[nmi])
        Bk = np.array(S["B_k"].subs(vals).evalf(), dtype=float)
        assert np.isclose(float(S["trace"].subs(vals)), np.trace(Bk))
        assert np.isclose(float(S["det"].subs(vals)), np.linalg.det(Bk))
        assert np.isclose(float(S["d_plus"].subs(vals)), num["d_plus"])
    A = consensus_spectrum_symbolic()
    assert A["disagreement"][0] == -sp.Symbol("lambda")
    U = bipartite_spectrum_symbolic("uniform")  # 1/n: the weights are n_±e^{±γ}/n, not normalised per row
    vals = {g: 0.7, npl: 3, nmi: 2, lam: 1.1, lk: -0.4}
    num = bipartite_spectrum(1.1, [-0.4], 0.7, 3, 2, "uniform")
    assert np.isclose(float(U["d_plus"].subs(vals)), (3 * np.exp(0.7) - 2 * np.exp(-0.7)) / 5)
    assert np.isclose(float(U["det"].subs(vals)), np.prod(num["eigenvalues"][-2:]).real)


def test_uniform_consensus_is_theorem_A_scaled_by_e_gamma():
    """1/n attention at consensus: every weight is e^γ/n, so J_T = e^γ × (the softmax J_T) (Theorem A scaled)."""
    rng = np.random.default_rng(5)
    V, M = _random_system(rng, 3)
    lam, U = np.linalg.eigh(V)
    v = U[:, 2]
    X = np.tile(v, (4, 1))
    Ju = SelfAttention(4, 3, V=V, M=M, beta=1.3, normalization="uniform").tangent_jacobian(X)
    Js = SelfAttention(4, 3, V=V, M=M, beta=1.3).tangent_jacobian(X)
    assert np.allclose(Ju, np.exp(1.3 * v @ M @ v) * Js, atol=1e-12)
    assert np.allclose(_sorted(np.linalg.eigvals(Ju)),
                       _sorted(consensus_spectrum(lam[2], lam[:2], 4, 1.3 * v @ M @ v, "uniform")), atol=1e-10)


@pytest.mark.parametrize("seed", range(5))
def test_consensus_manifold_is_the_oja_flow(seed):
    rng = np.random.default_rng(seed)
    n, d = 5, 4
    V, M = _random_system(rng, d, symmetric=False)
    model = SelfAttention(n, d, V=V, M=M, beta=2.0)
    x = rng.standard_normal(d)
    x /= np.linalg.norm(x)
    oja = OjaFlow(V).field().lambdify()
    assert np.allclose(model.f(np.tile(x, (n, 1))), oja.f(x), atol=1e-13)


@pytest.mark.parametrize("seed", range(5))
def test_balanced_bipartite_manifold_is_a_tanh_rescaled_oja_flow(seed):
    rng = np.random.default_rng(50 + seed)
    n, d = 6, 3
    V, M = _random_system(rng, d)
    beta = float(rng.uniform(0.2, 3))
    model = SelfAttention(n, d, V=V, M=M, beta=beta)
    x = rng.standard_normal(d)
    x /= np.linalg.norm(x)
    s = np.array([1, -1, 1, 1, -1, -1])
    F = model.f(s[:, None] * x)
    oja = OjaFlow(V).field().lambdify().f(x)
    # d/dt (s_i x) = s_i ẋ  with  ẋ = tanh(β xᵀMx) P_x V x
    assert np.allclose(F, s[:, None] * np.tanh(beta * x @ M @ x) * oja, atol=1e-13)


def test_multi_agent_oja_with_frozen_attention_equals_self_attention():
    rng = np.random.default_rng(9)
    n, d = 4, 3
    V, M = _random_system(rng, d)
    model = SelfAttention(n, d, V=V, M=M, beta=1.5)
    X = model.random_configurations(1, seed=2)[0]
    mo = MultiAgentOja(V, model.attention(X)).field().lambdify()
    assert np.allclose(mo.f(X.ravel()), model.f(X).ravel(), atol=1e-13)
    with pytest.raises(ValueError, match="weights: must be non-negative"):
        MultiAgentOja(V, np.full((n, n), 0.3))


def test_oja_flow_linearisation_at_eigenvectors():
    rng = np.random.default_rng(4)
    G = rng.standard_normal((4, 4))
    V = (G + G.T) / 2
    lam, U = np.linalg.eigh(V)
    k = OjaFlow(V).field().lambdify()
    for j in range(4):
        v = U[:, j]
        assert np.linalg.norm(k.f(v)) < 1e-13
        B = tangent_bases(v[None])[0]
        ev = np.linalg.eigvals(B.T @ k.jacobian(v) @ B)
        assert np.allclose(np.sort(ev.real), np.sort(np.delete(lam, j) - lam[j]), atol=1e-12)


def test_simulate_and_refine_reach_equilibria():
    rng = np.random.default_rng(1)
    V, M = _random_system(rng, 3)
    model = SelfAttention(6, 3, V=V, M=M, beta=2.0)
    sim = model.simulate(model.random_configurations(20, seed=0), t_max=1500)
    assert sim.converged.mean() > 0.5
    for X in sim.X[sim.converged][:5]:
        ref = model.refine(X)
        assert ref.converged and ref.residual <= 1e-12
        assert np.allclose(np.linalg.norm(ref.X, axis=1), 1, atol=1e-14)


def test_rotating_tokens_are_not_reported_as_equilibria():
    from symdyn.classify import classify

    V = np.array([[0.2, -1.0, 0.0], [1.0, 0.2, 0.0], [0.0, 0.0, -0.5]])  # dominant eigenvalues 0.2 ± i
    model = SelfAttention(4, 3, V=V, beta=1.0)
    with pytest.warns(RuntimeWarning, match="5 of 5 trajectories did not reach.*5 of them rotate rigidly"):
        sim = model.simulate(model.random_configurations(5, seed=3), t_max=200)
    assert not sim.converged.any()
    assert np.all(sim.residual > 1e-3)
    res = classify(sim.X[0], V=V, beta=1.0)
    assert res.label == "not an equilibrium"
    # ... but a rotating relative equilibrium: V acts on the (e1, e2) plane as 0.2·I + rotation at rate 1
    rel = res.relative
    assert rel.found and rel.equivariant and abs(rel.angular_velocity - 1.0) < 1e-9
    assert rel.stability.verdict == "asymptotically stable"
    import scipy.linalg  # independent check: integrating on, X(t) = X e^{Ωt}ᵀ
    with pytest.warns(RuntimeWarning, match="rotate rigidly"):  # tol = 1e-300: it never stops, and says why
        later = model.simulate(sim.X[0], t_max=1.0, method="rk4", dt=1e-3, tol=1e-300).X
    assert np.abs(later - sim.X[0] @ scipy.linalg.expm(rel.Omega).T).max() < 1e-10


def test_relative_equilibrium_verdicts_modulo_the_orbit():
    """Consensus on the rotating plane of V = aI + bJ (d = 2): stable in the co-rotating frame for a > 0 (it
    attracts its neighbours) and unstable for a < 0; a non-rotating field gives found = False."""
    from symdyn.classify import relative_equilibrium

    X = np.tile([0.6, 0.8], (3, 1))
    for a, verdict in ((0.5, "asymptotically stable"), (-0.5, "unstable")):
        rel = relative_equilibrium(SelfAttention(3, 2, V=np.array([[a, -2.0], [2.0, a]]), beta=0.7), X)
        assert rel.found and abs(rel.angular_velocity - 2.0) < 1e-12 and rel.stability.verdict == verdict
    X2 = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    assert not relative_equilibrium(SelfAttention(3, 2, V=np.diag([1.0, 0.3]), beta=0.7), X2).found


def test_bad_input():
    with pytest.raises(ValueError, match="X: rows must have unit norm"):
        SelfAttention(2, 3).f(np.ones((2, 3)))
    assert np.allclose(np.linalg.norm(SelfAttention(2, 3).f(np.ones((2, 3)), normalize=True)), 0)
    with pytest.raises(ValueError, match=r"X: expected shape \(\.\.\., 2, 3\)"):
        SelfAttention(2, 3).f(np.ones((3, 3)) / np.sqrt(3))
    with pytest.raises(ValueError, match="X: contains NaN"):
        SelfAttention(1, 2).f(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="V: expected a square matrix"):
        SelfAttention(2, 3, V=np.ones((3, 2)))
    with pytest.raises(ValueError, match="M: expected a square matrix"):
        SelfAttention(2, 3, M=np.ones((2, 2)))
    with pytest.raises(ValueError, match="beta: must be >= 0"):
        SelfAttention(2, 3, beta=-1.0)
    assert SelfAttention(2, 3, beta=-1.0, allow_negative_beta=True).beta == -1.0
    with pytest.raises(ValueError, match="normalization: unknown 'sparsemax'"):
        SelfAttention(2, 3, normalization="sparsemax")
    with pytest.raises(ValueError, match="M: give either M or"):
        SelfAttention(2, 3, Q=np.eye(3), K=np.eye(3), M=np.eye(3))
    with pytest.raises(ValueError, match="Q, K: give both"):
        SelfAttention(2, 3, Q=np.eye(3))
    with pytest.raises(ValueError, match="n, d: the entry-wise symbolic field"):
        SelfAttention(8, 4).field()


def test_qk_modes_table_and_gauge_invariance():
    m = qk_modes(np.diag([3.0, -1.0]), np.eye(2))   # A = diag(3, −1)
    assert np.allclose(m["sigma"], [3, 1]) and np.allclose(m["cos"], [1, -1]) and np.isclose(m["cos_avg"], 0.5)
    th = np.pi / 3
    R = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    assert np.isclose(qk_modes(np.eye(2), R)["cos_avg"], 0.5)
    rng = np.random.default_rng(1)
    Wq, Wk, G = rng.standard_normal((3, 8)), rng.standard_normal((3, 8)), rng.standard_normal((3, 3))
    a, b = qk_modes(Wq, Wk), qk_modes(G.T @ Wq, np.linalg.inv(G) @ Wk)
    assert np.isclose(a["cos_avg"], b["cos_avg"], atol=1e-12)
    x, y = rng.standard_normal(8), rng.standard_normal(8)
    assert np.isclose(sum(s * (x @ u) * (v @ y) for s, u, v in zip(a["sigma"], a["U"].T, a["V"].T)), x @ Wq.T @ Wk @ y)


@pytest.mark.parametrize("normalization", ["softmax", "uniform"])
def test_row_convention_helper_matches_a_right_multiplying_implementation(normalization):
    """A code with tokens as rows: logits β (X W_q)(X W_k)ᵀ, update A X W_v, then the projection on each sphere —
    written here independently of the model — equals SelfAttention.from_row_convention(...).f."""
    rng = np.random.default_rng(11)
    n, d, beta = 5, 3, 0.8
    Wq, Wk, Wv = (rng.standard_normal((d, d)) for _ in range(3))
    X = rng.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    logits = beta * (X @ Wq) @ (X @ Wk).T
    A = np.exp(logits)
    A = A / A.sum(axis=1, keepdims=True) if normalization == "softmax" else A / n
    upd = A @ X @ Wv
    f_rows = upd - np.sum(upd * X, axis=1, keepdims=True) * X
    model = SelfAttention.from_row_convention(n, d, Wq, Wk, Wv, beta=beta, normalization=normalization)
    assert np.allclose(model.f(X), f_rows, atol=1e-13)
    assert not np.allclose(SelfAttention(n, d, V=Wv, M=Wq.T @ Wk, beta=beta, normalization=normalization).f(X), f_rows)
    with pytest.raises(ValueError, match="W_q"):
        SelfAttention.from_row_convention(n, d, W_q=Wq)


def test_bipodal_saddle_escape_time_is_reported():
    """The unbalanced antipodal split on S¹ (V = M = I) is a saddle with one e^{−2β}-small unstable eigenvalue
    μ = 2 − p_+ − p_− (Theorem B); classify reports 1/μ; escape_time_scale refuses a stable point."""
    from symdyn.classify import classify
    from symdyn.stability import escape_time_scale, linear_stability

    X = np.array([[1.0, 0.0]] * 3 + [[-1.0, 0.0]])
    res = classify(X, V=np.eye(2), M=np.eye(2), beta=2.0)
    pred = bipartite_spectrum(1.0, [1.0], 2.0, 3, 1)
    assert res.stability.verdict == "saddle"
    assert abs(res.escape_time * (2 - pred["p_plus"] - pred["p_minus"]) - 1) < 1e-9
    with pytest.raises(ValueError, match="report"):
        escape_time_scale(linear_stability(np.diag([-1.0, -2.0])))
    with pytest.raises(ValueError, match="2 unstable"):  # an unstable complex pair: no single escape direction
        escape_time_scale(linear_stability(np.array([[0.1, -1.0, 0], [1.0, 0.1, 0], [0, 0, -1.0]])))
