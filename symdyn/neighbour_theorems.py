"""Former home of the neighbouring models' registry entries (now :mod:`symdyn.theorems.neighbours`); kept so that
old imports keep working."""
from .theorems.neighbours import theorems as neighbour_theorems

__all__ = ["neighbour_theorems"]
