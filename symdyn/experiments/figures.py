"""Figures of ``make reproduce`` (matplotlib, extra ``[plot]``): written under ``results/figures/``.

* ``ssl_m1_spheres.png`` — SG trajectories of the encoder a ∈ R² (m = 1, n = 2) from random starts,
  with the closed-form spheres ‖a‖ = r_1 (saddle, dashed) and r_2 (attracting, solid) of §6.4.
* ``attention_classes.png`` — fraction of runs per equilibrium class, from
  ``results/attention_multistability.json`` (when present).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..models.ssl_linear import LinearSSL
from .registry import Experiment

__all__ = ["make_figures"]


def make_figures(outdir: str | Path = "results/figures", seed: int = 0, results_dir: str | Path = "results") -> list[str]:
    """Write the figures; returns their paths (empty when matplotlib is not installed)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    rho, tau, lam = 1.0, 0.8, 0.05
    model = LinearSSL(1, 2, [[rho]], [[tau]], lam=lam)
    r1, r2 = model.m1_spheres()["radii"]
    step = model.discrete_step("sg", eta=0.05)
    rng = np.random.default_rng(seed)
    x = model.pack(rng.standard_normal((40, 2, 1)), rng.standard_normal((40, 2, 2)))
    rows = np.arange(len(x))
    path = [x[:, :2].copy()]
    for _ in range(3000):
        x = step(x, rows)
        path.append(x[:, :2].copy())
    P = np.array(path)
    fig, ax = plt.subplots(figsize=(5, 5))
    for i in range(P.shape[1]):
        ax.plot(P[:, i, 0], P[:, i, 1], lw=0.7, color="tab:blue", alpha=0.6)
        ax.plot(P[-1, i, 0], P[-1, i, 1], "o", ms=3, color="tab:red")
    th = np.linspace(0, 2 * np.pi, 200)
    ax.plot(r2 * np.cos(th), r2 * np.sin(th), "k-", lw=1.5, label=f"outer sphere r2 = {r2:.3f}")
    ax.plot(r1 * np.cos(th), r1 * np.sin(th), "k--", lw=1.0, label=f"inner sphere r1 = {r1:.3f}")
    ax.set_aspect("equal")
    ax.set_title(f"SG, m=1, n=2, rho={rho}, tau={tau}, lambda={lam}")
    ax.legend(loc="upper right", fontsize=8)
    f = outdir / "ssl_m1_spheres.png"
    fig.savefig(f, dpi=110, bbox_inches="tight")
    plt.close(fig)
    written.append(str(f))
    att = Path(results_dir) / "attention_multistability.json"
    if att.exists():
        res = json.loads(att.read_text())
        labels = list(res["fractions"])
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.bar(labels, [res["fractions"][lb] for lb in labels], color="tab:green")
        ax.set_ylabel("fraction of runs")
        c = res["config"]
        ax.set_title(f"attention equilibria: d={c['d']}, n={c['n']}, beta={c['beta']}, V={c['v_type']}, M={c['m_type']}")
        plt.setp(ax.get_xticklabels(), rotation=20, ha="right")
        f = outdir / "attention_classes.png"
        fig.savefig(f, dpi=110, bbox_inches="tight")
        plt.close(fig)
        written.append(str(f))
    return written


def reproduce(args) -> int:
    """``symdyn reproduce figures``: write the figures (needs the [plot] extra)."""
    out_dir = getattr(args, "out_dir", "results")
    paths = make_figures(Path(out_dir) / "figures", seed=args.seed, results_dir=out_dir)
    print("figures: " + (", ".join(paths) if paths else "matplotlib not installed (pip install symdyn[plot])"))
    return 0


EXPERIMENT = Experiment("figures", "the figures of make reproduce (matplotlib)", progress=False, entry=reproduce)
