"""Views: tensors that share storage and the version counter with a base tensor, and in-place ops
through them, with PyTorch's rebasing of autograd history.

A view keeps a ``ViewInfo`` (its root base and how it was created); the base keeps weak references
to its views. An in-place op through a view gives the base a ``CopySlices`` node (the op's node
applied to the view's region, the rest of the base passed through) and every differentiable view
of that base an ``AsStridedBackward0`` node reading its region of the base, as PyTorch does.
Where a view sits in its base is found from numpy's memory layout (``index_map``), so views of
views and any mix of view ops need no bookkeeping per op. Tensors that are not views pay nothing:
the checks live on the in-place paths only, behind one attribute test.
"""

from __future__ import annotations

import weakref

import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import observe
from .dispatch import new_node
from .grad_mode import mode as _mode
from .node import accumulate_node
from .ops import OPS
from .ops.views import CUSTOM_FUNCTION, view_output_error  # noqa: F401  (custom Functions')
from .inplace_ops import fill, zero
from .tensor import Tensor, _dims, _result, _wrap

NO_GRAD = "no_grad"
_FILLS = (fill, zero)  # in-place ops that read nothing: allowed on expanded views
_NO_EDGE = (None, 0)

LEAF_VIEW_ERROR = ("a view of a leaf Variable that requires grad is being used in an in-place "
                   "operation.")
NO_GRAD_VIEW_ERROR = (
    "A view was created in no_grad mode and is being modified inplace with grad mode enabled. "
    "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your "
    "code by moving both the view and the inplace either both inside the no_grad block (if you "
    "don't want the inplace to be tracked) or both outside (if you want the inplace to be "
    "tracked).")
DETACH_VIEW_ERROR = (
    "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel "
    "(DDP) for training, and gradient_as_bucket_view is set as True, gradients are views of DDP "
    "buckets, and hence detach_() cannot be called on these gradients. To fix this error, please "
    "refer to the Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")
class ViewInfo:
    """``base``: the root tensor whose storage the view shares (PyTorch's ``_base``, never itself a
    view); ``creation``: None, ``NO_GRAD`` (made under no_grad), ``(name, output_nr)`` of the
    multi-output op (unbind, split, chunk) that made it, or ``(name, output_nr, CUSTOM_FUNCTION)``
    for an output of a custom Function. Views of views inherit it."""

    __slots__ = ("base", "cache", "creation")


def follow_inference(out, src):
    """A view is an inference tensor exactly when its base is, whichever mode made it."""
    if src.is_inference():
        if not out.is_inference():
            out.__class__ = src.__class__
    elif out.is_inference():
        out.__class__ = out.__class__.__base__  # the plain Tensor


def make_view(out, src, multi=None):
    """Mark ``out``, whose array views ``src``'s memory, as a view of ``src``'s root base."""
    if out.__class__ is not src.__class__:
        follow_inference(out, src)
    out._vc = src._vc
    info = src._view
    if info is None:
        root, creation = src, None
    else:
        root, creation = info.base, info.creation
    if not _mode.enabled:
        creation = NO_GRAD
    elif creation is None:
        creation = multi
    v = ViewInfo()
    v.base = root
    v.creation = creation
    v.cache = None
    out._view = v
    refs = root._views
    if refs is None:
        root._views = refs = []
    elif len(refs) >= 32 and not len(refs) & 31:  # a loop of views: drop the dead ones now and then
        refs[:] = [r for r in refs if r() is not None]
    refs.append(weakref.ref(out))
    return out


OVERLAP_ERROR = ("unsupported operation: more than one element of the written-to tensor refers to "
                 "a single memory location. Please clone() the tensor before performing the "
                 "operation.")


def check_inplace(t, track, fn=None):
    """PyTorch's errors for an in-place op ``fn`` on view ``t`` (``track``: the op would be
    recorded)."""
    info = t._view
    root = info.base
    if _mode.enabled and (track or root._rg):
        c = info.creation
        if c == NO_GRAD:
            raise RuntimeError(NO_GRAD_VIEW_ERROR)
        if c is not None:
            raise view_output_error(c)
        if root._rg and root.grad_fn is None:
            raise RuntimeError(LEAF_VIEW_ERROR)
    x = t._data
    if fn is not None and fn not in _FILLS and any(
            s == 0 and n > 1 for s, n in zip(x.strides, x.shape)):
        raise RuntimeError(OVERLAP_ERROR)  # an expanded view: elements share memory


def index_map(base, view):
    """Flat (C-order) index into array ``base`` of each element of array ``view``, which views
    ``base``'s memory; None when it does not (its storage was replaced)."""
    if view.size == 0:
        return np.zeros(view.shape, np.int64)
    item = base.itemsize
    if base.size == 0 or view.itemsize != item or any(s % item for s in base.strides + view.strides):
        return None
    lo = sum(s * (n - 1) for s, n in zip(base.strides, base.shape) if s < 0) // item
    hi = sum(s * (n - 1) for s, n in zip(base.strides, base.shape) if s > 0) // item
    buf = np.full(hi - lo + 1, -1, np.int64)
    # lay the indices out in memory exactly as base's elements are, then read them through view
    as_strided(buf[-lo:], base.shape, tuple(s // item * 8 for s in base.strides))[...] = (
        np.arange(base.size).reshape(base.shape))
    off = (view.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // item - lo
    vst = tuple(s // item for s in view.strides)
    vlo = off + sum(s * (n - 1) for s, n in zip(vst, view.shape) if s < 0)
    vhi = off + sum(s * (n - 1) for s, n in zip(vst, view.shape) if s > 0)
    if vlo < 0 or vhi >= len(buf):
        return None
    out = as_strided(buf[off:], view.shape, tuple(s * 8 for s in vst)).copy()
    return None if (out < 0).any() else out


def _flat(v):
    """``index_map`` of view ``v`` in its base, computed once per pair of arrays; ``(None,
    False)`` when it is not in its base's memory, ``(flat, True)`` when it holds the whole base
    in order (a reshape: the nodes then only reshape)."""
    info = v._view
    base, arr = info.base._data, v._data
    c = info.cache
    if c is not None and c[0] is base and c[1] is arr:
        return c[2], c[3]
    flat = index_map(base, arr)
    whole = flat is not None and flat.size == base.size and bool(
        (flat.reshape(-1) == np.arange(flat.size)).all())
    info.cache = (base, arr, flat, whole)
    return flat, whole


def _node(op, nexts, attrs):
    return new_node(op.cls, nexts, attrs)


def _move_retain(t, old_fn, old_nr):
    """``retain_grad()`` follows the tensor to its new history (hooks stay with the old one)."""
    if not t._retains or old_fn is None or old_fn is t.grad_fn:
        return
    ref = old_fn._retain.pop(old_nr, None) if old_fn._retain else None
    if ref is None:
        return
    fn = t.grad_fn
    if fn._retain is None:
        fn._retain = {}
    fn._retain[t._out_nr] = ref


def before_write(t):
    """A copy of ``t``'s base as it is before an in-place write through view ``t``, when an observer
    needs the op's inputs (the symbolic check replays CopySlices from them)."""
    if observe.current is None or t._view is None:
        return None
    root = t._view.base
    old = _wrap(root._data.copy(), root._rg)
    old.grad_fn, old._out_nr, old._acc = root.grad_fn, root._out_nr, root._acc
    return old


def after_inplace(t, old_fn, old_nr, inputs, pre):
    """Called after a recorded in-place op gave ``t`` its new ``grad_fn`` (``inputs``: the op's
    inputs, the first being ``t``'s old value)."""
    info = t._view
    if info is None:
        _move_retain(t, old_fn, old_nr)
        if t._views:
            refresh(t)
        return
    root = info.base
    flat, whole = _flat(t)
    if flat is None:
        return
    fn = t.grad_fn
    base_edge = ((root.grad_fn or accumulate_node(root), root._out_nr) if root._rg else _NO_EDGE)
    cs = _node(_COPY_SLICES, (base_edge, *fn.next_functions[1:]),
               (fn, None if whole else flat, root._data.shape, t._data.shape))
    r_fn, r_nr = root.grad_fn, root._out_nr
    root.grad_fn = cs
    root._rg = True
    root._out_nr = 0
    _move_retain(root, r_fn, r_nr)
    obs = observe.current
    if obs is not None:
        obs.on_node(cs, (pre, *inputs[1:len(fn.next_functions)]), root, observe.user_location())
    refresh(root)


def refresh(root):
    """Give every live differentiable view of ``root`` a node reading its region of ``root``'s
    current history (PyTorch regenerates them as AsStridedBackward0)."""
    refs = root._views
    if not root._rg:
        return
    live = []
    edge = ((root.grad_fn or accumulate_node(root)), root._out_nr)
    obs = observe.current
    for r in refs:
        v = r()
        if v is None:
            continue
        live.append(r)
        c = v._view.creation
        if c == NO_GRAD:
            continue
        if c is not None:
            # PyTorch refuses to use such a view again; here its stale history fails in backward
            v.grad_fn = _node(_STALE_MULTI, (edge,), c)
        else:
            flat, whole = _flat(v)
            if flat is None:
                continue
            v.grad_fn = _node(_AS_STRIDED, (edge,),
                              (root._data.shape, None if whole else flat, v._data.shape))
            if obs is not None:
                obs.on_node(v.grad_fn, (root,), v, observe.user_location())
        v._rg = True
        v._out_nr = 0
    refs[:] = live


_AS_STRIDED, _COPY_SLICES, _STALE_MULTI = (
    OPS["as_strided"], OPS["copy_slices"], OPS["stale_multi_view"])


# ---- Tensor methods ----------------------------------------------------------------------------


def _base(self):
    info = self._view
    return None if info is None else info.base


def _is_view(self) -> bool:
    return self._view is not None


def stride(self, dim=None):
    x = self._data
    st = tuple(s // x.itemsize for s in x.strides)
    if dim is None:
        return st
    return st[_dims(dim, x.ndim)[0]]


def is_contiguous(self, memory_format=None) -> bool:
    return self._data.flags.c_contiguous


def contiguous(self, memory_format=None):
    if self._data.flags.c_contiguous:
        return self
    op = OPS["clone"]
    out, attrs = op.fwd(self._data, "C")
    return _result(op, out, (self,), attrs, self._rg)


def detach(self):
    t = _wrap(self._data)
    if t.__class__ is not self.__class__:
        follow_inference(t, self)  # a detached inference tensor is one too
    t._vc = self._vc  # shares the version counter, as PyTorch's detach does
    return t


def detach_(self):
    if self._view is not None:
        raise RuntimeError(DETACH_VIEW_ERROR)
    self.grad_fn = None
    self._rg = False
    return self


def diagonal(self, offset=0, dim1=0, dim2=1):
    x = self._data
    d1, d2 = _dims((dim1, dim2), x.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    op = OPS["diagonal"]
    out, attrs = op.fwd(x, offset, d1, d2)
    return make_view(_result(op, out, (self,), attrs, self._rg), self)


def unflatten(self, dim, sizes):
    s = self._data.shape
    (d,) = _dims(dim, len(s))
    sizes = [int(n) for n in sizes]
    known = int(np.prod([n for n in sizes if n != -1], dtype=np.int64))
    if (-1 not in sizes and known != s[d]) or (-1 in sizes and (known == 0 or s[d] % known)):
        raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the size of "
                           f"dim {dim} ({s[d]}) in the input tensor")
    return self.view(*s[:d], *sizes, *s[d + 1:])


def split_with_sizes(self, split_sizes, dim=0):
    return self.split(list(split_sizes), dim)


for _name, _fn in (("unflatten", unflatten), ("split_with_sizes", split_with_sizes),
                   ("stride", stride), ("is_contiguous", is_contiguous),
                   ("contiguous", contiguous), ("detach", detach), ("detach_", detach_),
                   ("diagonal", diagonal), ("_is_view", _is_view)):
    setattr(Tensor, _name, _fn)
Tensor._base = property(_base)
