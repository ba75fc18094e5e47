"""The theorem registry and verify: every registered claim holds on seeded instances, a false claim is refuted with
a counterexample, user claims (decay_law) are proven and checked."""
import json
from pathlib import Path

import numpy as np
import pytest

from symdyn.theorems import THEOREMS, CheckResult, Theorem, verify


@pytest.mark.parametrize("tid", list(THEOREMS))
def test_every_theorem_holds_on_a_few_instances(tid, tmp_path):
    """The suite runs the registry itself (fixed seed): each claim is checked once, here and by ``symdyn verify``."""
    reports = verify([tid], instances=3, seed=1, progress=False, counterexample_dir=tmp_path)
    assert [r.id for r in reports] == [tid]
    for r in reports:
        assert r.errors == 0, (r.id, r.first_error)
        assert r.refuted == 0, (r.id, r.counterexample)
        assert r.passed + r.not_applicable == 3


def test_the_registry_is_built_lazily_from_the_section_modules():
    import subprocess
    import sys

    code = ("import sys, symdyn; assert 'symdyn.theorems.ssl_linear' not in sys.modules; "
            "from symdyn.theorems import THEOREMS; ids = list(THEOREMS); "
            "assert 'symdyn.theorems.ssl_linear' in sys.modules and len(ids) == len(set(ids)); "
            "print(ids[0], ids[-1])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["ssl.balancedness", "lsgd.attraction-dimension"]


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


def test_theorems_of_one_stream_are_checked_on_the_same_instances(monkeypatch):
    """Two claims with a shared stream see the same instances (drawn once each), alone or together, for 1 or 2
    workers; a stream whose members draw with different generators is refused."""
    seen = {"a": [], "b": []}

    def gen(rng):
        return {"x": float(rng.standard_normal())}

    def check_a(inst):
        seen["a"].append(inst["x"])
        return CheckResult(True, abs(inst["x"]))

    def check_b(inst):
        seen["b"].append(inst["x"])
        return CheckResult(inst["x"] < 10, abs(inst["x"]))

    monkeypatch.setitem(THEOREMS, "fake.a", Theorem("fake.a", "", "test", "numeric", gen, check_a, stream="fake.s"))
    monkeypatch.setitem(THEOREMS, "fake.b", Theorem("fake.b", "", "test", "numeric", gen, check_b, stream="fake.s"))
    together = verify(["fake.a", "fake.b"], instances=13, seed=4, progress=False, counterexample_dir=None)
    assert seen["a"] == seen["b"] and len(set(seen["a"])) == 13
    first = list(seen["a"])
    seen["a"].clear()
    alone = verify(["fake.a"], instances=13, seed=4, progress=False, counterexample_dir=None)
    assert seen["a"] == first and alone[0].max_residual == together[0].max_residual
    two = verify(["fake.a", "fake.b"], instances=13, seed=4, progress=False, counterexample_dir=None, workers=2)
    assert [(r.passed, r.max_residual) for r in two] == [(r.passed, r.max_residual) for r in together]
    monkeypatch.setitem(THEOREMS, "fake.c", Theorem("fake.c", "", "test", "numeric", lambda rng: gen(rng), check_a,
                                                    stream="fake.s"))
    with pytest.raises(ValueError, match="share the stream 'fake.s' but not their instance generator"):
        verify(["fake.a", "fake.c"], instances=2, seed=0, progress=False, counterexample_dir=None)
