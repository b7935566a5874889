"""Copy engine tensors into plain numpy for snapshots (no Qt).

Written against the PyTorch tensor API (``detach().numpy()``, ``grad``, ``grad_fn``,
``is_leaf``) so it works on the engine and, in tests, on real torch too.
"""

from __future__ import annotations

import numpy as np

from desktop.model import TensorInfo

SMALL = 10_000  # graph nodes keep value/grad copies only up to this many elements


def tensor_type():
    """The engine's Tensor class (imported lazily: desktop must import without the engine)."""
    import engine

    return engine.Tensor


def to_numpy(t) -> np.ndarray | None:
    """A copy of ``t``'s values (engine tensor, numpy array or scalar); None for None."""
    if t is None:
        return None
    if isinstance(t, np.ndarray):
        return t.copy()
    if hasattr(t, "detach"):
        try:
            return np.array(t.detach().numpy(), copy=True)
        except Exception:  # an engine without .numpy(): fall back to the list form
            return np.array(t.detach().tolist())
    return np.array(t)


def small_numpy(t, limit: int = SMALL) -> np.ndarray | None:
    """Like ``to_numpy`` but None when ``t`` has more than ``limit`` elements (keeps snapshots
    cheap: the graph view shows values of small tensors only)."""
    if t is None:
        return None
    data = t if isinstance(t, np.ndarray) else getattr(t, "_data", None)  # engine fast path
    if isinstance(data, np.ndarray):
        return data.copy() if data.size <= limit else None
    return to_numpy(t) if _numel(t) <= limit else None


def _numel(t) -> int:
    n = 1
    for d in getattr(t, "shape", ()):
        n *= int(d)
    return n


def dtype_name(t) -> str:
    """"float32" for engine/torch dtypes (``torch.float32``) and numpy dtypes alike."""
    return str(getattr(t, "dtype", "")).rsplit(".", 1)[-1]


def node_name(fn) -> str:
    """A node's name as ``print(t.grad_fn)`` shows it: ``CopyBackwards`` and ``AccumulateGrad``,
    not ``name()``'s ``torch::autograd::CopyBackwards``."""
    return fn.name().rpartition("::")[2]


def grad_fn_name(t) -> str | None:
    fn = getattr(t, "grad_fn", None)
    return None if fn is None else node_name(fn)


def stored_grad(t):
    """``t.grad`` without PyTorch's warning for non-leaf tensors (their grad is None unless
    ``retain_grad()`` was called)."""
    if t.is_leaf or getattr(t, "retains_grad", False):
        return t.grad
    return None


def tensor_info(name: str, t) -> TensorInfo:
    return TensorInfo(
        name=name,
        shape=tuple(int(n) for n in t.shape),
        dtype=dtype_name(t),
        requires_grad=bool(t.requires_grad),
        is_leaf=bool(t.is_leaf),
        grad_fn=grad_fn_name(t),
        value=to_numpy(t),
        grad=to_numpy(stored_grad(t)),
    )


MAX_ITEMS = 16  # tensors named per list/tuple/dict (``losses`` may hold thousands)


def namespace_tensors(namespace: dict, ttype) -> list[tuple[str, object]]:
    """(name, tensor) for every tensor bound to a top-level name; then, for tensors not named
    that way, the parameters of modules (``model.weight``) and the first items of lists, tuples
    and dicts (``ws[0]``, ``params['w']``), in definition order."""
    found: list[tuple[str, object]] = []
    seen: set[int] = set()
    modules, containers = [], []
    for name, value in list(namespace.items()):
        if name.startswith("__"):
            continue
        if isinstance(value, ttype):
            found.append((name, value))
            seen.add(id(value))
        elif isinstance(value, (list, tuple, dict)):
            containers.append((name, value))
        elif callable(getattr(value, "named_parameters", None)) and not isinstance(value, type):
            modules.append((name, value))
    for name, value in containers:
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        for key, item in items[:MAX_ITEMS]:
            if isinstance(item, ttype) and id(item) not in seen:
                found.append((f"{name}[{key!r}]", item))
                seen.add(id(item))
    for name, module in modules:
        try:
            params = list(module.named_parameters())
        except Exception:  # user module in a broken state: just skip its parameters
            continue
        for pname, p in params:
            if isinstance(p, ttype) and id(p) not in seen:
                found.append((f"{name}.{pname}", p))
                seen.add(id(p))
    return found


def tensor_infos(namespace: dict, ttype=None) -> tuple[TensorInfo, ...]:
    ttype = ttype or tensor_type()
    infos = []
    for name, t in namespace_tensors(namespace, ttype):
        try:
            infos.append(tensor_info(name, t))
        except Exception:  # one odd tensor must not lose the whole inspector
            continue
    return tuple(infos)


def nonfinite_names(tensors) -> list[str]:
    """Which of ``tensors`` (TensorInfo) hold a NaN or an infinity: ``["y", "w.grad"]``."""
    out = []
    for t in tensors:
        for suffix, arr in (("", t.value), (".grad", t.grad)):
            a = None if arr is None else np.asarray(arr)
            if a is not None and a.dtype.kind in "fc" and not np.isfinite(a).all():
                out.append(t.name + suffix)
    return out
