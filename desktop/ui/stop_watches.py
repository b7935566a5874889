"""Watch values at a debugger stop, for watches the stop did not record (added while paused):

- at the live stop, evaluated at once in the paused frame (off the GUI thread, time-limited,
  without recording anything in the graph);
- at a past stop, evaluated against that stop's recorded tensors (values and grads as they
  were); names that were not tensors are not recorded, and the value says so.
"""

from __future__ import annotations

from desktop.watch_eval import WatchEvaluator

PAST_NOTE = "  (from the recorded stop)"
NOT_RECORDED = "(not recorded at this past stop: only its tensors were; step to a live stop)"


def snapshot_namespace(tensors) -> dict:
    """Engine tensors rebuilt from a stop's ``TensorInfo`` records (copies: a watch that
    changes them changes nothing recorded)."""
    import engine

    ns: dict = {"torch": engine}
    for t in tensors:
        if t.value is None:
            continue
        x = engine.tensor(t.value.copy(), requires_grad=bool(t.requires_grad))
        if t.grad is not None:
            x.grad = engine.tensor(t.grad.copy())
        ns[t.name] = x
    return ns


def snapshot_value(expr: str, tensors) -> str:
    import engine

    try:
        with engine.no_grad():
            value = eval(compile(expr, "<watch>", "eval"), snapshot_namespace(tensors))
    except NameError:
        return NOT_RECORDED
    except Exception as exc:  # the user's expression: its error is the value shown
        return f"{type(exc).__name__}: {exc}"
    return repr(value) + PAST_NOTE


class LiveWatches:
    """Evaluates watches in the debug session's paused frame (``session.paused_namespace``);
    a slow one is delivered later through ``on_late``."""

    def __init__(self, session, on_late=None):
        self.session = session
        self._eval = WatchEvaluator(self._in_frame, on_late=on_late)

    def _in_frame(self, expr: str) -> str:
        import engine

        ns = self.session.paused_namespace()
        if ns is None:
            return "(the script is no longer paused)"
        with engine.no_grad():
            return repr(eval(compile(expr, "<watch>", "eval"), ns))

    def __call__(self, expr: str) -> str:
        return self._eval(expr)


NOT_YET = "(evaluated at the next stop)"
ENDED = "(the debugged run ended; watches are evaluated at its stops)"


class WatchesAtStops:
    """The Inspector's watch evaluator while the debugger shows a stop: the value the stop
    recorded, else (a watch added while paused) an evaluation in the paused frame at the live
    stop or against the recorded tensors at a past one. ``use`` puts it in place of the
    Inspector's evaluator; ``restore`` gives that one back (a plain run evaluates its own)."""

    def __init__(self, bridge, inspector, current_state):
        self.bridge = bridge
        self.inspector = inspector
        self.current_state = current_state  # () -> the DebugState shown, or None
        self._fallback = None
        self._live = LiveWatches(bridge.session, on_late=inspector.deliver_late)

    def use(self) -> None:
        if self.inspector.evaluate != self.value:
            self._fallback = self.inspector.evaluate
            self.inspector.evaluate = self.value

    def restore(self) -> None:
        if self.inspector.evaluate == self.value:
            self.inspector.evaluate = self._fallback

    def value(self, expr: str) -> str:
        state = self.current_state()
        if state is None:
            return NOT_YET
        if state.kind == "finished":
            return ENDED
        recorded = dict(state.watches)
        if expr in recorded:
            return recorded[expr]
        h = self.bridge.history
        if self.bridge.status == "paused" and not h.viewing_past and state is h.live:
            return self._live(expr)  # added while paused: evaluated now
        return snapshot_value(expr, state.tensors)
