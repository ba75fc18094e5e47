"""Shared random instances (explicit seeds) for the model tests."""
import functools

import numpy as np

from symdyn import LinearSSL
from symdyn.models.ssl_linear import random_moments

# 20 instances covering m in {1, 2, 3} and n in {m, ..., m + 3}
SSL_INSTANCES = [(seed, 1 + seed % 3, 1 + seed % 3 + (seed // 3) % 4) for seed in range(20)]


@functools.lru_cache(maxsize=None)
def ssl_instance(seed: int, m: int, n: int) -> LinearSSL:
    rng = np.random.default_rng(1000 + seed)
    Sx, Syx, Sy = random_moments(m, rng)
    lam = float(rng.uniform(0.005, 0.03))
    kappa = float(rng.uniform(0.2, 2.0))
    return LinearSSL(m, n, sigma_x=Sx, sigma_yx=Syx, sigma_y=Sy, lam=lam, kappa=kappa)


def finite_difference_jacobian(f, x, h=1e-6):
    """Central differences, column by column: J[:, j] ≈ (f(x + h e_j) − f(x − h e_j)) / 2h."""
    x = np.asarray(x, dtype=float)
    D = x.size
    J = np.empty((D, D))
    for j in range(D):
        e = np.zeros(D)
        step = h * max(1.0, abs(x[j]))
        e[j] = step
        J[:, j] = (f(x + e) - f(x - e)) / (2 * step)
    return J
