"""symdyn — symbolic-numeric analysis of learning dynamics (public API)."""
from .classify import ClassificationResult, Tolerances, classify
from .field import GradientCheck, VectorField
from .kernels import Kernel
from .models import LinearSSL, MultiAgentOja, OjaFlow, SelfAttention
from .stability import StabilityReport, stability
from .variety import EquilibriumVariety

__all__ = ["VectorField", "GradientCheck", "Kernel", "LinearSSL", "SelfAttention", "OjaFlow", "MultiAgentOja",
           "EquilibriumVariety", "StabilityReport", "stability", "classify", "ClassificationResult", "Tolerances"]
__version__ = "0.1.0"
