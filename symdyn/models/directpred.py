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
β↔κ (§1.7; tested).  Per-mode (p, s, τ) field in regularised polynomial form (§1.3):
ṗ = α_p s(τ − ρp) − ηp,  ṡ = 2s g,  τ̇ = β(1 − τ) − τ g,  g = p(τ − ρp) − η,  ρ = 1 + σ².
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from ..field import VectorField
from ..kernels import as_float_array
from .ssl_linear import matrix_gradient

__all__ = ["DirectPred", "VARIANTS", "mode_field", "mode_fixed_points"]

VARIANTS = ("byol", "simsiam", "no_stopgrad", "no_predictor")


class DirectPred:
    """The linear model of Tian et al. (module docstring).  X, Xp: (n1, n1) symmetric PSD arrays."""

    def __init__(self, n1: int, n2: int, X, Xp, alpha_p: float = 1.0, beta: float = 0.4, eta: float = 0.05):
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
        a = as_float_array(v, name)
        if a.shape != (self.n1, self.n1):
            raise ValueError(f"{name}: expected shape ({self.n1}, {self.n1}), got {a.shape}")
        if not np.allclose(a, a.T, atol=1e-12 * max(1.0, np.abs(a).max())):
            raise ValueError(f"{name}: must be symmetric")
        if np.linalg.eigvalsh(a).min() < -1e-12:
            raise ValueError(f"{name}: must be positive semi-definite")
        return a

    def field(self, variant: str = "byol") -> VectorField:
        """The VectorField of ``variant`` in matrix form (compiled to a MatrixKernel)."""
        if variant not in VARIANTS:
            raise ValueError(f"variant: unknown {variant!r}; expected one of {VARIANTS}")
        n1, n2 = self.n1, self.n2
        W, Wp, Wa = sp.MatrixSymbol("W", n2, n1), sp.MatrixSymbol("W_p", n2, n2), sp.MatrixSymbol("W_a", n2, n1)
        X, Xp = sp.MatrixSymbol("X", n1, n1), sp.MatrixSymbol("Xp", n1, n1)
        a_p, beta, eta = sp.symbols("alpha_p beta eta")
        half = sp.Rational(1, 2)
        P = Wp if variant != "no_predictor" else sp.Identity(n2)
        J = half * sp.Trace(P * W * (X + Xp) * W.T * P.T) - sp.Trace(P * W * X * Wa.T) + \
            half * sp.Trace(Wa * (X + Xp) * Wa.T)
        sym = (X, Xp)
        if variant == "no_stopgrad":
            J = J.xreplace({Wa: W})
        gW = matrix_gradient(J, W, sym)
        form = {W: -gW - eta * W}
        if variant != "no_predictor":
            form[Wp] = -a_p * matrix_gradient(J, Wp, sym) - eta * Wp
        if variant == "byol":
            form[Wa] = beta * (W - Wa)
        elif variant in ("simsiam", "no_predictor"):
            form = {k: v.xreplace({Wa: W}).doit() for k, v in form.items()}
        states = []
        for M in form:
            states += [sp.Symbol(f"{M.name}_{i}_{j}") for i in range(M.rows) for j in range(M.cols)]
        return VectorField(states, None, name=f"DirectPred linear model ({variant})", matrix_form=form,
                           matrix_values={"X": self.X, "Xp": self.Xp, "alpha_p": self.alpha_p, "beta": self.beta,
                                          "eta": self.eta})


def mode_field(simsiam: bool = False, alpha_p=None, sigma2=None, eta=None, beta=None) -> VectorField:
    """Per-mode (p, s[, τ]) field, regularised polynomial form (§1.3); None parameters stay symbols."""
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


def mode_fixed_points():
    """Symbolic facts of §1.3: p*±, the threshold η_c, τ* at collapse, and the invariant's decay."""
    p, s, tau = sp.symbols("p s tau_ema", real=True)
    a_p, s2, eta, beta = sp.symbols("alpha_p sigma2 eta beta", positive=True)
    rho = 1 + s2
    p_minus = (tau - sp.sqrt(tau ** 2 - 4 * eta * rho)) / (2 * rho)
    p_plus = (tau + sp.sqrt(tau ** 2 - 4 * eta * rho)) / (2 * rho)
    vf = mode_field()
    f = dict(zip(vf.states, vf.rhs))
    invariant = s - p ** 2 / a_p
    decay = sp.simplify(f[s] - 2 * p * f[p] / a_p + 2 * eta * invariant)
    return {"p_minus": p_minus, "p_plus": p_plus, "eta_c": tau ** 2 / (4 * rho),
            "tau_collapse": beta / (beta - eta), "invariant": invariant, "invariant_decay_residual": decay}
