"""FirstLastRecorder: a training loop's first and last backward() calls, the rest counted."""

import pytest

import engine as torch
from engine import observe
from symbolic import FirstLastRecorder, check


def train(rec, steps):
    with observe.observing(rec):
        w = torch.tensor([1.0, -2.0], requires_grad=True)
        for _ in range(steps):
            loss = (w * w).sum()
            loss.backward()
            with torch.no_grad():
                w -= 0.25 * w.grad
            w.grad = None


@pytest.mark.parametrize(("first", "last", "kept"), [
    (2, 1, [0, 1, 6]), (2, 2, [0, 1, 5, 6]), (0, 1, [6]), (3, 0, [0, 1, 2]), (0, 0, []),
    (5, 5, [0, 1, 2, 3, 4, 5, 6]),
])
def test_keeps_the_first_and_the_last_calls(first, last, kept):
    rec = FirstLastRecorder(first=first, last=last)
    train(rec, 7)
    assert [c.seq for c in rec.calls] == kept
    assert rec.total == 7 and rec.skipped == 7 - len(kept)
    assert [c.title.split(":")[0] for c in rec.calls] == [f"call {k + 1}" for k in kept]


def test_the_last_call_is_checked_at_its_own_values():
    rec = FirstLastRecorder(first=1, last=1)
    train(rec, 4)
    # w halves each step: [1, -2] -> [.5, -1] -> [.25, -.5] -> [.125, -.25]; d(w.w)/dw = 2w
    first, last = (check(c) for c in rec.calls)
    assert [e.symbolic for e in first.elements] == [2.0, -4.0]
    assert [e.symbolic for e in last.elements] == [0.25, -0.5]
    assert first.ok and last.ok


def test_negative_counts_are_refused():
    with pytest.raises(ValueError, match="must be >= 0"):
        FirstLastRecorder(first=-1)
