"""
Self-attention on the sphere: simulate and classify
===================================================

Tokens x_i ∈ S² follow ẋ_i = P_{x_i} Σ_j a_ij V x_j. From random starts they end in a configuration that
:func:`symdyn.classify.classify` labels (consensus, bipartite, clustering, ...) and judges (its stability verdict
modulo the symmetries).
"""
import matplotlib.pyplot as plt
import numpy as np

from symdyn import SelfAttention
from symdyn.classify import classify

V = np.diag([1.0, 0.6, -0.4])
model = SelfAttention(8, 3, V=V, beta=2.0)
rng = np.random.default_rng(1)
X0 = rng.standard_normal((8, 3))
X0 /= np.linalg.norm(X0, axis=1, keepdims=True)
res = model.simulate(X0, t_max=200.0)
out = classify(res.X, V=V, beta=2.0)
print(out.label, "-", out.stability.verdict if out.stability is not None else "no verdict")

# %%
# The end configuration: tokens collapse onto ±v for the top eigenvector v of V, or onto v alone.
fig, ax = plt.subplots(figsize=(4.5, 4.5))
ax.scatter(X0[:, 0], X0[:, 2], facecolors="none", edgecolors="tab:blue", label="start")
ax.scatter(res.X[:, 0], res.X[:, 2], color="tab:red", label=f"end ({out.label})")
ax.set_xlabel("$x_1$")
ax.set_ylabel("$x_3$")
ax.set_aspect("equal")
ax.legend(fontsize=8)
