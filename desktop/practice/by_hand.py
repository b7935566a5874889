"""Gradients derived by hand beside autograd's (and sympy's closed forms), in the spirit of "becoming a backprop ninja":
for every tensor ``X`` of the script whose ``.grad`` autograd filled in (leaves, and non-leaves
that called ``retain_grad()``), a variable ``dX`` the learner assigned is compared with it —
exact, approximately (float32 rounding), the largest difference — and a wrong one is named with
the mistake classifier. Results come in the order of the lines that assign them, so the first
wrong line is where the learner's chain rule went astray."""

from __future__ import annotations

import ast
from dataclasses import dataclass

import numpy as np

from desktop.practice.mistakes import Context, judge


@dataclass(frozen=True)
class HandGrad:
    name: str  # the tensor, "W1"; the learner's variable is "d" + name
    line: int | None  # the line that last assigns d<name> (None: not found in the code)
    exact: bool
    approx: bool
    maxdiff: float
    mistake: str = ""  # a mistakes.MISTAKES entry when not approximately right
    message: str = ""
    closed_form: str = ""  # the comparison with sympy's closed form, when one was given

    def text(self) -> str:
        """One line as Karpathy's ``cmp`` prints it, plus the mistake when there is one."""
        head = (f"{self.name:15s} | exact: {self.exact!s:5} | approximate: {self.approx!s:5} "
                f"| maxdiff: {self.maxdiff:.3g}")
        if self.closed_form:
            head += f" | closed form: {self.closed_form}"
        return head if self.approx else f"{head}  <- {self.message}"


def _assignment_lines(code: str) -> dict[str, int]:
    """Name -> line of its last plain assignment at module level."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return {}
    lines: dict[str, int] = {}
    for stmt in tree.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else (
            [stmt.target] if isinstance(stmt, ast.AnnAssign | ast.AugAssign) else [])
        for t in targets:
            for node in ast.walk(t):
                if isinstance(node, ast.Name):
                    lines[node.id] = stmt.lineno
    return lines


def _array(value) -> np.ndarray | None:
    if value is None:
        return None
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "numpy"):
        value = value.numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def closed_form_values(reports) -> dict[str, dict[tuple[int, ...], float]]:
    """{tensor name: {index: closed-form value}} from ``symbolic`` check reports (the first
    report that has a target wins: that is the first backward() call)."""
    out: dict[str, dict[tuple[int, ...], float]] = {}
    for report in reports or ():
        for target in report.targets:
            if target.name in out:
                continue
            values = {e.index: e.symbolic for e in target.elements if e.symbolic is not None}
            if values:
                out[target.name] = values
    return out


def _against_closed_form(got: np.ndarray, values: dict) -> str:
    bad = []
    for index, value in values.items():
        try:
            mine = float(got[index]) if index else float(got.reshape(()))
        except (IndexError, ValueError):
            return "shape differs"
        if not np.isclose(mine, value, rtol=1e-4, atol=1e-6):
            bad.append((index, mine, value))
    n = len(values)
    if not bad:
        return f"agrees ({n} element{'s' if n != 1 else ''})"
    index, mine, value = bad[0]
    where = "[" + ", ".join(map(str, index)) + "]" if index else ""
    return f"differs at {where or 'the value'}: {mine:.6g} vs {value:.6g}"


def compare(namespace: dict, code: str, closed_forms: dict | None = None) -> list[HandGrad]:
    """Every ``dX`` in ``namespace`` whose ``X`` has a ``.grad``, in line order; with
    ``closed_forms`` (``closed_form_values``) also against the closed form where there is one."""
    closed_forms = closed_forms or {}
    lines = _assignment_lines(code)
    out = []
    for name, value in list(namespace.items()):
        if not name.startswith("d") or len(name) < 2 or name[1:] not in namespace:
            continue
        tensor = namespace[name[1:]]
        grad = getattr(tensor, "grad", None) if hasattr(tensor, "requires_grad") else None
        want = _array(grad)
        got = _array(value)
        if want is None or got is None:
            continue
        same_shape = got.shape == want.shape
        exact = same_shape and bool(np.array_equal(got, want))
        verdict = judge(got, want, Context(target=name[1:]))
        maxdiff = float(np.max(np.abs(got - want), initial=0.0)) if same_shape else float("inf")
        closed = closed_forms.get(name[1:])
        out.append(HandGrad(name[1:], lines.get(name), exact, verdict.correct, maxdiff,
                            verdict.mistake, verdict.message,
                            _against_closed_form(got, closed) if closed else ""))
    out.sort(key=lambda h: (h.line is None, h.line or 0, h.name))
    return out


def first_wrong(results: list[HandGrad]) -> HandGrad | None:
    return next((h for h in results if not h.approx), None)


def report(results: list[HandGrad]) -> str:
    if not results:
        return ("No hand-derived gradients found: name them d<tensor> (dW1 for W1.grad) and "
                "call retain_grad() on the intermediate tensors you differentiate by hand.")
    lines = [h.text() for h in results]
    wrong = first_wrong(results)
    if wrong is None:
        lines.append(f"All {len(results)} hand-derived gradients match autograd.")
    else:
        where = f"line {wrong.line}" if wrong.line else "its assignment"
        lines.append(f"First wrong: d{wrong.name} at {where}.")
    return "\n".join(lines)
