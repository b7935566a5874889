"""What the learner typed, as an array: ``4.5``, ``[[4.5, 4.5]]`` (PyTorch's literal syntax,
``torch.tensor([...])`` too) or an expression in the script's names (``2*(Y_hat - Y)/3``)."""

from __future__ import annotations

import ast

import numpy as np

MAX_LENGTH = 2000


class AnswerError(ValueError):
    """The answer could not be read as a number, a tensor or an expression."""


def _to_array(value) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "numpy"):
        value = value.numpy()
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AnswerError(f"not a number or a tensor: {type(value).__name__}") from exc
    return arr


def needs_names(text: str) -> bool:
    """True when ``text`` is not a plain literal: reading it runs code in the script's names."""
    try:
        return _literal(ast.parse(text.strip(), mode="eval").body) is None
    except (SyntaxError, AnswerError):  # parse() says what is wrong with it
        return False


def parse(text: str, namespace: dict | None = None, evaluate=None) -> np.ndarray:
    """The answer ``text`` as a float64 array.

    Literals are read without running anything. Anything else is an expression in the names of
    ``namespace`` (the paused script's), run by ``evaluate(expr) -> value`` when given (the
    debugger runs it on the script's thread, with a time limit and without recording nodes),
    else with ``eval`` here."""
    text = text.strip()
    if not text:
        raise AnswerError("type a number, a tensor such as [[4.5, 4.5]], or an expression")
    if len(text) > MAX_LENGTH:
        raise AnswerError(f"the answer is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise AnswerError(f"not Python syntax: {exc.msg}") from None
    literal = _literal(tree.body)
    if literal is not None:
        return literal
    if evaluate is not None:
        value = evaluate(text)
    else:
        if namespace is None:
            raise AnswerError("names can only be used while the script is paused")
        try:
            value = eval(compile(tree, "<answer>", "eval"), dict(namespace))
        except Exception as exc:
            raise AnswerError(f"{type(exc).__name__}: {exc}") from None
    return _to_array(value)


def _literal(node: ast.AST) -> np.ndarray | None:
    """Numbers and nested lists of them, also inside ``torch.tensor(...)``; None otherwise."""
    if (isinstance(node, ast.Call) and not node.keywords and len(node.args) == 1
            and isinstance(node.func, ast.Attribute) and node.func.attr == "tensor"):
        node = node.args[0]
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | list | tuple):
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise AnswerError("a tensor's rows must all have the same length") from None
