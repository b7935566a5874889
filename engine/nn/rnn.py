"""Recurrent layers: ``nn.RNN``/``LSTM``/``GRU`` and ``nn.RNNCell``/``LSTMCell``/``GRUCell``.

Each is a composition of existing ops, in the order ATen's CPU cells compute them, so the graph
shows PyTorch's elementary nodes: ``linear`` (AddmmBackward0) of the input and of the hidden
state, ``unsafe_chunk`` (UnsafeSplitBackward0) into gates, sigmoid/tanh, mul/add; a layer
projects the whole input sequence at once (one linear, unbound per step), stacks the steps'
outputs and concatenates the two directions. The one difference: PyTorch's ``nn.LSTM`` output
on CPU comes from a fused oneDNN kernel (one ``MkldnnRnnLayerBackward0`` node); here it is the
same elementary graph as its GRU and RNN (same values and grads, more nodes to step through).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._dtype import _default, to_numpy_dtype
from ..functions import cat, stack, zeros
from ..ops import OPS
from ..tensor import Tensor, _result, _wrap
from . import init
from .activation_functions import dropout
from .functional import linear
from .module import Module, Parameter

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
# PyTorch's RNN and GRU swap a batch_first output back in place (transpose_: TransposeBackward1)
_TRANSPOSE_ = OPS["transpose_"]


def _swap01_inplace(t: Tensor) -> Tensor:
    out, axes = _TRANSPOSE_.fwd(t._data, 0, 1)
    return _result(_TRANSPOSE_, out, (t,), axes)


# ---- cells (one step; ``xi`` is the input's projection x W_ih^T + b_ih) -----------------------
def _rnn_step(xi, h, w_hh, b_hh, relu):
    pre = xi + linear(h, w_hh, b_hh)
    return pre.relu() if relu else pre.tanh()


def _lstm_step(xi, h, c, w_hh, b_hh):
    gates = xi + linear(h, w_hh, b_hh)
    i, f, g, o = gates.unsafe_chunk(4, 1)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    c2 = f * c + i * g
    return o * c2.tanh(), c2


def _gru_step(xi, h, w_hh, b_hh):
    i_r, i_z, i_n = xi.unsafe_chunk(3, 1)
    h_r, h_z, h_n = linear(h, w_hh, b_hh).unsafe_chunk(3, 1)
    r = (i_r + h_r).sigmoid()
    z = (i_z + h_z).sigmoid()
    n = (i_n + h_n * r).tanh()
    return (h - n) * z + n


def _step(mode, xi, state, w_hh, b_hh):
    if mode == "LSTM":
        return _lstm_step(xi, state[0], state[1], w_hh, b_hh)
    if mode == "GRU":
        return _gru_step(xi, state, w_hh, b_hh)
    return _rnn_step(xi, state, w_hh, b_hh, mode == "RNN_RELU")


def _npd(dtype):
    return to_numpy_dtype(dtype) if dtype is not None else _default[0].np


def _shape(t):
    return "[" + ", ".join(map(str, t.shape)) + "]"


# ---- full layers -------------------------------------------------------------------------------
class RNNBase(Module):
    """Stacked, optionally bidirectional recurrent layers; parameters named and initialised as
    PyTorch's (every one ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in registration
    order)."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        if not isinstance(dropout, int | float) or not 0 <= dropout <= 1 or isinstance(dropout,
                                                                                       bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", UserWarning,
                          stacklevel=3)
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size:
            raise NotImplementedError("LSTM proj_size is not supported by stepgrad's engine")
        gate = _GATES[mode] * hidden_size
        npd = _npd(dtype)
        dirs = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            for direction in range(dirs):
                in_size = input_size if layer == 0 else hidden_size * dirs
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (gate, in_size)), ("weight_hh", (gate, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gate,)), ("bias_hh", (gate,))]
                for name, shape in shapes:
                    setattr(self, name + suffix, Parameter(_wrap(np.empty(shape, dtype=npd))))
                    self._flat_weights_names.append(name + suffix)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in self._flat_weights_names[i: i + (4 if self.bias
                                                                             else 2)]]
                for i in range(0, len(self._flat_weights_names), 4 if self.bias else 2)]

    def _params(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        get = self._parameters.get
        return (get("weight_ih" + suffix), get("weight_hh" + suffix), get("bias_ih" + suffix),
                get("bias_hh" + suffix))

    def _check(self, input, hx):
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(self.mode, self.mode)
        if input.dim() not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D tensor "
                             "instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")

    def _check_hidden(self, h, expected, what="hidden"):
        if tuple(h.shape) != expected:
            raise RuntimeError(f"Expected {what} size {expected}, got {_shape(h)}")

    def forward(self, input: Tensor, hx=None):
        self._check(input, hx)
        batched = input.dim() == 3
        if not batched:
            input = input.unsqueeze(1)
            if hx is not None:
                hx = tuple(h.unsqueeze(1) for h in hx) if isinstance(hx, tuple) else \
                    hx.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        dirs = 2 if self.bidirectional else 1
        n_batch = input.shape[1]
        expected = (self.num_layers * dirs, n_batch, self.hidden_size)
        lstm = self.mode == "LSTM"
        if hx is None:
            z = zeros(*expected, dtype=input.dtype)
            h0, c0 = z, (z if lstm else None)
        elif lstm:
            if not batched and hx[0].dim() != 3:
                raise RuntimeError("For unbatched 2-D input, hx and cx should also be 2-D but "
                                   f"got ({hx[0].dim() - 1}-D, {hx[1].dim() - 1}-D) tensors")
            h0, c0 = hx
            self._check_hidden(h0, expected, "hidden[0]")
            self._check_hidden(c0, expected, "hidden[1]")
        else:
            h0, c0 = hx, None
            self._check_hidden(h0, expected)
        layer_in = input
        h_n, c_n = [], []
        steps = input.shape[0]
        for layer in range(self.num_layers):
            outs = []
            for direction in range(dirs):
                w_ih, w_hh, b_ih, b_hh = self._params(layer, direction)
                k = layer * dirs + direction
                state = (h0[k], c0[k]) if lstm else h0[k]
                proj = linear(layer_in, w_ih, b_ih).unbind(0)
                seq = [None] * steps
                order = range(steps - 1, -1, -1) if direction else range(steps)
                for t in order:
                    state = _step(self.mode, proj[t], state, w_hh, b_hh)
                    seq[t] = state[0] if lstm else state
                outs.append(stack(seq, 0))
                h_n.append(state[0] if lstm else state)
                if lstm:
                    c_n.append(state[1])
            layer_in = outs[0] if dirs == 1 else cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = dropout(layer_in, self.dropout, True)
        output = layer_in
        hidden = stack(h_n, 0)
        cell = stack(c_n, 0) if lstm else None
        if not batched:
            output, hidden = output.squeeze(1), hidden.squeeze(1)
            cell = cell.squeeze(1) if lstm else None
        elif self.batch_first:
            output = output.transpose(0, 1) if lstm else _swap01_inplace(output)
        return (output, (hidden, cell)) if lstm else (output, hidden)


class RNN(RNNBase):
    """Elman RNN: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, *args, **kwargs):
        nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)


class LSTM(RNNBase):
    """LSTM: input, forget, cell and output gates; returns (output, (h_n, c_n))."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """GRU: reset, update and new gates; returns (output, h_n)."""

    def __init__(self, *args, **kwargs):
        super().__init__("GRU", *args, **kwargs)


# ---- cells -------------------------------------------------------------------------------------
class RNNCellBase(Module):
    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        npd = _npd(dtype)
        gate = num_chunks * hidden_size
        self.weight_ih = Parameter(_wrap(np.empty((gate, input_size), dtype=npd)))
        self.weight_hh = Parameter(_wrap(np.empty((gate, hidden_size), dtype=npd)))
        if bias:
            self.bias_ih = Parameter(_wrap(np.empty(gate, dtype=npd)))
            self.bias_hh = Parameter(_wrap(np.empty(gate, dtype=npd)))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input, hx, name):
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} "
                               f"expected {self.input_size}")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            z = zeros(input.shape[0], self.hidden_size, dtype=input.dtype)
            return input, None, batched, z
        return input, hx, batched, None

    def _fix(self, h, batched, n, which=0):
        if not batched:
            if h.dim() != 1:
                raise RuntimeError(f"hidden{which} has inconsistent hidden_size: got "
                                   f"{h.shape[0]}, expected {self.hidden_size}")
            h = h.unsqueeze(0)
        if h.shape[0] != n:
            raise RuntimeError(f"Input batch size {n} doesn't match hidden{which} batch size "
                               f"{h.shape[0]}")
        if h.shape[1] != self.hidden_size:
            raise RuntimeError(f"hidden{which} has inconsistent hidden_size: got {h.shape[1]}, "
                               f"expected {self.hidden_size}")
        return h


class RNNCell(RNNCellBase):
    """One Elman step: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        if nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, hx, batched, z = self._prepare(input, hx, "RNNCell")
        h = z if hx is None else self._fix(hx, batched, input.shape[0])
        out = _rnn_step(linear(input, self.weight_ih, self.bias_ih), h, self.weight_hh,
                        self.bias_hh, self.nonlinearity == "relu")
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx=None):
        input, hx, batched, z = self._prepare(input, hx, "LSTMCell")
        n = input.shape[0]
        h, c = (z, z) if hx is None else (self._fix(hx[0], batched, n),
                                          self._fix(hx[1], batched, n, 1))
        h2, c2 = _lstm_step(linear(input, self.weight_ih, self.bias_ih), h, c, self.weight_hh,
                            self.bias_hh)
        return (h2, c2) if batched else (h2.squeeze(0), c2.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, hx, batched, z = self._prepare(input, hx, "GRUCell")
        h = z if hx is None else self._fix(hx, batched, input.shape[0])
        out = _gru_step(linear(input, self.weight_ih, self.bias_ih), h, self.weight_hh,
                        self.bias_hh)
        return out if batched else out.squeeze(0)
