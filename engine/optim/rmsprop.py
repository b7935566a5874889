"""``torch.optim.RMSprop`` (with momentum, centering, weight decay) and ``torch.optim.Adagrad``:
the updates of PyTorch's single-tensor implementations, in their order of operations."""

from __future__ import annotations

import numpy as np

from ..tensor import _wrap
from .optimizer import Optimizer


def _check(name: str, value, ok: bool) -> None:
    if not ok:
        raise ValueError(f"Invalid {name}: {value}")


class RMSprop(Optimizer):
    r"""Per parameter p with gradient g (after ``g <- g + wd * p``):

    v <- alpha v + (1 - alpha) g^2;  avg <- sqrt(v - gbar^2) (centered, gbar <- lerp(gbar, g,
    1 - alpha)) or sqrt(v);  avg <- avg + eps;
    b <- mu b + g / avg, p <- p - lr b (momentum) or p <- p - lr g / avg.
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False):
        _check("learning rate", lr, lr >= 0.0)
        _check("epsilon value", eps, eps >= 0.0)
        _check("momentum value", momentum, momentum >= 0.0)
        _check("weight_decay value", weight_decay, weight_decay >= 0.0)
        _check("alpha value", alpha, alpha >= 0.0)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, alpha, eps, mu = group["lr"], group["alpha"], group["eps"], group["momentum"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                x = p._data
                g = self._grad_of(group, p)
                state = self.state[p]
                if not state:
                    state["step"] = _wrap(np.array(0.0, dtype=np.float32))
                    state["square_avg"] = _wrap(np.zeros_like(x))
                    if mu > 0:
                        state["momentum_buffer"] = _wrap(np.zeros_like(x))
                    if group["centered"]:
                        state["grad_avg"] = _wrap(np.zeros_like(x))
                state["step"]._data += 1
                v = state["square_avg"]._data
                v *= alpha
                v += (1 - alpha) * g * g
                if group["centered"]:
                    gbar = state["grad_avg"]._data
                    gbar += (g - gbar) * (1 - alpha)
                    avg = np.sqrt(v - gbar * gbar)
                else:
                    avg = np.sqrt(v)
                avg += eps
                if mu > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= mu
                    buf += g / avg
                    x -= lr * buf
                else:
                    x += (-lr * g) / avg  # addcdiv: value * g first, then the division
                p._vc[0] += 1
        return loss


class Adagrad(Optimizer):
    r"""Per parameter p with gradient g (after ``g <- g + wd * p``) at step t:

    s <- s + g^2;  p <- p - lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps).
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach=None, *,
                 maximize: bool = False, differentiable: bool = False, fused=None):
        _check("learning rate", lr, lr >= 0.0)
        _check("lr_decay value", lr_decay, lr_decay >= 0.0)
        _check("weight_decay value", weight_decay, weight_decay >= 0.0)
        _check("initial_accumulator_value value", initial_accumulator_value,
               initial_accumulator_value >= 0.0)
        _check("epsilon value", eps, eps >= 0.0)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:  # PyTorch creates the state up front
            for p in group["params"]:
                self.state[p]["step"] = _wrap(np.array(0.0, dtype=np.float32))
                self.state[p]["sum"] = _wrap(np.full_like(
                    p._data, group["initial_accumulator_value"]))

    def step(self, closure=None):
        loss = self._run_closure(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is None:
                    continue
                g = self._grad_of(group, p)
                state = self.state[p]
                state["step"]._data += 1
                t = float(state["step"]._data)
                clr = group["lr"] / (1 + (t - 1) * group["lr_decay"])
                s = state["sum"]._data
                s += g * g
                p._data += (-clr * g) / (np.sqrt(s) + group["eps"])
                p._vc[0] += 1
        return loss
