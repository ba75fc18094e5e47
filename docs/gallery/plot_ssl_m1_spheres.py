r"""
Stop-gradient SSL with m = 1: the two spheres
=============================================

The stop-gradient field of the linear SSL model is derived from its objective; for m = 1 its non-zero equilibria
lie on two spheres ‖a‖ = r₁ < r₂, the roots of :math:`\rho r^2 - |\tau| r + \lambda = 0`. The whole equilibrium set (the origin and both
spheres) comes with verdicts: the outer sphere attracts, the inner one is a saddle. Training from random starts
ends on the outer sphere or at the origin.
"""
import matplotlib.pyplot as plt
import numpy as np

from symdyn import LinearSSL

model = LinearSSL(1, 2, [[1.0]], [[0.8]], lam=0.12)
print(model.field("sg").latex())
r1, r2 = model.m1_spheres()["radii"]
for comp in model.equilibrium_set("sg"):
    print(f"{comp.name}: dimension {comp.dimension}, S = {comp.info['S'].ravel()}, {comp.stability().verdict}")

# %%
# Discrete SG training (η = 0.05) from 16 random starts, B(0) = 0.5 I.
rng = np.random.default_rng(0)
x = model.pack(rng.standard_normal((16, 2, 1)), np.broadcast_to(0.5 * np.eye(2), (16, 2, 2)))
step, rows, path = model.discrete_step("sg", eta=0.05), np.arange(16), [x[:, :2]]
for _ in range(2000):
    x = step(x, rows)
    path.append(x[:, :2])
P = np.array(path)
th = np.linspace(0, 2 * np.pi, 200)
fig, ax = plt.subplots(figsize=(4.5, 4.5))
ax.plot(P[:, :, 0], P[:, :, 1], color="tab:blue", lw=0.7)
ax.plot(r2 * np.cos(th), r2 * np.sin(th), "k-", label=f"r2 = {r2:.3f} (stable)")
ax.plot(r1 * np.cos(th), r1 * np.sin(th), "--", color="tab:orange", label=f"r1 = {r1:.3f} (saddle)")
ax.set_aspect("equal")
ax.set_xlabel("$a_1$")
ax.set_ylabel("$a_2$")
ax.legend(fontsize=8)
print("end radii:", np.round(np.linalg.norm(P[-1], axis=1), 4))
