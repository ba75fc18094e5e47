"""All rank strata of the linear SSL equilibrium set (issue 12): isotropic families, generic data, commuting data.

Independent references: the Jacobian-kernel/projection dimension test (local_dimension), the commuting closed
form (each mode an m = 1 problem), a total-degree homotopy on the square rank-1 system, and integrations of the
SG/EMA flows whose end points must lie on a listed component."""
import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

from symdyn import LinearSSL
from symdyn.instances import random_moments
from symdyn.local_dimension import local_dimension
from symdyn.polysolve import solve_homotopy


def uncancelled_residual(M, S):
    """‖S(ΣxS+λ)(SΣx+λ) − SΣxySΣyx‖ relative to the terms."""
    I = np.eye(M.m)
    L = M.sigma_x @ S + M.lam * I
    left, right = S @ L @ L.T, S @ M.sigma_yx.T @ S @ M.sigma_yx
    return np.linalg.norm(left - right) / max(np.linalg.norm(left) + np.linalg.norm(right), 1e-300)


@pytest.mark.parametrize("kind", ["sg", "ema"])
def test_isotropic_families_have_the_measured_dimensions(kind):
    # Tian's setting: Σx = cI, Σyx = I.  Eigenvalues of S in {0, r1², r2²}: 6 distinct components for m = 2
    M = LinearSSL(2, 3, 0.8 * np.eye(2), np.eye(2), None, 0.05, 0.7)
    comps = M.equilibrium_set(kind)
    assert comps.complete == "proven" and len(comps) == 6
    ranks = sorted(c.info["rank"] for c in comps)
    assert ranks == [0, 1, 1, 2, 2, 2]
    k = M.kernel(kind)
    seen = set()
    for c in comps:
        x = c.sample(3)
        assert c.residual(x) < 1e-12
        ld = local_dimension(k.f, k.jacobian, x, seed=1)
        assert ld.dimension == c.dimension, c.name
        spec = tuple(np.round(np.linalg.eigvalsh(c.info["S"]), 8))
        assert spec not in seen  # no double listing
        seen.add(spec)
    # the defining equations describe the whole family: they vanish on a fresh sample of each component and not
    # on a sample of a component with the same rank but other multiplicities
    for c in comps:
        assert c.equation_residual(c.sample(7)) < 1e-9, c.name
    rank2 = [c for c in comps if c.info["rank"] == 2]
    assert all(a.equation_residual(b.sample(7)) > 1e-3 for a in rank2 for b in rank2 if a is not b)
    dims = {c.name.split(" ", 1)[1]: c.dimension for c in comps}
    assert sorted(dims.values()) == [0, 3, 3, 3, 3, 4]
    # the outer rank-1 family attracts (normally hyperbolic), the inner one is a saddle
    r1 = sorted((c for c in comps if c.info["rank"] == 1), key=lambda c: np.trace(c.info["S"]))
    assert r1[1].stability(seed=0).verdict == "asymptotically stable"
    assert r1[0].stability(seed=0).verdict == "saddle"


def rank1_reference(M):
    """Real rank-1 roots S = vvᵀ from a total-degree homotopy on the square system (v, b) (independent solver)."""
    m = M.m
    v = sp.Matrix(sp.symbols(f"v0:{m}"))
    b = sp.Symbol("b")
    Sx, Syx = sp.Matrix(M.sigma_x), sp.Matrix(M.sigma_yx)
    eqs = list(Sx * v * (v.T * v)[0] + M.lam * v - Syx.T * v * b) + [b * ((v.T * Sx * v)[0] + M.lam) - (v.T * Syx * v)[0]]
    sol = solve_homotopy([sp.expand(e) for e in eqs], list(v) + [b], seed=4)
    out = []
    for x in sol.real:
        S = np.outer(x[:m], x[:m])
        if np.linalg.norm(S) > 1e-12 and not any(np.linalg.norm(S - T) < 1e-6 * np.linalg.norm(T) for T in out):
            out.append(S)
    return out


def test_generic_m2_all_strata_and_end_points():
    Sx, Syx, Sy = random_moments(2, 1)
    M = LinearSSL(2, 3, Sx, Syx, Sy, 0.05, 0.5)
    comps = M.equilibrium_set("sg")
    assert comps.complete in ("proven", "checked")
    ranks = [c.info["rank"] for c in comps]
    assert ranks.count(0) == 1 and ranks.count(1) == 4 and ranks.count(2) == 4
    ref = rank1_reference(M)
    got = [c.info["S"] for c in comps if c.info["rank"] == 1]
    assert len(ref) == len(got)
    for S in ref:
        assert min(np.linalg.norm(S - T) for T in got) < 1e-8 * np.linalg.norm(S)
    for c in comps:
        assert uncancelled_residual(M, c.info["S"]) < 1e-12
        assert c.residual(c.sample(2)) < 1e-10
        assert np.linalg.matrix_rank(c.info["S"], tol=1e-9 * max(np.linalg.norm(c.info["S"]), 1e-300)) == c.info["rank"]
    # a stable rank-1 branch coexists with the stable full-rank branch; every end point is on a listed component
    for kind in ("sg", "ema"):
        comps = M.equilibrium_set(kind)
        k = M.kernel(kind)
        rng = np.random.default_rng(0)
        hit = set()
        for scale in (0.1, 0.5, 1.5, 0.3, 1.0, 2.0):
            x0 = rng.standard_normal(M.state_dimension(kind)) * scale
            end = solve_ivp(lambda t, z: k.f(z), (0, 800), x0, method="LSODA", rtol=1e-10, atol=1e-12).y[:, -1]
            i = M.locate(end, comps, rtol=1e-3)
            assert i is not None, f"{kind}: end point not on any listed component"
            assert comps[i].stability(seed=0).verdict == "asymptotically stable"
            hit.add(comps[i].info["rank"])
        assert hit <= {0, 1, 2}


def test_commuting_m3_generic_solver_matches_closed_form():
    # commuting data without repeated eigenvalues: the generic strata solver against the per-mode closed form
    Sx, Syx, Sy = random_moments(3, 5, commuting=True)
    M = LinearSSL(3, 4, Sx, Syx, Sy, 0.02)
    comps = M.equilibrium_set("sg")
    closed = M.commuting_equilibria("sg")
    for r in range(4):
        got = sorted(np.trace(c.info["S"]) for c in comps if c.info["rank"] == r)
        ref = sorted(np.trace(c.info["S"]) for c in closed if c.info["rank"] == r)
        assert len(got) == len(ref), r
        assert np.allclose(got, ref, rtol=1e-7, atol=0)


def test_rank2_stratum_m3_residuals_and_ranks():
    Sx, Syx, Sy = random_moments(3, 2)
    M = LinearSSL(3, 3, Sx, Syx, Sy, 0.05)
    comps = M.equilibrium_set("sg")
    r2 = [c for c in comps if c.info["rank"] == 2]
    assert len(r2) == 12 and comps.strata[2]["complete"] == "checked"
    for c in r2:
        S = c.info["S"]
        ev = np.linalg.eigvalsh(S)
        assert abs(ev[0]) < 1e-12 * ev[-1] and ev[1] > 1e-6 * ev[-1]
        assert uncancelled_residual(M, S) < 1e-12
        assert c.residual(c.sample(0)) < 1e-10


@pytest.mark.parametrize("m,r,per_point,compiled", [(2, 1, False, True), (2, 1, False, False), (3, 2, False, True),
                                                     (3, 2, False, False), (4, 3, False, True), (4, 3, False, False),
                                                     (4, 2, True, True), (5, 2, True, False)])
def test_chart_system_derivatives_match_finite_differences(m, r, per_point, compiled, monkeypatch):
    """The closed-form Jacobians of (C_r) (in x and in the homogenising x₀) and its data derivative against central
    differences, at random complex points in a random complex chart (one per point with ``per_point``, as in the
    tracker); and its homogeneity (degree 2 in (x₀, P)).  Both routes: the compiled kernels and batched NumPy."""
    from symdyn.models import ssl_strata
    from symdyn.models.ssl_strata import RankChart
    from symdyn.polysolve import ProjectivePatch

    monkeypatch.setattr(ssl_strata, "COMPILED", compiled)
    assert (RankChart(m, r, np.eye(m))._kernels() is not None) == compiled

    rng = np.random.default_rng(m + r)
    chart = RankChart(m, r, rng.standard_normal((m, m)) + 1j * rng.standard_normal((m, m)))
    if per_point:
        chart = chart.per_point(3)
        chart.M += 0.3 * (rng.standard_normal((3, m, m)) + 1j * rng.standard_normal((3, m, m)))
    patch = ProjectivePatch(chart, n_hom=chart.q, seed=1)
    q = m * (m + 1) // 2 + m * m + 1
    Y = rng.standard_normal((3, chart.N + 1)) + 1j * rng.standard_normal((3, chart.N + 1))
    p = rng.standard_normal((3, q)) + 1j * rng.standard_normal((3, q))
    J = patch.Fx(Y, p)
    h = 1e-6
    for j in range(chart.N + 1):
        e = np.zeros(chart.N + 1)
        e[j] = h
        fd = (patch.F(Y + e, p) - patch.F(Y - e, p)) / (2 * h)
        assert np.abs(J[:, :, j] - fd).max() < 1e-7 * (1 + np.abs(fd).max())
    dp = rng.standard_normal((3, q))
    fd = (patch.F(Y, p + h * dp) - patch.F(Y, p - h * dp)) / (2 * h)
    assert np.abs(patch.Fp(Y, p, dp) - fd).max() < 1e-7 * (1 + np.abs(fd).max())
    Y2 = Y.copy()
    Y2[:, : 1 + chart.q] *= 1.7
    rows, rows2 = patch.F(Y, p)[:, :-1], patch.F(Y2, p)[:, :-1]
    assert np.abs(rows2 - 1.7 ** 2 * rows).max() < 1e-12 * np.abs(rows2).max()


@pytest.mark.parametrize("m,r", [(3, 1), (3, 2), (4, 2), (4, 3)])
def test_start_systems_are_distinct_rank_r_roots_of_the_uncancelled_equation(m, r):
    """Every shipped generic solution is a rank-r matrix S with S E(S) = 0 at p₀, computed directly from S (not
    from the chart rows), and no two coincide; the chart's coordinates map back to the same S."""
    from symdyn.models.ssl_e1 import split_data
    from symdyn.models.ssl_strata import RankChart, stratum_start

    p0, sols, info = stratum_start(m, r)
    chart = RankChart(m, r, info["M"])
    S = chart.matrices(sols)
    Sx, Syx, lam = split_data(p0[None], m)
    L = S @ Sx[0] + lam[0] * np.eye(m)
    E = np.swapaxes(L, 1, 2) @ L - Syx[0].T @ S @ Syx[0]
    scale = np.linalg.norm(S, axis=(1, 2)) * (np.linalg.norm(L, axis=(1, 2)) ** 2 + np.linalg.norm(S, axis=(1, 2)))
    assert np.all(np.linalg.norm(S @ E, axis=(1, 2)) < 1e-9 * scale)
    sv = np.linalg.svd(S, compute_uv=False)
    assert np.all(sv[:, r - 1] > 1e-6 * sv[:, 0]) and np.all(sv[:, r:] < 1e-9 * sv[:, :1])
    flat = S.reshape(len(S), -1) / np.linalg.norm(S, axis=(1, 2))[:, None]
    gaps = np.linalg.norm(flat[:, None] - flat[None], axis=2) + np.eye(len(S))
    assert gaps.min() > 1e-6
    assert np.abs(chart.coordinates(S) - sols).max() < 1e-8 * (1 + np.abs(sols).max())


def test_rank_deficient_roots_are_krawczyk_certified_and_a_wrong_S_is_not():
    from symdyn.models.ssl_strata import certify_rank_root

    Sx, Syx, Sy = random_moments(3, 1)
    M = LinearSSL(3, 4, Sx, Syx, Sy, 0.02, 1.0)
    comps = M.equilibrium_set("sg")
    deficient = [c for c in comps if 0 < c.info["rank"] < 3]
    assert deficient and all(c.certified and c.info["certificate"]["radius"] <= 1e-9 for c in deficient)
    assert comps.certified
    c = deficient[0]
    bad = certify_rank_root(Sx, Syx, 0.02, 1.01 * c.info["S"], c.info["rank"])
    assert not bad["certified"] and "away from the given S" in bad["reason"]
    # the mpmath route (40 digits, intervals) agrees with the double-precision balls on every root
    from symdyn.models.ssl_strata import _certify_chart_mp
    for c in deficient:
        S, r = c.info["S"], c.info["rank"]
        order = np.arange(3)
        P0 = S[:r, :r]
        K0 = np.linalg.solve(P0, S[:r, r:]).T
        u = [P0[i, j] for i in range(r) for j in range(i, r)] + list(K0.ravel())
        slow = _certify_chart_mp(Sx, Syx, 0.02, u, 3, r, S, order, 40)
        assert c.info["certificate"]["arithmetic"] == "double (balls)"
        assert slow["certified"] and slow["radius"] < 1e-20 and slow["arithmetic"].startswith("mpmath")


def test_a_start_system_without_an_independent_count_makes_the_stratum_unchecked(monkeypatch):
    """A start system whose generic count was not found again independently could have missed generic solutions,
    and with them roots at the data: the stratum, and so the set, is "unchecked" and says why."""
    from symdyn.models.ssl_strata import stratum_start

    info = stratum_start(2, 1)[2]
    assert info["count_check"] == info["count"] == 4  # shipped with an independent count
    Sx, Syx, Sy = random_moments(2, 1)
    assert LinearSSL(2, 3, Sx, Syx, Sy, 0.05).equilibrium_set("sg").strata[1]["complete"] == "checked"
    monkeypatch.setitem(info, "count_check", 0)
    comps = LinearSSL(2, 3, Sx, Syx, Sy, 0.05).equilibrium_set("sg")
    assert comps.strata[1]["complete"] == "unchecked" and comps.complete == "unchecked"
    assert any("not confirmed" in n for n in comps.notes)


def test_changing_charts_along_a_path_does_not_change_its_end_point(monkeypatch):
    """Chart switching only changes coordinates: tracked with a switch at every |K| > 0.5 (many switches) the paths
    of (C_2) at m = 3 end at the same S as without switching, and every end point solves S E(S) = 0."""
    import symdyn.models.ssl_strata as st
    from symdyn.models.ssl_e1 import pack_data

    p0, starts, info = st.stratum_start(3, 2)
    starts = starts[:12]
    chart = st.RankChart(3, 2, info["M"])
    Sx, Syx, _ = random_moments(3, 0)
    p1 = pack_data(Sx, Syx, 0.02).astype(complex)
    pa = np.exp(0.7j) * p0
    monkeypatch.setattr(st, "K_MAX", np.inf)
    Sh, h, ok, _, switches = st._track_charted(chart, starts, pa, p1, hmax=0.1, max_steps=4000)
    assert switches == 0
    monkeypatch.setattr(st, "K_MAX", 0.5)
    Sh2, h2, ok2, _, switches2 = st._track_charted(chart, starts, pa, p1, hmax=0.1, max_steps=4000)
    assert switches2 >= 5
    both = ok & ok2
    assert both.sum() >= 10
    S, S2 = Sh[both] / h[both, None, None], Sh2[both] / h2[both, None, None]
    assert np.all(np.linalg.norm(S - S2, axis=(1, 2)) <= 1e-7 * np.linalg.norm(S, axis=(1, 2)))
    L = S @ Sx + 0.02 * np.eye(3)
    E = np.swapaxes(L, 1, 2) @ L - Syx.T @ S @ Syx
    assert np.all(np.linalg.norm(S @ E, axis=(1, 2)) < 1e-9 * np.linalg.norm(S, axis=(1, 2)) * (1 + np.linalg.norm(L, axis=(1, 2)) ** 2))


def test_end_points_merge_within_their_accuracy_radii():
    """Two copies of one ill-conditioned root, 1e-7 apart relative, are one point when each is only accurate to its
    last Newton step (radius 1e-7·|S|), two points when both are accurate to 1e-12 (then they are distinct roots)."""
    from symdyn.models.ssl_strata import _distinct_matrices

    S = np.diag([2.8e5, 3.0, 0.1, 0.0])
    T = S + 1e-7 * 2.8e5 * np.outer([1, 0, 0, 0], [1, 0, 0, 0])
    both = np.array([S, T])
    assert len(_distinct_matrices(both, np.full(2, 1e-7 * 2.8e5))[0]) == 1
    assert len(_distinct_matrices(both, np.full(2, 1e-12 * 2.8e5))[0]) == 2


def test_a_root_the_double_precision_test_cannot_certify_goes_to_mpmath(monkeypatch):
    """When the ball-arithmetic Krawczyk test fails (as for a root too ill-conditioned for doubles), the root is
    tested again in mpmath's interval arithmetic at 40 digits, which certifies it."""
    import symdyn.models.ssl_strata as strata

    Sx, Syx, _ = random_moments(3, 2)
    S = strata.rank_stratum(Sx, Syx, 0.05, r=2)["S"][0]
    monkeypatch.setattr(strata, "krawczyk_widths", lambda *a, **k: [])  # no box passes
    cert = strata.certify_rank_root(Sx, Syx, 0.05, S, 2)
    assert cert["certified"] and cert["arithmetic"] == "mpmath intervals at 40 digits" and cert["radius"] < 1e-20


@pytest.mark.parametrize("m,r", [(2, 1), (3, 1), (3, 2), (4, 3)])
def test_compiled_chart_kernels_equal_the_numpy_definition(m, r):
    """The compiled F, (∂F/∂x, ∂F/∂x₀) and Fp of (C_r) against the batched NumPy methods they are traced from, at
    random complex points, data and per-point charts (other points than the check made when a kernel is built)."""
    from symdyn.models.ssl_strata import RankChart, chart_kernels

    k = chart_kernels(m, r)
    assert k is not None  # SymEngine's LLVM backend is a dependency
    rng = np.random.default_rng(100 + 10 * m + r)
    n, q = 50, m * (m + 1) // 2 + m * m + 1
    chart = RankChart(m, r, rng.standard_normal((n, m, m)) + 1j * rng.standard_normal((n, m, m)))
    X = rng.standard_normal((n, chart.N)) + 1j * rng.standard_normal((n, chart.N))
    x0 = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    p, dp = (rng.standard_normal((n, q)) + 1j * rng.standard_normal((n, q)) for _ in range(2))

    def close(a, b):
        return np.abs(a - b).max() <= 1e-12 * np.abs(b).max()

    assert close(chart.F(X, p, x0), chart.F_numpy(X, p, x0))
    assert close(chart.F(X, p), chart.F_numpy(X, p))  # x₀ = 1: the affine system
    for got, ref in zip(chart.Fx_and_Fx0(X, p, x0), chart.Fx_and_Fx0_numpy(X, p, x0)):
        assert close(got, ref)
    assert close(chart.Fp(X, p, dp, x0), chart.Fp_numpy(X, p, dp, x0))
    real = RankChart(m, r, chart.M.real.copy())  # real points, data and chart: what the real Newton polish evaluates
    assert close(real.F(X.real, p.real), real.F_numpy(X.real, p.real))


def test_rank_stratum_is_the_same_on_both_routes(monkeypatch):
    """The compiled kernels change the cost, not the answer: the rank-2 stratum at m = 3 has the same real roots
    (to polishing accuracy) and counts with the kernels and in NumPy."""
    from symdyn.models import ssl_strata

    Sx, Syx, _ = random_moments(3, 2)
    runs = {}
    for compiled in (True, False):
        monkeypatch.setattr(ssl_strata, "COMPILED", compiled)
        runs[compiled] = ssl_strata.rank_stratum(Sx, Syx, 0.05, 2)
    a, b = runs[True], runs[False]
    assert (a["distinct"], a["agree"], len(a["S"])) == (b["distinct"], b["agree"], len(b["S"])) and a["agree"]
    assert len(a["S"]) > 0
    for S in a["S"]:
        assert min(np.linalg.norm(S - T) for T in b["S"]) <= 1e-9 * np.linalg.norm(S)
