"""Rules for the piecewise losses (``smooth_l1_loss``, ``huber_loss``: sympy's Piecewise, which
the namespace protocol has not) and two shape rows registered with them. The other layer rows
(convolution, padding, pools, norms, embedding, the fused losses) carry their symbolic forwards
in their ``engine.ops`` rows. Imported by ``symbolic.rules``."""

from __future__ import annotations

import numpy as np
import sympy as sp

from . import rule_table as rt
from .rule_table import nice_number


def _piecewise_loss(ns, args, attrs, out_shape):
    reduction, n, k, huber = attrs
    d = args[0] - args[1]
    if ns.symbolic:
        kk = nice_number(k)
        half = sp.Rational(1, 2)

        def one(v):
            quad = half * v**2 if huber else half * v**2 / kk
            lin = kk * (sp.Abs(v) - half * kk) if huber else sp.Abs(v) - half * kk
            return sp.Piecewise((quad, sp.Abs(v) < kk), (lin, True))

        loss = rt.elementwise(one)(d)
    else:
        ad = np.abs(d)
        if huber:
            loss = np.where(ad < k, 0.5 * d * d, k * (ad - 0.5 * k))
        else:
            loss = np.where(ad < k, 0.5 * d * d / k, ad - 0.5 * k)
    return rt.reduce_loss(ns, loss, reduction, n)


for _key, _rule in {
    "smooth_l1_loss": _piecewise_loss,
    "huber_loss": _piecewise_loss,
}.items():
    rt.register(_key, _rule)
