"""``symdyn continue ssl | attention | field``: continue equilibrium sets in one parameter, print the located
events (with the closed-form value where the model has one) and write the result as JSON, a bifurcation diagram
(``--figure``, the ``[plot]`` extra) and a LaTeX paragraph (``--tex``).

Examples (shell)::

    symdyn continue ssl --param lam --m 1 --n 2 --range 0.001 0.5 --figure lam.png
    symdyn continue ssl --param kappa --kind ema --m 2 --seed 3 --lam 0.05 --range 0.1 10
    symdyn continue attention --param beta --n 5 --range 0 4
    symdyn continue field --import my_model.py --field vf --param mu --x0 0 --at -1 --range -1 1
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ._validate import arg_finite_float, arg_positive_int, arg_seed
from .cli import README_HELP, add_out_dir
from .readme import splice_readme

__all__ = ["add_parser", "run"]


def _common(p, default_out: str, default_range):
    p.add_argument("--range", nargs=2, type=arg_finite_float, default=default_range, metavar=("LOW", "HIGH"),
                   help=f"parameter interval (default {default_range[0]} {default_range[1]})")
    p.add_argument("--ds", type=arg_finite_float, default=None, help="initial arclength step (default: 1/100 of "
                                                                      "the interval)")
    p.add_argument("--max-steps", type=arg_positive_int, default=2000, help="steps per branch and direction "
                                                                             "(default 2000)")
    name = Path(default_out).name
    p.add_argument("--out", default=None, help=f"JSON result path ('' for none; default <out-dir>/{name})")
    p.add_argument("--figure", default=None, help="bifurcation diagram path (.png/.pdf; needs matplotlib)")
    p.add_argument("--tex", default=None, help="LaTeX document stating the events")
    p.add_argument("--readme", default=None, help=README_HELP)  # maintainers (make reproduce)
    add_out_dir(p, name)


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The ``continue`` verb and its three sub-commands.

    Examples
    --------
    >>> import argparse, tempfile
    >>> parser = argparse.ArgumentParser(prog="symdyn")
    >>> add_parser(parser.add_subparsers(dest="verb"))
    >>> args = parser.parse_args(["continue", "ssl", "--param", "lam", "--m", "1", "--range", "0.001", "0.3"])
    >>> args.target, args.param, args.range
    ('ssl', 'lam', [0.001, 0.3])
    """
    c = sub.add_parser("continue", help="continue equilibrium sets in a parameter: folds, branch points, Hopf "
                                        "points, stability changes")
    kinds = c.add_subparsers(dest="target", required=True, metavar="{ssl,attention,field}")
    s = kinds.add_parser("ssl", help="linear SSL: roots of (E1) and rank-deficient strata in lam or kappa")
    s.add_argument("--param", required=True, choices=("lam", "kappa"), help="lam | kappa (EMA only)")
    s.add_argument("--kind", default="sg", choices=("sg", "ema"), help="sg | ema (default sg)")
    s.add_argument("--m", type=arg_positive_int, default=1, help="input dimension (default 1)")
    s.add_argument("--n", type=arg_positive_int, default=2, help="embedding dimension (default 2)")
    s.add_argument("--seed", type=arg_seed, default=0, help="seed of the random moments (default 0)")
    s.add_argument("--data", default=None, help="JSON file with sigma_x, sigma_yx (and sigma_y) instead of "
                                                "random moments")
    s.add_argument("--lam", type=arg_finite_float, default=None,
                   help="λ (the start for --param lam: default the interval's low end; fixed for kappa: default 0.05)")
    s.add_argument("--kappa", type=arg_finite_float, default=None, help="κ for --kind ema (default 1)")
    s.add_argument("--no-strata", action="store_true", help="only the full-rank roots of (E1)")
    _common(s, "results/continue_ssl.json", (1e-3, 1.0))
    a = kinds.add_parser("attention", help="bipartite splits of self-attention on the sphere, in beta")
    a.add_argument("--param", required=True, choices=("beta",), help="beta")
    a.add_argument("--n", type=arg_positive_int, default=5, help="tokens (default 5)")
    a.add_argument("--d", type=arg_positive_int, default=3, help="token dimension (default 3)")
    a.add_argument("--V", default=None, help="value matrix (d, d): .npy, text or JSON (default diag(1, 0.6, -0.8, ...))")
    a.add_argument("--M", default=None, help="M = Q^T K (d, d): .npy, text or JSON (default identity)")
    _common(a, "results/continue_attention.json", (0.0, 5.0))
    f = kinds.add_parser("field", help="your own VectorField: --import FILE --field NAME --param NAME")
    f.add_argument("--import", dest="imports", nargs=1, metavar="MODULE", required=True,
                   help="module or .py file to import")
    f.add_argument("--field", required=True, help="name of the VectorField in that module")
    f.add_argument("--param", required=True, help="the parameter to continue in")
    f.add_argument("--x0", nargs="+", type=arg_finite_float, required=True, help="a state near an equilibrium")
    f.add_argument("--at", type=arg_finite_float, required=True, help="the parameter value at x0")
    f.add_argument("--set", nargs="+", default=(), metavar="NAME=VALUE", help="values of the other parameters")
    _common(f, "results/continue_field.json", (-1.0, 1.0))


def _ssl(args):
    from .models.ssl_continuation import closed_form_conditions, continue_ssl
    from .models.ssl_linear import LinearSSL, random_moments

    if args.data:
        raw = json.loads(Path(args.data).read_text())
        try:
            Sx, Syx = np.array(raw["sigma_x"], dtype=float), np.array(raw["sigma_yx"], dtype=float)
        except KeyError as exc:
            raise ValueError(f"--data: {args.data} has no {exc.args[0]}") from None
        Sy = np.array(raw.get("sigma_y", np.eye(len(Sx))), dtype=float)
    else:
        Sx, Syx, Sy = random_moments(args.m, args.seed)
    lo, hi = args.range
    if args.param == "kappa" and args.kind != "ema":
        raise ValueError("--param: kappa (the EMA rate) needs --kind ema")
    lam = args.lam if args.lam is not None else (lo if args.param == "lam" else 0.05)
    kappa = args.kappa if args.kappa is not None else (lo if args.param == "kappa" else 1.0)
    model = LinearSSL(len(Sx), args.n, Sx, Syx, Sy, lam, kappa=kappa if args.kind == "ema" else None)
    res = continue_ssl(model, args.kind, args.param, mu_range=(lo, hi), ds=args.ds or (hi - lo) / 100,
                       max_steps=args.max_steps, strata=not args.no_strata)
    return res, closed_form_conditions(model, args.param), "trace S"


def _attention(args):
    from .cli import _load_matrix
    from .models.attention_continuation import continue_attention, theorem_b_conditions

    d = args.d
    V = _load_matrix(args.V, "--V") if args.V else np.diag(np.linspace(1.0, -0.8, d))
    M = _load_matrix(args.M, "--M") if args.M else np.eye(d)
    lo, hi = args.range
    res = continue_attention(V, M, args.n, beta_range=(lo, hi), ds=args.ds or (hi - lo) / 100,
                             max_steps=args.max_steps)
    conds = [c for s in res.splits for c in theorem_b_conditions(V, M, s["n_plus"], s["n_minus"], (lo, hi))]
    return res, conds, "(n+ - n-)/n"


def _field(args):
    from .cli import _import_user_module
    from .continuation import continue_equilibria, field_problem, polynomial_conditions
    from .field import VectorField

    module = _import_user_module(args.imports[0])
    vf = getattr(module, args.field, None)
    if not isinstance(vf, VectorField):
        raise ValueError(f"--field: {args.imports[0]} has no VectorField named {args.field!r}")
    params = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--set: expected NAME=VALUE, got {item!r}")
        params[name] = arg_finite_float(value)
    lo, hi = args.range
    problem, u0 = field_problem(vf, args.param, np.array(args.x0), args.at, params=params)
    res = continue_equilibria(problem, u0, args.at, mu_range=(lo, hi), ds=args.ds or (hi - lo) / 100,
                              max_steps=args.max_steps)
    return res, polynomial_conditions(vf, args.param, params), "|x|"


def run(args: argparse.Namespace) -> int:
    """Run ``symdyn continue TARGET``; prints one line per event; exit 0.

    Examples
    --------
    >>> import argparse, tempfile
    >>> parser = argparse.ArgumentParser(prog="symdyn")
    >>> add_parser(parser.add_subparsers(dest="verb"))
    >>> args = parser.parse_args(["continue", "ssl", "--param", "lam", "--m", "1", "--n", "2", "--lam", "0.02",
    ...                           "--range", "0.001", "0.3", "--out-dir", tempfile.mkdtemp()])
    >>> run(args)                                            # doctest: +ELLIPSIS
    ContinuationResult(linear SSL (SG, m = 1, n = 2): 1 branch(es), fold at lam = 0.21279...)
      fold at lam = 0.21279... (branch 0 rank 1: saddle -> asymptotically stable); closed form 0.21279..., relative difference ...
    0
    """
    from .latex.continuation import continuation_document, match_conditions

    lo, hi = args.range
    if not lo < hi:
        raise ValueError(f"--range: expected LOW < HIGH, got {lo} {hi}")
    if args.ds is not None and args.ds <= 0:
        raise ValueError(f"--ds: expected a positive step, got {args.ds}")
    res, conds, ylabel = {"ssl": _ssl, "attention": _attention, "field": _field}[args.target](args)
    print(repr(res))
    scale = max(abs(lo), abs(hi))
    rows = []
    for e, match in zip(res.events, match_conditions(res.events, conds, scale=scale)):
        where = f" split {e.info['split']}" if "split" in e.info else f" rank {e.info['rank']}" if "rank" in e.info else ""
        line = f"  {e.kind} at {res.param} = {e.mu:.12g} (branch {e.branch}{where}: {e.before} -> {e.after})"
        if match is not None:
            line += f"; closed form {match[0]['mu']:.12g}, relative difference {match[1]:.2g}"
        print(line)
        rows.append(f"| {e.kind} | {e.mu:.10g} | {where.strip() or e.branch} | {e.before} → {e.after} | "
                    + (f"{match[0]['mu']:.10g} | {match[1]:.2g} |" if match else "— | — |"))
    if args.readme:
        cmd = "symdyn continue " + " ".join(a for a in getattr(args, "argv", []) if a)
        table = [f"`{cmd.strip()}`: {res!r}", "",
                 f"| event | {res.param} | on | verdicts | closed form | relative difference |",
                 "|---|---|---|---|---|---|"] + rows
        if not splice_readme(args.readme, f"continue-{args.target}-{args.param}", "\n".join(table)):
            print(f"note: {args.readme} has no continue-{args.target}-{args.param} section; not written")
    for note in res.notes:
        print(f"  note: {note}")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        data = res.as_dict()
        data["conditions"] = [{k: v for k, v in c.items() if k != "kinds"} for c in conds]
        from .provenance import provenance

        data["provenance"] = provenance()
        Path(args.out).write_text(json.dumps(data, indent=1, default=str) + "\n")
        print(f"wrote {args.out}")
    if args.figure:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            raise ValueError("--figure: needs matplotlib (pip install 'symdyn[plot]')") from None
        ax = res.plot(ylabel=ylabel)
        ax.set_title(res.problem_name, fontsize=9)
        fig_path = Path(args.figure)
        fig_path.parent.mkdir(parents=True, exist_ok=True)
        caption = (f"Bifurcation diagram of {res.problem_name} in {res.param}: stable stretches solid, others dashed; "
                   + "; ".join(f"{e.kind} at {res.param} = {e.mu:.10g}" for e in res.events))
        paths = [fig_path] + ([fig_path.with_suffix(".pdf")] if fig_path.suffix.lower() == ".png" else [])
        from .experiments.figures import save_with_caption

        for path in paths:  # a PNG gets its vector PDF beside it
            save_with_caption(ax.figure, path, res.problem_name, caption)
        plt.close(ax.figure)
        print("wrote " + ", ".join(map(str, paths)))
    if args.tex:
        Path(args.tex).parent.mkdir(parents=True, exist_ok=True)
        Path(args.tex).write_text(continuation_document(res, conds))
        print(f"wrote {args.tex}")
    return 0
