"""Models: each writes its objective or field once in SymPy (see DESIGN.md)."""
from .attention import SelfAttention
from .oja import MultiAgentOja, OjaFlow
from .ssl_linear import LinearSSL

__all__ = ["LinearSSL", "SelfAttention", "OjaFlow", "MultiAgentOja"]
