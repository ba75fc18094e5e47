"""symdyn — symbolic-numeric analysis of learning dynamics (public API)."""
from .classify import ClassificationResult, Tolerances, classify
from .equilibria import EquilibriumComponent, EquilibriumSet, equilibrium_components
from .field import GradientCheck, VectorField
from .kernels import Kernel
from .models import DirectPred, LinearSSL, MultiAgentOja, OjaFlow, OjaSubspaceFlow, SelfAttention
from .stability import StabilityReport, stability
from .equilibria import EquilibriumVariety

__all__ = ["VectorField", "GradientCheck", "Kernel", "LinearSSL", "SelfAttention", "OjaFlow", "MultiAgentOja",
           "OjaSubspaceFlow", "DirectPred",
           "EquilibriumVariety", "StabilityReport", "stability", "classify", "ClassificationResult", "Tolerances",
           "equilibrium_components", "EquilibriumComponent"]
__version__ = "0.1.0"
