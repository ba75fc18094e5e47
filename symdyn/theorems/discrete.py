"""Registry entries of the discrete-time maps (``symdyn.discrete``; ``ssl_linear.md`` §7, ``neighbours.md`` §6).

* ``ssl.sg-map-step-limit`` — the SG training map (A, B) ← (A, B) + η f loses the outer variety exactly at
  η_max = min_ν −2 Re ν/|ν|² (ν: the non-neutral eigenvalues of the SG field's Jacobian there); checked by
  *iterating* the map from a perturbed point at 0.8 η_max (the distance to the set of equilibria does not grow) and
  1.2 η_max (it grows tenfold or the iteration diverges), not by the multipliers.
* ``ssl.ema-map-step-limit`` — the EMA map at α = 0 has SG's step limit (its target copies the new online weights),
  and for α ∈ (0, 1) its limit is found by bisection on the map's multipliers; reported as evidence per α.
* ``lsgd.attraction-dimension`` — on f = ½xᵀBx with a strict saddle (one negative eigenvalue), gradient descent and
  Laplacian-smoothing GD (x ← x − η A_σ⁻¹Bx, constant σ, or a periodic schedule σ_1 … σ_p through the monodromy
  matrix) have an attraction region of dimension n − 1 for η < 2/λ_max(B): constant σ by Sylvester's law of inertia
  (I − ηA_σ⁻¹B is similar to the symmetric I − ηA_σ^{-1/2}BA_σ^{-1/2}), a periodic schedule as measured.  The
  published ⌊(n − 1)/2⌋ (Kreusser, Osher & Wang) is for a modified scheme (mLSGD) whose iteration is not public.
"""
from __future__ import annotations

import numpy as np

from ..discrete import attraction_dimension, lsgd_schedule, periodic_laplacian
from ..instances import ssl_instance, ssl_model
from .registry import CheckResult, Theorem

__all__ = ["theorems"]

SHAPES = ((1, 2), (2, 2), (2, 3))
MAPS = "ssl.discrete-maps"  # the two map entries share their instances (and the model's kernels and equilibria)


def _map_instance(rng):
    return ssl_instance(rng, shapes=SHAPES, lam=(0.02, 0.1))


def _check_sg_step_limit(inst):
    model = ssl_model(inst)
    try:
        eta_c = model.step_limits(alphas=(), seed=inst["x_seed"])["sg"]
    except ValueError as exc:
        return CheckResult(True, applicable=False, detail=str(exc))
    x = model.equilibria("sg")[-1].sample(inst["x_seed"])  # the point step_limits judged
    kernel = model.kernel("sg")
    rng = np.random.default_rng(inst["x_seed"])
    x0 = x + 1e-6 * (1 + np.linalg.norm(x)) * rng.standard_normal(x.size)
    d0 = float(np.linalg.norm(kernel.f(x0)))
    out = {}
    for factor in (0.8, 1.2):
        xs, diverged = model.discrete_map("sg", factor * eta_c).iterate(x0[None], 3000, blowup=1e6)
        out[factor] = np.inf if diverged[0] else float(np.linalg.norm(kernel.f(xs[0]))) / d0
    passed = out[0.8] <= 1.0 and out[1.2] >= 10.0
    return CheckResult(passed, float(out[0.8]), detail=f"η_max = {eta_c:.4g}; ‖f‖ ratio after 3000 steps: "
                       f"{out[0.8]:.2g} at 0.8η_max, {out[1.2]:.2g} at 1.2η_max")


def _check_ema_step_limit(inst):
    try:
        lim = ssl_model(inst).step_limits(alphas=(0.0, 0.9, 0.99), seed=inst["x_seed"])
    except ValueError as exc:
        return CheckResult(True, applicable=False, detail=str(exc))
    eta_sg, ema = lim["sg"], lim["ema"]
    res = abs(ema[0.0] - eta_sg) / eta_sg
    return CheckResult(res < 1e-7, res, detail=f"η_max: SG {eta_sg:.6g}; EMA α=0 {ema[0.0]:.6g}, α=0.9 {ema[0.9]:.4g}, "
                       f"α=0.99 {ema[0.99]:.4g}",
                       evidence="EMA limit below SG's at α = 0.9 and 0.99" if max(ema[0.9], ema[0.99]) < eta_sg
                       else "EMA limit not below SG's")


def lsgd_instance(rng):
    """A quadratic ½xᵀBx with one negative eigenvalue (n ∈ 3..9, random basis), a periodic σ schedule of length
    p ∈ 1..4 (p = 1: constant σ) with σ ~ U[0, 10], and η ~ U(0.01, 1)·2/λ_max(B)."""
    n = int(rng.integers(3, 10))
    Q = np.linalg.qr(rng.standard_normal((n, n)))[0]
    ev = np.r_[-rng.uniform(0.1, 2.0), rng.uniform(0.1, 5.0, n - 1)]
    p = int(rng.integers(1, 5))
    return {"n": n, "B": Q @ np.diag(ev) @ Q.T, "sigma": rng.uniform(0.0, 10.0, p).tolist(),
            "eta": float(rng.uniform(0.01, 1.0) * 2 / ev.max())}


def _check_lsgd(inst):
    n, B, eta = inst["n"], np.asarray(inst["B"]), inst["eta"]
    gd = attraction_dimension(lsgd_schedule(B, eta, [0.0]))
    ls = attraction_dimension(lsgd_schedule(B, eta, inst["sigma"]))
    dims = [gd["stable"], ls["stable"]]
    if len(inst["sigma"]) == 1:  # Sylvester: the symmetric similar matrix I − ηA^{-1/2}BA^{-1/2} counts the same
        w, V = np.linalg.eigh(np.eye(n) - inst["sigma"][0] * periodic_laplacian(n))  # A_σ
        root = (V / np.sqrt(w)) @ V.T  # A^{-1/2}
        dims.append(int(np.sum(np.abs(np.linalg.eigvalsh(np.eye(n) - eta * root @ B @ root)) < 1 - 1e-9)))
    undecided = gd["undecided"] + ls["undecided"]
    if undecided:
        return CheckResult(True, applicable=False, detail=f"{undecided} multiplier(s) on the unit circle")
    margin = float(min(abs(abs(m) - 1) for m in ls["multipliers"]))
    return CheckResult(all(d == n - 1 for d in dims), margin,
                       detail=f"n = {n}, schedule of {len(inst['sigma'])}: stable dimensions {dims} (GD, LSGD"
                              + (", Sylvester)" if len(dims) == 3 else ")"))


def theorems() -> list[Theorem]:
    """The registry entries of this section.

    Examples
    --------
    >>> claims = theorems()
    >>> len(claims), claims[0].id
    (3, 'ssl.sg-map-step-limit')
    """
    return [
        Theorem("ssl.sg-map-step-limit", r"(A,B) \leftarrow (A,B) + \eta f \text{ keeps the outer variety iff } "
                r"\eta < \min_\nu -2\operatorname{Re}\nu/|\nu|^2", "ssl_linear.md §7 (discrete SG; symdyn.discrete)",
                "numeric", _map_instance, _check_sg_step_limit, stream=MAPS),
        Theorem("ssl.ema-map-step-limit", r"\eta_{\max}^{\mathrm{EMA}}(\alpha = 0) = \eta_{\max}^{\mathrm{SG}}",
                "ssl_linear.md §7 (discrete EMA; symdyn.discrete)", "numeric", _map_instance, _check_ema_step_limit,
                stream=MAPS),
        Theorem("lsgd.attraction-dimension", r"\dim\{x_0 : x_k \to 0\} = n - 1 \text{ for GD and LSGD "
                r"(constant or periodic } \sigma)", "neighbours.md §6.3 (Kreusser, Osher & Wang: ⌊(n−1)/2⌋ is for "
                "mLSGD, not modelled)", "numeric", lsgd_instance, _check_lsgd, measure="margin"),
    ]
