"""Models: each writes its objective or field once in SymPy (see DESIGN.md)."""
from .attention import SelfAttention
from .directpred import DirectPred
from .oja import MultiAgentOja, OjaFlow
from .oja_subspace import OjaSubspaceFlow
from .ssl_linear import LinearSSL

__all__ = ["LinearSSL", "SelfAttention", "OjaFlow", "MultiAgentOja", "OjaSubspaceFlow", "DirectPred"]
