"""The dispatcher: how an op's forward result becomes a recorded node. ``record`` attaches a
new node of an op row to an output tensor, ``_result`` wraps a forward's array and records it
when grad mode is on and an input requires grad; ``_binary``/``_unary`` run a row's numpy
forward with PyTorch's type promotion and broadcasting errors. Every forward family calls these;
this module imports the op rows and the tensor's data layer, nothing above them."""

from __future__ import annotations

import builtins

import numpy as np

from . import observe
from . import promotion as _promotion
from ._dtype import _default
from .f32_consts import CONSTS as _f32_consts
from .f32_consts import F32 as _F32
from .f32_consts import const as _f32_const
from .grad_mode import mode as _mode
from .node import accumulate_node, next_seq
from .ops import OPS
from .tensor_data import Tensor, _arr, _wrap, as_array

_SCALARS = (builtins.float, builtins.int, builtins.bool)


# ---- recording --------------------------------------------------------------------------------


def _edge(t):
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._out_nr)
    return (accumulate_node(t), 0)


def new_node(cls, next_functions, attrs=None, saved=(), versions=None, out_meta=None,
             numbered=True):
    """A node of class ``cls`` with every field the autograd engine reads. ``record`` builds
    the same fields inline for its one- and two-input ops (it runs for every op).
    ``numbered=False``: a node made before the forward it records has run (a custom Function's
    ctx); ``number_node`` gives it its edges and sequence number once the forward is done, so
    it is ordered after any node the forward made."""
    node = cls.__new__(cls)
    node.next_functions = next_functions
    node._saved = saved
    node._versions = versions
    node._out = None
    node._attrs = attrs
    node._seq = next_seq() if numbered else None
    node._pre_hooks = None
    node._retain = None
    node._out_meta = out_meta
    return node


def number_node(node, next_functions, out_meta):
    """Complete a node made with ``new_node(..., numbered=False)`` after its forward ran."""
    node.next_functions = next_functions
    node._seq = next_seq()
    node._out_meta = out_meta
    return node


def record_outputs(op, x, outs, attrs, save_input=False):
    """One node of ``op`` for several outputs of one input tensor ``x`` (SplitBackward0,
    VarMeanBackward0): each output gets its output number; the observer sees the node."""
    node = new_node(op.cls, ((x.grad_fn or accumulate_node(x), x._out_nr),), attrs,
                    (x,) if save_input else (), (x._vc[0],) if save_input else None,
                    tuple((o._data.shape, o._data.dtype) for o in outs))
    for i, o in enumerate(outs):
        o.grad_fn = node
        o._rg = True
        o._out_nr = i
    obs = observe.current
    if obs is not None:
        obs.on_node(node, (x,), outs, observe.user_location(3))  # 1: here, 2: an engine op
    return node


def record(op, out, inputs, attrs=None):
    """Attach a new ``op`` node to tensor ``out`` whose inputs are ``inputs`` (Tensors or Python
    scalars). Callers have checked that grad mode is on and some input requires grad."""
    cls = op.cls
    node = cls.__new__(cls)
    # written out for one and two inputs: this runs for every recorded op
    if len(inputs) == 1:
        t = inputs[0]
        node.next_functions = ((t.grad_fn or accumulate_node(t), t._out_nr),)
        if op.save_inputs:
            node._saved = inputs
            node._versions = (t._vc[0],)
        else:
            node._saved = ()
            node._versions = None
    elif len(inputs) == 2 and isinstance(inputs[0], Tensor):
        a, b = inputs
        ea = (a.grad_fn or accumulate_node(a), a._out_nr) if a._rg else _NO_EDGE
        if isinstance(b, Tensor):
            node.next_functions = (ea, (b.grad_fn or accumulate_node(b), b._out_nr)
                                   if b._rg else _NO_EDGE)
        else:
            node.next_functions = (ea, _NO_EDGE)
        if op.save_inputs:
            # versions are read only for saved inputs (an inference tensor's read raises)
            node._saved = inputs
            if op is _MUL or op is _DIV:
                # as PyTorch, a's value matters only for b's grad (and b's only for div or a's)
                bt = isinstance(b, Tensor)
                node._versions = (a._vc[0] if bt and b._rg else None,
                                  b._vc[0] if bt and (a._rg or op is _DIV) else None)
            else:
                node._versions = (a._vc[0], b._vc[0] if isinstance(b, Tensor) else None)
        else:
            node._saved = ()
            node._versions = None
    else:
        node.next_functions = tuple(
            ((t.grad_fn or accumulate_node(t), t._out_nr) if t._rg else _NO_EDGE)
            if isinstance(t, Tensor) else _NO_EDGE for t in inputs
        )
        if op.save_inputs:
            node._saved = inputs
            node._versions = tuple(t._vc[0] if isinstance(t, Tensor) else None
                                   for t in inputs)
        else:
            node._saved = ()
            node._versions = None
    node._out = (out._data, out._vc, out._vc[0]) if op.save_out else None
    node._attrs = attrs
    node._seq = next_seq()
    node._pre_hooks = None
    node._retain = None
    node._out_meta = None
    out.grad_fn = node
    out._rg = True
    if _pack_saved is not None:
        _pack_saved(node)
    obs = observe.current
    if obs is not None:
        obs.on_node(node, inputs, out, observe.user_location(3))  # 1: here, 2: an engine op
    return out


def _record_scalar(op, out, a, b, attrs):
    """``record`` for a float tensor ``a`` that requires grad and a Python number ``b``, the
    fast path of ``_binary`` (``y * 1.01``): the same fields, without the general case's tests.
    A number's grad is never needed, so mul and div check no versions at all."""
    cls = op.cls
    node = cls.__new__(cls)
    node.next_functions = ((a.grad_fn or accumulate_node(a), a._out_nr), _NO_EDGE)
    if op.save_inputs:
        node._saved = (a, b)
        node._versions = None if op is _MUL or op is _DIV else (a._vc[0], None)
    else:
        node._saved = ()
        node._versions = None
    node._out = (out._data, out._vc, out._vc[0]) if op.save_out else None
    node._attrs = attrs
    node._seq = next_seq()
    node._pre_hooks = None
    node._retain = None
    node._out_meta = None
    out.grad_fn = node
    out._rg = True
    if _pack_saved is not None:
        _pack_saved(node)
    obs = observe.current
    if obs is not None:
        # 1: here, 2: _binary, 3: the engine op that called it
        obs.on_node(node, (a, b), out, observe.user_location(4))
    return out


_pack_saved = None  # set while autograd.graph.saved_tensors_hooks is active
_NO_EDGE = (None, 0)
_SUB = OPS["sub"]
_MEAN, _POW, _RELU = OPS["mean"], OPS["pow"], OPS["relu"]
_MUL, _DIV = OPS["mul"], OPS["div"]


def _result(op, arr, inputs, attrs=None, rg=None):
    if type(arr) is not np.ndarray:
        arr = np.asarray(arr)
    out = _wrap(arr)
    if rg is None:
        rg = any(isinstance(t, Tensor) and t._rg for t in inputs)
    if rg and _mode.enabled:
        record(op, out, inputs, attrs)
    return out


def call(op, inputs, *params):
    """Run row ``op``'s forward on the arrays of tensors ``inputs`` with the op's checked
    arguments ``params`` (``fwd(*arrays, *params) -> (out, attrs)``) and record the result: the
    public function of a one-output row, after its argument checks, is this one line."""
    if len(inputs) == 1:  # written out: most rows have one input
        t = inputs[0]
        out, attrs = op.fwd(t._data, *params)
        return _result(op, out, inputs, attrs, t._rg)
    out, attrs = op.fwd(*[t._data for t in inputs], *params)
    return _result(op, out, inputs, attrs, any(t._rg for t in inputs))


# ---- type promotion ---------------------------------------------------------------------------


def _promote(a, b):
    """Result numpy dtype of a binary op between Tensor ``a`` and ``b`` (Tensor or scalar)."""
    da = a._data.dtype
    if isinstance(b, Tensor):
        db = b._data.dtype
        if da is db:
            return da
        return _promotion.tensors(da, a._data.ndim != 0, db, b._data.ndim != 0)
    return _promotion.with_scalar(da, type(b))


def _broadcast_error(sa, sb):
    for i in range(1, max(len(sa), len(sb)) + 1):
        x = sa[-i] if i <= len(sa) else 1
        y = sb[-i] if i <= len(sb) else 1
        if x != y and x != 1 and y != 1:
            dim = max(len(sa), len(sb)) - i
            return RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                f"non-singleton dimension {dim}"
            )
    return RuntimeError(f"shapes {list(sa)} and {list(sb)} are not broadcastable")


def _operand(b):
    if isinstance(b, Tensor) or type(b) in _SCALARS:
        return b
    if isinstance(b, np.ndarray):
        return _wrap(as_array(b))
    if isinstance(b, np.generic):
        return b.item()
    if isinstance(b, list | tuple):
        return _wrap(as_array(b))
    return NotImplemented


# float32 with a Python number: numpy gets the number as a cached 0-d float32 array
_EXACT = frozenset(("add", "sub", "mul", "div"))


# The attrs of a binary node (its inputs' shapes) shared between nodes of the same shapes: two
# tuples fewer that outlive each op, and so two objects fewer per node for the cyclic collector
# to scan while a graph is alive.
_scalar_attrs: dict = {}
_pair_attrs: dict = {}


def _shared_attrs(cache, key, attrs):
    if len(cache) >= 1024:
        cache.clear()
    cache[key] = attrs
    return attrs


def _binary(key, a, b, int_to_float=False):
    op = OPS[key]
    ad = a._data
    tb = type(b)
    # fast paths: float tensor with a Python number, or two tensors of one dtype
    if (tb is builtins.float or tb is builtins.int) and ad.dtype.kind == "f":
        if ad.dtype is _F32 and key in _EXACT:
            c = _f32_consts.get(b)
            out = op.fwd(ad, c if c is not None else _f32_const(b))
        else:
            out = op.fwd(ad, b)
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        t = _wrap(out)
        if a._rg and _mode.enabled:
            shape = ad.shape
            attrs = _scalar_attrs.get(shape)
            if attrs is None:
                attrs = _shared_attrs(_scalar_attrs, shape, (shape, ()))
            _record_scalar(op, t, a, b, attrs)
        return t
    if tb is Tensor or isinstance(b, Tensor):
        bd = b._data
        if ad.dtype is bd.dtype and (ad.dtype.kind == "f" or not int_to_float and
                                     ad.dtype.kind != "b"):
            try:
                out = op.fwd(ad, bd)
            except ValueError:
                raise _broadcast_error(ad.shape, bd.shape) from None
            if type(out) is not np.ndarray:
                out = np.asarray(out)
            t = _wrap(out)
            if (a._rg or b._rg) and _mode.enabled:
                shapes = (ad.shape, bd.shape)
                attrs = _pair_attrs.get(shapes)
                if attrs is None:
                    attrs = _shared_attrs(_pair_attrs, shapes, shapes)
                record(op, t, (a, b), attrs)
            return t
    return _binary_general(op, a, b, int_to_float)


def _binary_general(op, a, b, int_to_float):
    b = _operand(b)
    if b is NotImplemented:
        return NotImplemented
    if op is _SUB:
        _check_bool_sub(a, b)
    ad = a._data
    if isinstance(b, Tensor):
        bd = b._data
        rg = a._rg or b._rg
    else:
        bd = b
        rg = a._rg
    dt = _promote(a, b)
    if int_to_float and dt.kind != "f":
        dt = _default[0].np
    if ad.dtype is not dt:
        ad = ad.astype(dt)
    if isinstance(b, Tensor) and bd.dtype is not dt:
        bd = bd.astype(dt)
    # Python scalars stay as they are: numpy keeps the array's dtype for them (NEP 50)
    try:
        out = op.fwd(ad, bd)
    except ValueError:
        raise _broadcast_error(np.shape(ad), np.shape(bd)) from None
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    if out.dtype != dt and dt.kind != "b":
        out = out.astype(dt)
    t = _wrap(out)
    if rg and _mode.enabled:
        da = a._data.dtype
        db = b._data.dtype if isinstance(b, Tensor) else dt
        # inputs of another float dtype get their grads cast back, as PyTorch's engine does
        record(op, t, (a, b), (ad.shape, np.shape(bd)) if da == dt and db == dt else
               (ad.shape, np.shape(bd), da, db))
    return t


def _check_bool_sub(a, b):
    a_bool = a._data.dtype.kind == "b"
    b_bool = b._data.dtype.kind == "b" if isinstance(b, Tensor) else type(b) is builtins.bool
    if a_bool and b_bool:
        raise RuntimeError(_SUB_BOOLS)
    if a_bool or b_bool:
        raise RuntimeError(_SUB_BOOL)


def _compare(ufunc, a, b):
    b = _operand(b)
    if b is NotImplemented:
        return NotImplemented
    try:
        return _wrap(np.asarray(ufunc(a._data, _arr(b))))
    except ValueError:
        raise _broadcast_error(a._data.shape, np.shape(_arr(b))) from None


_KEEP_INT = frozenset(("neg", "abs", "relu", "clone"))
_BOOL_ERRORS = {
    "neg": lambda: RuntimeError(
        "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
        "invert a mask, use the `~` or `logical_not()` operator instead."),
    "abs": lambda: NotImplementedError("\"abs_cpu\" not implemented for 'Bool'"),
    "relu": lambda: RuntimeError("Boolean inputs not supported for relu"),
}
_SUB_BOOL = ("Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
             "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
_SUB_BOOLS = ("Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
              "`^` or `logical_xor()` operator instead.")


def _unary(key, a, fwd=None, attrs=None):
    op = OPS[key]
    x = a._data
    if x.dtype.kind != "f":
        if key not in _KEEP_INT:
            x = x.astype(_default[0].np)
        elif x.dtype.kind == "b" and key != "clone":
            raise _BOOL_ERRORS[key]()
    out = (fwd or op.fwd)(x)
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    t = _wrap(out)
    if a._rg and _mode.enabled:
        record(op, t, (a,), attrs)
    return t
