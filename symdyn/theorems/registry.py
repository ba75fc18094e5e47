"""The theorem registry: :class:`Theorem` (a claim with its random-instance generator and check), the
:class:`CheckResult` of one check, the registry :data:`THEOREMS` (built on first use from the section modules
:mod:`.ssl_linear`, :mod:`.attention`, :mod:`.neighbours`, :mod:`.generalization`, :mod:`.discrete`), :func:`register`, and :func:`verify` with its report.

``verify`` runs theorems on ``instances`` random instances each (each instance seeded by its theorem id and index, so
``--only`` draws the same instances, and so does any number of workers), and reports per theorem how many instances passed, were not applicable (the hypothesis does not
hold for that draw), or refuted the claim (the first counterexample written to ``results/counterexamples/ID.json``);
a check that raises is reported as an error, never crashes the run.
"""
from __future__ import annotations

import importlib
import json
import time
import zlib
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from .._validate import positive_int, seed_value

if TYPE_CHECKING:
    from ..display import VerifyReport

__all__ = ["Theorem", "CheckResult", "TheoremReport", "THEOREMS", "SECTIONS", "register", "verify", "format_report"]

SECTIONS = ("ssl_linear", "attention", "neighbours", "generalization", "discrete")  # modules of this package, one per paper section, in order


@dataclass
class CheckResult:
    """passed: the claim holds on this instance; applicable: the hypothesis holds; residual: the
    measured error (or margin) of the check; detail: one line; evidence: a short label for an instance that
    bears on the claim in a particular way (e.g. "no full-rank equilibrium, none found by search"), tallied
    per label in the report.

    Examples
    --------
    >>> CheckResult(passed=True, residual=1e-13).applicable    # the hypothesis holds unless said otherwise
    True
    """

    passed: bool
    residual: float = 0.0
    applicable: bool = True
    detail: str = ""
    evidence: str = ""


@dataclass
class Theorem:
    """A claim: ``generate(rng)`` draws an instance, ``check(instance)`` returns a :class:`CheckResult`.

    ``stream``: theorems with the same non-empty stream (and the same ``generate``) are checked on the same instances,
    one after the other in one process, so work they share is done once per instance (the SSL entries that need the
    whole equilibrium set: ``ssl_model`` returns the same model, with its cached solutions, for the same data).  They
    receive the same instance object, so a check must not modify its instance.

    ``measure`` says what ``CheckResult.residual`` is: ``"residual"`` (an error: the report shows the largest)
    or ``"margin"`` (a distance to the decision boundary of a verdict: the report shows the smallest, the
    informative one).

    Examples
    --------
    >>> import numpy as np
    >>> from symdyn import register, verify
    >>> t = register(Theorem("user.sum-of-squares", "x·x ≥ 0", "user", "numeric",
    ...                      generate=lambda rng: rng.standard_normal(2),
    ...                      check=lambda v: CheckResult(bool(v @ v >= 0), 0.0)))
    >>> r = verify([t.id], instances=5, progress=False, counterexample_dir=None)[0]
    >>> r.status, r.passed
    ('verified', 5)
    >>> _ = THEOREMS.pop(t.id)
    """

    id: str
    statement: str
    source: str
    kind: str
    generate: Callable[[np.random.Generator], dict]
    check: Callable[[dict], CheckResult]
    note: str = ""
    measure: str = "residual"
    stream: str = ""

    def __post_init__(self):
        if self.measure not in ("residual", "margin"):
            raise ValueError(f"measure: expected 'residual' or 'margin', got {self.measure!r}")
        if not isinstance(self.stream, str):
            raise TypeError(f"stream: expected a string, got {type(self.stream).__name__}")


@dataclass
class TheoremReport:
    """One registry entry's tally over its random instances (one row of :func:`format_report`): ``passed``,
    ``not_applicable``, ``refuted`` and ``errors`` instances, the largest residual (or, for verdict theorems,
    ``measure="margin"``, the smallest margin ``min_margin``), ``status`` ("verified", "refuted", "error" or
    "not applicable"), the first counterexample and error, and ``evidence`` (what instances counted as evidence for
    an existence claim, by kind).

    Examples
    --------
    >>> from symdyn.theorems import verify
    >>> report = verify(["ssl.gf-collapse"], instances=3, progress=False)[0]
    >>> report.id, report.instances, report.passed, report.status, report.ok
    ('ssl.gf-collapse', 3, 3, 'verified', True)
    """
    id: str
    kind: str
    instances: int
    passed: int = 0
    not_applicable: int = 0
    refuted: int = 0
    errors: int = 0
    max_residual: float = 0.0
    seconds: float = 0.0
    status: str = ""
    counterexample: str | None = None
    first_error: str | None = None
    measure: str = "residual"
    min_margin: float | None = None
    counterexample_residual: float | None = None
    evidence: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when verified or not applicable (what ``symdyn verify`` exits 0 on)."""
        return self.status in ("verified", "not applicable")




class _Registry(MutableMapping):
    """{id: Theorem}, filled on first use from the section modules (each has ``theorems() -> list``), so importing
    symdyn does not build 26 claims and their models."""

    def __init__(self):
        self._items: dict = {}
        self._loaded = False

    def _load(self):
        if not self._loaded:  # every access goes through here, so nothing is registered before the built-in ones
            for name in SECTIONS:
                for th in importlib.import_module(f"{__package__}.{name}").theorems():
                    self._items[th.id] = th
            self._loaded = True
        return self._items

    def __getitem__(self, key):
        return self._load()[key]

    def __setitem__(self, key, value):
        self._load()[key] = value

    def __delitem__(self, key):
        del self._load()[key]

    def __iter__(self):
        return iter(self._load())

    def __len__(self):
        return len(self._load())

    def __repr__(self) -> str:
        return f"THEOREMS({list(self)})"


THEOREMS = _Registry()


def register(theorem: Theorem, replace: bool = False) -> Theorem:
    """Add ``theorem`` to the registry (then ``verify`` and ``symdyn verify --import MODULE`` run it).

    An existing id is an error unless ``replace=True``.

    Examples
    --------
    >>> import sympy as sp
    >>> from symdyn import VectorField, decay_law, verify
    >>> x, k = sp.symbols("x k", real=True)
    >>> claim = register(decay_law("user.register-demo", VectorField([x], [-k * x], [k]), x**2, 2 * k,
    ...                            params={"k": (0.5, 2.0)}))
    >>> verify([claim.id], instances=3, progress=False, counterexample_dir=None)[0].status
    'verified'
    >>> _ = THEOREMS.pop(claim.id)                          # leave the registry as it was
    """
    if not isinstance(theorem, Theorem):
        raise TypeError(f"theorem: expected a symdyn Theorem, got {type(theorem).__name__}")
    if not isinstance(theorem.id, str) or not theorem.id or any(c.isspace() for c in theorem.id):
        raise ValueError(f"theorem: id must be a non-empty string without spaces, got {theorem.id!r}")
    if theorem.id in THEOREMS and not replace:
        raise ValueError(f"theorem: id {theorem.id!r} is already registered (pass replace=True)")
    if not callable(theorem.generate) or not callable(theorem.check):
        raise TypeError("theorem: generate and check must be callables")
    THEOREMS[theorem.id] = theorem
    return theorem


def _jsonable(obj):
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj


#: instances per chunk of work (fixed, so chunks, seeds and results do not depend on the number of workers)
VERIFY_CHUNK = 10


def verify(ids: str | Sequence[str] | None = None, instances: int = 20, seed: int = 0, progress: bool = True,
           counterexample_dir: str | Path | None = "results/counterexamples", *, workers: int | None = 1,
           scheduler: Any = None) -> VerifyReport:
    """Run the registry (or ``ids``) on ``instances`` random instances each; see the module docstring.

    Instance i of theorem ``tid`` is drawn from its own generator, child i of
    ``SeedSequence([seed, crc32(tid)]).spawn(instances)``, so a report does not depend on how the instances are
    cut into chunks or on where they run: ``workers`` local processes (default 1, this process; None: every core,
    the CLI's default) or a Dask ``scheduler``
    (an address, a ``Client``, or ``SYMDYN_SCHEDULER``; :mod:`symdyn.executor`).  Only ``seconds`` (the sum of the
    instances' check times) varies between runs.

    Examples
    --------
    >>> reports = verify(["ssl.m1-spheres"], instances=3, progress=False, counterexample_dir=None)
    >>> reports[0].status, reports[0].passed, reports.ok
    ('verified', 3, True)
    """
    from ..executor import chunk_ranges, map_chunks, scheduler_address, spawn_seeds

    instances = positive_int(instances, "instances")
    seed = seed_value(seed)
    if not isinstance(seed, int):
        raise TypeError("seed: verify takes an integer seed (it is recorded with every counterexample)")
    ids = list(THEOREMS) if not ids else ([ids] if isinstance(ids, str) else list(ids))
    unknown = [i for i in ids if i not in THEOREMS]
    if unknown:
        raise ValueError(f"ids: unknown theorem id(s) {unknown}; valid ids: {', '.join(THEOREMS)}")
    remote = scheduler_address(scheduler) is not None  # a cluster gets the theorems themselves, not their ids
    groups: dict = {}  # stream -> the ids checked together on its instances (a theorem without a stream is alone)
    for tid in ids:
        groups.setdefault(THEOREMS[tid].stream or tid, []).append(tid)
    chunks = []
    for stream, members in groups.items():
        if len({THEOREMS[t].generate for t in members}) > 1:
            raise ValueError(f"ids: theorems {members} share the stream {stream!r} but not their instance generator")
        seeds = spawn_seeds([seed, zlib.crc32(stream.encode())], instances)  # same instances with or without --only
        for a, b in chunk_ranges(instances, VERIFY_CHUNK):
            chunks.append((tuple(THEOREMS[t] if remote else t for t in members), a, seeds[a:b]))
    outcomes = map_chunks(_check_chunk, chunks, workers=workers, scheduler=scheduler,
                          progress="verify" if progress else None,
                          weights=[len(c[2]) * len(c[0]) for c in chunks], unit="inst")
    by_id: dict = {tid: [] for tid in ids}
    for (members, _, _), outs in zip(chunks, outcomes):
        for th, th_outs in zip(members, outs):
            by_id[th if isinstance(th, str) else th.id].extend(th_outs)
    from ..display import VerifyReport

    return VerifyReport(_report(THEOREMS[tid], by_id[tid], instances, seed, counterexample_dir) for tid in ids)


def _check_chunk(chunk) -> list:
    """Draw instances start, start + 1, … of a group of theorems sharing them (ids, looked up in this process's
    registry, or the Theorems themselves) and check each theorem on each: per theorem [(index, CheckResult or None,
    error text or None, instance if refuted, seconds)]."""
    from ..matrix_kernels import shape_templates

    members, start, seeds = chunk
    ths = [THEOREMS[t] if isinstance(t, str) else t for t in members]
    out: list = [[] for _ in ths]
    for i, s in enumerate(seeds, start):
        inst = None
        for th, th_out in zip(ths, out):
            t0 = time.perf_counter()
            if inst is None:
                inst = th.generate(np.random.default_rng(s))
            try:
                with shape_templates():  # thousands of models of a few shapes: compile once per shape
                    res = th.check(inst)
            except Exception as exc:  # reported, not raised: a failing check never stops the run
                th_out.append((i, None, f"{type(exc).__name__}: {exc}", None, time.perf_counter() - t0))
                continue
            if not isinstance(res, CheckResult):
                raise TypeError(f"{th.id}: its check returned {type(res).__name__} {res!r}, not a CheckResult "
                                "(return CheckResult(passed, residual, applicable, detail))")
            refuted = res.applicable and not res.passed
            th_out.append((i, res, None, inst if refuted else None, time.perf_counter() - t0))
    return out


def _report(th: Theorem, outcomes: list, instances: int, seed: int, counterexample_dir) -> TheoremReport:
    """The report of one theorem from its instances' outcomes (in index order)."""
    rep = TheoremReport(th.id, th.kind, instances, measure=th.measure)
    for i, res, error, inst, seconds in sorted(outcomes, key=lambda o: o[0]):
        rep.seconds += seconds
        if res is None:
            rep.errors += 1
            rep.first_error = rep.first_error or error
            continue
        r = float(res.residual)
        if res.evidence:
            rep.evidence[res.evidence] = rep.evidence.get(res.evidence, 0) + 1
        if not res.applicable:
            rep.not_applicable += 1
        elif res.passed:
            rep.passed += 1
            if np.isfinite(r):
                rep.max_residual = max(rep.max_residual, r)
                if th.measure == "margin":
                    rep.min_margin = r if rep.min_margin is None else min(rep.min_margin, r)
        else:
            rep.refuted += 1
            if rep.counterexample_residual is None:
                rep.counterexample_residual = r
            if rep.counterexample is None and counterexample_dir is not None:
                path = Path(counterexample_dir) / f"{th.id}.json"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps({"theorem": th.id, "seed": seed, "instance_index": i,
                                            "instance": _jsonable(inst), "detail": res.detail,
                                            "residual": r}, indent=2))
                rep.counterexample = str(path)
    applicable = instances - rep.not_applicable - rep.errors
    if rep.errors:
        rep.status = f"error on {rep.errors} of {instances}"
    elif rep.refuted:
        rep.status = f"refuted on {rep.refuted} of {applicable}"
    elif applicable == 0:
        rep.status = "not applicable"
    else:
        rep.status = "verified"
    return rep


def format_report(reports: Sequence[TheoremReport]) -> str:
    """Markdown table: id · kind · instances · passed · n/a · status · value · time.

    The value is the largest residual over passed instances, or for verdict theorems (measure "margin") the
    smallest margin; on a refuted row, the first counterexample's residual and where it was saved.  Instances
    with an evidence label are counted after the status ("verified; 3 × no full-rank equilibrium ...").

    Examples
    --------
    >>> from symdyn.theorems import verify
    >>> print(format_report(verify(["ssl.gf-collapse"], instances=3, progress=False)).splitlines()[0])
    | id | kind | instances | passed | n/a | status | max residual / min margin | time s |
    """
    rows = ["| id | kind | instances | passed | n/a | status | max residual / min margin | time s |",
            "|---|---|---|---|---|---|---|---|"]
    for r in reports:
        if r.refuted:
            value = f"counterexample {r.counterexample_residual:.2e}" + (f" ({r.counterexample})" if r.counterexample else "")
        elif r.measure == "margin":
            value = f"margin {r.min_margin:.2e}" if r.min_margin is not None else "-"
        else:
            value = f"{r.max_residual:.2e}"
        status = r.status + "".join(f"; {n} × {label}" for label, n in sorted(r.evidence.items()))
        rows.append(f"| {r.id} | {r.kind} | {r.instances} | {r.passed} | {r.not_applicable} | {status} | "
                    f"{value} | {r.seconds:.1f} |")
    return "\n".join(rows)
