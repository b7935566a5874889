"""Every variable of a stop's frame, not only tensors, grouped by scope (no Qt).

The inspector's tensor table shows tensors in detail; this lists the rest a learner reads in
their script: ``step``, ``losses``, ints, floats, strings, lists, dicts, numpy arrays, modules
and optimizers by type. The paused function's locals come first, then the globals.
"""

from __future__ import annotations

import types
from dataclasses import dataclass

MAX_TEXT = 120
MAX_VARIABLES = 200


@dataclass(frozen=True)
class VarInfo:
    name: str
    scope: str  # "locals of f()" or "globals"
    type_name: str
    text: str  # a short repr
    is_tensor: bool = False


def _skip(name: str, value) -> bool:
    if name.startswith("__") or name in ("torch", "nn", "F", "np", "optim"):
        return True
    return isinstance(value, types.ModuleType | types.FunctionType | types.BuiltinFunctionType
                      | type)


def short_repr(value, limit: int = MAX_TEXT) -> str:
    big = short_repr_array(value)
    if big is not None:
        return big
    try:
        if isinstance(value, list | tuple) and len(value) > 8:
            head = ", ".join(short_repr(v, 20) for v in value[:3])
            tail = short_repr(value[-1], 20)
            open_, close = ("[", "]") if isinstance(value, list) else ("(", ")")
            text = f"{open_}{head}, …, {tail}{close}  ({len(value)} items)"
        else:
            text = repr(value)
    except Exception as exc:  # a user object whose __repr__ raises
        text = f"<{type(value).__name__}: repr failed: {type(exc).__name__}>"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tensor_text(t) -> str:
    """A tensor in one line without printing it (the tensor table has its values)."""
    shape = list(getattr(t, "shape", ()))
    fn = getattr(t, "grad_fn", None)
    made = f", grad_fn={type(fn).__name__}" if fn is not None else ""
    return f"tensor {shape}{made}  (see the table above)"


def short_repr_array(value) -> str | None:
    shape = getattr(value, "shape", None)
    if shape is not None and getattr(value, "size", 0) > 20:
        return f"{type(value).__name__} {list(shape)} {getattr(value, 'dtype', '')}"
    return None


def variables(scopes, ttype=None) -> tuple[VarInfo, ...]:
    """``scopes``: [(scope name, namespace dict)], innermost first; a name shadowed by an
    inner scope is listed once, in the inner one."""
    out: list[VarInfo] = []
    seen: set[str] = set()
    for scope, ns in scopes:
        for name, value in list(ns.items()):
            if name in seen or _skip(name, value):
                continue
            seen.add(name)
            is_tensor = ttype is not None and isinstance(value, ttype)
            text = _tensor_text(value) if is_tensor else short_repr(value)
            out.append(VarInfo(name, scope, type(value).__name__, text, is_tensor))
            if len(out) >= MAX_VARIABLES:
                return tuple(out)
    return tuple(out)


def frame_variables(frame, fallback: dict, ttype=None) -> tuple[VarInfo, ...]:
    """The variables visible at ``frame`` (None: the module namespace ``fallback``)."""
    if frame is None:
        return variables([("globals", fallback)], ttype)
    if frame.f_locals is frame.f_globals:
        return variables([("globals", frame.f_globals)], ttype)
    return variables([(f"locals of {frame.f_code.co_name}()", frame.f_locals),
                      ("globals", frame.f_globals)], ttype)


def module_variables(namespace: dict) -> tuple[VarInfo, ...]:
    """A finished run's variables (its module namespace)."""
    import engine

    return variables([("globals", namespace)], engine.Tensor)
