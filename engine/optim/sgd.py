"""``torch.optim.SGD`` with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

import numpy as np

from ..tensor import _wrap
from .optimizer import Optimizer


class SGD(Optimizer):
    r"""PyTorch's update, per parameter p with gradient g:

    g <- g + wd * p;  b <- g (first step) or mu * b + (1 - dampening) * g;
    g <- g + mu * b (nesterov) or b;  p <- p - lr * g.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach=None, differentiable: bool = False, fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, mu, damp, nesterov = (group["lr"], group["momentum"], group["dampening"],
                                      group["nesterov"])
            for p in group["params"]:
                if p._grad is None:
                    continue
                x = p._data
                d = self._grad_of(group, p)
                if mu != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = _wrap(np.array(d, dtype=x.dtype))
                        state["momentum_buffer"] = buf
                    else:
                        b = buf._data
                        b *= mu
                        b += (1 - damp) * d
                    d = d + mu * buf._data if nesterov else buf._data
                x -= lr * d
                p._vc[0] += 1
        return loss
