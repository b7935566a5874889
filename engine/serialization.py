"""``torch.save``/``torch.load`` for tensors, parameters, state dicts and the plain containers
around them (a ``checkpoint.pt`` round-trips; PyTorch's own zip files are not read).

The file is a short header then a pickle in which every tensor is a persistent reference
(dtype, shape, raw bytes, requires_grad, whether it was a Parameter). Loading follows PyTorch
2.13's default ``weights_only=True``: only containers, numbers, strings, tensors, ``Size``,
dtypes and devices come back, and any other class named in the file is refused with PyTorch's
message before anything of it runs; ``weights_only=False`` unpickles everything, as PyTorch does
when told the file is trusted.
"""

from __future__ import annotations

import collections
import io
import os
import pickle

import numpy as np

from . import _dtype
from .device import device
from .tensor import Size, Tensor, _wrap

_MAGIC = b"STEPGRAD-SAVE 1\n"
# (module, name) pairs a weights-only load may rebuild
_SAFE = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("engine.tensor", "Size"): Size,
    ("engine._dtype", "_by_name"): _dtype._by_name,
    ("engine.device", "device"): device,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "slice"): slice,
    ("builtins", "complex"): complex,
}


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Tensor):
            from .nn.module import Parameter

            arr = np.ascontiguousarray(obj._data)
            return ("tensor", arr.dtype.str, arr.shape, arr.tobytes(), obj.requires_grad,
                    isinstance(obj, Parameter))
        return None


def _rebuild(pid):
    kind, dtype_str, shape, raw, requires_grad, is_parameter = pid
    if kind != "tensor":
        raise pickle.UnpicklingError(f"unknown persistent reference {kind!r}")
    arr = np.frombuffer(raw, dtype=np.dtype(dtype_str)).reshape(shape).copy()
    t = _wrap(arr)
    if is_parameter:
        from .nn.module import Parameter

        return Parameter(t, requires_grad=requires_grad)
    if requires_grad:
        t.requires_grad_(True)
    return t


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid):
        return _rebuild(pid)


def _weights_only_error(what: str) -> pickle.UnpicklingError:
    return pickle.UnpicklingError(
        "Weights only load failed. This file can still be loaded, to do so you have two "
        "options, do those steps only if you trust the source of the checkpoint. \n\t(1) In "
        "PyTorch 2.6, we changed the default value of the `weights_only` argument in "
        "`torch.load` from `False` to `True`. Re-running `torch.load` with `weights_only` set "
        "to `False` will likely succeed, but it can result in arbitrary code execution. Do it "
        "only if you got the file from a trusted source.\n\t(2) Alternatively, to load with "
        "`weights_only=True` please check the recommended steps in the following error "
        f"message.\n\tWeightsUnpickler error: Unsupported global: GLOBAL {what} was not an "
        "allowed global by default.")


class _WeightsUnpickler(_Unpickler):
    def find_class(self, module, name):
        found = _SAFE.get((module, name))
        if found is None:
            raise _weights_only_error(f"{module}.{name}")
        return found


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True):
    """Write ``obj`` to a path (``'model.pt'``, ``'weights.pth'``) or a binary file object."""
    buf = io.BytesIO()
    buf.write(_MAGIC)
    _Pickler(buf, protocol=4).dump(obj)
    data = buf.getvalue()
    if isinstance(f, str | os.PathLike):
        with open(f, "wb") as fh:
            fh.write(data)
    else:
        f.write(data)


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None,
         **pickle_load_args):
    """Read what ``save`` wrote; ``weights_only`` as in PyTorch 2.13 (True by default)."""
    if isinstance(f, str | os.PathLike):
        with open(f, "rb") as fh:
            data = fh.read()
    else:
        data = f.read()
    if not data.startswith(_MAGIC):
        kind = ("a PyTorch zip checkpoint" if data[:2] == b"PK" else "not a file torch.save "
                "wrote")
        raise pickle.UnpicklingError(
            f"cannot load {kind}: stepgrad reads the files its own torch.save writes (save the "
            "object again from a script run in stepgrad)")
    body = io.BytesIO(data[len(_MAGIC):])
    unpickler = (_WeightsUnpickler if weights_only or weights_only is None else _Unpickler)(body)
    return unpickler.load()
