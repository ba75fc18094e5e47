"""Command line: ``symdyn verify | derive MODEL | reproduce NAME [options]`` (also ``python -m symdyn``).

Each derive model and each experiment (registered in :data:`EXPERIMENTS`) has a sub-parser with only its
own options: an option that does not apply to the chosen verb is refused, not ignored.  Every random
experiment takes ``--seed`` (a non-negative integer).  Errors are one line on stderr; exit status 0
(success), 1 (failure: a refuted or erroring theorem, an unwritable output, an error inside an imported
module) or 2 (usage).
"""
from __future__ import annotations

import argparse
import sys
import time

__all__ = ["main", "EXPERIMENTS"]


def update_readme(path: str | None, key: str, text: str) -> None:
    """Replace the text between ``<!-- key:start -->`` and ``<!-- key:end -->`` in ``path`` (if both exist)."""
    if not path:
        return
    from pathlib import Path

    p = Path(path)
    start, end = f"<!-- {key}:start -->", f"<!-- {key}:end -->"
    body = p.read_text() if p.exists() else ""
    if start in body and end in body:
        head, rest = body.split(start, 1)
        _, tail = rest.split(end, 1)
        p.write_text(head + start + "\n" + text.rstrip() + "\n" + end + tail)


def _report(args, key: str, settings: str, table: str, remark: str) -> None:
    """Print an experiment's table and remark, and write the table into the README section ``key``."""
    print()
    print(table)
    update_readme(args.readme, key, f"{settings}:\n\n{table}")
    print()
    print(remark)


def _reproduce_ssl_m1(args) -> int:
    from .experiments.ssl_m1 import format_table, run

    n = 2 if args.n is None else args.n
    out = "results/ssl_m1.json" if args.out is None else args.out
    print(f"ssl-m1: trials={args.trials} steps={args.steps} n={n} eta={args.eta} alpha={args.alpha} "
          f"seed={args.seed}", flush=True)
    t0 = time.perf_counter()
    res = run(trials=args.trials, steps=args.steps, n=n, eta=args.eta, alpha=args.alpha, seed=args.seed,
              out=out or None, progress=not args.no_progress)
    _report(args, "reproduce:ssl-m1", f"`symdyn reproduce ssl-m1` (trials={args.trials}, steps={args.steps}, n={n}, "
            f"eta={args.eta}, alpha={args.alpha}, seed={args.seed})", format_table(res),
            "Paper: 10^4 trials, the subset (all or Δ ≥ 0) is not stated; its n, η, α, initialisation are not known "
            "(shared/papers/ssl_linear.md §9, §11.4).")
    print("diverged: " + ", ".join(f"{k.upper()} {v['diverged']}" for k, v in res["methods"].items())
          + f"; total {time.perf_counter() - t0:.1f} s; written to {res.get('written_to', '(not written)')}")
    return 0


def _reproduce_attention(args) -> int:
    from .experiments.attention_multistability import format_table, run

    n = 8 if args.n is None else args.n
    out = "results/attention_multistability.json" if args.out is None else args.out
    print(f"attention-multistability: d={args.d} n={n} beta={args.beta} V={args.v_type} M={args.m_type} "
          f"systems={args.systems} inits={args.inits} seed={args.seed}", flush=True)
    res = run(d=args.d, n=n, beta=args.beta, v_type=args.v_type, m_type=args.m_type, systems=args.systems,
              inits=args.inits, seed=args.seed, t_max=args.t_max, out=out or None, progress=not args.no_progress)
    _report(args, "reproduce:attention", f"`symdyn reproduce attention-multistability` (d={args.d}, n={n}, "
            f"beta={args.beta}, V={args.v_type}, M={args.m_type}, systems={args.systems}, inits={args.inits}, "
            f"seed={args.seed})", format_table(res),
            "The paper's experimental settings and numbers were not recovered (shared/papers/attention.md §6); "
            "it states that stable consensus, bipartite and clustering equilibria often coexist.")
    print(f"total {res['seconds']:.1f} s; written to {res.get('written_to', '(not written)')}")
    return 0


def _reproduce_branches(args) -> int:
    from .experiments.ssl_branches import format_table, run

    n = 3 if args.n is None else args.n
    out = "results/ssl_branches.json" if args.out is None else args.out
    print(f"ssl-branches: m={args.m} n={n} instances={args.instances} inits={args.inits} steps={args.branch_steps} "
          f"eta={args.eta} alpha={args.alpha} seed={args.seed}", flush=True)
    res = run(m=args.m, n=n, instances=args.instances, inits=args.inits, steps=args.branch_steps, eta=args.eta,
              alpha=args.alpha, seed=args.seed, out=out or None, progress=not args.no_progress)
    _report(args, "reproduce:ssl-branches", f"`symdyn reproduce ssl-branches` (m={args.m}, n={n}, "
            f"instances={args.instances}, inits={args.inits}, steps={args.branch_steps}, seed={args.seed})",
            format_table(res), "The note (shared/papers/ssl_linear.md §7.3) predicts: exactly one attracting full-rank "
            "branch, the others saddles (never reached); the origin and some partially collapsed equilibria are "
            "attracting too.")
    print(f"total {res['seconds']:.1f} s; written to {res.get('written_to', '(not written)')}")
    return 0


def _reproduce_figures(args) -> int:
    from .experiments.figures import make_figures

    paths = make_figures(seed=args.seed)
    print("figures: " + (", ".join(paths) if paths else "matplotlib not installed (pip install symdyn[plot])"))
    return 0


EXPERIMENTS = {"ssl-m1": _reproduce_ssl_m1, "ssl-branches": _reproduce_branches,
               "attention-multistability": _reproduce_attention, "figures": _reproduce_figures}
MODELS = ("ssl", "attention", "directpred", "deep-linear", "oja-subspace", "field")


class _UserModuleError(RuntimeError):
    """An exception raised while importing a user's --import module (reported in one line, exit 1)."""


def _import_user_module(spec: str):
    """Import a module (dotted name) or a .py file and return it (its top level may register theorems with
    symdyn.theorems.register, or define the VectorField for ``derive field``)."""
    import importlib
    import importlib.util
    from pathlib import Path

    if spec.endswith(".py"):
        path = Path(spec)
        if not path.is_file():
            raise ValueError(f"--import: no such file {spec}")
        mod_spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(mod_spec)
        try:
            mod_spec.loader.exec_module(module)
        except Exception as exc:
            raise _UserModuleError(f"--import {spec}: the module raised {type(exc).__name__}: {exc}") from None
        return module
    try:
        return importlib.import_module(spec)
    except ModuleNotFoundError as exc:
        raise ValueError(f"--import: cannot import {spec!r} ({exc})") from None
    except Exception as exc:
        raise _UserModuleError(f"--import {spec}: the module raised {type(exc).__name__}: {exc}") from None


def _verify(args) -> int:
    import json
    from pathlib import Path

    from .theorems import format_report, registry, verify

    for spec in args.imports or ():
        _import_user_module(spec)
    THEOREMS = registry.THEOREMS
    if args.list:
        for tid, th in THEOREMS.items():
            print(f"{tid:32s} {th.kind:9s} {th.source}")
        return 0
    print(f"verify: instances={args.instances} seed={args.seed} theorems={len(args.only or THEOREMS)}", flush=True)
    reports = verify(args.only, instances=args.instances, seed=args.seed, progress=not args.no_progress,
                     counterexample_dir=str(Path(args.out).parent / "counterexamples") if args.out else None)
    print()
    table = format_report(reports)
    print(table)
    update_readme(args.readme, "verify", f"`symdyn verify --instances {args.instances} --seed {args.seed}`:\n\n" + table)
    for r in reports:
        if r.first_error:
            print(f"{r.id}: first error: {r.first_error}")
        if r.counterexample:
            print(f"{r.id}: counterexample saved to {r.counterexample}")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"instances": args.instances, "seed": args.seed, "theorems": [
            vars(r) for r in reports]}, indent=2))
        print(f"written to {args.out}")
    bad = [r for r in reports if not r.ok]
    if bad:
        print("symdyn verify: " + "; ".join(f"{r.id}: {r.status}" for r in bad), file=sys.stderr)
        return 1
    return 0


def _derive(args) -> int:
    from pathlib import Path

    from .field import VectorField
    from .latex import (attention_document, deep_linear_document, directpred_document, field_document,
                        oja_subspace_document, ssl_document)

    if args.model == "ssl":
        text = ssl_document(args.kind, m=args.m, n=args.n, seed=args.seed)
        default = f"derivations/ssl_{args.kind}.tex"
    elif args.model == "attention":
        text = attention_document(d=args.d or 3)
        default = "derivations/attention.tex"
    elif args.model == "directpred":
        text, default = directpred_document(), "derivations/directpred.tex"
    elif args.model == "field":
        module = _import_user_module(args.imports[0])
        vf = getattr(module, args.field, None)
        if not isinstance(vf, VectorField):
            raise ValueError(f"--field: {args.imports[0]} has no VectorField named {args.field!r}")
        text, default = field_document(vf), f"derivations/{args.field}.tex"
    elif args.model == "deep-linear":
        text, default = deep_linear_document(), "derivations/deep_linear.tex"
    else:
        text, default = oja_subspace_document(d=args.d or 4, h=args.h), "derivations/oja_subspace.tex"
    out = Path(args.out or default)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"written {out} ({len(text)} characters)")
    return 0


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return v


def _seed(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer seed, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer seed, got {text}")
    return v


def _finite_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if v != v or v in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text}")
    return v


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``symdyn <verb>: error: ...`` on stderr, exit status 2."""

    def error(self, message):
        import re

        hit = re.search(r"argument (\S+): invalid choice: '(.*)' \(choose from (.*)\)", message)
        if hit:
            what = {"{" + ",".join(EXPERIMENTS) + "}": "experiment", "{" + ",".join(MODELS) + "}": "model"}.get(
                hit.group(1), hit.group(1).lstrip("-"))
            names = ", ".join(c.strip().strip("'") for c in hit.group(3).split(","))
            message = f"unknown {what} {hit.group(2)!r}; valid names: {names}"
        self.exit(2, f"{self.prog}: error: {message}\n")


def _common(p, out_help: str, progress: bool = True, readme: bool = False):
    p.add_argument("--seed", type=_seed, default=0, help="random seed, a non-negative integer (default 0)")
    p.add_argument("--out", default=None, help=out_help)
    if progress:
        p.add_argument("--no-progress", action="store_true", help="no progress bar")
    if readme:
        p.add_argument("--readme", default=None, help="also write the table into this README's section (maintainers)")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    p = _Parser(prog="symdyn", description="Symbolic-numeric analysis of learning dynamics.")
    p.add_argument("--version", action="version", version=f"symdyn {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="{verify,derive,reproduce}")
    v = sub.add_parser("verify", help="check the theorems of the papers on random instances")
    v.add_argument("--instances", type=_positive_int, default=30, help="random instances per theorem (default 30)")
    v.add_argument("--seed", type=_seed, default=0, help="random seed, a non-negative integer (default 0)")
    v.add_argument("--only", nargs="+", metavar="ID", help="theorem ids to run (default: all; see --list)")
    v.add_argument("--list", action="store_true", help="list the theorem ids and exit")
    v.add_argument("--import", dest="imports", nargs="+", metavar="MODULE",
                   help="modules or .py files to import first; theorems they register (symdyn.theorems.register) "
                        "join the run")
    v.add_argument("--out", default="results/verify.json", help="JSON report path ('' for none)")
    v.add_argument("--no-progress", action="store_true", help="no progress bar")
    v.add_argument("--readme", default=None, help="also write the table into this README's verify section")

    dv = sub.add_parser("derive", help="write a LaTeX derivation document")
    models = dv.add_subparsers(dest="model", required=True, metavar="{" + ",".join(MODELS) + "}")
    out_help = "output .tex path (default derivations/<model>[_<kind>].tex)"
    d = models.add_parser("ssl", help="linear SSL (SG, EMA or GF) with a numeric instance")
    d.add_argument("--kind", default="sg", choices=("sg", "ema", "gf"), help="sg | ema | gf (default sg)")
    d.add_argument("--m", type=_positive_int, default=2, help="input dimension of the numeric instance (default 2)")
    d.add_argument("--n", type=_positive_int, default=3, help="embedding dimension of the numeric instance (default 3)")
    _common(d, out_help, progress=False)
    d = models.add_parser("attention", help="self-attention on the sphere: Theorems A and B")
    d.add_argument("--d", type=_positive_int, default=3, help="token dimension (default 3)")
    d.add_argument("--out", default=None, help=out_help)
    for name in ("directpred", "deep-linear"):
        models.add_parser(name, help=f"{name} derivations").add_argument("--out", default=None, help=out_help)
    d = models.add_parser("oja-subspace", help="Oja's subspace flow")
    d.add_argument("--d", type=_positive_int, default=4, help="dimension of M (default 4)")
    d.add_argument("--h", type=_positive_int, default=2, help="subspace dimension (default 2)")
    d.add_argument("--out", default=None, help=out_help)
    d = models.add_parser("field", help="your own VectorField: --import FILE --field NAME")
    d.add_argument("--import", dest="imports", nargs=1, metavar="MODULE", required=True,
                   help="module or .py file to import")
    d.add_argument("--field", required=True, help="name of the VectorField in that module")
    d.add_argument("--out", default=None, help=out_help)

    r = sub.add_parser("reproduce", help="run a reproduced experiment of the papers")
    exps = r.add_subparsers(dest="name", required=True, metavar="{" + ",".join(EXPERIMENTS) + "}")
    e = exps.add_parser("ssl-m1", help="m = 1 SG/EMA iterations: outer sphere vs origin")
    e.add_argument("--trials", type=_positive_int, default=4000, help="number of random trials (default 4000)")
    e.add_argument("--steps", type=_positive_int, default=40000, help="discrete updates per trial (default 40000)")
    e.add_argument("--n", type=_positive_int, default=None, help="embedding dimension (default 2)")
    e.add_argument("--eta", type=_finite_float, default=0.05, help="learning rate (default 0.05)")
    e.add_argument("--alpha", type=_finite_float, default=0.99, help="EMA coefficient (default 0.99)")
    _common(e, "JSON output path (default results/ssl_m1.json; '' for none)", readme=True)
    e = exps.add_parser("ssl-branches", help="m = 2: which equilibrium branches random starts reach")
    e.add_argument("--m", type=_positive_int, default=2, help="input dimension m (default 2)")
    e.add_argument("--n", type=_positive_int, default=None, help="embedding dimension (default 3)")
    e.add_argument("--instances", type=_positive_int, default=8, help="random data sets (default 8)")
    e.add_argument("--inits", type=_positive_int, default=100, help="initial conditions per data set (default 100)")
    e.add_argument("--branch-steps", type=_positive_int, default=20000, help="updates (default 20000)")
    e.add_argument("--eta", type=_finite_float, default=0.05, help="learning rate (default 0.05)")
    e.add_argument("--alpha", type=_finite_float, default=0.99, help="EMA coefficient (default 0.99)")
    _common(e, "JSON output path (default results/ssl_branches.json; '' for none)", readme=True)
    e = exps.add_parser("attention-multistability", help="self-attention: classes of stable end points")
    e.add_argument("--d", type=_positive_int, default=3, help="token dimension (default 3)")
    e.add_argument("--n", type=_positive_int, default=None, help="number of tokens (default 8)")
    e.add_argument("--beta", type=_finite_float, default=4.0, help="inverse temperature (default 4)")
    e.add_argument("--v-type", default="sym", choices=("sym", "spd", "nonsym"), help="V type (default sym)")
    e.add_argument("--m-type", default="QK", choices=("I", "QK", "V"), help="M type (default QK)")
    e.add_argument("--systems", type=_positive_int, default=10, help="random systems (default 10)")
    e.add_argument("--inits", type=_positive_int, default=100, help="initial conditions per system (default 100)")
    e.add_argument("--t-max", type=_finite_float, default=1500.0, help="integration horizon (default 1500)")
    _common(e, "JSON output path (default results/attention_multistability.json; '' for none)", readme=True)
    e = exps.add_parser("figures", help="the figures of make reproduce (matplotlib)")
    e.add_argument("--seed", type=_seed, default=0, help="random seed, a non-negative integer (default 0)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point.  Exit status: 0 success; 1 a failure (a refuted or erroring theorem, a file that cannot be
    written, an error inside an --import'ed module); 2 a usage error (bad option or value).  Errors are one
    line on stderr, never a traceback for a user mistake."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help/--version (0) or a usage error (2, already printed)
        return int(exc.code or 0)
    try:
        if args.command == "verify":
            return _verify(args)
        if args.command == "derive":
            return _derive(args)
        return EXPERIMENTS[args.name](args)
    except _UserModuleError as exc:
        print(f"symdyn: {exc}", file=sys.stderr)
        return 1
    except (ValueError, TypeError) as exc:
        print(f"symdyn: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"symdyn: cannot read or write{where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("symdyn: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
