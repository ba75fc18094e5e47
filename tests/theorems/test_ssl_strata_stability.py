"""ssl.strata-stability: SG and EMA verdicts differ only by a Hopf crossing (`verify --instances 80 --seed 1` found
an SG-stable rank-1 component that EMA at κ = 1.77 destabilises through a complex pair)."""
import json
from pathlib import Path

import numpy as np
import pytest

from symdyn import LinearSSL
from symdyn.instances import random_moments
from symdyn.theorems.ssl_linear import _check_strata_stability
from tests.helpers import finite_difference_jacobian


@pytest.mark.parametrize("m,n,kappa", [(1, 2, 0.3), (2, 3, 1.7), (2, 2, 25.0)])
def test_ema_determinant_is_the_sg_determinant_times_minus_kappa_to_the_nm(m, n, kappa):
    """At any point with C = A (every equilibrium): det J_EMA = (−κ)^{nm} det J_SG (adding the C columns to the A
    columns turns the Ċ = κ(A − C) rows into (0, 0, −κI) and the A columns into SG's).  So no real eigenvalue of
    J_EMA crosses 0 as κ varies: SG and EMA verdicts can differ only by a complex pair.  Checked with
    finite-difference Jacobians (independent of the compiled ones)."""
    rng = np.random.default_rng(m + n)
    Sx, Syx, Sy = random_moments(m, 7)
    model = LinearSSL(m, n, Sx, Syx, Sy, 0.03, kappa)
    sg, ema = model.kernel("sg"), model.kernel("ema")
    for _ in range(3):
        A, B = rng.standard_normal((n, m)), rng.standard_normal((n, n))
        Js = finite_difference_jacobian(sg.f, model.pack(A, B))
        Je = finite_difference_jacobian(ema.f, model.pack(A, B, A))
        sign_s, log_s = np.linalg.slogdet(Js)
        sign_e, log_e = np.linalg.slogdet(Je)
        assert sign_e == sign_s * (-1) ** (n * m)
        assert abs(log_e - (log_s + n * m * np.log(kappa))) < 1e-6 * max(1.0, abs(log_e))


def test_ema_destabilising_a_stable_component_passes_as_a_hopf_crossing():
    d = json.loads((Path(__file__).parent / "data" / "ssl_strata_stability_hopf.json").read_text())
    inst = {k: np.array(v) if isinstance(v, list) else v for k, v in d["instance"].items()}
    out = _check_strata_stability(inst)
    assert out.passed, out.detail
    assert "Hopf" in out.evidence and "EMA (κ = 1.77) saddle" in out.detail
