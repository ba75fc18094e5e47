"""Oja's subspace flow (neighbours.md §7.2): derived fields, closed forms, Grassmannian stability."""
from collections import Counter

import numpy as np
import pytest

from symdyn import stability
from symdyn.flows import integrate
from symdyn.models.oja_subspace import OjaSubspaceFlow, projector_ode_residual
from tests.helpers import finite_difference_jacobian

SPECTRUM = np.array([3.0, 2.0, 1.0, 0.5, -0.5, -1.0])   # neighbours.md §7.2


def _flow(seed=0, h=2):
    rng = np.random.default_rng(seed)
    R, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    W0, _ = np.linalg.qr(rng.standard_normal((6, h)))
    return OjaSubspaceFlow(R @ np.diag(SPECTRUM) @ R.T, h), W0


def test_derived_fields_are_the_projected_and_naive_gradients():
    flow, _ = _flow()
    W = np.random.default_rng(5).standard_normal((3, 6, 2))
    M = flow.M
    for constrained, want in ((True, M @ W - W @ np.swapaxes(W, 1, 2) @ M @ W), (False, M @ W)):
        k = flow.field(constrained).lambdify()
        assert np.allclose(k.f(W.reshape(3, -1)), want.reshape(3, -1), atol=1e-12)
        x = W[0].ravel()
        assert np.allclose(k.jacobian(x), finite_difference_jacobian(k.f, x), atol=1e-6)


def test_closed_form_projector_solves_the_grassmannian_flow_symbolically():
    assert projector_ode_residual(3, 2).is_zero_matrix
    assert projector_ode_residual(2, 1).is_zero_matrix


def test_projector_matches_integration_and_stiefel_constraint_is_kept():
    flow, W0 = _flow()
    ts = np.array([0.0, 2.0, 5.0, 10.0])
    tr = integrate(flow.field().lambdify(), W0.ravel(), 10.0, t_eval=ts)
    for t, x in zip(ts, tr.x):
        W = x.reshape(6, 2)
        assert np.abs(W.T @ W - np.eye(2)).max() < 1e-9
        assert np.abs(W @ W.T - flow.projector(W0, t)).max() < 1e-9
    # at large t the closed form is the top-2 eigenprojector, computed without overflow or cancellation
    top = flow.eigenvectors[:, -2:]
    assert np.abs(flow.projector(W0, 1e4) - top @ top.T).max() < 1e-12


def test_naive_flow_collapses_to_rank_one_as_in_the_note():
    flow, W0 = _flow()
    ts = [0.0, 2.0, 5.0, 10.0]
    tr = integrate(flow.field(constrained=False).lambdify(), W0.ravel(), 10.0, t_eval=ts)
    ratios = [flow.singular_ratio(x.reshape(6, 2)) for x in tr.x]
    # neighbours.md §7.2 [NUM]: σ₂/σ₁ = 1, 0.12, 6.1e-3, 4.1e-5 at t = 0, 2, 5, 10 (two significant digits)
    assert np.allclose(ratios, [1.0, 0.12, 6.1e-3, 4.1e-5], rtol=0.03)
    assert np.allclose(tr.x[-1].reshape(6, 2), flow.naive_solution(W0, 10.0), rtol=1e-6, atol=1e-6 * np.abs(tr.x[-1]).max())
    # the rate is λ₁ − λ₂ = 1
    assert abs(np.log(ratios[2] / ratios[3]) / 5 - 1.0) < 0.01


def test_one_attracting_subspace_one_repeller_and_saddles():
    flow, _ = _flow()
    verdicts = Counter()
    for S, U in flow.invariant_subspaces():
        ev = np.sort(np.linalg.eigvals(flow.grassmann_jacobian(U)).real)
        assert np.allclose(ev, np.sort(flow.grassmann_spectrum(S)), atol=1e-10)
        rep = flow.grassmann_stability(U)
        verdicts[rep.verdict] += 1
        if S == (4, 5):
            assert rep.verdict == "asymptotically stable"
            # ambient ℝ^{6×2}: the equilibria through U form the O(2) orbit (dimension 1), normally attracting
            amb = stability(flow.field().lambdify(), U.ravel(), manifold_dim=1)
            assert amb.normally_hyperbolic
        if S == (0, 1):
            assert rep.verdict == "unstable"        # the bottom span repels in every direction
    assert verdicts == {"asymptotically stable": 1, "unstable": 1, "saddle": 13}


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="M: must be symmetric"):
        OjaSubspaceFlow(np.array([[1.0, 2.0], [0.0, 1.0]]), 1)
    with pytest.raises(ValueError, match="h: expected"):
        OjaSubspaceFlow(np.eye(3), 4)
    with pytest.raises(ValueError, match="M: "):
        OjaSubspaceFlow(np.array([[np.nan, 0.0], [0.0, 1.0]]), 1)
    flow, _ = _flow()
    with pytest.raises(ValueError, match="W0: expected shape"):
        flow.projector(np.ones((6, 3)), 1.0)
    with pytest.raises(ValueError, match="W0: must have full column rank"):
        flow.projector(np.ones((6, 2)), 1.0)
    with pytest.raises(ValueError, match="W: expected orthonormal"):
        flow.grassmann_jacobian(2 * np.eye(6)[:, :2])
