"""The equilibrium classifier: hand-built configurations of each class, invariances, non-equilibria."""
import numpy as np
import pytest
from scipy.stats import special_ortho_group

from symdyn.classify import classify, clusters_of, symmetry_orbit_dimension

V3 = np.diag([1.0, 0.5, -0.3])


def _polygon(k, d=2, phase=0.0):
    th = phase + 2 * np.pi * np.arange(k) / k
    X = np.zeros((k, d))
    X[:, 0], X[:, 1] = np.cos(th), np.sin(th)
    return X


def _rectangle(a, d=3):
    th = np.array([a, np.pi - a, np.pi + a, -a])
    X = np.zeros((4, d))
    X[:, 0], X[:, 1] = np.cos(th), np.sin(th)
    return X


# (name, X, V, M, beta, expected label): each X is an exact equilibrium of its system
CASES = [
    ("consensus", np.tile([1.0, 0, 0], (5, 1)), V3, np.eye(3), 2.0, "consensus"),
    ("bipartite", np.array([[1.0, 0, 0]] * 3 + [[-1.0, 0, 0]] * 2), V3, np.eye(3), 2.0, "bipartite"),
    # β = 0: every zero-mean configuration is an equilibrium (attention.md §2.2); a non-square rectangle
    ("clustering", np.repeat(_rectangle(0.4), [2, 1, 2, 1], axis=0), V3, np.eye(3), 0.0, "clustering"),
    ("triangle", _polygon(3, 3), np.eye(3), -np.eye(3), 1.0, "polygonal"),
    ("pentagon", _polygon(5, 2), np.eye(2), -np.eye(2), 4.0, "polygonal"),
]


@pytest.mark.parametrize("name,X,V,M,beta,label", CASES, ids=[c[0] for c in CASES])
def test_hand_built_labels_and_invariances(name, X, V, M, beta, label):
    res = classify(X, V=V, M=M, beta=beta)
    assert res.residual < 1e-12 and res.label == label
    assert classify(X).label == label  # geometry alone
    rng = np.random.default_rng(0)
    d = X.shape[1]
    for trial in range(3):
        R = special_ortho_group.rvs(d, random_state=trial)
        perm = rng.permutation(len(X))
        Y = (X @ R.T)[perm]
        Y = Y + 1e-10 * rng.standard_normal(Y.shape)
        Y /= np.linalg.norm(Y, axis=1, keepdims=True)
        for sign in (1, -1):
            r2 = classify(sign * Y, V=R @ V @ R.T, M=R @ M @ R.T, beta=beta)
            assert r2.label == label
            assert sorted(r2.sizes) == sorted(res.sizes)
            if res.stability is not None and res.stability.verdict != "inconclusive":
                assert r2.stability.verdict == res.stability.verdict


def test_alignment_and_snap_test():
    res = classify(CASES[1][1], V=V3, beta=2.0)
    assert res.eigen_aligned and res.exact_eigen_equilibrium
    assert [a["rank"] for a in res.alignment] == [0, 0]
    # consensus on the most negative eigenvector: aligned with rank d-1
    res = classify(np.tile([0, 0, 1.0], (4, 1)), V=V3, beta=1.0)
    assert res.label == "consensus" and res.alignment[0]["rank"] == 2
    # Theorem A: eigenvalues λ_k − λ = 1.3, 0.8 and −λ = 0.3 (×(n−1)(d−1)): all positive
    assert res.stability.verdict == "unstable"
    assert classify(np.tile([0, 1.0, 0], (4, 1)), V=V3, beta=1.0).stability.verdict == "saddle"  # 0.5, −0.8, −0.5


def test_stability_of_polygons_discounts_the_rotation():
    tri = classify(_polygon(3), V=np.eye(2), M=-np.eye(2), beta=1.0)
    assert tri.symmetry_dim == 1 and tri.stability.neutral_count == 1
    assert tri.stability.verdict == "asymptotically stable"
    sq = classify(_polygon(4), V=np.eye(2), M=-np.eye(2), beta=1.0)  # contains antipodal pairs
    assert sq.label == "polygonal" and sq.stability.verdict in ("saddle", "unstable")


def test_null_cone_bipartite_is_bipartite_but_not_eigen_aligned():
    y = np.array([1.0, 1.0]) / np.sqrt(2)
    M = np.diag([1.0, -1.0])          # yᵀMy = 0
    X = np.array([y, y, -y, -y])
    V = np.diag([1.0, 0.5])
    res = classify(X, V=V, M=M, beta=2.0)
    assert res.residual < 1e-14
    assert res.label == "bipartite" and res.null_cone_bipartite and not res.eigen_aligned


def test_near_bipartite_that_fails_the_snap_test_is_clustering():
    # an antipodal pair along a non-eigenvector that is not on the null cone is not an equilibrium
    y = np.array([1.0, 0.3, 0.0])
    y /= np.linalg.norm(y)
    X = np.array([y, y, -y])
    res = classify(X, V=V3, beta=1.0)
    assert res.label == "not an equilibrium"
    assert classify(X).label == "bipartite"  # geometry alone cannot know


def test_random_configuration_is_not_an_equilibrium():
    X = np.random.default_rng(0).standard_normal((6, 3))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    res = classify(X, V=V3, beta=1.0)
    assert res.label == "not an equilibrium" and res.stability is None


def test_clusters_and_symmetry_dimension():
    X = np.array([[1.0, 0, 0], [1.0, 1e-5, 0], [0, 1.0, 0]])
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    assert clusters_of(X) == [[0, 1], [2]]
    assert symmetry_orbit_dimension(X, np.eye(3), np.eye(3)) == 3   # SO(3) acting on two independent points
    assert symmetry_orbit_dimension(X, V3, np.eye(3)) == 0          # distinct eigenvalues: no symmetry


def test_bad_arguments():
    X = np.tile([1.0, 0, 0], (3, 1))
    with pytest.raises(ValueError, match="tol: unknown tolerance"):
        classify(X, tol={"merj": 1e-3})
    with pytest.raises(ValueError, match="beta: the equilibrium check needs V"):
        classify(X, beta=1.0)
    with pytest.raises(ValueError, match=r"V: expected shape \(3, 3\)"):
        classify(X, V=np.eye(2))
    with pytest.raises(ValueError, match="X: rows must have unit norm"):
        classify(2 * X)
    assert classify(2 * X, normalize=True).label == "consensus"
    with pytest.raises(ValueError, match="beta: must be >= 0"):
        classify(X, V=np.eye(3), beta=-1.0)


# ---- equilibrium sets that no symmetry explains; eigenspaces; invariance (issue: never silently wrong) ----
from hypothesis import given, strategies as st  # noqa: E402


def test_consensus_circle_with_V_identity_is_normally_attracting():
    # V = I: every consensus point is an equilibrium (a circle), although no rotation commutes with M
    res = classify(np.tile([1.0, 0.0], (5, 1)), V=np.eye(2), M=np.diag([0.5, 2.0]), beta=1.0)
    assert res.label == "consensus" and res.symmetry_dim == 0 and res.manifold_dim == 1
    assert res.stability.verdict == "asymptotically stable"
    assert np.sort(res.stability.eigenvalues.real) == pytest.approx([-1, -1, -1, -1, 0], abs=1e-12)


def test_alignment_is_measured_against_eigenspaces():
    y = np.array([1.0, 1.0, 0.0]) / np.sqrt(2)
    res = classify(np.tile(y, (4, 1)), V=np.diag([1.0, 1.0, 0.3]), M=np.diag([1.0, 2.0, 3.0]), beta=1.0)
    assert res.eigen_aligned and res.alignment[0]["multiplicity"] == 2 and res.alignment[0]["eigenvalue"] == 1.0
    assert res.label == "consensus" and res.manifold_dim == 1
    assert res.stability.verdict == "asymptotically stable"


def test_relative_tolerances_at_tiny_scale():
    # the same bipartite equilibrium with V scaled by 1e-9: same label and verdict (tolerances relative to ‖V‖)
    X = np.array([[1.0, 0, 0]] * 3 + [[-1.0, 0, 0]] * 2)
    V = np.diag([1.0, 0.5, 0.2])
    ref = classify(X, V=V, beta=2.0)
    small = classify(X, V=1e-9 * V, beta=2.0)
    assert (small.label, small.stability.verdict) == (ref.label, ref.stability.verdict) == ("bipartite", "asymptotically stable")


@given(st.integers(0, 2 ** 16), st.booleans())
def test_classification_invariant_under_rotation_permutation_sign(seed, flip):
    rng = np.random.default_rng(seed)
    d, n = 3, 5
    G = rng.standard_normal((d, d))
    V = (G + G.T) / 2
    M = rng.standard_normal((d, d))
    _, U = np.linalg.eigh(V)
    s = np.array([1.0, 1.0, -1.0, 1.0, -1.0])
    X = s[:, None] * U[:, -1]                     # bipartite along the principal eigenvector
    R = np.linalg.qr(rng.standard_normal((d, d)))[0]
    perm = rng.permutation(n)
    sign = -1.0 if flip else 1.0
    a = classify(X, V=V, M=M, beta=1.5)
    b = classify(sign * X[perm] @ R.T, V=R @ V @ R.T, M=R @ M @ R.T, beta=1.5)
    assert a.label == b.label == "bipartite"
    assert sorted(a.sizes) == sorted(b.sizes)
    assert a.stability.verdict == b.stability.verdict and a.manifold_dim == b.manifold_dim
