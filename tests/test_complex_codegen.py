"""Compiled complex kernels (:mod:`symdyn.complex_codegen`) against the NumPy functions they are traced from."""
import os
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from symdyn.complex_codegen import CompiledComplex, ComplexPair, cached_kernel, complex_symbols

finite = st.floats(-10, 10, allow_nan=False)


@settings(max_examples=25)
@given(st.lists(finite, min_size=6, max_size=6), st.lists(finite, min_size=4, max_size=4))
def test_pair_arithmetic_is_complex_arithmetic(vals, consts):
    """Every operation of ComplexPair, with pairs, Python floats, complex numbers and NumPy scalars on either side,
    evaluated at random values, equals the same operation on Python complex numbers."""
    import symengine as se

    (ar, ai, br, bi, cr, ci), (k1, k2, k3, k4) = vals, consts
    zs, re, im = complex_symbols("u", (3,))
    a, b, c = complex(ar, ai), complex(br, bi), complex(cr, ci)
    k = complex(k1, k2)
    d = k4 if abs(k4) > 1e-3 else 2.5

    def f(x, y, z, K):
        return ((x * y - z) * K + np.float64(k3) * x - (y + 1.5) + (2 - z) - (-x) * 0.0 + y * 1.0) / d

    sym = f(zs[0], zs[1], zs[2], k)
    subs = dict(zip(re + im, [ar, br, cr, ai, bi, ci]))
    got = complex(float(se.sympify(sym.re).subs(subs)), float(se.sympify(sym.im).subs(subs)))
    want = f(a, b, c, k)
    assert abs(got - want) <= 1e-12 * (1 + abs(want))


def test_compiled_function_equals_numpy_on_batches_and_broadcasts():
    """A function with matmuls, einsum, transposes, indexing and concatenation: compiled = NumPy on random complex
    batches, with an argument shared by the whole batch (no batch axis) and one given with a batch axis of 1."""
    def f(A, v, c):
        B = A @ np.swapaxes(A, 1, 2) - 2.0 * A
        w = np.einsum("nij,nj->ni", B, v) * c[:, None]
        return np.concatenate([w, B[:, 0, :2]], axis=1), B[:, :, ::-1]

    k = CompiledComplex(f, [(3, 3), (3,), ()])
    rng = np.random.default_rng(0)
    A = rng.standard_normal((40, 3, 3)) + 1j * rng.standard_normal((40, 3, 3))
    v = rng.standard_normal(3) + 1j * rng.standard_normal(3)
    c = rng.standard_normal((1,)) + 1j
    got = k(A, v, c)
    want = f(A, np.broadcast_to(v, (40, 3)), np.broadcast_to(c, (40,)))
    for g, w in zip(got, want):
        assert g.shape == w.shape and np.abs(g - w).max() <= 1e-13 * np.abs(w).max()
    with pytest.raises(ValueError, match="arrays"):
        k(A, rng.standard_normal((40, 4)), c)
    with pytest.raises(TypeError, match="division only by real"):
        ComplexPair(1, 2) / 1j


def _square_kernel():
    return CompiledComplex(lambda z: z * z, [(2,)])


def test_cached_kernel_builds_once_reads_back_checks_and_rebuilds(tmp_path, monkeypatch):
    """The first call builds and stores, the second reads (no build); a corrupted file and a kernel that fails its
    check are rebuilt; a new kernel that fails its check is refused with a warning (the caller keeps NumPy)."""
    monkeypatch.setenv("SYMDYN_CACHE", str(tmp_path))
    builds = []

    def build():
        builds.append(1)
        return _square_kernel()

    z = np.array([[1 + 2j, -3j]])
    good = lambda k: np.allclose(k(z), z * z)  # noqa: E731
    assert good(cached_kernel("sq", build, good)) and len(builds) == 1
    assert good(cached_kernel("sq", build, good)) and len(builds) == 1  # read back, checked, not rebuilt
    (path,) = [os.path.join(tmp_path, "kernels", f) for f in os.listdir(tmp_path / "kernels")]
    with open(path, "wb") as fh:
        fh.write(b"not a pickle")
    assert good(cached_kernel("sq", build, good)) and len(builds) == 2
    with open(path, "wb") as fh:  # a readable kernel computing something else: z³
        pickle.dump(CompiledComplex(lambda u: u * u * u, [(2,)]), fh)
    assert good(cached_kernel("sq", build, good)) and len(builds) == 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cached_kernel("sq2", build, lambda k: False) is None
    assert any("disagrees" in str(w.message) for w in caught)
