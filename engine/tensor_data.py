"""The tensor's data layer: the ``Tensor`` class with its fields (a numpy array ``_data``,
``requires_grad``, ``grad_fn``, a version counter), ``_wrap`` (a Tensor around an array, the
engine's allocator), ``torch.Size`` and the conversion of Python data to arrays with PyTorch's
dtype inference. Its methods are bound by ``engine.tensor``; the dispatcher
(``engine.dispatch``) builds on this module only."""

from __future__ import annotations

import builtins

import numpy as np

from . import _dtype

_default = _dtype._default


class Size(tuple):
    """``torch.Size``: a tuple that prints as ``torch.Size([2, 3])``."""

    __module__ = "engine.tensor"  # where pickle finds it (saved checkpoints name it so)
    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(str(n) for n in self)}])"

    def numel(self) -> int:
        return int(np.prod(self, dtype=np.int64))


# ---- array conversion -------------------------------------------------------------------------


def _flatten_tensors(data):
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, list | tuple):
        return [_flatten_tensors(x) for x in data]
    return data


def as_array(data, dtype=None) -> np.ndarray:
    """numpy array for ``torch.tensor(data, dtype=...)`` with PyTorch's dtype inference."""
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, np.ndarray):
        arr = data
    else:
        try:
            arr = np.asarray(_flatten_tensors(data))
        except ValueError:
            _check_nesting(data)
            raise
        if dtype is None:
            kind = arr.dtype.kind
            if kind == "f":
                arr = arr.astype(_default[0].np, copy=False)
            elif kind in "iu":
                arr = arr.astype(np.int64, copy=False)
            elif kind not in "b":
                raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    if dtype is not None:
        arr = arr.astype(_dtype.to_numpy_dtype(dtype), copy=False)
    elif arr.dtype not in _dtype._BY_NP:
        _dtype.from_numpy_dtype(arr.dtype)  # raises PyTorch's message
    return arr


def _is_seq(x) -> bool:
    return isinstance(x, list | tuple) or (isinstance(x, Tensor | np.ndarray) and x.ndim > 0)


def _check_nesting(data) -> None:
    """Raise PyTorch's message for ragged nested lists: the shape comes from the first element
    at every depth, and each element is held to it."""
    sizes, x = [], data
    while _is_seq(x):
        sizes.append(len(x))
        x = x[0] if len(x) else None
    as_int = isinstance(x, int)  # PyTorch's message is the failed conversion to the leaf's type

    def walk(x, dim):
        if dim == len(sizes):
            if _is_seq(x):
                raise TypeError(f"'{type(x).__name__}' object cannot be interpreted as an "
                                "integer" if as_int else
                                f"must be real number, not {type(x).__name__}")
            return
        if not _is_seq(x):
            raise TypeError("not a sequence")
        if len(x) != sizes[dim]:
            raise ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} "
                             f"(got {len(x)})")
        for item in x:
            walk(item, dim + 1)

    walk(data, 0)


_alloc = object.__new__  # engine.inference swaps it while inference mode is on


def _wrap(arr, rg=False):
    t = _alloc(Tensor)
    t._data = arr
    t._rg = rg
    t.grad_fn = None
    t._grad = None
    t._vc = [0]
    t._out_nr = 0
    return t


def _arr(x):
    return x._data if isinstance(x, Tensor) else x


def _shape_arg(args):
    if len(args) == 1 and isinstance(args[0], list | tuple | Size):
        args = tuple(args[0])
    return tuple(builtins.int(a) for a in args)


class _TensorClass(type):
    """Prints ``type(t)`` as ``<class 'torch.Tensor'>``: scripts run with ``import torch`` bound
    to the engine see PyTorch's class names (the module stays ``engine.tensor`` for pickle)."""

    def __repr__(cls):
        name = cls.__dict__.get("_torch_name")
        return f"<class '{name}'>" if name else super().__repr__()


class Tensor(metaclass=_TensorClass):
    """A numpy array (``_data``) with autograd metadata. Its methods are bound from
    ``engine.tensor``; this is the data layer the dispatcher builds on."""

    __module__ = "engine.tensor"  # where pickle and repr find it
    _torch_name = "torch.Tensor"
    # hot fields are slots; rarely set ones live in __dict__ with class defaults, so creating a
    # tensor (done for every op) writes six fields, not ten
    __slots__ = ("__dict__", "__weakref__", "_data", "_grad", "_out_nr", "_rg", "_vc", "grad_fn")
    __array_priority__ = 1000  # numpy defers to our reflected operators
    _hooks = None  # OrderedDict of hooks on a leaf
    _retains = False  # retain_grad() was called
    _acc = None  # weakref to this leaf's AccumulateGrad node
    _view = None  # engine.views.ViewInfo when this tensor is a view
    _views = None  # weakrefs to this base's views

    def __init__(self, *args, **kwargs):
        # torch.Tensor([...]) is float (default dtype); torch.Tensor(2, 3) allocates a shape
        if len(args) == 1 and not isinstance(args[0], builtins.int):
            arr = as_array(args[0], _default[0])
        elif not args:
            arr = np.zeros((0,), dtype=_default[0].np)  # torch.Tensor() is tensor([])
        else:
            arr = np.zeros(_shape_arg(args), dtype=_default[0].np)
        self._data = arr
        self._rg = False
        self.grad_fn = None
        self._grad = None
        self._vc = [0]
        self._out_nr = 0


def bind_methods(cls, table) -> None:
    """Put the methods and attributes of class ``table`` on ``cls``, named as its own: the
    Tensor's method families are written as class bodies (so a method named ``sum`` or ``max``
    does not shadow the builtin in its module) and bound onto the one class."""
    for name, value in vars(table).items():
        if name in ("__module__", "__qualname__", "__doc__", "__dict__", "__weakref__"):
            continue
        for fn in (value, getattr(value, "__func__", None), getattr(value, "fget", None),
                   getattr(value, "fset", None)):
            if hasattr(fn, "__code__"):
                fn.__qualname__ = f"{cls.__name__}.{fn.__name__}"
        setattr(cls, name, value)
