"""Matrix-free stability: Jacobian-vector products of the attention field, and verdicts from the rightmost
eigenvalues that agree with the dense path and with the closed forms of Theorems A and B."""
import numpy as np
import pytest
from scipy.sparse.linalg import aslinearoperator

from symdyn import SelfAttention
from symdyn.classify import classify, symmetry_orbit_tangent, tangent_stability
from symdyn.models.attention import bipartite_spectrum, consensus_spectrum
from symdyn.stability_matrix_free import matrix_free_stability
from tests.helpers import finite_difference_jacobian


@pytest.mark.parametrize("normalization", ["softmax", "uniform"])
@pytest.mark.parametrize("seed", range(3))
def test_ambient_jvp_is_the_derivative_of_the_field(normalization, seed):
    """DF(X)[U] without DF: against central differences of the field itself, and the tangent operator against
    the dense tangent Jacobian."""
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(2, 7)), int(rng.integers(2, 6))
    model = SelfAttention(n, d, V=rng.standard_normal((d, d)), M=rng.standard_normal((d, d)),
                          beta=float(rng.uniform(0, 3)), normalization=normalization)
    X = model.random_configurations(1, seed=seed)[0]
    Jfd = finite_difference_jacobian(lambda x: model.ambient_f(x.reshape(n, d)).ravel(), X.ravel(), h=1e-5)
    U = rng.standard_normal((3, n, d))
    got = model.ambient_jvp(X, U).reshape(3, -1)
    assert np.abs(got - U.reshape(3, -1) @ Jfd.T).max() <= 1e-7 * np.abs(Jfd).max() * np.abs(U).max() * n * d
    op, JT = model.tangent_operator(X), model.tangent_jacobian(X)
    W = rng.standard_normal((JT.shape[0], 4))
    assert np.abs(op.matmat(W) - JT @ W).max() <= 1e-12 * np.abs(JT).max() * np.abs(W).max() * JT.shape[0]


def _system(rng, d, spectrum):
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return Q, Q @ np.diag(spectrum) @ Q.T


@pytest.mark.parametrize("seed", range(4))
def test_matrix_free_and_dense_verdicts_agree_with_theorems_A_and_B(seed):
    """Consensus and balanced bipartite configurations on every eigenvector of a symmetric V (some stable, some
    saddles; repeated eigenvalues give symmetry orbits to deflate): the matrix-free verdict equals the dense one,
    and its rightmost non-neutral eigenvalue equals the closed form's."""
    rng = np.random.default_rng(seed)
    n, d = 2 * int(rng.integers(2, 5)), int(rng.integers(3, 6))
    lam = np.sort(rng.choice([2.0, 1.0, 0.5, -0.3], size=d))[::-1]    # repeats on purpose
    Q, V = _system(rng, d, lam)
    beta = float(rng.uniform(0.5, 3))
    model = SelfAttention(n, d, V=V, beta=beta)
    for j in range(d):
        v = Q[:, j]
        others = np.delete(lam, j)
        for X, closed in ((np.tile(v, (n, 1)), consensus_spectrum(lam[j], others, n)),
                          (np.vstack([np.tile(v, (n // 2, 1)), np.tile(-v, (n // 2, 1))]),
                           bipartite_spectrum(lam[j], others, beta * v @ model.M @ v, n // 2, n // 2)["eigenvalues"])):
            dense = tangent_stability(model, X, method="dense")
            free = tangent_stability(model, X, method="matrix-free")
            assert free.method == "matrix-free" and dense.method == "dense"
            assert free.verdict == dense.verdict, (j, dense, free)
            k = len(symmetry_orbit_tangent(X, V, model.M))
            assert free.manifold_dim == k
            if dense.verdict in ("asymptotically stable", "saddle", "unstable"):
                closed = np.sort(np.real(closed))
                nonzero = closed[np.abs(closed) > 1e-9]
                assert abs(free.max_real_nonneutral - nonzero.max()) <= 1e-8 * np.abs(lam).max()


def test_auto_goes_matrix_free_above_the_size_and_classify_gives_the_closed_form_verdict():
    """n = 160 tokens in d = 20 (3040 tangent dimensions > MATRIX_FREE_MIN): consensus on the top eigenvector is
    asymptotically stable with rate λ₂ − λ₁ (Theorem A), on the second a saddle."""
    rng = np.random.default_rng(5)
    n, d = 160, 20
    lam = np.linspace(2.0, 0.2, d)
    Q, V = _system(rng, d, lam)
    top = classify(np.tile(Q[:, 0], (n, 1)), V=V, beta=1.0)
    assert top.label == "consensus" and top.stability.method == "matrix-free"
    assert top.stability.verdict == "asymptotically stable"
    assert abs(top.stability.max_real_nonneutral - (lam[1] - lam[0])) <= 1e-9
    second = tangent_stability(SelfAttention(n, d, V=V, beta=1.0), np.tile(Q[:, 1], (n, 1)))
    assert second.method == "matrix-free" and second.verdict == "saddle"
    assert abs(second.max_real_nonneutral - (lam[0] - lam[1])) <= 1e-9


def test_matrix_free_stability_on_known_spectra_and_its_refusals():
    N = 120
    base = -np.linspace(1.0, 5.0, N)
    assert matrix_free_stability(aslinearoperator(np.diag(base))).verdict == "asymptotically stable"
    up = base.copy()
    up[7] = 0.3
    rep = matrix_free_stability(aslinearoperator(np.diag(up)))
    assert rep.verdict == "saddle" and rep.unstable_count == 1 and abs(rep.max_real_nonneutral - 0.3) < 1e-10
    assert matrix_free_stability(aslinearoperator(np.diag(np.abs(up)))).verdict == "unstable"
    zero = base.copy()
    zero[3] = 0.0
    undeclared = matrix_free_stability(aslinearoperator(np.diag(zero)))
    assert undeclared.verdict == "inconclusive" and "neutral" in undeclared.reason
    declared = matrix_free_stability(aslinearoperator(np.diag(zero)), tangent=np.eye(N)[3:4])
    assert declared.verdict == "asymptotically stable" and declared.manifold_dim == 1
    with pytest.raises(ValueError, match="tangent: the given directions are not neutral"):
        matrix_free_stability(aslinearoperator(np.diag(base)), tangent=np.eye(N)[:1])
    # a rotation-dominated (non-normal) stable block: eigenvalues −0.01 ± 3i are the rightmost
    J = np.diag(base)
    J[:2, :2] = [[-0.01, 3.0], [-3.0, -0.01]]
    rot = matrix_free_stability(aslinearoperator(J))
    assert rot.verdict == "asymptotically stable" and abs(rot.max_real_nonneutral + 0.01) < 1e-10


def test_tangent_stability_refuses_a_point_that_is_not_an_equilibrium():
    """Both routes check the residual first: random tokens are no equilibrium, and no verdict is given."""
    model = SelfAttention(8, 4, V=np.diag([2.0, 1.0, 0.5, 0.2]), beta=1.0)
    X = model.random_configurations(1, seed=3)[0]
    assert model.residual(X) > 1e-3
    for method in ("dense", "matrix-free"):
        rep = tangent_stability(model, X, method=method)
        assert rep.verdict == "not an equilibrium" and rep.residual == pytest.approx(model.residual(X))
