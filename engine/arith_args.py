"""The arguments of ``add``, ``sub``, ``mul`` and their aliases ``subtract``, ``multiply`` as
PyTorch 2.13's parser reads them (methods, in-place methods and ``torch.*`` functions).

Only a call that fails, or that the fast path cannot take (more positional arguments than the
usual overload has, a missing one), comes here: the signatures of these methods stay as cheap as
Python's own binding. PyTorch words the errors itself: a method's count leaves ``self`` out
("add() takes 1 positional argument but 2 were given"), a call that fits no overload's bounds is
"received an invalid combination of arguments", a wrong type names its argument. ``add`` and
``sub`` keep a deprecated overload with ``alpha`` first (``x.add(2, y)`` is ``x + 2 * y``), which
PyTorch takes with a once-per-process warning but never names in an error; ``subtract`` instead
has a visible ``(Number other, Number alpha = 1)``."""

from __future__ import annotations

from .overloads import Overload, Param, resolve, type_name
from .warn_once import warn_once

MISSING = type("_Missing", (), {"__repr__": lambda self: "<missing>"})()
"""The default of a parameter PyTorch requires: tells "not given" from any value."""

_ONE = 1  # alpha's default (the cached int: an explicit alpha=1 reads as not given)
_SELF = Param("input", "Tensor", required=True, numbers=True)
_OTHER = Param("other", "Tensor", required=True, numbers=True)
_ALPHA_KW = Param("alpha", "Number", positional=False)
_NUM_OTHER = Param("other", "Number", required=True)
_NUM_ALPHA = Param("alpha", "Number")
_DEPRECATED_ALPHA = Param("alpha", "Number", required=True)
_OUT = Param("out", "Tensor", nullable=True, positional=False)

_ALPHA_METHOD = (Overload((_OTHER, _ALPHA_KW), "(Tensor other, *, Number alpha = 1)"),
                 Overload((_DEPRECATED_ALPHA, _OTHER), "(Number alpha, Tensor other)",
                          hidden=True))
_ALPHA_FN = (Overload((_SELF, _OTHER, _ALPHA_KW, _OUT),
                      "(Tensor input, Tensor other, *, Number alpha = 1, Tensor out = None)"),
             Overload((_SELF, _DEPRECATED_ALPHA, _OTHER, _OUT),
                      "(Tensor input, Number alpha, Tensor other, *, Tensor out = None)",
                      hidden=True))
_SUBTRACT_METHOD = (_ALPHA_METHOD[0],
                    Overload((_NUM_OTHER, _NUM_ALPHA), "(Number other, Number alpha = 1)"))
_SUBTRACT_FN = (_ALPHA_FN[0], Overload((_SELF, _NUM_OTHER, _NUM_ALPHA),
                                       "(Tensor input, Number other, Number alpha = 1)"))
_MUL_METHOD = (Overload((_OTHER,), "(Tensor other)"),)
_MUL_FN = (Overload((_SELF, _OTHER, _OUT), "(Tensor input, Tensor other, *, Tensor out = None)"),)
_MULTIPLY_METHOD = (_MUL_METHOD[0], Overload((_NUM_OTHER,), "(Number other)"))
_MULTIPLY_FN = (_MUL_FN[0], Overload((_SELF, _NUM_OTHER), "(Tensor input, Number other)"))

METHODS = {"add": _ALPHA_METHOD, "sub": _ALPHA_METHOD, "subtract": _SUBTRACT_METHOD,
           "mul": _MUL_METHOD, "multiply": _MULTIPLY_METHOD}
FUNCTIONS = {"add": _ALPHA_FN, "sub": _ALPHA_FN, "subtract": _SUBTRACT_FN, "mul": _MUL_FN,
             "multiply": _MULTIPLY_FN}

# where PyTorch 2.13's wheels say the warning comes from (part of its text)
_ORIGIN = (" (Triggered internally at /__w/pytorch/pytorch/torch/csrc/utils/"
           "python_arg_parser.cpp:1841.)")


def _call(given, extra, kwargs):
    """The call as the caller wrote it: the positional values before the first one not given."""
    args = []
    for v in (*given, *extra):
        if v is MISSING:
            break
        args.append(v)
    return tuple(args), {k: v for k, v in kwargs.items()
                         if v is not MISSING and not (k == "alpha" and v is _ONE)}


def parse(name: str, form: str, given, extra=(), kwargs=None, stacklevel=3):
    """``(other, alpha)`` of a call of ``name`` in ``form`` ("method", "inplace" or "function";
    ``given``: its named positional parameters, ``MISSING`` where not given, a function's
    ``input`` first; ``extra``: its surplus positional values), or PyTorch's TypeError for a call
    its parser refuses. The deprecated overload warns as PyTorch does, once per process."""
    table = FUNCTIONS[name] if form == "function" else METHODS[name]
    if form == "inplace":
        name += "_"
    args, kwargs = _call(given, extra, kwargs or {})
    i, v = resolve(name, table, args, kwargs)
    if table[i].hidden:
        warn_once("deprecated-overload", f"This overload of {name} is deprecated:\n\t{name}"
                  f"{table[i].text}\nConsider using one of the following signatures instead:\n\t"
                  f"{name}{table[0].text}{_ORIGIN}", stacklevel=stacklevel)
    return v["other"], v.get("alpha", 1)


def check(name: str, form: str, given, kwargs=None) -> None:
    """After a call of ``name`` failed with a TypeError: PyTorch's TypeError if its parser would
    have refused the arguments; returns when it would have taken them (the caller re-raises)."""
    parse(name, form, given, (), kwargs)


def refuse(name: str, form: str, given, kwargs=None):
    """PyTorch's TypeError for an operand the engine cannot take: the parser's when it would
    refuse it too, else one naming the operand's type."""
    check(name, form, given, kwargs)
    raise TypeError(f"{name}(): argument 'other' must be Tensor, not {type_name(given[-1])}")
