"""(E1) by a parameter homotopy from its generic solutions (``ssl_linear.md`` §6.1): m = 3 … 5 in seconds.

    (E1)  E(S; p) = (Σx S + λI)(S Σx + λI) − Σyxᵀ S Σyx = 0,     x = vech S  (N = m(m+1)/2 unknowns)

with the data p = (vech Σx, vec Σyx, λ) (:func:`.ssl_e1.pack_data`).  For generic complex p (E1) has K isolated
solutions, far fewer than the 2^N total-degree paths (K = 24 of 64 at m = 3, 124 of 1024 at m = 4).  They are
found once for one random complex p₀ by monodromy and checked against an independent total-degree homotopy
(:func:`e1_start`, shipped in ``symdyn/data/strata``).  E is homogeneous of degree 2 in p, so γp₀ has the same
solutions, and the K paths of p(t) = (1 − t)γp₀ + t p reach every isolated solution at the data (Morgan & Sommese
1989; a random γ keeps the path off the discriminant with probability one).  :func:`parameter_roots` accepts the
answer as complete when the distinct finite end points are all K, or a homotopy had no failed path; otherwise it
tracks again with an independent γ (at most ``MAX_RUNS`` homotopies) and, if neither holds then, says the roots may
be incomplete (two runs finding the same roots is no evidence: both can fail on the paths to one root).

Certification: every distinct end point is Newton-polished and α-tested in double precision (‖D²E‖ is constant,
E being quadratic); one that is not clearly non-real (‖Im x‖ > 10·2β with α < α₀/10) gets its root certified
by the Krawczyk test in double-precision ball arithmetic (:meth:`E1System.ball_system`, :mod:`symdyn.balls`): a
real box around Re x with exactly one root (real), or a complex box clear of the real subspace (a non-real root),
the end point lying on it (:func:`_certify_balls`).  One that fails both (too ill-conditioned for doubles, or a
non-real root too close to the reals to tell in doubles) is polished and α-certified at high precision in mpmath
from the closed form below (no SymPy), and certified real when the α-test passes at Re x in real arithmetic
(:func:`symdyn.polysolve.certify_roots`).
"""
from __future__ import annotations

import functools

import mpmath
import numpy as np

from ..balls import BOX_WIDTHS, Ball, concatenate, krawczyk_widths
from ..polysolve import (ALPHA0, PREDICTOR_TOL, CertifiedRoot, MPSystem, ProjectivePatch, certify_roots, distinct_rows,
                         monodromy_solve, safe_solve, solve_homotopy, track_segment)
from .ssl_e1 import homotopy_gamma, pack_data, psd_root_bound, split_data, unvech
from .start_systems import known_count, load_or_compute

__all__ = ["E1System", "e1_start", "e1_start_count", "parameter_roots", "MAX_RUNS"]

MAX_RUNS = 3  # homotopies with independent γ at most, until all K are reached or one has no failed path



class E1System:
    """(E1) as the square system vech E(S; p) = 0 in x = vech S, batched over P points in NumPy (no SymPy).

    F(X, p) (P, N); Fx(X, p) (P, N, N): ∂E/∂s_k = Σx B_k L + (Σx B_k L)ᵀ − Σyxᵀ B_k Σyx with L = SΣx + λI and B_k
    the symmetric basis matrix of s_k; Fp(X, p, dp) (P, N): the derivative in the data direction dp,
    dE = dLᵀL + LᵀdL − dΣyxᵀSΣyx − ΣyxᵀS dΣyx with dL = S dΣx + dλ I.  Transposes, never conjugates: the data
    are complex along the homotopy and E stays complex symmetric.  With ``x0`` (P,) the same for the homogenised
    E_h(S, x₀) = LᵀL − x₀ΣyxᵀSΣyx, L = SΣx + x₀λI (degree 2 in (x₀, S); E_h(S, 1) = E), tracked in projective
    space by :class:`ProjectiveChart`.

    Examples
    --------
    >>> import numpy as np
    >>> sysm = E1System(2)
    >>> p = pack_data(np.eye(2), np.eye(2), 0.0)[None]
    >>> float(np.abs(sysm.F(np.array([[1.0, 0.0, 1.0]]), p)).max())  # S = I solves S² = S when λ = 0
    0.0
    """

    def __init__(self, m: int):
        self.m = m
        self.iu = np.triu_indices(m)
        self.N = len(self.iu[0])
        self.basis = np.zeros((self.N, m, m))
        for k, (i, j) in enumerate(zip(*self.iu)):
            self.basis[k, i, j] = self.basis[k, j, i] = 1.0

    def matrices(self, X: np.ndarray) -> np.ndarray:
        """S (P, m, m) from x = vech S (P, N)."""
        return np.einsum("pk,kab->pab", X, self.basis)

    def _parts(self, X, p, x0):
        S = self.matrices(X)
        Sx, Syx, lam = split_data(p, self.m)
        x0 = np.ones(len(X)) if x0 is None else x0
        return S, Sx, Syx, S @ Sx + (x0 * lam)[:, None, None] * np.eye(self.m), x0[:, None, None]

    def _kernels(self):
        """The compiled kernels of this size (:func:`e1_kernels`), or None (NumPy route)."""
        return e1_kernels(self.m) if COMPILED else None

    def _compiled(self, name: str, X, p, x0, *extra):
        """The compiled kernel ``name`` at (X, x₀ (1 when None), p, *extra), or None when there is none."""
        k = self._kernels()
        if k is None or not len(X):
            return None
        return k[name](X, np.ones(len(X)) if x0 is None else x0, p, *extra)

    def F(self, X: np.ndarray, p: np.ndarray, x0: np.ndarray | None = None) -> np.ndarray:
        """(E1) (or, with ``x0``, its homogenisation) at the points X (P, N) and data p (P, q): compiled
        (:func:`e1_kernels`) or :meth:`F_numpy`."""
        out = self._compiled("F", X, p, x0)
        return self.F_numpy(X, p, x0) if out is None else out

    def Fx(self, X: np.ndarray, p: np.ndarray, x0: np.ndarray | None = None) -> np.ndarray:
        """∂F/∂x (P, N, N)."""
        return self.Fx_and_Fx0(X, p, x0)[0]

    def Fx0(self, X: np.ndarray, p: np.ndarray, x0: np.ndarray) -> np.ndarray:
        """∂F/∂x₀ of the homogenised system (P, N)."""
        return self.Fx_and_Fx0(X, p, x0)[1]

    def Fx_and_Fx0(self, X: np.ndarray, p: np.ndarray, x0: np.ndarray | None = None) -> tuple:
        """(∂F/∂x, ∂F/∂x₀) in one evaluation: compiled or :meth:`Fx_and_Fx0_numpy`."""
        out = self._compiled("J", X, p, x0)
        return self.Fx_and_Fx0_numpy(X, p, x0) if out is None else out

    def Fp(self, X: np.ndarray, p: np.ndarray, dp: np.ndarray, x0: np.ndarray | None = None) -> np.ndarray:
        """The derivative in the data direction dp (P, N): compiled or :meth:`Fp_numpy`."""
        out = self._compiled("Fp", X, p, x0, dp)
        return self.Fp_numpy(X, p, dp, x0) if out is None else out

    def Fx_and_Fx0_numpy(self, X: np.ndarray, p: np.ndarray, x0: np.ndarray | None = None) -> tuple:
        """(:meth:`Fx_numpy`, :meth:`Fx0_numpy`), x₀ = 1 when None."""
        x0 = np.ones(len(X)) if x0 is None else x0
        return self.Fx_numpy(X, p, x0), self.Fx0_numpy(X, p, x0)

    def F_numpy(self, X: np.ndarray, p: np.ndarray, x0: np.ndarray | None = None) -> np.ndarray:
        """:meth:`F` in batched NumPy: the definition (the compiled kernel is its trace)."""
        S, Sx, Syx, L, h = self._parts(X, p, x0)
        E = np.swapaxes(L, 1, 2) @ L - h * (np.swapaxes(Syx, 1, 2) @ S @ Syx)
        return E[:, self.iu[0], self.iu[1]]

    def _sandwich(self, P, Q):
        """(P B_k Q)_ad for every k, (n, N, m, m): B_k = w_k(e_i e_jᵀ + e_j e_iᵀ) (w = ½ on the diagonal), so
        P B_k Q = w_k (P[:, i] ⊗ Q[j, :] + P[:, j] ⊗ Q[i, :]) — outer products, no m×m×m contraction."""
        I, J = self.iu
        w = np.where(I == J, 0.5, 1.0)[None, :, None, None]
        return w * (np.einsum("pak,pkd->pkad", P[:, :, I], Q[:, J, :])
                    + np.einsum("pak,pkd->pkad", P[:, :, J], Q[:, I, :]))

    def Fx_numpy(self, X: np.ndarray, p: np.ndarray, x0: np.ndarray | None = None) -> np.ndarray:
        S, Sx, Syx, L, h = self._parts(X, p, x0)
        T = self._sandwich(Sx, L)
        D = T + np.swapaxes(T, 2, 3) - h[:, None] * self._sandwich(np.swapaxes(Syx, 1, 2), Syx)
        return np.swapaxes(D[:, :, self.iu[0], self.iu[1]], 1, 2)

    def Fx0_numpy(self, X: np.ndarray, p: np.ndarray, x0: np.ndarray) -> np.ndarray:
        """∂/∂x₀ of the homogenised E (below): λ(L + Lᵀ) − ΣyxᵀSΣyx, (P, N)."""
        S, Sx, Syx, L, h = self._parts(X, p, x0)
        lam = split_data(p, self.m)[2][:, None, None]
        D = lam * (L + np.swapaxes(L, 1, 2)) - np.swapaxes(Syx, 1, 2) @ S @ Syx
        return D[:, self.iu[0], self.iu[1]]

    def Fp_numpy(self, X: np.ndarray, p: np.ndarray, dp: np.ndarray, x0: np.ndarray | None = None) -> np.ndarray:
        S, Sx, Syx, L, h = self._parts(X, p, x0)
        dSx, dSyx, dlam = split_data(dp, self.m)
        dL = S @ dSx + (h[:, 0, 0] * dlam)[:, None, None] * np.eye(self.m)
        dE = (np.swapaxes(dL, 1, 2) @ L + np.swapaxes(L, 1, 2) @ dL
              - h * (np.swapaxes(dSyx, 1, 2) @ S @ Syx + np.swapaxes(Syx, 1, 2) @ S @ dSyx))
        return dE[:, self.iu[0], self.iu[1]]

    def hessian_norm(self, sigma_x: np.ndarray) -> float:
        """An upper bound of the Frobenius norm of the constant tensor D²E (all ordered pairs (k, l)):
        ∂²E/∂s_k∂s_l = Σx (B_k B_l + B_l B_k) Σx (computed in double precision, rounded up by 1e-12)."""
        Bsx = np.einsum("kab,bc->kac", self.basis, sigma_x)
        T = np.einsum("ab,kbc,lcd->klad", sigma_x, self.basis, Bsx)
        T = T + np.swapaxes(T, 0, 1)
        return float(np.linalg.norm(T[:, :, self.iu[0], self.iu[1]])) * (1 + 1e-12)

    def ball_system(self, sigma_x: np.ndarray, sigma_yx: np.ndarray, lam: float, complex_: bool = False) -> tuple:
        """(F, J): (E1) and its Jacobian in ball arithmetic (:mod:`symdyn.balls`) at the real data given (exactly
        representable floats), for :func:`symdyn.balls.krawczyk_balls`: F(X) Ball (n, N) -> Ball (n, N) and
        J(X) -> Ball (n, N, N), ∂E/∂s_k = Σx B_k L + (Σx B_k L)ᵀ − Σyxᵀ B_k Σyx, each enclosing the exact values
        over the box X.  With ``complex_``: the same for complex x as the real system (Re E, Im E) in
        (Re x, Im x), X (n, 2N), whose Jacobian is [[Re J, −Im J], [Im J, Re J]].

        Examples
        --------
        >>> import numpy as np
        >>> from symdyn.balls import Ball
        >>> F, J = E1System(1).ball_system(np.eye(1), np.array([[0.8]]), 0.12)   # (s + 0.12)² − 0.64 s
        >>> bool(F(Ball(np.array([[0.04]]))).contains(np.zeros((1, 1))).all())    # s = 0.04 is a root
        True
        """
        m, (I, Jc), N = self.m, self.iu, self.N
        full = np.empty((m, m), dtype=int)
        full[I, Jc] = full[Jc, I] = np.arange(N)
        Sx, Syx, eye = Ball(np.asarray(sigma_x, dtype=float)), Ball(np.asarray(sigma_yx, dtype=float)), np.eye(m)
        lamI = Ball(np.full((m, m), float(lam))) * eye  # λI, enclosing λ as given (a float: exact)
        SxB = Sx @ Ball(self.basis)  # (N, m, m): Σx B_k
        SyBSy = Syx.T @ Ball(self.basis) @ Syx  # (N, m, m): Σyxᵀ B_k Σyx

        def parts(X):
            S = X[:, full]  # (n, m, m)
            return S, S @ Sx + lamI

        def columns(L):  # (n, N, m, m): Σx B_k L + (Σx B_k L)ᵀ for every k
            T = SxB[None] @ L[:, None]
            return T + T.T

        def F(X):
            S, L = parts(X)
            E = L.T @ L - Syx.T @ S @ Syx
            return E[:, I, Jc]

        def J(X):  # column k of ∂E/∂s is the vech of D_k: (n, k, row) -> (n, row, k)
            return (columns(parts(X)[1]) - SyBSy[None])[:, :, I, Jc].T

        def Fc(X):  # complex (E1) as the real system (Re E, Im E) in (Re x, Im x): X (n, 2N)
            Sr, Lr = parts(X[:, :N])
            Si = X[:, N:][:, full]
            Li = Si @ Sx
            Er = Lr.T @ Lr - Li.T @ Li - Syx.T @ Sr @ Syx
            Ei = Lr.T @ Li + Li.T @ Lr - Syx.T @ Si @ Syx
            return concatenate([Er[:, I, Jc], Ei[:, I, Jc]])

        def Jc_(X):  # its Jacobian [[Re J, −Im J], [Im J, Re J]] (Cauchy–Riemann: E is polynomial in x)
            Jr = J(X[:, :N])
            Ji = columns(X[:, N:][:, full] @ Sx)[:, :, I, Jc].T
            return concatenate([concatenate([Jr, -Ji]), concatenate([Ji, Jr])], axis=1)
        return (F, J) if not complex_ else (Fc, Jc_)

    def mp_system(self, sigma_x: np.ndarray, sigma_yx: np.ndarray, lam: float) -> MPSystem:
        """The same system for mpmath (for :func:`symdyn.polysolve.certify_roots`), at the real data given
        (exactly representable floats: the normalised data of :func:`.ssl_e1.e1_scaling`)."""
        m, iu = self.m, self.iu
        Sx, Syx = mpmath.matrix(sigma_x.tolist()), mpmath.matrix(sigma_yx.tolist())
        B = [mpmath.matrix(b.tolist()) for b in self.basis]
        hess = self.hessian_norm(sigma_x)

        def parts(x):
            S = unvech(list(x), m)
            return S, S * Sx + mpmath.mpf(lam) * mpmath.eye(m)

        def f(*x):
            S, L = parts(x)
            E = L.T * L - Syx.T * S * Syx
            return [E[i, j] for i, j in zip(*iu)]

        def jac(*x):
            S, L = parts(x)
            cols = []
            for Bk in B:
                D = Sx * Bk * L
                D = D + D.T - Syx.T * Bk * Syx
                cols.append([D[i, j] for i, j in zip(*iu)])
            return [[cols[k][i] for k in range(self.N)] for i in range(self.N)]

        def tensor(*x):  # only its Frobenius norm is used (γ bound): one entry carrying it
            return [mpmath.mpf(hess)]
        return MPSystem(f, jac, [(2, tensor)], self.N)


class ProjectiveChart(ProjectivePatch):
    """(E1) homogenised, on the random affine chart c·(x₀, x) = 1 of projective space: unknowns y = (x₀, x)
    (:class:`symdyn.polysolve.ProjectivePatch` over all unknowns).

    A root of (E1) is y ∝ (1, x); a path that would go to infinity in x stays bounded and ends with x₀ = 0.
    Affine tracking loses those paths (they stall at |x| ~ 10³ short of t = 1) and with them the count; large
    finite roots (|x| ≫ 1) are ordinary points here."""

    def __init__(self, sysm: E1System, seed: int = 0):
        rng = np.random.default_rng(40_000 + sysm.m + seed)
        c = (rng.standard_normal(sysm.N + 1) + 1j * rng.standard_normal(sysm.N + 1)) / np.sqrt(2 * (sysm.N + 1))
        super().__init__(sysm, c=c)


#: E1System evaluates through compiled kernels (:func:`e1_kernels`) where SymEngine's LLVM backend is available
COMPILED = True


@functools.lru_cache(maxsize=None)
def e1_kernels(m: int) -> dict | None:
    """{"F", "J", "Fp"}: :meth:`E1System.F_numpy`, :meth:`E1System.Fx_and_Fx0_numpy` and :meth:`E1System.Fp_numpy`
    compiled to native code (:func:`.complex_codegen.compiled_functions`: F(X, x₀, p), J(X, x₀, p),
    Fp(X, x₀, p, dp)), built once per machine and m, checked against NumPy; None without an LLVM backend.

    Examples
    --------
    >>> import numpy as np
    >>> k = e1_kernels(2)
    >>> X, p = np.array([[1.0, 0.5, 2.0]]), pack_data(np.eye(2), np.eye(2), 0.1)[None]
    >>> k is None or bool(np.allclose(k["F"](X, np.ones(1), p), E1System(2).F_numpy(X, p)))
    True
    """
    from ..complex_codegen import compiled_functions

    sysm = E1System(m)
    N, q = sysm.N, m * (m + 1) // 2 + m * m + 1
    shapes = [(N,), (), (q,)]
    return compiled_functions(f"e1_m{m}", {
        "F": (lambda X, x0, p: sysm.F_numpy(X, p, x0), shapes),
        "J": (lambda X, x0, p: sysm.Fx_and_Fx0_numpy(X, p, x0), shapes),
        "Fp": (lambda X, x0, p, dp: sysm.Fp_numpy(X, p, dp, x0), shapes + [(q,)])})


@functools.lru_cache(maxsize=None)
def _system(m: int) -> E1System:
    return E1System(m)


def _name(m: int, seed: int) -> str:
    return f"m{m}_e1_s{seed}"


def e1_start_count(m: int, seed: int = 0) -> int | None:
    """The generic number of solutions of (E1) at size m if its start system is shipped or cached, else None.

    Examples
    --------
    >>> e1_start_count(3), e1_start_count(4), e1_start_count(7)     # shipped at m = 3, 4; not at 7
    (24, 124, None)
    """
    return known_count(_name(m, seed))


@functools.lru_cache(maxsize=None)
def e1_start(m: int, seed: int = 0, check: bool = True) -> tuple:
    """The solutions of (E1) at one random complex data point p₀: (p₀, solutions (K, N), info).

    Found by monodromy from one constructed solution: for random complex R, Σx (symmetric) and λ, S₀ = RᵀR and
    Σyx = R⁻¹L (L = S₀Σx + λI) give E(S₀) = LᵀL − LᵀR⁻ᵀRᵀRR⁻¹L = 0.  With ``check`` (the default when computing) an
    independent total-degree homotopy at p₀ counts the finite solutions again: info["count_check"] (must equal K,
    else a warning).  Shipped for m = 3, 4, 5 (``make strata``), else computed and cached (minutes at m = 5).

    Examples
    --------
    >>> p0, solutions, info = e1_start(3)                     # loaded from the shipped start system
    >>> solutions.shape, info["count"] == info["count_check"]  # 24 solutions in the 6 entries of S; recounted
    ((24, 6), True)
    """
    sysm = _system(m)

    def residual(sols, p0):
        return np.abs(sysm.F(sols, np.broadcast_to(p0, (len(sols), p0.size)))).max() / max(1.0, np.abs(sols).max()) ** 2
    return load_or_compute(_name(m, seed), residual, lambda: _compute_start(m, seed, check))


def _compute_start(m: int, seed: int, check: bool) -> tuple:
    import warnings

    import sympy as sp

    from .ssl_e1 import e1_system

    sysm = _system(m)
    rng = np.random.default_rng(30_000 + m + seed)

    def crandn(*shape):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)
    R, Sx, lam = crandn(m, m), crandn(m, m), complex(crandn(1)[0])
    Sx = (Sx + Sx.T) / 2
    S0 = R.T @ R
    Syx = np.linalg.solve(R, S0 @ Sx + lam * np.eye(m))
    p0 = pack_data(Sx, Syx, lam)
    sols, info = monodromy_solve(sysm.F, sysm.Fx, sysm.Fp, S0[sysm.iu], p0, seed=seed, stable_loops=6, linear=False)
    if check:  # the independent count: a total-degree homotopy at p₀ (SymPy builds it once; offline)
        eqs, unknowns, _ = e1_system(sp.Matrix(Sx), sp.Matrix(Syx), sp.nsimplify(0) + lam, m)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            td = solve_homotopy(eqs, unknowns, seed=seed, max_paths=2 ** sysm.N)
        info["count_check"] = int(td.complex_count)
        info["count_check_failed"] = int(td.failed)
        if td.complex_count != len(sols):
            warnings.warn(f"(E1) start system m = {m}: monodromy found {len(sols)} solutions, the total-degree "
                          f"homotopy {td.complex_count} ({td.failed} failed paths)", RuntimeWarning)
    return p0, sols, info


def _polish_and_alpha(sysm, X, p1, hess) -> tuple:
    """Complex Newton polish (double precision) and the double-precision α-test: (X, β, γ bound, α)."""
    P = np.broadcast_to(p1, (len(X), p1.size))
    with np.errstate(all="ignore"):
        for _ in range(4):
            X = X - np.linalg.solve(sysm.Fx(X, P), sysm.F(X, P)[..., None])[..., 0]
        J = sysm.Fx(X, P)
        Jinv = np.linalg.inv(J)
        beta = np.linalg.norm(np.einsum("pij,pj->pi", Jinv, sysm.F(X, P)), axis=1)
        gamma = np.linalg.norm(Jinv, axis=(1, 2)) * hess / 2
    return X, beta, gamma, beta * gamma


def _run(sysm, starts, p0, p1, rng, hess, bound) -> dict:
    """One parameter homotopy γp₀ → p₁ of all start solutions, in projective space (:class:`ProjectiveChart`).
    Paths that fail, and paths whose end point coincides with another's (a path jumped), are tracked again along
    the same path with smaller steps and a bound on the predictor's error (up to twice).  End points with
    |x₀| ≤ 1e-10·|y| (reached), or stalled late and far out (see ``at_infinity``), are at infinity.  Returns the
    distinct polished finite end points (closed under conjugation) with their β and α, and the counts of failed
    paths, paths at infinity and paths still ending on an already-reached root."""
    K = len(starts)
    chart = ProjectiveChart(sysm)
    Y0 = chart.lift(starts)
    Y = np.full(Y0.shape, np.nan, dtype=complex)
    ok = np.zeros(K, dtype=bool)
    X = np.full(starts.shape, np.nan, dtype=complex)
    beta = np.full(K, np.inf)
    alpha = np.full(K, np.inf)
    t_end = np.zeros(K)
    todo = np.arange(K)
    # one γ for every path and every retry: the end point a start reaches depends on γ (the paths of two γ
    # differ by a monodromy permutation), so a path tracked again with another γ could land on a root already
    # reached and leave one unreached; clear of the data's degenerate points (det Σx(t) = 0, ...)
    gamma = homotopy_gamma(rng, p0, p1, sysm.m)

    def at_infinity():
        # a stalled path is on its way to infinity when it stopped late (t ≥ 0.9) with |x₀| ≤ 1e-3·|y| and |S|
        # beyond ten times the bound on every PSD root (:func:`psd_root_bound`): roots at infinity are singular,
        # so the tracker stalls short of them
        r = chart.at_infinity(Y)
        with np.errstate(all="ignore"):
            far = np.linalg.norm(chart.affine(Y), axis=1) > 10 * bound
        return (ok & (r <= 1e-10)) | (~ok & (t_end >= 0.9) & (r <= 1e-3) & far)

    for attempt in range(3):
        W, okk, tt = track_segment(chart.F, chart.Fx, chart.Fp, Y0[todo].copy(), gamma * p0, p1,
                                   hmax=0.1 / 4 ** attempt, linear=False, max_steps=4000,
                                   predictor_tol=PREDICTOR_TOL if attempt else None, return_t=True)
        Y[todo], ok[todo], t_end[todo] = W, okk, tt
        infinite = at_infinity()
        idx = np.flatnonzero(ok & ~infinite)
        X[idx], beta[idx], _, alpha[idx] = _polish_and_alpha(sysm, chart.affine(Y[idx]), p1, hess)
        keep, dup = distinct_rows(X[idx], beta[idx])
        collided = set(int(i) for i in idx[dup])
        for j in dup:  # the path it collided with is suspect too
            near = np.linalg.norm(X[idx[keep]] - X[idx[j]], axis=1)
            collided.add(int(idx[keep][int(np.argmin(near))]))
        todo = np.array(sorted(set(np.flatnonzero(~ok & ~infinite)) | collided), dtype=int)
        if not todo.size or len(_conjugate_closure(X[idx[keep]], beta[idx[keep]], alpha[idx[keep]])[0]) == K:
            break
    infinite = at_infinity()
    finite = ok & ~infinite
    idx = np.flatnonzero(finite)
    keep, dup = distinct_rows(X[idx], beta[idx])
    Xc, bc, ac = _conjugate_closure(X[idx[keep]], beta[idx[keep]], alpha[idx[keep]])
    return {"X": Xc, "beta": bc, "alpha": ac, "surplus": len(dup), "failed": int((~ok & ~infinite).sum()),
            "infinite": int(infinite.sum())}


def _conjugate_closure(X, beta, alpha) -> tuple:
    """The end points with the complex conjugates of the non-real ones added (the data are real, so the roots come
    in conjugate pairs, with the same β and α): paths that jumped onto a root's conjugate lose nothing."""
    add = [i for i, x in enumerate(X) if np.linalg.norm(x.imag) > 2 * beta[i]
           and np.min(np.linalg.norm(X - x.conj(), axis=1)) > max(2 * (beta[i] + beta.max()), 1e-8 * max(1.0, np.linalg.norm(x)))]
    return (np.concatenate([X, X[add].conj()]), np.concatenate([beta, beta[add]]),
            np.concatenate([alpha, alpha[add]]))


BALL_WIDTHS = BOX_WIDTHS  # relative half-widths of the boxes tried by :func:`_certify_balls`


def _certify_balls(sysm: E1System, sigma_x, sigma_yx, lam: float, X: np.ndarray, beta: np.ndarray) -> list:
    """Krawczyk certificates in double-precision ball arithmetic (:meth:`E1System.ball_system`) of the roots that the
    end points X (n, N) (complex, polished; β: their last Newton steps) approximate.  Real first: Re x is
    Newton-polished in real arithmetic and a real box around it of relative half-width ``BALL_WIDTHS`` is tested; one
    that passes holds exactly one root, which is real.  Then the others as complex roots, on boxes in (Re x, Im x)
    that do not meet the real subspace (some |Im x_j| > ρ: the root in it is not real; a box meeting it could hold a
    real root, which must not be called complex).  Either way the root must be the end point's: x within
    2(β + √(2N)·ρ) of it (a complex end point's real part can lead Newton to another root).  Returns per point a
    :class:`~symdyn.polysolve.CertifiedRoot` (``method="krawczyk"``) or None (too ill-conditioned for doubles, or
    ambiguous: the caller tries mpmath's α-test)."""
    out: list = [None] * len(X)
    if not len(X):
        return out
    N = sysm.N
    p1 = pack_data(sigma_x, sigma_yx, lam)
    p = np.broadcast_to(p1, (len(X), p1.size))
    x = X.real.copy()
    with np.errstate(all="ignore"):
        for _ in range(3):  # real Newton (the end points were polished in complex arithmetic)
            x = x - safe_solve(sysm.Fx_numpy(x, p).real, sysm.F_numpy(x, p).real)  # NaN where singular
    size = np.maximum(np.abs(X).max(axis=1), 1.0)

    def mine(i, c, rho):  # the certified root (in the box around c) is end point i's
        return np.linalg.norm(X[i] - c) <= 2 * (beta[i] + np.sqrt(2 * N) * rho)

    for i, w in krawczyk_widths(*sysm.ball_system(sigma_x, sigma_yx, lam), x, size, BALL_WIDTHS,
                                lambda i, rho: mine(i, x[i], rho)):
        rho = w * size[i]
        out[i] = CertifiedRoot([mpmath.mpf(float(v)) for v in x[i]], float(np.sqrt(N) * rho / 2), float("nan"),
                               float("nan"), True, True, "krawczyk")
    rest = np.array([i for i in range(len(X)) if out[i] is None], dtype=int)
    if rest.size:
        Z = np.concatenate([X[rest].real, X[rest].imag], axis=1)

        def accept(k, rho):  # off the real subspace, and end point rest[k]'s
            return np.abs(X[rest[k]].imag).max() > rho and mine(rest[k], X[rest[k]], rho)

        for k, w in krawczyk_widths(*sysm.ball_system(sigma_x, sigma_yx, lam, complex_=True), Z, size[rest],
                                    BALL_WIDTHS, accept):
            z, rho = X[rest[k]], w * size[rest[k]]
            out[rest[k]] = CertifiedRoot([mpmath.mpc(complex(v)) for v in z], float(np.sqrt(2 * N) * rho / 2),
                                         float("nan"), float("nan"), True, False, "krawczyk")
    return out


def _max(v) -> float:
    return float(np.max(v)) if len(v) else 0.0


def _unmatched(P, Q, tol: float) -> list:
    """Indices of the rows of P with no row of Q within max(tol, 1e-8·|row|)."""
    return [i for i, x in enumerate(P) if not len(Q)
            or np.min(np.linalg.norm(Q - x, axis=1)) > max(tol, 1e-8 * max(1.0, np.linalg.norm(x)))]


def parameter_roots(sigma_x: np.ndarray, sigma_yx: np.ndarray, lam: float, seed: int, digits: int) -> dict:
    """All real roots of (E1) for real data (normalised: exactly representable), by parameter homotopies.

    Completeness (the rule of the rank strata, :func:`.ssl_strata.rank_stratum`): the distinct end points (closed
    under conjugation) of one homotopy are complete ("checked") when they are all K generic solutions (there are
    at most K isolated ones).  Otherwise homotopies with independent γ run (at most ``MAX_RUNS`` in all) until
    the union of their end points has all K, or one of them has no failed path (every path ended at a root or
    at infinity: see ``_run``).  Either settles it.  Two runs that merely found the same roots settle nothing:
    both can fail on the paths to the same ill-conditioned root (this happened in the rank-2 stratum at m = 3),
    and the answer is then incomplete and says so.
    Returns {"real": [CertifiedRoot], "complex_count", "diverged" (roots not reached), "defects" ('' when
    complete and every end point is certified), "notes", "method", "count" (K), "runs"}.

    Examples
    --------
    >>> import numpy as np
    >>> from symdyn.models.ssl_e1 import e1_scaling
    >>> Sx, Syx = np.diag([1.0, 2.0, 3.0]), np.eye(3) + 0.3 * np.random.default_rng(5).standard_normal((3, 3))
    >>> sc = e1_scaling(Sx, Syx, 0.1)
    >>> out = parameter_roots(Sx / sc["a"], Syx / sc["b"], sc["lam"], seed=0, digits=40)
    >>> out["complex_count"], len(out["real"]), all(r.certified for r in out["real"])
    (24, 4, True)
    """
    m = sigma_x.shape[0]
    p0, starts, info = e1_start(m)
    sysm = _system(m)
    K = info["count"]
    p1 = pack_data(sigma_x, sigma_yx, lam).astype(complex)
    hess = sysm.hessian_norm(sigma_x)
    bound = psd_root_bound(sigma_x, sigma_yx, lam)
    rng = np.random.default_rng(seed)
    runs: list = []
    X = np.zeros((0, sysm.N), dtype=complex)
    beta = alpha = np.zeros(0)
    while len(runs) < MAX_RUNS:
        r = _run(sysm, starts, p0, p1, rng, hess, bound)
        runs.append(r)
        new = _unmatched(r["X"], X, 2 * (_max(beta) + _max(r["beta"])))
        X, beta, alpha = (np.concatenate([u, r[k][new]]) for u, k in ((X, "X"), (beta, "beta"), (alpha, "alpha")))
        if len(X) >= K or not r["failed"]:
            break
    settled = len(X) >= K or any(not r["failed"] for r in runs)
    nonreal = (alpha < ALPHA0 / 10) & (np.linalg.norm(X.imag, axis=1) > 20 * beta)
    candidates = X[~nonreal]
    checked = _certify_balls(sysm, sigma_x, sigma_yx, lam, candidates, beta[~nonreal])
    rest = [x for x, c in zip(candidates, checked) if c is None]  # not certified in doubles: mpmath's α-test
    if rest:
        mp = sysm.mp_system(sigma_x, sigma_yx, lam)
        more = iter(certify_roots(None, None, rest, dps=digits, system=mp))
        checked = [next(more) if c is None else c for c in checked]
    real = [r for r in checked if r.certified and r.real]
    uncertified = sum(not r.certified for r in checked)
    defects, notes = [], []
    if len(X) < K:
        if settled:
            notes.append(f"{K - len(X)} of the {K} generic roots not reached: every path of a homotopy ended at a root "
                         f"or at infinity (stalled late beyond 10× the bound ‖S‖_F ≤ {bound:.3g} on PSD roots)")
        else:
            defects.append(f"{len(runs)} homotopies with independent γ each had failed paths "
                           f"({', '.join(str(r['failed']) for r in runs)}) and together reached {len(X)} of the {K} "
                           "generic roots: roots may be missing")
    if uncertified:
        defects.append(f"{uncertified} end point(s) failed the high-precision α-test")
    return {"real": real, "complex_count": len(X), "diverged": K - len(X), "defects": "; ".join(defects),
            "count": K, "notes": notes, "runs": len(runs),
            "method": f"parameter homotopy from the {K} generic solutions of (E1) (monodromy, checked by a "
                      "total-degree count), " + ("all K reached" if len(runs) == 1 and len(X) >= K else
                                                 "one homotopy, every path accounted for" if len(runs) == 1 else
                                                 f"{len(runs)} homotopies with independent γ")}
