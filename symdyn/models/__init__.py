"""Models: each writes its objective or field once in SymPy (see DESIGN.md)."""
from .ssl_linear import LinearSSL

__all__ = ["LinearSSL"]
