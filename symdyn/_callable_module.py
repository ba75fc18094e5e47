"""Modules named after their main function stay modules: ``import symdyn.stability`` yields the module (its
docstring is the specification), and calling the module calls the function of the same name, so
``from symdyn import stability; stability(kernel, x)`` keeps working.  No function shadows its module."""
from __future__ import annotations

import sys
import types

__all__ = ["callable_module"]


class _CallableModule(types.ModuleType):
    """A module whose call is its function of the same name (``module.__name__``'s last part)."""

    def __call__(self, *args, **kwargs):
        return getattr(self, self.__name__.rsplit(".", 1)[-1])(*args, **kwargs)


def callable_module(name: str) -> None:
    """Make the module ``name`` (already in ``sys.modules``) callable as its namesake function.

    Examples
    --------
    >>> import symdyn.stability, types
    >>> isinstance(symdyn.stability, types.ModuleType), callable(symdyn.stability)   # a module, callable as stability()
    (True, True)
    """
    sys.modules[name].__class__ = _CallableModule
