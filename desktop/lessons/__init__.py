"""Built-in lessons: one module per lesson, each defining ``LESSON`` (no Qt).

    from desktop import lessons
    lessons.all_lessons()          # in teaching order
    lessons.get("leaf-nodes")      # KeyError with the known ids otherwise
    lessons.check_lesson(lesson)   # run it on the engine and verify its expected results
"""

from __future__ import annotations

import importlib

from desktop.lessons import check as _check
from desktop.lessons.check import Report, check_code
from desktop.lessons.lesson import Exercise, Expect, ExpectError, ExpectOutput, Lesson

# Teaching order: the article's ideas first, then training.
_MODULES = (
    "forward_runs_now",
    "graph_freed",
    "saved_tensors",
    "custom_function",
    "leaf_nodes",
    "stop_being_leaf",
    "retain_grad_hooks",
    "weighted_outputs",
    "second_derivative",
    "several_inputs",
    "linear_sgd",
    "logistic",
    "small_mlp",
    "backprop_by_hand",
    "grad_accumulation",
    "no_grad_detach",
    "inplace_error",
)

_cache: tuple[Lesson, ...] | None = None


def all_lessons() -> tuple[Lesson, ...]:
    global _cache
    if _cache is None:
        found = tuple(importlib.import_module(f"{__name__}.{m}").LESSON for m in _MODULES)
        ids = [lesson.id for lesson in found]
        if len(set(ids)) != len(ids):
            raise RuntimeError(f"duplicate lesson ids: {ids}")
        _cache = found
    return _cache


def ids() -> tuple[str, ...]:
    return tuple(lesson.id for lesson in all_lessons())


def get(lesson_id: str) -> Lesson:
    for lesson in all_lessons():
        if lesson.id == lesson_id:
            return lesson
    raise KeyError(f"no lesson {lesson_id!r}; known lessons: {', '.join(ids())}")


def check_lesson(lesson: Lesson | str, timeout: float = 60.0, backend: str = "engine") -> Report:
    """Run a lesson (or the lesson with that id) and verify the results it promises."""
    if isinstance(lesson, str):
        lesson = get(lesson)
    return _check.check_lesson(lesson, timeout, backend)


def find(lesson_id: str | None) -> Lesson | None:
    """Like ``get`` but None for an unknown id (a session may name a lesson this build lacks)."""
    try:
        return get(lesson_id) if lesson_id else None
    except KeyError:
        return None


__all__ = [
    "Exercise", "Expect", "ExpectError", "ExpectOutput", "Lesson", "Report", "all_lessons",
    "check_code",
    "check_lesson", "find", "get", "ids",
]
