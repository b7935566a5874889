"""Rules for the layer ops registered by ``engine.nn``'s layer modules: ``embedding``, the
piecewise losses (``smooth_l1_loss``, ``huber_loss``), and the layers added beside them.
Loaded by the last lines of ``rules.py``.

``embedding`` is the lookup ``weight[indices]``. PyTorch gives the ``padding_idx`` row no grad
and initialises it to zeros: while that row held zeros at the forward, its positions enter as
the constant 0, so closed form and engine agree; a padding row the user filled is looked up
(its replay is exact, and the check reports the grad PyTorch withholds as a disagreement), as
is ``scale_grad_by_freq``, whose scaled grads no forward function has.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from . import rules
from .rules import nice_number


def _embedding(m, a, at, s):
    _, idx, keep, pad_zero = at
    out = a[0][idx]
    if pad_zero:
        zero = m.scalar(0)
        out = m.where((keep == 0)[..., None], zero, out)
    return out


def _piecewise_loss(m, a, at, s):
    reduction, n, k, huber = at
    d = a[0] - a[1]
    if m.symbolic:
        kk = nice_number(k)
        half = sp.Rational(1, 2)

        def one(v):
            quad = half * v**2 if huber else half * v**2 / kk
            lin = kk * (sp.Abs(v) - half * kk) if huber else sp.Abs(v) - half * kk
            return sp.Piecewise((quad, sp.Abs(v) < kk), (lin, True))

        loss = rules._elementwise(one)(d)
    else:
        ad = np.abs(d)
        if huber:
            loss = np.where(ad < k, 0.5 * d * d, k * (ad - 0.5 * k))
        else:
            loss = np.where(ad < k, 0.5 * d * d / k, ad - 0.5 * k)
    return rules._reduce(m, loss, reduction, n)


for _key, _rule in {
    "embedding": _embedding,
    "smooth_l1_loss": _piecewise_loss,
    "huber_loss": _piecewise_loss,
}.items():
    rules.register(_key, _rule)
