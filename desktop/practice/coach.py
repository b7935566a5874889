"""Predict mode's state machine (no Qt): what is being asked, the answers, the scores.

At a live backward stop the window asks ``coach.ask_backward(state)``: a ``Question`` means
"hold this stop's values back and show the question"; ``answer(text)`` or ``show_me()`` returns
the ``Verdict``/explanation, after which the window reveals the stop. Before a line that
assigns a name, ``ask_forward`` poses "what will ``y`` be?"; the learner's answer is kept and
judged by ``settle_forward`` at the next stop, when the value exists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop.debugger.history import DebugState
from desktop.practice.answer import AnswerError, parse
from desktop.practice.mistakes import Context, Verdict, judge
from desktop.practice.questions import (
    Question,
    assigned_name,
    backward_question,
    explanation,
    forward_question,
)
from desktop.practice.score import Scores


@dataclass(frozen=True)
class Reveal:
    verdict: Verdict | None  # None for "Show me"
    text: str  # what the panel shows: the verdict's words and the explanation


@dataclass
class ForwardGuess:
    name: str
    line: int
    prompt: str
    answer: np.ndarray | None = None


class Coach:
    def __init__(self):
        self.enabled = False
        self.scores = Scores()
        self.lesson = ""  # lesson id, "" for the user's own code
        self.exercises: tuple = ()
        self.pending: Question | None = None
        self.forward: ForwardGuess | None = None
        self._asked: set = set()

    def set_lesson(self, lesson_id: str | None, exercises=()) -> None:
        self.lesson = lesson_id or ""
        self.exercises = tuple(exercises)
        self.new_run()

    def new_run(self) -> None:
        self.pending = None
        self.forward = None
        self._asked = set()

    # --- backward ---
    def ask_backward(self, state: DebugState) -> Question | None:
        if not self.enabled:
            return None
        q = backward_question(state, self.exercises, self._asked)
        if q is not None and q.exercise is not None:
            self._asked.add(q.exercise)
        self.pending = q
        return q

    def answer(self, text: str, namespace: dict | None = None, evaluate=None,
               local: str = "") -> Reveal:
        """Judge ``text`` against the pending question. Raises ``AnswerError`` for an answer
        that can't be read (the question stays open)."""
        q = self.pending
        if q is None:
            raise AnswerError("there is no open question")
        value = parse(text, namespace, evaluate)
        verdict = judge(value, q.expected, q.context)
        self.scores.record(self.lesson, q.key, verdict.correct)
        self.pending = None
        head = "Right." if verdict.correct else f"Not quite: {verdict.message}."
        return Reveal(verdict, head + "\n" + explanation(q, local))

    def show_me(self, local: str = "") -> Reveal | None:
        q = self.pending
        if q is None:
            return None
        self.scores.record(self.lesson, q.key, False)
        self.pending = None
        return Reveal(None, explanation(q, local))

    # --- forward ---
    def ask_forward(self, state: DebugState, line_text: str) -> str | None:
        self.forward = None
        if not self.enabled or state.kind != "line" or state.line is None:
            return None
        prompt = forward_question(line_text)
        if prompt is None:
            return None
        self.forward = ForwardGuess(assigned_name(line_text), state.line, prompt)
        return prompt

    def guess_forward(self, text: str, namespace: dict | None = None, evaluate=None) -> None:
        if self.forward is None:
            raise AnswerError("there is no open question")
        self.forward.answer = parse(text, namespace, evaluate)

    def settle_forward(self, state: DebugState) -> Reveal | None:
        """At the stop after a guessed line: judge the guess against the value it assigned."""
        guess, self.forward = self.forward, None
        if guess is None or guess.answer is None:
            return None
        tensor = next((t for t in state.tensors if t.name == guess.name), None)
        if tensor is None:
            return Reveal(None, f"`{guess.name}` is not a tensor, so there is nothing to compare.")
        expected = np.asarray(tensor.value, dtype=np.float64)
        verdict = judge(guess.answer, expected, Context(target=guess.name))
        self.scores.record(self.lesson, f"line:{guess.line}", verdict.correct)
        head = "Right." if verdict.correct else f"Not quite: {verdict.message}."
        shape = "[" + ", ".join(map(str, expected.shape)) + "]"
        return Reveal(verdict, f"{head}\n`{guess.name}` has shape {shape}:\n{tensor.value}")

    # --- session ---
    def to_settings(self) -> dict:
        return {"enabled": self.enabled, "scores": self.scores.to_json()}

    def load_settings(self, data) -> None:
        data = data if isinstance(data, dict) else {}
        self.enabled = data.get("enabled") is True
        self.scores = Scores.from_json(data.get("scores", {}))
        self.new_run()


__all__ = ["AnswerError", "Coach", "ForwardGuess", "Reveal"]
