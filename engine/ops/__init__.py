"""The op table, grouped by family: one row per differentiable primitive — its PyTorch node name,
its numpy forward, its VJP, its symbolic forward and, for an elementwise op, its public names
(``table``: ``Op``, ``OPS``, ``register``). Every row is registered when ``engine`` is imported:
the families here (``elementwise``, ``reduce``, ``reduce_stats``, ``diag``, ``ordering``,
``scan``, ``arith``, ``arith_binary``, ``clamp``, ``activation_grads``, ``shape``, ``index``, ``scatter_reduce``, ``views``,
``linalg``, ``nn``, ``nn_conv``, ``nn_loss``, ``nn_maps``, ``nn_pool``) and the
forward families that still keep their rows beside their forwards.

Adding an elementwise function is one ``register(...)`` call in ``elementwise.py`` with
``kind="unary"``, ``names=(...)`` and ``sym=...``: the engine binds ``torch.<name>``,
``Tensor.<name>`` and ``Tensor.<name>_`` from it (``engine.op_binding``) and ``symbolic`` reads
its closed form and derives its matrix form from ``sym``.
"""

from __future__ import annotations

from . import (  # noqa: F401  (register rows)
    activation_grads,
    arith,
    arith_binary,
    clamp,
    diag,
    elementwise,
    index,
    linalg,
    nn,
    nn_conv,
    nn_loss,
    nn_maps,
    nn_pool,
    ordering,
    reduce,
    reduce_stats,
    scan,
    scatter_reduce,
    shape,
    views,
)
from .elementwise import _sign  # noqa: F401  (NP.sign: sign(nan) is 0, as PyTorch's)
from .table import OPS, Op, is_elementwise, pair, register, unregister, watch  # noqa: F401

CORE_KEYS = frozenset(OPS)  # rows defined in this package; forward families register more
