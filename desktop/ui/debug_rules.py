"""Which debugger actions apply, read from the debug session's state (no Qt).

The action table (``desktop.ui.actions``) declares each debugger row's ``enabled_when``: a rule
named in ``DEBUG_RULES``. ``DebugFacts`` holds what the rules read (the session's status, the
viewed stop among the recorded ones, whether Run to cursor has a cursor, whether a plain run
goes on) and evaluates them; the Qt side only applies the result (``DebugControls.refresh``,
``ActionSet.set_rule``).
"""

from __future__ import annotations

from dataclasses import dataclass

# rule -> what it means; each is a property of DebugFacts
DEBUG_RULES = {
    "debug_go": "paused, or no debugged or plain run going: Continue / Step over / Step into "
                "(which start the debugger when it is not running)",
    "debug_cursor": "as debug_go, and the editor has a cursor line: Run to cursor",
    "debug_paused": "the debugged script is paused: Step out",
    "debug_stoppable": "a debugged run is running or paused, or a plain run goes on: Stop",
    "debug_restartable": "a debugged run is running or paused, or one ended and no plain run "
                         "goes on: Restart",
    "history_back": "a recorded stop before the one shown: Step back",
    "history_forward": "a recorded stop after the one shown: Step forward",
    "idle": "no plain or debugged run going (the window's Run, lessons, sessions)",
}

_ACTIVE = ("running", "paused")


@dataclass(frozen=True)
class DebugFacts:
    status: str = "idle"  # the session's: "idle" | "running" | "paused" | "finished"
    position: int = -1  # the viewed stop's index among the recorded ones (-1: none)
    count: int = 0  # recorded stops
    can_cursor: bool = True  # Run to cursor can ask for the editor's cursor line
    plain_running: bool = False  # a plain (undebugged) run of the window goes on

    @property
    def debug_go(self) -> bool:
        return self.status == "paused" or (self.status not in _ACTIVE
                                           and not self.plain_running)

    @property
    def debug_cursor(self) -> bool:
        return self.can_cursor and self.debug_go

    @property
    def debug_paused(self) -> bool:
        return self.status == "paused"

    @property
    def debug_stoppable(self) -> bool:
        return self.status in _ACTIVE or self.plain_running

    @property
    def debug_restartable(self) -> bool:
        return self.status in _ACTIVE or (self.status == "finished" and not self.plain_running)

    @property
    def history_back(self) -> bool:
        return self.position > 0

    @property
    def history_forward(self) -> bool:
        return 0 <= self.position < self.count - 1

    @property
    def idle(self) -> bool:
        # a plain run beside a debugged one would share nothing but the panels: one at a time
        return self.status not in _ACTIVE and not self.plain_running

    def rules(self) -> dict[str, bool]:
        """Every rule of ``DEBUG_RULES`` with its value."""
        return {name: getattr(self, name) for name in DEBUG_RULES}

    def enabled(self, rows) -> set[str]:
        """The ids of ``rows`` (action table rows) whose ``enabled_when`` holds; a row with a
        rule that is not the debugger's is left out."""
        rules = self.rules()
        return {r.id for r in rows if rules.get(r.enabled_when, False)}
