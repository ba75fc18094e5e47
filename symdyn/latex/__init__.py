"""Derivation documents: complete LaTeX files typeset from what the models derived and computed.

Every formula is ``sympy.latex`` of an expression a model derived (objective, gradients, fields, equilibrium
equations, Jacobians, spectra); every number and verdict comes from a computation of the same run; prose is
fixed text.  The renderers only typeset: the mathematics they show lives in the models.

* :mod:`.document` — the article wrapper and number formats.
* :mod:`.ssl` — :func:`ssl_document` (linear SSL; takes a numeric ``model`` or builds the default instance).
* :mod:`.attention` — :func:`attention_document`.
* :mod:`.neighbours` — :func:`directpred_document`, :func:`deep_linear_document`, :func:`oja_subspace_document`.
* :mod:`.field` — :func:`field_document` for any VectorField.
"""
from .attention import attention_document
from .document import document
from .field import field_document
from .neighbours import deep_linear_document, directpred_document, oja_subspace_document
from .ssl import ssl_document

__all__ = ["ssl_document", "attention_document", "directpred_document", "deep_linear_document",
           "oja_subspace_document", "field_document", "document"]
