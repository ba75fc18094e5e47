"""Matrix-form kernels: evaluate a field written with MatrixSymbols by batched matmul, not D² scalars.

A field in matrix form is {S_j: F_j(S, P)} with matrix states S_j (MatrixSymbol, a_j×b_j), matrix
parameters P (MatrixSymbol with numeric values) and scalar parameters.  After expansion every F_j is
a sum of terms  c · L_1 L_2 … L_r  (c a scalar expression, each L a matrix symbol, its transpose, or
an identity).  From that one representation:

* ``f``: the terms are *factored* (a leaf that starts, or ends, several terms is pulled out:
  Bᵀ(BAΣx − AΣyx) instead of BᵀBAΣx − BᵀAΣyx), identical sub-products and sub-sums are computed once
  per call, and each product is evaluated in the cheapest order (matrix-chain DP).  Products with a
  constant matrix are single BLAS GEMMs over the whole batch; 1×1 factors are scalars (broadcast).
* ``jacobian``: the directional derivative of c·L_1…L_r in S_j is Σ_positions c·(L_<)·H^{(T)}·(L_>),
  so the (p·q)×(a·b) block is  c·L_< ⊗ L_>ᵀ  (vec_r convention):
      ∂(L H R)_{ij}/∂H_{kl} = L_{ik} R_{lj},     ∂(L Hᵀ R)_{ij}/∂H_{kl} = L_{il} R_{kj}.
  Terms with the same (L_<, transposition) are summed in R first, so one einsum per distinct left
  factor writes straight into the output block; identity factors become diagonal updates.
  Building this takes milliseconds for any D (no D² symbolic entries are ever formed).

Both plans are compiled once per field into straight-line NumPy functions (:mod:`symdyn.matrix_codegen`): the
association of every product, its NumPy route (scalar, outer product, one GEMM over the batch, batched dot,
batched matmul), constant products and output block offsets are fixed at build time, so a call runs generated
statements only (``MatrixKernel.source("f")`` shows them).

State layout: x = (vec_r(S_1), vec_r(S_2), …), the same as the entry-wise fields.

Dispatch by size: for a small state (D ≤ ``COMPILED_MAX_D``) a call goes either to a compiled entry-wise
:class:`~symdyn.kernels.Kernel` whose components are evaluated from the same plan in SymEngine
(:func:`~symdyn.matrix_codegen.symbolic_components`, nothing expanded; SymEngine LLVM: one straight-line
loop per point, far ahead for single points and for fields of many tiny matrices) or to the matrix form above
(BLAS: ahead for large batches of fields whose components are matrix-vector products, like Oja's at larger d).
Which is faster is estimated once per field and evaluation (f, J) from counts fixed at build time — operations
of the compiled code after CSE against statements of the generated matrix-form code (``NUMPY_CALL_NS``,
``COMPILED_OP_NS``) — and calls with a batch up to the crossover go compiled.  Never from timings: the routes agree
to rounding (a test holds them to 1e-12 relative), not bit for bit, and a timed choice would make the last bits
of a result depend on the machine's load and on which process ran it.  A caller that needs the same bits for any
split of a batch pins a route with ``dispatch="compiled"`` or ``dispatch="matrix"``.  :attr:`MatrixKernel.route` says which ran ("llvm"/"lambda"/"numpy", or "matrix").
"""
from __future__ import annotations

import contextlib
import functools
import math
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from .kernels import Kernel

if TYPE_CHECKING:
    from .field import VectorField

__all__ = ["MatrixKernel", "matrix_terms", "supports_matrix_form", "shape_templates", "COMPILED_MAX_D", "NUMPY_CALL_NS",
           "COMPILED_OP_NS", "BLAS_OPS_PER_STATEMENT"]

#: Largest state dimension served by the compiled entry-wise kernel (its LLVM build grows with the Jacobian's
#: entries: 0.05 s for Oja d = 10 and 0.2 s for SSL EMA (2, 4) (D = 32), but 5.5 s for Oja d = 50 and 27 s for SSL EMA
#: (4, 8), D = 128 — measured with the components evaluated from the plan).
COMPILED_MAX_D = 40
#: The dispatch's cost model (:meth:`MatrixKernel._crossover`), measured once on the development machine: a
#: generated matrix-form statement costs ~0.9 µs per call, an operation of compiled code ~0.3 ns per point, and the
#: matrix form is faster per point only above ~64 operations per statement.  Fixed, not timed per run, so the route
#: — and the last bits of a result — never depend on the machine's load or on which process ran it.
NUMPY_CALL_NS = 900.0
COMPILED_OP_NS = 0.3
BLAS_OPS_PER_STATEMENT = 64
#: Compiled-route templates kept (one per matrix form and value shapes, :meth:`MatrixKernel._template`).
TEMPLATES_KEPT = 64
_TEMPLATES: dict = {}
_TEMPLATE_MODE = threading.local()


@contextlib.contextmanager
def shape_templates() -> Iterator[None]:
    """Within this context, matrix-form kernels built for the first time compile their entry-wise route once per
    matrix form and value shapes, with the data as parameters (:meth:`MatrixKernel._template`): no compilation per
    model, for code that builds many models of a few shapes (``verify``: 0.1–1.3 s of LLVM per instance before).
    The price is per call: the data are copied next to the states and nothing is folded (SSL (2, 3) J 1.3–1.5×,
    Oja d = 10 f at 10⁴ points 4×), so outside it — the default — each field compiles its numbers in.

    >>> from symdyn.matrix_kernels import shape_templates
    >>> with shape_templates():
    ...     pass
    """
    depth = getattr(_TEMPLATE_MODE, "depth", 0)
    _TEMPLATE_MODE.depth = depth + 1
    try:
        yield
    finally:
        _TEMPLATE_MODE.depth = depth


class _Leaf(tuple):
    """(name, transposed, rows, cols); name None for an identity."""

    __slots__ = ()

    @property
    def name(self):
        return self[0]

    @property
    def T(self):
        return self[1]

    @property
    def shape(self):
        return self[2], self[3]


def _leaf(e) -> _Leaf:
    if isinstance(e, sp.MatrixSymbol):
        return _Leaf((e.name, False, int(e.rows), int(e.cols)))   # Python ints: leaves are hashed on the hot path
    if isinstance(e, sp.Transpose) and isinstance(e.arg, sp.MatrixSymbol):
        return _Leaf((e.arg.name, True, int(e.arg.cols), int(e.arg.rows)))
    if isinstance(e, sp.Identity):
        return _Leaf((None, False, int(e.rows), int(e.cols)))
    raise TypeError(f"unsupported matrix factor {e!r} ({type(e).__name__})")


@functools.lru_cache(maxsize=512)
def matrix_terms(expr) -> tuple[tuple[sp.Expr, tuple], ...]:
    """Expand a matrix expression into ((scalar coefficient, (leaf, leaf, …)), …), transposes at the leaves.

    Cached per expression: the models' matrix forms depend on shapes and symbols only (data enter as values),
    so the expansion is done once per shape however many instances are built.

    Examples
    --------
    >>> import sympy as sp
    >>> A, B = sp.MatrixSymbol("A", 2, 2), sp.MatrixSymbol("B", 2, 2)
    >>> matrix_terms(2 * A * B.T - A)                     # (coefficient, leaves (name, transposed, rows, cols))
    ((-1, (('A', False, 2, 2),)), (2, (('A', False, 2, 2), ('B', True, 2, 2))))
    """
    expr = sp.expand(sp.expand(expr).doit())
    out = []
    for t in sp.Add.make_args(expr):
        if isinstance(t, sp.MatMul):
            coef, mats = t.as_coeff_matrices()
        elif isinstance(t, sp.MatrixExpr):
            coef, mats = sp.Integer(1), [t]
        else:
            raise TypeError(f"not a matrix term: {t!r}")
        leaves = []
        for mtx in mats:
            if isinstance(mtx, sp.MatPow) and mtx.exp.is_Integer and mtx.exp > 0:  # A**k = A·…·A
                leaves.extend([_leaf(mtx.base)] * int(mtx.exp))
            elif isinstance(mtx, sp.MatMul):
                c2, inner = mtx.as_coeff_matrices()
                coef *= c2
                leaves.extend(_leaf(x) for x in inner)
            else:
                leaves.append(_leaf(mtx))
        leaves = [lf for lf in leaves if lf.name is not None or len(leaves) == 1]  # drop identities inside products
        out.append((sp.sympify(coef), tuple(leaves)))
    return tuple(out)


def supports_matrix_form(field: VectorField) -> bool:
    """True when ``field`` carries a matrix form whose non-state matrix symbols all have values.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> from symdyn import OjaFlow, VectorField
    >>> x = sp.Symbol("x", real=True)
    >>> supports_matrix_form(OjaFlow(np.diag([2.0, 1.0])).field()), supports_matrix_form(VectorField([x], [-x]))
    (True, False)
    """
    mf = getattr(field, "matrix_form", None)
    if not mf:
        return False
    values = getattr(field, "matrix_values", None) or {}
    states = {S.name for S in mf}
    scalar_params = {str(p) for p in field.params}
    try:
        for expr in mf.values():
            for coef, leaves in matrix_terms(expr):
                for lf in leaves:
                    if lf.name is not None and lf.name not in states and lf.name not in values:
                        return False
                for s in coef.free_symbols:
                    if str(s) not in scalar_params and str(s) not in values:
                        return False
    except TypeError:
        return False
    return True


def best_split(leaves: tuple) -> int:
    """k such that (L_1 … L_k)(L_k+1 … L_r) is the cheapest top-level association of a product of r ≥ 2 leaves
    (flops of the last multiplication plus the optimal costs of both sides, matrix-chain DP)."""
    dims = [leaves[0].shape[0]] + [lf.shape[1] for lf in leaves]
    best, split = None, 1
    for k in range(1, len(leaves)):
        cost = dims[0] * dims[k] * dims[-1] + _chain_cost(dims[: k + 1]) + _chain_cost(dims[k:])
        if best is None or cost < best:
            best, split = cost, k
    return split


def _chain_cost(dims: list) -> int:
    n = len(dims) - 1
    if n <= 1:
        return 0
    cost = [[0] * n for _ in range(n)]
    for length in range(2, n + 1):
        for i in range(n - length + 1):
            j = i + length - 1
            cost[i][j] = min(cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1] for k in range(i, j))
    return cost[0][n - 1]


def _factor(terms: list) -> tuple:
    """A factored plan for a sum of (coef, leaves) terms: ("sum", [...]) / ("left", leaf, plan) /
    ("right", plan, leaf) / ("term", coef, leaves)."""
    if len(terms) == 1:
        return ("term",) + terms[0]
    left = {}
    right = {}
    for idx, (c, lv) in enumerate(terms):
        if len(lv) >= 2:
            # factor a leaf out only if the remaining sum is no larger than the result
            # (pulling x out of V x − x xᵀ V x would form the d×d matrix V − x xᵀV)
            if lv[0].shape[1] <= lv[0].shape[0]:
                left.setdefault(lv[0], []).append(idx)
            if lv[-1].shape[0] <= lv[-1].shape[1]:
                right.setdefault(lv[-1], []).append(idx)
    bl = max(left.items(), key=lambda kv: len(kv[1]), default=(None, []))
    br = max(right.items(), key=lambda kv: len(kv[1]), default=(None, []))
    if max(len(bl[1]), len(br[1])) < 2:
        coefs = [c for c, _ in terms]
        if all(isinstance(c, float) for c in coefs) and len({abs(c) for c in coefs}) == 1 and abs(coefs[0]) != 1.0:
            k = abs(coefs[0])   # c·(±T₁ ± T₂ …): one scaling instead of one per term
            return ("scale", k, ("sum", [("term", c / k, lv) for c, lv in terms]))
        return ("sum", [("term", c, lv) for c, lv in terms])
    if len(bl[1]) >= len(br[1]):
        group = bl[1]
        node = ("left", bl[0], _factor([(terms[i][0], terms[i][1][1:]) for i in group]))
    else:
        group = br[1]
        node = ("right", _factor([(terms[i][0], terms[i][1][:-1]) for i in group]), br[0])
    rest = [t for i, t in enumerate(terms) if i not in set(group)]
    return node if not rest else ("sum", [node, _factor(rest)])


def _plan_key(plan) -> str:
    """Structural key of a plan node, computed once at build time (memo keys on the hot path are ids)."""
    return repr(plan)


def _intern(plan, table: dict):
    """Replace each node by ("id", key, node) with identical sub-plans sharing one key (CSE across blocks)."""
    kind = plan[0]
    if kind == "term":
        node = plan
    elif kind == "scale":
        node = ("scale", plan[1], _intern(plan[2], table))
    elif kind == "left":
        node = ("left", plan[1], _intern(plan[2], table))
    elif kind == "right":
        node = ("right", _intern(plan[1], table), plan[2])
    else:
        node = ("sum", [_intern(p, table) for p in plan[1]])
    key = table.setdefault(_plan_key(plan), len(table))
    return node + (key,)


class MatrixKernel(Kernel):
    """A :class:`~symdyn.kernels.Kernel` evaluated from the field's matrix form (module docstring).

    Same interface as Kernel (``f``, ``jacobian``, ``bind``, ``route``, ``jacobian_mp`` — the last falls back to
    the entry-wise field).  ``dispatch``: "auto" (by batch size, calibrated), "matrix" or "compiled" (pinned; "compiled" still needs
    D ≤ COMPILED_MAX_D, else the matrix form runs).  Requires ``field.matrix_form`` and ``field.matrix_values`` (numeric values of
    every non-state matrix symbol); scalar parameters are the field's parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from symdyn import OjaFlow
    >>> k = OjaFlow(np.diag([2.0, 1.0])).field().lambdify(form="matrix")     # a MatrixKernel
    >>> x = np.array([0.6, 0.8])
    >>> type(k).__name__, bool(np.allclose(k.f(x), OjaFlow(np.diag([2.0, 1.0])).field().lambdify(form="entrywise").f(x)))
    ('MatrixKernel', True)
    """

    def __init__(self, field: VectorField, _shared: dict | None = None, _bound: dict | None = None, *,
                 backend: str = "auto", dispatch: str = "auto"):
        if dispatch not in ("auto", "matrix", "compiled"):
            raise ValueError(f"dispatch: expected 'auto', 'matrix' or 'compiled', got {dispatch!r}")
        super().__init__(field, _shared, _bound, backend=backend)
        self._shared.setdefault("dispatch", dispatch)
        if "plan" not in self._shared:
            self._shared["plan"] = self._build()
        self._compiled = None  # the bound entry-wise kernel of the compiled route (made on first use)
        # {parameter: float} when every parameter is bound to a scalar (the generated code's argument), else None
        self._scalars = None if self._pvec is None else dict(zip(self._all_params, self._pvec.tolist()))

    def _compiled_route(self) -> Kernel | None:
        """The compiled entry-wise kernel with this kernel's bindings, when the field is small enough for it.  Its
        components come from the plan (SymEngine, unexpanded), so neither SymPy nor the field's entry-wise
        derivation is needed (it also serves fields whose entry-wise derivation is refused)."""
        if "entrywise_ok" not in self._shared:
            ok = self._shared["dispatch"] != "matrix" and self.dimension <= COMPILED_MAX_D
            self._shared["entrywise_ok"] = ok
        if not self._shared["entrywise_ok"]:
            return None
        if "entrywise" not in self._shared:  # f from the plan in SymEngine (no SymPy expansion), shared by bindings
            self._shared["entrywise"] = (self._template() if getattr(_TEMPLATE_MODE, "depth", 0)
                                         else self._entrywise_expressions(self._shared["plan"]))
        if self._compiled is None:
            values = self._value_entries() if self._shared["entrywise"].get("extra_params") else {}
            self._compiled = Kernel(self.field, self._shared["entrywise"], {**self._bound, **values})
        return self._compiled

    def _template_key(self) -> tuple:
        """What the compiled route depends on: the matrix form, the parameters, the backend, and the names and shapes
        (not the numbers) of the matrix values."""
        values = self.field.matrix_values or {}
        return (tuple(self.field.matrix_form.items()), tuple(str(p) for p in self.field.params), self._shared["backend"],
                tuple(sorted((k, np.shape(v)) for k, v in values.items())))

    def _value_entries(self) -> dict:
        """{template parameter: float}: the field's matrix values entry by entry (``name[i,j]``) and its scalar
        values, the numbers the template takes as parameters."""
        out = {}
        for name, v in (self.field.matrix_values or {}).items():
            v = np.asarray(v, dtype=float)
            if v.ndim == 0:
                out[name] = float(v)
            else:
                out.update({f"{name}[{i},{j}]": float(v[i, j]) for i in range(v.shape[0]) for j in range(v.shape[1])})
        return out

    def _template(self) -> dict:
        """The compiled route's shared state for every field with this one's matrix form and value shapes (the data
        of a model are parameters of it): compiled once per shape, not per instance (``verify`` builds thousands of
        models of a few shapes; compiling each took 0.1–1.3 s)."""
        key = self._template_key()
        if key not in _TEMPLATES:
            if len(_TEMPLATES) >= TEMPLATES_KEPT:
                _TEMPLATES.pop(next(iter(_TEMPLATES)))
            _TEMPLATES[key] = self._entrywise_expressions(self._build(symbolic_values=True))
        return _TEMPLATES[key]

    def _entrywise_expressions(self, plan: dict) -> dict:
        """The compiled route's expressions from ``plan`` (built with ``symbolic_values`` for a template: the matrix
        values are then parameters ``name[i,j]``, scalar values by name): f unexpanded; J differentiated from f as
        it is or expanded, whichever leaves fewer operations after CSE, counting the expanded form 1.25× cheaper
        (expanded polynomials compile to independent straight sums: SSL (2, 3) J 0.16 vs 0.22 ms per 1000 points
        although its count is 785 vs 657; Oja d = 10 expanded is 2560 vs 719 and 4.6× slower)."""
        import symengine as se

        from .compiled import cse_op_count, sparse_jacobian
        from .matrix_codegen import symbolic_components

        states = self.field.states
        extra = list(self._value_entries()) if plan.get("symbolic_values") else []
        comps = symbolic_components(plan, states, self.field.params)
        plain = sparse_jacobian(comps, states)
        jac = plain
        ops_f = max(cse_op_count(comps), 1)  # also the dispatch's cost estimate (_crossover)
        expanded_f = [se.expand(c) for c in comps]
        # the expanded J is only a candidate when expanding f at most triples its size: Oja d = 40 expands to ~860
        # terms per component (10× its operations), and differentiating and CSE-counting that took 150 s for nothing
        if sum(len(se.Add.make_args(e)) for e in expanded_f) <= 3 * ops_f:
            expanded = sparse_jacobian(expanded_f, states)
            if cse_op_count(expanded[1]) <= 1.25 * cse_op_count(plain[1]):
                jac = expanded
        return {"backend": self._shared["backend"], "rhs_exprs": comps, "jac_entries": jac, "ops_f": ops_f,
                "extra_params": extra}

    def _batch_size(self, x, params) -> int:
        size = math.prod(np.shape(x)[:-1])
        for v in params.values():
            size = max(size, int(np.size(v)))
        return size

    def _use_compiled(self, what: str, x, params) -> Kernel | None:
        """The compiled kernel when it should serve this call (module docstring), else None."""
        if self._compiled is None and self._shared.get("entrywise_ok") is False:  # D too large: matrix form only
            return None
        k = self._compiled or self._compiled_route()
        if k is None or self._shared["dispatch"] == "compiled":
            return k
        crossover = self._shared.setdefault("crossover", {})
        if what not in crossover:
            crossover[what] = self._crossover(what)
        if not params and np.ndim(x) == 1:  # a single point: the common call of ODE solvers and Newton's method
            return k if crossover[what] >= 1 else None
        return k if self._batch_size(x, params) <= crossover[what] else None

    def _crossover(self, what: str) -> float:
        """The largest batch for which ``what`` ("f" or "J") goes compiled, from counts fixed at build time, never
        from timings: a timed choice differs between processes and with the machine's load, the routes agree only
        to rounding, and a result must not depend on where it ran (1 or 2 workers gave different ssl-branches
        outcomes when each worker timed its own kernels).

        Measured on both routes (Oja d = 10 … 40, SSL up to D = 40; ns per point at large batches): the compiled
        route costs less per call always (4–11 µs against 8–170 µs), and less per point unless the matrix form does
        much arithmetic per generated statement (big matrices: BLAS), i.e. for f with more than
        ``BLAS_OPS_PER_STATEMENT`` operations (after CSE) per statement — Oja f at d = 20/30/40: compiled 2–5× slower
        per point.  For J the compiled route is never more than 1.4× slower per point and up to 12× faster (SSL),
        so J stays compiled.  Where the matrix form wins per point, the crossover is where its per-call cost
        (``NUMPY_CALL_NS`` per statement) equals the compiled per-point cost (``COMPILED_OP_NS`` per operation)."""
        if what == "J":
            return float("inf")
        ops = self._shared["entrywise"]["ops_f"]
        self._generated("f")
        statements = max(self._shared[_GENERATED_KEYS["f", False]][1].count("\n") - 1, 1)
        if ops <= BLAS_OPS_PER_STATEMENT * statements:
            return float("inf")
        return NUMPY_CALL_NS * statements / (COMPILED_OP_NS * ops)

    def _build(self, symbolic_values: bool = False):
        """The plan (module docstring).  ``symbolic_values``: the matrix values stay symbols (for the compiled
        route's template: :func:`~symdyn.matrix_codegen.symbolic_components` reads matrices of entry symbols
        ``name[i,j]``, and scalar values stay in the coefficients)."""
        field = self.field
        states = list(field.matrix_form)
        values = {k: np.asarray(v, dtype=float) for k, v in (field.matrix_values or {}).items()}
        offsets, off = {}, 0
        for S in states:  # Python ints: SymPy Integers here cost a SymPy multiplication per block per call
            offsets[S.name] = (off, int(S.rows), int(S.cols))
            off += int(S.rows) * int(S.cols)
        if off != field.dimension:
            raise ValueError(f"matrix_form: states have {off} entries, the field has D={field.dimension}")
        params = list(field.params)
        scalar_vals = {k: float(v) for k, v in values.items() if v.ndim == 0 and not symbolic_values}
        mat_vals = {k: v for k, v in values.items() if v.ndim == 2}

        def compile_coef(c):
            c = c.subs({s: scalar_vals[str(s)] for s in c.free_symbols if str(s) in scalar_vals})
            c = c.xreplace({s: sp.Symbol(str(s)) for s in c.free_symbols})
            if not c.free_symbols:
                return float(c)
            fn = sp.lambdify([sp.Symbol(str(p)) for p in params], c, modules="numpy")

            def coef(sc, fn=fn):
                return fn(*[sc[str(p)] for p in params])
            coef.expr = c  # the coefficient itself, for the symbolic evaluation of the plan (matrix_codegen)
            return coef

        blocks, jac = [], []
        for S, expr in field.matrix_form.items():
            terms = [(compile_coef(c), lv) for c, lv in matrix_terms(expr)]
            blocks.append((S.name, _factor(terms)))
            row = []
            for T in states:
                groups: dict = {}
                for c, lv in terms:
                    for pos, lf in enumerate(lv):
                        if lf.name == T.name:
                            groups.setdefault((lv[:pos], lf.T), []).append((c, lv[pos + 1:]))
                row.append((T.name, [(L, tr, rs) for (L, tr), rs in groups.items()]))
            jac.append((S.name, row))
        table: dict = {}
        blocks = [(name, _intern(p, table)) for name, p in blocks]
        return {"offsets": offsets, "mats": mat_vals, "blocks": blocks, "jac": jac, "states": [S.name for S in states],
                "symbolic_values": symbolic_values}

    def f(self, x: ArrayLike, **params: ArrayLike) -> np.ndarray:
        """f(x): (..., D) -> (..., D): compiled entry-wise or by batched matrix products (module docstring)."""
        return self._evaluate("f", x, params)

    def jacobian(self, x: ArrayLike, **params: ArrayLike) -> np.ndarray:
        """J(x): (..., D) -> (..., D, D): compiled entry-wise for small D, else from Kronecker blocks L ⊗ Rᵀ
        (module docstring)."""
        return self._evaluate("J", x, params)

    def _evaluate(self, what: str, x, params: dict) -> np.ndarray:
        k = self._use_compiled(what, x, params)
        if k is not None:
            out = (k.f if what == "f" else k.jacobian)(x, **params)
            self.route = k.route
            return out
        self.route = "matrix"
        return self._matrix(what, x, params)

    def _matrix(self, what: str, x, params: dict) -> np.ndarray:
        """``what`` ("f" or "J") by the generated matrix-form code (its one-point variant for one point)."""
        if not params and self._scalars is not None:  # every parameter bound to a scalar: the common call
            x = self._state(x)
            made = self._shared.get(_GENERATED_KEYS[what, x.ndim == 1])
            if made is not None:
                return made[0](x, self._scalars)
            scalars, point = self._scalars, x.ndim == 1
        else:
            x, scalars = self._inputs_matrix(x, params)
            point = x.ndim == 1 and not any(np.ndim(v) for v in scalars.values())
        return self._generated(what, point)(x, scalars)

    def _generated(self, what: str, point: bool = False):
        """The generated straight-line function for "f" or "J" (:mod:`symdyn.matrix_codegen`; ``point``: the
        one-point variant), made once per field."""
        key = _GENERATED_KEYS[what, point]
        if key not in self._shared:
            from .matrix_codegen import generate_f, generate_jacobian

            make = generate_f if what == "f" else generate_jacobian
            self._shared[key] = make(self._shared["plan"], self.dimension, point)
        return self._shared[key][0]

    def specialise(self) -> "MatrixKernel":
        """This kernel with its bound parameter values compiled into its compiled route (the matrix-form code already
        takes scalar parameters as Python floats, nothing copied per call); see :meth:`Kernel.specialise`."""
        if self.param_names or self._pvec is None:
            return Kernel.specialise(self)  # raises, naming what is not bound
        out = MatrixKernel(self.field, self._shared, self._bound)
        route = self._compiled or self._compiled_route()
        out._compiled = route.specialise() if route is not None else None
        return out

    @property
    def plan(self) -> dict:
        """The factored plan this kernel evaluates (per output block; the input of :mod:`symdyn.matrix_codegen`)."""
        return self._shared["plan"]

    def source(self, what: str = "f") -> str:
        """The generated NumPy source of the matrix-form evaluation of ``what`` ("f" or "J")."""
        if what not in ("f", "J"):
            raise ValueError(f"what: expected 'f' or 'J', got {what!r}")
        self._generated(what)
        return self._shared["gen_" + what][1]

    def _inputs_matrix(self, x, params):
        """(x broadcast to the batch, {parameter: float or (..., 1, 1) array})."""
        x = self._state(x)
        p = self._param_arrays(params)
        if any(np.ndim(v) for v in p):
            batch = np.broadcast_shapes(x.shape[:-1], *[np.shape(v) for v in p])
            if x.shape[:-1] != batch:
                x = np.broadcast_to(x, batch + x.shape[-1:])
        scalars = {s: (np.asarray(v)[..., None, None] if np.ndim(v) else float(v))
                   for s, v in zip(self._all_params, p)}
        return x, scalars


_GENERATED_KEYS = {(w, p): "gen_" + w + ("_point" if p else "") for w in ("f", "J") for p in (False, True)}


def _add_kron(target: np.ndarray, L, R, transposed: bool) -> None:
    """target[..., i, j, k, l] += L[i, k] R[l, j] (or L[i, l] R[k, j] if transposed); L None = identity."""
    R = np.asarray(R)
    if R.ndim < 2:
        R = R[..., None, None]
    p, q, a, b = target.shape[-4:]
    if L is not None and R.shape[-2:] == (1, 1):   # rank-one in the trailing 1×1: no einsum temporary
        view = None
        if not transposed and q == 1 and b == 1:
            view = target[..., :, 0, :, 0]
        elif transposed and q == 1 and a == 1:
            view = target[..., :, 0, 0, :]
        if view is not None:
            if R.ndim == 2 and R[0, 0] in (1.0, -1.0):   # ±L: no temporary at all
                (np.add if R[0, 0] == 1.0 else np.subtract)(view, L, out=view)
            else:
                view += L * R[..., 0, 0][..., None, None]
            return
    if L is None and not transposed and q == 1 and b == 1 and R.shape[-2:] == (1, 1):
        # δ_ik R: a scalar on the diagonal of the (p, a) block, through a diagonal view (one operation, not p)
        diag = np.einsum("...ii->...i", target[..., :, 0, :, 0])
        diag += R[..., 0, 0][..., None]
        return
    if L is None:
        if not transposed:  # δ_ik R[l, j]
            for i in range(p):
                target[..., i, :, i, :] += np.swapaxes(R, -1, -2)
        else:               # δ_il R[k, j]
            for i in range(p):
                target[..., i, :, :, i] += np.swapaxes(R, -1, -2)
        return
    if transposed:
        target += np.einsum("...il,...kj->...ijkl", L, R)
    else:
        target += np.einsum("...ik,...lj->...ijkl", L, R)
