"""The derivation document of self-attention on the sphere (``attention.md`` §1–§5)."""
from __future__ import annotations

import functools

import sympy as sp

from ..models.attention import bipartite_spectrum_symbolic, consensus_spectrum_symbolic
from ..models.oja import OjaFlow
from .document import align, document, equation, latex, num_latex

__all__ = ["attention_document"]

@functools.lru_cache(maxsize=None)  # a document is a pure function of its arguments: built once
def attention_document(d: int = 3) -> str:
    r"""Self-attention on the sphere: the field, its Oja reductions, Theorems A and B (attention.md §1–§5).

    Examples
    --------
    >>> import re
    >>> tex = attention_document()
    >>> re.findall(r"\\label\{(eq:[^}]*)\}", tex)[:3]
    ['eq:attn-softmax', 'eq:attn-field', 'eq:attn-oja']
    """
    xi, xj, xk = (sp.MatrixSymbol(f"x_{s}", d, 1) for s in "ijk")
    M, V = sp.MatrixSymbol("M", d, d), sp.MatrixSymbol("V", d, d)
    beta = sp.Symbol("beta", nonnegative=True)
    i, j, k, n = sp.symbols("i j k n", integer=True)
    ell = beta * (xi.T * M * xj)
    body = [r"\section{Model}",
            rf"Tokens $x_i \in S^{{{d - 1}}}$, $i = 1,\dots,n$; logits and softmax attention:",
            equation(rf"\ell_{{ij}} = {latex(ell)},\qquad a_{{ij}} = \frac{{e^{{\ell_{{ij}}}}}}{{\sum_k e^{{\ell_{{ik}}}}}}",
                     "attn-softmax"),
            equation(r"\dot x_i = P_{x_i}\, m_i,\qquad m_i = \sum_j a_{ij} " + latex(V * xj)
                     + r",\qquad P_x = I - x x^\top", "attn-field"),
            r"\section{Consensus manifold: the Oja flow}"]
    oja = OjaFlow(d=d).field()
    (x, fx), = oja.matrix_form.items()
    body += [r"On $\{x_1=\dots=x_n=x\}$ the rows of $A$ sum to one, so \eqref{eq:attn-field} is exactly the Oja flow",
             equation(rf"\dot {latex(x)} = {latex(fx)}", "attn-oja")]
    A = consensus_spectrum_symbolic()
    body += [r"\section{Theorem A (consensus)}",
             r"At $x_i = v$ with $Vv = \lambda v$ the tangent Jacobian has eigenvalues",
             equation(rf"{latex(A['synchronous'][0])}\ (\text{{each other eigenvalue }}\lambda_k),\qquad "
                      rf"{latex(A['disagreement'][0])}\ \text{{with multiplicity }} {latex(A['disagreement'][1])}",
                      "attn-theorem-A"),
             r"so consensus is asymptotically stable iff $\lambda$ is the simple principal eigenvalue and $\lambda > 0$."]
    B = bipartite_spectrum_symbolic()
    tr_k, det_k = _trace_det_in_weights(B)
    body += [r"\section{Theorem B (bipartite consensus)}",
             r"At $x_i = s_i v$ with $n_\pm$ tokens at $\pm v$, $\gamma = \beta v^\top M v$, a token gives the weight "
             r"$p_\pm$ to its own group and $q_\pm = 1 - p_\pm$ to the other:",
             equation(rf"p_+ = {latex(B['p_plus'])},\qquad p_- = {latex(B['p_minus'])}", "attn-weights"),
             equation(r"d_\pm = p_\pm - q_\pm = 2p_\pm - 1,\qquad B_k = \lambda_k\begin{pmatrix} p_+ & q_+ \\ q_- & p_- "
                      r"\end{pmatrix} - \lambda\operatorname{diag}(d_+, d_-)", "attn-Bk"),
             r"whose trace and determinant, computed from \eqref{eq:attn-Bk} (and checked against the expanded forms in "
             r"$n_\pm$, $\gamma$), are",
             align([(r"\operatorname{tr} B_k", f"= {tr_k}", "attn-trBk"), (r"\det B_k", f"= {det_k}", "attn-detBk")]),
             r"Eigenvalues: $-\lambda d_+$ and $-\lambda d_-$ (within-group modes) and the spectra of $B_k$. Asymptotically "
             r"stable iff $\lambda d_\pm > 0$ (groups of size $\ge 2$), $\operatorname{tr} B_k < 0$ and $\det B_k > 0$ "
             r"for all $k$."]
    U = bipartite_spectrum_symbolic("uniform")
    _, det_u = _trace_det_in_weights(U)
    body += [r"\section{The $1/n$ normalisation (USA)}",
             r"With $a_{ij} = e^{\beta x_i^\top M x_j}/n$ the rows no longer sum to one. The same computation (the "
             r"weights' derivative multiplies $Vx_j \parallel v$, normal to the sphere) gives Theorem B with the weights "
             r"a token gives its own group ($p_\pm$) and the other group ($q_\pm$), now not summing to one:",
             equation(rf"p_+ = {latex(U['p_plus'])},\quad p_- = {latex(U['p_minus'])},\quad "
                      rf"q_+ = {latex(U['q_plus'])},\quad q_- = {latex(U['q_minus'])}", "attn-usa-weights"),
             r"with $d_\pm = p_\pm - q_\pm$, $B_k$ as in \eqref{eq:attn-Bk}, the same stability conditions and",
             equation(rf"\det B_k = {det_u},", "attn-usa-detBk"),
             r"At consensus ($n_- = 0$) every weight is $e^\gamma/n$: Theorem A's "
             r"eigenvalues times $e^\gamma$, the same verdict. The registry entry "
             r"\texttt{attn.bipartite-stability-usa} checks both forms against the numerical Jacobian on random instances."]
    lam_, lk_ = sp.symbols("lambda lambda_k", real=True)
    slow = {}
    for norm, Bn in (("softmax", B), ("uniform", U)):  # V = I: λ_k = λ = 1
        ev = [sp.simplify(e) for e in Bn["B_k"].subs({lam_: 1, lk_: 1}).eigenvals()]
        slow[norm] = sp.simplify(sum(ev))  # one eigenvalue is 0 (the circle of splits), the other their sum
        zero = [e for e in ev if sp.simplify(e) == 0]
    body += [r"\section{Bipodal saddles and their escape time}",
             r"With $V = I$ on a plane $P$, every antipodal split $x_i = \pm v$ with $v \in P$ is an equilibrium for any $M$ "
             r"(a circle of them). Theorem B with $\lambda_k = \lambda = 1$ gives $B = \begin{pmatrix} q_+ & q_+ \\ q_- & q_- "
             r"\end{pmatrix}$, with one eigenvalue " + ("$0$ (along the circle)" if zero else "(not zero)")
             + r" and one unstable eigenvalue $\mu = q_+ + q_-$:",
             equation(rf"\mu_{{\text{{softmax}}}} = {latex(slow['softmax'])},\qquad \mu_{{1/n}} = "
                      rf"{latex(slow['uniform'])}", "attn-escape-rate"),
             r"small for large $\gamma = \beta v^\top M v$ (metastability): from a perturbation whose component "
             r"along the unstable direction is $c$, a trajectory leaves a neighbourhood of size $r$ after "
             r"$T = \ln(r/c)/\mu$. The registry entry \texttt{attn.bipodal-escape} compares $\mu$ and $T$ with "
             r"simulated dwell times (anisotropic $M$, both normalisations, on $S^1$ and on $S^2$ with "
             r"$V = \operatorname{diag}(1, 1, c)$, where $\mu$ stays the only unstable eigenvalue for the drawn $c$; "
             r"with $V = I$ on $S^2$ it is double)."]
    body += _rotating_section()
    return document("Self-attention dynamics on the sphere: derivation", body)


def _trace_det_in_weights(B: dict) -> tuple[str, str]:
    """(tr B_k, det B_k) typeset in the weights p±, q±, d± of :func:`.bipartite_spectrum_symbolic`'s B_k, computed
    from B_k with those weights as symbols; raises if, with their definitions substituted, they differ from the
    expanded trace and determinant the model derived."""
    lam, lk = sp.symbols("lambda lambda_k", real=True)
    w = dict(zip(("p_plus", "p_minus", "q_plus", "q_minus", "d_plus", "d_minus"),
                 sp.symbols("p_+ p_- q_+ q_- d_+ d_-", real=True)))
    Bw = lk * sp.Matrix([[w["p_plus"], w["q_plus"]], [w["q_minus"], w["p_minus"]]]) - lam * sp.diag(w["d_plus"], w["d_minus"])
    parts = sp.collect(sp.expand(Bw.det()), [lk ** 2, lam * lk, lam ** 2], evaluate=False)
    tr = Bw.trace()
    def term(k, c):  # the coefficient of the monomial k factored, its sign in front: −λλ_k(d₊p₋ + d₋p₊)
        c = sp.factor(c)
        return sp.Mul(-1, k, -c, evaluate=False) if c.could_extract_minus_sign() else sp.Mul(k, c, evaluate=False)
    det = sp.Add(*[term(k, c) for k, c in parts.items()], evaluate=False)
    back = {w[k]: B[k] for k in w}
    for mine, theirs in ((tr, B["B_k"].trace()), (det, B["B_k"].det())):
        if sp.simplify(mine.subs(back) - theirs) != 0:
            raise AssertionError("attention document: tr/det of B_k in the weights do not match the model's")
    return latex(tr), latex(det)


def _rotating_section() -> list:
    """Rotating relative equilibria: the fit f = XΩᵀ and the co-rotating verdict, computed on an example."""
    import numpy as np

    from ..classify import relative_equilibrium
    from ..models.attention import SelfAttention

    rows = []
    for a in (0.5, -0.5):
        V = np.array([[a, -1.0, 0.0], [1.0, a, 0.0], [0.0, 0.0, -0.8]])
        rel = relative_equilibrium(SelfAttention(4, 3, V=V, beta=1.0), np.tile([0.6, 0.8, 0.0], (4, 1)))
        rows.append(rf"$a = {a:g}$ & ${num_latex(rel.angular_velocity)}$ & {rel.stability.verdict} \\")
    return [r"\section{Rotating relative equilibria}",
            r"When $V$ acts on a plane $P$ as $aI + bJ$ (eigenvalues $a \pm ib$) and $M$ commutes with its rotations, "
            r"consensus on $P$ is not an equilibrium but turns rigidly: $f(X) = X\Omega^\top$ with $\Omega$ antisymmetric "
            r"(fitted by least squares; \texttt{symdyn.classify.relative\_equilibrium}). In the co-rotating frame "
            r"$g = f - X\Omega^\top$ vanishes at $X$, and its tangent Jacobian, modulo the rotation orbit, gives the "
            r"verdict. Computed for $n = 4$, $d = 3$, $b = 1$, third eigenvalue $-0.8$, $\beta = 1$:",
            "\\begin{center}\n\\begin{tabular}{lll}\n$V|_P$ & angular velocity $\\|\\Omega\\|_2$ & co-rotating verdict "
            "\\\\ \\hline\n" + "\n".join(rows) + "\n\\end{tabular}\n\\end{center}",
            r"The registry entry \texttt{attn.rotating-consensus} checks $\|\Omega\| = |b|$ and Theorem A's condition "
            r"with $\lambda = a$ ($a > 0$ and $a > \lambda_k$) on random instances."]
