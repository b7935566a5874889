"""Every row of ``engine.ops.shape`` is its op's home: its forward is what the public op runs,
the node it records is the row's, its backward agrees with finite differences, its symbolic rule
reproduces it, and PyTorch 2.13 agrees (``row_checks``)."""

from __future__ import annotations

import numpy as np
from row_checks import Case, RowTests

import engine
from engine.ops import shape
from engine.tensor_ns import T

rng = np.random.default_rng(7)
X = rng.standard_normal((3, 4))
Y = rng.standard_normal((3, 2))
Z = rng.standard_normal((2, 3, 4))
LIN = dict(eps=0.5)  # the shape ops are linear: any step is exact


def _setitem(lib, x, v):
    y = x * 1
    y[0] = v
    return y


def _transpose_(lib, x):
    if lib is engine:
        from engine.nn.rnn import _swap01_inplace

        return _swap01_inplace(x)
    return (x * 1).transpose_(0, 1)


def _linear_1d(lib, x, w):
    return lib.nn.functional.linear(x, w)


CASES = [
    Case("view", lambda lib, x: x.view(6, 2), (X,), ((6, 2),), **LIN),
    Case("unsafe_view", lambda lib, x: x.t().reshape(12), (X,), ((12,),),
         args=lambda x: (x.T.copy(),), **LIN),
    Case("squeeze", lambda lib, x: x.squeeze(), (X.reshape(3, 1, 4),), ((3, 4),), **LIN),
    Case("squeeze_dim", lambda lib, x: x.squeeze(1), (X.reshape(3, 1, 4),), ((3, 4),), **LIN),
    Case("squeeze_dims", lambda lib, x: x.squeeze((1, 3)), (X.reshape(3, 1, 4, 1),), ((3, 4),),
         **LIN),
    Case("squeeze_dims_", _linear_1d, (X[0], Z[0, :2].copy()), ((2,),),
         args=lambda x, w: ((x[None] @ w.T),), **LIN),
    Case("unsqueeze", lambda lib, x: x.unsqueeze(1), (X,), ((3, 1, 4),), **LIN),
    Case("t", lambda lib, x: x.t(), (X,), **LIN),
    Case("transpose", lambda lib, x: x.transpose(0, 2), (Z,), (0, 2), **LIN),
    Case("transpose_", _transpose_, (Z,), (0, 1), **LIN),
    Case("permute", lambda lib, x: x.permute(2, 0, 1), (Z,), ((2, 0, 1),), **LIN),
    Case("expand", lambda lib, x: x.expand(3, 4), (X[:, :1],), ((3, 4),), **LIN),
    Case("clone", lambda lib, x: x.clone(), (X,), **LIN),
    Case("alias", lambda lib, x: x[...], (X,), **LIN),
    # the rule gives float64 values, the forward float32 ones
    Case("to", lambda lib, x: x.to(lib.float32), (X,), (np.float32,), eps=0.5, rtol=1e-6),
    Case("select", lambda lib, x: x[1], (X,), (0, 1), **LIN),
    Case("slice", lambda lib, x: x[:, 1:3], (X,), (1, slice(1, 3)), **LIN),
    Case("index", lambda lib, x: x[[0, 2]], (X,), (np.array([0, 2]),), **LIN),
    Case("index_scatter", lambda lib, g: T.index_scatter(g, (3, 4), (np.array([0, 2, 0]),)),
         (Z[0],), ((3, 4), (np.array([0, 2, 0]),)), torch=False, **LIN),
    Case("setitem", _setitem, (X, X[2] * 2), (0,), **LIN),
    Case("cat", lambda lib, x, y: lib.cat([x, y], 1), (X, Y), kw=dict(dim=1), **LIN),
    Case("stack", lambda lib, x, y: lib.stack([x, y], 1), (X, X[::-1].copy()), kw=dict(dim=1),
         **LIN),
    Case("split", lambda lib, x: x.split(3, 1), (X,), (1, [3, 1]), **LIN),
    Case("split_sizes", lambda lib, x: x.split([1, 3], 1), (X,), (1, [1, 3]), **LIN),
    Case("unsafe_split", lambda lib, x: x.unsafe_split(3, 1), (X,), (1, [3, 1]), **LIN),
    Case("unbind", lambda lib, x: x.unbind(1), (X,), (1,), **LIN),
    Case("repeat", lambda lib, x: x.repeat(2, 1, 2), (Y,), ((2, 1, 2),), **LIN),
]


class TestShapeRows(RowTests):
    cases = CASES
    families = (shape,)
