"""Reproduced experiments: one module per experiment (``run(...)``, ``format_table``, ``EXPERIMENT``), collected
in :data:`EXPERIMENTS`, from which ``symdyn reproduce`` builds its sub-parsers (see :mod:`.registry`)."""
from __future__ import annotations

import importlib

from .registry import Experiment, Option, report, write_json

__all__ = ["EXPERIMENTS", "MODULES", "Experiment", "Option", "write_json", "report"]

MODULES = ("ssl_m1", "ssl_branches", "attention_multistability", "figures")  # in the order of the CLI's list

EXPERIMENTS: dict = {}
for _name in MODULES:
    _exp = importlib.import_module(f"{__name__}.{_name}").EXPERIMENT
    EXPERIMENTS[_exp.name] = _exp
