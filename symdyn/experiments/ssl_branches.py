"""Which equilibrium branches do SG and EMA reach for m ≥ 2? (``ssl_linear.md`` §6–§7).

For each of ``instances`` random data sets (``random_moments(m)``, λ ~ U[0.005, 0.03]) the full-rank
branches S_k of (E1) are computed and their stability judged (symdyn.stability at a sampled point);
then ``inits`` Gaussian initialisations (entries N(0, 1)) are iterated with the discrete updates

    SG :  x ← x + η f_SG(x)        EMA: (A, B) ← (A, B) + η f_EMA;  C ← α C + (1 − α) A_new

(the derived matrix-form kernel, all inits as one batch).  End points are labelled by AᵀA: the branch
S_k it matches (‖S_k^{-1/2}(AᵀA − S_k)S_k^{-1/2}‖ ≤ rtol), ``origin`` (‖A‖ ≤ 1e-4), ``rank-deficient``
(AᵀA singular to 1e-6: a partially collapsed equilibrium), or ``other`` (‖f‖ > 1e-7(1 + ‖x‖): not
converged, or diverged).
"""
from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import numpy as np

from .registry import ALPHA, ETA, Experiment, Option, write_json
from ..flows import euler_map
from ..instances import random_moments
from ..models.ssl_linear import LinearSSL

__all__ = ["run", "format_table", "OUTCOMES"]

OUTCOMES = ("stable branch", "saddle branch", "origin", "rank-deficient", "other")


def _label(A, branches, rtol):
    if np.linalg.norm(A) <= 1e-4:
        return "origin"
    S = A.T @ A
    for Sk, verdict in branches:
        # scale-aware in every direction: ‖S_k^{-1/2} (S − S_k) S_k^{-1/2}‖ ≤ rtol (a plain relative Frobenius
        # distance would confuse a branch with a tiny eigenvalue and the rank-deficient equilibrium next to it)
        w, U = np.linalg.eigh(Sk)
        Wm = (U / np.sqrt(w)) @ U.T
        if np.linalg.norm(Wm @ (S - Sk) @ Wm, 2) <= rtol:
            return "stable branch" if verdict == "asymptotically stable" else "saddle branch"
    ev = np.linalg.eigvalsh(S)
    return "rank-deficient" if ev.min() <= 1e-6 * ev.max() else "other"


def run(m: int = 2, n: int = 3, instances: int = 8, inits: int = 200, steps: int = 20000, eta: float = 0.05,
        alpha: float = 0.99, seed: int = 0, rtol: float = 1e-3, out: str | Path | None = "results/ssl_branches.json",
        progress: bool = True) -> dict:
    """Run the experiment (module docstring); returns and writes a JSON-able dict."""
    for name, v in (("m", m), ("n", n), ("instances", instances), ("inits", inits), ("steps", steps)):
        if int(v) != v or v < 1:
            raise ValueError(f"{name}: expected a positive integer, got {v!r}")
    if m > n:
        raise ValueError(f"m: must not exceed n (got m={m}, n={n})")
    if not 0 < eta < 1 or not 0 <= alpha < 1:
        raise ValueError(f"eta, alpha: expected 0 < eta < 1 and 0 <= alpha < 1, got {eta}, {alpha}")
    rng = np.random.default_rng(seed)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=instances * 2, desc="ssl-branches", unit="run", mininterval=0.5)
    t0 = time.perf_counter()
    per_instance, totals = [], {"sg": Counter(), "ema": Counter()}
    for i in range(instances):
        Sx, Syx, Sy = random_moments(m, rng)
        lam = float(rng.uniform(0.005, 0.03))
        model = LinearSSL(m, n, Sx, Syx, Sy, lam=lam, kappa=(1 - alpha) / eta)
        A0 = rng.standard_normal((inits, n, m))
        B0 = rng.standard_normal((inits, n, n))
        record = {"instance": i, "lam": lam}
        for kind in ("sg", "ema"):
            branches = [(V.info["S"], V.stability(seed=0).verdict) for V in model.equilibria(kind)]
            k = model.kernel(kind)
            x0 = model.pack(A0, B0, A0 if kind == "ema" else None)
            step = model.discrete_step(kind, eta, alpha)
            x, diverged = euler_map(step, x0, steps)
            A = model.unpack(x)[0]
            fx = k.f(x[~diverged]) if (~diverged).any() else np.zeros((0, x.shape[1]))
            converged = np.zeros(len(x), dtype=bool)
            converged[~diverged] = np.linalg.norm(fx, axis=1) <= 1e-7 * (1 + np.linalg.norm(x[~diverged], axis=1))
            labels = [_label(a, branches, rtol) if ok else "other" for a, ok in zip(A, converged)]
            c = Counter(labels)
            totals[kind].update(c)
            record[kind] = {"branches": [v for _, v in branches], "outcomes": dict(c)}
            if bar is not None:
                bar.update(1)
        per_instance.append(record)
    if bar is not None:
        bar.close()
    runs = instances * inits
    result = {"config": {"m": m, "n": n, "instances": instances, "inits": inits, "steps": steps, "eta": eta,
                         "alpha": alpha, "seed": seed, "rtol": rtol},
              "fractions": {k: {o: totals[k].get(o, 0) / runs for o in OUTCOMES} for k in ("sg", "ema")},
              "instances": per_instance, "seconds": round(time.perf_counter() - t0, 2)}
    return write_json(result, out)


def format_table(res: dict) -> str:
    rows = ["| method | " + " | ".join(OUTCOMES) + " |", "|---" * (len(OUTCOMES) + 1) + "|"]
    for k in ("sg", "ema"):
        rows.append(f"| {k.upper()} | " + " | ".join(f"{res['fractions'][k][o]:.1%}" for o in OUTCOMES) + " |")
    return "\n".join(rows)


EXPERIMENT = Experiment(
    "ssl-branches", "m = 2: which equilibrium branches random starts reach",
    (Option("--m", "input dimension m (default 2)", "positive_int", 2),
     Option("--n", "embedding dimension (default 3)", "positive_int", 3),
     Option("--instances", "random data sets (default 8)", "positive_int", 8),
     Option("--inits", "initial conditions per data set (default 100)", "positive_int", 100),
     Option("--branch-steps", "updates (default 20000)", "positive_int", 20000, param="steps"),
     ETA, ALPHA),
    run, format_table, output="results/ssl_branches.json", readme_key="reproduce:ssl-branches",
    remark="The note (shared/papers/ssl_linear.md §7.3) predicts: exactly one attracting full-rank branch, the others "
           "saddles (never reached); the origin and some partially collapsed equilibria are attracting too.",
    settings=("m", "n", "instances", "inits", "steps", "seed"))
