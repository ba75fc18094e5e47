"""Jupyter display: the HTML and LaTeX that notebooks show are built from the computed results."""
import numpy as np

from symdyn import LinearSSL
from symdyn.display import ExperimentResult, VerifyReport, markdown_table_html


def test_equilibrium_set_and_stability_render_their_computed_values():
    model = LinearSSL(1, 2, [[2.0]], [[1.0]], lam=0.05, kappa=0.7)
    es = model.equilibrium_set("sg")
    tex = es._repr_latex_()
    assert tex.startswith("$$") and tex.endswith("$$") and f"{len(es)} components" in tex
    for comp in es:  # each component's spectrum of S, as computed
        ev = np.linalg.eigvalsh(comp.info["S"])
        assert ", ".join(f"{v:.4g}" for v in ev) in tex
    rep = es[-1].stability()
    assert rep.verdict in rep._repr_latex_() and f"{rep.max_real_nonneutral:.4g}" in rep._repr_latex_()
    field = model.field("sg")
    assert field._repr_latex_().startswith("$$\\begin{aligned}") and "\\dot{" in field._repr_latex_()


def test_verify_report_and_experiment_results_render_as_html_tables():
    from symdyn.experiments.ssl_m1 import format_table, run
    from symdyn.theorems import verify

    reports = verify(["ssl.m1-spheres"], instances=2, progress=False, counterexample_dir=None)
    assert isinstance(reports, VerifyReport) and reports.ok == all(r.ok for r in reports)
    html = reports._repr_html_()
    assert html.count("<tr>") == 1 + len(reports) and f"<td>{reports[0].status}</td>" in html
    res = run(trials=8, steps=2000, all_trials=0, out=None, progress=False)
    assert isinstance(res, ExperimentResult) and res.table() == format_table(res)
    assert res._repr_html_() == markdown_table_html(format_table(res))


def test_markdown_table_html_escapes_and_keeps_code():
    html = markdown_table_html("| a<b | c |\n|---|:-:|\n| `x` | 1 |\nnote & more")
    assert "<th>a&lt;b</th>" in html and "<td><code>x</code></td>" in html and "<p>note &amp; more</p>" in html
