"""The action table (``desktop.ui.actions``) is the one place commands are declared: its rows are
well formed, their keys never collide (with or without the debugger), every handler exists on
the wired window's objects, and every action can be reached from a menu or a toolbar."""

from __future__ import annotations

import pathlib
import re

import pytest
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolBar

from desktop.app import wire
from desktop.ui import actions as table
from desktop.ui.action_set import key_sequences, resolve
from desktop.ui.main_window import MainWindow

DESKTOP = pathlib.Path(__file__).resolve().parents[3] / "desktop"


def _key_owners(debugger: bool) -> dict[str, list[str]]:
    owners = {"window", "controller"} | ({"debugger", "practice", "controls", "bridge"}
                                         if debugger else set())
    seen: dict[str, list[str]] = {}
    for row in table.ACTIONS:
        if row.owner not in owners:
            continue
        for seq in key_sequences(table.effective_keys(row, debugger)):
            seen.setdefault(seq.toString(), []).append(row.id)
    return seen


def test_rows_are_well_formed():
    ids = [r.id for r in table.ACTIONS]
    assert len(ids) == len(set(ids))
    menus = {key for key, _ in table.MENUS}
    owners = {"window", "controller", "debugger", "practice", "controls", "bridge"}
    for row in table.ACTIONS:
        assert row.owner in owners, row.id
        assert set(row.menus) <= menus, row.id
        assert row.menus or row.toolbar, f"{row.id} is in no menu and on no toolbar"
        assert row.enabled_when in table.ENABLED_RULES, row.id
        assert not any(part.startswith("_") for part in row.handler.split(".")), row.id
    for slot in table.MENU_SLOTS:
        assert slot.menu in menus
        assert slot.after is None or slot.after in ids + [s.id for s in table.MENU_SLOTS]
    assert set(table.WITH_DEBUGGER) <= set(ids)


@pytest.mark.parametrize("debugger", [False, True], ids=["bare", "with-debugger"])
def test_no_two_actions_share_a_key(qapp, debugger):
    clashes = {k: who for k, who in _key_owners(debugger).items() if len(who) > 1}
    assert clashes == {}


def test_the_debugger_moves_plain_run_off_f5(qapp):
    keys = {k: who for k, who in _key_owners(True).items()}
    assert keys["F5"] == ["debug.run_or_continue"] and keys["Shift+F5"] == ["debug.stop_any"]
    assert keys["Ctrl+F5"] == ["run.run"]
    assert _key_owners(False)["F5"] == ["run.run"]


def test_no_menu_is_looked_up_by_its_label():
    pattern = re.compile(r"""\.text\(\)\s*==\s*["']&""")
    found = [f"{p.name}: {line.strip()}" for p in DESKTOP.rglob("*.py")
             for line in p.read_text().splitlines() if pattern.search(line)]
    assert found == []


@pytest.fixture
def wired(qtbot, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("STEPGRAD_NO_DIALOGS", "1")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    w = MainWindow(settings=settings)
    qtbot.addWidget(w, before_close_func=lambda w: w.editor.document().setModified(False))
    wire(w)
    yield w
    w.controller.shutdown()
    w.debugger.bridge.shutdown()


def _owners(w) -> dict:
    return {"window": w, "controller": w.controller, "debugger": w.debugger,
            "practice": w.practice, "controls": w.debugger.controls, "bridge": w.debugger.bridge}


def test_every_handler_exists_on_the_wired_window(wired):
    owners = _owners(wired)
    for row in table.ACTIONS:
        assert callable(resolve(row.handler, owners[row.owner])), row.id


def _menu_actions(menu) -> list[QAction]:
    out = []
    for act in menu.actions():
        out.append(act)
        if act.menu() is not None:
            out += _menu_actions(act.menu())
    return out


def test_every_row_is_an_action_reachable_from_a_menu_or_toolbar(wired):
    made = wired.action_set.actions
    assert set(made) == {r.id for r in table.ACTIONS}
    in_menus = {id(a) for top in wired.menuBar().actions() for a in _menu_actions(top.menu())}
    on_bars = {id(a) for bar in wired.findChildren(QToolBar) for a in bar.actions()}
    for row in table.ACTIONS:
        act = made[row.id]
        if row.menus:
            assert id(act) in in_menus, row.id
        if row.toolbar:
            assert id(act) in on_bars or row.id == "run.stop", row.id  # one Stop: the debugger's
    titles = [a.text() for a in wired.menuBar().actions()]
    assert titles == [title for _, title in table.MENUS]


def test_the_wired_window_has_no_ambiguous_shortcut(wired):
    keys: dict[str, list[str]] = {}
    for act in wired.findChildren(QAction):
        for seq in act.shortcuts():
            keys.setdefault(seq.toString(QKeySequence.SequenceFormat.PortableText),
                            []).append(act.text())
    assert {k: v for k, v in keys.items() if len(v) > 1} == {}


def _layout(menu) -> list[str]:
    return ["-" if a.isSeparator() and not a.text() else a.text() for a in menu.actions()]


def test_menus_are_laid_out_in_table_order_with_separators_between_groups(wired):
    menus = wired.action_set.menus
    assert _layout(menus["file"]) == [
        "&New", "&Open…", "Open &Recent", "-", "&Save", "Save &As…", "-", "Open &Session…",
        "Save Sess&ion…", "-", "Export as Script (&engine)…",
        "Export as Script with Gradient &Check (engine)…", "Export as Script (&PyTorch)…", "-",
        "Export &Graph as PNG…", "Export &Plot as PNG…", "-", "&Quit"]
    view = _layout(menus["view"])
    assert view[:2] == ["&Theme", "-"] and view[-3:] == ["-", "&Fit Graph", "&Reset Layout"]
    assert "Timeline" in view and "Lessons" in view  # toggles of panels added after start-up
    assert _layout(menus["run"]) == ["&Run without Debugger", "&Stop"]
    main = wired.findChild(QToolBar, "toolbar_main")
    assert [a.text() or "|" for a in main.actions()] == [
        "&New", "&Open…", "&Save", "|", "&Run without Debugger", "|", "&Fit Graph"]


def test_enabled_when_rules_follow_the_run(wired):
    run, stop = wired.action_set.actions["run.run"], wired.action_set.actions["run.stop"]
    assert run.isEnabled() and not stop.isEnabled()
    wired.set_running(True)
    assert not run.isEnabled() and stop.isEnabled()
    wired.set_running(False)
    assert run.isEnabled() and not stop.isEnabled()


def test_file_menu_commands_save_reopen_and_export_a_session(wired, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    acts = wired.action_set.actions
    wired.editor.setPlainText("import torch\nx = torch.tensor(2.0, requires_grad=True)\n")
    wired.editor.set_breakpoints({2})
    saved, exported = tmp_path / "work.stepgrad", tmp_path / "work_export.py"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(saved)[:-9], ""))
    acts["file.save_session"].trigger()  # the suffix is added
    assert saved.exists() and not wired.is_modified()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(exported), ""))
    acts["file.export_torch"].trigger()
    assert "requires_grad=True" in exported.read_text()

    wired.new_file(ask=False)
    assert wired.source() == "" and wired.breakpoints == frozenset()
    wired.recent_menu.aboutToShow.emit()  # File > Open Recent, as the user opens it
    entry = next(a for a in wired.recent_menu.actions() if a.text() == str(saved))
    entry.trigger()
    assert wired.source().startswith("import torch") and wired.breakpoints == frozenset({2})
    assert not wired.controller.running  # opening a session runs nothing
