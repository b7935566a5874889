"""The symbolic forward rules, all families loaded: ``RULES`` (engine op key -> rule),
``apply``, the ``NUM``/``SYM`` namespaces and ``NUMPY_FUNCS`` (lambdify's numpy twins of the
sympy functions the rules introduce). The table itself lives in ``rule_table``; each family
module (``rules_core``, ``rules_nn_extra``, ...) imports it and registers its rows, so a new
op's rule is one ``register(key, rule)`` in the family it belongs to, or the ``sym`` of its
engine op row (elementwise ops: ``RULES`` reads it from the row). Code that applies rules
imports this module, which guarantees every family is registered.
"""

from __future__ import annotations

from . import (  # noqa: F401  (each family registers its rules on import)
    rules_arith,
    rules_core,
    rules_layers,
    rules_nn_extra,
    rules_trig_act,
    rules_views,
)
from .rule_table import (  # noqa: F401  (the public names of the rule table)
    NUM,
    NUMPY_FUNCS,
    RULES,
    SYM,
    apply,
    canonical,
    ceil_fn,
    clamp_max,
    clamp_min,
    floor_fn,
    max_tie,
    min_tie,
    nice_number,
    register,
    numpy_twin,
    relu,
    round_fn,
    sign_fn,
)
