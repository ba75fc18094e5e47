"""Registry entries of Lampinen & Ganguli's generalization dynamics (``neighbours.md`` §3; :mod:`symdyn.models.
generalization`).

* ``lampinen.random-matrix`` — the outlier singular value ŝ(s̄) and the overlap 𝒪(s̄) of Σ³¹ = W̄ + Z for a rank-1
  teacher, against sampled matrices: both within 2/√N̄₁ relative (the finite-size fluctuations; measured
  ≈ 0.5–0.8/√N̄₁).
* ``lampinen.ta-dynamics`` — gradient flow of a two-layer linear student from the training-aligned start,
  simulated on sampled teacher–student data, follows the TA test- and training-error curves of the closed form
  (Saxe's s(t) with the sample's ŝ and overlap, resp. singular values) to 0.1 %, its training error is within
  2/√N̄₁ of the N̄₃ → ∞ form (Marchenko–Pastur noise energy), and its test error's minimum over t (searched around the closed-form t_opt) is within
  4/√N̄₁ (relative) of the N̄₁ → ∞ optimum 1 − 𝒪(s̄)² (the value *at* t_opt is not: the sample's ŝ shifts the
  steep sigmoid's timing).
"""
from __future__ import annotations

import numpy as np

from ..models.generalization import (mode_trajectory, optimal_error, optimal_stopping, outlier, overlap,
                                     sample_teacher_data, simulate_ta_student, training_error)
from .registry import CheckResult, Theorem

__all__ = ["theorems"]


def teacher_instance(rng):
    """A rank-1 teacher s̄ ∈ [𝒜^{1/4} + 0.7, 4], 𝒜 ∈ [0.3, 1], N̄₁ ∈ {200, 400} and a data seed."""
    A = float(rng.uniform(0.3, 1.0))
    return {"A": A, "s_bar": float(rng.uniform(A ** 0.25 + 0.7, 4.0)), "N1": int(rng.choice([200, 400])),
            "seed": int(rng.integers(2 ** 31))}


def _sample(inst):
    d = sample_teacher_data([inst["s_bar"]], inst["N1"], inst["A"], inst["seed"])
    U, s, Vt = np.linalg.svd(d["Sigma31"], full_matrices=False)
    Ub, _, Vbt = np.linalg.svd(d["W_bar"], full_matrices=False)
    return d, float(s[0]), float(abs(U[:, 0] @ Ub[:, 0]) * abs(Vt[0] @ Vbt[0]))


def _check_random_matrix(inst):
    _, s_hat, ov = _sample(inst)
    A, sb, N1 = inst["A"], inst["s_bar"], inst["N1"]
    dev = max(abs(s_hat / float(outlier(sb, A)) - 1), abs(ov / float(overlap(sb, A)) - 1))
    return CheckResult(dev <= 2 / np.sqrt(N1), dev * np.sqrt(N1),
                       detail=f"ŝ {s_hat:.4g} vs {float(outlier(sb, A)):.4g}, 𝒪 {ov:.4g} vs {float(overlap(sb, A)):.4g} "
                              f"(N̄₁ = {N1}; residual = relative deviation × √N̄₁)")


def _check_ta_dynamics(inst):
    d, s_hat, ov = _sample(inst)
    A, sb, N1 = inst["A"], inst["s_bar"], inst["N1"]
    t_opt, _ = optimal_stopping([sb], A)
    times = np.r_[np.linspace(0.6, 1.6, 41), 3.0] * t_opt
    sim, train = simulate_ta_student(d["Sigma31"], d["W_bar"], times, 1, dt=1e-2, train=True)
    s = mode_trajectory(times, s_hat)
    finite = ((s - sb) ** 2 + 2 * s * sb * (1 - ov)) / sb ** 2  # the TA curve with the sample's ŝ and overlap
    dyn = float(np.max(np.abs(sim / finite - 1)))
    sv = np.linalg.svd(d["Sigma31"], compute_uv=False)
    dyn = max(dyn, float(np.max(np.abs(train / training_error(times, [sb], A, d["N3"], s_hat=sv) - 1))))
    train_gap = float(np.max(np.abs(train / training_error(times, [sb], A, d["N3"]) - 1)))
    opt = optimal_error([sb], A)
    k = int(np.argmin(sim))
    gap = abs(sim[k] / opt - 1)  # the minimum, not the value at t_opt: the sample's ŝ shifts the sigmoid's timing
    return CheckResult(dyn < 1e-3 and gap <= 4 / np.sqrt(N1) and train_gap <= 2 / np.sqrt(N1)
                       and 0 < k < len(times) - 2, dyn,
                       detail=f"curves within {dyn:.2g}; training error within {train_gap:.2g} of the N̄₃ → ∞ form; min_t ε_test = {sim[k]:.4g} at t = {times[k]:.3g} (closed form "
                              f"t_opt = {t_opt:.3g}) vs ε_opt = 1 − 𝒪² = {opt:.4g} (N̄₁ = {N1})")


def theorems() -> list[Theorem]:
    """The registry entries of this section.

    Examples
    --------
    >>> claims = theorems()
    >>> len(claims), claims[0].id
    (2, 'lampinen.random-matrix')
    """
    return [
        Theorem("lampinen.random-matrix", r"\hat s = \bar s^{-1}\sqrt{(1+\bar s^2)(\mathcal A+\bar s^2)},\; "
                r"\mathcal O(\bar s) \text{ (outlier and overlap of } \bar W + Z)", "neighbours.md §3.3 (Lampinen & "
                "Ganguli 2019)", "numeric", teacher_instance, _check_random_matrix),
        Theorem("lampinen.ta-dynamics", r"\varepsilon_{test}(t), \varepsilon_{train}(t) \text{ of the TA student; } "
                r"\min_t \varepsilon_{test} "
                r"\to 1 - \mathcal O(\bar s)^2", "neighbours.md §3.2-3.3 (Lampinen & Ganguli 2019)", "numeric",
                teacher_instance, _check_ta_dynamics),
    ]
