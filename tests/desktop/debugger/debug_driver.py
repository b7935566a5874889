"""A synchronous driver for DebugSession and the stepping plans the tests use."""

from desktop.debugger import DebugSession


class Driver:
    """Drives a DebugSession synchronously: ``plan(state)`` names the next command
    ("step_over", "step_into", "step_out", "continue_", ...)."""

    def __init__(self, source, **kwargs):
        self.output = []
        self.finished = []
        self.paused = []
        self.session = DebugSession(source, on_output=self.output.append,
                                    on_finished=self.finished.append,
                                    on_paused=self.paused.append, **kwargs)

    def run(self, plan, *, start="step_into", breakpoints=None, limit=500):
        """Returns (every recorded state, the final one included, RunResult)."""
        s = self.session
        if breakpoints is not None:
            s.set_breakpoints(breakpoints)
        assert getattr(s, start)() is not False
        states = []
        state = s.wait_stop()
        while state is not None:
            assert len(states) < limit, "plan never finished the run"
            states.append(state)
            assert getattr(s, plan(state))() is not False
            state = s.wait_stop()
        result = s.wait(5)
        return s.history.states(), result

    def text(self):
        return "".join(c.text for c in self.output)



def over(state):
    return "step_over"


def into(state):
    return "step_into"


def stepping_into(*lines):
    """Step over every line except ``lines`` (calls to backward()/autograd.grad()), where Step
    into enters the backward pass and then steps node by node."""

    def plan(state):
        if state.kind == "line" and state.line in lines:
            return "step_into"
        return "step_over"

    return plan
