"""Claims a user builds from a field: :func:`decay_law` (dQ/dt = −rate·Q, with a symbolic proof and an
integrated check per instance)."""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import sympy as sp

from ..flows import integrate
from .registry import CheckResult, Theorem

if TYPE_CHECKING:
    from ..field import VectorField

__all__ = ["decay_law"]


def decay_law(id: str, field: VectorField, quantity: sp.Expr, rate: sp.Expr | float = 0, *,
              params: dict | None = None, state_scale: float = 1.0, t_max: float = 2.0, statement: str | None = None,
              source: str = "user") -> Theorem:
    """The claim dQ/dt = −rate·Q along ``field`` (rate = 0: Q is conserved), as a registry entry.

    Proof: ∇Q·f + rate·Q is expanded (simplified if not polynomial) with the parameters symbolic; it
    must vanish identically.  Per instance: a random state x₀ ~ N(0, state_scale²) and parameter
    values drawn uniformly from ``params`` = {name: (low, high)} (one range per field parameter); the
    field is integrated over [0, t_max] and Q(x(t)) compared with Q(x₀)e^{−rate·t} (relative residual
    < 1e-6).  A trajectory that leaves the integrator's reach is "not applicable".

    ``quantity``, ``rate``: SymPy expressions in the field's states and parameters.

    Examples
    --------
    ẋ = −kx: x² decays at rate 2k (proved symbolically, then checked on integrated trajectories).

    >>> import sympy as sp
    >>> from symdyn import VectorField, register, verify
    >>> from symdyn.theorems.registry import THEOREMS
    >>> x, k = sp.symbols("x k", real=True)
    >>> claim = register(decay_law("user.decay-demo", VectorField([x], [-k * x], [k]), x**2, 2 * k,
    ...                            params={"k": (0.5, 2.0)}))
    >>> report = verify([claim.id], instances=3, progress=False, counterexample_dir=None)[0]
    >>> report.status, report.passed
    ('verified', 3)
    >>> _ = THEOREMS.pop(claim.id)
    """
    Q, r = sp.sympify(quantity), sp.sympify(rate)
    known = set(field.states) | set(field.params)
    for name, e in (("quantity", Q), ("rate", r)):
        extra = e.free_symbols - known
        if extra:
            raise ValueError(f"{name}: symbols {sorted(map(str, extra))} are neither states nor parameters of {field.name}")
    if r.free_symbols & set(field.states):
        raise ValueError("rate: must not depend on the states")
    ranges = dict(params or {})
    missing = [str(p) for p in field.params if str(p) not in ranges]
    if missing:
        raise ValueError(f"params: give a (low, high) range for the field parameters {missing}")
    residual = sp.expand(sum(sp.diff(Q, x) * f for x, f in zip(field.states, field.rhs)) + r * Q)
    if residual != 0 and not residual.is_polynomial(*known):
        residual = sp.simplify(residual)
    names = [str(p) for p in field.params]
    q_fn = sp.lambdify([list(field.states), list(field.params)], Q, "numpy")
    r_fn = sp.lambdify([list(field.params)], r, "numpy")

    def generate(rng):
        return {"x0": state_scale * rng.standard_normal(field.dimension),
                "params": {k: float(rng.uniform(*ranges[k])) for k in names}}

    def check(inst):
        if residual != 0:
            return CheckResult(False, np.inf, detail=f"symbolic residual ∇Q·f + rate·Q = {residual}")
        p = [inst["params"][k] for k in names]
        ts = np.linspace(0.0, t_max, 21)
        with warnings.catch_warnings():  # an early stop is handled here: the instance is "not applicable"
            warnings.simplefilter("ignore", RuntimeWarning)
            tr = integrate(field.lambdify(), inst["x0"], t_max, t_eval=ts, **inst["params"])
        if not tr.success or tr.x.shape[0] != ts.size:
            return CheckResult(True, 0.0, applicable=False, detail=tr.message)
        q = np.array([q_fn(x, p) for x in tr.x], dtype=float)
        want = q[0] * np.exp(-float(r_fn(p)) * ts)
        res = float(np.abs(q - want).max() / max(np.abs(q).max(), 1e-300))
        return CheckResult(res < 1e-6, res)

    text = statement or rf"\frac{{d}}{{dt}}\Big({sp.latex(Q)}\Big) = -{sp.latex(r)}\,\Big({sp.latex(Q)}\Big)"
    return Theorem(id, text, source, "symbolic", generate, check)
