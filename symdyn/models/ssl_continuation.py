"""Continuation of the linear SSL model's full-rank equilibrium varieties in λ or κ (``ssl_linear.md`` §6).

The reduced problem is (E1) itself, vech E(S; λ) = 0 in the m(m+1)/2 entries of S (:class:`.ssl_e1_homotopy.E1System`:
F, F_S and the data derivative F_p, derived and tested there): a root S stands for the variety
{(U√S, B(U√S)[, U√S]) : UᵀU = I_m} of dimension nm − m(m+1)/2, so the O(n) directions along which the equilibria
are not isolated never enter the corrector.  Along the branch:

* **verdicts** of the full SG or EMA field (the compiled kernel of the model with λ and κ as parameters, compiled
  once) at the point (A, B[, C]) = ([√S; 0], (E2)[, A]), with the orbit's tangent directions projected out
  (:meth:`.ssl_linear.LinearSSL.orbit_tangent`, :func:`~symdyn.stability.linear_stability`);
* the boundary event **"leaves the positive-definite cone"**: λ_min(S) changes sign (beyond it the root is not an
  equilibrium of the real model; its rank-deficient limit meets a lower stratum there);
* folds (two roots meet: at m = 1 the inner and outer spheres at Δ = τ² − 4ρλ = 0), branch points and stability
  changes (Hopf points of EMA in κ) from :mod:`symdyn.continuation`.

In κ the roots do not move (F does not depend on κ): the branch is the vertical line through S, and only the EMA
verdict changes along it.

Examples
--------
>>> import numpy as np
>>> from symdyn.models.ssl_linear import LinearSSL
>>> model = LinearSSL(1, 1, np.array([[1.0]]), np.array([[1.0]]), np.eye(1), 0.1)
>>> res = continue_ssl(model, "sg", "lam", mu_range=(0.01, 0.5), ds=0.02)
>>> fold = [e for e in res.events if e.kind == "fold"][0]
>>> abs(fold.mu - 0.25) < 1e-10          # Δ = τ² − 4ρλ = 0 at λ = τ²/(4ρ) = 1/4
True
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
from numpy.typing import ArrayLike

from .._validate import choice
from ..continuation import ContinuationResult, ReducedProblem, continue_equilibria
from ..stability import linear_stability
from .ssl_e1 import e2_predictor, pack_data
from .ssl_e1_homotopy import E1System

if TYPE_CHECKING:
    from .ssl_linear import LinearSSL

__all__ = ["ssl_problem", "continue_ssl", "PARAMS"]

PARAMS = ("lam", "kappa")
CONE = "leaves the positive-definite cone"


def ssl_problem(model: LinearSSL, kind: str = "sg", param: str = "lam", *, judge: bool = True, rank: int | None = None,
                S0: ArrayLike | None = None) -> ReducedProblem:
    """The reduced problem of ``model`` (a numeric :class:`~symdyn.models.ssl_linear.LinearSSL`, n ≥ m) in
    ``param`` ∈ {"lam", "kappa"} (the other keeps the model's value; κ only for ``kind="ema"``).  Measure:
    trace S (= ‖A‖_F² on the variety).

    Full rank (``rank`` None or m): unknowns vech S (upper triangle row by row), equations (E1).  A rank-r stratum
    (1 ≤ r < m, ``S0`` a rank-r root to centre the chart at): unknowns (vech P, vec K) of the chart S = WᵀPW,
    W = [I_r, K]M of :class:`.ssl_strata.RankChart` (M from the eigenvectors of S0, so K = 0 there), equations
    (C_r) (S E(S) = 0 on the rank-r matrices), the variety of dimension nr − r(r+1)/2; its boundary event is
    λ_min(P) = 0 (S stops being PSD).

    Examples
    --------
    >>> import numpy as np
    >>> from symdyn import LinearSSL
    >>> problem = ssl_problem(LinearSSL(1, 2, [[1.2]], [[0.7]], lam=0.02), "sg", "lam")
    >>> problem.unknowns, problem.param
    (['s_11'], 'lam')
    >>> s_outer, s_inner = np.roots([1.2**2, 2 * 1.2 * 0.02 - 0.49, 0.02**2])   # (ρs + λ)² = τ²s
    >>> bool(abs(problem.F(np.array([s_outer]), 0.02)[0]) < 1e-15)
    True
    >>> problem.judge(np.array([s_outer]), 0.02).verdict, problem.judge(np.array([s_inner]), 0.02).verdict
    ('asymptotically stable', 'saddle')
    """
    from .ssl_linear import LinearSSL

    kind = choice(kind, "kind", ("sg", "ema"))
    param = choice(param, "param", PARAMS)
    if not isinstance(model, LinearSSL) or not model.is_numeric:
        raise TypeError("model: expected a LinearSSL with numeric moments")
    if param == "kappa" and kind != "ema":
        raise ValueError("param: kappa (the EMA rate) is a parameter of kind='ema' only")
    if kind == "ema" and param == "lam" and model.kappa is None:
        raise ValueError("model: continuing the EMA field in lam needs a numeric kappa")
    m, n = model.m, model.n
    if n < m:
        raise ValueError(f"model: full-rank varieties need n >= m, got n = {n}, m = {m}")
    Sx, Syx = model.sigma_x, model.sigma_yx
    r = m if rank is None else int(rank)
    if not 1 <= r <= m:
        raise ValueError(f"rank: expected 1 <= rank <= m = {m}, got {rank}")
    if r < m:
        if S0 is None:
            raise ValueError("S0: a rank-deficient stratum is continued from a root S0 (the chart's centre)")
        from .ssl_strata import RankChart
        S0 = np.asarray(S0, dtype=float)
        ev, Q = np.linalg.eigh(S0)
        sysm = RankChart(m, r, Q[:, ::-1].T)
    else:
        sysm = E1System(m)
    family = LinearSSL(m, n, Sx, Syx, model.sigma_y, lam=None, kappa=None)
    kernel = family.kernel(kind) if judge else None
    lam0, kappa0 = float(model.lam), (float(model.kappa) if model.kappa is not None else None)
    dp_lam = pack_data(np.zeros((m, m)), np.zeros((m, m)), 1.0)[None]

    def values(mu):
        return (mu, kappa0) if param == "lam" else (lam0, mu)

    def p(mu):
        return pack_data(Sx, Syx, values(mu)[0])[None]

    def F(u, mu):
        return sysm.F(u[None], p(mu))[0].real

    def Fu(u, mu):
        return sysm.Fx(u[None], p(mu))[0].real

    def Fmu(u, mu):
        if param == "kappa":
            return np.zeros(len(u))
        return sysm.Fp(u[None], p(mu), dp_lam)[0].real

    def S_of(u):
        return sysm.matrices(np.asarray(u)[None])[0].real

    def cone(u, mu):  # λ_min of S (full rank) or of P (rank r: S = WᵀPW is PSD iff P is)
        if r == m:
            return float(np.linalg.eigvalsh(S_of(u))[0])
        return float(np.linalg.eigvalsh(sysm.parts(np.asarray(u)[None])[0][0].real)[0])

    def lift(u, mu):
        S = S_of(u)
        ev, V = np.linalg.eigh(S)
        ev[: m - r] = 0.0  # S = WᵀPW has rank r exactly: its m − r rounding-level eigenvalues (±1e-17) would put
        # columns of size 1e-9 into A, and the orbit's tangent rank (an SVD threshold) would depend on their noise
        root = (V * np.sqrt(np.clip(ev, 0, None))) @ V.T
        A = np.vstack([root, np.zeros((n - m, m))])
        B = e2_predictor(A, Sx, Syx, values(mu)[0])
        return model.pack(A, B, A if kind == "ema" else None)

    def judge_fn(u, mu):
        if cone(u, mu) <= 0:
            return None  # not an equilibrium of the real model
        lam, kap = values(mu)
        x = lift(u, mu)
        bind = {"lam": lam} | ({"kappa": kap} if kind == "ema" else {})
        J = kernel.jacobian(x, **bind)
        _, sv, Vt = np.linalg.svd(model.orbit_tangent(x, kind))
        T = Vt[: int(np.sum(sv > 1e-8 * sv[0]))] if len(sv) and sv[0] > 0 else None  # the orbit's tangent space
        return linear_stability(J, tangent=T)

    problem = ReducedProblem(F, Fu, Fmu, judge=judge_fn if judge else None, lift=lift,
                          measure=lambda u, mu: float(np.trace(S_of(u))),
                          dimension=lambda u, mu: n * r - r * (r + 1) // 2, boundaries={CONE: cone}, param=param,
                          unknowns=([f"s_{i + 1}{j + 1}" for i, j in zip(*np.triu_indices(m))] if r == m else
                                    [f"p_{i + 1}{j + 1}" for i, j in zip(*np.triu_indices(r))]
                                    + [f"k_{i + 1}{j + 1}" for i in range(r) for j in range(m - r)]),
                          name=f"linear SSL ({kind.upper()}, m = {m}, n = {n}" + (f", rank {r})" if r < m else ")"))
    problem.chart, problem.rank = sysm, r
    return problem


def continue_ssl(model: LinearSSL, kind: str = "sg", param: str = "lam", *,
                 mu_range: tuple[float, float] = (1e-3, 1.0), ds: float = 0.01, max_steps: int = 2000,
                 judge: bool = True, strata: bool = True, seeds: Sequence[float] | None = None,
                 **kwargs: Any) -> ContinuationResult:
    """Every branch of equilibria through the model's data, continued in ``param`` over ``mu_range``: the real
    roots of (E1) at the model's λ (:meth:`~symdyn.models.ssl_linear.LinearSSL.e1_roots`, certified; positive
    definite or not — a root may enter the cone along the branch) and, with ``strata``, the rank-deficient
    components 0 < r < m of :meth:`~symdyn.models.ssl_linear.LinearSSL.equilibrium_set` (each in its rank-r
    chart).  A start already on a traced branch of its rank is not traced again.  Real roots are born and die in
    pairs at folds, so a branch need not pass through the model's λ: the roots of (E1) are also computed at the
    ``seeds`` (parameter values; default the ends and the middle of ``mu_range`` for λ, none for κ, which does not
    move the roots), and every one not on a traced branch starts another.  ``kwargs`` go to
    :func:`~symdyn.continuation.continue_equilibria`.  Returns one ContinuationResult with all branches;
    ``ranks`` gives each branch's rank, and each event's ``info["rank"]`` its branch's.

    Examples
    --------
    m = 1: the two spheres are born at the fold λ = τ²/(4ρ).

    >>> from symdyn import LinearSSL
    >>> res = continue_ssl(LinearSSL(1, 2, [[1.2]], [[0.7]], lam=0.02), "sg", "lam", mu_range=(1e-3, 0.3))
    >>> [(e.kind, round(e.mu, 10)) for e in res.events], round(0.7**2 / (4 * 1.2), 10)
    ([('fold', 0.1020833333)], 0.1020833333)
    """
    problem = ssl_problem(model, kind, param, judge=judge)
    traced, ranks = [], []
    mu0 = float(model.lam) if param == "lam" else float(model.kappa)
    lo, hi = (float(v) for v in mu_range)
    if not lo <= mu0 <= hi:
        raise ValueError(f"mu_range: must contain the model's {param} = {mu0}, got {mu_range}")
    roots = model.e1_roots()
    starts = [(model.m, np.asarray(S), mu0) for S in roots["roots"]]
    if strata:
        starts += [(c.info["rank"], c.info["S"], mu0) for c in model.equilibrium_set(kind)
                   if 0 < c.info["rank"] < model.m]
    if seeds is None:
        seeds = (lo, 0.5 * (lo + hi), hi) if param == "lam" else ()
    from .ssl_linear import LinearSSL

    for lam in seeds:
        lam = float(lam)
        if lam != mu0 and lo <= lam <= hi and lam > 0:
            other = LinearSSL(model.m, model.n, model.sigma_x, model.sigma_yx, model.sigma_y, lam, kappa=model.kappa)
            starts += [(model.m, np.asarray(S), lam) for S in other.e1_roots()["roots"]]
    branches, events, notes = [], [], []
    for rank, S, start in starts:
        prob = problem if rank == model.m else ssl_problem(model, kind, param, judge=judge, rank=rank, S0=S)
        if rank == model.m:
            u0 = S[np.triu_indices(model.m)]
        else:
            u0 = prob_coordinates(prob, S)
        def coords(prob_b, S=S, rank=rank):  # S in the coordinates of a traced branch's problem (its own chart)
            return S[np.triu_indices(model.m)] if rank == model.m else prob_coordinates(prob_b, S)
        if any(b_rank == rank and _on(prob_b, b, coords(prob_b), start) for b, b_rank, prob_b in traced):
            continue
        res = continue_equilibria(prob, u0, start, mu_range=(lo, hi), ds=ds, max_steps=max_steps, **kwargs)
        offset = len(branches)
        for e in res.events:
            e.branch += offset
            e.info["rank"] = rank
        for b in res.branches:
            traced.append((b, rank, prob))
        branches += res.branches
        events += res.events
        notes += res.notes
        ranks += [rank] * len(res.branches)
    if roots["complete"] != "proven":
        notes.append(f"the starting roots at {param} = {mu0} are {roots['complete']}")
    out = ContinuationResult(param, branches, events, problem.name, notes)
    out.ranks = ranks
    return out


def prob_coordinates(problem: ReducedProblem, S) -> np.ndarray:
    """The chart coordinates (vech P, vec K) of the rank-r root S in a rank-r problem's chart."""
    return problem.chart.coordinates(np.asarray(S, dtype=float)[None])[0].real


def _on(problem, branch, u, mu, rtol: float = 1e-8) -> bool:
    """Whether the traced branch passes through (u, μ): where it crosses μ, its chord's point is corrected at fixed
    μ by Newton's method and compared with u (within rtol relative)."""
    from ..continuation import _correct

    e_mu = np.eye(len(u) + 1)[-1]
    near = np.abs(branch.mu - mu) <= 1e-9 * (1.0 + abs(mu))  # a point at μ (e.g. an end clipped to the bound)
    guesses = [branch.u[k] for k in np.flatnonzero(near)]
    for k in range(len(branch.mu) - 1):
        a, b = branch.mu[k] - mu, branch.mu[k + 1] - mu
        if a * b < 0:
            guesses.append(branch.u[k] + a / (a - b) * (branch.u[k + 1] - branch.u[k]))
    for g in guesses:
        z, _ = _correct(problem, np.append(g, mu), e_mu, 1e-13, 30)
        if z is not None and np.linalg.norm(z[:-1] - u) <= rtol * (1.0 + np.linalg.norm(u)):
            return True
    return False


def m1_fold_condition() -> dict:
    """The fold of the m = 1 equilibria in λ, derived from the SG field of ``LinearSSL(1, 1)``: away from a = 0,
    ȧ = 0 reads g(b) = −ȧ/a = ρb² − τb + λ = 0 (b then fixes a² through ḃ = 0), and two such b meet where the
    discriminant of g in b vanishes.  Returns {"discriminant" (SymPy, in ρ, τ, λ), "lam" (its root in λ),
    "symbols" (ρ, τ, λ)}; the discriminant is τ² − 4ρλ = Δ of ``ssl_linear.md`` §6.4.

    >>> import sympy as sp
    >>> c = m1_fold_condition()
    >>> rho, tau, lam = c["symbols"]
    >>> sp.expand(c["discriminant"] - (tau ** 2 - 4 * rho * lam))
    0
    """
    import sympy as sp

    from .ssl_linear import LinearSSL

    scal = LinearSSL(1, 1)
    vf = scal.field("sg")
    a, b = vf.states
    rho, tau = sp.Symbol("sx_11", real=True), sp.Symbol("syx_11", real=True)
    g = sp.factor(-vf.rhs[0] / a)
    disc = sp.discriminant(sp.Poly(sp.expand(g), b).as_expr(), b)
    R, T, L = sp.symbols("rho tau lambda", real=True)
    disc = sp.expand(disc.xreplace({rho: R, tau: T, scal.lam_symbol: L}))
    return {"discriminant": disc, "lam": sp.solve(disc, L)[0], "symbols": (R, T, L)}


def closed_form_conditions(model, param: str = "lam") -> list:
    """The closed-form event conditions the model has for ``param`` (for :func:`~symdyn.latex.continuation.
    continuation_paragraph`): at m = 1 in λ the fold Δ = τ² − 4ρλ = 0 (:func:`m1_fold_condition`, evaluated at the
    model's ρ, τ); otherwise none (the events of m ≥ 2 have no closed form)."""
    import sympy as sp

    if param != "lam" or model.m != 1:
        return []
    c = m1_fold_condition()
    R, T, L = c["symbols"]
    vals = {R: float(model.sigma_x[0, 0]), T: float(model.sigma_yx[0, 0])}
    return [{"kind": "fold", "mu": float(c["lam"].subs(vals)), "tex": sp.latex(c["discriminant"]) + " = 0",
             "where": r"\lambda^* = " + sp.latex(c["lam"]), "source": "the discriminant in b of ȧ/a of the SG field"}]
