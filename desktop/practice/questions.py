"""What to ask: at a backward stop, the gradient a node sends to one of its inputs (or a leaf's
``.grad`` after an accumulation); before a line runs, the value it assigns. Lessons declare
``Exercise``s to pick the nodes worth asking about; without them every node is asked."""

from __future__ import annotations

import ast
from dataclasses import dataclass

import numpy as np

from desktop.debugger.history import DebugState
from desktop.lessons.lesson import Exercise
from desktop.practice.mistakes import Context, fmt_shape

ACC = "AccumulateGrad"


@dataclass(frozen=True)
class Question:
    kind: str  # "backward" (grad sent to an input), "accumulate" (a leaf's .grad), "forward"
    prompt: str
    expected: np.ndarray
    context: Context
    hint: str = ""
    node: int | None = None  # graph id of the node asked about
    stop: int = -1  # DebugState.index of the stop it was asked at
    key: str = ""  # identifies the question within a lesson (scores count each once)
    exercise: Exercise | None = None  # the lesson's exercise it asks, if any


def short(a: np.ndarray | None, limit: int = 6) -> str:
    if a is None:
        return "None"
    a = np.asarray(a)
    if a.ndim == 0:
        return f"{float(a):.4g}"
    if a.size <= limit:
        text = np.array2string(a, separator=", ", max_line_width=10**6,
                               formatter={"float_kind": lambda v: f"{v:.4g}"})
        return text.replace("\n", "")
    return f"a {fmt_shape(a.shape)} tensor"


def _labels(state: DebugState) -> dict[int, str]:
    return {n.id: n.label for n in state.graph.nodes if n.label}


def _describe(op: str, label: str) -> str:
    return f"{op} (of `{label}`)" if label else op


def _matches(ex: Exercise, op: str, label: str) -> bool:
    return ex.node in (op, label) and bool(ex.node)


def backward_question(state: DebugState, exercises: tuple[Exercise, ...] = (),
                      asked: frozenset[Exercise] | set[Exercise] = frozenset()
                      ) -> Question | None:
    """The question for a backward stop, or None (not a backward stop, nothing flowed, or the
    lesson's exercises don't ask about this node). Of several exercises about the same node,
    the first one not in ``asked`` is chosen (``Question.exercise`` says which)."""
    b = state.backward
    if state.kind != "backward" or b is None:
        return None
    labels = _labels(state)
    chosen: Exercise | None = None
    if exercises:
        names = {a.name for a in b.accumulations} if b.op == ACC else set()
        if b.op == ACC and b.label:
            names.add(b.label)
        matching = [ex for ex in exercises if _matches(ex, b.op, b.label) or ex.node in names]
        if not matching:
            return None
        chosen = next((ex for ex in matching if ex not in asked), matching[0])
    hint = chosen.hint if chosen else ""
    incoming = b.grads_in[0] if b.grads_in else None
    if b.op == ACC and b.returned and incoming is not None:
        name = b.label or "the input"
        return Question(
            "accumulate", f"autograd.grad returns the gradient that reaches `{name}` instead of "
            f"adding it to `{name}.grad`. What does it return for `{name}`?",
            np.asarray(incoming, dtype=np.float64), Context(b.op, incoming, name), hint,
            b.node, state.index, f"{b.op}:{name}:returned", chosen)
    if b.op == ACC:
        if not b.accumulations:
            return None
        acc = b.accumulations[0]
        name = acc.name or b.label or "the leaf"
        before = ("it held " + short(acc.before) + " before") if acc.before is not None else (
            "it was None before")
        return Question(
            "accumulate", f"`{name}.grad` receives {short(acc.grad)} ({before}). "
            f"What is `{name}.grad` now?", np.asarray(acc.total, dtype=np.float64),
            Context(b.op, incoming, name), hint, b.node, state.index, f"{b.op}:{name}", chosen)
    flows = [(i, f) for i, f in enumerate(b.flows) if f.grad is not None]
    if chosen is not None and chosen.input is not None:
        flows = [(i, f) for i, f in flows if i == chosen.input]
    if not flows:
        return None
    i, flow = flows[0]
    target = labels.get(flow.target, "") if flow.target is not None else ""
    to = f"`{target}`" if target else f"its input {i}, the output of {flow.target_op}"
    prompt = (f"{_describe(b.op, b.label)} receives g = {short(incoming)}. "
              f"What gradient does it send to {to}?")
    return Question("backward", prompt, np.asarray(flow.grad, dtype=np.float64),
                    Context(b.op, incoming, target), hint, b.node, state.index,
                    f"{b.op}:{b.label}:{i}", chosen)


def assigned_name(line_text: str) -> str | None:
    """The single plain name a line assigns (``y = w * x`` -> ``y``), else None."""
    try:
        tree = ast.parse(line_text.strip())
    except SyntaxError:
        return None
    if len(tree.body) != 1:
        return None
    stmt = tree.body[0]
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
    elif isinstance(stmt, ast.AnnAssign | ast.AugAssign):
        target = stmt.target
    else:
        return None
    return target.id if isinstance(target, ast.Name) else None


def forward_question(line_text: str) -> str | None:
    """Before a line that assigns a name runs: the prompt asking for its value (the answer is
    read from the namespace after the step)."""
    name = assigned_name(line_text)
    if name is None:
        return None
    return f"What will `{name}` be after `{line_text.strip()}`? (its value; the shape counts too)"


def explanation(question: Question, local: str = "") -> str:
    """The reveal: the engine's value and how the chain rule gives it."""
    ctx = question.context
    lines = [f"The engine's value: {short(question.expected, limit=12)}"]
    if question.kind == "backward":
        lines.append(f"Chain rule: grad = g · ∂out/∂input, with g = {short(ctx.incoming)}")
        if local:
            lines.append("Local derivative of this node:\n" + local)
        if ctx.incoming is not None and np.shape(ctx.incoming) != question.expected.shape:
            lines.append(f"The result is summed back to the input's shape "
                         f"{fmt_shape(question.expected.shape)} (broadcasting)")
    elif question.kind == "accumulate":
        lines.append(".grad of a leaf adds up every gradient that reaches it (None counts as 0)")
    return "\n".join(lines)
