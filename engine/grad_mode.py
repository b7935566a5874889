"""Grad mode and inference mode: thread-local like PyTorch's, so a worker thread's ``no_grad``
never leaks into the thread running the user's script.

The context managers double as decorators the way PyTorch's do: a decorated generator function
gets the mode at each resumption (and the caller's mode back between them); a decorated plain
function — including an ``async def``, whose body only runs later — gets it around the call.
``no_grad``, ``enable_grad`` and ``inference_mode`` also decorate without parentheses.
``inference_mode`` itself lives in ``engine.inference``, beside the tensors it makes.
"""

from __future__ import annotations

import functools
import inspect
import sys
import threading
import warnings


class _Mode(threading.local):
    enabled = True  # class attributes: the defaults seen by every new thread
    inference = False


mode = _Mode()
_state = mode  # for methods whose parameter is named `mode`, as in PyTorch


def is_grad_enabled() -> bool:
    return mode.enabled


def is_inference_mode_enabled() -> bool:
    return mode.inference


def _wrap_generator(factory, fn):
    @functools.wraps(fn)
    def generator_context(*args, **kwargs):
        gen = fn(*args, **kwargs)
        try:
            with factory():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with factory():
                        gen.close()
                    raise
                except BaseException:
                    with factory():
                        response = gen.throw(sys.exc_info()[1])
                else:
                    with factory():
                        response = gen.send(request)
        except StopIteration as stop:
            return stop.value

    return generator_context


_CLASS_DECORATION = (
    "Decorating classes is deprecated and will be disabled in future versions. You should only "
    "decorate functions or methods. To preserve the current behavior of class decoration, you "
    "can directly decorate the `__init__` method and nothing else.")


class _GradModeContext:
    """Base of the mode context managers; ``__enter__`` returns None, as PyTorch's do."""

    _target = True

    def __enter__(self):
        self._prev = mode.enabled
        mode.enabled = self._target

    def __exit__(self, *exc):
        mode.enabled = self._prev
        return False

    def clone(self):
        return type(self)()

    def __call__(self, orig_fn):
        fn = orig_fn
        if inspect.isclass(orig_fn):
            warnings.warn(_CLASS_DECORATION, FutureWarning, stacklevel=2)

            def fn(*args, **kwargs):
                return orig_fn(*args, **kwargs)

        factory = self.clone
        if inspect.isgeneratorfunction(fn):
            return _wrap_generator(factory, fn)

        @functools.wraps(fn)
        def decorate_context(*args, **kwargs):
            with factory():
                return fn(*args, **kwargs)

        return decorate_context


class _NoParamContext(_GradModeContext):
    """``@no_grad`` without parentheses decorates the function directly."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamContext):
    """Context manager and decorator that disables graph recording."""

    _target = False

    def __init__(self, orig_func=None):
        self._prev = False


class enable_grad(_NoParamContext):
    _target = True

    def __init__(self, orig_func=None):
        self._prev = False


def _check_bool(value, what):
    if not isinstance(value, bool):
        raise TypeError(f"{what}(): argument 'enabled' (position 1) must be bool, not "
                        f"{_type_name(value)}")


def _type_name(value):
    if inspect.isfunction(value) or inspect.isbuiltin(value):
        return "function"
    return type(value).__name__


class set_grad_enabled(_GradModeContext):
    """Sets grad mode at construction (so it works as a plain call) and restores it on exit."""

    def __init__(self, mode: bool):
        _check_bool(mode, "set_grad_enabled")
        self._prev = _state.enabled
        self.mode = mode
        _state.enabled = mode

    def __enter__(self):
        mode.enabled = self.mode

    def __exit__(self, *exc):
        mode.enabled = self._prev
        return False

    def __call__(self, orig_fn):
        mode.enabled = self._prev
        return super().__call__(orig_fn)

    def clone(self):
        return type(self)(self.mode)

    def __repr__(self):
        return f"torch.autograd.grad_mode.set_grad_enabled(mode={self.mode})"

    __str__ = __repr__
