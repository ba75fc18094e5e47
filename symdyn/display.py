"""Rich display in Jupyter: HTML tables for reports and results, LaTeX for mathematics.

Jupyter shows an object through its ``_repr_html_`` / ``_repr_latex_`` methods.  The classes that have them
(:class:`symdyn.VectorField`, :class:`symdyn.equilibria.EquilibriumComponent` and ``EquilibriumSet``,
:class:`symdyn.stability.StabilityReport`, :class:`VerifyReport`, :class:`ExperimentResult`) build their output
from the helpers here, so tables look the same everywhere.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable

__all__ = ["markdown_table_html", "VerifyReport", "ExperimentResult"]


def _cell(text: str) -> str:
    """One Markdown cell as HTML: escaped, with `code` spans kept as <code>."""
    parts = re.split(r"(`[^`]*`)", text.strip())
    return "".join(f"<code>{html.escape(p[1:-1])}</code>" if p.startswith("`") and p.endswith("`") else html.escape(p)
                   for p in parts)


def markdown_table_html(markdown: str) -> str:
    """A Markdown pipe table (header, ``|---|`` rule, rows; other lines become paragraphs) as an HTML table.

    Examples
    --------
    >>> print(markdown_table_html("| a | b |\\n|---|---|\\n| 1 | `x` |"))
    <table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td><code>x</code></td></tr></tbody></table>
    """
    out, rows, head = [], [], None
    for line in markdown.splitlines():
        if line.startswith("|"):
            cells = [c for c in line.strip().strip("|").split("|")]
            if all(re.fullmatch(r"\s*:?-+:?\s*", c) for c in cells):
                continue
            if head is None:
                head = cells
            else:
                rows.append(cells)
        elif line.strip():
            out.append(f"<p>{_cell(line)}</p>")
    if head is not None:
        table = ("<table><thead><tr>" + "".join(f"<th>{_cell(c)}</th>" for c in head) + "</tr></thead><tbody>"
                 + "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in r) + "</tr>" for r in rows)
                 + "</tbody></table>")
        out.insert(0, table)
    return "\n".join(out)


class VerifyReport(list):
    """The reports of :func:`symdyn.theorems.verify` (a list of ``TheoremReport``), shown as the Markdown table of
    :func:`symdyn.theorems.format_report` (``str``) or an HTML table (Jupyter); ``ok`` when every claim is verified
    or not applicable.

    Examples
    --------
    >>> from symdyn.theorems import verify
    >>> report = verify(["ssl.gf-collapse"], instances=3, progress=False)
    >>> report.ok, str(report).splitlines()[0].split(" | ")[:3]
    (True, ['| id', 'kind', 'instances'])
    """

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self)

    def __str__(self) -> str:
        from .theorems.registry import format_report

        return format_report(self)

    def _repr_html_(self) -> str:
        return markdown_table_html(str(self))


class ExperimentResult(dict):
    """The result of a reproduced experiment (a dict, as written to JSON), shown in Jupyter as its table:
    ``table(result)`` -> Markdown (the experiment's own formatter), or by default its scalar entries as rows.

    Examples
    --------
    >>> res = ExperimentResult({"trials": 10, "outer": 0.8, "ends": [1, 2]})
    >>> print(res.table())                                 # the list is not a scalar: not a row
    | quantity | value |
    |---|---|
    | trials | 10 |
    | outer | 0.8 |
    >>> res._repr_html_().startswith("<table><thead><tr><th>quantity</th>")
    True
    """

    def __init__(self, data: dict, table: Callable[[dict], str] | None = None):
        super().__init__(data)
        self._table = table

    def table(self) -> str:
        """The experiment's Markdown table (the one ``symdyn reproduce`` prints)."""
        if self._table is None:
            rows = [f"| {k} | {v} |" for k, v in self.items() if isinstance(v, (int, float, str))]
            return "\n".join(["| quantity | value |", "|---|---|"] + rows)
        return self._table(self)

    def _repr_html_(self) -> str:
        return markdown_table_html(self.table())
