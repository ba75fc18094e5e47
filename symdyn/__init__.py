"""symdyn — symbolic-numeric analysis of learning dynamics.

The public API: everything the README's tour and a 20-line user model need, without deep imports.  A model (or
your own :class:`VectorField`) gives a field; ``field.lambdify()`` a compiled :class:`Kernel`; equilibria come
from the model or :func:`equilibrium_components`; verdicts from :func:`stability` / :func:`linear_stability`;
trajectories from :func:`integrate` / :func:`euler_map`; branches and their folds, branch points and Hopf points from
:func:`continue_equilibria` (a user field: :func:`field_problem`; the models: :func:`continue_ssl`,
:func:`continue_attention`); claims are checked by :func:`verify`; documents come
from :func:`field_document` and the other renderers in :mod:`symdyn.latex`.  The modules ``symdyn.stability``,
``symdyn.classify`` and ``symdyn.local_dimension`` are modules (their docstrings are the specifications) that can
be called as their namesake functions.  See ARCHITECTURE.md for the layout.
"""
from . import classify, local_dimension, stability  # callable modules: symdyn.stability(kernel, x) works
from .classify import ClassificationResult, Tolerances
from .continuation import ContinuationResult, continue_equilibria, field_problem
from .equilibria import EquilibriumComponent, EquilibriumSet, EquilibriumVariety, equilibrium_components
from .field import GradientCheck, VectorField
from .flows import Trajectory, ema_step, euler_map, gradient_step, integrate
from .instances import random_moments
from .kernels import Kernel
from .latex import field_document, ssl_document
from .local_dimension import LocalDimension
from .models import DeepLinear, DirectPred, LinearSSL, MultiAgentOja, OjaFlow, OjaSubspaceFlow, SelfAttention
from .models.attention_continuation import continue_attention
from .models.ssl_continuation import continue_ssl
from .stability import StabilityReport, linear_stability
from .theorems import CheckResult, Theorem, decay_law, register, verify

__all__ = ["VectorField", "GradientCheck", "Kernel",
           "LinearSSL", "SelfAttention", "OjaFlow", "MultiAgentOja", "OjaSubspaceFlow", "DirectPred", "DeepLinear",
           "EquilibriumComponent", "EquilibriumSet", "EquilibriumVariety", "equilibrium_components",
           "local_dimension", "LocalDimension",
           "stability", "linear_stability", "StabilityReport",
           "classify", "ClassificationResult", "Tolerances",
           "integrate", "euler_map", "gradient_step", "ema_step", "Trajectory",
           "continue_equilibria", "field_problem", "ContinuationResult", "continue_ssl", "continue_attention",
           "verify", "register", "decay_law", "Theorem", "CheckResult",
           "field_document", "ssl_document", "random_moments"]
__version__ = "0.1.0"
