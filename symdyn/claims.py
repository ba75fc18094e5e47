"""Former home of :class:`Theorem` and :class:`CheckResult` (now :mod:`symdyn.theorems.registry`); kept so that
old imports keep working."""
from .theorems.registry import CheckResult, Theorem

__all__ = ["Theorem", "CheckResult"]
