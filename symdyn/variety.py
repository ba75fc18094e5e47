"""Former home of :class:`EquilibriumVariety`, now one type with the exact solver's components:
:class:`symdyn.equilibria.EquilibriumComponent` (this module keeps old imports working)."""
from .equilibria.component import EquilibriumComponent, EquilibriumVariety
from .stability import relative_residual

__all__ = ["EquilibriumVariety", "EquilibriumComponent", "relative_residual"]
