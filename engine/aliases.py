"""NumPy's argument names where PyTorch accepts them: every ``dim`` may be passed as ``axis``
and every ``keepdim`` as ``keepdims`` (``P.sum(1, keepdims=True)``, ``x.mean(axis=0)``), on
Tensor methods and on the ``torch.*`` functions that forward to them or take a ``dim``.

The wrappers are installed once at import over whatever takes those parameters; a call without
keywords costs one empty-dict test.
"""

from __future__ import annotations

import functools
import inspect

_RENAMES = (("axis", "dim"), ("keepdims", "keepdim"))


def _rename(name, kwargs):
    for alias, real in _RENAMES:
        if alias in kwargs:
            if real in kwargs:
                raise TypeError(f"{name}() got multiple values for argument '{real}'")
            kwargs[real] = kwargs.pop(alias)
    return kwargs


def _accepting_numpy_names(fn):
    name = fn.__name__

    @functools.wraps(fn)
    def call(*args, **kwargs):
        if kwargs and ("axis" in kwargs or "keepdims" in kwargs):
            kwargs = _rename(name, kwargs)
        return fn(*args, **kwargs)

    call._numpy_names = True
    return call


def _takes_dim(fn) -> bool:
    if getattr(fn, "_numpy_names", False):
        return False
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "dim" in params or "keepdim" in params


def install(cls, namespace: dict) -> None:
    """Wrap ``cls``'s public methods and ``namespace``'s public functions that take a dim."""
    for name, fn in list(vars(cls).items()):
        if not name.startswith("_") and inspect.isfunction(fn) and _takes_dim(fn):
            setattr(cls, name, _accepting_numpy_names(fn))
    for name, fn in list(namespace.items()):
        if not name.startswith("_") and inspect.isfunction(fn) and _takes_dim(fn):
            namespace[name] = _accepting_numpy_names(fn)
