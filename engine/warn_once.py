"""PyTorch's TORCH_WARN_ONCE: a warning shown once per process, whatever the warning filters.
A host that reruns scripts in one process (the app) clears ``warned`` before each run."""

from __future__ import annotations

import warnings

warned: set[str] = set()


def warn_once(key: str, message: str, stacklevel: int = 2) -> None:
    if key not in warned:
        warned.add(key)
        warnings.warn(message, UserWarning, stacklevel=stacklevel + 1)
