"""`make bench`: speed and memory of symdyn's kernels as ratios against hand-written NumPy.

Every row times the derived kernel and the hand-written baseline (benchmarks/baselines.py) in the same
process and run: one warm-up call, then the median of ``--repeats`` calls each; peak memory is the
tracemalloc peak of one call.  Ratios > 1 mean symdyn is slower / uses more memory.  Writes
results/bench.json and regenerates the README section between the bench markers.

    python -m benchmarks.run [--repeats 5] [--quick] [--no-readme]
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import baselines  # noqa: E402
from symdyn import LinearSSL, OjaFlow, SelfAttention  # noqa: E402
from symdyn.instances import random_moments  # noqa: E402
from symdyn.readme import splice_readme  # noqa: E402



def median_time(fn, repeats):
    fn()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def peak_bytes(fn):
    tracemalloc.start()
    tracemalloc.reset_peak()
    out = fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del out
    return peak


def compare(name, what, batch, D, derived, hand, repeats, build=None):
    td, th = median_time(derived, repeats), median_time(hand, repeats)
    md, mh = peak_bytes(derived), peak_bytes(hand)
    row = {"case": name, "what": what, "batch": batch, "D": D, "t_symdyn_ms": td * 1e3, "t_numpy_ms": th * 1e3,
           "time_ratio": td / th, "mem_symdyn_MB": md / 2 ** 20, "mem_numpy_MB": mh / 2 ** 20,
           "mem_ratio": md / max(mh, 1), "build_s": build}
    print(f"{name:28s} {what:2s} batch={batch:6d} D={D:5d} time x{row['time_ratio']:.2f} "
          f"mem x{row['mem_ratio']:.2f} build={build if build is None else round(build, 3)}", flush=True)
    return row


def bench_oja(repeats, quick):
    rows = []
    for d in ((10, 50) if quick else (10, 50, 200)):
        rng = np.random.default_rng(d)
        V = rng.standard_normal((d, d))
        batch = 2000 if quick else 10000
        X = rng.standard_normal((batch, d))
        t0 = time.perf_counter()
        k = OjaFlow(V).field().lambdify()
        build = time.perf_counter() - t0
        rows.append(compare(f"Oja d={d}", "f", batch, d, lambda: k.f(X), lambda: baselines.oja_f(X, V), repeats, build))
        rows.append(compare(f"Oja d={d}", "J", batch, d, lambda: k.jacobian(X), lambda: baselines.oja_J(X, V),
                            repeats, build))
    return rows


def bench_ssl(repeats, quick):
    rows = []
    for m, n in (((2, 4), (8, 16)) if quick else ((2, 4), (8, 16), (32, 64))):
        Sx, Syx, Sy = random_moments(m, 0)
        model = LinearSSL(m, n, Sx, Syx, Sy, lam=0.02, kappa=0.5)
        for kind in ("sg", "ema"):
            t0 = time.perf_counter()
            k = model.field(kind).lambdify(form="matrix")
            build = time.perf_counter() - t0
            D = model.state_dimension(kind)
            kap = 0.5 if kind == "ema" else None
            rng = np.random.default_rng(1)
            X = 0.3 * rng.standard_normal((1000, D))
            rows.append(compare(f"SSL {kind} (m,n)=({m},{n})", "f", 1000, D, lambda: k.f(X),
                                lambda: baselines.ssl_f(X, n, m, Sx, Syx, 0.02, kap), repeats, build))
            bj = int(max(1, min(1000, 6e7 // D ** 2)))
            Xj = X[:bj]
            rows.append(compare(f"SSL {kind} (m,n)=({m},{n})", "J", bj, D, lambda: k.jacobian(Xj),
                                lambda: baselines.ssl_J(Xj, n, m, Sx, Syx, 0.02, kap), repeats, build))
    return rows


def bench_attention(repeats, quick):
    rows = []
    for n in ((16, 128) if quick else (16, 128, 1024)):
        for d in ((3, 16) if quick else (3, 16, 64)):
            rng = np.random.default_rng(n + d)
            V, M = rng.standard_normal((2, d, d)) / np.sqrt(d)
            model = SelfAttention(n, d, V=V, M=M, beta=1.0)
            batch = max(1, 4096 // n)
            X = model.random_configurations(batch, seed=0)
            rows.append(compare(f"attention n={n} d={d}", "f", batch, n * d, lambda: model.f(X),
                                lambda: baselines.attention_f(X, V, M, 1.0), repeats))
    return rows


def bench_symbolic(quick):
    rows = []
    for m in ((1, 2) if quick else (1, 2, 3)):
        n = m + 1
        Sx, Syx, Sy = random_moments(m, 0)
        model = LinearSSL(m, n, Sx, Syx, Sy, lam=0.01, kappa=0.5)
        t0 = time.perf_counter()
        vf = model.field("sg")
        t_field = time.perf_counter() - t0
        t0 = time.perf_counter()
        vf.jacobian()
        t_jac = time.perf_counter() - t0
        t0 = time.perf_counter()
        roots = model.e1_roots()
        t_e1 = time.perf_counter() - t0
        rows.append({"m": m, "n": n, "D": vf.dimension, "field_s": t_field, "jacobian_s": t_jac, "e1_s": t_e1,
                     "e1_method": roots["method"], "e1_complex_roots": roots["complex_count"]})
        print(f"SSL symbolic m={m} n={n}: field {t_field:.3f}s, Jacobian {t_jac:.3f}s, (E1) {t_e1:.3f}s "
              f"({roots['method']}, {roots['complex_count']} complex roots)", flush=True)
    rng = np.random.default_rng(0)
    V = rng.standard_normal((50, 50))
    t0 = time.perf_counter()
    k = OjaFlow(V).field().lambdify(form="matrix")
    k.jacobian(rng.standard_normal(50))
    t_matrix = time.perf_counter() - t0
    rows.append({"case": "Oja D=50 matrix-form Jacobian build + first call", "seconds": t_matrix})
    print(f"Oja D=50 matrix-form Jacobian build + first call: {t_matrix:.3f}s", flush=True)
    return rows


def markdown(res) -> str:
    lines = [f"Generated by `make bench` on {res['machine']} (numpy {res['numpy']}), median of {res['repeats']} "
             "repeats after a warm-up; ratio = symdyn / hand-written NumPy in the same run. "
             "Targets: time ratio ≤ 1.2 for matrix-form f and J; symbolic Jacobian build for D = 50 under 1 s.",
             "", "| case | | batch | D | symdyn ms | NumPy ms | time ratio | peak MB symdyn / NumPy | build s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in res["kernels"]:
        b = "" if r["build_s"] is None else f"{r['build_s']:.3f}"
        lines.append(f"| {r['case']} | {r['what']} | {r['batch']} | {r['D']} | {r['t_symdyn_ms']:.2f} | "
                     f"{r['t_numpy_ms']:.2f} | **{r['time_ratio']:.2f}** | {r['mem_symdyn_MB']:.1f} / "
                     f"{r['mem_numpy_MB']:.1f} | {b} |")
    lines += ["", "Symbolic build time (SSL, entry-wise, exact rationals):", "",
              "| m | n | D | field s | Jacobian s | (E1) roots s | method | complex roots |", "|---|---|---|---|---|---|---|---|"]
    for r in res["symbolic"]:
        if "m" in r:
            lines.append(f"| {r['m']} | {r['n']} | {r['D']} | {r['field_s']:.3f} | {r['jacobian_s']:.3f} | "
                         f"{r['e1_s']:.3f} | {r['e1_method']} | {r['e1_complex_roots']} |")
        else:
            lines.append(f"| {r['case']}: {r['seconds']:.3f} s | | | | | | | |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="smaller sizes (for a smoke test)")
    p.add_argument("--no-readme", action="store_true", help="do not rewrite README.md")
    p.add_argument("--readme", default=str(ROOT / "README.md"), help="README whose bench section is rewritten")
    p.add_argument("--out", default=str(ROOT / "results" / "bench.json"))
    a = p.parse_args(argv)
    if a.repeats < 1:
        p.error("--repeats must be >= 1")
    t0 = time.perf_counter()
    res = {"machine": f"{platform.machine()}, {platform.python_version()}", "numpy": np.__version__,
           "repeats": a.repeats, "quick": a.quick}
    res["kernels"] = bench_oja(a.repeats, a.quick) + bench_ssl(a.repeats, a.quick) + bench_attention(a.repeats, a.quick)
    res["symbolic"] = bench_symbolic(a.quick)
    res["seconds"] = time.perf_counter() - t0
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2))
    table = markdown(res)
    if not a.no_readme:
        splice_readme(a.readme, "bench", table)
    print(f"\nwritten {out}; total {res['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
