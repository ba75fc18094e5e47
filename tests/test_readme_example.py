"""The README's 'your own model' example runs as printed, and what it prints is the known mathematics."""
import contextlib
import io
from pathlib import Path

import numpy as np

from symdyn.theorems import THEOREMS

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs_and_agrees_with_the_closed_form():
    text = README.read_text()
    code = text.split("<!-- example:start -->")[1].split("<!-- example:end -->")[0]
    code = code.split("```python")[1].split("```")[0]
    assert len(code.strip().splitlines()) <= 20
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            exec(compile(code, "README example", "exec"), {})
    finally:
        THEOREMS.pop("user.balance", None)   # the example registers it; keep the registry as shipped
    assert "user.balance: verified" in buf.getvalue()
    rows = [ln.split(maxsplit=3) for ln in buf.getvalue().splitlines() if ln.startswith("0 [")]
    # m = n = 1 SSL with ρ = τ = 1, λ = 1/10: equilibria a = ±r, b = r with r = (1 ∓ √(1 − 4λ))/2, and 0
    r_in, r_out = (1 - np.sqrt(0.6)) / 2, (1 + np.sqrt(0.6)) / 2
    seen = {}
    for _, xa, xb, verdict in ([r[0], r[1].strip("["), r[2].strip("]"), r[3]] for r in rows):
        seen[(round(abs(float(xa)), 4), round(float(xb), 4))] = verdict
    assert seen[(round(r_out, 4), round(r_out, 4))] == "asymptotically stable"
    assert seen[(round(r_in, 4), round(r_in, 4))] == "saddle"
    assert seen[(0.0, 0.0)] == "asymptotically stable"
