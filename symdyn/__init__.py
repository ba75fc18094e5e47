"""symdyn — symbolic-numeric analysis of learning dynamics (public API)."""
from .field import GradientCheck, VectorField
from .kernels import Kernel
from .models import LinearSSL
from .stability import StabilityReport, stability
from .variety import EquilibriumVariety

__all__ = ["VectorField", "GradientCheck", "Kernel", "LinearSSL", "EquilibriumVariety",
           "StabilityReport", "stability"]
__version__ = "0.1.0"
