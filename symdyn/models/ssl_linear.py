"""Linear non-contrastive SSL (BYOL/SimSiam-style): encoder A, predictor B, target C.

Reference: ``shared/papers/ssl_linear.md`` (Ponce, Terver, Hebert, Arbel), §1–§7.

Shapes: x, y ∈ R^m (two views), A, C ∈ R^{n×m}, B ∈ R^{n×n}, n ≥ m.  Second moments
Σx = E[xxᵀ] (m×m, symmetric positive definite), Σyx = E[yxᵀ] (m×m, any), Σy = E[yyᵀ].

The objective is written once (§2):

    F(A, B, C) = ½ E‖BAx − Cy‖² + λ/2 (‖A‖² + ‖B‖²)
               = ½ tr(B A Σx Aᵀ Bᵀ) − tr(B A Σyxᵀ Cᵀ) + ½ tr(C Σy Cᵀ) + λ/2 (tr AAᵀ + tr BBᵀ),

and every field is *derived* from it by SymPy differentiation:

* ``"sg"``  (stop-gradient):  (Ȧ, Ḃ) = −∇_{A,B} F(A, B, C) |_{C = A}   (differentiate, then substitute)
* ``"ema"`` (target network): (Ȧ, Ḃ) = −∇_{A,B} F(A, B, C),  Ċ = κ (A − C)
* ``"gf"``  (plain gradient flow of E(A, B) = F(A, B, A)): (Ȧ, Ḃ) = −∇_{A,B} E

both in closed matrix form (MatrixSymbol, for LaTeX) and entry-wise for concrete m, n (what is
compiled and what the Gröbner/stability work uses).  The flat state is
``x = (vec_r(A), vec_r(B)[, vec_r(C)])`` (row-major), see :meth:`LinearSSL.pack`.

Full-rank equilibria of SG and EMA (§6): with S = AᵀA ≻ 0,

    (E1)  (Σx S + λI)(S Σx + λI) = Σyxᵀ S Σyx          (m(m+1)/2 quadratics in S)
    (E2)  B = A Σyx Aᵀ W⁻¹,   W = A Σx Aᵀ + λ I_n          (and C = A for EMA)

and each positive-definite root S_k gives the variety {(U√S_k, B(U)) : UᵀU = I_m}, an O(n)-orbit
of dimension nm − m(m+1)/2.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike
from sympy import QQ
from sympy.polys.rings import ring

from .._validate import as_float_array, as_square_matrix, positive_int, seed_value, tolerance
from ..equilibria.component import EquilibriumComponent, EquilibriumSet
from ..field import VectorField
from ..matrix_calculus import (evaluate_in_ring, exact_matrix as _exact, matrix_flow, matrix_gradient, ring_flow,
                               ring_frobenius, ring_matmul, symbol_matrix)
from ..instances import random_moments  # noqa: F401  (re-exported: older imports)
from .ssl_e1 import (LAM_MIN_RELATIVE, e1_method, e1_residual, e1_scaling, e1_system, e2_predictor,  # noqa: F401
                     m1_radii, solve_e1)

if TYPE_CHECKING:
    from ..discrete import DiscreteMap
    from ..flows import Step
    from ..kernels import Kernel

__all__ = ["LinearSSL", "KINDS", "matrix_gradient"]

KINDS = ("gf", "sg", "ema")
MAX_SYMBOLIC_SIZE = 30  # m·n above which entry-wise symbolic derivation is refused (minutes of SymPy)


_GRADIENT_CACHE: dict = {}


class LinearSSL:
    """The linear SSL model of ``ssl_linear.md`` §1–2.

    Parameters
    ----------
    m : int — input dimension (x, y ∈ R^m)
    n : int — embedding dimension, n ≥ m
    sigma_x : (m, m) symmetric positive-definite array, or None for symbolic entries ``sx_ij``
    sigma_yx : (m, m) array, or None for symbolic entries ``syx_ij``
    sigma_y : (m, m) symmetric PSD array, or None (symbolic ``sy_ij``; only the "gf" field uses it).
        When all three are numeric, the joint second moment [[Σx, Σxy], [Σyx, Σy]] must be PSD.
    lam : float ≥ 0, or None for the symbol ``lam`` (λ, the weight decay)
    kappa : float > 0, or None for the symbol ``kappa`` (κ, the EMA rate)

    Examples
    --------
    >>> import numpy as np
    >>> model = LinearSSL(1, 2, sigma_x=[[2.0]], sigma_yx=[[1.0]], lam=0.1)
    >>> radii = [float(np.sqrt(v.info["S"][0, 0])) for v in model.equilibria("sg")]  # Gröbner on (E1)
    >>> bool(np.allclose(radii, model.m1_spheres()["radii"]))  # (|τ| ∓ √Δ)/2ρ, Δ = τ² − 4ρλ
    True
    """

    def __init__(self, m: int, n: int, sigma_x: ArrayLike | None = None, sigma_yx: ArrayLike | None = None,
                 sigma_y: ArrayLike | None = None, lam: float | sp.Expr | None = None,
                 kappa: float | sp.Expr | None = None):
        for name, v in (("m", m), ("n", n)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name}: expected a positive integer, got {v!r}")
        if m > n:
            raise ValueError(f"m: the input dimension m={m} must not exceed the embedding dimension n={n}")
        self.m, self.n = int(m), int(n)
        self.lam_symbol = sp.Symbol("lam", nonnegative=True)
        self.kappa_symbol = sp.Symbol("kappa", positive=True)
        self.latex_names = {self.lam_symbol: r"\lambda", self.kappa_symbol: r"\kappa"}

        self.sigma_x = None if sigma_x is None else as_square_matrix(sigma_x, "sigma_x", m, True)
        if self.sigma_x is not None and np.linalg.eigvalsh(self.sigma_x).min() <= 0:
            raise ValueError("sigma_x: must be positive definite (smallest eigenvalue "
                             f"{np.linalg.eigvalsh(self.sigma_x).min():.3g})")
        self.sigma_yx = None if sigma_yx is None else as_square_matrix(sigma_yx, "sigma_yx", m, False)
        self.sigma_y = None if sigma_y is None else as_square_matrix(sigma_y, "sigma_y", m, True)
        if self.sigma_y is not None and np.linalg.eigvalsh(self.sigma_y).min() < -1e-12:
            raise ValueError("sigma_y: must be positive semi-definite")
        if self.sigma_x is not None and self.sigma_yx is not None and self.sigma_y is not None:
            joint = np.block([[self.sigma_x, self.sigma_yx.T], [self.sigma_yx, self.sigma_y]])
            if np.linalg.eigvalsh(joint).min() < -1e-10 * np.abs(joint).max():
                raise ValueError("sigma_yx: the joint second moment [[sigma_x, sigma_yx^T], [sigma_yx, sigma_y]] "
                                 "is not positive semi-definite, so no data distribution has these moments")
        self.lam = self._scalar(lam, "lam", strict=False)
        self.kappa = self._scalar(kappa, "kappa", strict=True)

        # symbols of the closed form
        self.A = sp.MatrixSymbol("A", n, m)
        self.B = sp.MatrixSymbol("B", n, n)
        self.C = sp.MatrixSymbol("C", n, m)
        self.Sx = sp.MatrixSymbol(r"\Sigma_{x}", m, m)
        self.Syx = sp.MatrixSymbol(r"\Sigma_{yx}", m, m)
        self.Sy = sp.MatrixSymbol(r"\Sigma_{y}", m, m)
        self._fields: dict = {}
        self._symbols: dict = {}

    # ---- entry-wise state symbols (built on first use: LinearSSL(32, 64) never needs its 6144 as matrices) ----
    def _entry_symbols(self, prefix: str) -> list:
        """The entries of A ("a"), B ("b") or C ("c") as a row-major list of real Symbols ``a_ij`` (``a_i_j``
        when an index reaches 10)."""
        if prefix not in self._symbols:
            rows, cols = (self.n, self.n) if prefix == "b" else (self.n, self.m)
            sep = "" if max(rows, cols) < 10 else "_"
            self._symbols[prefix] = [sp.Symbol(f"{prefix}_{i + 1}{sep}{j + 1}", real=True)
                                     for i in range(rows) for j in range(cols)]
        return self._symbols[prefix]

    @property
    def a(self) -> sp.Matrix:
        """A's entries as an n×m Matrix of Symbols."""
        return sp.Matrix(self.n, self.m, self._entry_symbols("a"))

    @property
    def b(self) -> sp.Matrix:
        """B's entries as an n×n Matrix of Symbols."""
        return sp.Matrix(self.n, self.n, self._entry_symbols("b"))

    @property
    def c(self) -> sp.Matrix:
        """C's entries as an n×m Matrix of Symbols."""
        return sp.Matrix(self.n, self.m, self._entry_symbols("c"))

    def state_symbols(self, kind: str = "sg") -> list:
        """The state symbols of ``kind``: vec_r(A), vec_r(B) (and vec_r(C) for "ema"), as in :meth:`pack`."""
        kind = self._kind(kind)
        return (self._entry_symbols("a") + self._entry_symbols("b")
                + (self._entry_symbols("c") if kind == "ema" else []))

    # ---- validation helpers --------------------------------------------------------------------
    @staticmethod
    def _scalar(value, name: str, strict: bool):
        if value is None:
            return None
        v = as_float_array(value, name)
        if v.ndim != 0:
            raise ValueError(f"{name}: expected a scalar, got shape {v.shape}")
        v = float(v)
        if strict and v <= 0:
            raise ValueError(f"{name}: must be > 0, got {v}")
        if not strict and v < 0:
            raise ValueError(f"{name}: must be >= 0, got {v}")
        return v

    @staticmethod
    def _kind(kind: str) -> str:
        if kind not in KINDS:
            raise ValueError(f"kind: unknown kind {kind!r}; expected one of {KINDS}")
        return kind

    def __repr__(self) -> str:
        num = "numeric" if self.is_numeric else "symbolic"
        return f"LinearSSL(m={self.m}, n={self.n}, {num} moments, lam={self.lam}, kappa={self.kappa})"

    @property
    def is_numeric(self) -> bool:
        """True when sigma_x, sigma_yx and lam are all numbers (needed for equilibria)."""
        return self.sigma_x is not None and self.sigma_yx is not None and self.lam is not None

    # ---- objective -----------------------------------------------------------------------------
    def objective(self, target: str = "c") -> sp.Expr:
        """F(A, B, C) in closed matrix form (MatrixSymbols; Σxy = Σyxᵀ); ``target="a"`` gives the gradient-flow
        objective E(A, B) = F(A, B, A)."""
        if target not in ("a", "c"):
            raise ValueError(f"target: expected 'a' or 'c', got {target!r}")
        A, B, Sx, Syx, Sy, lam = self.A, self.B, self.Sx, self.Syx, self.Sy, self.lam_symbol
        C = A if target == "a" else self.C
        half = sp.Rational(1, 2)
        return (half * sp.Trace(B * A * Sx * A.T * B.T) - sp.Trace(B * A * Syx.T * C.T)
                + half * sp.Trace(C * Sy * C.T) + lam * half * (sp.Trace(A * A.T) + sp.Trace(B * B.T)))

    def gradients(self, kind: str = "sg") -> dict:
        """The closed-form gradients used by ``kind``: {A: ∇_A, B: ∇_B} (after C = A for sg/gf).

        They depend only on the shapes and symbols (the moments are MatrixSymbols), so the matrix calculus
        is done once per (m, n, kind) and shared by every model with those symbols (the data enter later
        as matrix values): ``verify`` builds thousands of numeric models."""
        kind = self._kind(kind)
        key = (kind, self.A, self.B, self.C, self.Sx, self.Syx, self.Sy, self.lam_symbol)
        if key not in _GRADIENT_CACHE:
            _GRADIENT_CACHE[key] = self._derive_gradients(kind)
        return dict(_GRADIENT_CACHE[key])

    def _derive_gradients(self, kind: str) -> dict:
        sym = (self.Sx, self.Sy)
        if kind == "gf":
            return {X: -g for X, g in matrix_flow(self.objective(target="a"), (self.A, self.B), symmetric=sym).items()}
        sg = {self.C: self.A} if kind == "sg" else None
        return {X: -g for X, g in matrix_flow(self.objective(), (self.A, self.B), symmetric=sym, stop_gradient=sg).items()}

    def matrix_field(self, kind: str = "sg") -> dict:
        """Closed matrix form {A: Ȧ, B: Ḃ[, C: Ċ]} derived from the objective (see module docstring)."""
        kind = self._kind(kind)
        key = ("field", kind, self.A, self.B, self.C, self.Sx, self.Syx, self.Sy, self.lam_symbol, self.kappa_symbol)
        if key not in _GRADIENT_CACHE:  # negating matrix expressions is SymPy work too (9 ms): once per shape
            out = {X: -g for X, g in self.gradients(kind).items()}
            if kind == "ema":
                out[self.C] = self.kappa_symbol * (self.A - self.C)
            _GRADIENT_CACHE[key] = out
        return dict(_GRADIENT_CACHE[key])

    # ---- entry-wise ----------------------------------------------------------------------------
    def _moment_matrices(self, exact: bool = True):
        """(Σx, Σyx, Σy) as explicit SymPy matrices: exact rationals when numeric, symbols otherwise."""
        m = self.m
        Sx = _exact(self.sigma_x) if self.sigma_x is not None else symbol_matrix("sx", m, symmetric=True)
        Syx = _exact(self.sigma_yx) if self.sigma_yx is not None else symbol_matrix("syx", m)
        Sy = _exact(self.sigma_y) if self.sigma_y is not None else symbol_matrix("sy", m, symmetric=True)
        return Sx, Syx, Sy

    def _lam_expr(self):
        return sp.Rational(self.lam) if self.lam is not None else self.lam_symbol

    def _kappa_expr(self):
        return sp.Rational(self.kappa) if self.kappa is not None else self.kappa_symbol

    def _entrywise_ring(self):
        """SymPy sparse polynomial ring over the entries of A, B, C and the free parameters, with the
        moment matrices, λ and κ as ring elements.  Returns (R, a, b, c, Sx, Syx, Sy, lam, kappa) with
        a, b, c, Σ… as lists of lists of ring elements."""
        if getattr(self, "_ring", None) is None:
            Sx, Syx, Sy = self._moment_matrices()
            lam, kap = self._lam_expr(), self._kappa_expr()
            free = set().union(Sx.free_symbols, Syx.free_symbols, Sy.free_symbols,
                               sp.sympify(lam).free_symbols, sp.sympify(kap).free_symbols)
            order = [self.lam_symbol, self.kappa_symbol]
            params = [q for q in order if q in free] + sorted((q for q in free if q not in order), key=str)
            states = self._entry_symbols("a") + self._entry_symbols("b") + self._entry_symbols("c")
            R, *G = ring(states + params, QQ)

            def conv(M):
                return [[R.from_expr(M[i, j]) if M[i, j] != 0 else R.zero for j in range(M.cols)]
                        for i in range(M.rows)]

            n, m = self.n, self.m
            a = [[G[i * m + j] for j in range(m)] for i in range(n)]
            b = [[G[n * m + i * n + j] for j in range(n)] for i in range(n)]
            c = [[G[n * m + n * n + i * m + j] for j in range(m)] for i in range(n)]
            self._ring = (R, a, b, c, conv(Sx), conv(Syx), conv(Sy), R.from_expr(sp.sympify(lam)),
                          R.from_expr(sp.sympify(kap)), params)
        return self._ring

    def objective_entrywise(self, target: str = "c") -> sp.Expr:
        """F(a, b, c) as an element of the sparse polynomial ring of :meth:`_entrywise_ring`: the trace-form
        :meth:`objective` evaluated on the entry matrices (``target="a"`` gives E(a, b) = F(a, b, a)).
        ``.as_expr()`` gives the SymPy expression."""
        R, a, b, c, Sx, Syx, Sy, lam, _, _ = self._entrywise_ring()
        env = {self.A: a, self.B: b, self.C: c, self.Sx: Sx, self.Syx: Syx, self.Sy: Sy, self.lam_symbol: lam}
        return evaluate_in_ring(self.objective(target), env, R)

    def _size_refusal(self) -> str | None:
        """Why entry-wise symbolic work is refused for this size (None when it is allowed)."""
        if self.m * self.n <= MAX_SYMBOLIC_SIZE:
            return None
        return (f"m, n: entry-wise symbolic derivation for m*n = {self.m * self.n} > {MAX_SYMBOLIC_SIZE} would take "
                f"minutes of SymPy time and produce O((nm + n^2)^2) Jacobian terms; pass allow_large=True to proceed anyway")

    def field(self, kind: str = "sg", allow_large: bool = False) -> VectorField:
        """The entry-wise VectorField of ``kind`` ∈ {"gf", "sg", "ema"}, derived by differentiating F.

        The differentiation is done in SymPy's sparse polynomial ring (exact, rational coefficients):
        SG differentiates F(a, b, c) and then substitutes c = a; GF differentiates E = F(a, b, a).
        States: vec_r(A), vec_r(B) (and vec_r(C) for "ema").  Parameters: the symbols left free
        (``lam``, ``kappa``, and ``sx_ij``/``syx_ij``/``sy_ij`` for symbolic moments).
        """
        kind = self._kind(kind)
        if kind in self._fields:
            return self._fields[kind]
        values = {}
        for M, v in ((self.Sx, self.sigma_x), (self.Syx, self.sigma_yx), (self.Sy, self.sigma_y)):
            if v is not None:
                values[M.name] = v
        for sym, v in ((self.lam_symbol, self.lam), (self.kappa_symbol, self.kappa)):
            if v is not None:
                values[str(sym)] = v
        name = f"linear SSL ({kind}, m={self.m}, n={self.n})"
        states = self.state_symbols(kind)
        reason = None if allow_large else self._size_refusal()
        if reason:
            needed = [self.Sx.name, self.Syx.name] + ([self.Sy.name] if kind == "gf" else [])
            if any(k not in values for k in needed):
                raise ValueError(reason + " (with numeric moments the matrix-form field needs no entry-wise work)")
            params = [p for p, v in ((self.lam_symbol, self.lam), (self.kappa_symbol, self.kappa if kind == "ema" else 0))
                      if v is None]
            vf = VectorField(states, None, params, name=name, matrix_form=self.matrix_field(kind),
                             latex_names=self.latex_names, matrix_values=values, entrywise_refusal=reason)
            self._fields[kind] = vf
            return vf
        numeric = self.sigma_x is not None and self.sigma_yx is not None and (kind != "gf" or self.sigma_y is not None)
        if numeric:  # the free parameters are known without the derivation: derive entry-wise on first use only
            params = [self.lam_symbol] * (self.lam is None) + [self.kappa_symbol] * (kind == "ema" and self.kappa is None)
            vf = VectorField(states, lambda: self._entrywise_rhs(kind)[0], params, name=name,
                             matrix_form=self.matrix_field(kind), latex_names=self.latex_names, matrix_values=values)
            self._fields[kind] = vf
            return vf
        rhs, params = self._entrywise_rhs(kind)
        free = set().union(*[e.free_symbols for e in rhs]) - set(states)
        vf = VectorField(states, rhs, [q for q in params if q in free], name=name,
                         matrix_form=self.matrix_field(kind), latex_names=self.latex_names, matrix_values=values)
        self._fields[kind] = vf
        return vf

    def _entrywise_rhs(self, kind: str):
        """The entry-wise components of ``kind`` by ring differentiation (see :meth:`field`), and the ring's
        parameter symbols."""
        R, a, b, c, _, _, _, _, kap, params = self._entrywise_ring()
        av = [v for row in a for v in row]
        bv = [v for row in b for v in row]
        cv = [v for row in c for v in row]
        if kind == "gf":
            rhs = ring_flow(self.objective_entrywise(target="a"), av + bv)
        else:  # SG: differentiate first, then substitute C = A; EMA: C follows A
            F = self.objective_entrywise(target="c")
            rhs = (ring_flow(F, av + bv, stop_gradient=list(zip(cv, av))) if kind == "sg"
                   else ring_flow(F, av + bv, ema=[(c_, (a_, kap)) for c_, a_ in zip(cv, av)]))
        return [e.as_expr() for e in rhs], params

    # ---- identities checked by computation ----------------------------------------------------------
    def _ring_field(self, kind: str):
        """(R, Ȧ, Ḃ, A, B, lam) with the derived field's components re-read into the model's ring."""
        R, a, b, _, _, _, _, lam, _, _ = self._entrywise_ring()
        rhs = [R.from_expr(e) for e in self.field(kind).rhs]
        n, m = self.n, self.m
        dA = [[rhs[i * m + j] for j in range(m)] for i in range(n)]
        dB = [[rhs[n * m + i * n + j] for j in range(n)] for i in range(n)]
        return R, dA, dB, a, b, lam

    def balancedness_defect(self, kind: str = "sg") -> sp.Matrix:
        """d/dt(AAᵀ − BᵀB) + 2λ(AAᵀ − BᵀB) along the derived field, expanded exactly (n×n).

        The balancedness lemma (§4) says this is identically zero for "sg" and "ema" (for EMA with any
        C(t)); a zero matrix returned here is a symbolic proof for these m, n and moments.
        """
        kind = self._kind(kind)
        R, dA, dB, a, b, lam = self._ring_field(kind)
        aT, bT, dAT, dBT = (list(map(list, zip(*M))) for M in (a, b, dA, dB))
        G = [[x - y for x, y in zip(r1, r2)] for r1, r2 in zip(ring_matmul(a, aT), ring_matmul(bT, b))]
        dG = [[w + x - y - z for w, x, y, z in zip(r1, r2, r3, r4)]
              for r1, r2, r3, r4 in zip(ring_matmul(dA, aT), ring_matmul(a, dAT), ring_matmul(dBT, b), ring_matmul(bT, dB))]
        return sp.Matrix([[(d + 2 * lam * g).as_expr() for d, g in zip(r1, r2)] for r1, r2 in zip(dG, G)])

    def gf_euler_defect(self) -> sp.Expr:
        """⟨A, ∇_A E⟩ − (E‖BAx − Ay‖² + λ‖A‖²), with ∇_A E = −Ȧ read off the derived GF field (§5).

        E‖BAx − Ay‖² = 2E − λ(‖A‖² + ‖B‖²).  Zero identically (Euler's identity: the data term is
        homogeneous of degree 2 in A), so ⟨A, ∇_A E⟩ ≥ λ‖A‖²: ‖A(t)‖ ≤ e^{−λt}‖A(0)‖, and (0, 0) is the
        only critical point of E whenever the joint second moment is PSD and λ > 0.
        """
        R, dA, _, a, b, lam = self._ring_field("gf")
        E = self.objective_entrywise(target="a")
        inner = -ring_frobenius(a, dA)
        data2 = 2 * E - lam * (ring_frobenius(a, a) + ring_frobenius(b, b))
        return (inner - (data2 + lam * ring_frobenius(a, a))).as_expr()

    def closed_form_entrywise(self, kind: str = "sg") -> sp.Matrix:
        """The closed matrix form with the explicit entry matrices substituted, flattened like the state.

        This is an independent route to the entry-wise field (matrix calculus, then substitution);
        tests check it equals :meth:`field`.
        """
        Sx, Syx, Sy = self._moment_matrices()
        subs = {self.A: self.a, self.B: self.b, self.C: self.c, self.Sx: Sx, self.Syx: Syx, self.Sy: Sy,
                self.lam_symbol: self._lam_expr(), self.kappa_symbol: self._kappa_expr()}
        parts = []
        for X, expr in self.matrix_field(kind).items():
            M = sp.Matrix(expr.xreplace(subs).doit())
            parts.extend(sp.expand(v) for v in M)
        return sp.Matrix(parts)

    # ---- discrete-time training ---------------------------------------------------------------------
    def discrete_step(self, kind: str = "sg", eta: float = 0.05, alpha: float = 0.99, **params: ArrayLike) -> Step:
        """One step of discrete training as ``step(x, idx)`` for :func:`symdyn.flows.euler_map` (batches (N, D)):

        * "sg" / "gf": (A, B) ← (A, B) + η f(A, B)  (:func:`symdyn.flows.gradient_step`)
        * "ema": (A, B) ← (A, B) + η f_(A,B)(A, B, C), then C ← α C + (1 − α) A_new (:func:`symdyn.flows.ema_step`;
          the C-row of the continuous field, κ(A − C), is not used: C is updated exactly)

        ``params``: values of the field's free parameters (lam, kappa, sx_ij, ... for symbolic moments), scalars or
        arrays with one value per batch row."""
        from ..flows import ema_step, gradient_step

        kind = self._kind(kind)
        vf = self.field(kind)
        free = {str(p) for p in vf.params}
        if kind == "ema" and "kappa" in free and "kappa" not in params:
            params = {**params, "kappa": 1.0}  # unused: the C-row of f is replaced by the exact EMA update
        kernel = vf.lambdify()
        if kind != "ema":
            return gradient_step(kernel, eta, **params)
        return ema_step(kernel, eta, alpha, *self._ema_blocks(), **params)

    def _ema_blocks(self) -> tuple:
        """(online, source, target) of the EMA map's state (A, B, C): A and B take the gradient step, C follows A."""
        nm, online = self.n * self.m, self.n * self.m + self.n ** 2
        return online, slice(0, nm), slice(online, online + nm)

    def discrete_map(self, kind: str = "sg", eta: float = 0.05, alpha: float = 0.99) -> DiscreteMap:
        """The training iteration of :meth:`discrete_step` as a :class:`symdyn.discrete.DiscreteMap` (with its
        Jacobian, verdicts from multipliers, attraction dimensions), on the numeric model's compiled kernel."""
        from ..discrete import DiscreteMap

        kind = self._kind(kind)
        if kind != "ema":
            return DiscreteMap.euler(self.kernel(kind), eta)
        kernel = self.kernel(kind) if self.kappa is not None else self.kernel(kind).bind(kappa=1.0)  # C-row unused
        return DiscreteMap.ema(kernel, eta, alpha, *self._ema_blocks())

    def step_limits(self, alphas: Sequence[float] = (0.0, 0.5, 0.9, 0.99), seed: int = 0) -> dict:
        """The largest stable step η at the outer full-rank variety (``ssl_linear.md`` §7): the SG map's from the closed
        form min_ν −2Re ν/|ν|² (:func:`symdyn.discrete.euler_step_limit`), the EMA map's at each α by bisection on its
        multipliers (:meth:`symdyn.discrete.DiscreteMap.step_limit`, up to 4× SG's); the orbit directions are
        neutral.  Returns {"sg": η, "ema": {α: η}}; ValueError without a full-rank equilibrium, or when the outer
        variety is not stable for the flow (then no step keeps it)."""
        from ..discrete import euler_step_limit

        comps = self.equilibria("sg")
        if not comps:
            raise ValueError("model: no full-rank equilibrium, so no step limit at the outer variety")
        x = comps[-1].sample(seed)
        sg = euler_step_limit(self.kernel("sg").jacobian(x), tangent=comps[-1].tangent_basis(x))
        ce = self.equilibria("ema")[-1]
        xe = ce.sample(seed)
        Te = ce.tangent_basis(xe)
        ema = {}
        for alpha in alphas:
            def build(eta, alpha=alpha):
                return self.discrete_map("ema", eta, alpha)
            ema[alpha] = build(1e-3).step_limit(build, xe, tangent=Te, eta_max=4 * sg)
        return {"sg": sg, "ema": ema}

    # ---- state packing ----------------------------------------------------------------------------
    def state_dimension(self, kind: str = "sg") -> int:
        """D = nm + n² (+ nm for EMA)."""
        kind = self._kind(kind)
        return self.n * self.m * (2 if kind == "ema" else 1) + self.n ** 2

    def pack(self, A: ArrayLike, B: ArrayLike, C: ArrayLike | None = None) -> np.ndarray:
        """Flat state(s) (..., D) from A (..., n, m), B (..., n, n) and optionally C (..., n, m)."""
        n, m = self.n, self.m
        A = as_float_array(A, "A")
        B = as_float_array(B, "B")
        if A.shape[-2:] != (n, m):
            raise ValueError(f"A: expected trailing shape ({n}, {m}), got {A.shape}")
        if B.shape[-2:] != (n, n):
            raise ValueError(f"B: expected trailing shape ({n}, {n}), got {B.shape}")
        parts = [A.reshape(A.shape[:-2] + (n * m,)), B.reshape(B.shape[:-2] + (n * n,))]
        if C is not None:
            C = as_float_array(C, "C")
            if C.shape[-2:] != (n, m):
                raise ValueError(f"C: expected trailing shape ({n}, {m}), got {C.shape}")
            parts.append(C.reshape(C.shape[:-2] + (n * m,)))
        batch = np.broadcast_shapes(*[p.shape[:-1] for p in parts])
        return np.concatenate([np.broadcast_to(p, batch + p.shape[-1:]) for p in parts], axis=-1)

    def unpack(self, x: ArrayLike) -> tuple:
        """(A, B) or (A, B, C) from flat state(s) (..., D) with D = nm + n² or 2nm + n²."""
        n, m = self.n, self.m
        x = as_float_array(x, "x")
        D = x.shape[-1] if x.ndim else 0
        if D not in (n * m + n * n, 2 * n * m + n * n):
            raise ValueError(f"x: expected trailing dimension {n * m + n * n} (sg, gf) or "
                             f"{2 * n * m + n * n} (ema), got shape {x.shape}")
        b = x.shape[:-1]
        A = x[..., : n * m].reshape(b + (n, m))
        B = x[..., n * m: n * m + n * n].reshape(b + (n, n))
        if D == n * m + n * n:
            return A, B
        return A, B, x[..., n * m + n * n:].reshape(b + (n, m))

    # ---- equilibria ------------------------------------------------------------------------------
    def _require_numeric(self, what: str):
        if not self.is_numeric:
            raise ValueError(f"{what} needs numeric sigma_x, sigma_yx and lam (got symbolic ones)")
        if self.lam == 0:
            raise ValueError(f"lam: {what} assumes lam > 0 (with lam = 0, (E1)/(E2) do not characterise "
                             "the equilibria: B^T B - A A^T is conserved instead of decaying)")

    def e1_equations(self, exact: bool = True) -> tuple[list, list, sp.Matrix]:
        """(E1) as polynomial equations in the m(m+1)/2 entries s_ij (i ≤ j) of S.

        Returns (equations, unknowns, S) with S the symmetric m×m matrix of unknowns.
        """
        Sx, Syx, _ = self._moment_matrices()
        return e1_system(Sx, Syx, self._lam_expr(), self.m)

    def e1_scaling(self) -> dict:
        """The exact normalisation of (E1) for this model's data (:func:`.ssl_e1.e1_scaling`)."""
        self._require_numeric("e1_scaling")
        return e1_scaling(self.sigma_x, self.sigma_yx, self.lam)

    def e1_roots(self, method: str = "auto", seed: int = 0, max_paths: int = 4096) -> dict:
        """All real symmetric roots S of (E1), each certified, with its positive-definiteness decided.

        The data are first normalised exactly (:meth:`e1_scaling`), so the answer does not depend on the
        scale of Σ and λ.  method: "closed form" (m = 1, the default there: the quadratic formula, cancellation-free;
        exact Gröbner when Δ = τ² − 4ρλ is too close to 0 to decide its sign), "groebner" (exact, certified real-root
        isolation; default for m = 2),
        "parameter" (default for m = 3 … 5: a parameter homotopy from the shipped generic solutions of (E1), K = 24
        and 124 paths at m = 3 and 4 instead of 2^{m(m+1)/2}; complete when all K are reached or a homotopy has no
        failed path, up to three homotopies with independent γ; every root certified, by the Krawczyk test in
        double-precision ball arithmetic, or where that cannot decide by the α-test at high precision:
        :mod:`.ssl_e1_homotopy`; on any defect it falls back to "homotopy") or
        "homotopy" (total-degree homotopy, then every end point polished at high precision and certified by
        Smale's α-test, duplicates of simple roots searched again by deflation).

        Positive-definiteness is decided at high precision, relative to each root's own size (an inner
        branch with S ~ λ² is not dropped next to an outer one with S ~ 1): λ_min(S) must exceed the
        certified error of the root.  Refusals (``ValueError``, before any work): normalised λ' < 1e-40
        (inner roots below double precision), more than ``max_paths`` homotopy paths.  With Σyx = 0 the
        only real root is S = −λΣx⁻¹ (LᵀL = 0 forces L = SΣx + λI = 0 for real S), never positive definite.

        Returns {"roots": [S (m×m)], "positive_definite": [bool], "sqrtS": [√S or None], "complex_count",
        "method", "residuals" (relative), "diverged", "certified" (bool), "complete" ("proven": exact count;
        "checked": every finite path end point certified and accounted for; "unchecked"), "notes"}.
        Results are cached per (method, seed).
        """
        self._require_numeric("e1_roots")
        method = e1_method(self.m, method)
        seed = seed_value(seed)
        max_paths = positive_int(max_paths, "max_paths")
        from .ssl_e1_homotopy import e1_start_count

        if method == "parameter" and e1_start_count(self.m) is None and self.m >= 5:
            raise ValueError(f"m: method='parameter' at m = {self.m} needs the generic solutions of (E1), found once by "
                             "monodromy and not shipped (at m = 5 it did not finish in 83 min on 2 cores); compute "
                             f"them with symdyn.models.ssl_e1_homotopy.e1_start({self.m}) (cached afterwards). Refused")
        cache = self.__dict__.setdefault("_e1_cache", {})
        key = (method, seed, max_paths)
        if key not in cache:
            cache[key] = solve_e1(self.sigma_x, self.sigma_yx, self.lam, method, seed, max_paths)
        out = cache[key]
        return {k: (list(v) if isinstance(v, list) else v) for k, v in out.items()}

    def e1_residual(self, S: ArrayLike) -> float:
        """‖(ΣxS+λI)(SΣx+λI) − ΣyxᵀSΣyx‖_F / (‖(ΣxS+λI)‖² + ‖Σyx‖²‖S‖), relative (:func:`.ssl_e1.e1_residual`)."""
        return e1_residual(self.sigma_x, self.sigma_yx, self.lam, S)

    def e2_predictor(self, A: ArrayLike) -> np.ndarray:
        """(E2): B = A Σyx Aᵀ W⁻¹ with W = A Σx Aᵀ + λ I_n.  A: (..., n, m) -> (..., n, n) (:func:`.ssl_e1.e2_predictor`)."""
        return e2_predictor(np.asarray(A, dtype=float), self.sigma_x, self.sigma_yx, self.lam)

    def equilibria(self, kind: str = "sg", method: str = "auto", seed: int = 0,
                   include_rank_deficient: bool = False) -> list[EquilibriumComponent]:
        """Full-rank equilibrium varieties of ``kind`` ∈ {"sg", "ema"} (§6.1–6.2).

        One variety per positive-definite real root S_k of (E1), sorted by trace(S_k) (the last is the
        "outer" branch).  Each has ``info["S"]``, ``info["e1_residual"]``, ``info["method"]``,
        ``dimension = nm − m(m+1)/2``, ``equations`` (AᵀA − S = 0, B W − AΣyxAᵀ = 0, C − A = 0),
        ``sample(seed)``, ``residual(x)``, ``tangent_basis(x)``.

        ``include_rank_deficient`` adds every rank-deficient component (r = 0 … m − 1, any data:
        :meth:`equilibrium_set`, which has the completeness flags).  Data with a symmetry (commuting with a
        repeated joint eigenvalue, e.g. isotropic) have positive-dimensional families of roots: their full-rank
        components come from the closed form (:meth:`symmetric_data_components`).
        """
        kind = self._kind(kind)
        if not isinstance(include_rank_deficient, (bool, np.bool_)):
            raise TypeError(f"include_rank_deficient: expected a bool, got {type(include_rank_deficient).__name__}")
        if kind == "gf":
            raise ValueError("kind: the gradient flow has the single equilibrium (0, 0) for lam > 0 "
                             "(ssl_linear.md §5); equilibria() is for 'sg' and 'ema'")
        self._require_numeric("equilibria")
        sym = self._repeated_symmetry()
        if sym is not None:
            comps = self.symmetric_data_components(kind, _classes=sym)
            return [c for c in comps if include_rank_deficient or c.info["rank"] == self.m]
        deficient = ([c for c in self.equilibrium_set(kind, seed=seed) if c.info["rank"] < self.m]
                     if include_rank_deficient else [])
        found = self.e1_roots(method=method, seed=seed)
        pd = [(S, r, q) for S, r, q, ok in zip(found["roots"], found["residuals"], found["sqrtS"],
                                               found["positive_definite"]) if ok]
        pd.sort(key=lambda t: np.trace(t[0]))
        out = [self.variety_from_S(S, kind, name=f"{kind} full-rank branch {i + 1}/{len(pd)}",
                                   extra={"e1_residual": r, "method": found["method"],
                                          "complex_count": found["complex_count"], "certified": found["certified"],
                                          "complete": found["complete"]}, sqrtS=q, rank=self.m)
               for i, (S, r, q) in enumerate(pd)]
        return deficient + out

    def equilibrium_set(self, kind: str = "sg", seed: int = 0, max_rank_paths: int = 4096) -> EquilibriumSet:
        """The whole equilibrium set of ``kind`` ∈ {"sg", "ema"}: one component per PSD solution S of the
        un-cancelled equation S(ΣxS + λI)(SΣx + λI) = SΣxySΣyx, every rank r = 0 … m (``ssl_linear.md`` §6).

        * r = 0: the origin (A, B[, C]) = 0.
        * 0 < r < m: the rank-r stratum (:func:`.ssl_strata.rank_stratum`: S E(S) = 0 on the rank-r matrices,
          in charts S = WᵀPW of that variety, solved by a parameter homotopy from the generic solutions of its
          shape).
        * r = m: the roots of (E1) (:meth:`e1_roots`, certified).
        * Data with a symmetry (Σx, Σyx commuting and with a repeated joint eigenvalue, e.g. Tian's isotropic
          Σx = cI, Σyx = I): positive-dimensional families of roots S, in closed form
          (:meth:`symmetric_data_components`).

        Each component is the O(n)-orbit (times the family) of its roots, of dimension nr − r(r+1)/2 (+ the family's
        dimension), with ``info["rank"]``, ``info["S"]``, ``info["stratum"]`` and a sample point; components are
        distinct.  The set carries ``complete`` ("proven": every stratum exact; "checked": in every stratum one
        homotopy had no failed path, or homotopies with independent γ found all its generic solutions together, and
        the generic count was confirmed independently; "unchecked": otherwise — see ``notes``), ``strata``
        ({r: {"count", "method", "complete", "paths", "failed", "runs" (homotopies run, up to 3, until the
        generic solutions are all found), ...}}) and ``certified``.  Cached per (kind, seed).

        Refusals (``ValueError``) name the size: a stratum whose generic solution count exceeds ``max_rank_paths``.
        """
        kind = self._kind(kind)
        if kind == "gf":
            raise ValueError("kind: the gradient flow has the single equilibrium (0, 0) for lam > 0 "
                             "(ssl_linear.md §5); equilibrium_set() is for 'sg' and 'ema'")
        self._require_numeric("equilibrium_set")
        seed = seed_value(seed)
        max_rank_paths = positive_int(max_rank_paths, "max_rank_paths")
        cache = self.__dict__.setdefault("_eqset_cache", {})
        key = (kind, seed, max_rank_paths)
        if key not in cache:
            cache[key] = self._build_equilibrium_set(kind, seed, max_rank_paths)
        found = cache[key]
        return EquilibriumSet(list(found), found.certified, found.complex_count, found.notes,
                              complete=found.complete, strata=found.strata)

    def locate(self, x: ArrayLike, components: Sequence[EquilibriumComponent], rtol: float = 1e-4) -> int | None:
        """Index of the component of ``components`` (an :meth:`equilibrium_set`) that the state x lies on, or None.

        x lies on a component when S = AᵀA matches the component's root: its S (isolated roots) or, for a family,
        its spectrum, with relative tolerance ``rtol`` (default 1e-4: end points of integrations converge at the
        rate of the slowest non-neutral eigenvalue)."""
        rtol = tolerance(rtol, "rtol")
        if not all(isinstance(c, EquilibriumComponent) and "S" in c.info for c in components):
            raise TypeError("components: expected SSL equilibrium components (from equilibrium_set or equilibria)")
        A = self.unpack(x)[0]
        S = A.T @ A
        scale = max(np.linalg.norm(S), max((np.linalg.norm(c.info["S"]) for c in components), default=0.0), 1e-300)
        best, err = None, np.inf
        for i, c in enumerate(components):
            if c.info.get("family_dimension"):
                e = np.linalg.norm(np.linalg.eigvalsh(S) - np.linalg.eigvalsh(c.info["S"]))
            else:
                e = np.linalg.norm(S - c.info["S"])
            if e < err:
                best, err = i, e
        return best if err <= rtol * scale else None

    def _build_equilibrium_set(self, kind: str, seed: int, max_rank_paths: int) -> EquilibriumSet:
        from .ssl_strata import stratum_count

        m = self.m
        sym = self._repeated_symmetry()
        if sym is not None:
            return self.symmetric_data_components(kind, _classes=sym)
        comps = [self.variety_from_S(np.zeros((m, m)), kind, name=f"{kind} rank-0 (origin)",
                                     extra={"stratum": 0, "certified": True, "method": "exact (S = 0)"},
                                     sqrtS=np.zeros((m, m)), rank=0)]
        strata = {0: {"count": 1, "method": "exact", "complete": "proven"}}
        notes, complete = [], "proven"
        for r in range(1, m):  # refusals first, before any work
            count = stratum_count(m, r)
            if count is None and r > 1 and m > 4:
                raise ValueError(f"m: the rank-{r} stratum at m = {m} needs the generic rank-{r} solutions of "
                                 f"(E1') in a chart ({r * (r + 1) // 2 + r * (m - r)} unknowns), found once per shape "
                                 "by monodromy and not shipped (on 2 cores (4, 2): 84 solutions in 4 min; (4, 3): "
                                 "288 in hours; m = 5 was not computed); compute them with "
                                 f"symdyn.models.ssl_strata.stratum_start({m}, {r}) (cached afterwards), or use "
                                 "equilibria() for the full-rank stratum alone. Refused")
            if count is not None and count > max_rank_paths:
                raise ValueError(f"m: the rank-{r} stratum at m = {m} has {count} generic solutions to track "
                                 f"(> max_rank_paths={max_rank_paths}). Refused")
        e1 = self.e1_roots(seed=seed)  # its own refusals (path count) also come before the strata's work
        for r in range(1, m):
            found = self._rank_stratum(r, seed)
            ok = ("checked" if found["failed"] == 0 and found["unresolved"] == 0 and found["agree"]
                  and found["count_confirmed"] else "unchecked")
            if not found["count_confirmed"]:
                notes.append(f"rank {r}: the generic count {found['count']} of its start system was not confirmed "
                             "by an independent computation")
            if found["failed"]:
                notes.append(f"rank {r}: {found['failed']} of {found['count']} homotopy paths failed")
            if found["unresolved"]:
                notes.append(f"rank {r}: {found['unresolved']} real end point(s) with an eigenvalue of S not "
                             "resolved in double precision were not listed")
            strata[r] = {"count": len(found["S"]), "method": found["method"], "complete": ok,
                         "paths": found["count"], "failed": found["failed"], "runs": found["runs"]}
            complete = _weakest(complete, ok)
            order = np.argsort([np.trace(S) for S in found["S"]])
            for i, k in enumerate(order):
                cert = found["certificates"][k]
                comps.append(self.variety_from_S(
                    found["S"][k], kind, name=f"{kind} rank-{r} branch {i + 1}/{len(order)}", rank=r,
                    sqrtS=_factor_sqrt(found["V"][k]),
                    extra={"stratum": r, "method": found["method"] + ", Krawczyk-certified in a chart",
                           "residual_reduced": found["residuals"][k], "certified": cert["certified"],
                           "certificate": cert, "complete": ok}))
        full = self.equilibria(kind, seed=seed)
        strata[m] = {"count": len(full), "method": e1["method"], "complete": e1["complete"],
                     "complex_count": e1["complex_count"]}
        complete = _weakest(complete, e1["complete"])
        notes += [f"rank {m}: {n_}" for n_ in e1["notes"]]
        for c in full:
            c.info["stratum"] = m
        comps += full
        certified = all(c.certified for c in comps)
        failed = [c.name + ": " + c.info["certificate"]["reason"] for c in comps if "certificate" in c.info
                  and not c.info["certificate"]["certified"]]
        if failed:
            notes.append("not certified: " + "; ".join(failed))
        return EquilibriumSet(comps, certified, None, notes, complete=complete, strata=strata)

    def _rank_stratum(self, r: int, seed: int) -> dict:
        """The rank-r roots (:func:`.ssl_strata.rank_stratum`), each Krawczyk-certified in a chart
        (:func:`.ssl_strata.certify_rank_root`), cached per (r, seed): SG and EMA share them."""
        from .ssl_strata import certify_rank_root, rank_stratum

        cache = self.__dict__.setdefault("_strata_cache", {})
        if (r, seed) not in cache:
            found = rank_stratum(self.sigma_x, self.sigma_yx, self.lam, r, seed=seed)
            found["certificates"] = [certify_rank_root(self.sigma_x, self.sigma_yx, self.lam, S, r) for S in found["S"]]
            cache[(r, seed)] = found
        return cache[(r, seed)]

    def _data_symmetry(self):
        """For commuting data (Σyx symmetric, ΣxΣyx = ΣyxΣx): the classes of modes with equal (ρ_i, τ_i) (relative
        tolerance 1e-9), with an orthonormal basis of each; None for non-commuting data."""
        try:
            V, rho, tau = self.commuting_spectra()
        except ValueError:
            return None
        scale = max(np.abs(rho).max(), np.abs(tau).max())
        classes = []
        for i in range(self.m):
            for c in classes:
                if abs(rho[i] - c["rho"]) <= 1e-9 * scale and abs(tau[i] - c["tau"]) <= 1e-9 * scale:
                    c["modes"].append(i)
                    break
            else:
                classes.append({"rho": rho[i], "tau": tau[i], "modes": [i]})
        for c in classes:
            c["basis"] = V[:, c["modes"]]
        return {"V": V, "classes": classes}

    def _repeated_symmetry(self):
        """:meth:`_data_symmetry` when some joint eigenvalue repeats (positive-dimensional families of roots),
        else None."""
        sym = self._data_symmetry()
        return sym if sym is not None and any(len(c["modes"]) > 1 for c in sym["classes"]) else None

    def symmetric_data_components(self, kind: str = "sg", _classes: dict | None = None) -> EquilibriumSet:
        """The equilibrium set for commuting data with repeated joint eigenvalues (a symmetry: A → AR for every
        orthogonal R commuting with Σx and Σyx maps equilibria to equilibria).

        Modes with equal (ρ_i, τ_i) form a class c of size d_c with eigenspace E_c.  On E_c, Σx = ρ_c I and
        Σyx = τ_c I, so S E(S) = 0 restricted to E_c is a polynomial in S_c: every eigenvalue s of S_c satisfies
        s((ρ_c s + λ)² − τ_c² s) = 0, i.e. s ∈ {0, r_c1², r_c2²} (the m = 1 radii of the class; only 0 when Δ_c < 0).
        A component is a choice of multiplicities (k_1, k_2) per class, k_1 + k_2 ≤ d_c: S = Σ_c (r_c1² P_c1 + r_c2² P_c2)
        with P_c1, P_c2 orthogonal projections of ranks k_1, k_2 onto orthogonal subspaces of E_c.  The roots of one
        component form a partial flag manifold of dimension Σ_c [d_c(d_c − 1) − Σ_j k_j(k_j − 1)]/2 (k_0 = d_c − k_1 − k_2),
        so the component has dimension nr − r(r+1)/2 + that (r = Σ_c (k_1 + k_2)).  ``complete = "proven"`` when the
        data are scalar (one class: the eigenvalue argument above is the whole proof); with several classes it
        assumes that S is block-diagonal over the classes (true when no two classes share a radius; refused
        otherwise) and says ``"unchecked"``.
        """
        kind = self._kind(kind)
        sym = _classes or self._data_symmetry()
        if sym is None:
            raise ValueError("sigma_yx: symmetric_data_components needs commuting data (symmetric sigma_yx "
                             "commuting with sigma_x)")
        classes = sym["classes"]
        opts = []
        radii_all = []
        for c in classes:
            mod = m1_radii(c["rho"], c["tau"], self.lam)
            radii = sorted({float(x) for x in mod["radii"]}) if mod["exists"] else []
            c["radii"] = radii
            radii_all += [(x, id(c)) for x in radii]
            d = len(c["modes"])
            choices = [ks for ks in itertools.product(range(d + 1), repeat=len(radii)) if sum(ks) <= d]
            opts.append(choices)
        for (x, i), (y, j) in itertools.combinations(radii_all, 2):
            if i != j and abs(x - y) <= 1e-9 * max(x, y):
                raise ValueError("sigma_x: two classes of commuting modes share the radius "
                                 f"{x:.6g}; the roots then mix the classes (a family not covered by the closed form). "
                                 "Refused")
        comps = []
        for combo in itertools.product(*opts):
            fam_dim, rank, gens, label = 0, 0, [], []
            for c, ks in zip(classes, combo):
                d = len(c["modes"])
                k0 = d - sum(ks)
                fam_dim += (d * (d - 1) - sum(k * (k - 1) for k in ks) - k0 * (k0 - 1)) // 2
                rank += sum(ks)
                E = c["basis"]
                for i, j in itertools.combinations(range(d), 2):
                    W = np.outer(E[:, i], E[:, j])
                    gens.append(W - W.T)
                label.append("+".join(f"{k}×r{idx + 1}²" for idx, k in enumerate(ks) if k) or "0")

            def draw(rng, combo=combo):
                S = np.zeros((self.m, self.m))
                R = np.zeros((self.m, self.m))
                for c, ks in zip(classes, combo):
                    E = c["basis"]
                    Q, _ = np.linalg.qr(rng.standard_normal((E.shape[1], E.shape[1]))) if rng is not None \
                        else (np.eye(E.shape[1]), None)
                    F = E @ Q
                    col = 0
                    for rad, k in zip(c["radii"], ks):
                        P = F[:, col: col + k] @ F[:, col: col + k].T
                        S += rad ** 2 * P
                        R += rad * P
                        col += k
                return S, R

            def root_equations(S, combo=combo):
                """Per class E_c: the off-class blocks E_cᵀ S E_d vanish, the eigenvalues of S_c = E_cᵀ S E_c lie in
                {0, r_cj²} (S_c Π_j (S_c − r_cj² I) = 0) with the multiplicities k_j (tr S_c^p = Σ_j k_j r_cj^{2p},
                p = 1 … #radii)."""
                blocks = [_exact(c["basis"]) for c in classes]
                eqs = [e for (i, Ei), (j, Ej) in itertools.combinations(enumerate(blocks), 2) for e in Ei.T * S * Ej]
                for c, E, ks in zip(classes, blocks, combo):
                    Sc = E.T * S * E
                    squares = [sp.Rational(rad ** 2) for rad in c["radii"]]
                    poly = Sc
                    for sq in squares:
                        poly = poly * (Sc - sq * sp.eye(Sc.rows))
                    eqs += [poly[i, j] for i in range(Sc.rows) for j in range(i, Sc.rows)]
                    eqs += [(Sc ** p).trace() - sum(k * sq ** p for k, sq in zip(ks, squares))
                            for p in range(1, len(squares) + 1)]
                return eqs

            S0, R0 = draw(None)
            family = ({"generators": gens, "dimension": fam_dim, "draw": draw, "equations": root_equations}
                      if fam_dim else None)
            comps.append(self.variety_from_S(
                S0, kind, name=f"{kind} rank-{rank} [{'; '.join(label)}]", sqrtS=R0, rank=rank, family=family,
                extra={"stratum": rank, "certified": True, "method": "closed form (symmetric data)",
                       "multiplicities": combo}))
        comps.sort(key=lambda c: (c.info["rank"], float(np.trace(c.info["S"]))))
        complete = "proven" if len(classes) == 1 else "unchecked"
        notes = [] if len(classes) == 1 else ["several classes of commuting modes: S assumed block-diagonal over "
                                              "the classes (no two classes share a radius)"]
        strata = {}
        for c in comps:
            st = strata.setdefault(c.info["rank"], {"count": 0, "method": "closed form", "complete": complete})
            st["count"] += 1
        return EquilibriumSet(comps, True, None, notes, complete=complete, strata=strata)

    def variety_from_S(self, S: ArrayLike, kind: str = "sg", name: str | None = None, extra: dict | None = None,
                       sqrtS: ArrayLike | None = None, rank: int | None = None,
                       family: dict | None = None) -> EquilibriumComponent:
        """The variety {(U√S, B(U√S)[, U√S]) : UᵀU = I_m} for a PSD root S (rank r ≤ m).

        Dimension: nr − r(r+1)/2 (the O(n)-orbit of one point; = nm − m(m+1)/2 at full rank).
        ``sqrtS`` (the PSD square root) may be given when known in closed form (more accurate than
        re-diagonalising S when S has tiny eigenvalues); ``rank`` when known (a certified positive-definite
        root has rank m however ill-conditioned it is), else the number of eigenvalues above 1e-12·λ_max.

        ``family`` (for data with a symmetry): {"generators": [W (m × m) skew, commuting with Σx and Σyx],
        "dimension": dim of the family of roots S' = RᵀSR, "draw": callable(rng) -> (S', √S'),
        "equations": callable(S symbolic) -> the equations of the family's roots (replacing S − S₀ = 0)}.  The component is
        then the union of the orbits of the family (A → QAR, Q ∈ O(n), R in the data's stabiliser), of dimension
        nr − r(r+1)/2 + family dimension, with the tangent directions (AW, 0[, CW]) added.
        """
        kind = self._kind(kind)
        n, m = self.n, self.m
        S = np.asarray(S, dtype=float)
        ev, V = np.linalg.eigh(S)
        ev = np.clip(ev, 0.0, None)
        if rank is None:
            rank = int(np.sum(ev > 1e-12 * ev.max())) if ev.max() > 0 else 0
        sqrtS = (V * np.sqrt(ev)) @ V.T if sqrtS is None else np.asarray(sqrtS, dtype=float)
        dim = n * rank - rank * (rank + 1) // 2 + (family["dimension"] if family else 0)
        kernel = self.kernel(kind)

        def point(U, root=None):
            A = U @ (sqrtS if root is None else root)
            B = self.e2_predictor(A)
            return self.pack(A, B, A if kind == "ema" else None)

        def sampler(rng):
            U, _ = np.linalg.qr(rng.standard_normal((n, m)))
            return point(U, family["draw"](rng)[1] if family else None)

        def tangent(x):
            return self.orbit_tangent(x, kind, family["generators"] if family else ())

        def equations():  # symbolic, built on first use (most numeric work never reads them)
            a, b, c = self.a, self.b, self.c
            Sx, Syx, _ = self._moment_matrices()
            W = a * Sx * a.T + self._lam_expr() * sp.eye(n)
            roots = family["equations"](a.T * a) if family else list(a.T * a - _exact(S))
            eqs = [sp.expand(e) for e in roots] + [sp.expand(e) for e in (b * W - a * Syx * a.T)]
            if kind == "ema":
                eqs += [ci - ai for ci, ai in zip(c, a)]
            return eqs

        param = (r"\{(U\sqrt{S},\; U\sqrt{S}\,\Sigma_{yx}\sqrt{S}U^\top W^{-1}"
                 + (r",\; U\sqrt{S}" if kind == "ema" else "") + r") : U^\top U = I_m\}")
        info = {"S": S, "rank": rank, "kind": kind, "sqrtS": sqrtS, "family_dimension": family["dimension"] if family else 0}
        info.update(extra or {})
        return EquilibriumComponent(dim, equations, method=info.get("method", "closed form"),
                                    certified=bool(info.get("certified", False)),
                                    name=name or f"{kind} rank-{rank} component", kernel=kernel, sampler=sampler,
                                    tangent=tangent, parametrization=param, info=info)

    def orbit_tangent(self, x: ArrayLike, kind: str = "sg", generators: Sequence[np.ndarray] | None = ()) -> np.ndarray:
        """Spanning rows (·, D) of the tangent space at the equilibrium x of its O(n)-orbit (A, B[, C]) →
        (ΩA, ΩB − BΩ[, ΩC]) for the skew Ω = E_ij − E_ji, i < j (``ssl_linear.md`` §6: the field is O(n)-equivariant),
        plus (AW, 0[, AW]) for each skew W in ``generators`` (a family of roots S' = RᵀSR of data with a symmetry)."""
        n = self.n
        A, B = self.unpack(x)[:2]
        rows = []
        for i, j in itertools.combinations(range(n), 2):
            Om = np.zeros((n, n))
            Om[i, j], Om[j, i] = 1.0, -1.0
            dA = Om @ A
            rows.append(self.pack(dA, Om @ B - B @ Om, dA if kind == "ema" else None))
        for W in generators:
            rows.append(self.pack(A @ W, np.zeros((n, n)), A @ W if kind == "ema" else None))
        return np.array(rows) if rows else np.zeros((0, self.state_dimension(kind)))

    def kernel(self, kind: str = "sg") -> Kernel:
        """The compiled entry-wise kernel of ``kind``, with kappa bound when it is numeric (built once per kind)."""
        cache = self.__dict__.setdefault("_kernels", {})
        if kind not in cache:
            cache[kind] = self._build_kernel(kind)
        return cache[kind]

    def _build_kernel(self, kind: str):
        vf = self.field(kind)
        bind = {"kappa": self.kappa} if self.kappa_symbol in vf.params and self.kappa is not None else {}
        return vf.lambdify(**bind)

    # ---- closed forms --------------------------------------------------------------------------
    def commuting_spectra(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(V, rho, tau) with Σx = V diag(rho) Vᵀ, Σyx = V diag(tau) Vᵀ (commuting case, §6.3).

        Raises ValueError unless Σyx is symmetric and commutes with Σx.
        """
        self._require_numeric("commuting_spectra")
        Sx, Syx = self.sigma_x, self.sigma_yx
        tol = 1e-10 * max(1.0, np.abs(Sx).max(), np.abs(Syx).max()) ** 2
        if not np.allclose(Syx, Syx.T, atol=tol) or np.abs(Sx @ Syx - Syx @ Sx).max() > tol:
            raise ValueError("sigma_yx: the commuting closed form needs a symmetric sigma_yx commuting with sigma_x")
        # diagonalise a generic combination to get a common eigenbasis
        rng = np.random.default_rng(0)
        w = rng.uniform(1.0, 2.0)
        _, V = np.linalg.eigh(Sx + w * Syx)
        rho = np.einsum("ji,jk,ki->i", V, Sx, V)
        tau = np.einsum("ji,jk,ki->i", V, Syx, V)
        return V, rho, tau

    def commuting_equilibria(self, kind: str = "sg") -> list[EquilibriumComponent]:
        """All 3^m closed-form components in the commuting case (§6.3), including rank-deficient ones.

        Per mode i: √s_i ∈ {0, r_i1, r_i2}, r_i1,2 = (|τ_i| ∓ √Δ_i)/(2ρ_i), Δ_i = τ_i² − 4ρ_iλ
        (the non-zero options only when Δ_i ≥ 0).  S = V diag(s) Vᵀ.
        """
        V, rho, tau = self.commuting_spectra()
        options = []
        modes = m1_radii(rho, tau, np.full(len(rho), self.lam))   # each mode is an m = 1 problem (§6.4)
        for inner, outer, exists in zip(*modes["radii"], modes["exists"]):
            opts = [("0", 0.0)]
            if exists:
                opts += [("inner", float(inner) ** 2), ("outer", float(outer) ** 2)]
            options.append(opts)
        out = []
        for combo in itertools.product(*options):
            s = np.array([c[1] for c in combo])
            labels = tuple(c[0] for c in combo)
            S = (V * s) @ V.T
            out.append(self.variety_from_S(S, kind, name=f"{kind} commuting {labels}",
                                           extra={"modes": labels, "s": s}, sqrtS=(V * np.sqrt(s)) @ V.T))
        return out

    def m1_spheres(self) -> dict:
        """m = 1 (§6.4): Δ = τ² − 4ρλ; if Δ ≥ 0 the non-zero equilibria lie on the spheres ‖a‖ = r_1,2 with
        r_1,2 = (|τ| ∓ √Δ)/(2ρ), the roots of ρ r² − |τ| r + λ = 0.  Returns {"delta", "radii", "exists"}."""
        if self.m != 1:
            raise ValueError(f"m: m1_spheres needs m = 1, got m = {self.m}")
        self._require_numeric("m1_spheres")
        rho, tau, lam = float(self.sigma_x[0, 0]), float(self.sigma_yx[0, 0]), self.lam
        return m1_radii(rho, tau, lam)

    @staticmethod
    def m1_branch_linearisation(kind: str = "sg") -> dict:
        """m = n = 1, τ > 0: the Jacobian of the derived ``kind`` field ("sg" or "ema") at the equilibrium
        a = b (= c) = r, where λ = r(τ − ρr), and the verdict on each sphere decided by Routh–Hurwitz, symbolically.

        On the spheres 2ρr − τ = ±√Δ (outer +, inner −).  With q = √Δ > 0 and τ = q + w (λ > 0 ⇔ w > 0) every
        characteristic coefficient p_i and the Hurwitz determinant become rational functions of positive symbols
        q, w, ρ, κ whose signs SymPy decides.  Verdict: "asymptotically stable" when all p_i > 0 (and p₂p₁ − p₀ > 0
        for degree 3), "saddle" when p₀ < 0 (a positive real eigenvalue, with −p_{k−1} = tr J < 0), else
        "inconclusive".

        Returns {"J" (in r, ρ, τ, κ), "charpoly" (in μ), "coefficients" [p_{k−1}, …, p₀], "trace", "det",
        "hurwitz" (p₂p₁ − p₀, degree 3 only), "verdicts": {"outer", "inner"}}.

        >>> LinearSSL.m1_branch_linearisation("sg")["verdicts"]
        {'outer': 'asymptotically stable', 'inner': 'saddle'}
        """
        if kind not in ("sg", "ema"):
            raise ValueError(f"kind: the m = 1 branches are equilibria of 'sg' and 'ema', got {kind!r}")
        scal = LinearSSL(1, 1)
        vf = scal.field(kind)
        rho, tau = sp.Symbol("sx_11", real=True), sp.Symbol("syx_11", real=True)
        r = sp.Symbol("r", positive=True)
        rhoP, tauP = sp.symbols("rho tau", positive=True)
        J = sp.simplify(vf.jacobian().xreplace({rho: rhoP, tau: tauP, scal.lam_symbol: r * (tauP - rhoP * r)})
                        .xreplace({s: r for s in vf.states}))
        mu = sp.Symbol("mu")
        cp = sp.Poly(sp.factor((mu * sp.eye(J.rows) - J).det()), mu)
        coeffs = [sp.factor(c) for c in cp.all_coeffs()[1:]]
        out = {"J": J, "charpoly": cp, "coefficients": coeffs, "trace": sp.factor(J.trace()),
               "det": sp.factor(J.det()), "verdicts": {}}
        quantities = list(coeffs)
        if J.rows == 3:
            out["hurwitz"] = sp.factor(coeffs[0] * coeffs[1] - coeffs[2])
            quantities.append(out["hurwitz"])
        q, w, kap = sp.symbols("q w kappa", positive=True)
        for branch, sign in (("outer", 1), ("inner", -1)):
            rr = (q + w + sign * q) / (2 * rhoP)
            signs = [sp.factor(sp.expand(e.xreplace({r: rr}).xreplace({tauP: q + w, scal.kappa_symbol: kap})))
                     for e in quantities]
            if all(e.is_positive for e in signs):
                verdict = "asymptotically stable"
            elif signs[len(coeffs) - 1].is_negative and signs[0].is_positive:
                verdict = "saddle"
            else:
                verdict = "inconclusive"
            out["verdicts"][branch] = verdict
        return out

    @staticmethod
    def m1_radii_symbolic() -> dict:
        """SymPy expressions (Δ, r_1, r_2) in the symbols ρ, τ, λ (for LaTeX)."""
        rho, lam = sp.symbols("rho lambda", positive=True)
        tau = sp.Symbol("tau", real=True)
        delta = tau ** 2 - 4 * rho * lam
        return delta, (sp.Abs(tau) - sp.sqrt(delta)) / (2 * rho), (sp.Abs(tau) + sp.sqrt(delta)) / (2 * rho)


def _weakest(a: str, b: str) -> str:
    """The weaker of two completeness labels (proven > checked > unchecked)."""
    order = ("proven", "checked", "unchecked")
    return order[max(order.index(a), order.index(b))]


def _factor_sqrt(V: np.ndarray) -> np.ndarray:
    """√S for S = VVᵀ (V of full column rank): V (VᵀV)^{-1/2} Vᵀ, exactly rank r (no square roots of rounding
    noise in the kernel directions)."""
    ev, Q = np.linalg.eigh(V.T @ V)
    return V @ ((Q / np.sqrt(ev)) @ Q.T) @ V.T
