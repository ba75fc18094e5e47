"""Reproduced experiments: one module per experiment (``run(...)``, ``format_table``, ``EXPERIMENT``; a module may add
companion experiments in ``MORE_EXPERIMENTS``), collected in :data:`EXPERIMENTS`, from which ``symdyn reproduce``
builds its sub-parsers (see :mod:`.registry`)."""
from __future__ import annotations

import importlib

from .registry import Experiment, Option, report, write_json

__all__ = ["EXPERIMENTS", "MODULES", "Experiment", "Option", "write_json", "report"]

MODULES = ("ssl_m1", "ssl_branches", "attention_multistability", "figures")  # in the order of the CLI's list

EXPERIMENTS: dict = {}
for _name in MODULES:
    _mod = importlib.import_module(f"{__name__}.{_name}")
    for _exp in (_mod.EXPERIMENT, *getattr(_mod, "MORE_EXPERIMENTS", ())):
        EXPERIMENTS[_exp.name] = _exp
