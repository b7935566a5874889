"""The public names of elementwise op rows: for a row registered with ``names``, each name
becomes ``torch.<name>`` (with ``out=``), ``Tensor.<name>`` and the in-place
``Tensor.<name>_``, all calling the dispatcher's ``_unary``/``_binary`` with the row's key.
``install`` binds the rows registered so far and every row registered later (and unbinds a row's
names when it is removed), so an elementwise op needs nothing beyond its row.

Unary rows compute in the default float dtype for integer and bool inputs; binary rows are
PyTorch's float functions of two tensors (``atan2``, ``logaddexp``: no number overload,
integers promote to the default dtype)."""

from __future__ import annotations

from . import aliases, ops
from .dispatch import _binary, _unary
from .tensor_data import Tensor


def _not_tensor(name, what, position, value):
    return TypeError(f"{name}(): argument '{what}' (position {position}) must be Tensor, not "
                     f"{type(value).__name__}")


def _unary_forms(key, name):
    def method(self):
        return _unary(key, self)

    def function(input):
        try:
            return _unary(key, input)
        except AttributeError:
            if not isinstance(input, Tensor):
                raise _not_tensor(name, "input", 1, input) from None
            raise

    def method_(self):
        return self._inplace(method)

    return method, function, method_


def _binary_forms(key, name):
    def method(self, other):
        if not isinstance(other, Tensor):
            raise _not_tensor(name, "other", 1, other)
        return _binary(key, self, other, True)

    def function(input, other):
        if not isinstance(input, Tensor):
            raise _not_tensor(name, "input", 1, input)
        if not isinstance(other, Tensor):
            raise _not_tensor(name, "other", 2, other)
        return _binary(key, input, other, True)

    def method_(self, other):
        return self._inplace(method, other)

    return method, function, method_


class _Binder:
    """Binds rows' names into the ``torch`` namespace and onto ``Tensor``; remembers what it
    bound per row so a removed row takes exactly its names with it."""

    def __init__(self, namespace: dict):
        self.namespace = namespace
        self.bound: dict[str, list[tuple[object, str]]] = {}

    def __call__(self, key, new, old):
        if old is not None:
            for owner, attr in self.bound.pop(key, ()):
                if owner is Tensor:
                    delattr(Tensor, attr)
                else:
                    self.namespace.pop(attr, None)
        if new is not None and new.names:
            self.bound[key] = self._bind(key, new)

    def _bind(self, key, op):
        forms = _unary_forms if op.kind == "unary" else _binary_forms
        done = []
        for name in op.names:
            method, function, method_ = forms(key, name)
            for f, n in ((method, name), (function, name), (method_, name + "_")):
                f.__name__ = f.__qualname__ = n
                f.__doc__ = f"``{n}``: {op.doc}" if op.doc else None
            setattr(Tensor, name, method)
            setattr(Tensor, name + "_", method_)
            self.namespace[name] = aliases.with_out(function)
            done += [(Tensor, name), (Tensor, name + "_"), (self.namespace, name)]
        return done


def install(namespace: dict) -> None:
    """Bind every row's names now and every later row's on registration (``namespace``: the
    ``torch`` module's globals)."""
    ops.watch(_Binder(namespace))
