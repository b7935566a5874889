"""Older spellings that tutorials still use, answering as PyTorch 2.13 does.

``torch.LongTensor([...])`` and its siblings (constructors with their dtype, and
``isinstance(t, torch.FloatTensor)`` by dtype), ``Tensor.type()``/``type(dtype)`` (also with
``'torch.LongTensor'`` strings), ``type_as``, ``new_ones``/``new_zeros``/``new_full``/
``new_empty``/``new_tensor``, ``set_default_device('cpu')``, ``torch.accelerator`` as a CPU-only
build answers it, and ``torch.__version__`` that compares with strings and tuples.
"""

from __future__ import annotations

import builtins
import types

import numpy as np

from . import _dtype
from .device import check_device
from .device import device as _device
from .tensor import Size, Tensor, _shape_arg, _wrap, as_array

_CPP_NAMES = {"float16": "c10::Half", "float32": "float", "float64": "double", "int8": "signed char",
              "uint8": "unsigned char", "int16": "short int", "int32": "int", "int64": "long int",
              "bool": "bool"}


def _options(dt) -> str:
    return (f"TensorOptions(dtype={_CPP_NAMES[dt.name]}, device=cpu, layout=Strided, "
            "requires_grad=false (default), pinned_memory=false (default), "
            "memory_format=(nullopt))")


class _LegacyType(type):
    """The metaclass of ``torch.FloatTensor`` & co: calling one builds a Tensor of its dtype,
    ``isinstance`` asks for that dtype, and the class prints as PyTorch's."""

    def __call__(cls, *args, **kwargs):
        dt = cls.dtype
        if kwargs:
            raise TypeError(f"new() received an invalid combination of arguments - got "
                            f"({', '.join(type(a).__name__ for a in args)}, "
                            f"{', '.join(f'{k}={type(v).__name__}' for k, v in kwargs.items())})"
                            ", but expected one of: (torch.device device), (tuple of ints size, "
                            "*, torch.device device), (object data, *, torch.device device)")
        if not args:
            return _wrap(np.zeros((0,), dt.np))
        first = args[0]
        if len(args) == 1 and isinstance(first, Tensor):
            if first.dtype is not dt:
                raise TypeError(f"expected {_options(dt)} (got {_options(first.dtype)})")
            return first
        if isinstance(first, Size) or all(isinstance(a, builtins.int | np.integer)
                                          and not isinstance(a, builtins.bool) for a in args):
            shape = _shape_arg(args)
            return _wrap(np.zeros(shape, dt.np))
        if len(args) > 1:
            bad = next(i for i, a in enumerate(args) if not isinstance(a, builtins.int))
            raise TypeError(f"new(): argument 'size' failed to unpack the object at pos "
                            f"{bad + 1} with error \"type must be tuple of ints,but got "
                            f"{type(args[bad]).__name__}\"")
        if isinstance(first, builtins.float | builtins.bool | complex):
            raise TypeError(f"new(): data must be a sequence (got {type(first).__name__})")
        return _wrap(np.array(as_array(first, dt), dtype=dt.np))

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype

    def __repr__(cls):
        return f"<class 'torch.{cls.__name__}'>"


def _legacy(dt) -> type:
    name = dt.tensor_type
    return _LegacyType(name, (), {"dtype": dt, "is_sparse": False, "is_cuda": False,
                                  "__module__": "torch"})


FloatTensor, DoubleTensor, HalfTensor = (_legacy(d) for d in (_dtype.float32, _dtype.float64,
                                                               _dtype.float16))
LongTensor, IntTensor, ShortTensor = (_legacy(d) for d in (_dtype.int64, _dtype.int32,
                                                            _dtype.int16))
CharTensor, ByteTensor, BoolTensor = (_legacy(d) for d in (_dtype.int8, _dtype.uint8,
                                                            _dtype.bool))
_BY_NAME = {c.__name__: c for c in (FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor,
                                    ShortTensor, CharTensor, ByteTensor, BoolTensor)}


# ---- Tensor.type, type_as, new_* --------------------------------------------------------------
def _resolve_type(dtype):
    if isinstance(dtype, _dtype.dtype):
        return dtype
    if isinstance(dtype, _LegacyType):
        return dtype.dtype
    if isinstance(dtype, str):
        name = dtype.removeprefix("torch.")
        if dtype.startswith("torch.") and name in _BY_NAME:
            return _BY_NAME[name].dtype
        raise ValueError(f"invalid type: '{dtype}'")
    if isinstance(dtype, type):
        raise ValueError(f"invalid type: '{dtype.__name__}'")
    raise ValueError(f"invalid type: '{dtype}'")


def _type(self, dtype=None, non_blocking=False, **kwargs):
    """``t.type()`` names the legacy class (``'torch.FloatTensor'``); ``t.type(x)`` converts,
    x a dtype, a legacy class or its name."""
    if dtype is None:
        return f"torch.{self.dtype.tensor_type}"
    return self.to(_resolve_type(dtype))


def _type_as(self, other):
    return self.to(other.dtype)


def _new_size(size):
    return _shape_arg(size)


def _new(self, arr, dtype, requires_grad, device):
    check_device(device)
    out = _wrap(arr)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _np(self, dtype):
    return self._data.dtype if dtype is None else _dtype.to_numpy_dtype(dtype)


def _new_ones(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
              pin_memory=False):
    return _new(self, np.ones(_new_size(size), _np(self, dtype)), dtype, requires_grad, device)


def _new_zeros(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
               pin_memory=False):
    return _new(self, np.zeros(_new_size(size), _np(self, dtype)), dtype, requires_grad, device)


def _new_empty(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
               pin_memory=False):
    return _new_zeros(self, *size, dtype=dtype, device=device, requires_grad=requires_grad)


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False,
              layout=None, pin_memory=False):
    arr = np.full(_shape_arg((size,)), fill_value).astype(_np(self, dtype))
    return _new(self, arr, dtype, requires_grad, device)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None,
                pin_memory=False):
    dt = self.dtype if dtype is None else dtype
    src = data.detach() if isinstance(data, Tensor) else data
    arr = np.array(as_array(src, dt), dtype=_dtype.to_numpy_dtype(dt))
    return _new(self, arr, dtype, requires_grad, device)


Tensor.type = _type
Tensor.type_as = _type_as
Tensor.new_ones = _new_ones
Tensor.new_zeros = _new_zeros
Tensor.new_empty = _new_empty
Tensor.new_full = _new_full
Tensor.new_tensor = _new_tensor


# ---- devices -----------------------------------------------------------------------------------
_CPU = _device("cpu")


def set_default_device(device) -> None:
    """Only the CPU exists: ``'cpu'`` (or None) is accepted; ``'cuda'``/``'mps'`` raise the error a
    CPU-only PyTorch raises at the first tensor made on them, here at once."""
    check_device(device)


def get_default_device():
    return _CPU


class _Accelerator(types.ModuleType):
    """``torch.accelerator`` of a CPU-only build: no accelerator, no devices."""

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def current_accelerator(check_available=False):
        return None

    @staticmethod
    def device_count() -> int:
        return 0

    @staticmethod
    def current_device_index() -> int:
        return -1

    @staticmethod
    def synchronize(device=None) -> None:
        return None


accelerator = _Accelerator("torch.accelerator")


# ---- the version string -----------------------------------------------------------------------
def _key(v) -> tuple:
    """A release's sort key as packaging orders versions: numbers, then dev < pre < final, then
    a local label (``+cpu``) after none."""
    if isinstance(v, tuple | list):
        v = ".".join(str(p) for p in v)
    text, _, local = str(v).partition("+")
    numbers, phase = [], 0
    for piece in text.split("."):
        if piece.isdigit():
            numbers.append(builtins.int(piece))
            continue
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if digits:
            numbers.append(builtins.int(digits))
        phase = -2 if "dev" in piece else -1
        break
    while numbers and numbers[-1] == 0:
        numbers.pop()
    return (tuple(numbers), phase, 1 if local else 0)


class TorchVersion(str):
    """A ``str`` that compares as a release number (``torch.__version__ >= "2.0"``, ``>= (2, 0)``),
    ordered as PyTorch's ``TorchVersion`` orders them."""

    def __lt__(self, other):
        return _key(self) < _key(other)

    def __le__(self, other):
        return _key(self) <= _key(other)

    def __gt__(self, other):
        return _key(self) > _key(other)

    def __ge__(self, other):
        return _key(self) >= _key(other)

    def __eq__(self, other):
        return _key(self) == _key(other)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return str.__hash__(self)


__version__ = TorchVersion("2.13.0+cpu")

version = types.ModuleType("torch.version")
version.__version__ = __version__
version.cuda = None
version.hip = None
version.debug = False
version.git_version = "stepgrad"
