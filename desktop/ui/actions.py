"""Every menu entry, toolbar button and shortcut of the main window, declared in one table.

``ACTIONS`` lists one row per command, in menu order; ``desktop.ui.action_set.ActionSet`` builds
the QActions, menus and toolbar buttons from it (no Qt here, so the table is checked without a
window: ``tests/desktop/ui/test_action_table.py``).

- ``handler`` is ``"owner.attribute[.attribute…]"``; the owner is the object that installs the
  row's actions: ``window`` (``MainWindow``), ``controller`` (``Controller``), ``debugger``
  (``DebugWiring``), ``practice`` (``PredictWiring``), ``controls`` (``DebugControls``) or
  ``bridge`` (``DebugBridge``). A bare window (no controller, no debugger) shows only its own.
- ``menus``: the menus listing the entry, by ``MENUS`` key; entries of one menu keep the table's
  order, and a separator goes between two entries of different ``group``.
- ``shortcut``: Qt's portable key text, or ``"std:Name"`` for a ``QKeySequence.StandardKey``;
  a tuple gives several keys. ``WITH_DEBUGGER`` rebinds keys once the debugger is attached (it
  takes F5 and Shift+F5 for its own dispatchers).
- ``enabled_when``: a rule of ``ENABLED_RULES``; ``ActionSet.set_rule(rule, on)`` enables or
  disables every action of that rule at once. The debugger's rules are evaluated from its
  session's state by ``desktop.ui.debug_rules.DebugFacts``.
- ``MENU_SLOTS`` are the entries made at run time (recent files, themes, panel toggles,
  lessons); their owner fills them through ``ActionSet.fill_slot``.

To add a command: a row here (with a handler that exists on its owner) — the menu, the toolbar,
the tooltip with its keys and the Keyboard Shortcuts list follow.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.ui.debug_rules import DEBUG_RULES

# (key, title) in menu-bar order; a menu without entries is left out of the bar
MENUS = (
    ("file", "&File"), ("edit", "&Edit"), ("run", "&Run"), ("debug", "&Debug"),
    ("view", "&View"), ("lessons", "&Lessons"), ("tools", "&Tools"), ("help", "&Help"),
)

ENABLED_RULES = {
    "always": "enabled whenever its owner is attached",
    "idle": "no plain run going (the debugger also disables it while a debugged run goes on)",
    "running": "a plain run is going",
    "undo": "the editor has something to undo",
    "redo": "the editor has something to redo",
    # the debugger's, read from its session's state (desktop.ui.debug_rules.DebugFacts)
    **{k: v for k, v in DEBUG_RULES.items() if k != "idle"},
}


@dataclass(frozen=True)
class ActionRow:
    id: str
    label: str
    handler: str
    shortcut: str | tuple[str, ...] = ()
    tip: str = ""
    menus: tuple[str, ...] = ()
    group: str = ""
    toolbar: str | None = None  # "main" (the window's) or "debug" (DebugControls)
    toolbar_break: bool = False  # a separator before its button
    enabled_when: str = "always"
    checkable: bool = False

    @property
    def owner(self) -> str:
        return self.handler.split(".", 1)[0]

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.shortcut,) if isinstance(self.shortcut, str) else tuple(self.shortcut)


@dataclass(frozen=True)
class MenuSlot:
    """A place in a menu filled at run time: ``after`` is the row (or slot) it follows."""
    id: str
    menu: str
    after: str | None
    group: str = ""


def _row(id, label, handler, shortcut=(), tip="", menus=(), group="", **kw) -> ActionRow:
    return ActionRow(id, label, handler, shortcut, tip, tuple(menus), group, **kw)


ACTIONS: tuple[ActionRow, ...] = (
    # ---- File
    _row("file.new", "&New", "window.new_file", "std:New", "New script", ["file"], "open",
         toolbar="main"),
    _row("file.open", "&Open…", "window.open_dialog", "std:Open", "Open a script", ["file"],
         "open", toolbar="main"),
    _row("file.save", "&Save", "window.save", "std:Save", "Save the script", ["file"], "save",
         toolbar="main"),
    _row("file.save_as", "Save &As…", "window.save_as", "Ctrl+Shift+S",
         "Save the script under a new name", ["file"], "save"),
    _row("file.open_session", "Open &Session…", "controller.open_session_dialog",
         "Ctrl+Shift+O", "Open a .stepgrad session (its code is not run)", ["file"], "session"),
    _row("file.save_session", "Save Sess&ion…", "controller.save_session_dialog", "Ctrl+Alt+S",
         "Save code, breakpoints, watches and lesson as a .stepgrad session", ["file"],
         "session"),
    _row("file.export_engine", "Export as Script (&engine)…", "controller.export_engine_dialog",
         (), "A standalone script that runs on stepgrad's engine and prints the grads", ["file"],
         "export"),
    _row("file.export_check", "Export as Script with Gradient &Check (engine)…",
         "controller.export_check_dialog", (),
         "The engine script, followed by the three-way check of its first two and last "
         "backward() calls (the calls in between are counted)", ["file"], "export"),
    _row("file.export_torch", "Export as Script (&PyTorch)…", "controller.export_torch_dialog",
         (), "A standalone script for real PyTorch", ["file"], "export"),
    _row("file.export_graph", "Export &Graph as PNG…", "window.export_graph_dialog", "Ctrl+E",
         "Export the graph view as a PNG image", ["file"], "png"),
    _row("file.export_plot", "Export &Plot as PNG…", "window.export_plot_dialog", (),
         "Export the current plot as a PNG image", ["file"], "png"),
    _row("file.quit", "&Quit", "window.close", "Ctrl+Q", "Quit stepgrad", ["file"], "quit"),
    # ---- Edit
    _row("edit.undo", "&Undo", "window.editor.undo", "std:Undo", "", ["edit"], "undo",
         enabled_when="undo"),
    _row("edit.redo", "&Redo", "window.editor.redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "", ["edit"],
         "undo", enabled_when="redo"),
    _row("edit.find", "&Find…", "window.editor_panel.find_bar.open_bar", "std:Find",
         "Find in the script", ["edit"], "find"),
    _row("edit.find_next", "Find &Next", "window.find_next", "F3", "", ["edit"], "find"),
    _row("edit.zoom_in", "Zoom &In", "window.editor.zoom_in", ("Ctrl+=", "Ctrl++"),
         "Larger editor font", ["edit"], "zoom"),
    _row("edit.zoom_out", "Zoom &Out", "window.editor.zoom_out", "Ctrl+-",
         "Smaller editor font", ["edit"], "zoom"),
    _row("edit.zoom_reset", "Reset &Zoom", "window.editor.zoom_reset", "Ctrl+0",
         "Default editor font size", ["edit"], "zoom"),
    # ---- Run
    _row("run.run", "&Run", "window.request_run", "F5", "Run the script on the stepgrad engine",
         ["run"], "run", toolbar="main", toolbar_break=True, enabled_when="idle"),
    _row("run.stop", "&Stop", "window.request_stop", "Shift+F5", "Stop the running script",
         ["run"], "run", toolbar="main", enabled_when="running"),
    # ---- Debug (the debugger's dispatchers own F5 / Shift+F5 once it is attached)
    _row("debug.run_or_continue", "Run / &Continue", "debugger.run_or_continue", "F5",
         "Continue the debugged script; otherwise run the script (with the debugger when "
         "breakpoints are set)", ["debug"], "dispatch"),
    _row("debug.stop_any", "&Stop", "debugger.stop", "Shift+F5",
         "Stop the debugged script or the running script", ["debug"], "dispatch"),
    _row("debug.continue", "Continue", "bridge.continue_", "F5",
         "Start debugging, or run to the next breakpoint", (), "steps", toolbar="debug",
         enabled_when="debug_go"),
    _row("debug.step_over", "Step over", "bridge.step_over", "F10",
         "Run the current line; inside backward: run one node", ["debug"], "steps",
         toolbar="debug", enabled_when="debug_go"),
    _row("debug.step_into", "Step into", "bridge.step_into", "F11",
         "Enter the function called on this line; on a backward()/autograd.grad() line, step "
         "through the backward pass node by node", ["debug"], "steps", toolbar="debug",
         enabled_when="debug_go"),
    _row("debug.step_out", "Step out", "bridge.step_out", "Shift+F11",
         "Run to the end of the current function, or finish the backward pass", ["debug"],
         "steps", toolbar="debug", enabled_when="debug_paused"),
    _row("debug.run_to_cursor", "Run to cursor", "controls.run_to_cursor", "Ctrl+F10",
         "Run until the line with the text cursor", ["debug"], "steps", toolbar="debug",
         enabled_when="debug_cursor"),
    _row("debug.stop", "Stop", "bridge.stop", "Shift+F5",
         "End the debugged script (works on infinite loops)", (), "steps", toolbar="debug",
         enabled_when="debug_stoppable"),
    _row("debug.restart", "Restart", "bridge.restart", "Ctrl+Shift+F5",
         "Stop and start again from the first line", ["debug"], "steps", toolbar="debug",
         enabled_when="debug_restartable"),
    _row("debug.step_back", "Step back", "bridge.step_back", "Alt+Left",
         "Show the previous recorded stop (nothing runs again)", ["debug"], "history",
         toolbar="debug", enabled_when="history_back"),
    _row("debug.step_forward", "Step forward", "bridge.step_forward", "Alt+Right",
         "Show the next recorded stop", ["debug"], "history", toolbar="debug",
         enabled_when="history_forward"),
    # the Edit menu's last entry and the Debug menu's breakpoint group
    _row("edit.breakpoint", "Toggle &Breakpoint", "window.toggle_breakpoint_at_cursor", "F9",
         "Toggle a breakpoint on the cursor's line", ["edit", "debug"], "breakpoints"),
    _row("debug.condition", "Breakpoint &Condition…", "debugger.condition_dialog",
         "Ctrl+Shift+F9", "Stop at the cursor's line only when an expression is true",
         ["debug"], "breakpoints"),
    _row("debug.predict", "&Predict Mode", "practice.set_enabled", (),
         "while stepping, answer what each backward node sends (or what a line computes) "
         "before the debugger shows it", ["debug"], "predict", toolbar="debug",
         toolbar_break=True, checkable=True),
    # ---- View
    _row("view.fit", "&Fit Graph", "window.graph_view.fit", "Ctrl+Shift+G",
         "Fit the whole graph in its view", ["view"], "graph", toolbar="main",
         toolbar_break=True),
    _row("view.reset_layout", "&Reset Layout", "window.reset_layout", (),
         "Put every panel back where it started", ["view"], "graph"),
    # ---- Tools
    _row("tools.builder", "&Model Builder…", "controller.open_builder", "Ctrl+Shift+B",
         "Write a model's training code from a form", ["tools"]),
    _row("tools.function", "Plot &f, f′, f″…", "controller.plot_function_dialog",
         "Ctrl+Shift+F", "Plot a function of one variable and its derivatives (engine and "
         "sympy)", ["tools"]),
    _row("tools.check", "&Symbolic Check", "controller.compute_symbolic", "Ctrl+Shift+C",
         "Three-way check of the last run's gradients", ["tools"]),
    _row("tools.by_hand", "Check &Hand-Derived Gradients", "practice.check_by_hand", (),
         "Compare every d<name> of the last run with autograd's <name>.grad, and name the "
         "first wrong line", ["tools"]),
    # ---- Help
    _row("help.shortcuts", "&Keyboard Shortcuts", "window.show_shortcuts", "F1", "", ["help"]),
    _row("help.about", "&About stepgrad", "window.show_about", (), "", ["help"]),
)

MENU_SLOTS: tuple[MenuSlot, ...] = (
    MenuSlot("recent", "file", after="file.open", group="open"),  # Open Recent submenu
    MenuSlot("themes", "view", after=None, group="theme"),  # the Theme submenu, first
    MenuSlot("panels", "view", after="themes", group="panels"),  # a toggle per dock
    MenuSlot("lessons", "lessons", after=None),  # the Lessons dock toggle and every lesson
)

# Keys once the debugger is attached: (label or None to keep it, shortcut; "" = none)
WITH_DEBUGGER = {
    "run.run": ("&Run without Debugger", "Ctrl+F5"),
    "run.stop": (None, ""),
    "debug.continue": (None, ""),
    "debug.stop": (None, ""),
}

BY_ID = {row.id: row for row in ACTIONS}


def rows_of(owner: str) -> tuple[ActionRow, ...]:
    return tuple(r for r in ACTIONS if r.owner == owner)


def effective_keys(row: ActionRow, debugger: bool) -> tuple[str, ...]:
    """The row's keys in a window with (or without) the debugger attached."""
    if debugger and row.id in WITH_DEBUGGER:
        keys = WITH_DEBUGGER[row.id][1]
        return (keys,) if keys else ()
    return row.keys


def menu_entries(menu: str) -> list[ActionRow | MenuSlot]:
    """The rows and slots of ``menu`` in their order."""
    out: list[ActionRow | MenuSlot] = [r for r in ACTIONS if menu in r.menus]
    for slot in MENU_SLOTS:
        if slot.menu != menu:
            continue
        ids = [e.id for e in out]
        at = ids.index(slot.after) + 1 if slot.after in ids else 0
        out.insert(at, slot)
    return out
