"""What a lesson is: code, words, and the results its words promise (plain data, no Qt).

Expected results are data so that one checker can verify every lesson, the lessons panel can
list them under "what you should see", and a test can run them all:

    Expect("w.grad", [[4.0, 4.0]])              # evaluated in the script's namespace afterwards
    Expect("Y_hat.grad", None)                  # must be None
    Expect("Y_hat.grad_fn.name()", "MyReLUBackward")
    ExpectOutput("tensor(2.)")                  # printed somewhere in the output
    ExpectError("RuntimeError", "a second time", at="loss.backward()  # fails")

A plain ``(expr, value)`` tuple in a lesson's ``expected`` list means ``Expect(expr, value)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Expect:
    """``eval(expr)`` in the finished script's namespace equals ``value``.

    ``value`` is None (the result must be None), a bool or str (compared exactly; non-str results
    through ``str()``), or a number / nested list (compared elementwise within ``tol``, shapes
    must agree)."""

    expr: str
    value: object
    tol: float = 1e-4


@dataclass(frozen=True)
class ExpectOutput:
    """``text`` appears in what the script printed."""

    text: str


@dataclass(frozen=True)
class ExpectError:
    """The script stops with ``kind`` whose message contains ``message``, at the line of the code
    containing ``at`` (a unique substring, so the expectation survives edits above it) or at
    line number ``line``."""

    kind: str
    message: str
    at: str = ""
    line: int | None = None

    def resolve_line(self, code: str) -> int | None:
        if self.line is not None or not self.at:
            return self.line
        hits = [n for n, text in enumerate(code.splitlines(), 1) if self.at in text]
        if len(hits) != 1:
            raise ValueError(f"ExpectError(at={self.at!r}) matches {len(hits)} lines, not one")
        return hits[0]


Expectation = Expect | ExpectOutput | ExpectError


@dataclass(frozen=True)
class Exercise:
    """A question predict mode asks while stepping backward through the lesson.

    ``node``: the node's op (``"MulBackward0"``) or the variable name of its output (``"Z"``);
    a leaf's name (``"w"``) asks for its ``.grad`` after accumulation. ``input``: which input of
    the node (its ``next_functions`` index); None asks about the first one that gets a grad."""

    node: str
    input: int | None = None
    hint: str = ""


def _expectation(item) -> Expectation:
    if isinstance(item, Expect | ExpectOutput | ExpectError):
        return item
    if isinstance(item, tuple) and len(item) in (2, 3) and isinstance(item[0], str):
        return Expect(*item)
    raise TypeError(f"not an expectation: {item!r}")


@dataclass(frozen=True)
class Lesson:
    """One built-in lesson.

    Args:
        id: stable identifier used by sessions ("leaf-nodes").
        title: one line for menus and the start page.
        code: the script, plain Python that also runs on real PyTorch.
        explanation: a few short paragraphs (plain text, blank-line separated).
        watch: what to look at while stepping, one item per entry.
        expected: the results the explanation promises (see the module docstring).
        topic: "article" for the seed article's ideas, "training" for the ones beyond it.
        uses_random: the code draws random numbers, so its exact values differ on real PyTorch.
        exercises: what predict mode asks while stepping backward (empty: every node).
    """

    id: str
    title: str
    code: str
    explanation: str
    watch: tuple[str, ...]
    expected: tuple[Expectation, ...] = field(default=())
    topic: str = "article"
    uses_random: bool = False
    exercises: tuple[Exercise, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "watch", tuple(self.watch))
        object.__setattr__(self, "expected", tuple(_expectation(e) for e in self.expected))
        object.__setattr__(self, "exercises", tuple(self.exercises))
        errors = [e for e in self.expected if isinstance(e, ExpectError)]
        if len(errors) > 1:
            raise ValueError(f"lesson {self.id!r}: a script can stop with only one error")
        for e in errors:
            e.resolve_line(self.code)  # fail at import, not in front of a class

    @property
    def expected_error(self) -> ExpectError | None:
        return next((e for e in self.expected if isinstance(e, ExpectError)), None)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


def describe(expectation: Expectation, code: str = "") -> str:
    """One line for "what you should see" lists: ``w.grad → [[3.33333, 1.33333]]``."""
    if isinstance(expectation, Expect):
        return f"{expectation.expr} → {_fmt(expectation.value)}"
    if isinstance(expectation, ExpectOutput):
        return f"prints “{expectation.text}”"
    line = expectation.resolve_line(code) if code else expectation.line
    where = f" at line {line}" if line else ""
    return f"stops{where} with {expectation.kind}: “…{expectation.message}…”"
