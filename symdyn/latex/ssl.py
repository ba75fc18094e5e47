"""The derivation document of the linear SSL model (``ssl_linear.md`` §2–§7): typeset from the model's objective,
gradients, fields, (E1)/(E2), the m = 1 linearisation and a numeric instance's equilibria and verdicts."""
from __future__ import annotations

import numpy as np
import sympy as sp

from ..instances import random_moments
from ..models.ssl_e1 import e1_sides
from ..models.ssl_linear import KINDS, LinearSSL
from ..stability import stability
from .document import KIND_TITLES, align, document, equation, latex, matrix_latex, num_latex, num_list

__all__ = ["ssl_document"]


def ssl_document(kind: str = "sg", m: int = 2, n: int = 3, seed: int = 0, *, model: LinearSSL | None = None) -> str:
    """The derivation of the linear SSL ``kind`` field (ssl_linear.md §2–§7) as a LaTeX document.

    Symbolic sections are typeset from the (m, n) model with symbolic moments (a derivation for all data of that
    shape) and the m = n = 1 model; the stability section from ``model`` (a numeric LinearSSL of shape (m, n); by
    default moments ``random_moments(m, seed)``, λ = 0.01, κ = 0.5), whose cached equilibria are used as they are.

    Examples
    --------
    >>> from symdyn import LinearSSL
    >>> tex = ssl_document("sg", model=LinearSSL(1, 2, [[1.0]], [[0.8]], lam=0.12))
    >>> "label{eq:ssl-sg-E1}" in tex, "asymptotically stable" in tex
    (True, True)
    """
    if kind not in KINDS:
        raise ValueError(f"kind: unknown kind {kind!r}; expected one of {KINDS}")
    given = model
    if given is not None:
        if not isinstance(given, LinearSSL) or not given.is_numeric:
            raise TypeError("model: expected a LinearSSL with numeric moments and lam")
        if kind == "ema" and given.kappa is None:
            raise ValueError("model: the EMA document needs a numeric kappa")
        m, n = given.m, given.n
    symbolic = LinearSSL(m, n)  # symbolic moments: the derivation for all data of this shape
    names = symbolic.latex_names
    tex = lambda e: latex(e, names)  # noqa: E731
    lab = f"ssl-{kind}"  # label prefix: the SG, EMA and GF bodies can be \\input into one paper
    body = [r"\section{Model}",
            r"Encoder $A\in\mathbb R^{n\times m}$, predictor $B\in\mathbb R^{n\times n}$, target $C\in\mathbb R^{n\times m}$; "
            r"second moments $\Sigma_x = \mathbb E[xx^\top]$, $\Sigma_{yx}=\mathbb E[yx^\top]$, $\Sigma_y=\mathbb E[yy^\top]$. "
            r"The objective $F(A,B,C) = \tfrac12\mathbb E\|BAx - Cy\|^2 + \tfrac\lambda2(\|A\|^2+\|B\|^2)$ is, in trace form,",
            equation("F = " + tex(symbolic.objective()), f"{lab}-objective")]
    body.append(r"\section{Differentiation}")
    if kind == "gf":
        E = symbolic.objective(target="a")
        body += [r"Gradient flow differentiates $\bar E(A,B) = F(A,B,A)$:", equation(r"\bar E = " + tex(E), f"{lab}-Ebar")]
        g = symbolic.gradients("gf")
        body += [align([(r"\nabla_A \bar E", f"= {tex(g[symbolic.A])}", f"{lab}-grad-A"),
                        (r"\nabla_B \bar E", f"= {tex(g[symbolic.B])}", f"{lab}-grad-B")])]
    else:
        g = symbolic.gradients("ema")  # before any substitution
        body += [rf"SymPy's matrix calculus on the trace form \eqref{{eq:{lab}-objective}} gives (with $\Sigma_x$ "
                 "symmetric)",
                 align([(r"\nabla_A F", f"= {tex(g[symbolic.A])}", f"{lab}-grad-A"),
                        (r"\nabla_B F", f"= {tex(g[symbolic.B])}", f"{lab}-grad-B")])]
        if kind == "sg":
            gs = symbolic.gradients("sg")
            body += [r"The stop-gradient freezes the target: differentiate first, \emph{then} substitute $C = A$:",
                     align([(r"\nabla_A F\big|_{C=A}", f"= {tex(gs[symbolic.A])}", None),
                            (r"\nabla_B F\big|_{C=A}", f"= {tex(gs[symbolic.B])}", None)])]
        else:
            body += [r"The target follows the encoder: $\dot C = \kappa (A - C)$ (the continuous limit of "
                     r"$C \leftarrow \alpha C + (1-\alpha)A$ with $1-\alpha = \kappa\eta$)."]
    mf = symbolic.matrix_field(kind)
    body += [r"\section{Vector field}",
             align([(rf"\dot {tex(X)}", f"= {tex(e)}", f"{lab}-field-{X}") for X, e in mf.items()])]
    # scalar case, entry-wise and symbolic
    scal = LinearSSL(1, 1)
    vf1 = scal.field(kind)
    rho, tau = sp.Symbol("sx_11", real=True), sp.Symbol("syx_11", real=True)
    nm = dict(names)
    nm.update({rho: r"\rho", tau: r"\tau", sp.Symbol("sy_11", real=True): r"\sigma_y"})
    t1 = lambda e: latex(e, nm)  # noqa: E731
    body += [r"For $m = n = 1$ ($\rho = \Sigma_x$, $\tau = \Sigma_{yx}$) the entry-wise derivation gives",
             align([(rf"\dot {{{t1(s)}}}", f"= {t1(sp.factor(f))}", f"{lab}-scalar-{s}")
                    for s, f in zip(vf1.states, vf1.rhs)])]
    check = vf1.is_gradient()
    body += [r"\section{Gradient structure}",
             rf"The antisymmetric part of the Jacobian of the scalar field is ${t1(check.curl)}$, so the field "
             + (r"is a gradient field." if check.is_gradient else
                r"is \emph{not} the gradient of any smooth function (Schwarz: mixed partials would commute).")]
    body.append(r"\section{Equilibria}")
    if kind == "gf":
        body += [r"Euler's identity (the data term is homogeneous of degree 2 in $A$) is verified by exact expansion: "
                 rf"$\langle A, \nabla_A \bar E\rangle - (\mathbb E\|BAx-Ay\|^2 + \lambda\|A\|^2) = {latex(symbolic.gf_euler_defect())}$ "
                 rf"for $m={m}, n={n}$ with symbolic moments. Hence $\frac{{d}}{{dt}}\|A\|^2 \le -2\lambda\|A\|^2$, "
                 r"$\|A(t)\|\le e^{-\lambda t}\|A(0)\|$, and $(0,0)$ is the only critical point: gradient flow collapses."]
    else:
        S = sp.MatrixSymbol("S", m, m)
        I = sp.Identity(m)
        lam = symbolic.lam_symbol
        E1 = sp.Eq(*e1_sides(symbolic.Sx, symbolic.Syx, S, lam, I))
        W = sp.MatrixSymbol("W", n, n)
        body += [rf"With $S = A^\top A \succ 0$, the equilibria of \eqref{{eq:{lab}-field-A}}--\eqref{{eq:{lab}-field-B}} satisfy "
                 rf"\eqref{{eq:{lab}-E1}} and \eqref{{eq:{lab}-E2}}:",
                 equation(tex(E1) + r"\tag{E1}", f"{lab}-E1"),
                 equation(rf"B = {tex(symbolic.A * symbolic.Syx * symbolic.A.T * W ** -1)},\quad W = {tex(symbolic.A * symbolic.Sx * symbolic.A.T + lam * sp.Identity(n))}"
                          + (r",\quad C = A" if kind == "ema" else "") + r"\tag{E2}", f"{lab}-E2"),
                 r"Each positive-definite root $S_k$ gives the variety $\{(U\sqrt{S_k}, B(U)) : U^\top U = I_m\}$ of "
                 rf"dimension $nm - m(m+1)/2 = {n * m - m * (m + 1) // 2}$ for $m={m}, n={n}$."]
        # scalar branch: the model's linearisation and its Routh–Hurwitz verdicts
        lin = LinearSSL.m1_branch_linearisation(kind)
        J1, verdicts = lin["J"], lin["verdicts"]
        body += [r"\subsection*{Scalar case: the two spheres}",
                 rf"For $m=1$, \eqref{{eq:{lab}-E1}} reads $(\rho s + \lambda)^2 = \tau^2 s$; with $s = r^2$ the radii "
                 r"are the roots of $\rho r^2 - |\tau| r + \lambda = 0$:"]
        delta, r1, r2 = LinearSSL.m1_radii_symbolic()
        body.append(equation(rf"r_{{1,2}} = {latex(r1)},\; {latex(r2)},\qquad \Delta = {latex(delta)}", f"{lab}-radii"))
        body += [r"At the equilibrium $a = b = \cdots = r$ ($\tau > 0$, $\lambda = r(\tau - \rho r)$) the Jacobian is",
                 equation("J = " + latex(J1), f"{lab}-J1")]
        expected = {"outer": "asymptotically stable", "inner": "saddle"}
        if kind == "sg":
            body += [equation(rf"\operatorname{{tr}} J = {latex(lin['trace'])},\qquad "
                              rf"\det J = {latex(lin['det'])}", f"{lab}-trdet"),
                     r"On the outer sphere $2\rho r - \tau = \sqrt\Delta > 0$, so $\det J > 0 > \operatorname{tr} J$: "
                     r"asymptotically stable. On the inner sphere $\det J < 0$: a saddle." if verdicts == expected else
                     rf"Routh--Hurwitz on the spheres $2\rho r - \tau = \pm\sqrt\Delta$: outer {verdicts['outer']}, "
                     rf"inner {verdicts['inner']}."]
        else:
            body += [equation(r"\det(\mu I - J) = " + latex(lin["charpoly"].as_expr()), f"{lab}-charpoly"),
                     equation(r"p_2 p_1 - p_0 = " + latex(lin["hurwitz"]), f"{lab}-hurwitz"),
                     r"Routh--Hurwitz: on the outer sphere every coefficient and $p_2p_1 - p_0$ are positive for all "
                     r"$\kappa > 0$ (asymptotically stable); on the inner sphere $p_0 < 0$ (a saddle)." if verdicts == expected
                     else rf"Routh--Hurwitz on the spheres $2\rho r - \tau = \pm\sqrt\Delta$ for all $\kappa > 0$: outer "
                     rf"{verdicts['outer']}, inner {verdicts['inner']}."]
        # numeric instance
        inst = given if given is not None else LinearSSL(m, n, *random_moments(m, seed), lam=0.01, kappa=0.5)
        Vs = inst.equilibria(kind)
        rows = []
        for V in Vs:
            rep = V.stability(seed=0)
            ev = np.linalg.eigvalsh(V.info["S"])
            rows.append(rf"${', '.join(num_latex(e) for e in ev)}$ & {V.dimension} & {rep.neutral_count} & "
                        rf"${num_latex(rep.max_real_nonneutral)}$ & {rep.verdict} \\")
        data = (rf"$\Sigma_x = {matrix_latex(inst.sigma_x)}$, $\Sigma_{{yx}} = {matrix_latex(inst.sigma_yx)}$, "
                rf"$\lambda = {num_latex(inst.lam)}$" + (rf", $\kappa = {num_latex(inst.kappa)}$" if kind == "ema" else ""))
        body += [r"\section{Stability on a numeric instance}",
                 (rf"The moments of \texttt{{random\_moments({m}, seed={seed})}}, " if given is None else "The given moments, ")
                 + data + rf". \eqref{{eq:{lab}-E1}} solved by {Vs[0].info['method'] if Vs else 'the solver'} "
                 rf"({Vs[0].info['complex_count'] if Vs else 0} complex roots). Each row is one full-rank variety; the "
                 r"neutral count is the number of zero eigenvalues of $J$ at a sampled point.",
                 r"\begin{center}\begin{tabular}{lcccl}" "\n"
                 r"eig$(S_k)$ & dim & neutral & max Re (non-neutral) & verdict \\ \hline" "\n"
                 + "\n".join(rows) + "\n" + r"\end{tabular}\end{center}"]
        origin = stability(inst.kernel(kind), np.zeros(inst.state_dimension(kind)))
        body.append(rf"At the origin the eigenvalues are $\{{{num_list(sorted(set(np.round(origin.eigenvalues.real, 6).tolist())))}\}}$: "
                    rf"{origin.verdict}" + (" (collapse is locally attracting)." if origin.verdict == "asymptotically stable"
                                             else "."))
    return document(f"Linear SSL, {KIND_TITLES[kind]}: derivation", body)
