"""Argument spellings PyTorch accepts beside the ones in each signature.

NumPy's names: every ``dim`` may be passed as ``axis`` and every ``keepdim`` as ``keepdims``
(``P.sum(1, keepdims=True)``, ``x.mean(axis=0)``), on Tensor methods and ``torch.*`` functions.
``out=``: every ``torch.*`` function writes its result into a given tensor (resized, with
PyTorch's warning, when its shape differs) and returns it, with PyTorch's errors for a result
that cannot be cast to ``out``'s dtype and for inputs that require grad.

The wrappers are installed once at import; a call without keywords costs one empty-dict test.
"""

from __future__ import annotations

import functools
import inspect
import warnings

import numpy as np

_RENAMES = (("axis", "dim"), ("keepdims", "keepdim"))
# creation functions take out='s dtype when none is given
_FACTORIES = frozenset(("zeros", "ones", "empty", "full", "arange", "linspace", "eye", "rand",
                        "randn", "randint", "randperm", "normal"))
_SCALAR_NAMES = {"f": {2: "Half", 4: "Float", 8: "Double"}, "i": {1: "Char", 2: "Short", 4: "Int",
                                                                  8: "Long"},
                 "u": {1: "Byte"}, "b": {1: "Bool"}}


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


def _scalar_name(dt) -> str:
    return _SCALAR_NAMES.get(dt.kind, {}).get(dt.itemsize, dt.name)


def _requires_grad(values) -> bool:
    from .grad_mode import is_grad_enabled
    from .tensor import Tensor

    if not is_grad_enabled():
        return False
    for v in values:
        if isinstance(v, Tensor) and v.requires_grad:
            return True
        if isinstance(v, list | tuple) and _requires_grad(v):
            return True
    return False


def _copy_into(name, result, out):
    from .tensor import Tensor

    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    src, dst = result._data, out._data
    narrowing = {"b": 0, "u": 1, "i": 1, "f": 2}
    if narrowing[src.dtype.kind] > narrowing[dst.dtype.kind]:
        raise RuntimeError(f"result type {_scalar_name(src.dtype)} can't be cast to the desired "
                           f"output type {_scalar_name(dst.dtype)}")
    if dst.shape != src.shape:
        if dst.size:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape "
                f"{list(dst.shape)}, which does not match the required output shape "
                f"{list(src.shape)}. This behavior is deprecated, and in a future PyTorch "
                "release outputs will not be resized unless they have zero elements. You can "
                "explicitly reuse an out tensor t by resizing it, inplace, to zero elements with "
                "t.resize_(0).", UserWarning, stacklevel=4)
        out._data = np.array(src, dtype=dst.dtype)
    else:
        dst[...] = src
    out._vc[0] += 1
    return out


def _with_out(fn):
    """``fn`` accepting ``out=`` (and NumPy's names)."""
    name = fn.__name__
    factory = name in _FACTORIES

    @functools.wraps(fn)
    def call(*args, **kwargs):
        if kwargs:
            if "axis" in kwargs or "keepdims" in kwargs:
                kwargs = _rename(name, kwargs)
            if "out" in kwargs:
                out = kwargs.pop("out")
                if out is not None:
                    return _into(name, fn, args, kwargs, out, factory)
        return fn(*args, **kwargs)

    call._numpy_names = True
    return call


with_out = _with_out  # for torch.* functions bound after import (engine.op_binding)


def _into(name, fn, args, kwargs, out, factory):
    if _requires_grad(args) or _requires_grad(kwargs.values()):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if factory and kwargs.get("dtype") is None and hasattr(out, "dtype"):
        kwargs["dtype"] = out.dtype
    result = fn(*args, **kwargs)
    if isinstance(out, tuple | list) and isinstance(result, tuple):
        filled = [_copy_into(name, r, o) for r, o in zip(result, out, strict=True)]
        return type(result)(*filled) if hasattr(result, "_fields") else tuple(filled)
    return _copy_into(name, result, out)


def _takes_dim(fn) -> bool:
    if getattr(fn, "_numpy_names", False):
        return False
    code = inspect.unwrap(fn).__code__  # the parameter names, without building a Signature
    params = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    return "dim" in params or "keepdim" in params


def install(cls, namespace: dict) -> None:
    """Wrap ``cls``'s public methods that take a dim, and every public function of
    ``namespace`` (the ``torch.*`` functions: NumPy's names and ``out=``)."""
    for name, fn in list(vars(cls).items()):
        if not name.startswith("_") and inspect.isfunction(fn) and _takes_dim(fn):
            setattr(cls, name, _accepting_numpy_names(fn))
    for name, fn in list(namespace.items()):
        if (not name.startswith("_") and inspect.isfunction(fn)
                and not getattr(fn, "_numpy_names", False)):
            namespace[name] = _with_out(fn)
