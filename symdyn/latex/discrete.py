"""The derivation document of the discrete-time maps (:mod:`symdyn.discrete`): the multiplier condition of the
Euler map derived by SymPy, the largest stable steps of the SG and EMA training maps at the outer variety of a
default SSL instance (computed), and the attraction-region dimensions of GD and LSGD on a quadratic with a strict
saddle (computed)."""
from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import sympy as sp

from ..discrete import attraction_dimension, lsgd_schedule
from .document import document, equation, latex, num_latex

__all__ = ["discrete_document", "lsgd_dimensions"]

ALPHAS = (0.0, 0.5, 0.9, 0.99)


def euler_condition():
    """(|1 + ην|² − 1 factored, the bound on η) for ν = a + ib, a < 0: derived by SymPy."""
    a, b, eta = sp.symbols("a b eta", real=True)
    expr = sp.factor(sp.expand((1 + eta * a) ** 2 + (eta * b) ** 2 - 1))
    bound = sp.solve(sp.cancel(expr / eta), eta)[0]
    return expr, bound


def lsgd_dimensions(n: int = 7, eta: float = 0.05, sigmas: Sequence[float] = (1.0, 10.0), seed: int = 0) -> list:
    """[(scheme, stable dimension, unstable)] for f = ½xᵀBx, spec B = (−1, 1, …, n − 1) in a random basis
    (``neighbours.md`` §6.3), GD, constant-σ LSGD and the periodic schedule of the σs (:func:`.discrete.lsgd_schedule`,
    :func:`.discrete.attraction_dimension`).

    Examples
    --------
    >>> lsgd_dimensions()[0]                                  # GD at η = 0.05: B's one negative eigenvalue is unstable
    ('GD', 6, 1)
    """
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((n, n)))[0]
    B = Q @ np.diag(np.r_[-1.0, np.arange(1, n)]) @ Q.T
    rows = [("GD", lsgd_schedule(B, eta, [0.0]))]
    rows += [(f"LSGD, $\\sigma = {s:g}$", lsgd_schedule(B, eta, [s])) for s in sigmas]
    rows.append(("LSGD, periodic $\\sigma = (0, " + ", ".join(f"{s:g}" for s in sigmas) + ")$",
                 lsgd_schedule(B, eta, (0.0,) + tuple(sigmas))))
    return [(name, d["stable"], d["unstable"]) for name, d in ((nm, attraction_dimension(m)) for nm, m in rows)]


@functools.lru_cache(maxsize=None)  # a document is a pure function of its arguments: built once
def discrete_document() -> str:
    r"""The document (module docstring).

    Examples
    --------
    >>> import re
    >>> tex = discrete_document()
    >>> re.findall(r"\\label\{(eq:[^}]*)\}", tex)[:1]
    ['eq:euler-step-limit']
    """
    from ..models.ssl_linear import LinearSSL, random_moments

    expr, bound = euler_condition()
    m, n, seed, lam = 2, 3, 0, 0.05
    lim = LinearSSL(m, n, *random_moments(m, seed), lam, kappa=1.0).step_limits(ALPHAS)
    dims = lsgd_dimensions()
    a, b = sp.symbols("a b", real=True)
    ema_rows = "\n".join(rf"EMA, $\alpha = {al:g}$ & ${num_latex(v)}$ \\" for al, v in lim["ema"].items())
    dim_rows = "\n".join(rf"{name} & {s} & {u} \\" for name, s, u in dims)
    body = [r"\section{Maps and their verdicts}",
            r"A training iteration is a map $x \leftarrow \Phi(x)$. At a fixed point with Jacobian $D\Phi$, the "
            r"multipliers $\mu$ (with the neutral directions of a manifold of fixed points, multiplier 1, projected "
            r"out) decide: all $|\mu| < 1$ asymptotically stable, some $|\mu| > 1$ a saddle or unstable. The "
            r"attraction region of a saddle is its stable subspace, of dimension $\#\{|\mu| < 1\}$; for a periodic "
            r"schedule the monodromy matrix $D\Phi_p\cdots D\Phi_1$ decides.",
            r"\section{The Euler map $x + \eta f(x)$}",
            r"Its multipliers are $1 + \eta\nu$ for the eigenvalues $\nu = a + ib$ of the flow's Jacobian, and",
            equation(rf"|1 + \eta\nu|^2 - 1 = {latex(expr)} < 0 \iff \eta < {latex(bound)} = "
                     r"-\frac{2\operatorname{Re}\nu}{|\nu|^2}\quad (a < 0)", "euler-step-limit"),
            r"so by \eqref{eq:euler-step-limit} $\eta_{\max} = \min_\nu -2\operatorname{Re}\nu/|\nu|^2$ over the non-neutral $\nu$ (derived by SymPy "
            r"from the modulus; checked by iterating the map in \texttt{symdyn verify --only ssl.sg-map-step-limit}).",
            r"\section{Step limits of the SSL training maps}",
            rf"At the outer variety of the linear SSL model ($m = {m}$, $n = {n}$, random moments with "
            rf"seed {seed}, $\lambda = {lam:g}$): the SG map's limit from the closed form, the EMA map's "
            r"(online step, then $C \leftarrow \alpha C + (1-\alpha)A_{\mathrm{new}}$) by bisection on its multipliers.",
            "\\begin{center}\n\\begin{tabular}{ll}\nmap & $\\eta_{\\max}$ \\\\ \\hline\n"
            + rf"SG & ${num_latex(lim['sg'])}$ \\" + "\n" + ema_rows + "\n\\end{tabular}\n\\end{center}",
            r"\section{GD and Laplacian-smoothing GD at a strict saddle}",
            r"On $f = \tfrac12 x^\top Bx$ with $\operatorname{spec}B = (-1, 1, \dots, 6)$ in a random basis, "
            r"$\eta = 0.05$, LSGD $x \leftarrow x - \eta A_\sigma^{-1}Bx$ with $A_\sigma = I - \sigma L$ ($L$ the "
            r"periodic Laplacian). Constant $\sigma$: $I - \eta A_\sigma^{-1}B$ is similar to the symmetric "
            r"$I - \eta A_\sigma^{-1/2}BA_\sigma^{-1/2}$, which by Sylvester's law of inertia keeps $B$'s single "
            r"negative direction, so the attraction region keeps dimension $n - 1$.",
            "\\begin{center}\n\\begin{tabular}{lll}\nscheme & attraction dimension & unstable \\\\ \\hline\n"
            + dim_rows + "\n\\end{tabular}\n\\end{center}",
            r"The published $\lfloor (n-1)/2\rfloor$ (Kreusser, Osher \& Wang) concerns a modified scheme (mLSGD) "
            r"whose iteration is not public; it is not modelled here."]
    return document("Discrete-time training maps: step limits and attraction regions", body)
