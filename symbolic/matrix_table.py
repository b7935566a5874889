"""Which matrix rule an op key has: ``matrix_rules`` (the common ops and the elementwise
functions whose derivative the scalar rule gives), ``matrix_rules_more`` (selections,
reductions, several-tensor elementwise functions, losses), ``matrix_rules_layers`` (convolution,
pooling, normalisation), ``matrix_rules_scan`` (logcumsumexp, scatter_reduce), and here
``copy_slices``, which applies the wrapped op's own rule."""

from __future__ import annotations

import numpy as np

from . import matrix_expr as mx
from . import matrix_rules
from .matrix_rules import NoMatrixForm, _Given
from .matrix_rules_layers import RULES_LAYERS
from .matrix_rules_more import RULES_MORE, _elementwise_n, gather_map
from .matrix_rules_scan import RULES_SCAN


def rule_for(key):
    """The matrix rule of ``key``, or None (then the op has no matrix form)."""
    if key == "copy_slices":
        return _copy_slices
    r = (matrix_rules.rule_for(key) or RULES_MORE.get(key) or RULES_LAYERS.get(key)
         or RULES_SCAN.get(key))
    if r is None and _is_gather_map(key):
        return gather_map
    if r is None:
        r = _from_row(key)
    return r


def _from_row(key):
    """An elementwise engine op row with its symbolic forward: the derivative of its scalar
    rule (looked up each time: a row may be registered or removed at run time)."""
    from engine.ops import OPS

    op = OPS.get(key)
    if op is None or op.sym is None or op.kind not in ("unary", "binary"):
        return None
    return matrix_rules._from_scalar(key) if op.kind == "unary" else _elementwise_n(key)


def _is_gather_map(key) -> bool:
    """A gather-map row of ``engine.ops.nn_maps`` (every one shares its VJP), present or added
    later."""
    from engine.ops import OPS
    from engine.ops.nn_maps import is_gather_map

    op = OPS.get(key)
    return op is not None and is_gather_map(op)


def _copy_slices(node, ins, out, g):
    """An in-place op through a view of ``base``: outside the view ∂L/∂base is ∂L/∂y; inside,
    the wrapped op's own matrix rule applied to the view's part of ∂L/∂y."""
    from types import SimpleNamespace

    from .graph import Ref
    from .node_rec import op_key

    fn, flat, shape, vshape = node.attrs
    key = op_key(fn.op)
    inner = rule_for(key)
    if inner is None or getattr(inner, "multi_output", False):
        raise NoMatrixForm(f"an in-place {key} through a view")

    def part(v):
        v = np.asarray(v, np.float64)
        return v.reshape(vshape) if flat is None else v.reshape(-1)[flat].reshape(vshape)

    gt = g.wrap(mx.ATOM)
    view_in = mx.Sym(f"{ins[0].wrap(mx.ATOM)[0]}[view]", part(ins[0].value))
    view_out = mx.Sym(f"{out.wrap(mx.ATOM)[0]}[view]", part(out.value))
    view_g = _Given(f"{gt[0]}[view]", rf"{gt[1]}_{{[\mathrm{{view}}]}}", part(g.value))
    fake = SimpleNamespace(key=key, attrs=fn._attrs, name=node.name,
                           inputs=(Ref("node", -1),) + tuple(node.inputs[1:]),
                           out_values=(view_out.value,))
    grads = inner(fake, [view_in, *ins[1:]], view_out, view_g)
    inside = grads[0]
    base = np.array(g.value, np.float64).reshape(-1)
    if inside is None:
        inside_v = np.zeros(vshape)
        text, tex = "0", "0"
    else:
        inside_v, text, tex = inside.value, inside.text(), inside.tex()
    if flat is None:
        base = np.broadcast_to(inside_v, vshape).reshape(-1).copy()
    else:
        base[flat] = np.broadcast_to(inside_v, vshape).reshape(-1)
    first = _Given(f"{gt[0]} with [view] ← {text}",
                   rf"{gt[1]}\ \mathrm{{with}}\ [\mathrm{{view}}] \leftarrow {tex}",
                   base.reshape(ins[0].shape))
    return [first, *grads[1:]]
