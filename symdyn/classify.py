"""Classify an equilibrium of self-attention dynamics (``shared/papers/attention.md`` §3, §8).

Classes of a configuration X (n, d) with distinct token positions y_1..y_k (multiplicities n_a):

* ``consensus``   — k = 1 (then f = 0 forces V y = λ y);
* ``bipartite``   — k = 2 and y_2 = −y_1;
* ``polygonal``   — k ≥ 3 cluster points at the vertices of a regular k-gon on one circle of the sphere;
* ``clustering``  — every other k ≥ 2.

Clusters are the connected components of the proximity graph (edge iff chordal distance
< ``merge``), found with scipy.sparse.csgraph from Gram-matrix distances (n² memory); the cluster point is the normalised mean.  When the model
(V, β; M defaults to I) is given, the classifier also

1. checks the equilibrium: residual r = max_i ‖P_{x_i} Σ_j a_ij V x_j‖ ≤ ``equilibrium``·‖V‖₂,
   else the label is ``"not an equilibrium"`` (never a guessed class);
2. runs the *snap test*: each cluster point is replaced by its normalised projection onto the nearest real
   eigenspace of V (a repeated eigenvalue's whole eigenspace) and the residual recomputed; consensus/bipartite
   are reported only if it passes (residual < ``snap``·‖V‖₂), else the label is ``clustering`` with the note "near-consensus" /
   "near-bipartite".  Exception: a balanced bipartite pair on the null cone yᵀMy = 0 (§3, §7.4) is an
   exact equilibrium without eigen-alignment; it is labelled bipartite with ``null_cone_bipartite``;
3. computes the stability verdict from the tangent Jacobian (:func:`tangent_stability`), discounting the
   zero eigenvalues along the equilibrium set through X, whose local dimension is *measured* on the sphere
   product (rotations commuting with V and M give such directions, but so do sets no symmetry explains).

Labels depend only on distances between tokens and on V, M through orthogonally invariant
quantities, so they are invariant to token permutations, to X → XRᵀ with (V, M) → (RVRᵀ, RMRᵀ),
and to X → −X.

Examples
--------
>>> import numpy as np
>>> from symdyn import classify                         # the module, callable as its classify()
>>> X = np.array([[1.0, 0, 0], [1.0, 0, 0], [-1.0, 0, 0]])
>>> res = classify(X, V=np.diag([1.0, 0.5, -0.5]), beta=1.0)
>>> res.label, res.stability.verdict
('bipartite', 'asymptotically stable')
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field, fields

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike

from ._validate import as_float_array, choice, finite_real, tolerance
from .local_dimension import local_dimension
from .models.attention import SelfAttention, tangent_bases, tangent_coordinates
from .stability import StabilityReport, escape_time_scale, measured_stability

__all__ = ["Tolerances", "ClassificationResult", "classify", "clusters_of", "symmetry_orbit_dimension",
           "tangent_stability", "LABELS", "relative_equilibrium", "RelativeEquilibrium"]

LABELS = ("consensus", "bipartite", "clustering", "polygonal")


@dataclass(frozen=True)
class Tolerances:
    """Classifier tolerances (defaults: attention.md §8, for double precision and ‖V‖ = O(1)).

    Attributes
    ----------
    merge
        chordal distance below which two tokens are one cluster (1e-3)
    antipodal
        ‖y_1 + y_2‖ below which two clusters are an antipodal pair (1e-3)
    plane
        affine coplanarity: 3rd singular value of centred cluster points < plane·√k (1e-3);
        radii equal within 10·plane
    angle
        consecutive angular gaps within this of 2π/k, radians (1e-2)
    eigen
        1 − |cos| below which a cluster point is aligned with an eigenvector (1e-6)
    equilibrium
        residual ≤ equilibrium·‖V‖₂ to count as an equilibrium (1e-8; relative, as in ``refine``)
    snap
        snapped residual < snap·‖V‖₂ for an exact eigen-equilibrium (1e-10)
    null_cone
        |yᵀMy| ≤ null_cone·‖M‖₂ for the null-cone bipartite exception (1e-8)
    spectrum
        relative tolerance of the stability verdict (neutral and axis) (1e-7)

    Examples
    --------
    >>> Tolerances().merge, Tolerances(merge=1e-2).merge
    (0.001, 0.01)
    """

    merge: float = 1e-3
    antipodal: float = 1e-3
    plane: float = 1e-3
    angle: float = 1e-2
    eigen: float = 1e-6
    equilibrium: float = 1e-8
    snap: float = 1e-10
    null_cone: float = 1e-8
    spectrum: float = 1e-7

    def __post_init__(self):
        for f in fields(self):
            finite_real(getattr(self, f.name), f"tol.{f.name}", low=0.0, low_open=True)
        for name in ("eigen", "spectrum"):
            tolerance(getattr(self, name), f"tol.{name}")


@dataclass
class ClassificationResult:
    """What :func:`classify` found.

    Attributes
    ----------
    label
        one of LABELS, or "not an equilibrium"
    clusters
        token indices per cluster (each sorted; clusters ordered by first index)
    cluster_points
        (k, d) normalised cluster means
    sizes
        tokens per cluster
    residual
        max_i ‖f_i(X)‖ (None without V, β)
    alignment
        per cluster: {"rank" (0 = principal), "eigenvalue", "one_minus_cos" (to the eigenspace),
        "sign", "multiplicity" (dimension of the eigenspace)} (None without V)
    eigen_aligned
        every cluster point within ``eigen`` of a real eigenspace of V (None without V)
    exact_eigen_equilibrium
        the snap test (None without V, β)
    stability
        StabilityReport on the tangent space (None without V, β, or if not an equilibrium)
    symmetry_dim
        dimension of the orbit through X of the rotations commuting with V and M
    manifold_dim
        the measured local dimension of the equilibrium set at X (what the verdict uses;
        ≥ symmetry_dim: sets of equilibria that no symmetry explains count too)
    ambiguous
        clusters closer than 10·merge, or a cluster wider than merge
    great_circle
        polygonal only: the polygon lies on a great circle
    null_cone_bipartite
        balanced bipartite on the null cone of M
    notes
        free-text remarks
    escape_time
        a saddle with one (real) unstable eigenvalue μ: the escape time scale 1/μ
        (:func:`symdyn.stability.escape_time_scale`; metastable when μ ≪ the stable rates)
    relative
        for "not an equilibrium": the :class:`RelativeEquilibrium` test (X may rotate rigidly,
        f = XΩᵀ, with its angular velocity and co-rotating verdict), else None

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0, 0], [1.0, 0, 0], [-1.0, 0, 0]])
    >>> res = classify(X, V=np.diag([1.0, 0.5, -0.5]), beta=1.0)
    >>> res.label, res.sizes
    ('bipartite', [2, 1])
    """

    label: str
    clusters: list
    cluster_points: np.ndarray
    sizes: list
    residual: float | None = None
    alignment: list | None = None
    eigen_aligned: bool | None = None
    exact_eigen_equilibrium: bool | None = None
    stability: StabilityReport | None = None
    symmetry_dim: int | None = None
    ambiguous: bool = False
    great_circle: bool | None = None
    null_cone_bipartite: bool = False
    notes: list = field(default_factory=list)
    manifold_dim: int | None = None
    relative: "RelativeEquilibrium | None" = None
    escape_time: float | None = None

    def __repr__(self) -> str:
        st = self.stability.verdict if self.stability is not None else None
        rot = ""
        if self.relative is not None and self.relative.found and self.relative.stability is not None:
            rot = (f", rotating: angular velocity {self.relative.angular_velocity:.6g}, co-rotating verdict "
                   f"{self.relative.stability.verdict!r}")
        return (f"ClassificationResult(label={self.label!r}, k={len(self.clusters)}, sizes={self.sizes}, "
                f"residual={self.residual}, stability={st!r}, eigen_aligned={self.eigen_aligned}{rot})")


def _pairwise_distances(X: np.ndarray) -> np.ndarray:
    """‖x_i − x_j‖ for the rows of X (n, d) -> (n, n) from the Gram matrix (n² memory, not n²d)."""
    sq = np.sum(X * X, axis=1)
    return np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2.0 * (X @ X.T), 0.0))


def clusters_of(X: np.ndarray, merge: float = 1e-3) -> list[list[int]]:
    """Connected components of the graph on tokens with an edge iff ‖x_i − x_j‖ < merge.

    Examples
    --------
    >>> import numpy as np
    >>> clusters_of(np.array([[1.0, 0, 0], [1.0, 0, 0], [0, 1.0, 0]]))
    [[0, 1], [2]]
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    n = X.shape[0]
    _, lab = connected_components(csr_matrix(_pairwise_distances(X) < merge), directed=False)
    comps = [np.flatnonzero(lab == c).tolist() for c in range(lab.max() + 1)] if n else []
    return sorted(comps, key=lambda c: c[0])


def _is_regular_polygon(Y: np.ndarray, tol: Tolerances) -> tuple[bool, bool]:
    """(regular k-gon on one circle, on a great circle) for cluster points Y (k, d), k ≥ 3."""
    k = Y.shape[0]
    c = Y.mean(axis=0)
    Z = Y - c
    _, s, vt = np.linalg.svd(Z, full_matrices=False)
    if s.size > 2 and s[2] >= tol.plane * np.sqrt(k):
        return False, False
    radii = np.linalg.norm(Z, axis=1)
    if radii.max() - radii.min() > 10 * tol.plane or radii.min() < 10 * tol.plane:
        return False, False
    coords = Z @ vt[:2].T
    ang = np.sort(np.arctan2(coords[:, 1], coords[:, 0]))
    gaps = np.diff(np.concatenate([ang, ang[:1] + 2 * np.pi]))
    regular = bool(np.all(np.abs(gaps - 2 * np.pi / k) < tol.angle))
    return regular, bool(np.linalg.norm(c) < 1e-2)


def _eigenspaces(V: np.ndarray, rtol: float = 1e-9):
    """Real eigenspaces of V: [(rank, eigenvalue, E (d, g) orthonormal basis)], eigenvalues grouped within
    rtol·‖V‖₂ and ranked by decreasing real part (rank = position of the group's first eigenvalue).  A repeated
    eigenvalue contributes its whole (geometric) eigenspace, so alignment is measured against it, not against
    one arbitrary eigenvector of it."""
    d = V.shape[0]
    scale = max(float(np.linalg.norm(V, 2)), np.finfo(float).tiny)
    symmetric = np.allclose(V, V.T, rtol=0, atol=1e-14 * scale)
    w = np.linalg.eigvalsh(V).astype(complex) if symmetric else np.linalg.eigvals(V)
    w = w[np.argsort(-w.real, kind="stable")]
    out, used = [], np.zeros(d, dtype=bool)
    for i in range(d):
        if used[i]:
            continue
        group = np.abs(w - w[i]) <= rtol * scale
        used |= group
        lam = w[i]
        if abs(lam.imag) > rtol * scale:
            continue
        lam = float(np.mean(w[group].real))
        _, sv, vt = np.linalg.svd(V - lam * np.eye(d))
        g = int(np.sum(sv <= max(rtol, 1e3 * np.finfo(float).eps) * scale * max(1, int(group.sum()))))
        if g:
            out.append((i, lam, vt[d - g:].T))
    return out


def _so_basis(d: int) -> list:
    """The basis E_pq = e_p e_qᵀ − e_q e_pᵀ (p < q) of the antisymmetric d × d matrices."""
    basis = []
    for p, q in itertools.combinations(range(d), 2):
        E = np.zeros((d, d))
        E[p, q], E[q, p] = 1.0, -1.0
        basis.append(E)
    return basis


def symmetry_orbit_tangent(X: np.ndarray, V: np.ndarray, M: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Orthonormal rows (k, n·d) spanning the tangent space at X of its orbit {R X : R ∈ SO(d), R V Rᵀ = V,
    R M Rᵀ = M}: the vectors vec(Ω x_1, …, Ω x_n) over the antisymmetric Ω with [Ω, V] = [Ω, M] = 0 (a nullspace
    computation).  The flow is equivariant under these rotations, so at an equilibrium they are neutral directions
    of the Jacobian (tangent to the sphere product: Ω x_i ⟂ x_i)."""
    d = V.shape[0]
    nd = X.size
    basis = _so_basis(d)
    if not basis:
        return np.zeros((0, nd))
    cons = np.array([np.concatenate([(E @ V - V @ E).ravel(), (E @ M - M @ E).ravel()]) for E in basis]).T
    # (2d², d(d−1)/2): its singular values and right vectors are those of the triangular factor R (QR first: the
    # SVD of the tall matrix would also form its 2d²-square left vectors, 16 s at d = 64)
    R = scipy.linalg.qr(cons, mode="r")[0][: cons.shape[1]]
    _, s, vt = np.linalg.svd(R)
    scale = max(1.0, s.max(initial=0.0))
    null = vt[np.sum(s > tol * scale):]
    if null.shape[0] == 0:
        return np.zeros((0, nd))
    T = np.array([np.einsum("pq,iq->ip", sum(w * E for w, E in zip(vec, basis)), X).ravel() for vec in null])
    _, sv, wt = np.linalg.svd(T, full_matrices=False)
    return wt[: int(np.sum(sv > 1e-8 * max(1.0, sv.max(initial=0.0))))]


@dataclass
class RelativeEquilibrium:
    """A configuration that moves rigidly, f(X) = X Ωᵀ (x_i' = Ω x_i) for one antisymmetric Ω: ``found`` (the fit
    is exact to ``rtol`` and f ≠ 0), ``Omega`` (d, d), ``angular_velocity`` (‖Ω‖₂: the fastest rotation rate, in rad
    per unit time), ``residual`` (‖f − XΩᵀ‖/‖f‖), ``equivariant`` (e^{Ωs} is a symmetry of the dynamics:
    [Ω, V] = [Ω, M] = 0, so the whole orbit e^{Ωs}X is one rotating solution), ``stability`` (the verdict in the
    co-rotating frame, modulo the symmetry orbit; None unless found and equivariant) and ``reason``.

    Examples
    --------
    >>> import numpy as np
    >>> model = SelfAttention(3, 2, V=np.array([[0.5, -1.0], [1.0, 0.5]]), beta=1.0)
    >>> rel = relative_equilibrium(model, np.tile([1.0, 0.0], (3, 1)))
    >>> rel.found, np.round(rel.Omega, 12).tolist()                     # consensus turns rigidly: x' = Ωx
    (True, [[0.0, -1.0], [1.0, 0.0]])
    """

    found: bool
    Omega: np.ndarray
    angular_velocity: float
    residual: float
    equivariant: bool
    stability: StabilityReport | None
    reason: str


def relative_equilibrium(model: SelfAttention, X: ArrayLike, rtol: float = 1e-6) -> RelativeEquilibrium:
    """Whether X (n, d) is a rotating relative equilibrium of ``model`` (:class:`RelativeEquilibrium`).

    Ω is the least-squares fit of f_i = Ω x_i over the antisymmetric matrices (d(d−1)/2 unknowns, n·d equations).
    In the frame rotating with e^{Ωt} the field g(X) = f(X) − XΩᵀ vanishes at X; its tangent Jacobian
    Bᵀ(DF − I_n ⊗ Ω)B (B the tangent bases) is judged with the symmetry orbit's directions (which include ΩX)
    projected out, so "asymptotically stable" means: nearby configurations converge to the rotating orbit.

    Examples
    --------
    >>> V = np.array([[0.5, -1.0], [1.0, 0.5]])            # eigenvalues 0.5 ± i: consensus turns at rate 1
    >>> model = SelfAttention(3, 2, V=V, beta=1.0)
    >>> rel = relative_equilibrium(model, np.tile([1.0, 0.0], (3, 1)))
    >>> rel.found, round(rel.angular_velocity, 12), rel.stability.verdict
    (True, 1.0, 'asymptotically stable')
    """
    X = model._config(X)
    if X.ndim != 2:
        raise ValueError(f"X: one configuration of shape ({model.n}, {model.d}), got {X.shape}")
    rtol = tolerance(rtol, "rtol")
    n, d = X.shape
    F = model.f(X)
    fnorm = float(np.linalg.norm(F))
    basis = _so_basis(d)
    cols = np.array([(X @ E.T).ravel() for E in basis]).T  # column k: vec(E_k x_i)
    w = np.linalg.lstsq(cols, F.ravel(), rcond=None)[0]
    Omega = sum(wk * E for wk, E in zip(w, basis))
    resid = float(np.linalg.norm(F - X @ Omega.T) / max(fnorm, 1e-300))
    speed = float(np.linalg.norm(Omega, 2))
    if fnorm <= 1e-12 * model.field_scale:
        return RelativeEquilibrium(False, Omega, 0.0, resid, True, None, "f(X) = 0: an equilibrium, not rotating")
    scale = speed * (np.linalg.norm(model.V) + np.linalg.norm(model.M))
    equiv = bool(np.linalg.norm(Omega @ model.V - model.V @ Omega) + np.linalg.norm(Omega @ model.M - model.M @ Omega)
                 <= 1e-8 * max(scale, 1e-300))
    if resid > rtol:
        return RelativeEquilibrium(False, Omega, speed, resid, equiv, None,
                                   f"f is not a rigid rotation of X (misfit {resid:.3g} > rtol = {rtol:.3g})")
    if not equiv:
        return RelativeEquilibrium(True, Omega, speed, resid, False, None,
                                   "f(X) = XΩᵀ now, but e^{Ωt} is not a symmetry of (V, M): not a rotating solution")
    Bs = tangent_bases(X)
    JT = model.tangent_jacobian(X)  # minus the co-rotation, block by block: B_iᵀ Ω B_i
    k = d - 1
    for i, B in enumerate(Bs):
        JT[i * k:(i + 1) * k, i * k:(i + 1) * k] -= B.T @ Omega @ B
    Tt = tangent_coordinates(X, symmetry_orbit_tangent(X, model.V, model.M))
    from .stability import linear_stability

    rep = linear_stability(JT, tangent=Tt if len(Tt) else None)
    return RelativeEquilibrium(True, Omega, speed, resid, True, rep,
                               f"rigid rotation with angular velocity {speed:.6g}; co-rotating verdict: {rep.verdict}")


def symmetry_orbit_dimension(X: np.ndarray, V: np.ndarray, M: np.ndarray, tol: float = 1e-9) -> int:
    """Dimension of {R X : R ∈ SO(d), R V Rᵀ = V, R M Rᵀ = M} at X (the rows of :func:`symmetry_orbit_tangent`).

    Examples
    --------
    >>> import numpy as np
    >>> V, M = np.diag([2.0, 1.0, 1.0]), np.eye(3)        # rotations of the (e₂, e₃) plane preserve V and M
    >>> symmetry_orbit_dimension(np.array([[1.0, 0, 0]]), V, M), symmetry_orbit_dimension(np.array([[0, 1.0, 0]]), V, M)
    (0, 1)
    """
    return int(symmetry_orbit_tangent(X, V, M, tol).shape[0])


#: tangent dimension n(d − 1) above which :func:`tangent_stability` goes matrix-free by default (the dense path
#: needs an n(d−1)-square array and an O((n(d−1))³) eigen-solve: 2 s at 2000, minutes at 10⁴, 33 GB at n = 1024, d = 64)
MATRIX_FREE_MIN = 2500


def tangent_stability(model: SelfAttention, X: np.ndarray, rtol: float = 1e-7, seed: int = 0,
                      method: str = "auto", orbit: np.ndarray | None = None,
                      equilibrium_rtol: float = 1e-8) -> StabilityReport:
    """Stability of the equilibrium X on (S^{d−1})^n.  First X is checked to be one: max_i ‖f_i(X)‖ ≤
    ``equilibrium_rtol``·‖V‖₂ (the default of :class:`Tolerances`), else the verdict is "not an equilibrium".

    ``method="dense"``: the tangent Jacobian's whole spectrum, with the local dimension of the equilibrium set
    measured on the sphere product (:func:`symdyn.local_dimension.local_dimension` with the retraction
    x ← (x + Bδ)/‖·‖ in tangent coordinates): a manifold of equilibria that no built-in symmetry explains (V = I:
    every consensus point is an equilibrium) is recognised, and its tangent directions are projected out.
    ``method="matrix-free"``: the rightmost eigenvalues of :meth:`SelfAttention.tangent_operator` by Arnoldi
    (:func:`symdyn.stability_matrix_free.matrix_free_stability`) with the symmetry orbit's directions
    (:func:`symmetry_orbit_tangent`) deflated; a further neutral direction makes the verdict "inconclusive"
    (nothing is measured; ``orbit``: those directions when already computed).  ``"auto"``: matrix-free when
    n(d − 1) > ``MATRIX_FREE_MIN``.

    Examples
    --------
    >>> import numpy as np
    >>> model = SelfAttention(4, 3, V=np.diag([1.0, 0.5, -0.5]), beta=1.0)
    >>> rep = tangent_stability(model, np.tile([1.0, 0, 0], (4, 1)))     # consensus on V's top eigenvector
    >>> rep.verdict, round(rep.max_real_nonneutral, 12)                 # Theorem A: λ₂ − λ₁ = −0.5
    ('asymptotically stable', -0.5)
    >>> tangent_stability(model, np.tile([0, 1.0, 0], (4, 1))).verdict  # on the second eigenvector
    'saddle'
    >>> tangent_stability(model, np.tile([0.6, 0.8, 0], (4, 1))).verdict
    'not an equilibrium'
    """
    method = choice(method, "method", ("auto", "dense", "matrix-free"))
    n, d = model.n, model.d
    residual, bound = float(model.residual(X)), tolerance(equilibrium_rtol, "equilibrium_rtol") * model.field_scale
    if residual > bound:
        return StabilityReport(np.zeros(0, dtype=complex), 0, 0, float("nan"), "not an equilibrium",
                               f"residual max_i ‖f_i‖ = {residual:.3g} > {bound:.3g} = equilibrium_rtol·‖V‖₂",
                               model.field_scale, rtol, rtol, 0, residual)
    if method == "matrix-free" or (method == "auto" and n * (d - 1) > MATRIX_FREE_MIN):
        from .stability_matrix_free import matrix_free_stability

        Tt = tangent_coordinates(X, symmetry_orbit_tangent(X, model.V, model.M) if orbit is None else orbit)
        return matrix_free_stability(model.tangent_operator(X), Tt, neutral_rtol=rtol, axis_rtol=rtol, seed=seed)

    def F(Y):
        return np.einsum("ipa,ip->ia", tangent_bases(Y), model.f(Y)).ravel()

    def retract(Y, delta):
        Z = Y + np.einsum("ipa,ia->ip", tangent_bases(Y), delta.reshape(n, d - 1))
        return Z / np.linalg.norm(Z, axis=-1, keepdims=True)

    def log(Y, Z):
        return np.einsum("ipa,ip->ia", tangent_bases(Y), Z - Y).ravel()

    loc = local_dimension(F, model.tangent_jacobian, X, kernel_rtol=rtol, seed=seed, length=1.0,
                          retract=retract, log=log)
    return measured_stability(model.tangent_jacobian(X), loc, neutral_rtol=rtol, generic_axis_rtol=rtol)


def classify(X: ArrayLike, V: ArrayLike | None = None, M: ArrayLike | None = None, beta: float | None = None,
             tol: Tolerances | dict | None = None, *, normalization: str = "softmax",
             normalize: bool = False) -> ClassificationResult:
    """Classify the configuration X (n, d) (module docstring).

    Parameters
    ----------
    X : (n, d) array with unit rows (``normalize=True`` projects rows onto the sphere first)
    V, M : (d, d) arrays, optional — value matrix and M = QᵀK (M defaults to I when V and β are given)
    beta : float ≥ 0, optional — needed (with V) for the equilibrium check, snap test and stability
    tol : Tolerances or dict of overrides (see :class:`Tolerances` for the defaults)

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0, 0]] * 3 + [[-1.0, 0, 0]] * 2)
    >>> classify(X, V=np.diag([1.0, 0.5, 0.2]), beta=2.0).label
    'bipartite'
    """
    if tol is None:
        tol = Tolerances()
    elif isinstance(tol, dict):
        known = {f.name for f in fields(Tolerances)}
        bad = sorted(set(tol) - known)
        if bad:
            raise ValueError(f"tol: unknown tolerance(s) {bad}; known: {sorted(known)}")
        tol = Tolerances(**tol)
    elif not isinstance(tol, Tolerances):
        raise TypeError(f"tol: expected Tolerances or dict, got {type(tol).__name__}")
    X = as_float_array(X, "X")
    if X.ndim != 2 or X.shape[1] < 2:
        raise ValueError(f"X: expected shape (n, d) with d >= 2, got {X.shape}")
    n, d = X.shape
    norms = np.linalg.norm(X, axis=1)
    if normalize:
        if np.any(norms == 0):
            raise ValueError("X: a token is zero and cannot be normalised")
        X = X / norms[:, None]
    elif np.any(np.abs(norms - 1) > 1e-8):
        raise ValueError("X: rows must have unit norm; pass normalize=True to project them")
    model = None
    if V is not None:
        V = as_float_array(V, "V")
        if V.shape != (d, d):
            raise ValueError(f"V: expected shape ({d}, {d}), got {V.shape}")
    if M is not None:
        M = as_float_array(M, "M")
        if M.shape != (d, d):
            raise ValueError(f"M: expected shape ({d}, {d}), got {M.shape}")
    if beta is not None:
        if V is None:
            raise ValueError("beta: the equilibrium check needs V as well")
        model = SelfAttention(n, d, V=V, M=M, beta=beta, normalization=normalization)
        M = model.M

    clusters = clusters_of(X, tol.merge)
    Y = np.array([X[c].mean(axis=0) for c in clusters])
    Y /= np.linalg.norm(Y, axis=1, keepdims=True)
    sizes = [len(c) for c in clusters]
    k = len(clusters)
    res = ClassificationResult("clustering", clusters, Y, sizes)
    diam = max((_pairwise_distances(X[c]).max() for c in clusters), default=0.0)
    sep = min((np.linalg.norm(Y[a] - Y[b]) for a, b in itertools.combinations(range(k), 2)), default=np.inf)
    res.ambiguous = bool(diam > tol.merge or sep < 10 * tol.merge)

    # relative tolerances: the field's size is ‖V‖₂ (f_i = P_i Σ_j a_ij V x_j with Σ_j a_ij = 1)
    vscale = max(float(np.linalg.norm(V, 2)), np.finfo(float).tiny) if V is not None else 1.0
    if model is not None:
        res.residual = float(model.residual(X))
        if res.residual > tol.equilibrium * vscale:
            res.label = "not an equilibrium"
            res.notes.append(f"residual {res.residual:.3g} > {tol.equilibrium * vscale:.3g}")
            res.relative = relative_equilibrium(model, X)
            if res.relative.found:
                res.notes.append(res.relative.reason)
            return res

    if k == 1:
        label = "consensus"
    elif k == 2 and np.linalg.norm(Y[0] + Y[1]) < tol.antipodal:
        label = "bipartite"
    elif k >= 3:
        regular, great = _is_regular_polygon(Y, tol)
        label = "polygonal" if regular else "clustering"
        res.great_circle = great if regular else None
    else:
        label = "clustering"

    if V is not None:
        spaces = _eigenspaces(V)
        res.alignment = []
        for y in Y:
            if not spaces:
                res.alignment.append({"rank": None, "eigenvalue": None, "one_minus_cos": 1.0, "sign": 0,
                                      "multiplicity": 0})
                continue
            cos = [float(np.linalg.norm(E.T @ y)) for _, _, E in spaces]
            j = int(np.argmax(cos))
            rank, lam, E = spaces[j]
            proj = E @ (E.T @ y)
            res.alignment.append({"rank": rank, "eigenvalue": lam, "one_minus_cos": max(0.0, 1.0 - cos[j]),
                                  "sign": int(np.sign(proj[np.argmax(np.abs(proj))])) or 1,
                                  "multiplicity": E.shape[1]})
        res.eigen_aligned = all(a["one_minus_cos"] < tol.eigen for a in res.alignment)

    if model is not None:
        if spaces:
            snapped = np.empty_like(X)
            for c, y in zip(clusters, Y):  # each cluster point projected onto its nearest eigenspace
                E = max((E for _, _, E in spaces), key=lambda E: np.linalg.norm(E.T @ y))
                py = E @ (E.T @ y)
                snapped[c] = py / np.linalg.norm(py)
            res.exact_eigen_equilibrium = bool(model.residual(snapped) < tol.snap * vscale)
        else:
            res.exact_eigen_equilibrium = False
        if label == "bipartite":
            y = Y[0]
            mscale = max(float(np.linalg.norm(M, 2)), 1e-300)
            if (sizes[0] == sizes[1] and abs(float(y @ M @ y)) <= tol.null_cone * mscale
                    and np.linalg.norm(Y[0] + Y[1]) < 1e-8):
                res.null_cone_bipartite = True
        if label in ("consensus", "bipartite") and not res.exact_eigen_equilibrium and not res.null_cone_bipartite:
            res.notes.append(f"near-{label}: the snap test failed (not an exact eigen-equilibrium)")
            label = "clustering"
        orbit = symmetry_orbit_tangent(X, V, M)
        res.symmetry_dim = len(orbit)
        res.stability = tangent_stability(model, X, tol.spectrum, orbit=orbit, equilibrium_rtol=tol.equilibrium)
        res.manifold_dim = res.stability.manifold_dim
        if res.stability.verdict == "saddle" and res.stability.unstable_count == 1:
            try:
                res.escape_time = escape_time_scale(res.stability)["time_scale"]
                res.notes.append(f"one unstable direction: escape time scale 1/μ = {res.escape_time:.4g}")
            except ValueError:  # a complex unstable eigenvalue
                pass
    res.label = label
    return res


from ._callable_module import callable_module  # noqa: E402

callable_module(__name__)  # symdyn.classify stays the module; calling it calls classify()
