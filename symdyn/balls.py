"""Ball (midpoint–radius) arithmetic for real matrices in NumPy, with rigorous rounding-error bounds, and the
Krawczyk test on it.

A ball ⟨m, r⟩ is the set {x : |x − m| ≤ r} (entry-wise; m, r float arrays of one shape, r ≥ 0).  Every operation
returns a ball that contains the exact result for every choice of points in its operands' balls, although NumPy
rounds to nearest (Rump, "Fast and parallel interval arithmetic", BIT 39, 1999): the midpoint is the rounded
result, and the radius adds the operands' radii, the rounding error of the midpoint — for a product of inner
dimension k at most γ_k|A_m||B_m| with γ_k = ku/(1 − ku), u = 2⁻⁵³, in any summation order (BLAS, FMA) — and an
underflow allowance, and is itself computed with an upward margin:

    ⟨a, α⟩ ± ⟨b, β⟩ = ⟨fl(a ± b), ↑(α + β + 2u|fl(a ± b)|)⟩
    ⟨A, Α⟩ ⟨B, Β⟩  = ⟨fl(AB), ↑(|A|Β + Α(|B| + Β) + γ_k|A||B|)⟩                  (k = inner dimension)

where ↑(t) = (t + 10⁻³⁰⁰)(1 + 4(k + 3)u), rounded up once more: a bound of the exact value of the radius formula
over the rounding of its own evaluation (non-negative sums of at most k + 3 terms).  Batched over leading axes as
``@`` is.  Used to certify roots in double precision (:func:`krawczyk_balls`), about a hundred times faster than
interval arithmetic in mpmath; a root too ill-conditioned for double precision fails the test, and the callers
then fall back to :func:`symdyn.polysolve.krawczyk` at higher precision.

Examples
--------
>>> import numpy as np
>>> third = Ball(np.array(1.0)).scale(1 / 3)           # 1/3 is not a float: the ball holds the exact product
>>> bool(third.rad > 0), bool(abs(third.mid - 1 / 3) <= third.rad)
(True, True)
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Ball", "concatenate", "krawczyk_balls", "krawczyk_widths", "BOX_WIDTHS"]

#: relative half-widths of the boxes :func:`krawczyk_widths` tries, smallest first (a root Newton-polished in
#: doubles is within ~1e-15 relative; an ill-conditioned one needs a larger box, and a box too large fails)
BOX_WIDTHS = (1e-12, 1e-9, 1e-6)

U = np.finfo(float).eps / 2  # unit roundoff of round-to-nearest double precision
TINY = 1e-300  # underflow allowance (the absolute error of all underflowing products of a dot product is below it)


def _up(t: np.ndarray, k: int) -> np.ndarray:
    """An upper bound of the exact value of a non-negative radius formula of at most k + 3 terms per entry,
    evaluated in round-to-nearest as ``t``."""
    return np.nextafter((t + TINY) * (1 + 4 * (k + 3) * U), np.inf)


@dataclass(frozen=True)
class Ball:
    """A real array ball ⟨mid, rad⟩ = {x : |x − mid| ≤ rad entry-wise}.  ``rad`` defaults to 0 (a point).
    Non-finite values propagate (a test on them fails: NaN compares False); a negative radius, or one whose shape
    does not broadcast to the midpoint's, raises ValueError naming ``rad``.

    Examples
    --------
    >>> import numpy as np
    >>> A = Ball(np.array([[1.0, 2.0], [3.0, 4.0]]), np.full((2, 2), 1e-3))
    >>> C = A @ A.T - A.T                                  # holds XXᵀ − Xᵀ for every X in A
    >>> X = A.mid + 1e-3 * np.array([[1, -1], [-1, 1]])
    >>> bool(np.all(np.abs(X @ X.T - X.T - C.mid) <= C.rad))
    True
    """

    mid: np.ndarray
    rad: np.ndarray | None = None

    def __post_init__(self):
        mid = np.asarray(self.mid, dtype=float)
        rad = np.zeros_like(mid) if self.rad is None else np.asarray(self.rad, dtype=float)
        try:
            rad = np.broadcast_to(rad, mid.shape)
        except ValueError:
            raise ValueError(f"rad: shape {rad.shape} does not broadcast to the midpoint's shape {mid.shape}") from None
        if np.any(rad < 0):
            raise ValueError("rad: expected non-negative radii")
        object.__setattr__(self, "mid", mid)
        object.__setattr__(self, "rad", np.array(rad))

    @property
    def shape(self) -> tuple:
        return self.mid.shape

    @property
    def T(self) -> "Ball":
        """The transpose of the last two axes."""
        return Ball(np.swapaxes(self.mid, -1, -2), np.swapaxes(self.rad, -1, -2))

    def __getitem__(self, index) -> "Ball":
        return Ball(self.mid[index], self.rad[index])

    def __neg__(self) -> "Ball":
        return Ball(-self.mid, self.rad)

    def _sum(self, other, sign: float) -> "Ball":
        other = other if isinstance(other, Ball) else Ball(other)
        mid = self.mid + sign * other.mid
        return Ball(mid, _up(self.rad + other.rad + 2 * U * np.abs(mid), 0))

    def __add__(self, other) -> "Ball":
        return self._sum(other, 1.0)

    def __sub__(self, other) -> "Ball":
        return self._sum(other, -1.0)

    def __matmul__(self, other) -> "Ball":
        other = other if isinstance(other, Ball) else Ball(other)
        k = self.shape[-1]
        gamma = k * U / (1 - k * U)
        A, B = np.abs(self.mid), np.abs(other.mid)
        rad = A @ other.rad + self.rad @ (B + other.rad) + gamma * (A @ B)
        return Ball(self.mid @ other.mid, _up(rad, k))

    def __mul__(self, other) -> "Ball":
        """The entry-wise product (broadcasting); a float ``other`` is exact as given."""
        other = other if isinstance(other, Ball) else Ball(other)
        mid = self.mid * other.mid
        A, B = np.abs(self.mid), np.abs(other.mid)
        return Ball(mid, _up(A * other.rad + self.rad * (B + other.rad) + 2 * U * np.abs(mid), 1))

    def scale(self, c: float) -> "Ball":
        """c·self for a float c (exact as given): the entry-wise product with the point c."""
        return self * float(c)

    def contains(self, x: np.ndarray) -> np.ndarray:
        """Whether the points x lie in the ball (entry-wise)."""
        return np.abs(np.asarray(x, dtype=float) - self.mid) <= self.rad


def concatenate(balls: list, axis: int = -1) -> Ball:
    """The balls joined along ``axis`` (midpoints and radii alike; exact).

    Examples
    --------
    >>> import numpy as np
    >>> concatenate([Ball(np.zeros(2), np.ones(2)), Ball(np.ones(1))]).rad.tolist()
    [1.0, 1.0, 0.0]
    """
    return Ball(np.concatenate([b.mid for b in balls], axis=axis), np.concatenate([b.rad for b in balls], axis=axis))


def krawczyk_widths(F: Callable[[Ball], Ball], J: Callable[[Ball], Ball], x: np.ndarray, size: np.ndarray,
                    widths=BOX_WIDTHS, accept: Callable | None = None, Y: np.ndarray | None = None) -> list:
    """[(row, w)]: for each centre x[row] (n, N) the first box x ± w·size[row] for w in ``widths`` (smallest first)
    that passes :func:`krawczyk_balls` and ``accept(row, w·size[row])`` (default: any); rows with no such box, or a
    non-finite centre, are left out.  ``Y``: as for :func:`krawczyk_balls` (n, N, N).

    Examples
    --------
    >>> import numpy as np
    >>> F = lambda X: X * X - 2.0
    >>> J = lambda X: X.scale(2.0)[..., None]
    >>> krawczyk_widths(F, J, np.array([[1.41421356], [1.5]]), np.ones(2))  # √2 ± 1e-6 (1e-12, 1e-9 too small)
    [(0, 1e-06)]
    """
    x, size = np.asarray(x, dtype=float), np.asarray(size, dtype=float)
    out, todo = [], np.flatnonzero(np.isfinite(x).all(axis=1))
    for w in widths:
        if not todo.size:
            break
        with np.errstate(all="ignore"):
            ok = krawczyk_balls(F, J, x[todo], w * size[todo], None if Y is None else Y[todo])
        passed = [int(i) for i in todo[ok] if accept is None or accept(i, w * size[i])]
        out += [(i, w) for i in passed]
        todo = np.setdiff1d(todo, passed)
    return out


def krawczyk_balls(F: Callable[[Ball], Ball], J: Callable[[Ball], Ball], x: np.ndarray, radius: np.ndarray,
                   Y: np.ndarray | None = None) -> np.ndarray:
    """The Krawczyk test in ball arithmetic for n boxes at once: which boxes X = x ± radius hold exactly one root.

    K(X) = x − Y F(x) + (I − Y J(X))(X − x) with Y ≈ J(x)⁻¹ (any non-singular Y: a float matrix); if
    K(X) ⊂ interior(X), X holds exactly one root of F (Krawczyk 1969; Moore 1977), real for a real system.

    Parameters
    ----------
    F : Ball (n, N) -> Ball (n, N) — a ball extension of the system (every point's value in the result)
    J : Ball (n, N) -> Ball (n, N, N) — a ball extension of its Jacobian over the box
    x : (n, N) float — the centres (approximate roots)
    radius : (n, N) or (n,) float — half-widths
    Y : (n, N, N) float, optional — default: the inverse of J's midpoint at x

    Returns
    -------
    (n,) bool

    Examples
    --------
    >>> import numpy as np
    >>> F = lambda X: X * X - 2.0                           # x² = 2, one unknown per box
    >>> J = lambda X: X.scale(2.0)[..., None]
    >>> krawczyk_balls(F, J, np.array([[1.41421356], [1.5]]), np.array([1e-6, 1e-6])).tolist()   # √2 in the first only
    [True, False]
    """
    x = np.asarray(x, dtype=float)
    n, N = x.shape
    r = np.broadcast_to(np.asarray(radius, dtype=float).reshape(n, -1), (n, N))
    if Y is None:
        with np.errstate(all="ignore"):
            Jm = J(Ball(x)).mid
            finite = np.isfinite(Jm).all(axis=(1, 2))
            Jm = np.where(finite[:, None, None], Jm, np.eye(N))  # a non-finite row is refused, not inverted
            good = finite & (np.linalg.cond(Jm) < 1e14)
            Y = np.where(good[:, None, None], np.linalg.inv(np.where(good[:, None, None], Jm, np.eye(N))), 0.0)
    Yb = Ball(np.asarray(Y, dtype=float))
    M = Ball(np.broadcast_to(np.eye(N), (n, N, N))) - Yb @ J(Ball(x, r))
    K = Ball(x[..., None]) - Yb @ F(Ball(x))[..., None] + M @ Ball(np.zeros((n, N, 1)), r[..., None])
    reach = _up(np.abs(K.mid[..., 0] - x) + K.rad[..., 0], 0)
    return np.all(reach < r, axis=1) & np.isfinite(Y).all(axis=(1, 2)) & np.any(Y != 0, axis=(1, 2))
