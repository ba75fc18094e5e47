"""The derivation document of any VectorField (a user's model): field, Jacobian, gradient test, and for a small
polynomial field its real equilibrium components with a verdict at one point of each."""
from __future__ import annotations


from ..equilibria import equilibrium_components
from ..field import VectorField
from ..stability import stability
from .document import document, equation, latex, num_latex

__all__ = ["field_document"]

def field_document(field: VectorField, title: str | None = None, max_jacobian_dim: int = 8) -> str:
    """A complete derivation document for any VectorField (a user's model): the field, its Jacobian
    (D ≤ ``max_jacobian_dim``), the gradient test (curl), and — for a polynomial field with ≤ 6 states and
    no free parameters — every equilibrium component with its dimension, defining equations and the
    stability verdict at one real point of each (complex roots are never listed).

    Examples
    --------
    >>> import sympy as sp
    >>> from symdyn import VectorField
    >>> x, y = sp.symbols("x y", real=True)
    >>> tex = field_document(VectorField([x, y], [x - x**3, -y], name="toy flow"))
    >>> tex.startswith(chr(92) + "documentclass"), "label{eq:field}" in tex, "saddle" in tex
    (True, True, True)
    """
    if not isinstance(field, VectorField):
        raise TypeError(f"field: expected a symdyn VectorField, got {type(field).__name__}")
    tex = lambda e: latex(e, field.latex_names)  # noqa: E731
    kind = field.name.replace("_", r"\_")
    body = [r"\section{Field}", rf"The {kind}:", equation(field.latex(), "field")]
    if field.dimension <= max_jacobian_dim:
        body += [r"\section{Jacobian}", r"The Jacobian of \eqref{eq:field}:",
                 equation(r"J = " + tex(field.jacobian()), "jacobian")]
    grad = field.is_gradient()
    if grad.is_gradient:
        body += [r"\section{Gradient structure}", r"The curl $(J - J^\top)/2$ vanishes identically: the field is "
                 r"locally the gradient flow of a potential."]
    else:
        i, j = next((i, j) for i in range(field.dimension) for j in range(i + 1, field.dimension) if grad.curl[i, j] != 0)
        body += [r"\section{Gradient structure}",
                 rf"$\tfrac12(J - J^\top)_{{{i + 1}{j + 1}}} = {tex(grad.curl[i, j])} \neq 0$ ({grad.method}): by "
                 r"Schwarz's theorem the field is not the gradient flow of any smooth function."]
    if field.is_polynomial and field.dimension <= 6 and not field.params:
        rows = []
        kernel = field.lambdify(form="entrywise")
        try:
            comps = equilibrium_components(field)
        except ValueError as exc:  # beyond what the exact method finishes: say so in the document
            comps = None
            body += [r"\section{Equilibria}", r"Not computed: \texttt{symdyn.equilibrium\_components} refused ("
                     + str(exc).replace("_", r"\_").replace("^", r"\^{}") + ")."]
        for comp in comps or ():
            x = comp.point
            verdict = stability(kernel, x, manifold_dim=comp.dimension).verdict
            if verdict == "asymptotically stable" and comp.dimension:
                verdict += " (normally hyperbolic)"
            if not comp.certified:
                verdict += " (not certified)"
            eqs = ", ".join(tex(e) + " = 0" for e in comp.equations) or "-"
            rows.append(rf"{comp.dimension} & ${eqs}$ & $({', '.join(num_latex(v) for v in x)})$ & {verdict} \tabularnewline")
        if comps is not None:
            body += [r"\section{Equilibria}",
                     r"Real components of $\{f = 0\}$ (\texttt{symdyn.equilibrium\_components}; complex roots are not "
                     r"equilibria and are not listed), with the verdict of \texttt{symdyn.stability} at one real point "
                     r"of each:",
                     "\\begin{center}\n\\begin{tabular}{l>{\\raggedright}p{0.38\\textwidth}>{\\raggedright}"
                     "p{0.22\\textwidth}p{0.22\\textwidth}}\ndim & equations & point & verdict \\tabularnewline "
                     "\\hline\n"
                     + "\n".join(rows) + "\n\\end{tabular}\n\\end{center}"]
    return document(title or field.name.replace("_", r"\_"), body)
