"""The outputs users keep: theorem registry, `symdyn verify`, LaTeX derivations (committed == regenerated)."""
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from symdyn.cli import main
from symdyn.latex import (attention_document, deep_linear_document, directpred_document, oja_subspace_document,
                          ssl_document)
from symdyn.theorems import THEOREMS, CheckResult, Theorem, verify

ROOT = Path(__file__).resolve().parents[1]


def test_every_theorem_holds_on_a_few_instances(tmp_path):
    reports = verify(instances=3, seed=1, progress=False, counterexample_dir=tmp_path)
    assert [r.id for r in reports] == list(THEOREMS)
    for r in reports:
        assert r.errors == 0, (r.id, r.first_error)
        assert r.refuted == 0, (r.id, r.counterexample)
        assert r.passed + r.not_applicable == 3


def test_a_refuted_claim_is_reported_with_a_counterexample(tmp_path, monkeypatch):
    """A false 'theorem' (λ_max of a random symmetric matrix is negative) is refuted, not hidden."""
    def gen(rng):
        G = rng.standard_normal((3, 3))
        return {"M": (G + G.T) / 2}

    def check(inst):
        top = float(np.linalg.eigvalsh(inst["M"]).max())
        return CheckResult(top < 0, top)

    def broken(inst):
        raise RuntimeError("boom")

    monkeypatch.setitem(THEOREMS, "fake.negative", Theorem("fake.negative", "", "test", "numeric", gen, check))
    monkeypatch.setitem(THEOREMS, "fake.broken", Theorem("fake.broken", "", "test", "numeric", gen, broken))
    rep, err = verify(["fake.negative", "fake.broken"], instances=10, seed=0, progress=False,
                      counterexample_dir=tmp_path)
    assert rep.refuted > 0 and rep.status.startswith("refuted on")
    saved = json.loads(Path(rep.counterexample).read_text())
    assert np.linalg.eigvalsh(np.array(saved["instance"]["M"])).max() >= 0
    assert err.errors == 10 and "boom" in err.first_error


def test_user_decay_law_is_proven_checked_and_refuted_when_false(monkeypatch, tmp_path):
    import sympy as sp

    from symdyn import VectorField
    from symdyn.theorems import decay_law, register

    a, b, c, lam = sp.symbols("a b c lam", real=True)
    F = (b * a - c) ** 2 / 2 + lam * (a ** 2 + b ** 2) / 2
    vf = VectorField.from_objective(F, [a, b], [lam], stop_gradient={c: a})
    monkeypatch.setattr("symdyn.theorems.registry.THEOREMS", dict(THEOREMS))   # registrations stay in this test
    true = register(decay_law("test.balance", vf, a ** 2 - b ** 2, 2 * lam, params={"lam": (0.0, 0.5)}))
    false = register(decay_law("test.wrong-rate", vf, a ** 2 - b ** 2, lam, params={"lam": (0.1, 0.5)}))
    ok, bad = verify([true.id, false.id], instances=8, progress=False, counterexample_dir=tmp_path)
    assert ok.status == "verified" and ok.max_residual < 1e-6
    assert bad.refuted == 8 and "symbolic residual" in json.loads(Path(bad.counterexample).read_text())["detail"]
    with pytest.raises(ValueError, match="already registered"):
        register(true)
    with pytest.raises(ValueError, match="params: give a"):
        decay_law("x", vf, a ** 2, 0)
    with pytest.raises(ValueError, match="quantity: symbols"):
        decay_law("x", vf, a * sp.Symbol("z"), 0, params={"lam": (0, 1)})
    with pytest.raises(TypeError, match="theorem: expected"):
        register("test.balance")


def test_verify_cli_imports_a_user_module(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("symdyn.theorems.registry.THEOREMS", dict(THEOREMS))
    mod = tmp_path / "my_model.py"
    mod.write_text("import sympy as sp\nfrom symdyn import VectorField\nfrom symdyn.theorems import decay_law, register\n"
                   "x, y = sp.symbols('x y', real=True)\n"
                   "vf = VectorField([x, y], [-y - x / 2, x - y / 2])\n"
                   "register(decay_law('user.rotation', vf, x ** 2 + y ** 2, 1))\n")
    assert main(["verify", "--import", str(mod), "--only", "user.rotation", "--instances", "3", "--no-progress",
                 "--out", ""]) == 0
    assert "| user.rotation | symbolic | 3 | 3 | 0 | verified |" in capsys.readouterr().out
    assert main(["verify", "--import", "no_such_module_xyz", "--list"]) == 2
    assert "cannot import" in capsys.readouterr().err


def test_derive_field_document_for_a_user_model(tmp_path, capsys):
    mod = tmp_path / "toy.py"
    mod.write_text("import sympy as sp\nfrom symdyn import VectorField\nx, y = sp.symbols('x y', real=True)\n"
                   "vf = VectorField([x, y], [x - x ** 3, -y])\n")
    out = tmp_path / "toy.tex"
    assert main(["derive", "field", "--import", str(mod), "--field", "vf", "--out", str(out)]) == 0
    tex = out.read_text()
    assert tex.startswith("\\documentclass") and tex.rstrip().endswith("\\end{document}")
    # ẋ = x − x³, ẏ = −y: a gradient field; equilibria x ∈ {−1, 0, 1}, y = 0 — stable, saddle, stable
    assert "locally the gradient flow" in tex
    rows = [ln for ln in tex.splitlines() if ln.startswith("0 & $")]
    verdicts = {ln.split("$")[3]: ln.split("&")[-1].strip(" \\") for ln in rows}
    assert verdicts == {"(-1, 0)": "asymptotically stable", "(0, 0)": "saddle", "(1, 0)": "asymptotically stable"}
    assert main(["derive", "field", "--import", str(mod), "--field", "nope"]) == 2
    assert "no VectorField named" in capsys.readouterr().err


def test_verify_cli(tmp_path, capsys):
    out = tmp_path / "verify.json"
    assert main(["verify", "--instances", "2", "--only", "ssl.m1-spheres", "attn.oja-limit", "--no-progress",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "| ssl.m1-spheres | numeric | 2 |" in text
    data = json.loads(out.read_text())
    assert {t["id"] for t in data["theorems"]} == {"ssl.m1-spheres", "attn.oja-limit"}
    assert main(["verify", "--only", "no.such", "--no-progress", "--out", ""]) == 2
    assert "valid ids" in capsys.readouterr().err
    with pytest.raises(ValueError, match="instances"):
        verify(instances=0)


@pytest.mark.parametrize("name,make", [("ssl_sg", lambda: ssl_document("sg")), ("ssl_ema", lambda: ssl_document("ema")),
                                       ("ssl_gf", lambda: ssl_document("gf")), ("attention", attention_document),
                                       ("directpred", directpred_document), ("deep_linear", deep_linear_document),
                                       ("oja_subspace", oja_subspace_document)])
def test_committed_derivations_equal_the_regenerated_ones(name, make):
    assert (ROOT / "derivations" / f"{name}.tex").read_text() == make()


def test_derive_cli_writes_a_complete_document(tmp_path):
    out = tmp_path / "d.tex"
    assert main(["derive", "ssl", "--kind", "ema", "--m", "1", "--n", "2", "--out", str(out)]) == 0
    tex = out.read_text()
    assert tex.startswith("\\documentclass") and tex.rstrip().endswith("\\end{document}")
    assert "\\dot C" in tex and "Routh" in tex
    assert main(["derive", "transformer"]) == 2
    assert main(["derive", "oja-subspace", "--d", "3", "--h", "5", "--out", str(out)]) == 2   # h > d: named error


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no pdflatex on this machine (make pdf installs it)")
def test_derivation_compiles(tmp_path):
    src = tmp_path / "sg.tex"
    src.write_text(ssl_document("sg"))
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", src.name], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert (tmp_path / "sg.pdf").stat().st_size > 1000
