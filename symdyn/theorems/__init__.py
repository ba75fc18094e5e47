"""Theorem registry: the claims of the papers, each checked by computation on random instances.

* :mod:`.registry` — :class:`Theorem`, :class:`CheckResult`, the registry :data:`THEOREMS` (built on first use),
  :func:`register`, :func:`verify`, :func:`format_report`.
* :mod:`.ssl_linear`, :mod:`.attention`, :mod:`.neighbours` — one module per paper, each a ``theorems()`` list.
* :mod:`.user` — claims built from a user's field (:func:`decay_law`).

Instances come from :mod:`symdyn.instances`.  To add a theorem to the package, append it to the ``theorems()``
of its section; a user registers one with :func:`register` (``symdyn verify --import my_module``).
"""
from .registry import SECTIONS, THEOREMS, CheckResult, Theorem, TheoremReport, format_report, register, verify
from .user import decay_law

__all__ = ["Theorem", "CheckResult", "TheoremReport", "THEOREMS", "SECTIONS", "register", "decay_law", "verify",
           "format_report"]
