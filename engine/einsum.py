"""``torch.einsum`` built from recorded engine ops, in PyTorch's order: each operand's repeated
subscripts become diagonals and its private subscripts are summed; the operands are aligned to
one label order (output labels first, then the contracted ones) and combined left to right, by a
broadcast product where nothing is contracted and by a batched matmul where something is. The
graph therefore holds PyTorch's nodes (``MulBackward0``, ``SumBackward1``, ``PermuteBackward0``,
``ViewBackward0``) and needs no op row of its own."""

from __future__ import annotations

import numpy as np

from .ops import OPS
from .tensor import Tensor, _result

_DT = {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int", "bool": "Bool",
       "float16": "Half", "int16": "Short", "int8": "Char", "uint8": "Byte"}


def _parse_term(term, start, what):
    labels, i = [], 0
    while i < len(term):
        if term.startswith("...", i):
            if "..." in labels:
                raise RuntimeError(f"einsum(): found '.' for {what} that is not part of any "
                                   "ellipsis")
            labels.append("...")
            i += 3
            continue
        c = term[i]
        if c == ".":
            raise RuntimeError(f"einsum(): found '.' for {what} that is not part of any ellipsis")
        if not c.isascii() or not c.isalpha():
            raise RuntimeError(f"einsum(): invalid subscript given at index {start + i} in the "
                               "equation string, subscripts must be in [a-zA-Z]")
        labels.append(c)
        i += 1
    return labels


def _letters(sublist):
    out = []
    for v in sublist:
        if v is Ellipsis:
            out.append("...")
            continue
        if not 0 <= int(v) < 52:
            raise ValueError("einsum(): subscript in subscript list is not within the valid "
                             "range [0, 52)")
        out.append(chr(ord("A") + int(v)) if v < 26 else chr(ord("a") + int(v) - 26))
    return "".join(out)


def _from_sublists(args):
    """``einsum(a, [0, 1], b, [1, 2], [0, 2])`` as ``("AB,BC->AC", (a, b))``."""
    ops, terms = [], []
    i = 0
    while i + 1 < len(args):
        ops.append(args[i])
        terms.append(_letters(args[i + 1]))
        i += 2
    eq = ",".join(terms)
    if i < len(args):
        eq += "->" + _letters(args[i])
    return eq, tuple(ops)


def _view(t, shape):
    """``t`` reshaped, recorded as PyTorch's einsum ends: ``ViewBackward0``."""
    shape = tuple(shape)
    if tuple(t.shape) == shape:
        return t
    return _result(OPS["view"], t._data.reshape(shape), (t,), tuple(t.shape))


def einsum(equation, *operands):
    """Sum of products over the subscripts of ``equation`` (``"ij,jk->ik"``, ``"...ij->...ji"``)."""
    if isinstance(equation, Tensor):  # the sublist form: op0, sub0, op1, sub1, ..., [out]
        equation, operands = _from_sublists((equation, *operands))
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError("einsum(): argument 'equation' must be str, not "
                        f"{type(equation).__name__}")
    for t in operands:
        if not isinstance(t, Tensor):
            raise TypeError("einsum(): argument 'operands' must be tuple of Tensors, not "
                            f"{type(t).__name__}")
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms, pos = [], 0
    for k, term in enumerate(lhs.split(",")):
        terms.append(_parse_term(term, pos, f"operand {k}"))
        pos += len(term) + 1
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                           "equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation")
    # expand ellipses into integer labels shared right-aligned across the operands
    n_ell = 0
    for k, (labels, t) in enumerate(zip(terms, operands, strict=True)):
        named = len(labels) - ("..." in labels)
        if "..." in labels:
            if named > t.dim():
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named})"
                                   f" is more than the number of dimensions ({t.dim()}) for "
                                   f"operand {k}")
            n_ell = max(n_ell, t.dim() - named)
        elif named != t.dim():
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) "
                               f"does not match the number of dimensions ({t.dim()}) for "
                               f"operand {k} and no ellipsis was given")
    full = []
    for labels, t in zip(terms, operands, strict=True):
        e = t.dim() - (len(labels) - 1) if "..." in labels else 0
        out = []
        for lab in labels:
            out += list(range(n_ell - e, n_ell)) if lab == "..." else [lab]
        full.append(out)
    counts = {}
    for labels in full:
        for lab in labels:
            counts[lab] = counts.get(lab, 0) + 1
    if arrow:
        out_terms = _parse_term(rhs, len(lhs) + 2, "output")
        out_labels = []
        for lab in out_terms:
            if lab == "...":
                out_labels += list(range(n_ell))
                continue
            if lab in out_labels:
                raise RuntimeError(f"einsum(): output subscript {lab} appears more than once in "
                                   "the output")
            if lab not in counts:
                raise RuntimeError(f"einsum(): output subscript {lab} does not appear in the "
                                   "equation for any input operand")
            out_labels.append(lab)
    else:
        out_labels = list(range(n_ell)) + sorted(
            lab for lab, c in counts.items() if isinstance(lab, str) and c == 1)
    # sizes: equal or 1 (broadcast)
    size = {}
    for k, (labels, t) in enumerate(zip(full, operands, strict=True)):
        seen = {}
        for lab, n in zip(labels, t.shape, strict=True):
            if lab in seen and seen[lab] != n:
                raise RuntimeError(f"einsum(): subscript {lab} is repeated for operand {k} but "
                                   f"the sizes don't match, {n} != {seen[lab]}")
            seen[lab] = n
            if lab in size and n != size[lab] and 1 not in (n, size[lab]):
                raise RuntimeError(f"einsum(): subscript {lab} has size {n} for operand {k} "
                                   f"which does not broadcast with previously seen size "
                                   f"{size[lab]}")
            size[lab] = n if lab not in size or size[lab] == 1 else size[lab]
    dtype = operands[0]._data.dtype
    for t in operands[1:]:
        if t._data.dtype != dtype:
            raise RuntimeError(f"expected scalar type {_DT.get(str(dtype), str(dtype))} but "
                               f"found {_DT.get(str(t._data.dtype), str(t._data.dtype))}")
    order = list(out_labels)
    for labels in full:
        order += [lab for lab in labels if lab not in order]
    out_shape = [size[lab] for lab in out_labels]

    aligned = []
    for k, (labels, t) in enumerate(zip(full, operands, strict=True)):
        labels = list(labels)
        for lab in list(dict.fromkeys(labels)):  # repeated subscripts: the diagonal
            while labels.count(lab) > 1:
                i = labels.index(lab)
                j = labels.index(lab, i + 1)
                t = t.diagonal(0, i, j)
                labels = [x for n, x in enumerate(labels) if n not in (i, j)] + [lab]
        private = [lab for lab in labels if lab not in out_labels
                   and not any(lab in other for m, other in enumerate(full) if m != k)]
        if len(operands) == 1:  # PyTorch permutes (even 0-d), then sums the rest
            t = t.permute(tuple(labels.index(lab) for lab in out_labels + private))
            return t.sum(tuple(range(len(out_labels), len(labels)))) if private else t
        if private:
            t = t.sum(tuple(labels.index(lab) for lab in private))
            labels = [lab for lab in labels if lab not in private]
        own = dict(zip(labels, t.shape, strict=True))
        perm = [labels.index(lab) for lab in order if lab in labels]
        if perm != sorted(perm):
            t = t.permute(*perm)
        shape = [own.get(lab, 1) for lab in order]
        if list(t.shape) != shape:
            t = t.reshape(shape)
        aligned.append(t)

    result = aligned[0]
    for i in range(1, len(aligned)):
        later = set()
        for labels in full[i + 1:]:
            later.update(labels)
        summed = [d for d, lab in enumerate(order) if lab not in out_labels and lab not in later
                  and (result.shape[d] != 1 or aligned[i].shape[d] != 1)]
        result = _sumproduct(result, aligned[i], summed) if summed else result * aligned[i]
    return _view(result, out_shape)


def _sumproduct(a, b, summed):
    """``(a * b).sum(summed, keepdim=True)`` as one batched matmul (both have all label dims)."""
    from .functions import matmul

    for d in summed:  # a subscript one side broadcasts is summed on the other side first
        if a.shape[d] == 1 and b.shape[d] != 1:
            b = b.sum(d, keepdim=True)
        elif b.shape[d] == 1 and a.shape[d] != 1:
            a = a.sum(d, keepdim=True)
    nd = a.dim()
    rest = [d for d in range(nd) if d not in summed]
    batch = [d for d in rest if a.shape[d] != 1 and b.shape[d] != 1]
    left = [d for d in rest if d not in batch and b.shape[d] == 1]
    right = [d for d in rest if d not in batch and d not in left]
    sizes = lambda t, ds: int(np.prod([t.shape[d] for d in ds]))  # noqa: E731
    bn, ln, sn, rn = (sizes(a, batch), sizes(a, left), sizes(a, summed), sizes(b, right))
    ap = a.permute(*(batch + left + summed + right)).reshape(bn, ln, sn)
    bp = b.permute(*(batch + summed + right + left)).reshape(bn, sn, rn)
    r = matmul(ap, bp)
    r = r.reshape([a.shape[d] for d in batch] + [a.shape[d] for d in left] + [1] * len(summed)
                  + [b.shape[d] for d in right])
    return r.permute(*np.argsort(batch + left + summed + right).tolist())


__all__ = ["einsum"]
