"""PyTorch's choice between the Python overloads of one op, and its TypeErrors when none fits.

An overload is a list of ``Param``s and the text PyTorch prints for it. The first overload whose
parameters the call fits is taken. When none fits, PyTorch's argument parser (as 2.13 words it):
an op with a single overload gives that overload's own complaint (too many positional arguments,
a missing one, a wrong type, an unknown keyword); otherwise, if the number of arguments given lies
within exactly one visible overload's bounds, that overload's complaint; otherwise "received an
invalid combination of arguments", every visible overload listed, with a note under each one the
count of arguments fits (or, for one visible overload, the call's types against it). Hidden
overloads (PyTorch's deprecated signatures) are taken but never named. Those notes read the printed text as PyTorch's
formatter does: a parameter printed with a default (``int dim = -1``) never matches a type, and
``*`` counts as a parameter. Keyword arguments are listed in reverse order of the call (the
order of PyTorch's hash map for a few distinct names)."""

from __future__ import annotations

import builtins
from dataclasses import dataclass

import numpy as np

from .tensor_data import Tensor

_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE


def type_name(v) -> str:
    """The name PyTorch prints for a Python object's type (``int``, ``Tensor``, ``numpy.bool``)."""
    if isinstance(v, Tensor):
        return "Tensor"
    t = type(v)
    # a C type's tp_name carries its module, a class defined in Python's does not
    if t.__module__ == "builtins" or t.__flags__ & _HEAPTYPE:
        return t.__name__
    return f"{t.__module__}.{t.__name__}"


def _is_int(v) -> bool:
    if type(v) is builtins.bool or isinstance(v, np.bool_):
        return False
    if isinstance(v, builtins.int | np.integer):
        return True
    return isinstance(v, Tensor) and v._data.ndim == 0 and v._data.dtype.kind in "iu"


def _is_number(v) -> bool:
    """What PyTorch's parser takes for a ``Number`` (a Scalar): a Python or numpy number or bool,
    or a 0-d tensor that does not require grad."""
    if isinstance(v, builtins.int | builtins.float | builtins.complex | np.number | np.bool_):
        return True
    return isinstance(v, Tensor) and v._data.ndim == 0 and not v.requires_grad


_CHECKS = {
    "Tensor": lambda v: isinstance(v, Tensor),
    "Number": _is_number,
    "int": _is_int,
    "bool": lambda v: type(v) is builtins.bool,
    "tuple of Tensors": lambda v: isinstance(v, tuple | list) and all(
        isinstance(t, Tensor) for t in v),
}


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # a key of _CHECKS
    required: bool = False
    nullable: bool = False
    positional: bool = True
    numbers: bool = False  # a Tensor parameter that takes a Number too (add's ``other``)

    def accepts(self, v) -> bool:
        return ((v is None and self.nullable) or _CHECKS[self.type](v)
                or (self.numbers and _is_number(v)))


@dataclass(frozen=True)
class Overload:
    params: tuple[Param, ...]
    text: str  # as PyTorch prints it, e.g. "(Tensor input, int dim = -1)"
    hidden: bool = False  # a deprecated overload: taken, but never named in an error

    @property
    def min_args(self) -> int:
        return sum(p.required for p in self.params)

    @property
    def max_pos(self) -> int:
        return sum(p.positional for p in self.params)


class _NoMatch(Exception):
    pass


def _bind(name, ov: Overload, args, kwargs):
    """The call's values by parameter name, or ``_NoMatch(message)`` with PyTorch's complaint."""
    if len(args) > ov.max_pos:
        lo, hi, n = ov.min_args, ov.max_pos, len(args)
        if lo != hi:
            raise _NoMatch(f"{name}() takes from {lo} to {hi} positional arguments but {n} were "
                           "given")
        raise _NoMatch(f"{name}() takes {hi} positional argument{'s' * (hi != 1)} but {n} "
                       f"{'was' if n == 1 else 'were'} given")
    values = {}
    used = 0
    for i, p in enumerate(ov.params):
        if i < len(args):
            v, where = args[i], f" (position {i + 1})"
        elif p.name in kwargs:
            v, where = kwargs[p.name], ""
            used += 1
        else:
            if p.required:
                missing = [q.name for q in ov.params[i:] if q.required and q.name not in kwargs]
                raise _NoMatch(f"{name}() missing {len(missing)} required positional arguments: "
                               + ", ".join(f'"{m}"' for m in missing))
            continue
        if not p.accepts(v):
            raise _NoMatch(f"{name}(): argument '{p.name}'{where} must be {p.type}, not "
                           f"{type_name(v)}")
        values[p.name] = v
    if used < len(kwargs):
        names = {p.name for p in ov.params}
        for k in kwargs:
            if k not in names:
                raise _NoMatch(f"{name}() got an unexpected keyword argument '{k}'")
        for k in kwargs:  # given by position too
            raise _NoMatch(f"{name}() got multiple values for argument '{k}'")
    return values


def _printed_params(text):
    """The parameters as PyTorch's formatter reads the printed text: (type, name) per part."""
    parts = []
    for part in text[1:-1].split(", "):
        nullable = part.startswith("[")
        if nullable:
            part = part[1:-len(" or None]")]
        cut = part.rfind(" ")
        parts.append(("*" if cut < 0 else part[:cut], part[cut + 1:], nullable))
    return parts


def _printed_match(ptype, nullable, v) -> bool:
    if v is None and nullable:
        return True
    got = type_name(v)
    return got in {"int": ("int",), "float": ("float", "int")}.get(ptype, (ptype,))


def _formatted(printed, args, kws) -> str:
    """The call's types, each not fitting its printed parameter marked ``!type!``."""
    given = [*args, *(v for _, v in kws)]
    desc = []
    for i, v in enumerate(given):
        label = type_name(v) if i < len(args) else f"{kws[i - len(args)][0]}={type_name(v)}"
        ok = _printed_match(printed[i][0], printed[i][2], v)
        desc.append(label if ok else f"!{label}!")
    return f"({', '.join(desc)})"


def _unmatched_keywords(printed, kws) -> list[str]:
    # a keyword counts only among the last len(kws) printed parameters, as PyTorch's formatter
    start = builtins.max(len(printed) - len(kws), 0)
    return [k for k, _ in kws if k not in {p[1] for p in printed[start:]}]


def _invalid_combination(name, overloads, args, kwargs) -> str:
    kws = list(reversed(kwargs.items()))
    got = "".join(f"{type_name(a)}, " for a in args) + "".join(
        f"{k}={type_name(v)}, " for k, v in kws)
    got = f"({got[:-2] if args else got})"
    head = f"{name}() received an invalid combination of arguments - "
    n = len(args) + len(kws)
    if len(overloads) == 1:
        text = overloads[0].text
        printed = _printed_params(text)
        wrong = _unmatched_keywords(printed, kws)
        if wrong:
            return f"{head}got unrecognized keyword arguments: {', '.join(wrong)}"
        if n == len(printed):
            got = _formatted(printed, args, kws)
        return f"{head}got {got}, but expected {text}"
    lines = [f"{head}got {got}, but expected one of:\n"]
    for ov in overloads:
        lines.append(f" * {ov.text}\n")
        printed = _printed_params(ov.text)
        if n != len(printed):
            continue
        wrong = _unmatched_keywords(printed, kws)
        if wrong:
            lines.append("      didn't match because some of the keywords were incorrect: "
                         + ", ".join(wrong) + "\n")
            continue
        lines.append("      didn't match because some of the arguments have invalid types: "
                     f"{_formatted(printed, args, kws)}\n")
    return "".join(lines)


def resolve(name: str, overloads, args, kwargs):
    """``(index of the overload taken, its values by parameter name)``, or PyTorch's TypeError.
    An op with one overload gets that overload's own complaint; with more (hidden ones counted),
    the complaint of the one visible overload whose bounds fit the number of arguments, or else
    "invalid combination" naming the visible overloads."""
    errors = []
    for i, ov in enumerate(overloads):
        try:
            return i, _bind(name, ov, args, kwargs)
        except _NoMatch as e:
            errors.append(str(e))
    if len(overloads) == 1:
        raise TypeError(errors[0])
    n = len(args) + len(kwargs)
    plausible = [i for i, ov in enumerate(overloads)
                 if not ov.hidden and ov.min_args <= n <= len(ov.params)]
    if len(plausible) == 1:
        raise TypeError(errors[plausible[0]])
    visible = [ov for ov in overloads if not ov.hidden]
    raise TypeError(_invalid_combination(name, visible, args, kwargs))
