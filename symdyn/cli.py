"""Command line: ``symdyn reproduce NAME [options]`` (also ``python -m symdyn``).

Experiments are registered in :data:`EXPERIMENTS`; each takes its options from the command line and
prints its table.  Every random experiment takes ``--seed``.
"""
from __future__ import annotations

import argparse
import sys
import time

__all__ = ["main"]


def _reproduce_ssl_m1(args) -> int:
    from .experiments.ssl_m1 import format_table, run

    print(f"ssl-m1: trials={args.trials} steps={args.steps} n={args.n} eta={args.eta} alpha={args.alpha} "
          f"seed={args.seed}", flush=True)
    t0 = time.perf_counter()
    res = run(trials=args.trials, steps=args.steps, n=args.n, eta=args.eta, alpha=args.alpha, seed=args.seed,
              out=args.out, progress=not args.no_progress)
    print()
    print(format_table(res))
    print()
    print("Paper: 10^4 trials, the subset (all or Δ ≥ 0) is not stated; its n, η, α, initialisation are not known "
          "(shared/papers/ssl_linear.md §9, §11.4).")
    print(f"diverged: " + ", ".join(f"{k.upper()} {v['diverged']}" for k, v in res["methods"].items())
          + f"; total {time.perf_counter() - t0:.1f} s; written to {res.get('written_to', '(not written)')}")
    return 0


EXPERIMENTS = {"ssl-m1": _reproduce_ssl_m1}


def _positive_int(text: str) -> int:
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return v


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="symdyn", description="Symbolic-numeric analysis of learning dynamics.")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("reproduce", help="run a reproduced experiment of the papers")
    r.add_argument("name", help=f"experiment name, one of: {', '.join(EXPERIMENTS)}")
    r.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    r.add_argument("--trials", type=_positive_int, default=4000, help="number of random trials (default 4000)")
    r.add_argument("--steps", type=_positive_int, default=40000, help="discrete updates per trial (default 40000)")
    r.add_argument("--n", type=_positive_int, default=2, help="embedding dimension n (default 2)")
    r.add_argument("--eta", type=float, default=0.05, help="learning rate (default 0.05)")
    r.add_argument("--alpha", type=float, default=0.99, help="EMA coefficient (default 0.99)")
    r.add_argument("--out", default="results/ssl_m1.json", help="JSON output path")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "reproduce":
        if args.name not in EXPERIMENTS:
            print(f"symdyn: unknown experiment {args.name!r}; valid names: {', '.join(EXPERIMENTS)}", file=sys.stderr)
            return 2
        try:
            return EXPERIMENTS[args.name](args)
        except ValueError as exc:
            print(f"symdyn: {exc}", file=sys.stderr)
            return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
