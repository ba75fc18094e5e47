"""Figures of ``make reproduce`` (matplotlib, extra ``[plot]``): each written as PDF (vector) and PNG under
``<out-dir>/figures/``, with its caption and parameters in the file's metadata and in ``figures.json``.

* ``ssl_m1_spheres`` — SG and EMA trajectories of the encoder a ∈ R² (m = 1, n = 2) from random starts (open
  circles) to their end points (dots), with the closed-form spheres ‖a‖ = r₁ (saddle) and r₂ (attracting), §6.4.
* ``ssl_m1_basins`` — a 2-D slice of initial conditions (a₁, a₂ on a grid, B = b₀I) coloured by where SG training
  ends, labelled as ``reproduce ssl-m1`` labels its trials (:func:`.ssl_m1.label_ends`: outer or inner sphere,
  origin, elsewhere).
* ``ssl_m2_branches`` — m = 2: the eigenvalues of S = AᵀA along SG runs, converging to the components of the whole
  equilibrium set (every rank; stable components filled, unstable open), :meth:`LinearSSL.equilibrium_set`.
* ``attention_tokens`` — tokens on S² (d = 3) from random starts to their end configuration, coloured by final
  cluster, with the class of the end configuration (:func:`symdyn.classify.classify`).
* ``attention_classes`` — fraction of runs per equilibrium class: the mean over systems with the per-system range,
  and N (systems × initialisations), from ``attention_multistability.json`` (when present).

The bifurcation diagrams are drawn by ``symdyn continue ... --figure`` (PDF beside the PNG).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..flows import euler_map
from ..models.ssl_linear import LinearSSL
from .registry import Experiment
from .ssl_m1 import label_ends

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["make_figures", "save_figure", "save_with_caption", "FIGURES"]

ENDS = ("outer", "inner", "origin", "elsewhere")  # the labels of reproduce ssl-m1 (ssl_m1.label_ends)
END_COLOURS = ("tab:green", "tab:orange", "tab:gray", "tab:red")
M1 = {"rho": 1.0, "tau": 0.8, "lam": 0.12}  # the m = 1 instance: Δ = τ² − 4ρλ = 0.16, spheres r₁ = 0.2, r₂ = 0.6


def save_with_caption(fig: Figure, path: str | Path, title: str, caption: str) -> None:
    """``fig.savefig(path)`` (150 dpi, tight) with the title and caption in the file's metadata (a PDF's Subject,
    a PNG's or SVG's Description).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from PIL import Image
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [0, 1])
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "line.png"
    >>> save_with_caption(fig, path, "A line", "y = x on [0, 1].")
    >>> Image.open(path).info["Description"]
    'y = x on [0, 1].'
    """
    key = "Subject" if Path(path).suffix.lower() == ".pdf" else "Description"
    fig.savefig(path, dpi=150, bbox_inches="tight", metadata={"Title": title, key: caption})


def save_figure(fig: Figure, outdir: Path, name: str, caption: str, index: list) -> list[str]:
    """Save ``fig`` as ``name``.pdf and ``name``.png with the caption in their metadata; append to ``index``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> index = []
    >>> paths = save_figure(fig, pathlib.Path(tempfile.mkdtemp()), "line", "y = x.", index)
    >>> [pathlib.Path(p).suffix for p in paths], index[0]["name"], index[0]["caption"]
    (['.pdf', '.png'], 'line', 'y = x.')
    """
    paths = [str(outdir / f"{name}.{ext}") for ext in ("pdf", "png")]
    for path in paths:
        save_with_caption(fig, path, name, caption)
    index.append({"name": name, "files": paths, "caption": caption})
    return paths


def _m1_runs(model: LinearSSL, kind: str, starts, eta: float, steps: int, alpha: float = 0.99):
    """Discrete SG/EMA training of the m = 1 model from the encoder starts (N, 2) (B₀ = 0.5 I, C₀ = A₀): the
    encoder path (steps + 1, N, 2)."""
    N = len(starts)
    A = starts[:, :, None]
    B = np.broadcast_to(0.5 * np.eye(2), (N, 2, 2))
    x = model.pack(A, B, A) if kind == "ema" else model.pack(A, B)
    return _recorded(model.discrete_step(kind, eta=eta, alpha=alpha), x, steps, lambda x: x[:, :2].copy())


def _recorded(step, x, steps: int, record, every: int = 1) -> np.ndarray:
    """``record(x)`` at the start and every ``every`` updates of :func:`symdyn.flows.euler_map` (steps/every + 1, ...)."""
    path = [record(x)]
    euler_map(step, x, steps, callback=lambda i, x, active: path.append(record(x)), check_every=every)
    return np.array(path)


def _ssl_m1_spheres(plt, outdir, seed, index):
    (rho, tau, lam), kappa, eta, steps = M1.values(), 1.0, 0.05, 4000
    model = LinearSSL(1, 2, [[rho]], [[tau]], lam=lam, kappa=kappa)
    r1, r2 = model.m1_spheres()["radii"]
    starts = np.random.default_rng(seed).standard_normal((24, 2)) * 0.9
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 4.6), sharey=True)
    th = np.linspace(0, 2 * np.pi, 300)
    for ax, kind in zip(axes, ("sg", "ema")):
        P = _m1_runs(model, kind, starts, eta, steps)
        for i in range(P.shape[1]):
            ax.plot(P[:, i, 0], P[:, i, 1], lw=0.7, color="tab:blue", alpha=0.55)
        ax.plot(P[0, :, 0], P[0, :, 1], "o", ms=4, mfc="none", mec="tab:blue", label="start")
        ax.plot(P[-1, :, 0], P[-1, :, 1], "o", ms=3.5, color="tab:red", label=f"end (step {steps})")
        ax.plot(r2 * np.cos(th), r2 * np.sin(th), "-", color="black", lw=1.6, label=rf"$\|a\| = r_2 = {r2:.3f}$ (stable)")
        ax.plot(r1 * np.cos(th), r1 * np.sin(th), "--", color="tab:orange", lw=1.6,
                label=rf"$\|a\| = r_1 = {r1:.3f}$ (saddle)")
        ax.set_aspect("equal")
        ax.set_xlabel(r"$a_1$")
        ax.set_title("stop-gradient (SG)" if kind == "sg" else r"EMA ($\alpha = 0.99$)")
    axes[0].set_ylabel(r"$a_2$")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False, bbox_to_anchor=(0.5, 0.0))
    fig.subplots_adjust(bottom=0.17)
    caption = (f"Linear SSL, m = 1, n = 2, rho = {rho}, tau = {tau}, lambda = {lam}: discrete SG and EMA training "
               f"(eta = {eta}, {steps} steps, B0 = 0.5 I, C0 = A0, 24 random starts, seed {seed}); closed-form spheres "
               f"r1 = {r1:.4f} (saddle) and r2 = {r2:.4f} (attracting).")
    return save_figure(fig, outdir, "ssl_m1_spheres", caption, index)


def _ssl_m1_basins(plt, outdir, seed, index, size: int = 90):
    from matplotlib.colors import ListedColormap

    (rho, tau, lam), eta, steps, b0 = M1.values(), 0.05, 4000, 0.5
    model = LinearSSL(1, 2, [[rho]], [[tau]], lam=lam)
    r1, r2 = model.m1_spheres()["radii"]
    g = np.linspace(-1.2, 1.2, size)
    G1, G2 = np.meshgrid(g, g)
    starts = np.stack([G1.ravel(), G2.ravel()], axis=1)
    x = model.pack(starts[:, :, None], np.broadcast_to(b0 * np.eye(2), (len(starts), 2, 2)))
    x, diverged = euler_map(model.discrete_step("sg", eta=eta), x, steps)
    labels = label_ends(x[:, :2], diverged, rho, tau, lam, rtol=1e-3, origin_tol=1e-4)[0]  # as reproduce ssl-m1
    label = np.array([ENDS.index(v) for v in labels])
    counts = {ENDS[k]: int((label == k).sum()) for k in range(len(ENDS))}
    fig, ax = plt.subplots(figsize=(5.2, 5.0))
    cmap = ListedColormap(END_COLOURS)
    ax.imshow(label.reshape(size, size), origin="lower", extent=(g[0], g[-1], g[0], g[-1]), cmap=cmap, vmin=0,
              vmax=len(ENDS) - 1, interpolation="nearest")
    th = np.linspace(0, 2 * np.pi, 300)
    ax.plot(r2 * np.cos(th), r2 * np.sin(th), "k-", lw=1.2)
    ax.plot(r1 * np.cos(th), r1 * np.sin(th), "k--", lw=1.2)
    for k, name in enumerate(ENDS):
        ax.plot([], [], "s", color=END_COLOURS[k], label=f"ends {name} ({counts[name]})")
    ax.plot([], [], "k-", label=rf"$r_2 = {r2:.3f}$")
    ax.plot([], [], "k--", label=rf"$r_1 = {r1:.3f}$")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8, frameon=False)
    ax.set_xlabel(r"$a_1(0)$")
    ax.set_ylabel(r"$a_2(0)$")
    ax.set_title(rf"SG basins, slice $B(0) = {b0}\,I$")
    caption = (f"Basins of discrete SG training (m = 1, n = 2, rho = {rho}, tau = {tau}, lambda = {lam}, eta = {eta}, "
               f"{steps} steps) on the slice B(0) = {b0} I of initial conditions, {size} x {size} grid of a(0), coloured by "
               f"the end point's label as in reproduce ssl-m1: green on the outer sphere r2 = {r2:.4f} (|‖a‖ − r2| ≤ "
               f"1e-3 r2), orange on the inner sphere r1 = {r1:.4f}, gray at the origin (‖a‖ ≤ 1e-4), red elsewhere "
               f"(or diverged); counts {counts}.")
    return save_figure(fig, outdir, "ssl_m1_basins", caption, index)


def _ssl_m2_branches(plt, outdir, seed, index, runs: int = 40):
    from ..instances import random_moments

    lam, eta, steps = 0.01, 0.05, 6000
    for s in range(seed, seed + 30):  # the first instance from seed on whose set has a stable rank-1 component
        Sx, Syx, Sy = random_moments(2, seed=s)
        model = LinearSSL(2, 3, Sx, Syx, Sy, lam=lam)
        comps = model.equilibrium_set("sg")
        verdicts = [c.stability(seed=0).verdict for c in comps]
        if any(c.info["rank"] == 1 and v == "asymptotically stable" for c, v in zip(comps, verdicts)):
            break
    rng = np.random.default_rng(seed)
    x = model.pack(rng.standard_normal((runs, 3, 2)) * 0.7, rng.standard_normal((runs, 3, 3)) * 0.7)
    def spectrum(x):
        A = model.unpack(x)[0]
        return np.linalg.eigvalsh(np.swapaxes(A, 1, 2) @ A)
    P = _recorded(model.discrete_step("sg", eta=eta), x, steps, spectrum, every=10)  # (T, runs, 2), ascending
    fig, ax = plt.subplots(figsize=(5.6, 5.0))
    for i in range(runs):
        ax.plot(P[:, i, 1], P[:, i, 0], lw=0.6, color="tab:blue", alpha=0.5)
    ax.plot(P[0, :, 1], P[0, :, 0], "o", ms=3.5, mfc="none", mec="tab:blue", label="start")
    ax.plot(P[-1, :, 1], P[-1, :, 0], ".", ms=5, color="black", label=f"end (step {steps})", zorder=5)
    marks = {0: "s", 1: "^", 2: "o"}
    for c, v in zip(comps, verdicts):
        ev = np.linalg.eigvalsh(c.info["S"])
        stable = v == "asymptotically stable"
        ax.plot(ev[1], ev[0], marks[c.info["rank"]], ms=10, mfc="tab:green" if stable else "white",
                mec="tab:green" if stable else "tab:red", mew=1.8,
                label=f"rank {c.info['rank']}: {v}" + (f" ({c.name.split('branch ')[-1]})" if "branch" in c.name else ""))
    ax.set_xscale("symlog", linthresh=0.05)
    ax.set_yscale("symlog", linthresh=0.05)
    ax.set_xlabel(r"$\lambda_{\max}(S)$, $S = A^\top A$ (linear below 0.05, logarithmic above)")
    ax.set_ylabel(r"$\lambda_{\min}(S)$")
    ax.set_title("SG, m = 2, n = 3: runs to the components of the equilibrium set", fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=7, frameon=False)
    caption = (f"Linear SSL, m = 2, n = 3, moments random_moments(2, seed={s}), lambda = {lam}: {runs} discrete SG runs "
               f"(eta = {eta}, {steps} steps, seed {seed}) in the plane of the eigenvalues of S = A^T A, and every "
               f"component of the equilibrium set (complete: {comps.complete}); filled markers are asymptotically "
               "stable components, open ones unstable.")
    return save_figure(fig, outdir, "ssl_m2_branches", caption, index)


def _attention_tokens(plt, outdir, seed, index, n: int = 12, beta: float = 2.0, segments: int = 50):
    from ..classify import classify
    from ..models.attention import SelfAttention

    rng = np.random.default_rng(seed)
    V = np.diag([1.0, 0.6, -0.4])
    M = np.eye(3)
    model = SelfAttention(n, 3, V=V, beta=beta)
    X = rng.standard_normal((n, 3))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    path = [X]
    import warnings

    with warnings.catch_warnings():  # the segments end before convergence by design
        warnings.simplefilter("ignore", RuntimeWarning)
        for k in range(segments):  # the run in growing segments, to draw the paths (simulate returns end points)
            X = model.simulate(X, t_max=0.02 * 1.12 ** k).X
            path.append(X)
    res = model.simulate(X, t_max=400.0)
    X = res.X
    path.append(X)
    P = np.array(path)
    found = classify(X, V=V, M=M, beta=beta)
    label, centres = found.label, found.cluster_points
    cluster = np.empty(n, dtype=int)
    for k, members in enumerate(found.clusters):
        cluster[members] = k
    fig = plt.figure(figsize=(5.4, 5.2))
    ax = fig.add_subplot(projection="3d")
    u, v = np.mgrid[0:2 * np.pi:40j, 0:np.pi:20j]
    ax.plot_wireframe(np.cos(u) * np.sin(v), np.sin(u) * np.sin(v), np.cos(v), color="0.85", lw=0.4)
    colors = plt.get_cmap("tab10")
    for i in range(n):
        col = colors(cluster[i] % 10)
        ax.plot(P[:, i, 0], P[:, i, 1], P[:, i, 2], color=col, lw=1.0)
        ax.scatter(*P[0, i], color=col, s=14, facecolors="none")
    for k, c in enumerate(centres):
        ax.scatter(*c, color=colors(k % 10), s=70, edgecolors="black",
                   label=f"cluster {k + 1}: {int((cluster == k).sum())} tokens")
    ax.set_xlabel(r"$x_1$")
    ax.set_ylabel(r"$x_2$")
    ax.set_zlabel(r"$x_3$")
    ax.set_box_aspect((1, 1, 1))
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.set_ticks([-1, 0, 1])
    ax.set_title(f"self-attention on $S^2$: n = {n}, beta = {beta}; end: {label}", fontsize=10)
    ax.legend(loc="upper left", fontsize=7)
    caption = (f"Self-attention on the sphere, d = 3, n = {n}, V = diag(1, 0.6, -0.4), M = I, beta = {beta}, seed "
               f"{seed}: token paths from random starts (open circles) to the end configuration (converged: "
               f"{bool(np.all(res.converged))}), coloured by final cluster; symdyn.classify labels it {label}.")
    return save_figure(fig, outdir, "attention_tokens", caption, index)


def _attention_classes(plt, outdir, results_dir, index):
    att = Path(results_dir) / "attention_multistability.json"
    if not att.exists():
        return []
    res = json.loads(att.read_text())
    c = res["config"]
    labels = [k for k, v in res["fractions"].items() if v > 0 or k in ("consensus", "bipartite", "clustering")]
    per = np.array([[s["counts"].get(k, 0) / c["inits"] for k in labels] for s in res["systems"]])
    mean = per.mean(axis=0)
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    xs = np.arange(len(labels))
    ax.bar(xs, mean, color="tab:green", alpha=0.8, label="mean over systems")
    ax.vlines(xs, per.min(axis=0), per.max(axis=0), color="black", lw=1.5, label="range over systems")
    for j in range(len(labels)):
        ax.plot(np.full(len(per), xs[j]) + np.linspace(-0.25, 0.25, len(per)), per[:, j], ".", color="0.3", ms=4)
    ax.set_xticks(xs, labels, rotation=20, ha="right")
    ax.set_ylabel("fraction of runs")
    N = c["systems"] * c["inits"]
    ax.set_title(f"d = {c['d']}, n = {c['n']}, beta = {c['beta']}, V: {c['v_type']}, M: {c['m_type']}; "
                 f"N = {c['systems']} x {c['inits']} = {N}", fontsize=9)
    ax.legend(fontsize=8)
    caption = (f"End states of self-attention runs by class (symdyn.classify): bars are the mean fraction over "
               f"{c['systems']} random systems, lines the range over systems, dots each system; N = {N} runs "
               f"(seed {c['seed']}, t_max = {c['t_max']}).")
    return save_figure(fig, outdir, "attention_classes", caption, index)


#: the figures :func:`make_figures` writes, in order (``attention_classes`` needs the attention experiment's results)
FIGURES = ("ssl_m1_spheres", "ssl_m1_basins", "ssl_m2_branches", "attention_tokens", "attention_classes")


def make_figures(outdir: str | Path = "results/figures", seed: int = 0, results_dir: str | Path = "results",
                 names: Sequence[str] | None = None) -> list[str]:
    """Write the figures ``names`` (default: all of :data:`FIGURES`) as PDF and PNG each, and ``figures.json``
    (name, files, caption); returns the paths (empty when matplotlib is not installed).

    ``attention_classes`` is drawn from ``results_dir/attention_multistability.json`` and left out when that file
    does not exist.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> [pathlib.Path(p).name for p in make_figures(out, names=["ssl_m1_spheres"])]
    ['ssl_m1_spheres.pdf', 'ssl_m1_spheres.png']
    >>> caption = json.loads((out / "figures.json").read_text())["figures"][0]["caption"]
    >>> "r1 = 0.2000 (saddle)" in caption, "r2 = 0.6000 (attracting)" in caption   # (τ ∓ √(τ² − 4ρλ))/(2ρ)
    (True, True)
    """
    if isinstance(names, str):
        raise TypeError(f"names: expected a list of figure names, got the string {names!r}")
    names = list(FIGURES if names is None else names)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise ValueError(f"names: unknown figure(s) {unknown}; expected some of {', '.join(FIGURES)}")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    index: list = []
    written = []
    makers = {"ssl_m1_spheres": _ssl_m1_spheres, "ssl_m1_basins": _ssl_m1_basins, "ssl_m2_branches": _ssl_m2_branches,
              "attention_tokens": _attention_tokens,
              "attention_classes": lambda plt, outdir, seed, index: _attention_classes(plt, outdir, results_dir, index)}
    with plt.rc_context({"font.size": 10, "axes.labelsize": 11}):
        for name in FIGURES:
            if name in names:
                written += makers[name](plt, outdir, seed, index)
                plt.close("all")
    from ..provenance import provenance

    (outdir / "figures.json").write_text(json.dumps({"figures": index, "provenance": provenance(seed=seed)}, indent=2))
    return written


def reproduce(args) -> int:
    """``symdyn reproduce figures``: write the figures (needs the [plot] extra)."""
    out_dir = getattr(args, "out_dir", "results")
    paths = make_figures(Path(out_dir) / "figures", seed=args.seed, results_dir=out_dir)
    print("figures: " + (", ".join(paths) if paths else "matplotlib not installed (pip install symdyn[plot])"))
    return 0


EXPERIMENT = Experiment("figures", "the figures of make reproduce (matplotlib)", progress=False, entry=reproduce)
