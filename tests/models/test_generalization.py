"""Lampinen & Ganguli's closed forms (symdyn.models.generalization) against the numbers of neighbours.md §3.4 and
against their own definitions (MP density normalised, t(s) the inverse of s(t), the optimum at s = s̄𝒪)."""
import numpy as np
import pytest
import scipy.integrate

from symdyn.models.generalization import (closed_forms, generalization_error, mode_trajectory, mp_density,
                                          optimal_error, optimal_stopping, outlier, overlap, sample_teacher_data,
                                          simulate_ta_student)


def test_pinned_numbers_of_neighbours_md():
    assert np.isclose(overlap(2.0, 1.0), 0.75) and np.isclose(outlier(2.0, 1.0), 2.5)
    assert np.isclose(optimal_error([2.0], 1.0), 0.4375)
    assert np.isclose(overlap(3.0, 1.0), 0.88889, atol=1e-5) and np.isclose(optimal_error([3.0], 1.0), 0.20988, atol=1e-5)
    t_opt, err = optimal_stopping([2.0], 1.0, eps=1e-5, tau=1.0)
    assert abs(err - 0.4375) < 1e-9 and abs(t_opt - 2.567) < 1e-3
    assert abs(mode_trajectory(t_opt, 2.5) - 1.5) < 1e-6  # the optimum is s = s̄𝒪 = 1.5
    assert outlier(0.7, 0.5) == pytest.approx(1 + np.sqrt(0.5)) and overlap(0.7, 0.5) == 0  # below 𝒜^{1/4}


@pytest.mark.parametrize("A", [0.3, 0.7, 1.0])
def test_mp_density_is_a_density(A):
    lo, hi = 1 - np.sqrt(A), 1 + np.sqrt(A)
    assert abs(scipy.integrate.quad(lambda x: mp_density(x, A), lo, hi, limit=200)[0] - 1) < 1e-6


def test_mode_time_inverts_the_mode():
    c = closed_forms()
    sb, sh, A, t, tau, eps, s = c["symbols"]
    vals = {sh: 2.3, eps: 1e-4, tau: 1.7, t: 0.9}
    s_t = c["mode"].subs(vals)
    assert abs(float(c["mode_time"].subs({**vals, s: s_t})) - 0.9) < 1e-12
    assert abs(float(s_t) - mode_trajectory(0.9, 2.3, 1e-4, 1.7)) < 1e-12


def test_noise_modes_only_add_error():
    t = np.linspace(0.5, 8, 6)
    base = generalization_error(t, [2.0], 0.5)
    sea = generalization_error(t, [2.0], 0.5, N2=5)
    assert np.all(sea >= base - 1e-15) and sea[-1] > base[-1]
    with pytest.raises(ValueError, match="N2"):
        generalization_error(t, [2.0, 1.5], 0.5, N2=1)


def test_simulated_student_follows_the_ta_curve_of_its_sample():
    d = sample_teacher_data([2.0], 200, 0.6, seed=3)
    U, s, Vt = np.linalg.svd(d["Sigma31"], full_matrices=False)
    Ub, _, Vbt = np.linalg.svd(d["W_bar"], full_matrices=False)
    ov = abs(U[:, 0] @ Ub[:, 0]) * abs(Vt[0] @ Vbt[0])
    times = np.array([1.0, 2.5, 6.0])
    sim = simulate_ta_student(d["Sigma31"], d["W_bar"], times, 1, dt=1e-2)
    st = mode_trajectory(times, s[0])
    assert np.allclose(sim, ((st - 2.0) ** 2 + 2 * st * 2.0 * (1 - ov)) / 4.0, rtol=1e-6)


def test_training_error_exact_for_the_sample_and_close_to_its_limit():
    from symdyn.models.generalization import training_error

    d = sample_teacher_data([2.0], 400, 0.5, seed=1)
    s = np.linalg.svd(d["Sigma31"], compute_uv=False)
    times = np.array([1.0, 2.5, 6.0])
    _, train = simulate_ta_student(d["Sigma31"], d["W_bar"], times, 1, train=True)
    assert np.allclose(train, training_error(times, [2.0], 0.5, d["N3"], s_hat=s), rtol=1e-7)
    assert np.allclose(train, training_error(times, [2.0], 0.5, d["N3"]), rtol=2 / np.sqrt(400))
    assert np.all(np.diff(train) < 0)  # the learned mode removes signal energy from the residual
