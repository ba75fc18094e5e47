r"""
Continuation in λ: the fold where the spheres are born
======================================================

Following the m = 1 equilibria in the weight decay λ, the two spheres meet and vanish at a fold, where the
discriminant τ² − 4ρλ of :math:`\rho r^2 - |\tau| r + \lambda = 0` vanishes. The located event is compared with that closed form.
"""
import matplotlib.pyplot as plt
import numpy as np

from symdyn import LinearSSL, continue_ssl

rho, tau = 1.2, 0.7
model = LinearSSL(1, 2, np.array([[rho]]), np.array([[tau]]), np.eye(1), 0.02)
res = continue_ssl(model, "sg", "lam", mu_range=(1e-3, 0.3), ds=0.01)
fold = [e.mu for e in res.events if e.kind == "fold"]
print("fold at lambda =", fold, " closed form tau^2/(4 rho) =", tau ** 2 / (4 * rho))

# %%
# The bifurcation diagram: stable stretches solid, unstable dashed, the fold marked.
ax = res.plot(ylabel="radius")
ax.set_xlabel(r"$\lambda$")
plt.tight_layout()
