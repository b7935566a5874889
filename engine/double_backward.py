"""The backward of ``tanh`` and ``sigmoid`` as one recorded op each under ``create_graph=True``
(``TanhBackwardBackward0``, ``SigmoidBackwardBackward0``, as PyTorch records them) rather than
three generic nodes: a Hessian-vector product through them walks one node per activation, and
the graph reads as PyTorch's. The values are the plain backward's, computed by the same numpy
expression (``ns.tanh_grad_np``, ``ns.sigmoid_grad_np``; ``tensor_ns.T`` records them)."""

from __future__ import annotations

from .ops import register


def _tanh_backward_vjp(m, gg, out, s, a, need):
    g, y = s
    # d/dg is tanh's own backward again; d/dy of g * (1 - y²) is -2 y g
    return (m.tanh_grad(gg, y) if need[0] else None,
            gg * (-2.0 * y * g) if need[1] else None)


def _sigmoid_backward_vjp(m, gg, out, s, a, need):
    g, y = s
    # d/dy of g * y * (1 - y) is g * (1 - 2y)
    return (m.sigmoid_grad(gg, y) if need[0] else None,
            gg * g * (-2.0 * y + 1.0) if need[1] else None)


register("tanh_backward", "TanhBackwardBackward0", None, _tanh_backward_vjp, save_inputs=True,
         doc="g * (1 - y²), y = tanh(x)")
register("sigmoid_backward", "SigmoidBackwardBackward0", None, _sigmoid_backward_vjp,
         save_inputs=True, doc="g * y * (1 - y), y = sigmoid(x)")
