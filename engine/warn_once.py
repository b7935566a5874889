"""The engine's warnings as PyTorch's: TORCH_WARN_ONCE (once per process, whatever the filters;
a host that reruns scripts in one process, the app, clears ``warned`` before each run), and no
numpy floating-point warnings from inside the engine."""

from __future__ import annotations

import warnings

warned: set[str] = set()
_always = [False]


def set_warn_always(b: bool) -> None:
    """``torch.set_warn_always``: with True, once-per-process warnings are issued every time."""
    _always[0] = bool(b)


def is_warn_always_enabled() -> bool:
    return _always[0]


def warn_once(key: str, message: str, stacklevel: int = 2) -> None:
    if key not in warned or _always[0]:
        warned.add(key)
        warnings.warn(message, UserWarning, stacklevel=stacklevel + 1)


def quiet_numpy_warnings() -> None:
    """numpy's floating-point warnings raised inside the engine (log(0), 0/0 in a VJP) are noise
    PyTorch never prints; the filter matches engine modules only, so a script's own numpy still
    warns. Idempotent: a host whose harness resets the filters calls it again."""
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"engine(\.|$)")
