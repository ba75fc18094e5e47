"""Models: each writes its objective or field once in SymPy (see ARCHITECTURE.md).

They share a small protocol: ``field(...)`` (the derived VectorField), ``kernel(...)`` (compiled), ``pack``/``unpack``
(named matrices ↔ the flat state), and where the model knows them ``equilibria(...)`` and ``discrete_step(...)``
(the training map for :func:`symdyn.flows.euler_map`).  Random instances live in :mod:`symdyn.instances`.
"""
from .attention import SelfAttention
from .deep_linear import DeepLinear
from .directpred import DirectPred
from .oja import MultiAgentOja, OjaFlow
from .oja_subspace import OjaSubspaceFlow
from .ssl_linear import LinearSSL

__all__ = ["LinearSSL", "SelfAttention", "OjaFlow", "MultiAgentOja", "OjaSubspaceFlow", "DirectPred", "DeepLinear"]
