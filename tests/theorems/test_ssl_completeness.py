"""verify tests the SSL theorems, not the implementation (issue 12): a solver that drops roots is refuted by the
independent search, on the full-rank stratum and on the rank-deficient strata, through the API and the CLI."""
import numpy as np
import pytest

import symdyn.models.ssl_linear as ssl_linear
import symdyn.models.ssl_strata as ssl_strata
from symdyn.cli import main
from symdyn.theorems import verify


def keep_largest_trace(out, key):
    """The mutation: of a solver's roots, keep only the one with the largest trace."""
    if not out[key]:
        return out
    k = int(np.argmax([np.trace(S) for S in out[key]]))
    return {name: ([v[k]] if isinstance(v, list) and len(v) == len(out[key]) else v) for name, v in out.items()}


@pytest.fixture
def mutated_e1(monkeypatch):
    solve = ssl_linear.solve_e1
    monkeypatch.setattr(ssl_linear, "solve_e1", lambda *a, **k: keep_largest_trace(solve(*a, **k), "roots"))


@pytest.fixture
def mutated_strata(monkeypatch):
    solve = ssl_strata.rank_stratum
    monkeypatch.setattr(ssl_strata, "rank_stratum", lambda *a, **k: keep_largest_trace(solve(*a, **k), "S"))


def test_a_solver_keeping_one_full_rank_root_is_refuted(mutated_e1, tmp_path):
    rep, = verify(["ssl.equilibria-E1E2"], instances=3, seed=0, progress=False, counterexample_dir=tmp_path)
    assert rep.refuted == 3 and rep.status == "refuted on 3 of 3"
    assert "not listed" in (tmp_path / "ssl.equilibria-E1E2.json").read_text()


def test_the_cli_exits_nonzero_on_the_mutated_solver(mutated_e1, tmp_path, capsys):
    code = main(["verify", "--only", "ssl.equilibria-E1E2", "--instances", "2", "--no-progress",
                 "--out", str(tmp_path / "verify.json")])
    assert code == 1
    assert "ssl.equilibria-E1E2: refuted" in capsys.readouterr().err


def test_a_strata_solver_keeping_one_root_is_refuted(mutated_strata, tmp_path):
    # seed 0, instances 3..5 of the entry include shapes with m >= 2 (rank-deficient strata to drop)
    rep, = verify(["ssl.equilibria-E1E2"], instances=6, seed=0, progress=False, counterexample_dir=tmp_path)
    assert rep.refuted >= 1


def test_unmutated_solver_passes_the_same_instances(tmp_path):
    rep, = verify(["ssl.equilibria-E1E2"], instances=6, seed=0, progress=False, counterexample_dir=tmp_path)
    assert rep.status == "verified" and rep.passed == 6
