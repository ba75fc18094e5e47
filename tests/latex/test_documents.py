"""Derivation documents: committed == regenerated, they compile, and the verdicts they print are computed."""
import shutil
import subprocess
from pathlib import Path

import pytest

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
    assert (ROOT / "derivations" / f"{name}.tex").read_text() == make()


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no pdflatex on this machine (make pdf installs it)")
def test_derivation_compiles(tmp_path):
    src = tmp_path / "sg.tex"
    src.write_text(ssl_document("sg"))
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", src.name], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert (tmp_path / "sg.pdf").stat().st_size > 1000


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no pdflatex on this machine (make pdf installs it)")
def test_discrete_and_continuation_documents_compile(tmp_path):
    import numpy as np

    from symdyn.latex.continuation import continuation_document
    from symdyn.models.ssl_continuation import closed_form_conditions, continue_ssl
    from symdyn.models.ssl_linear import LinearSSL

    model = LinearSSL(1, 2, np.array([[1.2]]), np.array([[0.7]]), np.eye(1), 0.02)
    res = continue_ssl(model, "sg", "lam", mu_range=(1e-3, 0.3), ds=0.01)
    for name, text in (("disc", _discrete()), ("cont", continuation_document(res, closed_form_conditions(model)))):
        (tmp_path / f"{name}.tex").write_text(text)
        proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout[-2000:]


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
    assert r"The given moments, $\lambda = 0.05$, $\kappa = 0.7$" in tex
    rows = [ln for ln in tex.splitlines() if ln.endswith(r"\\") and "&" in ln and "$" in ln and "eig" not in ln]
    verdicts = sorted(ln.split("&")[-1].strip(" \\") for ln in rows)
    assert verdicts == sorted(V.stability(seed=0).verdict for V in model.equilibria("ema"))
    with pytest.raises(TypeError, match="model"):
        ssl_document("sg", model=LinearSSL(1, 2))
    with pytest.raises(ValueError, match="model: the EMA document needs a numeric kappa"):
        ssl_document("ema", model=LinearSSL(1, 2, [[2.0]], [[1.0]], lam=0.05))
    assert np.isfinite(model.lam)
