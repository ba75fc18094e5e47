"""The experiment registry: each reproduced experiment declares its name, options and README section once, and
the CLI's ``symdyn reproduce NAME`` sub-parsers are generated from it.

An :class:`Experiment` has a ``reproduce(args)`` entry point (runs, prints its table, splices the README when
``--readme`` is given) and its :class:`Option` list; the common options (``--seed``, ``--out``, ``--no-progress``,
``--readme``) are added from its flags.  To add an experiment: write a module in this package with ``run(...)``,
``format_table(result)`` and ``EXPERIMENT = Experiment(...)``, and list the module in :data:`MODULES`.
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..readme import splice_readme

__all__ = ["Option", "Experiment", "write_json", "report", "run_experiment", "ETA", "ALPHA", "WORKERS"]


@dataclass(frozen=True)
class Option:
    """One command-line option of an experiment.

    flag : str — e.g. ``"--trials"``; type : ``"positive_int"``, ``"float"`` (finite) or ``"str"``;
    default, help, choices : as in ``argparse``; param : the keyword of the experiment's ``run`` it is passed as
    (default: the flag's name, dashes as underscores); label : its name in the printed configuration and the README
    settings (default: ``param``; ``""``: not shown).

    Examples
    --------
    >>> opt = Option("--t-max", "integration horizon", "float", 1500.0, label="")
    >>> opt.dest, opt.keyword                                # the parsed attribute and run's keyword
    ('t_max', 't_max')
    """

    flag: str
    help: str
    type: str = "str"
    default: Any = None
    choices: tuple | None = None
    param: str | None = None
    label: str | None = None

    @property
    def dest(self) -> str:
        """The attribute of the parsed arguments."""
        return self.flag.lstrip("-").replace("-", "_")

    @property
    def keyword(self) -> str:
        """The keyword of ``run``."""
        return self.param or self.dest


# options shared by the discrete-training experiments
ETA = Option("--eta", "learning rate (default 0.05)", "float", 0.05)
ALPHA = Option("--alpha", "EMA coefficient (default 0.99)", "float", 0.99)
# shared by the experiments that run on the executor (symdyn.executor): not a setting of the result
WORKERS = Option("--workers", "local worker processes (default: every core; the results do not depend on it)",
                 "positive_int", None, label="")


@dataclass(frozen=True)
class Experiment:
    """A reproduced experiment, declared once.

    name : the CLI's name; help : one line; options : its :class:`Option` list;
    run : ``run(**options, seed, out, progress) -> dict`` (a JSON-able result); table : ``table(result) -> str``
    (Markdown); output : default JSON path (None: writes none, no ``--out``); progress : whether it has a progress bar;
    readme_key : the README section its table goes to (None: no ``--readme``); remark : printed after the table;
    settings : the option labels named in the README line (default: all); summary : ``summary(result) -> str`` for
    the last printed line; entry : a custom ``entry(args) -> exit status`` replacing the standard
    :func:`run_experiment` (e.g. figures).

    Examples
    --------
    >>> import argparse
    >>> def coin_run(flips, seed, out, progress):              # a toy experiment: the share of heads
    ...     import numpy as np
    ...     return write_json({"heads": float(np.random.default_rng(seed).integers(0, 2, flips).mean())}, out)
    >>> toy = Experiment("coins", "fair coins", (Option("--flips", "coin flips", "positive_int", 100),), coin_run,
    ...                  table=lambda res: f"| heads |\\n|---|\\n| {res['heads']:.2f} |", output=None, readme_key=None)
    >>> args = argparse.Namespace(flips=1000, seed=0, out=None, no_progress=True, readme=None)
    >>> toy.reproduce(args)                                  # doctest: +ELLIPSIS
    coins: flips=1000 seed=0
    <BLANKLINE>
    | heads |
    |---|
    | 0.5... |
    <BLANKLINE>
    <BLANKLINE>
    total ... s; written to (not written)
    0
    """

    name: str
    help: str
    options: tuple[Option, ...] = ()
    run: Callable | None = None
    table: Callable | None = None
    output: str | None = None
    progress: bool = True
    readme_key: str | None = None
    remark: str = ""
    settings: tuple | None = None
    summary: Callable | None = None
    entry: Callable | None = None

    def reproduce(self, args: argparse.Namespace) -> int:
        """``symdyn reproduce NAME``: run with the parsed command-line options (exit status)."""
        return self.entry(args) if self.entry is not None else run_experiment(args, self)


def write_json(result: dict, out: str | Path | None, exclude: tuple = (),
               table: Callable[[dict], str] | None = None) -> dict:
    """Write ``result`` (minus the keys in ``exclude``) as JSON to ``out`` (parents created), with a provenance block
    (:func:`symdyn.provenance.provenance`: versions, command line, seed, time); record the path.  Returns the result
    as an :class:`symdyn.display.ExperimentResult` (a dict that Jupyter shows as ``table(result)``).

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "sub" / "result.json"
    >>> res = write_json({"trials": 10, "seed": 3}, path)
    >>> saved = json.loads(path.read_text())
    >>> saved["trials"], saved["provenance"]["seed"], res["written_to"] == str(path)
    (10, 3, True)
    """
    from ..display import ExperimentResult

    if out:
        from ..provenance import provenance

        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {k: v for k, v in result.items() if k not in exclude}
        data["provenance"] = provenance(seed=result.get("seed"))
        path.write_text(json.dumps(data, indent=2))
        result["written_to"] = str(path)
    return ExperimentResult(result, table)


def report(args: argparse.Namespace, key: str, settings: str, table: str, remark: str) -> None:
    """Print an experiment's table and remark, and splice ``settings:`` + the table into the README section ``key``
    when ``--readme`` was given.

    Examples
    --------
    >>> import argparse
    >>> report(argparse.Namespace(readme=None), "reproduce:demo", "settings", "| a |\\n|---|\\n| 1 |", "A remark.")
    <BLANKLINE>
    | a |
    |---|
    | 1 |
    <BLANKLINE>
    A remark.
    """
    print()
    print(table)
    splice_readme(getattr(args, "readme", None), key, f"{settings}:\n\n{table}")
    print()
    print(remark)


def run_experiment(args: argparse.Namespace, exp: Experiment) -> int:
    """The standard ``symdyn reproduce``: print the configuration (every labelled option and the seed), call
    ``exp.run`` with the options as keywords (plus ``seed``, ``out``, ``progress``), print the table and the remark and
    splice the settings + table into the README section (:func:`report`), then a last line (``exp.summary``, the
    time, where the result was written).

    Examples
    --------
    >>> import argparse
    >>> def coin_run(flips, seed, out, progress):              # a toy experiment: the share of heads
    ...     import numpy as np
    ...     return write_json({"heads": float(np.random.default_rng(seed).integers(0, 2, flips).mean())}, out)
    >>> toy = Experiment("coins", "fair coins", (Option("--flips", "coin flips", "positive_int", 100),), coin_run,
    ...                  table=lambda res: f"| heads |\\n|---|\\n| {res['heads']:.2f} |", output=None, readme_key=None)
    >>> args = argparse.Namespace(flips=10, seed=1, out=None, no_progress=True, readme=None)
    >>> run_experiment(args, toy)                            # doctest: +ELLIPSIS
    coins: flips=10 seed=1
    ...
    0
    """
    shown = {(o.keyword if o.label is None else o.label): getattr(args, o.dest) for o in exp.options if o.label != ""}
    shown["seed"] = args.seed
    print(f"{exp.name}: " + " ".join(f"{k}={v}" for k, v in shown.items()), flush=True)
    t0 = time.perf_counter()
    res = exp.run(**{o.keyword: getattr(args, o.dest) for o in exp.options}, seed=args.seed, out=args.out or None,
                  progress=not args.no_progress)
    report(args, exp.readme_key, f"`symdyn reproduce {exp.name}` ("
           + ", ".join(f"{k}={shown[k]}" for k in (exp.settings or tuple(shown))) + ")", exp.table(res), exp.remark)
    print((exp.summary(res) + "; " if exp.summary else "") + f"total {time.perf_counter() - t0:.1f} s; written to "
          f"{res.get('written_to', '(not written)')}")
    return 0
