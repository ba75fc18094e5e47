"""Hand-written NumPy references: what a user would write by hand for f and J.

Shapes follow symdyn's flat states: SSL x = (vec_r A, vec_r B[, vec_r C]); Oja x (..., d);
attention X (..., n, d).  Jacobians are (..., D, D) with rows = outputs, columns = inputs.
"""
from __future__ import annotations

import numpy as np


def oja_f(X, V):
    VX = X @ V.T
    return VX - np.sum(X * VX, -1, keepdims=True) * X


def oja_J(X, V):
    d = V.shape[0]
    s = np.sum(X * (X @ V.T), -1)
    return V - s[..., None, None] * np.eye(d) - X[..., :, None] * (X @ (V + V.T))[..., None, :]


def _unpack(x, n, m, ema):
    b = x.shape[:-1]
    A = x[..., : n * m].reshape(b + (n, m))
    B = x[..., n * m: n * m + n * n].reshape(b + (n, n))
    C = x[..., n * m + n * n:].reshape(b + (n, m)) if ema else A
    return A, B, C


def ssl_f(x, n, m, Sx, Syx, lam, kappa=None):
    """SG (kappa None) or EMA field: Ȧ = −BᵀR − λA, Ḃ = −RAᵀ − λB, R = BAΣx − CΣyx, Ċ = κ(A − C)."""
    ema = kappa is not None
    A, B, C = _unpack(x, n, m, ema)
    R = B @ A @ Sx - C @ Syx
    dA = -np.swapaxes(B, -1, -2) @ R - lam * A
    dB = -R @ np.swapaxes(A, -1, -2) - lam * B
    parts = [dA.reshape(x.shape[:-1] + (-1,)), dB.reshape(x.shape[:-1] + (-1,))]
    if ema:
        parts.append((kappa * (A - C)).reshape(x.shape[:-1] + (-1,)))
    return np.concatenate(parts, axis=-1)


def ssl_J(x, n, m, Sx, Syx, lam, kappa=None):
    """The same field's Jacobian, block by block (directional derivatives written out by hand)."""
    ema = kappa is not None
    A, B, C = _unpack(x, n, m, ema)
    batch = x.shape[:-1]
    BT = np.swapaxes(B, -1, -2)
    R = B @ A @ Sx - C @ Syx
    AS = A @ Sx
    In = np.eye(n)
    nm, nn = n * m, n * n
    D = x.shape[-1]
    J = np.zeros(batch + (D, D))
    # dȦ/dA = −BᵀB ⊗ Σxᵀ (+ Bᵀ ⊗ Σyxᵀ for SG) − λ I
    JAA = -np.einsum("...ik,lj->...ijkl", BT @ B, Sx)
    if not ema:
        JAA += np.einsum("...ik,lj->...ijkl", BT, Syx)
    J[..., :nm, :nm] = JAA.reshape(batch + (nm, nm)) - lam * np.eye(nm)
    # dȦ/dB: −δ_il R_kj − Bᵀ_ik (AΣx)_lj
    JAB = -np.einsum("il,...kj->...ijkl", In, R) - np.einsum("...ik,...lj->...ijkl", BT, AS)
    J[..., :nm, nm:nm + nn] = JAB.reshape(batch + (nm, nn))
    # dḂ/dA: −B_ik (ΣxAᵀ)_lj (+ δ_ik (ΣyxAᵀ)_lj for SG) − R_il δ_jk
    SAT = Sx @ np.swapaxes(A, -1, -2)
    JBA = -np.einsum("...ik,...lj->...ijkl", B, SAT) - np.einsum("...il,jk->...ijkl", R, In)
    if not ema:
        JBA += np.einsum("ik,...lj->...ijkl", In, Syx @ np.swapaxes(A, -1, -2))
    J[..., nm:nm + nn, :nm] = JBA.reshape(batch + (nn, nm))
    # dḂ/dB = −I ⊗ (AΣxAᵀ)ᵀ − λ I
    JBB = -np.einsum("ik,...lj->...ijkl", In, AS @ np.swapaxes(A, -1, -2))
    J[..., nm:nm + nn, nm:nm + nn] = JBB.reshape(batch + (nn, nn)) - lam * np.eye(nn)
    if ema:
        J[..., :nm, nm + nn:] = np.einsum("...ik,lj->...ijkl", BT, Syx).reshape(batch + (nm, nm))
        J[..., nm:nm + nn, nm + nn:] = np.einsum("ik,...lj->...ijkl", In, Syx @ np.swapaxes(A, -1, -2)).reshape(batch + (nn, nm))
        J[..., nm + nn:, :nm] = kappa * np.eye(nm)
        J[..., nm + nn:, nm + nn:] = -kappa * np.eye(nm)
    return J


def attention_f(X, V, M, beta):
    """(SA): f_i = P_i Σ_j softmax_j(β x_iᵀ M x_j) V x_j, for X (..., n, d)."""
    L = beta * (X @ M) @ np.swapaxes(X, -1, -2)
    L -= L.max(axis=-1, keepdims=True)
    W = np.exp(L)
    W /= W.sum(axis=-1, keepdims=True)
    m = W @ (X @ V.T)
    return m - np.sum(X * m, -1, keepdims=True) * X
