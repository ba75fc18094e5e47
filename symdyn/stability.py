"""Linear stability at a point that may lie on a manifold (variety) of equilibria.

At a point x* of a k-dimensional manifold of equilibria, the Jacobian J = Df(x*) has at least k
zero eigenvalues (the tangent directions).  :func:`stability` first **checks that x* is an
equilibrium** (relative residual ‖f(x*)‖₂ / (‖J‖₂‖x*‖₂) ≤ ``equilibrium_rtol``, else the verdict is
``"not an equilibrium"``), then takes k from the caller (``manifold_dim``, or a basis ``tangent`` of the
known neutral directions) or **measures it** (:func:`symdyn.local_dimension.local_dimension`), then judges:

* ``"saddle"`` / ``"unstable"`` — some eigenvalue has Re μ > 0 beyond tolerance.  By Lyapunov's
  instability theorem this decides instability whatever the neutral count is; ``"saddle"`` when
  other eigenvalues have Re μ < 0, ``"unstable"`` otherwise.
* ``"asymptotically stable"`` — the neutral count equals k and every other eigenvalue has Re μ < 0
  beyond tolerance.  For k > 0 this is normal hyperbolicity: the manifold is locally attracting and
  each nearby trajectory converges to a point on it (a point of the manifold is then stable, not
  asymptotically stable; ``report.normally_hyperbolic`` is True).
* ``"inconclusive"`` — otherwise: the neutral count differs from k (e.g. ẋ = x³ at 0, k = 0, or a
  Jordan block) or a non-neutral eigenvalue lies within tolerance of the imaginary axis.  The
  linearisation cannot decide, and we do not guess.
* ``"not an equilibrium"`` — the residual check failed; no stability verdict is given.

Tolerances.  Without known neutral directions (the generic path) both the neutral count
(|μ| ≤ neutral_rtol·‖J‖₂) and the axis test (|Re μ| ≤ axis_rtol·‖J‖₂) are relative to the spectral norm
(defaults 1e-7: eigenvalues of a semisimple zero eigenvalue are accurate to ~1e-15·‖J‖·cond; a 2×2
Jordan block spreads them to ~1e-8).  With a basis T (k, D) of the neutral directions (J Tᵀ = 0; given,
or the kernel of J when the measured local dimension equals its corank) the spectrum splits exactly:
spec J = {0}ᵏ ∪ spec(Q J Qᵀ), Q an orthonormal basis of T^⊥.  The quotient spectrum is judged on its
own scale: an eigenvalue's sign is decided when |Re μ_i| exceeds its rounding-error bound
1e3·ε·‖J‖₂·κ_i (κ_i its condition number, from left and right eigenvectors) — so a stable branch whose
slowest rate is 1e-10·‖J‖ is still called stable — or axis_rtol·‖J‖₂ when axis_rtol is given explicitly.
With ``precision=digits`` the Jacobian is evaluated and diagonalised in mpmath (generic path).

Examples
--------
>>> import numpy as np, sympy as sp
>>> from symdyn import VectorField
>>> x, y = sp.symbols("x y")
>>> stability(VectorField([x, y], [-x, -2 * y]).lambdify(), [1.0, 1.0]).verdict
'not an equilibrium'
>>> stability(VectorField([x, y], [-x * (x**2 + y**2 - 1), -y * (x**2 + y**2 - 1)]), [0.6, 0.8])
StabilityReport(verdict='asymptotically stable (normally hyperbolic)', neutral=1/k=1 (measured), ...)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mpmath
import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike

from ._validate import as_float_array, nonnegative_int, tolerance
from .local_dimension import LocalDimension, local_dimension

if TYPE_CHECKING:
    from .field import VectorField
    from .kernels import Kernel

__all__ = ["StabilityReport", "stability", "linear_stability", "measured_stability", "classify_spectrum",
           "relative_residual", "escape_time_scale", "VERDICTS"]

VERDICTS = ("asymptotically stable", "saddle", "unstable", "inconclusive", "not an equilibrium")
_EPS = np.finfo(float).eps


@dataclass
class StabilityReport:
    """Linearisation at one point.

    Attributes
    ----------
    eigenvalues : np.ndarray (D,) complex, sorted by decreasing real part
    neutral_count : int — eigenvalues counted as zero
    manifold_dim : int — k, the dimension of the manifold of equilibria through the point
    max_real_nonneutral : float — the largest Re μ over the non-neutral eigenvalues (−inf if none)
    verdict : str — one of VERDICTS
    reason : str — why (one sentence)
    scale : float — ‖J‖₂
    neutral_rtol, axis_rtol : float
    unstable_count : int — eigenvalues with Re μ > 0 beyond tolerance
    residual : float — relative residual ‖f(x)‖/(‖J‖‖x‖) of the point (0 when not computed)
    manifold_dim_source : str — "given", "tangent" (a basis of neutral directions) or "measured"
    local_dimension : LocalDimension or None — the measurement, when k was measured
    quotient_eigenvalues : np.ndarray or None — spec(QJQᵀ) when the neutral directions were projected out
    method : str — "dense" (the whole spectrum of J) or "matrix-free" (:mod:`symdyn.stability_matrix_free`: only
        the rightmost eigenvalues, in ``eigenvalues``)

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> from symdyn import VectorField, stability
    >>> x, y = sp.symbols("x y", real=True)
    >>> rep = stability(VectorField([x, y], [-2 * x, -y]).lambdify(), np.zeros(2))
    >>> rep.verdict, rep.neutral_count, rep.max_real_nonneutral
    ('asymptotically stable', 0, -1.0)
    """

    eigenvalues: np.ndarray
    neutral_count: int
    manifold_dim: int
    max_real_nonneutral: float
    verdict: str
    reason: str
    scale: float
    neutral_rtol: float
    axis_rtol: float
    unstable_count: int = 0
    residual: float = 0.0
    manifold_dim_source: str = "given"
    local_dimension: LocalDimension | None = field(default=None, repr=False)
    quotient_eigenvalues: np.ndarray | None = field(default=None, repr=False)
    method: str = "dense"

    @property
    def normally_hyperbolic(self) -> bool:
        """True when the verdict is asymptotically stable with the neutral count equal to k."""
        return self.verdict == "asymptotically stable" and self.neutral_count == self.manifold_dim

    @property
    def is_equilibrium(self) -> bool:
        """False when the residual check failed."""
        return self.verdict != "not an equilibrium"

    def _repr_latex_(self) -> str:
        """Jupyter: the verdict, the neutral count against k, and the rightmost eigenvalues."""
        ev = ", ".join(f"{z.real:.4g}" + (f"{z.imag:+.4g}i" if abs(z.imag) > 1e-12 * max(1.0, abs(z)) else "")
                       for z in np.asarray(self.eigenvalues)[:6])
        more = r", \dots" if len(self.eigenvalues) > 6 else ""
        return (rf"$$\text{{{self.verdict}}}\quad(\text{{neutral}} = {self.neutral_count},\ k = {self.manifold_dim},\ "
                rf"\max\operatorname{{Re}}\mu_{{\text{{non-neutral}}}} = {self.max_real_nonneutral:.4g}),\qquad "
                rf"\operatorname{{spec}} J \ni {ev}{more}$$")

    def __repr__(self) -> str:
        v = self.verdict
        if v == "not an equilibrium":
            return f"StabilityReport(verdict={v!r}, residual={self.residual:.3g}, D={len(self.eigenvalues)})"
        if v == "asymptotically stable" and self.manifold_dim > 0:
            v += " (normally hyperbolic)"
        src = " (measured)" if self.manifold_dim_source == "measured" else ""
        return (f"StabilityReport(verdict={v!r}, neutral={self.neutral_count}/k={self.manifold_dim}{src}, "
                f"max_real_nonneutral={self.max_real_nonneutral:.6g}, unstable={self.unstable_count}, "
                f"D={len(self.eigenvalues)})")


def relative_residual(kernel: Kernel, x: np.ndarray, J: np.ndarray | None = None) -> float:
    """‖f(x)‖₂ / max(‖J(x)‖₂ ‖x‖₂, tiny) for one point x of shape (D,) (0 when f(x) = 0).

    Scale-free for polynomial fields: f and J·x have the same size away from equilibria.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> from symdyn import VectorField
    >>> x, y = sp.symbols("x y", real=True)
    >>> k = VectorField([x, y], [-x * (x**2 + y**2 - 1), -y * (x**2 + y**2 - 1)]).lambdify()
    >>> relative_residual(k, np.array([0.6, 0.8])) < 1e-15, relative_residual(k, np.array([0.5, 0.5]))
    (True, 1.0)
    """
    x = np.asarray(x, dtype=float)
    nf = float(np.linalg.norm(kernel.f(x)))
    if nf == 0.0:
        return 0.0
    J = kernel.jacobian(x) if J is None else J
    denom = float(np.linalg.norm(J, 2) * np.linalg.norm(x)) if J.size else 0.0
    return nf / max(denom, np.finfo(float).tiny)


def classify_spectrum(eigenvalues: np.ndarray, manifold_dim: int, scale: float, neutral_rtol: float = 1e-7,
                      axis_rtol: float = 1e-7) -> StabilityReport:
    """Verdict from a spectrum (generic path of the module docstring).  ``eigenvalues``: (D,) complex.

    Examples
    --------
    >>> import numpy as np
    >>> classify_spectrum(np.array([0.0, -1.0, -2.0]), manifold_dim=1, scale=2.0).verdict
    'asymptotically stable'
    >>> classify_spectrum(np.array([0.0, 0.5, -2.0]), manifold_dim=1, scale=2.0).verdict
    'saddle'
    """
    mu = np.asarray(eigenvalues, dtype=complex)
    mu = mu[np.argsort(-mu.real, kind="stable")]
    scale = float(scale)
    neutral = np.abs(mu) <= neutral_rtol * scale
    nonneutral = mu[~neutral]
    axis = axis_rtol * scale
    n_unstable = int(np.sum(nonneutral.real > axis))
    n_stable = int(np.sum(nonneutral.real < -axis))
    k = int(neutral.sum())
    max_re = float(nonneutral.real.max()) if nonneutral.size else float("-inf")
    verdict, reason = _verdict(n_unstable, n_stable, nonneutral.size - n_unstable - n_stable, k, manifold_dim,
                               max_re, mu.size)
    return StabilityReport(mu, k, manifold_dim, max_re, verdict, reason, scale, neutral_rtol, axis_rtol, n_unstable)


def _verdict(n_unstable: int, n_stable: int, n_centre: int, k: int, manifold_dim: int, max_re: float, size: int):
    if n_unstable:
        verdict = "saddle" if n_stable else "unstable"
        reason = f"{n_unstable} eigenvalue(s) with Re > 0 (Lyapunov instability)"
        if k != manifold_dim:
            reason += f"; note the neutral count {k} differs from the manifold dimension {manifold_dim}"
    elif k != manifold_dim:
        verdict = "inconclusive"
        reason = f"neutral count {k} differs from the manifold dimension {manifold_dim}"
    elif n_centre:
        verdict = "inconclusive"
        reason = f"{n_centre} non-neutral eigenvalue(s) on the imaginary axis within tolerance"
    else:
        verdict = "asymptotically stable"
        if not size:
            reason = "empty spectrum"
        elif k == size:
            reason = (f"all {k} eigenvalues neutral and the equilibrium set is {k}-dimensional here: every nearby point "
                      "is an equilibrium (stable; nothing to attract)")
        else:
            reason = f"{k} neutral eigenvalue(s) = manifold dimension, all others have Re <= {max_re:.3g}"
    return verdict, reason


def _orthonormal_rows(T: np.ndarray, D: int, name: str) -> np.ndarray:
    T = as_float_array(T, name)
    T = T.reshape(-1, D) if T.size else np.zeros((0, D))
    if T.shape[1] != D:
        raise ValueError(f"{name}: expected rows of length {D}, got shape {T.shape}")
    if not T.shape[0]:
        return T
    _, s, vt = np.linalg.svd(T, full_matrices=False)
    return vt[: int(np.sum(s > 1e-10 * s[0]))]


def linear_stability(J: ArrayLike, manifold_dim: int | None = None, *, tangent: ArrayLike | None = None,
                     neutral_rtol: float = 1e-7, axis_rtol: float | None = None) -> StabilityReport:
    """Verdict from a Jacobian J (D, D) at an equilibrium (module docstring).

    ``tangent`` (k, D): known neutral directions (J Tᵀ = 0), projected out before judging the rest on its
    own scale; otherwise ``manifold_dim`` k (default 0) and the generic path.

    >>> linear_stability(np.diag([0.0, -1e-12, -1.0]), tangent=[[1.0, 0, 0]]).verdict
    'asymptotically stable'
    >>> linear_stability(np.diag([0.0, -1e-12, -1.0]), manifold_dim=1).verdict
    'inconclusive'
    """
    J = as_float_array(J, "J")
    if J.ndim != 2 or J.shape[0] != J.shape[1]:
        raise ValueError(f"J: expected a square matrix, got shape {J.shape}")
    neutral_rtol = tolerance(neutral_rtol, "neutral_rtol")
    explicit_axis = axis_rtol is not None
    axis_rtol = tolerance(axis_rtol, "axis_rtol") if explicit_axis else 1e-7
    D = J.shape[0]
    scale = float(np.linalg.norm(J, 2)) if J.size else 0.0
    if tangent is None:
        k = 0 if manifold_dim is None else nonnegative_int(manifold_dim, "manifold_dim")
        if k > D:
            raise ValueError(f"manifold_dim: {k} exceeds the state dimension {D}")
        return classify_spectrum(np.linalg.eigvals(J) if D else np.zeros(0), k, scale, neutral_rtol, axis_rtol)
    T = _orthonormal_rows(tangent, D, "tangent")
    k = T.shape[0]
    if manifold_dim is not None and nonnegative_int(manifold_dim, "manifold_dim") != k:
        raise ValueError(f"manifold_dim: {manifold_dim} differs from the rank {k} of tangent")
    if k and np.linalg.norm(J @ T.T, 2) > max(neutral_rtol * scale, 1e-300):
        raise ValueError(f"tangent: the given directions are not neutral (‖J Tᵀ‖ = {np.linalg.norm(J @ T.T, 2):.3g}, "
                         f"‖J‖ = {scale:.3g})")
    Q = scipy.linalg.null_space(T).T if k else np.eye(D)
    Jq = Q @ J @ Q.T
    if Jq.size:
        mu, left, right = scipy.linalg.eig(Jq, left=True, right=True)
        overlap = np.abs(np.einsum("ij,ij->j", left.conj(), right))
        kappa = np.where(overlap > 0, np.linalg.norm(left, axis=0) * np.linalg.norm(right, axis=0)
                         / np.where(overlap > 0, overlap, 1.0), np.inf)
        bound = axis_rtol * scale if explicit_axis else 1e3 * _EPS * scale * kappa
    else:
        mu, bound = np.zeros(0, dtype=complex), np.zeros(0)
    decided = np.abs(mu.real) > bound
    n_unstable = int(np.sum(decided & (mu.real > 0)))
    n_stable = int(np.sum(decided & (mu.real < 0)))
    n_centre = int(mu.size - n_unstable - n_stable)
    max_re = float(mu.real.max()) if mu.size else float("-inf")
    verdict, reason = _verdict(n_unstable, n_stable, n_centre, k, k, max_re, D)
    if n_centre and not n_unstable:
        reason += " (their real parts are below the rounding-error bound 1e3·eps·‖J‖·cond)"
    full = np.concatenate([np.zeros(k, dtype=complex), mu.astype(complex)])
    full = full[np.argsort(-full.real, kind="stable")]
    return StabilityReport(full, k, k, max_re, verdict, reason, scale, neutral_rtol, axis_rtol, n_unstable,
                           manifold_dim_source="tangent", quotient_eigenvalues=mu)


def stability(kernel: Kernel | VectorField, x: ArrayLike, manifold_dim: int | None = None, *,
              tangent: ArrayLike | None = None, neutral_rtol: float = 1e-7, axis_rtol: float | None = None,
              equilibrium_rtol: float = 1e-8, precision: int | None = None, seed: int = 0,
              **params: ArrayLike) -> StabilityReport:
    """Linear stability of the equilibrium ``x`` (shape (D,)) of ``kernel`` (a Kernel or VectorField).

    Parameters
    ----------
    kernel : Kernel or VectorField
    x : array (D,) — the point; checked to be an equilibrium first
    manifold_dim : int, optional — k, the dimension of the manifold of equilibria through x.  When
        neither it nor ``tangent`` is given, k is measured (:func:`~symdyn.local_dimension.local_dimension`)
    tangent : array (k, D), optional — a basis of the known neutral directions (e.g. a variety's
        tangent space); they are projected out and the rest of the spectrum is judged on its own scale
    neutral_rtol, axis_rtol : float — tolerances relative to ‖J‖₂ (module docstring; default 1e-7)
    equilibrium_rtol : float — largest relative residual ‖f(x)‖/(‖J‖‖x‖) of an equilibrium (default 1e-8)
    precision : int, optional — if given, decimal digits for an mpmath evaluation and eigen-solve
    seed : int — seed of the local-dimension test's random directions
    **params : parameter values not bound in the kernel

    Returns
    -------
    StabilityReport — ``verdict == "not an equilibrium"`` (with ``residual``) when the check fails

    Examples
    --------
    >>> import sympy as sp
    >>> from symdyn import VectorField, stability
    >>> x, y = sp.symbols("x y", real=True)
    >>> circle = VectorField([x, y], [-x * (x**2 + y**2 - 1), -y * (x**2 + y**2 - 1)])   # a circle of equilibria
    >>> rep = stability(circle, [0.6, 0.8])
    >>> rep.verdict, rep.manifold_dim, rep.manifold_dim_source
    ('asymptotically stable', 1, 'measured')
    >>> stability(circle, [0.5, 0.5]).verdict                      # f(x) ≠ 0 there: no verdict
    'not an equilibrium'
    """
    from .field import VectorField

    if isinstance(kernel, VectorField):
        kernel = kernel.lambdify()
    if not hasattr(kernel, "f") or not hasattr(kernel, "jacobian"):
        raise TypeError(f"kernel: expected a Kernel or VectorField, got {type(kernel).__name__}")
    if manifold_dim is not None:
        manifold_dim = nonnegative_int(manifold_dim, "manifold_dim")
        if manifold_dim > kernel.dimension:
            raise ValueError(f"manifold_dim: {manifold_dim} exceeds the state dimension {kernel.dimension}")
    neutral_rtol = tolerance(neutral_rtol, "neutral_rtol")
    if axis_rtol is not None:
        axis_rtol = tolerance(axis_rtol, "axis_rtol")
    equilibrium_rtol = tolerance(equilibrium_rtol, "equilibrium_rtol")
    x = as_float_array(x, "x")
    if x.shape != (kernel.dimension,):
        raise ValueError(f"x: expected one point of shape ({kernel.dimension},), got shape {x.shape}")
    bound = kernel.bind(**params) if params else kernel
    J = bound.jacobian(x)
    res = relative_residual(bound, x, J)
    if res > equilibrium_rtol:
        scale = float(np.linalg.norm(J, 2)) if J.size else 0.0
        mu = np.linalg.eigvals(J) if J.size else np.zeros(0, dtype=complex)
        return StabilityReport(mu, 0, manifold_dim or 0, float("nan"), "not an equilibrium",
                               f"relative residual {res:.3g} > equilibrium_rtol = {equilibrium_rtol:.3g}", scale,
                               neutral_rtol, axis_rtol or 1e-7, 0, res)
    if precision is not None:
        if isinstance(precision, bool) or not isinstance(precision, (int, np.integer)) or precision < 16:
            raise ValueError(f"precision: expected an integer of at least 16 digits, got {precision!r}")
        with mpmath.workdps(precision):
            Jm = bound.jacobian_mp(x, dps=precision)
            mu = np.array([complex(e) for e in mpmath.eig(Jm, left=False, right=False)])
            scale = float(max(mpmath.svd_r(Jm, compute_uv=False))) if Jm.rows else 0.0
        rep = classify_spectrum(mu, manifold_dim or 0, scale, neutral_rtol, axis_rtol or 1e-7)
        rep.residual = res
        return rep
    if tangent is not None:
        rep = linear_stability(J, manifold_dim, tangent=tangent, neutral_rtol=neutral_rtol, axis_rtol=axis_rtol)
        rep.residual = res
        return rep
    if manifold_dim is not None:
        rep = linear_stability(J, manifold_dim, neutral_rtol=neutral_rtol, axis_rtol=axis_rtol)
        rep.residual = res
        return rep
    loc = local_dimension(bound.f, bound.jacobian, x, kernel_rtol=neutral_rtol, seed=seed)
    rep = measured_stability(J, loc, neutral_rtol=neutral_rtol, axis_rtol=axis_rtol, generic_axis_rtol=axis_rtol)
    rep.residual = res
    return rep


def measured_stability(J: np.ndarray, loc: LocalDimension, *, neutral_rtol: float = 1e-7,
                       axis_rtol: float | None = None, generic_axis_rtol: float | None = None) -> StabilityReport:
    """Verdict from J with the *measured* local dimension ``loc`` of the equilibrium set (the one rule used by
    :func:`stability` and :func:`symdyn.classify`): when the measured dimension equals the corank of J, ker J is
    the tangent space and is projected out (``axis_rtol``: None for the rounding-error bound); otherwise the
    generic path with k = loc.dimension (``generic_axis_rtol``).

    Examples
    --------
    >>> import numpy as np
    >>> from symdyn.local_dimension import local_dimension
    >>> F = lambda z: -z * (z @ z - 1)                       # the unit circle is a manifold of equilibria
    >>> J = lambda z: -(z @ z - 1) * np.eye(2) - 2 * np.outer(z, z)
    >>> x = np.array([0.6, 0.8])
    >>> loc = local_dimension(F, J, x)
    >>> loc.dimension, loc.corank
    (1, 1)
    >>> measured_stability(J(x), loc).verdict
    'asymptotically stable'
    """
    if loc.dimension == loc.corank and loc.corank > 0:
        rep = linear_stability(J, tangent=loc.kernel, neutral_rtol=neutral_rtol, axis_rtol=axis_rtol)
    else:
        rep = linear_stability(J, loc.dimension, neutral_rtol=neutral_rtol, axis_rtol=generic_axis_rtol)
    rep.manifold_dim_source, rep.local_dimension = "measured", loc
    return rep


from ._callable_module import callable_module  # noqa: E402

callable_module(__name__)  # symdyn.stability stays the module; calling it calls stability()


def escape_time_scale(report: StabilityReport) -> dict:
    """The escape time of a saddle with a single unstable direction: a start at distance δ along it leaves a
    neighbourhood of size r after ≈ ln(r/δ)/μ, μ the unstable eigenvalue (linear escape).  Returns {"rate": μ,
    "time_scale": 1/μ, "separation": μ / min |Re| of the stable eigenvalues (≪ 1: metastable — the trajectory
    relaxes onto the saddle's stable manifold long before it leaves)}.  Raises ValueError unless the report is a
    saddle with exactly one unstable eigenvalue (real, as complex ones come in pairs).

    >>> escape_time_scale(linear_stability(np.diag([0.01, -1.0, -2.0])))["time_scale"]
    100.0
    """
    if report.verdict != "saddle" or report.unstable_count != 1:
        raise ValueError(f"report: an escape time needs a saddle with one unstable eigenvalue, got verdict "
                         f"{report.verdict!r} with {report.unstable_count} unstable")
    mu = np.asarray(report.quotient_eigenvalues if report.quotient_eigenvalues is not None else report.eigenvalues)
    top = mu[np.argmax(mu.real)]
    stable = mu.real[mu.real < -report.axis_rtol * report.scale]
    rate = float(top.real)
    return {"rate": rate, "time_scale": 1.0 / rate,
            "separation": rate / float(np.min(-stable)) if stable.size else float("inf")}

