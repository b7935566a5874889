"""Inference tensors: tensors created inside ``torch.inference_mode()``.

They are instances of ``InferenceTensor`` (a Tensor subclass) so that ordinary tensors pay
nothing: while some thread is in inference mode, the tensor allocator (``tensor_data._alloc``) and
``Tensor.__init__`` are replaced by functions that pick the subclass for tensors that thread
creates; outside inference mode the plain ones are back. An inference tensor has no version
counter: its ``_vc`` reads as 0 inside inference mode and raises PyTorch's "cannot be saved for
backward" error outside it — and reading the version is exactly what recording a node that
saves the tensor does, so that error needs no test on the hot path.
"""

from __future__ import annotations

import threading

from . import tensor_data as _tensor_data
from .grad_mode import _GradModeContext, mode
from .tensor import Tensor

SAVE_ERROR = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
    "inference mode in computation tracked by autograd. To work around this, you can make a "
    "clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead of "
    "`torch.inference_mode()`.")
INPLACE_ERROR = (
    "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a "
    "clone to get a normal tensor before doing inplace update.See "
    "https://github.com/pytorch/rfcs/pull/17 for more details.")
REQUIRES_GRAD_ERROR = ("Setting requires_grad=True on inference tensor outside InferenceMode is "
                       "not allowed.")


class _NoVersion:
    """Stands in for an inference tensor's version counter list."""

    __slots__ = ()

    def __getitem__(self, i):
        if mode.inference:
            return 0
        raise RuntimeError(SAVE_ERROR)

    def __setitem__(self, i, value):
        if not mode.inference:
            raise RuntimeError(INPLACE_ERROR)


_NO_VERSION = _NoVersion()


class InferenceTensor(Tensor):
    __slots__ = ()

    @property
    def _vc(self):
        return _NO_VERSION

    @_vc.setter
    def _vc(self, value):
        pass  # no counter to share: views and detached copies of it are inference tensors too

    @property
    def _version(self):
        raise RuntimeError("Inference tensors do not track version counter.")

    @property
    def requires_grad(self):
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value):
        if value and not mode.inference:
            raise RuntimeError(REQUIRES_GRAD_ERROR)
        Tensor.requires_grad.fset(self, value)

    # outside inference mode, in-place ops write and then refuse (PyTorch's kernels write
    # before the version bump that raises)
    def _inplace(self, *args):
        return _write_then_refuse(Tensor._inplace, self, *args)

    def __setitem__(self, idx, value):
        _write_then_refuse(Tensor.__setitem__, self, idx, value)

    def fill_(self, value):
        return _write_then_refuse(Tensor.fill_, self, value)

    def copy_(self, src):
        return _write_then_refuse(Tensor.copy_, self, src)

    def _fill_random(self, values):
        return _write_then_refuse(Tensor._fill_random, self, values)


def _write_then_refuse(method, t, *args):
    if mode.inference:
        return method(t, *args)
    prev = mode.enabled
    mode.inference, mode.enabled = True, False
    try:
        method(t, *args)
    finally:
        mode.inference, mode.enabled = False, prev
    raise RuntimeError(INPLACE_ERROR)


def _is_inference(self) -> bool:
    """True for tensors created in inference mode, and their views (which share the missing
    version counter)."""
    return self._vc is _NO_VERSION


Tensor.is_inference = _is_inference

_lock = threading.Lock()
_active = 0  # inference-mode contexts open in any thread


def _new(cls):
    return object.__new__(InferenceTensor if mode.inference and cls is Tensor else cls)


_plain_init = Tensor.__init__


def _init(self, *args, **kwargs):
    _plain_init(self, *args, **kwargs)
    if mode.inference and type(self) is Tensor:
        self.__class__ = InferenceTensor


def enter(on: bool) -> None:
    """Enter ``inference_mode(on)``: grad mode is the opposite of ``on``, as in PyTorch."""
    global _active
    mode.enabled = not on
    mode.inference = on
    with _lock:  # the swap stays while any context is open (even an inference_mode(False))
        _active += 1
        if _active == 1:
            _tensor_data._alloc = _new
            Tensor.__init__ = _init


def leave(prev_enabled: bool, prev_inference: bool) -> None:
    global _active
    mode.enabled = prev_enabled
    mode.inference = prev_inference
    with _lock:
        _active -= 1
        if _active == 0:
            _tensor_data._alloc = object.__new__
            Tensor.__init__ = _plain_init


class inference_mode(_GradModeContext):
    """Inference mode: grad mode off, and tensors created inside are inference tensors
    (``InferenceTensor``); ``inference_mode(False)`` switches both back inside an outer one."""

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)

    def __init__(self, mode: bool = True):
        self.mode = mode

    def __enter__(self):
        self._prev = (mode.enabled, mode.inference)
        enter(self.mode)

    def __exit__(self, *exc):
        leave(*self._prev)
        return False

    def clone(self):
        return type(self)(self.mode)
