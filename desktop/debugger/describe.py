"""A plain-language account of a debugger stop, for a status line or a side panel (no Qt).

Python Tutor users ask for "a plain-language explanation of each step"; a backward step is the
place where learners need it most: what arrived, what left, what was added to what.
"""

from __future__ import annotations

import numpy as np

from desktop.debugger.history import BackwardInfo, DebugState
from desktop.node_index import NodeNames

MAX_SHOWN = 8  # arrays with more elements are summarised by shape and range


def fmt(a) -> str:
    if a is None:
        return "None"
    a = np.asarray(a)
    if a.size <= MAX_SHOWN:
        if a.ndim == 0:
            return f"{a.item():.4g}"
        return np.array2string(a, precision=4, separator=", ", suppress_small=True)
    lo, hi = float(np.nanmin(a)), float(np.nanmax(a))
    if lo == hi:  # "values in [0.1, 0.1]" reads like a bug
        return f"{list(a.shape)} all {lo:.4g}"
    return f"{list(a.shape)} values in [{lo:.4g}, {hi:.4g}]"


def _names(state: DebugState) -> NodeNames:
    return NodeNames(state.graph)


def describe(state: DebugState) -> str:
    if state.kind == "line":
        text = f"Paused before line {state.line}"
        text += f" in {state.function}()." if state.function != "<module>" else "."
        if state.new_nodes:
            ops = ", ".join(op for _, op in state.new_nodes)
            where = f" (line {state.from_line})" if state.from_line else ""
            text += f" The last step{where} added to the graph: {ops}."
        if state.warning:
            text += f"\nNote: {state.warning}."
        return text
    if state.kind == "backward" and state.backward is not None:
        return _describe_step(state.backward, _names(state))
    if state.kind == "backward_end" and state.backward is not None:
        return _describe_end(state.backward, _names(state))
    if state.kind == "error" and state.error is not None:
        return f"{state.error.kind} at line {state.line}: {state.error.message}"
    if state.kind == "finished":
        return "The script finished."
    return state.label


def _describe_step(b: BackwardInfo, names: NodeNames) -> str:
    who = f"{b.op} ({b.label})" if b.label else b.op
    lines = [f"Backward call {b.call}, node {b.step}: {who} ran."]
    for i, g in enumerate(b.grads_in):
        lines.append(f"  grad in{f' [{i}]' if len(b.grads_in) > 1 else ''}: {fmt(g)}")
    for f in b.flows:
        if f.target is None:
            continue
        lines.append(f"  sent to {names.get(f.target, f.target_op)}: {fmt(f.grad)}")
    for a in b.arrivals:
        if a.count > 1:
            target = names.get(a.target, a.target_op)
            lines.append(f"  {target} reached {a.count} times: its grad is summed, "
                         f"{fmt(a.total - a.grad)} + {fmt(a.grad)} = {fmt(a.total)}")
    for acc in b.accumulations:
        name = acc.name or "leaf"
        if acc.before is None:
            lines.append(f"  {name}.grad was None, now {fmt(acc.total)}")
        else:
            lines.append(f"  {name}.grad += {fmt(acc.grad)}: {fmt(acc.before)} -> "
                         f"{fmt(acc.total)}")
    for h in b.hooks:
        on = f" on {h.name}" if h.name else ""
        changed = "returned None (grad unchanged)" if h.result is None else \
            f"replaced the grad by {fmt(h.result)}"
        lines.append(f"  hook {h.hook}{on} called with {fmt(h.grad)}; {changed}")
    if b.returned:
        name = b.label or "the input"
        lines.append(f"  autograd.grad() returns this grad for {name}; {name}.grad is not "
                     "changed")
    for r in b.retained:
        lines.append(f"  {r.name or 'tensor'}.retain_grad(): .grad = {fmt(r.grad)}")
    if b.freed:
        freed = ", ".join(names.get(i, "a node") for i in b.freed)
        lines.append(f"  saved tensors freed: {freed}")
    return "\n".join(lines)


def _describe_end(b: BackwardInfo, names: NodeNames) -> str:
    lines = [f"Backward call {b.call} finished: {b.step} nodes ran."]
    if b.retain_graph or b.create_graph:
        lines.append("  retain_graph: saved tensors were kept, so backward may run through "
                     "this graph again.")
    elif b.freed:
        freed = ", ".join(names.get(i, "a node") for i in b.freed)
        lines.append(f"  Saved tensors of {freed} were freed: a second backward through them "
                     "raises an error unless retain_graph=True.")
    if b.discarded:
        lines.append(f"  Grads of non-leaf tensors ({', '.join(b.discarded)}) are not kept; "
                     "call retain_grad() on them to keep them.")
    return "\n".join(lines)
