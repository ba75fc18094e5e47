"""The two records of the theorem registry: a :class:`Theorem` (a claim with its random-instance
generator and check) and the :class:`CheckResult` of one check on one instance."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["Theorem", "CheckResult"]


@dataclass
class CheckResult:
    """passed: the claim holds on this instance; applicable: the hypothesis holds; residual: the
    measured error (or margin) of the check; detail: one line."""

    passed: bool
    residual: float = 0.0
    applicable: bool = True
    detail: str = ""


@dataclass
class Theorem:
    """A claim: ``generate(rng)`` draws an instance, ``check(instance)`` returns a :class:`CheckResult`.

    ``measure`` says what ``CheckResult.residual`` is: ``"residual"`` (an error: the report shows the largest)
    or ``"margin"`` (a distance to the decision boundary of a verdict: the report shows the smallest, the
    informative one)."""

    id: str
    statement: str
    source: str
    kind: str
    generate: Callable[[np.random.Generator], dict]
    check: Callable[[dict], CheckResult]
    note: str = ""
    measure: str = "residual"

    def __post_init__(self):
        if self.measure not in ("residual", "margin"):
            raise ValueError(f"measure: expected 'residual' or 'margin', got {self.measure!r}")
