"""Trajectories: integrate a continuous field ẋ = f(x) (scipy.integrate) or iterate Euler maps.

* :func:`integrate` — one trajectory of a Kernel with ``scipy.integrate.solve_ivp``, using the
  compiled Jacobian for implicit methods.  Returns a :class:`Trajectory` (t: (T,), x: (T, D)).
* :func:`euler_map` — the discrete update x_{t+1} = x_t + η f(x_t) for a batch (N, D) of
  states, vectorised, with divergence detection (|x| > ``blowup``): diverged rows are frozen and
  flagged instead of producing NaN.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from ._validate import as_float_array, choice, finite_real, nonnegative_int, positive_int, tolerance

__all__ = ["Trajectory", "integrate", "euler_map"]


@dataclass
class Trajectory:
    """t: (T,) times; x: (T, D) states; success and message from the integrator."""

    t: np.ndarray
    x: np.ndarray
    success: bool
    message: str

    def __repr__(self) -> str:
        return f"Trajectory(T={len(self.t)}, D={self.x.shape[-1]}, t_end={self.t[-1]:.4g}, success={self.success})"


def integrate(kernel, x0, t_max: float, *, t_eval=None, method: str = "LSODA", rtol: float = 1e-9,
              atol: float = 1e-12, **params) -> Trajectory:
    """Integrate ẋ = f(x) from x0 (D,) over [0, t_max] with solve_ivp (Jacobian from the kernel).

    A run that stops early (blow-up, step size underflow) warns and returns ``success=False``."""
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


def euler_map(step, x0, steps: int, *, blowup: float = 1e8, callback=None, check_every: int = 1):
    """Iterate x ← step(x) on a batch x0 (N, D); rows exceeding ``blowup`` in max-norm are frozen.

    Parameters
    ----------
    step : callable (K, D) array, index array (K,) -> (K, D) array — one update of the active rows
        (the index array says which rows of the batch they are, for per-row parameters).
    steps : int — number of updates
    callback : callable(i, x, active) called every ``check_every`` steps, e.g. a progress bar;
        may return True to stop early.

    Returns
    -------
    (x, diverged) : final states (N, D) and a boolean mask (N,) of rows that blew up.
    """
    steps = nonnegative_int(steps, "steps")
    blowup = finite_real(blowup, "blowup", low=0.0, low_open=True)
    check_every = positive_int(check_every, "check_every")
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
        x[active] = new
        if callback is not None and (i + 1) % check_every == 0:
            if callback(i + 1, x, active):
                break
    return x, diverged
