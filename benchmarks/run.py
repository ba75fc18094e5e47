"""`make bench`: speed and memory of symdyn's kernels as ratios against the best peer in the same run.

Every row times symdyn and each peer (SymEngine LLVM `Lambdify` with CSE and `sympy.lambdify` with CSE, both built
from the field's SymPy components in benchmarks/peers.py; hand-written NumPy in benchmarks/baselines.py and
benchmarks/peers.py) in the same process: two warm-up calls, then the median of ``--repeats`` samples each, the
contenders sampled in turn within every repeat; peak memory is the tracemalloc peak of one call.  The peers compile
parameter values in, and so does symdyn's contender (``Kernel.specialise``); rows marked "bound" time the kernel with
the values bound instead (passed per call, no recompilation per value).  Ratios > 1 mean symdyn is slower than the fastest peer.  Writes
results/bench.json and regenerates the README section between the bench markers.

    python -m benchmarks.run [--repeats 7] [--quick] [--no-readme]
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

from benchmarks import baselines, peers  # noqa: E402
from symdyn import LinearSSL, OjaFlow, SelfAttention  # noqa: E402
from symdyn.instances import random_moments  # noqa: E402
from symdyn.flows import integrate  # noqa: E402
from symdyn.readme import splice_readme  # noqa: E402

#: compiled / SymPy peers are built for dense fields up to this dimension (Oja d = 50 expands to ~1300 cubic terms
#: per component: the SymPy peer's Jacobian did not finish in 5 minutes); sparse fields (Lorenz-96, Kuramoto,
#: the sparse cubic) get them at every size.
PEER_MAX_DENSE_D = 32



def median_times(fns: dict, repeats) -> dict:
    """{name: median over ``repeats`` samples of the time of one call}, the contenders sampled in turn within each
    repeat (drift of the machine, allocator and cache warm-up then fall on every contender alike instead of on
    whichever is timed first).  Each is called twice first (warm-up; the second call's time sizes its loop): a call
    under 1 ms is timed in a loop of as many calls as fill ~2 ms per sample (a single microsecond call is below the
    timer's noise)."""
    loops = {}
    for name, fn in fns.items():
        fn()
        t = time.perf_counter()
        fn()
        first = time.perf_counter() - t
        loops[name] = 1 if first >= 1e-3 else int(min(10_000, max(1, 2e-3 / max(first, 1e-7))))
    samples: dict = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            n = loops[name]
            t = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - t) / n)
    return {name: float(np.median(ts)) for name, ts in samples.items()}


def peak_bytes(fn):
    tracemalloc.start()
    tracemalloc.reset_peak()
    out = fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del out
    return peak


def compare(name, what, batch, D, derived, hand, repeats, build=None):
    both = median_times({"symdyn": derived, "hand": hand}, repeats)
    td, th = both["symdyn"], both["hand"]
    md, mh = peak_bytes(derived), peak_bytes(hand)
    row = {"case": name, "what": what, "batch": batch, "D": D, "t_symdyn_ms": td * 1e3, "t_numpy_ms": th * 1e3,
           "time_ratio": td / th, "mem_symdyn_MB": md / 2 ** 20, "mem_numpy_MB": mh / 2 ** 20,
           "mem_ratio": md / max(mh, 1), "build_s": build}
    print(f"{name:28s} {what:2s} batch={batch:6d} D={D:5d} time x{row['time_ratio']:.2f} "
          f"mem x{row['mem_ratio']:.2f} build={build if build is None else round(build, 3)}", flush=True)
    return row


def compare_peers(name, what, batch, D, derived, peer_fns: dict, repeats, build=None, kernel=None):
    """One row: symdyn against every peer in the same run; ratio = symdyn / the fastest peer; peak memory of one
    call of symdyn and of that peer (tracemalloc)."""
    times = median_times({"symdyn": derived, **peer_fns}, repeats)
    td = times.pop("symdyn")
    best = min(times, key=times.get)
    route = getattr(kernel, "route", None)
    row = {"case": name, "what": what, "batch": batch, "D": D, "t_symdyn_ms": td * 1e3,
           "peers_ms": {k: v * 1e3 for k, v in times.items()}, "best_peer": best, "ratio_best": td / times[best],
           "mem_symdyn_MB": peak_bytes(derived) / 2 ** 20, "mem_peer_MB": peak_bytes(peer_fns[best]) / 2 ** 20,
           "build_s": build, "route": route}
    print(f"{name:28s} {what:9s} batch={batch:6d} D={D:5d} x{row['ratio_best']:.2f} vs {best} "
          f"({', '.join(f'{k} {v * 1e3:.3g}ms' for k, v in times.items())}; symdyn {td * 1e3:.3g}ms, {route})",
          flush=True)
    return row


def _peer_fns(field, values, x, hand_f, hand_J, with_compiled=True):
    """{"f": {peer: thunk}, "J": {...}} at the points x."""
    out = {"f": {"hand NumPy": lambda: hand_f(x)}, "J": {"hand NumPy": lambda: hand_J(x)}}
    if with_compiled:
        for label, make in (("SymEngine LLVM", peers.symengine_llvm), ("sympy.lambdify", peers.sympy_lambdify)):
            f, J = make(field, values)
            out["f"][label] = lambda f=f: f(x)
            out["J"][label] = lambda J=J: J(x)
    return out


def _cases(quick):
    """(name, field, parameter values, hand f, hand J, batch, compiled peers?) of the kernel comparison."""
    cases = []
    for d in ((10, 50) if quick else (10, 50, 200)):
        V = np.random.default_rng(d).standard_normal((d, d))
        cases.append((f"Oja d={d}", OjaFlow(V).field(), {}, lambda X, V=V: baselines.oja_f(X, V),
                      lambda X, V=V: baselines.oja_J(X, V), 2000 if quick else 10000, d <= PEER_MAX_DENSE_D))
    for m, n in (((2, 3), (2, 4), (8, 16)) if quick else ((2, 3), (2, 4), (8, 16), (32, 64))):
        Sx, Syx, Sy = random_moments(m, 0)
        for kind in ("sg", "ema"):
            model = LinearSSL(m, n, Sx, Syx, Sy, lam=0.02, kappa=0.5)
            kap = 0.5 if kind == "ema" else None
            D = model.state_dimension(kind)
            cases.append((f"SSL {kind} (m,n)=({m},{n})", model.field(kind), {},
                          lambda X, m=m, n=n, Sx=Sx, Syx=Syx, kap=kap: baselines.ssl_f(X, n, m, Sx, Syx, 0.02, kap),
                          lambda X, m=m, n=n, Sx=Sx, Syx=Syx, kap=kap: baselines.ssl_J(X, n, m, Sx, Syx, 0.02, kap),
                          1000, D <= PEER_MAX_DENSE_D))
    for D in ((50,) if quick else (50, 200)):
        cases.append((f"Lorenz-96 D={D}", peers.lorenz96(D), {"F": 8.0}, lambda X: peers.lorenz96_f(X, 8.0),
                      lambda X: peers.lorenz96_J(X, 8.0), 1000, True))
    kf, w = peers.kuramoto(50)
    cases.append(("Kuramoto N=50", kf, {"K": 1.5}, lambda X: peers.kuramoto_f(X, w, 1.5),
                  lambda X: peers.kuramoto_J(X, w, 1.5), 1000, True))
    cf, (c, idx) = peers.sparse_cubic(100)
    cases.append(("sparse cubic D=100", cf, {}, lambda X: peers.sparse_cubic_f(X, c, idx),
                  lambda X: peers.sparse_cubic_J(X, c, idx), 1000, True))
    return cases


def bench_peers(repeats, quick):
    """Kernels against the best peer: batches and (for D ≤ 100) single points, f and J."""
    rows = []
    for name, field, values, hf, hJ, batch, compiled_peers in _cases(quick):
        D = field.dimension
        t0 = time.perf_counter()
        # the peers compile the parameter values in (substituted before compiling); so does symdyn's contender
        k = field.lambdify(**values).specialise() if values else field.lambdify()
        k.f(np.zeros(D))
        k.jacobian(np.zeros(D))
        build = time.perf_counter() - t0
        rng = np.random.default_rng(1)
        X = 0.3 * rng.standard_normal((batch, D))
        Xj = X[: int(max(1, min(batch, 6e7 // D ** 2)))]   # J batches capped at ~0.5 GB of output
        fns = _peer_fns(field, values, X, hf, hJ, compiled_peers)
        fns_j = _peer_fns(field, values, Xj, hf, hJ, compiled_peers) if len(Xj) < len(X) else fns
        rows.append(compare_peers(name, "f", len(X), D, lambda: k.f(X), fns["f"], repeats, build, k))
        rows.append(compare_peers(name, "J", len(Xj), D, lambda: k.jacobian(Xj), fns_j["J"], repeats, build, k))
        if values and D <= 50:  # and the kernel with the values bound, not compiled in (no recompilation per value)
            kb = field.lambdify(**values)
            rows.append(compare_peers(name, "f", len(X), D, lambda: kb.f(X), fns["f"], repeats, None, kb))
            rows.append(compare_peers(name, "J", len(Xj), D, lambda: kb.jacobian(Xj), fns_j["J"], repeats, None, kb))
            rows[-2]["bound"] = rows[-1]["bound"] = True
        if D <= 100:
            x1 = X[0].copy()
            one = _peer_fns(field, values, x1, hf, hJ, compiled_peers)
            rows.append(compare_peers(name, "f", 1, D, lambda: k.f(x1), one["f"], repeats, build, k))
            rows.append(compare_peers(name, "J", 1, D, lambda: k.jacobian(x1), one["J"], repeats, build, k))
    return rows


def bench_integrate(repeats, quick):
    """One trajectory by LSODA: symdyn.flows.integrate against solve_ivp with the SymEngine LLVM peer's f and J."""
    from scipy.integrate import solve_ivp

    rows = []
    Sx, Syx, Sy = random_moments(2, 0)
    cases = [("SSL sg (m,n)=(2,3)", LinearSSL(2, 3, Sx, Syx, Sy, lam=0.02).field("sg"), {}),
             ("Oja d=10", OjaFlow(np.random.default_rng(10).standard_normal((10, 10))).field(), {}),
             ("Lorenz-96 D=50", peers.lorenz96(50), {"F": 8.0})]
    for name, field, values in cases:
        k = field.lambdify(**values)
        x0 = 0.3 * np.random.default_rng(2).standard_normal(field.dimension)
        T = 5.0
        pf, pJ = peers.symengine_llvm(field, values)
        peer = {"SymEngine LLVM + solve_ivp": lambda: solve_ivp(lambda t, x: pf(x), (0, T), x0, method="LSODA",
                                                                 jac=lambda t, x: pJ(x), rtol=1e-9, atol=1e-12)}
        rows.append(compare_peers(name, "integrate", 1, field.dimension, lambda: integrate(k, x0, T), peer,
                                  max(1, repeats // 2), None, k))
    return rows


def bench_map_step(repeats, quick):
    """One SG / EMA training step x ← x + ηf(x) (EMA: C ← αC + (1 − α)A_new) over 4000 trials."""
    rows = []
    for m, n in ((1, 2), (2, 3)):
        Sx, Syx, Sy = random_moments(m, 0)
        model = LinearSSL(m, n, Sx, Syx, Sy, lam=0.02, kappa=0.5)
        for kind in ("sg", "ema"):
            step = model.discrete_step(kind, 0.05, 0.99)
            D = model.state_dimension(kind)
            X = 0.3 * np.random.default_rng(3).standard_normal((4000, D))
            idx = np.arange(4000)
            nm, online = n * m, n * m + n * n

            def hand(X=X, kind=kind, Sx=Sx, Syx=Syx, n=n, m=m, nm=nm, online=online):
                kap = 0.5 if kind == "ema" else None
                new = X + 0.05 * baselines.ssl_f(X, n, m, Sx, Syx, 0.02, kap)
                if kind == "ema":
                    new[:, online:] = 0.99 * X[:, online:] + 0.01 * new[:, :nm]
                return new

            pf, _ = peers.symengine_llvm(model.field(kind), {})

            def llvm(X=X, kind=kind, pf=pf, nm=nm, online=online):
                new = X + 0.05 * pf(X)
                if kind == "ema":
                    new[:, online:] = 0.99 * X[:, online:] + 0.01 * new[:, :nm]
                return new
            rows.append(compare_peers(f"SSL {kind} (m,n)=({m},{n})", "map step", 4000, D, lambda: step(X, idx),
                                      {"hand NumPy": hand, "SymEngine LLVM": llvm}, repeats, None, None))
            rows[-1]["route"] = model.kernel(kind).route
    return rows


def bench_jacobian_build(quick):
    """Entry-wise Jacobian build (field → compiled J, first call included) for Lorenz-96, against the peers."""
    rows = []
    for D in ((25, 50, 100) if quick else (25, 50, 100, 200, 400)):
        x = np.zeros(D)
        t0 = time.perf_counter()
        peers.lorenz96(D).lambdify(F=8.0).jacobian(x)
        t_sd = time.perf_counter() - t0
        t0 = time.perf_counter()
        peers.symengine_llvm(peers.lorenz96(D), {"F": 8.0})[1](x)
        t_se = time.perf_counter() - t0
        t_sp = None
        if D <= 100:
            t0 = time.perf_counter()
            peers.sympy_lambdify(peers.lorenz96(D), {"F": 8.0})[1](x)
            t_sp = time.perf_counter() - t0
        rows.append({"D": D, "nnz": 4 * D, "symdyn_s": t_sd, "symengine_s": t_se, "sympy_s": t_sp})
        print(f"Jacobian build Lorenz-96 D={D}: symdyn {t_sd:.3f}s, SymEngine {t_se:.3f}s, "
              f"SymPy {'-' if t_sp is None else f'{t_sp:.3f}s'}", flush=True)
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


def _settled(res) -> str:
    """A result without its timings (what must be identical between 1 and 2 workers)."""
    if isinstance(res, list):  # verify's reports
        return json.dumps([{k: v for k, v in vars(r).items() if k != "seconds"} for r in res], sort_keys=True)
    res = {k: v for k, v in res.items() if k not in ("seconds", "written_to")}
    if "methods" in res:
        res["methods"] = {m: {k: v for k, v in r.items() if k != "seconds"} for m, r in res["methods"].items()}
    return json.dumps(res, sort_keys=True, default=str)


def bench_scale(quick):
    """verify and the experiments on 1 and 2 local workers: units per second per core, the speed-up, and whether
    the two results are identical (they must be: every unit has its own seed).

    The one-time work of a shape (symbolic derivations and proofs, compiled templates) is done once in this process
    first, by a run with another seed: forked workers inherit it, so both timings measure the work that
    grows with the number of units, the part that decides a run of thousands (a run of ``--instances 10000`` pays
    the one-time work once per worker, in parallel, and then only this).  Without it the 2-worker run did the
    one-time work twice and the 1-worker run once, and the ratio measured that instead."""
    import warnings

    from symdyn.executor import available_cores
    from symdyn.experiments import attention_multistability, ssl_branches, ssl_m1
    from symdyn.theorems import THEOREMS, verify

    per = 2 if quick else 10
    # (name, unit, units, fn(workers, seed[, size]), the size of the warm-up run: verify meets its shapes at random,
    # so it warms up on as many instances as it times; an experiment needs its first unit only)
    cases = [("verify (every theorem)", "instances", len(THEOREMS) * per,
              lambda w, seed, k=per: verify(list(THEOREMS), instances=k, seed=seed, progress=False,
                                            counterexample_dir=None, workers=w), per),
             ("reproduce ssl-m1 (4000 steps)", "trials", 3000,
              lambda w, seed, k=2000: ssl_m1.run(trials=k, steps=4000, all_trials=max(k // 2, 1), seed=seed, out=None,
                                                 progress=False, workers=w), 1),
             ("reproduce ssl-branches (m=2, n=3)", "data sets", 8,
              lambda w, seed, k=8: ssl_branches.run(m=2, n=3, instances=k, inits=40, steps=3000, seed=seed, out=None,
                                                    progress=False, workers=w), 1),
             ("reproduce attention-multistability (n=6)", "runs", 480,
              lambda w, seed, k=24: attention_multistability.run(systems=k, inits=20, n=6, t_max=300.0, seed=seed,
                                                                 out=None, progress=False, workers=w), 1)]
    rows = []
    for name, unit, units, fn, warm in cases:
        t, out = {}, {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # short horizons: some runs do not converge
            fn(1, 12345, warm)  # the one-time work, in this process, with another seed
            for w in (2, 1):
                t0 = time.perf_counter()
                out[w] = fn(w, 0)
                t[w] = time.perf_counter() - t0
        same = _settled(out[1]) == _settled(out[2])
        rows.append({"case": name, "unit": unit, "units": units, "t1_s": t[1], "t2_s": t[2],
                     "per_s_per_core": units / t[1], "speedup": t[1] / t[2], "identical": same,
                     "cores": available_cores()})
        print(f"{name:44s} {units} {unit}: 1 worker {t[1]:.1f}s, 2 workers {t[2]:.1f}s, x{t[1] / t[2]:.2f}, "
              f"identical={same}", flush=True)
    return rows


def bench_attention_stability(quick):
    """Attention stability verdict (classify: label, equilibrium check, symmetry orbit, verdict) at consensus on the
    top eigenvector of a random symmetric V (spectrum 2 … 0.5), d = 64, against n: time, tracemalloc peak, the
    route, and the rightmost rate against Theorem A's λ₂ − λ₁."""
    from symdyn.classify import classify

    d = 16 if quick else 64
    rng = np.random.default_rng(0)
    lam = np.linspace(2.0, 0.5, d)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    V = Q @ np.diag(lam) @ Q.T
    rows = []
    for n in ((16, 64, 256) if quick else (32, 128, 256, 1024)):
        X = np.tile(Q[:, 0], (n, 1))
        tracemalloc.start()
        t0 = time.perf_counter()
        res = classify(X, V=V, beta=1.0)
        t = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        st = res.stability
        rows.append({"n": n, "d": d, "tangent_dim": n * (d - 1), "seconds": t, "peak_MB": peak / 2 ** 20,
                     "method": st.method, "verdict": st.verdict, "rate": st.max_real_nonneutral,
                     "theorem_A": float(lam[1] - lam[0])})
        print(f"attention verdict n={n} d={d}: {st.verdict} ({st.method}) in {t:.1f}s, peak {peak / 2 ** 20:.0f} MB, "
              f"rate {st.max_real_nonneutral:.6g} (Theorem A {lam[1] - lam[0]:.6g})", flush=True)
    return rows


def bench_simulate_verdict(quick):
    """Simulate → verdict for self-attention: random tokens on the sphere, a symmetric V (spectrum 2 … 0.5), the
    adaptive projected integrator to the stopping rule, then ``classify`` of the end point (label and stability)."""
    from symdyn.classify import classify
    from symdyn.models.attention import SelfAttention

    rows = []
    for n, d in (((32, 16),) if quick else ((64, 64), (256, 64))):
        rng = np.random.default_rng(0)
        Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
        V = Q @ np.diag(np.linspace(2.0, 0.5, d)) @ Q.T
        X0 = rng.standard_normal((n, d))
        X0 /= np.linalg.norm(X0, axis=1, keepdims=True)
        tracemalloc.start()
        t0 = time.perf_counter()
        sim = SelfAttention(n, d, V=V, beta=1.0).simulate(X0[None])
        t_sim = time.perf_counter() - t0
        res = classify(sim.X[0], V=V, beta=1.0)
        t = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        st = res.stability
        verdict, method = (st.verdict, st.method) if st is not None else ("none", "")
        rows.append({"n": n, "d": d, "simulate_s": t_sim, "seconds": t, "evaluations": int(sim.evaluations[0]),
                     "converged": bool(sim.converged[0]), "label": res.label, "verdict": verdict, "method": method,
                     "peak_MB": peak / 2 ** 20})
        print(f"simulate→verdict n={n} d={d}: {res.label}, {verdict} in {t:.1f}s "
              f"(simulate {t_sim:.1f}s, {int(sim.evaluations[0])} evaluations), peak {peak / 2 ** 20:.0f} MB", flush=True)
    return rows


SSL_SET_SCRIPT = """
import json, sys, time, warnings
from symdyn import LinearSSL
from symdyn.instances import random_moments
m, seed = int(sys.argv[1]), int(sys.argv[2])
model = LinearSSL(m, m + 1, *random_moments(m, seed), lam=0.1)
t0 = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", RuntimeWarning)
    try:
        es = model.equilibrium_set("sg")
        out = {"complete": es.complete, "components": len(es), "note": ""}
    except ValueError as exc:
        msg = str(exc).split(";")[0]
        note = msg if len(msg) <= 90 else msg[:msg.rfind(" ", 0, 90)] + " …"
        out = {"complete": "refused", "components": 0, "note": note}
out["seconds"] = time.perf_counter() - t0
print(json.dumps(out))
"""


def bench_ssl_equilibrium_set(quick):
    """The whole SSL equilibrium set (SG, every rank stratum, certified, with stability verdicts) of
    ``LinearSSL(m, m + 1, *random_moments(m, seed), lam=0.1)``, each in a fresh process (start systems and compiled
    kernels read from their caches, which the first, untimed run of each size fills)."""
    import subprocess

    def once(m, seed):
        res = subprocess.run([sys.executable, "-c", SSL_SET_SCRIPT, str(m), str(seed)], capture_output=True, text=True,
                             check=True)
        return json.loads(res.stdout.strip().splitlines()[-1])

    rows = []
    for m, seeds in (((3, (0,)),) if quick else ((3, (0, 1, 2)), (4, (0, 1, 2)), (5, (0,)))):
        once(m, seeds[0])  # fills the caches (kernels are compiled once per machine and shape)
        for seed in seeds:
            r = once(m, seed)
            rows.append(dict(r, m=m, seed=seed))
            print(f"SSL equilibrium set m={m} seed={seed}: {r['seconds']:.1f}s, {r['complete']}, "
                  f"{r['components']} components {r['note']}", flush=True)
    return rows


def bench_verify_entries(quick):
    """Every registry entry, one process: its one-time work per shape (symbolic proofs, compiled templates: the
    first run, 20 instances, less their share of the per-instance time) and its per-instance rate on one core
    (a second run on other instances, 10, or 100 when 10 take under 2 s, with the caches warm), and what
    ``--instances 10000`` would take on 2 cores: the one-time work (each worker does it, in parallel) plus the
    instances at that rate on two cores.  Entries that share an instance stream (``Theorem.stream``) run together,
    as ``verify`` runs them: one row, their instances checked by all."""
    import warnings

    from symdyn.theorems import THEOREMS, verify

    groups: dict = {}
    for tid in THEOREMS:
        groups.setdefault(THEOREMS[tid].stream or tid, []).append(tid)
    rows = []

    def run(members, count, seed):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            t0 = time.perf_counter()
            reps = verify(members, instances=count, seed=seed, progress=False, counterexample_dir=None, workers=1)
            return time.perf_counter() - t0, reps

    first_count = 3 if quick else 20
    for members in groups.values():
        # the one-time work and 20 instances: instances draw their shapes at random (8 SSL shapes), and 20 meet
        # nearly all of them, so the timed run below meets few new ones
        first, _ = run(members, first_count, 1)
        for count in (3,) if quick else (10, 100):
            t, reps = run(members, count, 0)
            if quick or t >= 2.0:
                break
        once = max(first - first_count * t / count, 0.0)
        name = members[0] if len(members) == 1 else " + ".join(members)
        status = "; ".join(sorted({r.status.split(";")[0] for r in reps}))
        rows.append({"id": name, "instances": count, "seconds": t, "per_s": count / t, "status": status,
                     "one_time_s": once, "est_10000_2cores_s": once + 10000 / (count / t) / 2})
        print(f"verify {name:34s} {count:4d} instances {t:7.2f}s  {count / t:8.1f}/s  one-time {once:6.2f}s  {status}",
              flush=True)
    return rows


def _table(lines: list, intro: str, columns: list, rows: list) -> None:
    """Append a README section: a blank line, the intro, a blank line and a markdown table."""
    lines += ["", intro, "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def markdown(res) -> str:
    lines = [f"Generated by `make bench` on {res['machine']} (numpy {res['numpy']}), median of {res['repeats']} "
             "samples after a warm-up, the contenders sampled in turn. **Against the best peer** (ratio = symdyn / the "
             "fastest of the peers in the same run; SymEngine LLVM `Lambdify` with CSE, `sympy.lambdify` with CSE, "
             f"hand-written NumPy; compiled peers only up to D = {PEER_MAX_DENSE_D} for dense fields). Parameter "
             "values are compiled in by the peers and by symdyn (`Kernel.specialise`). Target ≤ 1.2. Route = what "
             "symdyn's kernel ran; build = field → first f and J call; peak memory of one call (tracemalloc).", "",
             "| case | | batch | D | symdyn ms | best peer | peer ms | ratio | peak MB symdyn / peer | build s | route |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in res.get("peers", []):
        if r.get("bound"):
            continue
        b = "" if r["build_s"] is None else f"{r['build_s']:.3f}"
        lines.append(f"| {r['case']} | {r['what']} | {r['batch']} | {r['D']} | {r['t_symdyn_ms']:.3g} | "
                     f"{r['best_peer']} | {r['peers_ms'][r['best_peer']]:.3g} | **{r['ratio_best']:.2f}** | "
                     f"{r['mem_symdyn_MB']:.1f} / {r['mem_peer_MB']:.1f} | {b} | {r['route'] or ''} |")
    bound = [r for r in res.get("peers", []) if r.get("bound")]
    if bound:
        lines += ["", "The same kernels with the parameter values bound (`field.lambdify(F=8.0)`: passed to the compiled "
                  "code per call, copied next to the states; no recompilation per value, so a parameter scan costs "
                  "nothing to set up) against the same peers:", "",
                  "| case | | batch | D | symdyn ms (bound) | best peer | peer ms | ratio |", "|---|---|---|---|---|---|---|---|"]
        for r in bound:
            lines.append(f"| {r['case']} | {r['what']} | {r['batch']} | {r['D']} | {r['t_symdyn_ms']:.3g} | "
                         f"{r['best_peer']} | {r['peers_ms'][r['best_peer']]:.3g} | {r['ratio_best']:.2f} |")
    if res.get("jacobian_build"):
        lines += ["", "Entry-wise Jacobian build, Lorenz-96 (field → compiled J, first call included; 4D non-zero "
                  "entries):", "", "| D | non-zeros | symdyn s | SymEngine peer s | SymPy (lambdify) s |",
                  "|---|---|---|---|---|"]
        for r in res["jacobian_build"]:
            sp_ = "" if r["sympy_s"] is None else f"{r['sympy_s']:.3f}"
            lines.append(f"| {r['D']} | {r['nnz']} | {r['symdyn_s']:.3f} | {r['symengine_s']:.3f} | {sp_} |")
    lines += ["", "Attention (its matrix-form NumPy field) against hand-written NumPy:", "", "| case | | batch | D | symdyn ms | NumPy ms | time ratio | peak MB symdyn / NumPy | build s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in res["kernels"]:
        b = "" if r["build_s"] is None else f"{r['build_s']:.3f}"
        lines.append(f"| {r['case']} | {r['what']} | {r['batch']} | {r['D']} | {r['t_symdyn_ms']:.2f} | "
                     f"{r['t_numpy_ms']:.2f} | **{r['time_ratio']:.2f}** | {r['mem_symdyn_MB']:.1f} / "
                     f"{r['mem_numpy_MB']:.1f} | {b} |")
    if res.get("scale"):
        _table(lines, "Scale (`symdyn.executor`): the same work on 1 and 2 local worker processes, units per second on one "
               "core, the speed-up, and whether the two results are identical (timings aside). The one-time work of "
               "each shape is done first, in the parent, by a smaller run with another seed, so the forked workers "
               "inherit it and both columns time the work that grows with the units:",
               ["work", "units", "1 worker s", "per second per core", "2 workers s", "speed-up", "identical"],
               [[r["case"], f"{r['units']} {r['unit']}", f"{r['t1_s']:.1f}", f"{r['per_s_per_core']:.2f}",
                 f"{r['t2_s']:.1f}", f"**{r['speedup']:.2f}**", "yes" if r["identical"] else "**no**"]
                for r in res["scale"]])
    if res.get("verify_entries"):
        total = sum(r["est_10000_2cores_s"] for r in res["verify_entries"])
        _table(lines, "`verify` per registry entry, one process: the one-time work of its shapes (symbolic proofs, "
               "compiled templates; from a first run of 20 instances) and the per-instance rate with it done (10 other "
               "instances, or 100 when 10 take under 2 s; entries sharing an instance stream together, as `verify` "
               "runs them), and what `--instances 10000` would take on 2 cores: the one-time work plus the instances "
               f"at that rate (all entries: **{total / 60:.0f} min**; target 10 min):",
               ["id", "instances", "s", "per second (one core)", "one-time s", "10000 on 2 cores, min", "status"],
               [[r["id"], r["instances"], f"{r['seconds']:.1f}", f"{r['per_s']:.1f}", f"{r.get('one_time_s', 0):.1f}",
                 f"{r['est_10000_2cores_s'] / 60:.1f}", r["status"]] for r in res["verify_entries"]])
    if res.get("ssl_set"):
        _table(lines, "The whole SSL equilibrium set, `LinearSSL(m, m + 1, *random_moments(m, seed), lam=0.1)"
               ".equilibrium_set(\"sg\")` (every rank stratum, counted, certified, with verdicts), each in a fresh "
               "process with the caches of start systems and compiled kernels filled:",
               ["m", "seed", "s", "complete", "components", "note"],
               [[r["m"], r["seed"], f"{r['seconds']:.1f}", r["complete"], r["components"], r["note"]]
                for r in res["ssl_set"]])
    if res.get("simulate_verdict"):
        _table(lines, "Attention simulate → verdict (random tokens, symmetric V with spectrum 2 … 0.5, adaptive projected "
               "Dormand–Prince to the stopping rule, then `classify` of the end point):",
               ["n", "d", "label", "verdict", "route", "evaluations", "simulate s", "total s", "peak MB"],
               [[r["n"], r["d"], r["label"], r["verdict"], r["method"], r["evaluations"], f"{r['simulate_s']:.1f}",
                 f"{r['seconds']:.1f}", f"{r['peak_MB']:.0f}"] for r in res["simulate_verdict"]])
    if res.get("attention_stability"):
        _table(lines, "Attention stability verdict (`classify`: consensus on the top eigenvector of a symmetric V with "
               "spectrum 2 … 0.5; dense tangent Jacobian up to n(d − 1) = 2500, matrix-free Arnoldi above) against n; "
               "rate = the rightmost non-neutral eigenvalue, Theorem A: λ₂ − λ₁:",
               ["n", "d", "tangent dim", "route", "verdict", "rate", "Theorem A", "time s", "peak MB"],
               [[r["n"], r["d"], r["tangent_dim"], r["method"], r["verdict"], f"{r['rate']:.10g}",
                 f"{r['theorem_A']:.10g}", f"{r['seconds']:.1f}", f"{r['peak_MB']:.0f}"]
                for r in res["attention_stability"]])
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
    p.add_argument("--repeats", type=int, default=7)
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
    res["peers"] = (bench_peers(a.repeats, a.quick) + bench_integrate(a.repeats, a.quick)
                    + bench_map_step(a.repeats, a.quick))
    res["jacobian_build"] = bench_jacobian_build(a.quick)
    res["kernels"] = bench_attention(a.repeats, a.quick)
    res["symbolic"] = bench_symbolic(a.quick)
    res["scale"] = bench_scale(a.quick)
    res["attention_stability"] = bench_attention_stability(a.quick)
    res["simulate_verdict"] = bench_simulate_verdict(a.quick)
    res["ssl_set"] = bench_ssl_equilibrium_set(a.quick)
    res["verify_entries"] = bench_verify_entries(a.quick)
    res["seconds"] = time.perf_counter() - t0
    from symdyn.provenance import provenance

    res["provenance"] = provenance(seed=None)
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
