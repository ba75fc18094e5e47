"""Which equilibrium components do SG and EMA reach for m ≥ 2? (``ssl_linear.md`` §6–§7, every rank stratum).

For each of ``instances`` random data sets (``random_moments(m)``, λ ~ U[0.005, 0.03]) the whole equilibrium set
is computed (:meth:`LinearSSL.equilibrium_set`: every rank r = 0 … m, each component with its stability verdict);
then ``inits`` Gaussian initialisations (entries N(0, 1)) are iterated with the discrete updates

    SG :  x ← x + η f_SG(x)        EMA: (A, B) ← (A, B) + η f_EMA;  C ← α C + (1 − α) A_new

(the derived matrix-form kernel, all inits as one batch).  Every end point is labelled by the component it lies on
(:meth:`LinearSSL.locate`: S = AᵀA matches the component's root to ``rtol``): its rank r and its branch (k-th of
its stratum by increasing tr S) and verdict.  End points that are not equilibria are ``diverged`` (the Euler
iteration blew up), on a ``periodic orbit`` (‖f‖ > 1e-7(1 + ‖x‖) after ``steps`` updates, and the trajectory comes
back to its end point within as many steps again with the same step length, ±1 %:
:func:`symdyn.flows.periodic_returns`; a decaying spiral comes back with a shorter step; the JSON gives the period
and the rank of A on the orbit), or ``not converged`` (still moving; the JSON names the component that Newton's method
from the end point reaches, the equilibrium it is heading to); a converged end point, or such a Newton limit, on no
listed component would be ``unlisted`` (a completeness failure; reported, never expected).
"""
from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import numpy as np

from .registry import ALPHA, ETA, WORKERS, Experiment, Option, write_json
from ..equilibria.search import gauss_newton
from ..flows import euler_map, periodic_returns
from ..instances import random_moments
from ..models.ssl_linear import LinearSSL

__all__ = ["run", "format_table", "OUTCOMES"]

OUTCOMES = ("full-rank stable", "full-rank saddle", "rank-deficient stable", "rank-deficient saddle", "origin",
            "periodic orbit", "not converged", "diverged", "unlisted")


def _outcome(rank: int, verdict: str, m: int) -> str:
    if rank == 0:
        return "origin"
    stable = verdict == "asymptotically stable"
    return ("full-rank " if rank == m else "rank-deficient ") + ("stable" if stable else "saddle")


def _component_labels(comps) -> list:
    """'rank r, branch k/K' per component (k-th by increasing tr S within the rank-r stratum; the set lists
    components by rank, then by increasing tr S)."""
    per_rank = Counter(c.info["rank"] for c in comps)
    seen, out = Counter(), []
    for c in comps:
        r = c.info["rank"]
        seen[r] += 1
        out.append(f"rank {r}, branch {seen[r]}/{per_rank[r]}")
    return out


def _run_instance(task) -> tuple:
    """One data set (its own seed: the same draws for any number of workers, and for its SG and its EMA task): its
    equilibrium set, the runs of ``kind`` from its initialisations, and their labels → (record, outcome counts,
    {rank: [1, end points on a stable rank-r component, inits]})."""
    i, kind, seed_seq, m, n, inits, steps, eta, alpha, rtol = task
    rng = np.random.default_rng(seed_seq)
    stable_reach = {}
    Sx, Syx, Sy = random_moments(m, rng)
    lam = float(rng.uniform(0.005, 0.03))
    model = LinearSSL(m, n, Sx, Syx, Sy, lam=lam, kappa=(1 - alpha) / eta)
    A0 = rng.standard_normal((inits, n, m))
    B0 = rng.standard_normal((inits, n, n))
    record = {"instance": i, "lam": lam}
    comps = model.equilibrium_set(kind)
    labels = _component_labels(comps)
    verdicts = [c.stability(seed=0).verdict for c in comps]
    k = model.kernel(kind)
    x0 = model.pack(A0, B0, A0 if kind == "ema" else None)
    step = model.discrete_step(kind, eta, alpha)
    x, diverged = euler_map(step, x0, steps)
    fx = k.f(x[~diverged]) if (~diverged).any() else np.zeros((0, x.shape[1]))
    converged = np.zeros(len(x), dtype=bool)
    converged[~diverged] = np.linalg.norm(fx, axis=1) <= 1e-7 * (1 + np.linalg.norm(x[~diverged], axis=1))
    # an end point that is no equilibrium: on a periodic orbit if its trajectory comes back to it (watched
    # for as many steps again), else still moving (named by the equilibrium it is heading to)
    slow = np.flatnonzero(~diverged & ~converged)
    returns = periodic_returns(step, x[slow], steps) if slow.size else np.zeros(0, dtype=int)
    # still moving: Newton's method from the end point names the equilibrium it is heading to, which must
    # be listed too (else the end point counts as unlisted)
    moving = slow[returns < 0]
    target, target_ok = (gauss_newton(k.f, k.jacobian, x[moving])[:2] if moving.size
                         else (np.zeros((0, x.shape[1])), np.zeros(0, dtype=bool)))
    cycles = []
    outcomes, reached, lingering = [], Counter(), Counter()
    for q, (xi, div, conv) in enumerate(zip(x, diverged, converged)):
        if div:
            outcomes.append("diverged")
        elif not conv:
            ret = int(returns[np.searchsorted(slow, q)])
            if ret > 0:
                outcomes.append("periodic orbit")
                sv = np.linalg.svd(model.unpack(xi)[0], compute_uv=False)
                cycles.append({"period": ret * eta, "rank_A": int(np.sum(sv > 1e-8 * sv.max())),
                               "norm_A": float(np.linalg.norm(sv))})
                continue
            w = np.searchsorted(moving, q)
            j = model.locate(target[w], comps, rtol=1e-6) if target_ok[w] else None
            if target_ok[w] and j is None:
                outcomes.append("unlisted")
                continue
            outcomes.append("not converged")
            lingering["Newton reached no equilibrium" if j is None else f"{labels[j]} ({verdicts[j]})"] += 1
        else:
            j = model.locate(xi, comps, rtol=rtol)
            outcomes.append("unlisted" if j is None else _outcome(comps[j].info["rank"], verdicts[j], m))
            if j is not None:
                reached[j] += 1
    c = Counter(outcomes)
    for r in range(1, m + 1):
        stable = [j for j, cp in enumerate(comps) if cp.info["rank"] == r
                  and verdicts[j] == "asymptotically stable"]
        if stable:
            stable_reach[r] = [1, sum(reached[j] for j in stable), inits]
    record[kind] = {
        "complete": comps.complete,
        "components": [{"label": labels[j], "rank": cp.info["rank"], "verdict": verdicts[j],
                        "trace_S": float(np.trace(cp.info["S"])), "dimension": cp.dimension,
                        "end_points": reached[j]} for j, cp in enumerate(comps)],
        "outcomes": dict(c), "not_converged_near": dict(lingering), "periodic_orbits": cycles}
    return record, c, stable_reach


def run(m: int = 2, n: int = 3, instances: int = 8, inits: int = 200, steps: int = 20000, eta: float = 0.05,
        alpha: float = 0.99, seed: int = 0, rtol: float = 1e-4, out: str | Path | None = "results/ssl_branches.json",
        progress: bool = True, workers: int | None = 1) -> dict:
    """Run the experiment (module docstring); returns and writes a JSON-able dict.  Data set i is drawn from child i
    of ``SeedSequence(seed)``; the data sets run on ``workers`` local processes (default 1; None: every core, the
    CLI's default; results do not depend on it, :mod:`symdyn.executor`).

    Examples
    --------
    >>> res = run(m=1, n=2, instances=1, inits=10, steps=500, out=None, progress=False)
    >>> [round(sum(res["fractions"][k].values()), 12) for k in ("sg", "ema")]   # every end point has an outcome
    [1.0, 1.0]
    """
    for name, v in (("m", m), ("n", n), ("instances", instances), ("inits", inits), ("steps", steps)):
        if int(v) != v or v < 1:
            raise ValueError(f"{name}: expected a positive integer, got {v!r}")
    if m > n:
        raise ValueError(f"m: must not exceed n (got m={m}, n={n})")
    if not 0 < eta < 1 or not 0 <= alpha < 1:
        raise ValueError(f"eta, alpha: expected 0 < eta < 1 and 0 <= alpha < 1, got {eta}, {alpha}")
    from ..executor import map_chunks, spawn_seeds

    tasks = [(i, kind, s, m, n, inits, steps, eta, alpha, rtol) for i, s in enumerate(spawn_seeds(seed, instances))
             for kind in ("sg", "ema")]
    t0 = time.perf_counter()
    done = map_chunks(_run_instance, tasks, workers=workers, progress="ssl-branches" if progress else None, unit="run")
    per_instance, totals = [], {"sg": Counter(), "ema": Counter()}
    stable_reach = {"sg": {}, "ema": {}}  # per rank: [instances with a stable rank-r component, end points on one]
    for task, (record, counts, reach) in zip(tasks, done):  # in instance order, SG then EMA
        kind = task[1]
        if kind == "sg":
            per_instance.append(record)
        else:
            per_instance[-1]["ema"] = record["ema"]
        totals[kind].update(counts)
        for r, acc in reach.items():
            tot = stable_reach[kind].setdefault(r, [0, 0, 0])
            for q in range(3):
                tot[q] += acc[q]
    runs = instances * inits
    result = {"config": {"m": m, "n": n, "instances": instances, "inits": inits, "steps": steps, "eta": eta,
                         "alpha": alpha, "seed": seed, "rtol": rtol},
              "fractions": {k: {o: totals[k].get(o, 0) / runs for o in OUTCOMES} for k in ("sg", "ema")},
              "stable_components": {k: {str(r): {"instances": a, "share_of_their_end_points": (b / t if t else 0.0)}
                                        for r, (a, b, t) in sorted(v.items())} for k, v in stable_reach.items()},
              "instances": per_instance, "seconds": round(time.perf_counter() - t0, 2)}
    return write_json(result, out, table=format_table)


def format_table(res: dict) -> str:
    """Shares of end points by outcome, then how often the stable components of each rank attract (over the
    instances where that rank has one).

    Examples
    --------
    >>> res = run(m=1, n=2, instances=1, inits=10, steps=500, out=None, progress=False)
    >>> format_table(res).splitlines()[0].split(" | ")[:3]
    ['| method', 'full-rank stable', 'full-rank saddle']
    """
    rows = ["| method | " + " | ".join(OUTCOMES) + " |", "|---" * (len(OUTCOMES) + 1) + "|"]
    for k in ("sg", "ema"):
        rows.append(f"| {k.upper()} | " + " | ".join(f"{res['fractions'][k][o]:.1%}" for o in OUTCOMES) + " |")
    m = res["config"]["m"]
    rows += ["", "| method | " + " | ".join(f"stable rank-{r}: instances / share of their end points"
                                            for r in range(1, m + 1)) + " |", "|---" * (m + 1) + "|"]
    for k in ("sg", "ema"):
        cells = []
        for r in range(1, m + 1):
            v = res["stable_components"][k].get(str(r))
            cells.append(f"{v['instances']} / {v['share_of_their_end_points']:.1%}" if v else "0 / -")
        rows.append(f"| {k.upper()} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


EXPERIMENT = Experiment(
    "ssl-branches", "m = 2: which equilibrium branches random starts reach",
    (Option("--m", "input dimension m (default 2)", "positive_int", 2),
     Option("--n", "embedding dimension (default 3)", "positive_int", 3),
     Option("--instances", "random data sets (default 8)", "positive_int", 8),
     Option("--inits", "initial conditions per data set (default 100)", "positive_int", 100),
     Option("--branch-steps", "updates (default 20000)", "positive_int", 20000, param="steps"),
     ETA, ALPHA, WORKERS),
    run, format_table, output="results/ssl_branches.json", readme_key="reproduce:ssl-branches",
    remark="The note (shared/papers/ssl_linear.md §7.3) predicts: exactly one attracting full-rank branch, the others "
           "saddles (never reached); the origin and some partially collapsed equilibria are attracting too. Every end "
           "point is labelled by the component it lies on (all rank strata, LinearSSL.equilibrium_set).",
    settings=("m", "n", "instances", "inits", "steps", "seed"))
