import numpy as np
import pytest
from conftest import ADD, SOURCE, error_result, linear_result
from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop.ui import main_window as mw
from desktop.ui.main_window import ENGINE_NOTE, MainWindow
from desktop.ui.theme import DARK, LIGHT

SB = QMessageBox.StandardButton


@pytest.fixture
def window(qtbot, settings):
    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    w.resize(1200, 800)
    with qtbot.waitExposed(w):
        w.show()
    yield w
    w.editor.document().setModified(False)  # let teardown close it without the guard


def test_show_result_fills_every_panel(window):
    window.editor.setPlainText(SOURCE)
    window.inspector.add_watch("w.grad")
    window.inspector.set_evaluator(lambda e: "tensor([[-38.4000]])")
    window.show_result(linear_result())
    assert len(window.graph_view.node_items) == 10
    assert window.graph_view.node_items[ADD].lines[0] == "Y_hat"
    rows = {r[0]: r for r in window.inspector.row_texts()}
    assert rows["w"][6] == "-38.4" and rows["b"][6] == "-10.8"
    assert window.inspector.watch_values() == {"w.grad": "tensor([[-38.4000]])"}
    _, ys = window.plots.loss_curve.getData()
    assert len(ys) == 30 and ys[0] == pytest.approx(40.05)
    assert "step  0" in window.output.text.toPlainText()
    assert window.output.error_box.isHidden()
    assert "finished" in window.run_label.text()
    assert window.symbolic.compute.isEnabled()


def test_error_result_marks_the_line(window):
    window.editor.setPlainText(SOURCE)
    window.show_result(error_result())
    assert window.editor.error_line == 10
    assert "RuntimeError" in window.editor.error_message
    assert not window.output.error_box.isHidden()
    assert "line 10" in window.run_label.text()
    window.output.jump_to_line.emit(7)
    assert window.editor.textCursor().blockNumber() == 6


def test_run_and_stop_signals_with_shortcuts(window, qtbot):
    window.editor.setPlainText("print(1)\n")
    with qtbot.waitSignal(window.run_requested) as blocker:
        qtbot.keyClick(window.windowHandle(), Qt.Key.Key_F5)
    assert blocker.args == ["print(1)\n"]
    assert window.running and not window.act_run.isEnabled()
    with qtbot.waitSignal(window.stop_requested):
        qtbot.keyClick(window.windowHandle(), Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    window.show_result(linear_result())
    assert not window.running and window.act_run.isEnabled()


def test_run_without_a_runner_says_so(window):
    window.act_run.trigger()
    assert not window.running
    assert "No runner" in window.statusBar().currentMessage()


def test_shortcuts_in_menus_and_tooltips_and_engine_note(window):
    assert window.act_run.shortcut().toString() == "F5"
    assert "(F5)" in window.act_run.toolTip()
    assert "(Shift+F5)" in window.act_stop.toolTip()
    assert "Ctrl+F" in window.act_find.toolTip()
    names = dict(window.shortcut_table())
    assert names["Run"] == "F5" and names["Toggle Breakpoint"] == "F9"
    assert window.engine_label.text() == ENGINE_NOTE
    assert "import torch" in ENGINE_NOTE


def test_theme_switch_updates_palette_and_panels(window, settings):
    window.theme_actions["dark"].trigger()
    assert window.theme is DARK
    assert QApplication.instance().palette().base().color().name() == DARK.base
    assert window.graph_view.scene.backgroundBrush().color().name() == DARK.scene
    assert window.editor.highlighter.formats["keyword"].foreground().color().name() == DARK.keyword
    assert settings.value("theme") == "dark"
    window.set_theme("light")
    assert window.theme is LIGHT


def test_settings_round_trip(qtbot, settings):
    first = MainWindow(settings=settings)
    qtbot.addWidget(first)
    first.resize(700, 500)  # inside the offscreen platform's 800x600 screen
    first.show()
    first.set_theme("dark")
    first.editor.zoom_in()
    first.docks["plots"].hide()
    first.close()
    assert isinstance(settings.value("windowState"), QByteArray)
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    second.show()
    assert second.theme is DARK
    assert second.editor.point_size() == first.editor.point_size()
    assert second.docks["plots"].isHidden()
    assert second.size() == first.size()
    second.reset_layout()
    assert not second.docks["plots"].isHidden()
    second.set_theme("light")


def test_open_save_and_recent(window, tmp_path, monkeypatch):
    path = tmp_path / "lin.py"
    path.write_text(SOURCE)
    assert window.open_file(str(path))
    assert window.source() == SOURCE and not window.is_modified()
    assert window.windowTitle().startswith("lin.py")
    window.editor.appendPlainText("# more")
    assert window.is_modified()
    assert window.save()
    assert path.read_text().endswith("# more")
    assert not window.is_modified()
    assert window.recent_files()[0] == str(path)
    warnings = []
    monkeypatch.setattr(mw.QMessageBox, "warning", lambda *a: warnings.append(a[1]))
    assert not window.open_file(str(tmp_path / "missing.py"), ask=False)
    assert warnings == ["Cannot open file"]
    assert window.source().endswith("# more")  # a failed open keeps the current script


def test_close_guard(window, monkeypatch):
    asked = []

    def answer(button):
        def question(*args, **kwargs):
            asked.append(args[1])
            return button
        return question

    window.editor.insertPlainText("x = 1\n")  # typing, unlike setPlainText, modifies
    assert window.is_modified()
    monkeypatch.setattr(mw.QMessageBox, "question", answer(SB.Cancel))
    assert not window.close()
    assert window.isVisible() and asked == ["Unsaved changes"]

    saved = []
    monkeypatch.setattr(mw.QMessageBox, "question", answer(SB.Save))
    monkeypatch.setattr(window, "save", lambda: saved.append(True) or False)  # save cancelled
    assert not window.close()
    assert saved == [True] and window.isVisible()

    monkeypatch.setattr(mw.QMessageBox, "question", answer(SB.Discard))
    assert window.close()
    assert len(asked) == 3


def test_no_question_when_unmodified(window, monkeypatch):
    monkeypatch.setattr(mw.QMessageBox, "question",
                        lambda *a, **k: pytest.fail("asked without unsaved changes"))
    assert window.close()


def test_breakpoints_signal_and_current_line(window, qtbot):
    window.editor.setPlainText(SOURCE)
    with qtbot.waitSignal(window.breakpoints_changed) as blocker:
        window.editor.toggle_breakpoint(9)
    assert blocker.args == [frozenset({9})]
    assert window.breakpoints == {9}
    window.set_current_line(8)
    assert window.editor.current_line == 8


def test_export_graph_png(window, tmp_path, monkeypatch):
    window.show_result(linear_result())
    out = tmp_path / "graph.png"
    monkeypatch.setattr(mw.QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    window.act_export_graph.trigger()
    assert out.exists() and out.stat().st_size > 1000
    img = QImage(str(out))
    # the whole graph at 2x, with the node fills in it (not a blank or clipped image)
    rect = window.graph_view.scene.itemsBoundingRect()
    assert img.width() >= 2 * rect.width() and img.height() >= 2 * rect.height()
    colours = {img.pixelColor(x, y).name() for x in range(0, img.width(), 3)
               for y in range(0, img.height(), 3)}
    assert {LIGHT.node_leaf_grad, LIGHT.node_leaf_const, LIGHT.scene} <= colours


def test_add_panel_and_rebind_run(window, qtbot):
    from PySide6.QtWidgets import QLabel

    dock = window.add_panel("lessons", "Lessons", QLabel("lessons"))
    assert window.docks["lessons"] is dock
    assert dock.toggleViewAction() in window.view_menu.actions()
    window.action_set.attach_debugger()  # as the debugger does: Run moves to Ctrl+F5
    assert window.act_run.shortcut().toString() == "Ctrl+F5"
    assert "(Ctrl+F5)" in window.act_run.toolTip()
    assert window.act_stop.shortcut().isEmpty()
    window.run_requested.connect(lambda src: None)
    with qtbot.waitSignal(window.run_requested):
        qtbot.keyClick(window.windowHandle(), Qt.Key.Key_F5, Qt.KeyboardModifier.ControlModifier)


def test_screenshot_tool_renders_a_real_run(tmp_path):
    from desktop.ui import screenshot

    out = tmp_path / "shot.png"
    assert screenshot.main([str(out)]) == 0
    assert out.stat().st_size > 10_000


def test_nan_and_inf_after_a_run_are_said_once_for_the_whole_run(window):
    from desktop.model import GraphSnapshot, RunResult, TensorInfo

    y = np.array([0.0, np.nan, -np.inf], dtype=np.float32)
    tensors = (TensorInfo("w", (3,), "float32", True, True, None, np.ones(3, np.float32),
                          np.array([1.0, -1.0, np.inf], np.float32)),
               TensorInfo("y", (3,), "float32", True, False, "LogBackward0", y, None),
               TensorInfo("ok", (1,), "float32", False, True, None, np.ones(1), None))
    window.show_result(RunResult("finished", "hi\n", None, tensors, GraphSnapshot()))
    assert "NaN/Inf in w.grad, y" in window.run_label.text()
    out = window.output.text.toPlainText()
    assert out.startswith("hi\n") and "NaN or Inf in w.grad, y" in out and "ok" not in out
    window.show_result(linear_result())
    assert "NaN" not in window.run_label.text() + window.output.text.toPlainText()


def test_export_plot_png_from_the_file_menu(window, tmp_path, monkeypatch):
    window.show_result(linear_result())  # 30 backward() values: a loss curve
    out = tmp_path / "loss.png"
    monkeypatch.setattr(mw.QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    window.docks["plots"].raise_()
    window.act_export_plot.trigger()
    img = QImage(str(out))
    assert img.width() >= 800
    colours = {img.pixelColor(x, y).name() for x in range(0, img.width(), 2)
               for y in range(0, img.height(), 2)}
    assert LIGHT.plot_pens[0] in colours  # the curve is in the picture


def test_reset_layout_also_puts_later_panels_back(window):
    from PySide6.QtWidgets import QLabel

    dock = window.add_panel("lessons", "Lessons", QLabel("lessons"))
    area = Qt.DockWidgetArea
    window.removeDockWidget(dock)
    window.addDockWidget(area.LeftDockWidgetArea, dock)
    dock.show()
    window.reset_layout()
    assert window.dockWidgetArea(dock) == area.BottomDockWidgetArea
    assert dock in window.tabifiedDockWidgets(window.docks["output"])
