"""Hypothesis profile for the suite: derandomized (every run draws the same examples, so a failure is
reproducible from the command line), no per-example deadline (SymPy's first calls compile), and a small
example budget so that `make test` stays well inside its time limit."""
from hypothesis import HealthCheck, settings

settings.register_profile("symdyn", derandomize=True, deadline=None, max_examples=20, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("symdyn")
