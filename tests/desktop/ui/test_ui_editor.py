from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextCursor

from desktop.ui.editor import DEFAULT_POINT_SIZE, EditorPanel
from desktop.ui.theme import DARK, LIGHT


def make_panel(qtbot, text="import torch\nx = 1\nif x:\n    y = 2\n"):
    panel = EditorPanel()
    qtbot.addWidget(panel)
    panel.resize(600, 400)
    panel.show()
    panel.editor.setPlainText(text)
    return panel


def line_y(editor, line):
    block = editor.document().findBlockByNumber(line - 1)
    geo = editor.blockBoundingGeometry(block).translated(editor.contentOffset())
    return int(geo.top() + geo.height() / 2)


def test_gutter_click_toggles_breakpoint(qtbot):
    panel = make_panel(qtbot)
    editor = panel.editor
    with qtbot.waitSignal(editor.breakpoints_changed) as blocker:
        qtbot.mouseClick(editor.gutter, Qt.MouseButton.LeftButton, pos=QPoint(5, line_y(editor, 2)))
    assert blocker.args == [frozenset({2})]
    assert editor.breakpoints == {2}
    qtbot.mouseClick(editor.gutter, Qt.MouseButton.LeftButton, pos=QPoint(5, line_y(editor, 2)))
    assert editor.breakpoints == frozenset()


def test_highlighter_formats_keyword_string_and_comment(qtbot):
    panel = make_panel(qtbot, "import torch  # hi\ns = 'def'\n")
    editor = panel.editor
    editor.highlighter.rehighlight()
    first = editor.document().firstBlock().layout().formats()
    starts = {(f.start, f.length): f.format for f in first}
    kw = starts[(0, 6)]
    assert kw.foreground().color().name() == LIGHT.keyword
    assert kw.fontWeight() > 400
    comment = next(f.format for f in first if f.start == 14)
    assert comment.foreground().color().name() == LIGHT.comment
    second = editor.document().firstBlock().next().layout().formats()
    assert any(f.start == 4 and f.format.foreground().color().name() == LIGHT.string
               for f in second)  # 'def' inside a string is a string, not a keyword
    assert not any(f.format.foreground().color().name() == LIGHT.keyword for f in second)


def test_triple_quoted_string_spans_lines(qtbot):
    panel = make_panel(qtbot, 'x = """\nimport\n"""\nimport\n')
    editor = panel.editor
    editor.highlighter.rehighlight()
    doc = editor.document()
    inside = doc.findBlockByNumber(1).layout().formats()
    assert all(f.format.foreground().color().name() == LIGHT.string for f in inside)
    after = doc.findBlockByNumber(3).layout().formats()
    assert after[0].format.foreground().color().name() == LIGHT.keyword


def test_tab_inserts_four_spaces_and_enter_keeps_indent(qtbot):
    panel = make_panel(qtbot, "")
    editor = panel.editor
    editor.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == "    "
    qtbot.keyClicks(editor, "if x:")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert editor.toPlainText() == "    if x:\n        "


def test_markers_and_theme(qtbot):
    panel = make_panel(qtbot)
    editor = panel.editor
    editor.set_current_line(3)
    assert editor.current_line == 3
    assert editor.textCursor().blockNumber() == 2
    editor.mark_error(4, "NameError: name 'y' is not defined")
    sels = editor.extraSelections()
    assert len(sels) == 2
    assert sels[1].format.background().color().name() == LIGHT.error_line
    editor.set_theme(DARK)
    assert editor.extraSelections()[0].format.background().color().name() == DARK.current_line
    editor.clear_error()
    editor.set_current_line(None)
    assert editor.extraSelections() == []


def test_find_bar(qtbot):
    panel = make_panel(qtbot, "a = 1\nb = 2\na = 3\n")
    panel.find_bar.open_bar()
    assert panel.find_bar.isVisible()
    panel.find_bar.field.setText("a =")
    assert panel.find_bar.find()
    first = panel.editor.textCursor().selectionStart()
    assert panel.find_bar.find()
    assert panel.editor.textCursor().selectionStart() > first
    assert panel.find_bar.find()  # wraps around
    assert panel.editor.textCursor().selectionStart() == first
    panel.find_bar.field.setText("zzz")
    assert not panel.find_bar.find()
    assert panel.find_bar.status.text() == "not found"


def test_zoom_and_dedent(qtbot):
    panel = make_panel(qtbot, "    x = 1\n")
    editor = panel.editor
    editor.zoom_in()
    editor.zoom_in()
    assert editor.point_size() == DEFAULT_POINT_SIZE + 2
    editor.zoom_out()
    assert editor.point_size() == DEFAULT_POINT_SIZE + 1
    editor.zoom_reset()
    assert editor.point_size() == DEFAULT_POINT_SIZE
    editor.moveCursor(QTextCursor.MoveOperation.Start)
    editor.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_Backtab)
    assert editor.toPlainText() == "x = 1\n"


def test_breakpoints_follow_their_code(qtbot):
    panel = make_panel(qtbot, "a = 1\nb = 2\nc = 3\nd = 4\n")
    editor = panel.editor
    editor.set_breakpoints({1, 3})
    cur = editor.textCursor()
    cur.setPosition(editor.document().findBlockByNumber(1).position())  # start of line 2
    cur.insertText("new = 0\n")
    assert editor.breakpoints == {1, 4}
    assert editor.document().findBlockByNumber(3).text() == "c = 3"
    cur = editor.textCursor()
    cur.setPosition(editor.document().findBlockByNumber(1).position())
    cur.movePosition(QTextCursor.MoveOperation.Down, QTextCursor.MoveMode.KeepAnchor, 2)
    cur.removeSelectedText()  # delete lines 2-3 ("new = 0", "b = 2")
    assert editor.breakpoints == {1, 2}
    assert editor.document().findBlockByNumber(1).text() == "c = 3"


def _gutter_pixels(panel, line):
    """Colours painted in the gutter across ``line``'s middle row."""
    editor = panel.editor
    img = editor.gutter.grab().toImage()
    y = line_y(editor, line)
    return [img.pixelColor(x, y).name() for x in range(img.width())]


def test_gutter_paints_line_numbers_breakpoints_and_the_current_line(qtbot):
    panel = make_panel(qtbot, "".join(f"x{i} = {i}\n" for i in range(120)))
    editor = panel.editor
    qtbot.waitExposed(panel)
    # room for three digits of line numbers plus the marker column
    assert editor.gutter.width() >= editor.fontMetrics().horizontalAdvance("999")
    plain = _gutter_pixels(panel, 2)
    assert set(plain) - {LIGHT.gutter}  # the number "2" is drawn
    assert LIGHT.breakpoint not in plain
    editor.toggle_breakpoint(2)
    assert LIGHT.breakpoint in _gutter_pixels(panel, 2)  # the red dot
    editor.set_current_line(3)
    assert LIGHT.accent in _gutter_pixels(panel, 3)  # the arrow
    assert LIGHT.accent not in _gutter_pixels(panel, 2)


def test_undo_and_redo_from_the_window_with_their_shortcuts(qtbot, settings):
    from desktop.ui.main_window import MainWindow

    window = MainWindow(settings=settings)
    qtbot.addWidget(window, before_close_func=lambda w: w.editor.document().setModified(False))
    with qtbot.waitExposed(window):
        window.show()
    editor = window.editor
    assert not window.act_undo.isEnabled()
    editor.setFocus()
    qtbot.keyClicks(editor, "w = 1")
    assert window.act_undo.isEnabled()
    assert "Ctrl+Z" in window.act_undo.toolTip() and "Ctrl+Shift+Z" in window.act_redo.toolTip()
    qtbot.keyClick(window.windowHandle(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.toPlainText() == ""
    assert window.act_redo.isEnabled()
    qtbot.keyClick(window.windowHandle(), Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert editor.toPlainText() == "w = 1"
    window.act_undo.trigger()
    window.act_redo.trigger()
    assert editor.toPlainText() == "w = 1"


def test_clearing_markers_that_are_not_set_repaints_nothing(qtbot):
    # every Run clears the error marker as it starts and both markers as it ends: with none
    # set that is no work, not a gutter repaint and a cursor move while the script runs
    panel = make_panel(qtbot)
    editor = panel.editor
    cursor = editor.textCursor().position()
    repaints = []
    editor.gutter.update = lambda *args: repaints.append(args)
    editor.set_current_line(None)
    editor.clear_error()
    assert repaints == [] and editor.textCursor().position() == cursor
    editor.mark_error(3, "NameError: x")
    assert repaints and editor.error_line == 3 and editor.error_message == "NameError: x"
    repaints.clear()
    editor.clear_error()
    assert repaints and editor.error_line is None and editor.error_message == ""
    editor.set_current_line(2)
    repaints.clear()
    editor.set_current_line(None)
    assert repaints and editor.current_line is None
