"""Grad mode: thread-local like PyTorch's, so a worker thread's ``no_grad`` never leaks into the
thread running the user's script."""

from __future__ import annotations

import functools
import threading


class _Mode(threading.local):
    enabled = True  # class attribute: the default seen by every new thread


mode = _Mode()


def is_grad_enabled() -> bool:
    return mode.enabled


class _GradModeContext:
    _target = True

    def __enter__(self):
        self._prev = mode.enabled
        mode.enabled = self._target
        return self

    def __exit__(self, *exc):
        mode.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper

    def clone(self):
        return type(self)()


class no_grad(_GradModeContext):
    """Context manager and decorator that disables graph recording."""

    _target = False


class enable_grad(_GradModeContext):
    _target = True


class inference_mode(no_grad):
    def __init__(self, mode: bool = True):
        self._target = not mode


class set_grad_enabled(_GradModeContext):
    """Sets grad mode at construction (so it works as a plain call) and restores it on exit."""

    def __init__(self, enabled: bool):
        self._prev = mode.enabled
        self._target = bool(enabled)
        mode.enabled = self._target

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        mode.enabled = self._prev
        return False

    def __call__(self, fn):
        mode.enabled = self._prev
        target = self._target

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(target):
                return fn(*args, **kwargs)

        return wrapper
