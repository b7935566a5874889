"""Rules for the engine's core ops (tanh; the softmax, elementwise, shape, linear algebra,
reduction, ordering, scan and layer rows of ``engine.ops``, the fused losses included, carry
theirs). Imported by ``symbolic.rules``."""

from __future__ import annotations

from . import rule_table as rt

# key -> rule(ns, args, attrs, out_shape)
CORE = {
    "tanh": lambda ns, args, attrs, out_shape: ns.tanh(args[0]),
}


for _key, _rule in CORE.items():
    rt.register(_key, _rule)
