"""Derivation documents: committed == regenerated, they compile, and the verdicts they print are computed."""
import shutil
from pathlib import Path

import pytest

from symdyn.latex.compile import compile_tex, log_problems
from symdyn.latex.document import split_body
from symdyn.latex import (attention_document, deep_linear_document, directpred_document, oja_subspace_document,
                          ssl_document)

ROOT = Path(__file__).resolve().parents[2]


def _discrete():
    from symdyn.latex.discrete import discrete_document

    return discrete_document()


@pytest.mark.parametrize("name,make", [("ssl_sg", lambda: ssl_document("sg")), ("ssl_ema", lambda: ssl_document("ema")),
                                       ("ssl_gf", lambda: ssl_document("gf")), ("attention", attention_document),
                                       ("directpred", directpred_document), ("deep_linear", deep_linear_document),
                                       ("oja_subspace", oja_subspace_document), ("discrete", _discrete)])
def test_committed_derivations_equal_the_regenerated_ones(name, make):
    wrapper, body = split_body(make(), f"{name}_body")
    assert (ROOT / "derivations" / f"{name}.tex").read_text() == wrapper
    assert (ROOT / "derivations" / f"{name}_body.tex").read_text() == body


def _continuation_text():
    import numpy as np

    from symdyn.latex.continuation import continuation_document
    from symdyn.models.ssl_continuation import closed_form_conditions, continue_ssl
    from symdyn.models.ssl_linear import LinearSSL

    model = LinearSSL(1, 2, np.array([[1.2]]), np.array([[0.7]]), np.eye(1), 0.02)
    res = continue_ssl(model, "sg", "lam", mu_range=(1e-3, 0.3), ds=0.01)
    return continuation_document(res, closed_form_conditions(model))


def _user_field_text():
    """A user's stop-gradient field with long polynomial equations (derive field's path)."""
    import sympy as sp

    from symdyn import VectorField
    from symdyn.latex import field_document

    a, b, c, lam, tau = sp.symbols("a b c lambda tau", real=True)
    F = (b * a - tau * c) ** 2 / 2 + (b * a ** 2 - c) ** 4 / 4 + lam * (a ** 2 + b ** 2) / 2
    vf = VectorField.from_objective(F.subs({lam: sp.Rational(1, 10), tau: sp.Rational(6, 5)}), [a, b],
                                    stop_gradient={c: a})
    return field_document(vf)


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no pdflatex on this machine (make pdf installs it)")
def test_every_document_compiles_without_overfull_boxes_or_undefined_references(tmp_path):
    """Each committed derivation (its standalone wrapper, which inputs the body), a continuation document and a
    user field's document: pdflatex succeeds, and its log has no overfull box and no undefined reference."""
    sources = sorted(p for p in (ROOT / "derivations").glob("*.tex") if not p.stem.endswith("_body"))
    assert len(sources) == 8
    for name, text in (("continuation", _continuation_text()), ("user_field", _user_field_text())):
        (tmp_path / f"{name}.tex").write_text(text)
        sources.append(tmp_path / f"{name}.tex")
    for src in sources:
        rep = compile_tex(src, tmp_path / "out")
        assert rep.ok, (src.name, rep.problems)
    assert "stop-gradient flow" in (tmp_path / "user_field.tex").read_text()  # not titled "gradient flow"


def test_log_problems_are_read_from_the_log():
    log = ("Overfull \\hbox (84.1pt too wide) detected at line 58\n"
           "LaTeX Warning: Reference `eq:E1' on page 2 undefined on input line 12.\n"
           "Underfull \\hbox (badness 10000) in paragraph at lines 1--2\n")
    assert log_problems(log) == ["overfull box 84.1pt detected at line 58", "undefined reference eq:E1"]


@pytest.mark.parametrize("kind", ["sg", "ema"])
def test_m1_routh_hurwitz_verdicts_agree_with_the_spectrum_of_instances(kind):
    """The verdicts the document prints (decided symbolically by LinearSSL.m1_branch_linearisation) against the
    eigenvalues of the derived Jacobian at the computed spheres of random numeric instances."""
    import numpy as np

    from symdyn import LinearSSL

    verdicts = LinearSSL.m1_branch_linearisation(kind)["verdicts"]
    rng = np.random.default_rng(5)
    for _ in range(4):
        rho, tau = rng.uniform(0.5, 2.0), rng.uniform(0.5, 1.5)
        lam = rng.uniform(0.05, 0.9) * tau ** 2 / (4 * rho)            # Δ > 0: both spheres exist
        model = LinearSSL(1, 1, [[rho]], [[tau]], lam=lam, kappa=rng.uniform(0.2, 2.0))
        inner, outer = model.equilibria(kind)                          # sorted by trace(S)
        assert inner.stability().verdict == verdicts["inner"]
        assert outer.stability().verdict == verdicts["outer"]


def test_ssl_document_takes_a_model_and_uses_its_data():
    import numpy as np

    from symdyn import LinearSSL

    model = LinearSSL(1, 2, [[2.0]], [[1.0]], lam=0.05, kappa=0.7)
    tex = ssl_document("ema", model=model)
    assert (r"The given moments, $\Sigma_x = \begin{pmatrix}2\end{pmatrix}$, $\Sigma_{yx} = \begin{pmatrix}1\end{pmatrix}$, "
            r"$\lambda = 0.05$, $\kappa = 0.7$") in tex  # the instance's data are printed
    rows = [ln for ln in tex.splitlines() if ln.endswith(r"\\") and "&" in ln and "$" in ln and "eig" not in ln]
    verdicts = sorted(ln.split("&")[-1].strip(" \\") for ln in rows)
    assert verdicts == sorted(V.stability(seed=0).verdict for V in model.equilibria("ema"))
    with pytest.raises(TypeError, match="model"):
        ssl_document("sg", model=LinearSSL(1, 2))
    with pytest.raises(ValueError, match="model: the EMA document needs a numeric kappa"):
        ssl_document("ema", model=LinearSSL(1, 2, [[2.0]], [[1.0]], lam=0.05))
    assert np.isfinite(model.lam)


def test_split_body_refuses_text_that_is_not_an_article():
    with pytest.raises(ValueError, match="text: expected a document"):
        split_body("\\section{A} no article", "a_body")
