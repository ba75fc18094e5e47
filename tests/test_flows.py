"""Trajectories and discrete maps: the training steps against their definitions, the sphere integrator against the
Oja flow's known limit."""
import numpy as np
import pytest
import sympy as sp

from symdyn import LinearSSL, SelfAttention, VectorField, euler_map, gradient_step, random_moments
from symdyn.flows import ema_step, sphere_rk4

x, a = sp.symbols("x a")


def test_gradient_step_takes_one_parameter_value_per_row():
    k = VectorField([x], [-a * x], params=[a]).lambdify()
    rates = np.array([0.5, 1.0, 2.0])
    out, diverged = euler_map(gradient_step(k, 0.1, a=rates), np.ones((3, 1)), 3)
    assert not diverged.any()
    assert np.allclose(out[:, 0], (1 - 0.1 * rates) ** 3, rtol=1e-14)


@pytest.mark.parametrize("m,n", [(1, 2), (2, 3), (3, 3)])
def test_ema_step_moves_the_whole_target_block_for_any_m(m, n):
    """C ← αC + (1 − α)A_new with A_new = A + η f_A: the target is all n·m entries of A (not the first n)."""
    Sx, Syx, Sy = random_moments(m, seed=m)
    model = LinearSSL(m, n, Sx, Syx, Sy, lam=0.02, kappa=0.3)
    rng = np.random.default_rng(0)
    A, B, C = rng.standard_normal((4, n, m)), rng.standard_normal((4, n, n)), rng.standard_normal((4, n, m))
    eta, alpha = 0.05, 0.9
    x1 = model.discrete_step("ema", eta, alpha)(model.pack(A, B, C), np.arange(4))
    A1, B1, C1 = model.unpack(x1)
    # independent: the closed-form SG/EMA gradients (B-rows of the EMA field), written out
    E = B @ A @ Sx - C @ Syx
    dA = -(np.swapaxes(B, -1, -2) @ E) - 0.02 * A
    dB = -(E @ np.swapaxes(A, -1, -2)) - 0.02 * B
    assert np.allclose(A1, A + eta * dA, rtol=1e-12, atol=1e-13)
    assert np.allclose(B1, B + eta * dB, rtol=1e-12, atol=1e-13)
    assert np.allclose(C1, alpha * C + (1 - alpha) * A1, rtol=1e-13, atol=1e-14)


def test_ema_step_refuses_blocks_of_different_sizes():
    k = VectorField([x, a], [-x, x - a]).lambdify()
    with pytest.raises(ValueError, match="source, target"):
        ema_step(k, 0.1, 0.9, 1, slice(0, 1), slice(0, 2))
    with pytest.raises(ValueError, match="alpha"):
        ema_step(k, 0.1, 1.0, 1, slice(0, 1), slice(1, 2))


def test_sphere_rk4_stays_on_the_sphere_and_reaches_the_principal_eigenvector():
    """One token: (SA) is the Oja flow ẋ = P_x V x, whose stable equilibria are ±(top eigenvector)."""
    V = np.diag([2.0, 1.0, -0.5])
    model = SelfAttention(1, 3, V=V, beta=1.0)
    X0 = model.random_configurations(5, seed=1)
    X, t, res = sphere_rk4(model.ambient_f, X0, 200.0, 0.05, 1e-10)
    assert np.allclose(np.linalg.norm(X, axis=-1), 1.0, atol=1e-12)
    assert np.all(res < 1e-10)
    assert np.allclose(np.abs(X[:, 0, 0]), 1.0, atol=1e-8)


def test_sphere_integrators_count_every_field_evaluation_of_each_trajectory():
    """Integrated alone, a trajectory's reported evaluations equal the rows the field was actually called on
    (counted by a wrapped field); in a batch each trajectory reports its own count (they stop at different times)."""
    from symdyn.flows import sphere_dopri

    model = SelfAttention(1, 3, V=np.diag([2.0, 1.0, -0.5]), beta=1.0)
    X0 = model.random_configurations(4, seed=2)

    def integrate_with(rhs, X, scheme):
        return (sphere_rk4(rhs, X, 60.0, 0.05, 1e-8, return_evaluations=True) if scheme == "rk4"
                else sphere_dopri(rhs, X, 60.0, 1e-8))

    for scheme in ("rk4", "dopri"):
        alone = []
        for b in range(len(X0)):
            rows = [0]

            def counted(X, rows=rows):
                rows[0] += len(X)
                return model.ambient_f(X)
            assert integrate_with(counted, X0[b:b + 1], scheme)[3][0] == rows[0]
            alone.append(rows[0])
        assert integrate_with(model.ambient_f, X0, scheme)[3].tolist() == alone
        assert len(set(alone)) > 1


def test_first_return_finds_the_period_of_a_rotation_and_not_of_a_fixed_point():
    """x ← R(θ)x (a rotation by θ = 2π/97 per step) returns to its start after 97 steps; a contraction towards a
    fixed point, and the fixed point itself, never return."""
    from symdyn.flows import first_return

    th = 2 * np.pi / 97
    R = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    rot = lambda x, idx: x @ R.T
    ret, closest, ratio = first_return(rot, np.array([[1.0, 0.0], [0.0, 3.0]]), 300)
    assert list(ret) == [97, 97] and (closest <= 2).all() and np.allclose(ratio, 1, atol=1e-12)
    contract = lambda x, idx: 0.9 * x @ R.T
    assert list(first_return(contract, np.array([[1.0, 0.0], [0.0, 0.0]]), 300)[0]) == [-1, -1]
    # a slowly decaying spiral comes back near its start, and the step-length ratio shows the decay
    spiral = lambda x, idx: np.exp(-1e-4) * x @ R.T
    from symdyn.flows import periodic_returns

    assert list(periodic_returns(rot, np.array([[1.0, 0.0]]), 300)) == [97]
    faster = lambda x, idx: np.exp(-1e-3) * x @ R.T  # step-length ratio e^{−0.096} after one turn: a spiral
    assert first_return(faster, np.array([[1.0, 0.0]]), 300)[0][0] > 0  # it does come back near its start
    assert list(periodic_returns(faster, np.array([[1.0, 0.0]]), 300)) == [-1]
    ret, _, ratio = first_return(spiral, np.array([[1.0, 0.0]]), 300)
    assert ret[0] == 97 and abs(ratio[0] - np.exp(-96e-4)) < 1e-12  # (x₉₇ − x₉₆) = e^{−96σ}(x₁ − x₀)
