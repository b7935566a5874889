"""Per-lesson practice scores: each question counts once, the first answer decides it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LessonScore:
    right: int = 0
    asked: int = 0
    seen: set[str] = field(default_factory=set)

    def text(self) -> str:
        return f"{self.right}/{self.asked}" if self.asked else ""


class Scores:
    """Scores by lesson id ("" for the user's own code)."""

    def __init__(self):
        self.by_lesson: dict[str, LessonScore] = {}

    def record(self, lesson: str, key: str, correct: bool) -> bool:
        """Count an answer to question ``key``; False when that question was answered before
        (asking again after stepping back does not count twice)."""
        score = self.by_lesson.setdefault(lesson, LessonScore())
        if key in score.seen:
            return False
        score.seen.add(key)
        score.asked += 1
        score.right += bool(correct)
        return True

    def get(self, lesson: str) -> LessonScore:
        return self.by_lesson.get(lesson, LessonScore())

    def to_json(self) -> dict:
        return {lesson: {"right": s.right, "asked": s.asked, "seen": sorted(s.seen)}
                for lesson, s in self.by_lesson.items()}

    @classmethod
    def from_json(cls, data) -> Scores:
        """Lenient: a malformed entry is dropped, never raised (a session file is input)."""
        scores = cls()
        if not isinstance(data, dict):
            return scores
        for lesson, entry in data.items():
            if not isinstance(lesson, str) or not isinstance(entry, dict):
                continue
            right, asked, seen = entry.get("right"), entry.get("asked"), entry.get("seen", [])
            if not (type(right) is int and type(asked) is int and 0 <= right <= asked <= 10**6):
                continue
            if not isinstance(seen, list) or not all(isinstance(k, str) for k in seen):
                seen = []
            scores.by_lesson[lesson] = LessonScore(right, asked, set(seen[:10**5]))
        return scores
