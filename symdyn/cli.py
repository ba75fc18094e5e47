"""Command line: ``symdyn verify | derive MODEL | reproduce NAME | classify X | continue TARGET | bench`` (also
``python -m symdyn``; ``continue``: :mod:`symdyn.continuation_cli`).

Each derive model and each experiment has a sub-parser with only its own options (the ``reproduce`` sub-parsers are
generated from the experiment registry :data:`symdyn.experiments.EXPERIMENTS`): an option that does not apply to the chosen verb is refused, not ignored.  Every random
experiment takes ``--seed`` (a non-negative integer).  Errors are one line on stderr; exit status 0
(success), 1 (failure: a refuted or erroring theorem, an unwritable output, an error inside an imported
module) or 2 (usage).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._validate import arg_finite_float, arg_positive_int, arg_seed
from .experiments import EXPERIMENTS
from .readme import splice_readme

__all__ = ["main", "build_parser", "EXPERIMENTS"]


MODELS = ("ssl", "attention", "directpred", "deep-linear", "oja-subspace", "discrete", "field")


class _UserModuleError(RuntimeError):
    """An exception raised while importing a user's --import module (reported in one line, exit 1)."""


def _import_user_module(spec: str):
    """Import a module (dotted name) or a .py file and return it (its top level may register theorems with
    symdyn.theorems.register, or define the VectorField for ``derive field``)."""
    import importlib
    import importlib.util

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

    from .theorems import format_report, registry, verify

    for spec in args.imports or ():
        _import_user_module(spec)
    THEOREMS = registry.THEOREMS
    if args.list:
        for tid, th in THEOREMS.items():
            print(f"{tid:32s} {th.kind:9s} {th.source}")
        return 0
    from .executor import resolve_workers, scheduler_address

    where = scheduler_address(args.scheduler)
    where = f"scheduler={where}" if where is not None else f"workers={resolve_workers(args.workers)}"
    print(f"verify: instances={args.instances} seed={args.seed} theorems={len(args.only or THEOREMS)} {where}",
          flush=True)
    reports = verify(args.only, instances=args.instances, seed=args.seed, progress=not args.no_progress,
                     counterexample_dir=str(Path(args.out).parent / "counterexamples") if args.out else None,
                     workers=args.workers, scheduler=args.scheduler)
    print()
    table = format_report(reports)
    print(table)
    splice_readme(args.readme, "verify", f"`symdyn verify --instances {args.instances} --seed {args.seed}`:\n\n" + table)
    for r in reports:
        if r.first_error:
            print(f"{r.id}: first error: {r.first_error}")
        if r.counterexample:
            print(f"{r.id}: counterexample saved to {r.counterexample}")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        from .provenance import provenance

        Path(args.out).write_text(json.dumps({"instances": args.instances, "seed": args.seed, "theorems": [
            vars(r) for r in reports], "provenance": provenance(seed=args.seed, workers=args.workers,
                                                                scheduler=args.scheduler)}, indent=2))
        print(f"written to {args.out}")
    bad = [r for r in reports if not r.ok]
    if bad:
        print("symdyn verify: " + "; ".join(f"{r.id}: {r.status}" for r in bad), file=sys.stderr)
        return 1
    return 0


def _derive(args) -> int:
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
    elif args.model == "discrete":
        from .latex.discrete import discrete_document

        text, default = discrete_document(), "derivations/discrete.tex"
    else:
        text, default = oja_subspace_document(d=args.d or 4, h=args.h), "derivations/oja_subspace.tex"
    from .latex.document import split_body

    out = Path(args.out) if args.out else Path(args.out_dir) / Path(default).name
    out.parent.mkdir(parents=True, exist_ok=True)
    body_path = out.with_name(out.stem + "_body.tex")
    wrapper, body = split_body(text, body_path.stem)
    out.write_text(wrapper)
    body_path.write_text(body)
    print(f"written {out} (standalone; compiles as it is) and {body_path} (the body, to \\input into a paper "
          "that loads amsmath, amssymb and array)")
    return 0


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


def _common(p, out_help: str | None, progress: bool = True, readme: bool = False, out_default: str | None = None):
    """--seed, and as asked --out (when ``out_help`` is given), --no-progress and --readme."""
    p.add_argument("--seed", type=arg_seed, default=0, help="random seed, a non-negative integer (default 0)")
    if out_help is not None:
        p.add_argument("--out", default=out_default, help=out_help)
    if progress:
        p.add_argument("--no-progress", action="store_true", help="no progress bar")
    if readme:
        p.add_argument("--readme", default=None, help=README_HELP)


_TYPES = {"positive_int": arg_positive_int, "float": arg_finite_float, "str": str}

README_HELP = argparse.SUPPRESS  # --readme (maintainers: make verify/reproduce/bench) is not shown to users


def add_out_dir(p, out_name: str | None, default: str | None = "results") -> None:
    """--out-dir DIR (default ``results``): where outputs go whose path is not given explicitly (``--out`` etc.);
    ``out_name`` is the JSON file's name there (None: the command writes no JSON)."""
    p.add_argument("--out-dir", default=default, metavar="DIR",
                   help=f"directory for outputs not given a path (default {default or 'as documented'})")
    p.set_defaults(_out_name=out_name)


def resolve_outputs(args) -> None:
    """``--out`` left unset becomes ``<--out-dir>/<default name>`` (an explicit ``--out ''`` writes nothing)."""
    name = getattr(args, "_out_name", None)
    if name is not None and getattr(args, "out", None) is None:
        args.out = str(Path(args.out_dir) / name)


def _experiment_parser(sub, exp) -> None:
    """The sub-parser of one registered experiment: its own options, then the common ones its flags ask for."""
    e = sub.add_parser(exp.name, help=exp.help)
    for o in exp.options:
        kw = {"type": _TYPES[o.type], "default": o.default, "help": o.help}
        if o.choices:
            kw["choices"] = o.choices
        e.add_argument(o.flag, **kw)
    name = None if exp.output is None else Path(exp.output).name
    out_help = None if exp.output is None else f"JSON output path (default <out-dir>/{name}; '' for none)"
    _common(e, out_help, progress=exp.progress, readme=bool(exp.readme_key))
    add_out_dir(e, name)


def _load_matrix(path: str, name: str):
    """An array from a .npy file or a text/JSON file (the value of a CLI option ``name``)."""
    import json

    import numpy as np

    p = Path(path)
    if not p.is_file():
        raise ValueError(f"{name}: no such file {path}")
    if p.suffix == ".npy":
        return np.load(p)
    try:
        try:
            return np.asarray(json.loads(p.read_text()), dtype=float)
        except json.JSONDecodeError:
            return np.loadtxt(p, ndmin=2)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: cannot read a matrix of numbers from {path} ({exc})") from None


def _classify(args) -> int:
    from .classify import classify

    X = _load_matrix(args.X, "X")
    V = _load_matrix(args.V, "--V")
    M = None if args.M is None else _load_matrix(args.M, "--M")
    res = classify(X, V=V, M=M, beta=args.beta, normalization=args.normalization, normalize=args.normalize)
    print(f"label: {res.label}")
    if res.stability is not None:
        print(f"stability: {res.stability.verdict}")
    print(repr(res))
    return 0


def _bench(args) -> int:
    try:
        from benchmarks.run import main as bench_main
    except ImportError:
        raise ValueError("bench: the benchmarks live in the source tree (benchmarks/); run symdyn bench from a "
                         "checkout of the repository") from None
    argv = ["--repeats", str(args.repeats), "--out", args.out] + (["--quick"] if args.quick else [])
    argv += ["--readme", args.readme] if args.readme else ["--no-readme"]
    return bench_main(argv)


def build_parser() -> argparse.ArgumentParser:
    """The ``symdyn`` command line: the verbs verify, derive, reproduce, classify, continue and bench, each with its
    options (a parser whose errors are one line on stderr and exit status 2).

    Examples
    --------
    >>> args = build_parser().parse_args(["verify", "--instances", "5", "--only", "ssl.gf-collapse"])
    >>> args.command, args.instances, args.only
    ('verify', 5, ['ssl.gf-collapse'])
    """
    from . import __version__

    p = _Parser(prog="symdyn", description="Symbolic-numeric analysis of learning dynamics.")
    p.add_argument("--version", action="version", version=f"symdyn {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="{verify,derive,reproduce,classify,continue,bench}")
    v = sub.add_parser("verify", help="check the theorems of the papers on random instances")
    v.add_argument("--instances", type=arg_positive_int, default=30, help="random instances per theorem (default 30)")
    v.add_argument("--seed", type=arg_seed, default=0, help="random seed, a non-negative integer (default 0)")
    v.add_argument("--only", nargs="+", metavar="ID", help="theorem ids to run (default: all; see --list)")
    v.add_argument("--list", action="store_true", help="list the theorem ids and exit")
    v.add_argument("--import", dest="imports", nargs="+", metavar="MODULE",
                   help="modules or .py files to import first; theorems they register (symdyn.theorems.register) "
                        "join the run")
    v.add_argument("--out", default=None, help="JSON report path (default <out-dir>/verify.json; '' for none)")
    add_out_dir(v, "verify.json")
    v.add_argument("--no-progress", action="store_true", help="no progress bar")
    v.add_argument("--readme", default=None, help=README_HELP)
    v.add_argument("--workers", type=arg_positive_int, default=None,
                   help="local worker processes (default: every core); results do not depend on it")
    v.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on a Dask cluster (e.g. tcp://host:8786; default: $SYMDYN_SCHEDULER if set); needs "
                        "the [dask] extra")

    dv = sub.add_parser("derive", help="write a LaTeX derivation document")
    models = dv.add_subparsers(dest="model", required=True, metavar="{" + ",".join(MODELS) + "}")
    out_help = "output .tex path (default <out-dir>/<model>[_<kind>].tex; a _body.tex file is written beside it)"
    d = models.add_parser("ssl", help="linear SSL (SG, EMA or GF) with a numeric instance")
    d.add_argument("--kind", default="sg", choices=("sg", "ema", "gf"), help="sg | ema | gf (default sg)")
    d.add_argument("--m", type=arg_positive_int, default=2, help="input dimension of the numeric instance (default 2)")
    d.add_argument("--n", type=arg_positive_int, default=3, help="embedding dimension of the numeric instance (default 3)")
    _common(d, out_help, progress=False)
    d = models.add_parser("attention", help="self-attention on the sphere: Theorems A and B")
    d.add_argument("--d", type=arg_positive_int, default=3, help="token dimension (default 3)")
    d.add_argument("--out", default=None, help=out_help)
    for name in ("directpred", "deep-linear", "discrete"):
        models.add_parser(name, help=f"{name} derivations").add_argument("--out", default=None, help=out_help)
    d = models.add_parser("oja-subspace", help="Oja's subspace flow")
    d.add_argument("--d", type=arg_positive_int, default=4, help="dimension of M (default 4)")
    d.add_argument("--h", type=arg_positive_int, default=2, help="subspace dimension (default 2)")
    d.add_argument("--out", default=None, help=out_help)
    d = models.add_parser("field", help="your own VectorField: --import FILE --field NAME")
    d.add_argument("--import", dest="imports", nargs=1, metavar="MODULE", required=True,
                   help="module or .py file to import")
    d.add_argument("--field", required=True, help="name of the VectorField in that module")
    d.add_argument("--out", default=None, help=out_help)

    for parser in models.choices.values():
        parser.add_argument("--out-dir", default="derivations", metavar="DIR",
                            help="directory for the document when --out is not given (default derivations)")
    r = sub.add_parser("reproduce", help="run a reproduced experiment of the papers")
    exps = r.add_subparsers(dest="name", required=True, metavar="{" + ",".join(EXPERIMENTS) + "}")
    for exp in EXPERIMENTS.values():  # generated from the experiment registry (symdyn/experiments)
        _experiment_parser(exps, exp)

    c = sub.add_parser("classify", help="classify an attention configuration and judge its stability")
    c.add_argument("X", help="the configuration: .npy, or a text/JSON file of an (n, d) array")
    c.add_argument("--V", required=True, help="value matrix (d, d): .npy, text or JSON file")
    c.add_argument("--M", default=None, help="M = Q^T K (d, d): .npy, text or JSON file (default identity)")
    c.add_argument("--beta", type=arg_finite_float, required=True, help="inverse temperature")
    c.add_argument("--normalization", default="softmax", choices=("softmax", "uniform"),
                   help="softmax (SA, default) or uniform (USA)")
    c.add_argument("--normalize", action="store_true", help="project the rows of X onto the sphere first")

    from .continuation_cli import add_parser as add_continue

    add_continue(sub)

    b = sub.add_parser("bench", help="speed and memory of the kernels against the best peer (SymEngine LLVM, "
                                     "sympy.lambdify, hand NumPy; source checkout)")
    b.add_argument("--repeats", type=arg_positive_int, default=5, help="timing repeats (default 5)")
    b.add_argument("--quick", action="store_true", help="smaller sizes (a smoke test)")
    b.add_argument("--readme", default=None, help=README_HELP)
    b.add_argument("--out", default=None, help="JSON report path (default <out-dir>/bench.json)")
    add_out_dir(b, "bench.json")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point.  Exit status: 0 success; 1 a failure (a refuted or erroring theorem, a file that cannot be
    written, an error inside an --import'ed module); 2 a usage error (bad option or value).  Errors are one
    line on stderr, never a traceback for a user mistake.

    Examples
    --------
    >>> main(["verify", "--only", "ssl.gf-collapse", "--instances", "3", "--no-progress", "--out", "", "--workers", "1"])
    ... # doctest: +ELLIPSIS
    verify: instances=3 seed=0 theorems=1 workers=1
    <BLANKLINE>
    | id | kind | instances | passed | n/a | status | max residual / min margin | time s |
    |---|---|---|---|---|---|---|---|
    | ssl.gf-collapse | numeric | 3 | 3 | 0 | verified | ... |
    0
    >>> main(["verify", "--only", "no.such-claim", "--workers", "1"])   # one line on stderr, exit status 2
    verify: instances=30 seed=0 theorems=1 workers=1
    2
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help/--version (0) or a usage error (2, already printed)
        return int(exc.code or 0)
    resolve_outputs(args)
    try:
        if args.command == "verify":
            return _verify(args)
        if args.command == "derive":
            return _derive(args)
        if args.command == "classify":
            return _classify(args)
        if args.command == "bench":
            return _bench(args)
        if args.command == "continue":
            from .continuation_cli import run as run_continue

            args.argv = list(sys.argv[2:] if argv is None else argv[1:])
            return run_continue(args)
        return EXPERIMENTS[args.name].reproduce(args)
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
