"""Trajectories: integrate a continuous field ẋ = f(x) (scipy.integrate) or iterate Euler maps.

* :func:`integrate` — one trajectory of a Kernel with ``scipy.integrate.solve_ivp``, using the
  compiled Jacobian for implicit methods.  Returns a :class:`Trajectory` (t: (T,), x: (T, D)).
* :func:`euler_map` — iterate a discrete update x_{t+1} = step(x_t) for a batch (N, D) of states, vectorised,
  with divergence detection (|x| > ``blowup``): diverged rows are frozen and flagged instead of producing NaN.
* :func:`gradient_step`, :func:`ema_step` — the discrete maps of training: x ← x + η f(x) (GD; SG with a
  stop-gradient field) and the EMA target update (online block by a gradient step, target block
  x_t ← α x_t + (1 − α) x_new[source]).  Models build them for their state layout
  (:meth:`symdyn.LinearSSL.discrete_step`).
* :func:`sphere_rk4` — projected RK4 on a product of unit spheres (rows of X renormalised every stage), batched.
* :func:`first_return` — recurrence of a discrete map: the first step at which each trajectory comes back to its
  start (a point on a periodic orbit, to the resolution of one step); :func:`periodic_returns` keeps only the
  returns with an unchanged step length (periodic orbits, not decaying spirals).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np
from numpy.typing import ArrayLike
from scipy.integrate import solve_ivp

from ._validate import as_float_array, choice, finite_real, nonnegative_int, positive_int, tolerance

if TYPE_CHECKING:
    from .kernels import Kernel

Step = Callable[["np.ndarray", "np.ndarray"], "np.ndarray"]  # step(x (K, D), rows (K,)) -> x (K, D)

__all__ = ["Trajectory", "integrate", "euler_map", "gradient_step", "ema_step", "sphere_rk4", "first_return",
           "periodic_returns"]


@dataclass
class Trajectory:
    """t: (T,) times; x: (T, D) states; success and message from the integrator.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> from symdyn import VectorField, integrate
    >>> x = sp.Symbol("x", real=True)
    >>> tr = integrate(VectorField([x], [-x]).lambdify(), [1.0], 2.0, t_eval=[0.0, 1.0, 2.0])
    >>> tr.t, np.round(tr.x[:, 0], 6)                           # e^{−t}
    (array([0., 1., 2.]), array([1.      , 0.367879, 0.135335]))
    """

    t: np.ndarray
    x: np.ndarray
    success: bool
    message: str

    def __repr__(self) -> str:
        return f"Trajectory(T={len(self.t)}, D={self.x.shape[-1]}, t_end={self.t[-1]:.4g}, success={self.success})"


def integrate(kernel: Kernel, x0: ArrayLike, t_max: float, *, t_eval: ArrayLike | None = None, method: str = "LSODA",
              rtol: float = 1e-9, atol: float = 1e-12, **params: float) -> Trajectory:
    """Integrate ẋ = f(x) from x0 (D,) over [0, t_max] with solve_ivp (Jacobian from the kernel).

    A run that stops early (blow-up, step size underflow) warns and returns ``success=False``.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> from symdyn import VectorField
    >>> x, y = sp.symbols("x y", real=True)
    >>> tr = integrate(VectorField([x, y], [x - x**3, -y]).lambdify(), [0.5, 1.0], 20.0)
    >>> tr.success, np.round(tr.x[-1], 6)                       # to the stable equilibrium (1, 0)
    (True, array([1., 0.]))
    """
    rtol, atol = tolerance(rtol, "rtol"), finite_real(atol, "atol", low=0.0, low_open=True)
    method = choice(method, "method", ("RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA"))
    x0 = as_float_array(x0, "x0")
    if x0.shape != (kernel.dimension,):
        raise ValueError(f"x0: expected shape ({kernel.dimension},), got {x0.shape}")
    if not np.isfinite(t_max) or t_max <= 0:
        raise ValueError(f"t_max: expected a positive finite time, got {t_max}")
    bound = kernel.bind(**params) if params else kernel
    sol = solve_ivp(lambda t, x: bound.f(x), (0.0, float(t_max)), x0, method=method, t_eval=t_eval,
                    jac=lambda t, x: bound.jacobian(x), rtol=rtol, atol=atol)
    if not sol.success:
        warnings.warn(f"integrate: {method} stopped at t = {sol.t[-1]:.6g} < t_max = {t_max:g}: {sol.message}",
                      RuntimeWarning, stacklevel=2)
    return Trajectory(sol.t, sol.y.T, bool(sol.success), str(sol.message))


def euler_map(step: Step, x0: ArrayLike, steps: int, *, blowup: float = 1e8, callback: Callable | None = None,
              check_every: int = 1, settle: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Iterate x ← step(x) on a batch x0 (N, D); rows exceeding ``blowup`` in max-norm are frozen.

    Parameters
    ----------
    step : callable (K, D) array, index array (K,) -> (K, D) array — one update of the active rows
        (the index array says which rows of the batch they are, for per-row parameters).
    steps : int — number of updates
    callback : callable(i, x, active) called every ``check_every`` steps, e.g. a progress bar;
        may return True to stop early.
    settle : float, optional — rows whose update moves them by at most ``settle``·(1 + ‖x‖) are at a fixed point
        of the map to that accuracy and stop being updated (None: every row runs all ``steps``).  For x ← x + ηf(x)
        this is ‖f(x)‖ ≤ settle·(1 + ‖x‖)/η; choose it well below the accuracy the end points are judged with.

    Returns
    -------
    (x, diverged) : final states (N, D) and a boolean mask (N,) of rows that blew up.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> from symdyn import VectorField, gradient_step
    >>> x, y = sp.symbols("x y", real=True)
    >>> step = gradient_step(VectorField([x, y], [x - x**3, -y]).lambdify(), 0.1)
    >>> end, diverged = euler_map(step, np.array([[0.5, 1.0], [-0.2, 0.3]]), 500)
    >>> np.round(end, 6), diverged                              # each start to the nearer stable point ±1
    (array([[ 1.,  0.],
           [-1.,  0.]]), array([False, False]))
    """
    steps = nonnegative_int(steps, "steps")
    blowup = finite_real(blowup, "blowup", low=0.0, low_open=True)
    check_every = positive_int(check_every, "check_every")
    if settle is not None:
        settle = finite_real(settle, "settle", low=0.0)
    x = np.array(as_float_array(x0, "x0"), copy=True)
    if x.ndim != 2:
        raise ValueError(f"x0: expected a batch of shape (N, D), got {x.shape}")
    diverged = np.zeros(x.shape[0], dtype=bool)
    active = np.flatnonzero(~diverged)
    for i in range(int(steps)):
        with np.errstate(over="ignore", invalid="ignore"):
            new = step(x[active], active)
        bad = ~(np.abs(new) <= blowup).all(axis=1)  # catches NaN and inf too
        if bad.any():
            diverged[active[bad]] = True
            new = new[~bad]
            active = active[~bad]
        if settle is not None:
            moved = np.linalg.norm(new - x[active], axis=1) <= settle * (1 + np.linalg.norm(new, axis=1))
            x[active] = new
            active = active[~moved]
        else:
            x[active] = new
        if callback is not None and (i + 1) % check_every == 0:
            if callback(i + 1, x, active):
                break
    return x, diverged


def first_return(step: Step, x0: ArrayLike, steps: int, *,
                 leave: float = 10.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First return of each trajectory of x ← step(x) to its start: periodic orbits of a discrete map.

    A row *returns* when, after having moved away by more than ``leave`` times its first step's length
    δ = ‖x₁ − x₀‖, it comes back within 2δ of x₀: the trajectory passes through its start again, to the
    resolution of one step (a map sampling a periodic orbit of period T returns after ≈ T/η steps); the return
    step is the closest step of that visit.  A slowly decaying spiral also comes back near its start; the ratio of
    the step length at the return to δ tells them apart (1 on a periodic orbit, e^{−σT} < 1 on a spiral).

    Parameters
    ----------
    step : callable (K, D), (K,) -> (K, D) — as for :func:`euler_map`
    x0 : (N, D) array — start points (e.g. the end points of a long run, already on their attractor)
    steps : int — steps to watch
    leave : float — how far (in first-step lengths) a row must go before a return counts

    Returns
    -------
    (returns, closest, ratio) : (N,) int array — the return step, or −1 if none within ``steps`` (or
    δ ≤ 1e-12‖x₀‖: a fixed point); (N,) float — the closest approach to x₀ after leaving, relative to δ (≤ 2 when
    it returned); (N,) float — step length at the return over δ (NaN without a return).

    Examples
    --------
    >>> import numpy as np
    >>> c, s = np.cos(2 * np.pi / 100), np.sin(2 * np.pi / 100)
    >>> rotate = lambda x, idx: x @ np.array([[c, -s], [s, c]]).T   # period 100
    >>> returns, closest, ratio = first_return(rotate, np.array([[1.0, 0.0]]), 150)
    >>> returns.tolist(), ratio.round(6).tolist()
    ([100], [1.0])
    """
    steps = positive_int(steps, "steps")
    x = np.array(as_float_array(x0, "x0"), copy=True)
    if x.ndim != 2:
        raise ValueError(f"x0: expected a batch of shape (N, D), got {x.shape}")
    idx = np.arange(len(x))
    start = x.copy()
    x = step(x, idx)
    delta = np.linalg.norm(x - start, axis=1)
    delta[delta <= 1e-12 * np.linalg.norm(start, axis=1)] = 0.0  # a fixed point (rounding noise is no motion)
    left = np.zeros(len(x), dtype=bool)
    near = np.zeros(len(x), dtype=bool)  # within 2δ after leaving: the return is the closest step of this visit
    done = np.zeros(len(x), dtype=bool)
    returns = np.full(len(x), -1)
    closest = np.full(len(x), np.inf)
    ratio = np.full(len(x), np.nan)
    for t in range(2, steps + 1):
        prev = x
        x = step(x, idx)
        with np.errstate(invalid="ignore", divide="ignore"):
            d = np.linalg.norm(x - start, axis=1) / delta
            length = np.linalg.norm(x - prev, axis=1) / delta
        left |= d > leave
        watch = left & ~done & (delta > 0)
        closer = watch & (d < closest)
        done |= watch & near & ~closer  # moving away again after the closest approach
        closest[closer] = d[closer]
        near |= watch & (d <= 2.0)
        returns[closer & near] = t
        ratio[closer & near] = length[closer & near]
        if (done | (delta == 0)).all():
            break
    return returns, closest, ratio


def periodic_returns(step: Step, x0: ArrayLike, steps: int, *, ratio_tol: float = 1e-2) -> np.ndarray:
    """Return steps of the rows of x0 that lie on a periodic orbit of x ← step(x), −1 for the others.

    A row is on a periodic orbit when it comes back to its start (:func:`first_return`) with the same step
    length, |ratio − 1| ≤ ``ratio_tol``; a slowly decaying spiral also comes back near its start, but with a
    shorter step (ratio e^{−σT}).  The period of a map x ← x + ηf sampling a flow is ≈ η × the return step.

    Examples
    --------
    >>> import numpy as np
    >>> c, s = np.cos(2 * np.pi / 100), np.sin(2 * np.pi / 100)
    >>> R = np.array([[c, -s], [s, c]])
    >>> periodic_returns(lambda x, idx: x @ R.T, np.array([[1.0, 0.0]]), 150).tolist()
    [100]
    >>> periodic_returns(lambda x, idx: 0.999 * x @ R.T, np.array([[1.0, 0.0]]), 150).tolist()  # a spiral
    [-1]
    """
    ratio_tol = finite_real(ratio_tol, "ratio_tol", low=0.0, low_open=True)
    returns, _, ratio = first_return(step, x0, steps)
    return np.where(np.abs(ratio - 1) <= ratio_tol, returns, -1)


def _rows(params: dict, idx) -> dict:
    """Per-row parameter values: arrays (ndim ≥ 1) hold one value per batch row and are indexed by ``idx``."""
    return {k: (v[idx] if np.ndim(v) else v) for k, v in params.items()}


def gradient_step(kernel: Kernel, eta: float, **params: ArrayLike) -> Step:
    """The map x ← x + η f(x) as a ``step(x, idx)`` for :func:`euler_map` (GD on a gradient field; SG when f is the
    stop-gradient field).  ``params``: values of the kernel's free parameters, scalars or arrays with one value per
    batch row.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> from symdyn import VectorField
    >>> x = sp.Symbol("x", real=True)
    >>> step = gradient_step(VectorField([x], [-x]).lambdify(), 0.5)
    >>> step(np.array([[2.0]]), np.array([0]))                  # x + 0.5·(−x)
    array([[1.]])
    """
    eta = finite_real(eta, "eta", low=0.0, low_open=True)

    def step(x, idx):
        return x + eta * kernel.f(x, **_rows(params, idx))

    return step


def ema_step(kernel: Kernel, eta: float, alpha: float, online: int, source: slice, target: slice,
             **params: ArrayLike) -> Step:
    """The EMA map as a ``step(x, idx)`` for :func:`euler_map`:

        x[:online] ← x[:online] + η f(x)[:online],     x[target] ← α x[target] + (1 − α) x_new[source]

    (BYOL's target network: the online weights take a gradient step, the target block follows the *new* online
    block ``source``).  α = 0 copies the online weights (SG).  ``params`` as in :func:`gradient_step`.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> from symdyn import VectorField, euler_map
    >>> a, b = sp.symbols("a b", real=True)
    >>> k = VectorField([a, b], [1 - a, 0 * b]).lambdify()     # online a → 1; b is a's EMA target
    >>> step = ema_step(k, eta=0.5, alpha=0.9, online=1, source=slice(0, 1), target=slice(1, 2))
    >>> x, diverged = euler_map(step, np.zeros((1, 2)), 200)
    >>> np.round(x, 6).tolist(), diverged.tolist()
    ([[1.0, 1.0]], [False])
    """
    eta = finite_real(eta, "eta", low=0.0, low_open=True)
    alpha = finite_real(alpha, "alpha", low=0.0, high=1.0, high_open=True)
    online = positive_int(online, "online")
    if len(range(kernel.dimension)[source]) != len(range(kernel.dimension)[target]):
        raise ValueError(f"source, target: blocks of different sizes ({source}, {target})")

    whole = set(range(kernel.dimension)) == set(range(online)) | set(range(kernel.dimension)[target])
    if whole:  # every column is online or target: one full-width update, then the target columns (same bits)
        def step(x, idx):
            new = x + eta * kernel.f(x, **_rows(params, idx))
            new[:, target] = alpha * x[:, target] + (1 - alpha) * new[:, source]
            return new

        return step

    def step(x, idx):
        new = x.copy()
        new[:, :online] += eta * kernel.f(x, **_rows(params, idx))[:, :online]
        new[:, target] = alpha * x[:, target] + (1 - alpha) * new[:, source]
        return new

    return step


# Dormand–Prince 5(4): nodes, stage coefficients, the 5th-order weights and (5th − 4th)-order error weights
_DP_A = (
    (),
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
)
_DP_B = (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84)
_DP_E = (35 / 384 - 5179 / 57600, 0.0, 500 / 1113 - 7571 / 16695, 125 / 192 - 393 / 640,
         -2187 / 6784 + 92097 / 339200, 11 / 84 - 187 / 2100, -1 / 40)


def sphere_dopri(rhs, X0, t_max: float, residual_tol: float, rtol: float = 1e-6, h0: float = 0.05, callback=None,
                 max_steps: int = 1_000_000):
    """Adaptive projected Dormand–Prince 5(4) on (S^{d−1})^n, batched: X0 (B, n, d) unit rows; ``rhs(X)``
    (K, n, d) -> (K, n, d), the ambient field (tangent on the sphere).

    Every trajectory has its own step h.  Error control *relative to the motion*: a step is accepted when its
    embedded error estimate max |h Σ e_j k_j| is at most h·(rtol·max_i ‖f_i(x)‖ + 10⁻³·residual_tol), i.e. rtol
    times the step's displacement, so the tolerance tightens by itself as the trajectory slows down near an
    equilibrium (an absolute tolerance would leave rounding-size wandering that keeps the residual above
    ``residual_tol``); h is rescaled by 0.9·err^(−1/4) (within ×0.2 … ×5).  Accepted points are renormalised onto
    the sphere and f is evaluated there (the next step's first stage, and the stopping rule: a trajectory stops when
    max_i ‖f_i‖ < ``residual_tol``).  ``callback(t_min, active_count)`` is called every 100 iterations.

    Returns
    -------
    (X, t, residual, evaluations): end points (B, n, d), times reached (B,), max_i ‖f_i‖ at the end points (B,),
    and the number of field evaluations per trajectory (B,) (6 per attempted step + 1 per accepted one).
    """
    if not (np.isfinite(t_max) and t_max > 0 and h0 > 0):
        raise ValueError(f"t_max, h0: expected positive finite values, got t_max={t_max}, h0={h0}")
    if not 0 < rtol < 1:
        raise ValueError(f"rtol: expected 0 < rtol < 1, got {rtol}")
    X = np.array(X0, dtype=float, copy=True)
    B = len(X)
    t = np.zeros(B)
    h = np.full(B, float(h0))
    F = rhs(X)
    evals = np.ones(B, dtype=np.int64)
    res = np.linalg.norm(F, axis=-1).max(axis=-1)
    active = np.flatnonzero(res >= residual_tol)
    stuck = np.zeros(B, dtype=bool)  # the step size collapsed: stopped where they are (warned)
    for it in range(max_steps):
        if active.size == 0:
            break
        Y, k1 = X[active], F[active]
        hh = np.minimum(h[active], t_max - t[active])[:, None, None]
        ks = [k1]
        for a in _DP_A[1:]:
            ks.append(rhs(Y + hh * sum(c * k for c, k in zip(a, ks))))
        Y5 = Y + hh * sum(c * k for c, k in zip(_DP_B, ks) if c)
        ks.append(rhs(Y5))
        evals[active] += 6
        E = hh * sum(c * k for c, k in zip(_DP_E, ks) if c)
        speed = np.linalg.norm(k1, axis=-1).max(axis=-1)
        allowed = hh[:, 0, 0] * (rtol * speed + 1e-3 * residual_tol)
        err = np.abs(E).max(axis=(-2, -1)) / allowed
        ok = err <= 1.0
        factor = np.clip(0.9 * np.maximum(err, 1e-10) ** -0.25, 0.2, 5.0)
        acc = active[ok]
        if acc.size:
            Z = Y5[ok]
            Z /= np.linalg.norm(Z, axis=-1, keepdims=True)
            X[acc] = Z
            F[acc] = rhs(Z)
            evals[acc] += 1
            t[acc] += hh[ok, 0, 0]
            res[acc] = np.linalg.norm(F[acc], axis=-1).max(axis=-1)
        h[active] = np.where(ok, factor, np.minimum(factor, 0.5)) * hh[:, 0, 0]
        collapsed = ~np.isfinite(h[active]) | (h[active] <= 1e-14 * np.maximum(1.0, t[active]))
        if collapsed.any():
            warnings.warn(f"sphere_dopri: the step size of {int(collapsed.sum())} trajectories collapsed; they stop at "
                          "their current point and time", RuntimeWarning, stacklevel=2)
            stuck[active[collapsed]] = True
        active = active[(res[active] >= residual_tol) & (t[active] < t_max * (1 - 1e-12)) & ~stuck[active]]
        if callback is not None and it % 100 == 99:
            callback(float(t[active].min()) if active.size else float(t_max), int(active.size))
    else:
        warnings.warn(f"sphere_dopri: {active.size} trajectories still running after max_steps={max_steps} "
                      "iterations", RuntimeWarning, stacklevel=2)
    return X, t, res, evals


def sphere_rk4(rhs: Callable[[np.ndarray], np.ndarray], X0: np.ndarray, t_max: float, dt: float, residual_tol: float,
               callback: Callable[[float, int], None] | None = None, return_evaluations: bool = False) -> tuple:
    """Projected RK4 on (S^{d−1})^n, batched: X0 (B, n, d) unit rows; ``rhs(X)`` (K, n, d) -> (K, n, d) tangent.

    Each stage and step is renormalised onto the sphere; a trajectory stops when max_i ‖f_i‖ < ``residual_tol``
    (checked every 10 steps).  ``callback(t, active_count)`` is called every 100 steps.  Returns (X, t, residual):
    end points (B, n, d), the time each trajectory reached (B,), and max_i ‖f_i‖ at the end points (B,); with
    ``return_evaluations`` also the field evaluations per trajectory (B,).

    Examples
    --------
    >>> import numpy as np
    >>> D = np.diag([1.0, 0.0, 0.0])                          # Oja's flow x' = Dx − (xᵀDx)x on S²
    >>> rhs = lambda X: X @ D - np.einsum("kni,kni->kn", X, X @ D)[..., None] * X
    >>> X, t, residual = sphere_rk4(rhs, np.array([[[0.6, 0.8, 0.0]]]), 50.0, 0.05, 1e-8)
    >>> np.round(X, 6).tolist(), bool(residual[0] < 1e-8)
    ([[[1.0, 0.0, 0.0]]], True)
    """
    if not (np.isfinite(t_max) and t_max > 0 and dt > 0):
        raise ValueError(f"t_max, dt: expected positive finite values, got t_max={t_max}, dt={dt}")
    X = np.array(X0, dtype=float, copy=True)

    def unit(Y):
        return Y / np.linalg.norm(Y, axis=-1, keepdims=True)

    t = np.zeros(len(X))
    res = np.linalg.norm(rhs(X), axis=-1).max(axis=-1)
    evals = np.ones(len(X), dtype=np.int64)
    active = np.flatnonzero(res >= residual_tol)
    for s in range(int(np.ceil(t_max / dt))):
        if active.size == 0:
            break
        Y = X[active]
        k1 = rhs(Y)
        k2 = rhs(unit(Y + 0.5 * dt * k1))
        k3 = rhs(unit(Y + 0.5 * dt * k2))
        k4 = rhs(unit(Y + dt * k3))
        Y = unit(Y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4))
        X[active] = Y
        t[active] += dt
        evals[active] += 4
        if s % 10 == 9:
            r = np.linalg.norm(rhs(Y), axis=-1).max(axis=-1)
            evals[active] += 1
            res[active] = r
            active = active[r >= residual_tol]
        if callback is not None and s % 100 == 99:
            callback(float((s + 1) * dt), int(active.size))
    res = np.linalg.norm(rhs(X), axis=-1).max(axis=-1)
    return (X, t, res, evals + 1) if return_evaluations else (X, t, res)

