"""Multistability of self-attention equilibria (``shared/papers/attention.md`` §6–7).

For each of ``systems`` random systems (V, M) of the given types: sample ``inits`` random initial
configurations (uniform on (S^{d−1})^n), integrate with the projected RK4 integrator, refine converged
end points by Gauss–Newton, classify them (symdyn.classify) and judge their stability on the tangent
space.  Reported: the fraction of runs reaching each class (and not converging), the number of
distinct asymptotically stable equilibria per class (unlabelled: a configuration is the multiset of
(cluster point, size), compared after rounding), and the eigenvector alignment of consensus and
bipartite end points (principal / most negative / other).

System types (§7.1): V ∈ {"sym": (G + Gᵀ)/2, "spd": GGᵀ/d + 0.1 I, "nonsym": G/√d};
M ∈ {"I", "QK": QᵀK with Q, K ~ N(0, 1/d), "V": M = V}.  The paper's own settings are not known (§6).
"""
from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import numpy as np

from .registry import WORKERS, Experiment, Option, write_json
from ..classify import LABELS, classify
from ..models.attention import SelfAttention

__all__ = ["run", "sample_system", "V_TYPES", "M_TYPES", "format_table"]

V_TYPES = ("sym", "spd", "nonsym")
M_TYPES = ("I", "QK", "V")


def sample_system(d: int, v_type: str, m_type: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(V, M) of the given types (module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> V, M = sample_system(3, "sym", "QK", np.random.default_rng(0))
    >>> bool(np.allclose(V, V.T)), M.shape
    (True, (3, 3))
    """
    if v_type not in V_TYPES:
        raise ValueError(f"v_type: unknown {v_type!r}; expected one of {V_TYPES}")
    if m_type not in M_TYPES:
        raise ValueError(f"m_type: unknown {m_type!r}; expected one of {M_TYPES}")
    G = rng.standard_normal((d, d))
    V = {"sym": (G + G.T) / 2, "spd": G @ G.T / d + 0.1 * np.eye(d), "nonsym": G / np.sqrt(d)}[v_type]
    if m_type == "I":
        M = np.eye(d)
    elif m_type == "V":
        M = V.copy()
    else:
        Q, K = rng.standard_normal((2, d, d)) / np.sqrt(d)
        M = Q.T @ K
    return V, M


def _key(res) -> tuple:
    return tuple(sorted((s, *np.round(y, 5)) for s, y in zip(res.sizes, res.cluster_points)))


def _alignment_class(res, d: int) -> str:
    ranks = {a["rank"] for a in res.alignment}
    if ranks == {0}:
        return "principal"
    if ranks == {d - 1}:
        return "most negative"
    return "other"


def _run_system(task) -> tuple:
    """One random system (its own seed: the same draws for any number of workers) and its ``inits`` runs →
    (record, outcome counts, distinct stable equilibria per class, alignment counts)."""
    s, seed_seq, d, n, beta, v_type, m_type, inits, t_max = task
    rng = np.random.default_rng(seed_seq)
    alignment = Counter()
    V, M = sample_system(d, v_type, m_type, rng)
    model = SelfAttention(n, d, V=V, M=M, beta=beta)
    X0 = model.random_configurations(inits, seed=int(rng.integers(2 ** 31)))
    sim = model.simulate(X0, t_max=t_max)
    counts = Counter()
    stable = {label: set() for label in LABELS}
    for X, ok in zip(sim.X, sim.converged):
        if not ok:
            counts["not converged"] += 1
            continue
        ref = model.refine(X)
        if not ref.converged:
            counts["not converged"] += 1
            continue
        res = classify(ref.X, V=V, M=M, beta=beta)
        counts[res.label] += 1
        if res.stability is not None and res.stability.verdict == "asymptotically stable":
            stable.setdefault(res.label, set()).add(_key(res))
            if res.label in ("consensus", "bipartite"):
                alignment[(res.label, _alignment_class(res, d))] += 1
        else:
            counts[f"{res.label} (not stable)"] += 1
    record = {"system": s, "V_eigenvalues": sorted(np.linalg.eigvals(V).real.tolist(), reverse=True),
              "counts": dict(counts), "distinct_stable": {k: len(v) for k, v in stable.items()}}
    return record, counts, {k: len(v) for k, v in stable.items()}, alignment


def run(d: int = 3, n: int = 8, beta: float = 4.0, v_type: str = "sym", m_type: str = "QK", systems: int = 10,
        inits: int = 100, seed: int = 0, t_max: float = 1500.0,
        out: str | Path | None = "results/attention_multistability.json", progress: bool = True,
        workers: int | None = 1) -> dict:
    """Run the experiment (module docstring); returns and writes a JSON-able dict.  System s is drawn from child s
    of ``SeedSequence(seed)``; the systems run on ``workers`` local processes (default 1; None: every core, the
    CLI's default; results do not depend on it, :mod:`symdyn.executor`).

    Examples
    --------
    >>> res = run(d=3, n=4, systems=2, inits=5, t_max=200.0, out=None, progress=False)
    >>> round(sum(res["fractions"].values()), 12), res["config"]["systems"]
    (1.0, 2)
    """
    for name, v in (("d", d), ("n", n), ("systems", systems), ("inits", inits)):
        if int(v) != v or v < 1:
            raise ValueError(f"{name}: expected a positive integer, got {v!r}")
    if d < 2:
        raise ValueError(f"d: need d >= 2, got {d}")
    if beta < 0:
        raise ValueError(f"beta: must be >= 0, got {beta}")
    from ..executor import map_chunks, spawn_seeds

    tasks = [(s, q, d, n, beta, v_type, m_type, inits, t_max) for s, q in enumerate(spawn_seeds(seed, systems))]
    t0 = time.perf_counter()
    done = map_chunks(_run_system, tasks, workers=workers, progress="attention-multistability" if progress else None,
                      weights=[inits] * systems, unit="run")
    per_system = []
    totals = Counter()
    stable_totals = Counter()
    alignment = Counter()
    for record, counts, stable_counts, aligned in done:  # in system order
        per_system.append(record)
        totals.update(counts)
        stable_totals.update(stable_counts)
        alignment.update(aligned)
    runs = systems * inits
    result = {
        "config": {"d": d, "n": n, "beta": beta, "v_type": v_type, "m_type": m_type, "systems": systems,
                   "inits": inits, "seed": seed, "t_max": t_max},
        "fractions": {k: totals.get(k, 0) / runs for k in (*LABELS, "not an equilibrium", "not converged")},
        "not_stable_counts": {k: totals.get(f"{k} (not stable)", 0) for k in LABELS},
        "distinct_stable_per_class": dict(stable_totals),
        "alignment_of_stable": {f"{k[0]}: {k[1]}": v for k, v in sorted(alignment.items())},
        "systems": per_system,
        "seconds": round(time.perf_counter() - t0, 2),
    }
    return write_json(result, out, table=format_table)


def format_table(res: dict) -> str:
    """Markdown table: class · fraction of runs · distinct stable equilibria (summed over systems).

    Examples
    --------
    >>> res = run(d=3, n=4, systems=2, inits=5, t_max=200.0, out=None, progress=False)
    >>> format_table(res).splitlines()[0]
    '| class | fraction of runs | distinct stable equilibria (sum over systems) | end points not stable |'
    """
    rows = ["| class | fraction of runs | distinct stable equilibria (sum over systems) | end points not stable |",
            "|---|---|---|---|"]
    for k in LABELS:
        rows.append(f"| {k} | {res['fractions'][k]:.1%} | {res['distinct_stable_per_class'].get(k, 0)} | "
                    f"{res['not_stable_counts'][k]} |")
    rows.append(f"| not converged | {res['fractions']['not converged']:.1%} | — | — |")
    al = ", ".join(f"{k}: {v}" for k, v in res["alignment_of_stable"].items()) or "none"
    return "\n".join(rows) + f"\n\nEigenvector alignment of stable consensus/bipartite end points: {al}"


EXPERIMENT = Experiment(
    "attention-multistability", "self-attention: classes of stable end points",
    (Option("--d", "token dimension (default 3)", "positive_int", 3),
     Option("--n", "number of tokens (default 8)", "positive_int", 8),
     Option("--beta", "inverse temperature (default 4)", "float", 4.0),
     Option("--v-type", "V type (default sym)", "str", "sym", V_TYPES, label="V"),
     Option("--m-type", "M type (default QK)", "str", "QK", M_TYPES, label="M"),
     Option("--systems", "random systems (default 10)", "positive_int", 10),
     Option("--inits", "initial conditions per system (default 100)", "positive_int", 100),
     Option("--t-max", "integration horizon (default 1500)", "float", 1500.0, label=""), WORKERS),
    run, format_table, output="results/attention_multistability.json", readme_key="reproduce:attention",
    remark="The paper's experimental settings and numbers were not recovered (shared/papers/attention.md §6); it "
           "states that stable consensus, bipartite and clustering equilibria often coexist.")
