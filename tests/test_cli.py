"""The CLI: `symdyn reproduce ssl-m1` at a small size, and its errors."""
import json
import subprocess
import sys

import numpy as np
import pytest

from symdyn.cli import main
from symdyn.theorems import THEOREMS, verify
from symdyn.experiments.ssl_m1 import LABELS, run


def test_reproduce_ssl_m1_small(tmp_path, capsys):
    out = tmp_path / "ssl_m1.json"
    code = main(["reproduce", "ssl-m1", "--trials", "150", "--steps", "15000", "--seed", "3",
                 "--out", str(out), "--no-progress"])
    assert code == 0
    text = capsys.readouterr().out
    assert "| SG |" in text and "| EMA |" in text and "82.0% / 18.0%" in text
    res = json.loads(out.read_text())
    assert res["config"]["seed"] == 3
    for mth in ("sg", "ema"):
        for subset in ("all", "delta_nonneg"):
            fr = res["methods"][mth][subset]
            assert abs(sum(fr[k] for k in LABELS) - 1.0) < 1e-12
        # the inner sphere is a saddle: never reached from random starts
        assert res["methods"][mth]["all"]["inner"] == 0.0


def test_trials_without_nonzero_equilibria_collapse():
    """Δ < 0: the only equilibrium is 0, so the trials must end at the origin (or diverge)."""
    res = run(trials=20, all_trials=300, steps=20000, seed=5, out=None, progress=False, per_trial=True)
    tr = res["trials"]["all"]
    neg = tr["delta"] < 0
    assert neg.sum() > 50
    assert (res["trials"]["delta_nonneg"]["delta"] >= 0).all()  # the primary table's draws
    for mth in ("sg", "ema"):
        assert np.all(tr[f"norm_a_{mth}"][neg & (tr[f"labels_{mth}"] != "elsewhere")] <= 1e-4)
        assert np.mean(tr[f"labels_{mth}"][neg] == "origin") >= 0.95
        # and trials labelled "outer" really sit at the outer radius (|τ| + √Δ)/2ρ
        outer = tr[f"labels_{mth}"] == "outer"
        r2 = (np.abs(tr["tau"]) + np.sqrt(np.clip(tr["delta"], 0, None))) / (2 * tr["rho"])
        assert np.allclose(tr[f"norm_a_{mth}"][outer], r2[outer], rtol=1e-3)
        # every "elsewhere" trial has its cause, and only those
        assert ((tr[f"why_{mth}"] != "") == (tr[f"labels_{mth}"] == "elsewhere")).all()


def test_share_of_draws_with_spheres_matches_the_integral():
    """P(Δ ≥ 0) for ρ ~ U[0,3], τ ~ U[−1,1], λ ~ U[0.01,0.1] is E[max(0, 1 − 2√(ρλ))] (τ uniform): by quadrature
    0.4767; the all-draws sampler agrees, and the redraw sampler keeps only Δ ≥ 0."""
    from scipy.integrate import dblquad

    from symdyn.experiments.ssl_m1 import draw_trials

    p, _ = dblquad(lambda lam, rho: max(0.0, 1 - 2 * np.sqrt(rho * lam)), 0, 3, 0.01, 0.1)
    p /= 3 * 0.09
    assert abs(p - 0.4767) < 5e-4
    d = draw_trials(np.random.default_rng(0), 200_000, 1, "all")
    assert abs(np.mean(d["tau"] ** 2 - 4 * d["rho"] * d["lam"] >= 0) - p) < 4e-3
    r = draw_trials(np.random.default_rng(0), 5000, 1, "delta_nonneg", "uniform", 0.5)
    assert (r["tau"] ** 2 - 4 * r["rho"] * r["lam"] >= 0).all() and np.abs(r["a0"]).max() <= 0.5 * np.sqrt(3)
    with pytest.raises(ValueError, match="sampling"):
        draw_trials(np.random.default_rng(0), 5, 1, "some")


def test_map_unstable_outer_sphere_is_what_the_flow_jacobian_says():
    """Trials explained as 'map-unstable outer' (SG): at the outer sphere the SG map I + ηJ has a multiplier
    outside the unit circle, with J the derived flow's Jacobian (independent of the finite differences the
    experiment uses), although the flow itself is stable there (Re μ ≤ 0)."""
    from symdyn import LinearSSL

    res = run(trials=4000, all_trials=0, steps=1500, seed=1, out=None, progress=False, per_trial=True, methods=("sg",))
    tr = res["trials"]["delta_nonneg"]
    idx = np.flatnonzero(tr["why_sg"] == "map-unstable outer")
    assert idx.size >= 1
    for i in idx[:3]:
        M = LinearSSL(1, 2, [[tr["rho"][i]]], [[tr["tau"][i]]], None, tr["lam"][i])
        r2 = (abs(tr["tau"][i]) + np.sqrt(tr["delta"][i])) / (2 * tr["rho"][i])
        a = np.array([[r2], [0.0]])
        x = M.pack(a, np.sign(tr["tau"][i]) * (a @ a.T) / r2)
        mu = np.linalg.eigvals(M.kernel("sg").jacobian(x))
        assert mu.real.max() < 1e-9 and np.abs(1 + 0.05 * mu).max() > 1


def test_seed_reproducibility():
    a = run(trials=50, steps=2000, seed=11, out=None, progress=False)
    b = run(trials=50, steps=2000, seed=11, out=None, progress=False)
    for m in ("sg", "ema"):
        assert a["methods"][m]["all"] == b["methods"][m]["all"]


def test_unknown_experiment_and_bad_values(capsys):
    assert main(["reproduce", "no-such-thing"]) == 2
    assert "valid names: ssl-m1, ssl-m1-sensitivity, ssl-branches, attention-multistability, figures" in capsys.readouterr().err
    assert main(["reproduce", "ssl-m1", "--eta", "2", "--no-progress", "--out", ""]) == 2
    assert "eta" in capsys.readouterr().err


def test_module_entry_point_runs():
    proc = subprocess.run([sys.executable, "-m", "symdyn", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "reproduce" in proc.stdout


def test_reproduce_attention_multistability_small(tmp_path, capsys):
    out = tmp_path / "att.json"
    code = main(["reproduce", "attention-multistability", "--systems", "2", "--inits", "30", "--n", "6",
                 "--seed", "1", "--out", str(out), "--no-progress"])
    assert code == 0
    assert "| consensus |" in capsys.readouterr().out
    res = json.loads(out.read_text())
    assert abs(sum(res["fractions"].values()) - 1.0) < 1e-12
    # Theorems A/B (B3, n ≥ 3): stable consensus only on the principal eigenvector; stable bipartite
    # only on the principal or the most negative one
    for key in res["alignment_of_stable"]:
        label, where = key.split(": ")
        assert where == "principal" if label == "consensus" else where in ("principal", "most negative")
    assert main(["reproduce", "attention-multistability", "--v-type", "weird", "--no-progress", "--out", ""]) == 2


def test_reproduce_ssl_branches_small(tmp_path, capsys):
    out = tmp_path / "br.json"
    assert main(["reproduce", "ssl-branches", "--instances", "1", "--inits", "40", "--branch-steps", "20000",
                 "--seed", "2", "--out", str(out), "--no-progress"]) == 0
    assert "| SG |" in capsys.readouterr().out
    res = json.loads(out.read_text())
    for kind in ("sg", "ema"):
        fr = res["fractions"][kind]
        assert abs(sum(fr.values()) - 1) < 1e-12
        assert fr["full-rank saddle"] == fr["rank-deficient saddle"] == 0.0  # saddles have measure-zero basins
        assert fr["unlisted"] == 0.0  # every converged end point lies on a listed component
        comps = res["instances"][0][kind]["components"]
        # exactly one attracting full-rank branch, when any exists; end points only on stable components
        full = [c["verdict"] for c in comps if c["rank"] == 2]
        assert not full or full.count("asymptotically stable") == 1
        assert all(c["verdict"] == "asymptotically stable" for c in comps if c["end_points"])
        assert sum(c["end_points"] for c in comps) == round(40 * (1 - fr["periodic orbit"] - fr["not converged"]
                                                                 - fr["diverged"]))


# ---- honest exit codes and one-line errors (issue: never silently wrong) --------------------------------
def test_version_and_refused_options(capsys):
    assert main(["--version"]) == 0
    assert "symdyn " in capsys.readouterr().out
    assert main(["derive", "attention", "--kind", "ema"]) == 2          # --kind is an ssl option
    assert main(["reproduce", "ssl-m1", "--systems", "3"]) == 2         # --systems belongs to attention
    assert main(["verify", "--seed", "-1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("symdyn") for line in err)


def test_failures_exit_1_with_one_line(tmp_path, capsys):
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('boom')\n")
    assert main(["derive", "field", "--import", str(broken), "--field", "vf"]) == 1
    assert main(["derive", "attention", "--out", str(tmp_path / "missing" / "dir" / "x.tex")]) == 0  # parents made
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["derive", "attention", "--out", str(blocker / "x.tex")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "RuntimeError: boom" in err[0] and "Traceback" not in "".join(err)


def test_verify_exits_1_on_a_refuted_claim(tmp_path, monkeypatch, capsys):
    from symdyn.theorems import THEOREMS

    monkeypatch.setattr("symdyn.theorems.registry.THEOREMS", dict(THEOREMS))
    mod = tmp_path / "claims.py"
    mod.write_text("import sympy as sp\nfrom symdyn import VectorField\nfrom symdyn.theorems import decay_law, register\n"
                   "a = sp.Symbol('a')\nvf = VectorField([a], [-a])\n"
                   "register(decay_law('user.right', vf, a**2, rate=2), replace=True)\nregister(decay_law('user.wrong', vf, a**2, rate=3), replace=True)\n")
    out = tmp_path / "v.json"
    assert main(["verify", "--import", str(mod), "--only", "user.right", "--instances", "3", "--no-progress",
                 "--out", str(out)]) == 0
    assert main(["verify", "--import", str(mod), "--only", "user.right", "user.wrong", "--instances", "3",
                 "--no-progress", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert "user.wrong: refuted on 3 of 3" in captured.err
    assert "counterexample" in captured.out and "user.wrong.json" in captured.out


def test_check_returning_no_checkresult_is_a_type_error(monkeypatch):
    import pytest

    from symdyn.theorems import THEOREMS, Theorem, verify

    monkeypatch.setattr("symdyn.theorems.registry.THEOREMS", dict(THEOREMS))
    from symdyn.theorems import register

    register(Theorem("user.none", "x", "test", "numeric", lambda rng: {}, lambda inst: None))
    with pytest.raises(TypeError, match="user.none: its check returned NoneType"):
        verify(["user.none"], instances=2, progress=False, counterexample_dir=None)


def test_verdict_theorems_report_the_smallest_margin():
    from symdyn.theorems import verify

    (rep,) = verify(["attn.triangle-stable"], instances=6, progress=False, counterexample_dir=None)
    assert rep.measure == "margin" and rep.status == "verified"
    assert 0 < rep.min_margin <= rep.max_residual


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
    wrapper = out.read_text()
    assert wrapper.startswith("\\documentclass") and wrapper.rstrip().endswith("\\end{document}")
    assert "\\input{toy_body}" in wrapper  # the standalone wrapper of the body a paper can \input
    tex = (tmp_path / "toy_body.tex").read_text()
    # ẋ = x − x³, ẏ = −y: a gradient field; equilibria x ∈ {−1, 0, 1}, y = 0 — stable, saddle, stable
    assert "locally the gradient flow" in tex
    rows = [ln for ln in tex.splitlines() if ln.startswith("0 & $")]
    verdicts = {ln.split("$")[3]: ln.split("&")[-1].replace("\\tabularnewline", "").strip() for ln in rows}
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


def test_derive_cli_writes_a_complete_document(tmp_path):
    out = tmp_path / "d.tex"
    assert main(["derive", "ssl", "--kind", "ema", "--m", "1", "--n", "2", "--out", str(out)]) == 0
    tex = out.read_text()
    assert tex.startswith("\\documentclass") and tex.rstrip().endswith("\\end{document}")
    body = (tmp_path / "d_body.tex").read_text()
    assert "\\dot C" in body and "Routh" in body and "\\documentclass" not in body
    assert main(["derive", "ssl", "--kind", "gf", "--m", "1", "--n", "2", "--out-dir", str(tmp_path / "x")]) == 0
    assert (tmp_path / "x" / "ssl_gf.tex").is_file() and (tmp_path / "x" / "ssl_gf_body.tex").is_file()
    assert main(["derive", "transformer"]) == 2
    assert main(["derive", "oja-subspace", "--d", "3", "--h", "5", "--out", str(out)]) == 2   # h > d: named error


def test_sensitivity_refuses_a_bad_horizon_and_unknown_knobs(capsys):
    from symdyn.experiments.ssl_m1 import sensitivity

    with pytest.raises(ValueError, match="horizon"):
        sensitivity(horizon=-1.0, out=None)
    with pytest.raises(ValueError, match="knobs"):
        sensitivity(knobs={"temperature": [1.0]}, out=None)
    assert main(["reproduce", "ssl-m1-sensitivity", "--horizon", "-1", "--no-progress", "--out", ""]) == 2
    assert capsys.readouterr().err.strip().splitlines() == ["symdyn: horizon: expected a positive finite time span, got -1.0"]


def test_verify_cli_workers_give_the_same_report(tmp_path, capsys):
    import json

    runs = []
    for w in ("1", "2"):
        out = tmp_path / f"v{w}.json"
        assert main(["verify", "--only", "saxe.closed-form", "attn.consensus-eigenvector", "--instances", "12",
                     "--seed", "4", "--workers", w, "--no-progress", "--out", str(out)]) == 0
        assert f"workers={w}" in capsys.readouterr().out
        theorems = json.loads(out.read_text())["theorems"]
        runs.append([{k: v for k, v in t.items() if k != "seconds"} for t in theorems])
    assert runs[0] == runs[1]
    assert main(["verify", "--workers", "0"]) == 2
    assert "--workers" in capsys.readouterr().err


def test_out_dir_and_provenance(tmp_path):
    """Outputs without a given path go under --out-dir, and every results JSON says what produced it."""
    import numpy

    assert main(["verify", "--instances", "2", "--only", "ssl.m1-spheres", "--no-progress", "--workers", "1",
                 "--out-dir", str(tmp_path / "r")]) == 0
    data = json.loads((tmp_path / "r" / "verify.json").read_text())
    prov = data["provenance"]
    assert prov["seed"] == 0 and prov["numpy"] == numpy.__version__ and prov["workers"] == 1
    assert data["theorems"][0]["id"] == "ssl.m1-spheres"
