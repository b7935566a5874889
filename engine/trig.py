"""The rest of the trigonometric and hyperbolic functions: ``tan``, ``asin``, ``acos``,
``asinh``, ``acosh``, ``atanh`` (PyTorch's ``TanBackward0`` ... ``AtanhBackward0``), with their
``arc*`` aliases, each bound from its row (``engine.op_binding``). Derivatives as ATen writes
them (``tan' = 1 + tan²`` from the saved result)."""

from __future__ import annotations

import numpy as np

from .ops import register


def _inv_sqrt(v):
    return v ** -0.5  # numpy arrays and engine Tensors alike (create_graph)


register("tan", "TanBackward0", np.tan,
         lambda m, g, out, s, a, need: (g * (out * out + 1.0),), save_out=True, doc="tan(a)",
         kind="unary", names=("tan",), sym=lambda ns, x: ns.tan(x))
register("asin", "AsinBackward0", np.arcsin,
         lambda m, g, out, s, a, need: (g * _inv_sqrt(1.0 - s[0] * s[0]),), save_inputs=True,
         doc="asin(a)", kind="unary", names=("asin", "arcsin"), sym=lambda ns, x: ns.asin(x))
register("acos", "AcosBackward0", np.arccos,
         lambda m, g, out, s, a, need: (-g * _inv_sqrt(1.0 - s[0] * s[0]),),
         save_inputs=True, doc="acos(a)", kind="unary", names=("acos", "arccos"),
         sym=lambda ns, x: ns.acos(x))
register("asinh", "AsinhBackward0", np.arcsinh,
         lambda m, g, out, s, a, need: (g * _inv_sqrt(s[0] * s[0] + 1.0),), save_inputs=True,
         doc="asinh(a)", kind="unary", names=("asinh", "arcsinh"), sym=lambda ns, x: ns.asinh(x))
register("acosh", "AcoshBackward0", np.arccosh,
         lambda m, g, out, s, a, need: (g * _inv_sqrt(s[0] * s[0] - 1.0),), save_inputs=True,
         doc="acosh(a)", kind="unary", names=("acosh", "arccosh"), sym=lambda ns, x: ns.acosh(x))
register("atanh", "AtanhBackward0", np.arctanh,
         lambda m, g, out, s, a, need: (g / (1.0 - s[0] * s[0]),), save_inputs=True,
         doc="atanh(a)", kind="unary", names=("atanh", "arctanh"), sym=lambda ns, x: ns.atanh(x))
