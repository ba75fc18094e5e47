"""Pseudo-arclength continuation of equilibrium sets in one parameter, on a reduced problem, with events.

A branch is a curve of solutions z = (u, μ) of a square *reduced* system F(u, μ) = 0 (N equations, N unknowns):
the equilibria modulo the directions along which they are not isolated (for the linear SSL model the roots S of
(E1), ``ssl_linear.md`` §6, whose O(n)-orbits are the varieties; for a user field with a k-dimensional manifold of
equilibria, the field projected onto the range of its Jacobian plus a slice Tᵀ(x − x_ref) = 0 across the kernel,
moved along with the branch: :func:`field_problem`).  So the singular directions of a manifold of equilibria never
reach the corrector: its Jacobian is the reduced one.

Predictor–corrector (Keller's pseudo-arclength): with the unit tangent τ (the null vector of [F_u F_μ], oriented
along the branch), the predictor is z + Δs τ and the corrector is Newton's method on

    F(z) = 0,    τ·(z − z_pred) = 0                                                         (N + 1 equations)

with step control (Δs grows by 1.5 after a step whose corrector converged in ≤ 3 iterations, halves after a
failed one, and is rejected when the tangent turns by more than ``max_turn`` rad; a step below ``ds_min`` stops the
branch with a warning and ``status``), a bound on the number of steps and the parameter interval.

Events between two accepted points are detected by sign changes of test functions and located by the Illinois
variant of regula falsi on the arclength σ from the first point (each trial point is corrected onto the branch
with the constraint τ·(z − z_a) = σ):

* **fold** (limit point): τ_μ, the tangent's parameter component, changes sign;
* **branch point**: det [[F_u, F_μ], [τᵀ]] changes sign without a fold (another branch crosses; :func:`continue_
  equilibria` switches onto it along the second null direction of [F_u F_μ]);
* **stability change**: the number of unstable non-neutral eigenvalues of the *full* field's Jacobian changes;
  it is a **Hopf** point when the complex pairs' unstable count changed, a **real crossing** when the real
  eigenvalues' did, located where the count leaves the first point's, with the distance of the nearest eigenvalue
  of that kind to the imaginary axis as the test's size (so a double crossing, which the within-group modes of the
  attention splits have, is found too; a complex pair meeting on the real axis changes neither the total count nor
  the verdict and is no event) — at a fold or branch point the real crossing is part of that event and not listed
  twice;
* **boundaries** of the problem (e.g. "leaves the positive-definite cone" for SSL): a sign change of a test
  function the problem supplies.

A branch that reaches the step bound before leaving the parameter interval warns (``status`` says so too).

Examples
--------
>>> import numpy as np
>>> problem = ReducedProblem(lambda u, mu: np.array([mu - u[0] ** 2]), lambda u, mu: np.array([[-2 * u[0]]]),
...                          lambda u, mu: np.array([1.0]), param="mu")
>>> res = continue_equilibria(problem, [1.0], 1.0, mu_range=(-1.0, 2.0), ds=0.1)
>>> [(e.kind, round(e.mu, 12) + 0.0) for e in res.events]
[('fold', 0.0)]
"""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
from numpy.typing import ArrayLike

from ._validate import as_float_array, finite_real, positive_int

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from .field import VectorField

__all__ = ["ReducedProblem", "Branch", "Event", "ContinuationResult", "continue_equilibria", "field_problem",
           "polynomial_conditions"]

IMAG_RTOL = 1e-8  # an eigenvalue with |Im| ≤ IMAG_RTOL·‖J‖ is real (a real crossing), otherwise part of a pair
STATUS = ("parameter bound", "step bound", "step size below ds_min", "returned to its start")


class ReducedProblem:
    """The reduced square system of a family of equilibrium sets.

    Parameters
    ----------
    F : callable (u (N,), μ) -> (N,) — zero exactly on the branch points (u, μ)
    Fu : callable (u, μ) -> (N, N) — ∂F/∂u
    Fmu : callable (u, μ) -> (N,) — ∂F/∂μ
    judge : callable (u, μ) -> StabilityReport, optional — the verdict of the full field at the equilibrium set
        that (u, μ) stands for (its ``quotient_eigenvalues``, or ``eigenvalues`` minus the neutral ones, give the
        stability test functions)
    lift : callable (u, μ) -> x, optional — a point of the full state space on that set (for output)
    measure : callable (u, μ) -> float, optional — the diagram's ordinate (default ‖u‖₂)
    dimension : callable (u, μ) -> int, optional — the local dimension of the equilibrium set there
    update : callable (u, μ) -> None, optional — called after every accepted step (a moving slice)
    boundaries : dict {name: callable (u, μ) -> float}, optional — further test functions: where one changes sign
        an event of kind ``name`` is located (e.g. "leaves the positive-definite cone": λ_min(S))
    param : str — the parameter's name; unknowns : list of str — the names of u's entries

    Examples
    --------
    >>> import numpy as np
    >>> problem = ReducedProblem(lambda u, mu: np.array([u[0] ** 2 - mu]),      # u² = μ: a fold at μ = 0
    ...                          lambda u, mu: np.array([[2 * u[0]]]), lambda u, mu: np.array([-1.0]), param="mu")
    >>> res = continue_equilibria(problem, np.array([1.0]), 1.0, mu_range=(-1.0, 2.0))
    >>> [(e.kind, abs(round(e.mu, 10))) for e in res.events]
    [('fold', 0.0)]
    """

    def __init__(self, F: Callable, Fu: Callable, Fmu: Callable, *, judge: Callable | None = None,
                 lift: Callable | None = None, measure: Callable | None = None, dimension: Callable | None = None,
                 update: Callable | None = None, boundaries: dict | None = None, param: str = "mu",
                 unknowns: list | None = None, name: str = ""):
        for f, n in ((F, "F"), (Fu, "Fu"), (Fmu, "Fmu")):
            if not callable(f):
                raise TypeError(f"{n}: expected a callable, got {type(f).__name__}")
        self.F, self.Fu, self.Fmu = F, Fu, Fmu
        self.judge, self.lift, self.update, self.dimension = judge, lift, update, dimension
        self.boundaries = dict(boundaries or {})
        self.measure = measure or (lambda u, mu: float(np.linalg.norm(u)))
        self.param, self.unknowns, self.name = str(param), unknowns, name

    # the augmented system in z = (u, μ)
    def G(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(self.F(z[:-1], z[-1]), dtype=float)

    def Gz(self, z: np.ndarray) -> np.ndarray:
        u, mu = z[:-1], z[-1]
        return np.hstack([np.atleast_2d(self.Fu(u, mu)), np.asarray(self.Fmu(u, mu), dtype=float)[:, None]])


@dataclass
class Event:
    """A located event: ``kind`` ("fold", "branch point", "hopf", "real crossing"), the parameter ``mu``, the
    reduced point ``u``, the state point ``x`` (when the problem lifts), ``branch`` (its index), ``test`` (the test
    function's value there: 0 up to the location accuracy), ``eigenvalue`` (the crossing eigenvalue, for stability
    events), ``before``/``after`` (verdicts on either side) and ``info`` (e.g. the closed-form value it is compared
    with).

    Examples
    --------
    >>> import numpy as np
    >>> problem = ReducedProblem(lambda u, mu: np.array([u[0] ** 2 - mu]),      # u² = μ: a fold at μ = 0
    ...                          lambda u, mu: np.array([[2 * u[0]]]), lambda u, mu: np.array([-1.0]), param="mu")
    >>> res = continue_equilibria(problem, np.array([1.0]), 1.0, mu_range=(-1.0, 2.0))
    >>> event = res.events[0]
    >>> event.kind, abs(round(float(event.u[0]), 4)), event.branch
    ('fold', 0.0, 0)
    """

    kind: str
    mu: float
    u: np.ndarray
    branch: int
    test: float
    x: np.ndarray | None = None
    eigenvalue: complex | None = None
    before: str = ""
    after: str = ""
    info: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        out = {"kind": self.kind, "mu": self.mu, "u": self.u.tolist(), "branch": self.branch, "test": self.test,
               "before": self.before, "after": self.after, "info": _jsonable(self.info)}
        if self.x is not None:
            out["x"] = np.asarray(self.x).tolist()
        if self.eigenvalue is not None:
            out["eigenvalue"] = [self.eigenvalue.real, self.eigenvalue.imag]
        return out


@dataclass
class Branch:
    """One continued branch: per step the parameter ``mu`` (K,), reduced points ``u`` (K, N), unit tangents
    ``tangent`` (K, N + 1), ``measure`` (K,), ``verdict`` (K strings; "" without a judge), ``unstable`` (K,)
    (unstable non-neutral eigenvalues), ``dimension`` (K,) (local dimension of the equilibrium set; −1 unknown),
    ``status`` (why it stopped) and ``origin`` ("start" or the index of the event it was switched from).

    Examples
    --------
    >>> import numpy as np
    >>> problem = ReducedProblem(lambda u, mu: np.array([u[0] ** 2 - mu]),      # u² = μ: a fold at μ = 0
    ...                          lambda u, mu: np.array([[2 * u[0]]]), lambda u, mu: np.array([-1.0]), param="mu")
    >>> res = continue_equilibria(problem, np.array([1.0]), 1.0, mu_range=(-1.0, 2.0))
    >>> branch = res.branches[0]
    >>> branch.status, float(branch.mu.min()) >= -1.0, bool(np.all(branch.u[:, 0] ** 2 - branch.mu < 1e-9))
    ('parameter bound / parameter bound', True, True)
    """

    mu: np.ndarray
    u: np.ndarray
    tangent: np.ndarray
    measure: np.ndarray
    verdict: list
    unstable: np.ndarray
    dimension: np.ndarray
    status: str
    origin: str = "start"

    def as_dict(self) -> dict:
        return {"mu": self.mu.tolist(), "u": self.u.tolist(), "measure": self.measure.tolist(),
                "verdict": list(self.verdict), "unstable": self.unstable.tolist(),
                "dimension": self.dimension.tolist(), "status": self.status, "origin": self.origin}


@dataclass
class ContinuationResult:
    """Branches and located events of one continuation (plain attributes; :meth:`to_json`, :meth:`plot`).

    Examples
    --------
    >>> from symdyn import LinearSSL, continue_ssl
    >>> res = continue_ssl(LinearSSL(1, 2, [[1.2]], [[0.7]], lam=0.02), "sg", "lam", mu_range=(1e-3, 0.3))
    >>> len(res.branches), [(e.kind, e.before, e.after) for e in res.events]
    (1, [('fold', 'saddle', 'asymptotically stable')])
    """

    param: str
    branches: list
    events: list
    problem_name: str = ""
    notes: list = field(default_factory=list)

    def __repr__(self) -> str:
        ev = ", ".join(f"{e.kind} at {self.param} = {e.mu:.10g}" for e in self.events) or "no events"
        return f"ContinuationResult({self.problem_name or 'problem'}: {len(self.branches)} branch(es), {ev})"

    def as_dict(self) -> dict:
        return {"param": self.param, "problem": self.problem_name, "branches": [b.as_dict() for b in self.branches],
                "events": [e.as_dict() for e in self.events], "notes": list(self.notes)}

    def to_json(self, path: str | Path | None = None) -> str:
        """The result as JSON (written to ``path`` when given)."""
        text = json.dumps(self.as_dict(), indent=1)
        if path is not None:
            with open(path, "w") as fh:
                fh.write(text + "\n")
        return text

    def plot(self, ax: Axes | None = None, ylabel: str = "measure") -> Axes:
        """Bifurcation diagram: parameter vs measure, stable stretches solid, others dashed, events marked
        (matplotlib, the ``[plot]`` extra).  Returns the axes."""
        import matplotlib.pyplot as plt

        ax = ax or plt.figure(figsize=(5, 3.5)).add_subplot()
        for k, b in enumerate(self.branches):
            stable = np.array([v == "asymptotically stable" for v in b.verdict])
            for flag, style in ((True, "-"), (False, "--")):
                y = np.where(stable == flag, b.measure, np.nan)
                if flag is False:  # join the dashed stretches to their neighbours
                    edge = np.convolve((stable == flag).astype(float), [1, 1, 1], "same") > 0
                    y = np.where(edge, b.measure, np.nan)
                ax.plot(b.mu, y, style, color=f"C{k % 10}", lw=1.5)
        marks = {"fold": "o", "branch point": "s", "hopf": "*", "real crossing": "^"}
        for e in self.events:
            ax.plot([e.mu], [e.info["measure"]], marks.get(e.kind, "x"), color="k", ms=6, label=e.kind)
        handles, labels = ax.get_legend_handles_labels()
        if labels:
            uniq = dict(zip(labels, handles))
            ax.legend(uniq.values(), uniq.keys(), fontsize=8)
        ax.set_xlabel(self.param)
        ax.set_ylabel(ylabel)
        return ax


def _jsonable(v):
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    if isinstance(v, complex):
        return [v.real, v.imag]
    return v


# ---- the predictor–corrector -------------------------------------------------------------------------------
def _tangent(problem: ReducedProblem, z, prev=None) -> tuple:
    """(unit tangent, the singular values of [F_u F_μ]): the right singular vector of the smallest singular value,
    oriented along ``prev`` (or towards increasing μ)."""
    A = problem.Gz(z)
    if A.shape[0] == 0:  # no unknowns (equilibria that do not move with μ): the branch is the μ-axis
        return np.array([1.0]) * (-1.0 if prev is not None and prev[-1] < 0 else 1.0), np.zeros(0)
    _, s, Vt = np.linalg.svd(A)
    t = Vt[-1]
    ref = prev if prev is not None else np.eye(len(z))[-1]
    if t @ ref < 0:
        t = -t
    return t, s


def _correct(problem: ReducedProblem, z_pred, t, tol: float, max_iter: int, anchor=None, sigma: float = 0.0):
    """Newton on F(z) = 0, t·(z − anchor) = σ (anchor = z_pred, σ = 0 by default).  Returns (z, iterations) or
    (None, iterations) when it did not converge."""
    z = np.array(z_pred, dtype=float)
    anchor = z_pred if anchor is None else anchor
    scale = 1.0 + np.linalg.norm(z)
    for it in range(1, max_iter + 1):
        r = np.concatenate([problem.G(z), [t @ (z - anchor) - sigma]])
        A = np.vstack([problem.Gz(z), t])
        try:
            dz = np.linalg.solve(A, r)
        except np.linalg.LinAlgError:  # exactly at a branch point: the minimum-norm step
            dz = np.linalg.lstsq(A, r, rcond=None)[0]
        z = z - dz
        if not np.all(np.isfinite(z)):
            return None, it
        if np.linalg.norm(dz) <= tol * scale:
            # a least-squares step (at a singular augmented Jacobian) may have left the constraint or not solved F
            size = 1.0 + np.linalg.norm(z)
            if abs(t @ (z - anchor) - sigma) > 1e-9 * size or \
                    np.linalg.norm(problem.G(z)) > 1e-8 * max(1.0, np.linalg.norm(problem.Gz(z)) * size):
                return None, it
            return z, it
    return None, max_iter


def _test_values(problem: ReducedProblem, z, t, report) -> dict:
    """The test functions at a point: fold (τ_μ), branch point (det of the augmented Jacobian, scaled), the problem's
    boundaries, and the unstable counts and distances to the imaginary axis of the real and the complex non-neutral
    eigenvalues."""
    A = np.vstack([problem.Gz(z), t])
    det = float(np.linalg.det(A / np.linalg.norm(A)))  # ‖A‖_F ≥ ‖t‖ = 1: continuous, and scale-free
    out = {"fold": float(t[-1]), "branch": det}
    for name, fn in problem.boundaries.items():
        out["boundary:" + name] = float(fn(z[:-1], z[-1]))
    if report is not None:
        mu = _nonneutral(report)
        scale = max(report.scale, 1e-300)
        real = np.abs(mu.imag) <= IMAG_RTOL * scale
        out["real_unstable"] = int(np.sum(real & (mu.real > 0)))
        out["pair_unstable"] = int(np.sum(~real & (mu.real > 0)))
        out["real"], out["real_eig"] = _nearest_to_axis(mu[real])
        out["pair"], out["pair_eig"] = _nearest_to_axis(mu[~real & (mu.imag > 0)])
    return out


def _nearest_to_axis(mu) -> tuple:
    """(min |Re μ|, the μ attaining it) over the eigenvalues μ (one per complex pair); (NaN, None) when there are
    none.  The size of the stability test functions (:func:`_detect`)."""
    if not len(mu):
        return np.nan, None
    k = int(np.argmin(np.abs(mu.real)))
    return float(abs(mu.real[k])), complex(mu[k])


def _nonneutral(report) -> np.ndarray:
    """The eigenvalues of the report without its neutral ones (the quotient spectrum when the tangent directions
    were projected out, else all but the k of smallest modulus)."""
    if report.quotient_eigenvalues is not None:
        return np.asarray(report.quotient_eigenvalues, dtype=complex)
    mu = np.asarray(report.eigenvalues, dtype=complex)
    k = report.manifold_dim
    return mu[np.argsort(np.abs(mu))[k:]] if k else mu


@dataclass
class _Point:
    z: np.ndarray
    t: np.ndarray
    report: object
    tests: dict


def _point(problem: ReducedProblem, z, t) -> _Point:
    report = problem.judge(z[:-1], z[-1]) if problem.judge is not None else None
    return _Point(z, t, report, _test_values(problem, z, t, report))


def _locate(problem: ReducedProblem, a: _Point, b: _Point, key, tol: float, max_iter: int = 60) -> _Point:
    """The point between a and b where the test ``key`` (a name in the points' tests, or a function of the point)
    vanishes: Illinois regula falsi on the arclength σ from a along a's tangent (each trial corrected onto the
    branch with t_a·(z − z_a) = σ)."""
    value = key if callable(key) else (lambda q: q.tests[key])
    s_a, s_b = 0.0, float(a.t @ (b.z - a.z))
    f_a, f_b = value(a), value(b)
    best, f_best = (a, f_a) if abs(f_a) < abs(f_b) else (b, f_b)
    side = 0
    for _ in range(max_iter):
        if abs(s_b - s_a) <= 1e-15 * (1.0 + np.linalg.norm(a.z)):
            break
        s = s_b - f_b * (s_b - s_a) / (f_b - f_a) if f_b != f_a else 0.5 * (s_a + s_b)
        if not (min(s_a, s_b) < s < max(s_a, s_b)):
            s = 0.5 * (s_a + s_b)
        p = _point_at(problem, a, s, tol)
        if p is None:
            break
        f = value(p)
        if not np.isfinite(f):
            break
        if abs(f) < abs(f_best):
            best, f_best = p, f
        if f == 0:
            return p
        if np.sign(f) == np.sign(f_b):
            s_b, f_b = s, f
            if side == -1:
                f_a /= 2
            side = -1
        else:
            s_a, f_a = s, f
            if side == 1:
                f_b /= 2
            side = 1
    return best


def _trace(problem: ReducedProblem, z0, t0, *, mu_range, ds, ds_min, ds_max, max_steps, tol, max_turn, index,
           events, origin="start") -> Branch:
    pts = [_point(problem, z0, t0)]
    status = STATUS[1]
    h = ds
    steps = 0
    while steps < max_steps:
        a = pts[-1]
        z, it = _correct(problem, a.z + h * a.t, a.t, tol, 8)
        if z is not None:
            t, _ = _tangent(problem, z, a.t)
            if np.arccos(np.clip(t @ a.t, -1, 1)) > max_turn:
                z = None
        if z is None:
            h /= 2
            if h < ds_min:
                status = STATUS[2]
                warnings.warn(f"continuation: the step size fell below ds_min = {ds_min:g} at {problem.param} = "
                              f"{a.z[-1]:.10g} (the corrector does not converge): the branch stops there",
                              RuntimeWarning, stacklevel=3)
                break
            continue
        steps += 1
        b = _point(problem, z, t)
        out = not (mu_range[0] <= z[-1] <= mu_range[1])
        if out:  # end exactly on the bound of the parameter interval
            bound = mu_range[0] if z[-1] < mu_range[0] else mu_range[1]
            b = _locate(problem, a, b, lambda q: q.z[-1] - bound, tol)
            z, t = b.z, b.t
        pts.extend(_detect(problem, a, b, tol, index, events))  # the located event points, in order
        pts.append(b)
        if problem.update is not None:
            problem.update(z[:-1], z[-1])
        if it <= 3:
            h = min(1.5 * h, ds_max)
        if out:
            status = STATUS[0]
            break
        if len(pts) > 5 and np.linalg.norm(z - z0) < h and t @ t0 > 0.9:  # a closed curve
            status = STATUS[3]
            break
    else:
        status = STATUS[1]
        warnings.warn(f"continuation: {max_steps} steps (max_steps) did not reach the end of the parameter interval "
                      f"(stopped at {problem.param} = {pts[-1].z[-1]:.10g}): the branch is incomplete",
                      RuntimeWarning, stacklevel=3)
    Z = np.array([p.z for p in pts])
    verdicts = [p.report.verdict if p.report is not None else "" for p in pts]
    unstable = np.array([p.report.unstable_count if p.report is not None else -1 for p in pts])
    dims = np.array([problem.dimension(p.z[:-1], p.z[-1]) if problem.dimension else -1 for p in pts])
    return Branch(Z[:, -1], Z[:, :-1], np.array([p.t for p in pts]),
                  np.array([problem.measure(p.z[:-1], p.z[-1]) for p in pts]), verdicts, unstable, dims, status,
                  origin)


def _unstable_total(q: _Point) -> int:
    return q.tests["real_unstable"] + q.tests["pair_unstable"]


def _point_at(problem: ReducedProblem, a: _Point, s: float, tol: float) -> _Point | None:
    """The branch point at arclength s from a along a's tangent (corrected onto the branch), or None."""
    z, _ = _correct(problem, a.z + s * a.t, a.t, tol, 20, anchor=a.z, sigma=s)
    if z is None:
        return None
    return _point(problem, z, _tangent(problem, z, a.t)[0])


def _count_brackets(problem: ReducedProblem, a: _Point, b: _Point, tol: float, depth: int = 0) -> list:
    """[(lo, hi)]: sub-steps of a → b, in order, each holding one change of the unstable count (bisection on the
    arclength until the count changes across a sub-step of at most 1/64 of the step): a long step can span several
    stability changes (2 → 1 → 0 unstable eigenvalues), and each is an event."""
    if _unstable_total(a) == _unstable_total(b):
        return []
    if depth >= 6:
        return [(a, b)]
    m = _point_at(problem, a, 0.5 * float(a.t @ (b.z - a.z)), tol)
    if m is None or m.report is None:
        return [(a, b)]
    return _count_brackets(problem, a, m, tol, depth + 1) + _count_brackets(problem, m, b, tol, depth + 1)


def _detect(problem: ReducedProblem, a: _Point, b: _Point, tol: float, index: int, events: list) -> list:
    """Events between the accepted points a and b (module docstring), located and appended to ``events``;
    returns their points in the order of the branch (they become points of the branch: a fold's tip)."""
    found = []
    fold = np.sign(a.tests["fold"]) != np.sign(b.tests["fold"]) and a.tests["fold"] != 0
    if fold:
        found.append(("fold", "fold", a, b, a, b))
    elif np.sign(a.tests["branch"]) != np.sign(b.tests["branch"]) and a.tests["branch"] != 0:
        found.append(("branch point", "branch", a, b, a, b))
    if a.report is not None and b.report is not None and not found:
        # the unstable count changes (a complex pair meeting on the real axis only moves eigenvalues between the
        # real and the complex count) and a pair (Hopf) or a real eigenvalue crossed the imaginary axis; each
        # change in its own sub-step (_count_brackets)
        brackets = _count_brackets(problem, a, b, tol)
        # the verdicts before and after each change: at a and b, and between two changes at a point of the
        # stretch between them (a bracket's end next to a crossing can be inconclusive)
        sides = [a] + [lo2 if hi1.report.verdict == "inconclusive" else hi1
                       for (_, hi1), (lo2, _) in zip(brackets, brackets[1:])] + [b]
        for i, (lo, hi) in enumerate(brackets):
            # which eigenvalues crossed: the real ones if their unstable count changed, else a complex pair (Hopf);
            # located where the count leaves lo's (a crossing of any multiplicity: a product of eigenvalues would
            # miss the double ones that the attention splits have), ± the distance of the nearest to the axis
            kind, key = ("real crossing", "real") if lo.tests["real_unstable"] != hi.tests["real_unstable"] \
                else ("hopf", "pair")

            def count_side(q, key=key, before=_unstable_total(lo)):
                return (1.0 if _unstable_total(q) != before else -1.0) * q.tests[key]
            found.append((kind, count_side, lo, hi, sides[i], sides[i + 1]))
    for name in problem.boundaries:
        key = "boundary:" + name
        if np.sign(a.tests[key]) != np.sign(b.tests[key]) and a.tests[key] != 0:
            found.append((name, key, a, b, a, b))
    located = []
    for kind, key, lo, hi, before, after in found:
        p = _locate(problem, lo, hi, key, tol)
        located.append(p)
        eig = None
        if kind == "hopf":
            eig = p.tests.get("pair_eig")
        elif kind == "real crossing" or (p.report is not None and kind in ("fold", "branch point")):
            eig = p.tests.get("real_eig")
        x = problem.lift(p.z[:-1], p.z[-1]) if problem.lift is not None else None
        test = key(p) if callable(key) else p.tests[key]
        events.append(Event(kind, float(p.z[-1]), p.z[:-1].copy(), index, float(test), x, eig,
                            before.report.verdict if before.report is not None else "",
                            after.report.verdict if after.report is not None else "",
                            {"measure": problem.measure(p.z[:-1], p.z[-1]), "tangent": p.t.copy()}))
    located = [p for p in located if 0 < a.t @ (p.z - a.z) < a.t @ (b.z - a.z)]
    return sorted(located, key=lambda p: a.t @ (p.z - a.z))


def continue_equilibria(problem: ReducedProblem, u0: ArrayLike, mu0: float, *,
                        mu_range: tuple[float, float] = (-np.inf, np.inf), ds: float = 0.01,
                        ds_min: float = 1e-10, ds_max: float | None = None, max_steps: int = 1000,
                        tol: float = 1e-11, max_turn: float = 0.5, both_directions: bool = True,
                        switch_branches: bool = True, max_branches: int = 8) -> ContinuationResult:
    """Continue the equilibrium set through (u0, mu0) of a reduced problem (module docstring).

    Parameters
    ----------
    problem : ReducedProblem
    u0 : array (N,) — a point near the branch at ``mu0`` (corrected at fixed μ first; refused if that fails)
    mu0 : float
    mu_range : (low, high) — the branch stops when μ leaves it
    ds, ds_min, ds_max : float — initial, smallest and largest arclength step (ds_max default 10·ds)
    max_steps : int — bound on accepted steps per branch and direction
    tol : float — corrector tolerance on ‖Δz‖ relative to 1 + ‖z‖ (default 1e-11)
    max_turn : float — largest angle (rad) between consecutive tangents (default 0.5)
    both_directions : bool — continue from the start point both ways (default True)
    switch_branches : bool — start new branches at located branch points (default True)
    max_branches : int — bound on the number of branches

    Returns
    -------
    ContinuationResult — branches (per step μ, u, tangent, measure, verdict, unstable count, dimension) and events
    (kind, μ, u, x, test value, crossing eigenvalue, verdicts before/after)

    Examples
    --------
    The pitchfork ẋ = μx − x³: the branch x = 0 meets x = ±√μ at the branch point μ = 0.

    >>> import sympy as sp
    >>> from symdyn import VectorField, field_problem
    >>> x, mu = sp.symbols("x mu", real=True)
    >>> problem, u0 = field_problem(VectorField([x], [mu * x - x**3], [mu]), "mu", [0.0], -1.0)
    >>> res = continue_equilibria(problem, u0, -1.0, mu_range=(-1.0, 1.0), ds=0.05)
    >>> [(e.kind, round(e.mu, 8)) for e in res.events]
    [('branch point', 0.0)]
    """
    u0 = as_float_array(u0, "u0").ravel()
    mu0 = finite_real(mu0, "mu0")
    ds = finite_real(ds, "ds", low=0.0, low_open=True)
    ds_min = finite_real(ds_min, "ds_min", low=0.0, low_open=True)
    ds_max = 10 * ds if ds_max is None else finite_real(ds_max, "ds_max", low=ds)
    max_steps, max_branches = positive_int(max_steps, "max_steps"), positive_int(max_branches, "max_branches")
    lo, hi = (float(v) for v in mu_range)
    if not lo < hi or not lo <= mu0 <= hi:
        raise ValueError(f"mu_range: expected low < high containing mu0 = {mu0}, got {mu_range}")
    F0 = np.asarray(problem.F(u0, mu0), dtype=float)
    if F0.shape != u0.shape:
        raise ValueError(f"problem: F returns shape {F0.shape} for {u0.size} unknowns; the reduced system must be "
                         "square")
    # correct the start at fixed μ
    e_mu = np.eye(u0.size + 1)[-1]
    z0, _ = _correct(problem, np.append(u0, mu0), e_mu, tol, 30)
    if z0 is None:
        raise ValueError(f"u0: Newton's method at {problem.param} = {mu0} does not converge from u0 (residual "
                         f"{np.linalg.norm(F0):.3g}): not near an equilibrium set")
    t0, sv = _tangent(problem, z0)
    notes = []
    if len(sv) > 1 and sv[-2] <= 1e-8 * max(sv[0], 1e-300):
        notes.append("the start is (near) a branch point: [F_u F_μ] has two singular values ≤ 1e-8·σ_max")
    if problem.update is not None:
        problem.update(z0[:-1], z0[-1])
    events: list = []
    branches: list = []
    opts = dict(mu_range=(lo, hi), ds=ds, ds_min=ds_min, ds_max=ds_max, max_steps=max_steps, tol=tol,
                max_turn=max_turn)
    fwd = _trace(problem, z0, t0, index=0, events=events, **opts)
    if both_directions and fwd.status != STATUS[3]:
        if problem.update is not None:
            problem.update(z0[:-1], z0[-1])
        first = len(events)
        back = _trace(problem, z0, -t0, index=0, events=events, **opts)
        for e in events[first:]:  # "before"/"after" in the joined branch's order (the backward run is reversed)
            e.before, e.after = e.after, e.before
            e.info["tangent"] = -e.info["tangent"]
        fwd = _join(back, fwd)
    branches.append(fwd)
    if switch_branches:
        k = 0
        while k < len(events) and len(branches) < max_branches:
            e = events[k]
            k += 1
            if e.kind != "branch point" or e.info.get("switched"):
                continue
            e.info["switched"] = True
            new = _switch(problem, e, branches, opts, events, k - 1)
            for b in new:
                if len(branches) < max_branches:
                    branches.append(b)
    return ContinuationResult(problem.param, branches, events, problem.name, notes)


def _join(back: Branch, fwd: Branch) -> Branch:
    """One branch from the backward run (reversed, without its start) and the forward run."""
    def cat(x, y):
        return np.concatenate([x[::-1][:-1], y]) if len(x) else y
    return Branch(cat(back.mu, fwd.mu), cat(back.u, fwd.u), cat(-back.tangent, fwd.tangent),
                  cat(back.measure, fwd.measure), back.verdict[::-1][:-1] + fwd.verdict, cat(back.unstable, fwd.unstable),
                  cat(back.dimension, fwd.dimension), f"{back.status} / {fwd.status}", fwd.origin)


def _switch(problem: ReducedProblem, e: Event, branches: list, opts: dict, events: list, event_index: int) -> list:
    """Branches through the branch point e other than the one it was found on: start along the null direction
    of [F_u F_μ] orthogonal to the branch's tangent, both ways; a start that lands on a known branch is dropped."""
    z = np.append(e.u, e.mu)
    t_old = e.info["tangent"]
    _, s, Vt = np.linalg.svd(problem.Gz(z))
    null = Vt[-2:]
    w = null.T @ (null @ t_old)
    t2 = null[0] - (null[0] @ w) / max(w @ w, 1e-300) * w if abs(null[0] @ w) < 0.99 * np.linalg.norm(w) else null[1]
    t2 = t2 - (t2 @ t_old) * t_old
    t2 /= np.linalg.norm(t2)
    out = []
    ds = opts["ds"]
    halves = []
    for sign in (1.0, -1.0):
        tt = sign * t2
        zs, _ = _correct(problem, z + ds * tt, tt, opts["tol"], 20)
        if zs is None or _on_known(zs, branches + out + halves, ds):
            halves.append(None)
            continue
        t, _ = _tangent(problem, zs, tt)
        if problem.update is not None:
            problem.update(zs[:-1], zs[-1])
        b = _trace(problem, zs, t, index=len(branches) + len(out), events=events, origin=f"event {event_index}",
                   **opts)
        halves.append(b)
    got = [h for h in halves if h is not None]
    if len(got) == 2:  # one branch through the branch point: join the two halves with the point itself
        a, b = got
        p = _point(problem, z, t2)
        mid = Branch(np.array([e.mu]), e.u[None], t2[None], np.array([e.info["measure"]]),
                     [p.report.verdict if p.report is not None else ""],
                     np.array([p.report.unstable_count if p.report is not None else -1]),
                     np.array([problem.dimension(e.u, e.mu) if problem.dimension else -1]), "", f"event {event_index}")
        out.append(_join(a, _join_points(mid, b)))
        for ev in events:  # the second half's events were indexed as a branch of their own
            if ev.branch == len(branches) + 1:
                ev.branch = len(branches)
    else:
        out.extend(got)
    return out


def _join_points(a: Branch, b: Branch) -> Branch:
    return Branch(np.concatenate([a.mu, b.mu]), np.concatenate([a.u, b.u]), np.concatenate([a.tangent, b.tangent]),
                  np.concatenate([a.measure, b.measure]), a.verdict + b.verdict,
                  np.concatenate([a.unstable, b.unstable]), np.concatenate([a.dimension, b.dimension]), b.status,
                  b.origin)


def _on_known(z, branches, ds) -> bool:
    for b in branches:
        if b is None:
            continue
        Z = np.hstack([b.u, b.mu[:, None]])
        if len(Z) and np.min(np.linalg.norm(Z - z, axis=1)) < 0.25 * ds:
            return True
    return False


# ---- user fields ---------------------------------------------------------------------------------------------
def field_problem(vf: VectorField, param: str, x0: ArrayLike, mu0: float, *, params: dict | None = None,
                  kernel_rtol: float = 1e-7, judge: bool = True, seed: int = 0) -> tuple[ReducedProblem, np.ndarray]:
    """The reduced problem of a :class:`~symdyn.field.VectorField` in its parameter ``param`` (other parameters
    fixed by ``params``), and the start point u0.

    At an isolated equilibrium the reduced system is f(x, μ) = 0 itself.  On a k-dimensional manifold of
    equilibria (k measured at x0 by :func:`~symdyn.local_dimension.local_dimension`) it is the square system

        U_rᵀ f(x, μ) = 0 (D − k rows),   Tᵀ(x − x_ref) = 0 (k rows)

    with U_r an orthonormal basis of the range of f_x and T of its kernel, both taken at the last accepted point
    (x_ref) and turned to stay close to the previous bases (orthogonal Procrustes), so the test functions are
    continuous along the branch.  Verdicts: :func:`~symdyn.stability.stability` with the kernel basis T as the
    known neutral directions (``judge``).

    Returns (ReducedProblem, u0).

    Examples
    --------
    >>> import sympy as sp
    >>> from symdyn import VectorField
    >>> x, mu = sp.symbols("x mu", real=True)
    >>> problem, u0 = field_problem(VectorField([x], [mu - x**2], [mu]), "mu", [1.0], 1.0)
    >>> float(abs(problem.F(u0, 1.0)[0]))                        # (x, μ) = (1, 1) is an equilibrium
    0.0
    """
    from .field import VectorField
    from .local_dimension import local_dimension
    from .stability import linear_stability

    if not isinstance(vf, VectorField):
        raise TypeError(f"vf: expected a VectorField, got {type(vf).__name__}")
    names = [str(p) for p in vf.params]
    if param not in names:
        raise ValueError(f"param: {param!r} is not a parameter of the field; its parameters are {names}")
    params = dict(params or {})
    missing = sorted(set(names) - set(params) - {param})
    if missing:
        raise ValueError(f"params: values needed for {missing}")
    kernel = vf.lambdify()
    psym = next(p for p in vf.params if str(p) == param)
    dfdmu = VectorField(vf.states, vf.rhs.diff(psym), vf.params, name="d/d" + param).lambdify()
    x0 = as_float_array(x0, "x0").ravel()
    if x0.shape != (vf.dimension,):
        raise ValueError(f"x0: expected shape ({vf.dimension},), got {x0.shape}")
    mu0 = finite_real(mu0, "mu0")

    def f(x, mu):
        return kernel.f(x, **params, **{param: mu})

    def J(x, mu):
        return kernel.jacobian(x, **params, **{param: mu})

    def fmu(x, mu):
        return dfdmu.f(x, **params, **{param: mu})

    loc = local_dimension(lambda x: f(x, mu0), lambda x: J(x, mu0), x0, kernel_rtol=kernel_rtol, seed=seed)
    k = int(loc.dimension) if loc.dimension is not None else 0
    D = vf.dimension
    state = {}

    def bases(x, mu, prev=None):
        U, s, Vt = np.linalg.svd(J(x, mu))
        Ur, T = U[:, : D - k], Vt[D - k:]
        if prev is not None:  # turn onto the previous bases (continuity of the test functions)
            Ur = Ur @ _procrustes(Ur.T @ prev[0])
            T = _procrustes(prev[1] @ T.T).T @ T if k else T
        return Ur, T

    def update(x, mu):
        prev = (state["Ur"], state["T"]) if state else None
        state["Ur"], state["T"] = bases(x, mu, prev)
        state["x_ref"] = np.array(x)

    update(x0, mu0)

    def F(x, mu):
        return np.concatenate([state["Ur"].T @ f(x, mu), state["T"] @ (x - state["x_ref"])])

    def Fu(x, mu):
        return np.vstack([state["Ur"].T @ J(x, mu), state["T"]])

    def Fmu(x, mu):
        return np.concatenate([state["Ur"].T @ fmu(x, mu), np.zeros(k)])

    def judge_fn(x, mu):
        Jx = J(x, mu)
        if k:
            T = np.linalg.svd(Jx)[2][D - k:]
            try:
                return linear_stability(Jx, tangent=T)
            except ValueError:  # ker J is not k-dimensional here (e.g. where the manifold degenerates)
                return linear_stability(Jx, manifold_dim=k)
        return linear_stability(Jx)

    problem = ReducedProblem(F, Fu, Fmu, judge=judge_fn if judge else None, lift=lambda x, mu: np.array(x),
                             dimension=lambda x, mu: k, update=update, param=param,
                             unknowns=[str(s) for s in vf.states], name=vf.name or "field")
    return problem, x0


def _procrustes(M) -> np.ndarray:
    """The orthogonal matrix nearest M (polar factor)."""
    if M.size == 0:
        return M
    U, _, Vt = np.linalg.svd(M)
    return U @ Vt


def polynomial_conditions(vf: VectorField, param: str, params: dict | None = None) -> list:
    """Closed-form fold/branch-point conditions of a one-dimensional polynomial field ẋ = f(x, μ): two equilibria
    meet where the discriminant of f in x vanishes; returns [{"kind", "kinds", "mu", "tex", "where", "source"}]
    for its real roots μ (SymPy; other parameters substituted from ``params``).  Fields of higher dimension:
    [] (no closed form is attempted).

    Examples
    --------
    >>> import sympy as sp
    >>> from symdyn import VectorField
    >>> x, mu = sp.symbols("x mu", real=True)
    >>> [(c["kind"], c["mu"]) for c in polynomial_conditions(VectorField([x], [mu - x**2], [mu]), "mu")]
    [('fold', 0.0)]
    """
    import sympy as sp

    if vf.dimension != 1:
        return []
    x = vf.states[0]
    psym = next((p for p in vf.params if str(p) == param), None)
    if psym is None:
        return []
    subs = {p: sp.nsimplify(v) for p, v in ((p, (params or {}).get(str(p))) for p in vf.params) if v is not None}
    f = sp.expand(vf.rhs[0].xreplace(subs))
    if not f.is_polynomial(x) or not f.is_polynomial(psym):
        return []
    disc = sp.factor(sp.discriminant(sp.Poly(f, x).as_expr(), x))
    if disc.is_zero or not disc.free_symbols <= {psym}:
        return []
    roots = sorted({float(r.evalf(30)) for r in sp.Poly(sp.sqf_part(disc), psym).real_roots()})  # exact isolation
    return [{"kind": "fold", "kinds": ("fold", "branch point"), "mu": r,
             "tex": r"\operatorname{disc}_{" + sp.latex(x) + "} f = " + sp.latex(disc) + " = 0",
             "source": "the discriminant of the field in its state"} for r in roots]
