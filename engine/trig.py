"""The rest of the trigonometric and hyperbolic functions: ``tan``, ``asin``, ``acos``,
``asinh``, ``acosh``, ``atanh`` (PyTorch's ``TanBackward0`` ... ``AtanhBackward0``), with their
``arc*`` aliases. Derivatives as ATen writes them (``tan' = 1 + tan²`` from the saved result)."""

from __future__ import annotations

import numpy as np

from .ops import register
from .tensor import Tensor, _unary


def _inv_sqrt(v):
    return v ** -0.5  # numpy arrays and engine Tensors alike (create_graph)


register("tan", "TanBackward0", np.tan,
         lambda m, g, out, s, a, need: (g * (out * out + 1.0),), save_out=True, doc="tan(a)")
register("asin", "AsinBackward0", np.arcsin,
         lambda m, g, out, s, a, need: (g * _inv_sqrt(1.0 - s[0] * s[0]),), save_inputs=True,
         doc="asin(a)")
register("acos", "AcosBackward0", np.arccos,
         lambda m, g, out, s, a, need: (-g * _inv_sqrt(1.0 - s[0] * s[0]),),
         save_inputs=True, doc="acos(a)")
register("asinh", "AsinhBackward0", np.arcsinh,
         lambda m, g, out, s, a, need: (g * _inv_sqrt(s[0] * s[0] + 1.0),), save_inputs=True,
         doc="asinh(a)")
register("acosh", "AcoshBackward0", np.arccosh,
         lambda m, g, out, s, a, need: (g * _inv_sqrt(s[0] * s[0] - 1.0),), save_inputs=True,
         doc="acosh(a)")
register("atanh", "AtanhBackward0", np.arctanh,
         lambda m, g, out, s, a, need: (g / (1.0 - s[0] * s[0]),), save_inputs=True,
         doc="atanh(a)")


def tan(input):
    return _unary("tan", input)


def asin(input):
    return _unary("asin", input)


def acos(input):
    return _unary("acos", input)


def asinh(input):
    return _unary("asinh", input)


def acosh(input):
    return _unary("acosh", input)


def atanh(input):
    return _unary("atanh", input)


arcsin, arccos, arcsinh, arccosh, arctanh = asin, acos, asinh, acosh, atanh
for _name, _fn in {"tan": tan, "asin": asin, "acos": acos, "asinh": asinh, "acosh": acosh,
                   "atanh": atanh, "arcsin": asin, "arccos": acos, "arcsinh": asinh,
                   "arccosh": acosh, "arctanh": atanh}.items():
    setattr(Tensor, _name, _fn)

__all__ = ["acos", "acosh", "arccos", "arccosh", "arcsin", "arcsinh", "arctanh", "asin", "asinh",
           "atanh", "tan"]
