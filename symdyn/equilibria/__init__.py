"""Equilibrium sets: one component type (isolated or not) and the exact solver for small polynomial fields.

* :mod:`.component` — :class:`EquilibriumComponent` (dimension, equations, points, certificate, parametrisation,
  tangent space, residuals, stability) and :class:`EquilibriumSet` (a list of them with what was certified).
* :mod:`.algebraic` — :func:`equilibrium_components`: the real components of {f = 0}, exact over ℚ, or refused.
* :mod:`.search` — :func:`search_equilibria`: equilibria reached by many-start Gauss–Newton and integration, the
  independent check of a solver's list.

The numerical local dimension lives in :mod:`symdyn.local_dimension` (the stability layer uses it too) and the
polynomial root finders in :mod:`symdyn.polysolve`.
"""
from .algebraic import equilibrium_components
from .component import EquilibriumComponent, EquilibriumSet, EquilibriumVariety
from .search import SearchResult, search_equilibria

__all__ = ["EquilibriumComponent", "EquilibriumSet", "EquilibriumVariety", "equilibrium_components",
           "SearchResult", "search_equilibria"]
