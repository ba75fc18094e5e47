"""The outputs users keep: theorem registry, `symdyn verify`, LaTeX derivations (committed == regenerated)."""
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from symdyn.cli import main
from symdyn.latex import attention_document, deep_linear_document, directpred_document, ssl_document
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
                                       ("directpred", directpred_document), ("deep_linear", deep_linear_document)])
def test_committed_derivations_equal_the_regenerated_ones(name, make):
    assert (ROOT / "derivations" / f"{name}.tex").read_text() == make()


def test_derive_cli_writes_a_complete_document(tmp_path):
    out = tmp_path / "d.tex"
    assert main(["derive", "ssl", "--kind", "ema", "--m", "1", "--n", "2", "--out", str(out)]) == 0
    tex = out.read_text()
    assert tex.startswith("\\documentclass") and tex.rstrip().endswith("\\end{document}")
    assert "\\dot C" in tex and "Routh" in tex
    assert main(["derive", "transformer"]) == 2


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no pdflatex on this machine (make pdf installs it)")
def test_derivation_compiles(tmp_path):
    src = tmp_path / "sg.tex"
    src.write_text(ssl_document("sg"))
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", src.name], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert (tmp_path / "sg.pdf").stat().st_size > 1000
