"""The layer rows (``engine/ops/nn_conv.py``: convolution, constant padding, batch and layer
norm; ``engine/ops/nn_pool.py``: the pools and max_unpool) are whole: each has a numpy forward
the public op runs, records its node, differentiates as finite differences say, has a symbolic
rule giving the forward's value, and agrees with PyTorch."""

from __future__ import annotations

import numpy as np
from row_checks import Case, RowTests, functional

from engine.ops import nn_conv, nn_pool

rng = np.random.default_rng(13)
X = rng.uniform(-2.0, 2.0, (2, 2, 4, 5))
W = rng.uniform(-1.0, 1.0, (4, 1, 2, 3))
BIAS = rng.uniform(-1.0, 1.0, (4,))
X1 = rng.uniform(-2.0, 2.0, (2, 2, 6))
W1 = rng.uniform(-1.0, 1.0, (3, 2, 2))
G = rng.uniform(0.5, 1.5, (2,))
XP = rng.permutation(np.linspace(-2.0, 2.0, 40)).reshape(2, 1, 4, 5)  # one winner per window
# geometry (k, s, p, d, oh, ow, extra) of a 2x2 pool, stride 2, padding 1, ceil mode on 4x5
POOL = ((2, 2), (2, 2), (1, 1), (1, 1), 3, 3, (1, 0))
UNPOOL_IDX = np.array([[[[0, 3], [9, 7]]]])
XU = rng.uniform(-2.0, 2.0, (1, 1, 2, 2))

CASES = [
    Case("convolution", functional("conv2d", stride=(1, 2), padding=(1, 0), groups=2),
         (X, W, BIAS), kw={"stride": (1, 2), "padding": (1, 0), "dilation": (1, 1), "groups": 2}),
    Case("constant_pad_nd", functional("pad", (2, 1, 0, 1), value=0.5), (X,),
         kw={"pad": (2, 1, 0, 1), "value": 0.5}),
    Case("native_batch_norm",
         lambda m, x, w, b: m.nn.functional.batch_norm(x, None, None, w, b, True),
         (X, G, BIAS[:2]), kw={"dims": (0, 2, 3), "eps": 1e-5, "ps": (1, 2, 1, 1)}),
    Case("native_layer_norm", lambda m, x, w, b: m.nn.functional.layer_norm(x, (4, 5), w, b),
         (X, G[:1] * np.ones((4, 5)), np.full((4, 5), 0.1)),
         kw={"dims": (2, 3), "eps": 1e-5, "ps": (4, 5)}),
    Case("max_pool2d", functional("max_pool2d", 2, 2, 1, ceil_mode=True), (XP,),
         kw={"geometry": POOL}),
    Case("avg_pool2d", functional("avg_pool2d", 2, 2, 1, ceil_mode=True, count_include_pad=False),
         (X,), kw={"geometry": POOL, "count_include_pad": False}),
    Case("adaptive_avg_pool2d", functional("adaptive_avg_pool2d", (3, 2)), (X,),
         kw={"output_size": (3, 2)}),
    Case("max_unpool2d", lambda m, x: m.nn.functional.max_unpool2d(x, m.tensor(UNPOOL_IDX), 2),
         (XU,), (UNPOOL_IDX,), kw={"output_size": (4, 4)}),
    # a conv1d: the same row on a 3-d input
    Case("convolution", functional("conv1d", stride=2, dilation=2), (X1, W1, BIAS[:3]),
         kw={"stride": (2,), "padding": (0,), "dilation": (2,), "groups": 1}),
]


class TestLayerRows(RowTests):
    cases = CASES
    families = (nn_conv, nn_pool)
