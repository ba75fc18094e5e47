"""Continuation of equilibrium sets (symdyn.continuation): events of textbook normal forms at their known
parameter values, the m = 1 SSL fold against Δ = τ² − 4ρλ = 0, DirectPred's η_c, attention splits against a brute
count of Theorem B's closed-form spectrum, m = 2 SSL branch counts against certified root counts, and the EMA Hopf
point of a rank-1 SSL component against the model's own verdicts on either side."""
import json

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symdyn.continuation import ReducedProblem, continue_equilibria, field_problem, polynomial_conditions
from symdyn.field import VectorField

x, y, mu = sp.symbols("x y mu")


def _run(vf, x0, mu0, lo=-1.0, hi=1.0, **kw):
    problem, u0 = field_problem(vf, "mu", x0, mu0)
    return continue_equilibria(problem, u0, mu0, mu_range=(lo, hi), ds=0.05, **kw)


def test_saddle_node_fold_at_its_parameter():
    res = _run(VectorField([x], [mu - 0.5 - x ** 2], [mu]), [1.0], 1.5, lo=0.0, hi=2.0)
    assert [e.kind for e in res.events] == ["fold"]
    e = res.events[0]
    assert abs(e.mu - 0.5) < 1e-12 and abs(e.u[0]) < 1e-6
    # the two sides: x > 0 attracts (f' = −2x < 0), x < 0 repels
    b = res.branches[0]
    for xi, v in zip(b.u[:, 0], b.verdict):
        if abs(xi) > 1e-3:
            assert v == ("asymptotically stable" if xi > 0 else "unstable")


def test_pitchfork_branch_point_and_the_switched_branch():
    res = _run(VectorField([x], [(mu - 0.3) * x - 2 * x ** 3], [mu]), [0.0], -1.0)
    bps = [e for e in res.events if e.kind == "branch point"]
    assert len(bps) == 1 and abs(bps[0].mu - 0.3) < 1e-12
    assert bps[0].before == "asymptotically stable" and bps[0].after == "unstable"
    assert len(res.branches) == 2
    other = res.branches[1]
    assert other.mu.min() >= 0.3 - 1e-9 and other.u[:, 0].max() > 0.3 and other.u[:, 0].min() < -0.3  # both halves
    assert np.allclose(2 * other.u[:, 0] ** 2, other.mu - 0.3, atol=1e-10)  # x² = (μ − 0.3)/2
    assert all(v == "asymptotically stable" for v, xi in zip(other.verdict, other.u[:, 0]) if abs(xi) > 1e-3)


def test_transcritical_exchanges_stability():
    res = _run(VectorField([x], [(mu + 0.2) * x - x ** 2], [mu]), [0.0], -1.0)
    bp = [e for e in res.events if e.kind == "branch point"]
    assert len(bp) == 1 and abs(bp[0].mu + 0.2) < 1e-12
    other = res.branches[1]
    assert np.allclose(other.u[:, 0], other.mu + 0.2, atol=1e-10)
    for xi, v in zip(other.u[:, 0], other.verdict):  # x = μ + 0.2 attracts exactly where it is positive
        if abs(xi) > 1e-3:
            assert v == ("asymptotically stable" if xi > 0 else "unstable")


def test_hopf_normal_form():
    r2 = x ** 2 + y ** 2
    vf = VectorField([x, y], [(mu - 0.25) * x - y - x * r2, x + (mu - 0.25) * y - y * r2], [mu])
    res = _run(vf, [0.0, 0.0], -1.0)
    assert [e.kind for e in res.events] == ["hopf"]
    e = res.events[0]
    assert abs(e.mu - 0.25) < 1e-12 and abs(abs(e.eigenvalue.imag) - 1.0) < 1e-9
    assert (e.before, e.after) == ("asymptotically stable", "unstable")


def test_polynomial_conditions_are_the_discriminant_roots():
    conds = polynomial_conditions(VectorField([x], [(mu - sp.Rational(1, 3)) * x - x ** 3], [mu]), "mu")
    assert len(conds) == 1 and abs(conds[0]["mu"] - 1 / 3) < 1e-15
    assert polynomial_conditions(VectorField([x, y], [x, y], []), "mu") == []


@settings(max_examples=15, deadline=None)
@given(st.floats(-0.8, 0.8), st.floats(0.2, 3.0), st.floats(-1.0, 1.0), st.floats(0.3, 2.0))
def test_property_saddle_node_located(mu0, b, c, a):
    """ẋ = a(μ − μ0) − b(x − c)²: the equilibria x = c ± √(a(μ − μ0)/b) meet at μ = μ0, x = c."""
    vf = VectorField([x], [a * (mu - mu0) - b * (x - c) ** 2], [mu])
    start = mu0 + 0.5
    res = _run(vf, [c + np.sqrt(a * 0.5 / b)], start, lo=mu0 - 1.0, hi=mu0 + 1.0)
    folds = [e for e in res.events if e.kind == "fold"]
    assert len(folds) == 1
    assert abs(folds[0].mu - mu0) < 1e-9 and abs(folds[0].u[0] - c) < 1e-4


def test_bad_input_is_refused_naming_the_argument():
    problem = ReducedProblem(lambda u, m: np.array([m - u[0] ** 2]), lambda u, m: np.array([[-2 * u[0]]]),
                             lambda u, m: np.array([1.0]))
    with pytest.raises(ValueError, match="u0"):
        continue_equilibria(problem, [1.0], -1.0, mu_range=(-2, 2))  # no equilibrium at μ = −1
    with pytest.raises(ValueError, match="mu_range"):
        continue_equilibria(problem, [1.0], 1.0, mu_range=(2, 3))
    with pytest.raises(ValueError, match="param"):
        field_problem(VectorField([x], [mu * x], [mu]), "nu", [0.0], 0.0)
    with pytest.raises(TypeError, match="F"):
        ReducedProblem(None, None, None)


def test_json_round_trip():
    res = _run(VectorField([x], [mu - x ** 2], [mu]), [1.0], 1.0, lo=-0.5, hi=1.5)
    data = json.loads(res.to_json())
    assert data["param"] == "mu" and [e["kind"] for e in data["events"]] == ["fold"]
    assert len(data["branches"][0]["mu"]) == len(res.branches[0].mu)


# ---- models --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind,kappa", [("sg", None), ("ema", 0.3), ("ema", 1.0), ("ema", 5.0)])
def test_ssl_m1_fold_at_delta_zero_outer_stable_inner_saddle(kind, kappa):
    from symdyn.models.ssl_continuation import continue_ssl
    from symdyn.models.ssl_linear import LinearSSL

    rho, tau = 1.7, -0.9  # τ < 0 too: the spheres depend on |τ|
    model = LinearSSL(1, 2, np.array([[rho]]), np.array([[tau]]), np.eye(1), 0.02, kappa=kappa)
    res = continue_ssl(model, kind, "lam", mu_range=(1e-3, 0.5), ds=0.01)
    lam_c = tau ** 2 / (4 * rho)  # Δ = τ² − 4ρλ = 0
    folds = [e for e in res.events if e.kind == "fold"]
    assert len(res.branches) == 1 and len(folds) == 1
    assert abs(folds[0].mu - lam_c) / lam_c < 1e-8
    b = res.branches[0]
    for lam in (0.01, 0.5 * lam_c, 0.95 * lam_c):  # on either side of the fold: outer stable, inner saddle
        pts = []
        for k in range(len(b.mu) - 1):
            if (b.mu[k] - lam) * (b.mu[k + 1] - lam) < 0:
                s = (lam - b.mu[k]) / (b.mu[k + 1] - b.mu[k])
                span = abs(b.measure[k + 1] - b.measure[k])  # bounds the chord's error
                pts.append((b.measure[k] + s * (b.measure[k + 1] - b.measure[k]), span, b.verdict[k], b.verdict[k + 1]))
        assert len(pts) == 2
        (inner, si, *vi), (outer, so, *vo) = sorted(pts)
        assert set(vo) == {"asymptotically stable"} and set(vi) == {"saddle"}
        r1, r2 = sorted(np.roots([rho, -abs(tau), lam]).real)  # the spheres ρr² − |τ|r + λ = 0; trace S = ‖a‖²
        assert abs(outer - r2 ** 2) <= so + 1e-12 and abs(inner - r1 ** 2) <= si + 1e-12


def test_ssl_m1_closed_form_condition_is_derived():
    from symdyn.models.ssl_continuation import m1_fold_condition

    c = m1_fold_condition()
    R, T, L = c["symbols"]
    assert sp.expand(c["discriminant"] - (T ** 2 - 4 * R * L)) == 0


def test_directpred_fold_at_eta_c():
    from symdyn.models.directpred import mode_field

    for s2 in (0.5, 1.3):
        rho, eta0 = 1 + s2, 0.05
        p = (1 + np.sqrt(1 - 4 * rho * eta0)) / (2 * rho)
        problem, u0 = field_problem(mode_field(simsiam=True, alpha_p=1.0, sigma2=s2), "eta", [p, p * p], eta0)
        res = continue_equilibria(problem, u0, eta0, mu_range=(0.01, 0.5), ds=0.01)
        folds = [e for e in res.events if e.kind == "fold"]
        eta_c = 1 / (4 * (1 + s2))
        assert len(folds) == 1 and abs(folds[0].mu - eta_c) / eta_c < 1e-8


@pytest.mark.parametrize("others,M,ds", [([0.6, -0.8], np.diag([1.0, 0.3, 2.0]), 0.05),
                                         ([0.1, -0.8], np.eye(3), 0.04)])  # `symdyn continue attention`'s default
def test_attention_splits_match_theorem_b(others, M, ds):
    """Every change of the number of unstable eigenvalues of Theorem B's closed-form spectrum along β (counted on a
    fine grid, independently of the continuation) is an event, at the β where a closed-form quantity vanishes
    (also where one continuation step spans two changes: the README's instance lost one to a long step)."""
    from symdyn.models.attention import bipartite_spectrum
    from symdyn.models.attention_continuation import continue_attention, theorem_b_conditions

    V = np.diag([1.0] + others)
    res = continue_attention(V, M, 5, beta_range=(0.0, 4.0), ds=ds)
    for k, split in enumerate(res.splits):
        npl, nmi = split["n_plus"], split["n_minus"]
        events = sorted(e.mu for e in res.events if e.branch == k)
        grid = np.linspace(0.0, 4.0, 8001)
        if nmi == 0:
            assert events == [] and set(res.branches[k].verdict) == {"asymptotically stable"}  # Theorem A
            continue
        counts = [np.sum(bipartite_spectrum(1.0, others, b * M[0, 0], npl, nmi)["eigenvalues"].real > 1e-12)
                  for b in grid]
        changes = [grid[i] for i in range(1, len(grid)) if counts[i] != counts[i - 1]]
        assert len(events) == len(changes) and np.allclose(events, changes, atol=1e-3)
        zeros = [c["mu"] for c in theorem_b_conditions(V, M, npl, nmi, (0.0, 4.0))]
        for b in events:
            assert min(abs(b - z) for z in zeros) < 1e-8 * max(1.0, b)
        stable_end = bipartite_spectrum(1.0, others, 4.0 * M[0, 0], npl, nmi)["stable"]
        assert (res.branches[k].verdict[-1] == "asymptotically stable") == stable_end


def test_ssl_m2_branch_counts_match_certified_roots():
    from symdyn.models.ssl_continuation import continue_ssl
    from symdyn.models.ssl_linear import LinearSSL, random_moments

    Sx, Syx, Sy = random_moments(2, 1)
    res = continue_ssl(LinearSSL(2, 2, Sx, Syx, Sy, 0.01), "sg", "lam", mu_range=(0.01, 0.4), ds=0.01,
                       strata=False, judge=False)
    iu = np.triu_indices(2)
    for lam in (0.02, 0.1, 0.2, 0.25, 0.3):
        cert = LinearSSL(2, 2, Sx, Syx, Sy, lam).e1_roots()
        found = []
        for b in res.branches:
            for k in range(len(b.mu) - 1):
                if (b.mu[k] - lam) * (b.mu[k + 1] - lam) < 0:
                    s = (lam - b.mu[k]) / (b.mu[k + 1] - b.mu[k])
                    found.append(b.u[k] + s * (b.u[k + 1] - b.u[k]))
        assert len(found) == len(cert["roots"]), lam
        for S in cert["roots"]:  # each certified root is near a branch point at that λ (chord interpolation)
            assert min(np.linalg.norm(f - S[iu]) for f in found) < 0.05 * (1 + np.linalg.norm(S))


def test_ema_hopf_on_a_rank_one_component_matches_the_models_verdicts():
    """The stored instance where EMA destabilises an SG-stable rank-1 component: continuing that component in κ
    finds a Hopf point κ*; the model itself (built at κ*·(1 ∓ 1e-3)) judges the component a saddle below (EMA with a
    slow target destabilises it) and stable above, with a complex pair at κ* on the imaginary axis."""
    from pathlib import Path

    from symdyn.models.ssl_continuation import prob_coordinates, ssl_problem
    from symdyn.models.ssl_linear import LinearSSL

    d = json.loads((Path(__file__).parent / "theorems" / "data" / "ssl_strata_stability_hopf.json").read_text())
    inst = {k: np.array(v) if isinstance(v, list) else v for k, v in d["instance"].items()}
    args = (inst["m"], inst["n"], inst["sigma_x"], inst["sigma_yx"], inst["sigma_y"], inst["lam"])
    model = LinearSSL(*args, kappa=inst["kappa"])
    target = [c for c in model.equilibrium_set("sg") if c.info["rank"] == 1
              and c.stability().verdict == "asymptotically stable"]
    assert len(target) == 1
    S = target[0].info["S"]
    problem = ssl_problem(model, "ema", "kappa", rank=1, S0=S)
    res = continue_equilibria(problem, prob_coordinates(problem, S), inst["kappa"], mu_range=(0.05, 10.0), ds=0.1)
    hopf = [e for e in res.events if e.kind == "hopf"]
    assert len(hopf) == 1 and (hopf[0].before, hopf[0].after) == ("saddle", "asymptotically stable")
    k_star = hopf[0].mu
    assert abs(hopf[0].eigenvalue.real) < 1e-9 * abs(hopf[0].eigenvalue.imag)
    for factor, verdict in ((1 - 1e-3, "saddle"), (1 + 1e-3, "asymptotically stable")):
        comp = LinearSSL(*args, kappa=k_star * factor).variety_from_S(S, "ema", rank=1)  # S does not move with κ
        assert comp.stability().verdict == verdict


def test_cli_continue(tmp_path, capsys):
    from symdyn.cli import main

    out = tmp_path / "c.json"
    assert main(["continue", "ssl", "--param", "lam", "--m", "1", "--n", "2", "--range", "0.001", "0.5",
                 "--out", str(out), "--tex", str(tmp_path / "c.tex")]) == 0
    data = json.loads(out.read_text())
    fold = [e for e in data["events"] if e["kind"] == "fold"]
    assert len(fold) == 1 and abs(fold[0]["mu"] - data["conditions"][0]["mu"]) < 1e-10 * fold[0]["mu"]
    tex = (tmp_path / "c.tex").read_text()
    assert r"\begin{document}" in tex and "relative difference" in tex
    mod = tmp_path / "pf.py"
    mod.write_text("import sympy as sp\nfrom symdyn.field import VectorField\nx, mu = sp.symbols('x mu')\n"
                   "vf = VectorField([x], [mu * x - x ** 3], [mu])\n")
    assert main(["continue", "field", "--import", str(mod), "--field", "vf", "--param", "mu", "--x0", "0",
                 "--at", "-1", "--out", str(out)]) == 0
    assert [e["kind"] for e in json.loads(out.read_text())["events"]] == ["branch point"]
    capsys.readouterr()
    assert main(["continue", "ssl", "--param", "kappa", "--m", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "kappa" in err[0]
    assert main(["continue", "field", "--import", str(mod), "--field", "vf", "--param", "nu", "--x0", "0",
                 "--at", "0"]) == 2


def test_manifold_of_equilibria_is_continued_through_a_slice():
    """ẋ = (μ − |x|²)x in the plane: for μ > 0 the circle |x|² = μ is a 1-dimensional manifold of equilibria
    (J = −2xxᵀ there: one neutral direction, one at −2μ).  The continuation along a ray stays on it, measures
    dimension 1 and judges it normally hyperbolic, and turns back in μ as the circle shrinks to the origin."""
    vf = VectorField([x, y], [(mu - x ** 2 - y ** 2) * x, (mu - x ** 2 - y ** 2) * y], [mu])
    problem, u0 = field_problem(vf, "mu", [0.6, 0.8], 1.0)
    res = continue_equilibria(problem, u0, 1.0, mu_range=(-0.5, 1.5), ds=0.05)
    b = res.branches[0]
    assert np.abs((b.u ** 2).sum(axis=1) - b.mu).max() < 1e-10
    assert set(b.dimension) == {1}
    away = (b.u ** 2).sum(axis=1) > 1e-3
    assert {v for v, a in zip(b.verdict, away) if a} == {"asymptotically stable"}
    folds = [e for e in res.events if e.kind == "fold"]
    assert len(folds) == 1 and abs(folds[0].mu) < 1e-5


def test_ssl_rank_one_strata_continued_once_each():
    """m = 2 with its rank-1 strata: every rank-1 component of the model's equilibrium set at λ₀ lies on exactly one
    traced rank-1 branch (two components on one branch are not traced twice; each branch has its own chart)."""
    from symdyn.models.ssl_continuation import continue_ssl
    from symdyn.models.ssl_linear import LinearSSL, random_moments

    Sx, Syx, Sy = random_moments(2, 3)
    model = LinearSSL(2, 2, Sx, Syx, Sy, 0.02)
    res = continue_ssl(model, "sg", "lam", mu_range=(0.005, 0.5), ds=0.01, judge=False)
    comps = [c.info["S"] for c in model.equilibrium_set("sg") if c.info["rank"] == 1]
    crossings = []
    for b, r in zip(res.branches, res.ranks):
        if r != 1:
            continue
        d = b.mu - 0.02
        crossings += [k for k in range(len(d)) if abs(d[k]) < 1e-12]  # the start itself is a point of the branch
        crossings += [k for k in range(len(d) - 1) if d[k] * d[k + 1] < 0 and min(abs(d[k]), abs(d[k + 1])) >= 1e-12]
    assert len(crossings) == len(comps) == 2 and res.ranks.count(1) == 1
