"""Discrete-time maps as models: x_{k+1} = Φ(x_k), batched, with their Jacobian, fixed-point verdicts from the
multipliers, the dimension of the attraction region of a saddle, and the largest stable step.

A :class:`DiscreteMap` is built from a field and a step rule (the training iterations of the papers are maps, not
flows: ``ssl_linear.md`` §7, ``neighbours.md`` §6) or written directly:

* ``DiscreteMap.euler(field, eta)``:             Φ(x) = x + η f(x),                  DΦ = I + η J
* ``DiscreteMap.preconditioned(field, eta, P)``: Φ(x) = x + η P f(x) (P fixed, e.g. LSGD's A_σ⁻¹), DΦ = I + η P J
* ``DiscreteMap.ema(field, eta, alpha, online, source, target)``: the online block takes the Euler step, the target
  block follows the *new* source block, x_t ← α x_t + (1 − α)(x_s + η f_s(x)) (BYOL's target network; α = 0 is SG).

**Verdicts** (the words of :mod:`symdyn.stability`): at a fixed point (‖Φ(x) − x‖ ≤ ``fixed_rtol``·(1 + ‖x‖)·
‖DΦ − I‖, else "not an equilibrium") the multipliers μ of DΦ — with known neutral directions T (a manifold of fixed
points: DΦ Tᵀ = Tᵀ, multiplier 1) projected out, as for flows — decide: all |μ| < 1 "asymptotically stable", some
|μ| > 1 and some < 1 "saddle", all > 1 "unstable", any | |μ| − 1 | ≤ ``neutral_rtol`` "inconclusive".  The flow
verdict is judged on log μ (Re log μ = log |μ|, the growth per step).

**Attraction region** of a fixed point of a linear(ised) map: the stable subspace, of dimension #{|μ| < 1}
(:func:`attraction_dimension`); for a periodic schedule Φ_p ∘ … ∘ Φ_1 the multipliers of the monodromy
(product) matrix.

**Largest stable step** of the Euler map at a stable equilibrium of the flow with non-neutral eigenvalues ν:
|1 + ην| < 1 ⟺ η < −2 Re ν / |ν|², so η_max = min_ν (−2 Re ν / |ν|²) (:func:`euler_step_limit`); for other rules
(EMA) :meth:`DiscreteMap.step_limit` bisects on the verdict of the map built at each η.

Examples
--------
>>> import numpy as np, sympy as sp
>>> from symdyn.field import VectorField
>>> x = sp.Symbol("x")
>>> gd = DiscreteMap.euler(VectorField([x], [-2 * x]), eta=0.4)   # x ← x − 0.8x
>>> gd.stability(np.array([0.0])).verdict, float(euler_step_limit(np.array([[-2.0]])))
('asymptotically stable', 1.0)
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Callable

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike

from ._validate import as_float_array, finite_real, positive_int, tolerance
from .stability import StabilityReport, classify_spectrum

if TYPE_CHECKING:
    from .field import VectorField
    from .kernels import Kernel

__all__ = ["DiscreteMap", "attraction_dimension", "euler_step_limit", "periodic_laplacian", "lsgd_preconditioner",
           "lsgd_schedule", "map_stability"]


class DiscreteMap:
    """x ← Φ(x) with its Jacobian DΦ (module docstring).

    Parameters
    ----------
    step : callable (..., D) -> (..., D) — Φ, batched over leading axes
    jacobian : callable (D,) -> (D, D) — DΦ at one point
    dimension : int — D
    name : str

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> from symdyn import VectorField
    >>> x, y = sp.symbols("x y", real=True)
    >>> flow = VectorField([x, y], [-x, -4 * y])
    >>> step = DiscreteMap.euler(flow, 0.3)                 # x ← x + 0.3 f(x): multipliers 0.7, −0.2
    >>> step, step.stability(np.zeros(2)).verdict
    (DiscreteMap(x + 0.3 f(x), D=2), 'asymptotically stable')
    >>> DiscreteMap.euler(flow, 0.6).stability(np.zeros(2)).verdict    # 1 − 0.6·4 = −1.4
    'saddle'
    """

    def __init__(self, step: Callable, jacobian: Callable, dimension: int, name: str = "map"):
        if not callable(step) or not callable(jacobian):
            raise TypeError("step, jacobian: expected callables")
        self.step, self._jacobian = step, jacobian
        self.dimension, self.name = positive_int(dimension, "dimension"), str(name)

    def __repr__(self) -> str:
        return f"DiscreteMap({self.name}, D={self.dimension})"

    def __call__(self, x) -> np.ndarray:
        return self.step(as_float_array(x, "x"))

    def jacobian(self, x: ArrayLike) -> np.ndarray:
        """DΦ(x), (D, D)."""
        x = self._point(x)
        return np.asarray(self._jacobian(x), dtype=float)

    def _point(self, x) -> np.ndarray:
        x = as_float_array(x, "x")
        if x.shape != (self.dimension,):
            raise ValueError(f"x: expected one point of shape ({self.dimension},), got {x.shape}")
        return x

    # ---- constructions from a field ----------------------------------------------------------------------
    @classmethod
    def euler(cls, field: VectorField | Kernel, eta: float, **params: ArrayLike) -> "DiscreteMap":
        """Φ(x) = x + η f(x) (gradient descent on a gradient field; SG when f is the stop-gradient field)."""
        kernel = _kernel(field, params)
        eta = finite_real(eta, "eta", low=0.0, low_open=True)
        D = kernel.dimension
        return cls(lambda x: x + eta * kernel.f(x), lambda x: np.eye(D) + eta * kernel.jacobian(x), D,
                   f"x + {eta:g} f(x)")

    @classmethod
    def preconditioned(cls, field: VectorField | Kernel, eta: float, P: ArrayLike,
                       **params: ArrayLike) -> "DiscreteMap":
        """Φ(x) = x + η P f(x) with a fixed matrix P (D, D) (e.g. :func:`lsgd_preconditioner`)."""
        kernel = _kernel(field, params)
        eta = finite_real(eta, "eta", low=0.0, low_open=True)
        D = kernel.dimension
        P = as_float_array(P, "P")
        if P.shape != (D, D):
            raise ValueError(f"P: expected shape ({D}, {D}), got {P.shape}")
        return cls(lambda x: x + eta * kernel.f(x) @ P.T, lambda x: np.eye(D) + eta * P @ kernel.jacobian(x), D,
                   f"x + {eta:g} P f(x)")

    @classmethod
    def ema(cls, field: VectorField | Kernel, eta: float, alpha: float, online: int, source: slice, target: slice,
            **params: ArrayLike) -> "DiscreteMap":
        """The EMA map (:func:`symdyn.flows.ema_step`): x[:online] ← x[:online] + η f(x)[:online],
        x[target] ← α x[target] + (1 − α) x_new[source]."""
        from .flows import ema_step

        kernel = _kernel(field, params)
        step = ema_step(kernel, eta, alpha, online, source, target)
        D = kernel.dimension
        src, tgt = np.arange(D)[source], np.arange(D)[target]

        def jac(x):
            Jf = kernel.jacobian(x)
            out = np.eye(D)
            out[:online] += eta * Jf[:online]
            new_src = np.eye(D)[src] + eta * Jf[src]  # rows of D(x_new[source])
            out[tgt] = alpha * np.eye(D)[tgt] + (1 - alpha) * new_src
            return out

        def batched(x):
            x2 = np.atleast_2d(x)
            out = step(np.array(x2, dtype=float), np.arange(len(x2)))
            return out.reshape(np.shape(x))

        return cls(batched, jac, D, f"EMA map (eta={eta:g}, alpha={alpha:g})")

    # ---- analysis ------------------------------------------------------------------------------------------
    def iterate(self, x0: ArrayLike, steps: int, *, blowup: float = 1e8, settle: float | None = None) -> tuple:
        """(x, diverged) after ``steps`` iterations of a batch x0 (N, D) (:func:`symdyn.flows.euler_map`: rows
        beyond ``blowup`` are frozen and flagged)."""
        from .flows import euler_map

        return euler_map(lambda x, idx: self.step(x), x0, steps, blowup=blowup, settle=settle)

    def stability(self, x: ArrayLike, manifold_dim: int | None = None, *, tangent: ArrayLike | None = None,
                  neutral_rtol: float = 1e-7, fixed_rtol: float = 1e-8) -> StabilityReport:
        """The verdict at the fixed point x (module docstring); ``tangent`` (k, D): known neutral directions
        (multiplier 1), projected out; else ``manifold_dim`` k multipliers nearest 1 are neutral."""
        x = self._point(x)
        M = self.jacobian(x)
        return map_stability(M, manifold_dim, tangent=tangent, neutral_rtol=neutral_rtol,
                             residual=float(np.linalg.norm(self.step(x) - x)), x_norm=float(np.linalg.norm(x)),
                             fixed_rtol=fixed_rtol)

    def attraction_dimension(self, x: ArrayLike, tangent: ArrayLike | None = None, rtol: float = 1e-9) -> dict:
        """:func:`attraction_dimension` of DΦ at x (with the neutral directions ``tangent`` projected out)."""
        M = self.jacobian(x)
        if tangent is not None:
            M = _quotient(M, as_float_array(tangent, "tangent"))
        return attraction_dimension(M, rtol=rtol)

    def step_limit(self, build: Callable, x: ArrayLike, *, eta_max: float = 10.0, tangent: ArrayLike | None = None,
                   rtol: float = 1e-10, neutral_rtol: float = 1e-9) -> float:
        """The largest η for which the map ``build(eta)`` (a DiscreteMap) keeps the fixed point x asymptotically
        stable, by bisection between a stable η (this map's) and ``eta_max`` (the spectral radius off the
        neutral directions crosses 1 there; assumes one crossing).  Returns inf if stable up to ``eta_max``."""
        def radius(m):
            M = m.jacobian(x)
            if tangent is not None:
                M = _quotient(M, tangent)
            return float(np.max(np.abs(np.linalg.eigvals(M)))) if M.size else 0.0

        lo, hi = 0.0, float(eta_max)
        if radius(build(hi)) < 1 - neutral_rtol:
            return np.inf
        while hi - lo > rtol * hi:
            mid = 0.5 * (lo + hi)
            if mid == 0 or radius(build(mid)) < 1:
                lo = mid
            else:
                hi = mid
        return 0.5 * (lo + hi)


def _kernel(field, params):
    from .field import VectorField

    if isinstance(field, VectorField):
        kernel = field.lambdify()
    elif hasattr(field, "f") and hasattr(field, "jacobian"):
        kernel = field
    else:
        raise TypeError(f"field: expected a VectorField or Kernel, got {type(field).__name__}")
    return kernel.bind(**params) if params else kernel


def _quotient(M, T) -> np.ndarray:
    """The map induced by M on the orthogonal complement of the rows of T (an invariant subspace: M Tᵀ = Tᵀ)."""
    T = np.atleast_2d(T)
    if T.size == 0:
        return M
    Q = scipy.linalg.null_space(T).T
    return Q @ M @ Q.T


def map_stability(M: ArrayLike, manifold_dim: int | None = None, *, tangent: ArrayLike | None = None,
                  neutral_rtol: float = 1e-7, residual: float = 0.0, x_norm: float = 0.0,
                  fixed_rtol: float = 1e-8) -> StabilityReport:
    """Verdict from the multipliers of the map's Jacobian M (D, D) at a fixed point (module docstring):
    ``residual`` = ‖Φ(x) − x‖ is checked against ``fixed_rtol``·(1 + ‖x‖)·max(‖M − I‖, 1e-300) first.

    Examples
    --------
    >>> import numpy as np
    >>> map_stability(np.diag([0.9, 0.5])).verdict, map_stability(np.diag([1.5, 0.5])).verdict
    ('asymptotically stable', 'saddle')
    >>> map_stability(np.diag([1.0, 0.5]), manifold_dim=1).verdict      # a line of fixed points, attracting
    'asymptotically stable'
    """
    M = as_float_array(M, "M")
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(f"M: expected a square matrix, got shape {M.shape}")
    neutral_rtol = tolerance(neutral_rtol, "neutral_rtol")
    D = M.shape[0]
    scale = float(np.linalg.norm(M - np.eye(D), 2)) if D else 0.0
    mu = np.linalg.eigvals(M) if D else np.zeros(0, dtype=complex)
    bound = fixed_rtol * (1 + x_norm) * max(scale, 1e-300)
    if residual > bound:
        return StabilityReport(mu, 0, manifold_dim or 0, float("nan"), "not an equilibrium",
                               f"‖Φ(x) − x‖ = {residual:.3g} > {bound:.3g} (not a fixed point)", scale,
                               neutral_rtol, neutral_rtol, 0, residual)
    k = 0
    if tangent is not None:
        T = as_float_array(tangent, "tangent")
        T = np.atleast_2d(T)
        k = int(np.linalg.matrix_rank(T)) if T.size else 0
        if k and np.linalg.norm(M @ T.T - T.T, 2) > max(neutral_rtol * max(scale, 1.0), 1e-300):
            raise ValueError("tangent: the given directions are not neutral for the map (DΦ Tᵀ ≠ Tᵀ)")
        mu = np.linalg.eigvals(_quotient(M, T)) if D - k else np.zeros(0, dtype=complex)
    elif manifold_dim:
        k = int(manifold_dim)
    with np.errstate(divide="ignore"):
        logs = np.log(mu.astype(complex))  # Re = log|μ|: the growth per step (−inf for μ = 0: superattracting)
    logs = np.where(np.isfinite(logs.real), logs, -1e300 + 0j)
    rep = classify_spectrum(logs, k if tangent is None else 0, 1.0, neutral_rtol, neutral_rtol)
    rep.eigenvalues = mu
    rep.manifold_dim = k
    rep.neutral_count = rep.neutral_count + (k if tangent is not None else 0)
    rep.scale = scale
    rep.residual = residual
    rep.reason = rep.reason.replace("eigenvalue", "multiplier") if rep.reason else rep.reason
    return rep


def attraction_dimension(M_or_sequence: np.ndarray | Sequence[np.ndarray], rtol: float = 1e-9) -> dict:
    """The dimension of the attraction region (the stable subspace) of the fixed point 0 of a linear map, or of a
    periodic schedule x ← M_p ⋯ M_1 x (pass the sequence [M_1, …, M_p]: the monodromy matrix M_p ⋯ M_1 decides).

    Returns {"stable" (#|μ| < 1 − rtol), "unstable" (#|μ| > 1 + rtol), "undecided" (the rest: report, do not
    guess), "multipliers" (sorted by modulus), "monodromy"}.

    >>> attraction_dimension(np.diag([0.5, 2.0, 0.9]))["stable"]
    2
    """
    if isinstance(M_or_sequence, (list, tuple)):
        mats = [as_float_array(M, "M_or_sequence") for M in M_or_sequence]
        if not mats:
            raise ValueError("M_or_sequence: an empty schedule")
        mono = np.eye(mats[0].shape[0])
        for M in mats:
            if M.shape != mono.shape:
                raise ValueError(f"M_or_sequence: matrices of different shapes {M.shape} and {mono.shape}")
            mono = M @ mono
    else:
        mono = as_float_array(M_or_sequence, "M_or_sequence")
        if mono.ndim != 2 or mono.shape[0] != mono.shape[1]:
            raise ValueError(f"M_or_sequence: expected a square matrix, got shape {mono.shape}")
    rtol = tolerance(rtol, "rtol")
    mu = np.linalg.eigvals(mono)
    mod = np.abs(mu)
    return {"stable": int(np.sum(mod < 1 - rtol)), "unstable": int(np.sum(mod > 1 + rtol)),
            "undecided": int(np.sum(np.abs(mod - 1) <= rtol)), "multipliers": mu[np.argsort(mod)],
            "monodromy": mono}


def euler_step_limit(J: ArrayLike, tangent: ArrayLike | None = None, neutral_rtol: float = 1e-9) -> float:
    """η_max = min over the non-neutral eigenvalues ν of J of −2 Re ν / |ν|² (the Euler map x + ηf loses stability
    at η_max: a multiplier 1 + ην leaves the unit circle); inf when every ν is neutral.  Requires Re ν < 0 for every
    non-neutral ν (a stable equilibrium of the flow), else ValueError.  ``tangent``: neutral directions, projected
    out; otherwise eigenvalues with |ν| ≤ neutral_rtol·‖J‖ are neutral.

    Examples
    --------
    >>> import numpy as np
    >>> euler_step_limit(np.diag([-1.0, -4.0]))           # min over ν of −2 Re ν/|ν|²: 2/4
    0.5
    >>> euler_step_limit(np.diag([0.0, -4.0]), tangent=[[1.0, 0.0]])
    0.5
    """
    J = as_float_array(J, "J")
    if tangent is not None:
        J = _quotient(J, as_float_array(tangent, "tangent"))
    nu = np.linalg.eigvals(J) if J.size else np.zeros(0, dtype=complex)
    scale = float(np.linalg.norm(J, 2)) if J.size else 0.0
    if tangent is None:
        nu = nu[np.abs(nu) > neutral_rtol * scale]
    if not nu.size:
        return np.inf
    if np.any(nu.real >= 0):
        raise ValueError("J: an eigenvalue with Re ν >= 0 off the neutral directions: not a stable equilibrium of "
                         "the flow, no step keeps it stable")
    return float(np.min(-2 * nu.real / np.abs(nu) ** 2))


def periodic_laplacian(n: int) -> np.ndarray:
    """The periodic 1-D discrete Laplacian (stencil [1, −2, 1] with wrap-around), (n, n) (``neighbours.md`` §6.1).

    Examples
    --------
    >>> periodic_laplacian(4).astype(int).tolist()
    [[-2, 1, 0, 1], [1, -2, 1, 0], [0, 1, -2, 1], [1, 0, 1, -2]]
    """
    n = positive_int(n, "n")
    L = -2 * np.eye(n) + np.eye(n, k=1) + np.eye(n, k=-1)
    if n > 2:
        L[0, -1] = L[-1, 0] = 1.0
    elif n == 2:
        L = np.array([[-2.0, 2.0], [2.0, -2.0]])
    else:
        L = np.zeros((1, 1))
    return L


def lsgd_preconditioner(n: int, sigma: float) -> np.ndarray:
    """A_σ⁻¹ with A_σ = I − σL (L :func:`periodic_laplacian`): Laplacian-smoothing gradient descent is
    x ← x − η A_σ⁻¹ ∇f(x) (Osher et al.; the authors' code solves with the FFT).  A_σ's eigenvalues are
    1 + 4σ sin²(πk/n) ≥ 1, so A_σ is symmetric positive definite for σ ≥ 0.

    Examples
    --------
    >>> import numpy as np
    >>> np.linalg.eigvalsh(np.linalg.inv(lsgd_preconditioner(4, 1.0))).round(12).tolist()  # 1 + 4σ sin²(πk/4)
    [1.0, 3.0, 3.0, 5.0]
    """
    sigma = finite_real(sigma, "sigma", low=0.0)
    return np.linalg.inv(np.eye(n) - sigma * periodic_laplacian(n))


def lsgd_schedule(B: ArrayLike, eta: float, sigmas: Sequence[float]) -> list:
    """The LSGD maps x ← (I − ηA_σ⁻¹B)x of f = ½xᵀBx, one per σ of the schedule (σ = 0 is gradient descent): pass
    the list to :func:`attraction_dimension` (one σ: a constant scheme; several: a periodic one).

    Examples
    --------
    >>> import numpy as np
    >>> B = np.diag([1.0, 2.0, 3.0, 4.0])
    >>> attraction_dimension(lsgd_schedule(B, 0.6, [0.0]))["unstable"]   # GD: 1 − 0.6·4 = −1.4
    1
    >>> attraction_dimension(lsgd_schedule(B, 0.6, [1.0]))["unstable"]   # smoothed: every multiplier inside
    0
    """
    B = as_float_array(B, "B")
    n = B.shape[0]
    eta = finite_real(eta, "eta", low=0.0, low_open=True)
    return [np.eye(n) - eta * lsgd_preconditioner(n, s) @ B for s in sigmas]

