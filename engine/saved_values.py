"""``grad_fn._saved_<name>``: the values a node keeps for its backward, under PyTorch's names.

PyTorch names each saved value after the argument of the op it came from (``self``, ``other``,
``result``, ``dim``, ``self_sym_sizes``...), and the autograd tutorials read them to show what a
graph holds on to: ``y.grad_fn._saved_self is x``, or the error once backward freed them. The
engine's nodes keep the same values in ``_saved`` (inputs), ``_out`` (the output) and ``_attrs``
(per-op metadata); ``SAVED`` says, per node name, which PyTorch name reads which of them.

Tensors are unpacked as the backward would (the freed-graph and modified-in-place errors are
PyTorch's); metadata stays readable after backward, as in PyTorch. A value is worked out only
when its name is read (nothing is added to recording or backward). A tensor PyTorch saved that
the engine keeps as an array in the node's attrs (a mask, an index, layer norm's mean) reads back
as a new tensor, as PyTorch's does; the indices an op returned read back as that very tensor
(``engine.saved_outputs``). A negative int argument reads back as PyTorch shows it, wrapped
around as unsigned (``x.triu(-1)``: ``_saved_diagonal`` is 2**64 - 1).

Known differences: a negative ``dim`` reads back normalised (PyTorch shows the wrap-around of
the argument as given); where the engine's attrs lose what the call was (``x.var()`` against
``x.var(correction=1)``) the common call's value is given; a node not in ``SAVED`` has no
``_saved_*`` attributes rather than invented ones (``tests/engine/test_saved_values_all.py``
lists those PyTorch builds and the engine's attrs cannot answer yet).
"""

from __future__ import annotations

import numpy as np

from .autograd.graph import SAVE_ORDER, _PackedItem, is_packed, pack_saved_value
from .autograd_engine import unpack_saved
from .node import FREED
from .ops.elementwise import add_alpha_fwd, sub_alpha_fwd
from .ops.table import OPS, watch
from .saved_outputs import indices_of
from .tensor import Tensor
from .tensor_data import _wrap

_PREFIX = "_saved_"
_ALPHA_FWDS = (add_alpha_fwd, sub_alpha_fwd)
_PACKED = (_PackedItem,)


def _tensor(v):
    """A saved Python number reads back as the 0-d tensor PyTorch wraps it in."""
    if v is None or isinstance(v, Tensor):
        return v
    if isinstance(v, bool):
        return _wrap(np.asarray(v))
    return _wrap(np.asarray(v, dtype=np.int64 if isinstance(v, int) else np.float64))


def _input(i, when=None):
    """Saved input ``i``; ``when(node)`` false: PyTorch did not save it (no grad needed it)."""
    def get(node):
        if when is not None and not when(node):
            return None
        saved, _ = unpack_saved(node, create_graph=False, wrap=True)
        return _tensor(saved[i])
    get.slot, get.when = i, when
    return get


def _result(node):
    _, out = unpack_saved(node, create_graph=False, wrap=True)
    return out


_result.slot, _result.when = None, None


class SavedTensor:
    """``grad_fn._raw_saved_<name>``: one saved tensor's slot, where pack/unpack hooks can be
    put on that value alone (``register_hooks(pack_hook, unpack_hook)``)."""

    __slots__ = ("_get", "_node")

    def __init__(self, node, get):
        self._node, self._get = node, get

    def register_hooks(self, pack_hook, unpack_hook) -> None:
        if not (callable(pack_hook) and callable(unpack_hook)):
            raise TypeError("register_hooks(): incompatible function arguments: expected "
                            "(pack_hook: Callable, unpack_hook: Callable)")
        node, slot = self._node, self._get.slot
        if node._saved is FREED:
            raise RuntimeError(
                "Calling register_hooks on a saved tensor after it has been freed. Saved "
                "intermediate values of the graph are freed when you call .backward() or "
                "autograd.grad(). Specify retain_graph=True if you need to backward through the "
                "graph a second time or if you need to access saved variables after calling "
                "backward.")
        when = self._get.when
        if (when is not None and not when(node)) or (
                slot is not None and not isinstance(tuple.__getitem__(node._saved, slot),
                                                    (Tensor, *_PACKED))):
            raise RuntimeError("Calling register_hooks on a saved tensor with value None is "
                               "forbidden")
        if is_packed(node, slot):
            raise RuntimeError("Calling register_hooks on a saved tensor whose hooks have "
                               "already been set. Hint: only one pair of hooks is allowed at a "
                               "time.")
        pack_saved_value(node, slot, pack_hook, unpack_hook)


def _attr(fn):
    return lambda node: fn(node._attrs)


def _needs(i):
    return lambda node: node.next_functions[i][0] is not None


def _dims(d):
    return None if d is None else tuple(int(k) for k in d)


def _numel(shape):
    return int(np.prod(shape, dtype=np.int64))


def _strides(i):
    """Input ``i``'s strides, kept (as PyTorch does) only when its own grad is wanted."""
    def get(node):
        if node.next_functions[i][0] is None:
            return ()
        saved, _ = unpack_saved(node, create_graph=False, wrap=True)
        return tuple(saved[i].stride())
    return get


def _reduce_sizes(node):
    return tuple(node._attrs[0])


def _const(v):
    return lambda node: v


def _array(fn):
    """A tensor PyTorch saved that the engine keeps as an array in the node's attrs: read back
    as a new tensor holding it (made only when read)."""
    return lambda node: _wrap(np.asarray(fn(node._attrs)))


def _i64(v):
    """An int64 as PyTorch shows a saved one: a negative value wraps around as unsigned."""
    return v + 2**64 if v < 0 else v


def _one_dim(d):
    """A dim kept as a one-element tuple, as PyTorch's int ``dim`` reads."""
    return int(d[0]) if isinstance(d, tuple | list) else int(d)


def _full_shape_index(attrs):
    """(dim, indices) of a picking node whose attrs keep ``(shape, open-grid index arrays)``:
    every other dim's array is its own ``arange`` along that dim (where all of them are, the
    indices are the identity and the last dim is taken)."""
    arrays = attrs[1]
    for d, a in enumerate(arrays):
        grid = all(n == 1 for i, n in enumerate(a.shape) if i != d) and np.array_equal(
            a.ravel(), np.arange(a.size))
        if not grid:
            return d, a
    return len(arrays) - 1, arrays[-1]


def _indices(fallback):
    """The indices tensor the op returned (the same object, as PyTorch's), else a new tensor of
    ``fallback(attrs)``."""
    def get(node):
        t = indices_of(node)
        return t if t is not None else _wrap(np.asarray(fallback(node._attrs)))
    return get


def _std_result(node):
    """StdMeanBackward0's ``result0``: the std it returned, computed again from ``self``."""
    _, _, dims, corr, keepdim = node._attrs
    x = _SELF(node)._data
    out = np.std(x, axis=dims, ddof=corr, keepdims=keepdim)
    return _wrap(np.asarray(out, dtype=x.dtype))


def _kept(attrs, k):
    """The indices array of a dim reduction (kept dims) shaped as its output."""
    dim, keepdim, idx = attrs[1], attrs[2], attrs[k]
    return idx if keepdim else np.squeeze(idx, axis=dim)


def _correction(attrs, dim_at, corr_at):
    # PyTorch keeps the argument as given: plain x.var()/x.std() pass none (read as None)
    return None if attrs[dim_at] is None and attrs[corr_at] == 1 else attrs[corr_at]


def _each(names, table):
    """The same names-to-readers table for each of several node names."""
    return {name: table for name in names}


_REDUCTION = {"none": 0, "mean": 1, "sum": 2}
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805
_SELF, _OTHER = _input(0), _input(1)
_RESULT = {"result": _result}
_UNARY_SELF = {"self": _SELF}
# alpha: the alpha rows keep it last in their attrs; the operators' rows are alpha 1
_ALPHA = {"alpha": lambda node: node._attrs[-1] if node.op.fwd in _ALPHA_FWDS else 1}
_MM = {"self": _input(0, _needs(1)), "mat2": _input(1, _needs(0)),
       "self_sym_sizes": _attr(lambda a: tuple(a[0])),
       "mat2_sym_sizes": _attr(lambda a: tuple(a[1])),
       "self_sym_strides": _strides(0), "mat2_sym_strides": _strides(1)}

def _conv_args(node):
    """ConvolutionBackward0's arguments (stride, padding, dilation, groups, transposed,
    output_padding) from whichever convolution row recorded it."""
    a = node._attrs
    stride, padding, dilation = (tuple(int(v) for v in p) for p in a[:3])
    groups = a[3]
    if node.op is OPS.get("convolution") and a[4]:  # conv1d runs as a conv2d of height 1
        stride, padding, dilation = stride[-1:], padding[-1:], dilation[-1:]
    transposed = node.op is OPS.get("convolution_transpose")
    out_pad = (0,) * len(stride)
    if transposed:
        x, w = node._saved[0], node._saved[1]
        out_pad = tuple(int(o - ((i - 1) * st - 2 * p + d * (k - 1) + 1)) for o, i, k, st, p, d in
                        zip(a[6], x.shape[2:], w.shape[2:], stride, padding, dilation))
    return stride, padding, dilation, int(groups), transposed, out_pad


def _conv_field(k):
    return lambda node: _conv_args(node)[k]


def _conv_bias(node):
    bias = node._saved[2]
    return (0,) if bias is None else tuple(bias.shape)


SAVED: dict[str, dict] = {
    "AddBackward0": _ALPHA,
    "SubBackward0": _ALPHA,
    "MulBackward0": {"self": _input(0, _needs(1)), "other": _input(1, _needs(0))},
    "DivBackward0": {"self": _input(0, _needs(1)), "other": _OTHER},
    "DivBackward1": {"other": _attr(lambda a: a)},
    "PowBackward0": {"self": _SELF, "exponent": _attr(lambda a: a)},
    "PowBackward1": {"self": _SELF, "exponent": _OTHER, **_RESULT},
    "ExpBackward0": _RESULT,
    "TanhBackward0": _RESULT,
    "SigmoidBackward0": _RESULT,
    "ReluBackward0": _RESULT,
    "SqrtBackward0": _RESULT,
    "RsqrtBackward0": _RESULT,
    "LogBackward0": _UNARY_SELF,
    "SinBackward0": _UNARY_SELF,
    "CosBackward0": _UNARY_SELF,
    "AbsBackward0": _UNARY_SELF,
    "NegBackward0": {},
    "SumBackward0": {"self_sym_sizes": _reduce_sizes},
    "SumBackward1": {"self_sym_sizes": _reduce_sizes, "dim": _attr(lambda a: _dims(a[1])),
                     "keepdim": _attr(lambda a: bool(a[2]))},
    "MeanBackward0": {"self_sym_sizes": _reduce_sizes,
                      "self_sym_numel": _attr(lambda a: _numel(a[0]))},
    "MeanBackward1": {"self_sym_sizes": _reduce_sizes, "dim": _attr(lambda a: _dims(a[1])),
                      "keepdim": _attr(lambda a: bool(a[2])),
                      "self_sym_numel": _attr(lambda a: _numel(a[0]))},
    "ViewBackward0": {"self_sym_sizes": _attr(tuple)},
    "ExpandBackward0": {"self_sym_sizes": _attr(tuple)},
    "SoftmaxBackward0": {"dim": _attr(int), **_RESULT},
    "LogSoftmaxBackward0": {"dim": _attr(int), **_RESULT},
    "ClampBackward1": {"self": _SELF, "min": _attr(lambda a: a[0]), "max": _attr(lambda a: a[1])},
    "ClampBackward0": {"self": _SELF, "min": _OTHER, "max": _input(2)},
    "ClampMinBackward1": {"self": _SELF, "min": _OTHER},
    "ClampMaxBackward1": {"self": _SELF, "max": _OTHER},
    "MaxBackward1": {"self": _SELF, **_RESULT},
    "MinBackward1": {"self": _SELF, **_RESULT},
    "CumsumBackward0": {"dim": _attr(int)},
    "LeakyReluBackward0": {"self": _SELF, "negative_slope": _attr(float)},
    "ThresholdBackward0": {"self": _SELF, "threshold": _attr(lambda a: a[0])},
    "ThresholdBackward1": {"self": _SELF, "threshold": _attr(lambda a: a[0])},
    "GeluBackward0": {"self": _SELF, "approximate": _attr(str)},
    "MmBackward0": _MM,
    "BmmBackward0": {"self": _input(0, _needs(1)), "mat2": _input(1, _needs(0))},
    "MaximumBackward0": {"self": _SELF, "other": _OTHER},
    "MinimumBackward0": {"self": _SELF, "other": _OTHER},
    "Atan2Backward0": {"self": _SELF, "other": _OTHER},
    "TBackward0": {},
    "CloneBackward0": {},
    # unary functions of self, or of their result
    **_each(("AcosBackward0", "AcoshBackward0", "AsinBackward0", "AsinhBackward0",
                     "AtanBackward0", "AtanhBackward0", "CoshBackward0", "SinhBackward0",
                     "ErfBackward0", "Log10Backward0", "Log1PBackward0", "Log2Backward0",
                     "SiluBackward0", "MishBackward0", "HardsigmoidBackward0",
                     "HardswishBackward0"), _UNARY_SELF),
    **_each(("TanBackward0", "Exp2Backward0", "Expm1Backward0", "ReciprocalBackward0"),
                    _RESULT),
    **_each(("CeilBackward0", "FloorBackward0", "RoundBackward0", "TruncBackward0",
                     "FracBackward0", "SignBackward0", "AliasBackward0", "ToCopyBackward0",
                     "FmodBackward0", "RemainderBackward0"), {}),
    "PowBackward2": {"self": _attr(lambda a: a), "exponent": _SELF, **_RESULT},
    "RsubBackward1": {"alpha": _const(1)},
    # activations: their parameters as the functional call gave them
    "EluBackward0": {"self": _SELF,
                     "alpha": _attr(lambda a: _SELU_ALPHA if a is None else a),
                     "scale": _attr(lambda a: _SELU_SCALE if a is None else 1),
                     "input_scale": _const(1)},
    "EluBackward1": {"alpha": _attr(lambda a: a), "scale": _const(1), "input_scale": _const(1),
                     **_RESULT},
    "CeluBackward0": {"self": _SELF, "alpha": _attr(lambda a: a)},
    "HardtanhBackward0": {"self": _SELF, "min_val": _attr(lambda a: a[0]),
                          "max_val": _attr(lambda a: a[1])},
    "SoftplusBackward0": {"self": _SELF, "beta": _attr(lambda a: a[0]),
                          "threshold": _attr(lambda a: a[1])},
    "LogSigmoidBackward0": {"self": _SELF, "buffer": lambda node: _SELF(node).detach().abs()
                            .neg().exp()},
    "LeakyReluBackward1": {"negative_slope": _attr(float), **_RESULT},
    "ClampMinBackward0": {"self": _SELF, "min": _attr(lambda a: a)},
    "ClampMaxBackward0": {"self": _SELF, "max": _attr(lambda a: a)},
    # binary
    "CopysignBackward0": {"self": _SELF, **_RESULT},
    "CopysignBackward1": {"self": _SELF, **_RESULT},
    "DivBackward2": {"self": _SELF, "other": _OTHER, "rounding_mode": _attr(lambda a: a[0])},
    "FmodBackward1": {"self": _SELF, "other": _OTHER},
    "RemainderBackward1": {"self": _SELF, "other": _OTHER},
    "LogaddexpBackward0": {"self": _SELF, "other": _OTHER},
    "LerpBackward0": {"weight": _attr(lambda a: a[2])},
    "LerpBackward1": {"self": _SELF, "end": _OTHER, "weight": _input(2)},
    "WhereBackward0": {"condition": _array(lambda a: a[0])},
    "MaskedFillBackward0": {"mask": _array(lambda a: ~a[0])},  # attrs keep the kept ones
    # reductions
    "AmaxBackward0": {"self": _SELF, "dim": _attr(lambda a: _dims(a[0])),
                      "keepdim": _attr(lambda a: bool(a[1])), **_RESULT},
    "AminBackward0": {"self": _SELF, "dim": _attr(lambda a: _dims(a[0])),
                      "keepdim": _attr(lambda a: bool(a[1])), **_RESULT},
    "ProdBackward0": {"self": _SELF, **_RESULT},
    "ProdBackward1": {"self": _SELF, "dim": _attr(lambda a: _one_dim(a[1])),
                      "keepdim": _attr(lambda a: bool(a[2])), **_RESULT},
    **_each(("MaxBackward0", "MinBackward0", "MedianBackward1", "ModeBackward0"), {
        "self_sym_sizes": _reduce_sizes, "dim": _attr(lambda a: int(a[1])),
        "keepdim": _attr(lambda a: bool(a[2])), "indices": _indices(lambda a: _kept(a, 3))}),
    "VarBackward0": {"self": _SELF, "dim": _attr(lambda a: _dims(a[1])),
                     "correction": _attr(lambda a: _correction(a, 1, 2)),
                     "keepdim": _attr(lambda a: bool(a[3]))},
    "StdBackward0": {"self": _SELF, "dim": _attr(lambda a: _dims(a[1])),
                     "correction": _attr(lambda a: _correction(a, 1, 2)),
                     "keepdim": _attr(lambda a: bool(a[3])), **_RESULT},
    "VarMeanBackward0": {"self": _SELF, "dim": _attr(lambda a: _dims(a[2])),
                         "correction": _attr(lambda a: _correction(a, 2, 3)),
                         "keepdim": _attr(lambda a: bool(a[4]))},
    "StdMeanBackward0": {"self": _SELF, "dim": _attr(lambda a: _dims(a[2])),
                         "correction": _attr(lambda a: _correction(a, 2, 3)),
                         "keepdim": _attr(lambda a: bool(a[4])), "result0": _std_result},
    **_each(("CummaxBackward0", "CumminBackward0"), {
        "self": _SELF, "dim": _attr(lambda a: _full_shape_index(a)[0]),
        "indices": _indices(lambda a: _full_shape_index(a)[1])}),
    "LogsumexpBackward0": {"self": _SELF, "dim": _attr(lambda a: _dims(a[0])),
                           "keepdim": _attr(lambda a: bool(a[1])), **_RESULT},
    "LinalgVectorNormBackward0": {"self": _SELF, "dim": _attr(lambda a: _dims(a[0])),
                                  "keepdim": _attr(lambda a: bool(a[1])),
                                  "ord": _attr(lambda a: a[2] if len(a) > 2 else 2), **_RESULT},
    "CumprodBackward0": {"self": _SELF, "dim": _attr(lambda a: int(a[0])), **_RESULT},
    "LogcumsumexpBackward0": {"self": _SELF, "dim": _attr(int), **_RESULT},
    "SortBackward0": {"self_sym_sizes": _reduce_sizes,
                      "dim": _attr(lambda a: _full_shape_index(a)[0]),
                      "indices": _indices(lambda a: _full_shape_index(a)[1])},
    "SortBackward1": {"self_sym_sizes": _reduce_sizes,
                      "dim": _attr(lambda a: _full_shape_index(a)[0]),
                      "indices": _indices(lambda a: _full_shape_index(a)[1])},
    "TopkBackward0": {"self_sym_sizes": _reduce_sizes,
                      "dim": _attr(lambda a: _full_shape_index(a)[0]),
                      "indices": _indices(lambda a: _full_shape_index(a)[1])},
    "TraceBackward0": {"self_sym_sizes": _reduce_sizes},
    # matrix products
    "MvBackward0": {"self": _input(0, _needs(1)), "vec": _input(1, _needs(0))},
    "DotBackward0": {"self": _input(0, _needs(1)), "tensor": _input(1, _needs(0))},
    "AddmmBackward0": {"mat1": _input(1, _needs(2)), "mat2": _input(2, _needs(1)),
                       "alpha": _const(1), "beta": _const(1),
                       "mat1_sym_sizes": lambda node: tuple(_input(1)(node).shape),
                       "mat2_sym_sizes": lambda node: tuple(_input(2)(node).shape),
                       "mat1_sym_strides": _strides(1), "mat2_sym_strides": _strides(2)},
    # shapes and views
    "PermuteBackward0": {"dims": _attr(lambda a: tuple(int(d) for d in a))},
    "TransposeBackward0": {"dim0": _attr(lambda a: _swapped(a)[0]),
                           "dim1": _attr(lambda a: _swapped(a)[1])},
    "SqueezeBackward0": {"self_sym_sizes": _attr(tuple)},
    "SelectBackward0": {"self_sym_sizes": _reduce_sizes, "dim": _attr(lambda a: len(a[1]) - 1),
                        "index": _attr(lambda a: _i64(int(a[1][-1])))},
    "SliceBackward0": {"self_sym_sizes": _reduce_sizes, "dim": _attr(lambda a: len(a[1]) - 1),
                       "start": _attr(lambda a: _i64(a[1][-1].start or 0)),
                       "end": _attr(lambda a: 2**63 - 1 if a[1][-1].stop is None
                                    else _i64(a[1][-1].stop)),
                       "step": _attr(lambda a: a[1][-1].step or 1)},
    "IndexBackward0": {"self_sym_sizes": _reduce_sizes, "indices": lambda node: tuple(
        _wrap(np.asarray(i)) if isinstance(i, np.ndarray) else None
        for i in (node._attrs[1] if isinstance(node._attrs[1], tuple) else (node._attrs[1],)))},
    "DiagonalBackward0": {"self_sym_sizes": _reduce_sizes, "offset": _attr(lambda a: _i64(a[1])),
                          "dim1": _attr(lambda a: a[2]), "dim2": _attr(lambda a: a[3])},
    "DiagEmbedBackward0": {"offset": _attr(lambda a: _i64(a[1])), "dim1": _attr(lambda a: a[2]),
                           "dim2": _attr(lambda a: a[3])},
    "FlipBackward0": {"dims": _attr(lambda a: tuple(int(d) for d in a))},
    "RollBackward0": {"shifts": _attr(lambda a: tuple(_i64(int(d)) for d in a[0])),
                      "dims": _attr(lambda a: tuple(int(d) for d in a[1]))},
    "RepeatBackward0": {"self_sym_sizes": _reduce_sizes,
                        "repeats": _attr(lambda a: tuple(int(r) for r in a[1]))},
    "TrilBackward0": {"diagonal": _attr(lambda a: _i64(_diagonal(a[0], True)))},
    "TriuBackward0": {"diagonal": _attr(lambda a: _i64(_diagonal(a[0], False)))},
    "CatBackward0": {"dim": _attr(lambda a: int(a[0]))},
    "StackBackward0": {"dim": _attr(lambda a: int(a[0]))},
    "SplitBackward0": {"dim": _attr(lambda a: int(a[0])), "self_sym_sizes": _attr(
        lambda a: tuple(a[2])), "split_size": _attr(lambda a: int(a[1][0]))},
    "SplitWithSizesBackward0": {"dim": _attr(lambda a: int(a[0])), "self_sym_sizes": _attr(
        lambda a: tuple(a[2])), "split_sizes": _attr(lambda a: tuple(int(n) for n in a[1]))},
    "UnsafeSplitBackward0": {"dim": _attr(lambda a: int(a[0])), "self_sym_sizes": _attr(
        lambda a: tuple(a[2])), "split_size": _attr(lambda a: int(a[1][0]))},
    "MaskedFillBackward1": {"mask": _array(lambda a: ~a[0])},
    "IndexFillBackward0": {"dim": _attr(lambda a: len(a[0]) - 1),
                           "index": _array(lambda a: a[0][-1])},
    **_each(("FillBackward2", "ZeroBackward0"), {}),
    **_each(("SigmoidBackwardBackward0", "TanhBackwardBackward0"),
                    {"grad_output": _SELF, "output": _OTHER}),
    "UnbindBackward0": {"dim": _attr(lambda a: int(a[0]))},
    "GatherBackward0": {"self": _SELF, "sparse_grad": _const(False),
                        "dim": _attr(lambda a: _full_shape_index(a)[0] if a[0] else 0),
                        "index": _array(lambda a: _full_shape_index(a)[1] if a[0]
                                        else np.zeros(a[1], np.int64))},
    "MedianBackward0": {"self": _SELF, **_RESULT},
    "ConvolutionBackward0": {
        "input": _SELF, "weight": _OTHER, "bias_sym_sizes_opt": _conv_bias,
        **{name: _conv_field(k) for k, name in enumerate(
            ("stride", "padding", "dilation", "groups", "transposed", "output_padding"))}},
    **_each(("ScatterBackward0", "ScatterBackward1", "ScatterAddBackward0"), {
        "dim": _attr(lambda a: _full_shape_index((None, a[0]))[0]),
        "index": _array(lambda a: _full_shape_index((None, a[0]))[1])}),
    "IndexFillBackward1": {"dim": _attr(lambda a: len(a) - 1), "index": _array(lambda a: a[-1])},
    "IndexSelectBackward0": {"self_sym_sizes": _reduce_sizes,
                             "dim": _attr(lambda a: len(a[1]) - 1),
                             "index": _array(lambda a: a[1][-1])},
    # losses
    "MseLossBackward0": {"self": _SELF, "target": _OTHER,
                         "reduction": _attr(lambda a: _REDUCTION[a[0]])},
    "HuberLossBackward0": {"self": _SELF, "target": _OTHER, "delta": _attr(lambda a: a[2]),
                           "reduction": _attr(lambda a: _REDUCTION[a[0]])},
    "SmoothL1LossBackward0": {"self": _SELF, "target": _OTHER, "beta": _attr(lambda a: a[2]),
                              "reduction": _attr(lambda a: _REDUCTION[a[0]])},
    "BinaryCrossEntropyBackward0": {"self": _SELF, "target": _OTHER,
                                    "reduction": _attr(lambda a: _REDUCTION[a[0]]),
                                    "weight": _attr(lambda a: None if a[2] is None
                                                    else _wrap(np.asarray(a[2])))},
    "BinaryCrossEntropyWithLogitsBackward0": {
        "self": _SELF, "target": _OTHER, "reduction": _attr(lambda a: _REDUCTION[a[0]]),
        "weight": _attr(lambda a: None if a[2] is None else _wrap(np.asarray(a[2]))),
        "pos_weight": _attr(lambda a: None if a[3] is None else _wrap(np.asarray(a[3])))},
    "NativeLayerNormBackward0": {"input": _SELF, "weight": _OTHER, "bias": _input(2),
                                 "normalized_shape": _attr(lambda a: tuple(a[2])),
                                 "result1": _array(lambda a: a[4]),
                                 "result2": _array(lambda a: a[5])},
}


def _swapped(perm):
    """The two dims a transpose's permutation exchanges."""
    moved = [i for i, d in enumerate(perm) if i != d]
    return (moved[0], moved[1]) if moved else (0, 0)


def _diagonal(keep, lower):
    """The ``diagonal`` of tril/triu from the mask of kept elements (the last two dims)."""
    rows, cols = np.nonzero(keep)
    if not rows.size:
        return -keep.shape[0] if lower else keep.shape[1]
    offsets = cols - rows
    return int(offsets.max() if lower else offsets.min())


def saved_names(node) -> tuple[str, ...]:
    """The ``_saved_*`` attribute names of ``node`` (empty where none are listed)."""
    return tuple(_PREFIX + k for k in SAVED.get(node.name(), ()))


def _raw(get):
    return property(lambda node: SavedTensor(node, get))


def saved_tensor_names(node) -> tuple[str, ...] | None:
    """The PyTorch names (``self``, ``other``, ``result``...) of the tensors ``node`` keeps,
    or None where ``SAVED`` does not list the node."""
    table = SAVED.get(node.name())
    return None if table is None else tuple(k for k, get in table.items() if hasattr(get, "slot"))


def _save_order(table):
    """``order(node)``: the input slots a node keeps, as PyTorch's generated nodes keep them
    (sorted by argument name: MulBackward0 packs ``other`` before ``self``), leaving out those
    PyTorch did not save (no grad needed them); None where that is every slot in input order."""
    slots = sorted((name, get) for name, get in table.items()
                   if getattr(get, "slot", None) is not None)
    if [get.slot for _, get in slots] == list(range(len(slots))) and all(
            get.when is None for _, get in slots):
        return None
    return lambda node: [get.slot for _, get in slots if get.when is None or get.when(node)]


def _give(key, row, old) -> None:
    # properties on each row's generated node class: lookups of other names stay C-speed
    if row is not None and row.name in SAVED:
        for name, get in SAVED[row.name].items():
            setattr(row.cls, _PREFIX + name, property(get))
            if hasattr(get, "slot"):
                setattr(row.cls, "_raw" + _PREFIX + name, _raw(get))
        order = _save_order(SAVED[row.name])
        if order is not None:
            SAVE_ORDER[row.name] = order


watch(_give)
