"""Native code for lists of expressions: SymEngine's LLVM ``Lambdify`` with common-subexpression elimination.

:class:`CompiledExpressions` turns expressions e_1 … e_K in arguments a_1 … a_A (SymPy or SymEngine) into one
compiled function (..., A) → (..., K): float64 in, float64 out, one straight-line machine-code loop over the
leading batch shape.  SymPy stays the source of truth for the mathematics; SymEngine only converts, differentiates
(:func:`sparse_jacobian`) and compiles.  When SymEngine cannot take an expression (a function it does not know,
a name clash) or has no LLVM backend, the compiled function falls back to SymEngine's C++ ``lambda`` backend and
then to ``sympy.lambdify`` (SciPy/NumPy, CSE on); ``backend`` says which one runs and ``fallback_reason`` why.

Examples
--------
>>> import numpy as np, sympy as sp
>>> x, y = sp.symbols("x y")
>>> c = CompiledExpressions([x, y], [x * y, sp.sin(x) + y ** 2])
>>> c(np.array([[1.0, 2.0], [0.0, 3.0]]))
array([[2.        , 4.84147098],
       [0.        , 9.        ]])
>>> sparse_jacobian([x * y, sp.sin(x)], [x, y])[0]
[(0, 0), (0, 1), (1, 0)]
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import sympy as sp

__all__ = ["CompiledExpressions", "sparse_jacobian", "cse_op_count", "to_symengine", "to_sympy", "HAVE_SYMENGINE"]

try:
    import symengine as se
    HAVE_SYMENGINE = True
except ImportError:  # pragma: no cover - symengine is a declared dependency; kept importable without it
    se = None
    HAVE_SYMENGINE = False


def to_symengine(exprs: Sequence) -> list:
    """SymEngine copies of SymPy expressions (a SymEngine expression passes through); raises ``TypeError``
    naming the first expression SymEngine cannot represent.

    Examples
    --------
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> e = to_symengine([x**2 + y])[0]
    >>> type(e).__module__.split(".")[0], e
    ('symengine', y + x**2)
    """
    if not HAVE_SYMENGINE:
        raise TypeError("symengine is not installed")
    out = []
    for e in exprs:
        try:
            out.append(se.sympify(e))
        except Exception as exc:  # SymEngine raises SympifyError, NotImplementedError, RuntimeError, ...
            raise TypeError(f"SymEngine cannot represent {e}: {exc}") from None
    return out


def substitute(exprs: Sequence, values: dict) -> list:
    """The expressions with every symbol named in ``values`` replaced by its float value (exactly that double: a
    SymPy ``Float`` of 53 bits, a SymEngine ``RealDouble``); SymPy and SymEngine expressions alike.

    >>> import sympy as sp
    >>> x, F = sp.symbols("x F")
    >>> substitute([x * F + F ** 2], {"F": 2.0})
    [2.0*x + 4.0]
    """
    se_values = {se.Symbol(k): se.RealDouble(v) for k, v in values.items()} if HAVE_SYMENGINE else {}
    out = []
    for e in exprs:
        if isinstance(e, sp.Basic):
            out.append(e.xreplace({s: sp.Float(values[s.name]) for s in e.free_symbols
                                   if isinstance(s, sp.Symbol) and s.name in values}))
        else:
            out.append(e.subs(se_values))
    return out


def _se_args(args: Sequence) -> list:
    conv = to_symengine(args)
    names = [str(a) for a in conv]
    if len(set(names)) != len(names):
        raise TypeError(f"arguments with the same name ({sorted(n for n in names if names.count(n) > 1)[:3]}): "
                        "SymEngine identifies symbols by name")
    if not all(isinstance(a, se.Symbol) for a in conv):
        raise TypeError("every argument must be a symbol")
    return conv


def sparse_jacobian(exprs: Sequence, variables: Sequence) -> tuple[list, list]:
    """The structurally non-zero entries of ∂e_i/∂v_j, differentiated by SymEngine.

    Only the variables that occur in e_i are differentiated against, so the cost grows with the number of
    non-zero entries, not with K·V.  Returns (index [(i, j)], entries [SymEngine expressions]) in row-major
    order; SymPy expressions are converted first (``TypeError`` when SymEngine cannot represent one).

    Examples
    --------
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> sparse_jacobian([x**2 * y, y], [x, y])               # ∂(y)/∂x is structurally zero: not listed
    ([(0, 0), (0, 1), (1, 1)], [2*x*y, x**2, 1])
    """
    fs = to_symengine(exprs)
    vs = _se_args(variables)
    position = {v: j for j, v in enumerate(vs)}
    index, entries = [], []
    for i, f in enumerate(fs):
        for j in sorted(position[s] for s in f.free_symbols if s in position):
            d = f.diff(vs[j])
            if d != 0:
                index.append((i, j))
                entries.append(d)
    return index, entries


def cse_op_count(exprs: Sequence) -> int:
    """Arithmetic operations left after common-subexpression elimination (SymEngine's ``cse`` and ``count_ops``):
    a build-time estimate of what the compiled code will execute per point.

    Examples
    --------
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> cse_op_count([(x + y) ** 2, (x + y) ** 3])           # x + y once, then two powers
    3
    """
    rep, red = se.cse(to_symengine(exprs))
    return int(sum(se.count_ops(e) for _, e in rep) + sum(se.count_ops(e) for e in red))


class CompiledExpressions:
    """K expressions in A arguments compiled to one native function (..., A) → (..., K).

    Parameters
    ----------
    args : sequence of symbols (SymPy or SymEngine) — a_1 … a_A, distinct names
    exprs : sequence of expressions (SymPy or SymEngine) — e_1 … e_K
    backend : "auto" (LLVM, else SymEngine's lambda backend, else NumPy), "llvm", "lambda" or "numpy"
    cse : bool — common-subexpression elimination before code generation (default True)

    Attributes
    ----------
    backend : str — "llvm", "lambda" or "numpy": what runs
    fallback_reason : str — why a faster backend was not used ("" when none was skipped)
    n_args, n_out : int

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> a, b = sp.symbols("a b")
    >>> c = CompiledExpressions([a, b], [a + b, a * b])
    >>> c.backend, c(np.array([2.0, 3.0]))
    ('llvm', array([5., 6.]))
    """

    def __init__(self, args: Sequence, exprs: Sequence, *, backend: str = "auto", cse: bool = True):
        if backend not in ("auto", "llvm", "lambda", "numpy"):
            raise ValueError(f"backend: expected 'auto', 'llvm', 'lambda' or 'numpy', got {backend!r}")
        self.n_args, self.n_out = len(args), len(exprs)
        self.fallback_reason = ""
        order = {"auto": ("llvm", "lambda", "numpy"), "llvm": ("llvm",), "lambda": ("lambda",),
                 "numpy": ("numpy",)}[backend]
        reasons = []
        for b in order:
            try:
                self._fn = self._build(b, args, exprs, cse)
                self.backend = b
                break
            except Exception as exc:  # noqa: BLE001 - every failure to compile moves to the next backend
                reasons.append(f"{b}: {exc}")
        else:
            raise TypeError("exprs: no backend can compile these expressions (" + "; ".join(reasons) + ")")
        self.fallback_reason = "; ".join(reasons)
        self._unsafe = getattr(self._fn, "unsafe_real", None) if self.backend != "numpy" and self.n_out else None

    def _build(self, backend, args, exprs, cse):
        if backend == "numpy":
            sargs = [sp.sympify(a) for a in args]
            fn = sp.lambdify(sargs, [sp.sympify(e) for e in exprs], modules=["scipy", "numpy"], cse=cse)
            n_out = self.n_out

            def call(inp):
                cols = fn(*(inp[..., k] for k in range(inp.shape[-1])))
                out = np.empty(inp.shape[:-1] + (n_out,))
                for k, c in enumerate(cols):
                    if np.iscomplexobj(c):  # SciPy's lambertw and the like: real where the imaginary part is 0
                        c = np.where(np.imag(c) == 0, np.real(c), np.nan)
                    out[..., k] = c
                return out
            with np.errstate(all="ignore"):
                call(np.full(self.n_args, 0.5))  # a function NumPy/SciPy lack fails here (NameError), not later
            return call
        if not HAVE_SYMENGINE:
            raise TypeError("symengine is not installed")
        sargs, sexprs = _se_args(args), to_symengine(exprs)
        if not sexprs:  # SymEngine cannot compile an empty list
            return lambda inp: np.empty(inp.shape[:-1] + (0,))
        used = set().union(*(e.free_symbols for e in sexprs))
        extra = used - set(sargs)
        if extra:
            raise TypeError(f"symbols {sorted(map(str, extra))} are not arguments")
        # SymEngine's CSE names its temporaries x0, x1, ... avoiding only the symbols that occur in the expressions,
        # so an argument that occurs in none of them and is named like a temporary (a state absent from every
        # component, x3) is silently overwritten by one (found by the property test: 3/2·x0·x1 came out as 3/2·x3).
        # Such arguments are passed under names no temporary takes; the expressions are untouched.
        sargs = [a if a in used else se.Symbol(f"symdyn_unused_{k}") for k, a in enumerate(sargs)]
        fn = se.Lambdify(sargs, sexprs, real=True, backend=backend, cse=cse)
        probe = fn(np.zeros(self.n_args))  # fails here, not on the first real call, if the backend cannot run it
        if np.shape(probe) != (self.n_out,):
            raise TypeError(f"unexpected output shape {np.shape(probe)}")
        return fn

    def point(self, inp: np.ndarray) -> np.ndarray:
        """e(a) for one point: a float64 C-contiguous array of shape (A,) (not checked) -> (K,).  The lowest-overhead
        call (SymEngine's ``unsafe_real``: no shape handling), for single-point work such as ODE right-hand sides."""
        if self._unsafe is None:
            return self(inp)
        out = np.empty(self.n_out)
        self._unsafe(inp, out)
        return out

    def __call__(self, inp: np.ndarray) -> np.ndarray:
        """e(a) for a of shape (..., A) (float64, C-contiguous): (..., K)."""
        inp = np.ascontiguousarray(inp, dtype=float)
        if self.backend != "numpy" and 0 in inp.shape[:-1]:  # an empty batch: SymEngine cannot loop over none
            return np.empty(inp.shape[:-1] + (self.n_out,))
        # SymEngine gives (N, 1, 1) for a batch (N, 1) of a one-argument, one-output function: the shape is (..., K)
        return self._fn(inp).reshape(inp.shape[:-1] + (self.n_out,))

    def __repr__(self) -> str:
        return f"CompiledExpressions({self.n_args} args -> {self.n_out} outputs, backend={self.backend!r})"

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_unsafe", None)  # a bound method of the compiled function: re-bound after unpickling
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._unsafe = getattr(self._fn, "unsafe_real", None) if self.backend != "numpy" and self.n_out else None


def to_sympy(exprs: Sequence, symbols: Sequence = ()) -> list:
    """SymPy copies of SymEngine expressions; every symbol named like one of ``symbols`` becomes that symbol
    (SymEngine keeps names only, so assumptions such as ``real=True`` are restored from the originals).

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> back = to_sympy(to_symengine([x**2]), [x])[0]
    >>> back, back.free_symbols == {x}                       # the real symbol x again, not a plain Symbol("x")
    (x**2, True)
    """
    back = {sp.Symbol(str(s)): s for s in symbols if isinstance(s, sp.Symbol)}
    out = []
    for e in exprs:
        v = sp.sympify(e)
        out.append(v.xreplace(back) if back else v)
    return out
