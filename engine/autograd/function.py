"""User-defined ``autograd.Function``: ``forward(ctx, ...)``/``backward(ctx, ...)`` staticmethods.

As in PyTorch, ``ctx`` *is* the graph node: an instance of a class generated per Function and
named ``<ClassName>Backward``.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import warnings

import numpy as np

from .. import dispatch as _dispatch
from .. import observe
from ..grad_mode import mode as _mode
from ..grad_mode import no_grad, set_grad_enabled
from ..node import Node, accumulate_node
from ..tensor import Tensor, _edge, _wrap
from ..views import CUSTOM_FUNCTION, make_view



class FunctionCtx:
    """Methods available on ``ctx`` inside ``forward``/``backward``."""

    def save_for_backward(self, *tensors):
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError("save_for_backward can only save variables, but argument 0 is of "
                                f"type {type(t).__name__}")
        self._saved = tensors
        self._versions = tuple(t._vc[0] if t is not None else None for t in tensors)
        if _dispatch._pack_saved is not None:  # inside saved_tensors_hooks
            _dispatch._pack_saved(self)

    @property
    def saved_tensors(self):
        from ..autograd_engine import unpack_saved

        saved, _ = unpack_saved(self, create_graph=True)
        return tuple(saved)

    @property
    def saved_variables(self):
        warnings.warn("'saved_variables' is deprecated; use 'saved_tensors'", DeprecationWarning,
                      stacklevel=2)
        return self.saved_tensors

    def mark_non_differentiable(self, *tensors):
        self._non_diff = {id(t) for t in tensors}

    def mark_dirty(self, *tensors):
        self._dirty = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool):
        self._materialize = bool(value)


class BackwardCFunction(FunctionCtx, Node):
    """Base of the generated ``<Name>Backward`` classes (they have a ``__dict__`` so users can
    stash attributes on ``ctx``)."""

    _forward_cls = None

    __call__ = None  # as in PyTorch, a custom node is not callable; ``apply`` runs backward

    def __repr__(self) -> str:
        return f"<torch.autograd.function.{self._name} object at {id(self):#x}>"

    def apply(self, *grads):
        return _user_backward(self._forward_cls)(self, *grads)

    def _apply_custom(self, grads_in, create_graph):
        user_backward = _user_backward(self._forward_cls)
        grads = []
        for g, (shape, dtype) in zip(grads_in, self._out_meta):
            # outputs that were not tensors get None; missing grads of tensor outputs are
            # zeros unless ctx.set_materialize_grads(False)
            if g is None and self._materialize and dtype is not None:
                g = np.zeros(shape, dtype)
            if g is not None and not isinstance(g, Tensor):
                g = _wrap(np.asarray(g))
            grads.append(g)
        with set_grad_enabled(create_graph):
            result = user_backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n_inputs = len(self._arg_is_tensor)
        if len(result) != n_inputs:
            if len(result) > n_inputs and all(r is None for r in result[n_inputs:]):
                result = result[:n_inputs]
            else:
                raise RuntimeError(f"function {self._name} returned an incorrect number of "
                                   f"gradients (expected {n_inputs}, got {len(result)})")
        out = []
        k = 0
        for is_t, r in zip(self._arg_is_tensor, result):
            if not is_t:
                continue
            fn, _ = self.next_functions[k]
            shape = self._in_shapes[k]
            k += 1
            if r is None or fn is None:
                out.append(None)
                continue
            if not isinstance(r, Tensor):
                raise TypeError(f"function {self._name} returned a gradient of type "
                                f"{type(r).__name__} for a Tensor input; expected a Tensor")
            if tuple(r._data.shape) != shape:
                with contextlib.suppress(RuntimeError):  # broadcastable grads are accepted
                    r = r.expand(shape) if r._data.ndim < len(shape) or r._data.size == 1 else r
                if tuple(r._data.shape) != shape:
                    raise RuntimeError(
                        f"Function {self._name} returned an invalid gradient at index {k - 1} - "
                        f"got {list(r._data.shape)} but expected shape compatible with "
                        f"{list(shape)}")
            out.append(r if create_graph else r._data)
        return tuple(out)


class Function:
    """Subclass with ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` staticmethods,
    then call ``YourFunction.apply(*args)``."""

    _backward_cls = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        name = cls.__name__ + "Backward"
        cls._backward_cls = type(name, (BackwardCFunction,), {"_forward_cls": cls, "_name": name})

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use "
            "new-style autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your "
                                  "custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @classmethod
    def apply(cls, *args, **kwargs):
        node_cls = cls._backward_cls
        ctx = _dispatch.new_node(node_cls, (), numbered=False)
        ctx._non_diff = set()
        ctx._dirty = set()
        ctx._materialize = True
        setup = cls.setup_context is not _BASE_SETUP_CONTEXT
        if setup:  # forward(*args) without ctx; setup_context(ctx, inputs, output) fills ctx
            bound = inspect.signature(cls.forward).bind(*args, **kwargs)
            bound.apply_defaults()
            args, kwargs = bound.args, bound.kwargs
        ctx._arg_is_tensor = tuple(isinstance(a, Tensor) for a in args)
        tensor_args = [a for a in args if isinstance(a, Tensor)]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
        track = _mode.enabled and any(ctx.needs_input_grad)
        with no_grad():
            if setup:
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else tuple(outputs)
        dirty = _check_dirty(ctx, outs, track)
        if not track:
            return outputs
        ctx._in_shapes = tuple(tuple(t._data.shape) for t in tensor_args)
        _dispatch.number_node(
            ctx, tuple(_edge(t) if t._rg else (None, 0) for t in tensor_args),
            tuple((o._data.shape, o._data.dtype) if isinstance(o, Tensor) else ((), None)
                  for o in outs))
        wrapped = []
        input_ids = {id(t) for t in tensor_args}
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                wrapped.append(o)
                continue
            if id(o) in input_ids and id(o) not in dirty:
                o = make_view(_wrap(o._data), o)  # an input returned as-is becomes a view of it
            if o._view is not None and id(o) not in dirty:
                # views made (under no_grad) in forward, and returned inputs, may not be changed
                # in place: that would bypass this node's backward (PyTorch's rule)
                o._view.creation = (cls.__name__, i, CUSTOM_FUNCTION)
            if id(o) in ctx._non_diff or o._data.dtype.kind != "f":
                wrapped.append(o)
                continue
            o._rg = True
            o.grad_fn = ctx  # a dirty input is rebased onto this node, as an in-place op is
            o._out_nr = i
            wrapped.append(o)
        obs = observe.current
        if obs is not None:
            obs.on_node(ctx, tuple(args), wrapped[0] if single else tuple(wrapped),
                        observe.user_location())
        return wrapped[0] if single else tuple(wrapped)


_BASE_SETUP_CONTEXT = Function.setup_context
_BASE_BACKWARD = Function.backward
_DIRTY_NOT_RETURNED = (
    "Some elements marked as dirty during the forward method were not returned as output. The "
    "inputs that are modified inplace must all be outputs of the Function.")


def _check_dirty(ctx, outs, track):
    """PyTorch's rules for ``ctx.mark_dirty``: every dirty tensor is returned, and it may not
    be a leaf that requires grad (nor a view of one). Each dirty tensor's version is bumped."""
    dirty = ctx._dirty
    if not dirty:
        return dirty
    out_ids = {id(o) for o in outs if isinstance(o, Tensor)}
    if not dirty <= out_ids:
        raise RuntimeError(_DIRTY_NOT_RETURNED)
    for o in outs:
        if isinstance(o, Tensor) and id(o) in dirty:
            if track:
                base = getattr(o, "_base", None)
                if o.grad_fn is None and o._rg:
                    raise RuntimeError("a leaf Variable that requires grad has been used in an "
                                       "in-place operation.")
                if base is not None and base.grad_fn is None and base._rg:
                    raise RuntimeError("a view of a leaf Variable that requires grad is being "
                                       "used in an in-place operation.")
            o._vc[0] += 1
    return dirty


def _user_backward(cls):
    backward, vjp = cls.backward, cls.vjp
    if backward is not _BASE_BACKWARD and vjp is not _BASE_BACKWARD:
        raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is not "
                           "allowed. You should only implement one of them.")
    return vjp if vjp is not _BASE_BACKWARD else backward


class InplaceFunction(Function):
    pass


class NestedIOFunction(Function):
    pass


class Error(Node):
    """The node ``once_differentiable`` puts on a backward's results when the graph is being
    built: differentiating through it raises."""

    __slots__ = ("_msg",)
    _name = "torch::autograd::Error"

    def _apply_custom(self, grads_in, create_graph):
        raise RuntimeError(self._msg)


_ONCE = "trying to differentiate twice a function that was marked with @once_differentiable"


def _delayed_error(outputs):
    node = _dispatch.new_node(Error, (), out_meta=tuple(
        (o._data.shape, o._data.dtype) if o is not None else ((), None) for o in outputs))
    node._msg = _ONCE
    edges, wrapped = [], []
    for i, o in enumerate(outputs):
        if o is None:
            edges.append((None, 0))
            wrapped.append(None)
            continue
        fake = o.detach()  # a leaf that requires grad, so the output gets this node
        fake._rg = True
        edges.append((accumulate_node(fake), 0))
        out = _wrap(o._data, True)
        out._vc = o._vc
        out.grad_fn = node
        out._out_nr = i
        wrapped.append(out)
    node.next_functions = tuple(edges)
    return tuple(wrapped)


def once_differentiable(fn):
    """Runs ``backward`` in no-grad mode; when the graph is being built (``create_graph``) and a
    grad requires grad, its results lead to a node that raises if differentiated."""

    @functools.wraps(fn)
    def wrapper(ctx, *args, **kwargs):
        with no_grad():
            outputs = fn(ctx, *args, **kwargs)
        if not _mode.enabled:
            return outputs
        if not any(isinstance(a, Tensor) and a._rg for a in args):
            return outputs
        single = not isinstance(outputs, tuple)
        wrapped = _delayed_error((outputs,) if single else outputs)
        return wrapped[0] if single else wrapped

    return wrapper
