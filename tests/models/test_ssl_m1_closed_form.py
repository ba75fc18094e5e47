"""(E1) at m = 1 by the closed form (the default there) against the exact Gröbner route."""
from hypothesis import given, settings, strategies as st

from symdyn import LinearSSL


@settings(max_examples=40, deadline=None)
@given(rho=st.floats(0.05, 3.0), tau=st.floats(0.01, 1.0), sign=st.sampled_from([-1.0, 1.0]), lam=st.floats(0.001, 0.1),
       scale=st.sampled_from([1e-6, 1.0, 1e6]))
def test_m1_closed_form_matches_groebner(rho, tau, sign, lam, scale):
    """The same roots (to 1e-13 relative), the same positive-definiteness, completeness 'proven', at any data
    scale (Σx, Σyx and λ scaled together scale nothing but S)."""
    tau *= sign
    M = LinearSSL(1, 2, [[rho * scale]], [[tau * scale]], [[scale * (tau ** 2 / rho + 1)]], lam * scale)
    cf, gb = M.e1_roots(), M.e1_roots(method="groebner")
    assert cf["complete"] == gb["complete"] == "proven" and cf["certified"]
    a = sorted(float(S[0, 0]) for S in cf["roots"])
    b = sorted(float(S[0, 0]) for S in gb["roots"])
    assert len(a) == len(b) and all(abs(x - y) <= 1e-13 * abs(y) for x, y in zip(a, b))
    assert cf["positive_definite"] == gb["positive_definite"]
    assert all(r < 1e-14 for r in cf["residuals"])


def test_m1_near_tangency_is_left_to_the_exact_route():
    """Δ = τ² − 4ρλ within 1e-12·τ² of 0: its sign is not decided in double precision, so the exact route answers."""
    rho, tau = 1.0, 0.5
    lam = tau ** 2 / (4 * rho) * (1 - 1e-14)
    out = LinearSSL(1, 1, [[rho]], [[tau]], [[1.0]], lam).e1_roots()
    assert out["method"].startswith("Gröbner") or "groebner" in out["method"].lower()
    assert out["complete"] == "proven"
