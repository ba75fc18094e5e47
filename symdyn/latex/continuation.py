"""A paragraph (and a LaTeX document) stating the events of a continuation: every number and verdict comes from
the :class:`~symdyn.continuation.ContinuationResult` and, where the model has one, from a closed-form condition
computed from the model (each condition's formula is ``sympy.latex`` of a derived expression)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .document import document, num_latex

if TYPE_CHECKING:
    from ..continuation import ContinuationResult, Event

__all__ = ["continuation_paragraph", "continuation_document", "match_conditions"]

PARAM_TEX = {"lam": r"\lambda", "kappa": r"\kappa", "beta": r"\beta", "eta": r"\eta", "mu": r"\mu"}
KIND_TEXT = {"fold": "a fold (limit point)", "branch point": "a branch point", "hopf": "a Hopf point",
             "real crossing": "a real eigenvalue crossing zero"}


def match_conditions(events: Sequence[Event], conditions: Sequence[dict], rtol: float = 1e-6,
                     scale: float = 0.0) -> list:
    """For each event, (the closed-form condition of a compatible kind whose parameter value is nearest, the
    difference relative to max(|μ*|, ``scale``)) when within ``rtol``, else None (``scale``: the size of the
    parameter interval, for a condition at μ* = 0).

    Examples
    --------
    >>> from symdyn import LinearSSL
    >>> from symdyn.models.ssl_continuation import continue_ssl
    >>> res = continue_ssl(LinearSSL(1, 2, [[1.2]], [[0.7]], lam=0.02), "sg", "lam", mu_range=(1e-3, 0.3))
    >>> fold = {"kind": "fold", "kinds": ("fold",), "mu": 0.7**2 / (4 * 1.2), "tex": "", "where": "", "source": ""}
    >>> [(c["kind"], diff < 1e-12) for c, diff in match_conditions(res.events, [fold])]
    [('fold', True)]
    """
    out = []
    for e in events:
        best = None
        for c in conditions:
            kinds = c.get("kinds", (c["kind"],))
            if e.kind not in kinds or ("split" in c and c["split"] != e.info.get("split", c["split"])):
                continue
            d = abs(c["mu"] - e.mu) / max(abs(c["mu"]), scale, 1e-300)
            if d <= rtol and (best is None or d < best[1]):
                best = (c, d)
        out.append(best)
    return out


def continuation_paragraph(result: ContinuationResult, conditions: Sequence[dict] = ()) -> str:
    r"""LaTeX prose: what was continued, then one sentence per event (type, parameter value, the verdicts on either
    side, and the closed-form value it agrees with and their relative difference, when a condition matches).

    Examples
    --------
    >>> from symdyn import LinearSSL
    >>> from symdyn.models.ssl_continuation import continue_ssl
    >>> res = continue_ssl(LinearSSL(1, 2, [[1.2]], [[0.7]], lam=0.02), "sg", "lam", mu_range=(1e-3, 0.3))
    >>> print(continuation_paragraph(res).splitlines()[1])           # the fold at λ = τ²/(4ρ) = 0.1021
    A fold (limit point) at $\lambda = 0.1021$ on a rank-1 branch; the branch is saddle before it and asymptotically stable after it.
    """
    p = PARAM_TEX.get(result.param, result.param)
    n_ev = len(result.events)
    text = [f"Pseudo-arclength continuation in ${p}$ of {result.problem_name} traced {len(result.branches)} "
            f"branch{'es' if len(result.branches) != 1 else ''} and located {n_ev} event{'s' if n_ev != 1 else ''}"
            + ("." if n_ev else " (no fold, branch point or change of stability in the interval).")]
    scale = max((float(abs(b.mu).max()) for b in result.branches if len(b.mu)), default=0.0)
    for e, match in zip(result.events, match_conditions(result.events, conditions, scale=scale)):
        s = f"{KIND_TEXT.get(e.kind, e.kind).capitalize()} at ${p} = {num_latex(e.mu)}$"
        if "split" in e.info:
            s += f" on the split $(n_+, n_-) = ({e.info['split'][0]}, {e.info['split'][1]})$"
        if "rank" in e.info:
            s += f" on a rank-{e.info['rank']} branch"
        if e.kind in ("hopf",) and e.eigenvalue is not None:
            s += f" (the crossing pair $\\pm {num_latex(abs(e.eigenvalue.imag))}\\,i$)"
        if e.before and e.after:
            s += f"; the branch is {e.before} before it and {e.after} after it"
        if match is not None:
            c, d = match
            s += (f"; closed form: ${c['tex']}$" + (f", ${c['where']}$" if c.get("where") else "")
                  + f" gives ${p}^* = {num_latex(c['mu'])}$ (relative difference ${num_latex(d)}$)")
        text.append(s + ".")
    if result.notes:
        text.append("Notes: " + "; ".join(result.notes) + ".")
    return "\n".join(text)


def continuation_document(result: ContinuationResult, conditions: Sequence[dict] = (), title: str | None = None) -> str:
    r"""A compilable LaTeX article around :func:`continuation_paragraph`.

    Examples
    --------
    >>> from symdyn import LinearSSL
    >>> from symdyn.models.ssl_continuation import continue_ssl
    >>> res = continue_ssl(LinearSSL(1, 2, [[1.2]], [[0.7]], lam=0.02), "sg", "lam", mu_range=(1e-3, 0.3))
    >>> tex = continuation_document(res)
    >>> tex.startswith("\\documentclass"), "A fold (limit point)" in tex
    (True, True)
    """
    return document(title or f"Continuation of {result.problem_name}", [continuation_paragraph(result, conditions)])
