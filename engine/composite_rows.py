"""Op rows whose math is a composition of recorded engine ops, recorded as ONE node under the
name PyTorch gives its fused kernel (flash attention, a 3-d or transposed convolution).

The forward runs the composition without recording; the VJP runs it again with recording on
and asks ``autograd.grad`` for the grads of the saved inputs, with any observer detached. Under
``create_graph=True`` the composition is built on the saved Tensors themselves, so the grads
stay differentiable. The derivative formulas are therefore those of the composed ops' own rows
(a row may add a numpy shortcut for the plain backward)."""

from __future__ import annotations

import numpy as np

from . import observe
from .grad_mode import enable_grad, no_grad
from .ns import NP
from .ops import register
from .tensor import Tensor, _result, _wrap


def add_row(key, name, build, doc, numpy_vjp=None, fwd=None, sym=None):
    """Register row ``key``: ``build(*inputs, attrs) -> Tensor`` (inputs may be None);
    ``numpy_vjp(g, saved, attrs, need)``, when given, is the plain backward's shortcut;
    ``fwd(*arrays, attrs) -> (out, attrs)`` the row's numpy forward (default: ``build`` run on
    the arrays without recording); ``sym`` its symbolic forward, if it has one."""

    def vjp(m, g, out, s, a, need):
        from .autograd import grad

        if m is NP and numpy_vjp is not None:
            return numpy_vjp(np.asarray(g), s, a, need)
        if m is NP:
            ins = [None if x is None else _wrap(np.asarray(x), rg=bool(n))
                   for x, n in zip(s, need, strict=True)]
            g = _wrap(np.asarray(g))
        else:
            ins = list(s)
        wanted = [i for i, (x, n) in enumerate(zip(ins, need, strict=True))
                  if n and isinstance(x, Tensor) and x.requires_grad]
        grads = [None] * len(ins)
        if not wanted:
            return tuple(grads)
        # the inner graph is this node's private arithmetic: an observer (debugger, recorder)
        # sees the one node, not a second backward pass inside it
        with observe.routed(), enable_grad():  # this thread's events go nowhere meanwhile
            y = build(*ins, a)
            found = grad(y, [ins[i] for i in wanted], g, create_graph=m is not NP,
                         allow_unused=True)
        for i, gi in zip(wanted, found, strict=True):
            if gi is None:
                gi = _wrap(np.zeros(ins[i].shape, ins[i]._data.dtype))
            grads[i] = gi._data if m is NP else gi
        return tuple(grads)

    if fwd is None:
        def fwd(*arrays, attrs):
            with no_grad():
                y = build(*[None if x is None else _wrap(x) for x in arrays], attrs)
            return y._data, attrs

    return register(key, name, fwd, vjp, save_inputs=True, doc=doc, sym=sym)


def run(op, inputs, attrs):
    """Row ``op``'s forward on ``inputs`` (Tensors or None), recorded as one node over them."""
    out, attrs = op.fwd(*[None if t is None else t._data for t in inputs], attrs=attrs)
    return _result(op, out, tuple(inputs), attrs)
