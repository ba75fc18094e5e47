"""Straight-line NumPy code for a matrix-form plan (:mod:`symdyn.matrix_kernels`), generated once per field.

The plan of a matrix-form field (factored sums of products of leaves, per output block; Kronecker groups per
Jacobian block) is resolved at build time into the source of one Python function per evaluation: every product
gets its association (matrix-chain DP), its NumPy route (scalar, outer product, one GEMM over the batch, batched
dot, batched matmul) and its variable name once; shared sub-products are computed once per call; products of
constant matrices are folded into constants; each output block is written straight into its view of a
preallocated array.  A call then runs the generated statements only: no recursion, no planning, no dictionary of
partial results, no SymPy.

The generated source is kept (``MatrixKernel.source("f")``) so the arithmetic a kernel does can be read.

Examples
--------
>>> import numpy as np
>>> from symdyn import OjaFlow
>>> k = OjaFlow(np.diag([2.0, 1.0])).field().lambdify(form="matrix")
>>> print(k.source("f").splitlines()[0])
def f(x, scalars):
"""
from __future__ import annotations

import collections
import re
from collections.abc import Callable

import numpy as np

__all__ = ["generate_f", "generate_jacobian"]


def const_left(P, Q):
    """constant P (p, a) @ batched Q (..., a, c): one GEMM over batch·c rows."""
    Qt = np.swapaxes(Q, -1, -2)
    out = Qt.reshape(-1, Qt.shape[-1]) @ P.T
    return np.swapaxes(out.reshape(Qt.shape[:-1] + (P.shape[0],)), -1, -2)


def batch_right(P, Q):
    """batched P (..., p, a) @ constant Q (a, q): one GEMM when P is contiguous (a strided view goes to matmul:
    copying it first measured ~10× slower)."""
    if P.flags.c_contiguous:
        return (P.reshape(-1, P.shape[-1]) @ Q).reshape(P.shape[:-1] + (Q.shape[-1],))
    if Q.shape[-1] == 1 and P.shape[-2] == 1:
        return np.sum(P[..., 0, :] * Q[..., :, 0], axis=-1)[..., None, None]
    return P @ Q


def block_view(out, o, r, c):
    """out[..., o:o + r·c] as (..., r, c) without a copy (splitting the last axis of a strided view never copies)."""
    v = out[..., o:o + r * c].view()
    v.shape = out.shape[:-1] + (r, c)
    return v


_ASSIGN = re.compile(r"^    (t\d+) = (.*)$")   # a temporary's assignment in generated code
_NAME = re.compile(r"[A-Za-z_]\w*")

#: A value of the generated code: its variable name, whether it has batch axes, its matrix shape (r, c), and the
#: array itself when it is a build-time constant (else None).
_Var = collections.namedtuple("_Var", "name batched shape value")


class _Writer:
    """Emits statements for leaves, products and plan nodes, memoised by structure."""

    def __init__(self, plan: dict, name: str, point: bool = False):
        self.plan, self.point = plan, point
        self.plan_dimension = sum(r * c for _, r, c in plan["offsets"].values())  # D
        self.lines = [f"def {name}(x, scalars):"]
        self.ns = {"np": np, "const_left": const_left, "batch_right": batch_right, "block_view": block_view}
        self.memo: dict = {}
        self.count = 0
        self.outers: dict = {}  # name of an outer product -> (column, row) _Vars

    def emit(self, line: str) -> None:
        self.lines.append("    " + line)

    def fresh(self, prefix: str = "t") -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def constant(self, value, prefix: str = "K") -> _Var:
        name = self.fresh(prefix)
        self.ns[name] = value
        shape = tuple(np.shape(value)[-2:]) if np.ndim(value) >= 2 else (1, 1)
        return _Var(*(name, False, shape, value))

    def assign(self, expr: str, batched: bool, shape) -> _Var:
        name = self.fresh()
        self.emit(f"{name} = {expr}")
        return _Var(*(name, batched, tuple(shape), None))

    # ---- leaves and products ----------------------------------------------------------------------------------
    def states(self) -> None:
        for sname, (o, r, c) in self.plan["offsets"].items():
            if self.point:
                whole = o == 0 and r * c == self.plan_dimension
                self.emit(f"S_{sname} = x{'' if whole else f'[{o}:{o + r * c}]'}.reshape({r}, {c})")
            else:
                self.emit(f"S_{sname} = x[..., {o}:{o + r * c}].reshape(x.shape[:-1] + ({r}, {c}))")

    def leaf(self, lf) -> _Var:
        key = ("leaf", lf)
        if key in self.memo:
            return self.memo[key]
        name, T, rows, cols = lf
        if name is None:
            v = self.constant(np.eye(rows), "I")
        elif name in self.plan["offsets"]:
            v = _Var(*(f"S_{name}", True, (rows, cols), None))
            if T:
                v = self.assign(f"S_{name}.T" if self.point else f"np.swapaxes(S_{name}, -1, -2)", True, (rows, cols))
        else:
            M = self.plan["mats"][name]
            v = self.constant(np.ascontiguousarray(M.T) if T else M, "M")
        self.memo[key] = v
        return v

    def mul(self, P: _Var, Q: _Var) -> _Var:
        shape = (P.shape[0], Q.shape[1])
        batched = P.batched or Q.batched
        if P.value is not None and Q.value is not None:  # constant · constant: folded now
            val = P.value * Q.value if (P.shape == (1, 1) or Q.shape == (1, 1)) else P.value @ Q.value
            return self.constant(val)
        if P.shape == (1, 1) or Q.shape == (1, 1) or P.shape[1] == 1:  # scalar factor or outer product
            out = self.assign(f"{P.name} * {Q.name}", batched, shape)
            if P.shape[1] == 1 and Q.shape[0] == 1 and P.shape != (1, 1) and Q.shape != (1, 1):
                self.outers[out.name] = (P, Q)  # column · row: Jacobian updates regroup these
            return out
        if self.point:  # one point: plain 2-D matrices
            return self.assign(f"{P.name} @ {Q.name}", batched, shape)
        if not P.batched and Q.batched:
            return self.assign(f"const_left({P.name}, {Q.name})", True, shape)
        if P.batched and not Q.batched:
            return self.assign(f"batch_right({P.name}, {Q.name})", True, shape)
        if Q.shape[1] == 1 and P.shape[0] == 1:  # row · column: a batched dot product
            return self.assign(f"np.sum({P.name}[..., 0, :] * {Q.name}[..., :, 0], axis=-1)[..., None, None]",
                               batched, shape)
        return self.assign(f"{P.name} @ {Q.name}", batched, shape)

    def product(self, leaves: tuple) -> _Var:
        """L_1 … L_r with the association of least cost (matrix-chain DP), memoised by the leaves."""
        from .matrix_kernels import best_split

        key = ("prod", leaves)
        if key in self.memo:
            return self.memo[key]
        if len(leaves) == 1:
            out = self.leaf(leaves[0])
        else:
            split = best_split(leaves)
            out = self.mul(self.product(leaves[:split]), self.product(leaves[split:]))
        self.memo[key] = out
        return out

    def coef(self, c) -> _Var:
        """A scalar coefficient: a float literal, or a compiled function of the scalar parameters."""
        if callable(c):
            name = self.fresh("C")
            self.ns[name] = c
            return self.assign(f"{name}(scalars)", True, (1, 1))
        return _Var(*(repr(float(c)), False, (1, 1), float(c)))

    # ---- plan nodes -------------------------------------------------------------------------------------------
    def node(self, plan) -> _Var:
        key = ("plan", plan[-1])
        if key in self.memo:
            return self.memo[key]
        kind = plan[0]
        if kind == "term":
            val = self.product(plan[2])
            if not callable(plan[1]) and plan[1] == 1.0:
                out = val
            else:
                c = self.coef(plan[1])
                out = self.assign(f"{c.name} * {val.name}", val.batched or c.batched, val.shape)
        elif kind == "sum":
            out = self._sum(plan[1])
        elif kind == "scale":
            val = self.node(plan[2])
            out = self.assign(f"{val.name} * {float(plan[1])!r}", val.batched, val.shape)
        elif kind == "left":
            out = self.mul(self.leaf(plan[1]), self.node(plan[2]))
        else:  # "right"
            out = self.mul(self.node(plan[1]), self.leaf(plan[2]))
        self.memo[key] = out
        return out

    def _signed(self, sub):
        if sub[0] == "term" and not callable(sub[1]) and sub[1] in (1.0, -1.0):
            return self.product(sub[2]), sub[1]
        return self.node(sub), 1.0

    def _sum(self, subs) -> _Var:
        total, owned = None, False
        for sub in subs:
            val, sign = self._signed(sub)
            if total is None:
                total, owned = (val, False) if sign == 1.0 else (self.assign(f"-{val.name}", val.batched, val.shape),
                                                                  True)
            elif owned and total.shape == val.shape and (total.batched or not val.batched):
                op = "np.add" if sign == 1.0 else "np.subtract"
                self.emit(f"{op}({total.name}, {val.name}, out={total.name})")
            else:
                sym = "+" if sign == 1.0 else "-"
                total = self.assign(f"{total.name} {sym} {val.name}", total.batched or val.batched,
                                    total.shape if total.shape != (1, 1) else val.shape)
                owned = True
        return total

    def into(self, plan, target: str) -> None:
        """Write the value of a plan node into the array named ``target`` (an output block view)."""
        kind = plan[0]
        if kind == "scale":
            self.into(plan[2], target)
            self.emit(f"np.multiply({target}, {float(plan[1])!r}, out={target})")
            return
        if kind == "sum":
            subs, first = list(plan[1]), True
            scaled = [i for i, sub in enumerate(subs) if sub[0] == "term" and isinstance(sub[1], float)
                      and sub[1] not in (1.0, -1.0)]
            if scaled:  # c·T written straight into the block
                sub = subs.pop(scaled[0])
                self.emit(f"np.multiply({self.product(sub[2]).name}, {sub[1]!r}, out={target})")
                first = False
            terms = [self._signed(sub) for sub in subs]
            if first and len(terms) >= 2 and terms[0][1] == 1.0:  # the first two terms in one operation
                (v1, _), (v2, s2) = terms[:2]
                self.emit(f"{'np.add' if s2 == 1.0 else 'np.subtract'}({v1.name}, {v2.name}, out={target})")
                terms, first = terms[2:], False
            for val, sign in terms:
                if first:
                    self.emit(f"np.copyto({target}, {val.name})" if sign == 1.0 else
                              f"np.negative({val.name}, out={target})")
                else:
                    op = "np.add" if sign == 1.0 else "np.subtract"
                    self.emit(f"{op}({target}, {val.name}, out={target})")
                first = False
            return
        self.emit(f"np.copyto({target}, {self.node(plan).name})")

    def live_lines(self) -> list:
        """The statements without the temporaries no later statement reads (straight-line code: one backward
        pass), e.g. an outer product whose Jacobian update was regrouped."""
        used: set = set()
        kept = []
        for line in reversed(self.lines[1:]):
            m = _ASSIGN.match(line)
            if m and m.group(1) not in used:
                continue
            used.update(_NAME.findall(line if not m else m.group(2)))
            kept.append(line)
        return [self.lines[0]] + kept[::-1]

    def compile(self):
        self.lines = self.live_lines()
        source = "\n".join(self.lines) + "\n"
        code = compile(source, f"<symdyn matrix kernel {self.lines[0][4:self.lines[0].index('(')]}>", "exec")
        exec(code, self.ns)
        return self.ns[self.lines[0][4:self.lines[0].index("(")]], source


def generate_f(plan: dict, D: int, point: bool = False) -> tuple[Callable, str]:
    """(function f(x (..., D), scalars {name: float or (..., 1, 1) array}) -> (..., D), its source); with ``point``
    the variant for one point x (D,) and float parameters (plain 2-D products: fewer NumPy calls).

    Examples
    --------
    >>> import numpy as np
    >>> from symdyn import OjaFlow
    >>> k = OjaFlow(np.diag([2.0, 1.0])).field().lambdify(form="matrix")     # a MatrixKernel
    >>> x = np.array([0.6, 0.8])
    >>> f, source = generate_f(k.plan, k.dimension)
    >>> bool(np.allclose(f(x[None], {})[0], k.f(x))), source.splitlines()[0]
    (True, 'def f(x, scalars):')
    """
    w = _Writer(plan, "f", point)
    w.states()
    w.emit(f"out = np.empty({D})" if point else f"out = np.empty(x.shape[:-1] + ({D},))")
    for name, p in plan["blocks"]:
        o, r, c = plan["offsets"][name]
        tv = w.fresh("out_")
        if point:  # a contiguous slice: a view
            w.emit(f"{tv} = out{'' if r * c == D else f'[{o}:{o + r * c}]'}.reshape({r}, {c})")
        else:
            w.emit(f"{tv} = block_view(out, {o}, {r}, {c})")
        w.into(p, tv)
    w.emit("return out")
    return w.compile()


def generate_jacobian(plan: dict, D: int, point: bool = False) -> tuple[Callable, str]:
    """(function J(x (..., D), scalars) -> (..., D, D), its source): for each output block S and input block T the
    Kronecker groups Σ L ⊗ Rᵀ of :mod:`symdyn.matrix_kernels`, added into the block's (p, q, a, b) view by
    ``_add_kron``; R sums its terms c·(product or identity) first.  ``point`` as in :func:`generate_f`.

    Examples
    --------
    >>> import numpy as np
    >>> from symdyn import OjaFlow
    >>> k = OjaFlow(np.diag([2.0, 1.0])).field().lambdify(form="matrix")     # a MatrixKernel
    >>> x = np.array([0.6, 0.8])
    >>> J, source = generate_jacobian(k.plan, k.dimension, point=True)
    >>> bool(np.allclose(J(x, {}), k.jacobian(x)))
    True
    """
    from .matrix_kernels import _add_kron

    w = _Writer(plan, "jacobian", point)
    w.ns["add_kron"] = _add_kron
    w.states()
    init = len(w.lines)
    J0 = np.zeros((D, D))  # the constant part (constant L and R), summed at build time
    offsets = plan["offsets"]
    for out_name, row in plan["jac"]:
        o, p, q = offsets[out_name]
        for in_name, groups in row:
            if not groups:
                continue
            i0, a, b = offsets[in_name]
            tv = w.fresh("blk")
            w.emit(f"{tv} = out[..., {o}:{o + p * q}, {i0}:{i0 + a * b}].view()")
            w.emit(f"{tv}.shape = ({p}, {q}, {a}, {b})" if point else f"{tv}.shape = x.shape[:-1] + ({p}, {q}, {a}, {b})")
            rank_one: dict = {}  # column name -> (column, [(sign, row expression)]): one outer product per column
            for L, tr, rs in groups:
                R = None
                for c, rest in rs:
                    val = w.product(rest) if rest else w.constant(np.eye(b if not tr else a), "I")
                    if callable(c):
                        cv = w.coef(c)
                        term = w.assign(f"{cv.name} * {val.name}", True, val.shape)
                    elif c == 1.0:
                        term = val
                    elif val.value is not None:
                        term = w.constant(c * val.value)
                    else:
                        term = w.assign(f"{float(c)!r} * {val.name}", val.batched, val.shape)
                    if R is None:
                        R = term
                    elif R.value is not None and term.value is not None:
                        R = w.constant(R.value + term.value)
                    else:
                        R = w.assign(f"{R.name} + {term.name}", R.batched or term.batched, R.shape)
                Lp = w.product(L) if L else None
                if R.value is not None and (Lp is None or Lp.value is not None):
                    block = J0[o:o + p * q, i0:i0 + a * b].view()
                    block.shape = (p, q, a, b)
                    _add_kron(block, None if Lp is None else Lp.value, R.value, tr)
                    continue
                update = _rank_one_update(w, Lp, R, tr, (p, q, a, b))
                if update is not None:
                    col, term = update
                    rank_one.setdefault(col.name, (col, []))[1].append(term)
                    continue
                w.emit(_kron_statement(tv, Lp, R, tr, (p, q, a, b), o * D + i0, D, point))
            for col, terms in rank_one.values():  # Σ_k c ⊗ r_k = c ⊗ (Σ_k r_k): one pass over the block
                row = " ".join(f"{'+' if sign > 0 else '-'} {r}" for sign, r in terms).lstrip("+ ")
                if len(terms) > 1:
                    row = f"({row})"
                elif row.startswith("- "):
                    row = f"(-{row[2:]})"
                w.emit(f"{tv}[..., :, 0, :, 0] += {col.name} * {row}")
    if np.any(J0):
        w.ns["J0"] = J0
        w.lines.insert(init, "    out = J0.copy()" if point else
                       f"    out = np.empty(x.shape[:-1] + ({D}, {D}))\n    out[...] = J0")
    else:
        w.lines.insert(init, f"    out = np.zeros(({D}, {D}))" if point else
                       f"    out = np.zeros(x.shape[:-1] + ({D}, {D}))")
    w.emit("return out")
    return w.compile()


def _rank_one_update(w: _Writer, L: _Var | None, R: _Var, tr: bool, shape: tuple):
    """(column c (p, 1), (sign, row expression (1, a))) when the update L ⊗ Rᵀ of a vector block (q = b = 1) is
    the outer product c·r: transposed with L a column and R (a, 1), or L an outer product c·r of the generated
    code times a 1×1 R; else None."""
    p, q, a, b = shape
    if q != 1 or b != 1 or L is None:
        return None
    if tr and L.shape == (p, 1) and R.shape == (a, 1):
        return L, (1, f"{R.name}.T" if w.point else f"np.swapaxes({R.name}, -1, -2)")
    if not tr and R.shape == (1, 1) and L.name in w.outers:
        col, row = w.outers[L.name]
        r = _unit_scalar(R)
        if r is not None:
            return col, (r, row.name)
        return col, (1, f"{row.name} * {R.name}")
    return None


def _unit_scalar(R: _Var) -> float | None:
    """±1.0 when the 1×1 factor R is that build-time constant (the update needs no multiplication), else None."""
    r = None if R.value is None else float(np.asarray(R.value).reshape(-1)[0])
    return r if r in (1.0, -1.0) else None


def _kron_statement(tv: str, L: _Var | None, R: _Var, tr: bool, shape: tuple, start: int, D: int, point: bool) -> str:
    """The statement adding L ⊗ Rᵀ (or its transposed pairing) into the Jacobian block ``tv`` of shape (p, q, a, b),
    resolved at build time for the common structures of vector blocks (q = b = 1, where the block is the (p, a)
    view ``tv[..., :, 0, :, 0]``): target[i, k] += L[i, k]·r for a 1×1 R; += r on the diagonal for L the identity
    (through a strided slice of the flattened output, ``start`` = the block's flat offset o·D + i₀).  Anything else
    goes to the general ``add_kron``."""
    p, q, a, b = shape
    Ln = "None" if L is None else L.name
    general = f"add_kron({tv}, {Ln}, {R.name}, {tr!r})"
    if q != 1 or b != 1:
        return general
    view = f"{tv}[..., :, 0, :, 0]"
    if L is None:
        if tr or R.shape != (1, 1) or p != a:
            return general
        step, stop = D + 1, start + p * (D + 1)
        if point:
            return f"out.reshape(-1)[{start}:{stop}:{step}] += {R.name}[0, 0]"
        return f"out.reshape(x.shape[:-1] + ({D * D},))[..., {start}:{stop}:{step}] += {R.name}[..., 0]"
    if not tr and R.shape == (1, 1) and L.shape == (p, a):
        r = _unit_scalar(R)
        if r is not None:
            return f"{view} {'+' if r == 1.0 else '-'}= {L.name}"
        return f"{view} += {L.name} * {R.name}"
    return general  # (a transposed column ⊗ column is a rank-one update: _rank_one_update takes it first)


def symbolic_components(plan: dict, states: list, params: list) -> list:
    """The D components of f as SymEngine expressions, evaluated from the plan with matrices of symbols: products in
    the plan's association (matrix-chain DP) and nothing expanded, so a shared factor such as xᵀVx stays one
    subexpression (the expanded entry-wise form of Oja's field has d²/2 terms per component; this one has d).
    ``states``: the D state symbols (x = (vec_r S_1, …)); ``params``: the scalar parameter symbols.  A plan built with
    ``symbolic_values`` has its matrix values as symbols ``name[i,j]`` (:meth:`MatrixKernel._template`)."""
    import symengine as se

    from .matrix_kernels import best_split

    xs = [se.Symbol(str(s)) for s in states]
    mats = {}
    for name, (o, r, c) in plan["offsets"].items():
        mats[name] = se.DenseMatrix(r, c, xs[o:o + r * c])
    for name, M in plan["mats"].items():
        r, c = M.shape
        mats[name] = (se.DenseMatrix(r, c, [se.Symbol(f"{name}[{i},{j}]") for i in range(r) for j in range(c)])
                      if plan.get("symbolic_values") else
                      se.DenseMatrix(r, c, [se.RealDouble(float(v)) for v in M.ravel()]))
    memo: dict = {}

    def leaf(lf):
        name, T, rows, cols = lf
        if name is None:
            return se.eye(rows)
        return mats[name].T if T else mats[name]

    def product(leaves):
        if leaves in memo:
            return memo[leaves]
        if len(leaves) == 1:
            out = leaf(leaves[0])
        else:
            split = best_split(leaves)
            out = mul(product(leaves[:split]), product(leaves[split:]))
        memo[leaves] = out
        return out

    def mul(P, Q):
        if P.shape == (1, 1):
            return Q * P[0, 0]
        if Q.shape == (1, 1):
            return P * Q[0, 0]
        return P * Q

    def coef(c):
        return se.sympify(c.expr) if callable(c) else se.RealDouble(float(c)) if c not in (1.0, -1.0) else \
            se.Integer(int(c))

    def node(p):
        kind = p[0]
        if kind == "term":
            return mul(product(p[2]), se.DenseMatrix([[coef(p[1])]]))
        if kind == "sum":
            total = None
            for sub in p[1]:
                v = node(sub)
                total = v if total is None else (total + v if total.shape == v.shape else
                                                 _broadcast_add(total, v))
            return total
        if kind == "scale":
            return node(p[2]) * se.RealDouble(float(p[1]))
        if kind == "left":
            return mul(leaf(p[1]), node(p[2]))
        return mul(node(p[1]), leaf(p[2]))

    out = [None] * len(xs)
    for name, p in plan["blocks"]:
        o, r, c = plan["offsets"][name]
        val = node(p)
        for k in range(r * c):
            out[o + k] = val[k // c, k % c]
    return out


def _broadcast_add(A, B):
    """A + B where one of them is 1×1 (a scalar term in a matrix sum)."""
    if A.shape == (1, 1):
        A, B = B, A
    return A + B[0, 0] * _ones(A.shape)


def _ones(shape):
    import symengine as se

    return se.DenseMatrix(shape[0], shape[1], [1] * (shape[0] * shape[1]))
