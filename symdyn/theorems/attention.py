"""Registry entries of the self-attention note (``shared/papers/attention.md`` §2–§4): consensus and bipartite
equilibria along eigenvectors, the Oja limit, Theorems A and B (spectra and verdicts), Corollary B3 and
Proposition D(ii) (the regular triangle)."""
from __future__ import annotations

import numpy as np

from ..classify import classify, relative_equilibrium
from ..instances import attention_instance, attention_model, polygon_instance
from ..models.attention import bipartite_spectrum, consensus_spectrum
from ..models.oja import OjaFlow
from ..stability import linear_stability
from .registry import CheckResult, Theorem

__all__ = ["theorems"]


def _check_consensus_eigenvector(inst):
    model = attention_model(inst)
    lam, U = np.linalg.eigh(inst["V"])
    r_eig = float(model.residual(np.tile(U[:, inst["j"]], (model.n, 1))))
    x = np.random.default_rng(inst["x_seed"]).standard_normal(model.d)
    x /= np.linalg.norm(x)
    r_rand = float(model.residual(np.tile(x, (model.n, 1))))
    off = np.linalg.norm(inst["V"] @ x - (x @ inst["V"] @ x) * x)
    return CheckResult(r_eig < 1e-13 and abs(r_rand - off) < 1e-12 and r_rand > 0, r_eig)


def _check_bipartite_eigenvector(inst):
    model = attention_model(inst)
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
    model = attention_model(inst)
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
    model = attention_model(inst)
    lam, U = np.linalg.eigh(inst["V"])
    j = inst["j"]
    JT = model.tangent_jacobian(np.tile(U[:, j], (model.n, 1)))
    ev = np.linalg.eigvals(JT)
    err = float(np.abs(_sorted(ev) - _sorted(consensus_spectrum(lam[j], np.delete(lam, j), model.n))).max())
    verdict = linear_stability(JT).verdict
    predicted = j == model.d - 1 and lam[-1] > lam[-2] and (lam[-1] > 0 or model.n == 1)
    ok = err < 1e-9 and (verdict == "inconclusive" or (verdict == "asymptotically stable") == predicted)
    return CheckResult(ok, err)


def _check_theorem_B(inst, normalization: str = "softmax"):
    model = attention_model(inst, normalization)
    lam, U = np.linalg.eigh(inst["V"])
    j, npl = inst["j"], inst["split"]
    if model.n < 2:
        return CheckResult(True, 0.0, applicable=False)
    v = U[:, j]
    errs, ok = [], True
    # the split, and for the 1/n normalisation also consensus (n_− = 0: Theorem A with every rate scaled by e^γ)
    for n_plus in (npl,) + ((model.n,) if normalization == "uniform" else ()):
        s = np.array([1.0] * n_plus + [-1.0] * (model.n - n_plus))
        JT = model.tangent_jacobian(s[:, None] * v)
        ev = np.linalg.eigvals(JT)
        pred = bipartite_spectrum(lam[j], np.delete(lam, j), model.beta * v @ model.M @ v, n_plus, model.n - n_plus,
                                  normalization)
        errs.append(float(np.abs(_sorted(ev) - _sorted(pred["eigenvalues"])).max() / (1 + np.abs(ev).max())))
        verdict = linear_stability(JT).verdict
        ok &= errs[-1] < 1e-9 and (verdict == "inconclusive" or (verdict == "asymptotically stable") == pred["stable"])
    return CheckResult(ok, max(errs))


def _check_theorem_B_usa(inst):
    return _check_theorem_B(inst, "uniform")


def _check_intermediate(inst):
    model = attention_model(inst)
    if model.n < 3 or model.d < 3:
        return CheckResult(True, 0.0, applicable=False)
    lam, U = np.linalg.eigh(inst["V"])
    j = 1 + inst["j"] % (model.d - 2)   # neither the most negative (0) nor the principal (d−1)
    s = np.array([1.0] * inst["split"] + [-1.0] * (model.n - inst["split"]))
    JT = model.tangent_jacobian(s[:, None] * U[:, j])
    ev = np.linalg.eigvals(JT)
    return CheckResult(bool(ev.real.max() > 0), float(ev.real.max()),
                       detail="an eigenvalue with Re > 0 at an intermediate eigenvector")


def _check_triangle(inst):
    th = inst["phase"] + 2 * np.pi * np.arange(3) / 3
    X = np.c_[np.cos(th), np.sin(th)]
    res = classify(X, V=np.eye(2), M=-np.eye(2), beta=inst["beta"])
    ok = res.label == "polygonal" and res.stability.verdict == "asymptotically stable" and res.symmetry_dim == 1
    return CheckResult(ok, abs(float(res.stability.max_real_nonneutral)), detail=res.stability.verdict)


def rotating_instance(rng):
    """V = Q (R_{a,b} ⊕ diag(λ_3, …, λ_d)) Qᵀ with the plane block R_{a,b} = aI + bJ (eigenvalues a ± ib), Q random
    orthogonal, M = Q diag(c, c, m_3, …) Qᵀ (commuting with the plane's rotations), n ∈ 2..6, d ∈ 2..5, β ~ U[0, 3]."""
    d, n = int(rng.integers(2, 6)), int(rng.integers(2, 7))
    Q = np.linalg.qr(rng.standard_normal((d, d)))[0]
    a, b = float(rng.uniform(-1, 1)), float(rng.choice([-1, 1]) * rng.uniform(0.2, 2))
    core = np.zeros((d, d))
    core[:2, :2] = [[a, -b], [b, a]]
    core[2:, 2:] = np.diag(rng.uniform(-1.5, 1.5, d - 2))
    c = float(rng.uniform(0.2, 2))
    Mc = np.diag(np.r_[c, c, rng.uniform(-1, 2, d - 2)])
    return {"n": n, "d": d, "V": Q @ core @ Q.T, "M": Q @ Mc @ Q.T, "a": a, "b": b, "others": np.diag(core)[2:],
            "beta": float(rng.uniform(0, 3)), "phase": float(rng.uniform(0, 2 * np.pi)), "Q": Q}


def _check_rotating_consensus(inst):
    from ..models.attention import SelfAttention

    Q, n, d = inst["Q"], inst["n"], inst["d"]
    x = Q[:, 0] * np.cos(inst["phase"]) + Q[:, 1] * np.sin(inst["phase"])
    model = SelfAttention(n, d, V=inst["V"], M=inst["M"], beta=inst["beta"])
    rel = relative_equilibrium(model, np.tile(x, (n, 1)))
    predicted = inst["a"] > 0 and bool(np.all(inst["others"] < inst["a"]))  # Theorem A with λ = a (the real part)
    margin = min([abs(inst["a"])] + [abs(inst["a"] - o) for o in inst["others"]])
    if margin < 1e-3 or rel.stability is None:
        return CheckResult(rel.found, margin, applicable=margin >= 1e-3, detail=rel.reason)
    ok = rel.found and abs(rel.angular_velocity - abs(inst["b"])) < 1e-9 * abs(inst["b"]) and \
        (rel.stability.verdict == "asymptotically stable") == predicted
    return CheckResult(ok, margin, detail=f"ω = {rel.angular_velocity:.6g} (|b| = {abs(inst['b']):.6g}); co-rotating "
                       f"verdict {rel.stability.verdict}, predicted {'stable' if predicted else 'not stable'}")


def bipodal_instance(rng):
    """S¹ or S² (d ∈ {2, 3}), V = I on a plane P (V = Q diag(1, 1, c) Qᵀ on S², c ~ U[−1, 0.5]), an anisotropic
    M = I + E (E symmetric, entries ≤ 0.4: M is not a multiple of V), n ∈ 3..8 tokens split n_+ > n_− ≥ 1 at ±v,
    v ∈ P, β ~ U[1, 3], softmax or 1/n attention, a perturbation seed."""
    n, d = int(rng.integers(3, 9)), int(rng.integers(2, 4))
    E = rng.uniform(-0.4, 0.4, (d, d))
    Q = np.linalg.qr(rng.standard_normal((d, d)))[0]
    V = Q @ np.diag([1.0, 1.0] + ([float(rng.uniform(-1.0, 0.5))] if d == 3 else [])) @ Q.T
    return {"n": n, "d": d, "split": int(rng.integers(n // 2 + 1, n)), "beta": float(rng.uniform(1.0, 3.0)),
            "V": V, "P": Q[:, :2], "M": np.eye(d) + (E + E.T) / 2,
            "normalization": str(rng.choice(["softmax", "uniform"])), "phase": float(rng.uniform(0, 2 * np.pi)),
            "x_seed": int(rng.integers(2 ** 31))}


def _check_bipodal_escape(inst):
    """With V = I every antipodal split x_i = ±v is an equilibrium for any M (a circle of them: the neutral
    direction).  Theorem B with λ_k = λ = 1 gives B = [[q_+, q_+], [q_−, q_−]]: eigenvalues 0 and μ = q_+ + q_−
    (2 − p_+ − p_− for softmax, e^{−γ} for 1/n, γ = β vᵀMv: e^{−2γ}- or e^{−γ}-small), the one slow unstable
    direction when the within-group modes −d_± are stable.  μ sets the escape: from a perturbation of size δ the
    simulated trajectory (DOP853, independent of the eigen-analysis) leaves the r-neighbourhood at T = ln(r/c)/μ, c
    the perturbation's component along the unstable eigenvector."""
    import scipy.integrate
    import scipy.linalg

    from ..models.attention import SelfAttention, bipartite_quantities, tangent_bases
    from ..stability import escape_time_scale

    n, d, npl, beta, norm = inst["n"], inst["d"], inst["split"], inst["beta"], inst["normalization"]
    P = inst["P"]
    v = P @ np.array([np.cos(inst["phase"]), np.sin(inst["phase"])])
    X = np.vstack([np.tile(v, (npl, 1)), np.tile(-v, (n - npl, 1))])
    model = SelfAttention(n, d, V=inst["V"], M=inst["M"], beta=beta, normalization=norm)
    JT = model.tangent_jacobian(X)
    Bs = tangent_bases(X)
    rep = linear_stability(JT, tangent=symmetry_tangent_coordinates(X, P))
    try:
        esc = escape_time_scale(rep)
    except ValueError as exc:
        return CheckResult(True, applicable=False, detail=f"not a single unstable direction ({exc})",
                           evidence=f"S^{d - 1}: more than one unstable direction")
    q = bipartite_quantities(beta * v @ inst["M"] @ v, npl, n - npl, norm)
    closed = q["q_plus"] + q["q_minus"]
    ev, L, R = scipy.linalg.eig(JT, left=True, right=True)
    k = int(np.argmax(ev.real))
    rng = np.random.default_rng(inst["x_seed"])
    delta, r = 1e-8, 1e-3
    w = rng.standard_normal(n * (d - 1))
    w *= delta / np.linalg.norm(w)
    c = abs(L[:, k].real @ w) / abs(L[:, k].real @ R[:, k].real) * np.linalg.norm(R[:, k].real)
    Y0 = X + np.einsum("ipa,ia->ip", Bs, w.reshape(n, d - 1))
    Y0 /= np.linalg.norm(Y0, axis=1, keepdims=True)

    def leave(t, y):
        return np.linalg.norm(y.reshape(n, d) - X) - r
    leave.terminal = True
    sol = scipy.integrate.solve_ivp(lambda t, y: model.ambient_f(y.reshape(n, d)).ravel(), (0, 200 / esc["rate"]),
                                    Y0.ravel(), method="DOP853", rtol=1e-10, atol=1e-14, events=leave)
    if not len(sol.t_events[0]):
        return CheckResult(False, float("inf"), detail="the trajectory did not leave the neighbourhood")
    ratio = float(sol.t_events[0][0] * esc["rate"] / np.log(r / c))
    err = max(abs(ratio - 1), abs(esc["rate"] / closed - 1))
    return CheckResult(err < 0.01, err,
                       detail=f"{norm}: μ = {esc['rate']:.4g} (closed form q₊ + q₋ = {closed:.4g}, separation "
                              f"{esc['separation']:.2g}); dwell time × μ / ln(r/c) = {ratio:.5f}")


def symmetry_tangent_coordinates(X, P):
    """The rotation direction x_i ↦ Gx_i, G = p₁p₂ᵀ − p₂p₁ᵀ (the plane P's rotation), in tangent coordinates: tangent
    to the circle of antipodal splits in P, which are equilibria when V = I on P, for any M."""
    from ..models.attention import tangent_coordinates

    G = np.outer(P[:, 1], P[:, 0]) - np.outer(P[:, 0], P[:, 1])
    t = tangent_coordinates(X, (X @ G.T)[None])
    return t / np.linalg.norm(t)


def theorems() -> list[Theorem]:
    """The registry entries of this section.

    Examples
    --------
    >>> claims = theorems()
    >>> len(claims), claims[0].id
    (10, 'attn.consensus-eigenvector')
    """
    return [
        Theorem("attn.consensus-eigenvector", r"(v,\dots,v)\text{ is an equilibrium} \iff Vv = \lambda v",
                "attention.md §3 / Theorem A", "numeric", attention_instance, _check_consensus_eigenvector),
        Theorem("attn.bipartite-eigenvector", r"(s_i v)\text{ is an equilibrium if } Vv=\lambda v",
                "attention.md §3", "numeric", attention_instance, _check_bipartite_eigenvector),
        Theorem("attn.oja-limit", r"\text{(SA) on the consensus manifold is the Oja flow; on the balanced bipartite manifold "
                r"}\dot x = \tanh(\beta x^\top M x) P_x V x", "attention.md §2.2", "numeric", attention_instance, _check_oja_limit),
        Theorem("attn.consensus-stability", r"\operatorname{spec} J_T = \{\lambda_k-\lambda\} \cup \{-\lambda\}^{(n-1)(d-1)}",
                "attention.md §4 Theorem A", "numeric", attention_instance, _check_theorem_A),
        Theorem("attn.bipartite-stability", r"\operatorname{spec} J_T = \{-\lambda d_\pm\} \cup \operatorname{spec} B_k",
                "attention.md §4 Theorem B", "numeric", attention_instance, _check_theorem_B),
        Theorem("attn.bipartite-stability-usa", r"\text{1/n attention: } \operatorname{spec} J_T = \{-\lambda d_\pm\} "
                r"\cup \operatorname{spec}\big(\lambda_k\big[\begin{smallmatrix}p_+ & q_+\\ q_- & p_-\end{smallmatrix}\big]"
                r" - \lambda\operatorname{diag}(d_\pm)\big),\; p_\pm = n_\pm e^{\gamma}/n,\; q_\pm = n_\mp e^{-\gamma}/n",
                "attention.md §4 Theorems A, B for the USA variant (derived here; attention.md §1)", "numeric",
                attention_instance, _check_theorem_B_usa),
        Theorem("attn.rotating-consensus", r"V|_P = aI + bJ:\; (x,\dots,x),\, x \in P \text{ rotates at } |b| "
                r"\text{; stable modulo rotation} \iff a > 0,\, a > \lambda_k", "attention.md §4 Theorem A, for a "
                "complex dominant pair (issue: rotating relative equilibria)", "numeric", rotating_instance,
                _check_rotating_consensus, measure="margin"),
        Theorem("attn.bipodal-escape", r"V|_P = I,\ M \text{ anisotropic, on } S^1, S^2:\; \mu = q_+ + q_- \text{ (softmax "
                r"and } 1/n),\; T_{\mathrm{escape}} = \ln(r/c)/\mu", "attention.md §4 Theorem B (metastability of the "
                "bipodal saddle; issue: escape-time scale)", "numeric", bipodal_instance, _check_bipodal_escape),
        Theorem("attn.intermediate-never-stable", r"n\ge3:\text{ consensus/bipartite along an intermediate eigenvector is "
                r"unstable}", "attention.md §4 Corollary B3", "numeric", attention_instance, _check_intermediate, measure="margin"),
        Theorem("attn.triangle-stable", r"V=I,\,M=-I,\,d=2:\text{ the regular triangle is asymptotically stable modulo "
                r"rotation}", "attention.md §4 Proposition D(ii)", "numeric", polygon_instance, _check_triangle, measure="margin"),
    ]
