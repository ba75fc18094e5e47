"""Native code for complex-analytic NumPy functions, through SymEngine's (real-only) LLVM backend.

A function written for batched complex NumPy arrays (matrix products, sums, scalings: the chart systems of the
rank strata) runs *once* on arrays of :class:`ComplexPair` objects, pairs (Re, Im) of SymEngine expressions in the
real and imaginary parts of its arguments.  Its outputs' real and imaginary parts are then compiled into one
straight-line loop by :class:`.compiled.CompiledExpressions` (LLVM, common-subexpression elimination), which takes
float64 rows (Re z₁, Im z₁, Re z₂, …) and gives (Re f₁, Im f₁, …): the memory of complex128 rows.  The NumPy
function stays the one definition of the mathematics: the compiled code is its trace, and
:func:`compiled_functions` checks it against the NumPy function at random points whenever it is built or read back
from the user cache.

Why: batched NumPy on 4 × 4 complex matrices spends most of its time in per-operation overhead (a 4 × 4 complex
matmul in a batch costs ≈ 0.2 µs, the arithmetic ≈ 0.03 µs); the compiled trace evaluates the (4, 3) chart system's
Jacobian in 4.5 µs a point instead of 18 µs.

Examples
--------
>>> import numpy as np
>>> def f(z, w):                       # z (n, 2), w (n, 2, 2) complex -> w @ z and z₀·z₁
...     return np.einsum("nij,nj->ni", w, z), z[:, 0] * z[:, 1]
>>> k = CompiledComplex(f, [(2,), (2, 2)])
>>> z = np.array([[1 + 2j, 3 - 1j]]); w = np.array([[[0, 1j], [2, 1]]])
>>> out = k(z, w)
>>> np.allclose(out[0], f(z, w)[0]), np.allclose(out[1], f(z, w)[1])
(True, True)
"""
from __future__ import annotations

import functools
import hashlib
import numbers
import os
import pickle
import platform
import tempfile
import warnings
from typing import Callable, Sequence

import numpy as np

from .compiled import HAVE_SYMENGINE, CompiledExpressions
from .user_cache import user_cache_dir

if HAVE_SYMENGINE:
    import symengine as se

__all__ = ["ComplexPair", "complex_symbols", "CompiledComplex", "cached_kernel", "compiled_functions", "KERNEL_FORMAT",
           "KERNEL_CHECK_TOL"]

#: bump when the way kernels are traced changes (part of the cache key; stale files are also caught by the check)
KERNEL_FORMAT = 2
KERNEL_CHECK_TOL = 1e-10  # a compiled kernel must agree with its NumPy function to this relative accuracy


def _const(v: float):
    v = float(v)
    return se.Integer(int(v)) if v.is_integer() and abs(v) < 2 ** 53 else se.RealDouble(v)


class ComplexPair:
    """A complex number re + i·im with SymEngine expressions re, im: +, −, × with pairs and Python/NumPy numbers,
    ÷ by real numbers.  Multiplying by an exact 0 or 1 returns 0 or the pair itself, so the zeros and ones of
    index matrices (identity blocks, bases) add nothing to the trace.

    Examples
    --------
    >>> import symengine as se
    >>> a, b = ComplexPair(se.Symbol("a"), se.Symbol("b")), ComplexPair(se.Symbol("c"), se.Integer(0))
    >>> p = a * b + 1j
    >>> str(p.re), str(p.im)
    ('a*c', '1 + b*c')
    """

    __slots__ = ("re", "im")

    def __init__(self, re, im=0):
        self.re, self.im = re, im

    @staticmethod
    def lift(o) -> "ComplexPair":
        """A pair for a pair or a number (TypeError for anything else)."""
        if isinstance(o, ComplexPair):
            return o
        if isinstance(o, numbers.Complex):
            o = complex(o)
            return ComplexPair(_const(o.real), _const(o.imag))
        raise TypeError(f"ComplexPair: cannot combine with {type(o).__name__}")

    def __add__(self, o):
        if isinstance(o, numbers.Number) and o == 0:
            return self
        o = ComplexPair.lift(o)
        return ComplexPair(self.re + o.re, self.im + o.im)

    __radd__ = __add__

    def __sub__(self, o):
        if isinstance(o, numbers.Number) and o == 0:
            return self
        o = ComplexPair.lift(o)
        return ComplexPair(self.re - o.re, self.im - o.im)

    def __rsub__(self, o):
        return ComplexPair.lift(o) - self

    def __neg__(self):
        return ComplexPair(-self.re, -self.im)

    def __mul__(self, o):
        if isinstance(o, numbers.Number):
            c = complex(o)
            if c == 0:
                return ComplexPair(se.Integer(0), se.Integer(0))
            if c == 1:
                return self
            if c.imag == 0:
                k = _const(c.real)
                return ComplexPair(self.re * k, self.im * k)
        o = ComplexPair.lift(o)
        return ComplexPair(self.re * o.re - self.im * o.im, self.re * o.im + self.im * o.re)

    __rmul__ = __mul__

    def __truediv__(self, o):
        if not isinstance(o, numbers.Real):
            raise TypeError("ComplexPair: division only by real numbers")
        k = _const(o)
        return ComplexPair(self.re / k, self.im / k)


def complex_symbols(name: str, shape: tuple) -> tuple:
    """(array of ComplexPair of ``shape``, [real-part symbols], [imaginary-part symbols]), row-major order.

    Examples
    --------
    >>> z, re, im = complex_symbols("z", (2,))
    >>> z.shape, [str(s) for s in re + im]
    ((2,), ['z_r0', 'z_r1', 'z_i0', 'z_i1'])
    """
    size = int(np.prod(shape, dtype=int))
    re = [se.Symbol(f"{name}_r{k}") for k in range(size)]
    im = [se.Symbol(f"{name}_i{k}") for k in range(size)]
    out = np.empty(size, dtype=object)
    for k in range(size):
        out[k] = ComplexPair(re[k], im[k])
    return out.reshape(shape), re, im


class CompiledComplex:
    """f(a₁, …, a_k) → (o₁, …) on complex arrays batched over a leading axis, as native code.

    Parameters
    ----------
    fn : callable — f written for batched NumPy arrays; it is called once with arrays of shape ``(1, *shape_j)`` of
        :class:`ComplexPair` and returns an array of shape (1, ...) or a tuple of them (complex-analytic
        operations only: +, −, ×, ÷ by a real number, matmul, einsum, indexing, concatenation).
    arg_shapes : sequence of tuples — the shape of each argument without the batch axis.

    Calling it with arrays of shape ``(n, *shape_j)`` (or ``shape_j``, shared by the batch) returns a tuple of complex
    arrays ``(n, *out_shape)`` (a single array when f returns one).

    Raises TypeError when SymEngine's LLVM backend is missing or cannot compile the trace.
    """

    def __init__(self, fn: Callable, arg_shapes: Sequence[tuple]):
        if not HAVE_SYMENGINE:
            raise TypeError("symengine is not installed")
        self.arg_shapes = [tuple(s) for s in arg_shapes]
        syms = [complex_symbols(f"z{j}", s) for j, s in enumerate(self.arg_shapes)]
        outs = fn(*[a[None] for a, _, _ in syms])
        self.single = not isinstance(outs, tuple)
        outs = (outs,) if self.single else outs
        self.out_shapes = [np.shape(o)[1:] for o in outs]
        flat = [ComplexPair.lift(e) for o in outs for e in np.asarray(o, dtype=object).ravel()]
        # arguments and outputs interleaved (Re, Im) per entry: the memory layout of a complex128 array, so calls
        # pass and return complex arrays as float views without copying
        args = [s for _, re, im in syms for pair in zip(re, im) for s in pair]
        self.sizes = [int(np.prod(s, dtype=int)) for s in self.arg_shapes]
        self.n_out = len(flat)
        self._code = CompiledExpressions(args, [part for e in flat for part in (e.re, e.im)], backend="llvm")

    def __call__(self, *arrays):
        if len(arrays) != len(self.arg_shapes):
            raise TypeError(f"expected {len(self.arg_shapes)} arguments, got {len(arrays)}")
        arrays = [np.asarray(a) for a in arrays]
        n = max((a.shape[0] for a, s in zip(arrays, self.arg_shapes) if a.ndim > len(s)), default=1)
        Z = np.empty((n, sum(self.sizes)), dtype=complex)
        at = 0
        for a, s, size in zip(arrays, self.arg_shapes, self.sizes):
            if a.shape[a.ndim - len(s):] != s or a.ndim > len(s) + 1 or (a.ndim > len(s) and a.shape[0] not in (1, n)):
                raise ValueError(f"arrays: expected shape (n, *{s}) or {s}, got {a.shape}")
            Z[:, at: at + size] = a.reshape(-1, size)  # (1, size) or (size,) broadcast over the batch
            at += size
        out = self._code(Z.view(np.float64)).view(complex)  # (n, 2·args) floats in, (n, 2·outputs) out
        res, at = [], 0
        for s in self.out_shapes:
            size = int(np.prod(s, dtype=int))
            res.append(out[:, at: at + size].reshape((n,) + s))
            at += size
        return res[0] if self.single else tuple(res)


@functools.lru_cache(maxsize=None)
def _machine_tag() -> str:
    """The host's identity for compiled code: architecture and CPU features (machine code built for one CPU may
    use instructions another lacks), SymEngine's version and the trace format."""
    flags = ""
    try:
        with open("/proc/cpuinfo") as fh:
            flags = next((line for line in fh if line.startswith(("flags", "Features"))), "")
    except OSError:
        flags = platform.processor()
    digest = hashlib.sha1((platform.machine() + flags).encode()).hexdigest()[:12]
    return f"{platform.machine()}-{digest}-se{se.__version__}-f{KERNEL_FORMAT}"


def cached_kernel(name: str, build: Callable[[], CompiledComplex], check: Callable[[CompiledComplex], bool]):
    """The kernel ``name`` from the user cache (``$SYMDYN_CACHE/kernels``, per machine tag), else ``build()`` and
    store it.  ``check(kernel)`` (e.g. agreement with the NumPy function at a random point) must pass for a kernel
    read back (else it is rebuilt) and for a new one (else None is returned and a warning says so: the caller then
    keeps its NumPy route).  None also when the kernel cannot be built (no LLVM)."""
    if not HAVE_SYMENGINE:
        return None
    path = os.path.join(user_cache_dir("kernels"), f"{name}-{_machine_tag()}.pkl")
    if os.path.exists(path):
        try:
            with open(path, "rb") as fh:
                kernel = pickle.load(fh)
            if check(kernel):
                return kernel
        except Exception:  # noqa: BLE001 - an unreadable or foreign file is rebuilt
            pass
    try:
        kernel = build()
    except TypeError:
        return None
    if not check(kernel):
        warnings.warn(f"compiled kernel {name} disagrees with its NumPy definition; using NumPy", RuntimeWarning,
                      stacklevel=2)
        return None
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(kernel, fh)
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the new one
    except OSError:
        pass
    return kernel


def compiled_functions(name: str, functions: dict) -> dict | None:
    """{key: CompiledComplex} for batched NumPy functions {key: (fn, arg_shapes)}, each built or read from the user
    cache as ``<name>_<key>`` (:func:`cached_kernel`) and checked against ``fn`` itself at two random complex points
    (relative error ≤ ``KERNEL_CHECK_TOL``).  None when any of them cannot be compiled or fails its check: the caller
    then evaluates the NumPy functions.

    Examples
    --------
    >>> import numpy as np
    >>> k = compiled_functions("doc_square", {"sq": (lambda z: z * z, [(2,)])})
    >>> z = np.array([[1 + 1j, 2.0]])
    >>> k is None or bool(np.allclose(k["sq"](z), z * z))
    True
    """
    out = {}
    for key, (fn, shapes) in functions.items():
        rng = np.random.default_rng(7)
        args = [rng.standard_normal((2,) + tuple(s)) + 1j * rng.standard_normal((2,) + tuple(s)) for s in shapes]
        want = fn(*args)

        def check(kernel, args=args, want=want) -> bool:
            got = kernel(*args)
            pairs = zip(got, want) if isinstance(want, tuple) else [(got, want)]
            return all(np.shape(g) == np.shape(w) and
                       np.abs(g - w).max() <= KERNEL_CHECK_TOL * max(float(np.abs(w).max()), 1.0) for g, w in pairs)

        out[key] = cached_kernel(f"{name}_{key}", lambda fn=fn, shapes=shapes: CompiledComplex(fn, shapes), check)
        if out[key] is None:
            return None
    return out
