"""The toolbar's start and stop buttons, as a learner reads them:

- one start button: "Run/Debug" (F5) until a debugged script is paused, then "Continue";
  it runs the script plainly without breakpoints and under the debugger with them;
- one Stop button (Shift+F5), enabled while a plain or debugged run goes on, stopping
  whichever it is.
"""

from __future__ import annotations

from PySide6.QtWidgets import QToolBar

START_TEXT, CONTINUE_TEXT = "Run/Debug", "Continue"


class RunButtons:
    def __init__(self, wiring):
        self.wiring = wiring
        w = wiring.window
        acts = wiring.controls.actions_by_key
        self.start = acts["continue"]
        self.stop = acts["stop"]
        for act, slot in ((self.start, wiring.run_or_continue), (self.stop, wiring.stop)):
            act.triggered.disconnect()  # the toolbar's own: debugger only
            act.triggered.connect(lambda _c=False, slot=slot: slot())
        self.start.setToolTip("Run/Debug (F5) — run the script; with breakpoints, under the "
                              "debugger; when paused, continue to the next breakpoint")
        self.stop.setToolTip("Stop (Shift+F5) — stop the running or debugged script")
        main = w.findChild(QToolBar, "toolbar_main")
        if main is not None:
            main.removeAction(w.act_stop)  # one Stop: the debugger toolbar's
        wiring.bridge.status_changed.connect(self.refresh)
        self.refresh()

    def refresh(self, *_args) -> None:
        """The start button's text; both buttons are enabled by their rows' rules (the
        debugger's ``apply_rules``), which count a plain run too."""
        paused = self.wiring.bridge.status == "paused"
        self.start.setText(CONTINUE_TEXT if paused else START_TEXT)


def install_run_buttons(wiring) -> RunButtons:
    buttons = RunButtons(wiring)
    wiring.run_buttons = buttons
    return buttons
