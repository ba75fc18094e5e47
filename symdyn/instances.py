"""Random instances, in one place: the data of the theorem registry, the tests, the benchmarks and the LaTeX
examples.  Each generator takes a ``numpy.random.Generator`` (or a seed) and returns plain data (a dict of arrays
and numbers), so an instance is reproducible from (seed, theorem id) and can be written to JSON as a
counterexample; ``ssl_model``/``attention_model`` build the model of an instance.

Examples
--------
>>> import numpy as np
>>> Sx, Syx, Sy = random_moments(2, seed=0)
>>> bool(np.linalg.eigvalsh(np.block([[Sx, Syx.T], [Syx, Sy]])).min() >= -1e-12)   # jointly PSD
True
>>> inst = ssl_instance(np.random.default_rng(0))
>>> ssl_model(inst)
LinearSSL(m=..., n=..., numeric moments, lam=..., kappa=...)
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ._validate import finite_real, positive_int, seed_value

if TYPE_CHECKING:
    from .models.attention import SelfAttention
    from .models.ssl_linear import LinearSSL

__all__ = ["random_moments", "SHAPES", "ssl_instance", "ssl_model", "m1_instance", "attention_instance",
           "attention_model", "polygon_instance", "tian_instance", "alignment_instance", "basin_instance",
           "saxe_instance", "top_modes_instance", "oja_instance", "rank_instance"]

# (m, n) shapes of the SSL registry instances
SHAPES = [(1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (2, 4), (3, 3), (3, 4)]


def random_moments(m: int, seed: int | np.random.Generator = 0, coupling: float = 0.3, noise: float = 0.3,
                   commuting: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Second moments (Σx, Σyx, Σy) of a random two-view model, jointly PSD by construction.

    Generic: z ~ N(0, I_m), x = P z + noise·ε₁, y = Q z + noise·ε₂ with P, Q = I + coupling·N(0,1):
    Σx = PPᵀ + noise² I, Σyx = QPᵀ, Σy = QQᵀ + noise² I.
    Commuting (§6.3): x = z + ε₁, y = z + ε₂ with z ~ N(0, V diag(d) Vᵀ) and isotropic noise, so that
    Σx = V diag(d + noise²) Vᵀ and Σyx = V diag(d) Vᵀ share eigenvectors.

    Examples
    --------
    >>> import numpy as np
    >>> Sx, Syx, Sy = random_moments(2, seed=0)
    >>> Sx.shape, bool(np.all(np.linalg.eigvalsh(Sx) > 0))      # Σx is positive definite
    ((2, 2), True)
    >>> Sx, Syx, _ = random_moments(3, seed=1, commuting=True)
    >>> bool(np.allclose(Sx @ Syx, Syx @ Sx))                   # commuting moments
    True
    """
    m = positive_int(m, "m")
    coupling = finite_real(coupling, "coupling", low=0.0)
    noise = finite_real(noise, "noise", low=0.0)
    seed = seed_value(seed)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if commuting:
        V, _ = np.linalg.qr(rng.standard_normal((m, m)))
        d = rng.uniform(0.5, 2.0, m)
        Sxz = (V * d) @ V.T
        Sx = Sxz + noise ** 2 * np.eye(m)
        return (Sx + Sx.T) / 2, (Sxz + Sxz.T) / 2, (Sx + Sx.T) / 2
    P = np.eye(m) + coupling * rng.standard_normal((m, m))
    Q = np.eye(m) + coupling * rng.standard_normal((m, m))
    Sx = P @ P.T + noise ** 2 * np.eye(m)
    Sy = Q @ Q.T + noise ** 2 * np.eye(m)
    return (Sx + Sx.T) / 2, Q @ P.T, (Sy + Sy.T) / 2


def ssl_instance(rng: np.random.Generator, shapes: Sequence[tuple[int, int]] = SHAPES,
                 lam: tuple[float, float] = (0.005, 0.05)) -> dict:
    """Linear SSL data: (m, n) from ``shapes``, moments from :func:`random_moments`, λ ~ U(lam), κ ~ U[0.1, 2].

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> inst = ssl_instance(rng, shapes=[(2, 3)])
    >>> inst["m"], inst["n"], inst["sigma_x"].shape
    (2, 3, (2, 2))
    """
    m, n = shapes[int(rng.integers(len(shapes)))]
    Sx, Syx, Sy = random_moments(m, rng)
    return {"m": m, "n": n, "sigma_x": Sx, "sigma_yx": Syx, "sigma_y": Sy,
            "lam": float(rng.uniform(*lam)), "kappa": float(rng.uniform(0.1, 2.0)),
            "x_seed": int(rng.integers(2 ** 31))}


#: models of the most recent SSL instances (:func:`ssl_model`), by content
_SSL_MODELS: dict = {}
SSL_MODELS_KEPT = 4


def ssl_model(inst: dict) -> LinearSSL:
    """The LinearSSL of an :func:`ssl_instance`; the same model object for the same data among the last
    ``SSL_MODELS_KEPT`` instances, so theorems checked one after the other on one instance (``Theorem.stream``)
    share its cached equilibrium set.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> inst = ssl_instance(rng, shapes=[(2, 3)])
    >>> model = ssl_model(inst)
    >>> (model.m, model.n), ssl_model(inst) is model                   # built once per data
    ((2, 3), True)
    """
    from .models.ssl_linear import LinearSSL

    arrays = [np.asarray(inst[k], dtype=float) for k in ("sigma_x", "sigma_yx", "sigma_y")]
    key = (inst["m"], inst["n"], float(inst["lam"]), float(inst["kappa"])) + tuple(a.tobytes() for a in arrays)
    if key not in _SSL_MODELS:
        if len(_SSL_MODELS) >= SSL_MODELS_KEPT:
            _SSL_MODELS.pop(next(iter(_SSL_MODELS)))
        _SSL_MODELS[key] = LinearSSL(inst["m"], inst["n"], *arrays, inst["lam"], inst["kappa"])
    return _SSL_MODELS[key]


def m1_instance(rng: np.random.Generator) -> dict:
    """m = 1 data: n ∈ {1..4}, ρ ~ U[0.05, 3], τ ~ U[−1, 1], λ ~ U[0.01, 0.1] (ssl_linear.md §6.4).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> inst = m1_instance(rng)
    >>> 0.05 <= inst["rho"] <= 3, -1 <= inst["tau"] <= 1, 0.01 <= inst["lam"] <= 0.1
    (True, True, True)
    """
    return {"n": int(rng.integers(1, 5)), "rho": float(rng.uniform(0.05, 3)), "tau": float(rng.uniform(-1, 1)),
            "lam": float(rng.uniform(0.01, 0.1)), "x_seed": int(rng.integers(2 ** 31))}


def attention_instance(rng: np.random.Generator, n_range: tuple[int, int] = (2, 8),
                       d_range: tuple[int, int] = (2, 6)) -> dict:
    """Self-attention: symmetric V, Gaussian M, β ~ U[0, 5], an eigenvector index j and a bipartite split.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> inst = attention_instance(rng)
    >>> bool(np.allclose(inst["V"], inst["V"].T)), 0 <= inst["beta"] <= 5, sorted(inst)
    (True, True, ['M', 'V', 'beta', 'd', 'j', 'n', 'split', 'x_seed'])
    """
    n, d = int(rng.integers(*n_range)), int(rng.integers(*d_range))
    G = rng.standard_normal((d, d))
    return {"n": n, "d": d, "V": (G + G.T) / 2, "M": rng.standard_normal((d, d)),
            "beta": float(rng.uniform(0, 5)), "j": int(rng.integers(d)), "split": int(rng.integers(1, max(n, 2))),
            "x_seed": int(rng.integers(2 ** 31))}


def attention_model(inst: dict, normalization: str = "softmax") -> SelfAttention:
    """The SelfAttention of an :func:`attention_instance` (softmax, or ``normalization="uniform"``: 1/n).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> inst = attention_instance(rng)
    >>> model = attention_model(inst)
    >>> (model.n, model.d) == (inst["n"], inst["d"])
    True
    """
    from .models.attention import SelfAttention

    return SelfAttention(inst["n"], inst["d"], V=inst["V"], M=inst["M"], beta=inst["beta"], normalization=normalization)


def polygon_instance(rng: np.random.Generator) -> dict:
    """The regular triangle of attention.md Proposition D(ii): β ~ U[1, 4] and a rotation phase.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> 1 <= polygon_instance(rng)["beta"] <= 4
    True
    """
    return {"beta": float(rng.uniform(1.0, 4.0)), "phase": float(rng.uniform(0, 2 * np.pi))}


def tian_instance(rng: np.random.Generator) -> dict:
    """DirectPred (neighbours.md §1.1): non-isotropic X ≻ 0, X' ⪰ 0, rates α_p, β, η.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> bool(np.linalg.eigvalsh(tian_instance(rng)["X"]).min() > 0)     # X ≻ 0
    True
    """
    n1, n2 = int(rng.integers(2, 6)), int(rng.integers(2, 5))
    G, H = rng.standard_normal((2, n1, n1))
    return {"n1": n1, "n2": n2, "X": G @ G.T / n1 + 0.1 * np.eye(n1), "Xp": H @ H.T / n1,
            "alpha_p": float(rng.uniform(0.5, 3)), "beta": float(rng.uniform(0.1, 1)), "eta": float(rng.uniform(0, 0.1)),
            "x_seed": int(rng.integers(2 ** 31))}


def alignment_instance(rng: np.random.Generator) -> dict:
    """Tian et al. Theorem 3 (isotropic, A1–A3): symmetric W_p, F ⪰ 0, α_p, σ², η, τ.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> inst = alignment_instance(rng)
    >>> bool(np.allclose(inst["Wp"], inst["Wp"].T)), bool(np.linalg.eigvalsh(inst["F"]).min() >= -1e-12)
    (True, True)
    """
    n = int(rng.integers(2, 5))
    A, G = rng.standard_normal((2, n, n))
    return {"n": n, "Wp": (A + A.T) / 4, "F": G @ G.T / n, "alpha_p": float(rng.uniform(0.5, 3)),
            "sigma2": float(rng.uniform(0, 1)), "eta": float(rng.uniform(0.02, 0.3)), "tau": float(rng.uniform(0.3, 1))}


def basin_instance(rng: np.random.Generator) -> dict:
    """SimSiam per-mode field below the threshold η < η_c = 1/(4(1+σ²)), and a relative offset δ from p*₋.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> inst = basin_instance(rng)
    >>> bool(inst["eta"] < 1 / (4 * (1 + inst["sigma2"])))              # below the threshold η_c
    True
    """
    sigma2 = float(rng.uniform(0, 1))
    return {"alpha_p": float(rng.uniform(0.5, 3)), "sigma2": sigma2,
            "eta": float(rng.uniform(0.1, 0.9)) / (4 * (1 + sigma2)), "delta": float(rng.uniform(0.02, 0.2))}


def saxe_instance(rng: np.random.Generator) -> dict:
    """Saxe et al. mode fields: depth 2–5, strength s, time constant τ, a start a₀ and u₀.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> 2 <= saxe_instance(rng)["depth"] <= 5
    True
    """
    return {"depth": int(rng.integers(2, 6)), "s": float(rng.uniform(0.5, 3)), "tau": float(rng.uniform(0.5, 2)),
            "a0": rng.uniform(0.05, 1.0, 5) * rng.choice([-1, 1], 5), "u0": float(rng.uniform(1e-3, 0.5))}


def top_modes_instance(rng: np.random.Generator) -> dict:
    """Saxe et al. §2.2: a two-layer network with N₂ < r hidden units and a random SVD of Σ³¹.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> inst = top_modes_instance(rng)
    >>> bool(inst["hidden"] < len(inst["s"]))                          # N₂ < r
    True
    """
    n1, n3 = int(rng.integers(3, 6)), int(rng.integers(3, 5))
    r = min(n1, n3)
    return {"n1": n1, "n3": n3, "hidden": int(rng.integers(1, r)), "s": np.sort(rng.uniform(0.3, 3, r))[::-1],
            "U": np.linalg.qr(rng.standard_normal((n3, n3)))[0], "V": np.linalg.qr(rng.standard_normal((n1, n1)))[0],
            "G_seed": int(rng.integers(2 ** 31))}


def oja_instance(rng: np.random.Generator) -> dict:
    """Oja's subspace flow: a random symmetric M (d ∈ 3..6), a subspace dimension h and a start W₀.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> inst = oja_instance(rng)
    >>> inst["M"].shape == (inst["d"], inst["d"]), bool(np.allclose(inst["M"], inst["M"].T))
    (True, True)
    """
    d = int(rng.integers(3, 7))
    Q = np.linalg.qr(rng.standard_normal((d, d)))[0]
    lam = np.sort(rng.uniform(-1, 3, d))
    return {"d": d, "h": int(rng.integers(1, d)), "M": Q @ np.diag(lam) @ Q.T, "lam": lam,
            "W0": np.linalg.qr(rng.standard_normal((d, d)))[0]}


def rank_instance(rng: np.random.Generator) -> dict:
    """A spectrum with a top gap g = λ₁ − λ₂ ∈ [0.3, 1.5] and λ₂ − λ₃ ≥ 0.6g (so the rate is measurable).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> lam = np.sort(rank_instance(rng)["lam"])[::-1]
    >>> gap = lam[0] - lam[1]
    >>> bool(0.3 <= gap <= 1.5), bool(lam[1] - lam[2] >= 0.6 * gap)
    (True, True)
    """
    d = int(rng.integers(3, 7))
    g = float(rng.uniform(0.3, 1.5))
    top = float(rng.uniform(0.5, 3))
    third = top - g - g * float(rng.uniform(0.6, 1.5))
    lam = np.sort(np.r_[top, top - g, third, third - rng.uniform(0, 2, d - 3)])
    Q = np.linalg.qr(rng.standard_normal((d, d)))[0]
    return {"d": d, "h": 2, "M": Q @ np.diag(lam) @ Q.T, "lam": lam, "W0": np.linalg.qr(rng.standard_normal((d, d)))[0]}
