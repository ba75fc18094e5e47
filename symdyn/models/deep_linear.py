"""Deep linear networks (Saxe, McClelland & Ganguli 2014; ``shared/papers/neighbours.md`` §2).

* ``mode_field(depth)``: one connectivity mode of a depth-N network (N − 1 scalar weights a_1..a_{N−1}),
  the gradient flow of E = (s − ∏ a_i)² / (2τ), derived with ``VectorField.from_objective``.
  Equilibria: the variety ∏ a_i = s (dimension N − 2) and, for N ≥ 3, the origin's neighbourhood of
  saddles; conserved quantities a_i² − a_j².
* ``symmetric_closed_form()``: u(t) = s e^{2st/τ} / (e^{2st/τ} − 1 + s/u₀), the solution of τ u̇ = 2u(s − u)
  on the balanced manifold a = b, u = ab (two-layer case).
* ``full_field(sigma11, sigma31, hidden)``: τ Ẇ²¹ = W³²ᵀ(Σ³¹ − W³²W²¹Σ¹¹), τ Ẇ³² = (Σ³¹ − W³²W²¹Σ¹¹)W²¹ᵀ,
  derived from E = ½ tr(W³²W²¹Σ¹¹W²¹ᵀW³²ᵀ) − tr(W³²W²¹Σ³¹ᵀ) (matrix form, compiled to a MatrixKernel).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from ..field import VectorField
from .._validate import as_float_array, as_square_matrix
from ..matrix_calculus import matrix_flow

if TYPE_CHECKING:
    from ..flows import Step
    from ..kernels import Kernel

__all__ = ["DeepLinear", "mode_field", "conserved_quantities", "symmetric_closed_form", "hyperbola_spectrum",
           "balanced_mode_equation",
           "full_field"]


def mode_field(depth: int = 2, s: float | None = None, tau: float | None = 1) -> VectorField:
    """Per-mode field of a depth-``depth`` network (depth ≥ 2 weight matrices → depth scalars).

    ``s`` (mode strength) and ``tau`` are numbers or None for symbols.

    Examples
    --------
    >>> field = mode_field(2)
    >>> field.states, list(field.rhs)
    ((a_1, a_2), [-a_1*a_2**2 + a_2*s, -a_1**2*a_2 + a_1*s])
    """
    if int(depth) != depth or depth < 2:
        raise ValueError(f"depth: expected an integer >= 2 (number of weight matrices), got {depth!r}")
    a = sp.symbols(f"a_1:{depth + 1}", real=True)
    s_ = sp.Symbol("s", positive=True) if s is None else sp.nsimplify(s)
    t_ = sp.Symbol("tau", positive=True) if tau is None else sp.nsimplify(tau)
    E = (s_ - sp.Mul(*a)) ** 2 / (2 * t_)
    params = [p for p in (s_, t_) if isinstance(p, sp.Symbol)]
    return VectorField.from_objective(E, list(a), params, name=f"deep linear mode (depth {depth})")


def conserved_quantities(field: VectorField) -> list:
    """a_i² − a_{i+1}², each with its time derivative ∇I·f expanded (zero for the mode field).

    Examples
    --------
    >>> conserved_quantities(mode_field(2))           # a₁² − a₂² and its derivative along the flow
    [(a_1**2 - a_2**2, 0)]
    """
    out = []
    for x, y in zip(field.states, field.states[1:]):
        I = x ** 2 - y ** 2
        dI = sp.expand(sum(sp.diff(I, v) * f for v, f in zip(field.states, field.rhs)))
        out.append((I, dI))
    return out


def symmetric_closed_form() -> tuple[sp.Expr, sp.Expr, tuple]:
    """(u(t), ODE residual τu̇ − 2u(s − u) simplified) in symbols t, s, τ, u₀.

    Examples
    --------
    >>> u, residual, symbols = symmetric_closed_form()
    >>> u, residual
    (s*exp(2*s*t/tau)/(s/u_0 + exp(2*s*t/tau) - 1), 0)
    """
    t, s, tau, u0 = sp.symbols("t s tau u_0", positive=True)
    u = s * sp.exp(2 * s * t / tau) / (sp.exp(2 * s * t / tau) - 1 + s / u0)
    return u, sp.simplify(tau * sp.diff(u, t) - 2 * u * (s - u)), (t, s, tau, u0)


def hyperbola_spectrum(field: VectorField | None = None) -> dict:
    """Eigenvalues of the depth-2 mode field's Jacobian on the hyperbola ab = s (b = s/a) and at the origin,
    derived from ``field`` (default :func:`mode_field` (2) with symbolic s, τ).  On the hyperbola one eigenvalue is
    0 (the tangent direction) and one is −(a² + b²)/τ < 0: normally hyperbolic and attracting; at the origin ±s/τ
    (a saddle).  Returns {"hyperbola": [...], "origin": [...]} (SymPy expressions, sorted by their text).

    Examples
    --------
    >>> spec = hyperbola_spectrum()
    >>> spec["hyperbola"], spec["origin"]
    ([(-a_1**4 - s**2)/(a_1**2*tau), 0], [-s/tau, s/tau])
    """
    vf = mode_field(2, s=None, tau=None) if field is None else field
    a, b = vf.states
    s = sp.Symbol("s", positive=True)
    J = vf.jacobian()
    return {"hyperbola": sorted((sp.simplify(e) for e in J.subs(b, s / a).eigenvals()), key=str),
            "origin": sorted(J.subs({a: 0, b: 0}).eigenvals(), key=str)}


def balanced_mode_equation(depth: int) -> tuple[sp.Expr, list]:
    """u̇ on the equal-weights submanifold a_1 = … = a_k = a, u = a^k (k = ``depth`` weight matrices), derived
    from the mode field: every component restricted to a_i = a must agree (the submanifold is invariant),
    then u̇ = k a^{k−1} ȧ with a = u^{1/k}.  Returns (u̇, the invariance check's residual list) in symbols
    u, s, τ; the paper's form is u̇ = (k/τ) u^{2−2/k}(s − u) (Saxe et al. Eq. 13, with N_l − 1 = k).

    Examples
    --------
    >>> balanced_mode_equation(2)                      # Saxe et al.: τu̇ = 2u(s − u); the submanifold is invariant
    (2*u*(s - u)/tau, [0])
    """
    vf = mode_field(depth, s=None, tau=None)
    a, u = sp.Symbol("a", positive=True), sp.Symbol("u", positive=True)
    on = [sp.simplify(f.xreplace({x: a for x in vf.states})) for f in vf.rhs]
    residuals = [sp.simplify(f - on[0]) for f in on[1:]]
    k = len(vf.states)
    udot = sp.powsimp(sp.expand_power_base((k * a ** (k - 1) * on[0]).subs(a, u ** sp.Rational(1, k)), force=True),
                      force=True)
    return sp.simplify(udot), residuals


def full_field(sigma11: ArrayLike, sigma31: ArrayLike, hidden: int | Sequence[int], tau: float = 1.0) -> VectorField:
    """The matrix field with numeric Σ¹¹ (N1×N1) and Σ³¹ (N3×N1), derived from
    E = ½ tr(P Σ¹¹ Pᵀ) − tr(P Σ³¹ᵀ), P = W_L ⋯ W_1, as τẆ_i = −∂E/∂W_i (Saxe et al. Eqs. 2 and 13).

    ``hidden``: an int (two layers: states W21 (hidden×N1), W32 (N3×hidden), the paper's names) or a sequence
    of hidden widths (h_1, …, h_{L−1}) for L = len + 1 weight matrices W1 (h_1×N1), …, WL (N3×h_{L−1}).

    Examples
    --------
    >>> import numpy as np
    >>> field = full_field(np.eye(2), np.diag([1.0, 0.5]), hidden=2)   # W21 (2×2), W32 (2×2)
    >>> field, field.states[:2]
    (VectorField('deep linear network (2 layers)', D=8, params=[]), (w21_0_0, w21_0_1))
    """
    S11 = as_square_matrix(sigma11, "sigma11", symmetric=True)   # an input second-moment matrix
    S31 = as_float_array(sigma31, "sigma31")
    if S31.ndim != 2 or S31.shape[1] != S11.shape[0]:
        raise ValueError(f"sigma31: expected shape (N3, {S11.shape[0]}), got {S31.shape}")
    widths = [hidden] if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool) else list(hidden)
    if not widths or any(isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1 for h in widths):
        raise ValueError(f"hidden: expected a positive integer or a non-empty sequence of them, got {hidden!r}")
    n1, n3 = S11.shape[0], S31.shape[0]
    dims = [n1] + [int(h) for h in widths] + [n3]
    two_layer = len(widths) == 1 and isinstance(hidden, (int, np.integer))
    names = ["W21", "W32"] if two_layer else [f"W{i + 1}" for i in range(len(dims) - 1)]
    Ws = [sp.MatrixSymbol(nm, dims[i + 1], dims[i]) for i, nm in enumerate(names)]
    X11, X31 = sp.MatrixSymbol("Sigma11", n1, n1), sp.MatrixSymbol("Sigma31", n3, n1)
    P = sp.MatMul(*reversed(Ws))
    E = sp.Rational(1, 2) * sp.Trace(P * X11 * P.T) - sp.Trace(P * X31.T)
    inv_tau = sp.Symbol("inv_tau")
    form = matrix_flow(E, Ws, symmetric=(X11,), rates={W: inv_tau for W in Ws})
    states = [sp.Symbol(f"{W.name.lower()}_{i}_{j}") for W in Ws for i in range(W.rows) for j in range(W.cols)]
    return VectorField(states, None, name=f"deep linear network ({len(Ws)} layers)", matrix_form=form,
                       matrix_values={"Sigma11": S11, "Sigma31": S31, "inv_tau": 1.0 / tau})


class DeepLinear:
    """A deep linear network trained by gradient flow on fixed input–output statistics (Saxe et al. §2).

    τẆ_i = −∂E/∂W_i with E = ½ tr(P Σ¹¹ Pᵀ) − tr(P Σ³¹ᵀ), P = W_L ⋯ W_1 (:func:`full_field`).

    Parameters
    ----------
    sigma11 : (N1, N1) symmetric array — input second moment Σ¹¹
    sigma31 : (N3, N1) array — input–output correlation Σ³¹
    hidden : int or sequence of int — the hidden widths (an int: two layers W21, W32)
    tau : float > 0 — time constant

    The flat state is (vec_r(W_1), …, vec_r(W_L)) (:meth:`pack`/:meth:`unpack`).

    Examples
    --------
    >>> import numpy as np
    >>> net = DeepLinear(np.eye(3), np.diag([3.0, 2.0, 1.0])[:2], hidden=2)
    >>> W = net.unpack(net.kernel().f(net.pack(0.1 * np.ones((2, 3)), 0.1 * np.ones((2, 2)))))
    >>> [w.shape for w in W]
    [(2, 3), (2, 2)]
    """

    def __init__(self, sigma11: ArrayLike, sigma31: ArrayLike, hidden: int | Sequence[int], tau: float = 1.0):
        self._field = full_field(sigma11, sigma31, hidden, tau)
        self.shapes = [(int(W.rows), int(W.cols)) for W in self._field.matrix_form]
        self.tau = float(tau)

    def __repr__(self) -> str:
        return f"DeepLinear(layers={len(self.shapes)}, shapes={self.shapes}, tau={self.tau})"

    def field(self) -> VectorField:
        """The derived matrix-form field (compiled to a MatrixKernel)."""
        return self._field

    def kernel(self) -> Kernel:
        """The compiled kernel of :meth:`field` (built once)."""
        return self._field.lambdify()

    def pack(self, *weights: ArrayLike) -> np.ndarray:
        """Flat state(s) (..., D) from W_1 (..., h_1, N1), …, W_L (..., N3, h_{L−1})."""
        if len(weights) != len(self.shapes):
            raise ValueError(f"weights: expected {len(self.shapes)} matrices, got {len(weights)}")
        parts = []
        for i, (W, shape) in enumerate(zip(weights, self.shapes)):
            W = as_float_array(W, f"W{i + 1}")
            if W.shape[-2:] != shape:
                raise ValueError(f"W{i + 1}: expected trailing shape {shape}, got {W.shape}")
            parts.append(W.reshape(W.shape[:-2] + (shape[0] * shape[1],)))
        batch = np.broadcast_shapes(*[p.shape[:-1] for p in parts])
        return np.concatenate([np.broadcast_to(p, batch + p.shape[-1:]) for p in parts], axis=-1)

    def unpack(self, x: ArrayLike) -> list:
        """[W_1, …, W_L] from flat state(s) (..., D)."""
        x = as_float_array(x, "x")
        D = sum(r * c for r, c in self.shapes)
        if x.ndim == 0 or x.shape[-1] != D:
            raise ValueError(f"x: expected trailing dimension {D}, got shape {x.shape}")
        out, off = [], 0
        for r, c in self.shapes:
            out.append(x[..., off:off + r * c].reshape(x.shape[:-1] + (r, c)))
            off += r * c
        return out

    def discrete_step(self, eta: float = 0.05) -> Step:
        """Gradient descent W ← W + η f(W) as ``step(x, idx)`` for :func:`symdyn.flows.euler_map`."""
        from ..flows import gradient_step

        return gradient_step(self.kernel(), eta)
