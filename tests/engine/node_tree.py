"""The backward graph below a grad_fn as (depth, node class name) in depth-first order: the same
call on an engine tensor and a torch tensor gives comparable lists."""

from __future__ import annotations


def node_tree(fn, depth: int = 0, out: list | None = None) -> list[tuple[int, str]]:
    out = [] if out is None else out
    if fn is not None:
        out.append((depth, type(fn).__name__))
        for child, _ in fn.next_functions:
            node_tree(child, depth + 1, out)
    return out
