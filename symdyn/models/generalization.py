"""Generalization dynamics of deep linear networks (Lampinen & Ganguli 2019; ``neighbours.md`` §3).

A rank-N̄₂ teacher W̄ = Σ_α s̄_α ū_α v̄_αᵀ (N̄₃ × N̄₁, aspect ratio 𝒜 = N̄₃/N̄₁ ≤ 1) is seen through N̄₁ orthonormal
inputs with noisy outputs: Σ³¹ = W̄ + Z, Z with i.i.d. entries of variance 1/N̄₁ (unit noise: s̄ is an SNR).  As
N̄₁ → ∞ the random-matrix closed forms are

    ŝ(s̄) = s̄⁻¹√((1 + s̄²)(𝒜 + s̄²))  above the transition s̄ > 𝒜^{1/4}  (else the noise edge 1 + √𝒜),
    𝒪(s̄) = [1 − 𝒜(1 + s̄²)/(s̄²(𝒜 + s̄²))]^{1/2} [1 − (𝒜 + s̄²)/(s̄²(1 + s̄²))]^{1/2}  (else 0)

(the outlier singular value of Σ³¹ and the overlap |û·ū||v̂·v̄|), and the Marchenko–Pastur density
P(ŝ) = √(4𝒜 − (ŝ² − 1 − 𝒜)²)/(π𝒜ŝ) of the noise singular values on [1 − √𝒜, 1 + √𝒜].  A training-aligned (TA) student
(singular vectors those of Σ³¹, values starting at ε) follows Saxe's solution per mode,
s(t) = ŝ e^{2ŝt/τ}/(e^{2ŝt/τ} − 1 + ŝ/ε), and its test error against the teacher is

    ε_test(t) = [(N₂ − N̄₂)⟨s(ŝ, t)²⟩_MP + Σ_α (s_α(t) − s̄_α)² + 2 s_α(t) s̄_α (1 − 𝒪(s̄_α))] / Σ_α s̄_α²,

minimised at the optimal stopping time t_opt; the best any student with these singular vectors can do is
s_α = s̄_α𝒪(s̄_α), ε_opt = Σ s̄_α²(1 − 𝒪(s̄_α)²)/Σ s̄_α² (1 − 𝒪² for a rank-1 teacher).  The expressions are SymPy
(:func:`closed_forms`), lambdified once for the numerics.

Examples
--------
>>> round(float(overlap(2.0, 1.0)), 6), round(float(outlier(2.0, 1.0)), 6)     # neighbours.md §3.4
(0.75, 2.5)
>>> t_opt, err = optimal_stopping([2.0], 1.0)
>>> round(err, 4)
0.4375
"""
from __future__ import annotations

import functools

import numpy as np
import scipy.integrate
import scipy.optimize
import sympy as sp
from numpy.typing import ArrayLike

from .._validate import finite_real, positive_int

__all__ = ["closed_forms", "outlier", "overlap", "mp_density", "mode_trajectory", "generalization_error", "training_error",
           "optimal_stopping",
           "optimal_error", "sample_teacher_data", "simulate_ta_student"]


@functools.lru_cache(maxsize=None)
def closed_forms() -> dict:
    """SymPy expressions in s̄ (``s_bar``), ŝ (``s_hat``), 𝒜 (``A``), t, τ, ε: ``outlier`` and ``overlap`` (above the
    transition), ``mp_density``, ``mode`` (Saxe's s(t)), ``mode_time`` (its inverse t(s)), ``transition``
    (s̄ = 𝒜^{1/4}).

    Examples
    --------
    >>> forms = closed_forms()
    >>> forms["outlier"]                                    # ŝ(s̄; 𝒜) above the transition
    sqrt(A + s_bar**2)*sqrt(s_bar**2 + 1)/s_bar
    """
    sb, sh, A, t, tau, eps, s = sp.symbols("s_bar s_hat A t tau epsilon s", positive=True)
    out = {"symbols": (sb, sh, A, t, tau, eps, s)}
    out["outlier"] = sp.sqrt((1 + sb ** 2) * (A + sb ** 2)) / sb
    out["overlap"] = (sp.sqrt(1 - A * (1 + sb ** 2) / (sb ** 2 * (A + sb ** 2)))
                      * sp.sqrt(1 - (A + sb ** 2) / (sb ** 2 * (1 + sb ** 2))))
    out["mp_density"] = sp.sqrt(4 * A - (sh ** 2 - (1 + A)) ** 2) / (sp.pi * A * sh)
    e = sp.exp(2 * sh * t / tau)
    out["mode"] = sh * e / (e - 1 + sh / eps)
    out["mode_time"] = tau / (2 * sh) * sp.log((sh / eps - 1) / (sh / s - 1))
    out["transition"] = A ** sp.Rational(1, 4)
    return out


@functools.lru_cache(maxsize=None)
def _numeric():
    c = closed_forms()
    sb, sh, A, t, tau, eps, s = c["symbols"]
    return {"outlier": sp.lambdify((sb, A), c["outlier"], "numpy"),
            "overlap": sp.lambdify((sb, A), c["overlap"], "numpy"),
            "mp": sp.lambdify((sh, A), c["mp_density"], "numpy")}


def outlier(s_bar: ArrayLike, A: float) -> np.ndarray:
    """ŝ(s̄; 𝒜): the top singular value of Σ³¹ for a teacher mode of strength s̄ (the noise edge 1 + √𝒜 below
    the transition s̄ ≤ 𝒜^{1/4}).

    Examples
    --------
    >>> round(float(outlier(2.0, 0.5)), 12), round(float(outlier(0.5, 0.5)), 12)   # the second: the edge 1 + √𝒜
    (2.371708245126, 1.707106781187)
    """
    s_bar, A = np.asarray(s_bar, dtype=float), float(A)
    above = s_bar > A ** 0.25
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(above, _numeric()["outlier"](s_bar, A), 1 + np.sqrt(A))


def overlap(s_bar: ArrayLike, A: float) -> np.ndarray:
    """𝒪(s̄; 𝒜) = |û·ū||v̂·v̄| (0 below the transition).

    Examples
    --------
    >>> round(float(overlap(2.0, 0.5)), 12), float(overlap(0.5, 0.5))   # 0 below the transition s̄ = 𝒜^{1/4}
    (0.816921728877, 0.0)
    """
    s_bar, A = np.asarray(s_bar, dtype=float), float(A)
    above = s_bar > A ** 0.25
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(above, np.nan_to_num(_numeric()["overlap"](np.where(above, s_bar, 1.0), A)), 0.0)


def mp_density(s_hat: ArrayLike, A: float) -> np.ndarray:
    """The Marchenko–Pastur density of the noise singular values (0 outside [1 − √𝒜, 1 + √𝒜]).

    Examples
    --------
    >>> import numpy as np
    >>> mp_density(np.array([1.0, 3.0]), 0.5).round(6).tolist()        # 0 beyond the edge 1 + √𝒜
    [0.842169, 0.0]
    """
    s_hat, A = np.asarray(s_hat, dtype=float), float(A)
    inside = (s_hat > 1 - np.sqrt(A)) & (s_hat < 1 + np.sqrt(A)) & (s_hat > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(inside, np.nan_to_num(_numeric()["mp"](np.where(inside, s_hat, 1.0), A)), 0.0)


def mode_trajectory(t: ArrayLike, s_hat: ArrayLike, eps: float = 1e-5, tau: float = 1.0) -> np.ndarray:
    """Saxe's s(t) = ŝ e^{2ŝt/τ}/(e^{2ŝt/τ} − 1 + ŝ/ε) (overflow-free).

    Examples
    --------
    >>> import numpy as np
    >>> mode_trajectory(np.array([0.0, 100.0]), 2.0).round(12).tolist()   # from ε to ŝ
    [1e-05, 2.0]
    """
    t, s_hat = np.asarray(t, dtype=float), np.asarray(s_hat, dtype=float)
    x = np.exp(-2 * s_hat * t / tau)
    return s_hat / (1 + (s_hat / eps - 1) * x)


def generalization_error(t: ArrayLike, teacher: ArrayLike, A: float, N2: int | None = None, eps: float = 1e-5,
                         tau: float = 1.0) -> np.ndarray:
    """ε_test(t) of the TA student (module docstring) for teacher singular values ``teacher`` (N̄₂,) and N₂ ≥ N̄₂
    student modes (default N̄₂: no noise modes; the noise modes' ⟨s(ŝ, t)²⟩ is integrated over the MP density).

    Examples
    --------
    >>> import numpy as np
    >>> generalization_error(np.array([0.0, 100.0]), [2.0], 0.5).round(6).tolist()   # no noise modes: ends at ε_opt
    [0.999992, 0.46875]
    """
    sb = np.atleast_1d(np.asarray(teacher, dtype=float))
    N2 = len(sb) if N2 is None else positive_int(N2, "N2")
    if N2 < len(sb):
        raise ValueError(f"N2: the student needs at least the teacher's {len(sb)} modes, got {N2}")
    t = np.atleast_1d(np.asarray(t, dtype=float))
    sh, O = outlier(sb, A), overlap(sb, A)
    s = mode_trajectory(t[:, None], sh[None, :], eps, tau)
    num = np.sum((s - sb) ** 2 + 2 * s * sb * (1 - O), axis=1)
    if N2 > len(sb):
        lo, hi = max(1 - np.sqrt(A), 0.0), 1 + np.sqrt(A)
        sea = np.array([scipy.integrate.quad(lambda x, tt=tt: mode_trajectory(tt, x, eps, tau) ** 2 * mp_density(x, A),
                                             lo, hi, limit=200)[0] for tt in t])
        num = num + (N2 - len(sb)) * sea
    return num / np.sum(sb ** 2)


def training_error(t: ArrayLike, teacher: ArrayLike, A: float, N3: int, N2: int | None = None, eps: float = 1e-5,
                   tau: float = 1.0, s_hat: ArrayLike | None = None) -> np.ndarray:
    """ε_train(t) = ‖Σ³¹ − W(t)‖²_F/‖Σ³¹‖²_F of the TA student: its modes are those of Σ³¹, so with singular values
    ŝ_β of Σ³¹ (N̄₃ of them) and the student's s_β(t) on its N₂ top modes,

        ε_train(t) = [Σ_{β ≤ N₂} (ŝ_β − s_β(t))² + Σ_{β > N₂} ŝ_β²] / Σ_β ŝ_β².

    With ``s_hat`` (the sample's singular values) this is exact for the sample; otherwise the N̄₃ → ∞ form: the
    outliers ŝ(s̄_α), and the N̄₃ − N̄₂ noise modes by the Marchenko–Pastur averages (⟨x²⟩ = 1 for unit noise; the
    student's N₂ − N̄₂ noise modes learn ⟨(x − s(x, t))²⟩).

    Examples
    --------
    >>> import numpy as np
    >>> training_error(np.array([0.0, 100.0]), [2.0], 0.5, N3=10).round(6).tolist()
    [0.999997, 0.615385]
    """
    sb = np.atleast_1d(np.asarray(teacher, dtype=float))
    N3 = positive_int(N3, "N3")
    N2 = len(sb) if N2 is None else positive_int(N2, "N2")
    t = np.atleast_1d(np.asarray(t, dtype=float))
    if s_hat is not None:
        sh = np.sort(np.asarray(s_hat, dtype=float))[::-1]
        learned = mode_trajectory(t[:, None], sh[None, :N2], eps, tau)
        return (np.sum((sh[:N2] - learned) ** 2, axis=1) + np.sum(sh[N2:] ** 2)) / np.sum(sh ** 2)
    sh = outlier(sb, A)
    out = np.sum((sh - mode_trajectory(t[:, None], sh[None, :], eps, tau)) ** 2, axis=1)
    lo, hi = max(1 - np.sqrt(A), 0.0), 1 + np.sqrt(A)
    second = scipy.integrate.quad(lambda x: x ** 2 * mp_density(x, A), lo, hi, limit=200)[0]  # = 1 (unit noise)
    if N2 > len(sb):
        sea = np.array([scipy.integrate.quad(lambda x, tt=tt: (x - mode_trajectory(tt, x, eps, tau)) ** 2 * mp_density(x, A),
                                             lo, hi, limit=200)[0] for tt in t])
        out = out + (N2 - len(sb)) * sea
    out = out + (N3 - N2) * second
    return out / (np.sum(sh ** 2) + (N3 - len(sb)) * second)


def optimal_stopping(teacher: ArrayLike, A: float, N2: int | None = None, eps: float = 1e-5, tau: float = 1.0) -> tuple:
    """(t_opt, ε_test(t_opt)): the minimum of :func:`generalization_error` over t > 0 (bounded scalar minimisation on log t
    over the times at which the modes learn).

    Examples
    --------
    >>> t_opt, err = optimal_stopping([2.0], 0.5)
    >>> round(err, 9) == round(optimal_error([2.0], 0.5), 9)
    True
    """
    sb = np.atleast_1d(np.asarray(teacher, dtype=float))
    sh = outlier(sb, A)
    t_late = float(np.max(tau / (2 * sh) * np.log(sh / eps))) * 4
    res = scipy.optimize.minimize_scalar(lambda lt: float(generalization_error(np.exp(lt), sb, A, N2, eps, tau)[0]),
                                         bounds=(np.log(1e-3 * t_late), np.log(t_late)), method="bounded",
                                         options={"xatol": 1e-10})
    return float(np.exp(res.x)), float(res.fun)


def optimal_error(teacher: ArrayLike, A: float) -> float:
    """ε_opt = Σ s̄²(1 − 𝒪(s̄)²)/Σ s̄²: the student s_α = s̄_α𝒪(s̄_α) on the TA singular vectors (the shrinkage
    optimum; 1 − 𝒪² for a rank-1 teacher).

    Examples
    --------
    >>> round(optimal_error([2.0], 0.5), 12), round(1 - float(overlap(2.0, 0.5)) ** 2, 12)   # rank one: 1 − 𝒪²
    (0.332638888889, 0.332638888889)
    """
    sb = np.atleast_1d(np.asarray(teacher, dtype=float))
    O = overlap(sb, A)
    return float(np.sum(sb ** 2 * (1 - O ** 2)) / np.sum(sb ** 2))


def sample_teacher_data(teacher: ArrayLike, N1: int, A: float, seed: int = 0) -> dict:
    """A random teacher W̄ = Σ s̄_α ū_α v̄_αᵀ (orthonormal random singular vectors) and Σ³¹ = W̄ + Z, Z ~ N(0, 1/N̄₁)
    entry-wise (N̄₃ = round(𝒜N̄₁) × N̄₁).  Returns {"W_bar", "Sigma31", "N3"}.

    Examples
    --------
    >>> data = sample_teacher_data([2.0], N1=20, A=0.5, seed=0)
    >>> data["W_bar"].shape, data["Sigma31"].shape, data["N3"]
    ((10, 20), (10, 20), 10)
    """
    N1 = positive_int(N1, "N1")
    A = finite_real(A, "A", low=0.0, high=1.0, low_open=True)
    sb = np.atleast_1d(np.asarray(teacher, dtype=float))
    rng = np.random.default_rng(seed)
    N3 = max(len(sb), int(round(A * N1)))
    U = np.linalg.qr(rng.standard_normal((N3, len(sb))))[0]
    V = np.linalg.qr(rng.standard_normal((N1, len(sb))))[0]
    W = (U * sb) @ V.T
    return {"W_bar": W, "Sigma31": W + rng.standard_normal((N3, N1)) / np.sqrt(N1), "N3": N3}


def simulate_ta_student(Sigma31: np.ndarray, W_bar: np.ndarray, times: ArrayLike, rank: int, eps: float = 1e-5,
                        tau: float = 1.0, dt: float = 1e-2, train: bool = False) -> np.ndarray:
    """Gradient flow (classical RK4, step dt; gradient descent with a small learning rate) of the two-layer linear student W = W₂W₁ with ``rank`` hidden units
    on L = ½‖Σ³¹ − W₂W₁‖² (Σ¹¹ = I): τẆ₁ = W₂ᵀ(Σ³¹ − W₂W₁), τẆ₂ = (Σ³¹ − W₂W₁)W₁ᵀ, from the training-aligned start
    W₂ = √ε Û_r, W₁ = √ε V̂_rᵀ (the top ``rank`` singular vectors of Σ³¹).  Returns the test error
    ‖W₂W₁ − W̄‖²/‖W̄‖² at each of ``times`` (sorted); with ``train`` (test, training error ‖Σ³¹ − W₂W₁‖²/‖Σ³¹‖²).

    Examples
    --------
    >>> import numpy as np
    >>> data = sample_teacher_data([2.0], N1=20, A=0.5, seed=0)
    >>> err = simulate_ta_student(data["Sigma31"], data["W_bar"], np.array([0.0, 20.0]), rank=1)
    >>> bool(err[1] < err[0])                               # the test error falls as the mode is learnt
    True
    """
    U, s, Vt = np.linalg.svd(Sigma31, full_matrices=False)
    W2, W1 = np.sqrt(eps) * U[:, :rank], np.sqrt(eps) * Vt[:rank]
    out, tr, t = [], [], 0.0
    norm, norm31 = np.sum(W_bar ** 2), np.sum(Sigma31 ** 2)

    def rhs(W1, W2):
        R = Sigma31 - W2 @ W1
        return W2.T @ R / tau, R @ W1.T / tau

    for target in np.sort(np.asarray(times, dtype=float)):
        while t < target - 1e-12:
            h = min(dt, target - t)
            a1, a2 = rhs(W1, W2)
            b1, b2 = rhs(W1 + h / 2 * a1, W2 + h / 2 * a2)
            c1, c2 = rhs(W1 + h / 2 * b1, W2 + h / 2 * b2)
            d1, d2 = rhs(W1 + h * c1, W2 + h * c2)
            W1, W2 = W1 + h / 6 * (a1 + 2 * b1 + 2 * c1 + d1), W2 + h / 6 * (a2 + 2 * b2 + 2 * c2 + d2)
            t += h
        out.append(np.sum((W2 @ W1 - W_bar) ** 2) / norm)
        tr.append(np.sum((Sigma31 - W2 @ W1) ** 2) / norm31)
    return (np.array(out), np.array(tr)) if train else np.array(out)
