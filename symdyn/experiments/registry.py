"""The experiment registry: each reproduced experiment declares its name, options and README section once, and
the CLI's ``symdyn reproduce NAME`` sub-parsers are generated from it.

An :class:`Experiment` has a ``reproduce(args)`` entry point (runs, prints its table, splices the README when
``--readme`` is given) and its :class:`Option` list; the common options (``--seed``, ``--out``, ``--no-progress``,
``--readme``) are added from its flags.  To add an experiment: write a module in this package with ``run(...)``,
``format_table(result)`` and ``EXPERIMENT = Experiment(...)``, and list the module in :data:`MODULES`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..readme import splice_readme

__all__ = ["Option", "Experiment", "write_json", "report"]


@dataclass(frozen=True)
class Option:
    """One command-line option of an experiment.

    flag : str — e.g. ``"--trials"``; type : ``"positive_int"``, ``"float"`` (finite) or ``"str"``;
    default, help, choices : as in ``argparse``; dest : attribute name when it differs from the flag's."""

    flag: str
    help: str
    type: str = "str"
    default: Any = None
    choices: tuple | None = None
    dest: str | None = None


@dataclass(frozen=True)
class Experiment:
    """A reproduced experiment: ``name`` (the CLI's), one-line ``help``, its ``options``, the entry point
    ``reproduce(args) -> exit status``, the default JSON ``output`` (None: writes none, no ``--out``), whether it
    shows a progress bar, and the README section ``readme_key`` its table goes to (None: no ``--readme``)."""

    name: str
    help: str
    options: tuple[Option, ...]
    reproduce: Callable
    output: str | None = None
    progress: bool = True
    readme_key: str | None = None


def write_json(result: dict, out: str | Path | None, exclude: tuple = ()) -> dict:
    """Write ``result`` (minus the keys in ``exclude``) as JSON to ``out`` (parents created); record the path."""
    if out:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({k: v for k, v in result.items() if k not in exclude}, indent=2))
        result["written_to"] = str(path)
    return result


def report(args, key: str, settings: str, table: str, remark: str) -> None:
    """Print an experiment's table and remark, and splice ``settings:`` + the table into the README section ``key``
    when ``--readme`` was given."""
    print()
    print(table)
    splice_readme(getattr(args, "readme", None), key, f"{settings}:\n\n{table}")
    print()
    print(remark)
