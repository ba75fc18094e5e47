"""Tian, Chen & Ganguli 2021 (DirectPred) linear BYOL/SimSiam (``shared/papers/neighbours.md`` §1).

Online W (n2×n1), predictor W_p (n2×n2), target W_a (n2×n1); X = E[x̄x̄ᵀ], X' = E_x V[x'|x].  With two
independent views, E[x₁x₁ᵀ] = X + X' and E[x₁x₂ᵀ] = X, so the loss is written once,

    J = ½ tr(W_p W (X+X') Wᵀ W_pᵀ) − tr(W_p W X W_aᵀ) + ½ tr(W_a (X+X') W_aᵀ),

and the variants are derived from it (Lemma 1):

* ``byol``:        Ẇ = −∇_W J − ηW,  Ẇ_p = −α_p ∇_{W_p} J − ηW_p,  Ẇ_a = β(W − W_a)  (W_a frozen in ∇)
* ``simsiam``:     the same with W_a = W substituted *after* differentiation (states W, W_p)
* ``no_stopgrad``: W_a = W substituted *before* differentiation (states W, W_p)
* ``no_predictor``: W_p = I, stop-gradient, W_a = W (state W)

With α_p = 1 the byol field is LinearSSL's EMA field under W↔A, W_p↔B, W_a↔C, X+X'↔Σx, X↔Σyx, η↔λ,
β↔κ (§1.7; tested).

Reduced isotropic field (§1.2, Eq. 7), derived from the byol form by substituting X = I, X' = σ²I,
W_a = τW (A1, A2), W_pᵀ = W_p (A3), contracting WWᵀ → F in Ḟ = ẆWᵀ + WẆᵀ and symmetrising Ẇ_p:
Ẇ_p = −(α_p/2)(1+σ²){W_p, F} + α_pτF − ηW_p,  Ḟ = −(1+σ²){W_p², F} + τ{W_p, F} − 2ηF.
Theorem 3 (alignment): d/dt[F, W_p] = −[F, W_p]K − K[F, W_p] with
K = (1+σ²)(α_p/2 F + W_p² − τ/(1+σ²) W_p) + (3/2)ηI (``alignment_identity`` proves it entry-wise).

Per-mode (p, s, τ) field in regularised polynomial form (§1.3):
ṗ = α_p s(τ − ρp) − ηp,  ṡ = 2s g,  τ̇ = β(1 − τ) − τ g,  g = p(τ − ρp) − η,  ρ = 1 + σ².
"""
from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from ..field import VectorField
from ..stability import stability
from .._validate import as_square_matrix
from ..matrix_calculus import matrix_flow

__all__ = ["DirectPred", "VARIANTS", "matrix_form", "isotropic_field", "alignment_identity", "mode_field",
           "mode_fixed_points"]

VARIANTS = ("byol", "simsiam", "no_stopgrad", "no_predictor")


class DirectPred:
    """The linear model of Tian et al. (module docstring).  X, Xp: (n1, n1) symmetric PSD arrays.

    Examples
    --------
    >>> import numpy as np
    >>> model = DirectPred(2, 2, np.eye(2), 0.5 * np.eye(2))
    >>> model.field().dimension                               # W, W_p, W_a: three 2 × 2 matrices
    12
    """

    def __init__(self, n1: int, n2: int, X: ArrayLike, Xp: ArrayLike, alpha_p: float = 1.0, beta: float = 0.4,
                 eta: float = 0.05):
        for name, v in (("n1", n1), ("n2", n2)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name}: expected a positive integer, got {v!r}")
        self.n1, self.n2 = int(n1), int(n2)
        self.X, self.Xp = (self._sym(v, name) for v, name in ((X, "X"), (Xp, "Xp")))
        for name, v, strict in (("alpha_p", alpha_p, True), ("beta", beta, True), ("eta", eta, False)):
            if not np.isfinite(v) or v < 0 or (strict and v == 0):
                raise ValueError(f"{name}: must be {'> 0' if strict else '>= 0'}, got {v}")
        self.alpha_p, self.beta, self.eta = float(alpha_p), float(beta), float(eta)

    def _sym(self, v, name):
        a = as_square_matrix(v, name, self.n1, symmetric=True)
        if np.linalg.eigvalsh(a).min() < -1e-12:
            raise ValueError(f"{name}: must be positive semi-definite")
        return a

    def field(self, variant: str = "byol") -> VectorField:
        """The VectorField of ``variant`` in matrix form (compiled to a MatrixKernel)."""
        form = matrix_form(variant, self.n1, self.n2)
        states = []
        for M in form:
            states += [sp.Symbol(f"{M.name}_{i}_{j}") for i in range(M.rows) for j in range(M.cols)]
        return VectorField(states, None, name=f"DirectPred linear model ({variant})", matrix_form=form,
                           matrix_values={"X": self.X, "Xp": self.Xp, "alpha_p": self.alpha_p, "beta": self.beta,
                                          "eta": self.eta})


def matrix_form(variant: str, n1: int, n2: int) -> dict:
    """{state MatrixSymbol: derived rhs} of ``variant`` with symbolic X, Xp (n1×n1), α_p, β, η (Lemma 1).

    Derived once per (variant, n1, n2): the data enter later as matrix values.

    Examples
    --------
    >>> sorted(str(k) for k in matrix_form("byol", 2, 2))   # online W, predictor W_p, target W_a
    ['W', 'W_a', 'W_p']
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant: unknown {variant!r}; expected one of {VARIANTS}")
    return dict(_derived_matrix_form(variant, int(n1), int(n2)))


@functools.lru_cache(maxsize=64)
def _derived_matrix_form(variant: str, n1: int, n2: int) -> dict:
    W, Wp, Wa = sp.MatrixSymbol("W", n2, n1), sp.MatrixSymbol("W_p", n2, n2), sp.MatrixSymbol("W_a", n2, n1)
    X, Xp = sp.MatrixSymbol("X", n1, n1), sp.MatrixSymbol("Xp", n1, n1)
    a_p, beta, eta = sp.symbols("alpha_p beta eta")
    half = sp.Rational(1, 2)
    P = Wp if variant != "no_predictor" else sp.Identity(n2)
    J = half * sp.Trace(P * W * (X + Xp) * W.T * P.T) - sp.Trace(P * W * X * Wa.T) + \
        half * sp.Trace(Wa * (X + Xp) * Wa.T)
    sym = (X, Xp)
    if variant == "no_stopgrad":  # the target branch is the online network: substituted before differentiating
        J = J.xreplace({Wa: W})
    states = (W,) if variant == "no_predictor" else (W, Wp)
    sg = {Wa: W} if variant in ("simsiam", "no_predictor") else None
    ema = {Wa: (W, beta)} if variant == "byol" else None
    form = matrix_flow(J, states, symmetric=sym, stop_gradient=sg, rates={Wp: a_p})
    form = {S: rhs - eta * S for S, rhs in form.items()}   # weight decay on the trained weights
    if ema:
        form.update(matrix_flow(J, (), ema=ema))
    return form


def _contract(expr, W, F, symmetric):
    """Replace every adjacent pair W·Wᵀ in the terms of a MatAdd by F; Mᵀ → M for M in ``symmetric``."""
    back = {M.T: M for M in symmetric}
    out = []
    for term in (expr.args if isinstance(expr, sp.MatAdd) else (expr,)):
        coeff, mm = term.as_coeff_mmul()
        factors = list(mm.args) if isinstance(mm, sp.MatMul) else [mm]
        scalars = [f for f in factors if not isinstance(f, sp.MatrixExpr)]
        mats, res, i = [f for f in factors if isinstance(f, sp.MatrixExpr)], [], 0
        while i < len(mats):
            if i + 1 < len(mats) and mats[i] == W and mats[i + 1] == W.T:
                res.append(F)
                i += 2
            else:
                res.append(mats[i].xreplace(back))
                i += 1
        out.append(sp.Mul(coeff, *scalars) * sp.MatMul(*res))
    result = sp.MatAdd(*out).doit()
    if result.has(W):
        raise RuntimeError(f"isotropic reduction failed: {W} remains in {result}")
    return result


def isotropic_field(n: int, alpha_p: float | None = None, sigma2: float | None = None, eta: float | None = None,
                    tau: float | None = None, symmetrize: bool = True) -> VectorField:
    """The reduced (W_p, F) field of Eq. 7 on n×n matrices (2n² states W_p_i_j, F_i_j), derived from the
    byol form (module docstring).  Parameters given as numbers are bound; None leaves a symbol
    (alpha_p, sigma2, eta, tau_ema).  ``symmetrize=False`` keeps Appendix B's Ẇ_p = −α_p(1+σ²)W_pF + α_pτF − ηW_p.
    Symmetric (W_p, F) form an invariant subspace of the symmetrised field.

    Examples
    --------
    >>> field = isotropic_field(1)
    >>> field, field.states
    (VectorField('DirectPred isotropic reduced field (n=1)', D=2, params=['alpha_p', 'sigma2', 'eta', 'tau_ema']), (W_p_0_0, F_0_0))
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n: expected a positive integer, got {n!r}")
    if n > 6:
        raise ValueError(f"n: {n} is too large for the entry-wise symbolic field (limit 6)")
    form = matrix_form("byol", n, n)
    W, Wp, Wa = list(form)
    X, Xp = sp.MatrixSymbol("X", n, n), sp.MatrixSymbol("Xp", n, n)
    F = sp.MatrixSymbol("F", n, n)
    s2, tau_ = sp.Symbol("sigma2"), sp.Symbol("tau_ema")
    sub = {X: sp.Identity(n), Xp: s2 * sp.Identity(n), Wa: tau_ * W, Wp.T: Wp}
    dW = form[W].xreplace(sub).doit()
    dF = _contract((dW * W.T + W * dW.T).doit().expand(), W, F, (Wp,))
    dWp = _contract(form[Wp].xreplace(sub).doit().expand(), W, F, (Wp,))
    if symmetrize:
        dWp = _contract(((dWp + dWp.T) / 2).doit().expand(), W, F, (Wp, F))
    values = {"alpha_p": alpha_p, "sigma2": sigma2, "eta": eta, "tau_ema": tau}
    for name, v in values.items():
        if v is not None and not np.isfinite(float(v)):
            raise ValueError(f"{name}: expected a finite number, got {v!r}")
    states = [sp.Symbol(f"{M.name}_{i}_{j}") for M in (Wp, F) for i in range(n) for j in range(n)]
    params = [sp.Symbol(k) for k, v in values.items() if v is None]
    return VectorField(states, None, params, name=f"DirectPred isotropic reduced field (n={n})",
                       matrix_form={Wp: dWp, F: dF},
                       matrix_values={k: float(v) for k, v in values.items() if v is not None},
                       latex_names={sp.Symbol("alpha_p"): r"\alpha_p", sp.Symbol("sigma2"): r"\sigma^2",
                                    sp.Symbol("tau_ema"): r"\tau", sp.Symbol("eta"): r"\eta"})


def alignment_K(Wp, F, alpha_p, sigma2, eta, tau):
    """K = (1+σ²)(α_p/2 F + W_p²) − τW_p + (3/2)ηI for numeric (n, n) arrays or SymPy matrices."""
    if isinstance(Wp, np.ndarray):
        return (1 + sigma2) * (alpha_p * F / 2 + Wp @ Wp) - tau * Wp + 1.5 * eta * np.eye(Wp.shape[0])
    return (1 + sigma2) * (alpha_p * F / 2 + Wp * Wp) - tau * Wp + sp.Rational(3, 2) * eta * sp.eye(Wp.shape[0])


def alignment_identity(n: int = 2, symmetrize: bool = True) -> sp.Matrix:
    """Ċ + CK + KC for C = [F, W_p] along the symmetrised isotropic field (``symmetrize=False``: Appendix B's
    unsymmetrised Ẇ_p), with symmetric symbolic W_p, F and symbolic α_p, σ², η, τ, expanded entry-wise: the zero
    matrix proves Theorem 3 for this n.

    Examples
    --------
    >>> alignment_identity(2)                         # Theorem 3 for 2×2 matrices, entry by entry
    Matrix([
    [0, 0],
    [0, 0]])
    >>> any(e != 0 for e in alignment_identity(2, symmetrize=False))  # without it: non-zero polynomials
    True
    """
    vf = isotropic_field(n, symmetrize=symmetrize)
    syms = {}
    for name in ("W_p", "F"):
        M = sp.zeros(n, n)
        for i in range(n):
            for j in range(i, n):
                M[i, j] = M[j, i] = sp.Symbol(f"{name}_{min(i, j)}_{max(i, j)}")
        syms[name] = M
    Wp, F = syms["W_p"], syms["F"]
    point = dict(zip(vf.states, list(Wp) + list(F)))
    rhs = vf.rhs.xreplace(point)
    dWp, dF = rhs[:n * n, 0].reshape(n, n), rhs[n * n:, 0].reshape(n, n)
    a_p, s2, eta, tau = sp.symbols("alpha_p sigma2 eta tau_ema")
    C, dC = F * Wp - Wp * F, dF * Wp + F * dWp - dWp * F - Wp * dF
    K = alignment_K(Wp, F, a_p, s2, eta, tau)
    return (dC + C * K + K * C).applyfunc(sp.expand)


def mode_field(simsiam: bool = False, alpha_p: float | None = None, sigma2: float | None = None,
               eta: float | None = None, beta: float | None = None) -> VectorField:
    """Per-mode (p, s[, τ]) field, regularised polynomial form (§1.3); None parameters stay symbols.

    Examples
    --------
    >>> field = mode_field()
    >>> field.states, [str(p) for p in field.params]
    ((p, s, tau_ema), ['alpha_p', 'beta', 'eta', 'sigma2'])
    """
    p, s, tau = sp.symbols("p s tau_ema", real=True)
    vals = {}
    syms = {}
    for name, v in (("alpha_p", alpha_p), ("sigma2", sigma2), ("eta", eta), ("beta", beta)):
        syms[name] = sp.Symbol(name, positive=True) if v is None else sp.nsimplify(v)
        vals[name] = v
    a_p, s2, et, be = syms["alpha_p"], syms["sigma2"], syms["eta"], syms["beta"]
    t = sp.Integer(1) if simsiam else tau
    rho = 1 + s2
    g = p * (t - rho * p) - et
    rhs = [a_p * s * (t - rho * p) - et * p, 2 * s * g]
    states = [p, s]
    if not simsiam:
        rhs.append(be * (1 - tau) - tau * g)
        states.append(tau)
    free = set().union(*[sp.sympify(e).free_symbols for e in rhs]) - set(states)
    return VectorField(states, [sp.expand(e) for e in rhs], sorted(free, key=str),
                       name=f"DirectPred per-mode field ({'SimSiam' if simsiam else 'BYOL'})")


def mode_fixed_points() -> dict:
    """Symbolic facts of §1.3, derived from the per-mode field:

    * on the invariant parabola s = p²/α_p:  ṗ = p²(τ − ρp) − ηp  (``on_parabola``); its roots 0, p*₋ ≤ p*₊
      (``sympy.solve``), the 1-D slopes at them reduced with the root relation (−η at 0, −τp + 2η at p*±),
    * the threshold η_c where p*₋ = p*₊ (zero discriminant),
    * τ* at collapse: the root of τ̇ = 0 at p = s = 0 in the regularised 3-D field,
    * the invariant I = s − p²/α_p and the residual of İ + 2ηI (zero).

    Examples
    --------
    >>> facts = mode_fixed_points()
    >>> facts["eta_c"]                                   # p*₋ = p*₊ there: the collapse threshold
    tau_ema**2/(4*(sigma2 + 1))
    """
    p, s, tau = sp.symbols("p s tau_ema", real=True)
    a_p, s2, eta, beta = sp.symbols("alpha_p sigma2 eta beta", positive=True)
    vf = mode_field()
    f = dict(zip(vf.states, vf.rhs))
    on_parabola = sp.expand(f[p].subs(s, p ** 2 / a_p))
    roots = [r for r in sp.solve(on_parabola, p) if r != 0]
    disc = sp.discriminant(sp.cancel(on_parabola / p), p)
    p_minus, p_plus = sorted(roots, key=lambda r: float(r.subs({tau: 1, s2: 1, eta: sp.Rational(1, 100)})))
    slope = sp.diff(on_parabola, p)
    # at a non-zero root ρp² = τp − η, i.e. σ² = (τp − η)/p² − 1
    slope_nonzero = sp.simplify(slope.subs(s2, (tau * p - eta) / p ** 2 - 1))
    eta_c = sp.solve(disc, eta)[0]
    tau_c = sp.solve(f[tau].subs({p: 0, s: 0}), tau)[0]
    invariant = s - p ** 2 / a_p
    decay = sp.simplify(f[s] - 2 * p * f[p] / a_p + 2 * eta * invariant)
    return {"on_parabola": on_parabola, "p_minus": p_minus, "p_plus": p_plus, "eta_c": eta_c,
            "slope_at_zero": slope.subs(p, 0), "slope_at_nonzero_roots": slope_nonzero,
            "tau_collapse": tau_c, "invariant": invariant, "invariant_decay_residual": decay}


def mode_stability_table(alpha_p: float = 1.0, sigma2: float = 0.5, eta: float = 0.05, beta: float = 0.4) -> list[dict]:
    """The §1.5 tables at τ = 1: fixed points of the 2-D (SimSiam) and 3-D (BYOL, regularised) per-mode
    fields — collapse, (p*₋, p*₋²/α_p), (p*₊, p*₊²/α_p) — with the derived Jacobian's eigenvalues (sorted
    by real part) and verdicts.  Rows: {"system", "point", "eigenvalues", "verdict"}."""
    if not 0 < eta <= 1 / (4 * (1 + sigma2)):
        raise ValueError(f"eta: the non-trivial branch needs 0 < η ≤ 1/(4(1+σ²)) = {1 / (4 * (1 + sigma2)):.4g}, got {eta}")
    facts = mode_fixed_points()
    vals = {sp.Symbol("tau_ema", real=True): 1, sp.Symbol("eta", positive=True): sp.nsimplify(eta),
            sp.Symbol("sigma2", positive=True): sp.nsimplify(sigma2)}
    roots = {"p*-": float(facts["p_minus"].subs(vals)), "p*+": float(facts["p_plus"].subs(vals))}
    tau_c = float(facts["tau_collapse"].subs({sp.Symbol("beta", positive=True): sp.nsimplify(beta),
                                                sp.Symbol("eta", positive=True): sp.nsimplify(eta)}))
    k2 = mode_field(simsiam=True, alpha_p=alpha_p, sigma2=sigma2, eta=eta).lambdify()
    k3 = mode_field(alpha_p=alpha_p, sigma2=sigma2, eta=eta, beta=beta).lambdify()
    rows = []
    for system, kernel, collapse in (("2-D (p, s)", k2, [0.0, 0.0]), ("3-D (p, s, tau)", k3, [0.0, 0.0, tau_c])):
        points = [("collapse", collapse)] + [
            (name, [p, p * p / alpha_p] + ([1.0] if len(collapse) == 3 else [])) for name, p in roots.items()]
        for name, x in points:
            rep = stability(kernel, np.array(x))
            rows.append({"system": system, "point": name, "x": x,
                         "eigenvalues": np.sort(rep.eigenvalues.real), "verdict": rep.verdict})
    return rows
