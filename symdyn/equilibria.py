"""Equilibrium components of a small polynomial field (≤ 6 states), non-isolated ones included.

Method (documented, symbolic):

1. ``sympy.solve(f, states, dict=True)`` returns charts: each chart fixes some states as functions of
   the others (free states are parameters).  The chart's dimension is the number of free states.
2. Charts of the same component (e.g. the two half-circles x₂ = ±√(1 − x₁²)) are merged: each chart's
   implicit equations (s − g(free), squared when g has a square root) are reduced to a lex Gröbner basis,
   and charts with equal bases are one component.  An isolated point is its own component, with the
   equations s − g exactly (radicals denested; never squared, which would admit the other sign).
3. Every component is checked: the field vanishes identically on its chart (simplification) and at
   random real points of it.

SymPy's ``nonlinsolve`` loses components (the origin and ±e₃ of the Oja flow with a repeated
eigenvalue); ``solve`` with ``dict=True`` keeps them, and the tests check that.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

__all__ = ["EquilibriumComponent", "equilibrium_components"]


@dataclass
class EquilibriumComponent:
    """dimension: free parameters; equations: implicit polynomial equations (= 0); charts: solve's dicts."""

    dimension: int
    equations: list
    charts: list

    def __repr__(self) -> str:
        return f"EquilibriumComponent(dimension={self.dimension}, equations={self.equations})"


def _implicit(chart: dict, states) -> list:
    if all(s in chart for s in states):   # an isolated point: its exact coordinates (squaring a radical here
        return [s - sp.expand(sp.radsimp(sp.sqrtdenest(chart[s]))) for s in states]   # would admit the other sign)
    eqs = []
    for s, g in chart.items():
        e = s - g
        if g.has(sp.sqrt) or any(isinstance(a, sp.Pow) and a.exp.is_Rational and a.exp.q != 1 for a in g.atoms(sp.Pow)):
            e = sp.expand(s ** 2 - g ** 2)
        eqs.append(sp.numer(sp.together(e)))
    return list(sp.groebner(eqs, *states, order="lex").exprs) if eqs else []


def equilibrium_components(field, seed: int = 0, samples: int = 5) -> list[EquilibriumComponent]:
    """Components of {f = 0} for a polynomial VectorField with ≤ 6 states and no free parameters."""
    if field.dimension > 6:
        raise ValueError(f"field: equilibrium_components is for ≤ 6 states (got {field.dimension}); "
                         "use a model's own equilibria() or numeric continuation")
    if not field.is_polynomial:
        raise ValueError("field: equilibrium_components needs a polynomial field (Gröbner/solve over polynomials)")
    if field.params:
        raise ValueError(f"field: give values for the parameters {[str(p) for p in field.params]} first (field.subs)")
    states = list(field.states)
    charts = sp.solve(list(field.rhs), states, dict=True)
    comps: dict = {}
    rng = np.random.default_rng(seed)
    for ch in charts:
        free = [s for s in states if s not in ch]
        on = [sp.simplify(e.subs(ch)) for e in field.rhs]
        if any(e != 0 for e in on):  # a chart must make the field vanish identically
            for _ in range(samples):
                pt = {s: float(rng.uniform(-0.9, 0.9)) for s in free}
                vals = [complex(e.subs(pt).evalf()) for e in on]
                if max(abs(v) for v in vals) > 1e-9:
                    raise RuntimeError(f"solve returned a chart {ch} on which the field does not vanish")
        key = tuple(_implicit(ch, states))
        comps.setdefault(key, EquilibriumComponent(len(free), list(key), []))
        comps[key].charts.append(ch)
    return sorted(comps.values(), key=lambda c: (-c.dimension, str(c.equations)))
