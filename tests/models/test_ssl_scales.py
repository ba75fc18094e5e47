"""Linear SSL at extreme scales: nothing dropped, nothing complex, refusals before work (issue: never silently wrong)."""
import time
import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import given, strategies as st

from symdyn import LinearSSL
from symdyn.models.ssl_linear import m1_radii, random_moments


def _radii_mp(rho, tau, lam):
    """(r1, r2) of ρr² − |τ|r + λ = 0 at 50 digits, by mpmath's polynomial root finder (independent of m1_radii)."""
    with mpmath.workdps(50):
        roots = mpmath.polyroots([mpmath.mpf(rho), -abs(mpmath.mpf(tau)), mpmath.mpf(lam)], maxsteps=200, extraprec=200)
        return sorted(float(mpmath.re(r)) for r in roots)


def test_m1_radii_without_cancellation():
    r1, r2 = m1_radii(1e-12, 402.9, 6.63)["radii"]
    assert r1 == pytest.approx(0.016455696202531646905851923307731767932, rel=1e-14)
    assert r2 == pytest.approx(_radii_mp(1e-12, 402.9, 6.63)[1], rel=1e-14)


@given(st.floats(-8, 8), st.floats(-8, 8), st.floats(0.05, 3.0), st.floats(0.05, 3.0), st.floats(1e-6, 0.24))
def test_m1_branches_at_random_scales_against_50_digit_roots(log_sigma, log_lam_scale, rho, tau, frac):
    # Σ scaled by 10^a and λ by 10^b (with λ chosen inside the existence region Δ = τ² − 4ρλ > 0)
    s, t = 10.0 ** log_sigma, 10.0 ** log_lam_scale
    rho_s, tau_s = rho * s, tau * s * np.sqrt(t)           # τ² / ρ scales like s·t, so λ = frac·τ²/ρ stays valid
    lam = frac * tau_s ** 2 / rho_s
    model = LinearSSL(1, 2, [[rho_s]], [[tau_s]], lam=lam)
    expected = _radii_mp(rho_s, tau_s, lam)
    radii = sorted(float(np.sqrt(V.info["S"][0, 0])) for V in model.equilibria("sg"))
    assert radii == pytest.approx(expected, rel=1e-10)
    assert sorted(model.m1_spheres()["radii"]) == pytest.approx(expected, rel=1e-12)


def test_inner_branch_is_kept_at_tiny_scales():
    for model in (LinearSSL(1, 2, [[1e-6]], [[1e-6]], lam=1e-15), LinearSSL(1, 2, [[959.0]], [[838.0]], lam=1e-5)):
        Vs = model.equilibria("sg")
        expected = _radii_mp(model.sigma_x[0, 0], model.sigma_yx[0, 0], model.lam)
        assert len(Vs) == 2
        assert sorted(float(np.sqrt(V.info["S"][0, 0])) for V in Vs) == pytest.approx(expected, rel=1e-10)
        assert all(V.dimension == 1 and V.residual(V.sample(0)) < 1e-12 for V in Vs)


def test_outer_branch_is_stable_at_tiny_weight_decay():
    # the slowest rate is ≈ −λ, far below 1e-7·‖J‖: judged on the quotient by the tangent space
    rng = np.random.default_rng(4)
    Sx, Syx, _ = random_moments(2, rng)
    for lam in (1e-8, 1e-10):
        model = LinearSSL(2, 3, Sx, Syx, lam=lam)
        Vs = model.equilibria("sg")
        verdicts = [V.stability(seed=0).verdict for V in Vs]
        assert verdicts[-1] == "asymptotically stable" and verdicts.count("asymptotically stable") == 1
        assert all(v == "saddle" for v in verdicts[:-1])


def test_refusals_come_before_any_work():
    Sx, Syx, _ = random_moments(2, 0)
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="lam: λ relative to the data"):
        LinearSSL(2, 3, Sx, Syx, lam=1e-300).equilibria("sg")
    Sx6, Syx6, _ = random_moments(6, 0)
    with pytest.raises(ValueError, match=r"m: \(E1\) at m = 6 .* 2097152 total-degree homotopy paths"):
        LinearSSL(6, 8, Sx6, Syx6, lam=0.02).equilibria("sg")
    assert time.perf_counter() - t0 < 10.0


def test_independent_views_have_no_positive_definite_root():
    Sx, _, _ = random_moments(3, 1)
    model = LinearSSL(3, 3, Sx, np.zeros((3, 3)), lam=0.02)
    roots = model.e1_roots()
    assert model.equilibria("sg") == [] and roots["positive_definite"] == [False]
    (S,) = roots["roots"]
    assert np.allclose(S @ Sx, -0.02 * np.eye(3)) and roots["complete"] == "proven"


def test_nearly_repeated_roots_at_m3_are_all_found_and_certified():
    # commuting data; mode 1 sits 1e-12 (relative) from its fold, so its two radii are ≈ 1e-6 apart
    rho, tau = np.array([1.0, 1.3, 0.8]), np.array([0.9, 1.1, 0.95])
    lam = tau[0] ** 2 / (4 * rho[0]) * (1 - 1e-12)
    Q = np.linalg.qr(np.random.default_rng(1).standard_normal((3, 3)))[0]
    Sx, Syx = (Q * rho) @ Q.T, (Q * tau) @ Q.T
    model = LinearSSL(3, 3, (Sx + Sx.T) / 2, (Syx + Syx.T) / 2, lam=lam)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a certified, complete answer emits no warning
        Vs = model.equilibria("sg")
    closed = sorted(np.trace(V.info["S"]) for V in model.commuting_equilibria("sg") if V.info["rank"] == 3)
    assert len(Vs) == len(closed) == 8
    assert sorted(np.trace(V.info["S"]) for V in Vs) == pytest.approx(closed, rel=1e-9)
    assert all(V.info["certified"] and V.info["complete"] == "checked" for V in Vs)
