"""Theorem registry: the claims of the two source papers, each checked by computation.

A :class:`Theorem` has an id, a LaTeX statement, its source (paper section in ``shared/papers/``),
a kind ("symbolic": an identity proven by exact expansion, plus its numeric evaluation per instance;
"numeric": measured residuals / verdicts per instance), a random-instance generator and a check.
``verify`` runs them on ``instances`` random instances each (seeded), and reports per theorem: how
many instances passed, were not applicable (the hypothesis does not hold for that draw), or
refuted the claim (with the first counterexample written to ``results/counterexamples/ID.json``);
a check that raises is reported as an error, never crashes the run.

Symbolic identities are proven once per shape with *symbolic* moments and λ (a proof for all data
of that shape, cached), so ``--instances 10000`` costs only the numeric evaluations.
"""
from __future__ import annotations

import functools
import json
import time
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .models.attention import SelfAttention, bipartite_spectrum, consensus_spectrum
from .models.oja import OjaFlow
from .models.ssl_linear import LinearSSL, random_moments
from .neighbour_theorems import neighbour_theorems
from .claims import CheckResult, Theorem
from ._validate import seed_value
from .stability import classify_spectrum, stability

__all__ = ["Theorem", "CheckResult", "THEOREMS", "register", "decay_law", "verify", "format_report"]


@dataclass
class TheoremReport:
    id: str
    kind: str
    instances: int
    passed: int = 0
    not_applicable: int = 0
    refuted: int = 0
    errors: int = 0
    max_residual: float = 0.0
    seconds: float = 0.0
    status: str = ""
    counterexample: str | None = None
    first_error: str | None = None
    measure: str = "residual"
    min_margin: float | None = None
    counterexample_residual: float | None = None

    @property
    def ok(self) -> bool:
        """True when verified or not applicable (what ``symdyn verify`` exits 0 on)."""
        return self.status in ("verified", "not applicable")


# ---- instance generators -------------------------------------------------------------------------
SHAPES = [(1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (2, 4), (3, 3), (3, 4)]


def _ssl_instance(rng, shapes=SHAPES, lam=(0.005, 0.05)):
    m, n = shapes[int(rng.integers(len(shapes)))]
    Sx, Syx, Sy = random_moments(m, rng)
    return {"m": m, "n": n, "sigma_x": Sx, "sigma_yx": Syx, "sigma_y": Sy,
            "lam": float(rng.uniform(*lam)), "kappa": float(rng.uniform(0.1, 2.0)),
            "x_seed": int(rng.integers(2 ** 31))}


def _model(inst) -> LinearSSL:
    return LinearSSL(inst["m"], inst["n"], inst["sigma_x"], inst["sigma_yx"], inst["sigma_y"], inst["lam"],
                     inst["kappa"])


@functools.lru_cache(maxsize=None)
def _symbolic_model(m: int, n: int) -> LinearSSL:
    return LinearSSL(m, n)


# ---- SSL checks -----------------------------------------------------------------------------------
def _check_balancedness(inst):
    m, n = inst["m"], inst["n"]
    if m * n <= 6:  # a proof for every moment matrix and λ of this shape (cached per shape)
        proven = _balanced_symbolic(m, n)
        if not proven:
            return CheckResult(False, np.inf, detail="symbolic defect non-zero")
    model = _model(inst)
    rng = np.random.default_rng(inst["x_seed"])
    worst = 0.0
    for kind in ("sg", "ema"):
        k = model.kernel(kind)
        x = rng.standard_normal(k.dimension)
        dx = k.f(x)
        A, B = model.unpack(x)[:2]
        dA, dB = model.unpack(dx)[:2]
        G = A @ A.T - B.T @ B
        dG = dA @ A.T + A @ dA.T - dB.T @ B - B.T @ dB
        worst = max(worst, float(np.abs(dG + 2 * model.lam * G).max() / max(np.abs(dG).max(), 1e-300)))
    return CheckResult(worst < 1e-10, worst)


@functools.lru_cache(maxsize=None)
def _balanced_symbolic(m, n):
    model = _symbolic_model(m, n)
    return model.balancedness_defect("sg").is_zero_matrix and model.balancedness_defect("ema").is_zero_matrix


def _check_not_gradient(inst):
    model = _model(inst)
    rng = np.random.default_rng(inst["x_seed"])
    out = []
    for kind in ("sg", "ema", "gf"):
        k = model.kernel(kind)
        J = k.jacobian(rng.standard_normal(k.dimension))
        out.append(float(np.linalg.norm(J - J.T) / np.linalg.norm(J)))
    sg, ema, gf = out
    return CheckResult(sg > 1e-6 and ema > 1e-6 and gf < 1e-12, gf,
                       detail=f"‖J−Jᵀ‖/‖J‖: sg {sg:.3g}, ema {ema:.3g}, gf {gf:.2g}")


def _check_gf_collapse(inst):
    model = _model(inst)
    joint = np.block([[model.sigma_x, model.sigma_yx.T], [model.sigma_yx, model.sigma_y]])
    if np.linalg.eigvalsh(joint).min() < 0:
        return CheckResult(True, 0.0, applicable=False)
    k = model.kernel("gf")
    rng = np.random.default_rng(inst["x_seed"])
    X = rng.standard_normal((20, k.dimension))
    A, B = model.unpack(X)
    gA = -model.unpack(k.f(X))[0]
    inner = np.einsum("bij,bij->b", A, gA)
    lhs_data = inner - model.lam * np.einsum("bij,bij->b", A, A)
    # E‖BAx − Ay‖² = tr(M Σ Mᵀ) with M = [BA, −A] and Σ the joint second moment
    Mmat = np.concatenate([B @ A, -A], axis=-1)
    data = np.einsum("bij,jk,bik->b", Mmat, joint, Mmat)
    resid = float(np.abs(lhs_data - data).max() / max(np.abs(inner).max(), 1e-300))
    return CheckResult(resid < 1e-10 and np.all(data >= -1e-12), resid,
                       detail="⟨A, ∇_A E⟩ = E‖BAx − Ay‖² + λ‖A‖² ≥ λ‖A‖²")


def _varieties(inst, kind="sg"):
    return _model(inst).equilibria(kind)


def _check_e1e2(inst):
    model = _model(inst)
    worst, count = 0.0, 0
    for kind in ("sg", "ema"):
        for V in model.equilibria(kind):
            for s in range(2):
                worst = max(worst, V.residual(V.sample(s)))
                count += 1
    if count == 0:
        return CheckResult(True, 0.0, applicable=False, detail="(E1) has no positive-definite root")
    return CheckResult(worst < 1e-10, worst, detail=f"{count} sampled points")


def _check_dimension(inst):
    model = _model(inst)
    Vs = model.equilibria("sg")
    if not Vs:
        return CheckResult(True, 0.0, applicable=False)
    worst = 0.0
    ok = True
    for V in Vs:
        x = V.sample(0)
        rep = stability(V.kernel, x, manifold_dim=V.dimension)
        T = V.tangent_basis(x)
        ok &= rep.neutral_count == V.dimension == T.shape[0] == model.n * model.m - model.m * (model.m + 1) // 2
        worst = max(worst, float(np.linalg.norm(V.kernel.jacobian(x) @ T.T)))
    return CheckResult(bool(ok), worst)


def _m1_instance(rng):
    return {"n": int(rng.integers(1, 5)), "rho": float(rng.uniform(0.05, 3)), "tau": float(rng.uniform(-1, 1)),
            "lam": float(rng.uniform(0.01, 0.1)), "x_seed": int(rng.integers(2 ** 31))}


def _check_m1_spheres(inst):
    model = LinearSSL(1, inst["n"], [[inst["rho"]]], [[inst["tau"]]], lam=inst["lam"])
    geo = model.m1_spheres()
    Vs = model.equilibria("sg")
    radii = sorted(float(np.sqrt(V.info["S"][0, 0])) for V in Vs)
    if not geo["exists"]:
        return CheckResult(len(radii) == 0, 0.0, detail="Δ < 0: no non-zero equilibrium")
    expected = sorted(geo["radii"])
    if len(radii) != len([r for r in expected if r > 0]):
        return CheckResult(False, np.inf, detail=f"roots {radii} vs formula {expected}")
    err = max(abs(a - b) / b for a, b in zip(radii, expected))
    for V in Vs:
        A, B = model.unpack(V.sample(inst["x_seed"] % 1000))
        a = A[:, 0]
        err = max(err, float(np.abs(B - np.sign(inst["tau"]) * np.outer(a, a) / np.linalg.norm(a)).max()))
    return CheckResult(err < 1e-10, err)


def _check_outer_branch(inst):
    model = _model(inst)
    Vs = model.equilibria("sg")
    if not Vs:
        return CheckResult(True, 0.0, applicable=False)
    verdicts = []
    margin = np.inf
    for V in Vs:
        rep = V.stability(seed=0)
        verdicts.append(rep.verdict)
        margin = min(margin, abs(rep.max_real_nonneutral))
    stable = [i for i, v in enumerate(verdicts) if v == "asymptotically stable"]
    ok = stable == [len(Vs) - 1] and all(v == "saddle" for v in verdicts[:-1])
    return CheckResult(ok, float(margin), detail=f"verdicts by increasing trace(S): {verdicts}")


def _check_origin(inst):
    model = _model(inst)
    worst = 0.0
    ok = True
    for kind in ("sg", "ema"):
        k = model.kernel(kind)
        rep = stability(k, np.zeros(k.dimension))
        ok &= rep.verdict == "asymptotically stable"
        target = [-model.lam] if kind == "sg" else [-model.lam, -model.kappa]
        dist = np.min(np.abs(rep.eigenvalues[:, None] - np.array(target)[None, :]), axis=1)
        worst = max(worst, float(dist.max()))
    return CheckResult(bool(ok and worst < 1e-10), worst)


# ---- attention checks -----------------------------------------------------------------------------
def _attn_instance(rng, n_range=(2, 8), d_range=(2, 6)):
    n, d = int(rng.integers(*n_range)), int(rng.integers(*d_range))
    G = rng.standard_normal((d, d))
    return {"n": n, "d": d, "V": (G + G.T) / 2, "M": rng.standard_normal((d, d)),
            "beta": float(rng.uniform(0, 5)), "j": int(rng.integers(d)), "split": int(rng.integers(1, max(n, 2))),
            "x_seed": int(rng.integers(2 ** 31))}


def _attn_model(inst):
    return SelfAttention(inst["n"], inst["d"], V=inst["V"], M=inst["M"], beta=inst["beta"])


def _check_consensus_eigenvector(inst):
    model = _attn_model(inst)
    lam, U = np.linalg.eigh(inst["V"])
    r_eig = float(model.residual(np.tile(U[:, inst["j"]], (model.n, 1))))
    x = np.random.default_rng(inst["x_seed"]).standard_normal(model.d)
    x /= np.linalg.norm(x)
    r_rand = float(model.residual(np.tile(x, (model.n, 1))))
    off = np.linalg.norm(inst["V"] @ x - (x @ inst["V"] @ x) * x)
    return CheckResult(r_eig < 1e-13 and abs(r_rand - off) < 1e-12 and r_rand > 0, r_eig)


def _check_bipartite_eigenvector(inst):
    model = _attn_model(inst)
    if model.n < 2:
        return CheckResult(True, 0.0, applicable=False)
    _, U = np.linalg.eigh(inst["V"])
    s = np.array([1.0] * inst["split"] + [-1.0] * (model.n - inst["split"]))
    r_eig = float(model.residual(s[:, None] * U[:, inst["j"]]))
    x = np.random.default_rng(inst["x_seed"]).standard_normal(model.d)
    x /= np.linalg.norm(x)
    r_rand = float(model.residual(s[:, None] * x))  # a random direction: not an eigenvector, not on the null cone
    return CheckResult(r_eig < 1e-12 and r_rand > 1e-8, r_eig)


def _check_oja_limit(inst):
    model = _attn_model(inst)
    rng = np.random.default_rng(inst["x_seed"])
    x = rng.standard_normal(model.d)
    x /= np.linalg.norm(x)
    oja = OjaFlow(inst["V"]).field().lambdify().f(x)
    err = float(np.abs(model.f(np.tile(x, (model.n, 1))) - oja).max())
    if model.n % 2 == 0:
        s = np.array([1.0, -1.0] * (model.n // 2))
        g = np.tanh(model.beta * x @ model.M @ x)
        err = max(err, float(np.abs(model.f(s[:, None] * x) - s[:, None] * g * oja).max()))
    return CheckResult(err < 1e-12, err)


def _sorted(ev):
    ev = np.asarray(ev, dtype=complex)
    return ev[np.lexsort((ev.imag, ev.real))]


def _check_theorem_A(inst):
    model = _attn_model(inst)
    lam, U = np.linalg.eigh(inst["V"])
    j = inst["j"]
    JT = model.tangent_jacobian(np.tile(U[:, j], (model.n, 1)))
    ev = np.linalg.eigvals(JT)
    err = float(np.abs(_sorted(ev) - _sorted(consensus_spectrum(lam[j], np.delete(lam, j), model.n))).max())
    verdict = classify_spectrum(ev, 0, np.linalg.norm(JT, 2)).verdict
    predicted = j == model.d - 1 and lam[-1] > lam[-2] and (lam[-1] > 0 or model.n == 1)
    ok = err < 1e-9 and (verdict == "inconclusive" or (verdict == "asymptotically stable") == predicted)
    return CheckResult(ok, err)


def _check_theorem_B(inst):
    model = _attn_model(inst)
    lam, U = np.linalg.eigh(inst["V"])
    j, npl = inst["j"], inst["split"]
    if model.n < 2:
        return CheckResult(True, 0.0, applicable=False)
    v = U[:, j]
    s = np.array([1.0] * npl + [-1.0] * (model.n - npl))
    JT = model.tangent_jacobian(s[:, None] * v)
    ev = np.linalg.eigvals(JT)
    pred = bipartite_spectrum(lam[j], np.delete(lam, j), model.beta * v @ model.M @ v, npl, model.n - npl)
    err = float(np.abs(_sorted(ev) - _sorted(pred["eigenvalues"])).max())
    verdict = classify_spectrum(ev, 0, np.linalg.norm(JT, 2)).verdict
    ok = err < 1e-9 and (verdict == "inconclusive" or (verdict == "asymptotically stable") == pred["stable"])
    return CheckResult(ok, err)


def _check_intermediate(inst):
    model = _attn_model(inst)
    if model.n < 3 or model.d < 3:
        return CheckResult(True, 0.0, applicable=False)
    lam, U = np.linalg.eigh(inst["V"])
    j = 1 + inst["j"] % (model.d - 2)   # neither the most negative (0) nor the principal (d−1)
    s = np.array([1.0] * inst["split"] + [-1.0] * (model.n - inst["split"]))
    JT = model.tangent_jacobian(s[:, None] * U[:, j])
    ev = np.linalg.eigvals(JT)
    return CheckResult(bool(ev.real.max() > 0), float(ev.real.max()),
                       detail="an eigenvalue with Re > 0 at an intermediate eigenvector")


def _polygon_instance(rng):
    return {"beta": float(rng.uniform(1.0, 4.0)), "phase": float(rng.uniform(0, 2 * np.pi))}


def _check_triangle(inst):
    from .classify import classify

    th = inst["phase"] + 2 * np.pi * np.arange(3) / 3
    X = np.c_[np.cos(th), np.sin(th)]
    res = classify(X, V=np.eye(2), M=-np.eye(2), beta=inst["beta"])
    ok = res.label == "polygonal" and res.stability.verdict == "asymptotically stable" and res.symmetry_dim == 1
    return CheckResult(ok, abs(float(res.stability.max_real_nonneutral)), detail=res.stability.verdict)


def _registry() -> dict:
    T = [
        Theorem("ssl.balancedness", r"\frac{d}{dt}(AA^\top - B^\top B) = -2\lambda (AA^\top - B^\top B)"
                r"\text{ along SG and EMA}", "ssl_linear.md §4 (Lemma 3.4 of the submission)", "symbolic",
                _ssl_instance, _check_balancedness),
        Theorem("ssl.sg-not-gradient", r"DV_{SG},\,DV_{EMA}\text{ are not symmetric; }DV_{GF}\text{ is}",
                "ssl_linear.md §8 (Prop. 3.2)", "numeric", _ssl_instance, _check_not_gradient),
        Theorem("ssl.gf-collapse", r"\langle A, \nabla_A \bar E\rangle = \mathbb E\|BAx-Ay\|^2 + \lambda\|A\|^2"
                r"\;\Rightarrow\; \|A(t)\| \le e^{-\lambda t}\|A(0)\|", "ssl_linear.md §5 (Lemma 4.3)", "numeric",
                _ssl_instance, _check_gf_collapse),
        Theorem("ssl.equilibria-E1E2", r"(U\sqrt{S_k}, B(U))\text{ with }S_k\text{ a PD root of (E1), B from (E2), is an "
                r"equilibrium of SG and EMA}", "ssl_linear.md §6.1 (Prop. 4.5)", "numeric", _ssl_instance, _check_e1e2),
        Theorem("ssl.variety-dimension", r"\dim \mathcal A_k = nm - m(m+1)/2 = \#\{\mu(J)=0\}", "ssl_linear.md §6.2 (Cor. 4.6)",
                "numeric", _ssl_instance, _check_dimension),
        Theorem("ssl.m1-spheres", r"m=1:\; \|a\| \in \{(|\tau| \mp \sqrt{\Delta})/2\rho\},\; \Delta=\tau^2-4\rho\lambda \ge 0",
                "ssl_linear.md §6.4 (Prop. 4.11)", "numeric", _m1_instance, _check_m1_spheres),
        Theorem("ssl.stability-outer-branch", r"\text{exactly one full-rank branch (largest } \operatorname{tr} S_k"
                r"\text{) is asymptotically stable; the others are saddles}", "ssl_linear.md §7.3.2 (note's claim; "
                "Prop. 4.10 says 'in general asymptotically stable')", "numeric", _ssl_instance, _check_outer_branch, measure="margin"),
        Theorem("ssl.origin-stable", r"\lambda>0 \Rightarrow (0,0[,0])\text{ is asymptotically stable for SG and EMA}",
                "ssl_linear.md §7.3.4", "numeric", _ssl_instance, _check_origin),
        Theorem("attn.consensus-eigenvector", r"(v,\dots,v)\text{ is an equilibrium} \iff Vv = \lambda v",
                "attention.md §3 / Theorem A", "numeric", _attn_instance, _check_consensus_eigenvector),
        Theorem("attn.bipartite-eigenvector", r"(s_i v)\text{ is an equilibrium if } Vv=\lambda v",
                "attention.md §3", "numeric", _attn_instance, _check_bipartite_eigenvector),
        Theorem("attn.oja-limit", r"\text{(SA) on the consensus manifold is the Oja flow; on the balanced bipartite manifold "
                r"}\dot x = \tanh(\beta x^\top M x) P_x V x", "attention.md §2.2", "numeric", _attn_instance, _check_oja_limit),
        Theorem("attn.consensus-stability", r"\operatorname{spec} J_T = \{\lambda_k-\lambda\} \cup \{-\lambda\}^{(n-1)(d-1)}",
                "attention.md §4 Theorem A", "numeric", _attn_instance, _check_theorem_A),
        Theorem("attn.bipartite-stability", r"\operatorname{spec} J_T = \{-\lambda d_\pm\} \cup \operatorname{spec} B_k",
                "attention.md §4 Theorem B", "numeric", _attn_instance, _check_theorem_B),
        Theorem("attn.intermediate-never-stable", r"n\ge3:\text{ consensus/bipartite along an intermediate eigenvector is "
                r"unstable}", "attention.md §4 Corollary B3", "numeric", _attn_instance, _check_intermediate, measure="margin"),
        Theorem("attn.triangle-stable", r"V=I,\,M=-I,\,d=2:\text{ the regular triangle is asymptotically stable modulo "
                r"rotation}", "attention.md §4 Proposition D(ii)", "numeric", _polygon_instance, _check_triangle, measure="margin"),
        *neighbour_theorems(),
    ]
    return {t.id: t for t in T}


THEOREMS = _registry()


def register(theorem: Theorem, replace: bool = False) -> Theorem:
    """Add ``theorem`` to the registry (then ``verify`` and ``symdyn verify --import MODULE`` run it).

    An existing id is an error unless ``replace=True``."""
    if not isinstance(theorem, Theorem):
        raise TypeError(f"theorem: expected a symdyn Theorem, got {type(theorem).__name__}")
    if not isinstance(theorem.id, str) or not theorem.id or any(c.isspace() for c in theorem.id):
        raise ValueError(f"theorem: id must be a non-empty string without spaces, got {theorem.id!r}")
    if theorem.id in THEOREMS and not replace:
        raise ValueError(f"theorem: id {theorem.id!r} is already registered (pass replace=True)")
    if not callable(theorem.generate) or not callable(theorem.check):
        raise TypeError("theorem: generate and check must be callables")
    THEOREMS[theorem.id] = theorem
    return theorem


def decay_law(id: str, field, quantity, rate=0, *, params: dict | None = None, state_scale: float = 1.0,
              t_max: float = 2.0, statement: str | None = None, source: str = "user") -> Theorem:
    """The claim dQ/dt = −rate·Q along ``field`` (rate = 0: Q is conserved), as a registry entry.

    Proof: ∇Q·f + rate·Q is expanded (simplified if not polynomial) with the parameters symbolic; it
    must vanish identically.  Per instance: a random state x₀ ~ N(0, state_scale²) and parameter
    values drawn uniformly from ``params`` = {name: (low, high)} (one range per field parameter); the
    field is integrated over [0, t_max] and Q(x(t)) compared with Q(x₀)e^{−rate·t} (relative residual
    < 1e-6).  A trajectory that leaves the integrator's reach is "not applicable".

    ``quantity``, ``rate``: SymPy expressions in the field's states and parameters.
    """
    import sympy as sp

    from .flows import integrate

    Q, r = sp.sympify(quantity), sp.sympify(rate)
    known = set(field.states) | set(field.params)
    for name, e in (("quantity", Q), ("rate", r)):
        extra = e.free_symbols - known
        if extra:
            raise ValueError(f"{name}: symbols {sorted(map(str, extra))} are neither states nor parameters of {field.name}")
    if r.free_symbols & set(field.states):
        raise ValueError("rate: must not depend on the states")
    ranges = dict(params or {})
    missing = [str(p) for p in field.params if str(p) not in ranges]
    if missing:
        raise ValueError(f"params: give a (low, high) range for the field parameters {missing}")
    residual = sp.expand(sum(sp.diff(Q, x) * f for x, f in zip(field.states, field.rhs)) + r * Q)
    if residual != 0 and not residual.is_polynomial(*known):
        residual = sp.simplify(residual)
    names = [str(p) for p in field.params]
    q_fn = sp.lambdify([list(field.states), list(field.params)], Q, "numpy")
    r_fn = sp.lambdify([list(field.params)], r, "numpy")

    def generate(rng):
        return {"x0": state_scale * rng.standard_normal(field.dimension),
                "params": {k: float(rng.uniform(*ranges[k])) for k in names}}

    def check(inst):
        if residual != 0:
            return CheckResult(False, np.inf, detail=f"symbolic residual ∇Q·f + rate·Q = {residual}")
        p = [inst["params"][k] for k in names]
        ts = np.linspace(0.0, t_max, 21)
        with warnings.catch_warnings():  # an early stop is handled here: the instance is "not applicable"
            warnings.simplefilter("ignore", RuntimeWarning)
            tr = integrate(field.lambdify(), inst["x0"], t_max, t_eval=ts, **inst["params"])
        if not tr.success or tr.x.shape[0] != ts.size:
            return CheckResult(True, 0.0, applicable=False, detail=tr.message)
        q = np.array([q_fn(x, p) for x in tr.x], dtype=float)
        want = q[0] * np.exp(-float(r_fn(p)) * ts)
        res = float(np.abs(q - want).max() / max(np.abs(q).max(), 1e-300))
        return CheckResult(res < 1e-6, res)

    text = statement or rf"\frac{{d}}{{dt}}\Big({sp.latex(Q)}\Big) = -{sp.latex(r)}\,\Big({sp.latex(Q)}\Big)"
    return Theorem(id, text, source, "symbolic", generate, check)


def _jsonable(obj):
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj


def verify(ids=None, instances: int = 20, seed: int = 0, progress: bool = True,
           counterexample_dir: str | Path | None = "results/counterexamples") -> list[TheoremReport]:
    """Run the registry (or ``ids``) on ``instances`` random instances each; see the module docstring."""
    if isinstance(instances, bool) or not isinstance(instances, (int, np.integer)) or instances < 1:
        raise ValueError(f"instances: expected a positive integer, got {instances!r}")
    seed = seed_value(seed)
    ids = list(THEOREMS) if not ids else ([ids] if isinstance(ids, str) else list(ids))
    unknown = [i for i in ids if i not in THEOREMS]
    if unknown:
        raise ValueError(f"ids: unknown theorem id(s) {unknown}; valid ids: {', '.join(THEOREMS)}")
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(ids) * instances, desc="verify", unit="inst", mininterval=0.5)
    reports = []
    for tid in ids:
        th = THEOREMS[tid]
        rng = np.random.default_rng([seed, zlib.crc32(tid.encode())])  # same instances with or without --only
        rep = TheoremReport(tid, th.kind, instances, measure=th.measure)
        t0 = time.perf_counter()
        for i in range(instances):
            inst = th.generate(rng)
            try:
                res = th.check(inst)
            except Exception as exc:  # reported, not raised: a failing check never stops the run
                rep.errors += 1
                rep.first_error = rep.first_error or f"{type(exc).__name__}: {exc}"
                res = None
            else:
                if not isinstance(res, CheckResult):
                    raise TypeError(f"{tid}: its check returned {type(res).__name__} {res!r}, not a CheckResult "
                                    "(return CheckResult(passed, residual, applicable, detail))")
            if res is not None:
                r = float(res.residual)
                if not res.applicable:
                    rep.not_applicable += 1
                elif res.passed:
                    rep.passed += 1
                    if np.isfinite(r):
                        rep.max_residual = max(rep.max_residual, r)
                        if th.measure == "margin":
                            rep.min_margin = r if rep.min_margin is None else min(rep.min_margin, r)
                else:
                    rep.refuted += 1
                    if rep.counterexample_residual is None:
                        rep.counterexample_residual = r
                    if rep.counterexample is None and counterexample_dir is not None:
                        path = Path(counterexample_dir) / f"{tid}.json"
                        path.parent.mkdir(parents=True, exist_ok=True)
                        path.write_text(json.dumps({"theorem": tid, "seed": seed, "instance_index": i,
                                                    "instance": _jsonable(inst), "detail": res.detail,
                                                    "residual": r}, indent=2))
                        rep.counterexample = str(path)
            if bar is not None:
                bar.update(1)
        rep.seconds = time.perf_counter() - t0
        applicable = instances - rep.not_applicable - rep.errors
        if rep.errors:
            rep.status = f"error on {rep.errors} of {instances}"
        elif rep.refuted:
            rep.status = f"refuted on {rep.refuted} of {applicable}"
        elif applicable == 0:
            rep.status = "not applicable"
        else:
            rep.status = "verified"
        reports.append(rep)
    if bar is not None:
        bar.close()
    return reports


def format_report(reports) -> str:
    """Markdown table: id · kind · instances · passed · n/a · status · value · time.

    The value is the largest residual over passed instances, or for verdict theorems (measure "margin") the
    smallest margin; on a refuted row, the first counterexample's residual and where it was saved."""
    rows = ["| id | kind | instances | passed | n/a | status | max residual / min margin | time s |",
            "|---|---|---|---|---|---|---|---|"]
    for r in reports:
        if r.refuted:
            value = f"counterexample {r.counterexample_residual:.2e}" + (f" ({r.counterexample})" if r.counterexample else "")
        elif r.measure == "margin":
            value = f"margin {r.min_margin:.2e}" if r.min_margin is not None else "-"
        else:
            value = f"{r.max_residual:.2e}"
        rows.append(f"| {r.id} | {r.kind} | {r.instances} | {r.passed} | {r.not_applicable} | {r.status} | "
                    f"{value} | {r.seconds:.1f} |")
    return "\n".join(rows)
