"""The rank-deficient strata of the linear SSL equilibrium set (``ssl_linear.md`` §6, all ranks).

Every SG/EMA equilibrium (λ > 0) has B from (E2) and S = AᵀA a PSD solution of the un-cancelled equation

    S E(S) = 0,   E(S) = (Σx S + λI)(S Σx + λI) − Σxy S Σyx                                      (E1')

(only S E(S) = 0 is forced; (E1) is E(S) = 0, its cancelled form for invertible S).  E(S) is symmetric.  The
rank-r solutions are computed in a chart of the rank-r symmetric matrices,

    S = Wᵀ P W,   W = [I_r, K] M     (P r×r symmetric invertible, K r×(m − r), M m×m invertible),

with N = r(r + 1)/2 + r(m − r) unknowns x = (vech P, vec K), the dimension of that variety (no group orbit to
slice).  As S = WᵀPW with P invertible and W of full row rank, S E(S) = 0 ⟺ W E(S) = 0, and with Z = Mᵀ[0; I]
(so that [Wᵀ, Z] = Mᵀ[[I, 0], [Kᵀ, I]] is invertible) ⟺ W E Wᵀ = 0 and W E Z = 0.  W E Wᵀ is symmetric, so

    vech(W E(S) Wᵀ) = 0   (r(r + 1)/2 rows),     W E(S) Z = 0   (r(m − r) rows)                     (C_r)

is a square system, equivalent to (E1') where P is invertible (no randomisation).  It also has solutions with P
singular (S of lower rank with W E(S) = 0: another component), which are never start points; a path ending near
one has an S of numerical rank below r, which is not listed.  (C_r) is homogeneous of degree 2 in the data
p = (Σx, Σyx, λ), so γp₀ has the solutions of p₀, and the K generic
solutions for one random complex p₀ (found once per shape (m, r) by monodromy and shipped or cached) are carried to
the data by the parameter homotopy p(t) = (1 − t)γp₀ + t p (Morgan & Sommese 1989).  A path whose chart
coordinates grow (|K| > ``K_MAX``: S approaches the chart's boundary, where the leading block of M⁻ᵀSM⁻¹ is
singular) continues from the same S and t in a chart centred at S (M = Uᵀ, U unitary with its first r columns
spanning the range of S, so K = 0 there): the path is one path on the rank-r variety, only its coordinates change.
Every path has its own chart inside one batched tracking run (the tracker's ``rechart``), so a path is re-centred
as soon as |K| > 1 at the cost of one SVD (at m = 4, r = 1 this cut one path's 815 steps, crawling at |K| ≈ 80, to
a few dozen; a whole rank-3 run from about 18 s to 7–20 s).
Generic counts K: 2m at r = 1, 30 at (3, 2), 84 at (4, 2) (a quarter of the (V, B̃) formulation's, which counted
each S four times on its O(2, ℂ)-orbit slice); 288 at (4, 3) (two independent monodromies).

The reduced form used in ``ssl_linear.md`` §6: with A = U K̃ and S = V Vᵀ (V = K̃ᵀ, m × r), G = VᵀV,
H = VᵀΣxV, F = VᵀΣyxV and the reduced predictor B̃ (r × r),

    Σx V G + λ V = Σxy V B̃        (m × r)        B̃ (H + λI) = F        (r × r)                  (R_r)

(:func:`stratum_residuals` evaluates it at a real root).
"""
from __future__ import annotations

import functools
import warnings

import numpy as np
import scipy.linalg

from ..balls import Ball, concatenate, krawczyk_widths
from ..polysolve import (PREDICTOR_TOL, ProjectivePatch, distinct_rows, monodromy_solve, safe_solve, same_point,
                         track_segment)
from .ssl_e1 import e2_predictor, homotopy_gamma, pack_data, split_data as _data, unvech
from .start_systems import known_count, load_or_compute

__all__ = ["RankChart", "stratum_residuals", "stratum_start", "stratum_count", "rank_stratum", "pack_data"]

END_RESIDUAL = 1e-8  # relative ‖S E(S)‖ of a polished end point above which the path counts as failed
MAX_RUNS = 3  # homotopies with independent γ at most, until every generic solution is found
K_MAX = 1.0  # a path whose chart coordinate |K|_F exceeds this continues in a chart centred at its S (where K = 0)


class RankChart:
    """The square system (C_r) of the rank-r solutions of S E(S) = 0 in the chart S = WᵀPW, W = [I_r, K]M,
    batched over P points in NumPy (no SymPy).

    F(X, p) (P, N) with X = (vech P, vec K) (P, N) and data p (P, q) (:func:`.ssl_e1.pack_data`);
    Fx(X, p) (P, N, N) by the product rule along the N coordinate directions,
    dS = dWᵀPW + WᵀdPW + WᵀPdW, dE = dLᵀL + LᵀdL − ΣyxᵀdSΣyx (L = SΣx + λI, dL = dSΣx),
    d(WEWᵀ) = dW E Wᵀ + W dE Wᵀ + W E dWᵀ, d(WEZ) = dW E Z + W dE Z;
    Fp(X, p, dp) (P, N): the derivative in the data direction dp, dE = dLᵀL + LᵀdL − dΣyxᵀSΣyx − ΣyxᵀSdΣyx with
    dL = S dΣx + dλ I.  Transposes, never conjugates: along the homotopy everything is complex symmetric.

    Examples
    --------
    >>> import numpy as np
    >>> chart = RankChart(2, 1, np.eye(2))
    >>> S = np.array([[[1.0, 0.0], [0.0, 0.0]]])          # S = e₁e₁ᵀ: Σx = I, Σyx = I, λ = 0 give S² = S
    >>> X = chart.coordinates(S)
    >>> float(np.abs(chart.F(X, pack_data(np.eye(2), np.eye(2), 0.0)[None])).max())
    0.0
    """

    def __init__(self, m: int, r: int, M: np.ndarray):
        if not 1 <= r < m:
            raise ValueError(f"r: expected 1 <= r < m = {m}, got {r}")
        self.m, self.r, self.M = m, r, np.asarray(M)
        self.q = r * (r + 1) // 2
        self.N = self.q + r * (m - r)
        self.iu = np.triu_indices(r)
        self.Pbasis = np.zeros((self.q, r, r))
        for k, (i, j) in enumerate(zip(*self.iu)):
            self.Pbasis[k, i, j] = self.Pbasis[k, j, i] = 1.0

    @property
    def Z(self) -> np.ndarray:
        """Z = Mᵀ[0; I] (m × (m − r), or per point (n, m, m − r)): its columns span the complement of W's rows."""
        return np.swapaxes(self.M, -1, -2)[..., :, self.r:]

    @classmethod
    def centred(cls, S: np.ndarray, r: int) -> "RankChart":
        """The chart in which the (complex symmetric, rank-r) S has K = 0: M = Uᵀ with U from the SVD of S (its
        first r columns span the range of S, and U is unitary, so M is perfectly conditioned).  For S (n, m, m)
        one chart per point (M (n, m, m))."""
        U = np.linalg.svd(S)[0]
        return cls(S.shape[-1], r, np.swapaxes(U, -1, -2))

    def at(self, rows: np.ndarray | None = None) -> "RankChart":
        """The chart of the points ``rows`` (a chart with one M per point, :meth:`per_point`, restricted to them;
        the chart itself when it has one M for all points or ``rows`` is None)."""
        if rows is None or self.M.ndim == 2:
            return self
        out = object.__new__(RankChart)
        out.__dict__.update(self.__dict__)
        out.M = self.M[rows]
        return out

    def per_point(self, n: int) -> "RankChart":
        """A copy with its own M for each of n points (to be re-centred point by point: :meth:`recentre`)."""
        out = object.__new__(RankChart)
        out.__dict__.update(self.__dict__)
        out.M = np.array(np.broadcast_to(self.M, (n, self.m, self.m)), dtype=complex)
        return out

    def recentre(self, rows: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Move the points ``rows`` (coordinates X (k, N) in their current charts) to the charts centred at their S
        (in place, for a chart with one M per point); returns their new coordinates (K = 0)."""
        S = self.at(rows).matrices(X)
        self.M[rows] = RankChart.centred(S, self.r).M
        return self.at(rows).coordinates(S)

    def parts(self, X: np.ndarray) -> tuple:
        """(P (n, r, r), W (n, r, m)) of the points X (n, N)."""
        n = len(X)
        P = np.einsum("pk,kab->pab", X[:, : self.q], self.Pbasis)
        K = X[:, self.q:].reshape(n, self.r, self.m - self.r)
        W = np.concatenate([np.broadcast_to(np.eye(self.r), (n, self.r, self.r)), K], axis=2) @ self.M
        return P, W

    def matrices(self, X: np.ndarray) -> np.ndarray:
        """S = WᵀPW (n, m, m) of the points X (n, N)."""
        P, W = self.parts(X)
        return np.swapaxes(W, 1, 2) @ P @ W

    def coordinates(self, S: np.ndarray) -> np.ndarray:
        """x = (vech P, vec K) (n, N) of rank-r matrices S (n, m, m) (their leading block in M⁻ᵀSM⁻¹ invertible)."""
        Minv = np.linalg.inv(self.M)
        T = np.swapaxes(Minv, -1, -2) @ S @ Minv
        r = self.r
        P = T[:, :r, :r]
        K = np.linalg.solve(P, T[:, :r, r:])
        return np.concatenate([P[:, self.iu[0], self.iu[1]], K.reshape(len(S), -1)], axis=1)

    def k_norm(self, X: np.ndarray) -> np.ndarray:
        """|K|_F of each point (n,): large near the chart's boundary."""
        return np.linalg.norm(X[:, self.q:], axis=1)

    def _rows(self, top, bottom):
        lead = top.shape[:-2]
        return np.concatenate([top[..., self.iu[0], self.iu[1]], bottom.reshape(lead + (-1,))], axis=-1)

    def _state(self, X, p, x0=None):
        P, W = self.parts(X)
        Wt = np.swapaxes(W, 1, 2)
        S = Wt @ P @ W
        Sx, Syx, lam = _data(p, self.m)
        h = np.ones(len(X)) if x0 is None else x0
        L = S @ Sx + (h * lam)[:, None, None] * np.eye(self.m)
        E = np.swapaxes(L, 1, 2) @ L - h[:, None, None] * (np.swapaxes(Syx, 1, 2) @ S @ Syx)
        return P, W, Wt, S, Sx, Syx, L, E, h[:, None, None]

    def _kernels(self):
        """The compiled kernels of this shape (:func:`chart_kernels`), or None (NumPy route)."""
        return chart_kernels(self.m, self.r) if COMPILED else None

    def _compiled(self, name: str, X, p, x0, *extra):
        """The compiled kernel ``name`` at (X, x₀ (1 when None), p, M, *extra), or None when there is none."""
        k = self._kernels()
        if k is None or not len(X):
            return None
        return k[name](X, np.ones(len(X)) if x0 is None else x0, p, self.M, *extra)

    def F(self, X: np.ndarray, p: np.ndarray, x0: np.ndarray | None = None,
          rows: np.ndarray | None = None) -> np.ndarray:
        """(C_r) at the points X (n, N) and data p (n, q); with ``x0`` (n,) the system homogenised in (x₀, P):
        L = SΣx + x₀λI, E = LᵀL − x₀ΣyxᵀSΣyx (degree 2 in (x₀, P); x₀ = 1 gives (C_r)).  ``rows``: the points'
        indices in a chart with one M per point (:meth:`at`), as for Fx, Fx0 and Fp.  Evaluated by the compiled
        kernel of the shape when there is one (:func:`chart_kernels`), else by :meth:`F_numpy`."""
        if rows is not None:
            return self.at(rows).F(X, p, x0)
        out = self._compiled("F", X, p, x0)
        return self.F_numpy(X, p, x0) if out is None else out

    def F_numpy(self, X: np.ndarray, p: np.ndarray, x0: np.ndarray | None = None) -> np.ndarray:
        """:meth:`F` in batched NumPy: the definition (the compiled kernel is its trace)."""
        _, W, Wt, _, _, _, _, E, _ = self._state(X, p, x0)
        WE = W @ E
        return self._rows(WE @ Wt, WE @ self.Z)

    def Fx(self, X: np.ndarray, p: np.ndarray, x0: np.ndarray | None = None,
           rows: np.ndarray | None = None) -> np.ndarray:
        return self.Fx_and_Fx0(X, p, x0, rows)[0]

    def Fx_and_Fx0(self, X: np.ndarray, p: np.ndarray, x0: np.ndarray | None = None,
                   rows: np.ndarray | None = None) -> tuple:
        """(∂F/∂x (n, N, N), ∂F/∂x₀ (n, N)) from one evaluation of S, L, E, in small factors (no (n, N, m, m) array).

        F is W E C cut to its vech and Z parts, C = [Wᵀ, Z].  With dE = Σx dS L + Lᵀ dS Σx − x₀Σyxᵀ dS Σyx,
        W dE C = Σₛ Aₛ dS Bₛ, (A, B) = (WΣx, LC), (WLᵀ, ΣxC), (−x₀WΣyxᵀ, ΣyxC).  Every direction's dS is
        αᵀβ + βᵀα with rows α, β (P_ab: W_a, W_b; K_ij: M_{r+j}, (PW)_i), so A dS B = (Aαᵀ)(βB) + (Aβᵀ)(αB):
        Σₛ over outer products of columns of AWᵀ, AM_bᵀ, A(PW)ᵀ with rows of WB, (PW)B, M_bB, three (n, ·, 3) @
        (n, 3, ·) matmuls.  Along K_ij also dW = e_i M_{r+j}: dW E C adds (M_b E C)_j to row i, and W E dWᵀ adds
        (W E M_bᵀ)_j to column i of the vech part.  Every Jacobian entry is a sum of at most four of these numbers,
        gathered by index maps computed once per shape (:func:`_jacobian_maps`)."""
        if rows is not None:
            return self.at(rows).Fx_and_Fx0(X, p, x0)
        out = self._compiled("J", X, p, x0)
        return self.Fx_and_Fx0_numpy(X, p, x0) if out is None else out

    def Fx_and_Fx0_numpy(self, X: np.ndarray, p: np.ndarray, x0: np.ndarray | None = None) -> tuple:
        """:meth:`Fx_and_Fx0` in batched NumPy (the definition)."""
        P, W, Wt, S, Sx, Syx, L, E, h = self._state(X, p, x0)
        n, m, r, k = len(X), self.m, self.r, self.m - self.r
        Mb = np.broadcast_to(self.M[..., r:, :], (n, k, m))
        C = np.concatenate([Wt, np.broadcast_to(self.Z, (n, m, k))], axis=2)  # (n, m, m)
        Lt = np.swapaxes(L, 1, 2)
        A = np.stack([W @ Sx, W @ Lt, -h * (W @ np.swapaxes(Syx, 1, 2))], axis=1)  # (n, 3, r, m)
        B = np.stack([L @ C, Sx @ C, Syx @ C], axis=1)  # (n, 3, m, m)
        rows_ = np.concatenate([W, P @ W, Mb], axis=1)[:, None]  # (n, 1, 2r + k, m): W, PW, M_b
        left = (rows_ @ np.swapaxes(A, 2, 3)).transpose(0, 2, 3, 1)  # (n, 2r + k, r, 3): AWᵀ, A(PW)ᵀ, AM_bᵀ by column
        right = rows_ @ B  # (n, 3, 2r + k, m): WB, (PW)B, M_bB

        def outer(a, b):  # Σₛ a[:, c, u, s] b[:, s, d, v], flattened over ((c, u), (d, v))
            return (a.reshape(n, -1, 3) @ b.reshape(n, 3, -1)).reshape(n, -1)

        parts = [outer(left[:, :r], right[:, :, :r]),  # T[(a, u), (b, v)]: along P_ab
                 outer(left[:, 2 * r:], right[:, :, r: 2 * r]),  # O1[(j, u), (i, v)]: K_ij, (AM_bᵀ)_j ⊗ ((PW)B)_i
                 outer(left[:, r: 2 * r], right[:, :, 2 * r:]),  # O2[(i, u), (j, v)]: K_ij, (A(PW)ᵀ)_i ⊗ (M_bB)_j
                 (Mb @ E @ C).reshape(n, -1),  # (M_b E C)[j, v]
                 (Mb @ np.swapaxes(E, 1, 2) @ Wt).reshape(n, -1),  # (W E M_bᵀ)ᵀ[j, u]
                 np.zeros((n, 1))]
        V = np.concatenate(parts, axis=1)
        I1, I2, I3, I4, half = _jacobian_maps(m, r)
        Jx = V[:, I1] + V[:, I2] + V[:, I3] + V[:, I4]
        Jx[:, :, half] /= 2
        lam = p[:, -1][:, None, None]
        WdE = W @ (lam * (L + Lt) - np.swapaxes(Syx, 1, 2) @ S @ Syx)
        return Jx, self._rows(WdE @ Wt, WdE @ self.Z)

    def Fx0(self, X: np.ndarray, p: np.ndarray, x0: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """∂/∂x₀ of the homogenised rows: dE = λ(L + Lᵀ) − ΣyxᵀSΣyx, (n, N)."""
        return self.Fx_and_Fx0(X, p, x0, rows)[1]

    def Fp(self, X: np.ndarray, p: np.ndarray, dp: np.ndarray, x0: np.ndarray | None = None,
           rows: np.ndarray | None = None) -> np.ndarray:
        if rows is not None:
            return self.at(rows).Fp(X, p, dp, x0)
        out = self._compiled("Fp", X, p, x0, dp)
        return self.Fp_numpy(X, p, dp, x0) if out is None else out

    def Fp_numpy(self, X: np.ndarray, p: np.ndarray, dp: np.ndarray, x0: np.ndarray | None = None) -> np.ndarray:
        """:meth:`Fp` in batched NumPy (the definition)."""
        _, W, Wt, S, Sx, Syx, L, _, h = self._state(X, p, x0)
        dSx, dSyx, dlam = _data(dp, self.m)
        dL = S @ dSx + (h[:, 0, 0] * dlam)[:, None, None] * np.eye(self.m)
        dE = (np.swapaxes(dL, 1, 2) @ L + np.swapaxes(L, 1, 2) @ dL
              - h * (np.swapaxes(dSyx, 1, 2) @ S @ Syx + np.swapaxes(Syx, 1, 2) @ S @ dSyx))
        WdE = W @ dE
        return self._rows(WdE @ Wt, WdE @ self.Z)


@functools.lru_cache(maxsize=None)
def _jacobian_maps(m: int, r: int) -> tuple:
    """Index maps of :meth:`RankChart.Fx_and_Fx0` for the shape (m, r): four (N, N) arrays of positions in its
    concatenated factors (the last position holds a zero, for entries with fewer terms) whose sum is the Jacobian,
    and the P_aa columns to halve."""
    k = m - r
    iu = np.triu_indices(r)
    q = len(iu[0])
    N = q + r * k
    sizes = [r * r * r * m, k * r * r * m, r * r * k * m, k * m, k * r]
    base = np.concatenate([[0], np.cumsum(sizes)])
    zero = base[-1]
    outputs = [(u, v) for u, v in zip(*iu)] + [(u, r + c) for u in range(r) for c in range(k)]
    maps = np.full((4, N, N), zero)
    for f, (u, v) in enumerate(outputs):
        for d, (a, b) in enumerate(zip(*iu)):
            maps[0, f, d] = base[0] + (a * r + u) * (r * m) + b * m + v
            maps[1, f, d] = base[0] + (b * r + u) * (r * m) + a * m + v
        for i in range(r):
            for j in range(k):
                d = q + i * k + j
                maps[0, f, d] = base[1] + (j * r + u) * (r * m) + i * m + v
                maps[1, f, d] = base[2] + (i * r + u) * (k * m) + j * m + v
                if u == i:
                    maps[2, f, d] = base[3] + j * m + v
                if v == i:
                    maps[3, f, d] = base[4] + j * r + u
    return (*maps, np.flatnonzero(iu[0] == iu[1]))


#: rank charts evaluate F, its Jacobians and Fp through compiled kernels (:func:`chart_kernels`) where SymEngine's
#: LLVM backend is available; False: batched NumPy throughout (the definition the kernels are traced from)
COMPILED = True


@functools.lru_cache(maxsize=None)
def chart_kernels(m: int, r: int) -> dict | None:
    """{"F", "J", "Fp"}: :meth:`RankChart.F`, :meth:`RankChart.Fx_and_Fx0` and :meth:`RankChart.Fp` of the shape
    (m, r) compiled to native code (:func:`.complex_codegen.compiled_functions`: the trace of the NumPy methods with
    x₀, the data p and the chart's M as arguments: F(X, x₀, p, M), J(X, x₀, p, M) -> (∂F/∂x, ∂F/∂x₀),
    Fp(X, x₀, p, M, dp)); built once per machine and shape (0.2 s at (2, 1), 3 s at (4, 3)) and kept in the user
    cache, each checked against NumPy at random complex points when built or read.  None without an LLVM backend.

    Examples
    --------
    >>> import numpy as np
    >>> k = chart_kernels(2, 1)
    >>> rng = np.random.default_rng(0)
    >>> X, p, M = (rng.standard_normal(s) + 1j * rng.standard_normal(s) for s in [(3, 2), (3, 8), (2, 2)])
    >>> chart = RankChart(2, 1, M)
    >>> k is None or bool(np.allclose(k["F"](X, np.ones(3), p, M), chart.F_numpy(X, p)))
    True
    """
    from ..complex_codegen import compiled_functions

    N = r * (r + 1) // 2 + r * (m - r)
    q = m * (m + 1) // 2 + m * m + 1
    shapes = [(N,), (), (q,), (m, m)]
    return compiled_functions(f"rank_chart_m{m}_r{r}", {
        "F": (lambda X, x0, p, M: RankChart(m, r, M).F_numpy(X, p, x0), shapes),
        "J": (lambda X, x0, p, M: RankChart(m, r, M).Fx_and_Fx0_numpy(X, p, x0), shapes),
        "Fp": (lambda X, x0, p, M, dp: RankChart(m, r, M).Fp_numpy(X, p, dp, x0), shapes + [(q,)])})


def _name(m: int, r: int, seed: int) -> str:
    return f"m{m}_rank{r}_s{seed}"


def stratum_count(m: int, r: int, seed: int = 0) -> int | None:
    """The generic number of rank-r solutions S of (E1') (the solutions of (C_r)) if the start system is known
    (shipped or cached), else None (computing it is the expensive step).

    Examples
    --------
    >>> stratum_count(3, 1), stratum_count(4, 3), stratum_count(5, 2)    # 2m at r = 1; (5, 2) not shipped
    (6, 288, None)
    """
    return known_count(_name(m, r, seed))


def _start_rng(m: int, r: int, seed: int):
    return np.random.default_rng(100 + 10 * m + r + 1000 * seed)


def _crandn(rng, *shape):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)


def _start_pair(m: int, r: int, rng) -> tuple:
    """A random complex rank-r S₀ = VVᵀ and data p₀ with S₀E(S₀; p₀) = 0, by construction: for random V, Σx, λ
    let L = S₀Σx + λI, N = LV and C = (NᵀN)^{-1/2}NᵀL; any Σyx with VᵀΣyx = C gives
    VᵀΣyxᵀVVᵀΣyx = (CV)ᵀC = NᵀΠL = NᵀL = VᵀLᵀL (Π = N(NᵀN)⁻¹Nᵀ, NᵀΠ = Nᵀ), i.e. S₀E(S₀) = 0."""
    V = _crandn(rng, m, r)
    Sx = _crandn(rng, m, m)
    Sx = (Sx + Sx.T) / 2
    lam = complex(_crandn(rng, 1)[0])
    L = V @ V.T @ Sx + lam * np.eye(m)
    N = L @ V
    C = np.linalg.solve(scipy.linalg.sqrtm(N.T @ N), N.T) @ L
    Pi = V @ np.linalg.solve(V.T @ V, V.T)
    Syx = V @ np.linalg.solve(V.T @ V, C) + (np.eye(m) - Pi) @ _crandn(rng, m, m)
    return V @ V.T, pack_data(Sx, Syx, lam)


def stratum_start(m: int, r: int, seed: int = 0) -> tuple:
    """The solutions of (C_r) for one random complex parameter point p₀ (found by monodromy; cached per shape).

    Returns (p₀, solutions (K, N) complex, info {"loops", "paths", "failed", "M" (the chart), "count",
    "count_check" (the count found by an independent computation: 0 if none), "source"}).  The count K is the
    number of rank-r solutions of (E1') for generic data: an invariant of (m, r).  Cached per (m, r, seed).
    Start systems are read from the package's data (``symdyn/data/strata``, made by ``make strata``) or the user
    cache (:mod:`.start_systems`) after checking every residual; otherwise computed and cached.

    Examples
    --------
    >>> p0, starts, info = stratum_start(3, 2)
    >>> starts.shape, info["count"] == info["count_check"]   # 30 solutions in N = 3 + 2 chart coordinates; recounted
    ((30, 5), True)
    """
    return _stratum_start(int(m), int(r), int(seed))


@functools.lru_cache(maxsize=None)
def _stratum_start(m: int, r: int, seed: int) -> tuple:
    def residual(sols, p0, M):  # from S itself (chart coordinates can be large)
        Sx, Syx, lam = _data(p0[None], m)
        return float(np.max(_relative_residuals(Sx, Syx, lam, RankChart(m, r, M).matrices(sols))))
    return load_or_compute(_name(m, r, seed), residual, lambda: _compute_start(m, r, seed), arrays=("M",))


def _compute_start(m: int, r: int, seed: int, check: bool = True) -> tuple:
    """Monodromy from a constructed solution (:func:`_start_pair`); with ``check`` a second monodromy from another
    chart, data point and start (independent randomness) counts again: info["count_check"] (monodromy counts are
    lower bounds, so agreement of two is the evidence that neither stopped early)."""
    rng = _start_rng(m, r, seed)
    M = _crandn(rng, m, m)
    p0, sols, info = _monodromy(m, r, M, rng, seed)
    if check:
        rng2 = _start_rng(m, r, seed + 1)
        M2 = _crandn(rng2, m, m)
        _, sols2, _ = _monodromy(m, r, M2, rng2, seed + 1)
        info["count_check"] = len(sols2)
        if len(sols2) != len(sols):
            warnings.warn(f"rank-{r} start system m = {m}: two monodromies found {len(sols)} and {len(sols2)} "
                          "solutions", RuntimeWarning, stacklevel=2)
    return p0, sols, info


def _monodromy(m: int, r: int, M, rng, seed: int) -> tuple:
    chart = RankChart(m, r, M)
    S0, p0 = _start_pair(m, r, rng)
    x0 = chart.coordinates(S0[None])[0]

    def track(X, pa, pb):  # in projective space, changing charts where K grows; back in the chart M at the end
        Sh, h, ok, _, _ = _track_charted(chart, X, pa, pb, hmax=0.05, max_steps=4000)
        with np.errstate(all="ignore"):
            ok &= np.abs(h) > 1e-8 * np.linalg.norm(Sh, axis=(1, 2))
        # only rank-r end points: (C_r) also holds at some S of lower rank (P singular), another component
        with np.errstate(all="ignore"):
            sv = np.linalg.svd(Sh, compute_uv=False)
        ok &= np.isfinite(sv).all(axis=1)
        ok[ok] &= sv[ok, r - 1] > 1e-8 * sv[ok, 0]
        Y = np.full(X.shape, np.nan, dtype=complex)
        if ok.any():
            Y[ok] = chart.coordinates(Sh[ok] / h[ok, None, None])
            ok &= np.isfinite(Y).all(axis=1)
        return Y, ok
    sols, info = monodromy_solve(chart.F, chart.Fx, chart.Fp, x0, p0, seed=seed, stable_loops=8, linear=False,
                                 track=track)
    info["M"] = M
    return p0, sols, info


def stratum_residuals(sigma_x: np.ndarray, sigma_yx: np.ndarray, lam: float, V: np.ndarray, B: np.ndarray) -> float:
    """max |(R_r)| at a real (V, B̃) (V m×r, B̃ r×r), relative to the size of the terms.

    Examples
    --------
    >>> from symdyn.instances import random_moments
    >>> Sx, Syx, _ = random_moments(2, seed=0)
    >>> out = rank_stratum(Sx, Syx, 0.01, r=1)
    >>> max(stratum_residuals(Sx, Syx, 0.01, V, B) for V, B in zip(out["V"], out["B"])) < 1e-14
    True
    """
    V, B = np.asarray(V), np.asarray(B)
    r = V.shape[1]
    G, H, F = V.T @ V, V.T @ sigma_x @ V, V.T @ sigma_yx @ V
    rows = np.concatenate([np.ravel(sigma_x @ V @ G + lam * V - sigma_yx.T @ V @ B),
                           np.ravel(B @ (H + lam * np.eye(r)) - F)])
    scale = (np.linalg.norm(sigma_x) * np.linalg.norm(V) ** 3 + lam * np.linalg.norm(V)
             + np.linalg.norm(sigma_yx) * np.linalg.norm(V) * (np.linalg.norm(B) + np.linalg.norm(V)))
    return float(np.abs(rows).max() / max(scale, 1e-300))


def rank_stratum(sigma_x: np.ndarray, sigma_yx: np.ndarray, lam: float, r: int, seed: int = 0,
                 rel_tol: float = 1e-8) -> dict:
    """The real PSD rank-r solutions S of (E1') for the data (Σx, Σyx, λ), 1 ≤ r < m.

    The K generic solutions of (C_r) (:func:`stratum_start`) are carried to the data by the parameter homotopy
    p(t) = (1 − t)γp₀ + t p (γ random complex: (C_r) is homogeneous in p, so γp₀ has the solutions of p₀, and the
    path avoids the discriminant with probability one), switching charts where the coordinates grow, so every
    isolated rank-r solution for the data is the end of a path.  Real roots: S real and PSD (relative imaginary
    part and negative eigenvalues below ``rel_tol``) of numerical rank r; each is polished by Newton's method on
    (C_r) in real arithmetic in the chart centred at it, and de-duplicated.

    Completeness: the K end points of one homotopy are every isolated solution for the data when no path failed
    (coefficient-parameter homotopy, Morgan & Sommese 1989).  Two homotopies with independent γ run together in one
    batched run, which ends as soon as the union of their distinct finite end points (each Newton-polished in the
    chart centred at it; one that does not solve the equations counts as a failed path) has all K generic
    solutions, or one of them has ended with no failed path; if neither holds at the end, a third homotopy runs
    (``MAX_RUNS`` in all).  Either settles it ("agree");
    otherwise the stratum is incomplete and says so (two runs reaching the same real roots is not enough: both can
    miss a root whose paths pass close to an ill-conditioned point, as was seen).

    Returns {"S": [m × m], "V": [m × r] (S = VVᵀ), "B": [r × r] (B̃ from (E2)), "residuals" (relative (C_r)
    residual after polishing), "count" (generic count K of the shape), "distinct" (distinct finite solutions found,
    complex ones included), "finite" (paths of the last run ending at finite points), "infinite" (paths ending at
    infinity), "failed" (paths of the last run that did not reach t = 1; 0 when the union settled them), "runs",
    "agree" (complete, as above), "unresolved" (real end points whose r-th eigenvalue is below 1e-3·rel_tol of the
    largest: dropped with a warning), "switches" (chart changes), "count_confirmed" (the generic count K was found
    again by an independent computation; a start system that missed generic solutions would miss roots silently,
    so the stratum is only "checked" when it was), "method"}.

    Examples
    --------
    >>> from symdyn.instances import random_moments
    >>> Sx, Syx, _ = random_moments(2, seed=0)
    >>> out = rank_stratum(Sx, Syx, 0.01, r=1)
    >>> len(out["S"]), out["count"], out["agree"], max(out["residuals"]) < 1e-12
    (4, 4, True, True)
    """
    m = sigma_x.shape[0]
    p0, starts, info = stratum_start(m, r, 0)
    chart = RankChart(m, r, info["M"])
    rng = np.random.default_rng(seed)
    p1 = pack_data(sigma_x, sigma_yx, lam).astype(complex)
    K = len(starts)
    runs, ends, end_rad = [], np.empty((0, m, m), dtype=complex), np.empty(0)
    lower, lower_rad = ends, end_rad

    polished: dict = {}  # end point's bytes -> its sort_out row: the early stop and collect see the same end points

    def sort_out(S):  # polish; (S, radii, bad: not a solution after polishing (the path failed), low: lower rank)
        todo = [k for k, T in enumerate(S) if T.tobytes() not in polished]
        if todo:
            new, res, rad = _newton_centred(S[todo], p1, r)
            bad = ~(res <= END_RESIDUAL)
            with np.errstate(all="ignore"):
                sv = np.linalg.svd(new, compute_uv=False)
            low = ~bad & ~(sv[:, r - 1] > 1e-3 * rel_tol * sv[:, 0])  # on the lower-rank component, or unresolved
            for k, row in zip(todo, zip(new, rad, bad, low)):
                polished[S[k].tobytes()] = row
        rows = [polished[T.tobytes()] for T in S]
        if not rows:
            return np.empty((0, m, m), dtype=complex), np.empty(0), np.zeros(0, bool), np.zeros(0, bool)
        return tuple(np.array(col) for col in zip(*rows))

    def collect(run):  # drop non-solutions, split off lower-rank end points; union with the earlier runs'
        nonlocal ends, end_rad, lower, lower_rad
        new, rad, bad, low = sort_out(run["S"][run["ok"]])
        run["failed"][np.flatnonzero(run["ok"])[bad]] = True
        run["ok"][run["ok"]] = ~bad
        lower, lower_rad = _distinct_matrices(np.concatenate([lower, new[low]]), np.concatenate([lower_rad, rad[low]]))
        keep = ~bad & ~low
        ends, end_rad = _distinct_matrices(np.concatenate([ends, new[keep]]), np.concatenate([end_rad, rad[keep]]))

    def stopper(blocks: int):  # end a batched run of ``blocks`` homotopies (K paths each) once nothing is left to find
        seen: dict = {}  # path -> (S, radius) of a rank-r solution, or "infinite" / "failed" / "lower"
        found = [ends.copy(), end_rad.copy()]  # distinct rank-r solutions of the earlier runs and of this one so far

        def stop(rows, S):
            fresh = np.array([k for k, i in enumerate(rows) if i not in seen], dtype=int)
            if fresh.size:
                fin = np.isfinite(S[fresh]).all(axis=(1, 2))
                for i in rows[fresh[~fin]]:
                    seen[i] = "infinite"
                if fin.any():
                    new, rad, bad, low = sort_out(S[fresh[fin]])
                    for i, T, a, b, lo in zip(rows[fresh[fin]], new, rad, bad, low):
                        seen[i] = "failed" if b else "lower" if lo else (T, a)
                        if not (b or lo) and not (len(found[0]) and same_point(found[0], found[1], T, a).any()):
                            found[0], found[1] = np.concatenate([found[0], T[None]]), np.append(found[1], a)
            if len(found[0]) >= K:  # all K generic solutions reached, by this run and the earlier ones together
                return True
            # a homotopy all of whose paths ended (on a solution or at infinity) settles the stratum by itself
            return any(all(seen.get(i, "failed") != "failed" for i in range(j * K, (j + 1) * K)) for j in range(blocks))
        return stop

    # two homotopies with independent γ in one batched run (most of a single run's time went into the last few
    # paths crawling through near-singular stretches; with two, the union usually has all K solutions long before
    # either run's slowest path ends), then one more if they did not settle it
    for blocks in (2, MAX_RUNS - 2):
        gammas = [homotopy_gamma(rng, p0, p1, m) for _ in range(blocks)]
        for run in _track_once(chart, starts, p0, p1, gammas, stop=stopper(blocks)):
            runs.append(run)
            collect(run)
        if len(ends) >= K or _settled(runs):
            break
    last = runs[-1]
    out = {"S": [], "V": [], "B": [], "residuals": [], "count": info["count"], "unresolved": 0,
           "count_confirmed": info.get("count_check", 0) == info["count"],
           "distinct": len(ends), "finite": int(last["ok"].sum()), "infinite": int(last["infinite"].sum()),
           "failed": int(last["failed"].sum()), "runs": len(runs),
           "switches": sum(run["switches"] for run in runs),
           "method": f"parameter homotopy from the {info['count']} generic rank-{r} solutions (found by monodromy) "
                     "in charts of the rank-r matrices, Newton-polished"}
    # real PSD end points whose r-th eigenvalue is below 1e-3·rel_tol of the largest: of lower rank, or rank r in
    # exact arithmetic but not resolved in double precision
    out["unresolved"] = sum(1 for S in lower if np.abs(S.imag).max() <= rel_tol * np.abs(S).max()
                            and np.linalg.eigvalsh((S.real + S.real.T) / 2)[0] >= -rel_tol * np.abs(S).max())
    for S, res in _real_psd(sigma_x, sigma_yx, lam, ends, r, rel_tol):
        ev, Q = np.linalg.eigh(S)
        V = Q[:, m - r:] * np.sqrt(np.clip(ev[m - r:], 0, None))
        out["S"].append(S)
        out["V"].append(V)
        out["B"].append(e2_predictor(V.T, sigma_x, sigma_yx, lam))  # B̃ = (E2) for A = Vᵀ
        out["residuals"].append(res)
    out["agree"] = len(ends) == K or _settled(runs)
    if len(ends) > K:  # more distinct solutions than the generic count: two end points of one root not merged
        out["agree"] = False
        warnings.warn(f"rank-{r} stratum: {len(ends)} distinct end points, more than the generic count {K}",
                      RuntimeWarning, stacklevel=2)
    if out["agree"]:
        out["failed"] = 0
    out["method"] += (", every path reached t = 1" if len(runs) == 1 and not last["failed"].any() else
                      f", {len(runs)} homotopies with independent γ, together all {K} generic solutions"
                      if len(ends) == K else f", {len(runs)} homotopies with independent γ")
    if out["failed"]:
        warnings.warn(f"rank-{r} stratum: {out['failed']} of {len(starts)} parameter-homotopy paths failed; "
                      "rank-deficient equilibria may be missing", RuntimeWarning, stacklevel=2)
    if out["unresolved"]:
        warnings.warn(f"rank-{r} stratum: {out['unresolved']} real end point(s) have an eigenvalue of S below "
                      f"{rel_tol * 1e-3:g} of the largest, not resolved in double precision; such roots are not "
                      "listed", RuntimeWarning, stacklevel=2)
    return out


def _real_psd(sigma_x, sigma_yx, lam, ends, r: int, rel_tol: float) -> list:
    """[(S, relative residual)]: the real PSD matrices among the end points (n, m, m) (relative imaginary part and
    negative eigenvalues below ``rel_tol``), each polished by real Newton (:func:`_polish`, residual ≤ 1e-9) and
    de-duplicated."""
    out: list = []
    for S in ends:
        scale = np.abs(S).max()
        if not np.isfinite(S).all() or scale == 0 or np.abs(S.imag).max() > rel_tol * scale:
            continue
        S = (S.real + S.real.T) / 2
        ev = np.linalg.eigvalsh(S)
        if ev[0] < -rel_tol * ev[-1]:
            continue
        S, res = _polish(sigma_x, sigma_yx, lam, S, r)
        if res <= 1e-9 and not any(np.linalg.norm(S - T) <= 1e-7 * np.linalg.norm(T) for T, _ in out):
            out.append((S, res))
    return out


def _settled(runs: list) -> bool:
    """Whether a run had no failed path: its end points are then every isolated solution (for generic data also
    settled when the runs together found all K generic solutions, which :func:`rank_stratum` counts).  Two runs
    that reached the same real roots do not settle it: both can miss the same root (one whose paths pass close to
    an ill-conditioned point in both homotopies)."""
    return any(not run["failed"].any() for run in runs)


def _patch(chart: RankChart) -> ProjectivePatch:
    """(C_r) homogenised in (x₀, P) on a random affine patch: a path on which S goes to infinity ends at x₀ = 0
    instead of stalling (S is degree 1 in P, so K stays affine; its growth is handled by changing charts)."""
    return ProjectivePatch(chart, n_hom=chart.q, seed=50_000 + 97 * chart.m + chart.r)


def _track_charted(chart: RankChart, X, pa, pb, hmax: float, max_steps: int, max_switches: int = 200,
                   stop=None) -> tuple:
    """Track the points X (n, N) of ``chart`` along p(t) = pa + t(pb − pa) in projective space (:func:`_patch`),
    each path in its own chart: where its coordinates grow (|K| > K_MAX) it continues from the same point and t
    in the chart centred at its S (:meth:`RankChart.recentre`; at most ``max_switches`` times), inside the one
    batched tracking run.  ``pa`` is (q,) or one start parameter per path (n, q).  ``stop(rows, S)`` (S
    (len(rows), m, m): the end points of the paths ``rows`` that reached t = 1 so far, inf at infinity) ends the run
    when true.  Returns (S_h (n, m, m), x₀ (n,), ok, t, switches): the homogeneous end points, S = S_h/x₀, and the
    number of chart changes."""
    charts = chart.per_point(len(X))
    patch = _patch(charts)
    switches = [0]

    def leave(Y, t):  # |K| does not depend on the chart's M, so the tracker need not say whose points these are
        return charts.k_norm(Y[:, 1:]) > K_MAX

    def rechart(rows, Y, t):
        switches[0] += len(rows)
        Yn = np.empty_like(Y)
        Yn[:, 0] = Y[:, 0]
        Yn[:, 1:] = charts.recentre(rows, Y[:, 1:])
        return patch.normalise(Yn)

    def done(rows, Y):
        return stop(rows, _affine(charts.at(rows).matrices(Y[rows, 1:]), Y[rows, 0])[0])

    with np.errstate(all="ignore"):
        Y, ok, t_end = track_segment(patch.F, patch.Fx, patch.Fp, patch.lift(np.asarray(X, dtype=complex)), pa, pb,
                                     linear=False, hmax=hmax, return_t=True, predictor_tol=PREDICTOR_TOL,
                                     max_steps=max_steps, leave=leave, rechart=rechart,
                                     indexed=True, max_recharts=max_switches,
                                     stop=None if stop is None else done)
    Sh = charts.matrices(Y[:, 1:])
    return Sh, Y[:, 0].copy(), ok, t_end, switches[0]


def _affine(Sh, x0) -> tuple:
    """(S = S_h/x₀ (inf for end points at infinity or not finite), at infinity: |x₀| ≤ 1e-10(|x₀| + ‖S_h‖))."""
    with np.errstate(all="ignore"):
        finite = np.isfinite(Sh).all(axis=(1, 2)) & np.isfinite(x0)
        infinite = finite & (np.abs(x0) <= 1e-10 * (np.abs(x0) + np.linalg.norm(Sh, axis=(1, 2))))
        S = np.where((finite & ~infinite)[:, None, None], Sh / x0[:, None, None], np.inf)
    return S, infinite


def _track_once(chart: RankChart, starts, p0, p1, gammas, stop=None) -> list:
    """Parameter homotopies γp₀ → p₁ of every start, one per γ in ``gammas`` (each clear of the degenerate data:
    :func:`.ssl_e1.homotopy_gamma`), in one batched tracking run: per homotopy {"S" (inf where not reached), "ok"
    (finite end points), "infinite" (end points at infinity: x₀ ≤ 1e-10·|S_h| at t = 1), "failed", "t" (where each
    path stopped), "switches"}.  ``stop(rows, S)`` (:func:`_track_charted`; rows index the stacked paths, homotopy
    j's are j·K … (j + 1)·K − 1) ends the run early; the paths still going then count as failed.

    A path gets 4000 steps (a regular path needs one or two hundred).  A path that fails is not tracked
    again here: retracking it along the same path with smaller steps rarely succeeds (it fails where the homotopy
    passes close to a singular point), and with another γ it may land on a root already reached while one stays
    unreached (the end point a start reaches depends on γ); :func:`rank_stratum` runs whole homotopies with
    independent γ instead and counts what they found together (tracking the failed paths again with γ turned by
    0.1 rad, nearly the same homotopy, found a missing root in 2 of 12 tries at m = 4, and retracking them along γ
    turned by ±0.02 … ±0.1 rad cost more than a whole run with per-path charts, as the few retracked paths crawl
    through their difficult stretches again).  Every
    path is tracked to t = 1, however large its S (roots far beyond every PSD root are ordinary end points)."""
    K = len(starts)
    X = np.concatenate([starts] * len(gammas))
    pa = np.concatenate([np.broadcast_to(g * p0, (K, p0.size)) for g in gammas])
    Sh, x0, ok, t_end, switches = _track_charted(chart, X, pa, p1, hmax=0.1, max_steps=4000, stop=stop)
    S, infinite = _affine(Sh, x0)
    infinite &= ok
    reached = ok & np.isfinite(S).all(axis=(1, 2))
    out = []
    for j in range(len(gammas)):
        b = slice(j * K, (j + 1) * K)
        out.append({"S": S[b], "ok": reached[b], "infinite": infinite[b], "failed": ~reached[b] & ~infinite[b],
                    "t": t_end[b], "switches": switches if j == 0 else 0})
    return out


def _polish(sigma_x, sigma_yx, lam, S, r: int, steps: int = 8) -> tuple:
    """Newton's method on (C_r) in real arithmetic, in the chart centred at the real PSD S (M = the eigenvectors
    of S, largest r first, so K = 0 and P = their eigenvalues): returns (S, relative residual)."""
    ev, Q = np.linalg.eigh(S)
    p = pack_data(sigma_x, sigma_yx, lam)[None].astype(float)
    S = _newton(RankChart(S.shape[0], r, Q[:, ::-1].T), S[None].astype(float), p, steps, real=True)[0][0].real
    S = (S + S.T) / 2
    return S, float(_relative_residuals(sigma_x[None], sigma_yx[None], np.array([lam]), S[None])[0])


def _newton(chart: RankChart, S, p, steps: int, real: bool = False) -> tuple:
    """(S (n, m, m) after at most ``steps`` Newton steps on (C_r) in ``chart`` for the data p (1, q) (real
    arithmetic with ``real``), ‖ΔS‖_F of the last step (n,): the accuracy reached, ≈ cond·ε·‖S‖ once Newton
    stagnates at an ill-conditioned root); a step that is not finite is not taken."""
    x = chart.coordinates(S)
    pp = np.broadcast_to(p, (len(x), p.shape[1]))
    S_prev = chart.matrices(x)
    for _ in range(steps):
        J, F = chart.Fx(x, pp), chart.F(x, pp)
        if real:
            J, F = J.real, F.real
        with np.errstate(all="ignore"):
            dx = safe_solve(J, F)
        good = np.isfinite(dx).all(axis=1)
        S_prev = chart.matrices(x)
        x = np.where(good[:, None], x - np.where(good[:, None], dx, 0), x)
        if np.all(np.linalg.norm(dx[good], axis=1) <= 1e-15 * np.linalg.norm(x[good], axis=1)):
            break
    S = chart.matrices(x)
    return S, np.linalg.norm(S - S_prev, axis=(1, 2))


def _newton_centred(S, p, r: int, steps: int = 4) -> tuple:
    """Complex Newton polish of end points S (n, m, m) for the data p (q,), each in the chart centred at it:
    (S, relative residuals, accuracy radii ‖ΔS‖ of the last step)."""
    if not len(S):
        return S, np.empty(0), np.empty(0)
    S, radii = _newton(RankChart.centred(S, r), S, p[None], steps)  # one chart per point, all in one batch
    Sx, Syx, lam = _data(p[None], S.shape[1])
    return S, _relative_residuals(Sx, Syx, lam, S), radii


def _distinct_matrices(S, radii, rtol: float = 1e-8) -> tuple:
    """(the distinct matrices among S (n, m, m), their radii): two are one when they are within 2(r_i + r_j)
    (their accuracy radii, e.g. the last Newton step) or rtol relative (:func:`.polysolve.distinct_rows`)."""
    if not len(S):
        return S, radii
    keep = distinct_rows(S.reshape(len(S), -1), radii=2 * np.asarray(radii), rtol=rtol)[0]
    return S[keep], np.asarray(radii)[keep]


def _relative_residuals(Sx, Syx, lam, S) -> np.ndarray:
    """‖S E(S)‖_F relative to ‖S‖(‖LᵀL‖ + ‖ΣyxᵀSΣyx‖), L = SΣx + λI, for S (n, m, m) and data Σx, Σyx (1 or n, m, m),
    λ (1 or n,): (n,).  Transposes, not conjugates (complex S of a start system)."""
    L = S @ Sx + lam[:, None, None] * np.eye(S.shape[-1])
    a, b = np.swapaxes(L, 1, 2) @ L, np.swapaxes(Syx, 1, 2) @ S @ Syx
    den = np.linalg.norm(S, axis=(1, 2)) * (np.linalg.norm(a, axis=(1, 2)) + np.linalg.norm(b, axis=(1, 2)))
    return np.linalg.norm(S @ (a - b), axis=(1, 2)) / np.maximum(den, 1e-300)


# ---- certification of a rank-r root: a square chart of the rank-r symmetric matrices -----------------------
def _chart(ctx, m: int, r: int, sigma_x, sigma_yx, lam, u, du=None):
    """The square system of a rank-r root S in the chart S = WᵀPW, W = [I_r, Kᵀ] (P r×r symmetric, K (m−r)×r;
    r(r+1)/2 + r(m−r) unknowns u = (vech P, vec K)): S E(S) = 0 with E(S) = (ΣxS+λI)(SΣx+λI) − ΣxySΣyx holds
    iff W E = 0, i.e. W E Wᵀ = 0 (symmetric: vech) and W E Z = 0 with Z = [−Kᵀ; I] spanning ker W — as many
    equations as unknowns.  ``ctx`` is mpmath.mp or mpmath.iv (matrix arithmetic over points or intervals);
    with ``du`` the directional derivative in the direction du is returned instead (forward mode)."""
    q = r * (r + 1) // 2

    def parts(v):
        P = unvech(v, r, ctx.matrix)
        K = ctx.matrix(m - r, r)
        for i in range(m - r):
            for j in range(r):
                K[i, j] = v[q + i * r + j]
        return P, K

    def blocks(K, eye):
        W = ctx.matrix(r, m)
        Z = ctx.matrix(m, m - r)
        for i in range(r):
            W[i, i] = 1 if eye else 0
            for j in range(m - r):
                W[i, r + j] = K[j, i]
                Z[i, j] = -K[j, i]
        for j in range(m - r):
            Z[r + j, j] = 1 if eye else 0
        return W, Z

    Sx, Syx = ctx.matrix(sigma_x.tolist()), ctx.matrix(sigma_yx.tolist())
    I = ctx.eye(m)
    P, K = parts(u)
    W, Z = blocks(K, True)
    S = W.T * P * W
    L = S * Sx + I * lam
    E = L.T * L - Syx.T * S * Syx
    if du is None:
        top, bottom = W * E * W.T, W * E * Z
    else:
        dP, dK = parts(du)
        dW, dZ = blocks(dK, False)
        dS = dW.T * P * W + W.T * dP * W + W.T * P * dW
        dL = dS * Sx
        dE = dL.T * L + L.T * dL - Syx.T * dS * Syx
        top = dW * E * W.T + W * dE * W.T + W * E * dW.T
        bottom = dW * E * Z + W * dE * Z + W * E * dZ
    out = [top[i, j] for i in range(r) for j in range(i, r)] + [bottom[i, j] for i in range(r) for j in range(m - r)]
    return ctx.matrix([[v] for v in out])


def _chart_blocks(U: Ball, m: int, r: int, eye: bool) -> tuple:
    """(P, W, Z) of :func:`_chart` as balls, from coordinates U (..., N) = (vech P, vec K) (K (m − r) × r):
    W = [I_r, Kᵀ], Z = [−Kᵀ; I] (without the identities for a direction, ``eye=False``).  Exact: only copies."""
    q = r * (r + 1) // 2
    lead = U.shape[:-1]
    iu = np.triu_indices(r)
    parts = []
    for a in (U.mid, U.rad):
        P = np.zeros(lead + (r, r))
        P[..., iu[0], iu[1]] = a[..., :q]
        P[..., iu[1], iu[0]] = a[..., :q]
        Kt = np.swapaxes(a[..., q:].reshape(lead + (m - r, r)), -1, -2)  # Kᵀ (r, m − r)
        one = float(eye) if a is U.mid else 0.0
        W = np.concatenate([np.broadcast_to(one * np.eye(r), lead + (r, r)), Kt], axis=-1)
        Z = np.concatenate([-Kt if a is U.mid else Kt, np.broadcast_to(one * np.eye(m - r), lead + (m - r, m - r))],
                           axis=-2)
        parts.append((P, W, Z))
    (Pm, Wm, Zm), (Pr, Wr, Zr) = parts
    return Ball(Pm, Pr), Ball(Wm, Wr), Ball(Zm, Zr)


def _chart_balls(m: int, r: int, sigma_x, sigma_yx, lam: float, U: Ball, directions: bool = False) -> Ball:
    """The square system of :func:`_chart` in ball arithmetic (:mod:`symdyn.balls`) for points U (n, N): its value
    (n, N) holding F at every point of the balls, or with ``directions`` its Jacobian (n, N, N) over the box, from
    the product rule along the N coordinate directions (batched as one axis)."""
    N = U.shape[-1]
    Sx, Syx = Ball(sigma_x), Ball(sigma_yx)
    P, W, Z = _chart_blocks(U, m, r, True)
    S = W.T @ P @ W
    L = S @ Sx + lam * np.eye(m)
    E = L.T @ L - Syx.T @ S @ Syx
    iu = np.triu_indices(r)
    if not directions:
        top, bottom = W @ E @ W.T, W @ E @ Z
    else:
        dP, dW, dZ = _chart_blocks(Ball(np.eye(N)), m, r, False)  # direction j: e_j, exact (N, ...)
        P, W, Z, S, L, E = (Ball(b.mid[:, None], b.rad[:, None]) for b in (P, W, Z, S, L, E))  # (n, 1, ...)
        dS = dW.T @ P @ W + W.T @ dP @ W + W.T @ P @ dW
        dL = dS @ Sx
        dE = dL.T @ L + L.T @ dL - Syx.T @ dS @ Syx
        top = dW @ E @ W.T + W @ dE @ W.T + W @ E @ dW.T
        bottom = dW @ E @ Z + W @ dE @ Z + W @ E @ dZ
    lead = top.shape[:-2]
    out = concatenate([top[..., iu[0], iu[1]], Ball(bottom.mid.reshape(lead + (-1,)), bottom.rad.reshape(lead + (-1,)))],
                      axis=-1)
    return out.T if directions else out  # Jacobian: (n, direction, row) -> (n, row, direction)


def certify_rank_root(sigma_x, sigma_yx, lam, S, r: int, dps: int = 40) -> dict:
    """Certify a rank-r root S of (E1') by the Krawczyk test on the square chart system (:func:`_chart`).

    The rows are permuted (an exact similarity Σ → ΠᵀΣΠ, S → ΠᵀSΠ) so that the leading r×r block of S is the best
    conditioned (pivoted QR of its range).  The box around the chart point is certified to hold exactly one real
    root, whose P is positive definite (so rank S = r exactly and S is PSD), and the given S must agree with the
    certified root to 1e-8 (relative).  First in double precision with ball arithmetic (:mod:`symdyn.balls`: the
    point Newton-polished in floats, boxes of relative half-width ``balls.BOX_WIDTHS``); a root too ill-conditioned
    for that is Newton-polished at ``dps`` digits and tested in mpmath's interval arithmetic
    (:func:`symdyn.polysolve.krawczyk`).  Returns {"certified": bool, "radius": relative half-width of the box,
    "reason": str (why not), "arithmetic": "double (balls)" or "mpmath intervals at <dps> digits"}.

    Examples
    --------
    >>> from symdyn.instances import random_moments
    >>> Sx, Syx, _ = random_moments(3, seed=2)
    >>> S = rank_stratum(Sx, Syx, 0.05, r=2)["S"][0]
    >>> cert = certify_rank_root(Sx, Syx, 0.05, S, 2)
    >>> cert["certified"], cert["arithmetic"]
    (True, 'double (balls)')
    >>> certify_rank_root(Sx, Syx, 0.05, S + 1e-3 * np.eye(3), 2)["certified"]     # not a rank-2 root
    False
    """
    m = S.shape[0]
    ev, Q = np.linalg.eigh(S)
    _, _, piv = scipy.linalg.qr(Q[:, m - r:].T, pivoting=True)
    order = np.concatenate([piv[:r], np.sort(piv[r:])])
    Sp = S[np.ix_(order, order)]
    Sxp, Syxp = sigma_x[np.ix_(order, order)], sigma_yx[np.ix_(order, order)]
    P0 = Sp[:r, :r]
    K0 = np.linalg.solve(P0, Sp[:r, r:]).T
    u = [P0[i, j] for i in range(r) for j in range(i, r)] + list(K0.ravel())
    out = _certify_chart_balls(Sxp, Syxp, lam, np.array(u, dtype=float), m, r, S, order)
    return out if out is not None else _certify_chart_mp(Sxp, Syxp, lam, u, m, r, S, order, dps)


def _certified_root(P: np.ndarray, K: np.ndarray, m: int, r: int, S, order, width: float, arithmetic: str) -> dict:
    """The answer of :func:`certify_rank_root` for the root (P, K) of a box that passed the Krawczyk test and whose P
    is certified positive definite: certified when it is within 1e-8 (relative) of the given S."""
    W = np.hstack([np.eye(r), K.T])
    Sc = np.empty((m, m))
    Sc[np.ix_(order, order)] = W.T @ P @ W
    gap = float(np.linalg.norm(Sc - S) / max(np.linalg.norm(S), 1e-300))
    reason = f"the certified root is {gap:.2g} (relative) away from the given S" if gap > 1e-8 else ""
    return {"certified": not reason, "radius": width, "reason": reason, "arithmetic": arithmetic}


def _certify_chart_balls(Sxp, Syxp, lam, x, m: int, r: int, S, order) -> dict | None:
    """The double-precision Krawczyk test of :func:`certify_rank_root` (ball arithmetic): its answer once a box
    passed the test, None when none did (too ill-conditioned for double precision, or no root there)."""
    q = r * (r + 1) // 2

    def F(U):
        return _chart_balls(m, r, Sxp, Syxp, lam, U)

    def J(U):
        return _chart_balls(m, r, Sxp, Syxp, lam, U, directions=True)
    with np.errstate(all="ignore"):
        for _ in range(8):  # Newton in floats
            Jm = J(Ball(x[None])).mid[0]
            if not np.isfinite(Jm).all() or np.linalg.cond(Jm) > 1e12:
                return None
            dx = np.linalg.solve(Jm, F(Ball(x[None])).mid[0])
            x = x - dx
            if np.linalg.norm(dx) <= 1e-15 * np.linalg.norm(x):
                break
        Y = np.linalg.inv(Jm)
    size = max(float(np.linalg.norm(x)), 1.0)
    for _, rel in krawczyk_widths(F, J, x[None], np.array([size]), Y=Y[None]):
        rho = rel * size
        P = np.zeros((r, r))
        P[np.triu_indices(r)] = x[:q]
        P = P + np.triu(P, 1).T
        # Weyl: the box moves P's eigenvalues by at most ‖ΔP‖_F ≤ r·radius·√2; 1e-13·max|P| bounds the error
        # of the computed eigenvalues
        if np.linalg.eigvalsh(P)[0] <= 2 * rho * r + 1e-13 * np.abs(P).max():
            return {"certified": False, "radius": rel, "reason": "P not certified positive definite",
                    "arithmetic": "double (balls)"}
        return _certified_root(P, x[q:].reshape(m - r, r), m, r, S, order, rel, "double (balls)")
    return None


def _certify_chart_mp(Sxp, Syxp, lam, u, m: int, r: int, S, order, dps: int) -> dict:
    """The mpmath fallback of :func:`certify_rank_root`: Newton at ``dps`` digits, interval Krawczyk test."""
    import mpmath

    from ..polysolve import krawczyk

    q = r * (r + 1) // 2
    N = q + r * (m - r)
    mp, iv = mpmath.mp, mpmath.iv

    def F(ctx, v):
        return _chart(ctx, m, r, Sxp, Syxp, lam, v)

    def J(ctx, v):
        cols = []
        for j in range(N):
            e = [0] * N
            e[j] = 1
            cols.append(_chart(ctx, m, r, Sxp, Syxp, lam, v, e))
        M = ctx.matrix(N, N)
        for i in range(N):
            for j in range(N):
                M[i, j] = cols[j][i, 0]
        return M

    with mpmath.workdps(dps):
        x = [mp.mpf(float(v)) for v in u]
        J0 = np.array(J(mp, x).tolist(), dtype=float)
        if not np.isfinite(J0).all() or np.linalg.cond(J0) > 1e12:
            return {"certified": False, "radius": float("inf"), "reason": "singular chart Jacobian",
                    "arithmetic": f"mpmath intervals at {dps} digits"}
        Y = np.linalg.inv(J0)  # chord Newton: each step gains ≈ −log10(cond·ε) digits, with one Jacobian only
        Ym = mp.matrix(Y.tolist())
        for _ in range(12):
            dx = Ym * F(mp, x)
            x = [a - b for a, b in zip(x, dx)]
            if mp.norm(dx) <= mp.mpf(10) ** (10 - dps) * max(mp.norm(mp.matrix(x)), 1):
                break  # the next step would be below the working precision
        step = float(mp.norm(dx))
        size = float(mp.norm(mp.matrix(x)))
        res = None
        for factor in (1e3, 1e6):
            radius = max(factor * step, 10.0 ** (10 - dps)) * max(size, 1.0)
            res = krawczyk(lambda X: F(iv, X), lambda X: J(iv, X), x, radius, dps=dps, Y=Y)
            if res["certified"]:
                break
        arithmetic = f"mpmath intervals at {dps} digits"
        if not res["certified"]:
            return {"certified": False, "radius": res["width"], "reason": "Krawczyk test failed",
                    "arithmetic": arithmetic}
        P = unvech(x, r, mp.matrix)
        lmin = min(mp.eigsy(P)[0][i] for i in range(r))
        if lmin <= 2 * radius * r:  # Weyl: the box moves eigenvalues of P by at most ‖ΔP‖_F ≤ r·radius·√2
            return {"certified": False, "radius": res["width"], "reason": "P not certified positive definite",
                    "arithmetic": arithmetic}
        Kc = np.array([[float(x[q + i * r + j]) for j in range(r)] for i in range(m - r)])
        return _certified_root(np.array(P.tolist(), dtype=float), Kc, m, r, S, order, res["width"], arithmetic)
