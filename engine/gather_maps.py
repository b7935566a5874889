"""Running a gather map (``engine.ops.nn_maps``: the non-constant paddings, upsampling,
``Tensor.unfold``, im2col/col2im, the 3-d average pool) from a public function: ``run`` records
the map's row on the input, ``grid_index`` gives the flat positions a map is built from."""

from __future__ import annotations

import numpy as np

from .ops import OPS
from .ops.nn_maps import apply_map  # noqa: F401  (integer pools run the map unrecorded)
from .tensor import Tensor, _result


def run(key, x: Tensor, idx, w=None):
    """``x`` through the map ``(idx, w)``, recorded as row ``key``."""
    op = OPS[key]
    out, attrs = op.fwd(x._data, idx, w)
    return _result(op, out, (x,), attrs)


def grid_index(shape):
    """Flat positions of an array of ``shape``, shaped like it."""
    return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
