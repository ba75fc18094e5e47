"""The synthetic m = 1 experiment of the SSL paper (``ssl_linear.md`` §9).

Per trial: ρ ~ U[0, 3], τ ~ U[−1, 1], λ ~ U[0.01, 0.1] (one data set per trial), a Gaussian
initialisation a, B ~ N(0, 1) entry-wise (C = a for EMA), then ``steps`` discrete updates

    SG :  (a, B) ← (a, B) + η f_SG(a, B)                       (f_SG derived by LinearSSL)
    EMA:  (a, B) ← (a, B) + η f_EMA,(a,B)(a, B, c);  c ← α c + (1 − α) a_new

All trials run at once as one batch: the derived entry-wise kernel takes ρ, τ, λ as arrays, one
value per trial.  End points are classified against the closed-form radii r_1,2 = (|τ| ∓ √Δ)/2ρ:
``outer`` (|‖a‖ − r_2| ≤ rtol·r_2), ``inner`` (same with r_1), ``origin`` (‖a‖ ≤ origin_tol), else
``elsewhere`` (not converged, or diverged).  The paper's n, η, α and initialisation are not known
(§9, §11.4); the defaults are the note's replication (n = 2, η = 0.05, α = 0.99).
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .registry import ALPHA, ETA, Experiment, Option, write_json
from ..flows import euler_map
from ..models.ssl_linear import LinearSSL, m1_radii

__all__ = ["run", "PAPER", "LABELS"]

LABELS = ("outer", "inner", "origin", "elsewhere")
PAPER = {  # ssl_linear.md §9: fractions reported in the paper (outer sphere S2 / origin)
    "ema": {"outer": 0.928, "inner": 0.0, "origin": 0.072, "elsewhere": 0.0},
    "sg": {"outer": 0.82, "inner": 0.0, "origin": 0.18, "elsewhere": 0.0},
}


def _classify(A, diverged, rho, tau, lam, rtol, origin_tol):
    norm = np.linalg.norm(A, axis=-1)
    geo = m1_radii(rho, tau, lam)
    r1, r2 = geo["radii"]
    exists = geo["exists"]
    label = np.full(norm.shape, "elsewhere", dtype=object)
    label[norm <= origin_tol] = "origin"
    label[exists & (np.abs(norm - r1) <= rtol * r1) & (norm > origin_tol)] = "inner"
    label[exists & (np.abs(norm - r2) <= rtol * r2)] = "outer"
    label[diverged] = "elsewhere"
    return label, exists


def _fractions(labels, mask):
    total = int(mask.sum())
    return {"trials": total,
            **{k: (float(np.sum(labels[mask] == k)) / total if total else 0.0) for k in LABELS}}


def run(trials: int = 4000, steps: int = 40000, n: int = 2, eta: float = 0.05, alpha: float = 0.99,
        seed: int = 0, rtol: float = 1e-3, origin_tol: float = 1e-4, methods=("sg", "ema"),
        out: str | Path | None = "results/ssl_m1.json", progress: bool = True, per_trial: bool = False) -> dict:
    """Run the experiment; returns (and writes to ``out``) a dict with fractions per method.

    Parameters
    ----------
    trials, steps : batch size and number of discrete updates
    n : embedding dimension (a ∈ R^n, B ∈ R^{n×n})
    eta, alpha : learning rate and EMA coefficient (α = 0 would be SG)
    seed : seed of the parameter and initialisation draws (the same draws for SG and EMA)
    rtol, origin_tol : classification tolerances (module docstring)
    per_trial : also return (not write) ``trials`` with per-trial arrays rho, tau, lam, delta, labels
    """
    for name, v, lo in (("trials", trials, 1), ("steps", steps, 1), ("n", n, 1)):
        if int(v) != v or v < lo:
            raise ValueError(f"{name}: expected an integer >= {lo}, got {v!r}")
    if not 0 < eta < 1:
        raise ValueError(f"eta: expected 0 < eta < 1, got {eta}")
    if not 0 <= alpha < 1:
        raise ValueError(f"alpha: expected 0 <= alpha < 1, got {alpha}")
    for mth in methods:
        if mth not in ("sg", "ema"):
            raise ValueError(f"methods: unknown method {mth!r}; expected 'sg' or 'ema'")
    rng = np.random.default_rng(seed)
    rho = rng.uniform(0.0, 3.0, trials)
    tau = rng.uniform(-1.0, 1.0, trials)
    lam = rng.uniform(0.01, 0.1, trials)
    a0 = rng.standard_normal((trials, n))
    B0 = rng.standard_normal((trials, n, n))
    model = LinearSSL(1, n)  # symbolic moments: sx_11 = ρ, syx_11 = τ, lam = λ stay kernel parameters
    results = {"config": {"trials": trials, "steps": steps, "n": n, "eta": eta, "alpha": alpha, "seed": seed,
                          "rtol": rtol, "origin_tol": origin_tol,
                          "ranges": {"rho": [0, 3], "tau": [-1, 1], "lam": [0.01, 0.1]},
                          "init": "a, B ~ N(0, 1) entry-wise; c = a"},
               "paper": PAPER, "methods": {}}
    for mth in methods:
        t0 = time.perf_counter()
        x0 = model.pack(a0[..., None], B0, a0[..., None] if mth == "ema" else None)
        step = model.discrete_step(mth, eta, alpha, lam=lam, sx_11=rho, syx_11=tau)

        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=steps, desc=f"ssl-m1 {mth}", unit="step", mininterval=0.5)

        def callback(i, x, active, bar=bar):
            if bar is not None:
                bar.update(100)
            return False

        x, diverged = euler_map(step, x0, steps, callback=callback, check_every=100)
        if bar is not None:
            bar.close()
        A = model.unpack(x)[0][..., 0]
        labels, exists = _classify(A, diverged, rho, tau, lam, rtol, origin_tol)
        results["methods"][mth] = {
            "all": _fractions(labels, np.ones(trials, dtype=bool)),
            "delta_nonneg": _fractions(labels, exists),
            "diverged": int(diverged.sum()),
            "seconds": round(time.perf_counter() - t0, 2),
        }
        if per_trial:
            results.setdefault("trials", {"rho": rho, "tau": tau, "lam": lam, "delta": tau ** 2 - 4 * rho * lam})
            results["trials"][f"labels_{mth}"] = labels
            results["trials"][f"norm_a_{mth}"] = np.linalg.norm(A, axis=-1)
    return write_json(results, out, exclude=("trials",))


def format_table(results: dict) -> str:
    """Markdown table of the fractions beside the paper's numbers."""
    rows = ["| method | trials | subset | outer S2 | inner S1 | origin | elsewhere | paper (outer / origin) |",
            "|---|---|---|---|---|---|---|---|"]
    for mth, res in results["methods"].items():
        paper = PAPER[mth]
        for subset, label in (("all", "all"), ("delta_nonneg", "Δ ≥ 0")):
            r = res[subset]
            ref = f"{paper['outer']:.1%} / {paper['origin']:.1%}"
            rows.append(f"| {mth.upper()} | {r['trials']} | {label} | {r['outer']:.1%} | {r['inner']:.1%} | "
                        f"{r['origin']:.1%} | {r['elsewhere']:.1%} | {ref} |")
    return "\n".join(rows)


EXPERIMENT = Experiment(
    "ssl-m1", "m = 1 SG/EMA iterations: outer sphere vs origin",
    (Option("--trials", "number of random trials (default 4000)", "positive_int", 4000),
     Option("--steps", "discrete updates per trial (default 40000)", "positive_int", 40000),
     Option("--n", "embedding dimension (default 2)", "positive_int", 2),
     ETA, ALPHA),
    run, format_table, output="results/ssl_m1.json", readme_key="reproduce:ssl-m1",
    remark="Paper: 10^4 trials, the subset (all or Δ ≥ 0) is not stated; its n, η, α, initialisation are not known "
           "(shared/papers/ssl_linear.md §9, §11.4).",
    summary=lambda res: "diverged: " + ", ".join(f"{k.upper()} {v['diverged']}" for k, v in res["methods"].items()))
