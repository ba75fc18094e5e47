"""The rank-deficient strata of the linear SSL equilibrium set (``ssl_linear.md`` §6, all ranks).

Every SG/EMA equilibrium (λ > 0) has B from (E2) and S = AᵀA a PSD solution of the un-cancelled equation

    S (Σx S + λI)(S Σx + λI) = S Σxy S Σyx                                                     (E1')

(only S E(S) = 0 is forced; (E1) is E(S) = 0, its cancelled form for invertible S).  For rank S = r write
A = U K with K (r × m) of rank r and the reduced predictor B̃ (r × r).  The equilibrium equations become,
with V = Kᵀ (m × r), G = VᵀV, H = VᵀΣxV, F = VᵀΣyxV,

    Σx V G + λ V = Σxy V B̃        (m × r)        B̃ (H + λI) = F        (r × r)                  (R_r)

and S = V Vᵀ.  Conversely every real solution (V, B̃) of (R_r) with V of rank r gives S = VVᵀ of rank r that
solves (E1'), and every such S arises (K Kᵀ-balancedness follows from (R_r)).  (R_r) is cubic and invariant
under V → VQ, B̃ → QᵀB̃Q (Q ∈ O(r)); a random complex linear slice of r(r − 1)/2 equations in V picks finitely
many points of each orbit.  The system is linear in the data p = (Σx, Σyx, λ), so its solutions for any data
follow by a parameter homotopy from the solutions for one random complex p₀; those are found once per shape
(m, r) by monodromy (:func:`symdyn.polysolve.monodromy_solve`) and cached.  Real solutions are read off as
S = VVᵀ (real and PSD whichever point of the complex orbit the slice picked).
"""
from __future__ import annotations

import functools
import warnings

import numpy as np
import scipy.linalg

from ..polysolve import PREDICTOR_TOL, distinct_rows, monodromy_solve, track_segment
from .ssl_e1 import e2_predictor, pack_data, psd_root_bound, split_data as _data, unvech
from .start_systems import known_count, load_or_compute

__all__ = ["stratum_residuals", "stratum_start", "stratum_count", "rank_stratum", "pack_data"]


def _unpack(X, m, r):
    P = X.shape[0]
    return X[:, : m * r].reshape(P, m, r), X[:, m * r:].reshape(P, r, r)


class _System:
    """(R_r) with its slice, evaluated batched in NumPy (no SymPy): F, the x-Jacobian and the p-derivative."""

    def __init__(self, m: int, r: int, seed: int):
        self.m, self.r = m, r
        self.N = m * r + r * r
        rng = np.random.default_rng(10_000 + 97 * m + r + seed)
        k = r * (r - 1) // 2
        self.slice = rng.standard_normal((k, m * r)) + 1j * rng.standard_normal((k, m * r))
        # the sliced system has m·r + r² data rows in N − k... unknowns after the slice: it is consistent but
        # overdetermined by k (the identity antisym(Vᵀ·(first rows)) = 0); a fixed random complex matrix squares it
        # (Bertini's randomisation); end points are then checked on the full rows
        E = m * r + r * r
        self.square = (np.eye(E) if k == 0 else
                       (rng.standard_normal((E - k, E)) + 1j * rng.standard_normal((E - k, E))) / np.sqrt(E))

    def data_rows(self, X, p):
        m, r = self.m, self.r
        V, B = _unpack(X, m, r)
        Sx, Syx, lam = _data(p, m)
        Vt = np.swapaxes(V, 1, 2)
        G, H, F = Vt @ V, Vt @ Sx @ V, Vt @ Syx @ V
        E1 = Sx @ V @ G + lam[:, None, None] * V - np.swapaxes(Syx, 1, 2) @ V @ B
        E2 = B @ (H + lam[:, None, None] * np.eye(r)) - F
        return np.concatenate([E1.reshape(len(X), -1), E2.reshape(len(X), -1)], axis=1)

    def F(self, X, p):
        rows = self.data_rows(X, p) @ self.square.T
        if len(self.slice):
            rows = np.concatenate([rows, X[:, : self.m * self.r] @ self.slice.T - 1.0], axis=1)
        return rows

    def Fp(self, X, dp):  # the data rows are linear in p; slice rows do not depend on p
        rows = self.data_rows(X, dp) @ self.square.T
        return np.concatenate([rows, np.zeros((len(X), len(self.slice)))], axis=1) if len(self.slice) else rows

    def Fx(self, X, p):
        J = np.einsum("ij,pjk->pik", self.square, self.data_jacobian(X, p))
        if len(self.slice):
            slice_cols = np.concatenate([self.slice, np.zeros((len(self.slice), self.r * self.r))], axis=1)
            J = np.concatenate([J, np.broadcast_to(slice_cols, (len(X),) + slice_cols.shape)], axis=1)
        return J

    def data_jacobian(self, X, p):
        """The Jacobian (P, m·r + r², N) of the data rows (unsquared, no slice), in closed form: for the unknowns
        V_ab and B̃_cd, with G = VᵀV, H = VᵀΣxV,

            ∂(ΣxVG + λV − ΣxyVB̃)_ik/∂V_ab = Σx_ia G_bk + (ΣxV)_ib V_ak + (ΣxVVᵀ)_ia δ_bk + λ δ_ia δ_bk − Σxy_ia B̃_bk
            ∂(ΣxVG + λV − ΣxyVB̃)_ik/∂B̃_cd = −(ΣxyV)_ic δ_dk
            ∂(B̃(H + λI) − VᵀΣyxV)_ik/∂V_ab = B̃_ib (ΣxV)_ak + (B̃VᵀΣx)_ia δ_bk − δ_ib (ΣyxV)_ak − (VᵀΣyx)_ia δ_bk
            ∂(B̃(H + λI) − VᵀΣyxV)_ik/∂B̃_cd = δ_ic (H + λI)_dk
        """
        m, r = self.m, self.r
        P = X.shape[0]
        V, B = _unpack(X, m, r)
        Sx, Syx, lam = _data(p, m)
        Sxy = np.swapaxes(Syx, 1, 2)
        Vt = np.swapaxes(V, 1, 2)
        L = lam[:, None, None]
        Im, Ir = np.eye(m), np.eye(r)
        SxV = Sx @ V
        HL = Vt @ SxV + L * Ir
        d1V = (np.einsum("pia,pbk->pikab", Sx, Vt @ V) + np.einsum("pib,pak->pikab", SxV, V)
               + np.einsum("pia,bk->pikab", SxV @ Vt + L * Im, Ir) - np.einsum("pia,pbk->pikab", Sxy, B))
        d1B = -np.einsum("pic,dk->pikcd", Sxy @ V, Ir)
        d2V = (np.einsum("pib,pak->pikab", B, SxV) + np.einsum("pia,bk->pikab", B @ Vt @ Sx, Ir)
               - np.einsum("ib,pak->pikab", Ir, Syx @ V) - np.einsum("pia,bk->pikab", Vt @ Syx, Ir))
        d2B = np.einsum("ic,pdk->pikcd", Ir, HL)
        top = np.concatenate([d1V.reshape(P, m * r, m * r), d1B.reshape(P, m * r, r * r)], axis=2)
        bottom = np.concatenate([d2V.reshape(P, r * r, m * r), d2B.reshape(P, r * r, r * r)], axis=2)
        return np.concatenate([top, bottom], axis=1)


@functools.lru_cache(maxsize=None)
def _system(m: int, r: int, seed: int) -> _System:
    return _System(m, r, seed)


def _name(m: int, r: int, seed: int) -> str:
    return f"m{m}_r{r}_s{seed}"


def stratum_count(m: int, r: int, seed: int = 0) -> int | None:
    """The generic number of solutions of the sliced (R_r) if its start system is known (shipped or cached),
    else None (computing it is the expensive step)."""
    return known_count(_name(m, r, seed))


@functools.lru_cache(maxsize=None)
def stratum_start(m: int, r: int, seed: int = 0) -> tuple:
    """The solutions of (R_r) for one random complex parameter point p₀ (found by monodromy; cached per shape).

    Returns (p₀, solutions (K, N) complex, info {"loops", "paths", "failed", "count", "source"}).  The count K is
    the number of isolated solutions of the sliced (R_r) for generic data: an invariant of (m, r) (and of the
    slice).  Start systems are read from the package's data (``symdyn/data/strata``, made by ``make strata``) or
    the user cache (:mod:`.start_systems`) after checking every residual; otherwise computed and cached."""
    sysm = _system(m, r, seed)

    def residual(sols, p0):
        return np.abs(sysm.F(sols, np.broadcast_to(p0, (len(sols), p0.size)))).max() / max(1.0, np.abs(sols).max()) ** 3
    return load_or_compute(_name(m, r, seed), residual, lambda: _compute_start(m, r, seed))


def _compute_start(m: int, r: int, seed: int) -> tuple:
    sysm = _system(m, r, seed)
    rng = np.random.default_rng(20_000 + 31 * m + r + seed)
    v = rng.standard_normal(m * r) + 1j * rng.standard_normal(m * r)
    if len(sysm.slice):  # move V onto the slice (least-norm correction)
        v = v + np.linalg.lstsq(sysm.slice, 1.0 - sysm.slice @ v, rcond=None)[0]
    # every solution of (R_r) with det(H + λI) ≠ 0 is balanced, B̃ᵀB̃ = VᵀV (the other component, H + λI
    # singular, has no real points): start on the balanced component, B̃ = Q (VᵀV)^{1/2} with Q complex orthogonal
    V = v.reshape(m, r)
    K = rng.standard_normal((r, r)) + 1j * rng.standard_normal((r, r))
    K = K - K.T
    Q = np.linalg.solve(np.eye(r) - K, np.eye(r) + K)  # Cayley transform: QᵀQ = I
    B = Q @ scipy.linalg.sqrtm(V.T @ V)
    x0 = np.concatenate([v, B.ravel()])
    # p₀: a random solution of the data rows, linear in p, at x0
    q = m * (m + 1) // 2 + m * m + 1
    basis = np.eye(q, dtype=complex)
    Mat = np.stack([sysm.data_rows(x0[None], basis[i][None])[0] for i in range(q)], axis=1)  # (E, q)
    _, sv, Vh = np.linalg.svd(Mat)
    null = Vh[np.sum(sv > 1e-10 * sv[0]):].conj().T
    p0 = null @ (rng.standard_normal(null.shape[1]) + 1j * rng.standard_normal(null.shape[1]))
    sols, info = monodromy_solve(lambda X, P: sysm.F(X, P), lambda X, P: sysm.Fx(X, P),
                                 lambda X, dP: sysm.Fp(X, dP), x0, p0, seed=seed, stable_loops=6)
    info["count"] = len(sols)
    return p0, sols, info


def stratum_residuals(sigma_x, sigma_yx, lam, V, B) -> float:
    """max |(R_r)| at a real (V, B̃), relative to the size of the terms."""
    m, r = V.shape
    sysm = _system(m, r, 0)
    X = np.concatenate([np.ravel(V), np.ravel(B)])[None]
    rows = sysm.data_rows(X, pack_data(sigma_x, sigma_yx, lam)[None])[0]
    scale = (np.linalg.norm(sigma_x) * np.linalg.norm(V) ** 3 + lam * np.linalg.norm(V)
             + np.linalg.norm(sigma_yx) * np.linalg.norm(V) * (np.linalg.norm(B) + np.linalg.norm(V)))
    return float(np.abs(rows).max() / max(scale, 1e-300))


def rank_stratum(sigma_x, sigma_yx, lam, r: int, seed: int = 0, rel_tol: float = 1e-8) -> dict:
    """The real PSD rank-r solutions S of (E1') for the data (Σx, Σyx, λ), 1 ≤ r < m.

    The cached generic solutions of (R_r) (:func:`stratum_start`) are carried to the data by a parameter
    homotopy p(t) = (1 − t)γp₀ + t p (γ random complex: (R_r) is homogeneous in p, so γp₀ has the solutions of p₀,
    and the path avoids the discriminant with probability one), so every isolated solution of (R_r) for the data
    is the end of a path.  Real orbits: S = VVᵀ real and PSD (relative imaginary part and negative eigenvalues
    below ``rel_tol``) of numerical rank r; each is polished by Newton's method on (R_r) in real arithmetic
    (V = √S-factor, B̃ from (E2)) and de-duplicated.

    Independent check: when the first homotopy does not reach K distinct end points (the data have fewer finite
    solutions, or paths failed) a second one with an independent γ runs, and the answer is the union; it counts as
    complete ("agree") when both found the same real roots, or a homotopy without failed paths found them all.

    Returns {"S": [m × m], "V": [m × r], "B": [r × r], "residuals", "count" (generic count K of the shape),
    "finite" (paths ending at finite points), "infinite" (paths on their way to infinity), "failed" (paths that
    did not reach t = 1; 0 when the second homotopy settled them), "runs" (1 or 2), "agree", "unresolved" (real
    end points whose r-th eigenvalue is below 1e-3·rel_tol of the largest: dropped with a warning), "method"}.
    """
    m = sigma_x.shape[0]
    p0, starts, info = stratum_start(m, r, 0)
    sysm = _system(m, r, 0)
    rng = np.random.default_rng(seed)
    p1 = pack_data(sigma_x, sigma_yx, lam).astype(complex)
    bound = psd_root_bound(sigma_x, sigma_yx, lam)
    runs = [_track_once(sysm, starts, p0, p1, rng, bound)]
    if len(distinct_rows(runs[0]["X"][runs[0]["ok"]])[0]) < len(starts):  # not all K reached: an independent second γ
        runs.append(_track_once(sysm, starts, p0, p1, rng, bound))
    out = {"S": [], "V": [], "B": [], "residuals": [], "count": info["count"], "unresolved": 0,
           "finite": max(int(run["ok"].sum()) for run in runs),
           "infinite": min(int(run["infinite"].sum()) for run in runs),
           "failed": min(int(run["failed"].sum()) for run in runs), "runs": len(runs),
           "method": f"parameter homotopy from {info['count']} generic solutions of the reduced rank-{r} system "
                     "(found by monodromy), Newton-polished"}
    found_by, unresolved = [], [0] * len(runs)
    for k, run in enumerate(runs):
        V_all, _ = _unpack(run["X"][run["ok"]], m, r)
        with np.errstate(all="ignore"):
            S_all = V_all @ np.swapaxes(V_all, 1, 2)
        for S in S_all:
            if not np.isfinite(S).all():
                continue
            scale = np.abs(S).max()
            if scale == 0 or np.abs(S.imag).max() > rel_tol * scale:
                continue
            S = (S.real + S.real.T) / 2
            ev, Q = np.linalg.eigh(S)
            if ev[0] < -rel_tol * ev[-1]:
                continue
            if ev[m - r] <= rel_tol * ev[-1] * 1e-3:  # rank r in exact arithmetic, not resolved in double precision
                unresolved[k] += 1
                continue
            V = Q[:, m - r:] * np.sqrt(np.clip(ev[m - r:], 0, None))
            V, B, res = _polish(sigma_x, sigma_yx, lam, V)
            if res > 1e-9:
                continue
            S = V @ V.T
            same = [i for i, T in enumerate(out["S"]) if np.linalg.norm(S - T) <= 1e-7 * max(np.linalg.norm(T), 1e-300)]
            if same:
                found_by[same[0]].add(k)
                continue
            out["S"].append(S)
            out["V"].append(V)
            out["B"].append(B)
            out["residuals"].append(res)
            found_by.append({k})
    out["unresolved"] = max(unresolved)
    # the independent check: with two homotopies (independent γ), both found the same roots, or one without failed
    # paths found every root either found (a failed path whose V runs off along the O(r, ℂ)-orbit while S = VVᵀ
    # stays finite loses only one slice point of its orbit, so failures need not lose roots)
    out["agree"] = len(runs) == 1 or all(len(f) == len(runs) for f in found_by) or any(
        not runs[k]["failed"].any() and all(k in f for f in found_by) for k in range(len(runs)))
    if len(runs) == 2 and out["agree"]:
        out["failed"] = 0
    out["method"] += (", all K reached" if len(runs) == 1 else ", tracked twice with independent γ")
    if out["failed"]:
        warnings.warn(f"rank-{r} stratum: {out['failed']} of {len(starts)} parameter-homotopy paths failed; "
                      "rank-deficient equilibria may be missing", RuntimeWarning, stacklevel=2)
    if out["unresolved"]:
        warnings.warn(f"rank-{r} stratum: {out['unresolved']} real end point(s) have an eigenvalue of S below "
                      f"{rel_tol * 1e-3:g} of the largest, not resolved in double precision; such roots are not "
                      "listed", RuntimeWarning, stacklevel=2)
    return out


def _track_once(sysm, starts, p0, p1, rng, bound: float) -> dict:
    """One parameter homotopy γp₀ → p₁ (γ from ``rng``) of every start: {"X", "ok", "infinite", "failed"}.

    A path gets 4000 steps (a regular path needs a few hundred; one still going then is stuck near a singular
    point, usually with V running off along its O(r, ℂ)-orbit).  Paths that fail are tracked again along the same
    path with smaller steps.  Never with another γ: the end
    point a start reaches depends on γ (paths of two γ differ by a monodromy permutation), so a path retried with
    another γ may land on a root already reached and leave one unreached while every path "succeeds".  A path
    that stalls late (t ≥ 0.9) with |VVᵀ| beyond ten times ``bound`` (:func:`.ssl_e1.psd_root_bound`, which holds
    for every PSD root of every rank) is on its way to a root at or near infinity, far from every equilibrium:
    not a failure.  A non-finite end point is a failure."""
    X = np.full(starts.shape, np.nan, dtype=complex)
    ok = np.zeros(len(starts), dtype=bool)
    t_end = np.zeros(len(starts))
    gamma = np.exp(2j * np.pi * rng.uniform())
    for attempt in range(2):
        todo = np.flatnonzero(~ok & ~(np.abs(X) > 1e3 * (1 + np.abs(starts).max() + np.sqrt(bound))).any(axis=1))
        if not todo.size:
            break
        Y, okk, tt = track_segment(sysm.F, sysm.Fx, sysm.Fp, starts[todo].copy(), gamma * p0, p1,
                                   hmax=0.1 / 4 ** attempt, predictor_tol=PREDICTOR_TOL, return_t=True, max_steps=4000,
                                   diverge_norm=1e4 * (1 + np.abs(starts).max() + np.sqrt(bound)))
        X[todo], ok[todo], t_end[todo] = Y, okk, tt
    V, _ = _unpack(X, sysm.m, sysm.r)
    with np.errstate(all="ignore"):
        size = np.linalg.norm(V @ np.swapaxes(V, 1, 2), axis=(1, 2))
    infinite = ~ok & np.isfinite(X).all(axis=1) & (t_end >= 0.9) & (size > 10 * bound)
    return {"X": X, "ok": ok, "infinite": infinite, "failed": ~ok & ~infinite}


def _polish(sigma_x, sigma_yx, lam, V, steps: int = 8):
    """Gauss–Newton on (R_r) in real arithmetic from V (B̃ from (E2)): returns (V, B̃, relative residual)."""
    m, r = V.shape
    sysm = _system(m, r, 0)
    p = pack_data(sigma_x, sigma_yx, lam)[None].astype(float)

    x = np.concatenate([V.ravel(), e2_predictor(V.T, sigma_x, sigma_yx, lam).ravel()])[None]  # B̃ = (E2) for A = Vᵀ
    for _ in range(steps):
        Fv = sysm.data_rows(x, p)
        J = sysm.data_jacobian(x, p)
        dx = np.linalg.lstsq(J[0], Fv[0], rcond=None)[0]
        x = x - dx
        if np.linalg.norm(dx) <= 1e-15 * np.linalg.norm(x):
            break
    V, B = _unpack(x, m, r)
    return V[0], B[0], stratum_residuals(sigma_x, sigma_yx, lam, V[0], B[0])



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


def certify_rank_root(sigma_x, sigma_yx, lam, S, r: int, dps: int = 40) -> dict:
    """Certify a rank-r root S of (E1') by the Krawczyk test on the square chart system (:func:`_chart`).

    The rows are permuted (an exact similarity Σ → ΠᵀΣΠ, S → ΠᵀSΠ) so that the leading r×r block of S is the best
    conditioned (pivoted QR of its range), the chart point is Newton-polished at ``dps`` digits, and the box
    around it is certified to hold exactly one real root, whose P is positive definite (so rank S = r exactly and
    S is PSD), and the given S must agree with the certified root to 1e-8 (relative).  Returns
    {"certified": bool, "radius": relative half-width of the box, "reason": str (why not)}."""
    import mpmath

    from ..polysolve import krawczyk

    m = S.shape[0]
    ev, Q = np.linalg.eigh(S)
    _, _, piv = scipy.linalg.qr(Q[:, m - r:].T, pivoting=True)
    order = np.concatenate([piv[:r], np.sort(piv[r:])])
    Sp = S[np.ix_(order, order)]
    Sxp, Syxp = sigma_x[np.ix_(order, order)], sigma_yx[np.ix_(order, order)]
    P0 = Sp[:r, :r]
    K0 = np.linalg.solve(P0, Sp[:r, r:]).T
    q = r * (r + 1) // 2
    N = q + r * (m - r)
    u = [P0[i, j] for i in range(r) for j in range(i, r)] + list(K0.ravel())
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
        for _ in range(8):
            try:
                dx = mp.lu_solve(J(mp, x), F(mp, x))
            except ZeroDivisionError:
                return {"certified": False, "radius": float("inf"), "reason": "singular chart Jacobian"}
            x = [a - b for a, b in zip(x, dx)]
        step = float(mp.norm(dx))
        size = float(mp.norm(mp.matrix(x)))
        res = None
        for factor in (1e3, 1e6):
            radius = max(factor * step, 10.0 ** (10 - dps)) * max(size, 1.0)
            res = krawczyk(lambda X: F(iv, X), lambda X: J(iv, X), x, radius, dps=dps)
            if res["certified"]:
                break
        if not res["certified"]:
            return {"certified": False, "radius": res["width"], "reason": "Krawczyk test failed"}
        P = unvech(x, r, mp.matrix)
        lmin = min(mp.eigsy(P)[0][i] for i in range(r))
        if lmin <= 2 * radius * r:  # Weyl: the box moves eigenvalues of P by at most ‖ΔP‖_F ≤ r·radius·√2
            return {"certified": False, "radius": res["width"], "reason": "P not certified positive definite"}
        Kc = np.array([[float(x[q + i * r + j]) for j in range(r)] for i in range(m - r)])
        W = np.hstack([np.eye(r), Kc.T])
        Sc = np.empty((m, m))
        Sc[np.ix_(order, order)] = W.T @ np.array(P.tolist(), dtype=float) @ W
        gap = float(np.linalg.norm(Sc - S) / max(np.linalg.norm(S), 1e-300))
        if gap > 1e-8:
            return {"certified": False, "radius": res["width"],
                    "reason": f"the certified root is {gap:.2g} (relative) away from the given S"}
    return {"certified": True, "radius": res["width"], "reason": ""}
