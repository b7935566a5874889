"""``torch.autograd.functional``: ``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``hvp``, ``vhp``,
all built on reverse mode (``autograd.grad``), as PyTorch's are.

Inputs are detached and made to require grad (or viewed, keeping their history, when
``create_graph=True``); results are detached unless ``create_graph=True``.
"""

from __future__ import annotations

import numpy as np

from ..autograd_engine import grad as _grad
from ..grad_mode import enable_grad
from ..tensor import Tensor, _wrap


def _as_tuple(x, arg_name, fn_name):
    is_tuple = isinstance(x, tuple | list)
    items = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            if is_tuple:
                raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                                f"tuple of Tensors but the value at index {i} has type "
                                f"{type(t)}.")
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                            f"tuple of Tensors but the given {arg_name} has type {type(t)}.")
    return is_tuple, items


def _preprocess(inputs, create_graph, need_graph=True):
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t.view_as(t))  # keeps t's history so the result can be differentiated
        else:
            out.append(t.detach().requires_grad_(need_graph))
    return tuple(out)


def _postprocess(items, create_graph):
    if isinstance(items, tuple):
        return tuple(_postprocess(i, create_graph) for i in items)
    if items is None or create_graph:
        return items
    return items.detach()


def _untuple(res, is_tuple):
    return res if is_tuple else res[0]


def _grads_or_zeros(outputs, inputs, grad_outputs, create_graph, strict, fn_name, what="output"):
    """grad(...) with zeros for inputs the outputs do not reach (an error in strict mode)."""
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs, strict=False) if o.requires_grad]
    res = [None] * len(inputs)
    if pairs:
        res = list(_grad([o for o, _ in pairs], inputs, [g for _, g in pairs],
                         retain_graph=True, create_graph=create_graph, allow_unused=True))
    for i, r in enumerate(res):
        if r is None:
            if strict:
                raise RuntimeError(f"The {what} of the user-provided function is independent of "
                                   f"input {i}. This is not allowed in strict mode.")
            res[i] = _wrap(np.zeros(inputs[i]._data.shape, inputs[i]._data.dtype))
    return tuple(res)


def _check_outputs(outputs, fn_name):
    is_tuple = isinstance(outputs, tuple | list)
    items = tuple(outputs) if is_tuple else (outputs,)
    for t in items:
        if not isinstance(t, Tensor):
            bad = type(t if is_tuple else outputs)
            raise TypeError(f"The outputs of the user-provided function given to {fn_name} must "
                            "be either a Tensor or a tuple of Tensors but the given outputs of the "
                            f"user-provided function has type {bad}.")
    return is_tuple, items


def _ones_like(t):
    return _wrap(np.ones(t._data.shape, t._data.dtype))


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J): the vector-Jacobian product at ``inputs``."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _preprocess(inputs, create_graph)
        out_tuple, outputs = _check_outputs(func(*inputs), "vjp")
        if v is None:
            if len(outputs) != 1 or outputs[0]._data.size != 1:
                raise RuntimeError("The vector v can only be None if the user-provided function "
                                   "returns a single Tensor with a single element.")
            vs = (_ones_like(outputs[0]),)
        else:
            _, vs = _as_tuple(v, "v", "vjp")
            _check_shapes(vs, outputs, "v", "outputs")
        res = _grads_or_zeros(outputs, inputs, vs, create_graph, strict, "vjp")
    return (_postprocess(_untuple(tuple(outputs), out_tuple), create_graph),
            _postprocess(_untuple(res, in_tuple), create_graph))


def _check_shapes(vs, ref, vname, refname):
    if len(vs) != len(ref):
        raise RuntimeError(f"The given {vname} should contain a single Tensor." if len(ref) == 1
                           else f"{vname} is a tuple of invalid length: should be {len(ref)} but "
                                f"got {len(vs)}.")
    for i, (a, b) in enumerate(zip(vs, ref, strict=False)):
        if a.shape != b.shape:
            raise RuntimeError(f"Entry {i} in {vname} has invalid size: should be {b.shape!r} but "
                               f"got {a.shape!r}.")


def _inputs_and_v(inputs, v, create_graph, fn_name):
    """(in_tuple, inputs, vs) for jvp and vhp, whose v is shaped like the inputs: the inputs
    checked and preprocessed, v checked against them (v=None only for one single-element
    input, then 1)."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    inputs = _preprocess(inputs, create_graph)
    if v is None:
        if len(inputs) != 1 or inputs[0]._data.size != 1:
            raise RuntimeError("The vector v can only be None if the input to the "
                               "user-provided function is a single Tensor with a single "
                               "element.")
        return in_tuple, inputs, (_ones_like(inputs[0]),)
    _, vs = _as_tuple(v, "v", fn_name)
    _check_shapes(vs, inputs, "v", "inputs")
    return in_tuple, inputs, vs


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J v), by the double-backward trick: J v = d/du [u^T J] applied to v."""
    with enable_grad():
        _in_tuple, inputs, vs = _inputs_and_v(inputs, v, create_graph, "jvp")
        out_tuple, outputs = _check_outputs(func(*inputs), "jvp")
        us = tuple(_wrap(np.zeros(o._data.shape, o._data.dtype), True) for o in outputs)
        grad_in = _grads_or_zeros(outputs, inputs, us, True, strict, "jvp")
        pairs = [(g, vv) for g, vv in zip(grad_in, vs, strict=False) if g.requires_grad]
        res = [None] * len(us)
        if pairs:
            res = list(_grad([g for g, _ in pairs], us, [vv for _, vv in pairs],
                             create_graph=create_graph, allow_unused=True))
        res = tuple(r if r is not None else _wrap(np.zeros(u._data.shape, u._data.dtype))
                    for r, u in zip(res, us, strict=False))
    return (_postprocess(_untuple(tuple(outputs), out_tuple), create_graph),
            _postprocess(_untuple(res, out_tuple), create_graph))


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """d func / d inputs: for output i and input j a tensor of shape out_i.shape + in_j.shape
    (a Tensor, a tuple or a tuple of tuples, following whether inputs/outputs are tuples)."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _preprocess(inputs, create_graph)
        out_tuple, outputs = _check_outputs(func(*inputs), "jacobian")
        jac = []
        for i, out in enumerate(outputs):
            n = out._data.size
            rows = [[] for _ in inputs]
            for e in range(n):
                seed = np.zeros(out._data.shape, out._data.dtype)
                seed.flat[e] = 1
                gs = _grads_or_zeros((out,), inputs, (_wrap(seed),), create_graph, False,
                                     "jacobian")
                for k, g in enumerate(gs):
                    rows[k].append(g)
            per_input = []
            for k, inp in enumerate(inputs):
                if strict and all(not r.requires_grad and not np.any(r._data) for r in rows[k]) \
                        and not _reaches(out, inp):
                    raise RuntimeError(f"Output {i} of the user-provided function is independent "
                                       f"of input {k}. This is not allowed in strict mode.")
                shape = tuple(out._data.shape) + tuple(inp._data.shape)
                per_input.append(_stack_rows(rows[k], shape, inp, create_graph))
            jac.append(tuple(per_input))
    jac = tuple(_untuple(_postprocess(j, create_graph), in_tuple) for j in jac)
    return _untuple(jac, out_tuple)


def _reaches(out, inp):
    from ..node import accumulate_node

    target = inp.grad_fn if inp.grad_fn is not None else accumulate_node(inp)
    start = out.grad_fn
    if start is None:
        return out is inp
    seen, stack = set(), [start]
    while stack:
        node = stack.pop()
        if node is target:
            return True
        for fn, _ in node.next_functions:
            if fn is not None and fn not in seen:
                seen.add(fn)
                stack.append(fn)
    return False


def _stack_rows(rows, shape, inp, create_graph):
    if not rows:
        return _wrap(np.zeros(shape, inp._data.dtype))
    if create_graph and any(r.requires_grad for r in rows):
        from ..functions import stack

        return stack(rows, 0).reshape(shape)
    return _wrap(np.stack([r._data for r in rows]).reshape(shape))


def hessian(func, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """d^2 func / d inputs^2 for a function returning a single element: shape in.shape * 2 (a
    tuple of tuples for tuple inputs)."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def jac_func(*inp):
        out = func(*inp)
        if not isinstance(out, Tensor):
            _check_outputs(out, "hessian")
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out._data.size != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        return _grads_or_zeros((out.reshape(()),), inp, (_ones_like(out.reshape(())),), True,
                               strict, "hessian")

    res = jacobian(jac_func, inputs if in_tuple else inputs[0], create_graph=create_graph,
                   strict=strict)
    # jacobian of a tuple-valued function: res[i][j] = d grad_i / d input_j
    if not in_tuple:
        return res[0]
    return res


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T H) for a function returning a single element."""
    with enable_grad():
        in_tuple, inputs, vs = _inputs_and_v(inputs, v, create_graph, "vhp")
        out = func(*inputs)
        if not isinstance(out, Tensor) or out._data.size != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        jac = _grads_or_zeros((out,), inputs, (_ones_like(out),), True, strict, "vhp")
        res = _grads_or_zeros(jac, inputs, vs, create_graph, strict, "vhp")
    return _postprocess(out, create_graph), _postprocess(_untuple(res, in_tuple), create_graph)


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H v). The Hessian of a twice continuously differentiable function is
    symmetric, so H v = (v^T H)^T: computed as vhp."""
    return vhp(func, inputs, v, create_graph, strict)


__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]
